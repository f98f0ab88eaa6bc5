package audio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// Format is the sample format of a clip. cherga plays one format only,
// linear PCM, 16-bit signed little-endian, mono (Bits 16, Channels 1); the
// rate is the pack's, 8000 to 48000 Hz.
type Format struct {
	Rate     int // samples per second
	Channels int
	Bits     int // bits per sample
}

// String returns "16000 Hz, 16-bit, mono".
func (f Format) String() string {
	ch := "mono"
	if f.Channels != 1 {
		ch = fmt.Sprintf("%d channels", f.Channels)
	}
	return fmt.Sprintf("%d Hz, %d-bit, %s", f.Rate, f.Bits, ch)
}

// frame is the size of one sample of every channel, in bytes.
func (f Format) frame() int { return f.Channels * f.Bits / 8 }

// check returns why f is not a format cherga plays, or nil.
func (f Format) check() error {
	if f.Channels != 1 || f.Bits != 16 {
		return fmt.Errorf("%w: %s (want 16-bit mono PCM)", ErrFormat, f)
	}
	if f.Rate < 8000 || f.Rate > 48000 {
		return fmt.Errorf("%w: %d Hz (want 8000..48000)", ErrFormat, f.Rate)
	}
	return nil
}

// Clip is a run of PCM samples in one Format: little-endian, as in a WAV
// file's data chunk.
type Clip struct {
	Format Format
	Data   []byte
}

// Duration is how long the clip plays.
func (c Clip) Duration() time.Duration {
	if c.Format.Rate == 0 || c.Format.frame() == 0 {
		return 0
	}
	frames := int64(len(c.Data) / c.Format.frame())
	return time.Duration(frames) * time.Second / time.Duration(c.Format.Rate)
}

// wavHeader is the size of the canonical header WAV writes: RIFF, fmt and the
// data chunk's header.
const wavHeader = 44

// maxWAV bounds what ParseWAV reads, so a corrupt size field cannot make it
// allocate gigabytes: a minute of 48 kHz 16-bit mono.
const maxWAV = 48000 * 2 * 60

// WAV returns the clip as a canonical WAV file: a 44-byte header (RIFF, a
// 16-byte PCM fmt chunk, the data chunk) and the samples.
func (c Clip) WAV() []byte {
	b := make([]byte, 0, wavHeader+len(c.Data)+1)
	le := binary.LittleEndian
	data := len(c.Data)
	pad := data & 1
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(4+8+16+8+data+pad))
	b = append(b, "WAVE"...)
	b = append(b, "fmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1) // WAVE_FORMAT_PCM
	b = le.AppendUint16(b, uint16(c.Format.Channels))
	b = le.AppendUint32(b, uint32(c.Format.Rate))
	b = le.AppendUint32(b, uint32(c.Format.Rate*c.Format.frame())) // byte rate
	b = le.AppendUint16(b, uint16(c.Format.frame()))               // block align
	b = le.AppendUint16(b, uint16(c.Format.Bits))
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(data))
	b = append(b, c.Data...)
	if pad == 1 {
		b = append(b, 0)
	}
	return b
}

