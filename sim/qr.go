package sim

import "fmt"

// A QR code encoder (ISO/IEC 18004, model 2), enough to draw what the printer
// prints for GS ( k: byte mode, error correction level M (the level the ticket
// asks for with function 169), versions 1 to 10, so payloads of up to 213
// bytes. It follows the structure of Project Nayuki's reference implementation.

// qrVersion is the layout of one version at level M.
type qrVersion struct {
	ecPerBlock int
	blocks     []int // data codewords of each block
	align      []int // centres of the alignment patterns
}

var qrVersions = []qrVersion{
	1:  {10, []int{16}, nil},
	2:  {16, []int{28}, []int{6, 18}},
	3:  {26, []int{44}, []int{6, 22}},
	4:  {18, []int{32, 32}, []int{6, 26}},
	5:  {24, []int{43, 43}, []int{6, 30}},
	6:  {16, []int{27, 27, 27, 27}, []int{6, 34}},
	7:  {18, []int{31, 31, 31, 31}, []int{6, 22, 38}},
	8:  {22, []int{38, 38, 39, 39}, []int{6, 24, 42}},
	9:  {22, []int{36, 36, 36, 37, 37}, []int{6, 26, 46}},
	10: {26, []int{43, 43, 43, 43, 44}, []int{6, 28, 50}},
}

// qrSymbol is an encoded symbol: dark modules are true, [y][x].
type qrSymbol [][]bool

// encodeQR returns the smallest symbol that holds data.
func encodeQR(data []byte) (qrSymbol, error) {
	for v := 1; v < len(qrVersions); v++ {
		vi := qrVersions[v]
		capacity := 0
		for _, b := range vi.blocks {
			capacity += b
		}
		countBits := 8
		if v >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) > 8*capacity {
			continue
		}
		// Mode 0100 (byte), the count, the data, a terminator, pad bytes.
		var bits qrBits
		bits.put(4, 4)
		bits.put(len(data), countBits)
		for _, b := range data {
			bits.put(int(b), 8)
		}
		bits.put(0, min(4, 8*capacity-len(bits)))
		for len(bits)%8 != 0 {
			bits = append(bits, false)
		}
		cw := bits.bytes()
		for pad := 0xEC; len(cw) < capacity; pad ^= 0xEC ^ 0x11 {
			cw = append(cw, byte(pad))
		}
		return newQRSymbol(v, interleave(cw, vi)), nil
	}
	return nil, fmt.Errorf("sim: QR payload of %d bytes is too long for version 10-M", len(data))
}

type qrBits []bool

func (b *qrBits) put(v, n int) {
	for i := n - 1; i >= 0; i-- {
		*b = append(*b, v>>i&1 == 1)
	}
}

