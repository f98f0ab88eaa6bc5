package office

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
)

// kiosk serves one ticket terminal: its presses, one at a time, and its
// printer. A press is refused (nothing is issued) while the printer cannot
// print; a ticket whose print failed is voided, so it is never called.
type kiosk struct {
	o       *Office
	cfg     config.Kiosk
	spec    string
	profile *printer.Profile
	prn     *printer.Printer
	presses chan press

	status    printer.Status
	statusErr error
	published string
}

type press struct {
	service  string
	priority bool
	source   string
}

// Result is the payload of {root}/kiosk/{kiosk}/ticket: what a press gave.
type Result struct {
	OK      bool      `json:"ok"`
	Service string    `json:"service"`
	Ticket  string    `json:"ticket,omitempty"`
	ID      uint64    `json:"id,omitempty"`
	Ahead   int       `json:"ahead,omitempty"`
	EtaMin  int       `json:"eta_min,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// PrinterState is the retained {root}/printer/{kiosk} payload.
type PrinterState struct {
	Online bool   `json:"online"`
	Paper  string `json:"paper"`
	Cover  string `json:"cover"`
	Error  string `json:"error,omitempty"`
}

func newKiosk(o *Office, cfg config.Kiosk, spec string) (*kiosk, error) {
	p, err := printer.LookupProfile(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("office: kiosk %s: %w", cfg.ID, err)
	}
	return &kiosk{o: o, cfg: cfg, spec: spec, profile: p, presses: make(chan press, 16)}, nil
}

func (k *kiosk) submit(p press) {
	select {
	case k.presses <- p:
	default:
		k.o.reportError("kiosk/"+k.cfg.ID, errors.New("office: kiosk busy; press ignored"))
	}
}

func (k *kiosk) close() {
	if k.prn != nil {
		k.prn.Close()
	}
}

func (k *kiosk) run(ctx context.Context) {
	defer k.o.wg.Done()
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	k.checkPrinter(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			k.checkPrinter(ctx)
		case p := <-k.presses:
			r := k.serve(ctx, p)
			k.o.log.Info("kiosk", "kiosk", k.cfg.ID, "service", p.service, "source", p.source, "ok", r.OK, "ticket", r.Ticket, "reason", r.Reason)
			if err := k.o.bus.Publish(bus.KioskTicket(k.o.cfg.Root(), k.cfg.ID), 1, false, mustJSON(r)); err != nil {
				k.o.log.Debug("office: kiosk result not published", "err", err)
			}
		}
	}
}

// checkPrinter opens the printer if needed, reads its status and publishes
// it when it changed.
func (k *kiosk) checkPrinter(ctx context.Context) {
	if k.prn == nil {
		prn, err := printer.Open(k.spec, &printer.Opts{Profile: k.profile})
		if err != nil {
			k.setStatus(printer.Status{}, err)
			return
		}
		k.prn = prn
	}
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := k.prn.Status(sctx)
	if err == nil {
		err = st.Err()
	}
	k.setStatus(st, err)
}

func (k *kiosk) setStatus(st printer.Status, err error) {
	k.status, k.statusErr = st, err
	ps := PrinterState{Online: err == nil || st.Online, Paper: st.Paper.String(), Cover: "closed"}
	if st.CoverOpen {
		ps.Cover = "open"
	}
	if err != nil {
		ps.Error = err.Error()
	}
	b := string(mustJSON(ps))
	if b == k.published {
		return
	}
	if err != nil {
		k.o.log.Warn("office: printer cannot print", "kiosk", k.cfg.ID, "printer", k.spec, "err", err)
	} else if k.published != "" {
		k.o.log.Info("office: printer ready", "kiosk", k.cfg.ID, "printer", k.spec)
	}
	if perr := k.o.bus.Publish(bus.Printer(k.o.cfg.Root(), k.cfg.ID), 1, true, []byte(b)); perr == nil {
		k.published = b
	}
}

// serve turns one press into a printed ticket, or into a refusal that
// issued nothing.
func (k *kiosk) serve(ctx context.Context, p press) Result {
	r := Result{Service: p.service, At: time.Now()}
	svc := k.o.cfg.Service(p.service)
	if svc == nil {
		return refuse(r, "unknown_service", fmt.Sprintf("Невідома послуга %q / Unknown service", p.service))
	}
	k.checkPrinter(ctx)
	if k.statusErr != nil {
		return refuse(r, "printer", "Принтер талонів не готовий / The ticket printer is not ready: "+k.statusErr.Error())
	}
	iss, err := k.o.eng.Issue(ctx, queue.IssueRequest{Service: p.service, Kiosk: k.cfg.ID, Priority: p.priority})
	switch {
	case errors.Is(err, queue.ErrClosed):
		return refuse(r, "closed", "Офіс зараз зачинено / The office is closed now")
	case errors.Is(err, queue.ErrClockUnset):
		return refuse(r, "clock", "Годинник не налаштовано, зверніться до адміністратора / The clock is not set")
	case err != nil:
		return refuse(r, "error", err.Error())
	}
	tk := iss.Ticket
	doc, err := k.profile.Ticket(&printer.Ticket{
		Header:    k.o.cfg.Office.Name,
		Label:     tk.Label,
		Service:   svc.Name,
		ServiceEn: svc.NameEn,
		Issued:    tk.Issued.In(k.o.cfg.Location()),
		Ahead:     iss.Ahead,
		Wait:      iss.Wait,
		QR:        statusURL(k.o.cfg, tk),
		Footer:    k.o.cfg.Office.Footer,
	})
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = k.prn.Print(pctx, doc)
		cancel()
	}
	if err != nil {
		// The number is durable but never reached the citizen: void it so
		// that it is never called.
		if verr := k.o.eng.Void(context.WithoutCancel(ctx), tk.ID, "print failed: "+err.Error()); verr != nil {
			k.o.log.Error("office: cannot void an unprinted ticket", "ticket", tk.Label, "err", verr)
		}
		k.prn.Close()
		k.prn = nil
		k.setStatus(printer.Status{}, err)
		return refuse(r, "printer", "Талон не надруковано / The ticket was not printed: "+err.Error())
	}
	r.OK, r.Ticket, r.ID, r.Ahead, r.EtaMin = true, tk.Label, tk.ID, iss.Ahead, int(iss.Wait.Minutes())
	return r
}

func refuse(r Result, reason, msg string) Result {
	r.Reason, r.Message = reason, msg
	return r
}

// statusURL fills the office's QR template for a ticket.
func statusURL(cfg *config.Config, tk queue.Ticket) string {
	if cfg.Office.StatusURL == "" {
		return ""
	}
	return strings.NewReplacer("{site}", cfg.Site, "{id}", strconv.FormatUint(tk.ID, 10), "{ticket}", tk.Label).Replace(cfg.Office.StatusURL)
}
