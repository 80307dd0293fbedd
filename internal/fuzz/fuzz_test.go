package fuzz

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"patchcheck/check"
	"patchcheck/gen"
	"patchcheck/scenario"
)

// seeds are added to every gofuzz target besides testdata/fuzz/<Target>.
var seeds = [][]byte{
	nil,
	[]byte("patchcheck"),
	[]byte("\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08"),
}

func mustScenario(t *testing.T, s Spec, variant string, lcs ...gen.LifecycleMode) *scenario.Scenario {
	t.Helper()
	sc, err := s.Scenario(variant, lcs...)
	if err != nil {
		t.Fatalf("Spec %+v does not map to a valid scenario: %v", s, err)
	}
	return sc
}

// FuzzKernelSafe: the kernel's protocol (either fetch assumption) violates
// no property on any scenario the fuzzer's bytes map to, with
// free_initmem never or ordered with the updates of init sites.
func FuzzKernelSafe(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := mustScenario(t, FromBytes(data), "kernel", gen.LifecycleNever, gen.LifecycleOrdered)
		r, err := check.Run(sc, check.Options{})
		if err != nil {
			t.Fatalf("%v\n%s", err, scenario.Format(sc))
		}
		if r.Violation != nil {
			t.Fatalf("the kernel violates %s:\n%s\n%s", r.Violation.Property, scenario.Format(sc), r.Cex.Text(""))
		}
	})
}

// FuzzReplayDeterministic: on a bad variant, checking a scenario twice
// gives identical results, and a counterexample replays (check.Replay) to
// the same violation and ID.
func FuzzReplayDeterministic(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	bad, err := gen.BadVariants("x86-64")
	if err != nil {
		panic(err) // not f.Fatal: OSS-Fuzz's testing shim has only F.Fuzz and F.Add
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := FromBytes(data)
		sc := mustScenario(t, s, bad[int(s.Variant)%len(bad)], gen.LifecycleNever, gen.LifecycleOrdered, gen.LifecycleConcurrent)
		a, err := check.Run(sc, check.Options{})
		if err != nil {
			t.Fatalf("%v\n%s", err, scenario.Format(sc))
		}
		b, err := check.Run(sc, check.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Verdict() != b.Verdict() || a.States != b.States || a.Transitions != b.Transitions || a.MaxDepth != b.MaxDepth {
			t.Fatalf("two runs differ: %s %d/%d/%d, then %s %d/%d/%d\n%s", a.Verdict(), a.States, a.Transitions, a.MaxDepth,
				b.Verdict(), b.States, b.Transitions, b.MaxDepth, scenario.Format(sc))
		}
		if a.Cex == nil {
			return
		}
		if a.Cex.ID != b.Cex.ID {
			t.Fatalf("two runs give IDs %s and %s\n%s", a.Cex.ID, b.Cex.ID, scenario.Format(sc))
		}
		re, same, err := check.Replay(a.Cex)
		if err != nil || !same || re.ID != a.Cex.ID {
			t.Fatalf("counterexample %s does not replay (same %v, err %v)\n%s", a.Cex.ID, same, err, scenario.Format(sc))
		}
	})
}

// kernelSafe is the rapid property behind FuzzRapidKernelSafe (and
// selftest's TestKernelSafe): the kernel is safe on a drawn scenario.
func kernelSafe(t *rapid.T) {
	sc := gen.Scenario("x86-64", gen.AnyFetch(), gen.Lifecycle(gen.LifecycleOrdered), gen.MaxStates(MaxStates)).Draw(t, "scenario")
	r, err := check.Run(sc, check.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, scenario.Format(sc))
	}
	if r.Violation != nil {
		t.Fatalf("the kernel violates %s:\n%s\n%s", r.Violation.Property, scenario.Format(sc), r.Cex.Text(""))
	}
}

// FuzzRapidKernelSafe runs the rapid property kernelSafe on the fuzzer's
// bytes (rapid.MakeFuzz): the fuzzer steers rapid's choices.
func FuzzRapidKernelSafe(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(rapid.MakeFuzz(kernelSafe))
}

// TestSpecScenarios: every Spec maps to a valid scenario within gen's
// sizes, for every lifecycle; the kernel-only lifecycles never give a
// concurrent free_initmem.
func TestSpecScenarios(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 400).Draw(rt, "data")
		s := FromBytes(data)
		for _, lcs := range [][]gen.LifecycleMode{nil, {gen.LifecycleNever, gen.LifecycleOrdered}, {gen.LifecycleConcurrent}} {
			sc, err := s.Scenario("kernel", lcs...)
			if err != nil {
				rt.Fatalf("%+v: %v", s, err)
			}
			if _, err := check.Compile(sc, nil); err != nil {
				rt.Fatalf("%v\n%s", err, scenario.Format(sc))
			}
			if sc.Bounds.States != MaxStates || len(sc.CPUs) > gen.MaxCPUs || len(sc.Sites) > gen.MaxSites || len(sc.Threads) > gen.MaxThreads+1 {
				rt.Fatalf("out of range:\n%s", scenario.Format(sc))
			}
			if lcs != nil && lcs[0] == gen.LifecycleConcurrent {
				continue
			}
			for _, th := range sc.Threads {
				if th.Name == "kernel_init" && len(th.Ops) == 1 && len(sc.Threads) > 1 && sc.Threads[0].Name != "kernel_init" {
					rt.Fatalf("a concurrent free_initmem under %v:\n%s", lcs, scenario.Format(sc))
				}
			}
		}
	})
	// The same bytes give the same Spec.
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz")
	if FromBytes(data) != FromBytes(data) {
		t.Errorf("FromBytes is not deterministic")
	}
}

var rawCorpus = flag.String("rawcorpus", "", "TestCorpus writes the seed corpora as raw inputs (for libFuzzer, OSS-Fuzz) into DIR/<Target>/")

// TestCorpus: the committed seed corpora are go test fuzz v1 files of one
// []byte, at least four a target. With -rawcorpus DIR it also writes them
// as raw inputs, the form libFuzzer (OSS-Fuzz) takes.
func TestCorpus(t *testing.T) {
	for _, target := range []string{"FuzzKernelSafe", "FuzzReplayDeterministic", "FuzzRapidKernelSafe"} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if err != nil || len(files) < 4 {
			t.Errorf("%s: %d seed files, %v", target, len(files), err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitN(strings.TrimSpace(string(data)), "\n", 2)
			if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
				t.Errorf("%s: not a go test fuzz v1 file of one []byte", file)
				continue
			}
			raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			if *rawCorpus != "" {
				dir := filepath.Join(*rawCorpus, target)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), []byte(raw), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
