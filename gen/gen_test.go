package gen_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata/seeded.golden")

// checksDefault replaces rapid's default of 100 checks a property unless
// -rapid.checks or RAPID_CHECKS is given.
const checksDefault = 30

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if _, env := os.LookupEnv("RAPID_CHECKS"); !set && !env {
		flag.Set("rapid.checks", fmt.Sprint(checksDefault))
	}
	os.Exit(m.Run())
}

// checkShape checks what every generated scenario promises.
func checkShape(t *rapid.T, sc *scenario.Scenario, lc gen.LifecycleMode, maxStates int) {
	t.Helper()
	text := scenario.Format(sc)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), text)
	}
	if err := sc.Validate(); err != nil {
		fail("invalid: %v", err)
	}
	if _, err := check.Compile(sc, nil); err != nil {
		fail("does not compile: %v", err)
	}
	sc2, err := scenario.Parse("g.scn", text, check.ParseOptions())
	if err != nil || !reflect.DeepEqual(sc, sc2) {
		fail("Format/Parse round trip: %v", err)
	}
	in := func(n, lo, hi int, what string) {
		t.Helper()
		if n < lo || n > hi {
			fail("%d %s, want %d..%d", n, what, lo, hi)
		}
	}
	in(len(sc.Targets), gen.MinTargets, gen.MaxTargets, "targets")
	in(len(sc.Keys), gen.MinKeys, gen.MaxKeys, "keys")
	in(len(sc.Sites), gen.MinSites, gen.MaxSites, "sites")
	in(len(sc.CPUs), gen.MinCPUs, gen.MaxCPUs, "CPUs")
	for _, c := range sc.CPUs {
		in(len(c.Calls), gen.MinCalls, gen.MaxCalls, "calls")
	}
	if sc.Bounds.States != maxStates || sc.Bounds.Depth != 0 {
		fail("bounds %+v, want states=%d", sc.Bounds, maxStates)
	}
	initKey := map[string]bool{}
	for _, s := range sc.Sites {
		if s.Section == scenario.SectionInit {
			initKey[s.Key] = true
		}
	}
	var freeIn []int
	updaters := 0
	for i, th := range sc.Threads {
		updates := 0
		for _, op := range th.Ops {
			if op.Kind == scenario.OpFreeInitmem {
				freeIn = append(freeIn, i)
			} else {
				updates++
			}
		}
		if updates > 0 {
			updaters++
			in(updates, gen.MinOps, gen.MaxOps, "updates in a thread")
		}
	}
	in(updaters, gen.MinThreads, gen.MaxThreads, "updating threads")
	if len(freeIn) > 1 {
		fail("free_initmem %d times", len(freeIn))
	}
	if len(initKey) > 0 && len(freeIn) == 0 {
		fail("init sites without free_initmem")
	}
	switch lc {
	case gen.LifecycleNever:
		if len(freeIn) > 0 {
			fail("free_initmem under LifecycleNever")
		}
	case gen.LifecycleOrdered:
		if len(freeIn) == 1 {
			if freeIn[0] != 0 {
				fail("ordered free_initmem outside the first thread")
			}
			for _, th := range sc.Threads[1:] {
				for _, op := range th.Ops {
					if initKey[op.Key] {
						fail("thread %s updates %s, a key with an init site, concurrently with free_initmem", th.Name, op.Key)
					}
				}
			}
		}
	case gen.LifecycleConcurrent:
		if len(freeIn) == 1 {
			th := sc.Threads[freeIn[0]]
			if freeIn[0] != len(sc.Threads)-1 || len(th.Ops) != 1 || th.Name != "kernel_init" {
				fail("concurrent free_initmem not in a kernel_init thread of its own")
			}
		}
	}
}

// TestScenarioShape: every generated scenario is valid, compiles, survives
// Format and Parse, stays within the documented sizes and bounds, and
// places free_initmem as its lifecycle says.
func TestScenarioShape(t *testing.T) {
	for _, lc := range []gen.LifecycleMode{gen.LifecycleNever, gen.LifecycleOrdered, gen.LifecycleConcurrent} {
		t.Run(string(lc), func(t *testing.T) {
			g := gen.Scenario("x86-64", gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(lc), gen.MaxStates(1234))
			rapid.Check(t, func(t *rapid.T) {
				checkShape(t, g.Draw(t, "scenario"), lc, 1234)
			})
		})
	}
}

