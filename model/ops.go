package model

import (
	"fmt"
	"strings"
)

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
	OpPokeWait                        // atomic_cond_read_acquire(refs, !VAL) on every CPU (not with B&PokeNoWait), then nr_entries = 0 (not with B&PokeKeep)
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
	OpStore                           // a model statement's store to variable A (Var*) at index Addr of the value Len (Store*, with TestLocal) says, from B; Msg is the statement
	OpKzalloc                         // site_mod = kzalloc(sizeof(struct static_call_mod)): the first free entry into the thread's Reg; the thread's B-th kzalloc (B > 0) fails and leaves Reg NULL (with TestLocal in Len: folded)
	OpKfree                           // kfree(site_mod): the entry in the thread's Reg is free again (with TestLocal in Len: folded)
	OpBadDeref                        // a model statement dereferences what is not a pointer to the type it reads: Msg

	// The ops of an exception handler (Program.Handler), which a CPU in
	// ModeHandler runs from its Sub: x86's smp_text_poke_int3_handler
	// compiled from the model files. ip is the address of the INT3;
	// tpl the entry of text_poke_array the handler found.
	OpHTryGet  // try_get_text_poke_array(): this CPU's text_poke_array_refs is 0: goto Label; else refs++, and the CPU's step ends here
	OpHNr      // if (text_poke_array.nr_entries > B) goto Label
	OpHBsearch // tpl = __inline_bsearch(ip, text_poke_array.vec, ...) (none: NULL)
	OpHFirst   // tpl = text_poke_array.vec
	OpHTplNull // if (!tpl) goto Label
	OpHAddrNe  // if (text_poke_addr(tpl) != ip) goto Label
	OpHOpcode  // if (A <= tpl->opcode && tpl->opcode <= B) goto Label (tpl->opcode as __smp_text_poke_batch_add sets it)
	OpHEmulate // int3_emulate_ret, _call, _jmp or _jcc (A: HEmul*) of tpl's instruction
	OpHSetIP   // regs->ip = ip (plus tpl->len when A == 1): the CPU resumes there
	OpHPut     // put_text_poke_array(): this CPU's refs--
	OpHReturn  // the handler returns A: 1, IRET (serialising); 0, exc_int3 tries the kprobe handler, else die()
	OpHBug     // BUG() in the handler
)

// Emulations of OpHEmulate (its A): arch/x86/include/asm/text-patching.h
// int3_emulate_ret, int3_emulate_call, int3_emulate_jmp, int3_emulate_jcc.
const (
	HEmulRet = iota
	HEmulCall
	HEmulJmp
	HEmulJcc
)

// Shared variables an OpTest reads (its A), each at index Addr.
const (
	VarSystemState = iota // system_state
	VarInitialized        // static_call_initialized
	VarFunc               // key[Addr]->func (a target index)
	VarModState           // module[Addr]->state as the kernel's enum module_state (MODULE_STATE_*)
	VarSiteFlags          // the key field's flags of window Addr (STATIC_CALL_SITE_*)
	VarRegionLive         // 1 while region Addr is mapped (not freed), else 0
	VarMods               // key[Addr]->mods: entry+1 of the list head, 0 while the key holds its built-in sites pointer or no list
	VarReg                // the thread's pointer register Reg (site_mod): entry+1, or 0 (NULL)
	VarPtr                // the thread's pointer register Ptr (prev: 0 is &key->mods, entry+1 is &entry->next)
	VarNodeMod            // site_mod->mod of the entry in Reg: 0 vmlinux (NULL), m+1 module m
	VarNodeNext           // site_mod->next of the entry in Reg: entry+1, or 0
	VarPrev               // *prev: key[Addr]->mods while Ptr is 0, else the next field of the entry in Ptr
	VarKeyType            // key[Addr]->type & 1: 1 while the key holds its sites pointer or none (static_call_key_has_mods() is false)
	VarTrampType          // the byte at address Addr (a trampoline + 8: key->type where the key field holds the trampoline)
	VarVal                // the thread's Val: which value a model-source local has that depends on the path taken
	VarModRef             // module[Addr]->refcnt
	VarEnabled            // key[Addr]->enabled of a static key (jump labels), an int: -1, 0, 1, ...
	VarReg2               // the thread's second entry register Reg2 (jlm2): entry+1, or 0 (NULL)
	VarKeyNext            // key[Addr]->next of a static key (its struct static_key_mod list): entry+1, or 0; key->type's bits stay
)

