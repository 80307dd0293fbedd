package model

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/xxh3"
)

// TestFingerprintIsXXH3 checks fingerprint against XXH3-64
// (github.com/zeebo/xxh3) of the groups' words gathered as little-endian
// bytes, for programs of 1 to 64 groups, contiguous and scattered, with
// the assembly (AVX-512, where the CPU has it) and without.
func TestFingerprintIsXXH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 64; n++ {
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
			if 8*w > 8*uintptr(stateWords) {
				continue // does not fit State
			}
			p := newPacker(used)
			if len(p.groups) != n {
				t.Fatalf("%d groups: the packer made %d", n, len(p.groups))
			}
			var s State
			sw := stateAsWords(&s)
			for trial := range 20 {
				for i := range sw {
					switch {
					case trial%3 == 0 && rng.IntN(4) != 0:
						sw[i] = 0 // mostly zero, as states are
					default:
						sw[i] = rng.Uint64()
					}
				}
				var b []byte
				for _, g := range p.groups {
					for _, v := range sw[g : g+groupWords] {
						b = binary.LittleEndian.AppendUint64(b, v)
					}
				}
				want := xxh3.Hash(b)
				for _, avx := range []bool{false, true} {
					p.avx = avx && haveAVX512
					if got := p.fingerprint(&s); got != want {
						t.Fatalf("%d groups (scattered %v, avx %v): fingerprint %#x, XXH3 of the groups %#x", n, scattered, p.avx, got, want)
					}
				}
			}
		}
	}
	if !haveAVX512 {
		t.Log("no AVX-512 here: only the gathered fingerprint was checked")
	}
}
