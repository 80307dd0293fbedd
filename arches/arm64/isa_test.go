package arm64

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/internal/golden"
)

// goldenCase is one line of testdata/insns.txt: "HEX | ADDRESS | text",
// the word, its address and the assembly as objdump prints it.
type goldenCase struct {
	line int
	w    uint32
	addr uint64
	text string
}

func (c goldenCase) String() string {
	return fmt.Sprintf("insns.txt:%d: %08x at %#x (%s)", c.line, c.w, c.addr, c.text)
}

// readGolden reads testdata/insns.txt, skipping blank and "#" lines; a
// malformed line fails the test.
func readGolden(t golden.TB) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, l := range golden.Read(t, "testdata/insns.txt", 3, 300) {
		w, err1 := strconv.ParseUint(l.Fields[0], 16, 32)
		a, err2 := strconv.ParseUint(l.Fields[1], 16, 64)
		if err1 != nil || err2 != nil || len(l.Fields[0]) != 8 {
			t.Fatalf("insns.txt:%d: bad word or address in %q", l.N, l.Fields)
		}
		cases = append(cases, goldenCase{line: l.N, w: uint32(w), addr: a, text: l.Fields[2]})
	}
	return cases
}

var (
	blanks    = regexp.MustCompile(`\s+`)
	symRef    = regexp.MustCompile(` <[^<>]*>`)
	addrField = regexp.MustCompile(`0x[0-9a-f]+$`)
)

// norm is the normalisation applied to both objdump's text and Disasm's
// before they are compared:
//   - objdump's trailing comment is dropped: "mov x0, #0x10 // #16",
//     "b.eq 0x... // b.none" (the value in decimal, other spellings of the
//     condition: not part of the instruction);
//   - a " <symbol>" annotation after an address is dropped (objdump adds
//     one when the binary has symbols, Disasm when sym names the address);
//   - runs of blanks become one space.
//
// Addresses themselves are compared as printed: the golden binary is
// stripped, so objdump prints targets as "0x..." like Disasm.
func norm(s string) string {
	if i := strings.Index(s, "//"); i >= 0 {
		s = s[:i]
	}
	s = symRef.ReplaceAllString(s, "")
	return strings.TrimSpace(blanks.ReplaceAllString(s, " "))
}

func nosym(uint64) string { return "" }

// hexSym names every address as "%#x", which Disasm must not repeat.
func hexSym(a uint64) string { return fmt.Sprintf("%#x", a) }

// namedSym names every address.
func namedSym(a uint64) string { return fmt.Sprintf("sym_%x", a) }

// targetOps are the ops whose last operand is a PC-relative address.
var targetOps = map[Op]bool{OpB: true, OpBL: true, OpBCond: true, OpCBZ: true, OpCBNZ: true, OpADR: true, OpADRP: true, OpLdrLit: true, OpTBZ: true, OpTBNZ: true}

// target is the address in decoded in at pc.
func target(in Insn, pc uint64) uint64 {
	if in.Op == OpADRP {
		return Page(pc) + uint64(in.Imm)
	}
	return pc + uint64(in.Imm)
}

// TestDisasmGolden: every golden word is in the subset and Disasm renders
// it as objdump does, with no symbols, with hex-only names, and with real
// names (then annotated "<name>" after the target).
func TestDisasmGolden(t *testing.T) {
	for _, c := range readGolden(t) {
		in := Decode(c.w)
		if in.Op == OpUndef {
			t.Errorf("%v: Decode = OpUndef", c)
			continue
		}
		want := norm(c.text)
		if got := Disasm(c.w, c.addr, nosym); norm(got) != want {
			t.Errorf("%v: Disasm = %q, want %q", c, got, want)
		}
		if got := Disasm(c.w, c.addr, hexSym); norm(got) != want || strings.Contains(got, "<") {
			t.Errorf("%v: Disasm with hex names = %q, want %q", c, got, want)
		}
		named := Disasm(c.w, c.addr, namedSym)
		if norm(named) != want {
			t.Errorf("%v: Disasm with names = %q, want %q after normalisation", c, named, want)
		}
		if targetOps[in.Op] {
			if suffix := fmt.Sprintf(" <sym_%x>", target(in, c.addr)); !strings.HasSuffix(named, suffix) {
				t.Errorf("%v: Disasm with names = %q, want suffix %q", c, named, suffix)
			}
		} else if named != Disasm(c.w, c.addr, nosym) {
			t.Errorf("%v: Disasm depends on names: %q", c, named)
		}
	}
}

