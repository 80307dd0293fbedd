package kernel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// Expressions of the model language: static evaluates what the scenario
// fixes; branch compiles a condition; eval compiles an expression for its
// effects and value.

// static evaluates x when the scenario fixes its value and evaluating it
// has no effect; ok is false otherwise.
func (c *kc) static(f *fnCtx, x lang.Expr) (v val, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			switch r.(type) {
			case needValue, notStatic, needLocal:
				v, ok = val{}, false
			default:
				panic(r)
			}
		}
	}()
	return c.value(f, x, true), true
}

// notStatic stops a static evaluation that meets an effect.
type notStatic struct{}

// valueOrTest evaluates x, or returns the test of shared state it is.
func (c *kc) valueOrTest(f *fnCtx, x lang.Expr) (val, test, bool) {
	if v, ok := c.static(f, x); ok {
		return v, test{}, true
	}
	if t, ok := c.atomTest(f, x); ok {
		return val{}, t, false
	}
	// A value with effects, such as a call of a model function: compile it.
	return c.eval(f, x), test{}, true
}

// valueOrTestSplit is valueOrTest, or the read of shared state x's value
// needs when it is no test of its own.
func (c *kc) valueOrTestSplit(f *fnCtx, x lang.Expr) (v val, t test, ok bool, nv *needValue) {
	defer func() {
		if r := recover(); r != nil {
			n, is := r.(needValue)
			if !is {
				panic(r)
			}
			nv = &n
		}
	}()
	v, t, ok = c.valueOrTest(f, x)
	return v, t, ok, nil
}

// eval compiles x for its effects and returns its value.
func (c *kc) eval(f *fnCtx, x lang.Expr) val { return c.value(f, x, false) }

// value evaluates x; pure forbids effects (they panic notStatic).
func (c *kc) value(f *fnCtx, x lang.Expr, pure bool) val {
	if v, ok := c.overrides[x]; ok {
		return v
	}
	switch x := x.(type) {
	case *lang.Int:
		return intv(int(x.Value))
	case *lang.String:
		return val{k: vStr, s: x.Value}
	case *lang.Ident:
		return c.ident(f, x, pure)
	case *lang.Cast:
		return c.value(f, x.X, pure)
	case *lang.SizeOf:
		if n, ok := c.recordSize(f, x); ok {
			return intv(n)
		}
		return c.sizeOf(x)
	case *lang.Unary:
		switch x.Op {
		case "!":
			v := c.value(f, x.X, pure)
			t, ok := v.truth()
			if !ok {
				panic(compileError(x.Pos, "! of %s: not a value the compiler knows", exprString(x.X)))
			}
			return intv(boolInt(!t))
		case "&":
			switch y := x.X.(type) {
			case *lang.Ident:
				if m, ok := MutexByName(y.Name); ok {
					return val{k: vMutex, a: m}
				}
				if p, ok := f.vars[y.Name]; ok && !pure {
					// &local: an out-parameter of the call it is
					// passed to.
					cv := *p
					return val{k: vRef, s: y.Name, ref: &cv}
				}
				return c.ident(f, y, pure)
			}
			return c.value(f, x.X, pure)
		case "*":
			if id, ok := x.X.(*lang.Ident); ok {
				if p, ok := f.vars[id.Name]; ok && p.k == vRef {
					return c.localVal(f, "*"+id.Name, x, x.Pos, pure)
				}
			}
			if n := c.ptrSize(f, x.X); n > 0 {
				return c.textRead(x, c.number(x.Pos, c.value(f, x.X, pure)), n)
			}
		case "-":
			v := c.value(f, x.X, pure)
			return intv(-v.n)
		case "~":
			v := c.value(f, x.X, pure)
			if v.k != vInt {
				panic(compileError(x.Pos, "~%s: not a number", exprString(x.X)))
			}
			return val{k: vInt, n: ^v.n}
		}
	case *lang.Binary:
		return c.binary(f, x, pure)
	case *lang.Cond:
		// x ? y : z, and GNU C's x ? : z, on a test the scenario fixes.
		t, ok := c.staticCond(f, x.X)
		if !ok {
			panic(compileError(x.Pos, "%s: the model's ?: tests what the scenario fixes", exprString(x.X)))
		}
		switch {
		case t && x.Y == nil:
			return c.value(f, x.X, pure)
		case t:
			return c.value(f, x.Y, pure)
		}
		return c.value(f, x.Z, pure)
	case *lang.Member:
		return c.member(f, x, pure)
	case *lang.Call:
		return c.callExpr(f, x, pure)
	case *lang.Assign:
		if pure {
			panic(notStatic{})
		}
		c.assign(f, x)
		return val{}
	case *lang.IncDec:
		if pure {
			panic(notStatic{})
		}
		c.incdec(f, x)
		return val{}
	case *lang.Index:
		if b, ok := c.portBytes(exprString(x)); ok {
			return b
		}
		if id, ok := x.X.(*lang.Ident); ok && f.vars[id.Name] == nil {
			// A table of byte strings of the port, such as
			// x86_nops[size], at an index the compiler knows.
			if i, ok := c.static(f, x.I); ok && i.k == vInt {
				if b, ok := c.portBytes(fmt.Sprintf("%s[%d]", id.Name, i.n)); ok {
					return b
				}
			}
		}
		base := c.addr(x.Pos, c.value(f, x.X, pure))
		i := c.value(f, x.I, pure)
		if base.k != vInt || i.k != vInt {
			panic(compileError(x.Pos, "%s: the model indexes the text at a site or trampoline, with a constant", exprString(x)))
		}
		return val{k: vTextByte, n: base.n + i.n}
	case *lang.Composite:
		if ty := strings.Join(x.Type.Words, " "); ty != "struct static_call_mod" {
			st := c.structs[strings.TrimPrefix(ty, "struct ")]
			if st == nil {
				panic(compileError(x.Pos, "(%s){...}: no struct %s is defined in the model files", ty, strings.TrimPrefix(ty, "struct ")))
			}
			fields := map[string]val{}
			for _, fi := range x.Fields {
				if !slices.ContainsFunc(st.Fields, func(d lang.VarDecl) bool { return d.Name == fi.Name }) {
					panic(compileError(fi.Pos, "%s has no field %s", ty, fi.Name))
				}
				fields[fi.Name] = c.value(f, fi.X, pure)
			}
			return structVal(fields)
		}
		v := val{k: vSiteMod, a: -2, n: -1}
		c.first = true
		defer func() { c.first = false }()
		for _, fi := range x.Fields {
			w := c.value(f, fi.X, pure)
			switch fi.Name {
			case "next":
				w := w
				v.next = &w
			case "mod":
				if w.k == vMod {
					v.a = w.a
				} else if w.k == vNull {
					v.a = -1
				}
			case "sites":
				if w.k == vSite {
					v.n = w.n
				}
			default:
				panic(compileError(fi.Pos, "struct static_call_mod has no field %s", fi.Name))
			}
		}
		if v.a == -2 {
			v.a = -1
		}
		return v
	}
	panic(compileError(lang.ExprPos(x), "%s: not an expression the compiler knows", exprString(x)))
}

