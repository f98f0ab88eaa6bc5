//go:build race

package broker

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// addRaceHooks adds, to a broker built for the race detector, retainOrder.
//
// It is left out of other builds: its lock is held across mochi's write of
// a SUBACK, which blocks (up to mochi's 5 s write timeout) while a client
// that stopped reading has a full socket, and every retained publication
// of the controller (the boards) waits behind it: one misbehaving client
// on the office's network would freeze the boards. The race it keeps
// apart writes the same topic name again, harmless outside the race
// detector's report.
// The lock it returns is retainOrder's, which Subscribe takes for the
// in-process subscriptions' retained scans.
func addRaceHooks(srv *mqtt.Server) (sync.Locker, error) {
	h := new(retainOrder)
	return &h.mu, srv.AddHook(h, nil)
}

// retainOrder keeps the broker's retained publications and the retained
// scans of new subscriptions apart, with a mutex held across each.
//
// mochi v2.7.9 writes a topic's retain path under the topic index's lock
// (TopicsIndex.RetainMessage) but a new subscription reads it without one
// (scanMessages, after the SUBACK is sent), so a retained publish and a
// subscription of two clients race: harmless in practice (the same topic
// name is written again), but a data race the race detector reports.
//
// The lock is held from OnSubscribe to OnPacketProcessed of a network
// client's subscription (in between mochi only answers that client), and
// from OnPublish to OnPacketProcessed of a retained publication, the
// controller's in-process ones included (mochi calls both for every publish
// it processes, and no other hook of this broker rejects one in between).
// The in-process client's subscriptions have no OnPacketProcessed: the
// broker's Subscribe holds the lock across them and their retained scan
// (the voice announcers' presence is retained, and they reconnect as the
// controller starts). The wills of clients that went away (retained
// without a publish) are left out. A subscription handler that published
// a retained message itself, synchronously, would wait for itself: the
// controller's handlers publish none.
type retainOrder struct {
	mqtt.HookBase
	mu sync.Mutex
}

func (h *retainOrder) ID() string { return "cherga-retain-order" }

func (h *retainOrder) Provides(b byte) bool {
	return b == mqtt.OnSubscribe || b == mqtt.OnPublish || b == mqtt.OnPacketProcessed
}

// OnSubscribe runs before a subscription's retained scan.
func (h *retainOrder) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if !cl.Net.Inline {
		h.mu.Lock()
	}
	return pk
}

// OnPublish runs before a publication is retained and delivered.
func (h *retainOrder) OnPublish(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain {
		h.mu.Lock()
	}
	return pk, nil
}

// OnPacketProcessed runs after either, whatever became of the packet.
func (h *retainOrder) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, _ error) {
	switch {
	case pk.FixedHeader.Type == packets.Subscribe && !cl.Net.Inline,
		pk.FixedHeader.Type == packets.Publish && pk.FixedHeader.Retain:
		h.mu.Unlock()
	}
}