// TestGoldenCoversSubset: testdata/insns.txt has every op, every B.cond
// condition, every DSB and DMB option, every BTI, the W forms the decoder
// takes, and negative offsets for the PC-relative and pair forms.
func TestGoldenCoversSubset(t *testing.T) {
	ops, wform, neg := map[Op]int{}, map[Op]bool{}, map[Op]bool{}
	conds, dsb, dmb, bti := map[uint8]bool{}, map[uint8]bool{}, map[uint8]bool{}, map[uint8]bool{}
	for _, c := range readGolden(t) {
		in := Decode(c.w)
		ops[in.Op]++
		wform[in.Op] = wform[in.Op] || in.W
		neg[in.Op] = neg[in.Op] || in.Imm < 0
		switch in.Op {
		case OpBCond:
			conds[in.Cond] = true
		case OpDSB:
			dsb[in.Cond] = true
		case OpDMB:
			dmb[in.Cond] = true
		case OpBTI:
			bti[in.Cond] = true
		}
	}
	for op := OpNop; op <= OpSMC; op++ {
		if ops[op] == 0 {
			t.Errorf("no golden line for op %d", op)
		}
	}
	for _, op := range []Op{OpCBZ, OpCBNZ, OpAddImm, OpSubImm, OpSubsImm, OpMovz, OpOrrReg, OpAndReg, OpEorReg, OpCsel, OpCsinc, OpLdrLit, OpLdrImm, OpStrImm} {
		if !wform[op] {
			t.Errorf("no golden W form of op %d", op)
		}
	}
	for _, op := range []Op{OpB, OpBL, OpBCond, OpCBZ, OpCBNZ, OpADR, OpADRP, OpLdrLit, OpStpPre, OpLdpPost} {
		if !neg[op] {
			t.Errorf("no golden negative offset for op %d", op)
		}
	}
	if len(conds) != 16 || len(dmb) != 16 || len(dsb) != 14 || dsb[0] || dsb[4] || len(bti) != 3 {
		t.Errorf("golden covers %d conditions, %d DMB and %d DSB options (want 16, 16, 14 without 0 and 4), %d BTIs", len(conds), len(dmb), len(dsb), len(bti))
	}
}

