package audio

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var mono16k = Format{Rate: 16000, Channels: 1, Bits: 16}

// ramp returns a clip of n samples counting up from start, so a test can
// tell which clip a sample came from.
func ramp(f Format, start, n int) Clip {
	c := Clip{Format: f}
	for i := range n {
		c.Data = binary.LittleEndian.AppendUint16(c.Data, uint16(int16(start+i)))
	}
	return c
}

// TestConcatWAV checks that the WAV of a concatenation has the header,
// format and length of the sum of the clips, and their samples in order.
func TestConcatWAV(t *testing.T) {
	clips := []Clip{ramp(mono16k, 0, 1600), ramp(mono16k, 5000, 3), ramp(mono16k, -300, 8000), {Format: mono16k}}
	c, err := Concat(clips...)
	require.NoError(t, err)
	sum := 0
	var want []byte
	for _, cl := range clips {
		sum += len(cl.Data)
		want = append(want, cl.Data...)
	}
	require.Equal(t, want, c.Data)
	require.Equal(t, time.Duration(1600+3+8000)*time.Second/16000, c.Duration())

	w := c.WAV()
	le := binary.LittleEndian
	require.Len(t, w, 44+sum)
	require.Equal(t, "RIFF", string(w[0:4]))
	require.EqualValues(t, 36+sum, le.Uint32(w[4:8]), "RIFF size")
	require.Equal(t, "WAVEfmt ", string(w[8:16]))
	require.EqualValues(t, 16, le.Uint32(w[16:20]), "fmt size")
	require.EqualValues(t, 1, le.Uint16(w[20:22]), "PCM")
	require.EqualValues(t, 1, le.Uint16(w[22:24]), "channels")
	require.EqualValues(t, 16000, le.Uint32(w[24:28]), "rate")
	require.EqualValues(t, 32000, le.Uint32(w[28:32]), "byte rate")
	require.EqualValues(t, 2, le.Uint16(w[32:34]), "block align")
	require.EqualValues(t, 16, le.Uint16(w[34:36]), "bits")
	require.Equal(t, "data", string(w[36:40]))
	require.EqualValues(t, sum, le.Uint32(w[40:44]), "data size")
	require.Equal(t, want, w[44:])

	back, err := ParseWAV(w)
	require.NoError(t, err)
	require.Equal(t, c, back)
}

func TestConcatFormats(t *testing.T) {
	_, err := Concat(ramp(mono16k, 0, 10), ramp(Format{Rate: 8000, Channels: 1, Bits: 16}, 0, 10))
	require.ErrorIs(t, err, ErrFormat)
	require.EqualError(t, err, "audio: unsupported sample format: clip 1 is 8000 Hz, 16-bit, mono, clip 0 is 16000 Hz, 16-bit, mono")
	c, err := Concat()
	require.NoError(t, err)
	require.Zero(t, c)
}

// chunk writes one RIFF chunk, padded to an even size.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...), append([]byte("WAVE"), body...)...)
}