func (c *kc) ident(f *fnCtx, x *lang.Ident, pure bool) val {
	if _, ok := f.vars[x.Name]; ok {
		return c.localVal(f, x.Name, x, x.Pos, pure)
	}
	return c.global(f, x, pure)
}

// localVal is the value of local name, read by expression x.
func (c *kc) localVal(f *fnCtx, name string, x lang.Expr, pos lang.Pos, pure bool) val {
	if p, ok := f.vars[name]; ok {
		switch p.k {
		case vUndef:
			panic(compileError(pos, "%s is read before it is set", name))
		case vLocked:
			// The local holds a read of shared state: from now on, the
			// read is compiled where the local is set.
			if !c.read[p.id] {
				panic(needLocal{id: p.id})
			}
		case vReg:
			if pure {
				panic(notStatic{}) // its value is the thread's, at run time
			}
		case vArr:
			return val{k: vBytes, s: p.s} // read where it is used: see docs/language.md
		case vDyn:
			if v, ok := c.localOverrides[name]; ok {
				return v
			}
			dom := make([]int, len(p.dvals))
			for i := range dom {
				dom[i] = i
			}
			panic(needValue{x: x, at: atom{v: model.VarVal, name: name, local: true}, domain: dom, dvals: p.dvals, local: name})
		}
		return *p
	}
	panic(compileError(pos, "%s is not a local", name))
}

