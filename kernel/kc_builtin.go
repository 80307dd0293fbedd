package kernel

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// The built-ins of the model language: the kernel's primitives that the
// machine implements (docs/language.md lists each with its source).

// noStep reports built-ins that take no step of the model: what they do
// is not part of the model (no CPU hotplug: cpus_read_lock; messages), or
// is the model's already (its site tables are sorted by key; the boot
// CPU's sync_core, whose fetches the model does not track).
func noStep(name string) bool {
	switch name {
	case "cpus_read_lock", "cpus_read_unlock", "pr_err", "pr_warn", "pr_info", "pr_debug", "pr_crit",
		"static_call_sort_entries", "sync_core",
		// The module loader's other subsystems: no livepatch, ftrace,
		// module parameters or bug tables in the model.
		"ftrace_module_enable", "klp_module_coming", "klp_module_going", "destroy_params",
		"module_bug_cleanup", "ftrace_release_mod", "async_synchronize_full", "synchronize_rcu",
		// kprobes' bookkeeping: the kprobe hash table, optprobes and
		// perf are not modelled.
		"preempt_disable", "preempt_enable", "INIT_HLIST_NODE", "hlist_add_head_rcu",
		"hlist_del_rcu", "try_to_optimize_kprobe", "perf_event_text_poke",
		// text patching: lockdep, the scheduler, interrupts of the
		// patching thread and the data barriers of alternative.c are
		// not modelled (the machine's data accesses are sequentially
		// consistent).
		"lockdep_assert_held", "cond_resched", "smp_wmb", "smp_mb", "local_irq_save", "local_irq_restore":
		return true
	}
	return false
}

// builtinArgs returns what a built-in's compilation uses: arg(i)
// evaluates argument i of x; effect() stops a static evaluation (pure) at
// a built-in with an effect.
func (c *kc) builtinArgs(f *fnCtx, x *lang.Call, pure bool) (arg func(int) val, effect func()) {
	arg = func(i int) val {
		if i >= len(x.Args) {
			panic(compileError(x.Pos, "%s: too few arguments", x.Fun))
		}
		return c.value(f, x.Args[i], pure)
	}
	effect = func() {
		if pure {
			panic(notStatic{})
		}
	}
	return arg, effect
}

