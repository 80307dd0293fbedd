package kernel

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Jump labels in the model language: the __jump_table, the static keys'
// key->enabled and its atomics, and the try_cmpxchg retry loop
// (docs/language.md, "Jump labels").

// jumpTable is the table index (val.a of a vSite) of vmlinux's
// __jump_table: a struct jump_entry * is a vSite into it, so that the
// pointer arithmetic and comparisons of site pointers serve both.
const jumpTable = -100

// staticKeys checks that the port laid out the scenario's static keys
// after its static call keys, and fills in lay.Enabled: the values
// key->enabled can hold. Every operation moves it by at most one
// (static_key_slow_inc from 0 sets -1, then 1), so it stays within
// [-1 - (decrements), initial + (increments)].
func staticKeys(sc *scenario.Scenario, lay *Layout) error {
	p := lay.Prog
	lay.Enabled = make([][]int, len(p.Keys))
	if len(sc.StaticKeys) == 0 {
		return nil
	}
	if len(p.Keys) != len(sc.Keys)+len(sc.StaticKeys) || len(lay.Jumps) != len(sc.Jumps) {
		return fmt.Errorf("jump labels (static_key, jump) are not modelled on %s yet", sc.Arch)
	}
	for i, sk := range sc.StaticKeys {
		k := len(sc.Keys) + i
		if !p.Keys[k].Jump || p.Keys[k].Name != sk.Name {
			return fmt.Errorf("patchcheck: the %s port laid out key %d as %q, not static key %q", sc.Arch, k, p.Keys[k].Name, sk.Name)
		}
		lo, hi := -1, p.Keys[k].Enabled
		for _, th := range sc.Threads {
			for _, op := range th.Ops {
				if op.Key != sk.Name {
					continue
				}
				switch op.Kind {
				case scenario.OpKeyInc, scenario.OpKeyEnable:
					hi++
				case scenario.OpKeyDec, scenario.OpKeyDisable:
					lo--
				}
			}
		}
		if lo == -1 && hi == p.Keys[k].Enabled {
			// No thread touches the key.
			lay.Enabled[k] = []int{p.Keys[k].Enabled}
			p.Keys[k].EnabledMin, p.Keys[k].EnabledMax = p.Keys[k].Enabled, p.Keys[k].Enabled
			continue
		}
		if lo < -128 || hi > 127 {
			return fmt.Errorf("static key %s: key->enabled could pass the model's int8", sk.Name)
		}
		for v := lo; v <= hi; v++ {
			lay.Enabled[k] = append(lay.Enabled[k], v)
		}
		p.Keys[k].EnabledMin, p.Keys[k].EnabledMax = lo, hi
	}
	return nil
}

// jumpRawTable is the table index of the __jump_table in link order (the
// scenario's), before jump_label_sort_entries().
const jumpRawTable = -101

// jumpModTable is the table index of module m's mod->jump_entries,
// sorted as jump_label_add_module()'s jump_label_sort_entries() leaves
// it at MODULE_STATE_COMING; jumpModTable(m)-1 is the module's table in
// link order.
func jumpModTable(m int) int { return -200 - 2*m }

// jumpTableOf returns the module (-1 for vmlinux) of jump table index t
// and whether it is in link order; ok is false for other tables.
func jumpTableOf(t int) (m int, raw, ok bool) {
	switch {
	case t == jumpTable:
		return -1, false, true
	case t == jumpRawTable:
		return -1, true, true
	case t <= -200:
		return (-200 - t) / 2, (-200-t)%2 == 1, true
	}
	return 0, false, false
}

// jumpTableID is the index of module m's (vmlinux's for -1) jump table,
// sorted or in link order.
func jumpTableID(m int, raw bool) int {
	t := jumpTable
	if m >= 0 {
		t = jumpModTable(m)
	}
	if raw {
		t--
	}
	return t
}

// jumps returns vmlinux's __jump_table as jump_label_sort_entries()
// leaves it; see jumpsOf.
func (c *kc) jumps() []Loc { return c.jumpsOf(-1) }

