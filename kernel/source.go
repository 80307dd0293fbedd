package kernel

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// builtinFiles are the kernel's functions as model source (kernel/src)
// and the built-in variants as diffs against them (kernel/variants).
//
//go:embed src variants
var builtinFiles embed.FS

// BuiltinSource returns the built-in model files, by their paths in the
// kernel tree ("kernel/static_call_inline.c").
func BuiltinSource() map[string][]byte {
	out := map[string][]byte{}
	err := fs.WalkDir(builtinFiles, "src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtinFiles.ReadFile(p)
		out[strings.TrimPrefix(p, "src/")] = b
		return err
	})
	if err != nil {
		panic("patchcheck: embedded model source: " + err.Error())
	}
	return out
}

// VariantDiff returns the built-in variant name as a unified diff against
// the built-in model files, if there is one.
func VariantDiff(name string) ([]byte, bool) {
	b, err := builtinFiles.ReadFile("variants/" + name + ".diff")
	return b, err == nil
}

// DiffVariants lists the built-in variants that are diffs, with the first
// line of each diff's description (its lines before the first "---") and
// the architecture whose model files it changes, if any.
func DiffVariants() []Variant {
	ents, err := builtinFiles.ReadDir("variants")
	if err != nil {
		panic("patchcheck: embedded variants: " + err.Error())
	}
	var out []Variant
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".diff")
		b, _ := builtinFiles.ReadFile("variants/" + e.Name())
		doc, arch, head := "", "", true
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "diff ") {
				head = false
			}
			if rest, ok := strings.CutPrefix(l, "+++ b/arch/"); ok {
				arch, _, _ = strings.Cut(rest, "/")
			}
			if l = strings.TrimSpace(l); head && l != "" && doc == "" {
				doc = l
			}
		}
		out = append(out, Variant{Name: name, Doc: doc, Arch: arch})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ModelSource returns the model files a scenario compiles with: the
// built-in ones, its variant's diff if that is one, then its own model
// files (which replace built-in files of the same path) and diffs, in
// order.
func ModelSource(sc *scenario.Scenario) (map[string][]byte, error) {
	return ModelSourceFor(sc, "")
}

