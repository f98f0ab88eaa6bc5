package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// msg is a paho.Message as the client hands one over.
type msg struct {
	topic    string
	payload  string
	retained bool
}

func (m msg) Duplicate() bool   { return false }
func (m msg) Qos() byte         { return 1 }
func (m msg) Retained() bool    { return m.retained }
func (m msg) Topic() string     { return m.topic }
func (m msg) MessageID() uint16 { return 0 }
func (m msg) Payload() []byte   { return []byte(m.payload) }
func (m msg) Ack()              {}

// The broker may deliver a subscription's retained message after a live
// publish on its topic: the live one stays the topic's last, and a retained
// one is the last again on a new connection (the broker's current state).
func TestListenerKeepsTheLiveMessage(t *testing.T) {
	l := &Listener{last: map[string]Message{}, live: map[string]bool{}, signal: make(chan struct{})}
	l.receive(nil, msg{"qms/demo/load", `{"paused":true}`, false})
	l.receive(nil, msg{"qms/demo/load", `{"paused":false}`, true})
	last, ok := l.Last("qms/demo/load")
	require.True(t, ok)
	require.Equal(t, `{"paused":true}`, string(last.Payload))
	require.Len(t, l.Messages("qms/demo/load"), 2, "both are kept in the history")

	clear(l.live) // reconnected
	l.receive(nil, msg{"qms/demo/load", `{"paused":false}`, true})
	last, _ = l.Last("qms/demo/load")
	require.Equal(t, `{"paused":false}`, string(last.Payload))
}

// The answers to requests, a topic each, are not kept as their topics'
// last: a simulator left running for good would keep them all. Wait still
// finds them.
func TestListenerKeepsNoAnswerAsLast(t *testing.T) {
	l := &Listener{last: map[string]Message{}, live: map[string]bool{}, signal: make(chan struct{})}
	for i := range 100 {
		l.receive(nil, msg{fmt.Sprintf("qms/demo/read/res/r%d", i), `{"ok":true}`, false})
	}
	l.receive(nil, msg{"qms/demo/load", `{"paused":false}`, false})
	l.receive(nil, msg{"qms/res/hall", `{}`, false}) // a site named res
	l.receive(nil, msg{"qms/demo/kiosk/res/ticket", `{}`, false})
	require.Len(t, l.last, 3)
	require.Len(t, l.live, 3)
	m, err := l.WaitAfter(context.Background(), 0, "qms/demo/read/res/r7", nil)
	require.NoError(t, err)
	require.Equal(t, `{"ok":true}`, string(m.Payload))
}