// TestSeededShape: Seeded scenarios keep the same promises, and every
// variant, fetch assumption, kind and lifecycle shape appears.
func TestSeededShape(t *testing.T) {
	seen := map[string]bool{}
	for _, lc := range []gen.LifecycleMode{gen.LifecycleNever, gen.LifecycleOrdered, gen.LifecycleConcurrent} {
		rapid.Check(t, func(rt *rapid.T) {
			i := rapid.Uint64().Draw(rt, "index")
			sc, err := gen.Seeded("x86-64", 7, i, gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(lc))
			if err != nil {
				rt.Fatal(err)
			}
			checkShape(rt, sc, lc, gen.DefaultMaxStates)
		})
		for i := range uint64(400) {
			sc, _ := gen.Seeded("x86-64", 7, i, gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(lc))
			seen["variant "+sc.Variant] = true
			seen["fetch "+sc.Fetch] = true
			for _, s := range sc.Sites {
				seen["kind "+s.Kind] = true
				seen["section "+s.Section] = true
			}
			for _, th := range sc.Threads {
				seen["thread "+th.Name] = true
			}
			seen[fmt.Sprintf("%d cpus", len(sc.CPUs))] = true
		}
	}
	variants, _ := gen.VariantNames("x86-64")
	want := []string{"fetch byte", "fetch aligned4", "kind call", "kind tail", "kind jcc",
		"section ", "section init", "thread t0", "thread t1", "thread kernel_init", "1 cpus", "3 cpus"}
	for _, v := range variants {
		want = append(want, "variant "+v)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("never generated: %s", w)
		}
	}
}

