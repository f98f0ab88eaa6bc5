package office

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cherga/cherga/queue"
)

// MsgStillAway is what the publisher logs, at debug level, at each retry
// that finds the broker still unreachable.
const MsgStillAway = msgStillAway

// StaleAfter is how long a press or counter command may wait for the store.
const StaleAfter = staleAfter

// ServeAt serves a press of service at kiosk as if it had come at at (a
// store that stalled held it since).
func ServeAt(ctx context.Context, o *Office, kiosk, service string, at time.Time) Result {
	return o.kiosks[kiosk].serve(ctx, press{service: service, source: "test", at: at})
}

// CounterAt serves a counter command as if it had come at at, and gives
// its ack.
func CounterAt(ctx context.Context, o *Office, counter string, action queue.Action, at time.Time) CounterAck {
	r := counterReq{counter: counter, cmd: queue.Command{Action: action}, source: "test", at: at}
	res, err := o.serveCounter(ctx, r)
	var a CounterAck
	if err := json.Unmarshal(counterAck(r, res, err, o.now()), &a); err != nil {
		panic(err)
	}
	return a
}