// jumpsOf returns the jump table of module m (vmlinux's for -1) as
// jump_label_sort_entries() leaves it (jump_label_init() for vmlinux,
// jump_label_add_module() at MODULE_STATE_COMING for a module): the
// scenario's entries, in link order, sorted with the model files'
// jump_label_cmp() (evaluated when compiling; stably, where the kernel's
// sort() leaves equal entries in an order it does not specify). Without
// a jump_label_cmp, the table stays in link order.
func (c *kc) jumpsOf(m int) []Loc {
	if t, ok := c.jumpTab[m]; ok {
		return t
	}
	raw := c.rawJumpsOf(m)
	rawID := jumpTableID(m, true)
	out := slices.Clone(raw)
	idx := make([]int, len(raw))
	for i := range idx {
		idx[i] = i
	}
	// jump_label_sort_entries() of kernel/jump_label.c calls it: that
	// file's static jump_label_cmp.
	if fn, ok := c.callee(&lang.Call{Pos: lang.Pos{File: "kernel/jump_label.c"}, Fun: "jump_label_cmp"}); ok && len(raw) > 1 {
		cmp := func(a, b int) int {
			call := &lang.Call{Pos: fn.Pos, Fun: fn.Name}
			args := []val{{k: vSite, a: rawID, n: a}, {k: vSite, a: rawID, n: b}}
			var r val
			mark := len(c.e.Ops)
			defer func() { c.e.Ops = c.e.Ops[:mark] }()
			ok := alive(func() {
				f := c.inline(fn, args, call.Pos, &fnCtx{values: true}, "")
				if len(f.rets) != 1 || f.rets[0].v.k != vInt {
					panic(compileError(fn.Pos, "jump_label_cmp: its value must be fixed when compiling (it orders the __jump_table)"))
				}
				r = f.rets[0].v
			})
			if !ok {
				panic(compileError(fn.Pos, "jump_label_cmp stops the thread"))
			}
			for _, op := range c.e.Ops[mark:] {
				if op.Code != model.OpJump {
					panic(compileError(fn.Pos, "jump_label_cmp: takes steps; it runs at jump_label_init(), before the scenario"))
				}
			}
			return r.n
		}
		sort.SliceStable(idx, func(i, j int) bool { return cmp(idx[i], idx[j]) < 0 })
		for i, k := range idx {
			out[i] = raw[k]
		}
	}
	if c.jumpTab == nil {
		c.jumpTab = map[int][]Loc{}
	}
	c.jumpTab[m] = out
	return out
}

// rawJumps returns vmlinux's __jump_table in link order; see rawJumpsOf.
func (c *kc) rawJumps() []Loc { return c.rawJumpsOf(-1) }

// rawJumpsOf returns module m's jump table (vmlinux's __jump_table for
// -1) in link order: the scenario's jumps in that module's text, in the
// order the scenario declares them.
func (c *kc) rawJumpsOf(m int) []Loc {
	var out []Loc
	for _, j := range c.lay.Jumps {
		if j.Module == m+1 {
			out = append(out, j)
		}
	}
	return out
}

// modJumps reports whether static key k has a site in a module.
func (c *kc) modJumps(k int) bool {
	for _, j := range c.lay.Jumps {
		if j.Key == k && j.Module != 0 {
			return true
		}
	}
	return false
}

// jumpLocked reports whether the thread holds jump_label_mutex, which
// protects every static key's key->type and struct static_key_mod list:
// their reads and stores then fold into the step before.
func (c *kc) jumpLocked() bool { return c.held&(1<<JumpLabelMutex) != 0 }

// enabledArg returns the static key whose key->enabled an atomic's first
// argument, &key->enabled, names.
func (c *kc) enabledArg(f *fnCtx, x *lang.Call) (int, lang.Expr) {
	if len(x.Args) == 0 {
		panic(compileError(x.Pos, "%s takes &key->enabled first", x.Fun))
	}
	a := x.Args[0]
	if u, ok := a.(*lang.Unary); ok && u.Op == "&" {
		if m, ok := u.X.(*lang.Member); ok && m.Name == "enabled" {
			k := c.value(f, m.X, true)
			if k.k == vKey && c.lay.Prog.Keys[k.a].Jump {
				return k.a, a
			}
		}
	}
	panic(compileError(lang.ExprPos(a), "%s(%s): the model's atomics are on a static key's key->enabled", x.Fun, exprString(a)))
}

// readEnabled is key->enabled as an atomic read of key k gives it: a
// constant when no thread writes it, else the value of the split that
// the read (keyed by the expression at) asks for.
func (c *kc) readEnabled(k int, at lang.Expr, what string) int {
	if v, ok := c.overrides[at]; ok {
		return v.n
	}
	if v, ok := c.consts[[2]int{model.VarEnabled, k}]; ok {
		return v
	}
	a := atom{v: model.VarEnabled, idx: k, name: what}
	panic(needValue{x: at, at: a, domain: c.domain(a)})
}