// callExpr compiles a call in value context.
func (c *kc) callExpr(f *fnCtx, x *lang.Call, pure bool) val {
	if fn, ok := c.callee(x); ok {
		if pure {
			panic(notStatic{})
		}
		args := c.args(f, x)
		sub := c.inline(fn, args, x.Pos, &fnCtx{values: true}, f.prefix)
		switch len(sub.rets) {
		case 0:
			panic(unreachable{})
		case 1:
			for _, j := range sub.rets[0].jumps {
				c.e.Land(j)
			}
			setCells(f, sub.rets[0].cells)
			return sub.rets[0].v
		}
		// The value depends on shared state: the statement is compiled
		// once for each value (split).
		panic(needValue{x: x, call: fn, args: args})
	}
	if a, ok := c.ptrCall(f, x); ok {
		if pure {
			panic(notStatic{})
		}
		return a
	}
	if noStep(x.Fun) {
		if pure {
			panic(notStatic{})
		}
		return intv(0)
	}
	if v, ok := c.jumpBuiltin(f, x, pure); ok {
		return v
	}
	if v, ok := c.textBuiltin(f, x, pure); ok {
		return v
	}
	if v, ok := c.pokeBuiltin(f, x, pure); ok {
		return v
	}
	arg, effect := c.builtinArgs(f, x, pure)
	switch x.Fun {
	case "static_call_addr":
		v := arg(0)
		c.site(x.Pos, v)
		v.k = vSiteAddr
		return v
	case "static_call_key", "__static_call_key":
		// The site's key field: the key, or while a module site's key
		// field still holds its trampoline (objtool's
		// static_call_mod() of a key that is not exported, until
		// static_call_add_module's fixup), the trampoline.
		s := c.site(x.Pos, arg(0))
		k := val{k: vKey, a: s.Key}
		if x.Fun == "__static_call_key" {
			k.fl = s.Window + 1
		}
		if s.Module == 0 || !s.TrampRef {
			return k
		}
		tr := k
		tr.k = vTramp
		panic(c.flagTest(x, s, model.SiteTrampKey, &[2]val{k, tr}))
	case "static_call_is_init", "static_call_is_tail":
		s := c.site(x.Pos, arg(0))
		flag, static := model.SiteInit, s.Init
		if x.Fun == "static_call_is_tail" {
			flag, static = model.SiteTail, s.Tail()
		}
		if s.Module == 0 || !static {
			// vmlinux's flags, and a module's flags the scenario does
			// not set, are the scenario's (no store sets them).
			return intv(boolInt(static))
		}
		panic(c.flagTest(x, s, flag, nil))
	case "static_call_set_init":
		effect()
		s := c.site(x.Pos, arg(0))
		if s.Module != 0 {
			c.store(x.Pos, model.VarSiteFlags, s.Window, model.StoreOr, model.SiteInit, c.flagsLocal(), exprString(x))
		}
		return val{} // vmlinux's flags are the scenario's
	case "tramp_key_lookup":
		// The vmlinux __start_static_call_tramp_key table: the
		// scenario's EXPORT_STATIC_CALL_TRAMP keys.
		a := arg(0)
		if a.k != vTramp {
			return intv(0)
		}
		if c.lay.TrampKey[a.a] {
			return val{k: vKey, a: a.a}
		}
		return intv(0)
	case "static_call_key_has_mods":
		k := arg(0)
		switch k.k {
		case vKey:
			t := test{at: atom{v: model.VarKeyType, idx: k.a, local: c.listProtected()}, cmp: model.CmpEq, b: 0, src: exprString(x)}
			panic(needValue{x: x, at: t.at, bt: &t})
		case vTramp:
			// The key field still holds the trampoline: key->type is
			// the text at tramp + 8 (struct static_call_key { void
			// *func; union { unsigned long type; ... }; }).
			t := test{at: atom{v: model.VarTrampType, idx: int(c.lay.Tramps[k.a].Addr + 8), local: c.listProtected()}, cmp: model.CmpMask, b: 1, neg: true, src: exprString(x) + ", key->type read from the text at __SCT__" + c.lay.Prog.Keys[k.a].Name + "+8"}
			panic(needValue{x: x, at: t.at, bt: &t})
		}
		panic(compileError(x.Pos, "%s: not a key", exprString(x)))
	case "kzalloc", "kfree":
		panic(compileError(x.Pos, "%s: the model allocates struct static_call_mod entries only: site_mod = kzalloc(...) and kfree(site_mod)", x.Fun))
	case "init_section_contains":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module == 0 && s.Init))
	case "within_module_init":
		s := c.site(x.Pos, arg(0))
		return intv(boolInt(s.Module != 0 && s.Init))
	case "is_kernel_text", "is_kernel_inittext", "is_module_text_address":
		a := arg(0)
		if v, ok := c.kernelText(x.Fun, a); ok {
			// An address of a TextPort's image (powerpc64's
			// trampolines are vmlinux's or a module's).
			return v
		}
		if a.k == vTramp || a.k == vKey {
			// A trampoline is vmlinux core text; a key is data.
			return intv(boolInt(a.k == vTramp && x.Fun == "is_kernel_text"))
		}
		s := c.site(x.Pos, a)
		switch x.Fun {
		case "is_kernel_text":
			return intv(boolInt(s.Module == 0 && !s.Init))
		case "is_kernel_inittext":
			return intv(boolInt(s.Module == 0 && s.Init))
		}
		if s.Module == 0 {
			return intv(0)
		}
		t := c.textLive(s)
		if v, ok := c.consts[[2]int{t.at.v, t.at.idx}]; ok {
			return intv(v)
		}
		panic(needValue{x: x, at: t.at, bt: &t})
	case "static_call_key_next":
		k := c.keyArg(x, arg(0))
		if c.lay.ModSites[k.a] {
			return val{k: vSiteModList, a: k.a}
		}
		return val{k: vNull}
	case "static_call_key_sites":
		k := c.keyArg(x, arg(0))
		if c.lay.ModSites[k.a] && c.first {
			return val{k: vNull} // the walk of key->mods finds them
		}
		if c.lay.ModSites[k.a] && c.lay.Builtin[k.a] {
			// The sites pointer while the key holds it (type bit 0).
			t := test{at: atom{v: model.VarKeyType, idx: k.a, local: c.listProtected()}, cmp: model.CmpEq, b: 1, src: exprString(x)}
			tab := c.table(-1)
			sites := val{k: vNull}
			for i, s := range tab {
				if s.Key == k.a {
					sites = val{k: vSite, a: -1, n: i}
					break
				}
			}
			panic(needValue{x: x, at: t.at, bt: &t, vals: &[2]val{{k: vNull}, sites}})
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
			c.lock(x.Pos, m.a)
		} else {
			c.unlock(x.Pos, m.a, true)
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
		c.stop(x.Pos, model.Op{Code: model.OpBug, A: 2, Msg: "BUG()"})
		return val{}
	case "panic":
		effect()
		msg := "panic()"
		if len(x.Args) > 0 {
			if s, ok := x.Args[0].(*lang.String); ok {
				msg = "panic(\"" + strings.TrimSuffix(s.Value, "\n") + "\")"
			}
		}
		c.stop(x.Pos, model.Op{Code: model.OpBug, A: 2, Msg: msg})
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
		if _, ok := c.port.(ModelTransformPort); ok && len(c.lay.Sketch) == 0 && !goVariant(c.port, c.variant) {
			panic(compileError(x.Pos, "arch_static_call_transform is not defined in this architecture's model files"))
		}
		c.transformCall(f, x)
		return val{}
	case "bringup_nonboot_cpus":
		effect()
		c.op(x.Pos, model.Op{Code: model.OpSMPInit})
		return val{}
	case "likely", "unlikely", "notifier_from_errno", "notifier_to_errno":
		// The model's notifier results are the errnos themselves.
		return arg(0)
	case "IS_ENABLED":
		// A name the model files (or a ConfigPort) #define: its
		// value; CONFIG_MODULES and CONFIG_HAVE_STATIC_CALL_INLINE
		// (x86) are the model kernel's.
		id, ok := x.Args[0].(*lang.Ident)
		if len(x.Args) != 1 || !ok {
			panic(compileError(x.Pos, "IS_ENABLED takes one configuration name"))
		}
		if v, ok := c.enums[id.Name]; ok {
			return intv(boolInt(v != 0))
		}
		switch id.Name {
		case "CONFIG_MODULES", "CONFIG_HAVE_STATIC_CALL_INLINE":
			return intv(1)
		}
		panic(compileError(id.Pos, "IS_ENABLED(%s): %s is not #defined in the model files or the architecture's configuration (kernel.ConfigPort)", id.Name, id.Name))
	case "try_force_unload":
		return intv(0) // no CONFIG_MODULE_FORCE_UNLOAD
	case "check_ftrace_location", "in_gate_area_no_mm", "within_kprobe_blacklist",
		"find_bug", "is_cfi_preamble_symbol", "kprobe_ftrace", "kprobe_disabled":
		// A probe at a scenario's site is none of these (no ftrace
		// location, gate area, blacklist entry, BUG or CFI preamble),
		// and it is enabled. jump_label_text_reserved() is model source
		// (kernel/jump_label.c).
		return intv(0)
	case "get_kprobe":
		return val{k: vNull} // the model registers one kprobe
	case "mod_find":
		// The module whose memory holds addr, in the scenario's layout.
		a := arg(0)
		if a.k == vSiteAddr {
			if s := c.site(x.Pos, a); s.Module != 0 {
				return val{k: vMod, a: s.Module - 1}
			}
		}
		return val{k: vNull}
	case "within_module":
		if a := arg(0); a.k == vKey {
			// within_module((unsigned long)key, mod) of
			// jump_label_add_module/del_module: the model's static
			// keys are vmlinux's.
			return intv(0)
		}
		return intv(1) // mod_find()'s module holds addr
	case "within_module_mem_type":
		s := c.site(x.Pos, arg(0))
		switch t := arg(2); t.n {
		case modText:
			return intv(boolInt(s.Module != 0 && !s.Init))
		case modInitText:
			if s.Module == 0 || !s.Init {
				return intv(0)
			}
			// do_init_module() empties mod->mem[MOD_INIT_TEXT] before
			// do_free_init() frees it: the model's init text region
			// is live until then.
			t := c.textLive(s)
			if v, ok := c.consts[[2]int{t.at.v, t.at.idx}]; ok {
				return intv(v)
			}
			panic(needValue{x: x, at: t.at, bt: &t})
		}
		panic(compileError(x.Pos, "%s: the model has MOD_TEXT and MOD_INIT_TEXT", exprString(x)))
	case "module_is_coming":
		// mod->state == MODULE_STATE_COMING.
		m := c.modArg(x, arg(0))
		t := test{at: atom{v: model.VarModState, idx: m, name: exprString(x)}, cmp: model.CmpEq, b: model.KernelModComing, src: exprString(x)}
		panic(needValue{x: x, at: t.at, bt: &t})
	case "try_module_get":
		m := arg(0)
		if m.k == vNull {
			return intv(1) // try_module_get(NULL) is true
		}
		if pure {
			panic(notStatic{})
		}
		return c.tryModuleGet(x, c.modArg(x, m))
	case "module_put":
		// atomic_dec_if_positive(&module->refcnt): one step.
		effect()
		if m := arg(0); m.k == vMod {
			c.store(x.Pos, model.VarModRef, m.a, model.StoreAdd, -1, false, exprString(x))
		}
		return val{}
	case "module_unload_init":
		// atomic_set(&mod->refcnt, MODULE_REF_BASE), then the reference
		// held during initialisation: no other thread sees the UNFORMED
		// module yet, so the store folds.
		effect()
		c.store(x.Pos, model.VarModRef, c.modArg(x, arg(0)), model.StoreConst, 2, true, exprString(x))
		return intv(0)
	case "try_release_module_ref":
		// atomic_sub_return(MODULE_REF_BASE, &mod->refcnt), and when
		// others hold references, atomic_add_unless() puts it back:
		// it succeeds (0) when only the base reference was left.
		if pure {
			panic(notStatic{})
		}
		m := c.modArg(x, arg(0))
		panic(needValue{x: x, vals: &[2]val{intv(1), intv(0)}, emit: func() (no, yes []int) {
			yes = c.emitTest(x.Pos, test{at: atom{v: model.VarModRef, idx: m}, cmp: model.CmpEq, b: 1, src: fmt.Sprintf("%s: refcnt == MODULE_REF_BASE", exprString(x))}, true)
			no = []int{c.e.Emit(model.Op{Code: model.OpJump})}
			for _, j := range yes {
				c.e.Land(j)
			}
			c.store(x.Pos, model.VarModRef, m, model.StoreConst, 0, true, exprString(x))
			return no, []int{c.e.Emit(model.Op{Code: model.OpJump})}
		}})
	case "arch_prepare_kprobe":
		// x86's arch_prepare_kprobe(): the instruction at p->addr is
		// copied (its length from the site's kind).
		effect()
		s := c.kprobeSite(x, arg(0))
		c.op(x.Pos, model.Op{Code: model.OpPrepareKprobe, Addr: s.Addr, Len: uint8(insnLen(s))})
		return intv(0)
	case "text_poke":
		// text_poke(addr, &int3, 1) of arch_arm_kprobe(): the armed
		// kprobe's INT3 (other text_pokes are the ports' Go still).
		effect()
		a := arg(0)
		if len(x.Args) != 3 || a.k != vSiteAddr {
			panic(compileError(x.Pos, "%s: the model's text_poke writes a kprobe's INT3 (text_poke(p->addr, &int3, 1))", exprString(x)))
		}
		s := c.site(x.Pos, a)
		c.op(x.Pos, model.Op{Code: model.OpArmKprobe, Addr: s.Addr, Len: uint8(insnLen(s))})
		return val{}
	case "memcmp":
		if pure {
			panic(notStatic{})
		}
		return c.memcmp(f, x)
	case "__is_Jcc":
		// The kernel reads the text for 0f 8x; the model knows the
		// site's kind (a Jcc site stays one: docs/semantics.md §11).
		a := arg(0)
		if a.k == vSiteAddr && c.site(x.Pos, a).Kind == scenario.KindJcc {
			return intv(0x84)
		}
		return intv(0)
	case "boot_cpu_has":
		// The model's CPU has no X86_FEATURE_NX (text_poke_early's
		// branch for module text: docs/semantics.md §11).
		return intv(0)
	case "callthunks_translate_call_dest":
		// CONFIG_CALL_THUNKS is off in the model's kernel: the
		// destination is func itself.
		return arg(0)
	case "cpu_feature_enabled":
		return intv(0) // X86_FEATURE_RETHUNK: the model's kernel has no return thunks
	case "do_one_initcall":
		// mod->init runs: calls into the module's init text may start.
		effect()
		m := c.modArg(x, arg(0))
		c.op(x.Pos, model.Op{Code: model.OpSetModState, A: m, B: int(model.ModComingInit)})
		return intv(0)
	case "module_deallocate", "free_mod_mem":
		// The module's memory goes (module_memory_free).
		effect()
		m := c.modArg(x, arg(0))
		c.op(x.Pos, model.Op{Code: model.OpFreeModule, A: m})
		return val{}
	case "module_memfree_init":
		// do_free_init: the init text goes, after an RCU grace period.
		effect()
		m := c.modArg(x, arg(0))
		c.op(x.Pos, model.Op{Code: model.OpFreeModule, A: m, B: 1})
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
	if other := c.otherStatic(x.Pos.File, x.Fun); other != "" {
		panic(compileError(x.Pos, "%s is static in %s: only that file's functions call it", x.Fun, other))
	}
	panic(compileError(x.Pos, "%s is neither a function of the model files nor a built-in (docs/language.md lists them)", x.Fun))
}

