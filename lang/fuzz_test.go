package lang

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkErr fails unless err is nil or a *Error at a line of at least 1.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var le *Error
	if !errors.As(err, &le) {
		t.Fatalf("error %v is a %T, not a *Error", err, err)
	}
	if le.Pos.Line < 1 || le.Pos.Col < 1 {
		t.Fatalf("error %v at line %d, column %d", err, le.Pos.Line, le.Pos.Col)
	}
}

func FuzzParse(f *testing.F) {
	after := fuzzReadDir(f, "testdata/diff/after")
	f.Add(fuzzRead(f, "testdata/static_call_update.c"))
	for _, name := range slices.Sorted(maps.Keys(after)) {
		f.Add(after[name])
	}
	for _, src := range []string{
		fuzzMirrors + "void f(void) { switch (x) { case 1: case 2: a(); default: b(); } }",
		fuzzMirrors + "int f(int a, struct s *p) { for (int i = 0; i < a; i++) p->v[i] = (u8)~i ? sizeof(*p) : -1; return 0x1fUL; }",
		fuzzMirrors + "void f(void) { x = (struct s){ .a = 1, .b = \"s\" \"t\" }; out: ; }",
		fuzzMirrors + "void f(void) { while (a && !b || c) { goto out; } out: }",
		"#define HAVE_X\n#define Y (1 << 3)\n",
		"#define E\n" + fuzzMirrors + "#define T(name, insns) \\\n\tasm(\".align 4\\n\" STATIC_CALL_TRAMP_STR(name) \":\" E insns \"\\n\\t.byte 1\\n\")\n" +
			fuzzMirrors + "#define U(name, func) T(name, \".long \" #func \" - .\")\n",
		"enum insn_type { CALL = 0, NOP, JMP = 2, };\n" + fuzzMirrors + "void f(void) { u8 op, buf[6]; buf[0] = 0x0f; if ((op = g(x))) h(buf+1, op); }",
		"static struct notifier_block nb = {\n\t.notifier_call = g,\n\t.priority = 1,\n};\n" + fuzzMirrors + "static inline int g(struct notifier_block *self, unsigned long v, void *d) { return nb.notifier_call(&nb, v, d) + self->notifier_call(self, 0, NULL); }",
		fuzzMirrors + "static int addr_conflict(struct jump_entry *e, void *s, void *x) { if (jump_entry_code(e) <= (unsigned long)x && jump_entry_code(e) + jump_entry_size(e) > (unsigned long)s) return 1; return 0; }\n" + fuzzMirrors + "int addr_conflict2(void) { scoped_guard(rcu) { m = a(); if (!try_module_get(m)) m = NULL; } return 0; }",
		"struct p { const void *code; int size; };\n" + fuzzMirrors + "struct p f(int v) { do { if (v <= 0) return (struct p){.code = c, .size = v ^ 1}; } while (!likely(atomic_try_cmpxchg(&k->enabled, &v, v + 1))); }",
	} {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.c", src)
		checkErr(t, err)
		if err == nil && file == nil {
			t.Fatal("no file and no error")
		}
		if err != nil {
			return
		}
		// Each macro expands, or fails at a position.
		macros, empty := map[string]*Macro{}, map[string]bool{}
		for _, m := range file.Macros {
			macros[m.Name] = m
		}
		for _, d := range file.Defines {
			empty[d.Name] = d.X == nil
		}
		for _, m := range file.Macros {
			args := make([]string, len(m.Params))
			for i := range args {
				args[i] = "a"
			}
			_, err := Expand(macros, empty, m.Name, args, m.Pos)
			checkErr(t, err)
		}
	})
}

