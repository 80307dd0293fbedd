package lang_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/lang"
)

func ExampleParse() {
	src := []byte(`/* mirrors: kernel/static_call_inline.c static_call_lock() v6.16 */
static void static_call_lock(void)
{
	mutex_lock(&static_call_mutex);
}
`)
	f, err := lang.Parse("kernel/static_call_inline.c", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fn := range f.Funcs {
		call := fn.Body.Stmts[0].(*lang.ExprStmt).X.(*lang.Call)
		fmt.Printf("%s at %v mirrors %q and calls %s\n", fn.Name, fn.Pos, fn.Mirrors, call.Fun)
	}

	_, err = lang.Parse("bad.c", []byte("/* mirrors: x */\nvoid f(void)\n{\n\tf()\n}\n"))
	fmt.Println(err)
	// Output:
	// static_call_lock at kernel/static_call_inline.c:2:1 mirrors "kernel/static_call_inline.c static_call_lock() v6.16" and calls mutex_lock
	// bad.c:5:1: expected ';' after expression, found '}'
}

func ExampleApplyDiff() {
	files := map[string][]byte{"kernel/extable.c": []byte("int f(void)\n{\n\treturn 1;\n}\n")}
	diff := []byte(`--- a/kernel/extable.c
+++ b/kernel/extable.c
@@ -2,3 +2,3 @@
 {
-	return 1;
+	return 2;
 }
`)
	out, err := lang.ApplyDiff(files, "fix.diff", diff)
	fmt.Printf("%s%v\n", out["kernel/extable.c"], err)

	files["kernel/extable.c"] = []byte("int f(void)\n{\n\treturn 0;\n}\n")
	_, err = lang.ApplyDiff(files, "fix.diff", diff)
	fmt.Println(err)
	// Output:
	// int f(void)
	// {
	// 	return 2;
	// }
	// <nil>
	// fix.diff:3:1: kernel/extable.c: hunk @@ -2,3 +2,3 @@ does not apply: line 3 is "\treturn 0;", the diff expects "\treturn 1;"
}
