package sim_test

import (
	"testing"

	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/sim"
)

// A filter the broker refuses is an error of Listen, naming it: paho
// reports the refusal (SUBACK 0x80) as success, and a listener would wait
// for messages that never come.
func TestListenRefused(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{Ledger: &auth.Ledger{
		Auth: auth.AuthRules{{Allow: true}},
		ACL:  auth.ACLRules{{Filters: auth.Filters{"qms/t/board/#": auth.ReadOnly, "qms/t/#": auth.Deny}}},
	}})
	l, err := sim.Listen(srv.URL, "qms/t/board/#")
	require.NoError(t, err)
	l.Close()
	_, err = sim.Listen(srv.URL, "qms/t/board/#", "qms/t/hall")
	require.ErrorIs(t, err, bus.ErrSubscriptionRefused)
	require.ErrorContains(t, err, "qms/t/hall")
}
