package model

import "unsafe"

// Fixed capacities of a State. A scenario that needs more is rejected when
// it is compiled (see Program.Validate), never truncated.
const (
	MaxCPUs    = 4  // caller CPUs
	MaxThreads = 4  // kernel threads
	MaxWindows = 8  // patchable text windows (trampolines and sites)
	MaxSnaps   = 8  // retained contents of one window
	WinSize    = 8  // bytes in one window
	MaxStack   = 6  // return addresses on one CPU's stack
	MaxKeys    = 4  // static call keys
	MaxMutexes = 4  // kernel mutexes
	MaxTargets = 16 // distinct call targets, NULL and return0 included
	NumRegs    = 8  // architecture registers kept per CPU (powerpc: r3, r0, r1, r2, r11, r12, LR, CTR)
	MaxRegions = 8  // memory regions
	MaxModules = 2  // loadable modules
	MaxNodes   = 6  // struct static_call_mod entries
	MaxPokes   = 4  // entries of x86's text_poke_array
	// MaxThreadOps is the number of operations of one thread program:
	// ThreadState.PC, 16 bits wide, goes up to the end of the program.
	MaxThreadOps = 1<<16 - 1
)

// Module states (enum module_state, with MODULE_STATE_COMING split in
// two: before and after the COMING notifiers returned).
const (
	ModUnformed   uint8 = iota // not loaded (MODULE_STATE_UNFORMED)
	ModComing                  // MODULE_STATE_COMING, notifiers running
	ModComingInit              // MODULE_STATE_COMING, mod->init running
	ModLive                    // MODULE_STATE_LIVE
	ModGoing                   // MODULE_STATE_GOING
	ModGone                    // freed, or its load failed
)

// ModStateName names a module state.
func ModStateName(v uint8) string {
	return [...]string{"MODULE_STATE_UNFORMED", "MODULE_STATE_COMING", "MODULE_STATE_COMING (init running)",
		"MODULE_STATE_LIVE", "MODULE_STATE_GOING", "freed"}[min(int(v), 5)]
}

// system_state values (include/linux/kernel.h, in order).
const (
	SystemBooting        uint8 = iota // SYSTEM_BOOTING
	SystemScheduling                  // SYSTEM_SCHEDULING
	SystemFreeingInitmem              // SYSTEM_FREEING_INITMEM
	SystemRunning                     // SYSTEM_RUNNING
)

// SystemStateName names a system_state value.
func SystemStateName(v uint8) string {
	switch v {
	case SystemBooting:
		return "SYSTEM_BOOTING"
	case SystemScheduling:
		return "SYSTEM_SCHEDULING"
	case SystemFreeingInitmem:
		return "SYSTEM_FREEING_INITMEM"
	case SystemRunning:
		return "SYSTEM_RUNNING"
	}
	return "?"
}

// CPU modes.
const (
	ModeIdle    uint8 = iota // between calls: at a harness boundary
	ModeRun                  // executing instructions
	ModeHandler              // in an exception handler, IRQs off
	ModeDone                 // all calls made
)

// CPUState.IPI values. A CPU with either takes the interrupt at any
// instruction boundary (context synchronising) or not yet; only a sent
// IPI holds up the sender's wait (OpSyncWait).
const (
	// IPIPending: a thread sent the sync IPI (OpSync) and this CPU has
	// not taken it.
	IPIPending uint8 = 1
	// IPIMay: the architecture lets the CPU take an interrupt now, which
	// no thread waits for (arm64: between two calls); the architecture
	// drops the chance when the next call starts.
	IPIMay uint8 = 2
)

// State is the whole machine state: plain data, no pointers, no padding,
// so that it is copied by assignment and fingerprinted as raw bytes.
// TestStateHasNoPadding keeps it so.
type State struct {
	CPU   [MaxCPUs]CPUState
	Win   [MaxWindows]Window
	K     Kernel
	T     [MaxThreads]ThreadState
	Sched Sched
}

// Sched is what a preemption-bounded search keeps (zero otherwise).
type Sched struct {
	Last uint8 // the actor of the last step, + 1
	Pre  uint8 // preemptions so far
	_    [6]uint8
}

// CPUState is one caller CPU.
type CPUState struct {
	PC    uint64            // instruction pointer
	Regs  [NumRegs]uint64   // architecture registers (see the arch package)
	Stack [MaxStack]uint64  // return addresses, Stack[0] pushed first
	View  [MaxWindows]uint8 // oldest snapshot of each window this CPU may still fetch
	SP    uint8             // number of return addresses on Stack
	Mode  uint8             // ModeIdle, ModeRun, ModeHandler or ModeDone
	Sub   uint8             // handler phase
	Call  uint8             // index of the current (or next) call
	IPI   uint8             // IPIPending while a sync IPI is pending, IPIMay, or 0
	Flags uint8             // architecture flags
	Allow uint16            // targets the current call may reach (bit per target)
}

