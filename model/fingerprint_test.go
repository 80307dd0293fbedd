package model

import (
	"math/rand/v2"
	"testing"
)

// testPackers returns packers of 1 to 64 groups, contiguous and
// scattered over State.
func testPackers(rng *rand.Rand) []*packer {
	var out []*packer
	for n := 1; n <= maxGroups; n++ {
		for _, scattered := range []bool{false, true} {
			var used [][2]uintptr
			w := uintptr(0)
			for range n {
				used = append(used, [2]uintptr{8 * w, 8 * (w + groupWords)})
				w += groupWords
				if scattered {
					w += uintptr(rng.IntN(3))
				}
			}
			if w > stateWords {
				continue // does not fit State
			}
			out = append(out, newPacker(used))
		}
	}
	return out
}

// randomState fills s at random, mostly with zeros when sparse.
func randomState(rng *rand.Rand, s *State, sparse bool) {
	for i, sw := 0, stateAsWords(s); i < len(sw); i++ {
		sw[i] = 0
		if !sparse || rng.IntN(4) == 0 {
			sw[i] = rng.Uint64()
		}
	}
}

// TestFingerprintAsmIsGo checks the assembly fingerprint (AVX-512, where
// the CPU has it) against stripesGo, for programs of 1 to 64 groups.
func TestFingerprintAsmIsGo(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 here: the Go fingerprint is the only one")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range testPackers(rng) {
		var s State
		for trial := range 20 {
			randomState(rng, &s, trial%3 == 0)
			p.avx = false
			want := p.fingerprint(&s)
			p.avx = true
			if got := p.fingerprint(&s); got != want {
				t.Fatalf("%d groups %v: assembly %#x, Go %#x", len(p.groups), p.groups, got, want)
			}
		}
	}
}

// TestFingerprintKnown pins the fingerprint's definition: these values
// are the same on every machine, with the assembly or without.
func TestFingerprintKnown(t *testing.T) {
	p := newPacker([][2]uintptr{{0, 8 * 8 * 18}})
	var s State
	sw := stateAsWords(&s)
	for i := range 8 * 18 {
		sw[i] = uint64(i) * 0x0101010101010101
	}
	for _, avx := range []bool{false, true} {
		p.avx = avx && haveAVX512
		if got, want := p.fingerprint(&State{}), uint64(0x10307401d446d280); got != want {
			t.Errorf("avx %v: zero state %#x, want %#x", p.avx, got, want)
		}
		if got, want := p.fingerprint(&s), uint64(0x07ddd558055d139f); got != want {
			t.Errorf("avx %v: %#x, want %#x", p.avx, got, want)
		}
	}
}

// TestFingerprintSeesEveryBit checks that changing one bit of any word of
// any group changes the fingerprint, and that groups are not
// interchangeable (each has its key).
func TestFingerprintSeesEveryBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newPacker([][2]uintptr{{0, 8 * 8 * 18}})
	for _, avx := range []bool{false, true} {
		p.avx = avx && haveAVX512
		var s State
		randomState(rng, &s, true)
		base := p.fingerprint(&s)
		sw := stateAsWords(&s)
		for w := range 8 * 18 {
			for b := range 64 {
				sw[w] ^= 1 << b
				if p.fingerprint(&s) == base {
					t.Fatalf("avx %v: word %d bit %d does not change the fingerprint", p.avx, w, b)
				}
				sw[w] ^= 1 << b
			}
		}
		// Groups swapped: another fingerprint.
		var a, c State
		stateAsWords(&a)[0] = 1
		stateAsWords(&c)[8] = 1
		if p.fingerprint(&a) == p.fingerprint(&c) {
			t.Fatalf("avx %v: the same word in groups 0 and 1 has one fingerprint", p.avx)
		}
	}
}
