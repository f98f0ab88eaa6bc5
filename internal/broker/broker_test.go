package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

// connect opens an MQTT 3.1.1 session of client id over TCP and returns
// once the broker has accepted it (CONNACK).
func connect(t *testing.T, addr, id string) net.Conn { return connectKeepalive(t, addr, id, 30) }

// connectKeepalive connects with a keepalive of secs (0: none, and the
// broker never drops the client for silence).
func connectKeepalive(t *testing.T, addr, id string, secs byte) net.Conn {
	return connectSession(t, addr, id, secs, true)
}

// connectSession is connectKeepalive with a clean session or, clean
// false, a persistent one.
func connectSession(t *testing.T, addr, id string, secs byte, clean bool) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	flags := byte(0)
	if clean {
		flags = 2
	}
	pk := append([]byte{0x10, byte(12 + len(id)), 0, 4, 'M', 'Q', 'T', 'T', 4, flags, 0, secs, 0, byte(len(id))}, id...)
	_, err = c.Write(pk)
	require.NoError(t, err)
	ack := make([]byte, 4)
	_, err = io.ReadFull(c, ack)
	require.NoError(t, err)
	require.Equal(t, byte(0x20), ack[0], "CONNACK")
	return c
}

// TestCloseWhileClientsLeave closes the broker while clients go away.
// mochi v2.7.9's own shutdown takes the read lock of its client list twice
// over (Clients.GetByListener calls Len): a client leaving in between
// (Clients.Delete, waiting for the write lock) blocked both for good, and
// the controller never stopped (seen in TestBrokerOutage under -race).
func TestCloseWhileClientsLeave(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 100 {
		b, err := Start("127.0.0.1:0", quiet)
		require.NoError(t, err)
		var conns []net.Conn
		for i := range 8 {
			conns = append(conns, connect(t, b.Addr(), string(rune('a'+i))))
		}
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Close()
			}()
		}
		closed := make(chan error, 1)
		go func() { closed <- b.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("Close hangs")
		}
		wg.Wait()
	}
}

// A packet whose header claims 256 MiB is refused before the broker
// allocates for it: the client is dropped, the others are served.
func TestOversizedPacketRefused(t *testing.T) {
	b := startQuiet(t)
	c, err := net.Dial("tcp", b.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{0x10, 0xff, 0xff, 0xff, 0x7f})
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Read(make([]byte, 16))
	require.ErrorIs(t, err, io.EOF, "the broker closes the connection rather than waiting for 256 MiB")
	connect(t, b.Addr(), "after").Close()
}

// A client that stops reading its socket while the broker writes to it
// (here the acknowledgements of a flood of subscriptions, each holding the
// retained order) is dropped once a write times out: the controller's
// retained publications, which wait for that order, go on.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	defer func(d time.Duration) { writeTimeout = d }(writeTimeout)
	writeTimeout = 200 * time.Millisecond
	b := startQuiet(t)
	// Every subscription to # brings 5 MB of retained messages.
	for i := range 20 {
		require.NoError(t, b.Publish(fmt.Sprintf("qms/test/big/%d", i), make([]byte, 250<<10), true))
	}
	slow := connectKeepalive(t, b.Addr(), "slow", 0)
	defer slow.Close()
	sub := []byte{0x82, 6, 0, 1, 0, 1, '#', 0} // SUBSCRIBE packet id 1, "#", QoS 0
	go func() {
		for range 100 {
			if _, err := slow.Write(sub); err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		for i := range 50 {
			if err := b.Publish("qms/test/board/1", []byte{byte('0' + i%10)}, true); err != nil {
				done <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		done <- nil
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("the retained publications waited for a client that does not read")
	}
}

// A connection that closes before its first packet (a port check) is the
// normal end of a connection, not a warning; a failed one says what it is.
func TestBrokerLogsConnectionEnds(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(mochiLog{slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}), newQuotaLog()})
	// As mochi-mqtt's listener logs them.
	log.Warn("", "listener", "tcp", "error", io.EOF)
	log.Warn("", "listener", "tcp", "error", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed})
	require.Empty(t, logs.String())
	log.Warn("", "listener", "tcp", "error", errors.New("malformed packet"))
	require.Contains(t, logs.String(), `msg="broker: a client's connection failed" listener=tcp error="malformed packet"`)
	logs.Reset()
	log.Warn("broker: something", "error", io.EOF)
	require.Contains(t, logs.String(), `msg="broker: something"`, "a message of its own is kept")

	// A client that acknowledges nothing: once a minute, not per message.
	logs.Reset()
	h := log.Handler()
	quota := func(at time.Time) {
		r := slog.NewRecord(at, slog.LevelWarn, "client store quota reached", 0)
		r.AddAttrs(slog.String("client", "board-5"), slog.String("listener", "tcp"))
		require.NoError(t, h.Handle(context.Background(), r))
	}
	t0 := time.Now()
	for range 500 {
		quota(t0)
	}
	require.Equal(t, 1, strings.Count(logs.String(), "does not acknowledge"), logs.String())
	require.Contains(t, logs.String(), "client=board-5")
	quota(t0.Add(time.Minute))
	require.Equal(t, 2, strings.Count(logs.String(), "does not acknowledge"))
	require.Contains(t, logs.String(), "missed=500", "the 499 not logged and this one")

	// And it is the broker's own logger.
	b := startQuiet(t)
	require.IsType(t, mochiLog{}, b.srv.Log.Handler())
}

