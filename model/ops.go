package model

import "fmt"

// OpCode is a kernel thread's operation. Each op other than OpReturn and
// OpJump is one atomic step of the thread; OpReturn and OpJump are folded
// into the step before them.
type OpCode uint8

// Kernel thread operations.
const (
	OpReturn            OpCode = iota // harness: static_call_update(key A) returns
	OpJump                            // goto Label
	OpLock                            // mutex_lock(A); blocks while another thread holds it
	OpUnlock                          // mutex_unlock(A)
	OpSetFunc                         // key[A]->func = target B
	OpCheck                           // arch check B of the text at Addr (e.g. __static_call_validate); BUG on failure
	OpJumpIfText                      // if (!memcmp(Addr, Bytes, Len)) goto Label
	OpPoke                            // store Bytes[:Len] at Addr (text_poke, text_poke_early, memcpy)
	OpPokeAdd                         // __smp_text_poke_batch_add(Addr, Bytes[:Len], Emul); with B&PokeAddArm, then every CPU's text_poke_array_refs = 1
	OpPokePut                         // for_each_possible_cpu: atomic_dec_and_test(text_poke_array_refs)
	OpPokeWait                        // atomic_cond_read_acquire(refs, !VAL) on every CPU (not with B == PokeNoWait), then nr_entries = 0
	OpSync                            // send the sync IPI to every other CPU (on_each_cpu, first half)
	OpSyncWait                        // wait until every CPU ran the IPI (on_each_cpu, wait=1)
	OpSetSystem                       // system_state = B
	OpFree                            // free region A (free_initmem); waits until no CPU runs a call into it
	OpSetInit                         // static_call_initialized = B (with A == 1: static_call_initialized++, which stops at 2: the kernel only tests 0 and 1)
	OpJumpIfBooting                   // if (system_state == SYSTEM_BOOTING) goto Label
	OpWarn                            // WARN(): report Msg as a warning
	OpBug                             // BUG_ON(cond) where cond is A (0: system_state != SYSTEM_BOOTING, 1: static_call_initialized); with A == 2, BUG() with Msg
	OpSwitchFunc                      // goto Table[key[A]->func]
	OpWaitSystem                      // wait until system_state >= B (a kthread starts)
	OpRoutine                         // run Program.Routines[A] as one step
	OpSetModState                     // module A's state = B; waits for CPUs as the module core does
	OpFreeModule                      // free module A's text regions (B: 1 init only, 0 all)
	OpArmKprobe                       // arch_arm_kprobe at Addr: text_poke of INT3 over the prepared kprobe
	OpSaveText                        // local: the thread saves the Len bytes at Addr (a sketch's old)
	OpPokeSaved                       // store saved bytes [A, A+Len) at Addr
	OpEither                          // nondeterminism: go on, or goto Label (two unordered stores, as the halves of an STP)
	OpCacheMaint                      // make the text at [Addr, Addr+Len) coherent with instruction fetch (caches_clean_inval_pou)
	OpPrepareKprobe                   // arch_prepare_kprobe at Addr: save the Len bytes of the instruction there
	OpSMPInit                         // smp_init(): the caller CPUs come online
	OpPokeArm                         // smp_text_poke_batch_finish: every CPU's text_poke_array_refs = 1; smp_wmb()
	OpPokeRound                       // one text_poke of round A (PokeInt3, PokeTail, PokeFirst) of text_poke_array, at the next entry that has one
	OpJumpIfNoPoke                    // local: goto Label if no entry of text_poke_array has a text_poke in round A
	OpJumpIfPokeOrdered               // local: goto Label unless the ordering test of smp_text_poke_batch_add(Addr) must process first (Addr below the last entry)
	OpTest                            // a model statement's read of shared variable A (Var*) at index Addr: goto Label when it compares (Len: Cmp*, with TestLocal) true with B
)

