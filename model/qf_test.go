package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCompactSetAgreesWithAMap checks the quotient filter against a Go
// map on fingerprints drawn so that runs and clusters are long: few
// distinct quotients (high bits), many remainders, and fingerprints
// whose remainder is 0 or all ones, across several growths.
func TestCompactSetAgreesWithAMap(t *testing.T) {
	for _, quotients := range []uint64{3, 50, 1 << 20} {
		rng := rand.New(rand.NewPCG(quotients, 7))
		c := newCompactSet()
		ref := map[uint64]bool{}
		draw := func() uint64 {
			hi := rng.Uint64N(quotients) * (^uint64(0) / quotients)
			switch rng.IntN(4) {
			case 0:
				return hi &^ (1<<40 - 1) // remainder 0 at every q used
			case 1:
				return hi | (1<<40 - 1)
			}
			return hi ^ rng.Uint64N(1<<20)
		}
		ops := 200000
		if quotients < 1000 {
			ops = 20000 // runs of thousands: each insert shifts them
		}
		for i := 0; i < ops; i++ {
			fp := draw()
			if i%3 == 0 {
				if got := c.has(nil, fp); got != ref[fp] {
					t.Fatalf("quotients %d, op %d: has(%#x) = %v, want %v", quotients, i, fp, got, ref[fp])
				}
				continue
			}
			if got := c.add(nil, fp); got != !ref[fp] {
				t.Fatalf("quotients %d, op %d: add(%#x) = %v, want %v", quotients, i, fp, got, !ref[fp])
			}
			ref[fp] = true
		}
		if c.size() != len(ref) {
			t.Fatalf("quotients %d: size %d, want %d", quotients, c.size(), len(ref))
		}
		var all []uint64
		c.each(func(fp uint64) { all = append(all, fp) })
		want := make([]uint64, 0, len(ref))
		for fp := range ref {
			want = append(want, fp)
		}
		slices.Sort(all)
		slices.Sort(want)
		if !slices.Equal(all, want) {
			t.Fatalf("quotients %d: each gives %d fingerprints, not the %d added", quotients, len(all), len(want))
		}
	}
}

// TestCompactSetGrows adds fingerprints across growths, in memory and
// through a file, and checks that each is seen once added and not before.
func TestCompactSetGrows(t *testing.T) {
	for _, fileFrom := range []int{0, 1} {
		testCompactSetGrows(t, fileFrom)
	}
}

func testCompactSetGrows(t *testing.T, fileFrom int) {
	s := newCompactSet()
	s.fileFrom = fileFrom
	const n = 300000
	for i := uint64(0); i < n; i++ {
		if !s.add(nil, i*0x9e3779b97f4a7c15) {
			t.Fatalf("fingerprint %d reported seen before it was added", i)
		}
	}
	for i := uint64(0); i < n; i++ {
		if fp := i * 0x9e3779b97f4a7c15; s.add(nil, fp) || !s.has(nil, fp) {
			t.Fatalf("fingerprint %d not seen after it was added", i)
		}
	}
	if m := uint64(n); s.has(nil, m*0x9e3779b97f4a7c15) {
		t.Fatalf("fingerprint %d seen, never added", n)
	}
	if s.size() != n || s.q != 20 || s.error() != nil || s.fileFrom != fileFrom {
		t.Fatalf("size %d in 2^%d slots, want %d in 2^20", s.size(), s.q, n)
	}
}
