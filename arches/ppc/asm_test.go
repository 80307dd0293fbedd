package ppc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/internal/porttest"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// TestTrampolineAsm32 checks PPC32's trampolines as the model files'
// macros (arch/powerpc/include/asm/static_call.h) assemble into against
// the layout the port wrote in Go before they were model source: 32
// bytes apart, the instruction for the key's initial target (b func,
// blr, b .+20; a far target's nop and data word), lis/lwz of the data
// word at PPC_SCT_DATA, mtctr, bctr, li r3,0 and blr at PPC_SCT_RET0.
func TestTrampolineAsm32(t *testing.T) {
	const text = `scenario t
arch ppc32
target f1 f2
place f2 range=far
key a init=f1
key b init=NULL
key c init=return0
key d init=f2
cpu tramp(a)
thread u: update a f2
`
	lay := porttest.Layout(t, Port32{}, text)
	p := lay.Prog
	img := p.ArchData.(*Image)
	for k, tr := range img.Tramps {
		addr := k32Tramps + 0x20*uint64(k)
		if tr.Addr != addr || tr.Inst != addr || tr.Data != addr+sct32Data || tr.Ret0 != addr+sct32Ret0 {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
		inst, data := oldInst32(p, tr, p.Keys[k].Init)
		var want []byte
		for _, w := range []uint32{inst, Lis(GPR12, Ha(int64(int32(tr.Data)))), Lwz(GPR12, GPR12, Lo(int64(tr.Data))), Mtctr(GPR12), InsnBctr,
			Li(GPR3, 0), InsnBlr, data} {
			want = append(want, Word(w)...)
		}
		r := p.RegionOf(addr)
		got := p.Regions[r].Bytes[addr-p.Regions[r].Base:][:32]
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tr.Name, got, want)
		}
	}
	if len(img.Tramps) != 4 {
		t.Errorf("%d trampolines", len(img.Tramps))
	}
}

// oldInst32 is the instruction and data word the Go layout wrote for a
// key whose initial target is t: b func, blr, b .+20, or for a far
// target nop and the target's address.
func oldInst32(p *model.Program, tr Tramp, t int) (inst, data uint32) {
	fn := p.Targets[t].Addr
	switch {
	case t == model.TargetNull:
		return InsnBlr, 0
	case t == model.TargetReturn0:
		return MustB(tr.Inst, tr.Ret0, false), 0
	case BranchInRange(off32(fn, tr.Addr)):
		return MustB(tr.Inst, fn, false), 0
	}
	return InsnNop, uint32(fn)
}

// TestTrampolineLisAddi checks the lis-addi diff's trampolines, as the
// model files with kernel/variants/lis-addi.diff assemble into, against
// the layout the port wrote in Go when lis-addi was a Go variant: the
// load of the data word replaced by lis r12,hi; addi r12,r12,lo at
// +4 (zero for a target the instruction reaches, the far target's halves
// otherwise, behind a nop), one 8-byte data window over the pair, and
// at rest the pair for each far target.
func TestTrampolineLisAddi(t *testing.T) {
	const text = `scenario t
arch ppc32
variant lis-addi
target f1 f2 f3
place f2 range=far
place f3 range=far
key a init=f1
key b init=NULL
key c init=return0
key d init=f2
cpu tramp(a)
thread u: update a f2
`
	lay := porttest.Layout(t, Port32{}, text)
	p := lay.Prog
	img := p.ArchData.(*Image)
	pair := func(fn uint64) []byte {
		return append(Word(Lis(GPR12, Ha(int64(int32(fn))))), Word(Addi(GPR12, GPR12, Lo(int64(fn))))...)
	}
	for k, tr := range img.Tramps {
		addr := k32Tramps + 0x20*uint64(k)
		if tr.Addr != addr || tr.Inst != addr || tr.Data != addr+4 || tr.Ret0 != addr+sct32Ret0 {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
		inst, data := oldInst32(p, tr, p.Keys[k].Init)
		want := Word(inst)
		if data != 0 {
			want = append(want, pair(uint64(data))...)
		} else {
			want = append(want, append(Word(Lis(GPR12, 0)), Word(Addi(GPR12, GPR12, 0))...)...)
		}
		// The Go layout left the word after blr unwritten (0); the
		// diff's trampoline is 28 bytes, and .align 5 pads it to the
		// next one with a nop (GNU as fills code with nops), the last
		// one with nothing.
		pad := uint32(InsnNop)
		if k == len(img.Tramps)-1 {
			pad = 0
		}
		for _, w := range []uint32{Mtctr(GPR12), InsnBctr, Li(GPR3, 0), InsnBlr, pad} {
			want = append(want, Word(w)...)
		}
		r := p.RegionOf(addr)
		got := p.Regions[r].Bytes[addr-p.Regions[r].Base:][:32]
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tr.Name, got, want)
		}
		w := p.Windows[tr.DataWin]
		if w.Base != addr+4 || w.Size != 8 {
			t.Errorf("%s: data window %#x+%d", tr.Name, w.Base, w.Size)
		}
		// At rest: a far target's pair alone; otherwise any pair it
		// was ever given (the laid-out one first).
		for ti, tg := range p.Targets {
			forms := w.AtRest[ti]
			if ti > model.TargetReturn0 && !BranchInRange(off32(tg.Addr, tr.Addr)) {
				if len(forms) != 1 || !bytes.Equal(forms[0], pair(tg.Addr)) {
					t.Errorf("%s: at rest for %s: % x", tr.Name, tg.Name, forms)
				}
				continue
			}
			if len(forms) != 3 || !bytes.Equal(forms[0], want[4:12]) || !bytes.Equal(forms[1], pair(p.Targets[3].Addr)) || !bytes.Equal(forms[2], pair(p.Targets[4].Addr)) {
				t.Errorf("%s: at rest for %s: % x", tr.Name, tg.Name, forms)
			}
		}
	}
	if len(img.Tramps) != 4 {
		t.Errorf("%d trampolines", len(img.Tramps))
	}
}