// global is the value of a name that is not a local.
func (c *kc) global(f *fnCtx, x *lang.Ident, pure bool) val {
	if n, ok := c.enums[x.Name]; ok {
		return intv(n)
	}
	if n, ok := kconst(x.Name); ok {
		return intv(n)
	}
	switch x.Name {
	case "NULL":
		return val{k: vNull}
	case "static_call_initialized":
		return c.read1(x, atom{v: model.VarInitialized, name: x.Name}, pure)
	case "system_state":
		return c.read1(x, atom{v: model.VarSystemState, name: x.Name}, pure)
	case "__start_static_call_sites":
		return val{k: vSite, a: -1, n: 0}
	case "__stop_static_call_sites":
		return val{k: vSite, a: -1, n: len(c.table(-1))}
	case "static_call_mutex", "text_mutex":
		m, _ := MutexByName(x.Name)
		return val{k: vMutex, a: m}
	case "__static_call_return0":
		return val{k: vTarget, a: model.TargetReturn0}
	case "jump_label_mutex":
		if len(c.lay.Prog.Mutexes) > JumpLabelMutex {
			return val{k: vMutex, a: JumpLabelMutex}
		}
		// No thread of the scenario patches jump labels: nobody else
		// takes it, and its lock and unlock take no step.
		return val{k: vMutex, a: -1}
	case "__start___jump_table":
		return val{k: vSite, a: jumpTable, n: 0}
	case "__stop___jump_table":
		return val{k: vSite, a: jumpTable, n: len(c.rawJumps())}
	case "kprobe_mutex", "module_mutex":
		// Mutexes the model does not have: their lock and unlock
		// take no step (docs/language.md).
		return val{k: vMutex, a: -1}
	}
	if b, ok := c.arrays[x.Name]; ok {
		return val{k: vBytes, s: b}
	}
	if b, ok := c.portBytes(x.Name); ok {
		return b
	}
	for _, sym := range c.lay.Prog.Symbols {
		if sym.Name == x.Name {
			return intv(int(sym.Addr)) // a function of the image that is no call target (__static_call_return)
		}
	}
	panic(compileError(x.Pos, "%s is not declared (a local, a parameter, or a global of the model: docs/language.md)", x.Name))
}

// read1 is a read of shared state used as a value: a constant when no
// thread writes the variable, else the statement splits on it.
func (c *kc) read1(x lang.Expr, at atom, pure bool) val {
	if v, ok := c.consts[[2]int{at.v, at.idx}]; ok {
		if at.v == model.VarFunc {
			return val{k: vTarget, a: v}
		}
		return intv(v)
	}
	at.local = c.protected(at)
	panic(needValue{x: x, at: at, domain: c.domain(at)})
}

// protected reports whether a lock the thread holds protects at: the
// static_call_mod lists and the site flags are only changed under
// static_call_mutex (static_call_module_notify, __static_call_init).
func (c *kc) protected(at atom) bool {
	switch at.v {
	case model.VarSiteFlags, model.VarMods, model.VarKeyType, model.VarNodeMod, model.VarNodeNext, model.VarTrampType:
		return c.held&(1<<StaticCallMutex) != 0
	case model.VarReg, model.VarPtr, model.VarVal:
		return true // the thread's own
	}
	return false
}

