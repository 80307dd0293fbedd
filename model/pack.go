package model

import (
	"math/bits"
	"slices"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// The explorer keeps states packed: the visited set (in exact mode), the
// breadth-first queue and the depth-first stack hold each state as the
// 8-byte words of State that its program can make non-zero (Machine.used,
// rounded out to words), with the zero words left out. A packed state is
// a bitmap of the words that are non-zero followed by those words, in
// order: a few hundred bytes where a State is over a kilobyte. Packing
// is injective (two states are equal exactly when their packed forms
// are), so packed forms are compared in place of states (and hashed, in
// the exact sets; fingerprints are of the states: fingerprint.go).
//
// The layout is derived from State's own: the used ranges come from the
// offsets of State's fields (usedRanges), and everything outside them is
// zero in every state of the program, so a field added to State later is
// packed with the rest of its range.

// stateWords is the size of State in 8-byte words.
const stateWords = unsafe.Sizeof(State{}) / 8

// State holds uint64s, so its size is a whole number of words: this
// constant does not compile otherwise.
const _ = -(unsafe.Sizeof(State{}) % 8)

// stateAsWords views s as words.
func stateAsWords(s *State) *[stateWords]uint64 { return (*[stateWords]uint64)(unsafe.Pointer(s)) }

// packer packs and unpacks the states of one program. It reads State in
// groups of 8 words: the groups cover every word the program can make
// non-zero, and a group that would run past the end of State starts
// earlier (overlapping its neighbour: a word may be packed twice, which
// keeps packing injective). The bitmap has one byte per group.
type packer struct {
	groups   []uint16 // first word of each group
	all      []uint32 // the fingerprint's stripes: every group (stripe)
	mapWords int      // words of the bitmap
	// avx selects the assembly packer and unpacker (pack_amd64.s), where
	// the CPU has AVX-512; tests turn it off to check the Go ones
	// against it.
	avx bool
}

const groupWords = 8

// newPacker returns the packer for a program whose states are zero
// outside the byte ranges used.
func newPacker(used [][2]uintptr) *packer {
	p := &packer{avx: haveAVX512}
	next := 0 // the first word not yet in a group
	for _, r := range used {
		lo, hi := int(r[0]/8), int((r[1]+7)/8)
		for w := max(lo, next); w < hi; w += groupWords {
			g := min(w, int(stateWords)-groupWords)
			p.groups = append(p.groups, uint16(g))
			next = g + groupWords
		}
	}
	for k, g := range p.groups {
		p.all = append(p.all, stripe(g, k))
	}
	if len(p.groups) > maxGroups {
		panic("patchcheck: more than 64 groups of State words (the coder's group bitmaps are 64 bits)")
	}
	p.mapWords = (len(p.groups) + 7) / 8
	return p
}

// maxLen is the longest packed state, in words.
func (p *packer) maxLen() int { return p.mapWords + groupWords*len(p.groups) }

// bufLen is the length of a buffer that pack may write to: pack stores
// whole groups past the packed state's end.
func (p *packer) bufLen() int { return p.maxLen() + groupWords }

// pack writes s packed to out (at least bufLen words) and returns its
// length in words. In Go: a group of zeros costs a test; in the others,
// every word is stored at out[k], and k moves on only past a non-zero
// word. With AVX-512, a group is one load, test, compress and store.
func (p *packer) pack(s *State, out []uint64) int {
	base := unsafe.Pointer(s)
	out = out[:p.bufLen()]
	o := unsafe.Pointer(unsafe.SliceData(out))
	clear(out[:p.mapWords])
	if p.avx {
		return p.mapWords + packGroups(base, p.groups, unsafe.Add(o, 8*p.mapWords), o)
	}
	bm := unsafe.Slice((*byte)(o), 8*p.mapWords)
	k := uintptr(p.mapWords) * 8 // byte offset in out: at most 8*maxLen
	for j, g := range p.groups {
		src := (*[groupWords]uint64)(unsafe.Add(base, uintptr(g)*8)) // g+8 <= stateWords
		if src[0]|src[1]|src[2]|src[3]|src[4]|src[5]|src[6]|src[7] == 0 {
			continue
		}
		var b uint64
		for t, w := range src {
			*(*uint64)(unsafe.Add(o, k)) = w
			nz := (w | -w) >> 63 // 1 if w != 0
			k += uintptr(nz) << 3
			b |= nz << t
		}
		bm[j] = byte(b)
	}
	return int(k / 8)
}

// unpack writes the state packed in in to s. Words of s outside the
// program's groups are left as they are: zero, if s only ever held
// states of the program.
func (p *packer) unpack(in []uint64, s *State) {
	in = in[:p.length(in)]
	o := unsafe.Pointer(unsafe.SliceData(in))
	if p.avx {
		unpackGroups(unsafe.Add(o, 8*p.mapWords), o, p.groups, unsafe.Pointer(s))
		return
	}
	st := stateAsWords(s)
	bm := unsafe.Slice((*byte)(o), 8*p.mapWords)
	k := p.mapWords
	for j, g := range p.groups {
		dst := (*[groupWords]uint64)(st[g : g+groupWords])
		*dst = [groupWords]uint64{}
		for b := bm[j]; b != 0; b &= b - 1 {
			dst[bits.TrailingZeros8(b)] = in[k]
			k++
		}
	}
}

// length returns the length in words of the packed state that in starts
// with.
func (p *packer) length(in []uint64) int {
	n := p.mapWords
	for _, b := range in[:p.mapWords] {
		n += bits.OnesCount64(b)
	}
	return n
}

// hash is the hash of a packed state that the exact sets keep: XXH3-64
// of its bytes (github.com/zeebo/xxh3; no seed).
func hash(in []uint64) uint64 {
	return xxh3.Hash(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(in))), 8*len(in)))
}