// lock emits mutex_lock(m) (a mutex the model does not have, m < 0,
// takes no step).
func (c *kc) lock(pos lang.Pos, m int) {
	if m < 0 {
		return
	}
	c.op(pos, model.Op{Code: model.OpLock, A: m})
	c.held |= 1 << m
}

// unlock emits mutex_unlock(m); held says whether the compiler's view of
// the held locks changes (not for the unlocks of a return path).
func (c *kc) unlock(pos lang.Pos, m int, held bool) {
	if m < 0 {
		return
	}
	if m == StaticCallMutex && c.batched {
		// A port variant that batches site writes (x86
		// batch-sites) ends its batch before the core drops
		// static_call_mutex: still Go, as port variants are.
		c.batched = false
		finishSites(c.e, c.port, c.lay, c.variant)
	}
	c.op(pos, model.Op{Code: model.OpUnlock, A: m})
	if held {
		c.held &^= 1 << m
	}
}

// The struct module memory types within_module_mem_type() tells apart.
const (
	modText     = 0 // MOD_TEXT
	modInitText = 1 // MOD_INIT_TEXT
)

// insnLen is the length of the instruction at a site: a call or jmp, or a
// Jcc (x86); at a jump label site, its JMP or NOP (2 or 5 bytes).
func insnLen(s Loc) int {
	if s.Kind == KindJump {
		return s.Size
	}
	if s.Kind == "jcc" {
		return 6
	}
	return 5
}

