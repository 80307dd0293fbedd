package kernel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// The model-source compiler: it reads the kernel's functions as model
// files (kernel/src, docs/language.md) and compiles one call of a
// function, with the scenario's keys, sites and targets as its arguments,
// onto a thread's operations.
//
// It is a staged compiler. Every value that the scenario fixes (a key,
// a site, a target, a module, a table bound, a constant) is known when it
// compiles: loops over the site tables unroll, and tests of such values
// take no step. Every read of shared state that can change while the
// scenario runs is one atomic step of the thread (an OpTest), or no step
// of its own when a lock the thread holds protects the variable (then it
// folds into the step before). A local that holds such a read keeps its
// value in the thread's program counter: the rest of its block is
// compiled once for each value. Reads whose value no path uses take no
// step.

// compileError is a model-source error at a position.
func compileError(pos lang.Pos, format string, args ...any) *lang.Error {
	return &lang.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// vkind is the kind of a value known when compiling.
type vkind uint8

const (
	vUndef       vkind = iota
	vInt               // n
	vNull              // NULL
	vKey               // a: key
	vTramp             // a: key (its trampoline)
	vTarget            // a: target index (a function pointer; 0 is NULL)
	vSite              // a: table (-1 vmlinux, m module m), n: index in the table
	vSiteAddr          // the text address of site (a, n)
	vMod               // a: module
	vSiteMod           // a struct static_call_mod: a module (-1 vmlinux), n: its first site in the table, or -1
	vSiteModList       // static_call_key_next(key) of a key that modules use: key a's list, walked at run time
	vMutex             // a: mutex
	vStr               // s
	vLocked            // a read of shared state not yet compiled (a lazy local): see lazy
	vReg               // a pointer the thread holds at run time: a is the register (0 Reg: a struct static_call_mod *, 1 Ptr: a struct static_call_mod **), n the key whose list it walks
	vFlags             // the STATIC_CALL_SITE_FLAGS of the key field of the site at window a
	vDyn               // a local whose value depends on the path taken: dvals[the thread's Val]
	vRef               // &local of the caller, s: the local's name, ref: its value at the call
	vKprobe            // the scenario's struct kprobe, at the site (a, n) as vSite
	vTextByte          // the byte of text at address n (insn[i]): read where it is compared
	vBytes             // a byte string constant of the port, s
	vArr               // an array local (u8 buf[6]): its bytes, s
	vPokeSome          // text_poke_array.nr_entries when it is not 0 (and below TEXT_POKE_ARRAY_MAX)
	vStruct            // a struct value (a compound literal): fields, s its canonical rendering
	vRecord            // a struct local of integers (struct NAME x;): s the struct's name, fields its integers set so far (kc_record.go)
	vTextWord          // a read of patchable text when compiling (n: its address, pos: the read's): a value no decision may use
)

// val is a value known when compiling.
type val struct {
	k    vkind
	a, n int
	s    string
	// fields of a struct static_call_mod value (vSiteMod) or a
	// compound literal being assigned.
	next *val
	// lazy: the read of shared state a local holds (vLocked), with the
	// id of its declaration.
	lazy lang.Expr
	id   string
	// fl: window+1 of a site whose key-field flags a key value carries
	// (key |= s_key & STATIC_CALL_SITE_FLAGS), 0 none.
	fl int
	// dvals: a vDyn's value for each value of the thread's Val.
	dvals []val
	// ref: a vRef's local's value when the call began.
	ref *val
	// fields: a vStruct's fields.
	fields map[string]val
	// pos: where a vTextWord was read.
	pos lang.Pos
}

// unknownText is the compile error of a decision on a vTextWord: the
// model reads, when compiling, only text no thread patches.
func unknownText(v val) *lang.Error {
	return compileError(v.pos, "the text read here, at %#x, is patchable (a trampoline's or site's word): its value, known only at run time, decides nothing when compiling", uint64(v.n))
}

func intv(n int) val { return val{k: vInt, n: n} }

func (v val) truth() (bool, bool) {
	switch v.k {
	case vTextWord:
		panic(unknownText(v))
	case vInt:
		return v.n != 0, true
	case vNull:
		return false, true
	case vTarget:
		return v.a != model.TargetNull, true
	case vKey, vTramp, vSite, vSiteAddr, vMod, vSiteMod, vMutex, vStr, vSiteModList, vKprobe, vBytes, vPokeSome, vStruct:
		return true, true
	case vFlags:
		return false, false
	}
	return false, false
}

func (v val) equal(w val) (bool, bool) {
	if v.k == vTextWord {
		panic(unknownText(v))
	}
	if w.k == vTextWord {
		panic(unknownText(w))
	}
	if v.k == vNull || w.k == vNull {
		vt, ok1 := v.truth()
		wt, ok2 := w.truth()
		if !ok1 || !ok2 {
			return false, false
		}
		return vt == wt, true
	}
	if v.k == vPokeSome || w.k == vPokeSome {
		// Some entries, at most model.MaxPokes (the machine stops a run
		// that queues more).
		o := w
		if w.k == vPokeSome {
			o = v
		}
		if o.k == vPokeSome || o.k == vInt && o.n > 0 && o.n <= model.MaxPokes {
			return false, false
		}
		return false, o.k == vInt
	}
	if v.k != w.k {
		if v.k == vInt && w.k == vInt {
			return v.n == w.n, true
		}
		return false, v.k != vUndef && w.k != vUndef && v.k != vLocked && w.k != vLocked
	}
	return v.a == w.a && v.n == w.n && v.s == w.s && v.fl == w.fl, true
}

// atom is a read of shared state: model.Var* at index idx.
type atom struct {
	v, idx int
	name   string
	// local: a lock the thread holds protects the variable.
	local bool
}

// test is an atom compared with a constant.
type test struct {
	at  atom
	cmp int // model.Cmp*
	b   int
	neg bool
	src string
}

// needValue asks the statement being compiled to split on a read of
// shared state used as a value.
type needValue struct {
	x      lang.Expr
	at     atom
	domain []int
	// bt: the read is a truth value, this test (the statement is
	// compiled for false, then for true).
	bt *test
	// vals, with bt: the values x has when the test is false and true
	// (nil: 0 and 1).
	vals *[2]val
	// dvals: the value x has for each value of the domain (a vDyn).
	dvals []val
	// emit, when set, emits the code of x (a built-in with steps of its
	// own) and returns the jumps of its two outcomes, whose values are
	// vals (nil: 0 and 1).
	emit func() (no, yes []int)
	// local: x reads this vDyn local; every read of it in the statement
	// takes the value split gives.
	local string
	// call: x is a call of this model function, with args, whose value
	// depends on shared state: split compiles it once and the statement
	// once for each value it returns.
	call *lang.Func
	args []val
}

// unreachable unwinds the compilation of a path that ends in an op that
// stops the thread (BUG(), a bad dereference): the nearest branch, split
// or call catches it, and the statements after it are not compiled.
type unreachable struct{}

// alive runs compile and reports whether the path it compiles goes on.
func alive(compile func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(unreachable); is {
				ok = false
				return
			}
			panic(r)
		}
	}()
	compile()
	return true
}

// stop emits op, which stops the thread, and ends the path.
func (c *kc) stop(pos lang.Pos, op model.Op) {
	c.op(pos, op)
	panic(unreachable{})
}

// needLocal asks the entry's compilation to start again with the local
// declared at id read when it is declared.
type needLocal struct{ id string }

