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
			n := 0
			for _, out := range outs {
				if err := o.send(out); err != nil {
					o.log.Debug("office: publish deferred", "err", err)
					break
				}
				sent = out.Seq
				n++
			}
			if n > 0 {
				o.eng.Ack(sent)
			}
			if n < len(outs) {
				retry.Reset(time.Second)
				break
			}
		}
	}
}

func (o *Office) send(out queue.Out) error {
	for _, m := range o.render(out) {
		if err := o.bus.Publish(m.topic, 1, m.retain, m.payload); err != nil {
			return err
		}
	}
	return nil
}
