package model

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"unsafe"
)

// compactSet is the visited set of fingerprint mode: a quotient filter
// (Bender et al., "Don't thrash: how to cache your hash on flash",
// VLDB 2012), the form of Cleary's compact hash table (1984) that LTSmin's
// compact tables and SPIN's hash compaction descend from. It keeps 64-bit
// fingerprints losslessly in fewer bits: its 2^q slots are addressed by a
// fingerprint's high q bits (the quotient), and a slot holds only the
// other 64-q bits (the remainder) and three bits that say which quotient
// the remainder belongs to. The remainders of one quotient sit in
// consecutive slots (a run), runs are in quotient order, and a run that
// finds its slot taken is shifted right:
//
//   - occupied: some stored fingerprint has this slot's index as its
//     quotient (the bit belongs to the slot, not to its remainder);
//   - continuation: the remainder continues the run of the slot before;
//   - shifted: the remainder is not in its quotient's slot.
//
// A slot with none of the three is empty. A slot takes 64-q+3 bits, so at
// q = 24 (up to 12.6 M states) it is 43 bits where a table of whole
// fingerprints takes 64, at q = 27 (100 M states) 40. Nothing is lost:
// two fingerprints are the same state exactly when all 64 bits are equal.
// Within a run, remainders are kept in increasing order, so that a lookup
// stops early.
type compactSet struct {
	words []uint64 // the slots, w bits each, little-endian, and a padding word
	b     []byte   // words as bytes
	q     uint     // log2 of the number of slots
	w     uint     // bits a slot
	mask  uint64   // 1<<w - 1
	slots uint64   // 1<<q
	n     int
	err   error // a failed growth through a file: the set is lost
	// fileFrom is the size in bytes from which the table grows through
	// a file (growThroughFile); 0: never.
	fileFrom int
}

const (
	qfOccupied     = 1
	qfContinuation = 2
	qfShifted      = 4
	qfMeta         = 7
)

func newCompactSet() *compactSet {
	c := newCompactSetBits(16)
	c.fileFrom = growThroughFile
	return c
}

func newCompactSetBits(q uint) *compactSet {
	c := &compactSet{q: q, w: 64 - q + 3, mask: 1<<(64-q+3) - 1, slots: 1 << q}
	c.words = make([]uint64, compactWords(q))
	hugePages(c.words)
	c.b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.words))), 8*len(c.words))
	return c
}

// compactWords is the length in words of a table of 2^q slots: a slot is
// read as the 8 bytes from its first byte on, so a padding word follows.
func compactWords(q uint) int { return int(((uint64(1)<<q)*uint64(64-q+3)+63)/64) + 1 }

func (c *compactSet) size() int { return c.n }

func (c *compactSet) bytes() uint64 { return 8 * uint64(len(c.words)) }

// get returns slot i: its remainder<<3 | its three bits. Slots are at
// most 51 bits wide (q >= 16), so a slot and its bit offset in its first
// byte fit one 8-byte load, which the padding word keeps inside the
// table: i is always below slots (next and prev wrap), so the load is
// not bounds-checked.
func (c *compactSet) get(i uint64) uint64 {
	o := i * uint64(c.w)
	return binary.LittleEndian.Uint64(c.at(o >> 3)[:]) >> (o & 7) & c.mask
}

// at returns the 8 bytes from byte k of the table on.
func (c *compactSet) at(k uint64) *[8]byte {
	return (*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(c.b)), k))
}

func (c *compactSet) set(i, v uint64) {
	o := i * uint64(c.w)
	p := c.at(o >> 3)[:]
	sh := o & 7
	binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)&^(c.mask<<sh)|v<<sh)
}

func (c *compactSet) next(i uint64) uint64 { return (i + 1) & (c.slots - 1) }
func (c *compactSet) prev(i uint64) uint64 { return (i - 1) & (c.slots - 1) }

// split returns fp's quotient and remainder.
func (c *compactSet) split(fp uint64) (uint64, uint64) {
	return fp >> (64 - c.q), fp & (1<<(64-c.q) - 1)
}

// runStart returns the slot where the run of quotient fq starts, or where
// it would start: past the runs of the quotients before fq in its
// cluster (the slots from the last unshifted one on).
func (c *compactSet) runStart(fq uint64) uint64 {
	b := fq
	for c.get(b)&qfShifted != 0 {
		b = c.prev(b)
	}
	s := b
	for b != fq {
		for { // past the run of quotient b
			s = c.next(s)
			if c.get(s)&qfContinuation == 0 {
				break
			}
		}
		for { // the next quotient with a run
			b = c.next(b)
			if c.get(b)&qfOccupied != 0 {
				break
			}
		}
	}
	return s
}

func (c *compactSet) has(_ []uint64, fp uint64) bool {
	fq, fr := c.split(fp)
	if c.get(fq)&qfOccupied == 0 {
		return false
	}
	s := c.runStart(fq)
	for {
		r := c.get(s) >> 3
		if r >= fr {
			return r == fr
		}
		s = c.next(s)
		if c.get(s)&qfContinuation == 0 {
			return false
		}
	}
}

