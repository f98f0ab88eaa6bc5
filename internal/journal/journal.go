// Package journal writes the programs' logs so that systemd's journal
// files each line at its level: journalctl -p warning shows the warnings
// and errors, which it would otherwise take all for information.
package journal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Handler is a slog text handler on w. Under systemd (JOURNAL_STREAM set:
// the standard error is the journal's) each line starts with its syslog
// priority, <3> for an error, <4> a warning, <6> information, <7> debug,
// which journald reads and takes off (sd-daemon(3)).
func Handler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	if os.Getenv("JOURNAL_STREAM") == "" {
		return slog.NewTextHandler(w, opts)
	}
	return Prefixed(w, opts)
}

// Prefixed is the handler of Handler under systemd, whatever the
// environment says.
func Prefixed(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	pw := &prefixWriter{w: w}
	return &handler{Handler: slog.NewTextHandler(pw, opts), mu: new(sync.Mutex), pw: pw}
}

// handler sets the prefix of the line its text handler writes: one Write
// a record, under mu, shared by the handlers WithAttrs and WithGroup make.
type handler struct {
	slog.Handler
	mu *sync.Mutex
	pw *prefixWriter
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pw.prefix = priority(r.Level)
	return h.Handler.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{Handler: h.Handler.WithAttrs(as), mu: h.mu, pw: h.pw}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{Handler: h.Handler.WithGroup(name), mu: h.mu, pw: h.pw}
}

// priority is the syslog priority prefix of level.
func priority(level slog.Level) string {
	switch {
	case level >= slog.LevelError:
		return "<3>"
	case level >= slog.LevelWarn:
		return "<4>"
	case level >= slog.LevelInfo:
		return "<6>"
	}
	return "<7>"
}

// prefixWriter writes prefix before each line given to it.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

// Fatal writes a program's last words before it exits (why it cannot
// start: a bad configuration, a port taken), the operands as fmt.Sprintln
// puts them, so that the journal files them as an error: under systemd
// each line starts with <3>. journalctl -p warning shows why a service
// does not start.
func Fatal(w io.Writer, a ...any) {
	msg := strings.TrimSuffix(fmt.Sprintln(a...), "\n")
	if os.Getenv("JOURNAL_STREAM") != "" {
		msg = "<3>" + strings.ReplaceAll(msg, "\n", "\n<3>")
	}
	fmt.Fprintln(w, msg)
}
