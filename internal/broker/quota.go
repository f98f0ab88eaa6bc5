package broker

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// receiveMaximum is the hook that keeps mochi v2.7.9 to an MQTT 5 client's
// Receive Maximum, the number of QoS 1 messages the client takes
// unacknowledged (mosquitto_sub -V 5 says 20; MQTT 3.1.1 clients have
// none). Once that many are out, mochi holds the next ones and sends one
// as each acknowledgement comes, but forgets it as it sends it: its
// acknowledgement found nothing, the unit of the client's allowance was
// never given back, and after a burst larger than the allowance the client
// got no QoS 1 message again for the rest of its connection (the calls,
// the boards, the events). And a client back to its persistent session was
// sent the held messages at once and then again, one per acknowledgement.
//
// It notes each held message as mochi sends it, and gives the unit back
// when the client acknowledges one mochi forgot; a held message sent again
// at a reconnection is held no longer (mochi tracks it as any other). Left
// as mochi has them: QoS 2, and the order of the held messages (by the
// second each came, in no order within one).
type receiveMaximum struct {
	mqtt.HookBase
	mu   sync.Mutex
	sent map[*mqtt.Client]map[uint16]bool // held messages sent, and forgotten
}

func (h *receiveMaximum) ID() string { return "cherga-receive-maximum" }

func (h *receiveMaximum) Provides(b byte) bool {
	return b == mqtt.OnPacketSent || b == mqtt.OnPacketRead || b == mqtt.OnDisconnect
}

// OnPacketSent notes a held message sent: mochi holds one with an Expiry of
// -1.
func (h *receiveMaximum) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos != 1 || pk.Expiry >= 0 {
		return
	}
	if pk.FixedHeader.Dup {
		// Sent again at a reconnection (ResendInflightMessages), and
		// still held: tracked from now on as one sent, not sent again.
		if held, ok := cl.State.Inflight.Get(pk.PacketID); ok && held.Expiry < 0 {
			held.Expiry = 0
			cl.State.Inflight.Set(held)
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sent == nil {
		h.sent = map[*mqtt.Client]map[uint16]bool{}
	}
	if h.sent[cl] == nil {
		h.sent[cl] = map[uint16]bool{}
	}
	h.sent[cl][pk.PacketID] = true
}

// OnPacketRead gives back the unit of an acknowledged message that mochi
// sent from its hold and forgot.
func (h *receiveMaximum) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Puback {
		return pk, nil
	}
	h.mu.Lock()
	noted := h.sent[cl][pk.PacketID]
	delete(h.sent[cl], pk.PacketID)
	h.mu.Unlock()
	if _, tracked := cl.State.Inflight.Get(pk.PacketID); noted && !tracked {
		cl.State.Inflight.IncreaseSendQuota()
	}
	return pk, nil
}

// OnDisconnect forgets the client's notes: its next connection has an
// allowance of its own.
func (h *receiveMaximum) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.mu.Lock()
	delete(h.sent, cl)
	h.mu.Unlock()
}