// fnCtx is one inlined call.
type fnCtx struct {
	fn      *lang.Func
	vars    map[string]*val
	retJmps []int
	ret     *val // the value of a static return, for value calls
	retSet  bool
	// cond: the call is in a condition; its returns jump to condJmps
	// when they are condWant.
	cond     bool
	condWant bool
	condJmps []int
	// values: the call's value is used, and may depend on shared
	// state: its returns jump to rets, by the value each returns.
	values bool
	rets   []retGroup
	// discard: the call's value is not used.
	discard bool
	// regs: the thread's registers this call set (bit 0 Reg, 1 Ptr,
	// 2 Val, 3 Reg2): they die with its locals.
	regs uint8
	// scopes: the blocks being compiled, innermost last, with the
	// mutexes their guard()s hold.
	scopes []*guardScope
	// labels: pending forward gotos by label, and the locals at each.
	labels    map[string][]int
	labelVars map[string][]map[string]*val
	// loops: the innermost loop last.
	loops []*loopCtx
	// prefix names this call in the ids of lazy locals.
	prefix string
}

type loopCtx struct {
	breaks, conts []int
	// breakVars: the locals at each break of a switch (breaks[i]), which
	// meet with the fall-through where the switch ends.
	breakVars []map[string]*val
	// sw: a switch, which break leaves and continue passes.
	sw bool
	// scopes: len(fnCtx.scopes) where the loop starts.
	scopes int
}

// retGroup is the jumps of a call's returns of one value, with the
// values its out-parameters (*p for p = &local of the caller) leave.
type retGroup struct {
	v     val
	cells map[string]val
	jumps []int
}

// addRet adds jump j to the group of value v and f's out-parameters.
func (f *fnCtx) addRet(v val, j int) {
	cells := map[string]val{}
	for _, p := range f.fn.Params {
		if r := f.vars[p.Name]; r != nil && r.k == vRef {
			if cv := f.vars["*"+p.Name]; cv != nil {
				cells[r.s] = *cv
			}
		}
	}
	for i := range f.rets {
		g := &f.rets[i]
		same := sameVal(g.v, v) && len(g.cells) == len(cells)
		for k, cv := range cells {
			same = same && sameVal(g.cells[k], cv)
		}
		if same {
			g.jumps = append(g.jumps, j)
			return
		}
	}
	f.rets = append(f.rets, retGroup{v: v, cells: cells, jumps: []int{j}})
}

// kc compiles calls of model functions for one scenario.
type kc struct {
	// defs: the model files' functions, constant arrays and enumerators.
	defs
	// types: the declared types of each function's parameters and
	// locals (localTypes), filled as the compiler asks.
	types   map[*lang.Func]map[string]lang.Type
	port    Port
	lay     *Layout
	variant string
	e       *Emitter
	// consts: shared variables no thread of the scenario writes, with
	// their value: reading them takes no step.
	consts map[[2]int]int
	// held: mutexes the thread holds where the compiler is.
	held uint8
	// read: lazy locals whose value a path uses.
	read map[string]bool
	// overrides: values of reads already split on, by expression, and
	// of vDyn locals, by name.
	overrides      map[lang.Expr]val
	localOverrides map[string]val
	depth          int
	// batched: a site was transformed since static_call_mutex was
	// taken (see mutex_unlock).
	batched bool
	// failAlloc: the kzalloc of the operation being compiled that fails
	// (the scenario's fail_alloc), 0 none.
	failAlloc int
	// flagReaders: a thread reads site key-field flags without
	// static_call_mutex (kprobes), so stores to them are steps.
	flagReaders bool
	// first: the compiler is evaluating __static_call_update's @first,
	// whose sites the walk of key->mods finds.
	first bool
	// valUsed: a vDyn local of this operation holds the thread's Val,
	// a local of valOwner.
	valUsed  bool
	valOwner string
	// fell: the last statement list compiled can fall off its end (it
	// does not end in goto, return, break or continue on every path).
	fell bool
	// jumpTab: each jump table sorted with jump_label_cmp (jumpsOf),
	// by module (-1: vmlinux's __jump_table).
	jumpTab map[int][]Loc
	// probe: the compiler runs for probeTransform (TrampStores,
	// TransformStores), before the port has laid out its windows: a store
	// to the image is taken without a window (patchable).
	probe bool
}

// sharedDomain lists the values a shared variable can hold.
func (c *kc) domain(at atom) []int {
	switch at.v {
	case model.VarSystemState:
		// system_state only grows, from where the scenario starts.
		var out []int
		for _, v := range []uint8{model.SystemBooting, model.SystemScheduling, model.SystemFreeingInitmem, model.SystemRunning} {
			if v >= c.lay.Prog.System {
				out = append(out, int(v))
			}
		}
		return out
	case model.VarInitialized:
		return []int{0, 1, 2}
	case model.VarFunc:
		return c.lay.KeyTargets[at.idx]
	case model.VarRegionLive, model.VarKeyType:
		return []int{0, 1}
	case model.VarEnabled:
		return c.lay.Enabled[at.idx]
	case model.VarNodeMod:
		out := []int{0}
		for m := range c.lay.Prog.Modules {
			out = append(out, m+1)
		}
		return out
	case model.VarModState:
		return []int{model.KernelModLive, model.KernelModComing, model.KernelModGoing, model.KernelModUnformed}
	}
	return nil
}

// decided returns the outcome of t when every value its variable can
// hold gives the same one.
func (c *kc) decided(t test) (bool, bool) {
	if t.at.v != model.VarSystemState {
		return false, false
	}
	dom := c.domain(t.at)
	if len(dom) == 0 {
		return false, false
	}
	first := evalTest(t, dom[0])
	for _, v := range dom[1:] {
		if evalTest(t, v) != first {
			return false, false
		}
	}
	return first, true
}

// kconst returns the value of a constant of the language (enum values,
// flags and the instruction constants the model files name).
func kconst(name string) (int, bool) {
	switch name {
	case "SYSTEM_BOOTING":
		return int(model.SystemBooting), true
	case "SYSTEM_SCHEDULING":
		return int(model.SystemScheduling), true
	case "SYSTEM_FREEING_INITMEM":
		return int(model.SystemFreeingInitmem), true
	case "SYSTEM_RUNNING":
		return int(model.SystemRunning), true
	case "MODULE_STATE_LIVE":
		return model.KernelModLive, true
	case "MODULE_STATE_COMING":
		return model.KernelModComing, true
	case "MODULE_STATE_GOING":
		return model.KernelModGoing, true
	case "MODULE_STATE_UNFORMED":
		return model.KernelModUnformed, true
	case "false":
		return 0, true
	case "true":
		return 1, true
	case "STATIC_CALL_SITE_TAIL":
		return model.SiteTail, true
	case "STATIC_CALL_SITE_INIT":
		return model.SiteInit, true
	case "STATIC_CALL_SITE_FLAGS":
		return model.SiteTail | model.SiteInit, true
	case "GFP_KERNEL", "module_notify_list", "static_call_module_nb", "jump_label_module_nb":
		return 0, true
	case "NOTIFY_STOP_MASK":
		// include/linux/notifier.h; the model's notifier_from_errno()
		// returns -errno, whose bit 15 is set.
		return 0x8000, true
	case "ENOENT":
		return 2, true
	case "EWOULDBLOCK":
		return 11, true
	case "ENOMEM":
		return 12, true
	case "EBUSY":
		return 16, true
	case "EINVAL":
		return 22, true
	case "CALL_INSN_SIZE":
		// addr_conflict() of the generic core: the inline call's size
		// (x86's asm/text-patching.h, which x86 scenarios read).
		return 5, true
	case "MOD_TEXT":
		return modText, true
	case "MOD_INIT_TEXT":
		return modInitText, true
	case "kprobes_all_disarmed":
		return 0, true
	case "setup_max_cpus":
		return model.MaxCPUs, true
	case "INT_MAX":
		return 1<<31 - 1, true
	}
	return 0, false
}

