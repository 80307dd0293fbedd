package pctest

import (
	"fmt"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

// Scenario returns a generator of valid scenarios for arch (one of
// arches.Generated()): package gen's, with its options (gen.Variant,
// gen.AnyFetch, gen.Lifecycle, gen.MaxStates...). Drawn scenarios
// shrink to the fewest targets, keys, sites, CPUs, calls and updates.
func Scenario(arch string, opts ...gen.Option) *rapid.Generator[*scenario.Scenario] {
	return gen.Scenario(arch, opts...)
}

// X86 returns a generator of x86-64 scenarios (Scenario("x86-64", ...)).
func X86(opts ...gen.Option) *rapid.Generator[*scenario.Scenario] {
	return gen.Scenario("x86-64", opts...)
}

// Arm64 returns a generator of arm64 scenarios (Scenario("arm64", ...)):
// no init text, no Jcc sites; out-of-line variants draw no inline site.
func Arm64(opts ...gen.Option) *rapid.Generator[*scenario.Scenario] {
	return gen.Scenario("arm64", opts...)
}

// Targets returns the names of n ordinary targets, f1 to fn, as the
// generators name them.
func Targets(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("f%d", i+1)
	}
	return out
}

// choices are the values a key may take: the targets, then NULL and
// return0.
func choices(targets []string) []string {
	return append(slices.Clone(targets), scenario.Null, scenario.Return0)
}

// Keys returns a generator of 1 to gen.MaxKeys keys, k1, k2, each
// initialised to one of targets, NULL or return0; they shrink to one key
// initialised to the first target.
func Keys(targets []string) *rapid.Generator[[]scenario.Key] {
	cs := choices(targets)
	return rapid.Custom(func(t *rapid.T) []scenario.Key {
		inits := rapid.SliceOfN(rapid.SampledFrom(cs), gen.MinKeys, gen.MaxKeys).Draw(t, "key inits")
		keys := make([]scenario.Key, len(inits))
		for i, init := range inits {
			keys[i] = scenario.Key{Name: fmt.Sprintf("k%d", i+1), Init: init}
		}
		return keys
	})
}

// Sites returns a generator of 1 to gen.MaxSites inline sites s1, s2...
// in core text, of keys, of the site kinds the generator draws on arch
// (x86-64: call, tail, jcc; arm64: call, tail); they shrink to one call
// site of the first key.
func Sites(arch string, keys []scenario.Key) *rapid.Generator[[]scenario.Site] {
	d, err := arches.Describe(arch)
	return rapid.Custom(func(t *rapid.T) []scenario.Site {
		switch {
		case err != nil:
			t.Fatalf("pctest.Sites: %v", err)
		case !d.Generates():
			t.Fatalf("pctest.Sites: no site kinds are drawn on %s (have %s)", arch, strings.Join(arches.Generated(), ", "))
		case len(keys) == 0:
			t.Fatalf("pctest.Sites: no key")
		}
		type draw struct{ key, kind int }
		ds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) draw {
			return draw{rapid.IntRange(0, len(keys)-1).Draw(t, "key"), rapid.IntRange(0, len(d.Gen.Kinds)-1).Draw(t, "kind")}
		}), gen.MinSites, gen.MaxSites).Draw(t, "sites")
		sites := make([]scenario.Site, len(ds))
		for i, x := range ds {
			sites[i] = scenario.Site{Name: fmt.Sprintf("s%d", i+1), Key: keys[x.key].Name, Kind: d.Gen.Kinds[x.kind], Section: scenario.SectionCore}
		}
		return sites
	})
}