// ParseWAV reads a WAV file of linear PCM, 16-bit, mono: the RIFF header, a
// fmt chunk (WAVE_FORMAT_PCM, or WAVE_FORMAT_EXTENSIBLE with the PCM
// sub-format) and a data chunk; other chunks (LIST, fact) are skipped. The
// errors wrap ErrWAV for a file that is not a well-formed WAV and ErrFormat
// for a well-formed one in another sample format.
func ParseWAV(b []byte) (Clip, error) {
	le := binary.LittleEndian
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Clip{}, fmt.Errorf("%w: no RIFF WAVE header", ErrWAV)
	}
	if len(b) > maxWAV+1024 {
		return Clip{}, fmt.Errorf("%w: %d bytes, more than a minute of audio", ErrWAV, len(b))
	}
	var (
		f       Format
		haveFmt bool
		data    []byte
		hasData bool
	)
	rest := b[12:]
	for len(rest) >= 8 {
		// Compared as read, unsigned: on a 32-bit Pi a size of 2 GiB or
		// more would turn negative as an int.
		id, size32 := string(rest[0:4]), le.Uint32(rest[4:8])
		rest = rest[8:]
		if uint64(size32) > uint64(len(rest)) {
			return Clip{}, fmt.Errorf("%w: chunk %q of %d bytes runs past the end of the file", ErrWAV, id, size32)
		}
		size := int(size32)
		body := rest[:size]
		rest = rest[size:]
		if size&1 == 1 && len(rest) > 0 {
			rest = rest[1:] // chunks are word aligned
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return Clip{}, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAV, size)
			}
			tag := le.Uint16(body[0:2])
			f = Format{
				Channels: int(le.Uint16(body[2:4])),
				Rate:     int(min(le.Uint32(body[4:8]), math.MaxInt32)),
				Bits:     int(le.Uint16(body[14:16])),
			}
			if tag == 0xFFFE && size >= 40 { // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the tag
				tag = le.Uint16(body[24:26])
			}
			if tag != 1 {
				return Clip{}, fmt.Errorf("%w: encoding %#04x is not linear PCM", ErrFormat, tag)
			}
			if align := int(le.Uint16(body[12:14])); align != f.frame() {
				return Clip{}, fmt.Errorf("%w: block align %d for %s", ErrWAV, align, f)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Clip{}, fmt.Errorf("%w: data chunk before the fmt chunk", ErrWAV)
			}
			data, hasData = body, true
		}
		if hasData {
			break
		}
	}
	if !haveFmt {
		return Clip{}, fmt.Errorf("%w: no fmt chunk", ErrWAV)
	}
	if !hasData {
		return Clip{}, fmt.Errorf("%w: no data chunk", ErrWAV)
	}
	if err := f.check(); err != nil {
		return Clip{}, err
	}
	if len(data)%f.frame() != 0 {
		return Clip{}, fmt.Errorf("%w: data of %d bytes is not whole samples", ErrWAV, len(data))
	}
	return Clip{Format: f, Data: append([]byte(nil), data...)}, nil
}

// ReadWAV reads a whole WAV file from r with ParseWAV.
func ReadWAV(r io.Reader) (Clip, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxWAV+1025))
	if err != nil {
		return Clip{}, fmt.Errorf("audio: read WAV: %w", err)
	}
	return ParseWAV(b)
}

// Concat joins clips of one format back to back. It returns ErrFormat when
// their formats differ; no clips give an empty clip of the zero Format.
func Concat(clips ...Clip) (Clip, error) {
	if len(clips) == 0 {
		return Clip{}, nil
	}
	n := 0
	for i, c := range clips {
		if c.Format != clips[0].Format {
			return Clip{}, fmt.Errorf("%w: clip %d is %s, clip 0 is %s", ErrFormat, i, c.Format, clips[0].Format)
		}
		n += len(c.Data)
	}
	out := Clip{Format: clips[0].Format, Data: make([]byte, 0, n)}
	for _, c := range clips {
		out.Data = append(out.Data, c.Data...)
	}
	return out, nil
}

// Silence returns d of silence in format f, rounded down to whole samples.
func Silence(f Format, d time.Duration) Clip {
	frames := int(int64(d) * int64(f.Rate) / int64(time.Second))
	return Clip{Format: f, Data: make([]byte, frames*f.frame())}
}

// chimeDing is how long the first tone of Chime lasts.
const chimeDing = 550 * time.Millisecond

// Chime returns the attention signal played before an announcement: two bell
// tones a major third apart (E5, then C5, "ding-dong"), each with a quick
// attack and an exponential decay, about 1.2 s in all, at -6 dBFS peak. It is
// synthesized for the format's rate, so every pack has one.
func Chime(f Format) Clip {
	tone := func(freq float64, d time.Duration) []float64 {
		n := int(d.Seconds() * float64(f.Rate))
		s := make([]float64, n)
		for i := range s {
			t := float64(i) / float64(f.Rate)
			env := math.Exp(-3.5 * t)
			if attack := 0.005; t < attack {
				env *= t / attack
			}
			// The fundamental and a softer octave: a bell rather than a beep.
			s[i] = env * (0.8*math.Sin(2*math.Pi*freq*t) + 0.2*math.Sin(4*math.Pi*freq*t))
		}
		return s
	}
	ding := tone(659.25, chimeDing)
	dong := tone(523.25, 650*time.Millisecond)
	// Fade the last 20 ms of each tone out, so that each ends on silence:
	// the first, cut while it still rings, would click into the second.
	fade := int(0.02 * float64(f.Rate))
	for _, s := range [][]float64{ding, dong} {
		for i := range fade {
			s[len(s)-1-i] *= float64(i) / float64(fade)
		}
	}
	c := Clip{Format: f, Data: make([]byte, 0, (len(ding)+len(dong))*2)}
	for _, v := range append(ding, dong...) {
		c.Data = binary.LittleEndian.AppendUint16(c.Data, uint16(int16(math.Round(v*0.5*math.MaxInt16))))
	}
	return c
}