// The undefined cases: instructions outside the subset (or no instruction
// at all), with the text objdump prints for them. Generated with the
// commands in testdata/insns.txt's header (as with
// -march=armv8.5-a+memtag), from a source naming each instruction (objdump
// may print an alias: hint #32 as "bti", movn x0, #0 as "mov x0,
// #0xffffffffffffffff"), or ".inst 0x..." where gas refuses it or for
// stray bits: MOVZ Wd with hw 2 or 3, DSB nXS (FEAT_XS), BC.cond, ADDS
// Wd, ADD Wd (register), RET, BR, BRK and SVC with reserved bits set, ADDG.
var undefCases = []struct {
	w    uint32
	text string
}{
	{0xf8626820, "ldr x0, [x1, x2]"},
	{0xf8408c20, "ldr x0, [x1, #8]!"},
	{0xf8408420, "ldr x0, [x1], #8"},
	{0xf85f8020, "ldur x0, [x1, #-8]"},
	{0x98000040, "ldrsw x0, 0xffff800080010018"},
	{0xd8000040, "prfm pldl1keep, 0xffff80008001001c"},
	{0x39400020, "ldrb w0, [x1]"},
	{0x79400420, "ldrh w0, [x1, #2]"},
	{0x39000020, "strb w0, [x1]"},
	{0x3dc00020, "ldr q0, [x1]"},
	{0x5c000040, "ldr d0, 0xffff800080010030"},
	{0xc85f7c20, "ldxr x0, [x1]"},
	{0xc8027c20, "stxr w2, x0, [x1]"},
	{0x9b020c20, "madd x0, x1, x2, x3"},
	{0x9b027c20, "mul x0, x1, x2"},
	{0x9e670020, "fmov d0, x1"},
	{0x1e2e1000, "fmov s0, #1.000000000000000000e+00"},
	{0xb1000420, "adds x0, x1, #0x1"},
	{0xb100041f, "cmn x0, #0x1"},
	{0x8b020020, "add x0, x1, x2"},
	{0x8b2163e0, "add x0, sp, x1"},
	{0xcb020020, "sub x0, x1, x2"},
	{0xeb020020, "subs x0, x1, x2"},
	{0xeb01001f, "cmp x0, x1"},
	{0xaa020420, "orr x0, x1, x2, lsl #1"},
	{0xb2401c20, "orr x0, x1, #0xff"},
	{0xb200f3e0, "mov x0, #0x5555555555555555 // #6148914691236517205"},
	{0xea020020, "ands x0, x1, x2"},
	{0x8a220020, "bic x0, x1, x2"},
	{0xaa220020, "orn x0, x1, x2"},
	{0xaa2103e0, "mvn x0, x1"},
	{0xca220020, "eon x0, x1, x2"},
	{0x92800000, "mov x0, #0xffffffffffffffff // #-1"},
	{0xf2a00020, "movk x0, #0x1, lsl #16"},
	{0xda9f13e0, "csetm x0, eq // eq = none"},
	{0xda821420, "csneg x0, x1, x2, ne // ne = any"},
	{0xda811020, "cinv x0, x1, eq // eq = none"},
	{0xfa410000, "ccmp x0, x1, #0x0, eq // eq = none"},
	{0xd503241f, "bti"},
	{0xd503243f, "hint #0x21"},
	{0xd503247f, "hint #0x23"},
	{0xd503251f, "hint #0x28"},
	{0xd503203f, "yield"},
	{0xd503205f, "wfe"},
	{0xd503207f, "wfi"},
	{0xd503209f, "sev"},
	{0xd503229f, "csdb"},
	{0xd503221f, "esb"},
	{0xd503233f, "paciasp"},
	{0xd50323bf, "autiasp"},
	{0xd50320ff, "xpaclri"},
	{0xd503309f, "ssbb"},
	{0xd503349f, "pssbb"},
	{0xd50330ff, "sb"},
	{0xd50333df, "isb #0x3"},
	{0xd503323f, "dsb oshnxs"},
	{0xd50b7e20, "dc civac, x0"},
	{0xd50b7a20, "dc cvac, x0"},
	{0xd50b7420, "dc zva, x0"},
	{0xd508831f, "tlbi vmalle1is"},
	{0xd50342df, "msr daifset, #0x2"},
	{0xd53b0020, "mrs x0, ctr_el0"},
	{0xd4400000, "hlt #0x0"},
	{0xd4a00001, "dcps1"},
	{0xd71f0a11, "braa x16, x17"},
	{0xd63f0a1f, "blraaz x16"},
	{0xd65f0bff, "retaa"},
	{0x29bf07e0, "stp w0, w1, [sp, #-8]!"},
	{0xa90107e0, "stp x0, x1, [sp, #16]"},
	{0xa88107e0, "stp x0, x1, [sp], #16"},
	{0xa9c107e0, "ldp x0, x1, [sp, #16]!"},
	{0xa94107e0, "ldp x0, x1, [sp, #16]"},
	{0x28c107e0, "ldp w0, w1, [sp], #8"},
	{0x68c107e0, "ldpsw x0, x1, [sp], #8"},
	{0x6dbf07e0, "stp d0, d1, [sp, #-16]!"},
	{0xacc107e0, "ldp q0, q1, [sp], #32"},
	{0x52c00020, ".inst 0x52c00020 ; undefined"},
	{0x52e0ffff, ".inst 0x52e0ffff ; undefined"},
	{0x54000050, "bc.eq 0xffff80008001015c // bc.none"},
	{0x31000420, "adds w0, w1, #0x1"},
	{0x0b020020, "add w0, w1, w2"},
	{0xd65f0001, ".inst 0xd65f0001 ; undefined"},
	{0xd61f0001, ".inst 0xd61f0001 ; undefined"},
	{0xd4200001, ".inst 0xd4200001 ; undefined"},
	{0xd4000000, ".inst 0xd4000000 ; undefined"},
	{0xd4000004, ".inst 0xd4000004 ; undefined"},
	{0x91800000, "addg x0, x0, #0x0, #0x0"},
}

