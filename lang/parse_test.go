package lang

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const staticCallUpdateTree = `void static_call_lock()
{
  mutex_lock((&static_call_mutex))
}
void __static_call_update(struct static_call_key * key, void * tramp, void * func)
{
  decl struct static_call_site * site, struct static_call_site * stop
  decl struct static_call_mod * site_mod, struct static_call_mod first
  cpus_read_lock()
  static_call_lock()
  if ((key->func) == func)
    goto done
  ((key->func) = func)
  arch_static_call_transform(NULL, tramp, func, false)
  if WARN_ON_ONCE((!static_call_initialized))
    goto done
  (first = (struct static_call_mod){.next=static_call_key_next(key), .mod=NULL, .sites=static_call_key_sites(key)})
  for (site_mod = (&first)); site_mod; (site_mod = (site_mod->next))
    {
      decl bool init = (system_state < SYSTEM_RUNNING)
      decl struct module * mod = (site_mod->mod)
      if (!(site_mod->sites))
        {
          continue
        }
      (stop = __stop_static_call_sites)
      if mod
        {
          (stop = ((mod->static_call_sites) + (mod->num_static_call_sites)))
          (init = ((mod->state) == MODULE_STATE_COMING))
        }
      for (site = (site_mod->sites)); ((site < stop) && (static_call_key(site) == key)); (site++)
        {
          decl void * site_addr = static_call_addr(site)
          if ((!init) && static_call_is_init(site))
            continue
          if (!kernel_text_address(((unsigned long)site_addr)))
            {
              WARN_ONCE((!static_call_is_init(site)), "can't patch static call site at %pS", site_addr)
              continue
            }
          arch_static_call_transform(site_addr, tramp, func, static_call_is_tail(site))
        }
    }
  done:
  static_call_unlock()
  cpus_read_unlock()
}
`

