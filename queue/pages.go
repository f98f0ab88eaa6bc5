package queue

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"

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
	bucketElem   = 0x01 // a leaf element's flag: a nested bucket
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
		if err := h.check(id, hwm, ps); err != nil {
			return err
		}
		flags, count, span := h.flags, int64(h.count), int64(h.span)*ps
		for p := id; p < id+h.span; p++ {
			if seen[p] {
				return fmt.Errorf("page %d: spans page %d, which is used elsewhere", id, p)
			}
			seen[p] = true
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
				// A bucket's element holds its root (0: inline, in the
				// element): its tree is walked from here, not found
				// through bbolt's cursors, which a loop of pages sends
				// round for ever.
				if binary.LittleEndian.Uint32(page[e:])&bucketElem == 0 || vsize < 8 {
					continue
				}
				v := e + pos + ksize
				if v+8 > int64(len(page)) {
					page = make([]byte, v+8)
					if _, err := r.ReadAt(page, int64(id)*ps); err != nil {
						return fmt.Errorf("page %d: %w", id, err)
					}
				}
				if root := binary.LittleEndian.Uint64(page[v:]); root != 0 {
					if err := walk(root, depth+1); err != nil {
						return err
					}
				}
			default:
				return fmt.Errorf("page %d: neither branch nor leaf (flags %#x)", id, flags)
			}
		}
		return nil
	}
	// The buckets' trees hang from the leaves of the root bucket's.
	if err := walk(uint64(tx.Cursor().Bucket().Root()), 0); err != nil {
		return nil, err
	}
	return seen, nil
}

// check refuses the header h of page id, in a file of hwm pages of ps
// bytes, that would send bbolt past the page: another page's id, a span
// past the file, more elements than fit, or a branch without any (bbolt
// makes none: it drops a branch whose last child went; its cursors,
// looking for the last, go round for ever).
func (h pageHead) check(id, hwm uint64, ps int64) error {
	switch {
	case h.id != id:
		return fmt.Errorf("page %d: its header says page %d", id, h.id)
	case id+h.span > hwm:
		return fmt.Errorf("page %d: spans %d pages, past the file's %d", id, h.span, hwm)
	case pageHeader+int64(h.count)*branchElem > int64(h.span)*ps:
		return fmt.Errorf("page %d: %d elements do not fit in it", id, h.count)
	case h.flags&branchFlag != 0 && h.count == 0:
		return fmt.Errorf("page %d: a branch page without elements", id)
	}
	return nil
}

