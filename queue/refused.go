package queue

import (
	"context"
	"fmt"
	"slices"
)

// RefusalReasons are the reasons a press may be refused for that turn a
// citizen away, as the kiosk's answer gives them: the figures count each
// (Figure.Refused). A press refused as a repeat of the one before, or
// while the kiosk was busy, turned nobody away; one that failed (error,
// timeout: the store stalled) may be sent again by its screen, and is
// logged; one refused for the clock (not set) comes before the business
// day is known, and would count under the day before: none of them is
// counted.
var RefusalReasons = []string{"closed", "paused", "daily_cap", "full", "printer"}

// Refused records a kiosk's press for service that gave no ticket, for
// reason (one of RefusalReasons): a press.refused event, counted in the
// day's figures of the service. A printed ticket that was voided because
// its printing failed is one too, reason "printer": its citizen holds no
// number either.
func (e *Engine) Refused(ctx context.Context, kiosk, service, reason string) error {
	if !slices.Contains(RefusalReasons, reason) {
		return fmt.Errorf("queue: refusal reason %q is none of %v", reason, RefusalReasons)
	}
	return e.do(ctx, false, func(t *txn) error {
		if t.e.service(service) == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		t.record(&Event{Type: EvRefused, Kiosk: kiosk, Service: service, Reason: reason})
		return nil
	})
}
