package model

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"sort"
	"unsafe"
)

// searchTree records how each state was first reached: node n's parent
// and the step from it. Nodes are numbered in the order they are added.
type searchTree interface {
	add(parent int32, st Step, depth int) int32
	path(n int32) []Step
	depthOf(n int32) int
	size() int
	bytes() uint64 // the memory the tree takes
	error() error
}

func (t *tree) depthOf(n int32) int { return int(t.depth[n]) }
func (t *tree) size() int           { return len(t.parent) }
func (t *tree) error() error        { return t.err }

// levelTree is the search tree of a breadth-first search, compressed.
// Breadth-first search adds a level's nodes in the order of their
// parents, so a node's parent is its predecessor's or a little after:
// a node takes one byte when the parent moved on by at most 2 and the
// step's actor and choice are below 8 (nearly always), and a few more
// otherwise. Depths are not stored: a level is a range of node numbers.
// The nodes are kept in blocks of 4096, each decoded from its start, so
// that finding a parent costs at most one block's decoding; path, which
// does that once a level, is called only for a counterexample or the
// first warning.
type levelTree struct {
	blocks [][]byte // full blocks
	cur    []byte   // the block being filled
	last   int32    // the parent of the last node added
	n      int
	levels []int32 // levels[d]: the first node at depth d
	err    error
}

const treeBlockBits = 12

func (t *levelTree) size() int    { return t.n }
func (t *levelTree) error() error { return t.err }

// bytes returns the memory the tree takes.
func (t *levelTree) bytes() uint64 {
	n := cap(t.cur) + 4*cap(t.levels) + 24*cap(t.blocks)
	for _, b := range t.blocks {
		n += cap(b)
	}
	return uint64(n)
}

// add records node n = size() with its parent (-1 for the root) and the
// step from it, at depth (never less than the last node's).
func (t *levelTree) add(parent int32, st Step, depth int) int32 {
	if t.err == nil && depth > MaxTreeDepth {
		t.err = fmt.Errorf("a schedule longer than %d steps (model limit: the search tree's depth is 16 bits)", MaxTreeDepth)
	}
	if t.err == nil && t.n >= MaxTreeNodes {
		t.err = fmt.Errorf("more than %d states (model limit: the search tree's node numbers are 31 bits)", MaxTreeNodes)
	}
	if depth < len(t.levels)-1 {
		panic("patchcheck: levelTree nodes out of breadth-first order")
	}
	for len(t.levels) <= depth {
		t.levels = append(t.levels, int32(t.n))
	}
	if t.n&(1<<treeBlockBits-1) == 0 {
		if t.n > 0 {
			t.blocks = append(t.blocks, slices.Clip(slices.Clone(t.cur)))
		}
		t.cur, t.last = t.cur[:0], -1
	}
	t.cur = appendNode(t.cur, int64(parent)-int64(t.last), st)
	t.last = parent
	t.n++
	return int32(t.n - 1)
}

// appendNode encodes a node: one byte delta | actor<<2 | choice<<5 when
// 0 <= delta <= 2 and actor, choice < 8; else the byte 3 and the three as
// varints (delta zig-zag).
func appendNode(b []byte, delta int64, st Step) []byte {
	if uint64(delta) <= 2 && st.Actor < 8 && st.Choice < 8 {
		return append(b, byte(delta)|st.Actor<<2|byte(st.Choice)<<5)
	}
	b = append(b, 3)
	b = binary.AppendVarint(b, delta)
	b = binary.AppendUvarint(b, uint64(st.Actor))
	return binary.AppendUvarint(b, uint64(st.Choice))
}

// at returns node n's parent and step.
func (t *levelTree) at(n int32) (int32, Step) {
	blk := t.cur
	if b := int(n >> treeBlockBits); b < len(t.blocks) {
		blk = t.blocks[b]
	}
	parent := int64(-1)
	var st Step
	for i := int32(0); i <= n&(1<<treeBlockBits-1); i++ {
		c := blk[0]
		if c&3 != 3 {
			parent += int64(c & 3)
			st = Step{Actor: c >> 2 & 7, Choice: uint16(c >> 5)}
			blk = blk[1:]
			continue
		}
		d, k := binary.Varint(blk[1:])
		blk = blk[1+k:]
		a, k := binary.Uvarint(blk)
		blk = blk[k:]
		ch, k := binary.Uvarint(blk)
		blk = blk[k:]
		parent += d
		st = Step{Actor: uint8(a), Choice: uint16(ch)}
	}
	return int32(parent), st
}