func (b qrBits) bytes() []byte {
	out := make([]byte, len(b)/8)
	for i, bit := range b {
		if bit {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// interleave splits the data codewords into blocks, adds each block's
// Reed-Solomon codewords and interleaves them as the standard says.
func interleave(cw []byte, vi qrVersion) []byte {
	var data, ec [][]byte
	for _, n := range vi.blocks {
		data = append(data, cw[:n])
		ec = append(ec, rsRemainder(cw[:n], vi.ecPerBlock))
		cw = cw[n:]
	}
	var out []byte
	for i := range vi.blocks[len(vi.blocks)-1] {
		for _, d := range data {
			if i < len(d) {
				out = append(out, d[i])
			}
		}
	}
	for i := range vi.ecPerBlock {
		for _, e := range ec {
			out = append(out, e[i])
		}
	}
	return out
}

// GF(256) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := range 255 {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x >= 256 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return exp, log
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// rsRemainder returns the n error correction codewords of data.
func rsRemainder(data []byte, n int) []byte {
	gen := []byte{1} // highest degree first
	for i := range n {
		next := make([]byte, len(gen)+1)
		for j, c := range gen {
			next[j] ^= c
			next[j+1] ^= gfMul(c, gfExp[i])
		}
		gen = next
	}
	rem := make([]byte, n)
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[n-1] = 0
		for j := range n {
			rem[j] ^= gfMul(gen[j+1], f)
		}
	}
	return rem
}

type qrBuilder struct {
	size     int
	dark     qrSymbol
	function [][]bool
}

func (q *qrBuilder) set(x, y int, dark bool) {
	q.dark[y][x] = dark
	q.function[y][x] = true
}

func newQRSymbol(version int, codewords []byte) qrSymbol {
	size := 17 + 4*version
	q := &qrBuilder{size: size, dark: make(qrSymbol, size), function: make([][]bool, size)}
	for y := range size {
		q.dark[y] = make([]bool, size)
		q.function[y] = make([]bool, size)
	}
	// Timing patterns, then the finders over their ends.
	for i := range size {
		q.set(6, i, i%2 == 0)
		q.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {size - 4, 3}, {3, size - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < size && y >= 0 && y < size {
					d := max(abs(dx), abs(dy))
					q.set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	al := qrVersions[version].align
	for i, ay := range al {
		for j, ax := range al {
			if (i == 0 && j == 0) || (i == 0 && j == len(al)-1) || (i == len(al)-1 && j == 0) {
				continue // the finders are there
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.format(0) // reserve the format areas
	if version >= 7 {
		rem := version
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := version<<12 | rem
		for i := range 18 {
			dark := bits>>i&1 == 1
			a, b := size-11+i%3, i/3
			q.set(a, b, dark)
			q.set(b, a, dark)
		}
	}

	// Data, in two-module columns zigzagging up and down from the bottom right.
	i := 0
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range size {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = size - 1 - vert
				}
				if !q.function[y][x] && i < 8*len(codewords) {
					q.dark[y][x] = codewords[i/8]>>(7-i%8)&1 == 1
					i++
				}
			}
		}
	}

	best, bestScore := 0, -1
	for mask := range 8 {
		q.mask(mask)
		q.format(mask)
		if s := q.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = mask, s
		}
		q.mask(mask) // XOR again: undone
	}
	q.mask(best)
	q.format(best)
	return q.dark
}

func (q *qrBuilder) mask(m int) {
	for y := range q.size {
		for x := range q.size {
			if q.function[y][x] {
				continue
			}
			var flip bool
			switch m {
			case 0:
				flip = (x+y)%2 == 0
			case 1:
				flip = y%2 == 0
			case 2:
				flip = x%3 == 0
			case 3:
				flip = (x+y)%3 == 0
			case 4:
				flip = (x/3+y/2)%2 == 0
			case 5:
				flip = x*y%2+x*y%3 == 0
			case 6:
				flip = (x*y%2+x*y%3)%2 == 0
			case 7:
				flip = ((x+y)%2+x*y%3)%2 == 0
			}
			q.dark[y][x] = q.dark[y][x] != flip
		}
	}
}

// format draws the 15 format bits for level M (00) and mask m, twice.
func (q *qrBuilder) format(m int) {
	data := 0<<3 | m
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := range 6 {
		q.set(8, i, bit(i))
	}
	q.set(8, 7, bit(6))
	q.set(8, 8, bit(7))
	q.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.set(14-i, 8, bit(i))
	}
	for i := range 8 {
		q.set(q.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.set(8, q.size-15+i, bit(i))
	}
	q.set(8, q.size-8, true) // the dark module
}

// penalty scores a masked symbol by the four rules of the standard; the mask
// with the lowest score is used.
func (q *qrBuilder) penalty() int {
	n, score, dark := q.size, 0, 0
	at := func(x, y int, vertical bool) bool {
		if vertical {
			return q.dark[x][y]
		}
		return q.dark[y][x]
	}
	for _, vertical := range []bool{false, true} {
		for y := range n {
			run := 1
			for x := 1; x <= n; x++ {
				if x < n && at(x, y, vertical) == at(x-1, y, vertical) {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
			// 1:1:3:1:1 finder-like runs with four light modules on a side.
			for x := 0; x+11 <= n; x++ {
				var p [11]bool
				for k := range 11 {
					p[k] = at(x+k, y, vertical)
				}
				core := p[4] && !p[5] && p[6] && p[7] && p[8] && !p[9] && p[10]
				coreL := p[0] && !p[1] && p[2] && p[3] && p[4] && !p[5] && p[6]
				if core && !p[0] && !p[1] && !p[2] && !p[3] {
					score += 40
				}
				if coreL && !p[7] && !p[8] && !p[9] && !p[10] {
					score += 40
				}
			}
		}
	}
	for y := range n {
		for x := range n {
			if q.dark[y][x] {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := q.dark[y][x]
				if q.dark[y][x+1] == c && q.dark[y+1][x] == c && q.dark[y+1][x+1] == c {
					score += 3
				}
			}
		}
	}
	percent := dark * 100 / (n * n)
	score += 10 * (abs(percent-50) / 5)
	return score
}