// RegAddr2, as the Addr of an OpTest or OpStore of VarNodeMod or
// VarNodeNext, the B of a StoreReg, or the A of an OpKzalloc or OpKfree,
// selects the thread's Reg2 in place of Reg.
const RegAddr2 = 2

// Sources of an OpStore's value (its Len, with TestLocal).
const (
	StoreConst    = iota // B
	StoreOr              // the variable's value | B
	StoreReg             // the thread's Reg
	StoreMods            // key[B]->mods
	StoreNodeNext        // the next field of the entry in Reg
	StoreAnd             // the variable's value & B
	StoreAdd             // the variable's value + B (B may be negative)
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

// TestNeg, or'ed into an OpTest's Len, says that the model statement's
// condition (its Msg) is the negation of the comparison: traces show the
// condition's value.
const TestNeg = 0x40

// testVar reads an OpTest's variable in s.
func testVar(p *Program, s *State, t int, op *Op) int {
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
	case VarMods:
		return int(s.K.Mods[op.Addr])
	case VarReg:
		return int(s.T[t].Reg)
	case VarReg2:
		return int(s.T[t].Reg2)
	case VarKeyNext:
		return int(s.K.Mods[op.Addr])
	case VarPtr:
		return int(s.T[t].Ptr)
	case VarVal:
		return int(s.T[t].Val)
	case VarModRef:
		return int(s.K.ModRef[op.Addr])
	case VarEnabled:
		return int(int8(s.K.Enabled[op.Addr]))
	case VarNodeMod:
		return int(s.K.Node[node(opReg(&s.T[t], op))].Mod)
	case VarNodeNext:
		return int(s.K.Node[node(opReg(&s.T[t], op))].Next)
	case VarKeyType:
		return int(s.K.KeyType>>op.Addr) & 1
	case VarTrampType:
		// The low byte of the 8 bytes at Addr (key->type of a struct
		// static_call_key read at a trampoline): bit 0 is what
		// static_call_key_has_mods() tests. Unmapped text reads as 0.
		b, ok := p.textByte(s, op.Addr)
		if !ok || p.freed(s, op.Addr) {
			return 0
		}
		return int(b)
	}
	panic(fmt.Sprintf("patchcheck: OpTest of unknown variable %d", op.A))
}

// modelOp runs an OpTest, OpStore, OpKzalloc or OpKfree of thread t,
// whose pc it is, and returns the next pc. m, when not nil, records its
// trace event and a failure of a model bound.
func modelOp(p *Program, s *State, t int, op *Op, m *Machine) int {
	ts := &s.T[t]
	next := int(ts.PC) + 1
	trace := m != nil && m.Trace
	if ptr := nullDeref(s, t, op); ptr != "" {
		// A model statement dereferences a NULL struct static_call_mod
		// pointer (a model file that does not test kzalloc's result,
		// say): the kernel oopses; the thread goes no further.
		if m == nil {
			return int(ts.PC) // at the initial state: the step reports it
		}
		msg := fmt.Sprintf("%s: %s is NULL", op.Msg, ptr)
		m.events = append(m.events, Event{Kind: EvBadDeref, CPU: -1, Thread: t, Msg: msg})
		if trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: msg})
		}
		return len(p.Threads[t].Ops)
	}
	switch op.Code {
	case OpTest:
		r := testTrue(p, s, t, op)
		if r {
			next = op.Label
		}
		if trace && op.A == VarEnabled && op.Len&TestNeg != 0 {
			// A read of key->enabled is one step, compiled as a chain
			// of comparisons: the trace says the value it read, once.
			switch {
			case op.Len&TestLocal == 0:
				m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("%s: key->enabled is %d", op.Msg, testVar(p, s, t, op))})
			case !r && strings.HasPrefix(op.Msg, "atomic_try_cmpxchg"):
				m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("%s: key->enabled is %d", op.Msg, testVar(p, s, t, op))})
			}
		} else if trace {
			m.opEvent(op, TraceEvent{Kind: TrTest, Text: op.Msg, Result: r != (op.Len&TestNeg != 0)})
		}
	case OpStore:
		store(s, t, op)
		if op.A == VarEnabled {
			kd := &p.Keys[op.Addr]
			if v := int(int8(s.K.Enabled[op.Addr])); (v < kd.EnabledMin || v > kd.EnabledMax) && m != nil {
				m.fail(fmt.Errorf("key->enabled of %s reached %d, outside the values %d..%d the model compiled its reads for (a bound of the model)", kd.Name, v, kd.EnabledMin, kd.EnabledMax))
			}
			p.setDirection(s, int(op.Addr))
		}
		if trace && op.Msg != "" { // a register cleared where its local dies is not shown
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: p.storeText(s, t, op)})
		}
	case OpKzalloc:
		if !kzalloc(s, t, op) {
			if m != nil {
				m.fail(fmt.Errorf("more than %d struct static_call_mod entries (model bound MaxNodes)", MaxNodes))
			}
			return next
		}
		if trace {
			r := ts.Reg
			if op.A == RegAddr2 {
				r = ts.Reg2
			}
			text := fmt.Sprintf("%s: static_call_mod #%d", op.Msg, r)
			if r == 0 {
				text = fmt.Sprintf("%s: kzalloc #%d fails (-ENOMEM, the scenario's fail_alloc)", op.Msg, ts.Alloc)
			}
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: text})
		}
	case OpKfree:
		r := ts.Reg
		if op.A == RegAddr2 {
			r = ts.Reg2
		}
		if r == 0 {
			break // kfree(NULL)
		}
		n := node(r)
		s.K.Node[n] = ModNode{}
		if trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("%s: static_call_mod #%d freed", op.Msg, n+1)})
		}
	}
	return next
}