func (t *levelTree) path(n int32) []Step {
	var p []Step
	for n > 0 {
		parent, st := t.at(n)
		p = append(p, st)
		n = parent
	}
	slices.Reverse(p)
	return p
}

func (t *levelTree) depthOf(n int32) int {
	return sort.Search(len(t.levels), func(d int) bool { return t.levels[d] > n }) - 1
}

// frontier is the queue of a breadth-first search: the states of the
// level being expanded and of the next, first in, first out, each given
// as its difference from the state pushed before it. A state is the
// 8-byte words of State that the program's packer covers (its groups);
// the difference is their exclusive or, stored as a bitmap of the groups
// with a changed word; for each of those, a byte of its changed words,
// for each changed word a byte of its changed bytes, and the changed
// bytes of the group in order (the form AVX-512's VPCOMPRESSB writes and
// VPEXPANDB reads). Successive states of a level are mostly siblings or cousins
// that differ in a program counter, a register and a window or two:
// about 10-20 bytes a state, where a packed state takes 150-200 and the
// State 1,232. Entries are kept in blocks of frontierBlock bytes; each
// block starts from the zero state, so a block is decoded alone. Pop
// decodes in order into the state popped before, so it yields the state
// unpacked. While the blocks held take under rawFrontier bytes, a new
// block keeps packed states as they are instead (fblock.raw, pushPacked).
//
// When memory runs low (the low hook says so when a block is started),
// the blocks between the one being read and the one being written are
// written to a temporary file, and read back when their turn comes: the
// order, and so the search, is the same.
type frontier struct {
	coder
	pk     *packer
	blocks []fblock
	free   [][]byte
	// bufs[last] is the last state pushed into the last block unless
	// fresh (a block was just started: the difference is from the zero
	// state, zero); bufs[1-last] is where the next state is put (next):
	// the two swap, so that a push copies no State.
	bufs    [2]State
	last    int
	fresh   bool
	zero    State // never written
	dec     State // the last state popped from the first block
	head    int   // offset of the next entry in blocks[0]
	n       int
	used    int    // bytes of encoded entries held
	held    uint64 // bytes of the blocks in memory, in use and free
	low     func() bool
	file    *os.File // the spilled blocks, nil until the first
	fileEnd int64
	onDisk  int   // spilled blocks not yet read back
	spilled int64 // bytes written to the file, in all
	err     error
}

type fblock struct {
	data []byte
	raw  bool  // its entries are packed states (pushPacked), not differences
	n    int   // entries not yet popped
	off  int64 // spilled (data nil): where in the file
	size int   // spilled: its length
}

const frontierBlock = 64 << 10

// rawFrontier is the memory of blocks under which a new block holds
// packed states as they are (pushPacked): a small frontier is copied in
// and unpacked out, which costs less than coding each state's difference
// (a short search's time went into encode and decode), and only a
// frontier past this size is worth its coding.
const rawFrontier = 16 << 20

func newFrontier(pk *packer) *frontier {
	return &frontier{coder: newCoder(pk), pk: pk}
}

// coder writes a state as its difference from another (the frontier's
// entries, and the parallel search's coded levels) and applies such a
// difference. Its masks are scratch: a coder is used by one goroutine.
type coder struct {
	groups  []uint16 // first word of each group (packer.groups)
	own     []byte   // the words of each group not in an earlier group (the last may overlap)
	gmBytes int      // bytes of the group bitmap
	maxLen  int      // longest entry
	vbmi    bool     // encode and decode use AVX-512 (VBMI2: VPCOMPRESSB, VPEXPANDB)
}

func newCoder(pk *packer) coder {
	c := coder{groups: pk.groups, gmBytes: (len(pk.groups) + 7) / 8, vbmi: pk.avx && haveVBMI2}
	covered := map[uint16]bool{}
	for _, g := range pk.groups {
		var own byte
		for t := uint16(0); t < groupWords; t++ {
			if !covered[g+t] {
				own |= 1 << t
				covered[g+t] = true
			}
		}
		c.own = append(c.own, own)
	}
	// a changed group: its word mask, 8 byte masks and 64 bytes; the
	// assembly's last store may end 64 bytes past the entry
	c.maxLen = c.gmBytes + len(pk.groups)*(1+groupWords+8*groupWords) + 64
	return c
}

func (f *frontier) len() int { return f.n }

