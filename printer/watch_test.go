package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

// streamConn is a connection whose printer sends a fixed stream, in reads of
// 1, 2, 3, … 7 bytes so that messages are cut at every place, then EOF.
type streamConn struct {
	mu  sync.Mutex
	in  []byte
	cut int
}

func (c *streamConn) write(p []byte, _ time.Time) (int, error) { return len(p), nil }

func (c *streamConn) read(p []byte, _ time.Time) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	c.cut = c.cut%7 + 1
	n := copy(p[:min(len(p), c.cut)], c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *streamConn) discardInput()   {}
func (c *streamConn) watchable() bool { return true }
func (c *streamConn) Close() error    { return nil }

// watchAll runs a watcher over stream to its end and returns the replies it
// handed to read, the states it took from automatic status messages and the
// answers to process ID requests.
func watchAll(t *testing.T, stream []byte) (replies []byte, states []Status, pids []ProcessID) {
	t.Helper()
	var mu sync.Mutex
	w := &watcher{conn: &streamConn{in: stream}}
	w.start(func(s Status) {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, s)
	}, func(id ProcessID) {
		mu.Lock()
		defer mu.Unlock()
		pids = append(pids, id)
	})
	buf := make([]byte, 5)
	for {
		n, err := w.read(buf, time.Now().Add(10*time.Second))
		replies = append(replies, buf[:n]...)
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
	require.NoError(t, w.Close())
	mu.Lock()
	defer mu.Unlock()
	return replies, states, pids
}

// FuzzWatch interleaves automatic status messages with replies to status
// requests, answers to process ID requests and to buffer clears, as a
// printer with ASB sends them, and checks that the watcher parts them
// exactly, in order, wherever the reads cut the stream.
func FuzzWatch(f *testing.F) {
	f.Add([]byte{0, 1, 0, 3, 5, 0})
	f.Add([]byte{1, 1, 1})
	f.Add([]byte{0x6C, 0x21, 0x7F, 0x0B})
	f.Add([]byte{0x83, 0, 0x81, 0x85, 2, 0x87})
	f.Fuzz(func(t *testing.T, ops []byte) {
		// The watcher keeps watchBuffer replies nobody has read yet and
		// drops the rest: at most that many, so none is dropped whatever
		// the timing.
		ops = ops[:min(len(ops), watchBuffer)]
		var stream, wantReplies []byte
		for i, b := range ops {
			if b&0x83 == 0x81 && len(ops)+2*i >= watchBuffer { // a clear's answer is 3 reply bytes
				ops = ops[:i]
				break
			}
		}
		var wantStates []Status
		var wantPIDs []ProcessID
		for i, b := range ops {
			switch {
			case b&1 == 0:
				// A reply to DLE EOT: the fixed bits and any of the others.
				r := byte(fixedBits) | b&0x6C
				stream = append(stream, r)
				wantReplies = append(wantReplies, r)
				continue
			case b&0x81 == 0x81 && b&2 != 0:
				id := NewProcessID(uint64(i) * uint64(b))
				r := ProcessIDResponse(id)
				stream = append(stream, r[:]...)
				wantPIDs = append(wantPIDs, id)
				continue
			case b&0x81 == 0x81:
				stream = append(stream, ClearResponse[:]...)
				wantReplies = append(wantReplies, ClearResponse[:]...)
				continue
			}
			s := Status{Online: b&2 != 0, CoverOpen: b&4 != 0, Paper: Paper(b >> 3 % 3), CutterError: b&32 != 0, AutoRecoverable: b&64 != 0}
			msg := s.ASB()
			var want Status
			require.NoError(t, want.UpdateASB(msg[:]))
			stream = append(stream, msg[:]...)
			wantStates = append(wantStates, want)
		}
		replies, states, pids := watchAll(t, stream)
		require.Equal(t, wantReplies, append([]byte(nil), replies...))
		require.Equal(t, wantStates, append([]Status(nil), states...))
		require.Equal(t, wantPIDs, append([]ProcessID(nil), pids...))
	})
}