// jumpIfText runs an OpJumpIfText of thread t, whose pc it is, and
// returns the next pc; m, when not nil, records its trace event.
func jumpIfText(p *Program, s *State, t int, op *Op, m *Machine) int {
	same := true
	for i := 0; i < int(op.Len); i++ {
		b, ok := p.textByte(s, op.Addr+uint64(i))
		same = same && ok && b == op.Bytes[i]
	}
	if m != nil && m.Trace {
		text := fmt.Sprintf("memcmp(%s, %s) == 0", p.Sym(op.Addr), hexBytes(op.Bytes[:op.Len]))
		if op.Msg != "" {
			text = fmt.Sprintf("%s (%s at %s)", op.Msg, hexBytes(op.Bytes[:op.Len]), p.Sym(op.Addr))
		}
		m.opEvent(op, TraceEvent{Kind: TrTest, Sym: p.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), op.Bytes[:op.Len]...), Text: text, Result: same})
	}
	if same {
		return op.Label
	}
	return int(s.T[t].PC) + 1
}

// nullDeref names the pointer register an OpTest, OpStore or OpKfree
// would dereference while it is NULL, or "".
func nullDeref(s *State, t int, op *Op) string {
	ts := &s.T[t]
	if op.Code == OpKfree {
		return "" // kfree(NULL) does nothing
	}
	usesReg := op.A == VarNodeMod || op.A == VarNodeNext
	if usesReg && op.Addr == RegAddr2 {
		if ts.Reg2 == 0 {
			return "jlm2"
		}
		usesReg = false
	}
	if op.Code == OpStore && op.Len&^TestLocal == StoreNodeNext {
		usesReg = true
	}
	if usesReg && ts.Reg == 0 {
		return "site_mod"
	}
	return ""
}

// storeText says what an OpStore did, for traces: the statement and the
// value stored.
func (p *Program) storeText(s *State, t int, op *Op) string {
	var v int
	switch op.A {
	case VarMods:
		v = int(s.K.Mods[op.Addr])
	case VarSiteFlags:
		return fmt.Sprintf("%s: flags %s", op.Msg, SiteFlagNames(s.K.SiteFlags[op.Addr]))
	case VarKeyType, VarVal:
		return op.Msg // Val: the message names the locals' values
	case VarEnabled:
		return fmt.Sprintf("%s: key->enabled = %d", op.Msg, int8(s.K.Enabled[op.Addr]))
	case VarReg:
		v = int(s.T[t].Reg)
	case VarReg2:
		v = int(s.T[t].Reg2)
	case VarKeyNext:
		v = int(s.K.Mods[op.Addr])
	case VarPtr:
		if s.T[t].Ptr == 0 {
			return op.Msg + ": &key->mods"
		}
		return fmt.Sprintf("%s: &static_call_mod #%d ->next", op.Msg, s.T[t].Ptr)
	case VarNodeMod:
		m := s.K.Node[node(opReg(&s.T[t], op))].Mod
		if m == 0 {
			return op.Msg + ": NULL (vmlinux)"
		}
		return fmt.Sprintf("%s: %s", op.Msg, p.ModuleName(int(m)-1))
	case VarNodeNext:
		v = int(s.K.Node[node(opReg(&s.T[t], op))].Next)
	case VarPrev:
		if s.T[t].Ptr == 0 {
			v = int(s.K.Mods[op.Addr])
		} else {
			v = int(s.K.Node[node(s.T[t].Ptr)].Next)
		}
	}
	if v == 0 {
		return op.Msg + ": NULL"
	}
	return fmt.Sprintf("%s: static_call_mod #%d", op.Msg, v)
}

