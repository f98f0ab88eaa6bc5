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

// NumberingError is why ContinueNumbering refused: a number out of the
// service's range, or not ahead of the numbering.
type NumberingError struct{ Message string }

func (e *NumberingError) Error() string { return "queue: " + e.Message }

// ContinueNumbering makes service's numbering (its sequence's, when it
// shares one) go on after number today: the next ticket is number+1. It is
// for an office whose store was restored from a backup of the morning:
// the numbers handed out after the backup are not given out again. A
// numbering only goes forward: a number at or below its last today, or
// beyond the service's width, is refused. The next business day starts
// from 1 as always.
func (e *Engine) ContinueNumbering(ctx context.Context, service string, number int) error {
	return e.do(ctx, false, func(t *txn) error {
		svc := t.e.service(service)
		if svc == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		key, top := svc.NumberingKey(), maxNumber(svc.Width)
		if number < 1 || number >= top {
			return &NumberingError{fmt.Sprintf("the numbers of %s run from 1 to %d: the next one after %d would be none of them", svc.ID, top, number)}
		}
		if last := t.st.numbers[key]; number <= last {
			return &NumberingError{fmt.Sprintf("%s has issued up to %s today: the numbering goes on after %d already", svc.ID, FormatLabel(svc.Prefix, last, svc.Width), last)}
		}
		t.st.continueAfter(key, number)
		// Reason keeps its prefix: the numbering is found by it after the
		// service is renamed, as its tickets' are.
		t.record(&Event{Type: EvNumbering, Service: svc.ID, Number: number, Reason: svc.Prefix})
		for _, s := range t.e.cfg.Services {
			if s.NumberingKey() == key {
				t.changed(s.ID) // their kiosks' figures
			}
		}
		return nil
	})
}