// ModelSourceFor returns the model files thread runs: ModelSource with
// the texts that name thread (thread=T) too; "" is the texts for every
// thread alone.
func ModelSourceFor(sc *scenario.Scenario, thread string) (map[string][]byte, error) {
	files := BuiltinSource()
	if d, ok := VariantDiff(sc.Variant); ok {
		var err error
		if files, err = lang.ApplyDiff(files, "variant "+sc.Variant+".diff", d); err != nil {
			return nil, err
		}
	}
	for _, m := range sc.Model {
		if m.Thread != "" && m.Thread != thread {
			continue
		}
		switch m.Kind {
		case scenario.ModelFile:
			files[m.Name] = []byte(m.Text)
		case scenario.ModelPatch:
			var err error
			if files, err = lang.ApplyDiff(files, m.Name, []byte(m.Text)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("model source %s: unknown kind %q", m.Name, m.Kind)
		}
	}
	return files, nil
}

// defs are what the model files define: functions, constant arrays (as
// byte strings) and enumerators, by name.
type defs struct {
	// funcs are the functions every file sees: those not static, and a
	// header's (.h) static ones (the model files have no #include: a
	// header is included everywhere).
	funcs map[string]*lang.Func
	// statics are the static functions of each .c file, by file and
	// name: visible only to the functions of that file, where they take
	// the place of a funcs entry of the same name (callee).
	statics map[string]map[string]*lang.Func
	arrays  map[string]string
	enums   map[string]int
	// structs: the struct definitions of the model files, by name.
	structs map[string]*lang.Struct
	// vars: the struct variables at top level (a notifier_block), by
	// name: a call through a function pointer field of one calls the
	// function its initialiser names, as its own file sees it.
	vars map[string]*lang.Var
	// macros: the function-like macros of assembler text (the
	// trampolines), by name; empty: the names #defined without a value,
	// which a macro's text expands to nothing.
	macros map[string]*lang.Macro
	empty  map[string]bool
}

// parseModel parses model files into functions by name, after resolving
// their conditionals (lang.Preprocess). A function defined twice is an
// error at its second definition.
//
// It also returns the files' constant arrays by name, as byte strings
// (their elements are numbers or constants of the language), and their
// enumerators' values.
func parseModel(files map[string][]byte) (defs, error) {
	// #ifdef NAME and its kind, over the files the scenario compiles
	// with (its architecture's only: archFiles).
	files, err := lang.Preprocess(files)
	if err != nil {
		return defs{}, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	d := defs{funcs: map[string]*lang.Func{}, statics: map[string]map[string]*lang.Func{}, vars: map[string]*lang.Var{}, arrays: map[string]string{}, enums: map[string]int{}, structs: map[string]*lang.Struct{},
		macros: map[string]*lang.Macro{}, empty: map[string]bool{}}
	var parsed []*lang.File
	for _, n := range names {
		if e := path.Ext(n); e != ".c" && e != ".h" {
			continue
		}
		f, err := lang.Parse(n, files[n])
		if err != nil {
			return defs{}, err
		}
		parsed = append(parsed, f)
	}
	// Constants first (#define, enum), in file order: arrays and
	// functions of any file may use them.
	for _, f := range parsed {
		for _, m := range f.Macros {
			if old, dup := d.macros[m.Name]; dup {
				return defs{}, &lang.Error{Pos: m.Pos, Msg: fmt.Sprintf("macro %s is defined twice (first at %s)", m.Name, old.Pos)}
			}
			d.macros[m.Name] = m
		}
		for _, df := range f.Defines {
			if df.X == nil {
				d.empty[df.Name] = true
				continue // a name for #ifdef (lang.Preprocess)
			}
			if err := d.addConst(df.Pos, df.Name, df.X, 0); err != nil {
				return defs{}, err
			}
		}
		for _, en := range f.Enums {
			next := 0
			for _, v := range en.Values {
				if err := d.addConst(v.Pos, v.Name, v.X, next); err != nil {
					return defs{}, err
				}
				next = d.enums[v.Name] + 1
			}
		}
	}
	for _, f := range parsed {
		for _, st := range f.Structs {
			if old, dup := d.structs[st.Name]; dup {
				return defs{}, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("struct %s is defined twice (first at %s)", st.Name, old.Pos)}
			}
			d.structs[st.Name] = st
		}
		for _, v := range f.Vars {
			if old, dup := d.vars[v.Name]; dup {
				return defs{}, &lang.Error{Pos: v.Pos, Msg: fmt.Sprintf("%s is defined twice (first at %s)", v.Name, old.Pos)}
			}
			d.vars[v.Name] = v
		}
		for _, fn := range f.Funcs {
			if fn.Static && path.Ext(f.Name) == ".c" {
				// File scope: only this file's functions call it
				// (lang.Parse refuses a second definition in one file).
				if d.statics[f.Name] == nil {
					d.statics[f.Name] = map[string]*lang.Func{}
				}
				d.statics[f.Name][fn.Name] = fn
				continue
			}
			if old, dup := d.funcs[fn.Name]; dup {
				return defs{}, &lang.Error{Pos: fn.Pos, Msg: fmt.Sprintf("%s is defined twice (first at %s)", fn.Name, old.Pos)}
			}
			d.funcs[fn.Name] = fn
		}
		for _, c := range f.Consts {
			if _, dup := d.arrays[c.Name]; dup {
				return defs{}, &lang.Error{Pos: c.Pos, Msg: fmt.Sprintf("%s is defined twice", c.Name)}
			}
			var b []byte
			for _, x := range c.Elems {
				n, ok := constByte(x, d.enums)
				if !ok {
					return defs{}, &lang.Error{Pos: lang.ExprPos(x), Msg: fmt.Sprintf("%s: an element of a constant array is a number from 0 to 255 or a constant of the language", c.Name)}
				}
				b = append(b, n)
			}
			d.arrays[c.Name] = string(b)
		}
	}
	// A header's function is in every file: a .c file's static function
	// of the same name would be a second definition in C.
	for _, file := range slices.Sorted(maps.Keys(d.statics)) {
		for _, name := range slices.Sorted(maps.Keys(d.statics[file])) {
			if old, ok := d.funcs[name]; ok && path.Ext(old.Pos.File) == ".h" {
				fn := d.statics[file][name]
				return defs{}, &lang.Error{Pos: fn.Pos, Msg: fmt.Sprintf("%s is defined twice (first at %s, a header's, which every file sees)", name, old.Pos)}
			}
		}
	}
	return d, nil
}

// callee returns the model function a call names: the static function of
// the call's own file of that name, else the function every file sees.
// ok is false for a built-in (or an unknown name).
//
// A call through a function pointer field, V.F(...) or (&V)->F(...) of
// a struct variable V of the model files (lang.Var), calls the function
// V's initialiser sets F to, as V's own file sees it: a static
// notifier_call is reached through its notifier_block from any file.
// Any other call through a field is an error at the call.
func (d *defs) callee(x *lang.Call) (*lang.Func, bool) {
	if x.Via != nil {
		return d.fieldCallee(x), true
	}
	return d.lookup(x.Pos.File, x.Fun)
}

// lookup returns the function name names in file: file's static one,
// else the one every file sees.
func (d *defs) lookup(file, name string) (*lang.Func, bool) {
	if fn, ok := d.statics[file][name]; ok {
		return fn, true
	}
	fn, ok := d.funcs[name]
	return fn, ok
}

// fieldCallee resolves a call through a function pointer field (callee).
func (d *defs) fieldCallee(x *lang.Call) *lang.Func {
	base := x.Via.X
	if u, ok := base.(*lang.Unary); ok && u.Op == "&" && x.Via.Arrow {
		base = u.X
	} else if x.Via.Arrow {
		base = nil
	}
	id, ok := base.(*lang.Ident)
	if !ok || d.vars[id.Name] == nil {
		panic(compileError(x.Pos, "%s: a call through a function pointer is a field of a struct variable of the model files (NAME.%s(...))", exprString(x), x.Fun))
	}
	v := d.vars[id.Name]
	for _, fi := range v.Init.Fields {
		if fi.Name != x.Fun {
			continue
		}
		fid, ok := fi.X.(*lang.Ident)
		if !ok {
			panic(compileError(fi.Pos, "%s.%s: the initialiser names a function", v.Name, fi.Name))
		}
		fn, ok := d.lookup(v.Pos.File, fid.Name)
		if !ok {
			panic(compileError(fi.Pos, "%s.%s = %s: no function %s in the model files (as %s sees them)", v.Name, fi.Name, fid.Name, fid.Name, v.Pos.File))
		}
		return fn
	}
	panic(compileError(x.Pos, "%s: %s sets no field %s", exprString(x), v.Name, x.Fun))
}

// entry returns the model function patchcheck itself runs or reads by
// name (an operation's register_kprobe, load_module, the INT3 handler,
// jump_label_cmp): the function every file sees, else the one static
// function of that name. Two files' static functions of the name, and
// none of every file's, is an error: the name does not say which.
func (d *defs) entry(name string) (*lang.Func, bool, error) {
	if fn, ok := d.funcs[name]; ok {
		return fn, true, nil
	}
	var found *lang.Func
	for _, file := range slices.Sorted(maps.Keys(d.statics)) {
		if fn, ok := d.statics[file][name]; ok {
			if found != nil {
				return nil, false, &lang.Error{Pos: fn.Pos, Msg: fmt.Sprintf("%s: static in %s and in %s; patchcheck runs it by name, which does not say which", name, found.Pos.File, file)}
			}
			found = fn
		}
	}
	return found, found != nil, nil
}

// remove deletes every function named name (every file's, and each
// file's static one): a sketch or a port's Go takes its place.
func (d *defs) remove(name string) {
	delete(d.funcs, name)
	for _, m := range d.statics {
		delete(m, name)
	}
}

// otherStatic returns a file other than file whose static function is
// named name ("" when there is none), for the error of a call that
// cannot see it.
func (d *defs) otherStatic(file, name string) string {
	for _, f := range slices.Sorted(maps.Keys(d.statics)) {
		if _, ok := d.statics[f][name]; ok && f != file {
			return f
		}
	}
	return ""
}

// addConst defines constant name (a #define, or an enumerator whose value
// is x, or next when x is nil). A model file's constant takes the place
// of a constant of the language of the same name.
func (d *defs) addConst(pos lang.Pos, name string, x lang.Expr, next int) error {
	if _, dup := d.enums[name]; dup {
		return &lang.Error{Pos: pos, Msg: fmt.Sprintf("%s is defined twice", name)}
	}
	if x != nil {
		n, ok := constExpr(x, d.enums)
		if !ok {
			return &lang.Error{Pos: lang.ExprPos(x), Msg: fmt.Sprintf("%s: the value is a constant expression of numbers and constants defined before it", name)}
		}
		next = n
	}
	d.enums[name] = next
	return nil
}

// constExpr evaluates a constant expression of a #define or an
// enumerator: numbers, constants of the language and constants defined
// before it, with unary - and ~ and the binary arithmetic, shift and
// bitwise operators.
func constExpr(x lang.Expr, consts map[string]int) (int, bool) {
	switch x := x.(type) {
	case *lang.Int:
		return int(x.Value), true
	case *lang.Ident:
		if n, ok := consts[x.Name]; ok {
			return n, true
		}
		return kconst(x.Name)
	case *lang.Cast:
		return constExpr(x.X, consts)
	case *lang.Unary:
		n, ok := constExpr(x.X, consts)
		switch x.Op {
		case "-":
			return -n, ok
		case "~":
			return ^n, ok
		}
	case *lang.Binary:
		a, ok1 := constExpr(x.X, consts)
		b, ok2 := constExpr(x.Y, consts)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch x.Op {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		case "/":
			return a / max(b, 1), b != 0
		case "%":
			return a % max(b, 1), b != 0
		case "|":
			return a | b, true
		case "&":
			return a & b, true
		case "^":
			return a ^ b, true
		case "<<":
			return a << uint(b&63), b >= 0 && b < 63
		case ">>":
			return a >> uint(b&63), b >= 0 && b < 63
		}
	}
	return 0, false
}

// constByte evaluates an element of a constant array.
func constByte(x lang.Expr, consts map[string]int) (byte, bool) {
	n, ok := constExpr(x, consts)
	return byte(n), ok && n >= 0 && n < 256
}

// VariantDiffText returns the diff of built-in variant name without its
// description line ("" when there is none).
func VariantDiffText(name string) string {
	d, ok := VariantDiff(name)
	if !ok {
		return ""
	}
	text := string(d)
	if i := strings.Index(text, "--- "); i >= 0 {
		return text[i:]
	}
	return text
}

// TrampSource is what a port's layout reads from the model files of a
// scenario: the trampoline macros of arch/ARCH/include/asm/static_call.h
// and the files' constants (PPC_SCT_DATA).
type TrampSource struct {
	d defs
	// sc is the scenario whose files were read, plain when no cflags
	// were defined: Build takes over a plain source of its own
	// scenario (Layout.Source).
	sc    *scenario.Scenario
	plain bool
}

// TrampolineSource reads the model files sc compiles with for port (its
// variant's diff, its own files and diffs) for the port's layout. Each
// name of cflags is #defined to 1 too, as the kernel's build passes
// -DMODULE to a module's compiler: the trampoline of a key a module
// defines is the text under #ifdef MODULE (powerpc64's).
func TrampolineSource(sc *scenario.Scenario, port Port, cflags ...string) (*TrampSource, error) {
	files, err := ModelSource(sc)
	if err != nil {
		return nil, err
	}
	files = archFiles(files, port)
	if len(cflags) > 0 {
		files[cflagsFile] = defineFile("the compiler's -D flags", cflags)
	}
	d, err := parseModel(files)
	if err != nil {
		return nil, err
	}
	return &TrampSource{d: d, sc: sc, plain: len(cflags) == 0}, nil
}

// layoutSource returns the model files sc compiles with for port,
// parsed: those lay's port read (lay.Source, when they are sc's own
// without cflags; taken over: the layout keeps no reference to them,
// whose functions the compile may remove), or else parsed now. The
// compile reads the syntax trees and never changes them.
func layoutSource(sc *scenario.Scenario, port Port, lay *Layout) (defs, error) {
	ts := lay.Source
	lay.Source = nil
	if ts != nil && ts.sc == sc && ts.plain {
		return ts.d, nil
	}
	files, err := ModelSource(sc)
	if err != nil {
		return defs{}, err
	}
	return parseModel(archFiles(files, port))
}

// cflagsFile is the path of the file of TrampolineSource's cflags.
const cflagsFile = "include/generated/cflags.h"

// Const returns a constant of the model files (#define NAME VALUE or an
// enumerator).
func (ts *TrampSource) Const(name string) (int, bool) {
	v, ok := ts.d.enums[name]
	return v, ok
}

// Tramp returns the assembler text of key's trampoline, as
// include/linux/static_call.h (v6.16) defines it for the key's initial
// target: DEFINE_STATIC_CALL_NULL is ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name),
// DEFINE_STATIC_CALL_RET0 is ARCH_DEFINE_STATIC_CALL_RET0_TRAMP(name),
// and DEFINE_STATIC_CALL(name, func) is
// ARCH_DEFINE_STATIC_CALL_TRAMP(name, func).
func (ts *TrampSource) Tramp(key, init string) (lang.Text, error) {
	name, args := "ARCH_DEFINE_STATIC_CALL_TRAMP", []string{key, init}
	switch init {
	case scenario.Null:
		name, args = "ARCH_DEFINE_STATIC_CALL_NULL_TRAMP", []string{key}
	case scenario.Return0:
		name, args = "ARCH_DEFINE_STATIC_CALL_RET0_TRAMP", []string{key}
	}
	m, ok := ts.d.macros[name]
	if !ok {
		return lang.Text{}, fmt.Errorf("key %s: the model files have no macro %s (the trampoline of include/linux/static_call.h's DEFINE_STATIC_CALL)", key, name)
	}
	return lang.Expand(ts.d.macros, ts.d.empty, name, args, m.Pos)
}

// AssembleTramp assembles the trampoline of key for its initial target
// init (Tramp) at origin for isa, with the sections others places
// (AssembleSections), the symbols being p's, and returns it with its
// text and the address of its __SCT__ label. A text without that label
// is an error at the text.
func (ts *TrampSource) AssembleTramp(p *model.Program, key, init string, isa lang.ISA, origin uint64, others func(string) (uint64, bool)) (*lang.Asm, lang.Text, uint64, error) {
	text, err := ts.Tramp(key, init)
	if err != nil {
		return nil, text, 0, err
	}
	sym := func(name string) (uint64, bool) {
		for _, s := range p.Symbols {
			if s.Name == name {
				return s.Addr, true
			}
		}
		return 0, false
	}
	a, err := AssembleSections(text, isa, origin, others, sym)
	if err != nil {
		return nil, text, 0, err
	}
	name := lang.StaticCallTrampPrefix + key
	addr, ok := a.Labels[name]
	if !ok {
		return nil, text, 0, &lang.Error{Pos: text.At(0), Msg: fmt.Sprintf("key %s: the trampoline's text defines no label %s", key, name)}
	}
	return a, text, addr, nil
}

// Assemble assembles a trampoline's text at origin for isa; sym gives
// the addresses of the image's symbols (the key's target functions).
func Assemble(t lang.Text, isa lang.ISA, origin uint64, sym func(string) (uint64, bool)) (*lang.Asm, error) {
	return AssembleSections(t, isa, origin, nil, sym)
}

// AssembleSections is Assemble where the sections others places (arm64's
// .rodata literal) keep their bytes too (lang.AssembleSections). An isa
// with a Comment method names its line comment ("//" on arm64, where '#'
// marks an immediate); otherwise it is '#'.
func AssembleSections(t lang.Text, isa lang.ISA, origin uint64, others func(string) (uint64, bool), sym func(string) (uint64, bool)) (*lang.Asm, error) {
	comment := "#"
	if c, ok := isa.(interface{ Comment() string }); ok {
		comment = c.Comment()
	}
	stmts, err := lang.ParseAsmComment(t, comment)
	if err != nil {
		return nil, err
	}
	return lang.AssembleSections(stmts, isa, origin, others, sym)
}

// TrampStores returns the stores arch_static_call_transform(NULL, tramp,
// func, false) makes for trampoline k (lay.Tramps[k]) and target t, on
// any of its paths (both orders of an unordered pair), each once, in the
// order of the compiled ops: for a port's layout under construction,
// before it has chosen its patchable windows, which these stores decide
// (arm64: the instructions and the literal each trampoline design
// patches). lay must hold the trampolines (Layout.Tramps) and the
// targets.
func (ts *TrampSource) TrampStores(port Port, lay *Layout, k, t int) ([]Store, error) {
	ops, _, err := probeTransform(ts.d, port, lay, k, t)
	if err != nil {
		return nil, err
	}
	var out []Store
	seen := map[string]bool{}
	for _, op := range ops {
		if op.Code != model.OpPoke {
			continue
		}
		b := op.Bytes[:op.Len]
		id := fmt.Sprintf("%x:%x", op.Addr, b)
		if !seen[id] {
			seen[id] = true
			out = append(out, Store{Addr: op.Addr, Bytes: append([]byte(nil), b...), Fn: op.Fn, Src: op.Src})
		}
	}
	return out, nil
}

// probeTransform compiles arch_static_call_transform(NULL, tramp, func,
// false) with d for trampoline k (lay.Tramps[k]) and target t (an index
// into lay.Prog.Targets, model.TargetNull for NULL) in probe mode (the
// layout's windows need not exist), and returns its ops and the function.
func probeTransform(d defs, port Port, lay *Layout, k, t int) ([]model.Op, *lang.Func, error) {
	c := &kc{defs: d, port: port, lay: lay, variant: port.Variants()[0].Name, read: map[string]bool{},
		overrides: map[lang.Expr]val{}, localOverrides: map[string]val{}, consts: map[[2]int]int{}, probe: true, e: &Emitter{}}
	fn, ok, err := c.entry("arch_static_call_transform")
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the model files define no arch_static_call_transform")
			if mp, ok := port.(ModelTransformPort); ok {
				err = fmt.Errorf("the model files define no arch_static_call_transform (arch/%s/kernel/static_call.c)", mp.ModelArch())
			}
		}
		return nil, nil, err
	}
	fv := val{k: vTarget, a: t}
	if t == model.TargetNull {
		fv = val{k: vNull}
	}
	if err := c.call("arch_static_call_transform", []val{{k: vNull}, {k: vTramp, a: k}, fv, intv(0)}); err != nil {
		return nil, nil, err
	}
	return c.e.Ops, fn, nil
}