// An in-process subscription hears the retained messages first, and the
// ones published after; made while a client publishes retained messages
// (voice announcers reconnecting as the controller starts), its scan of
// them does not race their writes (under -race, retainOrder's lock).
func TestInlineSubscribeRetained(t *testing.T) {
	b := startQuiet(t)
	c := pahoClient(t, b, "announcers", make(chan string, 1))
	require.True(t, c.Publish("qms/t/announcer/a", 1, true, "kept").WaitTimeout(10*time.Second))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Publish(fmt.Sprintf("qms/t/announcer/n%d", i%500), 0, true, "x").WaitTimeout(time.Second)
		}
	}()
	for i := range 200 {
		var mu sync.Mutex
		var got []string
		require.NoError(t, b.Subscribe(fmt.Sprintf("qms/t/announcer/+/%d", i), func(string, []byte) {}))
		require.NoError(t, b.Subscribe("qms/t/announcer/+", func(topic string, payload []byte) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, topic+" "+string(payload))
		}))
		mu.Lock()
		require.Contains(t, got, "qms/t/announcer/a kept", "before Subscribe returned")
		mu.Unlock()
	}
	close(stop)
	<-done
}

// One client that does not read what it subscribed to (a dashboard on weak
// Wi-Fi subscribed to #) holds up no publication to the others: mochi
// writes to a client under the lock each publication to it takes, and
// every publication of the controller waited out that write, up to the
// write timeout (here an hour), with the kiosks' answers and the boards.
func TestSlowReaderHoldsNobodyUp(t *testing.T) {
	defer func(d time.Duration) { writeTimeout = d }(writeTimeout)
	writeTimeout = time.Hour
	var logs testkit.Log
	b, err := Start("127.0.0.1:0", slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	require.NoError(t, err)
	defer b.Close()
	slow := connectKeepalive(t, b.Addr(), "slow", 0)
	defer slow.Close()
	subscribe(t, slow, 1, "#")
	typ, _ := readPacket(t, slow)
	require.Equal(t, byte(9), typ, "SUBACK") // and it reads no more
	fast := connectKeepalive(t, b.Addr(), "fast", 0)
	defer fast.Close()
	subscribe(t, fast, 1, "qms/test/board/#")
	typ, _ = readPacket(t, fast)
	require.Equal(t, byte(9), typ, "SUBACK")

	done := make(chan error, 1)
	go func() {
		for range 200 { // 40 MB: far more than the sockets hold
			if err := b.PublishQoS("qms/test/page", 0, make([]byte, 200<<10), false); err != nil {
				done <- err
				return
			}
		}
		done <- b.Publish("qms/test/board/1", []byte("А023"), true)
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the publications waited for a client that does not read")
	}
	typ, body := readPacket(t, fast)
	require.Equal(t, byte(3), typ, "PUBLISH")
	require.True(t, bytes.Contains(body, []byte("qms/test/board/1")) && bytes.HasSuffix(body, []byte("А023")), "%q", body)
	// The slow one was dropped, and the log says so once.
	require.Equal(t, 1, logs.Count("broker: a client read slower than the office wrote to it, and was dropped"), logs.String())
}

// What mochi wrote before it closes a client's connection (a DISCONNECT
// with its reason, a CONNACK that refuses) goes out whole and in order,
// whenever the close comes: it once found the writer between taking bytes
// and writing them, and closed under it.
func TestCloseSendsWhatWasWritten(t *testing.T) {
	for i := range 2000 {
		server, client := net.Pipe()
		c := newClientConn(server, time.Second, func() {})
		got := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(client)
			got <- string(b)
		}()
		_, err := c.Write([]byte("A"))
		require.NoError(t, err)
		_, err = c.Write([]byte("B"))
		require.NoError(t, err)
		for range i % 50 { // the close at every moment of the writer's
			runtime.Gosched()
		}
		require.NoError(t, c.Close())
		require.Equal(t, "AB", <-got, "round %d", i)
		client.Close()
	}
}