// TestUndef: encodings outside the subset decode as OpUndef, and Disasm
// says so.
func TestUndef(t *testing.T) {
	for _, c := range undefCases {
		if in := Decode(c.w); in.Op != OpUndef {
			t.Errorf("%08x (%s): Decode = %+v, want OpUndef", c.w, c.text, in)
		}
		if got, want := Disasm(c.w, 0xffff800080010000, nosym), fmt.Sprintf(".inst %#08x (undefined)", c.w); got != want {
			t.Errorf("%08x (%s): Disasm = %q, want %q", c.w, c.text, got, want)
		}
	}
}

// TestCMODXSafe: true exactly for B, BL, BRK, HVC, ISB, NOP, SMC and SVC,
// each seen true on a golden line, and false for every other golden and
// undefined word.
func TestCMODXSafe(t *testing.T) {
	safe := map[Op]bool{OpB: true, OpBL: true, OpBRK: true, OpHVC: true, OpISB: true, OpNop: true, OpSMC: true, OpSVC: true}
	seen, unsafe := map[Op]bool{}, 0
	for _, c := range readGolden(t) {
		op := Decode(c.w).Op
		if got := CMODXSafe(c.w); got != safe[op] {
			t.Errorf("%v: CMODXSafe = %v", c, got)
		}
		if safe[op] {
			seen[op] = true
		} else {
			unsafe++
		}
	}
	for _, c := range undefCases {
		if CMODXSafe(c.w) {
			t.Errorf("%08x (%s): CMODXSafe = true", c.w, c.text)
		}
	}
	if len(seen) != len(safe) || unsafe < 100 {
		t.Errorf("golden has %d of the %d CMODX-safe ops and %d unsafe words", len(seen), len(safe), unsafe)
	}
	for _, w := range []uint32{InsnNop, InsnISB, InsnBreakFault} {
		if !CMODXSafe(w) {
			t.Errorf("CMODXSafe(%#08x) = false", w)
		}
	}
	for _, w := range []uint32{InsnBTIC, InsnRet} {
		if CMODXSafe(w) {
			t.Errorf("CMODXSafe(%#08x) = true", w)
		}
	}
}

const (
	xr   = `(x[0-9]+|xzr)`
	xsp  = `(x[0-9]+|sp)`
	addr = `(0x[0-9a-f]+)`
)

var (
	reB      = regexp.MustCompile(`^(b|bl) ` + addr + `$`)
	reCBZ    = regexp.MustCompile(`^(cbz|cbnz) ` + xr + `, ` + addr + `$`)
	reBR     = regexp.MustCompile(`^(br|blr|ret) ` + xr + `$`)
	reADRP   = regexp.MustCompile(`^adrp ` + xr + `, ` + addr + `$`)
	reAdd    = regexp.MustCompile(`^add ` + xsp + `, ` + xsp + `, #(0x[0-9a-f]+)$`)
	reMovSP  = regexp.MustCompile(`^mov ` + xsp + `, ` + xsp + `$`)
	reLdrLit = regexp.MustCompile(`^ldr ` + xr + `, ` + addr + `$`)
	reLdrImm = regexp.MustCompile(`^ldr ` + xr + `, \[` + xsp + `(?:, #([0-9]+))?\]$`)
	reMovz   = regexp.MustCompile(`^mov ` + xr + `, #(0x[0-9a-f]{1,4})$`)
	reStp    = regexp.MustCompile(`^stp ` + xr + `, ` + xr + `, \[` + xsp + `, #(-?[0-9]+)\]!$`)
	reLdp    = regexp.MustCompile(`^ldp ` + xr + `, ` + xr + `, \[` + xsp + `\], #(-?[0-9]+)$`)
	reStlr   = regexp.MustCompile(`^stlr ` + xr + `, \[` + xsp + `\]$`)
)