// TestAsm64 checks the instructions, operators and symbols of the 2022
// powerpc64 trampolines (arch/powerpc/include/asm/static_call.h of the
// series) against the port's encoders: ld and std (DS-form), addis,
// mflr, mtlr, bcl 20,31,$+4, the chained 2f@toc@ha and 2f@toc@l of a
// label's offset from the TOC pointer, and .TOC.; and the errors of a
// DS displacement that is no multiple of 4, of @toc without a TOC
// (PPC32) and of a bcl out of reach, at file:line:col.
func TestAsm64(t *testing.T) {
	const origin, toc = 0xc000000000001000, 0xc000000000018000
	src := "t:\tld 2, 16(13)\n" +
		"\taddis 12, 2, 2f@toc@ha\n" +
		"\tld 12, 2f@toc@l(12)\n" +
		"\tmflr 11\n" +
		"\tbcl 20, 31, $+4\n" +
		"0:\tmtlr 11\n" +
		"\taddi 12, 12, (t - 0b)\n" +
		"\taddis 2, 12, (.TOC.-t)@ha\n" +
		"\taddi 2, 2, (.TOC.-t)@l\n" +
		"\tstd 2, 24(1)\n" +
		"\tmtctr 12\n" +
		"\t.balign 8\n" +
		"2:\t.8byte 0\n"
	stmts, err := lang.ParseAsm(asmText(src))
	if err != nil {
		t.Fatal(err)
	}
	a, err := lang.Assemble(stmts, asmISA{toc: toc}, origin, func(string) (uint64, bool) { return 0, false })
	if err != nil {
		t.Fatal(err)
	}
	data := uint64(origin + 48)
	d := int64(data - toc)
	var want []byte
	for _, w := range []uint32{Ld(GPR2, GPR13, 16), Addis(GPR12, GPR2, Ha(d)), Ld(GPR12, GPR12, Lo(d)), Mflr(GPR11), InsnBcl,
		Mtlr(GPR11), Addi(GPR12, GPR12, -20), Addis(GPR2, GPR12, Ha(int64(toc-origin))), Addi(GPR2, GPR2, Lo(int64(toc-origin))),
		Std(GPR2, GPR1, 24), Mtctr(GPR12), InsnNop, 0, 0} {
		want = append(want, Word(w)...)
	}
	if !bytes.Equal(a.Bytes, want) {
		t.Errorf("\n got % x\nwant % x", a.Bytes, want)
	}
	for _, tc := range []struct {
		src, isa, err string
	}{
		{"\tld 12, 6(12)\n", "64", "t.h:1:9: ld: 6(12) is 6, not a multiple of 4 (a DS field)"},
		{"\tlis 12, 2f@toc@ha\n2:\t.long 0\n", "32", "t.h:1:12: @toc: not a relocation of this architecture"},
		{"\tbcl 20, 31, .+0x10000\n", "64", "t.h:1:14: bcl .+0x10000: out of a conditional branch's reach (32 KiB)"},
		{"\tbcl 32, 31, .+4\n", "64", "t.h:1:6: bcl: 32 is 32: 0 to 31"},
	} {
		stmts, err := lang.ParseAsm(asmText(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		isa := asmISA{}
		if tc.isa == "64" {
			isa.toc = toc
		}
		_, err = lang.Assemble(stmts, isa, origin, func(string) (uint64, bool) { return 0, false })
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %s", tc.src, err, tc.err)
		}
	}
}

// asmText is src as text of file t.h, each byte at its line and column.
func asmText(src string) lang.Text {
	t := lang.Text{B: []byte(src)}
	line, col := 1, 1
	for _, c := range []byte(src) {
		t.Pos = append(t.Pos, lang.Pos{File: "t.h", Line: line, Col: col})
		col++
		if c == '\n' {
			line, col = line+1, 1
		}
	}
	return t
}

// TestTrampolineAsm64 checks gray-v4's trampolines, as the model files
// (arch/powerpc/include/asm/static_call.h under CONFIG_PPC64_ELF_ABI_V2,
// vmlinux's and, with MODULE, a module's) assemble into with the
// transform's stores for the key's initial target, against the layout
// the port wrote in Go before they were model source (the words of the
// Go design's comments, with oldPlan64's instruction and data doubleword):
// 128 bytes apart, the TOC setup of a module trampoline marked, an
// instruction window at PPC_SCT_INST_* and an 8-byte data window at
// PPC_SCT_DATA_*, and the same forms at rest.
func TestTrampolineAsm64(t *testing.T) {
	const head = `scenario t
arch ppc64
target f1 f2 g1 h1
module m1
module m2
place f2 range=far
place g1 module=m1
place h1 module=m2
`
	for _, keys := range []string{
		"key a init=f1\nkey b init=NULL\nkey c init=return0\nkey d init=f2\ncpu tramp(a)\nthread u: update a f2; update a g1\n",
		"key e init=g1\nkey m init=g1 module=m1\nkey n init=h1 module=m1\nkey o init=return0 module=m2\n" +
			"caller c1 key=m module=m1\ncpu tramp(e)\ncpu c1\nthread u: update m f1; update n g1\n",
	} {
		checkTramps64(t, porttest.Layout(t, Port64{}, head+keys))
	}
}

// checkTramps64 is TestTrampolineAsm64's check of one layout.
func checkTramps64(t *testing.T, lay *kernel.Layout) {
	t.Helper()
	p := lay.Prog
	img := p.ArchData.(*Image)
	l := img.layout
	if l.forms == nil {
		t.Fatal("gray-v4's trampolines are not the model files'")
	}
	for k, tr := range img.Tramps {
		key := p.Keys[k]
		base := k64Tramps
		if tr.Module != "" {
			base = l.domainBase(tr.Module) + mTramps
		}
		addr := base + 0x80*uint64(k)
		toc := l.tocOf(tr.Module)
		pl := oldPlan64(l, tr, key.Init)
		var words []uint32
		var inst, ret0, data uint64
		if tr.Module == "" {
			inst, ret0, data = addr+4, addr+24, addr+32
			d := int64(data - toc)
			words = []uint32{Ld(GPR2, GPR13, pacaTOC), pl.inst, Addis(GPR12, GPR2, Ha(d)), Ld(GPR12, GPR12, Lo(d)), Mtctr(GPR12), InsnBctr, Li(GPR3, 0), InsnBlr}
		} else {
			inst, ret0, data = addr+28, addr+44, addr+56
			d := int64(toc - addr)
			words = []uint32{Mflr(GPR11), InsnBcl, Mflr(GPR12), Mtlr(GPR11), Addi(GPR12, GPR12, -8),
				Addis(GPR2, GPR12, Ha(d)), Addi(GPR2, GPR2, Lo(d)), pl.inst, Ld(GPR12, GPR12, 56), Mtctr(GPR12), InsnBctr,
				Li(GPR3, 0), InsnBlr, InsnNop}
			// The Go layout left the word before the data doubleword
			// unwritten (0); .balign 8 pads it with a nop, as GNU as
			// fills code (no CPU runs it: it follows blr).
			if !img.TOCSetup[addr+24] {
				t.Errorf("%s: the TOC setup at +24 is not marked", tr.Name)
			}
		}
		if tr.Addr != addr || tr.Inst != inst || tr.Ret0 != ret0 || tr.Data != data {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
		var want []byte
		for _, w := range words {
			want = append(want, Word(w)...)
		}
		var d uint64
		if pl.writeData {
			d = pl.data
		}
		want = append(want, be64(d)...)
		r := p.RegionOf(addr)
		got := p.Regions[r].Bytes[addr-p.Regions[r].Base:][:len(want)]
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tr.Name, got, want)
		}
		iw, dw := p.Windows[tr.InstWin], p.Windows[tr.DataWin]
		if iw.Base != inst || iw.Size != 4 || dw.Base != data || dw.Size != 8 {
			t.Errorf("%s: windows %#x+%d, %#x+%d", tr.Name, iw.Base, iw.Size, dw.Base, dw.Size)
		}
		// The Go layout's forms at rest (trampAtRest).
		anyData := [][]byte{be64(d)}
		for ti := range p.Targets {
			if pl := oldPlan64(l, tr, ti); pl.writeData {
				anyData = append(anyData, be64(pl.data))
			}
		}
		for ti := range p.Targets {
			pl := oldPlan64(l, tr, ti)
			if fs := iw.AtRest[ti]; len(fs) != 1 || !bytes.Equal(fs[0], Word(pl.inst)) {
				t.Errorf("%s: instruction at rest for %s: % x, want % x", tr.Name, p.Targets[ti].Name, fs, Word(pl.inst))
			}
			wantData := anyData
			if pl.writeData {
				wantData = [][]byte{be64(pl.data)}
			}
			if fs := dw.AtRest[ti]; len(fs) != len(wantData) {
				t.Errorf("%s: data at rest for %s: % x, want % x", tr.Name, p.Targets[ti].Name, fs, wantData)
			} else {
				for i := range fs {
					if !bytes.Equal(fs[i], wantData[i]) {
						t.Errorf("%s: data at rest for %s: % x, want % x", tr.Name, p.Targets[ti].Name, fs, wantData)
					}
				}
			}
		}
	}
	if len(img.Tramps) != 4 {
		t.Errorf("%d trampolines", len(img.Tramps))
	}
}

