package printer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatusUpdate(t *testing.T) {
	tests := []struct {
		name  string
		n     byte
		reply byte
		want  Status
		err   error
	}{
		{"online", 1, 0x12, Status{Online: true}, nil},
		{"online, drawer pin high", 1, 0x16, Status{Online: true}, nil},
		{"offline", 1, 0x1A, Status{}, nil},
		{"offline cause: none", 2, 0x12, Status{}, nil},
		{"cover open", 2, 0x16, Status{CoverOpen: true}, nil},
		{"feed button", 2, 0x1A, Status{}, nil},
		{"paper end stop", 2, 0x32, Status{Paper: PaperOut}, nil},
		{"error occurred", 2, 0x52, Status{}, nil},
		{"cutter error", 3, 0x1A, Status{CutterError: true}, nil},
		{"unrecoverable", 3, 0x32, Status{Unrecoverable: true}, nil},
		{"auto-recoverable", 3, 0x52, Status{AutoRecoverable: true}, nil},
		{"paper ok", 4, 0x12, Status{}, nil},
		{"paper near end", 4, 0x1E, Status{Paper: PaperNearEnd}, nil},
		{"paper near end, one bit (clone)", 4, 0x16, Status{Paper: PaperNearEnd}, nil},
		{"paper out", 4, 0x72, Status{Paper: PaperOut}, nil},
		{"paper out and near end", 4, 0x7E, Status{Paper: PaperOut}, nil},
		{"bit 0 set: not a reply", 1, 0x13, Status{}, ErrBadReply},
		{"bit 4 clear: an ASB byte", 1, 0x00, Status{}, ErrBadReply},
		{"bit 7 set", 4, 0x92, Status{}, ErrBadReply},
		{"unknown n", 5, 0x12, Status{}, ErrBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Status
			err := s.Update(tt.n, tt.reply)
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, tt.want, s)
		})
	}
}

func TestStatusFromReplies(t *testing.T) {
	// The replies of a printer out of paper, as the Epson reference gives them.
	var s Status
	for n, r := range map[byte]byte{1: 0x1A, 2: 0x32, 4: 0x7E} {
		require.NoError(t, s.Update(n, r))
	}
	require.Equal(t, Status{Paper: PaperOut}, s)
}

// A stop at the paper end told by DLE EOT 2 alone is out of paper, in the
// order a round asks (1, 2, 4): an Epson set to stop at its near-end
// sensor, a clone whose roll-end sensor bits stay clear. Staff are told to
// load a roll, not to look at an offline printer.
func TestStatusPaperStopWins(t *testing.T) {
	round := func(s *Status, r1, r2, r4 byte) {
		t.Helper()
		for _, nr := range [][2]byte{{1, r1}, {2, r2}, {4, r4}} {
			require.NoError(t, s.Update(nr[0], nr[1]))
		}
	}
	var s Status
	round(&s, 0x1A, 0x32, 0x1E)
	require.Equal(t, Status{Paper: PaperOut}, s, "stopped at the near end")
	s = Status{}
	round(&s, 0x1A, 0x32, 0x12)
	require.Equal(t, Status{Paper: PaperOut}, s, "sensors silent")
	require.ErrorIs(t, s.Err(), ErrPaperOut)
	round(&s, 0x12, 0x12, 0x12)
	require.Equal(t, Status{Online: true, Paper: PaperOK}, s, "a new roll, folded into the same status")
}

func TestStatusReplyRoundTrip(t *testing.T) {
	states := []Status{
		{Online: true},
		{Online: true, Paper: PaperNearEnd},
		{Paper: PaperOut},
		{CoverOpen: true},
		{CoverOpen: true, Paper: PaperOut},
		{CutterError: true},
		{Unrecoverable: true, AutoRecoverable: true},
		{},
	}
	for _, want := range states {
		var got Status
		for n := byte(1); n <= 4; n++ {
			r, err := want.Reply(n)
			require.NoError(t, err)
			require.Equal(t, byte(0x12), r&0x93, "fixed bits")
			require.NoError(t, got.Update(n, r))
		}
		require.Equal(t, want, got)
	}
	r, _ := Status{Online: true}.Reply(1)
	require.Equal(t, byte(0x12), r)
	r, _ = Status{Online: true, CoverOpen: true}.Reply(1)
	require.Equal(t, byte(0x1A), r, "an open cover takes the printer offline")
	_, err := Status{}.Reply(9)
	require.ErrorIs(t, err, ErrBadReply)
}

func TestStatusErr(t *testing.T) {
	require.NoError(t, Status{Online: true}.Err())
	require.NoError(t, Status{Online: true, Paper: PaperNearEnd}.Err(), "near end still prints")

	err := Status{Paper: PaperOut, CoverOpen: true}.Err()
	var c *Condition
	require.ErrorAs(t, err, &c)
	require.Equal(t, PaperOut, c.Status.Paper)
	require.ErrorIs(t, err, ErrPaperOut)
	require.ErrorIs(t, err, ErrCoverOpen)
	require.ErrorIs(t, err, ErrOffline)
	require.False(t, errors.Is(err, ErrCutter))
	require.Equal(t, "printer: cannot print: paper out, cover open, offline", err.Error())

	require.ErrorIs(t, Status{}.Err(), ErrOffline)
	require.ErrorIs(t, Status{Online: true, CutterError: true}.Err(), ErrCutter)
	require.ErrorIs(t, Status{Online: true, Unrecoverable: true}.Err(), ErrUnrecoverable)
	require.ErrorIs(t, Status{Online: true, AutoRecoverable: true}.Err(), ErrAutoRecoverable)
}

