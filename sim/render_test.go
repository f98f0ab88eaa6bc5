package sim

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/printer"
)

var pngDir = flag.String("png", "", "write the rendered tickets to this folder, to look at them")

func TestRenderPNG(t *testing.T) {
	for _, name := range printer.Profiles() {
		t.Run(name, func(t *testing.T) {
			prof, err := printer.LookupProfile(name)
			require.NoError(t, err)
			b, err := prof.Ticket(ticket())
			require.NoError(t, err)
			docs := printer.NewDecoder(prof).Feed(b)
			require.Len(t, docs, 1)

			out, err := RenderPNG(docs[0], prof.Columns)
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(out))
			require.NoError(t, err)
			require.Equal(t, prof.Columns*glyphW+2*margin, img.Bounds().Dx(), "the paper is as wide as the head plus margins")
			require.Greater(t, img.Bounds().Dy(), 400)
			require.Greater(t, inkRows(img), 100, "something is printed")
			if *pngDir != "" {
				require.NoError(t, os.WriteFile(filepath.Join(*pngDir, "ticket-"+name+".png"), out, 0o644))
			}
		})
	}
}

// TestRenderGlyphs: every letter of the Ukrainian alphabet has its own glyph,
// none is the replacement box.
func TestRenderGlyphs(t *testing.T) {
	for _, r := range "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя’№«»" {
		for _, bold := range []bool{false, true} {
			require.NotEqual(t, glyphOf('\uFFFD', bold), glyphOf(r, bold), "%q bold=%v", r, bold)
		}
	}
	require.Equal(t, glyphOf('\uFFFD', false), glyphOf('\u4E2D', false), "a rune without a glyph draws the replacement")
}

// TestRenderNoBreakSpaces: the no-break space between a number and its unit
// («15 хв», on every ticket) and its narrow and figure kin are blank.
func TestRenderNoBreakSpaces(t *testing.T) {
	require.NotEqual(t, glyphOf('\uFFFD', false), glyphOf(' ', false))
	for _, r := range "\u00A0\u202F\u2007" {
		for _, bold := range []bool{false, true} {
			require.Equal(t, glyphOf(' ', bold), glyphOf(r, bold), "%U bold=%v", r, bold)
		}
	}
}

func inkRows(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + margin; x < b.Max.X-margin; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x4000 {
				n++
				break
			}
		}
	}
	return n
}

// TestRenderRasterLogo: a raster image is drawn dot for dot, centred; an NV
// logo, whose dots the simulator cannot know, stays a framed box.
func TestRenderRasterLogo(t *testing.T) {
	bm := &printer.Bitmap{WidthBytes: 2, Rows: 2, Data: []byte{0xFF, 0xFF, 0x80, 0x01}}
	doc := printer.Doc{Images: 2, ImagesAt: []int{0, 0}, Bitmaps: []*printer.Bitmap{bm, nil}}
	out, err := RenderPNG(doc, 32)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(out))
	require.NoError(t, err)
	ink := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x4000 }
	x0, y0 := margin+(32*glyphW-16)/2, 24 // centred, below the paper the last cut left
	for x := range 16 {
		require.True(t, ink(x0+x, y0), "row 0, dot %d", x)
		require.Equal(t, x == 0 || x == 15, ink(x0+x, y0+1), "row 1, dot %d", x)
	}
	require.False(t, ink(x0-1, y0), "nothing left of it")
	require.False(t, ink(x0+16, y0), "nothing right of it")
	require.Greater(t, inkRows(img), 90, "the NV logo's box under it")
}