func (c *kc) binary(f *fnCtx, x *lang.Binary, pure bool) val {
	switch x.Op {
	case "&&", "||":
		// Fold a side the scenario fixes when the other is only reads.
		l, lok := c.static(f, x.X)
		if lok {
			if lt, _ := l.truth(); x.Op == "&&" && !lt || x.Op == "||" && lt {
				return intv(boolInt(lt))
			}
		}
		r, rok := c.static(f, x.Y)
		if lok {
			if rok {
				rt, _ := r.truth()
				return intv(boolInt(rt))
			}
		} else if rok && c.pureExpr(x.X) {
			rt, _ := r.truth()
			if x.Op == "&&" && !rt || x.Op == "||" && rt {
				return intv(boolInt(rt))
			}
		}
		lv := c.value(f, x.X, pure)
		lt, _ := lv.truth()
		if x.Op == "&&" && !lt || x.Op == "||" && lt {
			return intv(boolInt(lt))
		}
		rv := c.value(f, x.Y, pure)
		rt, _ := rv.truth()
		return intv(boolInt(rt))
	}
	l := c.value(f, x.X, pure)
	r := c.value(f, x.Y, pure)
	switch x.Op {
	case "+", "-", "*", "&", "|", "^", "<<", ">>":
		// Arithmetic on a read of patchable text: a value no decision
		// may use (vTextWord), as the read.
		if l.k == vTextWord {
			return l
		}
		if r.k == vTextWord {
			return r
		}
	}
	if n := c.ptrSize(f, x.X); n > 1 && (x.Op == "+" || x.Op == "-") && r.k == vInt {
		// Pointer arithmetic on a u32 * (ppc_function_toc's func + 1):
		// in elements.
		r.n *= n
	}
	if (x.Op == "==" || x.Op == "!=") && (l.k == vTextByte) != (r.k == vTextByte) {
		// A byte of text compared with a constant: a read of the text
		// (memcmp of one byte).
		if r.k == vTextByte {
			l, r = r, l
		}
		if r.k != vInt {
			panic(compileError(x.Pos, "%s: a byte of text is compared with a constant", exprString(x)))
		}
		vals := [2]val{intv(0), intv(1)}
		if x.Op == "!=" {
			vals = [2]val{intv(1), intv(0)}
		}
		panic(c.textTest(x, uint64(l.n), []byte{byte(r.n)}, vals))
	}
	if l.k == vInt && r.k == vInt {
		switch x.Op {
		case "*":
			return intv(l.n * r.n)
		case "<<":
			return intv(l.n << uint(r.n))
		case ">>":
			return intv(l.n >> uint(r.n))
		case "/", "%":
			if r.n == 0 {
				panic(compileError(x.Pos, "%s: division by zero", exprString(x)))
			}
			if x.Op == "/" {
				return intv(l.n / r.n)
			}
			return intv(l.n % r.n)
		}
	}
	switch x.Op {
	case ",":
		return r
	case "==", "!=":
		eq, ok := l.equal(r)
		if !ok {
			panic(compileError(x.Pos, "cannot compare %s with %s", exprString(x.X), exprString(x.Y)))
		}
		return intv(boolInt(eq == (x.Op == "==")))
	case "<", "<=", ">", ">=":
		l, r = c.addr(x.Pos, l), c.addr(x.Pos, r)
		if l.k == vKey && r.k == vKey {
			// Keys are data, in declaration order: compare their
			// places (jump_label_cmp sorts by key address).
			l, r = intv(l.a), intv(r.a)
		}
		if l.k == vSite && r.k == vSite {
			if l.a != r.a {
				panic(compileError(x.Pos, "%s and %s point into different site tables", exprString(x.X), exprString(x.Y)))
			}
			l, r = intv(l.n), intv(r.n)
		}
		if l.k != vInt || r.k != vInt {
			panic(compileError(x.Pos, "%s %s %s: not numbers", exprString(x.X), x.Op, exprString(x.Y)))
		}
		var b bool
		switch x.Op {
		case "<":
			b = l.n < r.n
		case "<=":
			b = l.n <= r.n
		case ">":
			b = l.n > r.n
		case ">=":
			b = l.n >= r.n
		}
		return intv(boolInt(b))
	case "+", "-":
		if (l.k == vSiteAddr || l.k == vTramp) && r.k == vInt {
			l = c.addr(x.Pos, l)
		}
		if l.k != vSite && r.k != vSite {
			// Address arithmetic of the image: a function's, a site's,
			// a trampoline's address (NULL is 0).
			l, r = c.number(x.Pos, l), c.number(x.Pos, r)
		}
		if l.k == vSite && r.k == vInt {
			if x.Op == "-" {
				r.n = -r.n
			}
			return val{k: vSite, a: l.a, n: l.n + r.n}
		}
		if l.k == vInt && r.k == vInt {
			if x.Op == "-" {
				return intv(l.n - r.n)
			}
			return intv(l.n + r.n)
		}
	case "&", "|":
		if l.k == vSiteAddr && r.k == vInt {
			l = c.addr(x.Pos, l) // (uintptr_t)addr & 0x3
		}
		if x.Op == "&" && (l.k == vKey || l.k == vTramp) && r.k == vInt {
			// A key field's value: s_key & ~STATIC_CALL_SITE_FLAGS is
			// the key (or trampoline) address, s_key &
			// STATIC_CALL_SITE_FLAGS its flags.
			if r.n == model.SiteTail|model.SiteInit {
				if l.fl == 0 {
					return intv(0)
				}
				return val{k: vFlags, a: l.fl - 1}
			}
			if r.n == ^(model.SiteTail | model.SiteInit) {
				l.fl = 0
				return l
			}
		}
		if x.Op == "|" && l.k == vKey && r.k == vFlags {
			l.fl = r.a + 1
			return l
		}
		if l.k == vInt && r.k == vInt {
			if x.Op == "&" {
				return intv(l.n & r.n)
			}
			return intv(l.n | r.n)
		}
	case "^":
		if l.k == vInt && r.k == vInt {
			return intv(l.n ^ r.n)
		}
	}
	panic(compileError(x.Pos, "%s: not an operation the compiler knows on these values", exprString(x)))
}

