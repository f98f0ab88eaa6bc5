package broker

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// What a network client's publication may make the broker hold: the
// office's devices send a press or a command of under 1 KiB, and only an
// administrator a whole configuration. A client that sends megabytes, to
// any topic, would otherwise have them queued for every subscriber that
// reads slowly (maxWritesPending each), and kept for good when retained.
const (
	// maxClientPayload is the largest publication a network client may
	// send to a topic other than an administration door ({root}/admin/req,
	// {root}/read/req): a larger one is acknowledged and dropped.
	maxClientPayload = 16 << 10
	// maxRetained is how many topics may hold a retained message: beyond
	// it a network client's retained publication on a new topic is
	// delivered, not kept. The controller's own (boards, figures, status)
	// are always kept.
	maxRetained = 8192
	// maxTopic is the longest topic name or filter of a network client:
	// the office's are under a hundred bytes (qms/{site}/counter/{id}/cmd,
	// an AWTRIX prefix), and MQTT's own limit, 64 KiB, let one client keep
	// a gigabyte of retained topic names (8192 of them) or subscriptions.
	// A publication to a longer one is dropped, a subscription refused.
	maxTopic = 256
	// maxSubscriptions is how many filters one network client may
	// subscribe to: a board, a box, a dashboard take a few.
	maxSubscriptions = 256
)

// clientLimits applies maxClientPayload and maxRetained to the network
// clients' publications; the controller's, in-process, pass.
type clientLimits struct {
	mqtt.HookBase
	srv *mqtt.Server
	log *slog.Logger

	mu     sync.Mutex
	warned time.Time // when a refusal was last logged
}

func (h *clientLimits) ID() string { return "cherga-client-limits" }

func (h *clientLimits) Provides(b byte) bool {
	return b == mqtt.OnPublish || b == mqtt.OnWill || b == mqtt.OnSubscribe
}

func (h *clientLimits) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	if len(pk.TopicName) > maxTopic {
		h.warn("broker: a client's publication is to a topic longer than the office's: dropped", cl, pk)
		return pk, packets.CodeSuccessIgnore
	}
	if len(pk.Payload) == 0 { // an empty one clears a retained message
		return pk, nil
	}
	if pk.FixedHeader.Retain && isInput(pk.TopicName) {
		h.warn(msgInputRetained, cl, pk)
		pk.FixedHeader.Retain = false
	}
	door := strings.HasSuffix(pk.TopicName, "/admin/req") || strings.HasSuffix(pk.TopicName, "/read/req")
	switch {
	case len(pk.Payload) > maxClientPayload && !door:
		h.warn("broker: a client's publication is larger than the office's devices send: dropped", cl, pk)
		return pk, packets.CodeSuccessIgnore
	case pk.FixedHeader.Retain && len(pk.Payload) > maxClientPayload:
		h.warn("broker: a client's retained publication is larger than the office's devices send: delivered, not kept", cl, pk)
		pk.FixedHeader.Retain = false
	case pk.FixedHeader.Retain && h.srv.Topics.Retained.Len() >= maxRetained:
		if _, kept := h.srv.Topics.Retained.Get(pk.TopicName); !kept {
			h.warn("broker: too many topics hold a retained message: a client's new one is delivered, not kept", cl, pk)
			pk.FixedHeader.Retain = false
		}
	}
	return pk, nil
}

// msgInputRetained is the warning of a retained message on an input.
const msgInputRetained = "broker: a client's retained publication to an input of the controller (a press, a command, a request): delivered, not kept (kept, it would be handed to every client that subscribes, as a press or command again)"

// isInput reports whether topic is an input of a controller:
// qms/{site}/kiosk/{k}/press, qms/{site}/counter/{c}/cmd or /rating, or a
// request at one of its doors, qms/{site}/{admin,read,book}/req
// (office.Start subscribes to them). A message there happens when it is
// sent: a retained copy would be handed to every client that subscribes
// later (a dashboard; a controller started again, which refuses it), and
// the broker does not keep one.
func isInput(topic string) bool {
	p := strings.Split(topic, "/")
	switch {
	case p[0] != "qms":
		return false
	case len(p) == 5:
		return p[2] == "kiosk" && p[4] == "press" || p[2] == "counter" && (p[4] == "cmd" || p[4] == "rating")
	case len(p) == 4:
		return p[3] == "req" && (p[2] == "admin" || p[2] == "read" || p[2] == "book")
	}
	return false
}

// OnWill applies the same bounds to a client's last will, which mochi
// retains without OnPublish: a device that connects under ever new ids
// with a retained will of 64 KiB would otherwise grow the controller's
// memory a will at a time. A will over maxClientPayload, or on a new topic
// beyond maxRetained, is delivered, not kept.
func (h *clientLimits) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if !will.Retain || cl.Net.Inline || len(will.Payload) == 0 {
		return will, nil
	}
	switch {
	case isInput(will.TopicName):
		h.warn(msgInputRetained, cl, packets.Packet{TopicName: will.TopicName, Payload: will.Payload})
		will.Retain = false
	case len(will.TopicName) > maxTopic:
		h.warn("broker: a client's retained last will is to a topic longer than the office's: delivered, not kept", cl, packets.Packet{TopicName: will.TopicName, Payload: will.Payload})
		will.Retain = false
	case len(will.Payload) > maxClientPayload:
		h.warn("broker: a client's retained last will is larger than the office's devices send: delivered, not kept", cl, packets.Packet{TopicName: will.TopicName, Payload: will.Payload})
		will.Retain = false
	case h.srv.Topics.Retained.Len() >= maxRetained:
		if _, kept := h.srv.Topics.Retained.Get(will.TopicName); !kept {
			h.warn("broker: too many topics hold a retained message: a client's new last will is delivered, not kept", cl, packets.Packet{TopicName: will.TopicName, Payload: will.Payload})
			will.Retain = false
		}
	}
	return will, nil
}

// OnSubscribe refuses a network client's filter longer than maxTopic, and
// those beyond its maxSubscriptions: each gets a failure code (0x80 under
// MQTT 3.1.1), as a filter mochi finds invalid does.
func (h *clientLimits) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
	n := cl.State.Subscriptions.Len()
	filters := make(packets.Subscriptions, len(pk.Filters))
	for i, sub := range pk.Filters {
		_, has := cl.State.Subscriptions.Get(sub.Filter)
		switch {
		case len(sub.Filter) > maxTopic:
			h.warn("broker: a client's subscription is to a filter longer than the office's topics: refused", cl, packets.Packet{TopicName: sub.Filter})
			sub.Filter = refusedFilter
		case !has && n >= maxSubscriptions:
			h.warn(fmt.Sprintf("broker: a client subscribes to more than %d filters: refused", maxSubscriptions), cl, packets.Packet{TopicName: sub.Filter})
			sub.Filter = refusedFilter
		case !has:
			n++
		}
		filters[i] = sub
	}
	pk.Filters = filters
	return pk
}

// refusedFilter stands for a filter OnSubscribe refuses: no valid filter
// (a # must end one), so mochi answers it with a failure code.
const refusedFilter = "#/refused"

// warn logs a refusal, once a minute at most: a client that floods must not
// flood the journal too.
func (h *clientLimits) warn(msg string, cl *mqtt.Client, pk packets.Packet) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); now.Sub(h.warned) >= time.Minute {
		h.warned = now
		h.log.Warn(msg, "client", cl.ID, "remote", cl.Net.Remote, "topic", truncateTopic(pk.TopicName), "bytes", len(pk.Payload))
	}
}

func truncateTopic(t string) string {
	if len(t) > 200 {
		return t[:200] + "…"
	}
	return t
}
