package queue

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fill sets every field of the struct v points to to a random non-zero
// value, so that a field the hand-written encoder forgets is seen.
func fill(rng *rand.Rand, v reflect.Value) {
	strs := []string{"А023", "social", "з \"лапками\" і \\", "line\nbreak\t\x01", "<b>&</b>", "\xff\xfe bad utf-8", "вікно п'ять", "\u2028"}
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue // no JSON's
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(strs[rng.IntN(len(strs))])
		case reflect.Int:
			f.SetInt(int64(rng.IntN(2000)) - 1000 + 1)
		case reflect.Uint64:
			f.SetUint(rng.Uint64() | 1)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				loc := time.FixedZone("", 3600*(rng.IntN(25)-12))
				f.Set(reflect.ValueOf(time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(loc)))
			}
		case reflect.Pointer:
			if f.Type().Elem().Kind() == reflect.Struct { // the ticket, a booking
				p := reflect.New(f.Type().Elem())
				fill(rng, p.Elem())
				f.Set(p)
			}
		}
	}
}

// sameDecoded checks that appendEvent's and encoding/json's encodings of ev
// decode into the same Event, and returns both.
func sameDecoded(t *testing.T, ev *Event) (mine, std []byte) {
	t.Helper()
	mine = appendEvent(nil, ev)
	std, err := json.Marshal(ev)
	require.NoError(t, err)
	var a, b Event
	require.NoError(t, json.Unmarshal(mine, &a), "%q", mine)
	require.NoError(t, json.Unmarshal(std, &b))
	require.Equal(t, b, a, "mine %s\nstd  %s", mine, std)
	return mine, std
}

// TestEncodeMatchesJSON: what appendEvent writes decodes into the same
// Event as what encoding/json writes, for every field set or zero.
func TestEncodeMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		ev := &Event{}
		fill(rng, reflect.ValueOf(ev).Elem())
		if i%3 == 0 { // zero fields: omitempty and omitzero
			v := reflect.ValueOf(ev.Ticket).Elem()
			for j := range v.NumField() {
				if rng.IntN(2) == 0 {
					v.Field(j).SetZero()
				}
			}
		}
		if i%7 == 0 {
			ev.Ticket = nil
		}
		if i%5 == 0 {
			ev.Appointment = nil
		}
		mine, std := sameDecoded(t, ev)
		if !strings.ContainsAny(string(std), "\\") {
			require.JSONEq(t, string(std), string(mine))
		}
	}
	// Every field was set at least once above: the fill reaches them all.
	require.Equal(t, 23, reflect.TypeOf(Ticket{}).NumField(), "a new Ticket field needs its line in appendTicket (and here)")
	require.Equal(t, 13, reflect.TypeOf(Event{}).NumField(), "a new Event field needs its line in appendEvent (and here)")
}

func BenchmarkEncodeEvent(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ev := &Event{}
	fill(rng, reflect.ValueOf(ev).Elem())
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendEvent(buf[:0], ev)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(ev)
		}
	})
}

// FuzzEncodeString: any text in an event (a reason, a category from the
// configuration) is written as a JSON string that reads back as
// encoding/json would read its own.
func FuzzEncodeString(f *testing.F) {
	for _, s := range []string{"", "А023", "\"\\", "\x00\x1f\x7f", "\xff", "\u2028\u2029", "<&>", "ґєії'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameDecoded(t, &Event{Seq: 1, Type: EvVoided, Reason: s, Ticket: &Ticket{Label: s, Category: s}})
	})
}