// xnum is the number of x0..x30, xzr or sp (31).
func xnum(t *testing.T, s string) int {
	if s == "xzr" || s == "sp" {
		return 31
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "x"))
	if err != nil || n > 30 {
		t.Fatalf("bad register %q", s)
	}
	return n
}

func num(t *testing.T, s string) uint64 {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	return v
}

func snum(t *testing.T, s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	return v
}

// TestEncodersGolden: each encoder, given the operands objdump prints on a
// golden line (parsed from its text, not decoded), reproduces the
// assembler's word. Every encoder must match enough lines, the
// PC-relative ones in both directions.
func TestEncodersGolden(t *testing.T) {
	hits := map[string]int{}
	check := func(c goldenCase, name string, got uint32, dir int) {
		t.Helper()
		if got != c.w {
			t.Errorf("%v: %s = %#08x, want %#08x", c, name, got, c.w)
		}
		hits[name]++
		switch {
		case dir > 0:
			hits[name+" forward"]++
		case dir < 0:
			hits[name+" backward"]++
		}
	}
	dir := func(pc, to uint64) int {
		switch {
		case to > pc:
			return 1
		case to < pc:
			return -1
		}
		return 0
	}
	for _, c := range readGolden(t) {
		s := norm(c.text)
		switch s {
		case "nop":
			check(c, "InsnNop", InsnNop, 0)
		case "bti c":
			check(c, "InsnBTIC", InsnBTIC, 0)
		case "ret":
			check(c, "InsnRet", InsnRet, 0)
			check(c, "Ret", Ret(X30), 0)
		case "isb":
			check(c, "InsnISB", InsnISB, 0)
		case "brk #0x100":
			check(c, "InsnBreakFault", InsnBreakFault, 0)
		}
		if m := reB.FindStringSubmatch(s); m != nil {
			to, link := num(t, m[2]), m[1] == "bl"
			w, ok := B(c.addr, to, link)
			if !ok {
				t.Errorf("%v: B reports out of range", c)
			}
			check(c, "B/"+m[1], w, dir(c.addr, to))
			check(c, "MustB", MustB(c.addr, to, link), 0)
		}
		if m := reCBZ.FindStringSubmatch(s); m != nil {
			to := num(t, m[3])
			check(c, m[1], CBZ(xnum(t, m[2]), c.addr, to, m[1] == "cbnz"), dir(c.addr, to))
		}
		if m := reBR.FindStringSubmatch(s); m != nil {
			enc := map[string]func(int) uint32{"br": BR, "blr": BLR, "ret": Ret}[m[1]]
			check(c, m[1], enc(xnum(t, m[2])), 0)
		}
		if m := reADRP.FindStringSubmatch(s); m != nil {
			to := num(t, m[2])
			check(c, "ADRP", ADRP(xnum(t, m[1]), c.addr, to), dir(Page(c.addr), to))
		}
		if m := reAdd.FindStringSubmatch(s); m != nil {
			check(c, "AddImm", AddImm(xnum(t, m[1]), xnum(t, m[2]), uint32(num(t, m[3]))), 0)
		}
		if m := reMovSP.FindStringSubmatch(s); m != nil && (m[1] == "sp" || m[2] == "sp") {
			if m[2] == "sp" {
				check(c, "MovSP", MovSP(xnum(t, m[1])), 0)
			} else {
				check(c, "AddImm", AddImm(SP, xnum(t, m[2]), 0), 0)
			}
		}
		if m := reLdrLit.FindStringSubmatch(s); m != nil {
			to := num(t, m[2])
			check(c, "LdrLit", LdrLit(xnum(t, m[1]), c.addr, to), dir(c.addr, to))
		}
		if m := reLdrImm.FindStringSubmatch(s); m != nil {
			off := uint64(0)
			if m[3] != "" {
				off = num(t, m[3])
			}
			check(c, "LdrImm", LdrImm(xnum(t, m[1]), xnum(t, m[2]), uint32(off)), 0)
		}
		if m := reMovz.FindStringSubmatch(s); m != nil {
			check(c, "Movz", Movz(xnum(t, m[1]), uint16(num(t, m[2]))), 0)
		}
		if m := reStp.FindStringSubmatch(s); m != nil {
			off := snum(t, m[4])
			check(c, "StpPre", StpPre(xnum(t, m[1]), xnum(t, m[2]), xnum(t, m[3]), off), off)
		}
		if m := reLdp.FindStringSubmatch(s); m != nil {
			off := snum(t, m[4])
			check(c, "LdpPost", LdpPost(xnum(t, m[1]), xnum(t, m[2]), xnum(t, m[3]), off), off)
		}
		if m := reStlr.FindStringSubmatch(s); m != nil {
			check(c, "Stlr", Stlr(xnum(t, m[1]), xnum(t, m[2])), 0)
		}
	}
	for name, min := range map[string]int{
		"InsnNop": 1, "InsnBTIC": 2, "InsnRet": 1, "InsnISB": 1, "InsnBreakFault": 1, "Ret": 1, "br": 7, "blr": 7, "ret": 5,
		"B/b forward": 4, "B/b backward": 4, "B/bl forward": 4, "B/bl backward": 4, "MustB": 18,
		"cbz forward": 3, "cbz backward": 1, "cbnz forward": 3, "cbnz backward": 1,
		"ADRP forward": 4, "ADRP backward": 3, "AddImm": 6, "MovSP": 3,
		"LdrLit forward": 4, "LdrLit backward": 1, "LdrImm": 6, "Movz": 4,
		"StpPre forward": 2, "StpPre backward": 3, "LdpPost forward": 2, "LdpPost backward": 2, "Stlr": 2,
	} {
		if hits[name] < min {
			t.Errorf("%s matched %d golden lines, want at least %d", name, hits[name], min)
		}
	}
}