// jumpBuiltin compiles the built-ins of jump labels; ok is false for
// other calls.
func (c *kc) jumpBuiltin(f *fnCtx, x *lang.Call, pure bool) (val, bool) {
	arg, effect := c.builtinArgs(f, x, pure)
	entry := func() Loc {
		v := arg(0)
		if _, _, ok := jumpTableOf(v.a); (v.k != vSite && v.k != vSiteAddr) || !ok {
			panic(compileError(x.Pos, "%s(%s): not a struct jump_entry", x.Fun, exprString(x.Args[0])))
		}
		return c.site(x.Pos, v)
	}
	switch x.Fun {
	case "static_key_entries":
		// key->entries: the key's first entry of the sorted
		// __jump_table (static_key_set_entries() at jump_label_init).
		k := c.keyArg(x, arg(0))
		for i, j := range c.jumps() {
			if j.Key == k.a {
				return val{k: vSite, a: jumpTable, n: i}, true
			}
		}
		return val{k: vNull}, true
	case "jump_entry_key":
		return val{k: vKey, a: entry().Key}, true
	case "jump_entry_is_branch":
		return intv(boolInt(entry().Likely)), true
	case "jump_entry_is_init":
		// Set by jump_label_init() (before the scenario starts) for
		// vmlinux's init text.
		return intv(boolInt(entry().Init)), true
	case "jump_entry_set_init":
		// jump_label_add_module() sets the flag on the module's own
		// table, which no other thread reads before the notifier links
		// it (under jump_label_mutex): the model's entry has it from
		// the scenario (section=init); the compiler checks the value.
		e, in := entry(), arg(1)
		if in.k != vInt || (in.n != 0) != e.Init {
			panic(compileError(x.Pos, "%s: the model's entry %s is init text iff the scenario says so (section=init); this sets %s", exprString(x), e.Name, valString(in)))
		}
		return val{}, true
	case "static_key_type":
		// key->type & JUMP_TYPE_TRUE: DEFINE_STATIC_KEY_TRUE, the
		// key's initial key->enabled (the static keys are vmlinux's,
		// set up by jump_label_init()).
		k := c.keyArg(x, arg(0))
		if !c.lay.Prog.Keys[k.a].Jump {
			panic(compileError(x.Pos, "%s: not a static key", exprString(x)))
		}
		return intv(boolInt(c.lay.Prog.Keys[k.a].Enabled != 0)), true
	case "static_key_sealed":
		// static_key_seal() and DEFINE_STATIC_KEY_*_RO are not in the
		// model (docs/semantics.md §12.8).
		c.keyArg(x, arg(0))
		return intv(0), true
	case "jump_entry_code":
		v := arg(0)
		c.site(x.Pos, v)
		v.k = vSiteAddr
		return v, true
	case "jump_entry_target":
		return intv(int(entry().Dest)), true
	case "arch_jump_entry_size":
		// x86: insn_decode_kernel() of the code at the entry, which
		// is always an instruction of the site's one size (JMP8 or
		// NOP2, JMP32 or NOP5): the size the scenario gives.
		return intv(entry().Size), true
	case "static_key_linked":
		// key->type & JUMP_TYPE_LINKED (kernel/jump_label.c
		// static_key_linked()): KeyType bit k of a static key, set by
		// jump_label_add_module() when a module's entries join the key.
		// Every store to it is made under jump_label_mutex. A key with
		// no module jump site is never linked: false.
		k := c.keyArg(x, arg(0)).a
		if !c.modJumps(k) {
			return intv(0), true
		}
		t := test{at: atom{v: model.VarKeyType, idx: k, name: exprString(x), local: c.jumpLocked()}, cmp: model.CmpEq, b: 1, src: exprString(x)}
		panic(needValue{x: x, at: t.at, bt: &t})
	case "static_key_set_linked", "static_key_clear_linked":
		// key->type |= JUMP_TYPE_LINKED, key->type &= ~JUMP_TYPE_LINKED.
		effect()
		k := c.keyArg(x, arg(0)).a
		c.store(x.Pos, model.VarKeyType, k, model.StoreConst, boolInt(x.Fun == "static_key_set_linked"), c.jumpLocked(), exprString(x))
		return val{}, true
	case "static_key_set_mod":
		// static_key_set_mod(key, mod): key->next = mod, key->type's
		// JUMP_TYPE_* bits kept. mod is an entry the thread holds
		// (jlm, jlm2) or the next field of the one in jlm.
		effect()
		if len(x.Args) != 2 {
			panic(compileError(x.Pos, "%s takes (key, mod)", x.Fun))
		}
		k := c.keyArg(x, arg(0)).a
		msg := exprString(x)
		if p, ok := c.ptrLocal(f, x.Args[1]); ok && (p.a == 0 || p.a == 3) {
			b := 0
			if p.a == 3 {
				b = model.RegAddr2
			}
			c.store(x.Pos, model.VarKeyNext, k, model.StoreReg, b, c.jumpLocked(), msg)
			return val{}, true
		}
		if m, ok := x.Args[1].(*lang.Member); ok && m.Name == "next" {
			if p, ok := c.ptrLocal(f, m.X); ok && p.a == 0 {
				c.store(x.Pos, model.VarKeyNext, k, model.StoreNodeNext, 0, c.jumpLocked(), msg)
				return val{}, true
			}
		}
		panic(compileError(x.Pos, "%s: the model links an entry the thread holds (jlm, jlm2) or jlm->next", msg))
	case "static_key_set_entries":
		// static_key_set_entries(key, jlm->entries) of
		// jump_label_del_module(): the list of one entry folds back into
		// key->entries (key->next is the entries pointer again). The
		// model's unlinked key has vmlinux's entries
		// (static_key_entries()): the entry left must be vmlinux's
		// (jlm->mod NULL), as it is for a vmlinux key; another is a
		// model error, checked when it runs.
		effect()
		if len(x.Args) != 2 {
			panic(compileError(x.Pos, "%s takes (key, entries)", x.Fun))
		}
		k := c.keyArg(x, arg(0)).a
		msg := exprString(x)
		m, ok := x.Args[1].(*lang.Member)
		var p *val
		if ok && m.Name == "entries" {
			p, ok = c.ptrLocal(f, m.X)
		}
		if !ok || p.a != 0 {
			panic(compileError(x.Pos, "%s: the model folds back the entries of the struct static_key_mod in jlm", msg))
		}
		jt := c.emitTest(x.Pos, test{at: atom{v: model.VarNodeMod, local: true}, cmp: model.CmpEq, b: 0, src: exprString(m.X) + "->mod == NULL"}, true)
		c.op(x.Pos, model.Op{Code: model.OpBadDeref, Msg: fmt.Sprintf("%s: a module's entries folded into a vmlinux key: not modelled", msg)})
		for _, j := range jt {
			c.e.Land(j)
		}
		c.store(x.Pos, model.VarKeyNext, k, model.StoreConst, 0, c.jumpLocked(), msg)
		return val{}, true
	case "__module_address":
		// The static keys are vmlinux's.
		if v := arg(0); v.k == vKey {
			return val{k: vNull}, true
		}
		return val{}, false
	case "atomic_read", "raw_atomic_read":
		k, at := c.enabledArg(f, x)
		return intv(c.readEnabled(k, at, exprString(x))), true
	case "atomic_set", "atomic_set_release":
		effect()
		k, _ := c.enabledArg(f, x)
		v := arg(1)
		if v.k != vInt {
			panic(compileError(x.Pos, "%s: a value the compiler knows", exprString(x)))
		}
		c.store(x.Pos, model.VarEnabled, k, model.StoreConst, v.n, false, exprString(x))
		return val{}, true
	case "atomic_cmpxchg":
		// One step: the read, and the store when it compares equal.
		effect()
		k, at := c.enabledArg(f, x)
		old, nw := arg(1), arg(2)
		if old.k != vInt || nw.k != vInt {
			panic(compileError(x.Pos, "%s: values the compiler knows", exprString(x)))
		}
		v := c.readEnabled(k, at, exprString(x))
		if v == old.n {
			c.store(x.Pos, model.VarEnabled, k, model.StoreConst, nw.n, true, exprString(x))
		}
		return intv(v), true
	case "atomic_dec_and_test", "atomic_inc", "atomic_dec", "atomic_inc_return", "atomic_dec_return":
		effect()
		k, at := c.enabledArg(f, x)
		v := c.readEnabled(k, at, exprString(x))
		d := 1
		if strings.Contains(x.Fun, "dec") {
			d = -1
		}
		c.store(x.Pos, model.VarEnabled, k, model.StoreConst, v+d, true, exprString(x))
		if x.Fun == "atomic_dec_and_test" {
			return intv(boolInt(v+d == 0)), true
		}
		return intv(v + d), true
	case "atomic_try_cmpxchg":
		panic(compileError(x.Pos, "atomic_try_cmpxchg is modelled as the condition of its retry loop: do { ... } while (!atomic_try_cmpxchg(&key->enabled, &v, new));"))
	case "arch_jump_label_transform_queue", "arch_jump_label_transform":
		// Reached only with a sketch (sketchJumps): the sketch at this
		// entry, which the queue never defers.
		effect()
		if len(c.lay.Sketch) == 0 {
			panic(compileError(x.Pos, "%s is not defined in this architecture's model files", x.Fun))
		}
		c.sketchJump(x, entry(), arg(1))
		return intv(1), true
	case "arch_jump_label_transform_apply":
		effect()
		if len(c.lay.Sketch) == 0 {
			panic(compileError(x.Pos, "%s is not defined in this architecture's model files", x.Fun))
		}
		return val{}, true
	case "STATIC_KEY_CHECK_USE", "lockdep_assert_cpus_held", "jump_label_sort_entries":
		// static_key_initialized is true in the model (jump_label_init
		// ran before the scenario), the model has no CPU hotplug, and
		// its table is sorted already.
		return intv(0), true
	}
	return val{}, false
}

