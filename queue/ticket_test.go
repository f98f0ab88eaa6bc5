package queue

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A label as a person types it finds the ticket it names: spaces, case,
// leading zeros and Latin lookalikes do not count, and a label in Latin
// letters as the English text writes it (P003 for П003) names its
// ticket; of a label repeated after a wrap, the waiting ticket is meant,
// else the latest.
func TestTyped(t *testing.T) {
	old := &Ticket{ID: 1, Label: "А001", State: Done}
	waiting := &Ticket{ID: 5, Label: "А001", State: Waiting}
	later := &Ticket{ID: 9, Label: "А001", State: NoShow}
	other := &Ticket{ID: 7, Label: "Б001", State: Waiting}
	pension := &Ticket{ID: 11, Label: "П003", State: Waiting}
	employment := &Ticket{ID: 12, Label: "Ц001", State: Waiting}
	registry := &Ticket{ID: 13, Label: "Р003", State: Waiting}
	shch := &Ticket{ID: 14, Label: "Щ012", State: Waiting}
	hTicket := &Ticket{ID: 15, Label: "Г015", State: Waiting}
	yi := &Ticket{ID: 16, Label: "И001", State: Waiting}
	yot := &Ticket{ID: 17, Label: "Й001", State: Waiting}
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
		{"P003", []*Ticket{old, pension}, pension},
		{"p3", []*Ticket{pension, employment}, pension},
		{"Ts001", []*Ticket{old, pension, employment}, employment},
		{"TS 1", []*Ticket{employment}, employment},
		{"Shch12", []*Ticket{employment, shch}, shch},
		{"B001", []*Ticket{other}, other},
		// A lookalike comes first: P is Р, which the English text writes R.
		{"P003", []*Ticket{pension, registry}, registry},
		{"R003", []*Ticket{pension, registry}, registry},
		// Cyrillic typed is never taken for a transliteration.
		{"Ц003", []*Ticket{pension}, nil},
		{"P004", []*Ticket{pension}, nil},
		{"H015", []*Ticket{hTicket}, hTicket}, // Г is H in the English text
		// Two labels the English text writes alike: neither is guessed.
		{"Y001", []*Ticket{yi, yot}, nil},
		{"Y001", []*Ticket{yi}, yi},
	} {
		require.Same(t, tc.want, typed(tc.typed, slices.Values(tc.tickets), nil), tc.typed)
	}
	// A Latin letter that looks like the prefix of a service names that
	// service's ticket, issued or not: H015 is Н015, not Г015.
	cyrillicN := func(p string) bool { return p == "Н" }
	require.Nil(t, typed("H015", slices.Values([]*Ticket{hTicket}), cyrillicN))
	require.Same(t, pension, typed("P003", slices.Values([]*Ticket{pension}), cyrillicN))
}
