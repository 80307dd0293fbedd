package check_test

import (
	"strings"
	"testing"
)

// TestPowerpcJumpModulesAndInit checks jump label sites in init text and
// in modules on PPC32 and powerpc64 (arches/ppc jumpRegions): an enable
// racing a module's load, or its load and unload, is safe; an enable
// before kernel_init frees init text is safe, one racing it writes the
// freed site (patch_instruction has no init check since 6f3a81b60091,
// v6.2); and each edit of kernel/jump_label.c that drops a part of the
// module protocol is caught on powerpc's per-entry path
// (arch_jump_label_transform, no batch).
func TestPowerpcJumpModulesAndInit(t *testing.T) {
	const head = `scenario jl-ppc-module
arch ARCH
module m
static_key k
jump j0 key=k
jump j1 key=k module=m
jump j2 key=k module=m section=init
cpu j0 j1 j2
thread t: static_key_enable k
`
	const load = head + "thread l: load m\n"
	const unload = head + "thread l: load m; unload m\n"
	const initSites = `scenario jl-ppc-init
arch ARCH
static_key foo
jump ji key=foo section=init
jump j1 key=foo
cpu ji j1
`
	for _, arch := range []string{"ppc32", "ppc64"} {
		for _, tc := range []struct{ name, scenario, old, new, want string }{
			{"load", load, "", "", "safe"},
			{"unload", unload, "", "", "safe"},
			// jump_label_add_module() does not patch the module's
			// entries: an enable that ran first leaves them stale.
			{"add_module: no poke", load,
				"\t\tif (jump_label_type(iter) != jump_label_init_type(iter))\n\t\t\t__jump_label_update(key, iter, iter_stop, true);\n", "", "violation"},
			// jump_label_update() without the walk of a linked key's
			// list: an enable after the load patches vmlinux only.
			{"update: no linked walk", load,
				"\tif (static_key_linked(key)) {\n\t\t__jump_label_mod_update(key);\n\t\treturn;\n\t}\n", "", "violation"},
			// No jump_label_del_module() at GOING: an enable writes
			// into the module's freed text.
			{"notify: no GOING", unload,
				"\tcase MODULE_STATE_GOING:\n\t\tjump_label_del_module(mod);\n\t\tbreak;\n", "", "violation no-freed-access"},
			{"init sites", initSites + "thread kernel_init: static_key_enable foo; free_initmem\n", "", "", "safe"},
			{"init racing free_initmem", initSites + "thread kernel_init: free_initmem\nthread enabler: static_key_enable foo\n", "", "", "violation no-freed-access"},
			// jump_label_can_update() without its two filters (the
			// init flag and kernel_text_address()): an enable after
			// kernel_init patches the freed init site, which
			// patch_instruction() no longer refuses.
			{"can_update: no filters", initSites + "thread kernel_init: free_initmem; static_key_enable foo\n",
				"\tif (!init && jump_entry_is_init(entry))\n\t\treturn false;\n\n\tif (!kernel_text_address(jump_entry_code(entry))) {",
				"\tif (0) {", "violation no-freed-access"},
		} {
			t.Run(arch+" "+tc.name, func(t *testing.T) {
				file := ""
				if tc.old != "" {
					file = "kernel/jump_label.c"
				}
				text := strings.Replace(tc.scenario, "arch ARCH", "arch "+arch, 1)
				if got := editedVerdict(t, text, file, tc.old, tc.new); !strings.HasPrefix(got, tc.want) {
					t.Errorf("verdict %q, want %q", got, tc.want)
				}
			})
		}
	}
}
