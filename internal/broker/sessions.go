package broker

import (
	"cmp"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// What the broker keeps for a client with a persistent session
// (clean_session=false) while it is away. The announcer has one, so that
// the calls made during a Wi-Fi blip reach it when it is back; but every
// other client that connects so (a box unplugged for good, one that
// reconnects under a new random id, a Node-RED flow) gets its QoS 1
// messages kept too, and mochi's defaults keep 8192 of them per session,
// for a day, in sessions that never end: a busy day with 20 such sessions
// took 500 MB.
const (
	// MaxQueued is how many QoS 1 and 2 messages the broker holds for a
	// client that is away. Beyond it no newer message is kept for that
	// client until older ones go (past QueuedAge): so it holds the oldest
	// of the last QueuedAge. The announcer hears of about two messages a
	// call (one per language): 256 is over a hundred calls in QueuedAge,
	// more than thirteen counters make. (Not mochi's MaximumInflight, which
	// bounds connected clients too: the controller's catching up after an
	// outage sends more than that at once, and a connected client that
	// acknowledges all of them must get them all.)
	MaxQueued = 256
	// MaxQueuedBytes is how many bytes of messages (topics and payloads)
	// the broker holds for a client that is away, beyond MaxQueued: the
	// messages under the site may be large (an administrator's request
	// of up to 300 KiB, the answers to events.replay), and 256 of them
	// for each of MaxAway sessions subscribed to everything would be
	// gigabytes on a Pi: 512 KiB each is 32 MiB at most. The announcer's
	// calls are a few hundred bytes.
	MaxQueuedBytes = 512 << 10
	// QueuedAge is how long a message waits for its client: a call older
	// than a few minutes is worth nothing (the announcer drops calls older
	// than its -max-age, a minute by default) and the events have their own
	// replay (events.replay).
	QueuedAge = 5 * time.Minute
	// MaxAway is how many sessions of clients that are away the broker
	// keeps: clients that come and go under new ids (a flow restarted, a
	// dashboard's page reloaded) left one each, with its queue, for
	// sessionExpiry, and a soak of one every 2 s took 500 MB and a third
	// of a core (mochi sorts every session's queue every second). Beyond
	// it, the session away longest goes. An office has a few announcers.
	MaxAway = 64
)

// sessionExpiry is how long the session of a client that went away is
// kept, with its subscriptions and what is queued for it: twice
// QueuedAge, so a client back within it finds its subscriptions and
// every message not too old, and one back later subscribes again (the
// announcer does at every connect) to an empty queue, which it would have
// had anyway. An MQTT 5 client may ask for less. (A variable: tests
// shorten it.)
var sessionExpiry = 2 * QueuedAge

// sweepEvery is how often messages past QueuedAge are dropped.
const sweepEvery = 10 * time.Second

// sweep drops, every sweepEvery until stop is closed, the messages that
// waited past QueuedAge.
func (b *Broker) sweep(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			b.expire(now)
		}
	}
}

// expire drops the messages queued before now-QueuedAge, and warns once
// about each client whose queue is full (a session left behind), until it
// is not.
//
// Not mochi's MaximumMessageExpiryInterval: mochi applies that to the
// retained messages too, by their age, so a board's retained state would
// be gone from the broker five minutes after it last changed, and a board
// that starts then would show nothing.
func (b *Broker) expire(now time.Time) {
	b.sweepMu.Lock()
	defer b.sweepMu.Unlock()
	seen := make(map[string]bool, len(b.full))
	for id, cl := range b.srv.Clients.GetAll() {
		cl.ClearExpiredInflights(now.Unix(), int64(QueuedAge/time.Second))
		if n := cl.State.Inflight.Len(); (n >= MaxQueued || b.sess.full(cl)) && cl.Closed() {
			seen[id] = true
			if b.full[id] {
				continue
			}
			// Once a minute at most: clients that come and go under new
			// ids fill one queue each.
			if say, passed := b.fullSaid.due(now); say {
				b.log.Warn("broker: a client's queue is full: newer messages are not kept for it until older ones expire",
					"client", id, "queued", n, "expire_after", QueuedAge, "others_since", passed)
			}
		}
	}
	b.full = seen
	b.sess.recount()
}

// sessions is the hook that bounds the sessions of clients that are away:
// it keeps MaxQueued messages of each, of MaxQueuedBytes at most, and
// cleans up after one that expired.
type sessions struct {
	mqtt.HookBase
	srv *mqtt.Server
	log *slog.Logger

	// went numbers the clients as they went away, in order (mochi's
	// StopTime is in whole seconds): the one away longest goes first.
	mu   sync.Mutex
	went map[string]uint64
	n    uint64
	// held is, by client id, the bytes queued for a client away (the
	// client, as a client back under its id is another): counted anew
	// at each sweep, and added to as messages are queued in between, so
	// an over-count at most (expiry takes messages away unseen).
	held map[string]heldBytes
}

type heldBytes struct {
	cl      *mqtt.Client
	n       int
	refused bool // a message was not kept for the bytes, and half is not free since
}

// size is what a message held takes, as MaxQueuedBytes counts it.
func size(pk packets.Packet) int { return len(pk.TopicName) + len(pk.Payload) }

// queuedBytes counts the bytes queued for cl.
func queuedBytes(cl *mqtt.Client) int {
	n := 0
	for _, pk := range cl.State.Inflight.GetAll(false) {
		n += size(pk)
	}
	return n
}

// full reports whether a message was not kept for cl, away, for
// MaxQueuedBytes, and half of them have not been free since.
func (h *sessions) full(cl *mqtt.Client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	q, ok := h.held[cl.ID]
	return ok && q.cl == cl && q.refused
}

