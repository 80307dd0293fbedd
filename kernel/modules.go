package kernel

import (
	"encoding/binary"
	"fmt"
	"slices"

	"patchcheck/model"
)

// Variants of the module paths.
const (
	// VariantDelModuleNoBreak is static_call_del_module before the 2024
	// fix (CVE-2024-50002): after __static_call_init failed to allocate,
	// it walks key->mods of a key that still holds its sites pointer.
	VariantDelModuleNoBreak = "del-module-no-break"
	// VariantFixupLosesFlags is static_call_add_module before 2021: the
	// trampoline-to-key fixup wrote the key without the site's TAIL and
	// INIT flags.
	VariantFixupLosesFlags = "fixup-loses-flags"
	// VariantNoLiveNotifier is do_init_module without the static_call
	// notifier's static_call_lock() for MODULE_STATE_LIVE: not a kernel
	// that existed (the notifier has locked before its switch since
	// static calls began), but what that lock buys: without it an update
	// that saw the module COMING writes its init text after do_free_init.
	VariantNoLiveNotifier = "no-live-notifier"
)

// ModSite is a module's static_call_site entry as the routines see it.
type ModSite struct {
	Win  int // the site's window
	Key  int
	Init bool // in the module's init text
}

// modRoutine is the common part of the module routines.
type modRoutine struct {
	lay     *Layout
	mod     int
	variant string
}

// sites returns the module's sites in its table order.
func (r modRoutine) sites() []Loc {
	var out []Loc
	for _, s := range r.lay.Sites {
		if s.Module == r.mod+1 {
			out = append(out, s)
		}
	}
	return out
}

// addModFixup is the first loop of static_call_add_module(): a site whose
// key field holds a trampoline gets the key from vmlinux's
// static_call_tramp_key table, or the load fails with -EINVAL.
type addModFixup struct {
	modRoutine
	fail int // the op of the error path
}

func (r *addModFixup) Run(x *model.KernelExec) int {
	x.Note("static_call_add_module(%s)", x.P.ModuleName(r.mod))
	for _, s := range r.sites() {
		f := x.S.K.SiteFlags[s.Window]
		if f&model.SiteTrampKey == 0 {
			continue
		}
		if !r.lay.TrampKey[s.Key] {
			x.Note("static_call_add_module: Failed to fixup __raw_static_call() usage at: %s (-EINVAL)", s.Name)
			x.S.T[x.T].Err = 1
			return r.fail
		}
		nf := f &^ model.SiteTrampKey
		if r.variant == VariantFixupLosesFlags {
			nf = 0 // site->key = key - &site->key: the flags are gone
		}
		x.S.K.SiteFlags[s.Window] = nf
		x.Note("static_call_add_module: %s: key field fixed up to %s (flags %s)", s.Name, r.lay.Prog.Keys[s.Key].Name, flagNames(nf))
	}
	// __static_call_init(mod) begins by sorting the table by key.
	x.S.K.ModSorted |= 1 << r.mod
	return -1
}

func flagNames(f uint8) string {
	s := ""
	if f&model.SiteTail != 0 {
		s += "TAIL "
	}
	if f&model.SiteInit != 0 {
		s += "INIT "
	}
	if s == "" {
		return "none"
	}
	return s[:len(s)-1]
}

// initModKey is __static_call_init(mod) for the first site of one key:
// the INIT flags of the key's sites, then the static_call_mod entries:
// the wrapper of the key's built-in sites if it still holds them, then
// the module's own, each a kzalloc that may fail (-ENOMEM).
type initModKey struct {
	modRoutine
	key  int
	fail int // the op of the error path
	at   int // fail_alloc of the load: the kzalloc that fails, 0 none
}

