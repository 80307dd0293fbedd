package model

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
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
	// releaseAlign is the blocks in which a growth gives the old
	// table's memory back (release), 0 for 2 MiB: tests set 4 KiB.
	releaseAlign uintptr
	// jobs, if set, is where a growth is offered to the parallel
	// search's helpers (growJob); partBits is log2 of the slots of a
	// growth's part (0 for 20: tests cut small tables).
	jobs     *atomic.Pointer[growJob]
	partBits uint
}

func (c *compactSet) align() uintptr {
	if c.releaseAlign == 0 {
		return 2 << 20
	}
	return c.releaseAlign
}

const (
	qfOccupied     = 1
	qfContinuation = 2
	qfShifted      = 4
	qfMeta         = 7
)

func newCompactSet() *compactSet { return newCompactSetBits(16) }

// newCompactSetBits makes an empty set of 2^q slots, on huge pages if
// it is large (adviseHuge): its slots are read at random, and a
// dependent load over 671 MB took 153 ns on huge pages against 198 on 4
// KiB pages on this project's VM (nineteenth round). Its memory is
// faulted in as it is written (grow faults a new table's in ahead of
// its writes).
func newCompactSetBits(q uint) *compactSet {
	c := &compactSet{q: q, w: 64 - q + 3, mask: 1<<(64-q+3) - 1, slots: 1 << q}
	c.words = make([]uint64, compactWords(q))
	adviseHuge(c.words)
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

// qfReader reads a table's fingerprints out in increasing order, from
// the first cluster after an empty slot (e) on, wrapping around the end,
// for n slots: slot i is the next one it reads, quot the quotient of the
// run it is in (whose slot it may still have to read), k the slots read.
type qfReader struct {
	c             *compactSet
	e, i, quot, n uint64
	k             uint64
}

// readFrom returns a reader of the n slots after the empty slot e.
func (c *compactSet) readFrom(e, n uint64) qfReader {
	return qfReader{c: c, e: e, i: c.next(e), quot: e, n: n}
}

// firstEmpty returns the first empty slot (the table is not full).
func (c *compactSet) firstEmpty() uint64 {
	e := uint64(0)
	for c.get(e)&qfMeta != 0 {
		e++
	}
	return e
}

// next returns the next fingerprint, or false after the last; the
// fingerprint's quotient is r.quot, and r.i the slot after its.
func (r *qfReader) next() (uint64, bool) {
	c := r.c
	for r.k < r.n {
		v := c.get(r.i)
		r.k, r.i = r.k+1, c.next(r.i)
		if v&qfMeta == 0 {
			continue
		}
		if v&qfShifted == 0 {
			r.quot = c.prev(r.i) // a cluster's first run, in its own slot
		} else if v&qfContinuation == 0 {
			for { // a shifted run: of the next occupied quotient
				r.quot = c.next(r.quot)
				if c.get(r.quot)&qfOccupied != 0 {
					break
				}
			}
		}
		return r.quot<<(64-c.q) | v>>3, true
	}
	return 0, false
}

// each calls fn with every fingerprint in the table, in increasing order
// from the first cluster after an empty slot on.
func (c *compactSet) each(fn func(uint64)) {
	if c.n == 0 {
		return
	}
	for r := c.readFrom(c.firstEmpty(), c.slots); ; {
		fp, ok := r.next()
		if !ok {
			return
		}
		fn(fp)
	}
}

// grow makes the table larger (growFactor) in one pass over both
// tables. The fingerprints are read out in order (qfReader), and each is
// written at the first free slot of the new table from its new
// quotient's on: the layout of a quotient filter is fixed by its set,
// and this is the one insert makes (TestCompactSetGrowIsInsert): no
// faster than inserting in order (BenchmarkCompactSetGrow; faulting the
// new table in and reading the old one are most of a growth), but a part
// of a growth is written so.
//
// The table is read in parts (growJob.part), each from an empty slot to
// the next, and a large table's parts are shared out to the parallel
// search's helpers (growJob).
func (c *compactSet) grow() { c.growTo(c.q + uint(growFactor(int(c.slots)))) }

// growTo is grow to 2^q slots (q > c.q).
func (c *compactSet) growTo(q uint) {
	nc := newCompactSetBits(q)
	nc.n, nc.releaseAlign, nc.jobs, nc.partBits = c.n, c.releaseAlign, c.jobs, c.partBits
	if c.n > 0 {
		j := c.cut(nc)
		if c.jobs != nil && len(j.cuts) > 2 {
			c.jobs.Store(j)
			j.work()
			for j.done.Load() < int64(len(j.cuts)-1) {
				if j.failed.Load() {
					panic("patchcheck: a helper panicked growing the visited set")
				}
				runtime.Gosched() // a helper is in a part
			}
			c.jobs.Store(nil)
		} else {
			j.work()
		}
	}
	*c = *nc
}

// growJob is one growth of a table (old) into nc, in parts: part k reads
// the old table's slots after cuts[k] up to cuts[k+1], both empty. The
// growing worker takes parts, and so do the helpers of a parallel
// search while it lasts (compactSet.jobs), each the next one no one has
// taken (next), and the growth is over when all are done.
type growJob struct {
	old, nc    compactSet
	cuts       []uint64 // virtual: the last is the first plus old.slots
	next, done atomic.Int64
	failed     atomic.Bool // a part panicked: the growth cannot end
}

// parts is about how many parts a growth of c is cut into: one a 2^20
// slots (partBits), and one in all below 4 of them (2^22 slots: 45 ms
// or less, where a helper would spend longer coming to it than it saves).
func (c *compactSet) parts() uint64 {
	b := c.partBits
	if b == 0 {
		b = 20
	}
	if c.slots < 4<<b {
		return 1
	}
	return c.slots >> b
}

// cut plans the growth of c into nc. A cut is an empty slot whose slot
// before is empty too: the fingerprints before it, of quotients below
// it, end in the new table 2^g slots before its new place (the new
// quotients are 2^g times as many; see growJob.part), so that two parts
// write no slot, and no 8-byte word of the table's, in common while a
// slot is 24 bits or more (3 slots of gap then span 8 bytes; a slot is
// 64-q+3 bits, q at most 43).
func (c *compactSet) cut(nc *compactSet) *growJob {
	j := &growJob{old: *c, nc: *nc}
	e := c.firstEmpty()
	j.cuts = append(j.cuts, e)
	if parts := c.parts(); parts > 1 && c.w >= 24 {
		step := c.slots / parts
		for k := uint64(1); k < parts; k++ {
			for s := e + k*step; s < e+(k+1)*step && s < e+c.slots-1; s++ {
				if c.get((s-1)&(c.slots-1))&qfMeta == 0 && c.get(s&(c.slots-1))&qfMeta == 0 {
					j.cuts = append(j.cuts, s)
					break
				}
			}
		}
	}
	j.cuts = append(j.cuts, e+c.slots)
	return j
}

// work takes the job's parts until none is left.
func (j *growJob) work() {
	defer func() {
		if e := recover(); e != nil {
			j.failed.Store(true)
			panic(e)
		}
	}()
	for {
		k := int(j.next.Add(1) - 1)
		if k >= len(j.cuts)-1 {
			return
		}
		j.part(k)
		j.done.Add(1)
	}
}

// part writes the fingerprints of part k into the new table. The reader
// starts after an empty slot e, whose fingerprints (of quotients e+1 on,
// then, past the table's end, of 0 to e-1) end in the new table before
// its slot 2^g*(e+1), where the first of them goes: positions past the
// new table's end (pos) wrap around to its start, where nothing is yet.
// For a fingerprint of old quotient y there are at most b-y in the part
// from it on (they sit in slots y to b-1, b its last slot), and it goes
// at new quotient below 2^g*(y+1): they end below 2^g*y+2^g+b-y, at most
// 2^g*b.
//
// The old table's memory is given back 2 MiB at a time behind the
// reader (release: the slots before the quotient of the run it is in,
// and after e), and the new table's is faulted in 2 MiB ahead of the
// writes (populateTo), so that the peak is about the new table's size
// (the old table was most of the last growth's peak when both were
// held; until the nineteenth round the fingerprints went through a
// temporary file).
func (j *growJob) part(k int) {
	c, nc := &j.old, &j.nc
	e := j.cuts[k] & (c.slots - 1)
	r := c.readFrom(e, j.cuts[k+1]-j.cuts[k])
	lo := (e*uint64(c.w))>>3 + 8 // the old table's bytes past slot e's 8
	sh, nmask := 64-nc.q, nc.slots-1
	// nc.words is faulted in from the part's first word (its new slot
	// 2^g*(e+1)) up to ready, and from the table's start once the
	// quotients pass its end.
	ready := int((e << (nc.q - c.q)) * uint64(nc.w) >> 6)
	wrapped := false
	rel := uint64(releaseEvery) // the slots read at the next release
	var pos uint64              // the new table's first free slot (may pass its end)
	last := ^uint64(0)          // the new quotient of the last fingerprint (ditto)
	for {
		fp, ok := r.next()
		if !ok {
			return
		}
		q := fp >> sh
		if r.quot < r.e {
			q += nc.slots // past the old table's end
			if !wrapped {
				wrapped, ready = true, 0
			}
		}
		p := max(q, pos)
		ent := (fp&(1<<sh-1))<<3 | qfOccupied
		if p != q {
			ent ^= qfShifted | qfOccupied // the bit belongs to slot q, filled before
			if q != last {
				nc.set(q&nmask, nc.get(q&nmask)|qfOccupied)
			}
		}
		if q == last {
			ent |= qfContinuation
		}
		ready = populateTo(nc.words, ready, int((p&nmask)*uint64(nc.w)>>6)+64)
		nc.set(p&nmask, ent)
		pos, last = p+1, q
		if r.k >= rel && r.i > r.e && r.quot > r.e {
			rel += releaseEvery * ((r.k-rel)/releaseEvery + 1)
			hi := (r.quot * uint64(c.w)) >> 3
			if hi > lo+uint64(c.align()) {
				release(c.b[lo:hi], c.align())
				// from the start of hi's block on, next time
				lo = hi - uint64(uintptr(unsafe.Pointer(&c.b[hi]))&(c.align()-1))
			}
		}
	}
}

// releaseEvery is how many slots grow reads between two releases.
const releaseEvery = 1 << 12
