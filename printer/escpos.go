package printer

import (
	"fmt"
	"unicode/utf8"
)

// Control codes of ESC/POS.
const (
	LF  = 0x0A // print and line feed
	CR  = 0x0D // print and carriage return (ignored by most TM printers with auto LF off)
	DLE = 0x10
	EOT = 0x04
	DC4 = 0x14
	ESC = 0x1B
	FS  = 0x1C
	GS  = 0x1D
)

// Align is the horizontal justification set by ESC a.
type Align byte

// Justifications of ESC a n.
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

func (a Align) String() string {
	switch a {
	case AlignLeft:
		return "left"
	case AlignCenter:
		return "center"
	case AlignRight:
		return "right"
	}
	return fmt.Sprintf("Align(%d)", byte(a))
}

// Cut selects the cut of GS V.
type Cut byte

// Cut shapes of GS V function B.
const (
	CutFull    Cut = 65 // GS V 65 n: feed n units, full cut
	CutPartial Cut = 66 // GS V 66 n: feed n units, partial cut (one point left uncut)
)

// QRLevel is the error correction level of a QR code (GS ( k function 169).
type QRLevel byte

// Error correction levels, as the n of function 169.
const (
	QRLevelL QRLevel = 48 // recovers about 7 %
	QRLevelM QRLevel = 49 // recovers about 15 %
	QRLevelQ QRLevel = 50 // recovers about 25 %
	QRLevelH QRLevel = 51 // recovers about 30 %
)

// QRMaxData is the largest payload of GS ( k function 180: (pL + pH×256) ≤ 7092,
// three of which are cn fn m.
const QRMaxData = 7089

// Init appends ESC @ (1B 40): initialize printer. It clears the print buffer and
// resets the modes (size, emphasis, alignment, line spacing, code page) to the power-on
// defaults, so a ticket never inherits the state a previous one left.
func Init(b []byte) []byte { return append(b, ESC, '@') }

// CancelKanji appends FS . (1C 2E): cancel Kanji (Chinese) character mode.
// Xprinter and other XP-58/XP-80/POS-58/POS-80 clones sold with Chinese
// firmware start in GBK mode, where each pair of bytes ≥ 80H prints as one
// Chinese character and ESC t is ignored for them, so Cyrillic comes out as
// hieroglyphs; their ESC @ turns the stored mode back on, so it is sent after
// every ESC @. Models without Kanji ignore it.
func CancelKanji(b []byte) []byte { return append(b, FS, '.') }

// CodeTable appends ESC t n (1B 74 n): select character code table n. The numbers
// differ between models (see Profile.CodeTables).
func CodeTable(b []byte, n byte) []byte { return append(b, ESC, 't', n) }

// SetAlign appends ESC a n (1B 61 n): select justification. It applies to a line
// only when given at the beginning of the line.
func SetAlign(b []byte, a Align) []byte { return append(b, ESC, 'a', byte(a)) }

// Emphasize appends ESC E n (1B 45 n): turn emphasized (bold) mode on or off.
func Emphasize(b []byte, on bool) []byte {
	var n byte
	if on {
		n = 1
	}
	return append(b, ESC, 'E', n)
}

// Size appends GS ! n (1D 21 n): select character size. Width and height are
// magnifications 1..8 (bits 4-6 and 0-2 of n hold width-1 and height-1); values outside
// the range are clamped, since the printer would otherwise ignore the command.
func Size(b []byte, width, height int) []byte {
	return append(b, GS, '!', byte(clamp(width, 1, 8)-1)<<4|byte(clamp(height, 1, 8)-1))
}

// LineSpacing appends ESC 3 n (1B 33 n): set line spacing to n vertical motion units.
func LineSpacing(b []byte, n byte) []byte { return append(b, ESC, '3', n) }

// DefaultLineSpacing appends ESC 2 (1B 32): select the default line spacing (about
// 1/6 inch).
func DefaultLineSpacing(b []byte) []byte { return append(b, ESC, '2') }

// Feed appends ESC d n (1B 64 n): print the buffer and feed n lines.
func Feed(b []byte, n byte) []byte { return append(b, ESC, 'd', n) }

// CutPaper appends GS V m n (1D 56 m n), function B: feed the paper to the cutting
// position plus n vertical motion units, then cut. Feeding first keeps the last
// printed line on the ticket instead of under the blade.
func CutPaper(b []byte, c Cut, feed byte) []byte { return append(b, GS, 'V', byte(c), feed) }