// setDirection sets static key k's way, the target its branches reach
// (KeyDef.True while key->enabled is not 0: -1 counts as enabled, as
// static_key_count() says), in key->func's place: the properties judge a
// branch as they judge a call.
func (p *Program) setDirection(s *State, k int) {
	kd := &p.Keys[k]
	if !kd.Jump {
		panic(fmt.Sprintf("patchcheck: key->enabled of %s, not a static key", kd.Name))
	}
	t := kd.False
	if s.K.Enabled[k] != 0 {
		t = kd.True
	}
	if int(s.K.Func[k]) != t {
		p.setFunc(s, k, t)
	}
}

// setFunc is key[k]->func = target t: the calls of key k under way may
// reach t from now on.
func (p *Program) setFunc(s *State, k, t int) {
	s.K.Func[k] = uint8(t)
	s.K.Ever[k] |= 1 << t
	for c := range p.CPUs {
		cs := &s.CPU[c]
		if (cs.Mode == ModeRun || cs.Mode == ModeHandler) && p.CPUs[c].Calls[cs.Call].Key == k {
			cs.Allow |= 1 << t
		}
	}
}

// SiteFlagNames names a site's key-field flags.
func SiteFlagNames(f uint8) string {
	var out []string
	if f&SiteTail != 0 {
		out = append(out, "TAIL")
	}
	if f&SiteInit != 0 {
		out = append(out, "INIT")
	}
	if f&SiteTrampKey != 0 {
		out = append(out, "trampoline key")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "|")
}

// node is the entry a pointer register holds; the model source compiler
// tests a register for NULL before it dereferences it.
func node(reg uint8) int {
	if reg == 0 || int(reg) > MaxNodes {
		panic(fmt.Sprintf("patchcheck: dereference of static_call_mod pointer %d", reg))
	}
	return int(reg) - 1
}

// store runs an OpStore of thread t in s.
func store(s *State, t int, op *Op) {
	ts := &s.T[t]
	var v uint8
	switch op.Len &^ TestLocal {
	case StoreConst:
		v = uint8(op.B)
	case StoreOr:
		v = uint8(testVar(nil, s, t, op) | op.B)
	case StoreAnd:
		v = uint8(testVar(nil, s, t, op) & op.B)
	case StoreAdd:
		v = uint8(testVar(nil, s, t, op) + op.B)
	case StoreReg:
		v = ts.Reg
		if op.B == RegAddr2 {
			v = ts.Reg2
		}
	case StoreMods:
		v = s.K.Mods[op.B]
	case StoreNodeNext:
		v = s.K.Node[node(ts.Reg)].Next
	default:
		panic(fmt.Sprintf("patchcheck: OpStore of unknown source %d", op.Len))
	}
	switch op.A {
	case VarMods:
		// key->mods = v: a pointer, so key->type's bit 0 is clear.
		s.K.Mods[op.Addr] = v
		s.K.KeyType &^= 1 << op.Addr
	case VarKeyType:
		s.K.KeyType = s.K.KeyType&^(1<<op.Addr) | (v&1)<<op.Addr
	case VarKeyNext:
		// static_key_set_mod(): key->next = v, key->type's bits kept.
		s.K.Mods[op.Addr] = v
	case VarSiteFlags:
		s.K.SiteFlags[op.Addr] = v
	case VarReg:
		ts.Reg = v
	case VarReg2:
		ts.Reg2 = v
	case VarPtr:
		ts.Ptr = v
	case VarVal:
		ts.Val = v
	case VarModRef:
		s.K.ModRef[op.Addr] = v
	case VarEnabled:
		s.K.Enabled[op.Addr] = v
	case VarNodeMod:
		s.K.Node[node(opReg(ts, op))].Mod = v
	case VarNodeNext:
		s.K.Node[node(opReg(ts, op))].Next = v
	case VarPrev:
		if ts.Ptr == 0 {
			s.K.Mods[op.Addr] = v
			s.K.KeyType &^= 1 << op.Addr
		} else {
			s.K.Node[node(ts.Ptr)].Next = v
		}
	default:
		panic(fmt.Sprintf("patchcheck: OpStore to unknown variable %d", op.A))
	}
}

