package bus_test

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/internal/testkit"
)

// A connection lost again and again (another client connecting as this
// one, twice a second, for good) is logged alone the first times, then in
// one error line a minute that counts the losses: not a warning and a
// line of the reconnection for each, which would fill the journal.
func TestLostAgainAndAgain(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	var log testkit.Log
	_, connected := connectWith(t, runOpts(bus.Opts{URL: srv.URL}, "r1"), &log)
	await(t, connected, "not connected")
	const intrusions = 8
	for i := range intrusions {
		kicked := make(chan struct{})
		o := paho.NewClientOptions().AddBroker(srv.URL).SetClientID("cherga-t").SetAutoReconnect(false).SetConnectRetry(false).
			SetConnectionLostHandler(func(paho.Client, error) { close(kicked) })
		c := paho.NewClient(o)
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(5*time.Second), "intrusion %d", i)
		require.NoError(t, tok.Error())
		await(t, connected, "the controller did not take its client id back")
		await(t, kicked, "the intruder was not thrown off")
		// The controller's reconnection ends after its connection: an
		// intrusion before that is a loss during the reconnection, which
		// waits a second, then two, four… (as twins taking turns do).
		time.Sleep(100 * time.Millisecond)
		c.Disconnect(0)
	}
	require.Equal(t, 3, log.Count("bus: connection lost; reconnecting"), log.String())
	require.Equal(t, 3, log.Count("bus: connected to the broker again"), log.String())
	require.Equal(t, 1, log.Count("the connection to the broker is lost again and again"), log.String())
	require.Equal(t, 1, log.Count("losses_last_minute=4"), log.String())
}