// TestBranchRange: B reaches exactly ±128 MiB and returns
// AARCH64_BREAK_FAULT, false beyond or for a misaligned target; MustB
// panics there.
func TestBranchRange(t *testing.T) {
	const pc = 0xffff800080010000
	for _, c := range []struct {
		to   uint64
		link bool
		want uint32
		ok   bool
	}{
		{pc + 0x7fffffc, false, 0x15ffffff, true},
		{pc - 0x8000000, false, 0x16000000, true},
		{pc + 0x7fffffc, true, 0x95ffffff, true},
		{pc - 0x8000000, true, 0x96000000, true},
		{pc + 0x8000000, false, InsnBreakFault, false},
		{pc - 0x8000004, false, InsnBreakFault, false},
		{pc + 0x8000000, true, InsnBreakFault, false},
		{pc - 0x8000004, true, InsnBreakFault, false},
		{pc + 0x100000000, false, InsnBreakFault, false},
		{pc - 0x100000000, true, InsnBreakFault, false},
		{pc + 2, false, InsnBreakFault, false},
		{pc - 1, true, InsnBreakFault, false},
	} {
		w, ok := B(pc, c.to, c.link)
		if w != c.want || ok != c.ok {
			t.Errorf("B(%#x, %#x, %v) = %#08x, %v, want %#08x, %v", uint64(pc), c.to, c.link, w, ok, c.want, c.ok)
		}
		if !c.ok {
			mustPanic(t, fmt.Sprintf("MustB to %#x", c.to), func() { MustB(pc, c.to, c.link) })
		}
	}
	// The address space wraps: a branch from the last page to the first.
	if w, ok := B(0xfffffffffffffffc, 8, false); w != 0x14000003 || !ok {
		t.Errorf("B across the top of the address space = %#08x, %v", w, ok)
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

// TestEncoderLimits: the encoders without a failure result panic rather
// than encode other operands than asked for, and accept their limits.
func TestEncoderLimits(t *testing.T) {
	const pc = 0xffff800080010000
	for what, f := range map[string]func(){
		"CBZ +1 MiB":         func() { CBZ(X0, pc, pc+0x100000, false) },
		"CBZ -1 MiB-4":       func() { CBZ(X0, pc, pc-0x100004, true) },
		"CBZ misaligned":     func() { CBZ(X0, pc, pc+6, false) },
		"LdrLit +1 MiB":      func() { LdrLit(X16, pc, pc+0x100000) },
		"LdrLit misaligned":  func() { LdrLit(X16, pc, pc+2) },
		"ADRP +4 GiB":        func() { ADRP(X16, pc, pc+0x100000000) },
		"ADRP -4 GiB-4 KiB":  func() { ADRP(X16, pc, pc-0x100001000) },
		"AddImm 0x1000":      func() { AddImm(X16, X16, 0x1000) },
		"LdrImm 4":           func() { LdrImm(X16, X16, 4) },
		"LdrImm 32768":       func() { LdrImm(X16, X16, 32768) },
		"StpPre -520":        func() { StpPre(X29, X30, SP, -520) },
		"StpPre 512":         func() { StpPre(X29, X30, SP, 512) },
		"StpPre -12":         func() { StpPre(X29, X30, SP, -12) },
		"LdpPost 512":        func() { LdpPost(X29, X30, SP, 512) },
		"LdpPost 4":          func() { LdpPost(X29, X30, SP, 4) },
		"MustB out of range": func() { MustB(pc, pc+BranchRange, false) },
	} {
		mustPanic(t, what, f)
	}
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"CBZ +1 MiB-4", CBZ(X0, pc, pc+0xffffc, false), 0xb47fffe0},
		{"CBNZ -1 MiB", CBZ(X0, pc, pc-0x100000, true), 0xb5800000},
		{"LdrLit -1 MiB", LdrLit(X16, pc, pc-0x100000), 0x58800010},
		{"ADRP +4 GiB-4 KiB", ADRP(X16, pc, pc+0xfffff000), 0xf07ffff0},
		{"ADRP -4 GiB", ADRP(X16, pc, pc-0x100000000), 0x90800010},
		{"ADRP across the top", ADRP(X0, 0x1000, 0xfffffffffffff000), 0xd0ffffe0}, // as ld -Ttext=0x1000 assembles adrp x0, .-0x2000
		{"AddImm 0xfff", AddImm(X16, X16, 0xfff), 0x913ffe10},
		{"LdrImm 32760", LdrImm(X0, SP, 32760), 0xf97fffe0},
		{"StpPre -512", StpPre(X16, X17, SP, -512), 0xa9a047f0},
		{"LdpPost 504", LdpPost(X16, X17, SP, 504), 0xa8dfc7f0},
		{"Movz 0xffff", Movz(X29, 0xffff), 0xd29ffffd},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#08x, want %#08x", c.name, c.got, c.want)
		}
	}
}