func TestParseStaticCallUpdate(t *testing.T) {
	const name = "kernel/static_call_inline.c"
	f, err := Parse(name, mustRead(t, "testdata/static_call_update.c"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != name || len(f.Funcs) != 2 {
		t.Fatalf("file %q with %d functions, want %q with 2", f.Name, len(f.Funcs), name)
	}
	var got strings.Builder
	for _, fn := range f.Funcs {
		got.WriteString(dumpFunc(fn))
	}
	if got.String() != staticCallUpdateTree {
		t.Errorf("tree:\n%s\nwant:\n%s", got.String(), staticCallUpdateTree)
	}

	upd := f.Funcs[1]
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"Mirrors", upd.Mirrors, "kernel/static_call_inline.c __static_call_update() v6.16"},
		{"lock Mirrors", f.Funcs[0].Mirrors, "kernel/static_call_inline.c static_call_lock() v6.16"},
		{"Pos", upd.Pos, Pos{name, 14, 1}},
		{"End", upd.End, Pos{name, 95, 1}},
		{"lock Pos", f.Funcs[0].Pos, Pos{name, 8, 1}},
		{"Ret", dumpType(upd.Ret), "void"},
		{"Param 0 Pos", upd.Params[0].Pos, Pos{name, 14, 51}},
		{"Body Pos", upd.Body.Pos, Pos{name, 15, 1}},
		{"first decl Pos", StmtPos(upd.Body.Stmts[0]), Pos{name, 16, 2}},
		{"stop VarDecl Pos", upd.Body.Stmts[0].(*Decl).Vars[1].Pos, Pos{name, 16, 34}},
		{"goto Pos", StmtPos(upd.Body.Stmts[4].(*If).Then), Pos{name, 23, 3}},
		{"label Pos", StmtPos(upd.Body.Stmts[10]), Pos{name, 92, 1}},
		{"label stmt Pos", StmtPos(upd.Body.Stmts[10].(*Labeled).Stmt), Pos{name, 93, 2}},
		{"assign Pos", ExprPos(upd.Body.Stmts[8].(*ExprStmt).X), Pos{name, 36, 2}},
		{"composite Pos", ExprPos(upd.Body.Stmts[8].(*ExprStmt).X.(*Assign).R), Pos{name, 36, 10}},
		{"field .sites Pos", upd.Body.Stmts[8].(*ExprStmt).X.(*Assign).R.(*Composite).Fields[2].Pos, Pos{name, 39, 3}},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// parseBody parses src as the body of a function and returns its tree.
func parseBody(src string) (string, error) {
	f, err := Parse("", []byte("/* mirrors: test */\nvoid f(void)\n{\n"+src+"\n}\n"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, s := range f.Funcs[0].Body.Stmts {
		dumpStmt(&b, s, "")
	}
	return b.String(), nil
}

func TestParseExprs(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"a = b = c", "(a = (b = c))"},
		{"a |= b & c", "(a |= (b & c))"},
		{"x = a || b && c | d ^ e & f == g < h << i + j * k", "(x = (a || (b && (c | (d ^ (e & (f == (g < (h << (i + (j * k)))))))))))"},
		{"x = a * b + c << d < e == f & g ^ h | i && j || k", "(x = ((((((((((a * b) + c) << d) < e) == f) & g) ^ h) | i) && j) || k))"},
		{"x = a - b - c", "(x = ((a - b) - c))"},
		{"x = a / b % c", "(x = ((a / b) % c))"},
		{"x = a != b >= c", "(x = (a != (b >= c)))"},
		{"x = a > b <= c >> d", "(x = ((a > b) <= (c >> d)))"},
		{"x = c ? a : b ? d : e", "(x = (c ? a : (b ? d : e)))"},
		{"x = c ? a = 1 : 2", "(x = (c ? (a = 1) : 2))"},
		{"x = !-~*&y", "(x = (!(-(~(*(&y))))))"},
		{"++*p", "(++(*p))"},
		{"--x", "(--x)"},
		{"p->a.b[i]++", "((((p->a).b)[i])++)"},
		{"x--", "(x--)"},
		{"*p->q = 1", "((*(p->q)) = 1)"},
		{"&x->y", "(&(x->y))"},
		{"x = (unsigned long)p + 1", "(x = (((unsigned long)p) + 1))"},
		{"x = (struct static_call_key *)(p + 1)", "(x = ((struct static_call_key *)(p + 1)))"},
		{"x = (const struct foo **)p", "(x = ((struct foo **)p))"},
		{"(void)f()", "((void)f())"},
		{"x = (a + b) * c", "(x = ((a + b) * c))"},
		{"x = sizeof(struct foo)", "(x = sizeof(struct foo))"},
		{"x = sizeof(unsigned long *)", "(x = sizeof(unsigned long *))"},
		{"x = sizeof(*p)", "(x = sizeof((*p)))"},
		{"x = sizeof x + 1", "(x = (sizeof(x) + 1))"},
		{"x = (struct s){}", "(x = (struct s){})"},
		{"x = (struct s){ .a = 1, .b = y ? 2 : 3 }", "(x = (struct s){.a=1, .b=(y ? 2 : 3)})"},
		{"x = (struct s){ .a = 1 }.a", "(x = ((struct s){.a=1}.a))"},
		{`pr_err("a" "b\n" "c\"")`, `pr_err("ab\\nc\\\"")`},
		{"x = 0x1F + 017 + 42ul + 0 + 1ULL + 0xffffffffffffffff", "(x = (((((0x1F + 017) + 42ul) + 0) + 1ULL) + 0xffffffffffffffff))"},
		{"x = NULL == true", "(x = (NULL == true))"},
		{"f(a, g(b, c), (d))", "f(a, g(b, c), d)"},
		{"f()", "f()"},
		{"(f)(x)", "f(x)"},
		{"x = -1", "(x = (-1))"},
	} {
		got, err := parseBody(c.src + ";")
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		want := c.want + "\n"
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, want)
		}
	}
}

func TestParseIntValues(t *testing.T) {
	for _, c := range []struct {
		src  string
		want uint64
	}{
		{"0", 0}, {"42", 42}, {"0x1F", 31}, {"0X1f", 31}, {"017", 15},
		{"42ul", 42}, {"1ULL", 1}, {"7LU", 7}, {"0xffffffffffffffff", 1<<64 - 1},
		{"18446744073709551615u", 1<<64 - 1},
	} {
		f, err := Parse("", []byte("/* mirrors: t */ int f(void) { return "+c.src+"; }"))
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		n := f.Funcs[0].Body.Stmts[0].(*Return).X.(*Int)
		if n.Value != c.want || n.Text != c.src {
			t.Errorf("%s: Int{%d, %q}, want {%d, %q}", c.src, n.Value, n.Text, c.want, c.src)
		}
	}
}

