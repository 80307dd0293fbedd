package x86

import (
	"bytes"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/internal/porttest"
	"github.com/patchcheck/patchcheck/kernel"
)

// TestTrampolineAsm checks the trampolines the model files' macros
// (arch/x86/include/asm/static_call.h) assemble into against the layout
// the port wrote in Go before they were model source: the instruction
// __static_call_transform leaves for the key's initial target, then
// tramp_ud, 8 bytes apart. The one difference is the kernel's own: the
// NULL trampoline is "ret; int3; nop; nop; nop", where the Go layout had
// retinsn (ret and four int3), what the transform writes for NULL.
func TestTrampolineAsm(t *testing.T) {
	const text = `scenario t
arch x86-64
target f1 f2
key a init=f2
key b init=NULL
key c init=return0
key d init=f1
cpu tramp(a)
thread u: update a f1
`
	lay := porttest.Layout(t, Port{}, text)
	p := lay.Prog
	for k, loc := range lay.Tramps {
		if want := trampBase + 8*uint64(k); loc.Addr != want {
			t.Errorf("%s at %#x, want %#x", loc.Name, loc.Addr, want)
		}
		code, _ := insnFor(p, loc, p.Keys[k].Init)
		old := append(append([]byte(nil), code...), TrampUD...)
		r := p.RegionOf(loc.Addr)
		got := p.Regions[r].Bytes[loc.Addr-p.Regions[r].Base:][:8]
		want := old
		if p.Keys[k].Init == 0 { // NULL
			want = []byte{RetOpcode, Int3Opcode, Nop1, Nop1, Nop1, 0x0f, 0xb9, 0xcc}
			if bytes.Equal(want, old) {
				t.Errorf("NULL: the kernel's trampoline equals retinsn")
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: % x, want % x (Go layout % x)", loc.Name, got, want, old)
		}
		// The form at rest for the initial target is the laid out one.
		w := p.Windows[loc.Window]
		if !bytes.Equal(w.Init[:8], got) || !bytes.Equal(w.AtRest[p.Keys[k].Init][0], got) {
			t.Errorf("%s: window %x, at rest %x", loc.Name, w.Init[:8], w.AtRest[p.Keys[k].Init])
		}
	}
}

// TestAsmErrors: an error in a trampoline's text is at its file, line
// and column.
func TestAsmErrors(t *testing.T) {
	tests := []struct{ old, new, want string }{
		{`"ret; int3; nop; nop; nop"`, `"ret; int3; nop; nop; hlt"`, "arch/x86/include/asm/static_call.h:74:62: instruction hlt is not modelled"},
		{`".byte 0x0f, 0xb9, 0xcc				\n"`, `".byte 0x0f, 0xb9, 0x1cc				\n"`, "arch/x86/include/asm/static_call.h:58:25: .byte 0x1cc: 460 does not fit a byte"},
		{`".align 4	`, `".align 3	`, "arch/x86/include/asm/static_call.h:53:14: .align 3: a power of two"},
		{`.long " #func " - (. + 4)"`, `.long " #func " - (. + 4"`, "arch/x86/include/asm/static_call.h:57:13: expected ')'"},
	}
	for _, tc := range tests {
		_, err := layoutWith(t, tc.old, tc.new, "key b init=NULL\nkey a init=f1\n")
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s -> %s: error %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
}

// layoutWith lays out a scenario with keys (its "key" lines) whose model
// file arch/x86/include/asm/static_call.h has old replaced by new.
func layoutWith(t *testing.T, old, new, keys string) (*kernel.Layout, error) {
	t.Helper()
	const file = "arch/x86/include/asm/static_call.h"
	body := string(kernel.BuiltinSource()[file])
	if !strings.Contains(body, old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	body = strings.Replace(body, old, new, 1)
	text := "scenario t\narch x86-64\ntarget f1 f2\n" + keys + "cpu tramp(a)\nthread u: update a f2\nmodel-file " + file + " <<END\n" + body + "END\n"
	return porttest.Try(t, Port{}, text)
}