// FuzzDecode: Decode, Disasm and CMODXSafe never panic; an undefined word
// disassembles as such; for every PC-relative instruction Disasm's target
// is pc+Imm (the page of pc plus Imm for ADRP), with Imm aligned and in
// range; and every decoded form an encoder covers re-encodes to the word.
// The seeds are the words and addresses of testdata/insns.txt and the
// undefined cases.
func FuzzDecode(f *testing.F) {
	for _, c := range readGolden(f) {
		f.Add(c.w, c.addr)
	}
	for _, c := range undefCases {
		f.Add(c.w, uint64(0xffff800080010000))
	}
	f.Fuzz(func(t *testing.T, w uint32, pc uint64) {
		in := Decode(w)
		s := Disasm(w, pc, nosym)
		named := Disasm(w, pc, namedSym)
		safe := CMODXSafe(w)
		if in.Op == OpUndef {
			if want := fmt.Sprintf(".inst %#08x (undefined)", w); s != want || named != want || safe {
				t.Fatalf("%08x: undefined, but Disasm = %q, %q, CMODXSafe = %v", w, s, named, safe)
			}
			return
		}
		if strings.Contains(s, "undefined") || s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
			t.Fatalf("%08x: Disasm = %q", w, s)
		}
		if targetOps[in.Op] {
			want := target(in, pc)
			m := addrField.FindString(s)
			got, err := strconv.ParseUint(strings.TrimPrefix(m, "0x"), 16, 64)
			if m == "" || err != nil || got != want {
				t.Fatalf("%08x at %#x: Disasm = %q, want target %#x (Imm %d)", w, pc, s, want, in.Imm)
			}
			if !strings.HasSuffix(named, fmt.Sprintf("%#x <sym_%x>", want, want)) {
				t.Fatalf("%08x at %#x: Disasm with names = %q", w, pc, named)
			}
			bits, align := uint(19), int64(4)
			switch in.Op {
			case OpB, OpBL:
				bits = 26
			case OpADR:
				bits, align = 21, 1
			case OpADRP:
				bits, align = 21, 4096
			}
			if lim := align << (bits - 1); in.Imm%align != 0 || in.Imm < -lim || in.Imm >= lim {
				t.Fatalf("%08x: Imm %d is no multiple of %d in [-%d, %d)", w, in.Imm, align, lim, lim)
			}
		}
		enc, ok := uint32(0), true
		switch {
		case in.Op == OpB || in.Op == OpBL:
			var inRange bool
			enc, inRange = B(pc, pc+uint64(in.Imm), in.Op == OpBL)
			if !inRange {
				t.Fatalf("%08x: B reports out of range for its own offset %d", w, in.Imm)
			}
		case (in.Op == OpCBZ || in.Op == OpCBNZ) && !in.W:
			enc = CBZ(in.Rd, pc, pc+uint64(in.Imm), in.Op == OpCBNZ)
		case in.Op == OpBR:
			enc = BR(in.Rn)
		case in.Op == OpBLR:
			enc = BLR(in.Rn)
		case in.Op == OpRet:
			enc = Ret(in.Rn)
		case in.Op == OpADRP:
			enc = ADRP(in.Rd, pc, Page(pc)+uint64(in.Imm))
		case in.Op == OpLdrLit && !in.W:
			enc = LdrLit(in.Rd, pc, pc+uint64(in.Imm))
		case in.Op == OpLdrImm && !in.W:
			enc = LdrImm(in.Rd, in.Rn, uint32(in.Imm))
		case in.Op == OpAddImm && !in.W && w>>22&1 == 0:
			enc = AddImm(in.Rd, in.Rn, uint32(in.Imm))
		case in.Op == OpMovz && !in.W && w>>21&3 == 0:
			enc = Movz(in.Rd, uint16(in.Imm))
		case in.Op == OpStpPre:
			enc = StpPre(in.Rd, in.Rm, in.Rn, int(in.Imm))
		case in.Op == OpLdpPost:
			enc = LdpPost(in.Rd, in.Rm, in.Rn, int(in.Imm))
		default:
			ok = false
		}
		if ok && enc != w {
			t.Fatalf("%08x (%s): decoded %+v re-encodes to %#08x", w, s, in, enc)
		}
	})
}

