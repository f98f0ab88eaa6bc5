// Package queue is the heart of the office: services, counters, tickets, the
// call policy, the business day and the wait estimate, kept in one bbolt file.
//
// One goroutine owns an Engine's state. Every request (a kiosk press, a
// counter's button, an administrator's command) becomes a function that runs
// on that goroutine inside a bbolt write transaction; requests that arrive
// together share one transaction, so one fsync makes a burst of tickets
// durable (group commit). A request is answered only after its transaction is
// on disk: a ticket number is durable before a byte is printed or published.
//
// Every state change appends its outgoing messages (counter boards, the hall
// board, the announcement, the queue figures, the lifecycle event with its
// gap-free seq) to a durable outbox in the same transaction. Publishers read
// the outbox after the commit and acknowledge what the broker took, so a call
// made while the broker was down still reaches the boards when it returns,
// and nothing is published that was not committed.
//
// The store layout (buckets of the bbolt file):
//
//	meta      day (the business day), event_seq, wall (latest wall clock seen)
//	tickets   NextSequence gives ticket ids; one sub-bucket per business day,
//	          id (8 bytes, big endian) → Ticket as JSON
//	numbers   service id → the last number issued and its day
//	counters  counter id → persistent counter state (paused)
//	outbox    seq → Out as JSON, deleted once published
//	events    seq → Event as JSON, for replay
package queue