func TestParseStmts(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"int a, *b = &a, **c;", "decl int a, int * b = (&a), int ** c\n"},
		{"unsigned long x = 1;", "decl unsigned long x = 1\n"},
		{"const struct foo *p;", "decl struct foo * p\n"},
		{"static int n;", "decl int n\n"},
		{"enum module_state s = MODULE_STATE_LIVE;", "decl enum module_state s = MODULE_STATE_LIVE\n"},
		{"u8 op, buf[6];", "decl u8 op, u8 buf[6]\n"},
		{"x = a ? : b;", "(x = (a ?: b))\n"},
		{"u8 *insn; size_t len;", "decl u8 * insn\ndecl size_t len\n"},
		{"struct static_call_mod m = { .mod = NULL };", "decl struct static_call_mod m = (struct static_call_mod){.mod=NULL}\n"},
		{"if (a) b(); else if (c) d(); else { e(); }", "if a\n  b()\nelse\n  if c\n    d()\n  else\n    {\n      e()\n    }\n"},
		{"if (a) if (b) c(); else d();", "if a\n  if b\n    c()\n  else\n    d()\n"},
		{"for (;;) ;", "for <nil>; <nil>; <nil>\n  ;\n"},
		{"for (int i = 0; i < n; i++) f(i);", "for decl int i = 0; (i < n); (i++)\n  f(i)\n"},
		{"for (i = 0; ; ) break;", "for (i = 0); <nil>; <nil>\n  break\n"},
		{"while (!done) { continue; }", "while (!done)\n  {\n    continue\n  }\n"},
		{"switch (x) { case 1: case 2: a(); case 3: b(); break; default: c(); case 4: ; }",
			"switch x\ncase 1, 2:\n  a()\ncase 3:\n  b()\n  break\ndefault:\n  c()\ncase 4:\n  ;\n"},
		{"switch (x) { default: case A: return; }", "switch x\ndefault:\ncase A:\n  return\n"},
		{"switch (x) { }", "switch x\n"},
		{"goto out; out: return 1;", "goto out\nout:\nreturn 1\n"},
		{"a: b: ;", "a:\nb:\n;\n"},
		{"{ x = 1; } out:", "{\n  (x = 1)\n}\nout:\n;\n"},
		{"return;", "return\n"},
		{";;", ";\n;\n"},
		{"x = c ? a : b;", "(x = (c ? a : b))\n"},
	} {
		got, err := parseBody(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestParseFuncs(t *testing.T) {
	src := `//   mirrors:  kernel/a.c   a() v6.16
static inline __init int a(void) { return 0; }

/*
 * mirrors: kernel/a.c b()
 *          v6.16
 */
/* an unrelated comment */

int notrace noinstr *b(struct module *mod, unsigned long addr, const char *const fmt, pte_t pte)
{
}

/* mirrors: first */
/* mirrors: second */
__always_inline unsigned long long c() {}

/* mirrors: d */
inline static struct static_key_mod *static_key_mod(struct static_key *key) {}

/* mirrors: e */
int static_call_text_reserved(void *start) {}
`
	f, err := Parse("t.c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fn := range f.Funcs {
		ps := make([]string, len(fn.Params))
		for i, p := range fn.Params {
			ps[i] = fmt.Sprintf("%s %s@%d:%d", dumpType(p.Type), p.Name, p.Pos.Line, p.Pos.Col)
		}
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%d:%d|static=%v", dumpType(fn.Ret), fn.Name, strings.Join(ps, ", "), fn.Mirrors, fn.Pos.Line, fn.Pos.Col, fn.Static))
	}
	want := []string{
		"int|a||kernel/a.c a() v6.16|2:1|static=true",
		"int *|b|struct module * mod@10:39, unsigned long addr@10:58, char * fmt@10:82, pte_t pte@10:93|kernel/a.c b() v6.16|10:1|static=false",
		"unsigned long long|c||second|16:1|static=false",
		"struct static_key_mod *|static_key_mod|struct static_key * key@19:72|d|19:1|static=true",
		"int|static_call_text_reserved|void * start@22:37|e|22:1|static=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f, err := Parse("e.c", []byte("  // only a comment\n")); err != nil || len(f.Funcs) != 0 {
		t.Errorf("comment-only file: %v, %v", f, err)
	}
}

// m is the mirrors comment bad inputs start with, so that their errors are
// not the missing comment's.
const m = "/* mirrors: t */\n"

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// Top level.
		{"void f(void) {}", `1:1: function f: no "mirrors:" comment naming the kernel file, function and version it follows`},
		{m + "void f(void) {}\n\nvoid g(void) {}", `4:1: function g: no "mirrors:" comment naming the kernel file, function and version it follows`},
		{"/* mirrors: */ void f(void) {}", `1:16: function f: its "mirrors:" comment is empty; name the kernel file, function and version it follows`},
		{"/* mirrors: x */ void f(void) { /* mirrors: y */ }\nvoid g(void) {}", `2:1: function g: no "mirrors:" comment naming the kernel file, function and version it follows`},
		{m + "int x;", "2:6: expected '(' after x (only function definitions may appear at top level), found ';'"},
		{m + "int x = 1;", "2:5: x: a variable at top level is a struct with a designated initialiser (struct NAME x = { .field = X };)"},
		{m + "struct nb *x = { .f = g };", "2:12: x: a variable at top level is a struct with a designated initialiser (struct NAME x = { .field = X };)"},
		{m + "struct nb x = 3;", "2:15: expected '{' to start the initialiser of x, found '3'"},
		{m + "struct nb x = { .f = g }", "2:25: expected ';' after the initialiser of x, found end of file"},
		{m + "struct nb x = { f = g };", "2:17: expected '.' and a field name ('.field = value') in initialiser, found 'f'"},
		{m + "struct nb x = { .f = g };\nstruct nb x = { .f = h };", "3:11: x defined twice (first at 2:11)"},
		{m + "void f(void);", "2:13: expected '{' to begin the body of f (only function definitions may appear at top level), found ';'"},
		{m + ";", "2:1: expected function definition or constant array, found ';'"},
		{m + "if (x) {}", "2:1: expected function definition or constant array, found keyword 'if'"},
		{m + "void (void) {}", "2:6: expected function name, found '('"},
		{m + "void f(int) {}", "2:11: expected name of parameter 1 of f, found ')'"},
		{m + "void f(int a b) {}", "2:12: type of b: unknown type word or qualifier 'a'"},
		{m + "void f(a) {}", "2:8: parameter a of f has no type"},
		{m + "void f(int a,) {}", "2:14: expected parameter, found ')'"},
		{m + "void f(int a {}", "2:14: expected ')' after the parameters of f, found '{'"},
		{m + "void f(struct) {}", "2:14: expected name after 'struct', found ')'"},
		{m + "int * const int f(void) {}", "2:13: unexpected 'int' after '*' in the type of f"},
		{m + "void f(void) {}\n" + m + "void f(void) {}", "4:1: function f defined twice (first at 2:1)"},
		{m + "void __attribute__((x)) f(void) {}", "2:6: __attribute__ is not part of the model language"},
		{m + "void f(void) {", "2:15: expected '}' to close the block opened at 2:14, found end of file"},
		// Lexical.
		{"#include <linux/static_call.h>\n", "1:1: preprocessor lines other than #define NAME [VALUE] and the conditionals #ifdef NAME, #ifndef NAME, #else and #endif are not part of the model language; write the configuration's branch out"},
		{"#define A\n#define A\n", "2:9: A defined twice (first at 1:9)"},
		{"#define A(x) x\n", "1:9: macro A: no \"mirrors:\" comment naming the kernel file, function and version it follows"},
		{"/* mirrors: m */\n#define A(x) x\n", "2:14: #define A(...): a function-like macro is assembler text, asm(\"...\") or another such macro's call; found 'x'"},
		{"/* mirrors: m */\n#define A(x) asm(\"a\", x)\n", "2:14: #define A: asm() takes one text (the outputs, inputs and clobbers of an extended asm are not modelled)"},
		{"/* mirrors: m */\n#define A(x) asm(\"a\" 3)\n", "2:22: a macro's text is string literals, parameters, #parameter and macro calls; found '3'"},
		{"#define A 1 2\n", "1:13: #define A: one constant expression on one line, found '2' after it"},
		{"#define A 1\n#define A 2\n", "2:9: A defined twice (first at 1:9)"},
		{m + "void f(void)\n{\n  #ifdef CONFIG_MODULES\n}", "4:3: a conditional in text not preprocessed: #ifdef, #ifndef, #else and #endif are resolved across the model files (lang.Preprocess) before they are parsed"},
		{m + "void f(void)\n{\n  #pragma once\n}", "4:3: preprocessor lines other than #define NAME [VALUE] and the conditionals #ifdef NAME, #ifndef NAME, #else and #endif are not part of the model language; write the configuration's branch out"},
		{m + "void f(void) { x = 1 # 2; }", "2:22: unexpected character '#'"},
		{m + "void f(void) { x = 'a'; }", "2:20: character literals are not part of the model language"},
		{m + "void f(void) { x = 1.5; }", "2:20: floating-point literals are not part of the model language: 1.5"},
		{m + "void f(void) { x = 08; }", "2:20: malformed integer literal 08: not a octal number"},
		{m + "void f(void) { x = 0x; }", "2:20: malformed integer literal 0x: no digits"},
		{m + "void f(void) { x = 12abc; }", "2:20: malformed integer literal 12abc: not a decimal number"},
		{m + "void f(void) { x = 1uu; }", "2:20: malformed integer literal 1uu: bad suffix \"uu\""},
		{m + "void f(void) { x = 18446744073709551616; }", "2:20: integer literal 18446744073709551616 does not fit in 64 bits"},
		{m + "void f(void) { x = \"abc\n\"; }", "2:20: string literal not terminated: expected '\"' before the end of the line"},
		{m + "void f(void) { /* x }", "2:16: comment not terminated: expected \"*/\", found end of file"},
		{m + "void f(void) { x = @; }", "2:20: unexpected character '@'"},
		{m + "void f(void) { x = \xff; }", "2:20: unexpected character byte 0xff"},
		{m + "void f(void) { x = é; }", "2:20: unexpected character U+00E9"},
		// Statements.
		{m + "void f(void) { x = 1 }", "2:22: expected ';' after expression, found '}'"},
		{m + "void f(void) { f() g(); }", "2:20: expected ';' after expression, found 'g'"},
		{m + "void f(void) { return 1 }", "2:25: expected ';' after return value, found '}'"},
		{m + "void f(void) { if x) {} }", "2:19: expected '(' after if, found 'x'"},
		{m + "void f(void) { if (x {} }", "2:22: expected ')' after if condition, found '{'"},
		{m + "void f(void) { if (x) int y; }", "2:23: a declaration cannot be the body of if; put it in a block"},
		{m + "void f(void) { else x(); }", "2:16: 'else' without 'if'"},
		{m + "void f(void) { for (i = 0, ;;) {} }", "2:28: expected expression, found ';'"},
		{"static const u8 a[3] = { 1 };", "1:19: expected ']' in a[] (a constant array's size is its initialiser's), found '3'"},
		{"static const u8 a[] = { 1 2 };", "1:27: expected ',' or '}' in the elements of a, found '2'"},
		{"static const u8 a[] = { 1 }", "1:28: expected ';' after the elements of a, found end of file"},
		{m + "void f(void) { for (;; i++, j++ k) {} }", "2:33: expected ')' after for loop clauses, found 'k'"},
		{m + "void f(void) { f(a, b = 0, c); x = 1, y = 2; }", "2:37: expected ';' after expression, found ','"},
		{m + "void f(void) { for (; x) {} }", "2:24: expected ';' after for loop condition, found ')'"},
		{m + "void f(void) { do { } while (0) }", "2:33: expected ';' after do ... while (...), found '}'"},
		{m + "void f(void) { do { } until (0); }", "2:23: expected while after the body of do"},
		{m + "void f(void) { switch (x) { f(); } }", "2:29: expected 'case' or 'default' in switch body, found 'f'"},
		{m + "void f(void) { switch (x) { case 1 f(); } }", "2:36: expected ':' after case value, found 'f'"},
		{m + "void f(void) { switch (x) { default: default: ; } }", "2:38: second 'default' label in switch"},
		{m + "void f(void) { switch (x) case 1: ; }", "2:27: expected '{' to begin the switch body, found keyword 'case'"},
		{m + "void f(void) { switch (x) { case 1: { case 2: ; } } }", "2:39: 'case' label outside a switch body"},
		{m + "void f(void) { case 1: ; }", "2:16: 'case' label outside a switch body"},
		{m + "void f(void) { goto 1; }", "2:21: expected label after goto, found '1'"},
		{m + "void f(void) { goto out }", "2:25: expected ';' after goto out, found '}'"},
		{m + "void f(void) { break }", "2:22: expected ';' after break, found '}'"},
		{m + "void f(void) { int; }", "2:19: expected name in declaration, found ';'"},
		{m + "void f(void) { pte_t pte; }", "2:22: expected ';' after expression, found 'pte' (if pte_t is a type: the model language knows only built-in types, struct, union and enum)"},
		{m + "static f(void) {}", "2:1: function f has no return type"},
		{m + "void f(const *p) {}", "2:15: parameter p of f has no type"},
		{m + "void f(void) { const x; }", "2:22: expected type, found 'x'"},
		{m + "void f(void) { int a b; }", "2:22: expected ';' after declaration, found 'b'"},
		{m + "void f(void) { int a[]; }", "2:22: array local a needs its length (u8 a[N])"},
		{m + "void f(void) { int a[4] = 0; }", "2:25: array local a: an initialiser is not part of the model language (assign its elements)"},
		{m + "void f(void) { int a[4; }", "2:23: expected ']' after the length of a, found ';'"},
		{"enum e { A = 1, B ;", "1:19: expected ',' or '}' in enum e, found ';'"},
		{"enum e { A, A };", "1:13: A defined twice (first at 1:10)"},
		{m + "void f(void) { int if; }", "2:20: expected name in declaration, found keyword 'if'"},
		{m + "void f(void) { struct *p; }", "2:23: expected name after 'struct', found '*'"},
		{m + "void f(void) { unsigned struct s x; }", "2:25: unexpected 'struct' after 'unsigned'"},
		{m + "void f(void) { typedef int t; }", "2:16: typedef is not part of the model language"},
		{m + "void f(void) { out: int x; }", "2:21: a declaration cannot be the body of a label; put it in a block"},
		// Expressions.
		{m + "void f(void) { x = ; }", "2:20: expected expression, found ';'"},
		{m + "void f(void) { x = (1; }", "2:22: expected ')' after parenthesised expression, found ';'"},
		{m + "void f(void) { x = f(1 2); }", "2:24: expected ',' or ')' in the arguments of f, found '2'"},
		{m + "void f(void) { x = (*fp)(1); }", "2:25: only a named function or a function pointer field can be called"},
		{m + "void f(void) { x = p->f[0](1); }", "2:27: only a named function or a function pointer field can be called"},
		{m + "void f(void) { x = p->; }", "2:23: expected field name after '->', found ';'"},
		{m + "void f(void) { x = a[1; }", "2:23: expected ']' after index, found ';'"},
		{m + "void f(void) { x = c ? 1; }", "2:25: expected ':' in conditional expression, found ';'"},
		{m + "void f(void) { x *= 2; }", "2:18: operator *= is not part of the model language (its assignments are = |= &= += -=)"},
		{m + "void f(void) { x <<= 2; }", "2:18: operator <<= is not part of the model language (its assignments are = |= &= += -=)"},
		{m + "void f(void) { f() = 2; }", "2:16: the left side of = must be a variable, a field, an element or *pointer"},
		{m + "void f(void) { a + b = 2; }", "2:16: the left side of = must be a variable, a field, an element or *pointer"},
		{m + "void f(void) { 1++; }", "2:16: the operand of ++ must be a variable, a field, an element or *pointer"},
		{m + "void f(void) { --f(); }", "2:18: the operand of -- must be a variable, a field, an element or *pointer"},
		{m + "void f(void) { x = +1; }", "2:20: unary + is not part of the model language"},
		{m + "void f(void) { x = (int)); }", "2:25: expected expression, found ')'"},
		{m + "void f(void) { x = (int x)y; }", "2:25: expected ')' after type in cast, found 'x'"},
		{m + "void f(void) { x = sizeof(int x); }", "2:31: expected ')' after type in sizeof, found 'x'"},
		{m + "void f(void) { x = (struct s){ 1 }; }", "2:32: expected '.' and a field name ('.field = value') in initialiser, found '1'"},
		{m + "void f(void) { x = (struct s){ .a 1 }; }", "2:35: expected '=' after .a, found '1'"},
		{m + "void f(void) { x = (struct s){ .a = 1; }; }", "2:38: expected ',' or '}' after field initialiser, found ';'"},
		{m + "void f(void) { x = return; }", "2:20: expected expression, found keyword 'return'"},
		{m + "void f(void) { x = int; }", "2:20: expected expression, found keyword 'int'"},
		{m + "void f(void) { x = \"a very long string literal indeed\" 1; }", "2:56: expected ';' after expression, found '1'"},
		{m + "void f(void) { x = 1 \"a very long string literal\"; }", "2:22: expected ';' after expression, found string \"a very long string l...\""},
		{m + "void f(void) { a += 1, 0; }", "2:22: expected ';' after expression, found ','"},
		// Nesting.
		{m + "void f(void) { x = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + "; }", "2:119: nesting too deep: more than 200 levels of statements or expressions"},
		{m + "void f(void) " + strings.Repeat("{", 300) + strings.Repeat("}", 300), "2:215: nesting too deep: more than 200 levels of statements or expressions"},
		{m + "void f(void) { x = " + strings.Repeat("!", 300) + "1; }", "2:217: nesting too deep: more than 200 levels of statements or expressions"},
	} {
		_, err := Parse("", []byte(c.src))
		var le *Error
		if !errors.As(err, &le) {
			t.Errorf("%q: error %v (%T), want *Error %s", c.src, err, err, c.want)
			continue
		}
		if le.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.src, le.Error(), c.want)
		}
	}
}

