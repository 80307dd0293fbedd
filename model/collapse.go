package model

import (
	"math/bits"
	"unsafe"
)

// collapseSet is the lossless compact visited set (Options.Collapse):
// SPIN's COLLAPSE compression (Holzmann, "State compression in SPIN",
// 1997) over the packer's groups. A state is the 8-word groups of State
// that its program can make non-zero (pack.go); each group's contents
// are stored once, in a table of their own (a component table, one per
// group), and numbered there, and the state is kept as the tuple of its
// groups' numbers, four bytes a group, in an exactSet. States of one
// program share most of their groups' contents (a CPU's registers at a
// program point, a window's few contents), so the tables stay small and
// a state costs about a quarter of its packed form.
//
// Nothing is lost: a group's number names its contents exactly (the
// tables compare whole contents), so two states have equal tuples
// exactly when they are equal, and the tuples are compared in full.
// Counts, verdicts and counterexamples are those of -exact.
type collapseSet struct {
	pk    *packer
	comps []compTable // one per group of pk
	tup   *exactSet   // the tuples, hashed with hashTuple
}

// tupleBuf holds a tuple: a byte with its length in words, then its
// numbers as varints (LEB128: the tables are small, so most numbers take
// a byte), zero-padded to whole words. The length byte makes a tuple
// self-delimiting, as the exact set needs (it compares a stored tuple's
// first len(p) words with p). There are at most stateWords/groupWords+1
// groups (they do not overlap but for the last), five bytes a number.
type tupleBuf [(1 + 5*(stateWords/groupWords+1) + 7) / 8]uint64

func newCollapseSet(pk *packer) *collapseSet {
	return &collapseSet{pk: pk, comps: make([]compTable, len(pk.groups)), tup: newExactSet(tupleLen, hashTuple)}
}

// compTable numbers the distinct contents of one group, from 1 (0 is
// the group of zeros, which is not stored): an open-addressing table of
// numbers over the contents, eight words each.
type compTable struct {
	slots []uint32 // number of the contents; 0: empty
	data  []uint64 // contents number i at data[8(i-1):8i]
	// the contents interned last and their number: the successors of a
	// state share most of their groups, so most groups are found here
	last  [groupWords]uint64
	lastN uint32
}

// sameGroup reports whether a and b are equal, without a call.
func sameGroup(a, b *[groupWords]uint64) bool {
	return (a[0]^b[0])|(a[1]^b[1])|(a[2]^b[2])|(a[3]^b[3])|(a[4]^b[4])|(a[5]^b[5])|(a[6]^b[6])|(a[7]^b[7]) == 0
}

// group returns the contents of group j of the packed state p: the word
// t of the group is the next non-zero word of p if bit t of the group's
// bitmap byte is set. k is the index in p of the group's first non-zero
// word; the index after its last is returned.
func group(p []uint64, j, k int, g *[groupWords]uint64) int {
	b := *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(p)), j))
	*g = [groupWords]uint64{}
	for ; b != 0; b &= b - 1 {
		g[bits.TrailingZeros8(b)] = p[k]
		k++
	}
	return k
}

