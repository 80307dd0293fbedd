package check_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestModuleJumpSites checks module jump sites (jump ... module=M) as
// the x86 port lays them out: a CPU calls a module's core and init
// sites only while the module's text is there (CallDef.Module,
// ModInit), so loading and unloading the module is safe; a key no thread
// changes leaves every site as the compiler emitted it.
func TestModuleJumpSites(t *testing.T) {
	const base = `scenario jl-module-sites
arch x86-64
module m
static_key k
jump j0 key=k
jump j1 key=k module=m
jump j2 key=k module=m section=init size=2 branch=likely
cpu j1 j0 j2
thread u: load m; unload m
`
	for _, tc := range []struct{ name, extra, want string }{
		{"load unload", "", "safe"},
		// A thread that changes a key with module sites needs
		// jump_label_add_module(), not modelled yet: refused, not
		// half-modelled.
		{"enable", "thread t: static_key_enable k\n", "error"},
		// arm64 and PPC32 reject module jump sites for now.
		{"arm64", "", "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := base + tc.extra
			if tc.name == "arm64" {
				text = strings.Replace(text, "arch x86-64", "arch arm64", 1)
				text = strings.Replace(text, " size=2", "", 1)
				text = strings.Replace(text, "thread u: load m; unload m", "thread u:", 1)
			}
			sc, err := scenario.Parse("jl.scn", []byte(text), check.ParseOptions())
			if err != nil {
				t.Fatal(err)
			}
			r, err := check.Run(sc, check.Options{})
			if tc.want == "error" {
				want := "module jump label sites"
				if tc.name == "enable" {
					want = "jump_label_add_module() and the module notifier of jump labels are not modelled yet"
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err %v, want the arm64 port's refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Verdict(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}