// Updates returns a generator of one thread's 1 to gen.MaxOps
// static_call_update operations of keys, each to a value that changes the
// key (one of targets, NULL or return0, other than the key's value
// before it); they shrink to one update of the first key to the next
// value.
func Updates(keys []scenario.Key, targets []string) *rapid.Generator[[]scenario.Op] {
	cs := choices(targets)
	return rapid.Custom(func(t *rapid.T) []scenario.Op {
		if len(keys) == 0 {
			t.Fatalf("pctest.Updates: no key")
		}
		cur := make([]int, len(keys))
		for k, key := range keys {
			cur[k] = max(slices.Index(cs, key.Init), 0)
		}
		type draw struct{ key, off int }
		ds := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) draw {
			return draw{rapid.IntRange(0, len(keys)-1).Draw(t, "key"), rapid.IntRange(0, len(cs)-2).Draw(t, "target")}
		}), gen.MinOps, gen.MaxOps).Draw(t, "updates")
		ops := make([]scenario.Op, len(ds))
		for i, x := range ds {
			cur[x.key] = (cur[x.key] + 1 + x.off) % len(cs)
			ops[i] = scenario.Update(keys[x.key].Name, cs[cur[x.key]])
		}
		return ops
	})
}

// sketchBases returns the catalogue's sketch scenarios of arch, the
// kernel's own first (NAME-sketch-kernel where there is one).
func sketchBases(arch string) ([]*scenario.Scenario, error) {
	d, err := arches.Describe(arch)
	if err != nil {
		return nil, err
	}
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		return nil, err
	}
	var out []*scenario.Scenario
	for _, e := range all {
		if d.Named(e.Scenario.Arch) && len(e.Scenario.Sketch) > 0 {
			out = append(out, e.Scenario)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no sketch scenario of %s in the catalogue", arch)
	}
	slices.SortStableFunc(out, func(a, b *scenario.Scenario) int {
		ka, kb := strings.HasSuffix(a.Name, "-sketch-kernel"), strings.HasSuffix(b.Name, "-sketch-kernel")
		switch {
		case ka && !kb:
			return -1
		case kb && !ka:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// SketchScenario returns a generator of sketch scenarios of arch: one of
// the catalogue's sketch scenarios of the architecture (patchcheck list;
// the kernel's own protocol written as a sketch first) with some of its
// steps left out, so long as the scenario still compiles. Each is a
// proposed patching sequence to check; they shrink to the kernel's
// sketch with the fewest steps left out. The expectation is dropped.
func SketchScenario(arch string) *rapid.Generator[*scenario.Scenario] {
	bases, err := sketchBases(arch)
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		if err != nil {
			t.Fatalf("pctest.SketchScenario: %v", err)
		}
		base := bases[rapid.IntRange(0, len(bases)-1).Draw(t, "base")]
		drop := rapid.SliceOfN(rapid.Bool(), len(base.Sketch), len(base.Sketch)).Draw(t, "drop")
		sc := *base
		sc.Name, sc.Expect, sc.Doc = base.Name+"-drawn", scenario.Expect{}, ""
		sc.Sketch = slices.Clone(base.Sketch)
		// Leave out each dropped step that leaves a scenario that
		// compiles, in order: every draw is a valid scenario.
		for i, kept := len(drop)-1, sc.Sketch; i >= 0; i-- {
			if !drop[i] {
				continue
			}
			try := slices.Delete(slices.Clone(kept), i, i+1)
			if len(try) == 0 {
				continue
			}
			sc.Sketch = try
			if _, err := check.Compile(&sc, nil); err == nil {
				kept = try
			}
			sc.Sketch = kept
		}
		for i := range sc.Sketch {
			sc.Sketch[i].Line, sc.Sketch[i].Col = 0, 0
		}
		return &sc
	})
}

// Sketch returns a generator of sketches of arch, as SketchScenario draws
// them (a catalogue sketch with steps left out); use them with
// scenario.Builder.Sketch in scenarios of your own.
func Sketch(arch string) *rapid.Generator[[]scenario.SketchStep] {
	g := SketchScenario(arch)
	return rapid.Custom(func(t *rapid.T) []scenario.SketchStep { return g.Draw(t, "sketch scenario").Sketch })
}
