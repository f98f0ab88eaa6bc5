package broker

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// packetIDs is the hook that keeps a client's packet identifiers apart from
// the broker's. MQTT gives each side of a connection its own (MQTT 3.1.1
// 2.3.1, 5.0 2.2.1), but mochi v2.7.9 keeps both in one map (the client's
// Inflight), so that a client's packet with the id of a message the broker
// is delivering to it, not yet acknowledged, went wrong:
//   - a SUBSCRIBE was refused, 0x91, sent to a 3.1.1 client too (no code of
//     that version), which paho reports as success. A board subscribing to
//     its topics one after another is sent what the first ones bring while
//     it asks for the next, both sides counting from 1: it went without one
//     of its subscriptions, silently, until it reconnected (a board that
//     missed a call; BenchmarkCallToBoard failed in about one run in six);
//   - an UNSUBSCRIBE likewise, and a 3.1.1 client is not told at all: the
//     subscription stayed;
//   - a QoS 1 PUBLISH made the broker forget its delivery: not sent again
//     if the connection drops before the client acknowledges it (a
//     persistent session's), and, to an MQTT 5 client, the unit of its
//     Receive Maximum it took never given back: a client with Receive
//     Maximum 1 got nothing more after one (TestReceiveMaximumNotLost).
//
// The delivery that holds the id is set aside while the client's packet is
// processed, and put back after. Meanwhile the broker gives the id to no
// other delivery: it counts on from the last id it gave, skipping those in
// use, and would come back to this one only after all the others. A QoS 2
// PUBLISH is left as mochi has it: its flow keeps the client's id in the
// map until the client releases it, where the delivery cannot be put back.
type packetIDs struct {
	mqtt.HookBase
	mu    sync.Mutex
	aside map[*mqtt.Client]packets.Packet
}

func (h *packetIDs) ID() string { return "cherga-packet-ids" }

func (h *packetIDs) Provides(b byte) bool {
	return b == mqtt.OnPacketRead || b == mqtt.OnPacketProcessed || b == mqtt.OnDisconnect
}

// OnPacketRead sets aside the broker's delivery to cl that has the packet
// id of cl's packet pk. A PUBREC held for cl's own QoS 2 publication is
// cl's id in use, and stays.
func (h *packetIDs) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	h.putBack(cl) // a packet before, that mochi refused before processing it
	switch {
	case cl.Net.Inline,
		pk.FixedHeader.Type == packets.Publish && pk.FixedHeader.Qos != 1,
		pk.FixedHeader.Type != packets.Publish && pk.FixedHeader.Type != packets.Subscribe && pk.FixedHeader.Type != packets.Unsubscribe:
		return pk, nil
	}
	out, ok := cl.State.Inflight.Get(pk.PacketID)
	if !ok || (out.FixedHeader.Type != packets.Publish && out.FixedHeader.Type != packets.Pubrel) {
		return pk, nil
	}
	if cl.State.Inflight.Delete(pk.PacketID) {
		h.mu.Lock()
		if h.aside == nil {
			h.aside = map[*mqtt.Client]packets.Packet{}
		}
		h.aside[cl] = out
		h.mu.Unlock()
	}
	return pk, nil
}

// OnPacketProcessed puts back what OnPacketRead set aside.
func (h *packetIDs) OnPacketProcessed(cl *mqtt.Client, _ packets.Packet, _ error) { h.putBack(cl) }

// OnDisconnect puts it back for a client that went away meanwhile: its
// session keeps the delivery, to send again.
func (h *packetIDs) OnDisconnect(cl *mqtt.Client, _ error, _ bool) { h.putBack(cl) }

func (h *packetIDs) putBack(cl *mqtt.Client) {
	h.mu.Lock()
	out, ok := h.aside[cl]
	delete(h.aside, cl)
	h.mu.Unlock()
	if ok {
		cl.State.Inflight.Set(out)
	}
}
