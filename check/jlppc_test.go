package check_test

import (
	"strings"
	"testing"
)

// TestPowerpcJumpInit checks jump label sites in init text on PPC32 and
// powerpc64 (arches/ppc jumpRegions): an enable before kernel_init frees
// init text is safe, one racing it writes the freed site
// (patch_instruction has no init check since 6f3a81b60091, v6.2), and so
// does one after it when jump_label_can_update() loses its filters.
// Module sites are TestModuleJumpNotifier's.
func TestPowerpcJumpInit(t *testing.T) {
	const initSites = `scenario jl-ppc-init
arch ARCH
static_key foo
jump ji key=foo section=init
jump j1 key=foo
cpu ji j1
`
	for _, arch := range []string{"ppc32", "ppc64"} {
		for _, tc := range []struct{ name, scenario, old, new, want string }{
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