func (r *initModKey) Run(x *model.KernelExec) int {
	k := &x.S.K
	ts := &x.S.T[x.T]
	for _, s := range r.sites() {
		if s.Key == r.key && s.Init {
			k.SiteFlags[s.Window] |= model.SiteInit
		}
	}
	alloc := func() (int, bool) {
		ts.Alloc++
		if int(ts.Alloc) == r.at {
			x.Note("__static_call_init: kzalloc #%d fails (-ENOMEM)", ts.Alloc)
			return 0, false
		}
		n := slices.IndexFunc(k.Node[:], func(n model.ModNode) bool { return n.Used == 0 })
		if n < 0 {
			x.Fail(fmt.Errorf("more than %d static_call_mod entries (model bound MaxNodes)", model.MaxNodes))
			return 0, false
		}
		k.Node[n] = model.ModNode{Used: 1}
		return n, true
	}
	n, ok := alloc()
	if !ok {
		ts.Err = 1
		return r.fail
	}
	if k.Mods[r.key] == 0 && r.lay.Builtin[r.key] {
		// The key's direct sites pointer moves into a static_call_mod
		// of its own (mod == NULL).
		k.Node[n] = model.ModNode{Used: 1, Mod: 0}
		k.Mods[r.key] = uint8(n + 1)
		x.Note("__static_call_init: %s's built-in sites wrapped in a static_call_mod", r.lay.Prog.Keys[r.key].Name)
		if n, ok = alloc(); !ok {
			ts.Err = 1
			return r.fail
		}
	}
	k.Node[n] = model.ModNode{Used: 1, Mod: uint8(r.mod + 1), Next: k.Mods[r.key]}
	k.Mods[r.key] = uint8(n + 1)
	x.Note("__static_call_init: %s added to %s's static_call_mod list", x.P.ModuleName(r.mod), r.lay.Prog.Keys[r.key].Name)
	return -1
}

// delModule is static_call_del_module(): for each key of the module's
// sites, unlink and free the module's static_call_mod. Since 2024 it stops
// at the first key that still holds its sites pointer; before, it walked
// that pointer as a list of static_call_mod (CVE-2024-50002).
type delModule struct {
	modRoutine
}

func (r *delModule) Run(x *model.KernelExec) int {
	x.Note("static_call_del_module(%s)", x.P.ModuleName(r.mod))
	k := &x.S.K
	prev := -1
	sites := r.sites()
	if k.ModSorted&(1<<r.mod) != 0 {
		slices.SortStableFunc(sites, func(a, b Loc) int { return a.Key - b.Key })
	}
	for _, s := range sites {
		if x.S.K.SiteFlags[s.Window]&model.SiteTrampKey != 0 {
			// static_call_key(site) is the trampoline: its text is
			// read as a struct static_call_key, whose key->type (the
			// union with key->mods) is the 8 bytes at tramp + 8.
			if r.trampKey(x, s) {
				break
			}
			return -1
		}
		if k.Mods[s.Key] == 0 {
			if r.variant != VariantDelModuleNoBreak {
				x.Note("static_call_del_module: %s has no mods: stop", r.lay.Prog.Keys[s.Key].Name)
				break
			}
			if r.lay.Builtin[s.Key] {
				x.BadDeref(fmt.Sprintf("static_call_del_module: key %s holds its built-in sites pointer (type bit 0 set), walked as key->mods",
					r.lay.Prog.Keys[s.Key].Name))
				return -1
			}
			continue // key->mods is NULL: nothing to walk
		}
		if s.Key == prev {
			continue
		}
		prev = s.Key
		link := &k.Mods[s.Key]
		for *link != 0 && k.Node[*link-1].Mod != uint8(r.mod+1) {
			link = &k.Node[*link-1].Next
		}
		if *link == 0 {
			continue
		}
		n := *link - 1
		*link = k.Node[n].Next
		k.Node[n] = model.ModNode{}
		x.Note("static_call_del_module: %s's static_call_mod of %s freed", x.P.ModuleName(r.mod), r.lay.Prog.Keys[s.Key].Name)
	}
	return -1
}

// trampKey is static_call_del_module() at a site whose key field still
// holds its trampoline's address: key->type is read from the text at
// tramp + 8 (struct static_call_key { void *func; union { unsigned long
// type; struct static_call_mod *mods; ... }; }). With bit 0 set,
// static_call_key_has_mods() is false and the loop stops (since 2024);
// otherwise, or without that check, the bytes are walked as key->mods, a
// pointer into nowhere. It reports whether the loop stops cleanly.
func (r *delModule) trampKey(x *model.KernelExec, s Loc) bool {
	key := r.lay.Prog.Keys[s.Key].Name
	at := r.lay.Tramps[s.Key].Addr + 8
	b, ok := x.Read(at, 8)
	if !ok {
		x.BadDeref(fmt.Sprintf("static_call_del_module: site %s still holds the address of __SCT__%s; reading it as a struct static_call_key reads key->type at %s, which is not mapped",
			s.Name, key, x.P.Sym(at)))
		return false
	}
	typ := binary.LittleEndian.Uint64(b)
	if typ&1 != 0 && r.variant != VariantDelModuleNoBreak {
		x.Note("static_call_del_module: site %s still holds the address of __SCT__%s: key->type is the text at %s, %#016x; bit 0 is set, so static_call_key_has_mods() is false: stop",
			s.Name, key, x.P.Sym(at), typ)
		return true
	}
	x.BadDeref(fmt.Sprintf("static_call_del_module: site %s still holds the address of __SCT__%s; key->mods is the text at %s, %#016x, walked as a struct static_call_mod pointer",
		s.Name, key, x.P.Sym(at), typ))
	return false
}