// branchesReached is checkPages for the start (freeInUse): the pages the
// trees of the top-level buckets reach, their branch pages read from the
// file (r) and their leaves not. A leaf's id is in its parent, and every
// leaf of a tree is as deep as its first (bbolt keeps its trees balanced),
// so below the last level of branches nothing is read: at a year of
// history a few hundred reads, where checkPages makes one a page. Those
// leaves come back apart: a leaf's overflow pages are not reached, and a
// free page may be one (unread.covers). Nested buckets are not walked
// (the store has none): checkPages, a minute later, reaches them.
func branchesReached(tx *bolt.Tx, r io.ReaderAt) (map[uint64]bool, *unread, error) {
	ps := int64(tx.DB().Info().PageSize)
	hwm := uint64(filePages(tx))
	reached := map[uint64]bool{}
	leaves := &unread{r: r, ps: ps}
	// read returns the header of page id and, of a branch, its elements.
	read := func(id uint64) (pageHead, []byte, error) {
		head := make([]byte, pageHeader)
		if _, err := r.ReadAt(head, int64(id)*ps); err != nil {
			return pageHead{}, nil, fmt.Errorf("page %d: %w", id, err)
		}
		h := readHead(head)
		if err := h.check(id, hwm, ps); err != nil || h.flags&branchFlag == 0 {
			return h, nil, err
		}
		elems := make([]byte, int64(h.count)*branchElem)
		if _, err := r.ReadAt(elems, int64(id)*ps+pageHeader); err != nil {
			return h, nil, fmt.Errorf("page %d: %w", id, err)
		}
		return h, elems, nil
	}
	var walk func(id uint64, depth, leafDepth int) error
	walk = func(id uint64, depth, leafDepth int) error {
		if id < 2 || id >= hwm || depth > maxTreeDepth {
			return fmt.Errorf("page %d: out of the file's %d pages (or a loop)", id, hwm)
		}
		if reached[id] {
			return fmt.Errorf("page %d: reached twice (two parents)", id)
		}
		reached[id] = true
		if depth == leafDepth {
			leaves.ids = append(leaves.ids, id)
			return nil
		}
		h, elems, err := read(id)
		if err != nil || elems == nil {
			return err // a leaf above the others' depth: nothing below it
		}
		for p := id + 1; p < id+h.span; p++ {
			reached[p] = true
		}
		for e := 0; e < len(elems); e += branchElem {
			if err := walk(binary.LittleEndian.Uint64(elems[e+8:]), depth+1, leafDepth); err != nil {
				return err
			}
		}
		return nil
	}
	roots := []uint64{uint64(tx.Cursor().Bucket().Root())}
	if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
		if root := uint64(b.Root()); root != 0 { // 0: inline, in its parent's leaf
			roots = append(roots, root)
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	for _, root := range roots {
		// The depth of the tree's leaves: that of its first.
		depth, id := 0, root
		for ; depth <= maxTreeDepth; depth++ {
			if id < 2 || id >= hwm {
				break // walk says so
			}
			_, elems, err := read(id)
			if err != nil {
				return nil, nil, err
			}
			if len(elems) == 0 {
				break
			}
			id = binary.LittleEndian.Uint64(elems[8:])
		}
		if err := walk(root, 0, depth); err != nil {
			return nil, nil, err
		}
	}
	slices.Sort(leaves.ids)
	return reached, leaves, nil
}

// unread are the leaves branchesReached reached without reading them: a
// page in use may be one's overflow.
type unread struct {
	r   io.ReaderAt
	ps  int64
	ids []uint64 // in order
}

// covers reports whether page p is the overflow of the leaf nearest below
// it, as that leaf's header says: one read a free page.
func (u *unread) covers(p uint64) (bool, error) {
	i, _ := slices.BinarySearch(u.ids, p)
	if i == 0 {
		return false, nil
	}
	id := u.ids[i-1]
	head := make([]byte, pageHeader)
	if _, err := u.r.ReadAt(head, int64(id)*u.ps); err != nil {
		return false, fmt.Errorf("page %d: %w", id, err)
	}
	return id+readHead(head).span > p, nil
}

// freeInUse refuses the store db, before the engine writes into it, when
// its free list names a page its trees use: bbolt would give the page out
// again, and the first commit write over what it holds (one flipped bit of
// the list is enough). It compares the list with branchesReached: the
// whole check (checkStructure) reads every page, too long for the start.
func freeInUse(db *bolt.DB) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(absPath(db.Path()), &err)
	f, err := os.Open(db.Path())
	if err != nil {
		return err
	}
	defer f.Close()
	err = db.View(func(tx *bolt.Tx) error {
		free, err := freelistPage(tx, f)
		if err != nil {
			return err
		}
		reached, leaves, err := branchesReached(tx, f)
		if err != nil {
			return err
		}
		return checkFreelist(tx, f, free, reached, leaves)
	})
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, absPath(db.Path()), err)
	}
	return nil
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
// With leaves, reached holds the pages in use but the overflow of those
// leaves (branchesReached): a free page is checked against them, and one
// neither reached nor free is no loss.
func checkFreelist(tx *bolt.Tx, r io.ReaderAt, id uint64, reached map[uint64]bool, leaves *unread) error {
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
		case leaves != nil:
			if over, err := leaves.covers(p); err != nil || over {
				return cmp.Or(err, fmt.Errorf("page %d: in use and free", p))
			}
		}
		free[p] = true
	}
	if leaves != nil {
		return nil
	}
	for p := range hwm {
		if !used[p] && !free[p] {
			return fmt.Errorf("page %d: neither in use nor free (lost)", p)
		}
	}
	return nil
}