// table returns the sites of a table: vmlinux's (-1), sorted by key as
// static_call_sort_entries leaves them (stably: the model keeps the
// scenario's order within a key), or module m's.
func (c *kc) table(t int) []Loc {
	if m, raw, ok := jumpTableOf(t); ok {
		if raw {
			return c.rawJumpsOf(m)
		}
		return c.jumpsOf(m)
	}
	var out []Loc
	for _, s := range c.lay.Sites {
		if s.Module == t+1 {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Loc) int { return a.Key - b.Key })
	return out
}

// call compiles a call of model function name with args; it returns an
// error for model-source problems.
func (c *kc) call(name string, args []val) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch r := r.(type) {
			case *lang.Error:
				err = r
				return
			case needValue:
				// A read the statement around it does not split on:
				// model source the compiler cannot place.
				err = compileError(lang.ExprPos(r.x), "%s reads shared state where the model compiles no split (write it in a statement of its own)", exprString(r.x))
				return
			case notStatic:
				err = compileError(lang.Pos{}, "%s: an expression with effects where the model needs a value it can fix", name)
				return
			}
			panic(r)
		}
	}()
	for {
		mark, used := len(c.e.Ops), c.valUsed
		routines := len(c.lay.Prog.Routines)
		retry := c.tryCall(name, args)
		if retry == "" {
			return nil
		}
		c.e.Ops = c.e.Ops[:mark]
		c.valUsed = used
		c.lay.Prog.Routines = c.lay.Prog.Routines[:routines]
		c.read[retry] = true
	}
}

func (c *kc) tryCall(name string, args []val) (retry string) {
	c.valUsed = false
	defer func() {
		if r := recover(); r != nil {
			if nl, ok := r.(needLocal); ok {
				retry = nl.id
				return
			}
			panic(r)
		}
	}()
	fn, ok, err := c.entry(name)
	if err != nil {
		panic(err)
	}
	if !ok {
		panic(compileError(lang.Pos{}, "no model function %s", name))
	}
	alive(func() { c.inline(fn, args, lang.Pos{}, &fnCtx{discard: true}, "") })
	return ""
}

// inline compiles fn's body with args bound to its parameters. With cond
// set, fn's returns branch (see fnCtx.cond).
func (c *kc) inline(fn *lang.Func, args []val, at lang.Pos, cond *fnCtx, prefix string) *fnCtx {
	if len(args) != len(fn.Params) {
		panic(compileError(at, "%s takes %d arguments, not %d", fn.Name, len(fn.Params), len(args)))
	}
	c.depth++
	if c.depth > 32 {
		panic(compileError(at, "%s: calls nest deeper than 32 (recursion is not part of the model language)", fn.Name))
	}
	defer func() { c.depth-- }()
	f := &fnCtx{fn: fn, vars: map[string]*val{}, labels: map[string][]int{}, labelVars: map[string][]map[string]*val{}, prefix: fmt.Sprintf("%s%s@%s/", prefix, fn.Name, at)}
	if cond != nil {
		f.cond, f.condWant = cond.cond, cond.condWant
		f.values, f.discard = cond.values, cond.discard
	}
	for i, p := range fn.Params {
		v := args[i]
		f.vars[p.Name] = &v
		if v.k == vRef {
			// *p is the caller's local: a local of the call, whose
			// values at the returns go back (see addRet).
			if !f.values {
				panic(compileError(at, "%s(&%s): a call with an out-parameter is compiled as ret = %s(...)", fn.Name, v.s, fn.Name))
			}
			cv := *v.ref
			f.vars["*"+p.Name] = &cv
		}
	}
	saveFn := c.e.Fn
	c.e.Fn = fn.Name
	if !alive(func() { c.scoped(f, fn.Body.Pos, func() { c.block(f, fn.Body.Stmts) }) }) {
		// The end of the body is not reached: the call goes on only
		// through its returns.
		if len(f.retJmps) == 0 && len(f.rets) == 0 && len(f.condJmps) == 0 {
			panic(unreachable{})
		}
	} else if f.values && !endsInReturn(fn.Body.Stmts) {
		// Falling off the end of a function whose value is used.
		c.clearRegs(f)
		f.addRet(val{}, c.e.Emit(model.Op{Code: model.OpJump}))
	}
	for l, js := range f.labels {
		if len(js) > 0 {
			panic(compileError(fn.Pos, "%s: goto %s: no label %s after the goto (only forward gotos)", fn.Name, l, l))
		}
	}
	for _, j := range f.retJmps {
		c.e.Land(j)
	}
	if !f.values {
		c.clearRegs(f)
	}
	if f.regs&4 != 0 {
		c.valUsed = false // the thread's Val died with f's locals
	}
	c.e.Fn = saveFn
	return f
}

// clearRegs emits the folded stores that clear the registers f's locals
// used, where they die (so that states that differ only in a dead
// pointer are one state).
func (c *kc) clearRegs(f *fnCtx) {
	for r, v := range []int{model.VarReg, model.VarPtr, model.VarVal, model.VarReg2} {
		if f.regs&(1<<r) != 0 {
			c.e.Emit(model.Op{Code: model.OpStore, A: v, Len: model.StoreConst | model.TestLocal})
		}
	}
}

// dynUse returns a vDyn local that statement st reads (in its own
// expressions, not in the statements it contains).
func (c *kc) dynUse(f *fnCtx, st lang.Stmt) (string, bool) {
	var xs []lang.Expr
	switch s := st.(type) {
	case *lang.ExprStmt:
		xs = append(xs, s.X)
	case *lang.Decl:
		for _, d := range s.Vars {
			if d.Init != nil {
				xs = append(xs, d.Init)
			}
		}
	case *lang.If:
		xs = append(xs, s.Cond)
	case *lang.While:
		xs = append(xs, s.Cond)
	case *lang.Switch:
		xs = append(xs, s.Tag)
	case *lang.Return:
		if s.X != nil {
			xs = append(xs, s.X)
		}
	}
	name := ""
	var walk func(lang.Expr)
	walk = func(x lang.Expr) {
		switch x := x.(type) {
		case *lang.Ident:
			if v, ok := f.vars[x.Name]; ok && v.k == vDyn && name == "" {
				name = x.Name
			}
		case *lang.Unary:
			if id, ok := x.X.(*lang.Ident); ok && x.Op == "*" {
				if v, ok := f.vars["*"+id.Name]; ok && v.k == vDyn && name == "" {
					name = "*" + id.Name
				}
			}
			walk(x.X)
		case *lang.Binary:
			walk(x.X)
			walk(x.Y)
		case *lang.Call:
			for _, a := range x.Args {
				walk(a)
			}
		case *lang.Member:
			walk(x.X)
		case *lang.Cast:
			walk(x.X)
		case *lang.Assign:
			walk(x.R)
			if _, ok := x.L.(*lang.Ident); !ok {
				walk(x.L)
			}
		}
	}
	for _, x := range xs {
		walk(x)
	}
	return name, name != ""
}

// materialize compiles stmts once for each value of the vDyn local name,
// after a test of the thread's Val for each (folded).
func (c *kc) materialize(f *fnCtx, name string, pos lang.Pos, stmts []lang.Stmt) {
	d := f.vars[name]
	saved := cloneVars(f.vars)
	c.valUsed = false // the local is known on each path from here
	var outs []map[string]*val
	var ends []int
	live := false
	for i, v := range d.dvals {
		skip := -1
		if i < len(d.dvals)-1 {
			skip = c.emitTest(pos, test{at: atom{v: model.VarVal, local: true}, cmp: model.CmpEq, b: i, neg: true, src: fmt.Sprintf("%s != %s", name, valString(v))}, true)[0]
		}
		f.vars = cloneVars(saved)
		vv := v
		f.vars[name] = &vv
		if alive(func() { c.block(f, stmts) }) {
			live = true
			if c.fell {
				outs = append(outs, f.vars)
				ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
			}
		}
		if skip >= 0 {
			c.e.Land(skip)
		}
	}
	c.meet(f, live, saved, outs, ends)
}

