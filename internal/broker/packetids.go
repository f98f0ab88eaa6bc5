package broker

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// packetIDs is the hook that keeps a client's packet identifiers apart from
// the broker's. MQTT gives each side of a connection its own (MQTT 3.1.1
// 2.3.1, 5.0 2.2.1), but mochi v2.7.9 keeps both in one map (the client's
// Inflight), and refuses a SUBSCRIBE whose packet id is that of a message
// it is delivering to the client, not yet acknowledged: 0x91, sent to a
// 3.1.1 client too (no code of that version), and paho reports success.
// A board subscribing to its topics one after another is sent what the
// first ones bring while it asks for the next, both sides counting from 1:
// it went without one of its subscriptions, silently, until it reconnected
// (a board that missed a call; BenchmarkCallToBoard failed in about one
// run in six, and the announcer checks the grant and tries again).
//
// The delivery that holds the id is set aside while the SUBSCRIBE is
// processed (mochi calls OnSubscribe, checks the id, subscribes, calls
// OnSubscribed, with no return in between) and put back before the
// SUBACK goes out. Meanwhile the broker gives the id to no other delivery:
// it counts on from the last id it gave, skipping those in use, and would
// come back to this one only after all the others.
//
// Left as mochi has them: an UNSUBSCRIBE with such an id (checked before
// any hook runs; a 3.1.1 client is not told, and the subscription stays),
// and a QoS 1 PUBLISH with one, after which the broker forgets its own
// delivery (already written: it is not sent again if the connection drops
// before the client acknowledges it).
type packetIDs struct {
	mqtt.HookBase
	mu    sync.Mutex
	aside map[*mqtt.Client]packets.Packet
}

func (h *packetIDs) ID() string { return "cherga-packet-ids" }

func (h *packetIDs) Provides(b byte) bool {
	return b == mqtt.OnSubscribe || b == mqtt.OnSubscribed
}

// OnSubscribe sets aside the broker's delivery to cl that has the packet id
// of cl's SUBSCRIBE. A PUBREC held for cl's own QoS 2 publication is cl's
// id in use, and stays.
func (h *packetIDs) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
	out, ok := cl.State.Inflight.Get(pk.PacketID)
	if !ok || (out.FixedHeader.Type != packets.Publish && out.FixedHeader.Type != packets.Pubrel) {
		return pk
	}
	if cl.State.Inflight.Delete(pk.PacketID) {
		h.mu.Lock()
		if h.aside == nil {
			h.aside = map[*mqtt.Client]packets.Packet{}
		}
		h.aside[cl] = out
		h.mu.Unlock()
	}
	return pk
}

// OnSubscribed puts back what OnSubscribe set aside.
func (h *packetIDs) OnSubscribed(cl *mqtt.Client, _ packets.Packet, _ []byte) {
	h.mu.Lock()
	out, ok := h.aside[cl]
	delete(h.aside, cl)
	h.mu.Unlock()
	if ok {
		cl.State.Inflight.Set(out)
	}
}