// FuzzWatchGarbage: whatever a broken printer or line sends, the watcher
// ends with the stream, and what it takes for automatic status messages are
// well-formed ones.
func FuzzWatchGarbage(f *testing.F) {
	f.Add([]byte{0x10, 0x10, 0x00, 0x00, 0x00, 0x12})
	f.Add([]byte{0xFF, 0x10, 0, 0x80, 0x10, 0, 0, 0})
	f.Add([]byte{0x37, 0x22, '1', 0x37, 0x22, '1', '2', '3', '4', 0, 0x37, 0x12})
	f.Fuzz(func(t *testing.T, stream []byte) {
		replies, states, pids := watchAll(t, stream)
		require.LessOrEqual(t, len(replies)+ASBLen*len(states)+len(ProcessIDResponse(ProcessID{}))*len(pids), len(stream))
	})
}

// With asb set, the raw TCP printer sends its state when the host turns
// automatic status back on (GS a n) and at every change (push), and puts an
// automatic status message in the middle of its replies to status requests.
func TestTCPAutoStatus(t *testing.T) {
	f := startTCPPrinter(t)
	f.asb = true
	ctx := context.Background()
	prof, err := LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	require.True(t, prof.ASB)
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: time.Second, Profile: prof})
	require.NoError(t, err)
	defer p.Close()

	next := func() Status {
		t.Helper()
		select {
		case s := <-p.Changes():
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no automatic status")
			return Status{}
		}
	}
	require.Equal(t, Status{Online: true}, next(), "sent when opening turned it on")
	s, ok := p.AutoStatus()
	require.True(t, ok)
	require.Equal(t, Status{Online: true}, s)

	// A change comes unasked.
	f.push(Status{Paper: PaperOut})
	require.Equal(t, Status{Paper: PaperOut}, next())

	// Replies to status requests with messages between them.
	f.push(Status{Online: true, Paper: PaperNearEnd})
	s, err = p.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Online: true, Paper: PaperNearEnd}, s)
	require.Equal(t, Status{Online: true, Paper: PaperNearEnd}, next())

	// A printer that went away: the state it told no longer holds.
	f.dropConnections()
	require.Eventually(t, func() bool {
		_, err := p.Status(ctx)
		_, ok := p.AutoStatus()
		return err != nil && !ok
	}, 10*time.Second, time.Millisecond)
	// Reopened, it turns automatic status back on at once.
	_, err = p.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Online: true, Paper: PaperNearEnd}, next())
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, 2, bytes.Count(f.got, AutoStatus(nil, ASBAll)), "once per connection")
}

func TestWatcherClosedReader(t *testing.T) {
	w := &watcher{conn: &streamConn{}}
	w.start(func(Status) {}, func(ProcessID) {})
	_, err := w.read(make([]byte, 1), time.Now().Add(10*time.Second))
	require.True(t, errors.Is(err, io.EOF), "%v", err)
	require.NoError(t, w.Close())
}

// stuckConn is a connection whose reads block until released, whatever
// Close does: a driver that a close does not wake.
type stuckConn struct {
	streamConn
	release chan struct{}
}

func (c *stuckConn) read([]byte, time.Time) (int, error) {
	<-c.release
	return 0, io.EOF
}

// Close returns, and the reader ends, whatever the connection's reads do
// after it: a usblp printer without a back channel fails them as it did
// before (no reply), and a driver that a close does not wake leaves its
// reader to end later, not the kiosk waiting for it for good.
func TestWatcherCloseReturns(t *testing.T) {
	for _, tt := range []struct {
		name string
		conn func(t *testing.T) conn
		ends bool // the reader itself ends
	}{
		{"usblp without a back channel", func(t *testing.T) conn {
			path := filepath.Join(t.TempDir(), "lp0")
			f, err := os.Create(path)
			require.NoError(t, err)
			return &fileConn{f: refusingFile{f, syscall.EINVAL}, readable: true}
		}, true},
		{"a read that close does not wake", func(t *testing.T) conn {
			c := &stuckConn{release: make(chan struct{})}
			t.Cleanup(func() { close(c.release) })
			return c
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &watcher{conn: tt.conn(t)}
			w.start(func(Status) {}, func(ProcessID) {})
			_, err := w.read(make([]byte, 1), time.Now().Add(watchPoll))
			require.ErrorIs(t, err, errReadTimeout, "no reply")
			closed := make(chan struct{})
			go func() {
				w.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(testkit.Wait):
				t.Fatal("Close still waits for the reader")
			}
			if tt.ends {
				select {
				case <-w.done:
				case <-time.After(testkit.Wait):
					t.Fatal("the reader still reads the closed device")
				}
			}
		})
	}
}
