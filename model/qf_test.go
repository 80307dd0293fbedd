package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
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

// TestCompactSetGrows adds fingerprints across growths
// and checks that each is seen once added and not before.
func TestCompactSetGrows(t *testing.T) {
	s := newCompactSet()
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
	if s.size() != n || s.q != 20 {
		t.Fatalf("size %d in 2^%d slots, want %d in 2^20", s.size(), s.q, n)
	}
}

// TestCompactSetGrowsWithLongClusters grows tables whose clusters span
// pages and hold many runs, so that a growth's reader gives pages back
// while the quotient of the run it is in has its slot pages behind: each
// growth must keep every fingerprint (each and has agree with a map).
// Fingerprints are drawn around a few centres, their quotients (at 2^16
// slots) within band slots of one.
func TestCompactSetGrowsWithLongClusters(t *testing.T) {
	for _, tc := range []struct{ centres, band, n uint64 }{
		{64, 1, 52000},    // a run a cluster, of 800 slots
		{64, 100, 52000},  // 100 runs a cluster (a walk releasing up to its slot, not its run's quotient's, loses some)
		{3000, 4, 120000}, // short clusters, many of them
	} {
		rng := rand.New(rand.NewPCG(tc.centres, tc.band))
		c := newCompactSet()
		c.releaseAlign = 4096 // the tables are under 2 MiB
		ref := map[uint64]bool{}
		grew := 0
		for range tc.n {
			q := (rng.Uint64N(tc.centres)*(1<<16/tc.centres) + rng.Uint64N(tc.band)) % (1 << 16)
			fp := q<<48 | rng.Uint64N(1<<48)
			q0 := c.q
			if c.add(nil, fp) == ref[fp] {
				t.Fatalf("%+v: add(%#x) after %d: wrong answer", tc, fp, len(ref))
			}
			ref[fp] = true
			if c.q == q0 {
				continue
			}
			grew++
			var all []uint64
			c.each(func(fp uint64) { all = append(all, fp) })
			if len(all) != len(ref) || c.size() != len(ref) {
				t.Fatalf("%+v: %d fingerprints after growing to 2^%d slots, want %d", tc, len(all), c.q, len(ref))
			}
			for _, a := range all {
				if !ref[a] {
					t.Fatalf("%+v: %#x in the grown table, never added", tc, a)
				}
			}
		}
		if grew == 0 {
			t.Fatalf("%+v: the table never grew", tc)
		}
		for fp := range ref {
			if !c.has(nil, fp) {
				t.Fatalf("%+v: %#x lost", tc, fp)
			}
		}
	}
}

// TestCompactSetGrowIsInsert grows tables twofold and fourfold and
// compares them, word for word, with tables of the same size that insert
// made of the same fingerprints: the layout of a quotient filter is fixed
// by its set, and grow writes it in one pass. The tables have long
// clusters, runs of many remainders, and clusters that wrap around the
// table's end, before and after the growth. Each is grown in one part,
// in parts of 2^10 slots, and in such parts shared with another
// goroutine (as a parallel search's helper; go test -race sees their
// writes).
func TestCompactSetGrowIsInsert(t *testing.T) {
	for _, tc := range []struct{ centres, band, n uint64 }{
		{64, 1, 40000},      // a run a cluster, of 600 slots
		{64, 100, 45000},    // 100 runs a cluster
		{3000, 4, 48000},    // short clusters, many of them
		{1, 1 << 16, 49000}, // fingerprints at random
	} {
		for g := uint(1); g <= 2; g++ {
			for _, how := range []string{"whole", "parts", "shared"} {
				rng := rand.New(rand.NewPCG(tc.centres, tc.band+uint64(g)))
				c := newCompactSetBits(16)
				c.releaseAlign = 4096
				var fps []uint64
				for range tc.n {
					// The centres are offset so that a cluster wraps
					// around the table's end.
					q := (rng.Uint64N(tc.centres)*(1<<16/tc.centres) + rng.Uint64N(tc.band) - 30) % (1 << 16)
					fp := q<<48 | rng.Uint64N(1<<48)
					if c.insert(fp) {
						fps = append(fps, fp)
						c.n++
					}
				}
				if tc.band < 1<<16 && (c.get(c.slots-1)&qfMeta == 0 || c.get(0)&qfShifted == 0) {
					t.Fatalf("%+v: no cluster wraps around the table's end", tc)
				}
				var jobs atomic.Pointer[growJob]
				var stop atomic.Bool
				var helped sync.WaitGroup
				if how != "whole" {
					c.partBits = 10
					if j := c.cut(newCompactSetBits(16 + g)); len(j.cuts) < 40 {
						t.Fatalf("%+v: %d parts, want 40 or more", tc, len(j.cuts)-1)
					}
				}
				if how == "shared" {
					c.jobs = &jobs
					helped.Add(1)
					go func() {
						defer helped.Done()
						for !stop.Load() {
							if j := jobs.Load(); j != nil {
								j.work()
							}
						}
					}()
				}
				c.growTo(16 + g)
				stop.Store(true)
				helped.Wait()
				ref := newCompactSetBits(16 + g)
				for _, fp := range fps {
					ref.insert(fp)
				}
				if c.n != len(fps) || !slices.Equal(c.words, ref.words) {
					t.Fatalf("%+v, %s: grown to 2^%d slots, %d fingerprints: not the table insert makes of them", tc, how, 16+g, c.n)
				}
			}
		}
	}
}

// BenchmarkCompactSetGrow times a growth from 2^q slots three quarters
// full of random fingerprints, in one pass (grow, one worker) and as
// an insert a fingerprint in order, faulting the new table in ahead as
// grow does (what grow did until the twentieth round, without giving
// the old table's memory back); ns/fp is per fingerprint moved. One growth an iteration: run
// with -benchtime 1x.
func BenchmarkCompactSetGrow(b *testing.B) {
	for _, q := range []uint{20, 24, 26} {
		for _, how := range []string{"one-pass", "insert"} {
			b.Run(fmt.Sprintf("2^%d/%s", q, how), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, uint64(q)))
				fps := make([]uint64, 3<<q/4)
				for i := range fps {
					fps[i] = rng.Uint64()
				}
				moved := 0
				for range b.N {
					b.StopTimer()
					c := newCompactSetBits(q)
					for _, fp := range fps {
						c.insert(fp)
					}
					c.n = len(fps)
					b.StartTimer()
					if how == "insert" {
						nc := newCompactSetBits(c.q + uint(growFactor(int(c.slots))))
						ready := 0
						c.each(func(fp uint64) {
							ready = populateTo(nc.words, ready, int((fp>>(64-nc.q))*uint64(nc.w)>>6)+64)
							nc.insert(fp)
						})
					} else {
						c.grow()
					}
					moved += len(fps)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(moved), "ns/fp")
			})
		}
	}
}
