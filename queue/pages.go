package queue

import (
	"encoding/binary"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// bbolt's page layout (its internal/common package): a header of 16 bytes
// (id, flags, count of elements, overflow pages), then the elements.
const (
	pageHeader   = 16
	branchElem   = 16 // pos, ksize (uint32), the child's page id (uint64)
	leafElem     = 16 // flags, pos, ksize, vsize (uint32)
	branchFlag   = 0x01
	leafFlag     = 0x02
	freelistFlag = 0x10
	// A meta page: after the header, magic, version, page size and flags
	// (uint32 each), the root bucket (its page, its sequence), then the
	// free list's page and the transaction id (uint64 each).
	metaFreelist = pageHeader + 32
	metaTxid     = pageHeader + 48
	noFreelist   = 1<<64 - 1
	maxTreeDepth = 64
)

// pageHead is a page's header, as bbolt writes it: its own id, its flags,
// the count of its elements, and the pages it spans (1 and its overflow).
type pageHead struct {
	id           uint64
	flags, count uint16
	span         uint64
}

func readHead(b []byte) pageHead {
	return pageHead{
		id:    binary.LittleEndian.Uint64(b),
		flags: binary.LittleEndian.Uint16(b[8:]),
		count: binary.LittleEndian.Uint16(b[10:]),
		span:  uint64(binary.LittleEndian.Uint32(b[12:])) + 1,
	}
}

// checkPages reads the pages of every bucket's tree from the file itself
// (r, not bbolt's memory map), and reports the first whose elements point
// outside it, or a child outside the file: bbolt would read them past its
// page, and its check, which runs in a goroutine of its own, fault beyond
// any recovery. A tree is followed from its root, so only the pages in use
// count. A page reached twice (from two parents, or inside another's span)
// is damage too: bbolt would write both owners' changes into it. This much
// holds while writers commit meanwhile (the engine's check a minute after
// its start): the pages tx reaches stay as they are until it ends.
//
// It returns the pages it reached, spans included.
func checkPages(tx *bolt.Tx, r io.ReaderAt) (map[uint64]bool, error) {
	ps := int64(tx.DB().Info().PageSize)
	hwm := uint64(filePages(tx))
	seen := map[uint64]bool{}
	// The elements' own headers are all that is read of a page, into a
	// buffer of each depth's own (a child is read while its parent's
	// elements are still gone through): at the start of a year's store,
	// one read of a page per page in use, not its whole span.
	bufs := make([][]byte, maxTreeDepth+1)
	var walk func(id uint64, depth int) error
	walk = func(id uint64, depth int) error {
		if id < 2 || id >= hwm || depth > maxTreeDepth {
			return fmt.Errorf("page %d: out of the file's %d pages (or a loop)", id, hwm)
		}
		if seen[id] {
			return fmt.Errorf("page %d: reached twice (two parents, or inside another page's span)", id)
		}
		if bufs[depth] == nil {
			bufs[depth] = make([]byte, ps)
		}
		page := bufs[depth]
		if _, err := r.ReadAt(page, int64(id)*ps); err != nil {
			return fmt.Errorf("page %d: %w", id, err)
		}
		h := readHead(page)
		if h.id != id {
			return fmt.Errorf("page %d: its header says page %d", id, h.id)
		}
		if id+h.span > hwm {
			return fmt.Errorf("page %d: spans %d pages, past the file's %d", id, h.span, hwm)
		}
		flags, count, span := h.flags, int64(h.count), int64(h.span)*ps
		for p := id; p < id+h.span; p++ {
			if seen[p] {
				return fmt.Errorf("page %d: spans page %d, which is used elsewhere", id, p)
			}
			seen[p] = true
		}
		if pageHeader+count*branchElem > span {
			return fmt.Errorf("page %d: %d elements do not fit in it", id, count)
		}
		if need := pageHeader + count*branchElem; need > int64(len(page)) {
			page = make([]byte, need)
			if _, err := r.ReadAt(page, int64(id)*ps); err != nil {
				return fmt.Errorf("page %d: %w", id, err)
			}
		}
		for i := range count {
			e := pageHeader + i*branchElem
			switch {
			case flags&branchFlag != 0:
				pos, ksize := int64(binary.LittleEndian.Uint32(page[e:])), int64(binary.LittleEndian.Uint32(page[e+4:]))
				if e+pos+ksize > span {
					return fmt.Errorf("page %d: element %d's key lies outside it", id, i)
				}
				if err := walk(binary.LittleEndian.Uint64(page[e+8:]), depth+1); err != nil {
					return err
				}
			case flags&leafFlag != 0:
				pos := int64(binary.LittleEndian.Uint32(page[e+4:]))
				ksize, vsize := int64(binary.LittleEndian.Uint32(page[e+8:])), int64(binary.LittleEndian.Uint32(page[e+12:]))
				if e+pos+ksize+vsize > span {
					return fmt.Errorf("page %d: element %d lies outside it", id, i)
				}
			default:
				return fmt.Errorf("page %d: neither branch nor leaf (flags %#x)", id, flags)
			}
		}
		return nil
	}
	roots := []uint64{uint64(tx.Cursor().Bucket().Root())}
	_ = tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
		var nested func(b *bolt.Bucket)
		nested = func(b *bolt.Bucket) {
			if root := uint64(b.Root()); root != 0 { // 0: inline, in its parent's leaf
				roots = append(roots, root)
			}
			_ = b.ForEachBucket(func(k []byte) error {
				nested(b.Bucket(k))
				return nil
			})
		}
		nested(b)
		return nil
	})
	for _, root := range roots {
		if err := walk(root, 0); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// freelistPage is the page of the free list of the commit tx began from,
// from its meta page, read from the file (r), or 0 when that meta page has
// been written over since: bbolt writes each commit's over the one before
// the last, and a store written meanwhile has its check read it first.
func freelistPage(tx *bolt.Tx, r io.ReaderAt) (uint64, error) {
	ps := int64(tx.DB().Info().PageSize)
	meta := make([]byte, pageHeader+64)
	for m := range int64(2) {
		if _, err := r.ReadAt(meta, m*ps); err != nil {
			return 0, fmt.Errorf("page %d: %w", m, err)
		}
		if binary.LittleEndian.Uint64(meta[metaTxid:]) == uint64(tx.ID()) {
			return binary.LittleEndian.Uint64(meta[metaFreelist:]), nil
		}
	}
	return 0, nil
}

// checkFreelist reads the free list of the commit tx began from (its page
// id, from freelistPage), as that commit wrote it (the one in memory is the
// latest commit's, which a live store's writers change meanwhile), and
// checks it against the pages its trees reach (checkPages), to which it
// adds the meta pages and its own: every page below the high-water mark is
// reached or free, none both, none free twice or past the mark. A page
// neither reached nor free is lost for good; one both is given out again
// while in use. bbolt reads the list at opening without looking at it.
func checkFreelist(tx *bolt.Tx, r io.ReaderAt, id uint64, reached map[uint64]bool) error {
	ps := int64(tx.DB().Info().PageSize)
	hwm := uint64(filePages(tx))
	switch {
	case id == 0:
		return nil // a later commit's meta page took its place: nothing to compare with
	case id == noFreelist:
		return nil // not kept in the file (bbolt's NoFreelistSync)
	case id < 2 || id >= hwm:
		return fmt.Errorf("the free list's page %d: out of the file's %d pages", id, hwm)
	}
	head := make([]byte, pageHeader+8)
	if _, err := r.ReadAt(head, int64(id)*ps); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	h := readHead(head)
	span := h.span
	switch {
	case h.id != id:
		return fmt.Errorf("page %d (the free list): its header says page %d", id, h.id)
	case h.flags&freelistFlag == 0:
		return fmt.Errorf("page %d: the free list's page is not one (flags %#x)", id, h.flags)
	case id+span > hwm:
		return fmt.Errorf("page %d (the free list): spans %d pages, past the file's %d", id, span, hwm)
	}
	// The ids follow the header; a count of 0xFFFF says the count is the
	// first of them.
	n, at := uint64(h.count), int64(pageHeader)
	if n == 0xFFFF {
		n, at = binary.LittleEndian.Uint64(head[pageHeader:]), pageHeader+8
	}
	if uint64(at)+n*8 > span*uint64(ps) {
		return fmt.Errorf("page %d (the free list): %d ids do not fit in it", id, n)
	}
	ids := make([]byte, n*8)
	if _, err := r.ReadAt(ids, int64(id)*ps+at); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	used := reached
	used[0], used[1] = true, true // the meta pages
	for p := id; p < id+span; p++ {
		used[p] = true
	}
	free := make(map[uint64]bool, n)
	for i := range n {
		p := binary.LittleEndian.Uint64(ids[i*8:])
		switch {
		case p >= hwm:
			return fmt.Errorf("page %d: free, past the file's %d pages", p, hwm)
		case free[p]:
			return fmt.Errorf("page %d: free twice", p)
		case used[p]:
			return fmt.Errorf("page %d: in use and free", p)
		}
		free[p] = true
	}
	for p := range hwm {
		if !used[p] && !free[p] {
			return fmt.Errorf("page %d: neither in use nor free (lost)", p)
		}
	}
	return nil
}
