// Package queue is the heart of the office: services, counters, tickets, the
// call policy, the business day and the wait estimate, kept in one bbolt file.
//
// One goroutine owns an Engine's state. Every request (a kiosk press, a
// counter's button, an administrator's command) becomes a function that runs
// on that goroutine inside a bbolt write transaction; requests that arrive
// together share one transaction, so one fsync makes a burst of tickets
// durable (group commit). A request is answered only after its transaction is
// on disk: a ticket number is durable before a byte is printed or published.
// Reads (Tickets, Stats, Check) run after the writes of their batch.
//
// Every state change records its lifecycle events, each with a gap-free
// seq, in the same transaction: the events are the durable outbox. After the
// commit the publisher reads the events after the last one it acknowledged
// (Pending, Ack) and announces the calls among them, and takes the retained
// state the change touched (counter boards, the hall board, the queue
// figures, the load) from memory (TakeRetained): that state is derived from
// what is on disk, so a restart or a broker that lost it asks for all of it
// again (Republish). So a call made while the broker was down still reaches
// the boards when it returns, and nothing is published that was not
// committed. An acknowledgement costs no fsync of its own: it is stored by
// the next write transaction, so after a power cut a few events may be sent
// twice (receivers tell by the seq), never lost.
//
// bbolt grows its file into a hole, and a commit that first writes there
// makes the file system allocate blocks, which its fdatasync must journal:
// the engine keeps a few megabytes written ahead beyond the used pages, as
// far as the disk can spare them (on a nearly full one it runs without).
//
// # Ticket life
//
// waiting → called (recalls stay called, up to office.recall_limit) →
// serving (the counter's serve: the citizen came; optional, a called ticket
// may end directly) → done | noshow, or back to waiting by a transfer (to
// another service, optionally held for one counter) or by a first no-show
// when office.noshow_grace_min is set (held for the same counter until the
// grace ends). A waiting ticket can be voided (its print failed). What still
// waits for a service when it closes expires, and whatever is not finished
// when the business day ends. An illegal move is a *TransitionError and
// changes nothing.
//
// # Call policy
//
// next at a counter calls, in order: a ticket held for this counter whose
// grace has passed; a priority ticket (a kiosk's priority button, or one of
// office.priority_categories such as veteran); a transferred ticket (both oldest
// first, a transfer keeping its original arrival); then, among the counter's
// services, the head ticket whose wait multiplied by the service's weight at
// this counter (counters[].weights, default 1) is the largest. The wait grows
// without bound, so a light service ages into a call and never starves.
// CallTicket calls one ticket by its label out of that order.
//
// # Numbers, hours and the day
//
// Each service numbers its tickets from 1 each business day and wraps after
// the largest number of its width; after a wrap a number still in use is
// skipped. Issuing is refused while the clock is obviously unset
// (ErrClockUnset), outside the hours of the service (its own per weekday, or
// the office's) and on holidays (ErrClosed), beyond the service's daily cap
// (ErrDailyCap), and, with office.refuse_late, when the ticket would not be
// served before the service closes: its expected call, behind those of its
// rank, plus one visit, or, with every counter of the service on a break,
// its call were they all to open now (*FullError). The
// business day is the date in the office time zone; it never goes
// backwards when the clock of a Pi without RTC jumps.
//
// # Estimates and statistics
//
// The wait is the people ahead divided among the counters open for the
// service, times the mean of its last 20 service times (monotonic durations
// while the process runs), or the configured avg_service_min until there are
// three. A counter busy with a visit takes its next citizen when that visit
// is expected to end: by the recent visits that lasted longer than this one
// so far, or what the mean leaves of it, at least a quarter. An ordinary
// ticket's wait also counts the priority and transferred tickets that will
// come and go before it, at the rate they came today. Where counters of
// the service serve others too, the call policy is played forward instead
// (projection.go), so that a shared counter is not counted whole for each
// service. Stats gives per day, service and counter the tickets issued, served,
// no-shows, transfers (out and in), voided and expired (of them, those at a
// counter when the day ended), the visits, and wait and service time n,
// mean, p50, p90 (nearest rank) and max, from the day's events visit by
// visit (a counter counts every visit it had, a wait is one service's
// queue), so that they balance (see Figure); a finished day's figures are
// stored when it ends and kept for good, beyond its tickets and events,
// which are kept office.stats_days business days: the days that issued a
// ticket (a day that issued none keeps no record, unless it refused
// presses: then its figures, as no business day). With them are kept the
// durations behind each p50 and p90 (milliseconds, sorted, as delta
// varints), so that StatsRange gives a month's or a year's percentiles
// exactly: a percentile of several days is not the mean of theirs. The
// day's Hours count the tickets issued in each hour and their mean wait.
//
// # Store
//
// The store layout (buckets of the bbolt file):
//
//	meta      day (the business day), event_seq, published (the last
//	          event seq the publisher acknowledged)
//	counters  counter id → persistent counter state (paused)
//	events    seq (8 bytes, big endian) → Event as JSON, with the ticket
//	          as the event left it
//	days      business day → the seq of its day.started event, for
//	          today and the kept days that issued a ticket
//	stats     business day → DayStats as JSON of a finished day, with
//	          "durations": those its Dists summarise (see dayRecord)
//	numbers   one record, a fence (fenceKey): the releases from before
//	          the events (they kept the numbering here and have no
//	          format to check) fail on it at start, saying the store was
//	          upgraded, rather than read it as an empty day
//
// The events are the record of the tickets: every change of a ticket ends
// with its event, which carries the whole ticket, so a ticket is its latest
// event, and a ticket's id is the seq of its issued event. Open reads
// today's tickets from today's events (from its day.started on) and derives
// the numbering from them. So a state change is one Put, appended to the
// end of one bucket: the commit writes about as many pages as the
// smallest bbolt update does. The same events are the outbox of
// {root}/events and the replay of events.replay.
//
// Verify checks a file's invariants offline; queuetest.Open runs it after
// every test.
package queue