// pureExpr reports whether x only reads (no call with an effect, no
// assignment).
func (c *kc) pureExpr(x lang.Expr) bool {
	switch x := x.(type) {
	case *lang.Assign, *lang.IncDec:
		return false
	case *lang.Call:
		if _, model := c.callee(x); model {
			return false
		}
		switch x.Fun {
		case "WARN_ON", "WARN_ON_ONCE", "WARN", "WARN_ONCE", "BUG_ON", "BUG":
			return false
		}
		for _, a := range x.Args {
			if !c.pureExpr(a) {
				return false
			}
		}
		return true
	case *lang.Unary:
		return c.pureExpr(x.X)
	case *lang.Binary:
		return c.pureExpr(x.X) && c.pureExpr(x.Y)
	case *lang.Member:
		return c.pureExpr(x.X)
	case *lang.Cast:
		return c.pureExpr(x.X)
	}
	return true
}

func (c *kc) member(f *fnCtx, x *lang.Member, pure bool) val {
	if isMember(x, "text_poke_array", "nr_entries") {
		return c.pokeEntries(x, pure)
	}
	var base val
	if p, ok := c.ptrLocal(f, x.X); ok {
		base = *p // a pointer the thread holds: its fields are reads
	} else {
		base = c.value(f, x.X, pure)
	}
	switch base.k {
	case vStruct:
		if v, ok := base.fields[x.Name]; ok {
			return v
		}
	case vKey:
		switch x.Name {
		case "func":
			return c.read1(x, atom{v: model.VarFunc, idx: base.a, name: exprString(x)}, pure)
		}
	case vSiteMod:
		switch x.Name {
		case "mod":
			if base.a < 0 {
				return val{k: vNull}
			}
			return val{k: vMod, a: base.a}
		case "sites":
			if base.n < 0 {
				return val{k: vNull}
			}
			return val{k: vSite, a: base.a, n: base.n}
		case "entries":
			// A struct static_key_mod of a jump walk (listWalk): its
			// module's first entry of the key in that module's
			// (vmlinux's) jump table.
			if base.s != "jump" {
				break
			}
			if base.n < 0 {
				return val{k: vNull}
			}
			return val{k: vSite, a: jumpTableID(base.a, false), n: base.n}
		case "next":
			if base.next == nil {
				return val{k: vNull}
			}
			return *base.next
		}
	case vMod:
		switch x.Name {
		case "static_call_sites":
			return val{k: vSite, a: base.a, n: 0}
		case "num_static_call_sites":
			return intv(len(c.table(base.a)))
		case "jump_entries":
			// The module's __jump_table, sorted (jumpsOf).
			return val{k: vSite, a: jumpModTable(base.a), n: 0}
		case "num_jump_entries":
			return intv(len(c.rawJumpsOf(base.a)))
		case "state":
			return c.read1(x, atom{v: model.VarModState, idx: base.a, name: exprString(x)}, pure)
		case "init":
			// mod->init: the module's init function, named by its
			// module (do_one_initcall(mod->init)).
			return base
		}
	case vKprobe:
		switch x.Name {
		case "addr":
			// The probed address: the start of the scenario's site.
			return val{k: vSiteAddr, a: base.a, n: base.n}
		}
	case vReg:
		if base.a == 0 || base.a == 3 {
			switch x.Name {
			case "mod":
				return c.read1(x, atom{v: model.VarNodeMod, idx: regAddr(base.a), name: exprString(x), local: true}, pure)
			case "next":
				// As a value compared with NULL (jump_label_del_module's
				// jlm->next == NULL); a pointer assigned is ptrValue's.
				return c.read1(x, atom{v: model.VarNodeNext, idx: regAddr(base.a), name: exprString(x), local: true}, pure)
			}
		}
	case vTramp:
		if !pure {
			c.stop(x.Pos, model.Op{Code: model.OpBadDeref, Msg: fmt.Sprintf("%s: the key field holds __SCT__%s, read as a struct static_call_key", exprString(x), c.lay.Prog.Keys[base.a].Name)})
		}
		panic(notStatic{})
	}
	panic(compileError(x.Pos, "%s: the model has no field %s here", exprString(x), x.Name))
}

// addr turns a site's text address into a number, for the address
// arithmetic of addr_conflict(); other values are returned as they are.
func (c *kc) addr(pos lang.Pos, v val) val {
	switch v.k {
	case vSiteAddr:
		return intv(int(c.site(pos, v).Addr))
	case vTramp:
		return intv(int(c.lay.Tramps[v.a].Addr))
	}
	return v
}

// number turns an address of the image into a number: a site's, a
// trampoline's, a call target's (NULL is 0); other values are returned
// as they are.
func (c *kc) number(pos lang.Pos, v val) val {
	switch v.k {
	case vTarget:
		return intv(int(c.lay.Prog.Targets[v.a].Addr))
	case vNull:
		return intv(0)
	}
	return c.addr(pos, v)
}

