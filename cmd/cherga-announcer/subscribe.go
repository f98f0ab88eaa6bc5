package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cherga/cherga/internal/bus"
)

// Retrying a subscription: the first wait, doubled after each failure up
// to the last; a failure is logged when it first comes, then once in
// sayEvery.
const (
	retryFirst = time.Second
	retryMax   = 30 * time.Second
	sayEvery   = time.Minute
)

// subscribeOnce subscribes to topic, and says why the broker did not take it.
func subscribeOnce(c paho.Client, topic string, cb paho.MessageHandler) error {
	tok := c.Subscribe(topic, 1, cb)
	if !tok.WaitTimeout(5 * time.Second) {
		return errors.New("no answer within 5s")
	}
	if err := tok.Error(); err != nil {
		return err
	}
	// A refusal (bus.ErrSubscriptionRefused) may pass: an ACL put right,
	// or the broker's own state (a mochi broker of its own refuses a
	// SUBSCRIBE with the packet id of a message it is delivering to this
	// client). The caller tries again.
	return bus.CheckGrant(tok, topic)
}

// keepSubscribing subscribes to topic until the broker takes it, waiting
// wait before each attempt after the first, twice as long each time up to
// retryMax, while current says the connection it was called for is still
// the one (a new connection subscribes anew) and quit is open. tried is
// the attempts its caller made and said already (0: none). It calls
// failed with each failure to log, the first and then one in sayEvery,
// with the attempts so far, and reports whether it subscribed; log says a
// success after failures.
func keepSubscribing(c paho.Client, topic string, cb paho.MessageHandler, tried int, wait time.Duration, current func() bool, quit <-chan struct{}, log *slog.Logger, failed func(err error, attempts int)) bool {
	var said time.Time
	if tried > 0 {
		said = time.Now()
	}
	for attempts := tried; ; {
		if attempts > 0 {
			select {
			case <-time.After(wait):
			case <-quit:
				return false
			}
			if !current() {
				return false
			}
			wait = min(2*wait, retryMax)
		}
		err := subscribeOnce(c, topic, cb)
		attempts++
		if err == nil {
			if attempts > 1 {
				log.Info("cherga-announcer: subscribed after the broker did not take it", "topic", topic, "attempts", attempts)
			}
			return true
		}
		if said.IsZero() || time.Since(said) >= sayEvery {
			failed(err, attempts)
			said = time.Now()
		}
	}
}

// subscribeError is the error of start when the announce topic is not
// subscribed by its deadline.
func subscribeError(topic string, err error) error {
	if err == nil {
		err = errors.New("no answer")
	}
	return fmt.Errorf("subscribe %s: %w", topic, err)
}