// bytes returns the memory the frontier's blocks take.
func (f *frontier) bytes() uint64 { return f.held }

// push appends s.
func (f *frontier) push(s *State) {
	*f.next() = *s
	f.pushNext()
}

// next returns where the state the next pushNext appends is to be put.
// Only the words of the packer's groups are read: the others may be left
// as they are (zero).
func (f *frontier) next() *State { return &f.bufs[1-f.last] }

// block returns an empty block's buffer: a freed one, or a new one
// (counted in held).
func (f *frontier) block() []byte {
	if k := len(f.free); k > 0 {
		b := f.free[k-1][:0]
		f.free = f.free[:k-1]
		return b
	}
	b := make([]byte, 0, max(frontierBlock, 2*f.maxLen))
	f.held += uint64(cap(b))
	return b
}

// pushPacked appends the state packed in p: as it is while the frontier
// is small (rawFrontier), else as its difference from the one before.
func (f *frontier) pushPacked(p []uint64) {
	last := len(f.blocks) - 1
	switch {
	case last >= 0 && f.blocks[last].raw && len(f.blocks[last].data)+8*len(p) <= cap(f.blocks[last].data):
		// room in the raw block being written
	case last >= 0 && !f.blocks[last].raw && len(f.blocks[last].data)+f.maxLen <= cap(f.blocks[last].data), f.held >= rawFrontier:
		f.pk.unpack(p, f.next()) // a coded block with room, or a large frontier
		f.pushNext()
		return
	default:
		f.startBlock(true)
	}
	blk := &f.blocks[len(f.blocks)-1]
	k := len(blk.data)
	blk.data = append(blk.data, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(p))), 8*len(p))...)
	f.used += len(blk.data) - k
	blk.n++
	f.n++
}

// startBlock appends an empty block, raw or coded, and spills the blocks
// between the first and the last if memory runs low.
func (f *frontier) startBlock(raw bool) {
	f.blocks = append(f.blocks, fblock{data: f.block(), raw: raw})
	f.fresh = true
	if f.low != nil && len(f.blocks) > 2 && f.err == nil && f.low() {
		f.spill()
	}
}

// pushNext appends the state put in next.
func (f *frontier) pushNext() {
	last := len(f.blocks) - 1
	if last < 0 || f.blocks[last].raw || len(f.blocks[last].data)+f.maxLen > cap(f.blocks[last].data) {
		f.startBlock(false)
		last++
	}
	prev := &f.bufs[f.last]
	if f.fresh {
		prev = &f.zero
	}
	blk := &f.blocks[last]
	k := len(blk.data)
	blk.data = f.encode(blk.data, stateAsWords(&f.bufs[1-f.last]), stateAsWords(prev))
	f.used += len(blk.data) - k
	blk.n++
	f.n++
	f.last, f.fresh = 1-f.last, false
}

// encode appends the difference of s from prev; dst has room for
// maxLen more bytes, which it may write past the entry's end.
func (f *coder) encode(dst []byte, s, prev *[stateWords]uint64) []byte {
	gm, k := len(dst), len(dst)+f.gmBytes
	buf := dst[:cap(dst)]
	if f.vbmi {
		n, changed := encodeGroups(unsafe.Pointer(s), unsafe.Pointer(prev), f.groups, unsafe.Pointer(unsafe.SliceData(f.own)), unsafe.Pointer(&buf[k]))
		for i := range f.gmBytes {
			buf[gm+i] = byte(changed >> (8 * i))
		}
		return buf[:k+n]
	}
	clear(buf[gm:k])
	for j, g := range f.groups {
		a := (*[groupWords]uint64)(s[g : g+groupWords])
		b := (*[groupWords]uint64)(prev[g : g+groupWords])
		if (a[0]^b[0])|(a[1]^b[1])|(a[2]^b[2])|(a[3]^b[3])|(a[4]^b[4])|(a[5]^b[5])|(a[6]^b[6])|(a[7]^b[7]) == 0 {
			continue
		}
		var wm byte
		for t := range groupWords {
			x := a[t] ^ b[t]
			wm |= byte((x|-x)>>63) << t // bit t: word t changed
		}
		if wm &= f.own[j]; wm == 0 { // only words of an earlier group
			continue
		}
		buf[gm+j/8] |= 1 << (j % 8)
		buf[k] = wm
		bm := k + 1                  // the words' byte masks
		k = bm + bits.OnesCount8(wm) // their bytes
		for ; wm != 0; wm &= wm - 1 {
			t := bits.TrailingZeros8(wm)
			x := a[t] ^ b[t]
			var m byte
			for i := 0; x != 0; i, x = i+1, x>>8 {
				if byte(x) != 0 {
					m |= 1 << i
					buf[k] = byte(x)
					k++
				}
			}
			buf[bm] = m
			bm++
		}
	}
	return buf[:k]
}

