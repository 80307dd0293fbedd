package arm64

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/internal/porttest"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/lang"
)

// asmLine assembles one statement of text at pc.
func asmLine(text string, pc uint64) ([]byte, error) {
	var tx lang.Text
	col := 1
	for i := 0; i < len(text); i++ {
		tx.B = append(tx.B, text[i])
		tx.Pos = append(tx.Pos, lang.Pos{File: "t.h", Line: 1, Col: col})
		col++
	}
	a, err := kernel.AssembleSections(tx, asmISA{}, pc, nil, func(string) (uint64, bool) { return 0, false })
	if err != nil {
		return nil, err
	}
	return a.Bytes, nil
}

// TestAsmGolden assembles the golden table's instructions the model's
// assembler knows, as objdump printed them (GNU binutils 2.40), at their
// addresses, and compares the words with GNU as's.
func TestAsmGolden(t *testing.T) {
	known := map[string]bool{"nop": true, "bti": true, "ret": true, "br": true, "blr": true, "b": true, "bl": true,
		"cbz": true, "cbnz": true, "adrp": true, "adr": true, "add": true, "ldr": true, "mov": true}
	n := 0
	for _, c := range readGolden(t) {
		text := norm(c.text)
		op, rest, _ := strings.Cut(text, " ")
		if !known[op] || strings.Contains(rest, "w") && !strings.Contains(rest, "x") ||
			op == "bti" && rest != "c" || op == "add" && (strings.Contains(rest, "lsl") || strings.HasPrefix(rest, "sp") || strings.Contains(rest, ", sp,")) ||
			op == "ldr" && (strings.Contains(rest, "]!") || strings.Contains(rest, "], ") || strings.HasPrefix(rest, "w")) ||
			op == "mov" && !strings.Contains(rest, "#") {
			continue
		}
		b, err := asmLine(text, c.addr)
		if err != nil {
			if strings.Contains(err.Error(), "not a 64-bit register") || strings.Contains(err.Error(), "16-bit immediate") {
				continue // a form outside the assembler's subset (w registers, movn, sp)
			}
			t.Errorf("%v: %v", c, err)
			continue
		}
		if got := binary.LittleEndian.Uint32(b); got != c.w {
			t.Errorf("%v: assembled %08x", c, got)
		}
		n++
	}
	if n < 90 {
		t.Fatalf("only %d golden instructions assembled", n)
	}
}

// TestAsmErrors: text the assembler cannot encode is an error at its
// position in the model file.
func TestAsmErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"ldp x0, x1, [sp]", "t.h:1:1: instruction ldp is not modelled on arm64"},
		{"b 0x10000000", "t.h:1:3: b 0x10000000: 0x10000000 is out of a branch's reach"},
		{"ldr x16, [x16, #12]", "t.h:1:10: ldr [x16, #12]: offset 12 is no multiple of 8"},
		{"add x16, x16, #4096", "t.h:1:15: add #4096: 4096 does not fit add's 12-bit immediate"},
		{"br w16", "t.h:1:4: br: w16 is not a 64-bit register"},
		{"hint 34 /* BTI C", "t.h:1:9: comment in assembler text not terminated"},
		{"ret x0, x1", "t.h:1:1: ret takes 0 operand(s), given 2"},
		{"bti j", "t.h:1:5: bti j: the model knows bti c only"},
		{"ldr x16, [x16, :lo12 1f]", "t.h:1:16: expected :relocation: before an expression"},
		{"cbz x16, 1f", "t.h:1:10: 1f: no local label 1: after"},
	} {
		_, err := asmLine(tc.text, 0x1000)
		var le *lang.Error
		if err == nil || !errors.As(err, &le) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.text, err, tc.want)
		}
	}
}

// trampScenario is the scenario of the trampoline layout tests: a far
// key, a NULL one, a return0 one and a near one, under variant (none:
// the kernel's).
func trampScenario(variant string) string {
	v := ""
	if variant != "" {
		v = "variant " + variant + "\n"
	}
	return "scenario t\narch arm64\n" + v + "target f1 f2\nplace f2 range=far\nkey a init=f2\nkey b init=NULL\nkey c init=return0\nkey d init=f1\ncpu tramp(a)\nthread u: update a f1\n"
}