// kprobeSite returns the site a struct kprobe argument is at.
func (c *kc) kprobeSite(x *lang.Call, v val) Loc {
	if v.k != vKprobe {
		panic(compileError(x.Pos, "%s: not the scenario's kprobe", exprString(x)))
	}
	return c.site(x.Pos, val{k: vSite, a: v.a, n: v.n})
}

// tryModuleGet compiles try_module_get(mod): module_is_live(mod) (a
// read of mod->state), then atomic_inc_not_zero(&mod->refcnt) (a step
// that reads and increments).
func (c *kc) tryModuleGet(x *lang.Call, m int) val {
	panic(needValue{x: x, emit: func() (no, yes []int) {
		no = c.emitTest(x.Pos, test{at: atom{v: model.VarModState, idx: m}, cmp: model.CmpEq, b: model.KernelModGoing, src: fmt.Sprintf("%s: !module_is_live()", exprString(x))}, true)
		no = append(no, c.emitTest(x.Pos, test{at: atom{v: model.VarModRef, idx: m}, cmp: model.CmpEq, b: 0, src: fmt.Sprintf("%s: refcnt == 0", exprString(x))}, true)...)
		c.store(x.Pos, model.VarModRef, m, model.StoreAdd, 1, true, exprString(x))
		return no, []int{c.e.Emit(model.Op{Code: model.OpJump})}
	}})
}