// sketchJumps makes a scenario's sketch the architecture's jump label
// patching: the arch hooks of the jump label core become built-ins that
// run the sketch at each entry (see jumpBuiltin).
func sketchJumps(d defs) {
	for _, fn := range []string{"arch_jump_label_transform_queue", "arch_jump_label_transform_apply", "arch_jump_label_transform"} {
		d.remove(fn)
	}
}

// sketchJump runs the scenario's sketch at jump label entry e for type
// (JUMP_LABEL_JMP or _NOP): the way the entry then takes is the key's
// true way when type ^ branch, as jump_label_type() computed it.
func (c *kc) sketchJump(x *lang.Call, e Loc, typ val) {
	if typ.k != vInt {
		panic(compileError(x.Pos, "%s: a jump_label_type the compiler knows", exprString(x)))
	}
	kd := c.lay.Prog.Keys[e.Key]
	target := kd.False
	if (typ.n != 0) != e.Likely {
		target = kd.True
	}
	fnName := c.e.Fn
	mark := len(c.e.Ops)
	transform(c.e, c.port, c.lay, e, target, c.variant)
	c.e.Fn = fnName
	for i := mark; i < len(c.e.Ops); i++ {
		if c.e.Ops[i].Src == "" {
			c.e.Ops[i].Src = srcOf(x.Pos)
		}
	}
}

