package sim

import (
	"fmt"
	"strings"

	"github.com/cherga/cherga/printer"
)

// Fault names a condition of a simulated printer that the demo sets by
// name, from its web page or its terminal, as a person trying an office
// would cause it at a real printer: the roll running low or out, the
// cover opened, the printer taken offline, its return line cut.
type Fault string

// The faults. They add up (an open cover on a printer out of paper);
// FaultNone clears them all.
const (
	// FaultNone is a healthy printer: paper in, cover closed, online,
	// answering status.
	FaultNone Fault = "normal"
	// FaultNearEnd is the roll near its end: the printer still prints.
	FaultNearEnd Fault = "near_end"
	// FaultPaperOut is the roll out: the printer stops.
	FaultPaperOut Fault = "paper_out"
	// FaultCoverOpen is the cover open: the printer stops.
	FaultCoverOpen Fault = "cover_open"
	// FaultOffline is the printer offline (its feed button held, an
	// error): it stops.
	FaultOffline Fault = "offline"
	// FaultCutter is paper jammed in the autocutter: the printer stops.
	FaultCutter Fault = "cutter"
	// FaultSilent is a printer that no longer answers status requests (a
	// cut RX wire): the controller cannot tell that it prints.
	FaultSilent Fault = "silent"
	// FaultGarbled is a printer whose replies come garbled, as on a serial
	// line at another baud rate than the printer's: it answers, but with
	// bytes that are no status.
	FaultGarbled Fault = "garbled"
)

// Faults lists every fault in the order the demo offers them.
var Faults = []Fault{FaultNearEnd, FaultPaperOut, FaultCoverOpen, FaultOffline, FaultCutter, FaultSilent, FaultGarbled, FaultNone}

// ParseFault returns the fault of that name.
func ParseFault(name string) (Fault, error) {
	for _, f := range Faults {
		if string(f) == name {
			return f, nil
		}
	}
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = string(f)
	}
	return "", fmt.Errorf("sim: no printer fault %q (known: %s)", name, strings.Join(names, ", "))
}

// SetFault causes f, or with FaultNone clears every fault. A paper fault
// replaces the other one.
func (p *Printer) SetFault(f Fault) {
	switch f {
	case FaultNone:
		p.SetSilent(false)
		p.SetGarbled(false)
		p.set(func(s *printer.Status) { *s = printer.Status{Online: true} })
	case FaultNearEnd:
		p.SetPaper(printer.PaperNearEnd)
	case FaultPaperOut:
		p.SetPaper(printer.PaperOut)
	case FaultCoverOpen:
		p.SetCoverOpen(true)
	case FaultOffline:
		p.SetOffline(true)
	case FaultCutter:
		p.set(func(s *printer.Status) { s.CutterError = true })
	case FaultSilent:
		p.SetSilent(true)
	case FaultGarbled:
		p.SetGarbled(true)
	}
}

// Faults lists the printer's faults now, in the order of Faults; none for
// a healthy printer.
func (p *Printer) Faults() []Fault {
	p.mu.Lock()
	st, silent, garbled := p.state, p.silent, p.garbled > 0
	p.mu.Unlock()
	out := []Fault{}
	switch st.Paper {
	case printer.PaperNearEnd:
		out = append(out, FaultNearEnd)
	case printer.PaperOut:
		out = append(out, FaultPaperOut)
	}
	if st.CoverOpen {
		out = append(out, FaultCoverOpen)
	}
	if !st.Online {
		out = append(out, FaultOffline)
	}
	if st.CutterError {
		out = append(out, FaultCutter)
	}
	if silent {
		out = append(out, FaultSilent)
	}
	if garbled {
		out = append(out, FaultGarbled)
	}
	return out
}
