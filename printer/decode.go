package printer

import (
	"cmp"
	"maps"
	"strings"
)

// Line is one printed line of a decoded ticket, with the modes in force when its
// first character arrived.
type Line struct {
	Text   string
	Width  int // GS ! width magnification, 1..8
	Height int // GS ! height magnification, 1..8
	Bold   bool
	Align  Align
}

// Doc is one piece of paper: everything printed up to a cut.
type Doc struct {
	Lines    []Line
	QR       []string  // payloads of printed QR codes, in order
	QRAt     []int     // where each QR code was printed: the number of Lines before it
	QRModule []int     // the module size in dots each QR code was printed with
	Barcodes []string  // data of printed CODE128 bar codes (without the code set prefix)
	Images   int       // raster images and NV logos printed
	ImagesAt []int     // where each image was printed: the number of Lines before it
	Bitmaps  []*Bitmap // the dots of each image; nil for an NV logo (in the printer's flash)
	Cut      bool      // ended by GS V; false only for Decoder.Pending
}

// String returns the plain text of the doc, one line per Line.
func (d Doc) String() string {
	var sb strings.Builder
	for i, l := range d.Lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(l.Text)
	}
	return sb.String()
}

// Decoder turns an ESC/POS byte stream back into Docs, as a printer would print it.
// It understands every command the encoders here emit, skips the common ones they do
// not (with their parameters), ignores DLE EOT, and never fails: garbage decodes to
// garbage text. A Decoder is not safe for concurrent use.
type Decoder struct {
	pages map[byte]*CodePage
	page  *CodePage

	pend   []byte // an incomplete command waiting for more bytes
	offset int    // bytes consumed from the stream so far
	cutAt  int    // offset just after the last cut

	doc     Doc
	line    strings.Builder
	lineSet bool // the current line has its modes captured in lineAt
	lineAt  Line // modes of the current line
	cur     Line // modes in force (Text unused)
	qr      string
	// qrModule is the module size GS ( k function 167 set (0: none,
	// qrDefaultModule).
	qrModule int

	asb     byte // the items of automatic status back in force (GS a n)
	asbSets int  // GS a commands processed

	pids []ProcessID // process ID requests processed (GS ( H fn=48)
}

// NewDecoder returns a decoder that maps ESC t numbers to code pages with the tables
// of p; nil means the union of the built-in profiles (they do not conflict). Before
// any ESC t the stream is read as CP437, the power-on page of ESC/POS printers.
func NewDecoder(p *Profile) *Decoder {
	d := &Decoder{pages: map[byte]*CodePage{0: CP437}}
	if p != nil {
		maps.Copy(d.pages, p.pagesByTable())
	} else {
		for _, bp := range builtinProfiles {
			maps.Copy(d.pages, bp.pagesByTable())
		}
	}
	d.reset()
	return d
}

// Decode decodes a whole stream. It returns the docs ended by a cut and rest, the
// bytes after the last cut: the unfinished ticket and any incomplete command, to be
// decoded again once more bytes arrive. (Code page state before the cut is not
// carried over; tickets select theirs after ESC @. Use a Decoder for a live stream.)
func Decode(b []byte) (docs []Doc, rest []byte) {
	d := NewDecoder(nil)
	docs = d.Feed(b)
	return docs, b[d.cutAt:]
}

// unfinished is how many more bytes a printer that received data awaits
// of its last command, cut off inside it (the rows of a raster logo, a QR
// code's data): 0 when data ends between commands.
func unfinished(prof *Profile, data []byte) int {
	d := NewDecoder(prof)
	d.Feed(data)
	if len(d.pend) == 0 {
		return 0
	}
	pend := d.pend
	for k := 256; k <= 1<<24; k *= 8 {
		if n, _ := d.step(append(append([]byte(nil), pend...), make([]byte, k)...)); n > 0 {
			return max(n-len(pend), 0)
		}
	}
	return 0
}

// qrDefaultModule is the module size of a QR code printed without one set:
// 3 dots, Epson's default.
const qrDefaultModule = 3

// Feed decodes the next bytes of the stream and returns the docs they complete.
func (d *Decoder) Feed(p []byte) []Doc {
	var docs []Doc
	buf := p
	base := d.offset - len(d.pend) // stream offset of buf[0]
	if len(d.pend) > 0 {
		buf = append(d.pend, p...)
	}
	i := 0
	for i < len(buf) {
		n, cut := d.step(buf[i:])
		if n == 0 { // incomplete command: wait for more
			break
		}
		i += n
		if cut {
			d.cutAt = base + i
			docs = append(docs, d.finish(true))
		}
	}
	d.pend = append(d.pend[:0:0], buf[i:]...)
	d.offset += len(p)
	return docs
}

