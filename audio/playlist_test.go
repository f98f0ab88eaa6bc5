package audio

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func call(id, ticket, counter, lang string, at time.Time) Call {
	return Call{ID: id, Ticket: ticket, Counter: counter, Lang: lang, Clips: []string{lang + "/word/x"}, At: at}
}

func recall(id, ticket, counter, lang string, at time.Time) Call {
	c := call(id, ticket, counter, lang, at)
	c.Recall = true
	return c
}

// drain says the list's calls at now and returns, per announcement, its
// ids and the languages of its phrases.
func drain(p *playlist, now time.Time) (out [][2][]string) {
	for {
		it, _, _ := p.next(now)
		if it == nil {
			return out
		}
		p.said(it, now, true)
		var langs []string
		for _, c := range p.phrases(it) {
			langs = append(langs, c.Lang)
		}
		out = append(out, [2][]string{it.ids, langs})
	}
}

func TestPlaylist(t *testing.T) {
	p := newPlaylist([]string{"uk", "en"}, time.Minute, time.Second, 0)
	now := t0
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "uk", now), now))
	require.Equal(t, Merged, p.add(call("1", "А001", "5", "en", now), now))
	require.Equal(t, Duplicate, p.add(call("1", "А001", "5", "en", now), now), "redelivered")
	require.Equal(t, Queued, p.add(call("2", "А002", "6", "en", now), now), "en first")
	require.Equal(t, Merged, p.add(call("2", "А002", "6", "uk", now), now))
	// A recall of the waiting А001 joins it, both languages.
	require.Equal(t, Merged, p.add(recall("3", "А001", "5", "uk", now.Add(time.Second)), now))
	require.Equal(t, Merged, p.add(recall("3", "А001", "5", "en", now.Add(time.Second)), now))
	require.Equal(t, Skipped, p.add(call("4", "А003", "7", "de", now), now))

	require.Equal(t, [][2][]string{
		{{"1", "3"}, {"uk", "en"}},
		{{"2"}, {"uk", "en"}}, // Ukrainian first, whatever came first
	}, drain(p, now))

	// Played calls are remembered: a redelivery is dropped, a recall after
	// the call was played is a new announcement.
	require.Equal(t, Duplicate, p.add(call("1", "А001", "5", "uk", now), now))
	require.Equal(t, Duplicate, p.add(recall("3", "А001", "5", "en", now), now))
	require.Equal(t, Queued, p.add(recall("5", "А001", "5", "uk", now), now))
}

func TestPlaylistGather(t *testing.T) {
	p := newPlaylist([]string{"uk", "en"}, time.Minute, 500*time.Millisecond, 0)
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "uk", t0), t0))
	require.Equal(t, Queued, p.add(call("2", "А002", "6", "uk", t0), t0))
	require.Equal(t, Merged, p.add(call("2", "А002", "6", "en", t0), t0))

	it, dropped, wait := p.next(t0.Add(200 * time.Millisecond))
	require.Nil(t, it, "the head waits for its English")
	require.Empty(t, dropped)
	require.Equal(t, 300*time.Millisecond, wait)

	// The English never comes: the Ukrainian plays alone, in order.
	require.Equal(t, [][2][]string{{{"1"}, {"uk"}}, {{"2"}, {"uk", "en"}}}, drain(p, t0.Add(500*time.Millisecond)))
	// It comes late: played alone.
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "en", t0), t0.Add(time.Second)))
}

// A counter that calls someone else before its first call was said: the
// first is dropped (reported once), the later one said.
func TestPlaylistSupersede(t *testing.T) {
	p := newPlaylist([]string{"uk"}, time.Minute, time.Second, 0)
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "uk", t0), t0))
	require.Equal(t, Queued, p.add(call("2", "А002", "6", "uk", t0), t0))
	require.Equal(t, Queued, p.add(call("3", "А003", "5", "uk", t0), t0))
	it, dropped, _ := p.next(t0)
	require.Len(t, dropped, 1)
	require.Equal(t, "А001", dropped[0].ticket)
	require.ErrorIs(t, dropped[0].why, ErrSuperseded)
	require.Equal(t, "А002", it.ticket)
	it, dropped, _ = p.next(t0)
	require.Empty(t, dropped)
	require.Equal(t, "А003", it.ticket)
	// A redelivery of the superseded call is not new.
	require.Equal(t, Duplicate, p.add(call("1", "А001", "5", "uk", t0), t0))
	// An id counted again by a new store is a new call when its ticket or
	// counter differs.
	require.Equal(t, Queued, p.add(call("1", "Б001", "7", "uk", t0), t0))
}

func TestPlaylistMaxAge(t *testing.T) {
	p := newPlaylist([]string{"uk"}, time.Minute, time.Second, 0)
	now := t0.Add(10 * time.Minute)
	// Published from the outbox after the broker came back: too old at once.
	require.Equal(t, Expired, p.add(call("1", "А001", "5", "uk", t0), now))
	// Fresh when it came: still its counter's call when its turn comes
	// late (the announcer had a queue: an office opening with every
	// counter calling at once), so it is said.
	require.Equal(t, Queued, p.add(call("2", "А002", "5", "uk", now), now))
	require.Equal(t, Queued, p.add(call("3", "А003", "6", "uk", now.Add(45*time.Second)), now.Add(45*time.Second)))
	it, dropped, _ := p.next(now.Add(61 * time.Second))
	require.Empty(t, dropped)
	require.Equal(t, []string{"2"}, it.ids)
	it, _, _ = p.next(now.Add(62 * time.Second))
	require.Equal(t, []string{"3"}, it.ids)

	// A recall refreshes a waiting call: it is as old as the recall.
	require.Equal(t, Queued, p.add(call("4", "А004", "7", "uk", now), now))
	require.Equal(t, Merged, p.add(recall("5", "А004", "7", "uk", now.Add(50*time.Second)), now.Add(50*time.Second)))
	it, dropped, _ = p.next(now.Add(70 * time.Second))
	require.Empty(t, dropped)
	require.Equal(t, []string{"4", "5"}, it.ids)
	require.True(t, it.recall)

	// No time, or a controller clock ahead of ours: the age counts from
	// the arrival.
	require.Equal(t, Queued, p.add(call("6", "А006", "8", "uk", time.Time{}), now))
	require.Equal(t, Queued, p.add(call("7", "А007", "9", "uk", now.Add(time.Hour)), now))
	require.Equal(t, [][2][]string{{{"6"}, {"uk"}}, {{"7"}, {"uk"}}}, drain(p, now.Add(59*time.Second)))
}