// Window is a patchable run of text, such as one call site or one
// trampoline, with the contents it has had since the oldest context
// synchronisation any CPU may still fetch from.
type Window struct {
	Snap [MaxSnaps][WinSize]byte // Snap[N-1] is the current contents
	N    uint8
	// Stale counts the newest contents that are not yet coherent with
	// instruction fetch: written by a store whose cache maintenance
	// (arm64 DC CVAU; DSB; IC IVAU; DSB, OpCacheMaint) has not run yet. A
	// context synchronisation leaves a CPU able to fetch Snap[N-1-Stale]
	// and later. Always 0 where every write is made coherent with its
	// store (x86, powerpc's patch_instruction, arm64 with CTR_EL0.DIC).
	Stale uint8
	// Epoch[k] is the number of cache maintenances (OpCacheMaint) that
	// made contents coherent before Snap[k] was written, and Coh[k] the
	// number of the one that made Snap[k] coherent (NoEpoch: none).
	// Both are ranks, renumbered by canon. A CPU that fetches Snap[k]
	// can no longer fetch, in any window w, the contents older than the
	// newest Snap[j] of w with Coh[j] <= Epoch[k]: instruction fetches
	// are ordered in program order against completed maintenance
	// (Machine.fetched). All zero where nothing is maintained (x86,
	// powerpc, arm64 with DIC).
	Epoch [MaxSnaps]uint8
	Coh   [MaxSnaps]uint8
}

// NoEpoch is Window.Coh of contents no cache maintenance made coherent.
const NoEpoch = 0xff

// Kernel is the kernel's data that the model tracks.
type Kernel struct {
	Poke   PokeArray         // x86's text_poke_array and text_poke_array_refs
	KP     BPDesc            // the kprobe: its address and saved instruction (Refs: armed)
	Ever   [MaxKeys]uint16   // every target key->func has held
	Func   [MaxKeys]uint8    // key->func, as a target index
	Stable [MaxKeys]uint8    // key->func as of the last update that returned
	Mutex  [MaxMutexes]uint8 // owner thread + 1, or 0
	System uint8             // system_state (SystemBooting..SystemRunning)
	Freed  uint8             // bit r set: region r has been freed
	Init   uint8             // static_call_initialized
	// bit m: module m's static_call_sites are sorted by key
	// (__static_call_init ran on them)
	ModSorted uint8
	// key->mods: node+1 of the list head, or 0 while the key holds its
	// built-in sites pointer (type bit 0 set)
	Mods     [MaxKeys]uint8
	Node     [MaxNodes]ModNode
	ModState [MaxModules]uint8
	// static_call_site key-field flags of each site window:
	// STATIC_CALL_SITE_TAIL, STATIC_CALL_SITE_INIT, and SiteTrampKey
	// while the key field still holds a trampoline address.
	SiteFlags [MaxWindows]uint8
	// Online is 1 once the caller CPUs are up (smp_init; from the start
	// unless the scenario boots).
	Online uint8
	// KeyType bit k: key k's type has bit 0 set (DEFINE_STATIC_CALL's
	// .type = 1, and key->type |= 1 with its sites pointer):
	// static_call_key_has_mods() is false.
	KeyType uint8
	// ModRef: each module's refcnt (MODULE_REF_BASE counts 1; 0 before
	// module_unload_init and once try_release_module_ref took it).
	ModRef [MaxModules]uint8
	// Enabled is key->enabled of each static key (jump labels), an
	// atomic_t as the int8 it stays within: -1 while the first
	// static_key_slow_inc() is patching, else the count. 0 for static
	// call keys.
	Enabled [MaxKeys]uint8
}

// BPDesc is a kprobe: its address, the instruction arch_prepare_kprobe
// saved, and whether it is armed.
type BPDesc struct {
	Addr uint64        // the probed address
	Code [WinSize]byte // the saved instruction
	Len  uint8         // its length
	Refs uint8         // 1 once armed
	_    [6]uint8
}

// PokeLoc is one struct smp_text_poke_loc of text_poke_array.
type PokeLoc struct {
	Addr uint64        // text_poke_addr(tp)
	Text [WinSize]byte // tp->text: the instruction written
	Emul [WinSize]byte // what the INT3 handler emulates (tp->opcode, tp->disp)
}

// PokeArray is x86's text_poke_array (arch/x86/kernel/alternative.c,
// v6.16+; tp_vec and bp_desc before) with the per-CPU
// text_poke_array_refs.
type PokeArray struct {
	Vec  [MaxPokes]PokeLoc
	Len  [MaxPokes]uint8 // tp->len
	Refs [MaxCPUs]uint8  // per_cpu(text_poke_array_refs, cpu)
	Nr   uint8           // text_poke_array.nr_entries
	_    [7]uint8
}

// ModNode is a struct static_call_mod.
type ModNode struct {
	Used uint8
	Next uint8 // node+1, or 0 at the end of the list
	Mod  uint8 // 0 for vmlinux (mod == NULL), m+1 for module m
}

// Site key-field flags (include/linux/static_call_types.h), and the
// model's mark for a key field that holds a trampoline address.
const (
	SiteTail     = 1 // STATIC_CALL_SITE_TAIL
	SiteInit     = 2 // STATIC_CALL_SITE_INIT
	SiteTrampKey = 4 // the key field points at the trampoline (objtool, static_call_mod())
)

// ThreadState is one kernel thread.
type ThreadState struct {
	PC    uint16 // index of the next op
	Done  uint8
	Reg   uint8         // a cursor, e.g. the static_call_mod being walked (node+1)
	Alloc uint8         // kzalloc calls made in the current operation
	Val   uint8         // which value a model-source local has that depends on the path the thread took (its index among them)
	Saved [WinSize]byte // bytes a sketch saved (OpSaveText)
	Idx   uint8         // the entry of text_poke_array a round is at
	Ptr   uint8         // a second pointer: static_call_del_module's prev (0 &key->mods, node+1 &node->next)
	Reg2  uint8         // a second entry register: jump_label_add_module's jlm2 (node+1), while jlm is in Reg
	_     uint8
}

// bytes returns the raw bytes of s, for fingerprinting.
func (s *State) bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s))
}
