package kernel

import (
	"patchcheck/model"
)

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
		if k.KeyType&(1<<r.key) != 0 {
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

// routine appends r to the program and emits the op that runs it.
func routine(e *Emitter, lay *Layout, r model.Routine) int {
	lay.Prog.Routines = append(lay.Prog.Routines, r)
	return e.Emit(model.Op{Code: model.OpRoutine, A: len(lay.Prog.Routines) - 1})
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