// site returns the Loc a site value points at.
func (c *kc) site(pos lang.Pos, v val) Loc {
	if v.k != vSite && v.k != vSiteAddr {
		panic(compileError(pos, "not a static_call_site"))
	}
	tab := c.table(v.a)
	if v.n < 0 || v.n >= len(tab) {
		panic(compileError(pos, "site pointer past the end of its table"))
	}
	return tab[v.n]
}

func (c *kc) assign(f *fnCtx, x *lang.Assign) {
	if m, ok := x.L.(*lang.Member); ok && isMember(m, "text_poke_array", "nr_entries") {
		if v, ok := c.static(f, x.R); !ok || v.k != vInt || v.n != 0 || x.Op != "=" {
			panic(compileError(x.Pos, "%s: the model's text_poke_array is emptied (= 0); entries are added by __smp_text_poke_batch_add", exprString(x)))
		}
		c.pokeEntriesZero(x.Pos)
		return
	}
	if c.assignPtr(f, x) || c.assignPtrField(f, x) {
		return
	}
	if ix, ok := x.L.(*lang.Index); ok && c.arrayElem(f, x, ix) {
		return
	}
	if c.recordAssign(f, x) {
		return
	}
	switch l := x.L.(type) {
	case *lang.Ident:
		if p, ok := f.vars[l.Name]; ok {
			if x.Op != "=" {
				op := strings.TrimSuffix(x.Op, "=")
				*p = c.eval(f, &lang.Binary{Pos: x.Pos, Op: op, X: l, Y: x.R})
				return
			}
			*p = c.eval(f, x.R)
			return
		}
		switch l.Name {
		case "static_call_initialized":
			v := c.eval(f, x.R)
			c.op(x.Pos, model.Op{Code: model.OpSetInit, B: v.n})
			return
		case "system_state":
			v := c.eval(f, x.R)
			c.op(x.Pos, model.Op{Code: model.OpSetSystem, B: v.n})
			return
		}
	case *lang.Member:
		base := c.eval(f, l.X)
		if base.k == vMod && l.Name == "state" {
			v := c.eval(f, x.R)
			c.op(x.Pos, model.Op{Code: model.OpSetModState, A: base.a, B: int(modState(x, v))})
			return
		}
		if (base.k == vSite || base.k == vSiteAddr) && l.Name == "key" {
			c.siteKey(f, x, c.site(x.Pos, base))
			return
		}
		if base.k == vKey {
			switch l.Name {
			case "func":
				v := c.eval(f, x.R)
				if v.k != vTarget {
					panic(compileError(x.Pos, "key->func = %s: not a function of the scenario", exprString(x.R)))
				}
				c.op(x.Pos, model.Op{Code: model.OpSetFunc, A: base.a, B: v.a})
				return
			}
		}
	}
	panic(compileError(x.Pos, "%s: the model cannot assign this", exprString(x)))
}

func (c *kc) incdec(f *fnCtx, x *lang.IncDec) {
	if id, ok := x.X.(*lang.Ident); ok {
		if p, ok := f.vars[id.Name]; ok {
			if p.k == vSite || p.k == vInt {
				if x.Op == "++" {
					p.n++
				} else {
					p.n--
				}
				return
			}
		}
		if id.Name == "static_call_initialized" && x.Op == "++" {
			c.op(x.Pos, model.Op{Code: model.OpSetInit, A: 1})
			return
		}
	}
	panic(compileError(x.Pos, "%s: the model cannot change this", exprString(x)))
}