// TestTrampolineAsm checks the trampolines the model files' macros
// (arch/arm64/include/asm/static_call.h, 54ac9ff8f119) assemble into
// against the layout the port wrote in Go before they were model source:
// bti c; adrp x16, lit; ldr x16, [x16, :lo12:lit]; br x16 at kTramps +
// 0x40k, the literal (the initial target, __static_call_return0 for NULL
// and return0) at kRodata + 8k.
func TestTrampolineAsm(t *testing.T) {
	lay := porttest.Layout(t, Port{}, trampScenario(""))
	p := lay.Prog
	img := p.ArchData.(*Image)
	at := func(addr uint64, n int) []byte {
		r := p.RegionOf(addr)
		return p.Regions[r].Bytes[addr-p.Regions[r].Base:][:n]
	}
	for k, tr := range img.Tramps {
		base, lit := kTramps+0x40*uint64(k), kRodata+8*uint64(k)
		if tr.Addr != base || tr.Lit != lit || lay.Tramps[k].Addr != base {
			t.Errorf("%s at %#x, literal %#x; want %#x, %#x", tr.Name, tr.Addr, tr.Lit, base, lit)
		}
		var want []byte
		for _, w := range []uint32{InsnBTIC, ADRP(X16, base+4, lit), LdrImm(X16, X16, uint32(lit&0xfff)), BR(X16)} {
			want = append(want, Word(w)...)
		}
		if got := at(base, 16); string(got) != string(want) {
			t.Errorf("%s: % x, want % x", tr.Name, got, want)
		}
		wantLit := binary.LittleEndian.AppendUint64(nil, funcAddr(p, p.Keys[k].Init))
		if got := at(lit, 8); string(got) != string(wantLit) {
			t.Errorf("%s literal: % x, want % x", tr.Name, got, wantLit)
		}
		if w := p.Windows[tr.LitWin]; !w.Data || w.Base != lit || w.Size != 8 {
			t.Errorf("%s: literal window %+v", tr.Name, w)
		}
	}
}

// TestTrampolineAsmV2 checks v2-adrp-add's trampoline, the variant's
// diff of the header assembled, against the port's Go layout before it:
// bti c; adrp x16, func; add x16, x16, :lo12:func; br x16 at kTramps +
// 0x40k, the patched window the adrp and add (from the model files'
// transform, kernel.TrampSource.TrampStores), no literal.
func TestTrampolineAsmV2(t *testing.T) {
	const text = `scenario t
arch arm64
variant v2-adrp-add
target f1 f2
place f2 range=far
key a init=f2
key b init=NULL
key c init=return0
key d init=f1
cpu tramp(a)
thread u: update a f1
`
	lay := porttest.Layout(t, Port{}, text)
	p := lay.Prog
	img := p.ArchData.(*Image)
	if !p.NullIsReturn0 {
		t.Errorf("v2's NULL is not __static_call_return0")
	}
	for k, tr := range img.Tramps {
		base := kTramps + 0x40*uint64(k)
		fn := funcAddr(p, p.Keys[k].Init)
		var want []byte
		for _, w := range []uint32{InsnBTIC, ADRP(X16, base+4, fn), AddImm(X16, X16, uint32(fn&0xfff)), BR(X16)} {
			want = append(want, Word(w)...)
		}
		r := p.RegionOf(base)
		if got := p.Regions[r].Bytes[base-p.Regions[r].Base:][:16]; string(got) != string(want) {
			t.Errorf("%s: % x, want % x", tr.Name, got, want)
		}
		if tr.Addr != base || tr.LitWin >= 0 || tr.PatchWin < 0 || tr.Patch != base+4 || tr.Loc != base+4 {
			t.Fatalf("%s: %+v", tr.Name, tr)
		}
		w := p.Windows[tr.PatchWin]
		for tg := range p.Targets {
			f := funcAddr(p, tg)
			form := append(Word(ADRP(X16, base+4, f)), Word(AddImm(X16, X16, uint32(f&0xfff)))...)
			if got := w.AtRest[tg]; len(got) != 1 || string(got[0]) != string(form) || w.Size != 8 || w.Data {
				t.Errorf("%s target %d: at rest % x, want % x", tr.Name, tg, got, form)
			}
		}
	}
}

