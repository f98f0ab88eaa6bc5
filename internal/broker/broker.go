// Package broker runs the embedded MQTT broker (mochi-mqtt) of the default
// setup, so that one box is a whole office with no other software.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is a running embedded broker.
type Broker struct {
	srv  *mqtt.Server
	tcp  *listeners.TCP
	once sync.Once
	err  error
}

// Start listens on addr ("127.0.0.1:1883"; port 0 picks a free one) and
// serves MQTT 3.1.1 and 5 clients. Every client may publish and subscribe:
// the broker listens on the office network only.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.Default()
	}
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: log.With("component", "broker")})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("broker: cannot listen on %s for the embedded MQTT broker: the port is taken (another broker?); choose another with -listen 127.0.0.1:PORT, or use that broker with -broker tcp://%s", addr, addr)
		}
		return nil, fmt.Errorf("broker: listen on %s: %w (change it with -listen)", addr, err)
	}
	go func() {
		if err := srv.Serve(); err != nil {
			log.Error("broker: serve", "err", err)
		}
	}()
	return &Broker{srv: srv, tcp: tcp}, nil
}

// Addr is the address the broker listens on, with the real port.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the address as a client URL.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

func (b *Broker) String() string { return "broker(" + b.Addr() + ")" }

// Close disconnects every client and stops listening. Close is idempotent
// (mochi's own Close panics the second time).
func (b *Broker) Close() error {
	b.once.Do(func() { b.err = b.srv.Close() })
	return b.err
}