// atomTest returns the test of shared state x is, when it is one: a read
// compared with a constant, or a read taken as a truth value.
func (c *kc) atomTest(f *fnCtx, x lang.Expr) (test, bool) {
	src := exprString(x)
	read := func(y lang.Expr) (atom, bool) {
		var at atom
		ok := false
		func() {
			defer func() {
				if r := recover(); r != nil {
					if nv, is := r.(needValue); is && nv.x == y && nv.dvals == nil {
						at, ok = nv.at, true
						return
					}
					if _, is := r.(needValue); is {
						return
					}
					if _, is := r.(notStatic); is {
						return
					}
					panic(r)
				}
			}()
			c.value(f, y, true)
		}()
		return at, ok
	}
	if id, ok := x.(*lang.Ident); ok {
		if v, ok := f.vars[id.Name]; ok && v.k == vReg {
			// A pointer the thread holds, as a truth value.
			return test{at: atom{v: regVar(v.a), local: true}, cmp: model.CmpEq, b: 0, neg: true, src: src}, true
		}
	}
	if b, ok := x.(*lang.Binary); ok && (b.Op == "==" || b.Op == "!=") {
		// prev == &key->next (jump_label_del_module): Ptr is 0 while
		// prev is the address of the list head.
		if p, ok := c.ptrLocal(f, b.X); ok && p.a == 1 {
			if v, ok := c.ptrValue(f, b.Y); ok && v.a == 1 {
				if m := b.Y.(*lang.Unary).X.(*lang.Member); !c.isLocalPtr(f, m.X) {
					return test{at: atom{v: model.VarPtr, local: true}, cmp: model.CmpEq, b: 0, neg: b.Op == "!=", src: src}, true
				}
			}
		}
	}
	switch x := x.(type) {
	case *lang.Binary:
		switch x.Op {
		case "==", "!=", "<", ">=", ">", "<=":
			if at, ok := read(x.X); ok {
				if r, ok := c.static(f, x.Y); ok && (r.k == vInt || r.k == vTarget || r.k == vMod || r.k == vNull) {
					b := r.n
					switch r.k {
					case vTarget:
						b = r.a
					case vMod:
						b = r.a + 1 // site_mod->mod: m+1, NULL 0
					case vNull:
						b = 0
					}
					switch x.Op {
					case "==":
						return test{at: at, cmp: model.CmpEq, b: b, src: src}, true
					case "!=":
						return test{at: at, cmp: model.CmpEq, b: b, neg: true, src: src}, true
					case "<":
						return test{at: at, cmp: model.CmpLt, b: b, src: src}, true
					case ">=":
						return test{at: at, cmp: model.CmpLt, b: b, neg: true, src: src}, true
					case "<=":
						return test{at: at, cmp: model.CmpLt, b: b + 1, src: src}, true
					case ">":
						return test{at: at, cmp: model.CmpLt, b: b + 1, neg: true, src: src}, true
					}
				}
			}
		case "&":
			if at, ok := read(x.X); ok {
				if r, ok := c.static(f, x.Y); ok && r.k == vInt {
					return test{at: at, cmp: model.CmpMask, b: r.n, src: src}, true
				}
			}
		}
	case *lang.Unary:
		if x.Op == "!" {
			if t, ok := c.atomTest(f, x.X); ok {
				t.neg = !t.neg
				t.src = src
				return t, true
			}
		}
	case *lang.Ident, *lang.Member:
		if at, ok := read(x); ok {
			return test{at: at, cmp: model.CmpEq, b: 0, neg: true, src: src}, true
		}
	case *lang.Call:
		// A built-in that reads shared state.
		if t, ok := c.builtinTest(f, x); ok {
			t.src = src
			return t, true
		}
	}
	return test{}, false
}

// branch compiles condition x: it emits code that jumps when x is want
// and falls through otherwise, and returns the jumps.
func (c *kc) branch(f *fnCtx, x lang.Expr, want bool) []int {
	if v, ok := c.static(f, x); ok {
		if t, _ := v.truth(); t == want {
			return []int{c.e.Emit(model.Op{Code: model.OpJump})}
		}
		return nil
	}
	switch y := x.(type) {
	case *lang.Assign:
		// (op = __is_Jcc(insn)): the assignment, then its value.
		if id, ok := y.L.(*lang.Ident); ok && y.Op == "=" && f.vars[id.Name] != nil {
			c.assign(f, y)
			return c.branch(f, id, want)
		}
	case *lang.Unary:
		if y.Op == "!" {
			return c.branch(f, y.X, !want)
		}
	case *lang.Binary:
		switch y.Op {
		case "&&", "||":
			and := y.Op == "&&"
			// A side the scenario fixes folds away.
			if r, ok := c.static(f, y.Y); ok && c.pureExpr(y.X) {
				if rt, _ := r.truth(); rt != and {
					return c.branch(f, &lang.Int{Pos: y.Pos, Value: uint64(boolInt(rt))}, want)
				}
				return c.branch(f, y.X, want)
			}
			if and == want {
				// jump when both hold (&&, want) / both fail (||, !want)
				skip := c.branch(f, y.X, !want)
				js := c.branch(f, y.Y, want)
				for _, j := range skip {
					c.e.Land(j)
				}
				return js
			}
			return append(c.branch(f, y.X, want), c.branch(f, y.Y, want)...)
		}
	case *lang.Call:
		switch y.Fun {
		case "WARN_ON", "WARN_ON_ONCE", "WARN", "WARN_ONCE":
			if len(y.Args) == 0 {
				break
			}
			// The condition; when it holds, the warning.
			jf := c.branch(f, y.Args[0], false)
			c.op(y.Pos, model.Op{Code: model.OpWarn, Msg: warnMsg(y)})
			if want {
				js := []int{c.e.Emit(model.Op{Code: model.OpJump})}
				for _, j := range jf {
					c.e.Land(j)
				}
				return js
			}
			return jf
		}
		if fn, ok := c.callee(y); ok {
			args := c.args(f, y)
			cf := &fnCtx{cond: true, condWant: want}
			sub := c.inline(fn, args, y.Pos, cf, f.prefix)
			return sub.condJmps
		}
	}
	if t, ok := c.atomTest(f, x); ok {
		if v, ok := c.consts[[2]int{t.at.v, t.at.idx}]; ok {
			// No thread writes the variable: the test is decided now.
			return c.branch(f, &lang.Int{Value: uint64(boolInt(evalTest(t, v)))}, want)
		}
		if b, ok := c.decided(t); ok {
			// Every value the variable can still hold gives the same
			// outcome (system_state only grows).
			return c.branch(f, &lang.Int{Value: uint64(boolInt(b))}, want)
		}
		t.at.local = c.protected(t.at)
		return c.emitTest(lang.ExprPos(x), t, want)
	}
	// A condition with effects or reads inside: compile it as a value,
	// once per value of the reads it needs.
	var js []int
	c.splitting(f, func() {
		v := c.eval(f, x)
		t, ok := v.truth()
		if !ok {
			panic(compileError(lang.ExprPos(x), "%s: not a condition the compiler knows", exprString(x)))
		}
		if t == want {
			js = append(js, c.e.Emit(model.Op{Code: model.OpJump}))
		}
	})
	return js
}