// StatusRequest appends DLE EOT n (10 04 n): transmit real-time status. n is 1
// (printer), 2 (offline cause), 3 (error cause) or 4 (roll paper sensor). The printer
// answers with one byte at once, even when offline.
func StatusRequest(b []byte, n byte) []byte { return append(b, DLE, EOT, n) }

// ClearBuffer appends DLE DC4 fn=8 d1…d7 (10 14 08 01 03 14 01 06 02 08):
// clear the receive and print buffers, in real time. The printer discards
// what it received and has not printed yet (the rest of a ticket whose roll
// ran out), recovers from a recoverable error, and answers ClearResponse.
// Epson TM printers since the TM-T20II and TM-T88V have it; it must not be
// sent with Epson's OPOS or JavaPOS drivers in use, and nothing may follow
// it before the response.
func ClearBuffer(b []byte) []byte { return append(b, DLE, DC4, 8, 1, 3, 20, 1, 6, 2, 8) }

// Status items of GS a n, the automatic status back (ASB).
const (
	ASBOnline = 1 << 1 // online/offline
	ASBError  = 1 << 2 // errors: cutter, unrecoverable, auto-recoverable
	ASBPaper  = 1 << 3 // roll paper sensors: near end, end
	// ASBAll is every item the kiosk needs (not the drawer kick-out pin).
	ASBAll = ASBOnline | ASBError | ASBPaper
)

// AutoStatus appends GS a n (1D 61 n): enable automatic status back for
// the items of n (ASBOnline, ASBError, ASBPaper), or disable it (n = 0).
// While it is on, the printer sends its whole state in four bytes
// (Status.UpdateASB) at once and then whenever an item changes: a roll
// running out is known within milliseconds, not at the next poll. It is
// processed in the order of the print data, not in real time, and ESC @
// turns it off again, so a ticket that starts with ESC @ sends it right
// after.
func AutoStatus(b []byte, n byte) []byte { return append(b, GS, 'a', n) }

// ClearResponse is the printer's answer to ClearBuffer once the buffers
// are empty: header 37H, identifier 25H, NUL.
var ClearResponse = [3]byte{0x37, 0x25, 0x00}

// ProcessID names a run of print data in a process ID request: four bytes,
// each 32..126.
type ProcessID [4]byte

// NewProcessID is the process ID of the n-th job, its last four decimal
// digits: a reply that came late by ten thousand jobs is the only one
// mistaken for another.
func NewProcessID(n uint64) ProcessID {
	var id ProcessID
	for i := len(id) - 1; i >= 0; i-- {
		id[i] = byte('0' + n%10)
		n /= 10
	}
	return id
}

func (id ProcessID) String() string { return string(id[:]) }

// RequestProcessID appends GS ( H pL pH fn m d1 d2 d3 d4 (1D 28 48 06 00 30
// 30 d1…d4), function 48: transmit a process ID response. The printer
// answers ProcessIDResponse once it has processed the data before the
// request; when that data is printing, once it is printed and cut. So the
// answer, unlike a real-time status taken while the printer still holds
// the ticket in its buffer, tells that the paper is in the citizen's hand;
// a roll that ends in the middle holds the answer back. Epson TM printers
// since the TM-T20II and TM-T88V have it.
func RequestProcessID(b []byte, id ProcessID) []byte {
	return append(append(b, GS, '(', 'H', 6, 0, 48, 48), id[:]...)
}

// ProcessIDResponse is the printer's answer to RequestProcessID: header
// 37H, identifier 22H, d1…d4, NUL.
func ProcessIDResponse(id ProcessID) [7]byte {
	return [7]byte{0x37, 0x22, id[0], id[1], id[2], id[3], 0x00}
}

// ParseProcessIDResponse returns the process ID of a whole response block
// (header to NUL), and whether b is one.
func ParseProcessIDResponse(b []byte) (ProcessID, bool) {
	var id ProcessID
	if len(b) != 7 || b[0] != 0x37 || b[1] != 0x22 || b[6] != 0 {
		return id, false
	}
	for i, c := range b[2:6] {
		if c < 32 || c > 126 {
			return id, false
		}
		id[i] = c
	}
	return id, true
}

