package x86

import (
	"fmt"
	"strings"
	"testing"

	"encoding/hex"
	"github.com/patchcheck/patchcheck/internal/golden"
	"pgregory.net/rapid"
)

// goldenAddr is the address of every instruction in testdata/insns.txt.
const goldenAddr uint64 = 0xffffffff81001000

// hexSym names a branch target by its address, as "%#x".
func hexSym(a uint64) string { return fmt.Sprintf("%#x", a) }

// goldenCase is one line of testdata/insns.txt.
type goldenCase struct {
	line int    // 1-based line in the file
	code []byte // the instruction bytes
	want string // the expected disassembly, "(bad)" for none
}

// String names c in failure messages.
func (c goldenCase) String() string {
	return fmt.Sprintf("insns.txt:%d: % x", c.line, c.code)
}

// readGolden reads testdata/insns.txt: "hex bytes | disassembly" lines,
// with blank lines and "#" comment lines skipped. A malformed line fails
// the test.
func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, l := range golden.Read(t, "testdata/insns.txt", 2, 1) {
		code, err := hex.DecodeString(strings.Join(strings.Fields(l.Fields[0]), ""))
		if err != nil || len(code) == 0 {
			t.Fatalf("insns.txt:%d: bad hex %q: %v", l.N, l.Fields[0], err)
		}
		cases = append(cases, goldenCase{line: l.N, code: code, want: l.Fields[1]})
	}
	return cases
}

// TestDisasmGolden checks Disasm against testdata/insns.txt, and that
// InsnLen agrees: the byte count for an instruction, and for "(bad)" less
// than 0 (undefined), 0 (too short to tell) or more than the bytes given
// (cut short after a known opcode).
func TestDisasmGolden(t *testing.T) {
	for _, c := range readGolden(t) {
		t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) {
			if got := Disasm(c.code, goldenAddr, hexSym); got != c.want {
				t.Errorf("%v: Disasm = %q, want %q", c, got, c.want)
			}
			n := InsnLen(c.code)
			if c.want == "(bad)" {
				if n > 0 && n <= len(c.code) {
					t.Errorf("%v: InsnLen = %d for a (bad) line", c, n)
				}
				return
			}
			if n != len(c.code) {
				t.Errorf("%v: InsnLen = %d, want %d", c, n, len(c.code))
			}
		})
	}
}

// TestDisasmIgnoresTrailingBytes checks that Disasm of a golden
// instruction followed by more bytes renders only that instruction, and
// that InsnLen still gives its length: the CPU decodes from a byte stream.
func TestDisasmIgnoresTrailingBytes(t *testing.T) {
	tails := [][]byte{{Int3Opcode}, {0x0f, 0x0b}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, Nop5}
	for _, c := range readGolden(t) {
		if c.want == "(bad)" {
			continue
		}
		for _, tail := range tails {
			b := append(append([]byte(nil), c.code...), tail...)
			if got := Disasm(b, goldenAddr, hexSym); got != c.want {
				t.Errorf("%v + % x: Disasm = %q, want %q", c, tail, got, c.want)
			}
			if n := InsnLen(b); n != len(c.code) {
				t.Errorf("%v + % x: InsnLen = %d, want %d", c, tail, n, len(c.code))
			}
		}
	}
}

// completable reports whether appending at most depth more bytes to b can
// make InsnLen positive. It prunes extensions that InsnLen already
// rejects, so it stays cheap for the few prefixes that are still open;
// *budget bounds the InsnLen calls, so that an InsnLen that keeps too many
// prefixes open fails the test instead of hanging it.
func completable(b []byte, depth int, budget *int) bool {
	if depth == 0 {
		return false
	}
	for c := 0; c < 256 && *budget > 0; c++ {
		*budget--
		e := append(b[:len(b):len(b)], byte(c))
		switch n := InsnLen(e); {
		case n > 0:
			return true
		case n == 0 && completable(e, depth-1, budget):
			return true
		}
	}
	return false
}

// maxInsn is the longest instruction of the subset (a Jcc rel32).
const maxInsn = 6

