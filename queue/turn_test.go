package queue

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// turnByCalls is turn by its definition: every call of every counter, in
// order, until the one that comes for the citizen.
func turnByCalls(free []time.Duration, per time.Duration, ahead int) time.Duration {
	var calls []time.Duration
	for _, f := range free {
		for m := 0; m <= ahead; m++ {
			calls = append(calls, f+time.Duration(m)*per)
		}
	}
	slices.Sort(calls)
	return calls[ahead]
}

func TestTurn(t *testing.T) {
	const m = time.Minute
	// Two idle counters, one with two tickets held for it: the other one
	// calls the next two.
	require.Equal(t, 0*m, turn([]time.Duration{0, 20 * m}, 10*m, 0))
	require.Equal(t, 10*m, turn([]time.Duration{0, 20 * m}, 10*m, 1))
	require.Equal(t, 20*m, turn([]time.Duration{0, 20 * m}, 10*m, 2))
	require.Equal(t, 20*m, turn([]time.Duration{0, 20 * m}, 10*m, 3))
	require.Equal(t, 30*m, turn([]time.Duration{0, 20 * m}, 10*m, 4))

	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(6)
		per := time.Duration(1+r.IntN(20)) * m
		free := make([]time.Duration, n)
		for i := range free {
			free[i] = time.Duration(r.Int64N(int64(4 * per)))
		}
		slices.Sort(free)
		ahead := r.IntN(40)
		require.Equal(t, turnByCalls(free, per, ahead), turn(free, per, ahead), "free %v per %v ahead %d", free, per, ahead)
	}
}