// TestSeededGolden pins the mapping from (seed, index) to scenarios: a
// campaign resumed or sharded on another machine or build must draw the
// same ones. If this fails after a deliberate change of the drawing code,
// bump gen.Version and run go test ./gen -run SeededGolden -update.
func TestSeededGolden(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", gen.Version)
	for i := range uint64(6) {
		// A fixed list of variants: AnyVariant's grows with the ports.
		sc, err := gen.Seeded("x86-64", 1, i, gen.Variants("kernel", "no-sync2", "tramp-only"), gen.AnyFetch(),
			gen.Lifecycle(gen.LifecycleConcurrent), gen.Name(fmt.Sprintf("seed1-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		render(&b, sc)
	}
	file := filepath.Join("testdata", "seeded.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Errorf("Seeded no longer draws what %s records: bump gen.Version and run with -update\ngot:\n%s", file, b.String())
	}
}

// render writes the fields gen draws, in a form of its own: the golden
// file pins gen's drawing, not scenario.Format's layout.
func render(b *strings.Builder, sc *scenario.Scenario) {
	fmt.Fprintf(b, "%s: variant %s fetch %s targets %v bound %d\n", sc.Name, sc.Variant, sc.Fetch, sc.Targets, sc.Bounds.States)
	for _, k := range sc.Keys {
		fmt.Fprintf(b, "  key %s init %s\n", k.Name, k.Init)
	}
	for _, s := range sc.Sites {
		fmt.Fprintf(b, "  site %s key %s kind %s section %q\n", s.Name, s.Key, s.Kind, s.Section)
	}
	for _, c := range sc.CPUs {
		fmt.Fprintf(b, "  cpu %v\n", c.Calls)
	}
	for _, th := range sc.Threads {
		fmt.Fprintf(b, "  thread %s:", th.Name)
		for _, op := range th.Ops {
			fmt.Fprintf(b, " %s %s %s;", op.Kind, op.Key, op.Target)
		}
		b.WriteString("\n")
	}
}

// TestSeededDistinct: nearby indices and seeds give different scenarios.
func TestSeededDistinct(t *testing.T) {
	texts := map[string]int{}
	for seed := range uint64(3) {
		for i := range uint64(50) {
			sc, _ := gen.Seeded("x86-64", seed, i, gen.AnyVariant(), gen.Lifecycle(gen.LifecycleConcurrent))
			texts[string(scenario.Format(sc))]++
		}
	}
	if len(texts) < 140 {
		t.Errorf("only %d distinct scenarios among 150", len(texts))
	}
}

// recordTB is a rapid.TB that records failures instead of failing, to
// look at what rapid shrank a failing property to.
type recordTB struct {
	failed bool
	logs   []string
}

func (r *recordTB) Helper()                 {}
func (r *recordTB) Name() string            { return "shrink" }
func (r *recordTB) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *recordTB) Log(a ...any)            { r.logs = append(r.logs, fmt.Sprint(a...)) }
func (r *recordTB) Skipf(string, ...any)    {}
func (r *recordTB) Skip(...any)             {}
func (r *recordTB) SkipNow()                {}
func (r *recordTB) Errorf(f string, a ...any) {
	r.failed = true
	r.Logf(f, a...)
}
func (r *recordTB) Error(a ...any)            { r.failed = true; r.Log(a...) }
func (r *recordTB) Fatalf(f string, a ...any) { r.Errorf(f, a...) }
func (r *recordTB) Fatal(a ...any)            { r.Error(a...) }
func (r *recordTB) FailNow()                  { r.failed = true }
func (r *recordTB) Fail()                     { r.failed = true }
func (r *recordTB) Failed() bool              { return r.failed }

// TestShrinks: a property that fails on every scenario with a Jcc site
// that a CPU calls while a thread updates its key shrinks to the smallest
// such scenario: 2 targets, 1 key, 1 site, 1 CPU making 1 call, 1 thread
// with 1 update, no free_initmem.
func TestShrinks(t *testing.T) {
	old := flag.Lookup("rapid.nofailfile").Value.String()
	flag.Set("rapid.nofailfile", "true")
	defer flag.Set("rapid.nofailfile", old)
	// A fixed seed: how far rapid shrinks depends on where it starts.
	oldSeed := flag.Lookup("rapid.seed").Value.String()
	flag.Set("rapid.seed", "3")
	defer flag.Set("rapid.seed", oldSeed)

	g := gen.Scenario("x86-64", gen.AnyVariant(), gen.Lifecycle(gen.LifecycleConcurrent))
	var last *scenario.Scenario
	tb := &recordTB{}
	rapid.Check(tb, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		jcc := map[string]string{}
		for _, s := range sc.Sites {
			if s.Kind == scenario.KindJcc {
				jcc[s.Name] = s.Key
			}
		}
		called := map[string]bool{}
		for _, c := range sc.CPUs {
			for _, call := range c.Calls {
				if k, ok := jcc[call]; ok {
					called[k] = true
				}
			}
		}
		for _, th := range sc.Threads {
			for _, op := range th.Ops {
				if called[op.Key] {
					last = sc
					t.Fatalf("a CPU calls a jcc site of an updated key")
				}
			}
		}
	})
	if !tb.failed || last == nil {
		t.Fatalf("the property never failed")
	}
	text := string(scenario.Format(last))
	if len(last.Targets) != 2 || len(last.Keys) != 1 || len(last.Sites) != 1 || len(last.CPUs) != 1 ||
		len(last.CPUs[0].Calls) != 1 || len(last.Threads) != 1 || len(last.Threads[0].Ops) != 1 ||
		last.Variant != "kernel" || last.Keys[0].Init != "f1" || last.Threads[0].Ops[0].Target != "f2" {
		t.Errorf("shrank to a scenario that is not minimal:\n%s", text)
	}
	t.Logf("shrank to:\n%s", text)
}

// TestUnsupported: other architectures and bad options fail clearly.
func TestUnsupported(t *testing.T) {
	for _, c := range []struct {
		arch string
		opts []gen.Option
		want string
	}{
		{"mips", nil, `architecture "mips" is not supported`},
		{"arm64", []gen.Option{gen.Lifecycle(gen.LifecycleOrdered)}, `arm64 models no init text`},
		{"arm64", []gen.Option{gen.Features(gen.FeatureBoot)}, `arm64 models no boot`},
		{"arm64", []gen.Option{gen.Kinds(scenario.KindJcc)}, `site kind "jcc" not drawn on arm64`},
		{"x86-64", []gen.Option{gen.Variant("no-such")}, `unknown variant "no-such"`},
		{"x86-64", []gen.Option{gen.Fetch("aligned8")}, `unknown fetch assumption "aligned8"`},
		{"x86-64", []gen.Option{gen.Lifecycle("sometimes")}, `unknown lifecycle "sometimes"`},
		{"x86-64", []gen.Option{gen.Variants()}, `no variant`},
		{"x86-64", []gen.Option{gen.MaxStates(-1)}, `want 0..1e9`},
	} {
		if _, err := gen.Seeded(c.arch, 1, 1, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Seeded(%s, %d options): %v, want %q", c.arch, len(c.opts), err, c.want)
		}
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("Scenario(%s, %d options).Example(): %v, want a panic with %q", c.arch, len(c.opts), r, c.want)
				}
			}()
			gen.Scenario(c.arch, c.opts...).Example(1)
		}()
	}
}