// tryCmpxchgLoop recognises do { Body } while (!atomic_try_cmpxchg(
// &key->enabled, &v, New)), possibly with likely() around the call, and
// returns its key, its local v and New.
func (c *kc) tryCmpxchgLoop(f *fnCtx, s *lang.DoWhile) (k int, local string, nw lang.Expr, ok bool) {
	x := s.Cond
	u, isNot := x.(*lang.Unary)
	if !isNot || u.Op != "!" {
		return 0, "", nil, false
	}
	call, isCall := u.X.(*lang.Call)
	for isCall && (call.Fun == "likely" || call.Fun == "unlikely") && len(call.Args) == 1 {
		call, isCall = call.Args[0].(*lang.Call)
	}
	if !isCall || call.Fun != "atomic_try_cmpxchg" {
		return 0, "", nil, false
	}
	if len(call.Args) != 3 {
		panic(compileError(call.Pos, "atomic_try_cmpxchg takes (&key->enabled, &old, new)"))
	}
	k, _ = c.enabledArg(f, call)
	r, isRef := call.Args[1].(*lang.Unary)
	var id *lang.Ident
	if isRef && r.Op == "&" {
		id, _ = r.X.(*lang.Ident)
	}
	if id == nil || f.vars[id.Name] == nil {
		panic(compileError(lang.ExprPos(call.Args[1]), "atomic_try_cmpxchg: the old value is &local"))
	}
	return k, id.Name, call.Args[2], true
}