// TransformReadsSite reports whether the arch_static_call_transform of
// the model files a scenario of arch with variant compiles with (the
// variant's diff applied) reads its first argument, the site: whether it
// patches inline sites (arm64's branch-* designs) rather than the
// trampoline only, whatever site it is given (the out-of-line designs).
func TransformReadsSite(arch, variant string, port Port) (bool, error) {
	files, err := ModelSource(&scenario.Scenario{Arch: arch, Variant: variant})
	if err != nil {
		return false, err
	}
	d, err := parseModel(archFiles(files, port))
	if err != nil {
		return false, err
	}
	fn, ok := d.funcs["arch_static_call_transform"]
	if !ok || len(fn.Params) == 0 {
		return false, nil
	}
	return usesIdent(reflect.ValueOf(fn.Body), fn.Params[0].Name), nil
}

// usesIdent reports whether the syntax tree under v has an identifier
// name.
func usesIdent(v reflect.Value, name string) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return false
		}
		if id, ok := v.Interface().(*lang.Ident); ok {
			return id.Name == name
		}
		return usesIdent(v.Elem(), name)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && usesIdent(v.Field(i), name) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if usesIdent(v.Index(i), name) {
				return true
			}
		}
	}
	return false
}

// Store is one store to text of a compiled function: the bytes the
// machine's OpPoke writes, and the kernel function that writes them.
type Store struct {
	Addr  uint64
	Bytes []byte
	Fn    string
	Src   string // the model file and line of the statement
}