// checkInsnLen checks the InsnLen properties on b, with tail as the bytes
// that may follow: 0 only when b is shorter than an instruction and some
// continuation makes it one; n > 0 is kept by every slice that starts with
// the same (up to n) bytes; n < 0 is kept by every extension. It returns a
// description of the first broken property, or "".
func checkInsnLen(b, tail []byte) string {
	n := InsnLen(b)
	ext := append(b[:len(b):len(b)], tail...)
	switch {
	case n == 0:
		if len(b) >= maxInsn {
			return fmt.Sprintf("InsnLen(% x) = 0 with %d bytes", b, len(b))
		}
		budget := 1 << 16
		if !completable(b, maxInsn-len(b), &budget) {
			return fmt.Sprintf("InsnLen(% x) = 0 but no continuation of up to %d bytes is an instruction", b, maxInsn-len(b))
		}
	case n > 0:
		k := min(n, len(b))
		if same := append(b[:k:k], tail...); InsnLen(same) != n {
			return fmt.Sprintf("InsnLen(% x) = %d but InsnLen(% x) = %d", b, n, same, InsnLen(same))
		}
		if m := InsnLen(ext); m != n {
			return fmt.Sprintf("InsnLen(% x) = %d but InsnLen(% x) = %d", b, n, ext, m)
		}
		if n > maxInsn {
			return fmt.Sprintf("InsnLen(% x) = %d, longer than any instruction of the subset", b, n)
		}
	default:
		if m := InsnLen(ext); m >= 0 {
			return fmt.Sprintf("InsnLen(% x) = %d but its extension % x gives %d", b, n, ext, m)
		}
	}
	return ""
}

// TestInsnLenShortPrefixes checks the InsnLen properties exhaustively on
// every 1- and 2-byte string, each followed by every single byte.
func TestInsnLenShortPrefixes(t *testing.T) {
	if n := InsnLen(nil); n != 0 {
		t.Fatalf("InsnLen(nil) = %d, want 0", n)
	}
	fails := 0
	check := func(b []byte) {
		for c := 0; c < 256 && fails < 10; c++ {
			if msg := checkInsnLen(b, []byte{byte(c)}); msg != "" {
				t.Error(msg)
				fails++
			}
		}
	}
	for x := 0; x < 256; x++ {
		check([]byte{byte(x)})
		for y := 0; y < 256; y++ {
			check([]byte{byte(x), byte(y)})
		}
	}
}

// interesting are the bytes of the subset's encodings: random strings
// drawn mostly from them reach the longer fixed sequences.
var interesting = []byte{0x00, 0x0b, 0x0f, 0x1f, 0x2e, 0x31, 0x44, 0x80, 0x84, 0x8f,
	0x90, 0xb8, 0xb9, 0xc0, 0xc3, 0xc9, 0xcc, 0xe8, 0xe9, 0xeb, 0xff}

// genByte draws a byte, often one of interesting.
var genByte = rapid.OneOf(rapid.Byte(), rapid.SampledFrom(interesting))

// TestInsnLenRandom checks the InsnLen properties, and that Disasm agrees
// with InsnLen without panicking, on random longer byte strings.
func TestInsnLenRandom(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := rapid.SliceOfN(genByte, 0, 12).Draw(rt, "b")
		tail := rapid.SliceOfN(genByte, 0, 8).Draw(rt, "tail")
		if msg := checkInsnLen(b, tail); msg != "" {
			rt.Fatal(msg)
		}
		n := InsnLen(b)
		d := Disasm(b, goldenAddr, hexSym)
		if good := n > 0 && n <= len(b); good == (d == "(bad)") {
			rt.Fatalf("InsnLen(% x) = %d but Disasm = %q", b, n, d)
		}
	})
}

// branchOps are the opcodes GenInsn encodes: CALL, JMP32 and every Jcc.
func branchOps() [][]byte {
	ops := [][]byte{{CallOpcode}, {Jmp32Opcode}}
	for cc := byte(0); cc < 16; cc++ {
		ops = append(ops, []byte{0x0f, 0x80 | cc})
	}
	return ops
}

// TestGenInsnTargetRoundTrip checks Target(GenInsn(op, addr, dest), addr)
// == dest for kernel text addresses and destinations within the ±2 GiB a
// rel32 reaches, and that the encoding is one instruction of the subset.
func TestGenInsnTargetRoundTrip(t *testing.T) {
	ops := branchOps()
	rapid.Check(t, func(rt *rapid.T) {
		op := rapid.SampledFrom(ops).Draw(rt, "op")
		addr := 0xffffffff80000000 | rapid.Uint64Range(0, 0x0fffffff).Draw(rt, "addr")
		rel := rapid.Int64Range(-1<<31, 1<<31-1).Draw(rt, "rel")
		end := addr + uint64(len(op)) + 4
		dest := end + uint64(rel)
		insn := GenInsn(op, addr, dest)
		if len(insn) != len(op)+4 || string(insn[:len(op)]) != string(op) {
			rt.Fatalf("GenInsn(% x, %#x, %#x) = % x", op, addr, dest, insn)
		}
		if n := InsnLen(insn); n != len(insn) {
			rt.Fatalf("InsnLen(% x) = %d, want %d", insn, n, len(insn))
		}
		if got := Target(insn, addr); got != dest {
			rt.Fatalf("Target(% x, %#x) = %#x, want %#x", insn, addr, got, dest)
		}
	})
}

