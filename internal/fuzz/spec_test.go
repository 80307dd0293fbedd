package fuzz

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

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

// TestCorpus: the committed seed corpora are go test fuzz v1 files of one
// non-empty []byte (an empty one is no libFuzzer input under
// go-118-fuzz-build's shim), at least four a target.
// internal/fuzz/cmd/rawcorpus writes them as raw libFuzzer inputs.
func TestCorpus(t *testing.T) {
	for _, target := range []string{"FuzzKernelSafe", "FuzzReplayDeterministic", "FuzzGenKernelSafe"} {
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
			if raw == "" {
				t.Errorf("%s: an empty input", file)
			}
		}
	}
}