// FuzzPreprocess: Preprocess of two files never panics, its errors have
// positions, and what it returns keeps each file's lines: every line is
// the original's or empty.
func FuzzPreprocess(f *testing.F) {
	for _, c := range [][2]string{
		{"#ifdef X\n#ifndef Y\na\n#else\nb\n#endif\n#endif\n", "#define X\n"},
		{"/* #else */\n#ifndef HAVE_B // c\n" + fuzzMirrors + "void f(void) {}\n#else /* HAVE_B */\nx = \"#endif\";\n#endif", "#define HAVE_B\n#ifndef Z\n#define Z 1\n#endif\n"},
		{"#ifndef G\n#define G\n#endif\n", ""},
		{"#else\n", "#if 1\n"},
	} {
		f.Add([]byte(c[0]), []byte(c[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		out, err := Preprocess(map[string][]byte{"a.c": a, "b.h": b})
		checkErr(t, err)
		if err != nil {
			return
		}
		for name, src := range map[string][]byte{"a.c": a, "b.h": b} {
			got, want := strings.Split(string(out[name]), "\n"), strings.Split(string(src), "\n")
			if len(got) != len(want) {
				t.Fatalf("%s: %d lines, want %d", name, len(got), len(want))
			}
			for i := range got {
				if got[i] != "" && got[i] != want[i] {
					t.Fatalf("%s:%d: %q, want %q or an empty line", name, i+1, got[i], want[i])
				}
			}
		}
	})
}

func FuzzApplyDiff(f *testing.F) {
	before := fuzzReadDir(f, "testdata/diff/before")
	for _, name := range []string{"multi.diff", "one.diff", "plain.diff"} {
		f.Add(fuzzRead(f, "testdata/diff/"+name))
	}
	for _, d := range []string{
		"--- k.c\n+++ k.c\n@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -7,2 +7,2 @@\n 7\n-8\n+eight\n",
		"--- a/kernel/extable.c\n+++ b/kernel/extable.c\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
		"diff --git a/kernel/old.c b/kernel/older.c\nsimilarity index 100%\nrename from kernel/old.c\nrename to kernel/older.c\n",
		"some text\n@@ -1 +1 @@\n-a\n+b\n",
	} {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, diff []byte) {
		out, err := ApplyDiff(before, "fuzz.diff", diff)
		checkErr(t, err)
		if err == nil && out == nil {
			t.Fatal("no files and no error")
		}
	})
}

// The fuzz targets' helpers are here, not the other _test.go files':
// go-118-fuzz-build (OSS-Fuzz) compiles this file alone, with its own
// testing shim, which has no testing.TB.

// fuzzMirrors is m, the mirrors comment.
const fuzzMirrors = "/* mirrors: t */\n"

type fuzzTB interface{ Fatal(args ...any) }

// fuzzRead is mustRead.
func fuzzRead(t fuzzTB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzReadDir is loadDir.
func fuzzReadDir(t fuzzTB, dir string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// fuzzISA is an ISA for FuzzAsm: every instruction is one byte, or four
// with operands; @l is its one relocation.
type fuzzISA struct{}

func (fuzzISA) Size(st *AsmStmt) (int, error) {
	if st.Op == "bad" {
		return 0, &Error{Pos: st.Pos, Msg: "bad"}
	}
	if len(st.Args) > 0 {
		return 4, nil
	}
	return 1, nil
}

func (fuzzISA) Encode(st *AsmStmt, pc uint64, eval func(*AsmExpr) (int64, error)) ([]byte, error) {
	if len(st.Args) == 0 {
		return []byte{0x90}, nil
	}
	var v int64
	for _, a := range st.Args {
		if a.X == nil {
			continue
		}
		x, err := eval(a.X)
		if err != nil {
			return nil, err
		}
		v += x
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(v)), nil
}

func (fuzzISA) Reloc(name string, v int64) (int64, bool) { return v & 0xffff, name == "l" }
func (fuzzISA) Order() binary.AppendByteOrder            { return binary.LittleEndian }
func (fuzzISA) AlignPow2() bool                          { return false }
func (fuzzISA) Fill(n int) []byte                        { return make([]byte, n) }

// FuzzAsm: the assembler's statement parser and its directives never
// panic on any text, their errors have positions, and what assembles
// has its labels inside it.
func FuzzAsm(f *testing.F) {
	for _, src := range []string{
		".pushsection .static_call.text, \"ax\"\n.align 4\n.globl __SCT__k\n__SCT__k:\n.byte 0xe9; .long f1 - (. + 4)\n.byte 0x0f, 0xb9, 0xcc\n.type __SCT__k, @function\n.size __SCT__k, . - __SCT__k\n.popsection\n",
		".pushsection .text, \"ax\"\n.align 5\nt:\nb f1\n\tlis\t12,2f@ha\n\tlwz\t12,2f@l(12)\n1:\tli\t3, 0\n\tblr\n.balign 8\n2:\t.long 0\n.popsection\n",
		".pushsection .text, \"ax\"\n.align 5\nt:\nnop\n2:\tlis\t12,0\n\taddi\t12,12,0\n\taddi\t12,12\n\tmtctr\t12\n1:\tli\t3, 0\n.popsection\n",
		// powerpc64 (the series' module trampoline: $, chained @toc@ha,
		// .TOC., .localentry, .8byte).
		".pushsection .text, \"ax\"\n.align 6\n.localentry t, 1\nt:\n\tmflr 11\n\tbcl 20, 31, $+4\n0:\tmflr 12\n\taddi 12, 12, (t - 0b)\n\taddis 2, 12, (.TOC.-t)@ha\n\tld 12, 2f@toc@l(12)\n\taddis 12, 2, 2f@toc@ha\n.balign 8\n2:\t.8byte 0\n.popsection\n",
		"ret; int3 # a comment; nop\n1: 1: jmp 1b\n.byte -1, 256\n.quad 1b-2f\n2:",
		".pushsection .a\n.pushsection .discard\n.long 9f\n.popsection\n.p2align 3\n.long %esp, \"x\", (1\n",
		// arm64 (// comments, '#' immediates, [Xn, OFFSET], :lo12:, a
		// second section): the mainline trampoline and the v6 one.
		"\t.pushsection .static_call.text, \"ax\"\n\t.align\t4\n__SCT__k:\n\thint\t34\t/* BTI C */\n\tadrp\tx16, 1f\n\tldr\tx16, [x16, :lo12:1f]\n\tbr\tx16\n\t.type __SCT__k, %function\n\t.popsection\n\t.pushsection .rodata, \"a\"\n\t.align\t3\n1:\t.quad\tf1\n\t.popsection\n",
		"\t.pushsection\t.static_call.text, \"ax\"\n\t.align\t\t4\n0:\t.quad\t\t0x0\n__SCT__k:\n\thint \t\t34\t/* BTI C */\n\tb f1\n\tldr\t\tx16, 0b\n\tcbz\t\tx16, 1f // a comment\n\tbr\t\tx16\n1:\tret\n\t.popsection\n",
		"add x16, x16, #:lo12:(f1 + 8); ldr x0, [sp, #-8]; mov x0, #0xffff800080000000 /* unterminated",
	} {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var tx Text
		line, col := 1, 1
		for _, c := range src {
			tx.add(c, Pos{File: "fuzz.h", Line: line, Col: col})
			col++
			if c == '\n' {
				line, col = line+1, 1
			}
		}
		stmts, err := ParseAsm(tx)
		checkErr(t, err)
		if err == nil {
			a, err := Assemble(stmts, fuzzISA{}, 0x1000, func(name string) (uint64, bool) { return 0x2000, name == "f1" })
			checkErr(t, err)
			if err == nil {
				for name, addr := range a.Labels {
					if addr < a.Origin || addr > a.Origin+uint64(len(a.Bytes)) {
						t.Fatalf("label %s at %#x, outside %#x+%d", name, addr, a.Origin, len(a.Bytes))
					}
				}
			}
		}
		// arm64's syntax, with a second section kept (.rodata).
		stmts, err = ParseAsmComment(tx, "//")
		checkErr(t, err)
		if err != nil {
			return
		}
		a, err := AssembleSections(stmts, fuzzISA{}, 0x1000, func(s string) (uint64, bool) { return 0x8000, s == ".rodata" },
			func(name string) (uint64, bool) { return 0x2000, name == "f1" })
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, d := range a.Data {
			in := d[0] >= a.Origin && d[1] <= a.Origin+uint64(len(a.Bytes))
			if ro := a.Others[".rodata"]; ro != nil {
				in = in || d[0] >= ro.Origin && d[1] <= ro.Origin+uint64(len(ro.Bytes))
			}
			if !in || d[1] <= d[0] {
				t.Fatalf("data %#x-%#x outside the sections", d[0], d[1])
			}
		}
	})
}
