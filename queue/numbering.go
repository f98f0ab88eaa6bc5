package queue

import (
	"context"
	"fmt"
)

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
		switch {
		case number < 1:
			return &NumberingError{fmt.Sprintf("give the highest number handed out of %s, 1 or more (42 for %s)", svc.ID, FormatLabel(svc.Prefix, 42, svc.Width))}
		case number >= top:
			return &NumberingError{fmt.Sprintf("the numbers of %s run from 1 to %d: the next one after %d would be none of them", svc.ID, top, number)}
		}
		if last := t.st.numbers[key]; number <= last {
			// last may be a number continued after, not a ticket issued.
			return &NumberingError{fmt.Sprintf("the numbering of %s is at %s today, its next ticket %s: it only goes forward", svc.ID, FormatLabel(svc.Prefix, last, svc.Width), FormatLabel(svc.Prefix, last+1, svc.Width))}
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