// doWhile compiles do Body while (Cond);. The retry loop of
// atomic_try_cmpxchg is compiled as the kernel runs it: the body, then
// the cmpxchg, one step; when it fails, v holds the value it found (in
// the same step) and the body runs again with it. The body is compiled
// once for each value of v, and a failed cmpxchg jumps back to the
// body's code for the value it read. Any other do/while unrolls, its
// condition fixed by the scenario.
func (c *kc) doWhile(f *fnCtx, s *lang.DoWhile) {
	k, local, nw, ok := c.tryCmpxchgLoop(f, s)
	if !ok {
		c.fell = true
		c.stmt(f, s.Body)
		if c.fell && !jumpsAway(s.Body) {
			c.loop(f, s.Pos, s.Cond, nil, s.Body)
		}
		return
	}
	if v := f.vars[local]; v.k != vInt {
		panic(compileError(s.Pos, "atomic_try_cmpxchg(..., &%s, ...): %s must hold a value read before the loop", local, local))
	}
	l := &loopCtx{scopes: len(f.scopes)}
	f.loops = append(f.loops, l)
	defer func() { f.loops = f.loops[:len(f.loops)-1] }()
	saved := cloneVars(f.vars)
	heads := map[int]int{}
	type backEdge struct{ op, v int }
	var edges []backEdge
	var outs []map[string]*val
	var ends []int
	src := "atomic_try_cmpxchg(&key->enabled, &" + local + ", " + exprString(nw) + ")"
	at := atom{v: model.VarEnabled, idx: k, name: src}
	dom := c.domain(at)
	body := func(v0 int) {
		heads[v0] = c.e.Here()
		c.e.landed = c.e.Here() + 1
		f.vars = cloneVars(saved)
		f.vars[local] = &val{k: vInt, n: v0}
		c.fell = true
		if !alive(func() { c.stmt(f, s.Body) }) || !c.fell || jumpsAway(s.Body) {
			if len(l.breaks)+len(l.conts) > 0 {
				panic(compileError(s.Pos, "break or continue in the retry loop of atomic_try_cmpxchg: not modelled"))
			}
			return
		}
		if len(l.breaks)+len(l.conts) > 0 {
			panic(compileError(s.Pos, "break or continue in the retry loop of atomic_try_cmpxchg: not modelled"))
		}
		n, ok := c.static(f, nw)
		if !ok || n.k != vInt {
			panic(compileError(lang.ExprPos(nw), "%s: a value the compiler knows", exprString(nw)))
		}
		// if (key->enabled == v0) { key->enabled = new; } else { v0 =
		// key->enabled; }: one step.
		ok0 := c.emitTest(s.Pos, test{at: at, cmp: model.CmpEq, b: v0, src: src + " succeeds"}, true)
		var others []int
		for _, w := range dom {
			if w != v0 {
				others = append(others, w)
			}
		}
		for i, w := range others {
			skip := -1
			if i < len(others)-1 {
				skip = c.emitTest(s.Pos, test{at: atom{v: model.VarEnabled, idx: k, local: true}, cmp: model.CmpEq, b: w, neg: true, src: fmt.Sprintf("%s fails, %s = key->enabled", src, local)}, true)[0]
			}
			edges = append(edges, backEdge{c.e.Emit(model.Op{Code: model.OpJump}), w})
			if skip >= 0 {
				c.e.Land(skip)
			}
		}
		for _, j := range ok0 {
			c.e.Land(j)
		}
		c.store(s.Pos, model.VarEnabled, k, model.StoreConst, n.n, true, src)
		// After the loop the old value differs by path; no model file
		// reads it (a read is an error: "read before it is set").
		f.vars[local] = &val{k: vUndef}
		outs = append(outs, f.vars)
		ends = append(ends, c.e.Emit(model.Op{Code: model.OpJump}))
	}
	body(saved[local].n)
	for len(edges) > 0 {
		e := edges[0]
		edges = edges[1:]
		if _, done := heads[e.v]; !done {
			body(e.v)
		}
		c.e.Ops[e.op].Label = heads[e.v]
	}
	f.vars = saved
	c.join(f, saved, outs, ends)
	c.fell = true
}

// structVal is a struct value of the model language, from a compound
// literal (x86's struct jump_label_patch): its fields.
func structVal(fields map[string]val) val {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s;", n, valString(fields[n]))
	}
	return val{k: vStruct, s: b.String(), fields: fields}
}