// recount counts anew the bytes held for the clients away, and forgets
// those back or gone (the sweep, after expiry took messages away).
func (h *sessions) recount() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, q := range h.held {
		if now, ok := h.srv.Clients.Get(id); !ok || now != q.cl || !q.cl.Closed() {
			delete(h.held, id)
			continue
		}
		// Full until half of it is free again: a queue that stays full is
		// warned of once (expire), not at every message refused.
		n := queuedBytes(q.cl)
		h.held[id] = heldBytes{cl: q.cl, n: n, refused: q.refused && n > MaxQueuedBytes/2}
	}
}

func (h *sessions) ID() string { return "cherga-sessions" }

func (h *sessions) Provides(b byte) bool {
	return b == mqtt.OnQosPublish || b == mqtt.OnClientExpired || b == mqtt.OnDisconnect
}

// OnDisconnect bounds the session of a client that went away and keeps it
// (a persistent session): what was queued for it while it was connected
// and did not read (up to maxWritesPending) is cut to the MaxQueued oldest,
// as what comes while it is away; and beyond MaxAway sessions away, those
// away longest go.
func (h *sessions) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if expire {
		// mochi drops the session itself (and keeps no other under the
		// id: one that came back with a clean session took it over).
		h.mu.Lock()
		delete(h.went, cl.ID)
		h.mu.Unlock()
		return
	}
	// Under mu: a message queued meanwhile (the client is away already)
	// is counted by OnQosPublish after this count, not overwritten by it.
	h.mu.Lock()
	defer h.mu.Unlock()
	// In the order they were queued: by the second (Created), then by
	// packet id, counted up (but past its wrap, once in 65,535).
	pks := cl.State.Inflight.GetAll(false)
	slices.SortFunc(pks, func(a, b packets.Packet) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.PacketID, b.PacketID))
	})
	held := 0
	for i, pk := range pks {
		if i >= MaxQueued || held+size(pk) > MaxQueuedBytes {
			h.drop(cl, pk.PacketID)
			continue
		}
		held += size(pk)
	}
	if h.went == nil {
		h.went, h.held = map[string]uint64{}, map[string]heldBytes{}
	}
	h.n++
	h.went[cl.ID] = h.n
	h.held[cl.ID] = heldBytes{cl: cl, n: held}
	var away []*mqtt.Client
	for _, c := range h.srv.Clients.GetAll() {
		if c.StopTime() > 0 && c.Closed() && !c.Net.Inline {
			away = append(away, c)
		}
	}
	if len(away) <= MaxAway {
		return
	}
	slices.SortFunc(away, func(a, b *mqtt.Client) int {
		return cmp.Or(cmp.Compare(a.StopTime(), b.StopTime()), cmp.Compare(h.went[a.ID], h.went[b.ID]))
	})
	for _, c := range away[:len(away)-MaxAway] {
		// Still away, and still the session under its id (not one a
		// client that came back under it took over).
		if now, ok := h.srv.Clients.Get(c.ID); !ok || now != c || !c.Closed() {
			continue
		}
		h.log.Debug("broker: too many sessions of clients that are away: the one away longest goes", "client", c.ID, "queued", c.State.Inflight.Len(), "away", MaxAway)
		h.expired(c)
		h.srv.Clients.Delete(c.ID)
	}
}

// OnQosPublish runs once a QoS 1 or 2 message is queued for a client (and
// as one is sent again): for a client that is away and has MaxQueued
// already, or MaxQueuedBytes with it, the message is taken back. mochi
// then gives up sending it, as it does for any client that is away.
// (Except to an MQTT 5 client that set a Receive Maximum and has used it
// up: mochi v2.7.9 queues the message again after this hook, up to
// maxWritesPending, for QueuedAge.)
func (h *sessions) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	if !cl.Closed() {
		return
	}
	if cl.State.Inflight.Len() > MaxQueued {
		h.drop(cl, pk.PacketID)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	q, ok := h.held[cl.ID]
	if !ok || q.cl != cl {
		// Away before the hook counted it (OnDisconnect does): count it
		// whole, this message in it.
		q = heldBytes{cl: cl, n: queuedBytes(cl) - size(pk)}
	}
	if q.n+size(pk) > MaxQueuedBytes {
		h.drop(cl, pk.PacketID)
		q.refused = true
	} else {
		q.n += size(pk)
	}
	if h.held == nil {
		h.held = map[string]heldBytes{}
	}
	h.held[cl.ID] = q
}

// drop takes the message of packet id out of cl's queue, counted as mochi
// counts a message it drops.
func (h *sessions) drop(cl *mqtt.Client, id uint16) {
	if cl.State.Inflight.Delete(id) {
		atomic.AddInt64(&h.srv.Info.Inflight, -1)
		atomic.AddInt64(&h.srv.Info.InflightDropped, 1)
	}
}

// OnClientExpired cleans up after a session that expired: mochi v2.7.9
// forgets the client (clearExpiredClients) but leaves its subscriptions in
// the topic index, so each client that came and went under a new id would
// leave its subscriptions there for good, and its queued messages counted.
func (h *sessions) OnClientExpired(cl *mqtt.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expired(cl)
}

// expired cleans up after a session that went (h.mu held).
func (h *sessions) expired(cl *mqtt.Client) {
	h.log.Debug("broker: session expired", "client", cl.ID, "queued", cl.State.Inflight.Len())
	delete(h.went, cl.ID)
	delete(h.held, cl.ID)
	cl.ClearInflights()
	h.srv.UnsubscribeClient(cl)
}