func TestPaperString(t *testing.T) {
	require.Equal(t, "ok", PaperOK.String())
	require.Equal(t, "near_end", PaperNearEnd.String())
	require.Equal(t, "out", PaperOut.String())
	require.Equal(t, "Paper(7)", Paper(7).String())
}

func FuzzStatus(f *testing.F) {
	for _, r := range []byte{0x12, 0x1A, 0x16, 0x32, 0x52, 0x7E, 0x1E, 0x00, 0xFF} {
		for n := byte(0); n <= 5; n++ {
			f.Add(n, r)
		}
	}
	f.Fuzz(func(t *testing.T, n, reply byte) {
		s := Status{Online: true, Paper: PaperNearEnd, CoverOpen: true, CutterError: true}
		before := s
		err := s.Update(n, reply)
		if err != nil {
			require.ErrorIs(t, err, ErrBadReply)
			require.Equal(t, before, s, "a bad reply changes nothing")
			return
		}
		require.Equal(t, byte(0x12), reply&0x93)
		require.True(t, s.Paper >= PaperOK && s.Paper <= PaperOut)
		// What was decoded encodes to a reply that decodes the same.
		r, err := s.Reply(n)
		require.NoError(t, err)
		again := before
		require.NoError(t, again.Update(n, r))
		if n != StatusPrinter { // Reply(1) folds the other conditions into offline
			require.Equal(t, s, again)
		}
	})
}

func TestStatusUpdateASB(t *testing.T) {
	tests := []struct {
		name string
		msg  []byte
		want Status
		err  error
	}{
		{"ready", []byte{0x10, 0, 0, 0}, Status{Online: true}, nil},
		{"drawer pin, feed button: ignored", []byte{0x54, 0x02, 0, 0}, Status{Online: true}, nil},
		{"cover open", []byte{0x38, 0, 0, 0}, Status{CoverOpen: true}, nil},
		{"offline", []byte{0x18, 0, 0, 0}, Status{}, nil},
		{"waiting for online recovery: ignored", []byte{0x18, 0x01, 0, 0}, Status{}, nil},
		{"cutter error", []byte{0x18, 0x08, 0, 0}, Status{CutterError: true}, nil},
		{"unrecoverable", []byte{0x18, 0x20, 0, 0}, Status{Unrecoverable: true}, nil},
		{"auto-recoverable", []byte{0x18, 0x40, 0, 0}, Status{AutoRecoverable: true}, nil},
		{"near end", []byte{0x10, 0, 0x03, 0}, Status{Online: true, Paper: PaperNearEnd}, nil},
		{"near end, one bit (clone)", []byte{0x10, 0, 0x01, 0}, Status{Online: true, Paper: PaperNearEnd}, nil},
		{"paper out", []byte{0x18, 0, 0x0F, 0}, Status{Paper: PaperOut}, nil},
		{"a DLE EOT reply", []byte{0x12, 0, 0, 0}, Status{}, ErrBadReply},
		{"second byte bit 4", []byte{0x10, 0x10, 0, 0}, Status{}, ErrBadReply},
		{"fourth byte bit 7", []byte{0x10, 0, 0, 0x80}, Status{}, ErrBadReply},
		{"three bytes", []byte{0x10, 0, 0}, Status{}, ErrBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Status
			err := s.UpdateASB(tt.msg)
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, tt.want, s)
		})
	}
}

// An automatic status message is told apart from every reply to a status
// request and from the buffer clear's response by its first byte, and it
// carries the state whole.
func TestStatusASBRoundTrip(t *testing.T) {
	states := []Status{
		{Online: true},
		{Online: true, Paper: PaperNearEnd},
		{Paper: PaperOut},
		{CoverOpen: true},
		{Paper: PaperOut, CoverOpen: true},
		{CutterError: true},
		{Unrecoverable: true, AutoRecoverable: true},
		{},
	}
	for _, s := range states {
		msg := s.ASB()
		require.True(t, IsASBStart(msg[0]), "%+v: % X", s, msg)
		var got Status
		require.NoError(t, got.UpdateASB(msg[:]))
		require.Equal(t, s, got)
		for n := byte(StatusPrinter); n <= StatusPaper; n++ {
			r, err := s.Reply(n)
			require.NoError(t, err)
			require.False(t, IsASBStart(r), "the reply 0x%02X to DLE EOT %d", r, n)
		}
	}
	for _, c := range ClearResponse {
		require.False(t, IsASBStart(c), "0x%02X of the buffer clear's response", c)
	}
}

func FuzzStatusASB(f *testing.F) {
	f.Add([]byte{0x10, 0, 0, 0})
	f.Add([]byte{0x38, 0x68, 0x0F, 0x0F})
	f.Add([]byte{0x12, 0, 0, 0})
	f.Add([]byte{0x10, 0x90})
	f.Fuzz(func(t *testing.T, msg []byte) {
		s := Status{Online: true, Paper: PaperNearEnd}
		before := s
		if err := s.UpdateASB(msg); err != nil {
			require.ErrorIs(t, err, ErrBadReply)
			require.Equal(t, before, s, "a bad message changes nothing")
			return
		}
		require.Len(t, msg, ASBLen)
		require.True(t, s.Paper >= PaperOK && s.Paper <= PaperOut)
		// What was decoded encodes to a message that decodes the same, but
		// for online: the encoder is offline whenever the printer cannot print.
		again := s.ASB()
		var s2 Status
		require.NoError(t, s2.UpdateASB(again[:]))
		require.Equal(t, s.Err() == nil, s2.Online)
		s2.Online = s.Online
		require.Equal(t, s, s2)
	})
}
