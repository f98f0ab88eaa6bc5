package queue

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A label as a person types it finds the ticket it names: spaces, case,
// leading zeros and Latin lookalikes do not count; of a label repeated
// after a wrap, the waiting ticket is meant, else the latest.
func TestTyped(t *testing.T) {
	old := &Ticket{ID: 1, Label: "А001", State: Done}
	waiting := &Ticket{ID: 5, Label: "А001", State: Waiting}
	later := &Ticket{ID: 9, Label: "А001", State: NoShow}
	other := &Ticket{ID: 7, Label: "Б001", State: Waiting}
	for _, tc := range []struct {
		typed   string
		tickets []*Ticket
		want    *Ticket
	}{
		{"А001", []*Ticket{old, waiting, later, other}, waiting},
		{" a1 ", []*Ticket{later, other, waiting, old}, waiting},
		{"A001", []*Ticket{old, later}, later},
		{"А01", []*Ticket{later, old}, later},
		{"б001", []*Ticket{old, other}, other},
		{"В001", []*Ticket{old, waiting, other}, nil},
		{"А002", []*Ticket{old}, nil},
	} {
		require.Same(t, tc.want, typed(tc.typed, slices.Values(tc.tickets)), tc.typed)
	}
}
