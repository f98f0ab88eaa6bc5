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
	maxTreeDepth = 64
)

// checkPages reads the pages of every bucket's tree from the file itself
// (r, not bbolt's memory map), and reports the first whose elements point
// outside it, or a child outside the file: bbolt would read them past its
// page, and its check, which runs in a goroutine of its own, fault beyond
// any recovery. A tree is followed from its root, so only the pages in use
// count.
func checkPages(tx *bolt.Tx, r io.ReaderAt) error {
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
			return nil // bbolt's check tells a page used twice
		}
		seen[id] = true
		if bufs[depth] == nil {
			bufs[depth] = make([]byte, ps)
		}
		page := bufs[depth]
		if _, err := r.ReadAt(page, int64(id)*ps); err != nil {
			return fmt.Errorf("page %d: %w", id, err)
		}
		flags, count := binary.LittleEndian.Uint16(page[8:]), int64(binary.LittleEndian.Uint16(page[10:]))
		span := (int64(binary.LittleEndian.Uint32(page[12:])) + 1) * ps
		if uint64(id)+uint64(span/ps) > hwm {
			return fmt.Errorf("page %d: spans %d pages, past the file's %d", id, span/ps, hwm)
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
			return err
		}
	}
	return nil
}
