package ppc

import (
	"bytes"
	"testing"

	"github.com/patchcheck/patchcheck/scenario"
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
	sc, err := scenario.Parse("t.scn", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	arch, err := Port32{}.Arch("", "")
	if err != nil {
		t.Fatal(err)
	}
	lay, err := Port32{}.Layout(sc, arch)
	if err != nil {
		t.Fatal(err)
	}
	p := lay.Prog
	img := p.ArchData.(*Image)
	for k, tr := range img.Tramps {
		addr := k32Tramps + 0x20*uint64(k)
		if tr.Addr != addr || tr.Inst != addr || tr.Data != addr+sct32Data || tr.Ret0 != addr+sct32Ret0 {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
		pl := plan32(p, tr, p.Keys[k].Init, "")
		var want []byte
		for _, w := range []uint32{pl.inst, Lis(GPR12, Ha(int64(int32(tr.Data)))), Lwz(GPR12, GPR12, Lo(int64(tr.Data))), Mtctr(GPR12), InsnBctr,
			Li(GPR3, 0), InsnBlr, uint32(pl.data)} {
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
