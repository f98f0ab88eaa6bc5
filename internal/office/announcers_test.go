package office_test

import (
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/internal/testkit"
)

// The voice announcers' presence ({root}/announcer/{id}, as
// cherga-announcer publishes it: cmd/cherga-announcer's tests) is listed
// in office.state, and the log says when one goes away, stops, its player
// fails, or it is back. A presence that cannot be read is reported on
// {root}/errors; an empty one (a retained message cleared) takes it off
// the list.
func TestAnnouncersInOfficeState(t *testing.T) {
	log := &testkit.Log{}
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: slog.New(slog.NewTextHandler(log, nil))}, "qms/demo/errors")
	started := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	publish := func(p audio.Presence) {
		t.Helper()
		b, err := json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, l.Publish("qms/demo/announcer/hall", b, true))
	}
	// listed waits until office.state lists want, its times in the
	// office's time zone.
	kyiv, kerr := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, kerr)
	listed := func(want ...audio.Presence) {
		t.Helper()
		if want == nil {
			want = []audio.Presence{}
		}
		want = slices.Clone(want)
		for i, p := range want {
			want[i].Started = p.Started.In(kyiv)
			if p.ErrorAt != nil {
				at := p.ErrorAt.In(kyiv)
				want[i].ErrorAt = &at
			}
		}
		w, err := json.Marshal(want)
		require.NoError(t, err)
		var got json.RawMessage
		for {
			b := officeState(t, ctx, o)
			var st struct{ Announcers json.RawMessage }
			require.NoError(t, json.Unmarshal(b, &st))
			if got = st.Announcers; string(got) == string(w) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("office.state's announcers: %s, want %s", got, w)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	listed()

	hall := audio.Presence{Online: true, ID: "cherga-announcer-demo-hall", Version: "v1", Started: started, Langs: []string{"uk", "en"}, Player: "aplay -q"}
	publish(hall)
	listed(hall)

	failed := hall
	failed.Error, failed.ErrorAt = "audio: aplay -q: exit status 1: aplay: main:831: audio open error: No such file or directory", &started
	publish(failed)
	log.Await(t, ctx, `level=WARN msg="office: a voice announcer's player failed: the calls may not be heard in its hall" announcer=cherga-announcer-demo-hall started=2026-12-04T08:00:00.000Z player="aplay -q" err="audio: aplay -q: exit status 1`, "the player's failure")
	listed(failed)
	publish(hall)
	log.Await(t, ctx, `level=INFO msg="office: a voice announcer is back" announcer=cherga-announcer-demo-hall`, "said again")

	gone := hall
	gone.Online = false
	publish(gone)
	log.Await(t, ctx, `level=WARN msg="office: a voice announcer is gone (its box switched off, its network or a crash): the calls are not said in its hall until it is back" announcer=cherga-announcer-demo-hall`, "the last will")
	listed(gone)
	publish(hall)
	require.Equal(t, 1, log.Count("a voice announcer is gone"))
	log.Await(t, ctx, `level=INFO msg="office: a voice announcer is back" announcer=cherga-announcer-demo-hall`, "back")
	listed(hall)

	// Garbage is reported, and the presence last read stays.
	require.NoError(t, l.Publish("qms/demo/announcer/hall", []byte(`{"online":tru`), false))
	_, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"announcer/hall"`, `audio: bad announcer presence`))
	require.NoError(t, err)
	listed(hall)

	// Four changes were logged this minute: the fifth is only listed.
	stopped := gone
	stopped.Stopped = true
	publish(stopped)
	listed(stopped)
	require.Zero(t, log.Count("a voice announcer stopped"), "a fifth change in a minute")
	require.NoError(t, l.Publish("qms/demo/announcer/hall", nil, true))
	listed()

	// Two announcers with one id take turns (each one's connection drops
	// the other's): said once, as soon as a start time comes back.
	yard := func(started time.Time) {
		t.Helper()
		b, err := json.Marshal(audio.Presence{Online: true, ID: "yard", Started: started})
		require.NoError(t, err)
		require.NoError(t, l.Publish("qms/demo/announcer/yard", b, true))
	}
	for i := range 6 {
		yard(started.Add(time.Duration(i%2) * time.Hour))
	}
	twins := `level=ERROR msg="office: two voice announcers run with one id: each one's connection to the broker drops the other's, and the office sees them come and go; give each its own -id" announcer=yard topic=qms/demo/announcer/yard`
	log.Await(t, ctx, twins, "twins")
	listed(audio.Presence{Online: true, ID: "yard", Started: started.Add(time.Hour)})
	require.Equal(t, 1, log.Count("two voice announcers run with one id"))

	// As the office stops, its embedded broker closes the announcers'
	// connections and publishes their last wills: none went away.
	c := paho.NewClient(paho.NewClientOptions().AddBroker(o.BrokerURL()).SetClientID("gate").
		SetBinaryWill("qms/demo/announcer/gate", []byte(`{"online":false,"id":"gate"}`), 1, true))
	require.True(t, c.Connect().WaitTimeout(10*time.Second))
	defer c.Disconnect(0)
	require.NoError(t, o.Close())
	require.Zero(t, log.Count("announcer=gate"), "%s", log)
}
