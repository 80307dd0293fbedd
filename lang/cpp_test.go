package lang

import (
	"strings"
	"testing"
)

func TestPreprocess(t *testing.T) {
	// Each case: the files (a.c, then b.h if given), and a.c as
	// Preprocess leaves it, or the error.
	for _, c := range []struct {
		name   string
		a, b   string
		want   string
		errMsg string
	}{
		{name: "no conditionals", a: "int x;\n#define A 1\n", want: "int x;\n#define A 1\n"},
		{name: "ifdef undefined", a: "a\n#ifdef X\nb\n#endif\nc\n", want: "a\n\n\n\nc\n"},
		{name: "ifdef defined here", a: "#define X\n#ifdef X\nb\n#endif\n", want: "#define X\n\nb\n\n"},
		{name: "ifdef defined with a value", a: "#define X 0\n#ifdef X\nb\n#endif\n", want: "#define X 0\n\nb\n\n"},
		{name: "defined in another file", a: "#ifndef X\nb\n#else\nc\n#endif", b: "#define X\n", want: "\n\n\nc\n"},
		{name: "defined after its use", a: "#ifdef X\nb\n#endif\n#define X\n", want: "\nb\n\n#define X\n"},
		{name: "ifndef", a: "#ifndef X\nb\n#else\nc\n#endif\n", want: "\nb\n\n\n\n"},
		{name: "nested", a: "#ifdef X\n#ifdef Y\n1\n#else\n2\n#endif\n#else\n#ifdef Y\n3\n#else\n4\n#endif\n#endif\n", b: "#define X\n",
			want: "\n\n\n\n2\n\n\n\n\n\n\n\n\n"},
		{name: "nested in a branch not taken", a: "#ifndef X\n#ifndef Y\n1\n#endif\n#endif\n", b: "#define X\n", want: "\n\n\n\n\n"},
		{name: "columns stay", a: "#ifdef X\n\tint  y;\n  #  endif  /* X */\n", b: "#define X\n", want: "\n\tint  y;\n\n"},
		{name: "comments", a: "/* #ifdef X\n#endif */\n#ifdef X // x\na\n#endif /* X */\n", want: "/* #ifdef X\n#endif */\n\n\n\n"},
		{name: "comment before #", a: "/* c */ #ifdef X\na\n#endif\n", want: "\n\n\n"},
		{name: "in a string", a: "x = \"#ifdef /*\";\n", want: "x = \"#ifdef /*\";\n"},
		{name: "define inside, kept", a: "#ifndef X\n#define Y 2\n#endif\n", want: "\n#define Y 2\n\n"},
		{name: "other directives left to the lexer", a: "#include <x.h>\n#ifdef X\n#include <y.h>\n#endif\n", want: "#include <x.h>\n\n\n\n"},
		{name: "no newline at end", a: "#ifdef X\na\n#endif", want: "\n\n"},

		{name: "endif alone", a: "a\n#endif\n", errMsg: "a.c:2:1: #endif without #ifdef or #ifndef"},
		{name: "else alone", a: "a\n  #else\n", errMsg: "a.c:2:3: #else without #ifdef or #ifndef"},
		{name: "second else", a: "#ifdef X\n#else\n#else\n#endif\n", errMsg: "a.c:3:1: a second #else for the #ifdef at a.c:1:1 (the first at a.c:2:1)"},
		{name: "missing endif", a: "#ifdef X\n#ifndef Y\n#endif\n", errMsg: "a.c:1:1: #ifdef without #endif"},
		{name: "missing endif, ifndef", a: "#ifndef X\n", errMsg: "a.c:1:1: #ifndef without #endif"},
		{name: "no name", a: "#ifdef\n#endif\n", errMsg: "a.c:1:7: #ifdef: expected a name after it"},
		{name: "two names", a: "#ifdef X Y\n#endif\n", errMsg: "a.c:1:10: #ifdef X: one name, found \"Y\" after it"},
		{name: "not a name", a: "#ifndef (X)\n#endif\n", errMsg: "a.c:1:9: #ifndef: expected a name, found \"(X)\""},
		{name: "text after endif", a: "#ifdef X\n#endif X\n", errMsg: "a.c:2:8: #endif: nothing but a comment after it, found \"X\""},
		{name: "#if", a: "#if defined(X)\n#endif\n", errMsg: "a.c:1:1: #if is not part of the model language: its conditionals are #ifdef NAME, #ifndef NAME, #else and #endif"},
		{name: "#elif in a branch not taken", a: "#ifdef X\n#elif Y\n#endif\n", errMsg: "a.c:2:1: #elif is not part of the model language: its conditionals are #ifdef NAME, #ifndef NAME, #else and #endif"},
		{name: "#undef", a: "#undef X\n", errMsg: "a.c:1:1: #undef is not part of the model language: its conditionals are #ifdef NAME, #ifndef NAME, #else and #endif"},
		{name: "comment goes on", a: "#ifdef X /* a\nb */\n#endif\n", errMsg: "a.c:1:1: #ifdef: a comment that begins on the line of a conditional ends on it"},
		{name: "include guard", a: "#ifndef _A_H\n#define _A_H\n#endif\n", errMsg: "a.c:1:9: #ifndef _A_H: _A_H is #defined only inside a conditional (at a.c:2:9); #ifdef and #ifndef see the names #defined outside every conditional (the model files have no #include order)"},
		{name: "defined inside in another file", a: "#ifdef Y\n#endif\n", b: "#ifndef Z\n#define Y\n#endif\n", errMsg: "a.c:1:8: #ifdef Y: Y is #defined only inside a conditional (at b.h:2:9); #ifdef and #ifndef see the names #defined outside every conditional (the model files have no #include order)"},
		{name: "error in the other file", a: "a\n", b: "#else\n", errMsg: "b.h:1:1: #else without #ifdef or #ifndef"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]byte{"a.c": []byte(c.a), "README": []byte("#ifdef\n")}
			if c.b != "" {
				files["b.h"] = []byte(c.b)
			}
			out, err := Preprocess(files)
			if c.errMsg != "" {
				if err == nil || err.Error() != c.errMsg {
					t.Fatalf("got error %v, want %s", err, c.errMsg)
				}
				checkErr(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(out["a.c"]); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if string(out["README"]) != "#ifdef\n" {
				t.Errorf("a file other than .c and .h was changed: %q", out["README"])
			}
		})
	}
}

