package model_test

import (
	"slices"
	"testing"

	"github.com/patchcheck/patchcheck/model"
)

// packScenarios cover x86 and powerpc, modules, init text, kprobes and
// several keys and threads: programs whose states use different parts of
// State.
var packScenarios = []string{
	"x86-update-old-new", "x86-two-keys", "x86-module-load-update", "x86-two-modules",
	"x86-kprobe-site", "x86-init-update-then-free", "x86-boot-init", "x86-bad-no-sync2",
	"ppc32-completion", "ppc64-v4-module-to-kernel", "ppc64-rfc-paca-module",
}

// TestPackRoundTrip packs and unpacks every reachable state of a few
// catalogue scenarios (states kept whole in a Go map, independently of the
// explorer): unpacking gives the state back, the packed length is the one
// its bitmap gives, two states pack alike exactly when they are equal,
// copying a state (a step's start) copies it whole, and the assembly
// packer and copy (where the CPU has AVX-512) and the Go ones agree.
func TestPackRoundTrip(t *testing.T) {
	limit := 200000
	if testing.Short() {
		limit = 20000
	}
	for _, name := range packScenarios {
		_, m := machine(t, name)
		seen := map[model.State]bool{}
		byPacked := map[string]model.State{}
		init := m.P.Initial()
		queue := []model.State{init}
		seen[init] = true
		buf := make([]uint64, 4096)
		for len(queue) > 0 && len(seen) < limit {
			s := queue[0]
			queue = queue[1:]
			p := m.PackForTest(&s, buf)
			if n := m.PackedLenForTest(p); n != len(p) {
				t.Fatalf("%s: packed %d words, bitmap says %d", name, len(p), n)
			}
			var u model.State
			u.CPU[0].PC = 1 // unpack must overwrite what the program uses
			m.UnpackForTest(p, &u)
			if u != s {
				t.Fatalf("%s: state %d does not survive packing", name, len(byPacked))
			}
			key := string(wordsBytes(p))
			if o, ok := byPacked[key]; ok && o != s {
				t.Fatalf("%s: two different states pack alike", name)
			}
			byPacked[key] = s
			a := init // a state of the program: zero outside the groups
			m.CopyStateForTest(&a, &s)
			if a != s {
				t.Fatalf("%s: state %d is not copied whole", name, len(byPacked))
			}
			if was, ok := m.SetAVX512ForTest(!was(m)); ok {
				q := m.PackForTest(&s, make([]uint64, 4096))
				var v model.State
				m.UnpackForTest(p, &v)
				b := init
				m.CopyStateForTest(&b, &s)
				m.SetAVX512ForTest(was)
				if !slices.Equal(p, q) || v != s {
					t.Fatalf("%s: the Go and assembly packers disagree", name)
				}
				if b != s {
					t.Fatalf("%s: the Go and assembly copies of state %d disagree", name, len(byPacked))
				}
			} else {
				m.SetAVX512ForTest(was)
			}
			m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool {
				if !seen[*n] {
					seen[*n] = true
					queue = append(queue, *n)
				}
				return true
			})
		}
		if len(byPacked) < 10 {
			t.Errorf("%s: only %d states", name, len(byPacked))
		}
		t.Logf("%s: %d states round-trip, %d words packed at most of %d", name, len(byPacked), maxLen(byPacked), m.SpanWordsForTest())
	}
}

// was reports whether the assembly packer is on.
func was(m *model.Machine) bool {
	on, _ := m.SetAVX512ForTest(false)
	m.SetAVX512ForTest(on)
	return on
}

func maxLen(byPacked map[string]model.State) int {
	n := 0
	for k := range byPacked {
		n = max(n, len(k)/8)
	}
	return n
}

func wordsBytes(p []uint64) []byte {
	b := make([]byte, 0, 8*len(p))
	for _, w := range p {
		for i := 0; i < 8; i++ {
			b = append(b, byte(w>>(8*i)))
		}
	}
	return b
}

// TestPackedModesAgree: fingerprints and exact storage, on one and two
// workers, find the same number of states, the same verdict and the same
// schedule on the pack scenarios; so do depth-first fingerprints and
// exact storage.
func TestPackedModesAgree(t *testing.T) {
	for _, name := range packScenarios {
		_, m := machine(t, name)
		for _, group := range [][]model.Options{
			{{Exact: true}, {}, model.HelpEveryLevelForTest(model.Options{Workers: 2}), model.HelpEveryLevelForTest(model.Options{Exact: true, Workers: 2})},
			{{Search: model.DFS, Exact: true}, {Search: model.DFS}},
		} {
			ref := model.Explore(m, group[0])
			for _, opt := range group[1:] {
				r := model.Explore(m, opt)
				if r.States != ref.States || (r.Violation == nil) != (ref.Violation == nil) || r.Err != nil ||
					!slices.Equal(r.Schedule, ref.Schedule) {
					t.Errorf("%s %+v: %d states (%v, %v); exact %d states (%v)", name, opt, r.States, r.Violation, r.Err, ref.States, ref.Violation)
				}
			}
		}
	}
}