// opReg is the entry register an OpTest or OpStore of VarNodeMod or
// VarNodeNext goes through: Reg, or Reg2 for Addr RegAddr2.
func opReg(ts *ThreadState, op *Op) uint8 {
	if op.Addr == RegAddr2 {
		return ts.Reg2
	}
	return ts.Reg
}

// kzalloc runs an OpKzalloc of thread t in s; it reports false when no
// entry is free (a bound of the model, MaxNodes).
func kzalloc(s *State, t int, op *Op) bool {
	ts := &s.T[t]
	ts.Alloc++
	reg := &ts.Reg
	if op.A == RegAddr2 {
		reg = &ts.Reg2
	}
	*reg = 0
	if op.B > 0 && int(ts.Alloc) == op.B {
		return true // the scenario's fail_alloc: -ENOMEM
	}
	for n := range s.K.Node {
		if s.K.Node[n].Used == 0 {
			s.K.Node[n] = ModNode{Used: 1}
			*reg = uint8(n + 1)
			return true
		}
	}
	return false
}

// testTrue evaluates an OpTest in s.
func testTrue(p *Program, s *State, t int, op *Op) bool {
	v := testVar(p, s, t, op)
	switch op.Len &^ (TestLocal | TestNeg) {
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

// Flags of OpPokeWait (its B).
const (
	// PokeNoWait: nr_entries = 0 without the wait.
	PokeNoWait = 1 << iota
	// PokeKeep: the wait alone; nr_entries is left as it is (the
	// model source's next statement sets it).
	PokeKeep
)

// TextLocal as OpJumpIfText's B: the thread holds text_mutex, under which
// every store to text is made: the read folds into the step before.
const TextLocal = 1

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
	case OpTest, OpStore, OpKzalloc, OpKfree:
		return op.Len&TestLocal != 0
	case OpJumpIfText:
		return op.B&TextLocal != 0
	case OpCheck:
		return op.A&CheckLocal != 0
	case OpBug:
		// BUG() of a model statement: the thread oopses in the step
		// that decided it (the reads before it).
		return op.A == 2
	}
	return false
}

// CheckLocal, or'ed into an OpCheck's A, marks a check made while the
// thread holds text_mutex: it folds into the step before.
const CheckLocal = 1

// advance runs thread t's local ops until its next visible op. It returns
// the key of the last static_call_update that returned, or -1.
//
// m, when not nil, records the trace events of the local ops and the
// failures of their model bounds.
func advance(p *Program, s *State, t int, m *Machine) int {
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
			// on must reach this key's current target. A static key's
			// static_key_*() returns with that guarantee unless
			// another thread is updating the key (it holds
			// jump_label_mutex: an enable's key->enabled = -1, a
			// disable's patching): then its own return says so.
			if !p.Keys[op.A].Jump || p.JumpLabelMutex == 0 || int(s.K.Mutex[p.JumpLabelMutex-1]) == 0 || int(s.K.Mutex[p.JumpLabelMutex-1]) == t+1 {
				s.K.Stable[op.A] = s.K.Func[op.A]
			}
			ret = int(ts.PC)
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
		case OpTest, OpStore, OpKzalloc, OpKfree:
			if op.Len&TestLocal == 0 {
				return ret
			}
			next := modelOp(p, s, t, op, m)
			if next == int(ts.PC) {
				return ret // left for the thread's next step to report
			}
			ts.PC = uint16(next)
		case OpJumpIfText:
			if op.B&TextLocal == 0 {
				return ret
			}
			ts.PC = uint16(jumpIfText(p, s, t, op, m))
		case OpCheck:
			if op.A&CheckLocal == 0 || m == nil {
				return ret
			}
			m.textCheck(s, t, op)
			ts.PC++
		case OpBug:
			if op.A != 2 || m == nil {
				return ret
			}
			m.events = append(m.events, Event{Kind: EvBug, CPU: -1, Thread: t, Addr: op.Addr, Msg: op.Msg})
			if m.Trace {
				m.opEvent(op, TraceEvent{Kind: TrBug, Text: op.Msg})
			}
			ts.PC = uint16(len(ops)) // the thread oopses: it goes no further
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
	return a.Bsearch(ip)
}

// Bsearch is __inline_bsearch(ip, text_poke_array.vec, nr_entries, ...,
// patch_cmp): the entry at ip, or -1.
func (a *PokeArray) Bsearch(ip uint64) int {
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
