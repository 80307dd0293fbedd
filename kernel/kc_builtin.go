package kernel

import (
	"fmt"

	"patchcheck/lang"
	"patchcheck/model"
)

// The built-ins of the model language: the kernel's primitives that the
// machine implements (docs/language.md lists each with its source).

// noStep reports built-ins that take no step of the model: what they do
// is not part of the model (no CPU hotplug: cpus_read_lock; messages), or
// is the model's already (its site tables are sorted by key; the boot
// CPU's sync_core, whose fetches the model does not track).
func noStep(name string) bool {
	switch name {
	case "cpus_read_lock", "cpus_read_unlock", "pr_err", "pr_warn", "pr_info", "pr_debug",
		"static_call_sort_entries", "sync_core":
		return true
	}
	return false
}

// callExpr compiles a call in value context.
func (c *kc) callExpr(f *fnCtx, x *lang.Call, pure bool) val {
	if fn, ok := c.funcs[x.Fun]; ok {
		if pure {
			panic(notStatic{})
		}
		args := c.args(f, x)
		sub := c.inline(fn, args, x.Pos, nil, f.prefix)
		if sub.retSet {
			return *sub.ret
		}
		return val{}
	}
	if noStep(x.Fun) {
		if pure {
			panic(notStatic{})
		}
		return intv(0)
	}
	arg := func(i int) val {
		if i >= len(x.Args) {
			panic(compileError(x.Pos, "%s: too few arguments", x.Fun))
		}
		return c.value(f, x.Args[i], pure)
	}
	effect := func() {
		if pure {
			panic(notStatic{})
		}
	}
	switch x.Fun {
	case "static_call_addr":
		v := arg(0)
		c.site(x.Pos, v)
		v.k = vSiteAddr
		return v
	case "static_call_key":
		return val{k: vKey, a: c.site(x.Pos, arg(0)).Key}
	case "static_call_is_init":
		return intv(boolInt(c.site(x.Pos, arg(0)).Init))
	case "static_call_is_tail":
		s := c.site(x.Pos, arg(0))
		if s.Module != 0 && c.variant == VariantFixupLosesFlags && s.Tail() {
			// static_call_add_module of this variant may have dropped
			// the flag: read it (static_call_mutex protects it).
			t := test{at: atom{v: model.VarSiteFlags, idx: s.Window, local: c.protected(atom{v: model.VarSiteFlags})}, cmp: model.CmpMask, b: model.SiteTail, src: exprString(x)}
			panic(needValue{x: x, at: t.at, bt: &t})
		}
		return intv(boolInt(s.Tail()))
	case "static_call_set_init":
		effect()
		s := c.site(x.Pos, arg(0))
		if s.Module != 0 {
			panic(compileError(x.Pos, "static_call_set_init of a module site: the module paths are not model source yet"))
		}
		return val{} // vmlinux's flags are the scenario's
	case "init_section_contains":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module == 0 && s.Init))
	case "within_module_init":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module != 0 && s.Init))
	case "is_kernel_text":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module == 0 && !s.Init))
	case "is_kernel_inittext":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module == 0 && s.Init))
	case "is_module_text_address":
		s := c.site(x.Pos, arg(0))
		if s.Module == 0 {
			return intv(0)
		}
		t := c.textLive(s)
		if v, ok := c.consts[[2]int{t.at.v, t.at.idx}]; ok {
			return intv(v)
		}
		panic(needValue{x: x, at: t.at, bt: &t})
	case "static_call_key_next":
		k := arg(0)
		if k.k != vKey {
			panic(compileError(x.Pos, "static_call_key_next of %s: not a key", exprString(x.Args[0])))
		}
		if c.lay.ModSites[k.a] {
			return val{k: vSiteModList, a: k.a}
		}
		return val{k: vNull}
	case "static_call_key_sites":
		k := arg(0)
		if k.k != vKey {
			panic(compileError(x.Pos, "static_call_key_sites of %s: not a key", exprString(x.Args[0])))
		}
		if c.lay.ModSites[k.a] {
			return val{k: vNull} // the walk of key->mods finds them
		}
		for i, s := range c.table(-1) {
			if s.Key == k.a {
				return val{k: vSite, a: -1, n: i}
			}
		}
		return val{k: vNull}
	case "mutex_lock", "mutex_unlock":
		effect()
		m := arg(0)
		if m.k != vMutex {
			panic(compileError(x.Pos, "%s of %s: not a mutex of the model (static_call_mutex, text_mutex)", x.Fun, exprString(x.Args[0])))
		}
		if x.Fun == "mutex_lock" {
			c.op(x.Pos, model.Op{Code: model.OpLock, A: m.a})
			c.held |= 1 << m.a
		} else {
			if m.a == StaticCallMutex && c.batched {
				// A port variant that batches site writes (x86
				// batch-sites) ends its batch before the core drops
				// static_call_mutex: still Go, as port variants are.
				c.batched = false
				finishSites(c.e, c.port, c.lay, c.variant)
			}
			c.op(x.Pos, model.Op{Code: model.OpUnlock, A: m.a})
			c.held &^= 1 << m.a
		}
		return val{}
	case "WARN_ON", "WARN_ON_ONCE", "WARN", "WARN_ONCE", "BUG_ON":
		effect()
		if len(x.Args) == 0 {
			panic(compileError(x.Pos, "%s needs a condition", x.Fun))
		}
		if x.Fun == "BUG_ON" {
			jf := c.branch(f, x.Args[0], false)
			c.op(x.Pos, model.Op{Code: model.OpBug, A: 2, Msg: "BUG_ON(" + exprString(x.Args[0]) + ")"})
			for _, j := range jf {
				c.e.Land(j)
			}
			return val{}
		}
		for _, j := range c.branch(f, x, false) {
			c.e.Land(j)
		}
		return val{}
	case "BUG":
		effect()
		c.op(x.Pos, model.Op{Code: model.OpBug, A: 2, Msg: "BUG()"})
		return val{}
	case "WRITE_ONCE":
		effect()
		if len(x.Args) != 2 {
			panic(compileError(x.Pos, "WRITE_ONCE takes two arguments"))
		}
		c.assign(f, &lang.Assign{Pos: x.Pos, Op: "=", L: x.Args[0], R: x.Args[1]})
		return val{}
	case "READ_ONCE":
		return arg(0)
	case "arch_static_call_transform":
		effect()
		c.transformCall(f, x)
		return val{}
	case "__text_gen_insn":
		effect()
		t := arg(0)
		fn := arg(3)
		if t.k != vTramp || fn.k != vTarget {
			panic(compileError(x.Pos, "__text_gen_insn(tramp, JMP32_INSN_OPCODE, tramp, func, JMP32_INSN_SIZE): only a trampoline's early JMP32 is modelled"))
		}
		c.port.EarlyTramp(c.e, c.lay, c.lay.Tramps[t.a], fn.a)
		c.e.Ops[len(c.e.Ops)-1].Src = srcOf(x.Pos)
		return val{}
	case "bringup_nonboot_cpus":
		effect()
		c.op(x.Pos, model.Op{Code: model.OpSMPInit})
		return val{}
	case "free_initmem":
		effect()
		if c.lay.InitText >= 0 {
			fn := c.e.Fn
			c.e.Fn = "free_initmem"
			c.op(x.Pos, model.Op{Code: model.OpFree, A: c.lay.InitText})
			c.e.Fn = fn
		}
		return val{}
	}
	panic(compileError(x.Pos, "%s is neither a function of the model files nor a built-in (docs/language.md lists them)", x.Fun))
}

