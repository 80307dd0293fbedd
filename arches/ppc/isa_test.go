package ppc

import (
	"fmt"
	"strings"
	"testing"

	"encoding/binary"
	"encoding/hex"
	"github.com/patchcheck/patchcheck/internal/golden"
	"pgregory.net/rapid"
)

// goldenAddr is the address of every instruction in testdata/insns.txt.
const goldenAddr uint64 = 0xc000000000001000

func hexSym(a uint64) string { return fmt.Sprintf("%#x", a) }

type goldenCase struct {
	line int
	code []byte
	want string
}

func (c goldenCase) String() string { return fmt.Sprintf("insns.txt:%d: % x", c.line, c.code) }

// readGolden reads testdata/insns.txt: "hex bytes | disassembly" lines.
func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, l := range golden.Read(t, "testdata/insns.txt", 2, 40) {
		code, err := hex.DecodeString(strings.Join(strings.Fields(l.Fields[0]), ""))
		if err != nil || len(code) == 0 {
			t.Fatalf("insns.txt:%d: bad hex %q: %v", l.N, l.Fields[0], err)
		}
		cases = append(cases, goldenCase{line: l.N, code: code, want: l.Fields[1]})
	}
	return cases
}

// TestDisasmGolden checks Disasm and InsnLen against testdata/insns.txt.
func TestDisasmGolden(t *testing.T) {
	for _, c := range readGolden(t) {
		if got := Disasm(c.code, goldenAddr, hexSym); got != c.want {
			t.Errorf("%v: Disasm = %q, want %q", c, got, c.want)
		}
		n := InsnLen(c.code)
		switch {
		case c.want == "(bad)" && n == 4:
			t.Errorf("%v: InsnLen = 4 for a (bad) line", c)
		case c.want != "(bad)" && (n != 4 || len(c.code) != 4):
			t.Errorf("%v: InsnLen = %d for a %d-byte instruction", c, n, len(c.code))
		}
	}
}

// TestGoldenCoversSubset: every instruction form of the subset has a
// golden line.
func TestGoldenCoversSubset(t *testing.T) {
	seen := map[Op]bool{}
	for _, c := range readGolden(t) {
		if len(c.code) == 4 {
			if in, ok := Decode(binary.BigEndian.Uint32(c.code)); ok {
				seen[in.Op] = true
			}
		}
	}
	for op := OpB; op <= OpIsync; op++ {
		if !seen[op] {
			t.Errorf("no golden line for op %d", op)
		}
	}
}

// encoders are the subset's encoders with their forms, for round trips.
var encoders = []struct {
	op  Op
	enc func(rt, ra int, imm int64) uint32
}{
	{OpAddis, func(rt, ra int, imm int64) uint32 { return Addis(rt, ra, imm) }},
	{OpAddi, func(rt, ra int, imm int64) uint32 { return Addi(rt, ra, imm) }},
	{OpLwz, func(rt, ra int, imm int64) uint32 { return Lwz(rt, ra, imm) }},
	{OpStw, func(rt, ra int, imm int64) uint32 { return Stw(rt, ra, imm) }},
	{OpStwu, func(rt, ra int, imm int64) uint32 { return Stwu(rt, ra, imm) }},
	{OpLd, func(rt, ra int, imm int64) uint32 { return Ld(rt, ra, imm&^3) }},
	{OpStd, func(rt, ra int, imm int64) uint32 { return Std(rt, ra, imm&^3) }},
	{OpStdu, func(rt, ra int, imm int64) uint32 { return Stdu(rt, ra, imm&^3) }},
}

var regs = []int{GPR0, GPR1, GPR2, GPR3, GPR11, GPR12}

// TestEncodeDecodeRoundTrip: Decode(encode(x)) gives x back for every
// D-form and DS-form encoder, register and immediate; and Disasm names
// it as objdump does.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := rapid.SampledFrom(encoders).Draw(rt, "op")
		r := rapid.SampledFrom(regs).Draw(rt, "rt")
		ra := rapid.SampledFrom(append([]int{GPR13}, regs...)).Draw(rt, "ra")
		imm := rapid.Int64Range(-0x8000, 0x7fff).Draw(rt, "imm")
		if (e.op == OpAddi || e.op == OpAddis) && ra == GPR13 {
			ra = GPR12
		}
		if (e.op == OpStwu || e.op == OpStdu) && ra == 0 {
			ra = GPR1 // an update form needs a base register
		}
		w := e.enc(r, ra, imm)
		in, ok := Decode(w)
		if e.op == OpLd || e.op == OpStd || e.op == OpStdu {
			imm &^= 3
		}
		if !ok || in.Op != e.op || in.RT != r || in.RA != ra || in.Imm != imm {
			rt.Fatalf("Decode(%#08x) = %+v %v, want op %d rt %d ra %d imm %d", w, in, ok, e.op, r, ra, imm)
		}
		if InsnLen(Word(w)) != 4 || Disasm(Word(w), goldenAddr, hexSym) == "(bad)" {
			rt.Fatalf("%#08x: not an instruction of the subset", w)
		}
	})
}

// TestBranchRoundTrip: B encodes every word-aligned displacement in
// ±32 MiB, and BranchTarget gives the destination back; beyond, B refuses.
func TestBranchRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		from := 0xc000000000000000 | rapid.Uint64Range(0, 0x0fffffff).Draw(rt, "from")&^3
		off := rapid.Int64Range(-0x2000000/4, 0x1fffffc/4).Draw(rt, "off") * 4
		link := rapid.Bool().Draw(rt, "link")
		to := from + uint64(off)
		w, ok := B(from, to, link)
		if !ok {
			rt.Fatalf("B(%#x, %#x) out of range", from, to)
		}
		in, ok := Decode(w)
		if !ok || in.Op != OpB || in.LK != link || in.AA || BranchTarget(in, from) != to {
			rt.Fatalf("B(%#x, %#x) = %#08x decodes to %+v", from, to, w, in)
		}
		if !PatchClass(w) {
			rt.Fatalf("%#08x is not in the patch class", w)
		}
	})
	for _, off := range []int64{0x2000000, -0x2000004, 2, 0x1fffffe} {
		if _, ok := B(0xc000000000001000, 0xc000000000001000+uint64(off), false); ok {
			t.Errorf("B accepts displacement %#x", off)
		}
	}
}

// TestHaLo: (Ha << 16) + Lo == v modulo 2^32 for every 32-bit v, as
// @ha and @l do (and exactly, for v within 2 GiB - 32 KiB of 0).
func TestHaLo(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		v := rapid.Int64Range(-0x80000000, 0x7fffffff).Draw(rt, "v")
		if got := Ha(v)<<16 + Lo(v); int32(got) != int32(v) || v < 0x7fff8000 && got != v {
			rt.Fatalf("Ha(%#x)<<16 + Lo = %#x", v, got)
		}
	})
}

// TestPatchClass: the Power ISA's patch class is b[l][a] and ori 0,0,0.
func TestPatchClass(t *testing.T) {
	for w, want := range map[uint32]bool{
		InsnNop: true, 0x48000000: true, 0x48000001: true, 0x4bfffffe: true,
		InsnBlr: false, InsnBctr: false, Li(GPR3, 0): false, 0x60000001: false, InsnBcl: false,
	} {
		if PatchClass(w) != want {
			t.Errorf("PatchClass(%#08x) = %v, want %v", w, !want, want)
		}
	}
}
