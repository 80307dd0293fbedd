package model

import (
	"testing"

	"pgregory.net/rapid"
)

// TestCollapseSetAgreesWithAMap checks the collapsed set against a Go map
// of packed states, with every fingerprint 0: the set must then tell
// states apart by their tuples alone, so a tuple that named two states
// would show as a state reported seen that was not. States are drawn
// from few values per word, so that groups share their contents across
// states and the component tables grow through several tables.
func TestCollapseSetAgreesWithAMap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		// used ranges of State, in bytes: a few, some not whole groups
		var used [][2]uintptr
		at := uintptr(0)
		for range rapid.IntRange(1, 4).Draw(rt, "ranges") {
			lo := at + 8*uintptr(rapid.IntRange(0, 20).Draw(rt, "gap"))
			hi := lo + 8*uintptr(rapid.IntRange(1, 30).Draw(rt, "words"))
			if hi > 8*uintptr(stateWords) {
				break
			}
			used = append(used, [2]uintptr{lo, hi})
			at = hi
		}
		if len(used) == 0 {
			rt.Skip("no range fits")
		}
		pk := newPacker(used)
		pk.avx = false
		c := newCollapseSet(pk)
		seen := map[string]bool{}
		values := []uint64{0, 0, 0, 1, 2, 1 << 63, ^uint64(0)}
		buf := make([]uint64, pk.bufLen())
		for range rapid.IntRange(1, 3000).Draw(rt, "states") {
			var s State
			w := stateAsWords(&s)
			for _, r := range used {
				for i := r[0] / 8; i < r[1]/8; i++ {
					w[i] = values[rapid.IntRange(0, len(values)-1).Draw(rt, "v")]
				}
			}
			p := buf[:pk.pack(&s, buf)]
			key := string(wordsBytes(p))
			if got, want := c.has(p, 0), seen[key]; got != want {
				rt.Fatalf("has %x = %v, want %v", p, got, want)
			}
			if got, want := c.add(p, 0), !seen[key]; got != want {
				rt.Fatalf("add %x = %v, want %v", p, got, want)
			}
			seen[key] = true
			if c.size() != len(seen) {
				rt.Fatalf("size %d, want %d", c.size(), len(seen))
			}
		}
	})
}

func wordsBytes(p []uint64) []byte {
	b := make([]byte, 0, 8*len(p))
	for _, w := range p {
		for i := range 8 {
			b = append(b, byte(w>>(8*i)))
		}
	}
	return b
}
