package printer

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeCommands(t *testing.T) {
	var b []byte
	b = Init(b)
	b = CancelKanji(b)                        // prints nothing
	b = CodeTable(b, 44)                      // CP1125 on Epson
	b = append(b, 0xF6, 0xA2, 0xA0, 0xAD, LF) // Іван
	b = SetAlign(b, AlignRight)
	b = Emphasize(b, true)
	b = Size(b, 2, 3)
	b = append(b, "X"...)
	b = Size(b, 1, 1) // a mode change in the middle of a line does not split it
	b = append(b, 'Y', LF)
	b = Emphasize(b, false)
	b = SetAlign(b, AlignLeft)
	b = LineSpacing(b, 30)
	b = DefaultLineSpacing(b)
	b = StatusRequest(b, 1)
	b = append(b, 'a', CR, LF)
	b = Feed(b, 2)
	b, err := QR(b, "https://x", 4, QRLevelH)
	require.NoError(t, err)
	b, err = Code128(b, "A{23")
	require.NoError(t, err)
	b = NVLogo(b, 1, 0)
	b, err = Raster(b, 2, 3, make([]byte, 6))
	require.NoError(t, err)
	b = append(b, GS, 'k', 4, '1', '2', 0) // CODE39, function A
	b = CutPaper(b, CutFull, 0)
	b = append(b, "next\n"...)
	b = append(b, GS, 'V', 1)         // function A partial cut
	b = append(b, GS, '(', 'k', 5, 0) // incomplete

	docs, rest := Decode(b)
	require.Len(t, docs, 2)
	require.Equal(t, []Line{
		{Text: "Іван", Width: 1, Height: 1},
		{Text: "XY", Width: 2, Height: 3, Bold: true, Align: AlignRight},
		{Text: "a", Width: 1, Height: 1},
		{Text: "", Width: 1, Height: 1},
		{Text: "", Width: 1, Height: 1},
	}, docs[0].Lines)
	require.Equal(t, []string{"https://x"}, docs[0].QR)
	require.Equal(t, []string{"A{23", "12"}, docs[0].Barcodes)
	require.Equal(t, 2, docs[0].Images)
	require.True(t, docs[0].Cut)
	require.Equal(t, "next", docs[1].String())
	require.Equal(t, []byte{GS, '(', 'k', 5, 0}, rest)
}

// TestDecoderSplit feeds a ticket one byte at a time: the result must not depend on
// how the stream is cut into reads.
func TestDecoderSplit(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	b, err := p.Ticket(testTicket())
	require.NoError(t, err)
	stream := append(append([]byte{}, b...), b...)
	whole := NewDecoder(p).Feed(stream)
	require.Len(t, whole, 2)

	d := NewDecoder(p)
	var docs []Doc
	for i := range stream {
		docs = append(docs, d.Feed(stream[i:i+1])...)
		if i == len(b)+40 {
			require.Contains(t, d.Pending().String(), "ЦНАП")
			require.False(t, d.Pending().Cut)
		}
	}
	require.Equal(t, whole, docs)
	require.Equal(t, testTicketText, docs[1].String())
}

func TestDecodeRest(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	b, err := p.Ticket(testTicket())
	require.NoError(t, err)
	half := len(b) / 2
	docs, rest := Decode(append(append([]byte{}, b...), b[:half]...))
	require.Len(t, docs, 1)
	require.Equal(t, b[:half], rest, "rest is what follows the last cut")
	docs, rest = Decode(append(rest, b[half:]...))
	require.Len(t, docs, 1)
	require.Empty(t, rest)
	require.Equal(t, testTicketText, docs[0].String())
}

func TestDecodeInitDropsUnprintedLine(t *testing.T) {
	b := []byte("lost")
	b = Init(b)
	b = append(b, "kept\n"...)
	b = CutPaper(b, CutPartial, 0)
	docs, _ := Decode(b)
	require.Equal(t, "kept", docs[0].String())
}

func TestDecodeUnknownCodeTable(t *testing.T) {
	b := CodeTable(nil, 200)
	b = append(b, 'o', 'k', 0xC0, LF)
	b = CutPaper(b, CutPartial, 0)
	docs, _ := Decode(b)
	require.Equal(t, "ok\uFFFD", docs[0].String())
}

func FuzzDecode(f *testing.F) {
	p, _ := LookupProfile("xprinter-58")
	tk, _ := p.Ticket(testTicket())
	f.Add(tk)
	f.Add([]byte{GS, 'v', '0', 0, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{GS, '(', 'k', 3, 0, 49, 81, 48, GS, 'V', 66, 0})
	f.Add([]byte{DLE, EOT, 1, ESC, 'd', 255, GS, 'V', 0})
	f.Add([]byte{GS, 'k', 73, 2, '{', '{', GS, 'k', 0, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		docs, rest := Decode(b)
		require.True(t, bytes.HasSuffix(b, rest))
		for _, d := range docs {
			require.True(t, d.Cut)
			for _, l := range d.Lines {
				require.True(t, l.Width >= 1 && l.Width <= 8 && l.Height >= 1 && l.Height <= 8)
			}
		}
		// Any split of the stream decodes the same.
		if len(b) > 1 {
			d := NewDecoder(nil)
			got := d.Feed(b[:len(b)/2])
			got = append(got, d.Feed(b[len(b)/2:])...)
			require.Equal(t, len(docs), len(got))
			for i := range docs {
				require.Equal(t, docs[i].String(), got[i].String())
			}
		}
	})
}