// TestPreprocessThenParse: positions after the conditionals are those of
// the original text, and a name without a value is a Define without X.
func TestPreprocessThenParse(t *testing.T) {
	src := "#define HAVE_B\n" +
		"#ifndef HAVE_B\n" +
		m + "void f(void) { a(); }\n" +
		"#else\n" +
		m + "void f(void) { b(); }\n" +
		"#endif\n" +
		m + "\tint g(void) { return HAVE_B; }\n"
	out, err := Preprocess(map[string][]byte{"k.c": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("k.c", out["k.c"])
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Defines) != 1 || f.Defines[0].Name != "HAVE_B" || f.Defines[0].X != nil {
		t.Errorf("defines: %+v", f.Defines)
	}
	if len(f.Funcs) != 2 || f.Funcs[0].Pos.String() != "k.c:7:1" || f.Funcs[1].Pos.String() != "k.c:10:2" {
		var pos []string
		for _, fn := range f.Funcs {
			pos = append(pos, fn.Name+"@"+fn.Pos.String())
		}
		t.Errorf("functions at %s, want f at k.c:7:1 and g at k.c:10:2", strings.Join(pos, ", "))
	}
	// Unpreprocessed text: the lexer says so.
	_, err = Parse("k.c", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "k.c:2:1: a conditional in text not preprocessed") {
		t.Errorf("parse of the raw text: %v", err)
	}
}