// mixGroup hashes a group's contents for its table's slots: each word
// times an odd constant of its own, summed (eight multiplications
// side by side, where a chain of them took eight times one's latency),
// then MurmurHash3's fmix64, so that every bit of the sum moves the high
// bits the slots are taken from.
func mixGroup(g *[groupWords]uint64) uint64 {
	h := (g[0]*0x9e3779b97f4a7c15 + g[1]*0xc2b2ae3d27d4eb4f) +
		(g[2]*0x165667b19e3779f9 + g[3]*0xd6e8feb86659fd93) +
		(g[4]*0xff51afd7ed558ccd + g[5]*0xc4ceb9fe1a85ec53) +
		(g[6]*0x94d049bb133111eb + g[7]*0xbf58476d1ce4e5b9)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// find returns the number of g's contents, or 0 and the empty slot where
// they go.
func (t *compTable) find(g *[groupWords]uint64, h uint64) (uint32, int) {
	if len(t.slots) == 0 {
		return 0, -1
	}
	mask := len(t.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		n := t.slots[i]
		if n == 0 {
			return 0, i
		}
		if sameGroup((*[groupWords]uint64)(t.data[8*(n-1):]), g) {
			return n, i
		}
	}
}

// intern returns the number of g's contents, numbering them if new.
func (t *compTable) intern(g *[groupWords]uint64) uint32 {
	if t.lastN != 0 && sameGroup(&t.last, g) {
		return t.lastN
	}
	h := mixGroup(g)
	n, slot := t.find(g, h)
	if n != 0 {
		t.last, t.lastN = *g, n
		return n
	}
	if 4*(len(t.data)/8+1) > 3*len(t.slots) {
		t.grow()
		_, slot = t.find(g, h)
	}
	t.data = append(t.data, g[:]...)
	n = uint32(len(t.data) / 8)
	if n == 0 {
		panic("patchcheck: more than 2^32 contents of one group")
	}
	t.slots[slot] = n
	t.last, t.lastN = *g, n
	return n
}

func (t *compTable) grow() {
	t.slots = make([]uint32, max(2*len(t.slots), 64))
	mask := len(t.slots) - 1
	for n := 1; n <= len(t.data)/8; n++ {
		g := (*[groupWords]uint64)(t.data[8*(n-1):])
		i := int(mixGroup(g)>>32) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = uint32(n)
	}
}

// tuple writes p's tuple to buf and returns its words. With intern false
// it stops at a group whose contents are in no table yet, and returns
// nil: p is then new (has, which may run on several goroutines at once,
// only reads the tables, and not their caches).
func (c *collapseSet) tuple(p []uint64, intern bool, buf *tupleBuf) []uint64 {
	var nums [maxGroups]uint32
	k := c.pk.mapWords
	var g [groupWords]uint64
	for j := range c.comps {
		k = group(p, j, k, &g)
		var n uint32
		if g[0]|g[1]|g[2]|g[3]|g[4]|g[5]|g[6]|g[7] != 0 {
			if intern {
				n = c.comps[j].intern(&g)
			} else if n, _ = c.comps[j].find(&g, mixGroup(&g)); n == 0 {
				return nil
			}
		}
		nums[j] = n
	}
	return c.encode(&nums, buf)
}

// numbers writes the numbers of s's groups k0 to k1-1 to nums,
// numbering contents not seen yet (s is a state of the program).
func (c *collapseSet) numbers(s *State, k0, k1 int, nums *[maxGroups]uint32) {
	base := unsafe.Pointer(s)
	for j := k0; j < k1; j++ {
		g := (*[groupWords]uint64)(unsafe.Add(base, uintptr(c.pk.groups[j])*8))
		n := uint32(0)
		if g[0]|g[1]|g[2]|g[3]|g[4]|g[5]|g[6]|g[7] != 0 {
			n = c.comps[j].intern(g)
		}
		nums[j] = n
	}
}

// encode writes the tuple of nums (one for each of the packer's groups)
// to buf, as tuple does, and returns its words.
func (c *collapseSet) encode(nums *[maxGroups]uint32, buf *tupleBuf) []uint64 {
	b := (*[8 * len(tupleBuf{})]byte)(unsafe.Pointer(buf))
	at := 1
	for _, n := range nums[:len(c.comps)] {
		for ; n >= 0x80; n >>= 7 {
			b[at] = byte(n) | 0x80
			at++
		}
		b[at] = byte(n)
		at++
	}
	words := (at + 7) / 8
	clear(b[at : 8*words])
	b[0] = byte(words)
	return buf[:words]
}

// addTuple adds the state whose tuple is t (made by encode, hashed by
// hashTuple) and reports whether it is new.
func (c *collapseSet) addTuple(t []uint64, h uint64) bool { return c.tup.add(t, h) }

// add and has take no use of fp: the tuples have a hash of their own
// (hashTuple), so that growing the set rehashes them from its arena. add
// numbers the groups of a state it finds already seen too (interning a
// seen group changes nothing), so that the last-interned cache of each
// table serves the next state.
func (c *collapseSet) add(p []uint64, fp uint64) bool {
	var buf tupleBuf
	t := c.tuple(p, true, &buf)
	return c.tup.add(t, hashTuple(t))
}

func (c *collapseSet) has(p []uint64, fp uint64) bool {
	var buf tupleBuf
	t := c.tuple(p, false, &buf)
	return t != nil && c.tup.has(t, hashTuple(t))
}

func (c *collapseSet) size() int              { return c.tup.size() }
func (c *collapseSet) prefetch(fp uint64)     {}
func (c *collapseSet) growBytes(k int) uint64 { return c.tup.growBytes(k) }

func (c *collapseSet) bytes() uint64 {
	n := c.tup.bytes()
	for i := range c.comps {
		n += 4*uint64(cap(c.comps[i].slots)) + 8*uint64(cap(c.comps[i].data))
	}
	return n
}

// hashTuple mixes a tuple's words.
func hashTuple(p []uint64) uint64 {
	h := uint64(len(p)) * 0x9e3779b97f4a7c15
	for _, w := range p {
		h = (h ^ w) * 0xff51afd7ed558ccd
		h ^= h >> 32
	}
	return h * 0xc4ceb9fe1a85ec53
}

// tupleLen is the length of the tuple p starts with: its first byte.
func tupleLen(p []uint64) int { return int(byte(p[0])) }