// staticCond evaluates a condition the scenario fixes. A condition that
// calls model functions is fixed when its compiled code reads nothing:
// the compiler tries it, follows its jumps, and takes the code back.
func (c *kc) staticCond(f *fnCtx, x lang.Expr) (bool, bool) {
	if v, ok := c.static(f, x); ok {
		t, _ := v.truth()
		return t, true
	}
	if !callsModel(c, x) && !assignsLocal(x) {
		return false, false
	}
	mark, used, routines := len(c.e.Ops), c.valUsed, len(c.lay.Prog.Routines)
	defer func() {
		c.e.Ops = c.e.Ops[:mark]
		c.valUsed = used
		c.lay.Prog.Routines = c.lay.Prog.Routines[:routines]
	}()
	var jf []int
	needs := false
	if !alive(func() {
		defer func() {
			// A read the condition needs as a value: not fixed; the
			// if splits on it (ifStmt).
			if r := recover(); r != nil {
				if _, ok := r.(needValue); !ok {
					panic(r)
				}
				needs = true
			}
		}()
		jf = c.branch(f, x, false)
	}) || needs {
		return false, false
	}
	isFalse := map[int]bool{}
	for _, j := range jf {
		isFalse[j] = true
	}
	for pc := mark; pc < len(c.e.Ops); {
		op := c.e.Ops[pc]
		if op.Code != model.OpJump {
			return false, false
		}
		if isFalse[pc] {
			return false, true
		}
		if op.Label <= pc {
			return false, false
		}
		pc = op.Label
	}
	return true, true
}

// assignsLocal reports whether x assigns (op = __is_Jcc(insn)): the
// assignment is compiled with the condition, which may still be fixed.
func assignsLocal(x lang.Expr) bool {
	switch x := x.(type) {
	case *lang.Assign:
		return true
	case *lang.Binary:
		return assignsLocal(x.X) || assignsLocal(x.Y)
	case *lang.Unary:
		return assignsLocal(x.X)
	}
	return false
}