// TestEncoders checks the encoders the litmus compiler uses against the
// decoder.
func TestEncoders(t *testing.T) {
	pc := uint64(0xffff800080010000)
	w, ok := BCond(1, pc, pc-8)
	if in := Decode(w); !ok || in.Op != OpBCond || in.Cond != 1 || in.Imm != -8 {
		t.Errorf("BCond: %+v", in)
	}
	w, ok = ADR(3, pc, pc+0x1234)
	if in := Decode(w); !ok || in.Op != OpADR || in.Rd != 3 || in.Imm != 0x1234 {
		t.Errorf("ADR: %+v", in)
	}
	if _, ok := ADR(3, pc, pc+1<<20); ok {
		t.Errorf("ADR out of reach accepted")
	}
	if in := Decode(SubsImm(XZR, 2, 7)); in.Op != OpSubsImm || in.Rd != XZR || in.Rn != 2 || in.Imm != 7 {
		t.Errorf("SubsImm: %+v", in)
	}
	if in := Decode(Csinc(0, XZR, XZR, 1)); in.Op != OpCsinc || in.Cond != 1 || in.Rn != XZR || in.Rm != XZR {
		t.Errorf("Csinc: %+v", in)
	}
	for _, op := range []Op{OpAndReg, OpOrrReg, OpEorReg} {
		if in := Decode(Logic(op, 1, 2, 3)); in.Op != op || in.Rd != 1 || in.Rn != 2 || in.Rm != 3 || in.W {
			t.Errorf("Logic %d: %+v", op, in)
		}
	}
}