func evalTest(t test, v int) bool {
	var b bool
	switch t.cmp {
	case model.CmpLt:
		b = v < t.b
	case model.CmpMask:
		b = v&t.b != 0
	default:
		b = v == t.b
	}
	return b != t.neg
}

func warnMsg(x *lang.Call) string {
	msg := x.Fun + "(" + exprString(x.Args[0]) + ")"
	if len(x.Args) > 1 {
		if s, ok := x.Args[1].(*lang.String); ok {
			msg += ": " + s.Value
		}
	}
	return msg
}

// args evaluates a call's arguments.
func (c *kc) args(f *fnCtx, x *lang.Call) []val {
	out := make([]val, len(x.Args))
	for i, a := range x.Args {
		out[i] = c.eval(f, a)
	}
	return out
}

// exprString renders x as C, for traces and messages.
func exprString(x lang.Expr) string {
	var b strings.Builder
	writeExpr(&b, x)
	return b.String()
}

func writeExpr(b *strings.Builder, x lang.Expr) {
	switch x := x.(type) {
	case *lang.Ident:
		b.WriteString(x.Name)
	case *lang.Int:
		if x.Text != "" {
			b.WriteString(x.Text)
		} else {
			fmt.Fprint(b, x.Value)
		}
	case *lang.String:
		fmt.Fprintf(b, "%q", x.Value)
	case *lang.Call:
		if x.Via != nil {
			writeExpr(b, x.Via)
			b.WriteString("(")
		} else {
			b.WriteString(x.Fun + "(")
		}
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a)
		}
		b.WriteString(")")
	case *lang.Member:
		writeExpr(b, x.X)
		if x.Arrow {
			b.WriteString("->")
		} else {
			b.WriteString(".")
		}
		b.WriteString(x.Name)
	case *lang.Unary:
		b.WriteString(x.Op)
		writeExpr(b, x.X)
	case *lang.Binary:
		writeExpr(b, x.X)
		b.WriteString(" " + x.Op + " ")
		writeExpr(b, x.Y)
	case *lang.Cond:
		writeExpr(b, x.X)
		if x.Y == nil {
			b.WriteString(" ?: ")
		} else {
			b.WriteString(" ? ")
			writeExpr(b, x.Y)
			b.WriteString(" : ")
		}
		writeExpr(b, x.Z)
	case *lang.Cast:
		writeExpr(b, x.X)
	case *lang.Assign:
		writeExpr(b, x.L)
		b.WriteString(" " + x.Op + " ")
		writeExpr(b, x.R)
	case *lang.IncDec:
		writeExpr(b, x.X)
		b.WriteString(x.Op)
	case *lang.Index:
		writeExpr(b, x.X)
		b.WriteString("[")
		writeExpr(b, x.I)
		b.WriteString("]")
	default:
		b.WriteString("…")
	}
}
