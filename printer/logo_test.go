package printer

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

// testLogo is a 10×3 image: a black frame row, a row of black, grey and
// transparent dots, a white row with a black dot at each end.
func testLogo() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 10, 3))
	for x := range 10 {
		img.Set(x, 0, color.Black)
		img.Set(x, 2, color.White)
	}
	img.Set(0, 2, color.Black)
	img.Set(9, 2, color.Black)
	for x := range 10 {
		switch x % 3 {
		case 0:
			img.Set(x, 1, color.NRGBA{0x40, 0x40, 0x40, 0xFF}) // dark grey: black
		case 1:
			img.Set(x, 1, color.NRGBA{0xC0, 0xC0, 0xC0, 0xFF}) // light grey: white
		case 2:
			img.Set(x, 1, color.NRGBA{0, 0, 0, 0}) // transparent on white paper
		}
	}
	return img
}

func TestNewBitmap(t *testing.T) {
	bm, err := NewBitmap(testLogo(), 384)
	require.NoError(t, err)
	require.Equal(t, &Bitmap{WidthBytes: 2, Rows: 3, Data: []byte{
		0xFF, 0xC0, // ########## (10 dots, then padding)
		0x92, 0x40, // #..#..#..#
		0x80, 0x40, // #........#
	}}, bm)
	require.True(t, bm.Black(9, 2))
	require.False(t, bm.Black(10, 0), "padding")
	require.False(t, bm.Black(-1, 0))

	// Wider than the head: scaled down to it, height in proportion.
	wide := image.NewGray(image.Rect(0, 0, 800, 100))
	bm, err = NewBitmap(wide, 384)
	require.NoError(t, err)
	require.Equal(t, 48, bm.WidthBytes)
	require.Equal(t, 48, bm.Rows)

	// A head whose width is not whole bytes (35 columns: 420 dots): the
	// logo takes the whole bytes of it, 416 dots, and prints.
	bm, err = NewBitmap(wide, 420)
	require.NoError(t, err)
	require.Equal(t, 52, bm.WidthBytes)
	p := profile(t, "xprinter-58")
	p.Columns = 35
	_, err = p.Ticket(&Ticket{Label: "А1", Logo: bm})
	require.NoError(t, err)

	_, err = NewBitmap(image.NewGray(image.Rect(0, 0, 100, 300)), 384)
	require.ErrorIs(t, err, ErrInvalidArgument, "too high")
	_, err = NewBitmap(image.NewGray(image.Rect(0, 0, 0, 0)), 384)
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// A raster logo is printed at the top, centred, with GS v 0, and decodes
// back to its dots.
func TestTicketRasterLogo(t *testing.T) {
	p := profile(t, "xprinter-58")
	require.Equal(t, 384, p.Dots())
	require.Equal(t, 576, profile(t, "epson-tm-t20").Dots())
	bm, err := NewBitmap(testLogo(), p.Dots())
	require.NoError(t, err)
	tk := testTicket()
	tk.Logo = bm
	b, err := p.Ticket(tk)
	require.NoError(t, err)
	start := []byte{ESC, '@', FS, '.', ESC, 't', 73, ESC, 'a', 1, GS, 'v', '0', 0, 2, 0, 3, 0, 0xFF, 0xC0, 0x92, 0x40, 0x80, 0x40, ESC, 'E', 1}
	require.True(t, bytes.HasPrefix(b, start), "% X", b[:len(start)])

	docs := NewDecoder(p).Feed(b)
	require.Len(t, docs, 1)
	require.Equal(t, 1, docs[0].Images)
	require.Equal(t, []int{0}, docs[0].ImagesAt)
	require.Equal(t, []*Bitmap{bm}, docs[0].Bitmaps)

	tk.Logo, err = NewBitmap(image.NewGray(image.Rect(0, 0, 576, 10)), 576)
	require.NoError(t, err)
	_, err = p.Ticket(tk)
	require.ErrorIs(t, err, ErrInvalidArgument, "an 80 mm logo on 58 mm paper")

	tk.NVLogo = 1 // the flash's logo wins: four bytes, not hundreds
	require.Equal(t, []*Bitmap{nil}, printed(t, p, tk).Bitmaps)
}
