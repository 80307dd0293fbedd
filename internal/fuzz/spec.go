// Package fuzz holds patchcheck's native Go fuzz targets (go test -fuzz)
// and the mapping they share from fuzzer bytes to valid scenarios: the
// bytes fill a Spec with github.com/google/gofuzz (NewFromGoFuzz), and
// Spec.Scenario turns any Spec into a valid, tractable scenario.
//
// Targets (see fuzz_test.go and docs/testing.md):
//
//	go test ./internal/fuzz -run XXX -fuzz '^FuzzKernelSafe$' -fuzztime 1m
//	go test ./internal/fuzz -run XXX -fuzz '^FuzzReplayDeterministic$' -fuzztime 1m
//	go test ./internal/fuzz -run XXX -fuzz '^FuzzRapidKernelSafe$' -fuzztime 1m
package fuzz

import (
	"fmt"
	"slices"

	gofuzz "github.com/google/gofuzz"

	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

// MaxStates is the states bound of the scenarios a Spec maps to: small, so
// that the fuzzer runs many inputs a second.
const MaxStates = 5000

// Spec is what the fuzzer fills: small integers and booleans only. Every
// value maps to a valid scenario: each count is reduced into its range
// (the same ranges as package gen's), each choice modulo what it chooses
// from.
type Spec struct {
	Variant   uint8 // FuzzReplayDeterministic: which bad variant
	Aligned4  bool  // fetch aligned4 instead of the default byte
	Lifecycle uint8 // never, ordered, (where allowed) concurrent
	Free      bool  // a free_initmem, if the lifecycle allows
	FreeAt    uint8 // ordered: where in the first thread free_initmem goes
	Targets   uint8
	Keys      uint8
	KeyInit   [gen.MaxKeys]uint8
	Sites     uint8
	SiteKey   [gen.MaxSites]uint8
	SiteKind  [gen.MaxSites]uint8
	SiteInit  [gen.MaxSites]bool
	CPUs      uint8
	Calls     [gen.MaxCPUs]uint8
	Call      [gen.MaxCPUs][gen.MaxCalls]uint8
	Threads   uint8
	Ops       [gen.MaxThreads]uint8
	OpKey     [gen.MaxThreads][gen.MaxOps]uint8
	OpTarget  [gen.MaxThreads][gen.MaxOps]uint8
}

// FromBytes fills a Spec from fuzzer bytes, deterministically.
func FromBytes(data []byte) Spec {
	var s Spec
	gofuzz.NewFromGoFuzz(data).Fuzz(&s)
	return s
}

// count reduces x into lo..hi.
func count(x uint8, lo, hi int) int { return lo + int(x)%(hi-lo+1) }

// Scenario maps s to a valid scenario of variant (and the fetch
// assumption s says) with the states bound MaxStates. lifecycles lists the
// lifecycle modes s.Lifecycle chooses from: pass only LifecycleNever and
// LifecycleOrdered to show the kernel safe (docs/semantics.md §8).
func (s Spec) Scenario(variant string, lifecycles ...gen.LifecycleMode) (*scenario.Scenario, error) {
	if len(lifecycles) == 0 {
		lifecycles = []gen.LifecycleMode{gen.LifecycleNever}
	}
	lc := lifecycles[int(s.Lifecycle)%len(lifecycles)]
	b := scenario.New("fuzz").Arch("x86-64").Variant(variant)
	if s.Aligned4 {
		b.Fetch("aligned4")
	}
	nt := count(s.Targets, gen.MinTargets, gen.MaxTargets)
	targets := make([]string, nt)
	for i := range targets {
		targets[i] = fmt.Sprintf("f%d", i+1)
	}
	b.Target(targets...)
	choices := append(slices.Clone(targets), scenario.Null, scenario.Return0)

	nk := count(s.Keys, gen.MinKeys, gen.MaxKeys)
	keys := make([]scenario.Key, nk)
	for i := range keys {
		keys[i] = scenario.Key{Name: fmt.Sprintf("k%d", i+1), Init: choices[int(s.KeyInit[i])%len(choices)]}
		b.Key(keys[i].Name, keys[i].Init)
	}

	free := s.Free && lc != gen.LifecycleNever
	ns := count(s.Sites, gen.MinSites, gen.MaxSites)
	sites := make([]scenario.Site, ns)
	initKey := make([]bool, nk)
	kinds := []string{scenario.KindCall, scenario.KindTail, scenario.KindJcc}
	for i := range sites {
		k := int(s.SiteKey[i]) % nk
		st := scenario.Site{Name: fmt.Sprintf("s%d", i+1), Key: keys[k].Name, Kind: kinds[int(s.SiteKind[i])%len(kinds)]}
		if free && s.SiteInit[i] {
			st.Name, st.Section = fmt.Sprintf("i%d", i+1), scenario.SectionInit
			initKey[k] = true
			b.InitSite(st.Name, st.Key, st.Kind)
		} else {
			b.Site(st.Name, st.Key, st.Kind)
		}
		sites[i] = st
	}

	nc := count(s.CPUs, gen.MinCPUs, gen.MaxCPUs)
	for c := range nc {
		calls := make([]string, count(s.Calls[c], gen.MinCalls, gen.MaxCalls))
		for j := range calls {
			x := int(s.Call[c][j]) % (ns + nk)
			if x < ns {
				calls[j] = sites[x].Name
			} else {
				calls[j] = scenario.TrampCall(keys[x-ns].Name)
			}
		}
		b.CPU(calls...)
	}

	// As in package gen: with an ordered free_initmem, the first thread
	// holds it and every update of a key with an init site.
	ordered := free && lc == gen.LifecycleOrdered
	var later []int
	for k := range keys {
		if !ordered || !initKey[k] {
			later = append(later, k)
		}
	}
	nth := count(s.Threads, gen.MinThreads, gen.MaxThreads)
	if len(later) == 0 {
		nth = 1
	}
	for t := range nth {
		allowed := later
		if t == 0 {
			allowed = nil
			for k := range keys {
				allowed = append(allowed, k)
			}
		}
		var ops []scenario.Op
		for j := range count(s.Ops[t], gen.MinOps, gen.MaxOps) {
			k := allowed[int(s.OpKey[t][j])%len(allowed)]
			ops = append(ops, scenario.Update(keys[k].Name, choices[int(s.OpTarget[t][j])%len(choices)]))
		}
		name := fmt.Sprintf("t%d", t)
		if t == 0 && ordered {
			ops = slices.Insert(ops, int(s.FreeAt)%(len(ops)+1), scenario.FreeInitmem())
			name = "kernel_init"
		}
		b.Thread(name, ops...)
	}
	if free && !ordered {
		b.Thread("kernel_init", scenario.FreeInitmem())
	}
	b.Bounds(0, MaxStates)
	return b.Build()
}
