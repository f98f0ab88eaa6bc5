package bus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Why is the kind of reason a connection to the broker failed, as the one
// who fixes it needs to know it.
type Why string

const (
	// Refused: the broker answered and said no (CONNACK): the account's
	// name or password, the client id, or the ACL. A person must fix it.
	Refused Why = "refused"
	// Certificate: the TLS handshake failed: the broker's certificate is
	// not trusted (ca_file), has expired or names another host, or the
	// broker did not take the client's. A person must fix it.
	Certificate Why = "certificate"
	// Network: the broker could not be reached, or went silent.
	Network Why = "network"
)

// Classify says why err, a failed connection, failed.
func Classify(err error) Why {
	if refused(err) {
		return Refused
	}
	var (
		unknown   x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		host      x509.HostnameError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		header    tls.RecordHeaderError
		sysRoots  x509.SystemRootsError
		constrain x509.ConstraintViolationError
	)
	if errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify) ||
		errors.As(err, &alert) || errors.As(err, &header) || errors.As(err, &sysRoots) || errors.As(err, &constrain) ||
		strings.Contains(err.Error(), "tls: ") {
		return Certificate
	}
	return Network
}

// Hint is what to check for a failure of that kind.
func (w Why) Hint() string {
	switch w {
	case Refused:
		return "the broker refused this client: check its username and password (and the broker's password file), that its client id is not taken or banned, and the broker's ACL"
	case Certificate:
		return "the TLS handshake failed: check that the CA file is the one that signed the broker's certificate, that neither certificate has expired (and the clock is right), that the URL's host is one the broker's certificate names, and that the broker takes the client certificate"
	}
	return "the broker cannot be reached: is it running, is the address right, does the network let this box reach it?"
}

// repeatEvery is how often one failure, repeated, is logged again.
const repeatEvery = time.Minute

// Failures logs the failed attempts to reach the broker of a client that
// keeps trying. paho says them only to its debug logger: without this, a
// password changed on the broker, or a certificate that expired, would
// leave a box that retries in silence. Each reason is logged when it
// first comes, then at most once a minute, with the attempts since; a
// refusal or a certificate that fails, which only a person can fix, as an
// error, a network failure as a warning. The zero Failures is not usable:
// set Log.
type Failures struct {
	Log *slog.Logger
	// Prefix starts each message: "bus" or "cherga-announcer".
	Prefix string
	// Broker is the broker's URL as it may be shown.
	Broker string
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu   sync.Mutex
	seen map[string]*failure
}

type failure struct {
	logged time.Time
	since  int // attempts that failed so since it was logged
}

// Failed records an attempt that failed with err, and logs it as above.
func (f *Failures) Failed(err error) {
	if err == nil {
		return
	}
	f.record(err, true)
}

// Seen records an attempt that failed with err that its caller logged
// itself: the same reason is logged again only after a minute.
func (f *Failures) Seen(err error) {
	if err != nil {
		f.record(err, false)
	}
}

// localPort is the local end's port in an error of a connection
// ("read tcp 127.0.0.1:45942->10.0.0.5:8883: connection reset by peer").
var localPort = regexp.MustCompile(`:[0-9]+->`)

func (f *Failures) record(err error, log bool) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	t := now()
	why := Classify(err)
	// The local port of each attempt is no new reason.
	key := string(why) + " " + localPort.ReplaceAllString(err.Error(), ":*->")
	f.mu.Lock()
	if f.seen == nil || len(f.seen) > 100 { // reasons that still differ: forget, not grow
		f.seen = map[string]*failure{}
	}
	s := f.seen[key]
	first := s == nil
	if first {
		s = &failure{}
		f.seen[key] = s
	}
	s.since++
	if !log || (!first && t.Sub(s.logged) < repeatEvery) {
		if !log {
			s.logged, s.since = t, 0
		}
		f.mu.Unlock()
		return
	}
	attempts := s.since
	s.logged, s.since = t, 0
	f.mu.Unlock()

	level := slog.LevelError
	if why == Network {
		level = slog.LevelWarn
	}
	msg := f.Prefix + ": cannot connect to the broker; trying again"
	args := []any{"broker", f.Broker, "why", string(why), "err", err.Error(), "hint", why.Hint()}
	if !first {
		msg = f.Prefix + ": still cannot connect to the broker; trying again"
		args = append(args, "attempts", attempts)
	}
	f.Log.Log(context.Background(), level, msg, args...)
}

// Reset forgets the failures: the client is connected. The next loss
// logs its reasons afresh.
func (f *Failures) Reset() {
	f.mu.Lock()
	f.seen = nil
	f.mu.Unlock()
}

// refused reports whether a connection failed because the broker said no
// (CONNACK), rather than because it could not be reached.
func refused(err error) bool {
	for _, r := range []error{packets.ErrorRefusedBadProtocolVersion, packets.ErrorRefusedIDRejected, packets.ErrorRefusedBadUsernameOrPassword, packets.ErrorRefusedNotAuthorised} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