// oldPlan64 is the plan of gray-v4 the port's Go wrote before the
// transform was model source: is_short = is_ret0 || (shares_toc(tramp,
// target) && the local entry in reach of INST); blr for NULL, b to the
// local entry when short, else nop and the target in the data word. Its
// shares_toc() and ppc_function_entry() decode the image's words.
func oldPlan64(l *layout64, tr Tramp, t int) plan {
	word := l.word
	toc := func(fn uint64) uint64 {
		if !functionTOCAt(word(fn), word(fn+4)) {
			return 0
		}
		i1, _ := Decode(word(fn))
		i2, _ := Decode(word(fn + 4))
		v := uint64(i1.Imm << 16)
		if i1.RA == GPR12 {
			v += fn
		}
		return v + uint64(i2.Imm)
	}
	fn := l.p.Targets[t].Addr
	ret0 := t == model.TargetReturn0
	target := fn
	if ret0 {
		target = tr.Ret0
	}
	dest := target
	if toc(target) != 0 {
		dest = target + 8
	}
	shares := target != 0 && (l.coreKernelText(tr.Addr) && l.coreKernelText(target) || toc(tr.Addr) != 0 && toc(tr.Addr) == toc(target))
	short := ret0 || shares && BranchInRange(int64(dest-tr.Inst))
	var pl plan
	if t != model.TargetNull && !short {
		pl.writeData, pl.data = true, target
	}
	switch {
	case t == model.TargetNull:
		pl.inst = InsnBlr
	case short:
		pl.inst = MustB(tr.Inst, dest, false)
	default:
		pl.inst = InsnNop
	}
	return pl
}