// keyArg checks the key argument of static_call_key_next() or
// static_call_key_sites(): a key field that still holds the trampoline
// is read as a struct static_call_key, a bad dereference.
func (c *kc) keyArg(x *lang.Call, k val) val {
	if k.k == vTramp {
		c.stop(x.Pos, model.Op{Code: model.OpBadDeref, Msg: exprString(x) + ": the key field holds the trampoline, read as a struct static_call_key"})
	}
	if k.k != vKey {
		panic(compileError(x.Pos, "%s of %s: not a key", x.Fun, exprString(x.Args[0])))
	}
	return k
}

// target returns the call target a func argument x is (NULL included).
func (c *kc) target(x lang.Expr, fn val) int {
	switch fn.k {
	case vTarget:
		return fn.a
	case vNull:
		return model.TargetNull
	}
	panic(compileError(lang.ExprPos(x), "func %s: not a function of the scenario", exprString(x)))
}

// modArg returns the module a built-in's argument names.
func (c *kc) modArg(x *lang.Call, v val) int {
	if v.k != vMod {
		panic(compileError(x.Pos, "%s: not a module", exprString(x.Args[0])))
	}
	return v.a
}

// flagTest is the split on a flag of a module site's key field; vals
// gives the values of x without and with it.
func (c *kc) flagTest(x *lang.Call, s Loc, flag int, vals *[2]val) needValue {
	t := test{at: atom{v: model.VarSiteFlags, idx: s.Window, local: c.protected(atom{v: model.VarSiteFlags})}, cmp: model.CmpMask, b: flag, src: exprString(x)}
	return needValue{x: x, at: t.at, bt: &t, vals: vals}
}

// flagsLocal reports whether a store to a site's key-field flags folds
// into the step before: static_call_mutex, which the thread holds,
// serialises every other access (kprobes read them without it).
func (c *kc) flagsLocal() bool { return c.listProtected() && !c.flagReaders }

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
	target := c.target(x.Args[2], fn)
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
