package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestArena stores runs of words of random lengths in an arena, with
// fixed and growing blocks, through add and through reserve and commit,
// over more than one block and after a reset that keeps the blocks, and
// reads each back at its offset.
func TestArena(t *testing.T) {
	for _, grow := range []bool{false, true} {
		t.Run(fmt.Sprintf("grow=%v", grow), func(t *testing.T) {
			a := arena{grow: grow}
			rng := rand.New(rand.NewPCG(3, 4))
			for round := range 2 {
				var offs []uint64
				var want [][]uint64
				words := 0
				for words < 3<<arenaBits/2 { // past the first block of 2^arenaBits words
					p := make([]uint64, 1+rng.IntN(200))
					for i := range p {
						p[i] = rng.Uint64()
					}
					var off uint64
					if rng.IntN(2) == 0 {
						off = a.add(p)
					} else {
						r := a.reserve(len(p) + 8)
						copy(r, p)
						off = a.commit(len(p))
					}
					offs, want = append(offs, off), append(want, p)
					words += len(p)
				}
				for i, off := range offs {
					if got := a.at(off); len(got) < len(want[i]) || !slices.Equal(got[:len(want[i])], want[i]) {
						t.Fatalf("round %d: run %d at %#x does not read back", round, i, off)
					}
				}
				blocks := len(a.blocks)
				if grow && cap(a.blocks[0]) != 1<<arenaFirstBits || !grow && cap(a.blocks[0]) != 1<<arenaBits {
					t.Fatalf("first block of %d words", cap(a.blocks[0]))
				}
				if last := cap(a.blocks[blocks-1]); last > 1<<arenaBits {
					t.Fatalf("a block of %d words", last)
				}
				a.reset()
				if len(a.blocks) != blocks || a.cur != 0 || len(a.blocks[0]) != 0 {
					t.Fatalf("reset: %d blocks (had %d), block %d, %d words", len(a.blocks), blocks, a.cur, len(a.blocks[0]))
				}
			}
		})
	}
}

// TestExactSet adds random states, a third of them twice, to exact sets
// whose slots keep 28 bits of the fingerprints (growing from the tags)
// and 16 bits (growing past 2^16 slots by rehashing the arena, and
// comparing many states of equal tags): add reports new exactly the first
// time, has finds every state added and none other, and the count is
// right.
func TestExactSet(t *testing.T) {
	length := func(p []uint64) int { return int(p[0]) }
	for _, tagBits := range []uint{exactTagBits, 16} {
		t.Run(fmt.Sprintf("tagBits=%d", tagBits), func(t *testing.T) {
			e := newExactSet(length, hash)
			e.tagBits = tagBits
			rng := rand.New(rand.NewPCG(5, uint64(tagBits)))
			state := func(i int) []uint64 {
				r := rand.New(rand.NewPCG(uint64(i), 9))
				p := make([]uint64, 1+r.IntN(30))
				p[0] = uint64(len(p))
				for k := 1; k < len(p); k++ {
					p[k] = r.Uint64() & 0xff // small words: states share prefixes
				}
				return p
			}
			const n = 150000
			added := map[string]bool{} // by contents: some states are equal
			for range 2 * n {
				p := state(rng.IntN(n))
				k := fmt.Sprint(p)
				if got := e.add(p, hash(p)); got != !added[k] {
					t.Fatalf("add of %v: new=%v, want %v", p, got, !added[k])
				}
				added[k] = true
			}
			if e.size() != len(added) {
				t.Fatalf("size %d, want %d", e.size(), len(added))
			}
			for i := range n {
				p := state(i)
				if k := fmt.Sprint(p); e.has(p, hash(p)) != added[k] {
					t.Fatalf("has of %v: %v, want %v", p, !added[k], added[k])
				}
			}
			if len(e.slots) <= 1<<tagBits && tagBits < exactTagBits {
				t.Fatalf("the table has %d slots: the rehashing growth was not reached", len(e.slots))
			}
		})
	}
}
