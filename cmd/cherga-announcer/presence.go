package main

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/bus"
)

// presence publishes the announcer's audio.Presence, retained, on
// {root}/announcer/{id}: at every connection (a broker restarted empty,
// the controller's embedded one, has lost it), when its player fails a
// call and when it says one again, and offline at a clean stop. The
// connection's last will says it is offline when it is lost.
//
// A reconnection after a network loss the broker has not noticed takes
// the client id over from the dead connection. Mosquitto (2.0) then
// publishes no will for a session that goes on; mochi (the embedded
// broker) publishes the dead connection's, in the background, maybe after
// the new connection said it is online. So the announcer follows its own
// topic, and says it is online again when it hears otherwise while it
// runs (heard).
//
// mu is held across each change and the Publish call that sends it, so
// that the broker keeps the latest; not while a token is awaited. heard,
// on paho's goroutine of the incoming messages, whose handlers must not
// wait for paho's writer, updates from a goroutine of its own.
type presence struct {
	topic string

	mu     sync.Mutex
	p      audio.Presence
	client paho.Client // nil until connected
}

func newPresence(root string, p audio.Presence) *presence {
	// The id is a topic level: a client id may hold what a level cannot.
	id := strings.NewReplacer("/", "_", "+", "_", "#", "_").Replace(p.ID)
	return &presence{topic: bus.Announcer(root, id), p: p}
}

// will is the last will: offline, not stopped.
func (pr *presence) will() []byte {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	p := pr.p
	p.Online, p.Error, p.ErrorAt = false, "", nil
	return marshal(p)
}

// connected publishes the presence on a connection just made.
func (pr *presence) connected(c paho.Client) {
	pr.update(func(*audio.Presence) bool {
		pr.client = c
		return true
	})
}

// heard is a message on the announcer's own topic: any but one saying it
// is online (a last will come late, a retained message cleared) is
// answered, while it runs, with the presence as it stands.
func (pr *presence) heard(b []byte) {
	if p, err := audio.ParsePresence(b); err == nil && p.Online {
		return
	}
	go pr.update(func(p *audio.Presence) bool { return p.Online })
}

// played follows what the player did with an announcement: a failure of
// the player is published, and so is the first call said after one. A
// call dropped (superseded, paused, stopped) says nothing of the player.
func (pr *presence) played(err error) {
	if errors.Is(err, audio.ErrSuperseded) || errors.Is(err, audio.ErrPaused) || errors.Is(err, audio.ErrStopped) {
		return
	}
	pr.update(func(p *audio.Presence) bool {
		switch {
		case err == nil && p.Error == "":
			return false
		case err == nil:
			p.Error, p.ErrorAt = "", nil
		default:
			now := time.Now().UTC().Truncate(time.Millisecond)
			p.Error, p.ErrorAt = err.Error(), &now
		}
		return true
	})
}

// offline publishes that the announcer no longer runs: stopped, a clean
// stop, or not (a start that failed), waiting at most wait for the broker
// to take it.
func (pr *presence) offline(stopped bool, wait time.Duration) {
	if tok := pr.update(func(p *audio.Presence) bool {
		p.Online, p.Stopped = false, stopped
		return true
	}); tok != nil {
		tok.WaitTimeout(wait)
	}
}

// update changes the presence under mu and, when change says so,
// publishes it; the token is nil when nothing was published (nor before
// the first connection).
//
// At QoS 0: paho keeps a QoS 1 message of a session that is not clean in
// its store, and resends what the store holds at each connection while
// its writer may be sending the same packet (a data race in paho 1.5.1's
// resume, seen under -race with a publish made on connecting). A QoS 0
// message is lost only with its connection, and every connection
// publishes the presence afresh.
func (pr *presence) update(change func(p *audio.Presence) bool) paho.Token {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if !change(&pr.p) || pr.client == nil {
		return nil
	}
	return pr.client.Publish(pr.topic, 0, true, marshal(pr.p))
}

func marshal(p audio.Presence) []byte {
	b, _ := json.Marshal(p) // of strings, times and bools: cannot fail
	return b
}