// TestCPUProgram: the caller generators call only what exists.
func TestCPUProgram(t *testing.T) {
	keys := []scenario.Key{{Name: "a", Init: "f1"}}
	sites := []scenario.Site{{Name: "s", Key: "a", Kind: scenario.KindTail}}
	rapid.Check(t, func(t *rapid.T) {
		c := gen.CPUProgram(keys, sites).Draw(t, "cpu")
		if len(c.Calls) < gen.MinCalls || len(c.Calls) > gen.MaxCalls {
			t.Fatalf("%d calls", len(c.Calls))
		}
		for _, call := range c.Calls {
			if !slices.Contains([]string{"s", "tramp(a)"}, call) {
				t.Fatalf("call %q", call)
			}
		}
		if call := gen.Call(keys, nil).Draw(t, "call"); call != "tramp(a)" {
			t.Fatalf("call %q", call)
		}
	})
}

// TestFeaturesKernelSafe: with boot, modules and kprobes, generated
// scenarios are valid, and the kernel's protocol (ordered lifecycle) has
// no violation on them.
func TestFeaturesKernelSafe(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sc := gen.Scenario("x86-64", gen.Features(gen.FeatureBoot, gen.FeatureModules, gen.FeatureKprobes), gen.MaxStates(50000)).Draw(rt, "scenario")
		r, err := check.Run(sc, check.Options{})
		if err != nil {
			rt.Fatalf("%v\n%s", err, scenario.Format(sc))
		}
		if r.Violation != nil {
			rt.Fatalf("kernel violates %s: %s\n%s", r.Violation.Property, r.Violation.Msg, scenario.Format(sc))
		}
	})
}

// TestJumpLabelsKernelSafe: with jump labels (alone, and with boot,
// modules and kprobes), generated scenarios are valid, and the kernel's
// protocol has no violation and hits no WARN on them: the feature draws
// only the uses of the static key API the kernel allows.
func TestJumpLabelsKernelSafe(t *testing.T) {
	for _, c := range []struct {
		arch string
		fs   []string
	}{
		{"x86-64", []string{gen.FeatureJumpLabels}},
		{"x86-64", []string{gen.FeatureJumpLabels, gen.FeatureBoot, gen.FeatureModules, gen.FeatureKprobes}},
		{"arm64", []string{gen.FeatureJumpLabels}},
	} {
		fs := c.fs
		t.Run(c.arch+":"+strings.Join(fs, ","), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				sc := gen.Scenario(c.arch, gen.Features(fs...), gen.MaxStates(50000)).Draw(rt, "scenario")
				if len(sc.StaticKeys) != 1 || len(sc.Jumps) == 0 {
					rt.Fatalf("no static key or jump site drawn\n%s", scenario.Format(sc))
				}
				r, err := check.Run(sc, check.Options{})
				if err != nil {
					rt.Fatalf("%v\n%s", err, scenario.Format(sc))
				}
				if r.Violation != nil {
					rt.Fatalf("kernel violates %s: %s\n%s", r.Violation.Property, r.Violation.Msg, scenario.Format(sc))
				}
				if r.Warning != nil && len(fs) == 1 {
					// (With boot, an update before static_call_init
					// WARNs, as the kernel does.)
					rt.Fatalf("kernel WARNs: %s\n%s", r.Warning.Msg, scenario.Format(sc))
				}
			})
		})
	}
}
