package pctest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/pctest"
	"github.com/patchcheck/patchcheck/scenario"
)

const badScenario = `scenario bad
arch x86-64
variant no-sync2
target f1 f2
key k init=f1
site s1 key=k kind=call
cpu s1
thread t: update k f2
`

// TestCheckFailure: a failing Check reports the counterexample's text, ID,
// replay line and scenario, and writes both files readable by all.
func TestCheckFailure(t *testing.T) {
	dir := t.TempDir()
	rec := &pctest.Recorder{}
	pctest.Check(rec, pctest.MustParse(t, badScenario), pctest.CexDir(dir))
	if !rec.Failed {
		t.Fatal("Check passed a violation")
	}
	id := regexp.MustCompile(`ID: +(PC-[0-9A-F]{16})`).FindStringSubmatch(rec.Msg)
	if id == nil {
		t.Fatalf("no ID in:\n%s", rec.Msg)
	}
	for _, want := range []string{
		"patchcheck: no-torn-insn violated on x86-64",
		"patchcheck replay " + filepath.Join(dir, id[1]+".json"),
		"patchcheck check " + filepath.Join(dir, id[1]+".scn"),
		"# patchcheck scenario\n\nscenario bad\narch x86-64\nvariant no-sync2\n",
		"scenario SC-",
	} {
		if !strings.Contains(rec.Msg, want) {
			t.Errorf("message lacks %q:\n%s", want, rec.Msg)
		}
	}
	for _, ext := range []string{".json", ".scn"} {
		fi, err := os.Stat(filepath.Join(dir, id[1]+ext))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", fi.Name(), fi.Mode())
		}
	}
	// The scenario file written reproduces the violation.
	rec2 := &pctest.Recorder{}
	pctest.CheckFile(rec2, filepath.Join(dir, id[1]+".scn"), pctest.CexDir(""))
	if !rec2.Failed || !strings.Contains(rec2.Msg, id[1]) {
		t.Errorf("the written scenario does not reproduce %s:\n%s", id[1], rec2.Msg)
	}
}

func TestHelpers(t *testing.T) {
	safe, bad := pctest.MustParse(t, safeScenario), pctest.MustParse(t, badScenario)
	expectBad := pctest.MustParse(t, badScenario+"expect violation no-torn-insn\n")
	expectWrong := pctest.MustParse(t, badScenario+"expect violation old-or-new-target\n")
	bounded := pctest.MustParse(t, badScenario+"bound states=10\n")
	for _, tc := range []struct {
		name string
		run  func(pctest.TB)
		fail string // "" passes; else a text of the message
	}{
		{"Check safe", func(t pctest.TB) { pctest.Check(t, safe) }, ""},
		{"Check bad", func(t pctest.TB) { pctest.Check(t, bad, pctest.CexDir("")) }, "want no violation"},
		{"Check bounded", func(t pctest.TB) { pctest.Check(t, bounded, pctest.Props("old-or-new-target")) }, ""},
		{"Check bounded exhaustive", func(t pctest.TB) { pctest.Check(t, bounded, pctest.Exhaustive(), pctest.Props("old-or-new-target")) },
			"a bound cut the search short"},
		{"Check props", func(t pctest.TB) { pctest.Check(t, bad, pctest.Props("old-or-new-target")) }, ""},
		{"Check reduce", func(t pctest.TB) { pctest.Check(t, safe, pctest.Reduce()) }, ""},
		{"Check unknown prop", func(t pctest.TB) { pctest.Check(t, safe, pctest.Props("no-such")) }, "no-such"},
		{"Check nil", func(t pctest.TB) { pctest.Check(t, nil) }, "nil scenario"},
		{"CheckViolation bad", func(t pctest.TB) { pctest.CheckViolation(t, bad, "no-torn-insn") }, ""},
		{"CheckViolation any", func(t pctest.TB) { pctest.CheckViolation(t, bad, "") }, ""},
		{"CheckViolation safe", func(t pctest.TB) { pctest.CheckViolation(t, safe, "") }, "safe after"},
		{"CheckViolation other", func(t pctest.TB) { pctest.CheckViolation(t, bad, "old-or-new-target", pctest.CexDir("")) },
			"want a violation of old-or-new-target"},
		{"CheckExpect none", func(t pctest.TB) { pctest.CheckExpect(t, safe) }, ""},
		{"CheckExpect bad", func(t pctest.TB) { pctest.CheckExpect(t, expectBad) }, ""},
		{"CheckExpect wrong", func(t pctest.TB) { pctest.CheckExpect(t, expectWrong, pctest.CexDir("")) },
			"want violation old-or-new-target"},
		{"MaxStates", func(t pctest.TB) { pctest.Check(t, safe, pctest.MaxStates(3), pctest.Exhaustive()) }, "after 3 states"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &pctest.Recorder{}
			tc.run(rec)
			switch {
			case tc.fail == "" && rec.Failed:
				t.Errorf("failed:\n%s", rec.Msg)
			case tc.fail != "" && !rec.Failed:
				t.Errorf("passed; want a failure with %q", tc.fail)
			case tc.fail != "" && !strings.Contains(rec.Msg, tc.fail):
				t.Errorf("message lacks %q:\n%s", tc.fail, rec.Msg)
			}
		})
	}
}