// modWalk walks key->mods in __static_call_update: start (Next false)
// begins with @first, whose sites are the key's built-in sites while it
// holds them; each later call moves to the next entry. It jumps to the
// block of the entry's sites (Blocks[0] vmlinux, Blocks[m+1] module m) or
// to Done at the end of the list.
type modWalk struct {
	lay    *Layout
	key    int
	Next   bool
	Blocks []int
	Done   int
}

func (r *modWalk) Run(x *model.KernelExec) int {
	ts := &x.S.T[x.T]
	k := &x.S.K
	var cur uint8
	if !r.Next {
		if k.Mods[r.key] == 0 {
			ts.Reg = 0
			if r.lay.Builtin[r.key] {
				x.Note("__static_call_update: %s's built-in sites", r.lay.Prog.Keys[r.key].Name)
				return r.Blocks[0]
			}
			return r.Done
		}
		cur = k.Mods[r.key]
	} else if ts.Reg != 0 {
		cur = k.Node[ts.Reg-1].Next
	}
	ts.Reg = cur
	if cur == 0 {
		x.Note("__static_call_update: end of %s's static_call_mod list", r.lay.Prog.Keys[r.key].Name)
		return r.Done
	}
	mod := k.Node[cur-1].Mod
	if mod == 0 {
		x.Note("__static_call_update: static_call_mod of vmlinux")
	} else {
		x.Note("__static_call_update: static_call_mod of %s", x.P.ModuleName(int(mod)-1))
	}
	return r.Blocks[mod]
}

// modSiteFilter is __static_call_update's filters for one module site:
// init = mod->state == MODULE_STATE_COMING; skip an INIT site unless init;
// skip a site kernel_text_address() no longer accepts (freed text).
type modSiteFilter struct {
	lay  *Layout
	site Loc
	Skip int
}

func (r *modSiteFilter) Run(x *model.KernelExec) int {
	st := x.S.K.ModState[r.site.Module-1]
	init := st == model.ModComing || st == model.ModComingInit
	isInit := x.S.K.SiteFlags[r.site.Window]&model.SiteInit != 0
	text := !x.P.Freed(x.S, r.site.Addr)
	skip := !init && isInit || !text
	x.Note("__static_call_update: module site %s (%s, INIT %v, text %v): %s", r.site.Name,
		model.ModStateName(st), isInit, text, map[bool]string{true: "skipped", false: "patched"}[skip])
	if skip {
		return r.Skip
	}
	return -1
}

// siteTail branches on the site's TAIL flag: arch_static_call_transform's
// tail argument is static_call_is_tail(site), read from the site entry.
type siteTail struct {
	site    Loc
	NotTail int
}

func (r *siteTail) Run(x *model.KernelExec) int {
	if x.S.K.SiteFlags[r.site.Window]&model.SiteTail == 0 {
		x.Note("static_call_is_tail(%s) is false", r.site.Name)
		return r.NotTail
	}
	x.Note("static_call_is_tail(%s) is true", r.site.Name)
	return -1
}

// routine appends r to the program and emits the op that runs it.
func routine(e *Emitter, lay *Layout, r model.Routine) int {
	lay.Prog.Routines = append(lay.Prog.Routines, r)
	return e.Emit(model.Op{Code: model.OpRoutine, A: len(lay.Prog.Routines) - 1})
}

