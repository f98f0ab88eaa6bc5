package printer

import (
	"fmt"
	"image"
	"image/color"
)

// Bitmap is a 1-bit image as GS v 0 prints it: Rows rows of WidthBytes
// bytes, eight dots a byte, the most significant bit leftmost, 1 = black.
type Bitmap struct {
	WidthBytes int
	Rows       int
	Data       []byte
}

// Black tells whether the dot at x, y is printed.
func (b *Bitmap) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= 8*b.WidthBytes || y >= b.Rows {
		return false
	}
	return b.Data[y*b.WidthBytes+x/8]&(0x80>>(x%8)) != 0
}

// maxLogoRows bounds the height of a logo: 255 rows are about 32 mm at
// 203 dpi, and 72 bytes a row make 18 KB, nine seconds at 19200 baud.
const maxLogoRows = 255

// NewBitmap converts img to the bitmap of a logo at most dots wide: scaled
// down, never up, to fit (nearest dot; a logo drawn for the paper is not
// scaled at all), then a dot is black where the image, laid on white paper,
// is darker than mid grey. A threshold, not dithering: a logo is flat
// line art and lettering, which a threshold keeps sharp, and dithering
// would fray its edges into dots a thermal head smears; a photograph is no
// logo. The bitmap is centred by the ticket's ESC a, as an NV logo is.
func NewBitmap(img image.Image, dots int) (*Bitmap, error) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w < 1 || h < 1 || dots < 8 {
		return nil, fmt.Errorf("%w: logo of %d×%d dots for a head %d dots wide", ErrInvalidArgument, w, h, dots)
	}
	// A row is whole bytes: the bitmap is at most the whole bytes of dots
	// wide (a profile of an odd number of columns is not a multiple of 8).
	dots &^= 7
	sw, sh := w, h
	if w > dots {
		sw, sh = dots, max(1, h*dots/w)
	}
	if sh > maxLogoRows {
		return nil, fmt.Errorf("%w: logo %d dots high at %d dots wide, at most %d", ErrInvalidArgument, sh, sw, maxLogoRows)
	}
	b := &Bitmap{WidthBytes: (sw + 7) / 8, Rows: sh}
	b.Data = make([]byte, b.WidthBytes*sh)
	for y := range sh {
		for x := range sw {
			c := color.Gray16Model.Convert(img.At(r.Min.X+x*w/sw, r.Min.Y+y*h/sh)).(color.Gray16)
			_, _, _, a := img.At(r.Min.X+x*w/sw, r.Min.Y+y*h/sh).RGBA()
			// On white paper: a transparent dot is white.
			if lum := uint32(c.Y) + 0xFFFF - a; lum < 0x8000 {
				b.Data[y*b.WidthBytes+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return b, nil
}

// Dots is the width of the printable line in dots: font A is 12 dots wide,
// so 48 columns are 576 dots (80 mm paper) and 32 columns 384 (58 mm).
func (p *Profile) Dots() int { return p.Columns * 12 }