// TestCheckFileErrors: a bad scenario file fails with its file:line:col.
func TestCheckFileErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.scn")
	if err := os.WriteFile(file, []byte("scenario x\narch x86-64\ncpu s9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &pctest.Recorder{}
	pctest.CheckFile(rec, file)
	if want := file + ":3:5: "; !strings.HasPrefix(rec.Msg, want) {
		t.Errorf("got %q, want a message starting %q", rec.Msg, want)
	}
	rec = &pctest.Recorder{}
	pctest.CheckFile(rec, filepath.Join(dir, "missing.scn"))
	if !rec.Failed || !strings.Contains(rec.Msg, "missing.scn") {
		t.Errorf("missing file: %q", rec.Msg)
	}
}

func TestParseSketchErrors(t *testing.T) {
	for _, tc := range []struct{ arch, text, want string }{
		{"x86-64", "", "sketch:1:1: sketch: missing STEP"},
		{"x86-64", "lock text_mutex;; sync", "sketch:1:17: sketch: empty step"},
		{"x86-64", "lock text_mutex # c", "sketch:1:17: a sketch is one line, without comments"},
		{"x86-64", "lock\ttext_mutex; sync\x01", "sketch:1:22: invalid control character U+0001"},
		{"x86-64", "sync; tramp:", "sketch:1:7: sketch step 2 (tramp:): a prefix without a step"},
		{"x86-64", "write loc", "sketch:1:1: "},
		{"mips", "sync", "mips"},
		{"arm64", "lock text_mutex; write_pair new_lit new; cache_maint loc; unlock text_mutex", ""},
		{"ppc32", "lock text_mutex; patch_ulong data new_data; patch_instruction loc new; unlock text_mutex", ""},
	} {
		_, err := pctest.ParseSketch(tc.arch, tc.text)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q: %v", tc.arch, tc.text, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %q: got %v, want %q", tc.arch, tc.text, err, tc.want)
		}
	}
}

// TestGenerators: every drawn scenario and part builds and compiles, and a
// drawn scenario prints (%#v, as rapid logs it) in the file format, which
// parses back to it.
func TestGenerators(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arch := rapid.SampledFrom([]string{"x86-64", "arm64"}).Draw(t, "arch")
		sc := pctest.Scenario(arch, gen.AnyVariant()).Draw(t, "scenario")
		text := fmt.Sprintf("%#v", sc)
		back, err := scenario.Parse("drawn", []byte(text), check.ParseOptions())
		if err != nil || string(scenario.Format(back)) != text[1:] {
			t.Fatalf("%%#v does not print the file format: %v\n%s", err, text)
		}
		targets := pctest.Targets(rapid.IntRange(gen.MinTargets, gen.MaxTargets).Draw(t, "targets"))
		keys := pctest.Keys(targets).Draw(t, "keys")
		sites := pctest.Sites("x86-64", keys).Draw(t, "sites")
		b := scenario.New("parts").Arch("x86-64").Target(targets...)
		for _, k := range keys {
			b.Key(k.Name, k.Init)
		}
		for _, s := range sites {
			b.Site(s.Name, s.Key, s.Kind)
		}
		b.CPU(sites[0].Name).Thread("t", pctest.Updates(keys, targets).Draw(t, "updates")...)
		built, err := b.Bounds(0, 2000).Build()
		if err != nil {
			t.Fatalf("parts do not build: %v", err)
		}
		if _, err := check.Compile(built, nil); err != nil {
			t.Fatalf("parts do not compile: %v\n%s", err, scenario.Format(built))
		}
		for _, op := range built.Threads[0].Ops {
			for _, k := range keys {
				if op.Key == k.Name && op.Target == k.Init && len(built.Threads[0].Ops) == 1 {
					t.Fatalf("an update to the key's own value: %v", op)
				}
			}
		}
	})
}

func TestSketchScenario(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arch := rapid.SampledFrom([]string{"x86-64", "arm64", "ppc32", "ppc64"}).Draw(t, "arch")
		sc := pctest.SketchScenario(arch).Draw(t, "sketch scenario")
		if _, err := check.Compile(sc, nil); err != nil {
			t.Fatalf("does not compile: %v", err)
		}
		if _, err := scenario.Parse("x", scenario.Format(sc), check.ParseOptions()); err != nil {
			t.Fatalf("does not round-trip: %v", err)
		}
	})
}