func (c *compactSet) add(_ []uint64, fp uint64) bool {
	if 4*(uint64(c.n)+1) > 3*c.slots {
		c.grow()
	}
	if !c.insert(fp) {
		return false
	}
	c.n++
	return true
}

// insert puts fp in the table (which has an empty slot) and reports
// whether it was not there.
func (c *compactSet) insert(fp uint64) bool {
	fq, fr := c.split(fp)
	home := c.get(fq)
	entry := fr << 3
	if home&qfMeta == 0 {
		c.set(fq, entry|qfOccupied)
		return true
	}
	if home&qfOccupied == 0 {
		c.set(fq, home|qfOccupied) // a new run, placed by runStart
	}
	start := c.runStart(fq)
	s := start
	if home&qfOccupied != 0 {
		for { // the place of fr in its run
			r := c.get(s) >> 3
			if r == fr {
				return false
			}
			if r > fr {
				break
			}
			s = c.next(s)
			if c.get(s)&qfContinuation == 0 {
				break
			}
		}
		if s == start { // the run's old head continues the new one
			c.set(start, c.get(start)|qfContinuation)
		} else {
			entry |= qfContinuation
		}
	}
	if s != fq {
		entry |= qfShifted
	}
	// Shift the slots from s up to the next empty one right by one: their
	// remainders move (shifted now), the occupied bits stay with the slots.
	cur := entry
	for {
		old := c.get(s)
		empty := old&qfMeta == 0
		if !empty {
			old |= qfShifted
			if old&qfOccupied != 0 {
				cur |= qfOccupied
				old &^= qfOccupied
			}
		}
		c.set(s, cur)
		if empty {
			return true
		}
		cur = old
		s = c.next(s)
	}
}

// prefetch starts loading the slot of fp's quotient.
func (c *compactSet) prefetch(fp uint64) {
	prefetch(unsafe.Pointer(&c.b[((fp>>(64-c.q))*uint64(c.w))>>3]))
}

func (c *compactSet) growBytes(k int) uint64 {
	if 4*uint64(c.n+k) <= 3*c.slots {
		return 0
	}
	return 8 * uint64(compactWords(c.q+uint(growFactor(int(c.slots)))))
}

// each calls fn with every fingerprint in the table, in increasing order
// from the first cluster after an empty slot on.
func (c *compactSet) each(fn func(uint64)) {
	if c.n == 0 {
		return
	}
	e := uint64(0)
	for c.get(e)&qfMeta != 0 {
		e++
	}
	quot := e
	i := c.next(e)
	for k := uint64(0); k < c.slots; k++ {
		v := c.get(i)
		if v&qfMeta != 0 {
			if v&qfShifted == 0 {
				quot = i // a cluster's first run, in its own slot
			} else if v&qfContinuation == 0 {
				for { // a shifted run: of the next occupied quotient
					quot = c.next(quot)
					if c.get(quot)&qfOccupied != 0 {
						break
					}
				}
			}
			fn(quot<<(64-c.q) | v>>3)
		}
		i = c.next(i)
	}
}

// growThroughFile is the size from which a table grows through a file.
const growThroughFile = 16 << 20

func (c *compactSet) grow() {
	q := c.q + uint(growFactor(int(c.slots)))
	if c.fileFrom > 0 && 8*len(c.words) >= c.fileFrom && c.growThroughFile(q) {
		return
	}
	nc := newCompactSetBits(q)
	c.each(func(fp uint64) { nc.insert(fp) })
	nc.n, nc.fileFrom = c.n, c.fileFrom
	*c = *nc
}

// growThroughFile moves a large table to a bigger one without holding
// both: the fingerprints go to a temporary file, the old table is
// returned to the system, and the new one is filled from the file. Most
// of a search's peak memory would otherwise be the two tables of its
// last growth. It reports false, the table unchanged, if the file could
// not be written; an error reading it back loses the set (error).
func (c *compactSet) growThroughFile(q uint) bool {
	f, err := os.CreateTemp("", "patchcheck-visited-*")
	if err != nil {
		return false
	}
	defer f.Close()
	_ = os.Remove(f.Name()) // unlinked: gone with the process
	w := bufio.NewWriterSize(f, 1<<20)
	var buf [8]byte
	c.each(func(fp uint64) {
		binary.LittleEndian.PutUint64(buf[:], fp)
		w.Write(buf[:]) // the first error sticks: Flush returns it
	})
	if w.Flush() != nil {
		return false
	}
	n, from := c.n, c.fileFrom
	*c = compactSet{}
	debug.FreeOSMemory() // the old table, before the new one is allocated
	nc := newCompactSetBits(q)
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, 8*int64(n)), 1<<20)
	for range n {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			nc.err = fmt.Errorf("growing the visited set through a temporary file: %w", err)
			break
		}
		nc.insert(binary.LittleEndian.Uint64(buf[:]))
	}
	nc.n, nc.fileFrom = n, from
	*c = *nc
	return true
}

func (c *compactSet) error() error { return c.err }
