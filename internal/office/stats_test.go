package office_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/office"
)

// stats.get says in its not_found why a day has no figures.
func TestStatsGetSaysWhyNotFound(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for day, why := range map[string]string{
		"2999-01-01": "no figures of 2999-01-01: it is still to come",
		"2000-01-03": "no figures of 2000-01-03: it is before the office's first record",
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "stats.get", Args: []byte(`{"day":"` + day + `"}`)})
		require.False(t, r.OK, day)
		require.Equal(t, "not_found", r.Error.Code, day)
		require.Equal(t, "day", r.Error.Field, day)
		require.Contains(t, r.Error.Message, why)
	}
}