// spill writes the blocks between the first and the last to the file.
func (f *frontier) spill() {
	if f.file == nil {
		if f.file, f.err = os.CreateTemp("", "patchcheck-frontier-*"); f.err != nil {
			f.err = fmt.Errorf("spilling the breadth-first frontier: %w", f.err)
			return
		}
		_ = os.Remove(f.file.Name()) // unlinked: gone with the process
	}
	for i := 1; i < len(f.blocks)-1; i++ {
		b := &f.blocks[i]
		if b.data == nil {
			continue
		}
		if _, err := f.file.WriteAt(b.data, f.fileEnd); err != nil {
			f.err = fmt.Errorf("spilling the breadth-first frontier: %w", err)
			return
		}
		b.off, b.size = f.fileEnd, len(b.data)
		f.fileEnd += int64(len(b.data))
		f.spilled += int64(len(b.data))
		f.held -= uint64(cap(b.data))
		b.data = nil
		f.onDisk++
	}
}

// close removes the file of spilled blocks.
func (f *frontier) close() {
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
}

// error returns the error of a spill or a read back, if any: the
// frontier is then unusable.
func (f *frontier) error() error { return f.err }

// pop removes the first state and writes it to s (unchanged if the block
// could not be read back: see error).
func (f *frontier) pop(s *State) {
	if p := f.popRef(); p != nil {
		*s = *p
	}
}

// popRef removes the first state and returns it, valid until the next
// pop, or nil if the block could not be read back (see error).
func (f *frontier) popRef() *State {
	blk := &f.blocks[0]
	if blk.data == nil { // spilled: read it back
		b := f.block()[:blk.size]
		if _, err := io.ReadFull(io.NewSectionReader(f.file, blk.off, int64(blk.size)), b); err != nil {
			f.err = fmt.Errorf("reading back the breadth-first frontier: %w", err)
			return nil
		}
		blk.data = b
		if f.onDisk--; f.onDisk == 0 {
			f.fileEnd = 0 // the file is empty again
		}
	}
	if blk.raw {
		p := unsafe.Slice((*uint64)(unsafe.Pointer(&blk.data[f.head])), (len(blk.data)-f.head)/8)
		n := f.pk.length(p)
		f.pk.unpack(p[:n], &f.dec)
		f.head += 8 * n
	} else {
		if f.head == 0 {
			f.dec = State{}
		}
		f.head = f.decode(blk.data, f.head, stateAsWords(&f.dec))
	}
	f.n--
	if blk.n--; blk.n == 0 {
		f.used -= len(blk.data)
		if len(f.free) < 4 || len(f.free)*frontierBlock < rawFrontier {
			f.free = append(f.free, blk.data)
		} else {
			f.held -= uint64(cap(blk.data))
		}
		f.blocks[0] = fblock{}
		f.blocks = f.blocks[1:]
		f.head = 0
	}
	return &f.dec
}

// decode applies the difference at src[k:] to s and returns the offset
// past it.
func (f *coder) decode(src []byte, k int, s *[stateWords]uint64) int {
	var changed uint64 // the group bitmap
	for i, b := range src[k : k+f.gmBytes] {
		changed |= uint64(b) << (8 * i)
	}
	k += f.gmBytes
	if f.vbmi {
		return k + decodeGroups(unsafe.Add(unsafe.Pointer(unsafe.SliceData(src)), k), changed, f.groups, unsafe.Pointer(s))
	}
	for ; changed != 0; changed &= changed - 1 {
		g := int(f.groups[bits.TrailingZeros64(changed)])
		wm := src[k]
		bm := k + 1
		k = bm + bits.OnesCount8(wm)
		for ; wm != 0; wm &= wm - 1 {
			var x uint64
			for m := src[bm]; m != 0; m &= m - 1 {
				x |= uint64(src[k]) << (8 * bits.TrailingZeros8(m))
				k++
			}
			s[g+bits.TrailingZeros8(wm)] ^= x
			bm++
		}
	}
	return k
}