// TransformStores compiles the model files' arch_static_call_transform(NULL,
// tramp, func, false) for key's trampoline (lay.Tramps[key].Addr) and
// target (an index into lay.Prog.Targets), and returns its stores to text
// in program order: what the transform leaves in the trampoline for that
// target. A port's layout reads them for the forms of the trampoline at
// rest, the extent of its patched bytes, and the trampoline of an initial
// target its macro cannot reach (the model has no linker stubs). Jumps
// (no steps of their own) are followed. The
// layout's windows need not exist yet. For a target the compiler fixes
// the transform is straight-line: a panic() or a store that only some
// runs make is an error, at the function's position.
func (ts *TrampSource) TransformStores(port Port, lay *Layout, key, target int) (stores []Store, err error) {
	ops, fn, err := probeTransform(ts.d, port, lay, key, target)
	if err != nil {
		return nil, err
	}
	// The ops in program order: an OpJump (the joins of the if and the
	// returns of a model function called in a condition, such as
	// powerpc64's shares_toc()) is no step of its own, and is followed.
	for pc, n := 0, 0; pc < len(ops); pc, n = pc+1, n+1 {
		op := ops[pc]
		if n > len(ops) {
			return nil, &lang.Error{Pos: fn.Pos, Msg: "arch_static_call_transform compiles to a loop: the layout needs the stores of a straight-line transform for each target"}
		}
		switch op.Code {
		case model.OpJump:
			pc = op.Label - 1
		case model.OpLock, model.OpUnlock:
		case model.OpPoke:
			stores = append(stores, Store{Addr: op.Addr, Bytes: append([]byte(nil), op.Bytes[:op.Len]...), Fn: op.Fn, Src: op.Src})
		default:
			name := "NULL"
			if target != 0 {
				name = lay.Prog.Targets[target].Name
			}
			what := "a branch or a step other than a store"
			if op.Code == model.OpBug {
				what = op.Msg
			}
			return nil, &lang.Error{Pos: fn.Pos, Msg: fmt.Sprintf("arch_static_call_transform(NULL, __SCT__%s, %s, false) compiles to %s (at %s): the layout needs the stores of a straight-line transform for each target",
				lay.Prog.Keys[key].Name, name, what, op.Src)}
		}
	}
	return stores, nil
}