func fmtChunk(tag, channels int, rate uint32, bits int, extra ...byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, uint16(tag))
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(channels*bits/8))
	b = le.AppendUint16(b, uint16(channels*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	return chunk("fmt ", append(b, extra...))
}

func TestParseWAV(t *testing.T) {
	samples := ramp(mono16k, 7, 5).Data
	// WAVE_FORMAT_EXTENSIBLE: cbSize 22, valid bits, channel mask, then the
	// sub-format GUID, whose first two bytes are the PCM tag.
	ext := binary.LittleEndian.AppendUint16(nil, 22)
	ext = binary.LittleEndian.AppendUint16(ext, 16)
	ext = binary.LittleEndian.AppendUint32(ext, 4)
	ext = append(ext, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71)

	tests := []struct {
		name string
		wav  []byte
		err  error
		msg  string
	}{
		{"canonical", riff(fmtChunk(1, 1, 16000, 16), chunk("data", samples)), nil, ""},
		{"LIST before data, odd sized", riff(fmtChunk(1, 1, 16000, 16), chunk("LIST", []byte("INFOabc")), chunk("data", samples)), nil, ""},
		{"extensible", riff(fmtChunk(0xFFFE, 1, 16000, 16, ext...), chunk("data", samples)), nil, ""},
		{"not riff", []byte("OggS...."), ErrWAV, "audio: bad WAV file: no RIFF WAVE header"},
		{"no fmt", riff(chunk("data", samples)), ErrWAV, "audio: bad WAV file: data chunk before the fmt chunk"},
		{"no data", riff(fmtChunk(1, 1, 16000, 16)), ErrWAV, "audio: bad WAV file: no data chunk"},
		{"truncated", riff(fmtChunk(1, 1, 16000, 16), chunk("data", samples))[:50], ErrWAV, `audio: bad WAV file: chunk "data" of 10 bytes runs past the end of the file`},
		{"stereo", riff(fmtChunk(1, 2, 16000, 16), chunk("data", samples[:8])), ErrFormat, "audio: unsupported sample format: 16000 Hz, 16-bit, 2 channels (want 16-bit mono PCM)"},
		{"8-bit", riff(fmtChunk(1, 1, 16000, 8), chunk("data", samples)), ErrFormat, "audio: unsupported sample format: 16000 Hz, 8-bit, mono (want 16-bit mono PCM)"},
		{"float", riff(fmtChunk(3, 1, 16000, 32), chunk("data", samples[:8])), ErrFormat, "audio: unsupported sample format: encoding 0x0003 is not linear PCM"},
		{"rate", riff(fmtChunk(1, 1, 4000, 16), chunk("data", samples)), ErrFormat, "audio: unsupported sample format: 4000 Hz (want 8000..48000)"},
		// Sizes of 2 GiB and more read the same on a 32-bit Pi, where
		// an int of them is negative.
		{"chunk of 2 GiB", riff(fmtChunk(1, 1, 16000, 16), []byte("LIST\x00\x00\x00\x80abcd")), ErrWAV, `audio: bad WAV file: chunk "LIST" of 2147483648 bytes runs past the end of the file`},
		{"rate of 4 GHz", riff(fmtChunk(1, 1, 0xFFFFFFFF, 16), chunk("data", samples)), ErrFormat, "audio: unsupported sample format: 2147483647 Hz (want 8000..48000)"},
		{"half a sample", riff(fmtChunk(1, 1, 16000, 16), chunk("data", samples[:3])), ErrWAV, "audio: bad WAV file: data of 3 bytes is not whole samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWAV(tt.wav)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.EqualError(t, err, tt.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, mono16k, c.Format)
			require.Equal(t, samples, c.Data)
		})
	}
}

// TestParseEspeakWAV reads a file of the committed pack, as sox wrote it.
func TestParseEspeakWAV(t *testing.T) {
	b, err := os.ReadFile("voice/pack/uk/word/talon.wav")
	require.NoError(t, err)
	c, err := ParseWAV(b)
	require.NoError(t, err)
	require.Equal(t, mono16k, c.Format)
	require.Greater(t, c.Duration(), 200*time.Millisecond)
}

func TestChimeAndSilence(t *testing.T) {
	c := Chime(mono16k)
	require.Equal(t, mono16k, c.Format)
	require.InDelta(t, 1.2, c.Duration().Seconds(), 0.01)
	peak := 0
	for i := 0; i < len(c.Data); i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(c.Data[i:])))
		peak = max(peak, v, -v)
	}
	require.InDelta(t, 0.5*32767, peak, 0.1*32767, "about -6 dBFS")
	require.Less(t, abs16(c.Data[len(c.Data)-2:]), 50, "ends on silence")
	for _, rate := range []int{8000, 16000, 22050, 44100, 48000} {
		f := Format{Rate: rate, Channels: 1, Bits: 16}
		c := Chime(f)
		end := int(chimeDing.Seconds()*float64(rate)) * f.frame() // the first tone's last sample, then the second's first
		require.Less(t, abs16(c.Data[end-2:]), 50, "%d Hz: the first tone ends on silence, without a click", rate)
		require.Less(t, abs16(c.Data[end:]), 50, "%d Hz: the second tone starts from silence", rate)
	}

	s := Silence(mono16k, 300*time.Millisecond)
	require.Len(t, s.Data, 4800*2)
	require.Equal(t, 300*time.Millisecond, s.Duration())
}

func abs16(b []byte) int {
	v := int(int16(binary.LittleEndian.Uint16(b)))
	return max(v, -v)
}

// FuzzParseWAV: any bytes give a clip in the one format, or an error.
func FuzzParseWAV(f *testing.F) {
	f.Add(ramp(mono16k, 0, 10).WAV())
	f.Add(riff(fmtChunk(1, 1, 16000, 16), chunk("LIST", []byte("x")), chunk("data", []byte{1, 2})))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVELIST\x00\x00\x00\x80abcd"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseWAV(b)
		if err != nil {
			return
		}
		require.NoError(t, c.Format.check())
		require.Zero(t, len(c.Data)%2)
		back, err := ParseWAV(c.WAV())
		require.NoError(t, err)
		require.Equal(t, c.Data, back.Data)
	})
}