// TestTrampolineAsm64Designs checks the RFC's designs, as the model files
// with their diffs (kernel/variants/rfc*.diff) assemble into, against the
// words the port's Go wrote for them before they were diffs (the comments
// of its design switch), for a NULL key in vmlinux and in a module: the
// global entry of rfc and rfc-opt2 (marked, with its TOC setup), the local
// entry their callers branch to, option 2's r2 restore after its bctrl,
// option 3's plain entry, and the offsets of INST, the return-0 label and
// the data doubleword.
func TestTrampolineAsm64Designs(t *testing.T) {
	const lp = 0x100 // option 2's save area in the PACA
	for _, tc := range []struct {
		variant          string
		inst, ret0, data uint64
		local            uint64
		words            func(t, toc uint64) []uint32
		restore          uint64 // offset of the r2 restore after a call, or 0
	}{
		{"rfc", 8, 28, 40, 8, func(t, toc uint64) []uint32 {
			d := int64(t + 40 - toc)
			return []uint32{Addis(GPR2, GPR12, Ha(int64(toc-t))), Addi(GPR2, GPR2, Lo(int64(toc-t))), InsnBlr,
				Addis(GPR12, GPR2, Ha(d)), Ld(GPR12, GPR12, Lo(d)), Mtctr(GPR12), InsnBctr, Li(GPR3, 0), InsnBlr, InsnNop}
		}, 0},
		{"rfc-opt2", 8, 56, 64, 8, func(t, toc uint64) []uint32 {
			d := int64(t + 64 - toc)
			return []uint32{Addis(GPR2, GPR12, Ha(int64(toc-t))), Addi(GPR2, GPR2, Lo(int64(toc-t))), InsnBlr,
				Std(GPR2, GPR13, lp), Mflr(GPR0), Std(GPR0, GPR13, lp+8), Addis(GPR12, GPR2, Ha(d)), Ld(GPR12, GPR12, Lo(d)),
				Mtctr(GPR12), InsnBctrl, Ld(GPR0, GPR13, lp+8), Mtlr(GPR0), Ld(GPR2, GPR13, lp), InsnBlr, Li(GPR3, 0), InsnBlr}
		}, 48},
		{"rfc-opt3", 16, 32, 40, 0, func(t, toc uint64) []uint32 {
			return []uint32{Mflr(GPR11), InsnBcl, Mflr(GPR12), Mtlr(GPR11), InsnBlr, Ld(GPR12, GPR12, 32), Mtctr(GPR12), InsnBctr,
				Li(GPR3, 0), InsnBlr}
		}, 0},
	} {
		text := "scenario t\narch ppc64\nvariant " + tc.variant + "\ntarget f1\nmodule m1\nkey a init=NULL\nkey m init=NULL module=m1\n" +
			"caller c1 key=m module=m1\ncpu tramp(a)\ncpu c1\nthread u: update a f1\n"
		lay := porttest.Layout(t, Port64{}, text)
		p := lay.Prog
		img := p.ArchData.(*Image)
		l := img.layout
		for k, tr := range img.Tramps {
			addr := k64Tramps + 0x80*uint64(k)
			if tr.Module != "" {
				addr = l.domainBase(tr.Module) + mTramps + 0x80*uint64(k)
			}
			if tr.Addr != addr || tr.Inst != addr+tc.inst || tr.Ret0 != addr+tc.ret0 || tr.Data != addr+tc.data {
				t.Errorf("%s %s: %+v", tc.variant, tr.Name, tr)
			}
			var want []byte
			for _, w := range tc.words(addr, l.tocOf(tr.Module)) {
				want = append(want, Word(w)...)
			}
			want = append(want, make([]byte, 8)...)
			r := p.RegionOf(addr)
			if got := p.Regions[r].Bytes[addr-p.Regions[r].Base:][:len(want)]; !bytes.Equal(got, want) {
				t.Errorf("%s %s:\n got % x\nwant % x", tc.variant, tr.Name, got, want)
			}
			if l.links[k].local != tc.local || l.links[k].r2Saved || img.GlobalEntry[addr] != (tc.local == 8) || img.TOCSetup[addr+4] != (tc.local == 8) {
				t.Errorf("%s %s: linkage %+v, global entry %v, TOC setup %v", tc.variant, tr.Name, l.links[k], img.GlobalEntry[addr], img.TOCSetup[addr+4])
			}
			if tc.restore != 0 && !img.ReturnPoint[addr+tc.restore] {
				t.Errorf("%s %s: the r2 restore at +%d is no return point", tc.variant, tr.Name, tc.restore)
			}
		}
	}
}
