package office

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/queue"
)

// message is one MQTT publication.
type message struct {
	topic   string
	retain  bool
	payload []byte
}

// render turns one committed outbox message into its MQTT publications,
// with every time in the office's time zone. A board shows a call as
// calling for office.board_blink_s, then as serving (display.Settle).
func (o *Office) render(out queue.Out, now time.Time) []message {
	root := o.cfg.Root()
	switch {
	case out.Board != nil:
		b := *out.Board
		b.At = o.local(b.At)
		o.boards[b.Counter] = b
		if l := o.counterLamps[b.Counter]; l != nil {
			if err := l.Set(b.State == display.Calling || b.State == display.Serving); err != nil {
				o.log.Error("office: counter lamp", "counter", b.Counter, "err", err)
			}
		}
		return o.renderBoard(display.Settle(b, now, o.blink))
	case out.Hall != nil:
		h := *out.Hall
		h.Calls = append([]display.HallCall{}, h.Calls...)
		for i := range h.Calls {
			h.Calls[i].At = o.local(h.Calls[i].At)
		}
		return []message{{bus.Hall(root), true, mustJSON(h)}}
	case out.Queue != nil:
		return []message{{bus.Queue(root, out.Queue.Service), true, out.Queue.Queue.JSON()}}
	case out.Load != nil:
		l := *out.Load
		l.At = o.local(l.At)
		return []message{{bus.Load(root), true, l.JSON()}}
	case out.Call != nil:
		return o.renderCall(*out.Call)
	case out.Event != nil:
		ev := *out.Event
		ev.At = o.local(ev.At)
		if ev.Ticket != nil {
			tk := *ev.Ticket
			tk.Issued, tk.Called, tk.Ended, tk.NotBefore = o.local(tk.Issued), o.local(tk.Called), o.local(tk.Ended), o.local(tk.NotBefore)
			ev.Ticket = &tk
		}
		return []message{{bus.Events(root), false, mustJSON(ev)}}
	}
	return nil
}

func (o *Office) renderBoard(b display.Board) []message {
	root := o.cfg.Root()
	msgs := []message{
		{bus.Board(root, b.Counter), true, b.JSON()},
		{bus.BoardText(root, b.Counter), true, []byte(b.Text())},
	}
	if c := o.cfg.Counter(b.Counter); c != nil {
		for _, m := range c.Board.Messages(b) {
			msgs = append(msgs, message{m.Topic, m.Retain, m.Payload})
		}
	}
	return msgs
}

func (o *Office) renderCall(call queue.Call) []message {
	var msgs []message
	kind, _ := audio.ParseCounterKind(call.Kind)
	for _, lang := range o.cfg.Office.Languages {
		p, err := audio.Announce(lang, call.Ticket, call.Counter, kind)
		if err != nil {
			o.log.Error("office: cannot phrase the call", "ticket", call.Ticket, "counter", call.Counter, "lang", lang, "err", err)
			continue
		}
		msgs = append(msgs, message{bus.Announce(o.cfg.Root()), false, mustJSON(audio.Call{
			ID: call.ID, Ticket: call.Ticket, Counter: call.Counter, Lang: lang,
			Text: p.Text, Clips: p.Clips, Recall: call.Recall, At: o.local(call.At),
		})})
	}
	if c := o.cfg.Counter(call.Counter); c != nil {
		for _, m := range c.Board.CallMessages(call.Ticket) {
			msgs = append(msgs, message{m.Topic, m.Retain, m.Payload})
		}
	}
	return msgs
}

// local shows t in the office's time zone; the zero time stays zero.
func (o *Office) local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(o.loc)
}

// settle republishes, settled, the boards whose blink time has passed, and
// returns when the next one is due (zero: none).
func (o *Office) settle(now time.Time) time.Time {
	var next time.Time
	for counter, b := range o.boards {
		at, ok := display.SettleAt(b, o.blink)
		if !ok {
			continue
		}
		if now.Before(at) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		for _, m := range o.renderBoard(display.Settle(b, now, o.blink)) {
			if err := o.bus.Publish(m.topic, 1, m.retain, m.payload); err != nil {
				o.log.Debug("office: settled board deferred", "counter", counter, "err", err)
				return now.Add(time.Second)
			}
		}
		delete(o.boards, counter)
	}
	return next
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are marshalled here
	}
	return b
}

// publish drains the engine's outbox to the broker, in order, and
// acknowledges what the broker took. While the broker is away it waits and
// retries; nothing is dropped. Delivery is at least once: after a crash
// between a publish and its acknowledgement the message is sent again
// (events carry their seq, calls their id, so receivers can tell).
func (o *Office) publish(ctx context.Context) {
	defer o.wg.Done()
	retry := time.NewTimer(0)
	defer retry.Stop()
	settle := time.NewTimer(time.Hour)
	defer settle.Stop()
	var sent uint64 // acknowledged, though maybe not yet deleted
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.eng.Notify():
		case <-retry.C:
		case <-settle.C:
		}
		for ctx.Err() == nil {
			outs, err := o.eng.Pending(sent, 256)
			if err != nil {
				o.log.Error("office: read outbox", "err", err)
				retry.Reset(time.Second)
				break
			}
			if len(outs) == 0 {
				break
			}
			acked, err := o.send(outs)
			if acked > 0 {
				sent = outs[acked-1].Seq
				o.eng.Ack(sent)
			}
			if err != nil {
				o.log.Debug("office: publish deferred", "err", err)
				retry.Reset(time.Second)
				break
			}
		}
		if next := o.settle(time.Now()); !next.IsZero() {
			settle.Reset(time.Until(next))
		}
	}
}

// send publishes a run of outbox messages pipelined (the broker keeps their
// order) and returns how many of them, from the first, the broker took.
func (o *Office) send(outs []queue.Out) (int, error) {
	now := time.Now()
	sends := make([][]*bus.Sending, len(outs))
	for i, out := range outs {
		for _, m := range o.render(out, now) {
			sends[i] = append(sends[i], o.bus.Start(m.topic, 1, m.retain, m.payload))
		}
	}
	for i, s := range sends {
		for _, snd := range s {
			if err := snd.Wait(o.bus.Timeout()); err != nil {
				return i, err
			}
		}
	}
	return len(outs), nil
}