// TestTrampolineAsmLiteral checks the v6-literal and v5-literal-if-nop
// trampolines, the variants' diff of the header assembled, against the
// port's Go layout before it (litPlan): bti c; insn; ldr x16, literal;
// cbz x16, 1f; br x16; 1: ret, insn b func (near), ret (NULL) or nop with
// the target's literal (far, laid out as the transform leaves it), the
// literal just before the entry. The posted .align 4 puts the literal at
// the slot, kTramps + 0x40k, and the entry 8 bytes after it (the Go
// layout had them 8 bytes higher), and a near or NULL key's literal is
// the posted .quad 0x0 (the Go layout had the target's address). The
// windows: the literal (data) and bti c; insn; the forms at rest the
// model files' transform leaves, NULL not __static_call_return0; v5's
// literal unwritten but with the nop, so at rest it may hold any literal.
func TestTrampolineAsmLiteral(t *testing.T) {
	for _, variant := range []string{"v6-literal", "v5-literal-if-nop"} {
		t.Run(variant, func(t *testing.T) {
			lay := porttest.Layout(t, Port{}, trampScenario(variant))
			p := lay.Prog
			img := p.ArchData.(*Image)
			if p.NullIsReturn0 {
				t.Errorf("NULL is __static_call_return0")
			}
			at := func(addr uint64, n int) []byte {
				r := p.RegionOf(addr)
				return p.Regions[r].Bytes[addr-p.Regions[r].Base:][:n]
			}
			// insn and lit: what the transform leaves for target tg.
			insn := func(tr Tramp, tg int) (uint32, uint64) {
				switch tg {
				case 0:
					return InsnRet, 0
				case 1:
					return MustB(tr.Addr+4, kRet0, false), kRet0
				}
				fn := p.Targets[tg].Addr
				if w, ok := B(tr.Addr+4, fn, false); ok {
					return w, fn
				}
				return InsnNop, fn
			}
			for k, tr := range img.Tramps {
				base := kTramps + 0x40*uint64(k)
				if tr.Lit != base || tr.Addr != base+8 || tr.Patch != base+8 || tr.Loc != base+12 || lay.Tramps[k].Addr != base+8 {
					t.Fatalf("%s: %+v", tr.Name, tr)
				}
				init := p.Keys[k].Init
				w, lit := insn(tr, init)
				if p.Targets[init].Name != "f2" { // the far target
					lit = 0 // the posted .quad 0x0
				}
				var want []byte
				t0 := tr.Addr
				for _, x := range []uint32{InsnBTIC, w, LdrLit(X16, t0+8, tr.Lit), CBZ(X16, t0+12, t0+20, false), BR(X16), InsnRet} {
					want = append(want, Word(x)...)
				}
				if got := at(t0, 24); string(got) != string(want) {
					t.Errorf("%s: % x, want % x", tr.Name, got, want)
				}
				if got := binary.LittleEndian.Uint64(at(tr.Lit, 8)); got != lit {
					t.Errorf("%s literal: %#x, want %#x", tr.Name, got, lit)
				}
				lw, pw := p.Windows[tr.LitWin], p.Windows[tr.PatchWin]
				if !lw.Data || lw.Base != tr.Lit || lw.Size != 8 || pw.Data || pw.Base != t0 || pw.Size != 8 {
					t.Fatalf("%s: windows %+v %+v", tr.Name, lw, pw)
				}
				for tg := range p.Targets {
					w, lit := insn(tr, tg)
					form := append(Word(InsnBTIC), Word(w)...)
					if got := pw.AtRest[tg]; len(got) < 1 || string(got[len(got)-1]) != string(form) {
						t.Errorf("%s target %d: at rest % x, want % x", tr.Name, tg, got, form)
					}
					written := variant == "v6-literal" || w == InsnNop
					if written != tr.LitWritten[tg] {
						t.Errorf("%s target %d: literal written %v", tr.Name, tg, tr.LitWritten[tg])
					}
					u64 := binary.LittleEndian.AppendUint64(nil, lit)
					has := false
					for _, f := range lw.AtRest[tg] {
						has = has || string(f) == string(u64)
					}
					if written && !has || !written && len(lw.AtRest[tg]) < 2 {
						t.Errorf("%s target %d: literal at rest % x (target's % x)", tr.Name, tg, lw.AtRest[tg], u64)
					}
				}
			}
		})
	}
}
