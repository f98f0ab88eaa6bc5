package sim

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/cherga/cherga/printer"
)

//go:generate go run gen_font.go -dir /usr/share/consolefonts

// Geometry of a TM-T20 class head at 203 dpi: font A is 12×24 dots, so 48
// columns are 576 dots (80 mm paper, 72 mm printed) and 32 columns 384 dots
// (58 mm paper).
const (
	glyphW    = 12
	glyphH    = 24
	linePitch = 34 // ESC 2: 1/6 inch
	margin    = 32 // unprinted paper either side of the head
	qrModule  = 6  // dots per QR module on 80 mm, as the profiles ask
)

// The ticket's colours: thermal paper, its black, and the shade of the cut.
var palette = color.Palette{
	color.RGBA{0xFB, 0xFA, 0xF4, 0xFF},
	color.RGBA{0x1C, 0x1C, 0x22, 0xFF},
	color.RGBA{0xC8, 0xC6, 0xBE, 0xFF},
	color.RGBA{0x8A, 0x88, 0x80, 0xFF},
}

const (
	paper = iota
	ink
	shade
	faint
)

type glyph [glyphH]uint16

var (
	fontOnce sync.Once
	normal   map[rune]*glyph
	bold     map[rune]*glyph
)

// loadFonts decodes the glyphs. Emphasized (ESC E) is the glyph struck twice,
// one dot apart, as the printer does it.
func loadFonts() {
	normal = make(map[rune]*glyph, len(fontGlyphs))
	bold = make(map[rune]*glyph, len(fontGlyphs))
	for r, h := range fontGlyphs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 2*glyphH {
			panic(fmt.Sprintf("sim: bad glyph %q", r)) // generated file: cannot happen
		}
		var g, e glyph
		for y := range glyphH {
			g[y] = uint16(b[2*y])<<8 | uint16(b[2*y+1])
			e[y] = g[y] | g[y]>>1
		}
		normal[r], bold[r] = &g, &e
	}
}

func glyphOf(r rune, emphasized bool) *glyph {
	fontOnce.Do(loadFonts)
	set := normal
	if emphasized {
		set = bold
	}
	switch r {
	case 'ʼ':
		r = '’'
	case '₴':
		r = 'S'
	case '\u00A0', '\u202F', '\u2007':
		// No-break, narrow no-break and figure spaces: a printer's code
		// page prints them as a blank cell (CP1251 A0H), as here.
		r = ' '
	}
	if g, ok := set[r]; ok {
		return g
	}
	return set['\uFFFD']
}

// RenderPNG draws a ticket as the printer would put it on paper: a 12×24 font
// derived from Terminus for font A, the GS ! magnifications, bold, the ESC a
// alignment, the QR codes where they were printed (real, scannable symbols,
// with the payload written under them), raster images dot for dot, NV logos
// as framed boxes, and the cut.
// columns is the width of the paper in characters (48 for 80 mm, 32 for
// 58 mm); 0 means 48.
func RenderPNG(d printer.Doc, columns int) ([]byte, error) {
	if columns <= 0 {
		columns = 48
	}
	dots := columns * glyphW
	r := &renderer{dots: dots}
	// First pass measures, second draws.
	h := r.layout(d, nil)
	img := image.NewPaletted(image.Rect(0, 0, dots+2*margin, h), palette)
	r.layout(d, img)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("sim: render: %w", err)
	}
	return buf.Bytes(), nil
}

// RenderPNG draws a ticket this printer printed, on its paper width.
func (p *Printer) RenderPNG(d printer.Doc) ([]byte, error) { return RenderPNG(d, p.columns) }

type renderer struct {
	dots int
	img  *image.Paletted // nil while measuring
}

// layout places everything from the top and returns the height used.
func (r *renderer) layout(d printer.Doc, img *image.Paletted) int {
	r.img = img
	y := 24 // paper above the first line, left by the previous cut
	qr, im := 0, 0
	for i := 0; i <= len(d.Lines); i++ {
		for im < len(d.ImagesAt) && d.ImagesAt[im] <= i && im < d.Images {
			y = r.image(d, im, y)
			im++
		}
		for qr < len(d.QRAt) && d.QRAt[qr] <= i && qr < len(d.QR) {
			y = r.qr(d.QR[qr], qrModuleOf(d, qr), y)
			qr++
		}
		if i == len(d.Lines) {
			break
		}
		y = r.line(d.Lines[i], y)
	}
	for ; qr < len(d.QR); qr++ { // QRAt missing (a hand-made Doc)
		y = r.qr(d.QR[qr], qrModuleOf(d, qr), y)
	}
	for ; im < d.Images; im++ { // ImagesAt missing (a hand-made Doc)
		y = r.image(d, im, y)
	}
	y += 24 // GS V 66 24: feed before the cut
	if img != nil {
		b := img.Bounds()
		for x := 0; x < b.Dx(); x++ {
			if d.Cut && (x/6)%2 == 0 {
				img.SetColorIndex(x, y, faint)
			}
			img.SetColorIndex(x, 0, shade)
		}
		for yy := range y + 1 {
			img.SetColorIndex(0, yy, shade)
			img.SetColorIndex(b.Dx()-1, yy, shade)
		}
	}
	return y + 1
}