// arena stores packed states in blocks that never move, so that a stored
// state is never copied again. An offset is block<<arenaBits | index.
type arena struct {
	blocks [][]uint64
	cur    int // the block being filled
	// ready: the words of block cur faulted in (populate), from its
	// start. A block is populated a step at a time as it fills: the
	// last block of a search is mostly empty, and in a virtual machine
	// the first touch of memory is dear (faulting in the 8 MiB blocks
	// was about a sixth of a 56,000-state exact search from the CLI).
	ready int
	// grow: the first block is 2^arenaFirstBits words and each next one
	// twice the one before, up to 2^arenaBits. For arenas that a level
	// fills and empties (parallelBFS's): they are small in most levels,
	// and a search keeps four or more of them.
	grow bool
}

// A block is 2^arenaBits words (8 MiB); growing arenas start at
// 2^arenaFirstBits (64 KiB).
const (
	arenaBits      = 20
	arenaFirstBits = 13
)

// add stores p and returns its offset.
func (a *arena) add(p []uint64) uint64 {
	b := a.room(len(p))
	off := uint64(a.cur)<<arenaBits | uint64(len(b))
	a.blocks[a.cur] = append(b, p...)
	return off
}

// room returns the block being filled, after moving on to the next one
// (made if there is none) when the current one has no room for n words.
func (a *arena) room(n int) []uint64 {
	if len(a.blocks) == 0 {
		a.blocks = append(a.blocks, a.newBlock())
	}
	for len(a.blocks[a.cur])+n > cap(a.blocks[a.cur]) {
		a.cur++
		a.ready = 0
		if a.cur == len(a.blocks) {
			a.blocks = append(a.blocks, a.newBlock())
		}
	}
	b := a.blocks[a.cur]
	a.ready = populateTo(b[:cap(b)], a.ready, len(b)+n)
	return b
}

// populateTo faults in the pages of b (populate) up to word n and
// populateStep words past it, if the first ready words are all it
// faulted in so far, and returns how many it has now: for memory
// written from its start on, a fault for a step of it costs far less
// than one a page.
func populateTo(b []uint64, ready, n int) int {
	if n <= ready || ready >= len(b) {
		return ready
	}
	end := min(max(ready, n)+populateStep, len(b))
	populate(b[ready:end])
	return end
}

// populateStep is how many words populateTo faults in past the one
// asked for (2 MiB: one huge page).
const populateStep = 1 << 18

// newBlock returns an empty block to follow the arena's last.
func (a *arena) newBlock() []uint64 {
	bits := arenaBits
	if a.grow {
		bits = min(arenaFirstBits+len(a.blocks), arenaBits)
	}
	b := make([]uint64, 1<<bits)
	adviseHuge(b)
	return b[:0]
}

// reserve returns room for n words at the end of the arena; commit(k)
// then keeps the first k of them.
func (a *arena) reserve(n int) []uint64 {
	b := a.room(n)
	return b[len(b) : len(b)+n]
}

// commit keeps k words of the room reserve returned and returns their
// offset.
func (a *arena) commit(k int) uint64 {
	b := a.blocks[a.cur]
	off := uint64(a.cur)<<arenaBits | uint64(len(b))
	a.blocks[a.cur] = b[:len(b)+k]
	return off
}

// bytes returns the memory the arena's blocks take.
func (a *arena) bytes() uint64 {
	n := 0
	for _, b := range a.blocks {
		n += cap(b)
	}
	return 8 * uint64(n)
}

// reset empties the arena and keeps its blocks for reuse.
func (a *arena) reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.cur, a.ready = 0, 0
}

// at returns the words from offset off to the end of its block.
func (a *arena) at(off uint64) []uint64 {
	return a.blocks[off>>arenaBits][off&(1<<arenaBits-1):]
}

// growFactor is the log2 of how much a table of n slots grows: fourfold
// while it is small (each growth rehashes every state), then twofold.
func growFactor(n int) int {
	if n < 1<<22 {
		return 2
	}
	return 1
}