// textLive is the test that a module site's text is still mapped.
func (c *kc) textLive(s Loc) test {
	r := c.lay.Prog.RegionOf(s.Addr)
	return test{at: atom{v: model.VarRegionLive, idx: r}, cmp: model.CmpEq, b: 1, src: fmt.Sprintf("is_module_text_address(%s)", s.Name)}
}

// builtinTest returns the test of shared state a built-in call is.
func (c *kc) builtinTest(f *fnCtx, x *lang.Call) (test, bool) {
	var t test
	ok := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				if nv, is := r.(needValue); is && nv.x == x && nv.bt != nil {
					t, ok = *nv.bt, true
					return
				}
				switch r.(type) {
				case needValue, notStatic, needLocal:
					return
				}
				panic(r)
			}
		}()
		c.callExpr(f, x, true)
	}()
	return t, ok
}

// transformCall compiles arch_static_call_transform(site, tramp, func,
// tail): the port's transform of the trampoline (site NULL) or of the
// site, with tramp NULL as __static_call_init passes it.
func (c *kc) transformCall(f *fnCtx, x *lang.Call) {
	if len(x.Args) != 4 {
		panic(compileError(x.Pos, "arch_static_call_transform takes (site, tramp, func, tail)"))
	}
	site := c.eval(f, x.Args[0])
	tramp := c.eval(f, x.Args[1])
	fn := c.eval(f, x.Args[2])
	tail := c.eval(f, x.Args[3])
	target := model.TargetNull
	switch fn.k {
	case vTarget:
		target = fn.a
	case vNull:
	default:
		panic(compileError(lang.ExprPos(x.Args[2]), "func %s: not a function of the scenario", exprString(x.Args[2])))
	}
	fnName := c.e.Fn
	defer func() { c.e.Fn = fnName }()
	mark := len(c.e.Ops)
	defer func() {
		for i := mark; i < len(c.e.Ops); i++ {
			if c.e.Ops[i].Src == "" {
				c.e.Ops[i].Src = srcOf(x.Pos)
			}
		}
	}()
	switch site.k {
	case vNull:
		if tramp.k != vTramp {
			panic(compileError(x.Pos, "arch_static_call_transform(NULL, %s, ...): no trampoline", exprString(x.Args[1])))
		}
		transform(c.e, c.port, c.lay, c.lay.Tramps[tramp.a], target, c.variant)
	case vSiteAddr:
		loc := c.site(x.Pos, site)
		loc.NoTramp = tramp.k == vNull
		c.batched = true
		if t, _ := tail.truth(); !t && loc.Tail() {
			loc.Kind = "call"
		}
		transform(c.e, c.port, c.lay, loc, target, c.variant)
	default:
		panic(compileError(x.Pos, "arch_static_call_transform: %s is not a site address", exprString(x.Args[0])))
	}
}
