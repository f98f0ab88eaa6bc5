package office

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/queue"
)

// message is one MQTT publication.
type message struct {
	topic   string
	retain  bool
	payload []byte
}

// announcement is the payload of {root}/announce.
type announcement struct {
	ID      string    `json:"id"`
	Ticket  string    `json:"ticket"`
	Counter string    `json:"counter"`
	Lang    string    `json:"lang"`
	Text    string    `json:"text"`
	Clips   []string  `json:"clips"`
	Recall  bool      `json:"recall,omitempty"`
	At      time.Time `json:"at"`
}

// render turns one committed outbox message into its MQTT publications.
func (o *Office) render(out queue.Out) []message {
	root := o.cfg.Root()
	switch {
	case out.Board != nil:
		return []message{
			{bus.Board(root, out.Board.Counter), true, out.Board.JSON()},
			{bus.BoardText(root, out.Board.Counter), true, []byte(out.Board.Text())},
		}
	case out.Hall != nil:
		return []message{{bus.Hall(root), true, mustJSON(out.Hall)}}
	case out.Queue != nil:
		return []message{{bus.Queue(root, out.Queue.Service), true, out.Queue.Queue.JSON()}}
	case out.Load != nil:
		return []message{{bus.Load(root), true, out.Load.JSON()}}
	case out.Call != nil:
		var msgs []message
		kind, _ := audio.ParseCounterKind(out.Call.Kind)
		for _, lang := range o.cfg.Office.Languages {
			p, err := audio.Announce(lang, out.Call.Ticket, out.Call.Counter, kind)
			if err != nil {
				o.log.Error("office: cannot phrase the call", "ticket", out.Call.Ticket, "counter", out.Call.Counter, "lang", lang, "err", err)
				continue
			}
			msgs = append(msgs, message{bus.Announce(root), false, mustJSON(announcement{
				ID: out.Call.ID, Ticket: out.Call.Ticket, Counter: out.Call.Counter, Lang: lang,
				Text: p.Text, Clips: p.Clips, Recall: out.Call.Recall, At: out.Call.At,
			})})
		}
		return msgs
	case out.Event != nil:
		return []message{{bus.Events(root), false, mustJSON(out.Event)}}
	}
	return nil
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
	var sent uint64 // acknowledged, though maybe not yet deleted
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.eng.Notify():
		case <-retry.C:
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
	}
}

// send publishes a run of outbox messages pipelined (the broker keeps their
// order) and returns how many of them, from the first, the broker took.
func (o *Office) send(outs []queue.Out) (int, error) {
	sends := make([][]*bus.Sending, len(outs))
	for i, out := range outs {
		for _, m := range o.render(out) {
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
