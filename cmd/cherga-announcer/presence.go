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
// the client id over from the dead connection, and the broker publishes
// that one's last will: Mosquitto before the new connection is
// acknowledged, mochi (the embedded broker) in the background, maybe after
// the new connection said it is online. So the announcer follows its own
// topic, and says it is online again when it hears otherwise while it
// runs (heard).
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
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.client = c
	pr.publish()
}

// heard is a message on the announcer's own topic: any but one saying it
// is online (a last will come late, a retained message cleared) is
// answered, while it runs, with the presence as it stands.
func (pr *presence) heard(b []byte) {
	if p, err := audio.ParsePresence(b); err == nil && p.Online {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.p.Online {
		pr.publish()
	}
}

// played follows what the player did with an announcement: a failure of
// the player is published, and so is the first call said after one. A
// call dropped (superseded, paused, stopped) says nothing of the player.
func (pr *presence) played(err error) {
	if errors.Is(err, audio.ErrSuperseded) || errors.Is(err, audio.ErrPaused) || errors.Is(err, audio.ErrStopped) {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	switch {
	case err == nil && pr.p.Error == "":
		return
	case err == nil:
		pr.p.Error, pr.p.ErrorAt = "", nil
	default:
		now := time.Now().UTC().Truncate(time.Millisecond)
		pr.p.Error, pr.p.ErrorAt = err.Error(), &now
	}
	pr.publish()
}

// stopped publishes the clean stop, waiting at most wait for the broker
// to take it.
func (pr *presence) stopped(wait time.Duration) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.p.Online, pr.p.Stopped = false, true
	if tok := pr.publish(); tok != nil {
		tok.WaitTimeout(wait)
	}
}

// publish sends the presence as it stands, with pr.mu held; nil before the
// first connection.
//
// At QoS 0: paho keeps a QoS 1 message of a session that is not clean in
// its store, and resends what the store holds at each connection while
// its writer may be sending the same packet (a data race in paho 1.5.1's
// resume, seen under -race with a publish made on connecting). A QoS 0
// message is lost only with its connection, and every connection
// publishes the presence afresh.
func (pr *presence) publish() paho.Token {
	if pr.client == nil {
		return nil
	}
	return pr.client.Publish(pr.topic, 0, true, marshal(pr.p))
}

func marshal(p audio.Presence) []byte {
	b, _ := json.Marshal(p) // of strings, times and bools: cannot fail
	return b
}
