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
		for _, vbmi := range []bool{false, true} {
			if vbmi && !haveVBMI2 {
				continue
			}
			testFrontier(t, spill, vbmi)
		}
	}
}

// testFrontier is TestFrontierIsAQueue, with blocks spilled whenever
// they can be or never, coded with AVX-512 or in Go.
func testFrontier(t *testing.T, spill, vbmi bool) {
	pk := newPacker([][2]uintptr{{0, unsafe.Sizeof(State{})}})
	if stateWords%groupWords == 0 {
		t.Fatal("State is a whole number of groups: the overlapping group is not tested")
	}
	f := newFrontier(pk)
	f.vbmi = vbmi
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

// TestCoderAsmIsGo codes random differences, sparse and dense, with
// AVX-512 and in Go: the entries must be byte for byte the same, and each
// must decode, both ways, to the state coded. The packer covers all of
// State, so its last group overlaps the one before.
func TestCoderAsmIsGo(t *testing.T) {
	if !haveVBMI2 {
		t.Skip("no AVX-512 VBMI2 here")
	}
	pk := newPacker([][2]uintptr{{0, unsafe.Sizeof(State{})}})
	asm, gocd := newCoder(pk), newCoder(pk)
	asm.vbmi, gocd.vbmi = true, false
	rng := rand.New(rand.NewPCG(5, 6))
	var s, prev State
	for op := range 20000 {
		prev = s
		w := stateAsWords(&s)
		for k := rng.IntN(1 + op%40); k >= 0; k-- {
			i := rng.IntN(int(stateWords))
			switch rng.IntN(4) {
			case 0:
				w[i] ^= uint64(1+rng.IntN(255)) << (8 * rng.IntN(8))
			case 1:
				w[i] = rng.Uint64()
			case 2:
				w[i] ^= rng.Uint64() & 0xff00ff0000ff00ff
			default:
				w[i] = 0
			}
		}
		a := asm.encode(make([]byte, 3, 3+asm.maxLen), stateAsWords(&s), stateAsWords(&prev))
		g := gocd.encode(make([]byte, 3, 3+gocd.maxLen), stateAsWords(&s), stateAsWords(&prev))
		if string(a) != string(g) {
			t.Fatalf("op %d: AVX-512 entry %x, Go %x", op, a, g)
		}
		if len(a) > 3+asm.maxLen-64 {
			t.Fatalf("op %d: entry of %d bytes, longer than maxLen allows", op, len(a)-3)
		}
		for _, cd := range []*coder{&asm, &gocd} {
			got := prev
			if n := cd.decode(a, 3, stateAsWords(&got)); n != len(a) || got != s {
				t.Fatalf("op %d, vbmi %v: decoded %d of %d bytes, state equal %v", op, cd.vbmi, n, len(a), got == s)
			}
		}
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