// callsModel reports whether x calls a function of the model files.
func callsModel(c *kc, x lang.Expr) bool {
	found := false
	var walk func(lang.Expr)
	walk = func(x lang.Expr) {
		switch x := x.(type) {
		case *lang.Call:
			if _, ok := c.callee(x); ok {
				found = true
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *lang.Unary:
			walk(x.X)
		case *lang.Binary:
			walk(x.X)
			walk(x.Y)
		case *lang.Cast:
			walk(x.X)
		}
	}
	walk(x)
	return found
}

// jumpsAway reports whether a statement ends in goto, return, break or
// continue: its locals do not reach the statement after it.
func jumpsAway(st lang.Stmt) bool {
	stmts := unblock(st)
	if len(stmts) == 0 {
		return false
	}
	switch stmts[len(stmts)-1].(type) {
	case *lang.Goto, *lang.Return, *lang.Break, *lang.Continue:
		return true
	}
	return false
}

// endsInReturn reports whether a statement list ends in a return, or in
// an if whose arms both do (ppc_function_entry's if ... return ...; else
// return ...;).
func endsInReturn(stmts []lang.Stmt) bool {
	if len(stmts) == 0 {
		return false
	}
	switch s := stmts[len(stmts)-1].(type) {
	case *lang.Return:
		return true
	case *lang.If:
		return s.Else != nil && endsInReturn(unblock(s.Then)) && endsInReturn(unblock(s.Else))
	}
	return false
}

// op emits an op of the statement at pos.
func (c *kc) op(pos lang.Pos, op model.Op) int {
	op.Src = srcOf(pos)
	return c.e.Emit(op)
}

// srcOf is an op's Src for the statement at pos: "file.c:line".
func srcOf(pos lang.Pos) string { return fmt.Sprintf("%s:%d", pos.File, pos.Line) }

// routineAt emits routine r for the statement at pos.
func (c *kc) routineAt(pos lang.Pos, r model.Routine) {
	routine(c.e, c.lay, r)
	c.e.Ops[len(c.e.Ops)-1].Src = srcOf(pos)
}

// block compiles a statement list.
func (c *kc) block(f *fnCtx, stmts []lang.Stmt) {
	dead := false
	for i := 0; i < len(stmts); i++ {
		st := stmts[i]
		// After goto, return, break or continue, the list is unreachable
		// up to its next label.
		if !dead {
			if name, ok := c.dynUse(f, st); ok {
				// A local whose value depends on the path taken: the
				// rest of the list is compiled once per value, with
				// the local known.
				c.materialize(f, name, lang.StmtPos(st), stmts[i:])
				return
			}
		}
		if lb, ok := st.(*lang.Labeled); ok && dead && len(f.labels[lb.Label]) == 0 {
			continue // no goto reaches it on this path, nor the statement before
		}
		if lb, ok := st.(*lang.Labeled); ok {
			// The locals where the gotos to the label and the statement
			// before it (unless it jumps away) meet.
			outs := f.labelVars[lb.Label]
			if !dead {
				outs = append(outs, f.vars)
			}
			if len(outs) > 0 {
				c.joinVars(f, cloneVars(outs[0]), outs)
			}
			delete(f.labelVars, lb.Label)
		}
		if dead {
			if _, ok := st.(*lang.Labeled); !ok {
				continue
			}
			dead = false
		}
		switch st.(type) {
		case *lang.Goto, *lang.Return, *lang.Break, *lang.Continue:
			dead = true
		}
		switch s := st.(type) {
		case *lang.Decl:
			for vi, d := range s.Vars {
				id := fmt.Sprintf("%s%s@%d:%d", f.prefix, d.Name, d.Pos.Line, d.Pos.Col)
				if d.Len != nil {
					c.arrayLocal(f, d)
					continue
				}
				if c.recordLocal(f, d) {
					continue
				}
				if d.Init == nil {
					f.vars[d.Name] = &val{k: vUndef}
					continue
				}
				if c.assignLocal(f, d.Name, d.Init, id, s.Vars[vi+1:], stmts[i+1:]) {
					return
				}
			}
		case *lang.ExprStmt:
			if a, ok := s.X.(*lang.Assign); ok && a.Op == "=" {
				if u, ok := a.L.(*lang.Unary); ok && u.Op == "*" {
					if id, ok := u.X.(*lang.Ident); ok && f.vars[id.Name] != nil && f.vars[id.Name].k == vRef {
						did := fmt.Sprintf("%s*%s@%d:%d", f.prefix, id.Name, a.Pos.Line, a.Pos.Col)
						if c.assignLocal(f, "*"+id.Name, a.R, did, nil, stmts[i+1:]) {
							return
						}
						continue
					}
				}
				if id, ok := a.L.(*lang.Ident); ok {
					if _, local := f.vars[id.Name]; local {
						did := fmt.Sprintf("%s%s@%d:%d", f.prefix, id.Name, a.Pos.Line, a.Pos.Col)
						if c.assignLocal(f, id.Name, a.R, did, nil, stmts[i+1:]) {
							return
						}
						continue
					}
				}
			}
			c.stmt(f, st)
		case *lang.If:
			// A test of values the scenario fixes: the branch taken is
			// spliced into this list, so that a split on a read in it
			// covers the rest of the list.
			if t, ok := c.staticCond(f, s.Cond); ok {
				var br lang.Stmt = s.Else
				if t {
					br = s.Then
				}
				if br != nil {
					rest := append([]lang.Stmt{}, unblock(br)...)
					stmts = append(rest, stmts[i+1:]...)
					i = -1
				}
				continue
			}
			c.stmt(f, st)
		case *lang.ScopedGuard:
			if s.Class != "mutex" && s.Class != "jump_label_lock" && !hasGuard(s.Body) {
				// A guard the model does not have (rcu,
				// cpus_read_lock) holds nothing: its body is spliced
				// into this list, as preempt_disable() ...
				// preempt_enable() around the same statements would
				// be, so that a split on a read in it covers the rest
				// of the list. Not a body with a guard() of its own,
				// which the end of the body releases.
				c.guard(f, s.Pos, s.Class, s.Args)
				rest := append([]lang.Stmt{}, unblock(s.Body)...)
				stmts = append(rest, stmts[i+1:]...)
				i = -1
				continue
			}
			c.stmt(f, st)
		default:
			c.stmt(f, st)
		}
	}
	c.fell = !dead
}

// hasGuard reports whether a statement, or a block's statements, include
// a guard() (not in nested blocks, which release their own).
func hasGuard(s lang.Stmt) bool {
	for _, st := range unblock(s) {
		if _, ok := st.(*lang.Guard); ok {
			return true
		}
	}
	return false
}

// unblock returns a block's statements, or the statement alone.
func unblock(s lang.Stmt) []lang.Stmt {
	if b, ok := s.(*lang.Block); ok {
		return b.Stmts
	}
	return []lang.Stmt{s}
}

// assignLocal binds local name to x. When x reads shared state and a path
// uses the local, the read is one step and the rest of the list (more
// declarators, then rest) is compiled once per value; it then reports
// true (the list is compiled).
func (c *kc) assignLocal(f *fnCtx, name string, x lang.Expr, id string, more []lang.VarDecl, rest []lang.Stmt) bool {
	if call, ok := x.(*lang.Call); ok {
		if fn, ok := c.callee(call); ok {
			return c.assignCall(f, name, fn, call, more, rest)
		}
	}
	if _, ok := c.ptrValue(f, x); ok {
		pos := lang.ExprPos(x)
		c.assignPtr(f, &lang.Assign{Pos: pos, Op: "=", L: &lang.Ident{Pos: pos, Name: name}, R: x})
		return false
	}
	mark, used := len(c.e.Ops), c.valUsed
	v, tst, ok, nv := c.valueOrTestSplit(f, x)
	if nv != nil {
		// The value needs a read of shared state that is no test: the
		// statement and the rest of the list are compiled once per
		// value of the read.
		c.e.Ops = c.e.Ops[:mark]
		c.valUsed = used
		all := rest
		if len(more) > 0 {
			all = append([]lang.Stmt{&lang.Decl{Pos: more[0].Pos, Vars: more}}, rest...)
		}
		c.split(f, *nv, func() {
			if !c.assignLocal(f, name, x, id, more, rest) {
				c.block(f, all)
			}
		})
		c.fell = true
		return true
	}
	if ok {
		f.vars[name] = &v
		return false
	}
	if !c.read[id] {
		f.vars[name] = &val{k: vLocked, lazy: x, id: id}
		return false
	}
	// The read, then the rest once per value.
	if len(more) > 0 {
		rest = append([]lang.Stmt{&lang.Decl{Pos: more[0].Pos, Vars: more}}, rest...)
	}
	saved := cloneVars(f.vars)
	var outs []map[string]*val
	var ends []int
	live := false
	vals := c.splitVals(f, x)
	cont := func(b bool) {
		f.vars = cloneVars(saved)
		f.vars[name] = &val{k: vInt, n: boolInt(b)}
		if vals != nil {
			v := vals[boolInt(b)]
			f.vars[name] = &v
		}
		if alive(func() { c.block(f, rest) }) {
			live = true
			if c.fell {
				outs = append(outs, f.vars)
				ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
			}
		}
	}
	jt := c.emitTest(lang.ExprPos(x), tst, true)
	cont(false)
	for _, j := range jt {
		c.e.Land(j)
	}
	cont(true)
	c.meet(f, live, saved, outs, ends)
	return true
}

// join ends a split: the paths that go on (their locals outs, their
// jumps ends) meet here. A local they left with different values has no
// value the compiler knows after the join.
//
// A local the paths leave with different values keeps them: each path
// stores which of them it has in the thread's Val (a folded step), and the
// local is a vDyn after the join, which its uses split on.
func (c *kc) join(f *fnCtx, saved map[string]*val, outs []map[string]*val, ends []int) {
	if len(outs) == 0 {
		panic(unreachable{})
	}
	var differ []string
	for k := range saved {
		v0, ok := outs[0][k]
		if !ok {
			continue
		}
		for _, o := range outs[1:] {
			if u, ok := o[k]; ok && !sameVal(*u, *v0) {
				differ = append(differ, k)
				break
			}
		}
	}
	if len(differ) == 0 {
		c.joinVars(f, saved, outs)
		for _, j := range ends {
			c.e.Land(j)
		}
		return
	}
	slices.Sort(differ)
	if c.valUsed {
		panic(compileError(lang.Pos{File: f.fn.Pos.File, Line: f.fn.Pos.Line}, "%s: locals %v depend on the path taken while a local of %s does: the model keeps one such set of locals at a time", f.fn.Name, differ, c.valOwner))
	}
	for _, k := range differ {
		if p := saved[k]; p.k == vDyn {
			panic(compileError(f.fn.Pos, "%s: local %s depends on the path taken twice", f.fn.Name, k))
		}
	}
	c.valUsed = true
	c.valOwner = fmt.Sprintf("%s (%v)", f.fn.Name, differ)
	// The classes: the distinct tuples of the locals' values.
	var classes [][]val
	classOf := make([]int, len(outs))
	for i, o := range outs {
		tuple := make([]val, len(differ))
		for j, k := range differ {
			tuple[j] = *o[k]
		}
		classOf[i] = -1
		for ci, cl := range classes {
			same := true
			for j := range cl {
				same = same && sameVal(cl[j], tuple[j])
			}
			if same {
				classOf[i] = ci
			}
		}
		if classOf[i] < 0 {
			classOf[i] = len(classes)
			classes = append(classes, tuple)
		}
	}
	var joins []int
	for i, j := range ends {
		c.e.Land(j)
		var desc []string
		for jj, k := range differ {
			desc = append(desc, k+" = "+valString(classes[classOf[i]][jj]))
		}
		c.store(f.fn.Pos, model.VarVal, 0, model.StoreConst, classOf[i], true, strings.Join(desc, ", "))
		f.regs |= 4
		joins = append(joins, c.e.Emit(model.Op{Code: model.OpJump}))
	}
	for _, j := range joins {
		c.e.Land(j)
	}
	c.joinVars(f, saved, outs)
	for j, k := range differ {
		d := &val{k: vDyn, id: k}
		for _, cl := range classes {
			d.dvals = append(d.dvals, cl[j])
		}
		f.vars[k] = d
	}
}

// sameVal reports whether two values are the same value of one kind.
func sameVal(a, b val) bool {
	eq, ok := a.equal(b)
	return ok && eq && a.k == b.k
}

// valString renders a value for traces.
func valString(v val) string {
	switch v.k {
	case vInt:
		return fmt.Sprint(v.n)
	case vNull:
		return "NULL"
	}
	return fmt.Sprintf("#%d", v.a)
}

// joinVars sets the locals of saved to their values in outs: a local
// outs disagree on has no value the compiler knows.
func (c *kc) joinVars(f *fnCtx, saved map[string]*val, outs []map[string]*val) {
	f.vars = saved
	for k := range saved {
		v, ok := outs[0][k]
		if !ok {
			continue
		}
		w := *v
		for _, o := range outs[1:] {
			if u, ok := o[k]; !ok || u.k != w.k {
				w = val{k: vUndef}
			} else if eq, _ := u.equal(w); !eq {
				w = val{k: vUndef}
			}
		}
		f.vars[k] = &w
	}
}

// assignCall binds local name to the value of a call of model function
// fn. When the value depends on shared state, the rest of the list
// (more declarators, then rest) is compiled once per value the function
// returns, and it reports true.
func (c *kc) assignCall(f *fnCtx, name string, fn *lang.Func, call *lang.Call, more []lang.VarDecl, rest []lang.Stmt) bool {
	args, nv := c.argsOrSplit(f, call)
	if nv != nil {
		// An argument reads shared state: the statement and the rest
		// of the list are compiled once per value.
		all := rest
		if len(more) > 0 {
			all = append([]lang.Stmt{&lang.Decl{Pos: more[0].Pos, Vars: more}}, rest...)
		}
		c.split(f, *nv, func() {
			if !c.assignCall(f, name, fn, call, more, rest) {
				c.block(f, all)
			}
		})
		c.fell = true
		return true
	}
	sub := c.inline(fn, args, call.Pos, &fnCtx{values: true}, f.prefix)
	if len(sub.rets) == 0 {
		panic(unreachable{})
	}
	if len(sub.rets) == 1 {
		for _, j := range sub.rets[0].jumps {
			c.e.Land(j)
		}
		v := sub.rets[0].v
		f.vars[name] = &v
		setCells(f, sub.rets[0].cells)
		return false
	}
	if len(more) > 0 {
		rest = append([]lang.Stmt{&lang.Decl{Pos: more[0].Pos, Vars: more}}, rest...)
	}
	var ends []int
	var outs []map[string]*val
	live := false
	saved := cloneVars(f.vars)
	for _, g := range sub.rets {
		for _, j := range g.jumps {
			c.e.Land(j)
		}
		f.vars = cloneVars(saved)
		v := g.v
		f.vars[name] = &v
		setCells(f, g.cells)
		if alive(func() { c.block(f, rest) }) {
			live = true
			if c.fell {
				outs = append(outs, f.vars)
				ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
			}
		}
	}
	c.meet(f, live, saved, outs, ends)
	return true
}

// meet ends the compilation of the rest of a list once per value: the
// paths that fall off its end join (see join); c.fell says whether any
// did. live is false when every path stops the thread.
func (c *kc) meet(f *fnCtx, live bool, saved map[string]*val, outs []map[string]*val, ends []int) {
	if !live {
		panic(unreachable{})
	}
	if len(outs) == 0 {
		f.vars = saved
		c.fell = false
		return
	}
	c.join(f, saved, outs, ends)
	c.fell = true
}

// argsOrSplit evaluates a call's arguments, or returns the read of
// shared state one of them needs (and emits nothing).
func (c *kc) argsOrSplit(f *fnCtx, call *lang.Call) (args []val, nv *needValue) {
	mark, used := len(c.e.Ops), c.valUsed
	defer func() {
		if r := recover(); r != nil {
			n, ok := r.(needValue)
			if !ok {
				panic(r)
			}
			c.e.Ops = c.e.Ops[:mark]
			c.valUsed = used
			args, nv = nil, &n
		}
	}()
	return c.args(f, call), nil
}

// setCells sets the caller's locals a call's out-parameters wrote.
func setCells(f *fnCtx, cells map[string]val) {
	for k, v := range cells {
		v := v
		f.vars[k] = &v
	}
}

// retValues compiles return x of a call whose value is used (values
// mode): a jump to the group of each value x can have.
func (c *kc) retValues(f *fnCtx, x lang.Expr) {
	ret := func(v val) {
		c.release(f, lang.ExprPos(x), 0)
		c.clearRegs(f)
		f.addRet(v, c.e.Emit(model.Op{Code: model.OpJump}))
	}
	if v, ok := c.static(f, x); ok {
		ret(v)
		return
	}
	if call, ok := x.(*lang.Call); ok {
		if fn, ok := c.callee(call); ok {
			args := c.args(f, call)
			sub := c.inline(fn, args, call.Pos, &fnCtx{values: true}, f.prefix)
			for _, g := range sub.rets {
				for _, j := range g.jumps {
					c.e.Land(j)
				}
				ret(g.v)
			}
			return
		}
	}
	if _, ok := c.atomTest(f, x); ok {
		jt := c.branch(f, x, true)
		ret(intv(0))
		for _, j := range jt {
			c.e.Land(j)
		}
		ret(intv(1))
		return
	}
	c.splitting(f, func() { ret(c.eval(f, x)) })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cloneVars(m map[string]*val) map[string]*val {
	out := make(map[string]*val, len(m))
	for k, v := range m {
		w := *v
		out[k] = &w
	}
	return out
}

// stmt compiles one statement.
func (c *kc) stmt(f *fnCtx, st lang.Stmt) {
	switch s := st.(type) {
	case *lang.Block:
		c.scoped(f, s.Pos, func() { c.block(f, s.Stmts) })
	case *lang.Guard:
		c.guard(f, s.Pos, s.Class, s.Args)
	case *lang.ScopedGuard:
		c.scoped(f, s.Pos, func() {
			c.guard(f, s.Pos, s.Class, s.Args)
			c.stmt(f, s.Body)
		})
	case *lang.Empty:
	case *lang.ExprStmt:
		c.exprStmt(f, s.X)
	case *lang.If:
		if t, ok := c.staticCond(f, s.Cond); ok {
			if t {
				c.stmt(f, s.Then)
			} else if s.Else != nil {
				c.stmt(f, s.Else)
			}
			return
		}
		// A read the condition needs as a value (a call of a model
		// function whose result depends on shared state) splits here,
		// at the if: not at a statement around it, where a loop's
		// iterations would share the value of one.
		c.splitting(f, func() { c.ifStmt(f, s) })
	case *lang.For:
		if s.Init != nil {
			if es, ok := s.Init.(*lang.ExprStmt); ok && c.listWalk(f, s, es) {
				return
			}
			c.block(f, []lang.Stmt{s.Init})
		}
		c.loop(f, s.Pos, s.Cond, s.Post, s.Body)
	case *lang.While:
		if post, ok := c.ptrMoves(f, s.Body); ok {
			// while (jlm && jlm->mod != mod) { prev = &jlm->next;
			// jlm = jlm->next; }: a loop whose body only moves the
			// pointers the thread holds is the for loop with that
			// body as its post statement (ptrLoop).
			c.loop(f, s.Pos, s.Cond, post, &lang.Block{Pos: s.Pos})
			return
		}
		c.loop(f, s.Pos, s.Cond, nil, s.Body)
	case *lang.DoWhile:
		c.doWhile(f, s)
	case *lang.Goto:
		if c.guarded(f, 1) {
			panic(compileError(s.Pos, "goto out of a guard()'s scope: not modelled"))
		}
		j := c.e.Emit(model.Op{Code: model.OpJump})
		f.labels[s.Label] = append(f.labels[s.Label], j)
		f.labelVars[s.Label] = append(f.labelVars[s.Label], cloneVars(f.vars))
	case *lang.Labeled:
		for _, j := range f.labels[s.Label] {
			c.e.Land(j)
		}
		delete(f.labels, s.Label)
		c.stmt(f, s.Stmt)
	case *lang.Return:
		if s.X != nil && f.values {
			c.retValues(f, s.X)
			return
		}
		if f.cond && c.guarded(f, 0) {
			panic(compileError(s.Pos, "%s holds a guard() and is called in a condition: not modelled", f.fn.Name))
		}
		if _, plain := s.X.(*lang.Ident); s.X != nil && f.discard && !plain {
			c.exprStmt(f, s.X) // for its effects
		} else if s.X != nil && !f.discard {
			if f.cond {
				f.condJmps = append(f.condJmps, c.branch(f, s.X, f.condWant)...)
			} else {
				v, ok := c.static(f, s.X)
				if !ok {
					panic(compileError(s.Pos, "%s returns a value that depends on shared state: call it in a condition", f.fn.Name))
				}
				if f.retSet {
					if eq, _ := f.ret.equal(v); !eq {
						panic(compileError(s.Pos, "%s returns different values on different paths: call it in a condition", f.fn.Name))
					}
				}
				f.ret, f.retSet = &v, true
			}
		}
		c.release(f, s.Pos, 0)
		f.retJmps = append(f.retJmps, c.e.Emit(model.Op{Code: model.OpJump}))
	case *lang.Break, *lang.Continue:
		if len(f.loops) == 0 {
			panic(compileError(lang.StmtPos(st), "break or continue outside a loop"))
		}
		l := f.loops[len(f.loops)-1]
		if c.guarded(f, l.scopes) {
			panic(compileError(lang.StmtPos(st), "break or continue out of a guard()'s scope: not modelled"))
		}
		_, isBreak := s.(*lang.Break)
		if !isBreak {
			// continue passes the switches it is in.
			i := len(f.loops) - 1
			for i >= 0 && f.loops[i].sw {
				i--
			}
			if i < 0 {
				panic(compileError(lang.StmtPos(st), "continue outside a loop"))
			}
			l = f.loops[i]
		}
		j := c.e.Emit(model.Op{Code: model.OpJump})
		if isBreak {
			l.breaks = append(l.breaks, j)
			if l.sw {
				l.breakVars = append(l.breakVars, cloneVars(f.vars))
			}
		} else {
			l.conts = append(l.conts, j)
		}
	case *lang.Decl:
		c.block(f, []lang.Stmt{s})
	case *lang.Switch:
		c.switchStmt(f, s)
	default:
		panic(compileError(lang.StmtPos(st), "statement not in the model language"))
	}
}

// ifStmt compiles an if whose condition the scenario does not fix.
func (c *kc) ifStmt(f *fnCtx, s *lang.If) {
	jf := c.branch(f, s.Cond, false)
	saved := cloneVars(f.vars)
	var outs []map[string]*val
	var ends []int
	// Each branch that falls through meets the others after the
	// if; a local they leave with different values joins (see
	// join).
	arm := func(st lang.Stmt) bool {
		f.vars = cloneVars(saved)
		if st == nil {
			outs = append(outs, f.vars)
			ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
			return true
		}
		if !alive(func() { c.stmt(f, st) }) {
			return false
		}
		if !jumpsAway(st) {
			outs = append(outs, f.vars)
			ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
		}
		return true
	}
	thenAlive := arm(s.Then)
	for _, j := range jf {
		c.e.Land(j)
	}
	elseAlive := arm(s.Else)
	if !thenAlive && !elseAlive {
		panic(unreachable{})
	}
	if len(outs) == 0 {
		f.vars = saved // both branches jump away
		return
	}
	c.join(f, saved, outs, ends)
}

// sameVars checks that a branch on shared state left the locals as they
// were: a local's value must be known where the branches join.
func (c *kc) sameVars(pos lang.Pos, before, after map[string]*val) {
	for k, v := range before {
		if w, ok := after[k]; ok {
			if eq, _ := v.equal(*w); !eq || v.k != w.k {
				panic(compileError(pos, "local %s is assigned under a condition on shared state: its value would not be known after the if", k))
			}
		}
	}
}

// loop unrolls a loop whose condition the scenario fixes.
func (c *kc) loop(f *fnCtx, pos lang.Pos, cond, post lang.Expr, body lang.Stmt) {
	l := &loopCtx{scopes: len(f.scopes)}
	f.loops = append(f.loops, l)
	defer func() { f.loops = f.loops[:len(f.loops)-1] }()
	for n := 0; ; n++ {
		if n > 256 {
			panic(compileError(pos, "loop runs more than 256 times: the model unrolls loops over its tables"))
		}
		if cond != nil {
			v, ok := c.static(f, cond)
			if !ok && n == 0 && c.ptrLoop(f, pos, cond, post, body, l) {
				return
			}
			if !ok {
				// Part of the condition reads shared state (a site's
				// key field): this iteration runs when it holds. The
				// part the scenario fixes ends the unrolling.
				l.breaks = append(l.breaks, c.branch(f, cond, false)...)
			} else if t, _ := v.truth(); !t {
				break
			}
		}
		c.fell = true
		c.stmt(f, body)
		if (!c.fell || jumpsAway(body)) && len(l.conts) == 0 {
			// Every path of the body returns or jumps away: the
			// next iteration is not reached.
			break
		}
		for _, j := range l.conts {
			c.e.Land(j)
		}
		l.conts = nil
		if post != nil {
			c.exprStmt(f, post)
		}
	}
	for _, j := range l.breaks {
		c.e.Land(j)
	}
}

// listWalk compiles for (p = &first; p; p = p->next) over a key's
// static_call_mod list that modules change at run time: the walk is the
// machine's (a routine per move), and the body is compiled once for each
// entry the list can hold (vmlinux's sites, then each module's).
func (c *kc) listWalk(f *fnCtx, s *lang.For, init *lang.ExprStmt) bool {
	a, ok := init.X.(*lang.Assign)
	if !ok {
		return false
	}
	p, ok := a.L.(*lang.Ident)
	if !ok {
		return false
	}
	if call, ok := a.R.(*lang.Call); ok && call.Fun == "static_key_mod" {
		return c.jumpListWalk(f, s, p, call)
	}
	u, ok := a.R.(*lang.Unary)
	if !ok || u.Op != "&" {
		return false
	}
	fid, ok := u.X.(*lang.Ident)
	if !ok {
		return false
	}
	first := f.vars[fid.Name]
	if first == nil || first.k != vSiteMod || first.next == nil || first.next.k != vSiteModList {
		return false
	}
	// The post must be p = p->next, the condition p.
	if pa, ok := s.Post.(*lang.Assign); !ok || !isIdent(pa.L, p.Name) || !isMember(pa.R, p.Name, "next") || !isIdent(s.Cond, p.Name) {
		panic(compileError(s.Pos, "a walk of a static_call_mod list is for (%s = &%s; %s; %s = %s->next)", p.Name, fid.Name, p.Name, p.Name, p.Name))
	}
	key := first.next.a
	c.walkEntries(f, s, p.Name, key, false, func(b int) (val, bool) {
		sites := -1
		for i, st := range c.table(b - 1) {
			if st.Key == key {
				sites = i
				break
			}
		}
		return val{k: vSiteMod, a: b - 1, n: sites}, sites >= 0
	})
	return true
}

// jumpListWalk compiles __jump_label_mod_update()'s walk of a static
// key's struct static_key_mod list,
//
//	for (mod = static_key_mod(key); mod; mod = mod->next)
//
// as listWalk does a static_call_mod list: the walk is the machine's (a
// routine per move, from key->next), and the body is compiled once for
// each entry the list can hold (vmlinux's entries, then each module's),
// with mod a struct static_key_mod whose entries are that table's first
// entry of the key.
func (c *kc) jumpListWalk(f *fnCtx, s *lang.For, p *lang.Ident, call *lang.Call) bool {
	kv, ok := c.ptrValue(f, call)
	if !ok {
		panic(compileError(s.Pos, "%s: not a static key", exprString(call)))
	}
	if pa, ok := s.Post.(*lang.Assign); !ok || !isIdent(pa.L, p.Name) || !isMember(pa.R, p.Name, "next") || !isIdent(s.Cond, p.Name) {
		panic(compileError(s.Pos, "a walk of a static_key_mod list is for (%s = static_key_mod(key); %s; %s = %s->next)", p.Name, p.Name, p.Name, p.Name))
	}
	key := kv.n
	c.walkEntries(f, s, p.Name, key, true, func(b int) (val, bool) {
		first := -1
		for i, j := range c.jumpsOf(b - 1) {
			if j.Key == key {
				first = i
				break
			}
		}
		return val{k: vSiteMod, a: b - 1, n: first, s: "jump"}, true
	})
	f.regs |= 1 // the walk's cursor is in Reg
	return true
}

// walkEntries compiles the machine's walk of key's list of modules (a
// static_call_mod list, or with jump a static_key_mod list): a routine per
// move, and the loop's body once for each entry the list can hold, with
// local name set to entry(b) for block b (vmlinux's for b = 0, module
// b-1's after), when entry says the body runs for it.
func (c *kc) walkEntries(f *fnCtx, s *lang.For, name string, key int, jump bool, entry func(b int) (val, bool)) {
	mods := len(c.lay.Prog.Modules)
	e := c.e
	start := &modWalk{lay: c.lay, key: key, Jump: jump, Blocks: make([]int, mods+1)}
	next := &modWalk{lay: c.lay, key: key, Jump: jump, Next: true, Blocks: make([]int, mods+1)}
	fn := e.Fn
	c.routineAt(s.Pos, start)
	l := &loopCtx{}
	f.loops = append(f.loops, l)
	for b := 0; b <= mods; b++ {
		start.Blocks[b] = e.Here()
		v, body := entry(b)
		saved := cloneVars(f.vars)
		f.vars[name] = &v
		if body {
			c.stmt(f, s.Body)
		}
		f.vars = saved
		for _, j := range l.conts {
			e.Land(j)
		}
		l.conts = nil
		e.Fn = fn
		c.routineAt(s.Pos, next)
	}
	f.loops = f.loops[:len(f.loops)-1]
	copy(next.Blocks, start.Blocks)
	start.Done, next.Done = e.Here(), e.Here()
	for _, j := range l.breaks {
		e.Land(j)
	}
}

func isIdent(x lang.Expr, name string) bool {
	id, ok := x.(*lang.Ident)
	return ok && id.Name == name
}

func isMember(x lang.Expr, base, field string) bool {
	m, ok := x.(*lang.Member)
	return ok && m.Name == field && isIdent(m.X, base)
}

// exprStmt compiles an expression statement, splitting it on the reads of
// shared state it uses as values.
func (c *kc) exprStmt(f *fnCtx, x lang.Expr) {
	if call, ok := x.(*lang.Call); ok {
		if fn, ok := c.callee(call); ok {
			// A call whose value is not used.
			c.splitting(f, func() {
				args := c.args(f, call)
				c.inline(fn, args, call.Pos, &fnCtx{discard: true}, f.prefix)
			})
			return
		}
	}
	c.splitting(f, func() { c.eval(f, x) })
}

// splitting compiles body, and when it needs the value of a read of
// shared state, compiles it again once for each value (see split).
func (c *kc) splitting(f *fnCtx, body func()) {
	mark, used := len(c.e.Ops), c.valUsed
	defer func() {
		r := recover()
		nv, ok := r.(needValue)
		if !ok {
			if r != nil {
				panic(r)
			}
			return
		}
		c.e.Ops = c.e.Ops[:mark]
		c.valUsed = used
		c.split(f, nv, func() { c.splitting(f, body) })
	}()
	body()
}

// split emits the read of nv's variable and compiles body once for each
// value it can hold.
func (c *kc) split(f *fnCtx, nv needValue, body func()) {
	pos := lang.ExprPos(nv.x)
	var ends []int
	src := exprString(nv.x)
	saved := cloneVars(f.vars)
	var outs []map[string]*val
	var cells map[string]val
	run := func(v val) {
		if nv.local != "" {
			c.localOverrides[nv.local] = v
		} else {
			c.overrides[nv.x] = v
		}
		f.vars = cloneVars(saved)
		setCells(f, cells)
		if alive(body) {
			outs = append(outs, f.vars)
			ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
		}
	}
	if nv.emit != nil {
		vals := [2]val{intv(0), intv(1)}
		if nv.vals != nil {
			vals = *nv.vals
		}
		no, yes := nv.emit()
		for _, j := range no {
			c.e.Land(j)
		}
		run(vals[0])
		for _, j := range yes {
			c.e.Land(j)
		}
		run(vals[1])
	} else if nv.call != nil {
		call := nv.x.(*lang.Call)
		sub := c.inline(nv.call, nv.args, call.Pos, &fnCtx{values: true}, f.prefix)
		for _, g := range sub.rets {
			for _, j := range g.jumps {
				c.e.Land(j)
			}
			cells = g.cells
			run(g.v)
		}
	} else if nv.bt != nil {
		vals := [2]val{intv(0), intv(1)}
		if nv.vals != nil {
			vals = *nv.vals
		}
		jt := c.emitTest(pos, *nv.bt, true)
		run(vals[0])
		for _, j := range jt {
			c.e.Land(j)
		}
		run(vals[1])
	} else if nv.at.v == model.VarFunc && !nv.at.local {
		sw := c.op(pos, model.Op{Code: model.OpSwitchFunc, A: nv.at.idx, Table: make([]int, model.MaxTargets)})
		for _, t := range nv.domain {
			c.e.Ops[sw].Table[t] = c.e.Here()
			run(val{k: vTarget, a: t})
		}
	} else {
		dom := nv.domain
		for i, v := range dom {
			skip := -1
			if i < len(dom)-1 {
				// if (var != v) goto next value
				at, msg := nv.at, src
				if at.v == model.VarEnabled {
					// An atomic_t read is one step: the tests of
					// its other values fold into the first.
					at.local = i > 0
					msg = at.name
				}
				skip = c.emitTest(pos, test{at: at, cmp: model.CmpEq, b: v, neg: true, src: msg}, true)[0]
			}
			if nv.dvals != nil {
				run(nv.dvals[i])
			} else {
				run(intv(v))
			}
			if skip >= 0 {
				c.e.Land(skip)
			}
		}
	}
	delete(c.overrides, nv.x)
	delete(c.localOverrides, nv.local)
	c.join(f, saved, outs, ends)
}

// emitTest emits code that jumps when t is want and falls through
// otherwise; it returns the jumps.
func (c *kc) emitTest(pos lang.Pos, t test, want bool) []int {
	op := model.Op{Code: model.OpTest, A: t.at.v, Addr: uint64(t.at.idx), B: t.b, Len: uint8(t.cmp), Msg: t.src}
	if t.at.local {
		op.Len |= model.TestLocal
	}
	if t.neg {
		op.Len |= model.TestNeg
	}
	if want != t.neg {
		return []int{c.op(pos, op)}
	}
	// Jump when the comparison is false: skip over a jump.
	skip := c.op(pos, op)
	j := c.e.Emit(model.Op{Code: model.OpJump})
	c.e.Land(skip)
	return []int{j}
}

// ptrMoves returns a block's statements as one comma expression when each
// is an expression statement that assigns only register locals (see
// movesPtr).
func (c *kc) ptrMoves(f *fnCtx, body lang.Stmt) (lang.Expr, bool) {
	b, ok := body.(*lang.Block)
	if !ok || len(b.Stmts) == 0 {
		return nil, false
	}
	var post lang.Expr
	for _, st := range b.Stmts {
		es, ok := st.(*lang.ExprStmt)
		if !ok || !c.movesPtr(f, es.X) {
			return nil, false
		}
		if post == nil {
			post = es.X
		} else {
			post = &lang.Binary{Pos: lang.ExprPos(es.X), Op: ",", X: post, Y: es.X}
		}
	}
	return post, true
}