// Pending returns what has been printed since the last cut (Cut false), including
// the line still being composed.
func (d *Decoder) Pending() Doc {
	doc := d.doc
	doc.Lines = append([]Line(nil), d.doc.Lines...)
	doc.QR = append([]string(nil), d.doc.QR...)
	doc.QRAt = append([]int(nil), d.doc.QRAt...)
	doc.QRModule = append([]int(nil), d.doc.QRModule...)
	doc.ImagesAt = append([]int(nil), d.doc.ImagesAt...)
	doc.Bitmaps = append([]*Bitmap(nil), d.doc.Bitmaps...)
	if d.line.Len() > 0 {
		l := d.lineAt
		l.Text = d.line.String()
		doc.Lines = append(doc.Lines, l)
	}
	return doc
}

// AutoStatus returns the items of automatic status back the stream has turned
// on (GS a n; ESC @ turns them off), and how many GS a commands it has held so
// far: a printer sends its status at once for each one that turns items on.
func (d *Decoder) AutoStatus() (items byte, sets int) { return d.asb, d.asbSets }

// ProcessIDs returns the process IDs of the requests (GS ( H fn=48) the
// stream has held so far, in order: a printer answers each once the data
// before it is printed.
func (d *Decoder) ProcessIDs() []ProcessID { return d.pids }

// Discard drops what was printed since the last cut, as when the paper
// with an unfinished ticket is torn off, and any command cut by the end of
// the last Feed.
func (d *Decoder) Discard() {
	d.pend = nil
	d.doc = Doc{}
	d.qr = ""
	d.cutAt = d.offset
	d.reset()
}

func (d *Decoder) reset() {
	d.page = d.pages[0]
	d.cur = Line{Width: 1, Height: 1}
	d.line.Reset()
	d.lineSet = false
}

func (d *Decoder) finish(cut bool) Doc {
	if d.line.Len() > 0 {
		d.endLine()
	}
	doc := d.doc
	doc.Cut = cut
	d.doc = Doc{}
	return doc
}

func (d *Decoder) endLine() {
	l := d.cur
	if d.lineSet {
		l = d.lineAt
	}
	l.Text = d.line.String()
	d.doc.Lines = append(d.doc.Lines, l)
	d.line.Reset()
	d.lineSet = false
}

func (d *Decoder) text(c byte) {
	if !d.lineSet {
		// Capture the modes of the line at its first character.
		d.lineAt = d.cur
		d.lineSet = true
	}
	if d.page == nil {
		if c < 0x80 {
			d.line.WriteByte(c)
		} else {
			d.line.WriteRune('\uFFFD')
		}
		return
	}
	d.line.WriteRune(d.page.decodeByte(c))
}

// step interprets the command at the start of b. It returns the bytes consumed (0
// when b holds an incomplete command) and whether the command cut the paper.
func (d *Decoder) step(b []byte) (n int, cut bool) {
	need := func(k int) bool { return len(b) >= k }
	switch c := b[0]; c {
	case LF:
		d.endLine()
		return 1, false
	case DLE:
		if !need(2) {
			return 0, false
		}
		switch b[1] {
		case EOT, 0x05: // DLE EOT n, DLE ENQ n: real-time, print nothing
			if !need(3) {
				return 0, false
			}
			return 3, false
		case 0x14: // DLE DC4 fn m t
			if !need(5) {
				return 0, false
			}
			return 5, false
		}
		return 1, false
	case ESC:
		return d.esc(b)
	case GS:
		return d.gs(b)
	case FS:
		if !need(2) {
			return 0, false
		}
		switch b[1] {
		case 'p': // FS p n m
			if !need(4) {
				return 0, false
			}
			d.image(nil)
			return 4, false
		case '.': // FS .: cancel Kanji character mode, prints nothing
			return 2, false
		}
		return 2, false
	default:
		if c < 0x20 { // CR, HT, FF and other controls print nothing here
			return 1, false
		}
		d.text(c)
		return 1, false
	}
}

func (d *Decoder) esc(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	switch b[1] {
	case '@':
		// Initialize clears the print buffer: an unfinished line is lost,
		// automatic status back is off, and the QR module size its default.
		d.reset()
		d.asb, d.qrModule = 0, 0
		return 2, false
	case '2':
		return 2, false
	case 'p': // ESC p m t1 t2: drawer kick
		if len(b) < 5 {
			return 0, false
		}
		return 5, false
	case 't', 'a', 'E', '3', 'd', '!', 'J', '-', 'G', 'M', 'R', 'V', 'r', ' ', '{', 'c', 'U', 'e', 'K':
		if len(b) < 3 {
			return 0, false
		}
	default:
		return 2, false
	}
	n := b[2]
	switch b[1] {
	case 't':
		d.page = d.pages[n]
	case 'a':
		switch n {
		case 0, '0':
			d.cur.Align = AlignLeft
		case 1, '1':
			d.cur.Align = AlignCenter
		case 2, '2':
			d.cur.Align = AlignRight
		}
	case 'E':
		d.cur.Bold = n&1 == 1
	case '!': // ESC ! n: bit 3 emphasized, bit 4 double height, bit 5 double width
		d.cur.Bold = n&0x08 != 0
		d.cur.Height = 1 + int(n>>4&1)
		d.cur.Width = 1 + int(n>>5&1)
	case 'd':
		for range n {
			d.endLine()
		}
	case 'c': // ESC c 3 n, ESC c 4 n, ESC c 5 n: four bytes
		if len(b) < 4 {
			return 0, false
		}
		return 4, false
	}
	return 3, false
}