// Shared variables an OpTest reads (its A), each at index Addr.
const (
	VarSystemState = iota // system_state
	VarInitialized        // static_call_initialized
	VarFunc               // key[Addr]->func (a target index)
	VarModState           // module[Addr]->state as the kernel's enum module_state (MODULE_STATE_*)
	VarSiteFlags          // the key field's flags of window Addr (STATIC_CALL_SITE_*)
	VarRegionLive         // 1 while region Addr is mapped (not freed), else 0
)

// Comparisons of OpTest (its Len).
const (
	CmpEq   = iota // var == B
	CmpLt          // var < B
	CmpMask        // var & B != 0
)

// The kernel's enum module_state, as VarModState reads it.
const (
	KernelModLive     = 0 // MODULE_STATE_LIVE
	KernelModComing   = 1 // MODULE_STATE_COMING
	KernelModGoing    = 2 // MODULE_STATE_GOING
	KernelModUnformed = 3 // MODULE_STATE_UNFORMED
)

// TestLocal, or'ed into an OpTest's Len, marks a read of a variable that
// a lock the thread holds protects: no other thread can change it, so the
// read takes no step of its own and folds into the step before it.
const TestLocal = 0x80

// testVar reads an OpTest's variable in s.
func testVar(p *Program, s *State, op *Op) int {
	switch op.A {
	case VarSystemState:
		return int(s.K.System)
	case VarInitialized:
		return int(s.K.Init)
	case VarFunc:
		return int(s.K.Func[op.Addr])
	case VarModState:
		switch s.K.ModState[op.Addr] {
		case ModComing, ModComingInit:
			return KernelModComing
		case ModLive:
			return KernelModLive
		case ModGoing:
			return KernelModGoing
		}
		return KernelModUnformed
	case VarSiteFlags:
		return int(s.K.SiteFlags[op.Addr])
	case VarRegionLive:
		if s.K.Freed&(1<<op.Addr) != 0 {
			return 0
		}
		return 1
	}
	panic(fmt.Sprintf("patchcheck: OpTest of unknown variable %d", op.A))
}

// testTrue evaluates an OpTest in s.
func testTrue(p *Program, s *State, op *Op) bool {
	v := testVar(p, s, op)
	switch op.Len &^ TestLocal {
	case CmpLt:
		return v < op.B
	case CmpMask:
		return v&op.B != 0
	}
	return v == op.B
}

// Rounds of smp_text_poke_batch_finish (OpPokeRound's A).
const (
	PokeInt3  = iota // text_poke(addr, INT3) for every entry
	PokeTail         // text_poke(addr + 1, text + 1, len - 1) where len > 1
	PokeFirst        // text_poke(addr, text[0]) unless it is INT3
)

// PokeNoWait as OpPokeWait's B: nr_entries = 0 without the wait.
const PokeNoWait = 1

// Flags of OpPokeAdd (its B).
const (
	// PokeAddArm: the add is smp_text_poke_single's, and the refs are
	// set in the same step (nothing reads the entry before they are).
	PokeAddArm = 1 << iota
)

// Flags of OpPoke (its B).
const (
	// PokeNoMaint: the store is not made coherent with instruction fetch
	// (no cache maintenance yet): until an OpCacheMaint covers it, a
	// context-synchronised CPU may still fetch the older contents.
	PokeNoMaint = 1 << iota
	// PokeStopMachine: the store is made under stop_machine: every other
	// CPU is held at an instruction boundary, and context-synchronises
	// (isb) before it runs on.
	PokeStopMachine
)

// Op is one operation of a kernel thread.
type Op struct {
	Code  OpCode
	A, B  int
	Addr  uint64
	Bytes [WinSize]byte
	Len   uint8
	Label int           // jump destination: an op index
	Fn    string        // the kernel function this op belongs to, for traces
	Src   string        // the model source position of the statement, "file.c:line" ("" for ops emitted by Go)
	Msg   string        // OpWarn: the warning
	Table []int         // OpSwitchFunc: the op to go to for each target
	Emul  [WinSize]byte // OpPokeAdd: the instruction the INT3 handler emulates
}

