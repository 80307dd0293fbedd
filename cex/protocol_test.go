package cex

import (
	"slices"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

func TestProtocol(t *testing.T) {
	const file = "kernel/static_call_inline.c"
	orig := string(kernel.BuiltinSource()[file])
	edited := strings.Replace(orig, "static_call_is_init(site))\n", "static_call_is_init(site) && 1)\n", 1)
	if edited == orig {
		t.Fatal("the edit changes nothing")
	}
	sketch := []scenario.SketchStep{{Op: "write", Args: []string{"loc", "new"}}, {Op: "sync"}}
	for _, tc := range []struct {
		name    string
		sc      scenario.Scenario
		want    string
		showing []string // lines ProtocolText shows; none for a built-in variant
	}{
		{"kernel", scenario.Scenario{}, "variant kernel", nil},
		{"variant", scenario.Scenario{Variant: "no-sync3"}, "variant no-sync3", nil},
		{"sketch", scenario.Scenario{Sketch: sketch}, "sketch", []string{"sketch write loc new; sync"}},
		{"variant and sketch", scenario.Scenario{Variant: "v6-literal", Sketch: sketch}, "variant v6-literal + sketch", []string{"sketch write loc new; sync"}},
		{"patch", scenario.Scenario{Model: []scenario.ModelText{{Kind: scenario.ModelPatch, Name: "fix.diff", Text: "--- a/x\n+++ b/x\n"}}},
			"patch fix.diff", []string{"--- a/x", "+++ b/x"}},
		{"unchanged model file", scenario.Scenario{Model: []scenario.ModelText{{Kind: scenario.ModelFile, Name: file, Text: orig}}}, "variant kernel", nil},
		{"model file", scenario.Scenario{Model: []scenario.ModelText{{Kind: scenario.ModelFile, Name: file, Text: orig}, {Kind: scenario.ModelFile, Name: file, Text: edited}}},
			"model file " + file, []string{"--- a/" + file, "-\t\t\tif (!init && static_call_is_init(site))", "+\t\t\tif (!init && static_call_is_init(site) && 1)"}},
		{"new model file", scenario.Scenario{Model: []scenario.ModelText{{Kind: scenario.ModelFile, Name: "kernel/new.c", Text: "int x;\n"}}},
			"model file kernel/new.c", []string{"--- /dev/null", "+++ b/kernel/new.c", "+int x;"}},
	} {
		if got := Protocol(&tc.sc); got != tc.want {
			t.Errorf("%s: Protocol = %q, want %q", tc.name, got, tc.want)
		}
		shown := ProtocolText(&tc.sc)
		if UserProtocol(&tc.sc) != (len(tc.showing) > 0) {
			t.Errorf("%s: UserProtocol = %v", tc.name, UserProtocol(&tc.sc))
		}
		lines := strings.Split(shown, "\n")
		for _, l := range tc.showing {
			if !slices.Contains(lines, l) {
				t.Errorf("%s: ProtocolText lacks the line %q:\n%s", tc.name, l, shown)
			}
		}
		if len(tc.showing) == 0 && shown != "" {
			t.Errorf("%s: ProtocolText = %q, want none", tc.name, shown)
		}
	}
}

// TestScenarioLinesModelVerbatim: every character of a model text counts
// in an ID, comments and indentation included, while a scenario without
// model texts hashes as before (its canonical lines only).
func TestScenarioLinesModelVerbatim(t *testing.T) {
	base := scenario.Scenario{Arch: "x86-64", Variant: "kernel"}
	with := func(text string) []string {
		sc := base
		sc.Model = []scenario.ModelText{{Kind: scenario.ModelFile, Name: "kernel/a.c", Text: text}}
		return ScenarioLines(&sc)
	}
	texts := []string{"#define X 1\n", "#define X 2\n", "  int x;\n", "int x;\n", "int x;\n\n"}
	for i := range texts {
		for j := range texts {
			if i != j && slices.Equal(with(texts[i]), with(texts[j])) {
				t.Errorf("model texts %q and %q hash alike", texts[i], texts[j])
			}
		}
	}
	if got := ScenarioLines(&base); !slices.Equal(got, []string{"scenario", "arch x86-64", "variant kernel"}) {
		t.Errorf("ScenarioLines without model texts = %q", got)
	}
}
