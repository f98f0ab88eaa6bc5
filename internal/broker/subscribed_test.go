package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"qms/demo/announce", "qms/demo/announce", true},
		{"qms/demo/#", "qms/demo/announce", true},
		{"qms/+/announce", "qms/demo/announce", true},
		{"#", "qms/demo/announce", true},
		{"qms/demo/+", "qms/demo/board/1", false},
		{"qms/demo/announce/#", "qms/demo/announce", true},
		{"qms/other/#", "qms/demo/announce", false},
		{"$share/g/qms/demo/announce", "qms/demo/announce", true},
		{"qms/demo", "qms/demo/announce", false},
	} {
		require.Equal(t, tc.want, matches(tc.filter, tc.topic), "%s %s", tc.filter, tc.topic)
	}
}

// Subscribed waits for a network client's subscription that matches; the
// controller's own in-process subscriptions do not count.
func TestSubscribed(t *testing.T) {
	b, err := Start("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.Subscribe("qms/demo/#", func(string, []byte) {}))
	ch := b.Subscribed("qms/demo/announce")
	select {
	case <-ch:
		t.Fatal("an in-process subscription counted")
	default:
	}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("t"))
	require.True(t, c.Connect().WaitTimeout(5*time.Second))
	defer c.Disconnect(100)
	require.True(t, c.Subscribe("qms/+/announce", 1, nil).WaitTimeout(5*time.Second))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the subscription was not seen")
	}
	select {
	case <-b.Subscribed("qms/demo/announce"):
	default:
		t.Fatal("a subscription made before is seen at once")
	}
}

// A client subscribing to ever new filters does not grow the filters kept
// for the controller's wait without bound.
func TestSubscribedFiltersBounded(t *testing.T) {
	h := new(subscribers)
	for i := range 3 * maxFilters {
		pk := packets.Packet{Filters: packets.Subscriptions{{Filter: fmt.Sprintf("flood/%d", i)}}}
		h.OnSubscribed(&mqtt.Client{}, pk, nil)
	}
	h.OnSubscribed(&mqtt.Client{}, packets.Packet{Filters: packets.Subscriptions{{Filter: strings.Repeat("x/", 1000) + "#"}}}, nil)
	require.Len(t, h.filters, maxFilters)
	// A subscription that matches a wait still ends it.
	ch := h.wait("qms/demo/announce")
	h.OnSubscribed(&mqtt.Client{}, packets.Packet{Filters: packets.Subscriptions{{Filter: "qms/demo/#"}}}, nil)
	select {
	case <-ch:
	default:
		t.Fatal("the wait did not end")
	}
}
