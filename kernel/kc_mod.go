package kernel

import (
	"fmt"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// The module side of the model language: static switches, the pointers
// a thread holds while it builds or walks a key's static_call_mod list
// (struct static_call_mod *site_mod in its register Reg, struct
// static_call_mod **prev in Ptr), and the key fields of module sites.

// switchStmt compiles a switch on a value the scenario fixes: the
// statements from the matching case (or default) on, up to a break.
func (c *kc) switchStmt(f *fnCtx, s *lang.Switch) {
	tag, ok := c.static(f, s.Tag)
	if !ok {
		panic(compileError(s.Pos, "switch (%s): the model compiles a switch on a value the scenario fixes; write a switch on shared state as if/else", exprString(s.Tag)))
	}
	start := -1
	for i, cs := range s.Cases {
		for _, v := range cs.Values {
			w, ok := c.static(f, v)
			if !ok {
				panic(compileError(lang.ExprPos(v), "case %s: not a constant", exprString(v)))
			}
			if eq, _ := tag.equal(w); eq && start < 0 {
				start = i
			}
		}
	}
	if start < 0 {
		for i, cs := range s.Cases {
			if len(cs.Values) == 0 {
				start = i
			}
		}
	}
	l := &loopCtx{sw: true, scopes: len(f.scopes)}
	f.loops = append(f.loops, l)
	saved := cloneVars(f.vars)
	var outs []map[string]*val
	var ends []int
	fell := true
	if start >= 0 {
		var body []lang.Stmt
		for _, cs := range s.Cases[start:] {
			body = append(body, cs.Body...)
		}
		fell = alive(func() { c.block(f, body) }) && c.fell
	}
	f.loops = f.loops[:len(f.loops)-1]
	if fell {
		outs = append(outs, f.vars)
		ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
	}
	// The paths that break and the one that falls off the end meet here,
	// each with its locals (a value a case set on one path, such as
	// static_call_module_notify's ret, is the thread's Val after).
	c.meet(f, len(l.breaks) > 0 || fell, saved, append(l.breakVars, outs...), append(l.breaks, ends...))
}

// regVar is the shared variable of a pointer register.
func regVar(r int) int {
	switch r {
	case 1:
		return model.VarPtr
	case 3:
		return model.VarReg2
	}
	return model.VarReg
}

// regAddr is the Addr of an OpTest or OpStore of an entry's field
// through register r (Reg, or Reg2 for r 3).
func regAddr(r int) int {
	if r == 3 {
		return model.RegAddr2
	}
	return 0
}

// ptrLocal returns the register local x names, if it is one.
func (c *kc) ptrLocal(f *fnCtx, x lang.Expr) (*val, bool) {
	id, ok := x.(*lang.Ident)
	if !ok {
		return nil, false
	}
	v, ok := f.vars[id.Name]
	if !ok || v.k != vReg {
		return nil, false
	}
	return v, true
}

// listProtected reports whether the thread holds the mutex that protects
// the list it works on: static_call_mutex for every static_call_mod list
// and entry, jump_label_mutex for a static key's static_key_mod list.
// The kernel works on neither kind under the other's mutex
// (static_call_module_notify() takes static_call_mutex only,
// jump_label_module_notify() jump_label_mutex only), so either one held
// protects the list at hand. Their reads and stores then fold into the
// step before.
func (c *kc) listProtected() bool {
	return c.held&(1<<StaticCallMutex) != 0 || c.jumpLocked()
}

// store emits an OpStore of the statement at pos.
func (c *kc) store(pos lang.Pos, v, idx, src, b int, local bool, msg string) {
	op := model.Op{Code: model.OpStore, A: v, Addr: uint64(idx), B: b, Len: uint8(src), Msg: msg}
	if local {
		op.Len |= model.TestLocal
	}
	c.op(pos, op)
}

// ptrValue evaluates a pointer that the thread holds at run time: the
// result of kzalloc(), key->mods, site_mod->next, &key->mods,
// &site_mod->next. It emits nothing; ok is false for other expressions.
func (c *kc) ptrValue(f *fnCtx, x lang.Expr) (val, bool) {
	switch x := x.(type) {
	case *lang.Call:
		if x.Fun == "kzalloc" {
			return val{k: vReg, a: 0}, true
		}
		if x.Fun == "static_key_mod" && len(x.Args) == 1 {
			// static_key_mod(key): a static key's key->next, its
			// struct static_key_mod list (kernel/jump_label.c).
			if v, ok := c.static(f, x.Args[0]); ok && v.k == vKey && c.lay.Prog.Keys[v.a].Jump {
				return val{k: vReg, a: 0, n: v.a}, true
			}
		}
	case *lang.Member:
		if x.Name == "mods" || x.Name == "next" {
			if r, ok := c.ptrLocal(f, x.X); ok && x.Name == "next" {
				return val{k: vReg, a: 0, n: r.n}, true
			}
			if v, ok := c.static(f, x.X); ok && v.k == vKey && (x.Name == "mods" && !c.lay.Prog.Keys[v.a].Jump || x.Name == "next" && c.lay.Prog.Keys[v.a].Jump) {
				return val{k: vReg, a: 0, n: v.a}, true
			}
		}
	case *lang.Unary:
		if x.Op == "&" {
			if m, ok := x.X.(*lang.Member); ok {
				if v, ok := c.ptrValue(f, m); ok {
					v.a = 1
					return v, true
				}
			}
		}
	}
	return val{}, false
}

// assignPtr compiles local = x where x is a pointer the thread holds at
// run time (see ptrValue); it reports false for other assignments.
func (c *kc) assignPtr(f *fnCtx, a *lang.Assign) bool {
	id, ok := a.L.(*lang.Ident)
	if !ok || a.Op != "=" {
		return false
	}
	local, ok := f.vars[id.Name]
	if !ok {
		return false
	}
	v, ok := c.ptrValue(f, a.R)
	if !ok {
		return false
	}
	msg := exprString(a)
	reg := 0
	if local.k == vReg {
		reg = local.a
	} else if v.a == 1 {
		reg = 1
	} else if c.regHeld(f, id.Name, 0) {
		// A second entry while another local holds one in Reg:
		// jump_label_add_module()'s jlm2, while jlm is in Reg.
		reg = 3
	}
	switch r := a.R.(type) {
	case *lang.Call: // kzalloc(sizeof(*site_mod), GFP_KERNEL), static_key_mod(key)
		if reg != 0 && reg != 3 {
			panic(compileError(a.Pos, "%s: the result goes to a struct static_call_mod *", msg))
		}
		if r.Fun == "static_key_mod" {
			if reg != 0 {
				panic(compileError(a.Pos, "%s: the model walks a static key's list in one register", msg))
			}
			c.store(a.Pos, model.VarReg, 0, model.StoreMods, v.n, c.listProtected(), msg)
			break
		}
		op := model.Op{Code: model.OpKzalloc, B: c.failAlloc, Msg: msg}
		if reg == 3 {
			op.A = model.RegAddr2
		}
		if c.listProtected() {
			op.Len |= model.TestLocal
		}
		c.op(a.Pos, op)
	case *lang.Member: // key->mods, site_mod->next
		if reg != 0 {
			panic(compileError(a.Pos, "%s: a struct static_call_mod ** holds an address (&key->mods, &site_mod->next)", msg))
		}
		if p, ok := c.ptrLocal(f, r.X); ok {
			if p.a != 0 {
				panic(compileError(a.Pos, "%s: not a struct static_call_mod *", exprString(r.X)))
			}
			c.store(a.Pos, model.VarReg, 0, model.StoreNodeNext, 0, true, msg)
		} else {
			if !c.lay.Prog.Keys[v.n].Jump {
				c.keyMods(f, a.Pos, v.n)
			}
			c.store(a.Pos, model.VarReg, 0, model.StoreMods, v.n, c.listProtected(), msg)
		}
	case *lang.Unary: // &key->mods, &site_mod->next
		if reg != 1 {
			panic(compileError(a.Pos, "%s: an address of a list link goes to a struct static_call_mod **", msg))
		}
		if _, ok := c.ptrLocal(f, r.X.(*lang.Member).X); ok {
			c.store(a.Pos, model.VarPtr, 0, model.StoreReg, 0, true, msg)
		} else {
			c.store(a.Pos, model.VarPtr, 0, model.StoreConst, 0, true, msg)
		}
	}
	v.a = reg
	f.vars[id.Name] = &v
	f.regs |= 1 << reg
	return true
}

// regHeld reports whether a local of f other than name holds register r.
func (c *kc) regHeld(f *fnCtx, name string, r int) bool {
	for n, v := range f.vars {
		if n != name && v.k == vReg && v.a == r {
			return true
		}
	}
	return false
}

// keyMods compiles the check a read of key->mods needs: while the key
// holds its sites pointer (type bit 0 set: static_call_key_has_mods() is
// false), key->mods is that pointer | 1, which the model does not walk
// as a struct static_call_mod: a bad dereference.
func (c *kc) keyMods(f *fnCtx, pos lang.Pos, key int) {
	t := test{at: atom{v: model.VarKeyType, idx: key, local: c.listProtected()}, cmp: model.CmpEq, b: 0, src: fmt.Sprintf("static_call_key_has_mods(%s)", c.lay.Prog.Keys[key].Name)}
	jt := c.emitTest(pos, t, true)
	what := "its sites pointer"
	if !c.lay.Builtin[key] {
		what = "no sites (NULL)"
	}
	c.op(pos, model.Op{Code: model.OpBadDeref, Msg: fmt.Sprintf("%s->mods read while the key holds %s (key->type bit 0 set: static_call_key_has_mods() is false): key->type, %s | 1, is walked as key->mods, a struct static_call_mod pointer",
		c.lay.Prog.Keys[key].Name, what, what)})
	for _, j := range jt {
		c.e.Land(j)
	}
}

// ptrLoop compiles a loop that moves the pointers the thread holds, such
// as static_call_del_module's search of key->mods:
//
//	for (prev = &key->mods, site_mod = key->mods;
//	     site_mod && site_mod->mod != mod;
//	     prev = &site_mod->next, site_mod = site_mod->next)
//		;
//
// The thread's ops only jump forward, so the loop is unrolled once for
// each entry a list can hold (model.MaxNodes), and a walk that goes on
// past them (a cycle) stops the thread with a bad dereference. It
// reports false when the loop's post statement moves no such pointer.
func (c *kc) ptrLoop(f *fnCtx, pos lang.Pos, cond, post lang.Expr, body lang.Stmt, l *loopCtx) bool {
	if post == nil || !c.movesPtr(f, post) {
		return false
	}
	before := cloneVars(f.vars)
	var exits []int
	for range model.MaxNodes + 1 {
		exits = append(exits, c.branch(f, cond, false)...)
		c.stmt(f, body)
		for _, j := range l.conts {
			c.e.Land(j)
		}
		l.conts = nil
		c.exprStmt(f, post)
		c.sameVars(pos, before, f.vars)
	}
	c.op(pos, model.Op{Code: model.OpBadDeref, Msg: fmt.Sprintf("the loop at %s walks more than %d struct static_call_mod entries: the list has a cycle", srcOf(pos), model.MaxNodes)})
	for _, j := range exits {
		c.e.Land(j)
	}
	for _, j := range l.breaks {
		c.e.Land(j)
	}
	l.breaks = nil
	return true
}

// movesPtr reports whether x assigns only register locals.
func (c *kc) movesPtr(f *fnCtx, x lang.Expr) bool {
	switch x := x.(type) {
	case *lang.Binary:
		return x.Op == "," && c.movesPtr(f, x.X) && c.movesPtr(f, x.Y)
	case *lang.Assign:
		_, ok := c.ptrLocal(f, x.L)
		return ok && x.Op == "="
	}
	return false
}

// assignPtrField compiles a store through a pointer the thread holds or
// to a key's list head: site_mod->mod, site_mod->next, site_mod->sites,
// key->mods, key->sites, key->type, *prev. It reports false for other
// assignments.
func (c *kc) assignPtrField(f *fnCtx, a *lang.Assign) bool {
	msg := exprString(a)
	local := c.listProtected()
	switch l := a.L.(type) {
	case *lang.Unary: // *prev = site_mod->next
		p, ok := c.ptrLocal(f, l.X)
		if !ok || l.Op != "*" || p.a != 1 {
			return false
		}
		r, ok := a.R.(*lang.Member)
		if !ok || r.Name != "next" {
			panic(compileError(a.Pos, "%s: the model stores site_mod->next through prev", msg))
		}
		if _, ok := c.ptrLocal(f, r.X); !ok {
			panic(compileError(a.Pos, "%s: the model stores site_mod->next through prev", msg))
		}
		c.store(a.Pos, model.VarPrev, p.n, model.StoreNodeNext, 0, local, msg)
		return true
	case *lang.Member:
		if p, ok := c.ptrLocal(f, l.X); ok {
			if p.a != 0 && p.a != 3 {
				panic(compileError(a.Pos, "%s: not a struct static_call_mod *", exprString(l.X)))
			}
			ra := regAddr(p.a)
			switch l.Name {
			case "mod":
				v := c.eval(f, a.R)
				switch v.k {
				case vNull:
					c.store(a.Pos, model.VarNodeMod, ra, model.StoreConst, 0, local, msg)
				case vMod:
					c.store(a.Pos, model.VarNodeMod, ra, model.StoreConst, v.a+1, local, msg)
				default:
					panic(compileError(a.Pos, "%s: not a module", exprString(a.R)))
				}
			case "next":
				if call, ok := a.R.(*lang.Call); ok && call.Fun == "static_key_mod" {
					// jlm->next = static_key_mod(key): key->next.
					kv, ok := c.ptrValue(f, call)
					if !ok || p.a != 0 {
						panic(compileError(a.Pos, "%s: the model links jlm to a static key's list", msg))
					}
					c.store(a.Pos, model.VarNodeNext, 0, model.StoreMods, kv.n, local, msg)
					return true
				}
				v := c.eval(f, a.R)
				switch v.k {
				case vNull:
					c.store(a.Pos, model.VarNodeNext, ra, model.StoreConst, 0, local, msg)
				case vSiteModList:
					// static_call_key_next(key): key->mods while the key
					// has mods, else NULL; key->mods is 0 then.
					if p.a != 0 {
						panic(compileError(a.Pos, "%s: the model links the entry in Reg", msg))
					}
					c.store(a.Pos, model.VarNodeNext, 0, model.StoreMods, v.a, local, msg)
				default:
					panic(compileError(a.Pos, "%s: the model links an entry to NULL or static_call_key_next(key)", msg))
				}
			case "sites", "entries":
				// The model's entry names its module; its sites (a
				// struct static_key_mod's entries) are that module's
				// (or vmlinux's) first site (entry) of the key: what
				// static_call_add_module() and jump_label_add_module()
				// store (docs/semantics.md §11).
				c.eval(f, a.R)
			default:
				panic(compileError(a.Pos, "%s: struct static_call_mod has no field %s in the model", msg, l.Name))
			}
			return true
		}
		base, ok := c.static(f, l.X)
		if !ok || base.k != vKey {
			return false
		}
		switch l.Name {
		case "mods":
			if _, ok := c.ptrLocal(f, a.R); !ok {
				panic(compileError(a.Pos, "%s: the model sets key->mods to a struct static_call_mod * the thread holds", msg))
			}
			c.store(a.Pos, model.VarMods, base.a, model.StoreReg, 0, local, msg)
			return true
		case "sites":
			// key->sites = site: the sites pointer replaces key->mods
			// (key->type |= 1 follows).
			c.eval(f, a.R)
			c.store(a.Pos, model.VarMods, base.a, model.StoreConst, 0, local, msg)
			return true
		case "type":
			v := c.eval(f, a.R)
			if a.Op != "|=" || v.k != vInt || v.n != 1 {
				panic(compileError(a.Pos, "%s: the model sets key->type's bit 0 (key->type |= 1)", msg))
			}
			c.store(a.Pos, model.VarKeyType, base.a, model.StoreConst, 1, local, msg)
			return true
		}
	}
	return false
}

// modState maps the kernel's enum module_state onto the machine's module
// states.
func modState(x *lang.Assign, v val) uint8 {
	switch v.n {
	case model.KernelModComing:
		return model.ModComing
	case model.KernelModLive:
		return model.ModLive
	case model.KernelModGoing:
		return model.ModGoing
	case model.KernelModUnformed:
		return model.ModGone
	}
	panic(compileError(x.Pos, "%s: not a MODULE_STATE_*", exprString(x.R)))
}

// siteKey compiles static_call_add_module's fixup of a site's key field,
// site->key = key - (long)&site->key: the key, with the flags it carries
// (key |= s_key & STATIC_CALL_SITE_FLAGS), or none.
func (c *kc) siteKey(f *fnCtx, x *lang.Assign, s Loc) {
	msg := exprString(x)
	r := x.R
	if b, ok := r.(*lang.Binary); ok && b.Op == "-" {
		r = b.X // - (long)&site->key: the field holds an offset
	}
	k := c.eval(f, r)
	if k.k != vKey || k.a != s.Key {
		panic(compileError(x.Pos, "%s: the model fixes a site's key field up to its own key", msg))
	}
	switch k.fl {
	case 0:
		c.store(x.Pos, model.VarSiteFlags, s.Window, model.StoreConst, 0, c.flagsLocal(), msg)
	case s.Window + 1:
		c.store(x.Pos, model.VarSiteFlags, s.Window, model.StoreAnd, model.SiteTail|model.SiteInit, c.flagsLocal(), msg)
	default:
		panic(compileError(x.Pos, "%s: the flags come from another site's key field", msg))
	}
}

// ptrCall compiles kfree(site_mod); ok is false for other calls.
func (c *kc) ptrCall(f *fnCtx, x *lang.Call) (val, bool) {
	if x.Fun != "kfree" || len(x.Args) != 1 {
		return val{}, false
	}
	p, ok := c.ptrLocal(f, x.Args[0])
	if !ok || p.a != 0 && p.a != 3 {
		panic(compileError(x.Pos, "kfree(%s): the model frees struct static_call_mod entries it holds in a struct static_call_mod *", exprString(x.Args[0])))
	}
	op := model.Op{Code: model.OpKfree, A: regAddr(p.a), Msg: exprString(x)}
	if c.listProtected() {
		op.Len |= model.TestLocal
	}
	c.op(x.Pos, op)
	return val{}, true
}

// splitVals returns the values x has on the two sides of the test of
// shared state it needs, when they are not 0 and 1.
func (c *kc) splitVals(f *fnCtx, x lang.Expr) (vals *[2]val) {
	defer func() {
		if r := recover(); r != nil {
			switch nv := r.(type) {
			case needValue:
				if nv.x == x {
					vals = nv.vals
				}
			case notStatic, needLocal, unreachable:
			default:
				panic(r)
			}
		}
	}()
	c.value(f, x, true)
	return nil
}

// guardScope is a block's guard()s: the model mutexes they hold.
type guardScope struct {
	mutexes []int
}

// scoped compiles a block: the mutexes its guard()s took are released
// where it ends (include/linux/cleanup.h), last taken first.
func (c *kc) scoped(f *fnCtx, pos lang.Pos, body func()) {
	sc := &guardScope{}
	f.scopes = append(f.scopes, sc)
	ok := alive(body)
	f.scopes = f.scopes[:len(f.scopes)-1]
	if !ok {
		panic(unreachable{})
	}
	for i := len(sc.mutexes) - 1; i >= 0; i-- {
		c.unlock(pos, sc.mutexes[i], true)
	}
}

// guard compiles guard(class)(args): a mutex of the model is taken (and
// held to the end of the block), as is jump_label_mutex for
// guard(jump_label_lock)() (include/linux/jump_label.h:
// DEFINE_LOCK_GUARD_0(jump_label_lock, jump_label_lock(),
// jump_label_unlock())) in a scenario with static keys; the other lock
// classes (rcu, cpus_read_lock, preempt) are not modelled.
func (c *kc) guard(f *fnCtx, pos lang.Pos, class string, args []lang.Expr) {
	if class == "jump_label_lock" {
		if len(args) != 0 {
			panic(compileError(pos, "guard(jump_label_lock)() takes no argument"))
		}
		m := c.eval(f, &lang.Ident{Pos: pos, Name: "jump_label_mutex"})
		c.lock(pos, m.a)
		f.scopes[len(f.scopes)-1].mutexes = append(f.scopes[len(f.scopes)-1].mutexes, m.a)
		return
	}
	if class != "mutex" {
		return
	}
	if len(args) != 1 {
		panic(compileError(pos, "guard(mutex) takes one mutex"))
	}
	m := c.eval(f, args[0])
	if m.k != vMutex {
		panic(compileError(pos, "guard(mutex)(%s): not a mutex", exprString(args[0])))
	}
	c.lock(pos, m.a)
	f.scopes[len(f.scopes)-1].mutexes = append(f.scopes[len(f.scopes)-1].mutexes, m.a)
}

// guarded reports whether a scope of f from index from on holds a mutex.
func (c *kc) guarded(f *fnCtx, from int) bool {
	for _, sc := range f.scopes[min(from, len(f.scopes)):] {
		for _, m := range sc.mutexes {
			if m >= 0 {
				return true
			}
		}
	}
	return false
}

// release emits the unlocks of f's guard()s from scope index from on, as
// a path leaves them (a return): the compiler's view of the held locks
// is the scopes' own, for the paths that stay.
func (c *kc) release(f *fnCtx, pos lang.Pos, from int) {
	for i := len(f.scopes) - 1; i >= from; i-- {
		sc := f.scopes[i]
		for j := len(sc.mutexes) - 1; j >= 0; j-- {
			held := c.held
			c.unlock(pos, sc.mutexes[j], false)
			c.held = held
		}
	}
}

// portBytes returns a byte string constant the port defines (x86's
// tramp_ud, xor5rax, x86_nops[5]).
func (c *kc) portBytes(name string) (val, bool) {
	mp, ok := c.port.(ModelTransformPort)
	if !ok {
		return val{}, false
	}
	b, ok := mp.Bytes(name)
	if !ok {
		return val{}, false
	}
	return val{k: vBytes, s: string(b)}, true
}

// textTest is the read of the text at addr compared with want (memcmp):
// one OpJumpIfText, which folds into the step before while the thread
// holds text_mutex (every store to text is made under it). vals are x's
// values when the text differs and when it is the same.
func (c *kc) textTest(x lang.Expr, addr uint64, want []byte, vals [2]val) needValue {
	pos := lang.ExprPos(x)
	msg := exprString(x) + " == 0" // memcmp(...): the op tests that the text is the same
	if b, ok := x.(*lang.Binary); ok {
		msg = exprString(b.X) + " == " + exprString(b.Y)
	}
	return needValue{x: x, vals: &vals, emit: func() (no, yes []int) {
		if len(want) > model.WinSize {
			panic(compileError(pos, "%s: the model compares at most %d bytes of text", exprString(x), model.WinSize))
		}
		b, l := Bytes(want)
		op := model.Op{Code: model.OpJumpIfText, Addr: addr, Bytes: b, Len: l, Msg: msg}
		if c.held&(1<<TextMutex) != 0 {
			op.B = model.TextLocal
		}
		yes = []int{c.op(pos, op)}
		no = []int{c.e.Emit(model.Op{Code: model.OpJump})}
		return no, yes
	}}
}

// memcmp compiles memcmp(a, b, n) where a is text and b a constant.
func (c *kc) memcmp(f *fnCtx, x *lang.Call) val {
	if len(x.Args) != 3 {
		panic(compileError(x.Pos, "memcmp takes (a, b, n)"))
	}
	a := c.addr(x.Pos, c.eval(f, x.Args[0]))
	b := c.eval(f, x.Args[1])
	n := c.eval(f, x.Args[2])
	if a.k != vInt || b.k != vBytes || n.k != vInt || n.n > len(b.s) || n.n <= 0 {
		panic(compileError(x.Pos, "%s: the model compares text at a site or trampoline with a constant of the port", exprString(x)))
	}
	panic(c.textTest(x, uint64(a.n), []byte(b.s[:n.n]), [2]val{intv(1), intv(0)}))
}

// isLocalPtr reports whether x is a register local.
func (c *kc) isLocalPtr(f *fnCtx, x lang.Expr) bool {
	_, ok := c.ptrLocal(f, x)
	return ok
}
