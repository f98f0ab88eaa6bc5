package sim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cherga/cherga/internal/bus"
)

// Message is one MQTT message a Listener received.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	// QoS is the QoS it came at: the lower of its publisher's and the
	// listener's subscription's (1).
	QoS byte
	At  time.Time
}

// Listener stands in for the boards and the announcer: it subscribes to
// topics over a real MQTT connection and keeps what arrives, so a test can
// wait for a message and the simulator can show it.
type Listener struct {
	c paho.Client

	mu   sync.Mutex
	msgs []Message // the latest maxKept at most
	base int       // how many older messages were dropped
	last map[string]Message
	// live are the topics that had a message published while this
	// connection listened: a retained one the broker sends after it (its
	// delivery of the subscription's retained messages can come after a
	// live publish) is older, and is not the topic's last.
	live   map[string]bool
	signal chan struct{}
	hooks  []func(Message)
}

var listenerID atomic.Int64

// maxKept bounds the history of a long-running listener (the simulator).
const maxKept = 4096

// Listen connects to the broker at url and subscribes to filters (at least
// one, e.g. "qms/demo/#").
func Listen(url string, filters ...string) (*Listener, error) {
	l := &Listener{last: map[string]Message{}, live: map[string]bool{}, signal: make(chan struct{})}
	id := fmt.Sprintf("cherga-sim-listener-%d-%d", time.Now().UnixNano(), listenerID.Add(1))
	// Subscribe on every connect (the broker may restart), and only there:
	// a second subscription of the same filter makes the broker send its
	// retained messages again. The first connect says when it is done.
	ready := make(chan error, 1)
	// A press or command Publish gave up on is not sent again when the
	// link comes back (NoStore): it would act late, as docs/mqtt.md's
	// *Sent late* warns a device.
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
		SetAutoReconnect(true).SetStore(bus.NoStore{}).SetConnectTimeout(5 * time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			l.mu.Lock()
			clear(l.live) // a new connection: its retained messages are current
			l.mu.Unlock()
			var err error
			subs := map[string]byte{}
			for _, f := range filters {
				subs[f] = 1
			}
			if tok := c.SubscribeMultiple(subs, l.receive); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				err = fmt.Errorf("sim: subscribe %v: %v", filters, tok.Error())
			} else {
				for _, f := range filters {
					if e := bus.CheckGrant(tok, f); e != nil {
						err = fmt.Errorf("sim: subscribe %s: %w", f, e)
						break
					}
				}
			}
			select {
			case ready <- err:
			default:
			}
		})
	l.c = paho.NewClient(opts)
	if tok := l.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("sim: listen on %s: %v", url, tok.Error())
	}
	select {
	case err := <-ready:
		if err != nil {
			l.c.Disconnect(0)
			return nil, err
		}
	case <-time.After(10 * time.Second):
		l.c.Disconnect(0)
		return nil, fmt.Errorf("sim: listen on %s: subscriptions not confirmed", url)
	}
	return l, nil
}

func (l *Listener) receive(_ paho.Client, m paho.Message) {
	msg := Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), QoS: m.Qos(), At: time.Now()}
	l.mu.Lock()
	l.msgs = append(l.msgs, msg)
	if len(l.msgs) > maxKept {
		drop := len(l.msgs) - maxKept/2
		l.msgs = append([]Message(nil), l.msgs[drop:]...)
		l.base += drop
	}
	// An answer has a topic of its own for each request: kept, one a
	// request, the last ones would grow a simulator left running for good.
	if !isAnswer(msg.Topic) {
		if !msg.Retained || !l.live[msg.Topic] {
			l.last[msg.Topic] = msg
		}
		if !msg.Retained {
			l.live[msg.Topic] = true
		}
	}
	close(l.signal)
	l.signal = make(chan struct{})
	hooks := l.hooks
	l.mu.Unlock()
	for _, f := range hooks {
		f(msg)
	}
}

// isAnswer reports whether topic is the answer to one request
// (qms/{site}/admin/res/{id}, read/res, book/res), which has a topic of
// its own: Last has none of them (Wait finds them in the history).
func isAnswer(topic string) bool {
	p := strings.Split(topic, "/")
	return len(p) == 5 && p[0] == "qms" && p[3] == "res" && (p[2] == "admin" || p[2] == "read" || p[2] == "book")
}

// OnMessage calls f for every message received from now on, in order, on
// the listener's goroutine: f must not block.
func (l *Listener) OnMessage(f func(Message)) {
	l.mu.Lock()
	l.hooks = append(l.hooks[:len(l.hooks):len(l.hooks)], f)
	l.mu.Unlock()
}

// Last is the latest message on topic.
func (l *Listener) Last(topic string) (Message, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.last[topic]
	return m, ok
}

// Messages returns every message received on topics with that prefix, in
// arrival order.
func (l *Listener) Messages(prefix string) []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Message
	for _, m := range l.msgs {
		if strings.HasPrefix(m.Topic, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// Wait returns the first message on topic (received at any time, earlier
// ones included) for which match returns true; it gives up when ctx ends.
func (l *Listener) Wait(ctx context.Context, topic string, match func(Message) bool) (Message, error) {
	return l.WaitAfter(ctx, 0, topic, match)
}

// Mark is where the messages received so far end, for WaitAfter.
func (l *Listener) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base + len(l.msgs)
}

// WaitAfter is Wait for the messages received after mark (Mark) only.
func (l *Listener) WaitAfter(ctx context.Context, mark int, topic string, match func(Message) bool) (Message, error) {
	seen := mark
	for {
		l.mu.Lock()
		msgs, signal := l.msgs[max(seen-l.base, 0):], l.signal
		seen = l.base + len(l.msgs)
		l.mu.Unlock()
		for _, m := range msgs {
			if m.Topic == topic && (match == nil || match(m)) {
				return m, nil
			}
		}
		select {
		case <-signal:
		case <-ctx.Done():
			last, _ := l.Last(topic)
			return Message{}, fmt.Errorf("sim: no matching message on %s (last: %q): %w", topic, last.Payload, ctx.Err())
		}
	}
}

// Publish sends a message, as a device would.
func (l *Listener) Publish(topic string, payload []byte, retained bool) error {
	tok := l.c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		return fmt.Errorf("sim: publish %s: no answer", topic)
	}
	return tok.Error()
}

// ClearRetained removes the retained messages this listener saw, so a
// shared broker (Mosquitto in CI) does not keep a test's state.
func (l *Listener) ClearRetained() {
	l.mu.Lock()
	var topics []string
	for t, m := range l.last {
		if m.Retained || len(m.Payload) > 0 {
			topics = append(topics, t)
		}
	}
	l.mu.Unlock()
	for _, t := range topics {
		l.c.Publish(t, 1, true, []byte{}).WaitTimeout(2 * time.Second)
	}
}

// Close disconnects.
func (l *Listener) Close() { l.c.Disconnect(100) }