// Durations in statistics are seconds in JSON; statistics stored before in
// nanoseconds still read.
func TestDistJSON(t *testing.T) {
	d := Dist{N: 3, Mean: 402500*time.Millisecond + 300*time.Microsecond, P50: 312500 * time.Millisecond, P90: 901 * time.Second, Max: 1204250*time.Millisecond + 400*time.Microsecond}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.JSONEq(t, `{"n":3,"mean_s":402.5,"p50_s":312.5,"p90_s":901,"max_s":1204.25}`, string(b))
	var back Dist
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, Dist{N: 3, Mean: 402500 * time.Millisecond, P50: 312500 * time.Millisecond, P90: 901 * time.Second, Max: 1204250 * time.Millisecond}, back)

	// Stored before the mean: unknown, not 0, and so it stays; but the
	// mean of no durations is 0.
	require.NoError(t, json.Unmarshal([]byte(`{"n":3,"p50_s":312.5,"p90_s":901,"max_s":1204.25}`), &back))
	require.Equal(t, Dist{N: 3, P50: 312500 * time.Millisecond, P90: 901 * time.Second, Max: 1204250 * time.Millisecond, NoMean: true}, back)
	b, err = json.Marshal(back)
	require.NoError(t, err)
	require.JSONEq(t, `{"n":3,"mean_s":null,"p50_s":312.5,"p90_s":901,"max_s":1204.25}`, string(b))
	require.NoError(t, json.Unmarshal([]byte(`{"n":0,"p50_s":0,"p90_s":0,"max_s":0}`), &back))
	require.Equal(t, Dist{}, back)
	require.NoError(t, json.Unmarshal([]byte(`{"n":2,"p50":1939119454,"p90":9226251023,"max":9226251023}`), &back))
	require.Equal(t, Dist{N: 2, P50: 1939119454, P90: 9226251023, Max: 9226251023, NoMean: true}, back)
}

// Nearest rank: the p-th percentile is the shortest duration that at
// least p% of them do not exceed.
func TestDistNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Minute)
	}
	require.Equal(t, Dist{N: 10, Mean: 5*time.Minute + 30*time.Second, P50: 5 * time.Minute, P90: 9 * time.Minute, Max: 10 * time.Minute}, dist(ds))
	require.Equal(t, Dist{N: 3, Mean: 2 * time.Minute, P50: 2 * time.Minute, P90: 3 * time.Minute, Max: 3 * time.Minute}, dist([]time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute}))
	require.Equal(t, Dist{}, dist(nil))
}

// A day's statistics list the counters in their numbers' order, as a
// person reads them ("2" before "10"), and read back the same.
func TestDayStatsCounterOrder(t *testing.T) {
	st := DayStats{Day: "2026-12-03", Services: map[string]Figure{"social": {Issued: 3}, "pension": {}},
		Counters: map[string]Figure{"10": {Served: 1}, "2": {Served: 2}, "1": {Served: 3}}}
	b, err := json.Marshal(st)
	require.NoError(t, err)
	s := string(b)
	require.Less(t, strings.Index(s, `"1":`), strings.Index(s, `"2":`))
	require.Less(t, strings.Index(s, `"2":`), strings.Index(s, `"10":`))
	require.Less(t, strings.Index(s, `"pension":`), strings.Index(s, `"social":`))
	var back DayStats
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, st, back)
}

// The durations a day's record keeps: read back as written, sorted; bytes
// that are not such a list are an error, never a panic or a list that
// reads otherwise than it writes.
func FuzzDurations(f *testing.F) {
	f.Add(`"AA"`)
	f.Add(`"0CXAdA"`)
	f.Add(`"/////w"`)
	f.Add(`""`)
	f.Fuzz(func(t *testing.T, s string) {
		var l msList
		if json.Unmarshal([]byte(s), &l) != nil {
			return
		}
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var back msList
		if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(l, back) {
			t.Fatalf("%s read as %v, written %s, read back as %v (%v)", s, l, b, back, err)
		}
	})
}

func TestDurationsRoundTrip(t *testing.T) {
	ds := []time.Duration{90 * time.Minute, 0, 1500 * time.Microsecond, 24 * time.Hour, 7*time.Minute + 301*time.Millisecond}
	b, err := json.Marshal(toMS(ds))
	if err != nil {
		t.Fatal(err)
	}
	var l msList
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if want := (msList{0, 2, 420301, 5400000, 86400000}); !slices.Equal(l, want) {
		t.Fatalf("%s read as %v, want %v", b, l, want)
	}
}