// exactSet keeps whole packed states in an arena, found through an
// open-addressing table of 8-byte slots: a state's arena offset (plus 1;
// 0 is an empty slot) in the low offBits bits and, above them, the top
// 28 bits of its fingerprint, which choose its slot too (while the table
// has at most 2^28 slots, growing takes the slot from them). The arena
// is read only when those bits are equal: for two states of the same
// slot, 28 less the slot's bits tell them apart (7 at a million states);
// states of neighbouring slots differ in the slot's own bits.
type exactSet struct {
	slots []uint64
	shift uint // slot = fp >> shift
	n     int
	arena arena
	last  uint64 // the arena offset of the state add stored last
	// length and hash are the length of the stored state a slice of
	// the arena starts with, and the hash the set's user gives add and
	// has: past 2^28 slots, growing rehashes the states with them.
	length func([]uint64) int
	hash   func([]uint64) uint64
	// tagBits is how many bits of the fingerprint a slot keeps
	// (exactTagBits; tests lower it to grow by rehashing)
	tagBits uint
}

const (
	offBits      = 36 // arena offsets in words: 512 GiB of states
	exactTagBits = 64 - offBits
)

// newExactSet returns an empty set of the packed forms that length
// delimits, to be added with their hash (-collapse's tuples, hashTuple).
func newExactSet(length func([]uint64) int, hash func([]uint64) uint64) *exactSet {
	e := &exactSet{slots: make([]uint64, 1<<16), shift: 64 - 16, length: length, hash: hash, tagBits: exactTagBits}
	hugePages(e.slots)
	return e
}

func (e *exactSet) size() int { return e.n }

func (e *exactSet) bytes() uint64 { return 8*uint64(len(e.slots)) + e.arena.bytes() }

func (e *exactSet) growBytes(k int) uint64 {
	if 4*(e.n+k) <= 3*len(e.slots) {
		return 0
	}
	return 16 * uint64(len(e.slots))
}

// tag is what a slot keeps of fp.
func (e *exactSet) tag(fp uint64) uint64 { return fp >> (64 - e.tagBits) << offBits }

// find returns the slot that holds p, or the empty slot where it goes.
func (e *exactSet) find(p []uint64, fp uint64) (uint64, bool) {
	mask, tag := uint64(len(e.slots)-1), e.tag(fp)
	for i := fp >> e.shift; ; i = (i + 1) & mask {
		sl := e.slots[i]
		if sl == 0 {
			return i, false
		}
		if sl&^(1<<offBits-1) == tag {
			if q := e.arena.at(sl&(1<<offBits-1) - 1); len(q) >= len(p) && slices.Equal(q[:len(p)], p) {
				return i, true
			}
		}
	}
}

func (e *exactSet) prefetch(fp uint64) { prefetch(unsafe.Pointer(&e.slots[fp>>e.shift])) }

func (e *exactSet) has(p []uint64, fp uint64) bool {
	_, ok := e.find(p, fp)
	return ok
}

func (e *exactSet) add(p []uint64, fp uint64) bool {
	if 4*(e.n+1) > 3*len(e.slots) {
		e.grow()
	}
	i, ok := e.find(p, fp)
	if ok {
		return false
	}
	e.last = e.arena.add(p)
	if e.last+1 >= 1<<offBits {
		panic("patchcheck: more than 2^36 words of states in an exact set")
	}
	e.slots[i] = e.tag(fp) | (e.last + 1)
	e.n++
	return true
}

// grow doubles the table: a slot is moved to the one its tag chooses,
// or, once the table has more slots than the tag has bits, to the one
// its state's hash chooses (the states are rehashed from the arena,
// where they lie one after the other). Doubling, not growing fourfold
// as the fingerprint table does while small (growFactor): an exact
// search's stored states are large, so the table's memory matters more
// than how often it is rehashed (fourfold ran bench/spin's 4-CPU exact
// search at 0.89 of the rate).
func (e *exactSet) grow() {
	old := e.slots
	e.slots = make([]uint64, 2*len(old))
	hugePages(e.slots)
	e.shift--
	mask := uint64(len(e.slots) - 1)
	put := func(i, sl uint64) {
		for e.slots[i] != 0 {
			i = (i + 1) & mask
		}
		e.slots[i] = sl
	}
	if bits := 64 - e.shift; bits <= e.tagBits {
		for _, sl := range old {
			if sl != 0 {
				put(sl>>offBits>>(e.tagBits-bits), sl)
			}
		}
		return
	}
	for b, blk := range e.arena.blocks {
		for k := 0; k < len(blk); {
			p := blk[k : k+e.length(blk[k:])]
			fp := e.hash(p)
			put(fp>>e.shift, e.tag(fp)|(uint64(b)<<arenaBits|uint64(k)+1))
			k += len(p)
		}
	}
}