// TestGenInsnEdges checks GenInsn's encoding at the ends of the rel32
// range and for a branch to itself.
func TestGenInsnEdges(t *testing.T) {
	var addr uint64 = 0xffffffff81002000 // a variable: dest may wrap
	tests := []struct {
		name string
		op   []byte
		dest uint64
		want []byte
	}{
		{"call next", []byte{CallOpcode}, addr + 5, []byte{0xe8, 0, 0, 0, 0}},
		{"jmp self", []byte{Jmp32Opcode}, addr, []byte{0xe9, 0xfb, 0xff, 0xff, 0xff}},
		{"je self", []byte{0x0f, 0x84}, addr, []byte{0x0f, 0x84, 0xfa, 0xff, 0xff, 0xff}},
		{"call +2GiB-1", []byte{CallOpcode}, addr + 5 + 0x7fffffff, []byte{0xe8, 0xff, 0xff, 0xff, 0x7f}},
		{"call -2GiB", []byte{CallOpcode}, addr + 5 - 0x80000000, []byte{0xe8, 0x00, 0x00, 0x00, 0x80}},
		{"jg -2GiB", []byte{0x0f, 0x8f}, addr + 6 - 0x80000000, []byte{0x0f, 0x8f, 0x00, 0x00, 0x00, 0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GenInsn(tt.op, addr, tt.dest)
			if string(got) != string(tt.want) {
				t.Errorf("GenInsn = % x, want % x", got, tt.want)
			}
			if d := Target(got, addr); d != tt.dest {
				t.Errorf("Target = %#x, want %#x", d, tt.dest)
			}
		})
	}
}

// flagSet is one combination of the modelled EFLAGS bits.
type flagSet struct{ zf, cf, sf, of, pf bool }

// bits encodes f as the model's flag word.
func (f flagSet) bits() uint8 {
	var b uint8
	for _, x := range []struct {
		on  bool
		bit uint8
	}{{f.zf, flagZF}, {f.cf, flagCF}, {f.sf, flagSF}, {f.of, flagOF}, {f.pf, flagPF}} {
		if x.on {
			b |= x.bit
		}
	}
	return b
}

// allFlagSets returns the 32 combinations of ZF, CF, SF, OF and PF.
func allFlagSets() []flagSet {
	var out []flagSet
	for i := 0; i < 32; i++ {
		out = append(out, flagSet{i&1 != 0, i&2 != 0, i&4 != 0, i&8 != 0, i&16 != 0})
	}
	return out
}

// TestCond checks cond for all 16 condition codes against every flag
// combination, each condition written as the Intel SDM's Jcc table
// states it (Vol. 2A, "Jcc—Jump if Condition Is Met").
func TestCond(t *testing.T) {
	tests := []struct {
		cc    byte
		name  string // the mnemonic Disasm prints
		sdm   string // the SDM's condition
		taken func(f flagSet) bool
	}{
		{0x0, "jo", "OF=1", func(f flagSet) bool { return f.of }},
		{0x1, "jno", "OF=0", func(f flagSet) bool { return !f.of }},
		{0x2, "jb", "CF=1", func(f flagSet) bool { return f.cf }},
		{0x3, "jae", "CF=0", func(f flagSet) bool { return !f.cf }},
		{0x4, "je", "ZF=1", func(f flagSet) bool { return f.zf }},
		{0x5, "jne", "ZF=0", func(f flagSet) bool { return !f.zf }},
		{0x6, "jbe", "CF=1 or ZF=1", func(f flagSet) bool { return f.cf || f.zf }},
		{0x7, "ja", "CF=0 and ZF=0", func(f flagSet) bool { return !f.cf && !f.zf }},
		{0x8, "js", "SF=1", func(f flagSet) bool { return f.sf }},
		{0x9, "jns", "SF=0", func(f flagSet) bool { return !f.sf }},
		{0xa, "jp", "PF=1", func(f flagSet) bool { return f.pf }},
		{0xb, "jnp", "PF=0", func(f flagSet) bool { return !f.pf }},
		{0xc, "jl", "SF≠OF", func(f flagSet) bool { return f.sf != f.of }},
		{0xd, "jge", "SF=OF", func(f flagSet) bool { return f.sf == f.of }},
		{0xe, "jle", "ZF=1 or SF≠OF", func(f flagSet) bool { return f.zf || f.sf != f.of }},
		{0xf, "jg", "ZF=0 and SF=OF", func(f flagSet) bool { return !f.zf && f.sf == f.of }},
	}
	if len(tests) != 16 {
		t.Fatalf("%d condition codes in the table, want 16", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := "j" + ccNames[tt.cc]; got != tt.name {
				t.Errorf("cc %#x prints as %s, want %s", tt.cc, got, tt.name)
			}
			for _, f := range allFlagSets() {
				if got, want := cond(tt.cc, f.bits()), tt.taken(f); got != want {
					t.Errorf("cond(%#x, %+v) = %v, want %v (%s)", tt.cc, f, got, want, tt.sdm)
				}
			}
		})
	}
}