// gsK appends GS ( k pL pH cn fn params, the 2D symbol command, for cn = 49 (QR).
func gsK(b []byte, fn byte, params ...byte) []byte {
	n := len(params) + 2 // cn fn
	return append(append(b, GS, '(', 'k', byte(n), byte(n>>8), 49, fn), params...)
}

// QRModel appends GS ( k 04 00 31 41 n1 00, function 165: select the QR model
// (n1 = 49 model 1, 50 model 2, 51 micro QR). Model 2 is what phones read.
func QRModel(b []byte, model byte) []byte { return gsK(b, 65, model, 0) }

// QRModuleSize appends GS ( k 03 00 31 43 n, function 167: module (dot) size 1..16.
func QRModuleSize(b []byte, n int) []byte { return gsK(b, 67, byte(clamp(n, 1, 16))) }

// QRErrorCorrection appends GS ( k 03 00 31 45 n, function 169.
func QRErrorCorrection(b []byte, l QRLevel) []byte { return gsK(b, 69, byte(l)) }

// QRStore appends GS ( k pL pH 31 50 30 d1...dk, function 180: store the data of the
// symbol. It fails for an empty payload or one longer than QRMaxData.
func QRStore(b []byte, data string) ([]byte, error) {
	if len(data) == 0 || len(data) > QRMaxData {
		return b, fmt.Errorf("%w: QR payload of %d bytes (1..%d)", ErrInvalidArgument, len(data), QRMaxData)
	}
	n := len(data) + 3
	b = append(b, GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	return append(b, data...), nil
}

// QRPrint appends GS ( k 03 00 31 51 30, function 181: print the stored symbol.
func QRPrint(b []byte) []byte { return gsK(b, 81, 48) }

// QR appends the whole sequence that prints a model 2 QR code of data: functions 165,
// 167, 169, 180 and 181.
func QR(b []byte, data string, moduleSize int, l QRLevel) ([]byte, error) {
	b = QRModel(b, 50)
	b = QRModuleSize(b, moduleSize)
	b = QRErrorCorrection(b, l)
	b, err := QRStore(b, data)
	if err != nil {
		return b, err
	}
	return QRPrint(b), nil
}

// Code128 appends GS k m n d1...dn with m = 73: print a CODE128 bar code. data is
// printable ASCII; it is sent in code set B ("{B" prefix), with "{" escaped as "{{"
// as the reference requires. n is at most 255 bytes including the prefix.
func Code128(b []byte, data string) ([]byte, error) {
	d := []byte{'{', 'B'}
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c < 0x20 || c > 0x7E {
			return b, fmt.Errorf("%w: CODE128 byte 0x%02X at %d is not printable ASCII", ErrInvalidArgument, c, i)
		}
		if c == '{' {
			d = append(d, '{')
		}
		d = append(d, c)
	}
	if len(data) == 0 || len(d) > 255 {
		return b, fmt.Errorf("%w: CODE128 of %d bytes (1..253)", ErrInvalidArgument, len(data))
	}
	b = append(b, GS, 'k', 73, byte(len(d)))
	return append(b, d...), nil
}

// NVLogo appends FS p n m (1C 70 n m): print NV bit image n (1..255, stored in the
// printer's flash beforehand with the vendor's utility). m: 0 normal, 1 double width,
// 2 double height, 3 quadruple.
func NVLogo(b []byte, n, m byte) []byte { return append(b, FS, 'p', n, m) }

// Raster appends GS v 0 m xL xH yL yH d1...dk: print a raster bit image in normal
// mode (m = 0). widthBytes is the number of bytes per row (8 dots each), rows the
// number of rows; data holds widthBytes×rows bytes, most significant bit leftmost,
// 1 = black.
func Raster(b []byte, widthBytes, rows int, data []byte) ([]byte, error) {
	if widthBytes < 1 || widthBytes > 0xFFFF || rows < 1 || rows > 0x0FFF || len(data) != widthBytes*rows {
		return b, fmt.Errorf("%w: raster %d bytes × %d rows with %d data bytes", ErrInvalidArgument, widthBytes, rows, len(data))
	}
	b = append(b, GS, 'v', '0', 0, byte(widthBytes), byte(widthBytes>>8), byte(rows), byte(rows>>8))
	return append(b, data...), nil
}

func clamp(v, lo, hi int) int {
	return max(lo, min(hi, v))
}

// runeLen is the width of s in character cells at normal size: every rune the code
// pages here print takes one cell.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
