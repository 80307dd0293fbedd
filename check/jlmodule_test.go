package check_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestModuleJumpSites checks module jump sites (jump ... module=M) as
// the x86-64 and arm64 ports lay them out: a CPU calls a module's core
// and init sites only while the module's text is there (CallDef.Module,
// ModInit), so loading and unloading the module is safe; a key no thread
// changes leaves every site as the compiler emitted it. arm64 still
// refuses a module's static call sites (its static calls are
// out-of-line).
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
		{"arm64", "", "safe"},
		{"arm64 module site", "variant branch-kick\ntarget f1\nkey foo init=f1\nsite s1 key=foo kind=call module=m\n", "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := base + tc.extra
			if strings.HasPrefix(tc.name, "arm64") {
				text = strings.Replace(text, "arch x86-64", "arch arm64", 1)
				text = strings.Replace(text, " size=2", "", 1)
			}
			sc, err := scenario.Parse("jl.scn", []byte(text), check.ParseOptions())
			if err != nil {
				t.Fatal(err)
			}
			r, err := check.Run(sc, check.Options{})
			if tc.want == "error" {
				if err == nil || !strings.Contains(err.Error(), "module sites are not modelled on arm64") {
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

// TestModuleJumpNotifier checks jump_label_module_notify() on the module
// notifier chain: an enable racing a module's load, or its load and
// unload, leaves every site of the key the key's way (safe), and each
// edit of kernel/jump_label.c that drops a part of the module protocol is
// caught, on x86-64, arm64, PPC32 and powerpc64 (powerpc's per-entry
// path: arch_jump_label_transform, no batch). On arm64 the module's sites written at
// MODULE_STATE_COMING need the batch's kick_all_cpus_sync() too: without
// it (the variant jl-arm64-no-kick, before cfb00a357864) a CPU runs a
// module site's old instruction after the enable returned.
func TestModuleJumpNotifier(t *testing.T) {
	const head = `scenario jl-module-notify
arch x86-64
module m
static_key k
jump j0 key=k
jump j1 key=k module=m
jump j2 key=k module=m section=init
cpu j0 j1 j2
thread t: static_key_enable k
`
	const two = `scenario jl-two-modules
arch x86-64
module m1
module m2
static_key k
jump j0 key=k
jump j1 key=k module=m1
jump j2 key=k module=m2
cpu j0 j1 j2
thread t: static_key_enable k
thread l: load m1; load m2; unload m1; unload m2
`
	const load = head + "thread l: load m\n"
	const unload = head + "thread l: load m; unload m\n"
	for _, tc := range []struct{ name, scenario, old, new, want string }{
		{"load", load, "", "", "safe"},
		{"unload", unload, "", "", "safe"},
		// jump_label_add_module() does not patch the module's entries
		// of a key that changed from its initial type: an enable that
		// ran first leaves the module's sites stale.
		{"add_module: no poke", load,
			"\t\tif (jump_label_type(iter) != jump_label_init_type(iter))\n\t\t\t__jump_label_update(key, iter, iter_stop, true);\n", "", "violation"},
		// jump_label_update() without the walk of a linked key's list:
		// an enable after the load patches vmlinux's entries only.
		{"update: no linked walk", load,
			"\tif (static_key_linked(key)) {\n\t\t__jump_label_mod_update(key);\n\t\treturn;\n\t}\n", "", "violation"},
		// No jump_label_del_module() at GOING: the key's list keeps the
		// module, and an enable writes into its freed text.
		{"notify: no GOING", unload,
			"\tcase MODULE_STATE_GOING:\n\t\tjump_label_del_module(mod);\n\t\tbreak;\n", "", "violation no-freed-access"},
		{"two modules", two, "", "", "safe"},
		// jump_label_del_module() unlinks m1, not the list's head, by
		// resetting the head: m2's entry is lost, and the enable that
		// walks the list after it leaves m2's site stale.
		{"del_module: unlink past the head", two,
			"\t\telse\n\t\t\t*prev = jlm->next;\n", "\t\telse\n\t\t\tstatic_key_set_mod(key, jlm->next);\n", "violation completion"},
	} {
		for _, arch := range []string{"x86-64", "arm64", "ppc32", "ppc64"} {
			t.Run(arch+"/"+tc.name, func(t *testing.T) {
				file := ""
				if tc.old != "" {
					file = "kernel/jump_label.c"
				}
				text := strings.Replace(tc.scenario, "arch x86-64", "arch "+arch, 1)
				if got := editedVerdict(t, text, file, tc.old, tc.new); !strings.HasPrefix(got, tc.want) {
					t.Errorf("verdict %q, want %q", got, tc.want)
				}
			})
		}
	}
	for _, tc := range []struct{ name, scenario, want string }{
		{"load", load, "violation completion"},
		{"unload", unload, "violation completion"},
	} {
		t.Run("arm64 no kick/"+tc.name, func(t *testing.T) {
			text := strings.Replace(tc.scenario, "arch x86-64", "arch arm64\nvariant jl-arm64-no-kick", 1)
			if got := editedVerdict(t, text, "", "", ""); !strings.HasPrefix(got, tc.want) {
				t.Errorf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}