// local reports whether op folds into the step before it.
func (op *Op) local() bool {
	switch op.Code {
	case OpReturn, OpJump, OpSaveText, OpJumpIfNoPoke, OpJumpIfPokeOrdered:
		return true
	case OpTest:
		return op.Len&TestLocal != 0
	}
	return false
}

// advance runs thread t's local ops until its next visible op. It returns
// the key of the last static_call_update that returned, or -1.
func advance(p *Program, s *State, t int) int {
	ret := -1
	ts := &s.T[t]
	ops := p.Threads[t].Ops
	for int(ts.PC) < len(ops) {
		op := &ops[ts.PC]
		switch op.Code {
		case OpJump:
			ts.PC = uint16(op.Label)
		case OpSaveText:
			w, off, _ := p.windowRange(op.Addr, int(op.Len))
			win := &s.Win[w]
			ts.Saved = [WinSize]byte{}
			copy(ts.Saved[:], win.Snap[win.N-1][off:off+int(op.Len)])
			ts.PC++
		case OpReturn:
			// static_call_update returned: calls that start from now
			// on must reach this key's current target.
			s.K.Stable[op.A] = s.K.Func[op.A]
			ret = op.A
			ts.PC++
		case OpJumpIfNoPoke:
			// text_poke_array is the patching thread's while it holds
			// text_mutex: reading it is no step of its own.
			ts.PC++
			if s.K.Poke.next(op.A, 0) < 0 {
				ts.PC = uint16(op.Label)
			}
		case OpJumpIfPokeOrdered:
			ts.PC++
			if !s.K.Poke.mustFlush(op.Addr) {
				ts.PC = uint16(op.Label)
			}
		case OpTest:
			if op.Len&TestLocal == 0 {
				return ret
			}
			ts.PC++
			if testTrue(p, s, op) {
				ts.PC = uint16(op.Label)
			}
		default:
			return ret
		}
	}
	ts.Done = 1
	return ret
}

// next returns the first entry from i on that has a text_poke in round,
// or -1.
func (a *PokeArray) next(round, i int) int {
	for ; i < int(a.Nr); i++ {
		switch round {
		case PokeInt3:
			return i
		case PokeTail:
			if a.Len[i] > 1 {
				return i
			}
		case PokeFirst:
			if a.Vec[i].Text[0] != int3 {
				return i
			}
		}
	}
	return -1
}

// mustFlush is smp_text_poke_batch_add's ordering test: addr is below
// the last entry (text_poke_addr_ordered fails). Its other test, a full
// array (TEXT_POKE_ARRAY_MAX entries), is never reached: the model holds
// MaxPokes entries and stops with an error past that.
func (a *PokeArray) mustFlush(addr uint64) bool {
	return a.Nr > 0 && a.Vec[a.Nr-1].Addr > addr
}

// Lookup is smp_text_poke_int3_handler's search of text_poke_array for
// ip: __inline_bsearch over the entries when there are several (sorted
// by address, which the kernel relies on and does not check), else a
// comparison with the first entry. It returns the entry, or -1.
func (a *PokeArray) Lookup(ip uint64) int {
	if a.Nr <= 1 {
		if a.Vec[0].Addr == ip {
			return 0
		}
		return -1
	}
	base, num := 0, int(a.Nr)
	for num > 0 {
		pivot := base + num>>1
		switch addr := a.Vec[pivot].Addr; {
		case ip == addr:
			return pivot
		case ip > addr:
			base = pivot + 1
			num--
		}
		num >>= 1
	}
	return -1
}

// int3 is x86's INT3 opcode, which the batch's third round leaves in place.
const int3 = 0xcc

// idle reports whether no CPU holds a reference to text_poke_array.
func (a *PokeArray) idle() bool {
	for _, r := range a.Refs {
		if r != 0 {
			return false
		}
	}
	return true
}