// TestCondAfterXor checks the flags that xor %reg,%reg leaves (ZF=1, PF=1,
// CF=OF=SF=0), which the port uses to make the Jcc tail site's je taken.
func TestCondAfterXor(t *testing.T) {
	const f = flagZF | flagPF
	taken := map[byte]bool{0x1: true, 0x3: true, 0x4: true, 0x6: true, 0x9: true, 0xa: true, 0xd: true, 0xe: true}
	for cc := byte(0); cc < 16; cc++ {
		if got := cond(cc, f); got != taken[cc] {
			t.Errorf("j%s after xor: taken = %v, want %v", ccNames[cc], got, taken[cc])
		}
	}
}

// cat concatenates byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestCheck checks __static_call_validate: a trampoline needs the ud1
// signature and a tail instruction; a tail site takes JMP, RET or Jcc; a
// call site takes CALL, NOP5 or xor5rax. Anything else is a BUG.
func TestCheck(t *testing.T) {
	const site = 0xffffffff81002000
	call := GenInsn([]byte{CallOpcode}, site, 0xffffffff81000100)
	jmp := GenInsn([]byte{Jmp32Opcode}, site, 0xffffffff81000100)
	je := GenInsn([]byte{0x0f, 0x84}, site, 0xffffffff81000100)
	jg := GenInsn([]byte{0x0f, 0x8f}, site, 0xffffffff81000100)
	const (
		noSig = "__static_call_validate: trampoline signature (ud1) missing: BUG"
		ok    = ""
	)
	bad := func(b []byte) string {
		return fmt.Sprintf("__static_call_validate: unexpected instruction % x: BUG", b)
	}
	tests := []struct {
		name  string
		check int
		text  []byte
		want  string
	}{
		{"tramp jmp+ud1", CheckTramp, cat(jmp, TrampUD), ok},
		{"tramp ret+ud1", CheckTramp, cat(RetInsn, TrampUD), ok},
		{"tramp jmp without ud1", CheckTramp, cat(jmp, []byte{0xcc, 0xcc, 0xcc}), noSig},
		{"tramp jmp with ud2", CheckTramp, cat(jmp, []byte{0x0f, 0x0b, 0xcc}), noSig},
		{"tramp jmp+ud1 cut short", CheckTramp, cat(jmp, TrampUD[:2]), noSig},
		{"tramp jmp only", CheckTramp, jmp, noSig},
		{"tramp call+ud1", CheckTramp, cat(call, TrampUD), bad(call)},
		{"tramp nop5+ud1", CheckTramp, cat(Nop5, TrampUD), bad(Nop5)},
		{"tail jmp", CheckTail, jmp, ok},
		{"tail ret", CheckTail, RetInsn, ok},
		{"tail je", CheckTail, je, ok},
		{"tail jg", CheckTail, jg, ok},
		{"tail call", CheckTail, call, bad(call)},
		{"tail nop5", CheckTail, Nop5, bad(Nop5)},
		{"tail int3", CheckTail, []byte{0xcc, 0xcc, 0xcc, 0xcc, 0xcc}, bad([]byte{0xcc, 0xcc, 0xcc, 0xcc, 0xcc})},
		{"call call", CheckCall, call, ok},
		{"call nop5", CheckCall, Nop5, ok},
		{"call xor5rax", CheckCall, Xor5rax, ok},
		{"call jmp", CheckCall, jmp, bad(jmp)},
		{"call ret", CheckCall, RetInsn, bad(RetInsn)},
		{"call xor5rcx", CheckCall, []byte{0x2e, 0x2e, 0x2e, 0x31, 0xc9}, bad([]byte{0x2e, 0x2e, 0x2e, 0x31, 0xc9})},
		{"call nop5 off by one", CheckCall, []byte{0x0f, 0x1f, 0x44, 0x00, 0x01}, bad([]byte{0x0f, 0x1f, 0x44, 0x00, 0x01})},
	}
	a := &Arch{granule: 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := append([]byte(nil), tt.text...)
			if got := a.Check(tt.check, text); got != tt.want {
				t.Errorf("Check(%d, % x) = %q, want %q", tt.check, tt.text, got, tt.want)
			}
		})
	}
}