// LoadModule emits load_module() of module m as far as static calls see
// it: MODULE_STATE_COMING and the static_call notifier
// (static_call_add_module, and static_call_del_module when it fails),
// mod->init, MODULE_STATE_LIVE, and the freeing of the init text after an
// RCU grace period.
func LoadModule(e *Emitter, port Port, lay *Layout, m, failAt int, variant string) {
	base := modRoutine{lay: lay, mod: m, variant: variant}
	e.Fn = "load_module"
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModComing)})
	e.Fn = "static_call_module_notify"
	e.Emit(model.Op{Code: model.OpLock, A: StaticCallMutex})
	fixup := &addModFixup{modRoutine: base}
	routine(e, lay, fixup)
	var fails []*int
	fails = append(fails, &fixup.fail)
	sites := base.sites()
	slices.SortStableFunc(sites, func(a, b Loc) int { return a.Key - b.Key })
	prevKey := -1
	for _, s := range sites {
		if s.Key != prevKey {
			prevKey = s.Key
			e.Fn = "__static_call_init"
			ik := &initModKey{modRoutine: base, key: s.Key, at: failAt}
			routine(e, lay, ik)
			fails = append(fails, &ik.fail)
		}
		transformAnyTarget(e, port, lay, s, variant)
	}
	finishSites(e, port, lay, variant)
	ok := e.Emit(model.Op{Code: model.OpJump})
	for _, f := range fails {
		*f = e.Here()
	}
	finishSites(e, port, lay, variant)
	e.Fn = "static_call_module_notify"
	routine(e, lay, &delModule{modRoutine: base})
	e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	e.Fn = "load_module"
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModGone)})
	e.Emit(model.Op{Code: model.OpFreeModule, A: m})
	end := e.Emit(model.Op{Code: model.OpJump})
	e.Land(ok)
	e.Fn = "static_call_module_notify"
	e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	e.Fn = "do_init_module"
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModComingInit)})
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModLive)})
	// blocking_notifier_call_chain(&module_notify_list,
	// MODULE_STATE_LIVE, mod): static_call_module_notify takes
	// static_call_lock() for every event before its switch, which has
	// no case for LIVE. An update that saw the module COMING has
	// therefore returned before the init text goes.
	if variant != VariantNoLiveNotifier {
		e.Fn = "static_call_module_notify"
		e.Emit(model.Op{Code: model.OpLock, A: StaticCallMutex})
		e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	}
	e.Fn = "do_free_init"
	e.Emit(model.Op{Code: model.OpFreeModule, A: m, B: 1})
	e.Land(end)
}

// UnloadModule emits delete_module() of module m: MODULE_STATE_GOING once
// nobody uses it, the GOING notifier (static_call_del_module), and the
// freeing of its text.
func UnloadModule(e *Emitter, lay *Layout, m int, variant string) {
	e.Fn = "delete_module"
	live := &modLive{mod: m}
	routine(e, lay, live)
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModGoing)})
	e.Fn = "static_call_module_notify"
	e.Emit(model.Op{Code: model.OpLock, A: StaticCallMutex})
	routine(e, lay, &delModule{modRoutine{lay: lay, mod: m, variant: variant}})
	e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	e.Fn = "free_module"
	e.Emit(model.Op{Code: model.OpFreeModule, A: m})
	e.Emit(model.Op{Code: model.OpSetModState, A: m, B: int(model.ModGone)})
	live.Busy = e.Here()
}

// modLive is delete_module()'s check: only a LIVE module can go (-EBUSY
// while it loads, -ENOENT once it is gone or its load failed).
type modLive struct {
	mod  int
	Busy int
}

func (r *modLive) Run(x *model.KernelExec) int {
	if st := x.S.K.ModState[r.mod]; st != model.ModLive {
		x.Note("delete_module(%s): %s: -EBUSY/-ENOENT", x.P.ModuleName(r.mod), model.ModStateName(st))
		return r.Busy
	}
	x.Note("delete_module(%s)", x.P.ModuleName(r.mod))
	return -1
}

// transformAnyTarget emits arch_static_call_transform(site, NULL,
// key->func, static_call_is_tail(site)) for whatever key->func is then.
func transformAnyTarget(e *Emitter, port Port, lay *Layout, s Loc, variant string) {
	fn := e.Fn
	s.NoTramp = true
	sw := e.Emit(model.Op{Code: model.OpSwitchFunc, A: s.Key, Table: make([]int, model.MaxTargets)})
	var ends []int
	for _, t := range lay.KeyTargets[s.Key] {
		e.Ops[sw].Table[t] = e.Here()
		transformSite(e, port, lay, s, t, variant)
		e.Fn = fn
		ends = append(ends, e.Emit(model.Op{Code: model.OpJump}))
	}
	for _, j := range ends {
		e.Land(j)
	}
}

// transformSite emits arch_static_call_transform of site s to target t,
// with the site's tail flag read from its entry where a variant can lose
// it.
func transformSite(e *Emitter, port Port, lay *Layout, s Loc, t int, variant string) {
	if variant != VariantFixupLosesFlags || s.Module == 0 || !s.Tail() {
		transform(e, port, lay, s, t, variant)
		return
	}
	st := &siteTail{site: s}
	routine(e, lay, st)
	transform(e, port, lay, s, t, variant)
	end := e.Emit(model.Op{Code: model.OpJump})
	st.NotTail = e.Here()
	notTail := s
	notTail.Kind = "call"
	transform(e, port, lay, notTail, t, variant)
	e.Land(end)
}

