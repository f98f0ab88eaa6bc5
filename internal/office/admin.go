package office

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cherga/cherga/queue"
)

// The administrator's requests: {root}/admin/req carries
// {"id":"…","op":"…","args":{…}}; the answer goes to {root}/admin/res/{id}
// (docs/mqtt.md). chergactl is a client of exactly this.

// AdminRequest is one administrator's request.
type AdminRequest struct {
	ID   string          `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

// AdminResponse is the answer to one request.
type AdminResponse struct {
	ID     string      `json:"id"`
	OK     bool        `json:"ok"`
	Result any         `json:"result,omitempty"`
	Error  *AdminError `json:"error,omitempty"`
}

// AdminError says why a request was refused; Field names the argument at
// fault, when one is.
type AdminError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *AdminError) Error() string { return e.Message }

func badArg(field, format string, args ...any) *AdminError {
	return &AdminError{Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

// adminOps are the operations, each decoding its own arguments.
var adminOps = map[string]func(o *Office, ctx context.Context, args json.RawMessage) (any, error){
	"config.get": func(o *Office, _ context.Context, _ json.RawMessage) (any, error) {
		return map[string]any{"config": o.cfg}, nil
	},
	"counter.close":  counterOp(queue.Pause),
	"counter.open":   counterOp(queue.Resume),
	"counter.pause":  counterOp(queue.Pause),
	"counter.resume": counterOp(queue.Resume),
	"tickets.list": func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Service string `json:"service"`
			State   string `json:"state"`
			Day     string `json:"day"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		all, err := o.eng.TicketsOf(ctx, a.Day)
		if errors.Is(err, queue.ErrUnknownDay) {
			return nil, &AdminError{Code: "not_found", Message: err.Error(), Field: "day"}
		}
		if err != nil {
			return nil, err
		}
		out := []queue.Ticket{}
		for _, t := range all {
			if (a.Service == "" || t.Service == a.Service) && (a.State == "" || string(t.State) == a.State) {
				out = append(out, t)
			}
		}
		return out, nil
	},
	"ticket.void": func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Ticket string `json:"ticket"`
			Reason string `json:"reason"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		t, err := o.findTicket(ctx, a.Ticket)
		if err != nil {
			return nil, err
		}
		reason := a.Reason
		if reason == "" {
			reason = "voided by an administrator"
		}
		if err := o.eng.Void(ctx, t.ID, reason); err != nil {
			return nil, err
		}
		return o.findTicket(ctx, a.Ticket)
	},
	"stats.get": func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Day string `json:"day"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		if _, err := time.Parse("2006-01-02", a.Day); a.Day != "" && err != nil {
			return nil, badArg("day", "want a day such as 2026-11-23, got %q", a.Day)
		}
		st, err := o.eng.Stats(ctx, a.Day)
		if errors.Is(err, queue.ErrUnknownDay) {
			return nil, &AdminError{Code: "not_found", Field: "day", Message: err.Error()}
		}
		return st, err
	},
	"ticket.call": func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Ticket  string `json:"ticket"`
			Counter flexID `json:"counter"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		if a.Ticket == "" {
			return nil, badArg("ticket", "the ticket label is required (А023)")
		}
		if o.cfg.Counter(string(a.Counter)) == nil {
			return nil, badArg("counter", "no counter %q", a.Counter)
		}
		res, err := o.eng.CallTicket(ctx, string(a.Counter), a.Ticket)
		if errors.Is(err, queue.ErrUnknownTicket) {
			return nil, &AdminError{Code: "not_found", Field: "ticket", Message: err.Error()}
		}
		return res, err
	},
	"events.replay": func(o *Office, _ context.Context, args json.RawMessage) (any, error) {
		a := struct {
			FromSeq uint64 `json:"from_seq"`
			Max     int    `json:"max"`
		}{Max: 1000}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		if a.Max < 1 || a.Max > 10000 {
			return nil, badArg("max", "must be 1..10000, got %d", a.Max)
		}
		evs, err := o.eng.Replay(a.FromSeq, a.Max)
		if evs == nil {
			evs = []queue.Event{}
		}
		return evs, err
	},
}

func counterOp(action queue.Action) func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	return func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Counter flexID `json:"counter"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		if o.cfg.Counter(string(a.Counter)) == nil {
			return nil, badArg("counter", "no counter %q", a.Counter)
		}
		return o.eng.Counter(ctx, string(a.Counter), queue.Command{Action: action})
	}
}

// flexID is an id that may arrive as a JSON string or number (counter 5).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexID(s)
	return nil
}

func decodeArgs(args json.RawMessage, v any) error {
	if len(bytes.TrimSpace(args)) == 0 || string(args) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		}
		return &AdminError{Code: "bad_request", Field: field, Message: "office: args: " + err.Error()}
	}
	return nil
}

// findTicket finds one of today's tickets by its label.
func (o *Office) findTicket(ctx context.Context, label string) (queue.Ticket, error) {
	if label == "" {
		return queue.Ticket{}, badArg("ticket", "the ticket label is required (А023)")
	}
	all, err := o.eng.Tickets(ctx)
	if err != nil {
		return queue.Ticket{}, err
	}
	// Labels repeat only after a wrap; the latest is meant.
	for i := len(all) - 1; i >= 0; i-- {
		if strings.EqualFold(all[i].Label, strings.TrimSpace(label)) {
			return all[i], nil
		}
	}
	return queue.Ticket{}, &AdminError{Code: "not_found", Field: "ticket", Message: fmt.Sprintf("no ticket %q today", label)}
}

// Admin serves one request; it is what {root}/admin/req does.
func (o *Office) Admin(ctx context.Context, req AdminRequest) AdminResponse {
	res := AdminResponse{ID: req.ID}
	op := adminOps[req.Op]
	if op == nil {
		res.Error = &AdminError{Code: "unknown_op", Field: "op", Message: fmt.Sprintf("unknown operation %q", req.Op)}
		return res
	}
	result, err := op(o, ctx, req.Args)
	if err != nil {
		var ae *AdminError
		if !errors.As(err, &ae) {
			ae = &AdminError{Code: "refused", Message: err.Error()}
		}
		res.Error = ae
		return res
	}
	res.OK, res.Result = true, result
	return res
}

func adminIDOK(id string) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsAny(id, "/+#\x00")
}

func (o *Office) onAdmin(_ string, payload []byte) {
	var req AdminRequest
	if err := json.Unmarshal(payload, &req); err != nil || !adminIDOK(req.ID) {
		o.reportError("admin", fmt.Errorf("office: admin request needs JSON {\"id\":\"…\",\"op\":\"…\",\"args\":{…}} with an id of 1-64 characters without / + #: %q", truncate(payload, 200)))
		return
	}
	// Admin requests may read the store: serve them off the client's goroutine.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res := o.Admin(ctx, req)
		if err := o.bus.Publish(o.cfg.Root()+"/admin/res/"+req.ID, 1, false, mustJSON(res)); err != nil {
			o.log.Warn("office: admin response not published", "id", req.ID, "err", err)
		}
	}()
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