func TestPlaylistBounded(t *testing.T) {
	p := newPlaylist([]string{"uk"}, time.Minute, time.Second, 2)
	require.Equal(t, Queued, p.add(call("1", "А001", "1", "uk", t0), t0))
	require.Equal(t, Queued, p.add(call("2", "А002", "2", "uk", t0), t0))
	require.Equal(t, Expired, p.add(call("3", "А003", "3", "uk", t0), t0))

	p = newPlaylist([]string{"uk"}, time.Minute, time.Second, 0)
	for i := range maxPlayed + 10 {
		c := call(string(rune('a'+i%26))+time.Duration(i).String(), "А1", string(rune('0'+i%10)), "uk", t0)
		p.add(c, t0)
		drain(p, t0)
	}
	require.Len(t, p.played, maxPlayed)
	require.Len(t, p.order, maxPlayed)
}

// A backlog comes out of order (a broker resends a session's missed
// messages sorted by the second they came in, in any order within it):
// a call that comes after a later call to its counter is not said, in
// any language, and the later one is; played already or still queued.
// A recall of the call being said, or said a moment ago (the specialist
// pressed while the hall still heard it), is not said again; a recall
// after that moment, or of a call cut short, is.
func TestPlaylistRecallWhileSaid(t *testing.T) {
	p := newPlaylist([]string{"uk", "en"}, time.Minute, time.Second, 0)
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "uk", t0), t0))
	require.Equal(t, Merged, p.add(call("1", "А001", "5", "en", t0), t0))
	it, _, _ := p.next(t0)
	require.Equal(t, "А001", it.ticket)
	at := t0.Add(6 * time.Second) // past the counter's 5 s guard, still being said
	require.Equal(t, Merged, p.add(recall("2", "А001", "5", "uk", at), at))
	require.Equal(t, Merged, p.add(recall("2", "А001", "5", "en", at), at))
	require.Equal(t, Queued, p.add(recall("3", "А002", "6", "uk", at), at), "another counter's is said")
	p.said(it, t0.Add(8*time.Second), true)
	at = t0.Add(8*time.Second + echo)
	require.Equal(t, Merged, p.add(recall("4", "А001", "5", "uk", at), at), "a moment after: just heard")
	at = at.Add(time.Millisecond)
	require.Equal(t, Queued, p.add(recall("5", "А001", "5", "uk", at), at))

	// Cut short (a pause, a player that failed): its recall is said.
	p = newPlaylist([]string{"uk"}, time.Minute, time.Second, 0)
	require.Equal(t, Queued, p.add(call("1", "А001", "5", "uk", t0), t0))
	it, _, _ = p.next(t0)
	p.said(it, t0.Add(time.Second), false)
	require.Equal(t, Queued, p.add(recall("2", "А001", "5", "uk", t0.Add(time.Second)), t0.Add(time.Second)))
}

func TestPlaylistOutOfOrder(t *testing.T) {
	p := newPlaylist([]string{"uk", "en"}, time.Minute, time.Second, 0)
	later := t0.Add(300 * time.Millisecond)
	require.Equal(t, Queued, p.add(call("12", "А012", "7", "uk", later), t0))
	require.Equal(t, Superseded, p.add(call("9", "А011", "7", "uk", t0), t0))
	require.Equal(t, Merged, p.add(call("12", "А012", "7", "en", later), t0))
	require.Equal(t, Duplicate, p.add(call("9", "А011", "7", "en", t0), t0), "its other language: reported once")
	it, dropped, _ := p.next(t0)
	require.Equal(t, "А012", it.ticket)
	require.Len(t, dropped, 1)
	require.Equal(t, "А011", dropped[0].ticket)
	require.ErrorIs(t, dropped[0].why, ErrSuperseded)

	// At the same time, by id; played already: still superseded.
	require.Equal(t, Queued, p.add(call("21", "А021", "8", "uk", t0), t0))
	require.Equal(t, [][2][]string{{{"21"}, {"uk"}}}, drain(p, t0.Add(time.Second)))
	require.Equal(t, Superseded, p.add(call("20", "А020", "8", "uk", t0), t0))
	// A later call of another counter, and a recall of the latest, are said.
	require.Equal(t, Queued, p.add(call("19", "А019", "9", "uk", t0), t0))
	require.Equal(t, Queued, p.add(recall("22", "А021", "8", "uk", later), t0.Add(time.Second+echo+time.Millisecond)))
	// The controller's clock set back (a later seq, an earlier time), or
	// its store restored (an earlier seq, a later time): said.
	require.Equal(t, Queued, p.add(call("30", "А030", "8", "uk", t0.Add(-time.Minute)), t0))
	require.Equal(t, Queued, p.add(call("3", "А003", "8", "uk", t0.Add(time.Hour)), t0))
}
