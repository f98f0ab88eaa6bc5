package office

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A counter has counterWaiting commands waiting at most, and a resend of
// one of them (the box got no ack in 3 s: the store stalls) is let through
// beside it, resendsWaiting times: refused as busy, it would tell the
// specialist to press again a command that runs all the same (a next
// twice: a citizen called and passed over).
func TestCounterLoadLetsResendsThrough(t *testing.T) {
	var l counterLoad
	at := time.Now()
	req := func(id string) *counterReq { return &counterReq{counter: "5", id: id, at: at} }
	var waiting []*counterReq
	for i := range counterWaiting {
		r := req(fmt.Sprintf("b5-%d", i))
		require.NoError(t, l.admit(r))
		require.True(t, r.counted)
		waiting = append(waiting, r)
	}
	require.True(t, errors.Is(l.admit(req("b5-new")), errPressAgain), "a fifth command")
	for range resendsWaiting {
		r := req("b5-1")
		require.NoError(t, l.admit(r), "a resend of a command waiting")
		require.False(t, r.counted)
		waiting = append(waiting, r)
	}
	require.True(t, errors.Is(l.admit(req("b5-1")), errPressAgain), "resends beyond resendsWaiting count as commands")
	require.NoError(t, l.admit(&counterReq{counter: "6", id: "b5-1", at: at}), "another counter's")
	require.NoError(t, l.admit(&counterReq{counter: "5", score: 4, at: at}), "the rating pad's apart")

	// All served: the counter is as new.
	for _, r := range waiting {
		l.taken(*r)
	}
	require.Zero(t, l.waiting["5"])
	require.Empty(t, l.ids["5\x00b5-1"])
	r := req("b5-new")
	require.NoError(t, l.admit(r))
	require.True(t, r.counted)
}
