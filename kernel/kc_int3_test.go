package kernel

import (
	"strings"
	"testing"
)

// TestHandlerErrors: what the INT3 handler's language does not have is an
// error at its file, line and column, never a panic.
func TestHandlerErrors(t *testing.T) {
	const head = "/* mirrors: x */\nint smp_text_poke_int3_handler(struct pt_regs *regs)\n{\n"
	for _, tc := range []struct{ body, want string }{
		{"\tfrob();\n\treturn 0;\n}\n", "h.c:4:2: smp_text_poke_int3_handler: frob() is not part of the handler's language"},
		{"\tif (x > 2)\n\t\treturn 1;\n\treturn 0;\n}\n", "h.c:4:6: x > 2: not a condition of the handler's language"},
		{"\tip += tpl->len;\n\treturn 0;\n}\n", "h.c:4:2: smp_text_poke_int3_handler: tpl is read before it is set"},
		{"\tgoto out;\n}\n", "h.c:4:2: smp_text_poke_int3_handler: goto out: no label out"},
		{"\tint ret = 0;\n\tret = 2;\n\treturn ret;\n}\n", "h.c:6:9: smp_text_poke_int3_handler: return ret: the handler returns 0 or 1"},
		{"\tsmp_rmb();\n}\n", "h.c:5:1: smp_text_poke_int3_handler: a path reaches the end of the function without return"},
		{"\tswitch (x) { default: return 0; }\n}\n", "h.c:4:2: smp_text_poke_int3_handler: the handler switches on tpl->opcode only"},
	} {
		d, err := parseModel(map[string][]byte{"h.c": []byte(head + tc.body)})
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		_, err = compileHandler(d)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.body, err, tc.want)
		}
	}
	x86 := map[string][]byte{}
	for name, text := range BuiltinSource() {
		if !strings.HasPrefix(name, "arch/") || strings.HasPrefix(name, "arch/x86/") {
			x86[name] = text
		}
	}
	d, err := parseModel(x86)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := compileHandler(d)
	if err != nil || len(ops) == 0 {
		t.Fatalf("the built-in handler: %d ops, %v", len(ops), err)
	}
}
