// Package bustest gives tests a broker that speaks TLS, with certificates
// made for the test: a CA, the broker's certificate and clients'. The
// broker is mochi-mqtt, as the embedded one (internal/broker), on a TLS
// listener on 127.0.0.1.
package bustest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// CA is a certificate authority made for one test.
type CA struct {
	// File is its certificate, PEM: what a client's ca_file names.
	File string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

var serial atomic.Int64

// NewCA makes a CA named name, its file in a temporary folder of t.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &CA{cert: cert, key: key, dir: t.TempDir()}
	ca.File = ca.write(t, name+"-ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *CA) write(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(ca.dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

// Cert is a certificate the CA issued, and its key.
type Cert struct {
	CertFile, KeyFile string
	TLS               tls.Certificate
}

// Issue makes a certificate for name: a server's for 127.0.0.1 and
// localhost, or a client's. notAfter zero is a day from now; a past one
// makes an expired certificate.
func (ca *CA) Issue(t testing.TB, name string, server bool, notAfter time.Time) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-48 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	c := Cert{CertFile: ca.write(t, name+".crt", "CERTIFICATE", der), KeyFile: ca.write(t, name+".key", "PRIVATE KEY", kder)}
	c.TLS, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	require.NoError(t, err)
	return c
}

// Opts configure a Broker.
type Opts struct {
	// CA issues the broker's certificate; nil: plain TCP, no TLS.
	CA *CA
	// ClientCA, when set, is the CA whose certificate a client must show
	// (mutual TLS).
	ClientCA *CA
	// Ledger, when set, holds the accounts and the ACL; without it
	// everyone may connect and do anything. Server.SetLedger changes
	// them while the broker runs.
	Ledger *auth.Ledger
}

// Server is a running broker.
type Server struct {
	// URL is ssl://127.0.0.1:PORT, or tcp:// without a CA.
	URL   string
	MQTT  *mqtt.Server
	auth  *lockedAuth // nil without a Ledger
	gates *gates
}

// SetLedger changes the accounts and the ACL while the broker runs (a
// password file edited and reloaded). The broker was started with one.
func (s *Server) SetLedger(t testing.TB, l *auth.Ledger) {
	t.Helper()
	require.NotNil(t, s.auth, "bustest: a broker started without a Ledger")
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	s.auth.ledger = l
}

// lockedAuth checks the accounts and the ACL of a Ledger that SetLedger
// may change meanwhile: mochi's Ledger.Update locks, its checks do not.
type lockedAuth struct {
	mqtt.HookBase
	mu     sync.Mutex
	ledger *auth.Ledger
}

func (h *lockedAuth) ID() string { return "bustest-auth" }

func (h *lockedAuth) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *lockedAuth) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.ledger.AuthOk(cl, pk)
	return ok
}

func (h *lockedAuth) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.ledger.ACLOk(cl, topic, write)
	return ok
}

// Kick drops the connection of the client id, as a broker restarting would.
// The client's next connection waits until the broker has let this one go:
// mochi's cleanup of a dropped connection, racing a reconnection within
// microseconds, can delete the new connection from its table instead.
func (s *Server) Kick(t testing.TB, id string) {
	t.Helper()
	cl, ok := s.MQTT.Clients.Get(id)
	require.True(t, ok, "no client %s", id)
	require.False(t, <-s.drop(cl, errors.New("bustest: kicked")), "the broker kept the kicked client %s", id)
}

// Drop drops the connection of cl from one of the broker's hooks, as Kick
// does, without waiting (the hook runs on cl's own goroutine): cl's next
// connection waits until the broker has let this one go, or 10 s.
func (s *Server) Drop(cl *mqtt.Client, why error) { s.drop(cl, why) }

// drop stops cl and holds the next connection of its client id until the
// broker has let cl go (or, a session it keeps, at once), or 10 s; kept
// then says whether the broker still held cl.
func (s *Server) drop(cl *mqtt.Client, why error) (kept <-chan bool) {
	gate := make(chan struct{})
	s.gates.gates.Store(cl.ID, gate)
	cl.Stop(why)
	res := make(chan bool, 1)
	go func() {
		held := false
		// A session the broker keeps: it deletes nothing.
		if v := cl.Properties.ProtocolVersion; !(v < 5 && !cl.Properties.Clean || v == 5 && cl.Properties.Props.SessionExpiryInterval > 0) {
			held = true
			for end := time.Now().Add(10 * time.Second); held && time.Now().Before(end); time.Sleep(time.Millisecond) {
				_, held = s.MQTT.Clients.Get(cl.ID)
			}
		}
		s.gates.gates.Delete(cl.ID)
		close(gate)
		res <- held
	}()
	return res
}

// gates hold back, while Kick or Drop waits, a connection of a client id
// it dropped.
type gates struct {
	mqtt.HookBase
	gates sync.Map // client id → chan struct{}, closed to let it in
}

func (h *gates) ID() string { return "bustest-gates" }

func (h *gates) Provides(b byte) bool { return b == mqtt.OnConnect }

func (h *gates) OnConnect(cl *mqtt.Client, _ packets.Packet) error {
	if g, ok := h.gates.Load(cl.ID); ok {
		<-g.(chan struct{})
	}
	return nil
}

// Broker starts a mochi-mqtt broker on 127.0.0.1, with a TLS listener
// when o.CA is set. It is closed when the test ends.
func Broker(t testing.TB, o Opts) *Server {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	g := new(gates)
	require.NoError(t, srv.AddHook(g, nil))
	var la *lockedAuth
	if o.Ledger != nil {
		la = &lockedAuth{ledger: o.Ledger}
		require.NoError(t, srv.AddHook(la, nil))
	} else {
		require.NoError(t, srv.AddHook(new(auth.AllowHook), nil))
	}
	var conf *tls.Config
	scheme := "tcp://"
	if o.CA != nil {
		scheme = "ssl://"
		conf = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{o.CA.Issue(t, "broker", true, time.Time{}).TLS}}
		if o.ClientCA != nil {
			conf.ClientCAs = x509.NewCertPool()
			conf.ClientCAs.AddCert(o.ClientCA.cert)
			conf.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	ln := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0", TLSConfig: conf})
	require.NoError(t, srv.AddListener(ln))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return &Server{URL: scheme + ln.Address(), MQTT: srv, auth: la, gates: g}
}
