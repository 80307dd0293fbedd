package model

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestFrontierIsAQueue pushes and pops states that differ from each other
// in a few random words and bytes (as siblings do) or in many, across
// blocks, and checks the order and the contents against a slice. The
// packer covers all of State, so its last group overlaps the one before.
func TestFrontierIsAQueue(t *testing.T) {
	for _, spill := range []bool{false, true} {
		for _, avx := range []bool{false, true} {
			if avx && !haveAVX512 {
				continue
			}
			testFrontier(t, spill, avx)
		}
	}
}

// testFrontier is TestFrontierIsAQueue, with blocks spilled whenever
// they can be or never, with encode's AVX-512 compare or in Go.
func testFrontier(t *testing.T, spill, avx bool) {
	pk := newPacker([][2]uintptr{{0, unsafe.Sizeof(State{})}})
	if stateWords%groupWords == 0 {
		t.Fatal("State is a whole number of groups: the overlapping group is not tested")
	}
	f := newFrontier(pk)
	f.avx = avx
	defer f.close()
	if spill {
		f.low = func() bool { return true }
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var s State
	var ref []State
	for op := 0; op < 60000; op++ {
		if rng.IntN(5) < 3 || len(ref) == 0 {
			w := stateAsWords(&s)
			for k := rng.IntN(4); k >= 0; k-- {
				switch rng.IntN(3) {
				case 0:
					w[rng.IntN(int(stateWords))] ^= uint64(rng.IntN(256)) << (8 * rng.IntN(8))
				case 1:
					w[rng.IntN(int(stateWords))] = rng.Uint64()
				default:
					w[rng.IntN(int(stateWords))] = 0
				}
			}
			if rng.IntN(1000) == 0 {
				for i := range w {
					w[i] = rng.Uint64()
				}
			}
			f.push(&s)
			ref = append(ref, s)
			continue
		}
		var got State
		f.pop(&got)
		if got != ref[0] {
			t.Fatalf("spill %v, op %d: popped a state unlike the one pushed (%v)", spill, op, f.error())
		}
		ref = ref[1:]
		if f.len() != len(ref) {
			t.Fatalf("op %d: len %d, want %d", op, f.len(), len(ref))
		}
	}
	if f.bytes() == 0 || f.used <= 0 || f.error() != nil || (f.spilled > 0) != spill {
		t.Fatalf("spill %v: frontier of %d states in %d bytes, %d used, %d spilled (%v)", spill, f.len(), f.bytes(), f.used, f.spilled, f.error())
	}
}

// TestLevelTree adds nodes as a breadth-first search does (parents in
// order, sometimes far apart; steps mostly small, some large) and checks
// every node's parent, step and depth, and a path.
func TestLevelTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tr levelTree
	parents := []int32{-1}
	steps := []Step{{}}
	depths := []int{0}
	tr.add(-1, Step{}, 0)
	for parent := 0; parent < len(parents) && len(parents) < 30000; parent++ {
		for k := rng.IntN(4); k > 0; k-- {
			st := Step{Actor: uint8(rng.IntN(8)), Choice: uint16(rng.IntN(8))}
			if rng.IntN(50) == 0 {
				st = Step{Actor: uint8(rng.IntN(256)), Choice: uint16(rng.IntN(70000))}
			}
			d := depths[parent] + 1
			if n := tr.add(int32(parent), st, d); int(n) != len(parents) {
				t.Fatalf("node %d numbered %d", len(parents), n)
			}
			parents, steps, depths = append(parents, int32(parent)), append(steps, st), append(depths, d)
		}
	}
	for n := range parents {
		p, st := tr.at(int32(n))
		if p != parents[n] || st != steps[n] || tr.depthOf(int32(n)) != depths[n] {
			t.Fatalf("node %d: parent %d step %v depth %d, want %d %v %d", n, p, st, tr.depthOf(int32(n)), parents[n], steps[n], depths[n])
		}
	}
	n := int32(len(parents) - 1)
	path := tr.path(n)
	if len(path) != depths[n] {
		t.Fatalf("path of %d steps to a node at depth %d", len(path), depths[n])
	}
	for i := len(path) - 1; i >= 0; i, n = i-1, parents[n] {
		if path[i] != steps[n] {
			t.Fatalf("path step %d: %v, want %v", i, path[i], steps[n])
		}
	}
}

// TestSpanStates checks where a coded level's spans are cut small: in
// the level's middle (a quarter to 0.7 of the states expected), a quarter
// of a chunk's states, and nowhere in levels of the largest chunks.
func TestSpanStates(t *testing.T) {
	for _, c := range []struct{ cs, kept, expect, want int }{
		{256, 0, 1000, 256},
		{256, 249, 1000, 256},
		{256, 250, 1000, 64},
		{256, 700, 1000, 64},
		{256, 701, 1000, 256},
		{256, 5000, 1000, 256}, // the level grew past the guess
		{1024, 500, 1000, 256},
		{maxChunkStates, 500, 1000, maxChunkStates},
	} {
		if got := spanStates(c.cs, c.kept, c.expect); got != c.want {
			t.Errorf("spanStates(%d, %d, %d) = %d, want %d", c.cs, c.kept, c.expect, got, c.want)
		}
	}
}