// line draws one text line, wrapping it as the printer does when it is wider
// than the head.
func (r *renderer) line(l printer.Line, y int) int {
	w, h := max(1, l.Width), max(1, l.Height)
	pitch := max(linePitch, glyphH*h+6)
	text := []rune(l.Text)
	perLine := max(1, r.dots/(glyphW*w))
	if len(text) == 0 {
		return y + pitch
	}
	for len(text) > 0 {
		n := min(len(text), perLine)
		seg := text[:n]
		text = text[n:]
		width := n * glyphW * w
		x := margin
		switch l.Align {
		case printer.AlignCenter:
			x += (r.dots - width) / 2
		case printer.AlignRight:
			x += r.dots - width
		}
		// Characters stand on the baseline at the bottom of the line.
		top := y + pitch - glyphH*h - 3
		for _, c := range seg {
			r.glyph(glyphOf(c, l.Bold), x, top, w, h)
			x += glyphW * w
		}
		y += pitch
	}
	return y
}

func (r *renderer) glyph(g *glyph, x0, y0, w, h int) {
	if r.img == nil {
		return
	}
	for gy := range glyphH {
		row := g[gy]
		for gx := range glyphW {
			if row&(0x8000>>gx) == 0 {
				continue
			}
			for dy := range h {
				for dx := range w {
					r.img.SetColorIndex(x0+gx*w+dx, y0+gy*h+dy, ink)
				}
			}
		}
	}
}

// qr draws the QR code of payload as the printer does (model 2, level M),
// module dots a module (0: as the profiles ask), from y: no more room
// around it than the ticket leaves. A payload too long for the encoder
// here is drawn as a framed box of the same place, naming it.
func (r *renderer) qr(payload string, module, y int) int {
	if module <= 0 {
		module = qrModule
		if r.dots < 40*glyphW {
			module = 4 // 58 mm profiles print smaller modules
		}
	}
	sym, err := encodeQR([]byte(payload))
	if err != nil {
		y = r.box(y, 160, "[QR]")
		return r.line(printer.Line{Text: payload, Width: 1, Height: 1, Align: printer.AlignCenter}, y)
	}
	side := len(sym) * module
	x0 := margin + (r.dots-side)/2
	y0 := y
	if r.img != nil {
		for my, row := range sym {
			for mx, dark := range row {
				if !dark {
					continue
				}
				for dy := range module {
					for dx := range module {
						r.img.SetColorIndex(x0+mx*module+dx, y0+my*module+dy, ink)
					}
				}
			}
		}
	}
	return y0 + side
}

// qrModuleOf is the module size QR code i of d was printed with (0: not
// known, a hand-made Doc).
func qrModuleOf(d printer.Doc, i int) int {
	if i < len(d.QRModule) {
		return d.QRModule[i]
	}
	return 0
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// image draws image i of d: a raster image dot for dot, centred as the
// ticket's ESC a centres it; an NV logo, whose dots are in the printer's
// flash, as a framed box.
func (r *renderer) image(d printer.Doc, i, y int) int {
	if i >= len(d.Bitmaps) || d.Bitmaps[i] == nil {
		return r.box(y, 96, "[logo]")
	}
	bm := d.Bitmaps[i]
	x0 := margin + max(0, r.dots-8*bm.WidthBytes)/2
	if r.img != nil {
		for by := range bm.Rows {
			for bx := range 8 * bm.WidthBytes {
				if bm.Black(bx, by) {
					r.img.SetColorIndex(x0+bx, y+by, ink)
				}
			}
		}
	}
	return y + bm.Rows
}

// box draws a framed placeholder (a logo) with a caption.
func (r *renderer) box(y, height int, caption string) int {
	x0, x1 := margin+r.dots/4, margin+3*r.dots/4
	y0, y1 := y+8, y+8+height
	if r.img != nil {
		for x := x0; x <= x1; x++ {
			r.img.SetColorIndex(x, y0, ink)
			r.img.SetColorIndex(x, y1, ink)
		}
		for yy := y0; yy <= y1; yy++ {
			r.img.SetColorIndex(x0, yy, ink)
			r.img.SetColorIndex(x1, yy, ink)
		}
	}
	r.line(printer.Line{Text: caption, Width: 1, Height: 1, Align: printer.AlignCenter}, y0+height/2-linePitch/2)
	return y1 + 8
}