func TestParseErrorFileName(t *testing.T) {
	_, err := Parse("kernel/x.c", []byte(m+"void f(void) { x = 1 }"))
	if err == nil || err.Error() != "kernel/x.c:2:22: expected ';' after expression, found '}'" {
		t.Errorf("error %v", err)
	}
}

// TestParseNotifierBlock: a struct variable at top level (a notifier_block)
// and calls through its function pointer field.
func TestParseNotifierBlock(t *testing.T) {
	src := `static struct notifier_block jump_label_module_nb = {
	.notifier_call = jump_label_module_notify,
	.priority = 1, /* higher than tracepoints */
};

/* mirrors: t */
int f(struct notifier_block *nb)
{
	jump_label_module_nb.notifier_call(&jump_label_module_nb, 1, NULL);
	return nb->notifier_call(nb, 2, NULL);
}
`
	f, err := Parse("kernel/t.c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Vars) != 1 || len(f.Funcs) != 1 {
		t.Fatalf("%d vars, %d funcs; want 1, 1", len(f.Vars), len(f.Funcs))
	}
	v := f.Vars[0]
	var fields []string
	for _, fi := range v.Init.Fields {
		fields = append(fields, fi.Name+"="+dumpExpr(fi.X))
	}
	if got := fmt.Sprintf("%s %s @%v {%s}", dumpType(v.Type), v.Name, v.Pos, strings.Join(fields, ", ")); got != "struct notifier_block jump_label_module_nb @kernel/t.c:1:30 {notifier_call=jump_label_module_notify, priority=1}" {
		t.Errorf("var: %s", got)
	}
	var b strings.Builder
	for _, s := range f.Funcs[0].Body.Stmts {
		dumpStmt(&b, s, "")
	}
	want := "(jump_label_module_nb.notifier_call)((&jump_label_module_nb), 1, NULL)\nreturn (nb->notifier_call)(nb, 2, NULL)\n"
	if b.String() != want {
		t.Errorf("body:\n%s\nwant:\n%s", b.String(), want)
	}
	call := f.Funcs[0].Body.Stmts[0].(*ExprStmt).X.(*Call)
	if call.Fun != "notifier_call" || call.Via == nil || call.Pos != (Pos{"kernel/t.c", 9, 2}) {
		t.Errorf("call: Fun %q, Via %v, Pos %v", call.Fun, call.Via, call.Pos)
	}
}