func (d *Decoder) gs(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	switch b[1] {
	case '!':
		if len(b) < 3 {
			return 0, false
		}
		d.cur.Width = 1 + int(b[2]>>4&7)
		d.cur.Height = 1 + int(b[2]&7)
		return 3, false
	case 'V':
		if len(b) < 3 {
			return 0, false
		}
		switch b[2] {
		case 0, 1, '0', '1':
			return 3, true
		}
		if len(b) < 4 {
			return 0, false
		}
		return 4, true
	case '(': // GS ( fn pL pH data
		if len(b) < 5 {
			return 0, false
		}
		size := 5 + int(b[3]) + int(b[4])<<8
		if len(b) < size {
			return 0, false
		}
		switch {
		case b[2] == 'k':
			d.symbol(b[5:size])
		case b[2] == 'H' && size == 11 && b[5] == 48 && b[6] == 48:
			d.pids = append(d.pids, ProcessID(b[7:11]))
		}
		return size, false
	case 'k':
		return d.barcode(b)
	case 'v': // GS v 0 m xL xH yL yH d1...dk
		if len(b) < 8 {
			return 0, false
		}
		// Up to 65535 × 65535 bytes: counted in 64 bits, so that it is
		// not negative on a 32-bit Pi.
		wb, rows := int(b[4])+int(b[5])<<8, int(b[6])+int(b[7])<<8
		size := 8 + int64(wb)*int64(rows)
		if int64(len(b)) < size {
			return 0, false
		}
		d.image(&Bitmap{WidthBytes: wb, Rows: rows, Data: append([]byte(nil), b[8:size]...)})
		return int(size), false
	case 'L', 'W', 'P':
		if len(b) < 4 {
			return 0, false
		}
		return 4, false
	case 'a': // GS a n: automatic status back
		if len(b) < 3 {
			return 0, false
		}
		d.asb = b[2]
		d.asbSets++
		return 3, false
	case 'H', 'h', 'w', 'f', 'B', 'r', 'I', 'b':
		if len(b) < 3 {
			return 0, false
		}
		return 3, false
	}
	return 2, false
}

// image records a raster image, or an NV logo (bm nil); like a QR code it
// starts a line.
func (d *Decoder) image(bm *Bitmap) {
	if d.line.Len() > 0 {
		d.endLine()
	}
	d.doc.Images++
	d.doc.ImagesAt = append(d.doc.ImagesAt, len(d.doc.Lines))
	d.doc.Bitmaps = append(d.doc.Bitmaps, bm)
}

// symbol handles the parameters of GS ( k: cn fn data.
func (d *Decoder) symbol(p []byte) {
	if len(p) < 2 || p[0] != 49 { // only QR (cn = 49)
		return
	}
	switch p[1] {
	case 67: // function 167: module size
		if len(p) >= 3 {
			d.qrModule = int(p[2])
		}
	case 80: // function 180: store, after m
		if len(p) >= 3 {
			d.qr = string(p[3:])
		}
	case 81: // function 181: print
		if d.line.Len() > 0 { // the symbol starts on a new line
			d.endLine()
		}
		d.doc.QR = append(d.doc.QR, d.qr)
		d.doc.QRAt = append(d.doc.QRAt, len(d.doc.Lines))
		d.doc.QRModule = append(d.doc.QRModule, cmp.Or(d.qrModule, qrDefaultModule))
	}
}

func (d *Decoder) barcode(b []byte) (int, bool) {
	if len(b) < 3 {
		return 0, false
	}
	m := b[2]
	if m <= 6 { // function A: NUL-terminated data
		for i := 3; i < len(b); i++ {
			if b[i] == 0 {
				d.doc.Barcodes = append(d.doc.Barcodes, string(b[3:i]))
				return i + 1, false
			}
		}
		return 0, false
	}
	if len(b) < 4 {
		return 0, false
	}
	size := 4 + int(b[3])
	if len(b) < size {
		return 0, false
	}
	data := string(b[4:size])
	if m == 73 {
		data = decode128(data)
	}
	d.doc.Barcodes = append(d.doc.Barcodes, data)
	return size, false
}

// decode128 removes the code set selections ("{A", "{B", "{C") of CODE128 data and
// unescapes "{{".
func decode128(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '{' && i+1 < len(s) {
			i++
			if s[i] == '{' {
				sb.WriteByte('{')
			}
			continue
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}