// VariantKprobeNoReserved is register_kprobe before 6333e8f73b83
// ("static_call: Avoid kprobes on inline static_call()s"): it does not
// ask static_call_text_reserved().
const VariantKprobeNoReserved = "kprobe-no-reserved-check"

// kprobeCheck is check_kprobe_address_safe() for a probe at a site:
// kernel_text_address(), module init text only while the module is
// COMING, and static_call_text_reserved(), which treats a
// built-in INIT site as reserved only while system_state <
// SYSTEM_RUNNING, and a module's INIT site only while the module is
// COMING.
type kprobeCheck struct {
	site    Loc
	variant string
	Refuse  int
}

func (r *kprobeCheck) Run(x *model.KernelExec) int {
	k := &x.S.K
	if x.P.Freed(x.S, r.site.Addr) || r.site.Module != 0 && k.ModState[r.site.Module-1] == model.ModUnformed {
		x.Note("register_kprobe: %s is not kernel text: -EINVAL", r.site.Name)
		return r.Refuse
	}
	if r.site.Module != 0 && r.site.Init {
		// "If the module freed '.init.text', we couldn't insert kprobes
		// in there": module init text only while the module is COMING.
		if st := k.ModState[r.site.Module-1]; st != model.ModComing && st != model.ModComingInit {
			x.Note("register_kprobe: %s is in the init text of a module that is not COMING: -ENOENT", r.site.Name)
			return r.Refuse
		}
	}
	if r.variant == VariantKprobeNoReserved {
		x.Note("register_kprobe: %s: no static_call_text_reserved() check", r.site.Name)
		return -1
	}
	init := k.System < model.SystemRunning
	isInit := r.site.Init
	if r.site.Module != 0 {
		st := k.ModState[r.site.Module-1]
		init = st == model.ModComing || st == model.ModComingInit
		isInit = k.SiteFlags[r.site.Window]&model.SiteInit != 0
	}
	if init || !isInit {
		x.Note("register_kprobe: static_call_text_reserved(%s): -EBUSY", r.site.Name)
		return r.Refuse
	}
	x.Note("register_kprobe: %s passes the address checks", r.site.Name)
	return -1
}

// RegisterKprobe emits register_kprobe() at site s (kernel/kprobes.c):
// the address checks (check_kprobe_address_safe), then two text_mutex
// sections: prepare_kprobe() (arch_prepare_kprobe copies the instruction)
// and arm_kprobe() (__arm_kprobe: arch_arm_kprobe's text_poke of INT3 and
// smp_text_poke_sync_each_cpu(), inside the mutex). Between the two,
// text_mutex is free: a static call update may rewrite the site.
func RegisterKprobe(e *Emitter, port Port, lay *Layout, s Loc, variant string) {
	e.Fn = "register_kprobe"
	chk := &kprobeCheck{site: s, variant: variant}
	routine(e, lay, chk)
	n := 5
	if s.Kind == "jcc" {
		n = 6
	}
	e.Fn = "register_kprobe"
	e.Emit(model.Op{Code: model.OpLock, A: TextMutex})
	e.Fn = "arch_prepare_kprobe"
	e.Emit(model.Op{Code: model.OpPrepareKprobe, Addr: s.Addr, Len: uint8(n)})
	e.Fn = "register_kprobe"
	e.Emit(model.Op{Code: model.OpUnlock, A: TextMutex})
	e.Fn = "arm_kprobe"
	e.Emit(model.Op{Code: model.OpLock, A: TextMutex})
	e.Fn = "arch_arm_kprobe"
	e.Emit(model.Op{Code: model.OpArmKprobe, Addr: s.Addr, Len: uint8(n)})
	e.Fn = "smp_text_poke_sync_each_cpu"
	e.Emit(model.Op{Code: model.OpSync})
	e.Emit(model.Op{Code: model.OpSyncWait})
	e.Fn = "arm_kprobe"
	e.Emit(model.Op{Code: model.OpUnlock, A: TextMutex})
	chk.Refuse = e.Here()
}

// builtinSites is __static_call_init(NULL)'s "key->sites = site;
// key->type |= 1;" for a key's first built-in site: whatever key->mods
// held is dropped.
type builtinSites struct {
	lay *Layout
	key int
}

func (r *builtinSites) Run(x *model.KernelExec) int {
	if x.S.K.Mods[r.key] != 0 {
		x.Note("__static_call_init: %s.sites = its first site: the static_call_mod list is dropped", r.lay.Prog.Keys[r.key].Name)
	} else {
		x.Note("__static_call_init: %s.sites = its first built-in site", r.lay.Prog.Keys[r.key].Name)
	}
	x.S.K.Mods[r.key] = 0
	return -1
}
