package model

import (
	"cmp"
	"fmt"
)

// threadEnabled reports whether thread t's next op can run in s.
func (m *Machine) threadEnabled(s *State, t int) bool {
	op := &m.P.Threads[t].Ops[s.T[t].PC]
	switch op.Code {
	case OpLock:
		return s.K.Mutex[op.A] == 0
	case OpPokeWait:
		return op.B&PokeNoWait != 0 || s.K.Poke.idle()
	case OpWaitSystem:
		return s.K.System >= uint8(op.B)
	case OpSetModState:
		// LIVE once mod->init returned: no CPU in its init text;
		// GOING once the module is unused (try_stop_module): no CPU
		// in its text.
		switch uint8(op.B) {
		case ModLive:
			return !m.P.inModCall(s, op.A, true)
		case ModGoing:
			return !m.P.inModCall(s, op.A, false)
		}
	case OpSyncWait:
		for c := range m.P.CPUs {
			if s.CPU[c].IPI == IPIPending {
				return false
			}
		}
	case OpFree, OpSetSystem:
		// kernel_init has finished all init code (initcalls,
		// async_synchronize_full()) before it sets
		// SYSTEM_FREEING_INITMEM and frees init text.
		return op.Code == OpSetSystem && op.B != int(SystemFreeingInitmem) || !m.P.inInitCall(s)
	}
	return true
}

// threadStep runs thread t's next op on m.next.
func (m *Machine) threadStep(t int) {
	s := &m.next
	ts := &s.T[t]
	op := &m.P.Threads[t].Ops[ts.PC]
	next := int(ts.PC) + 1
	bug := func(msg string) {
		m.events = append(m.events, Event{Kind: EvBug, CPU: -1, Thread: t, Addr: op.Addr, Msg: msg})
	}
	switch op.Code {
	case OpLock:
		s.K.Mutex[op.A] = uint8(t + 1)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrLock, Lock: m.P.Mutexes[op.A]})
		}
	case OpUnlock:
		if s.K.Mutex[op.A] != uint8(t+1) {
			bug("mutex_unlock of a mutex this thread does not hold")
		}
		s.K.Mutex[op.A] = 0
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrUnlock, Lock: m.P.Mutexes[op.A]})
		}
	case OpSetFunc:
		m.P.setFunc(s, op.A, op.B)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrSetFunc, Key: m.P.Keys[op.A].Name, Target: m.P.Targets[op.B].Name})
		}
	case OpCheck:
		m.textCheck(s, t, op)
	case OpJumpIfText:
		next = jumpIfText(m.P, s, t, op, m)
	case OpPoke:
		if m.P.freed(s, op.Addr) {
			m.events = append(m.events, Event{Kind: EvFreedWrite, CPU: -1, Thread: t, Addr: op.Addr})
		}
		m.poke(s, op.Addr, op.Bytes[:op.Len], op.B&PokeNoMaint == 0)
		if op.B&PokeStopMachine != 0 {
			for c := range m.P.CPUs {
				m.sync(s, c)
			}
		}
		if m.Trace {
			e := TraceEvent{Kind: TrWrite, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), op.Bytes[:op.Len]...)}
			switch {
			case op.B&PokeStopMachine != 0:
				e.Mode = WriteStopMachine
			case op.B&PokeNoMaint != 0:
				e.Mode = WriteNoMaint
			}
			m.opEvent(op, e)
		}
	case OpEither:
		if m.alt != 0 {
			next = op.Label
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrOrder, Text: op.Msg, Index: m.alt})
		}
	case OpCacheMaint:
		e := m.epoch(s) + 1
		for w := range m.P.Windows {
			def := &m.P.Windows[w]
			if def.Base < op.Addr+uint64(op.Len) && op.Addr < def.Base+uint64(def.Size) {
				win := &s.Win[w]
				for k := win.N - win.Stale; k < win.N; k++ {
					win.Coh[k] = e
				}
				win.Stale = 0
			}
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrCache, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Len: int(op.Len)})
		}
	case OpPokeAdd:
		a := &s.K.Poke
		if a.Nr == MaxPokes {
			m.fail(fmt.Errorf("thread %s: more than %d entries in text_poke_array (model bound MaxPokes)", m.P.Threads[t].Name, MaxPokes))
			break
		}
		a.Vec[a.Nr] = PokeLoc{Addr: op.Addr, Text: op.Bytes, Emul: op.Emul}
		a.Len[a.Nr] = op.Len
		a.Nr++
		if op.B&PokeAddArm != 0 {
			m.armPoke(s)
		}
		if m.Trace {
			e := TraceEvent{Kind: TrPokeAdd, Index: int(a.Nr) - 1, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), op.Bytes[:op.Len]...)}
			if op.B&PokeAddArm != 0 {
				e.Mode = "arm"
			}
			m.opEvent(op, e)
		}
	case OpPokeArm:
		m.armPoke(s)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("every CPU's text_poke_array_refs = 1 (%d entries)", s.K.Poke.Nr)})
		}
	case OpPokeRound:
		a := &s.K.Poke
		i := a.next(op.A, int(ts.Idx))
		if i < 0 {
			panic("patchcheck: a text_poke round with no entry left (OpJumpIfNoPoke guards it)")
		}
		e := &a.Vec[i]
		var b []byte
		addr := e.Addr
		switch op.A {
		case PokeInt3:
			b = []byte{int3}
		case PokeTail:
			addr, b = e.Addr+1, e.Text[1:a.Len[i]]
		default:
			b = e.Text[:1]
		}
		if m.P.freed(s, addr) {
			m.events = append(m.events, Event{Kind: EvFreedWrite, CPU: -1, Thread: t, Addr: addr})
		}
		m.poke(s, addr, b, true)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrWrite, Sym: m.P.Sym(addr), Addr: addr, Bytes: append(Hex(nil), b...)})
		}
		if j := a.next(op.A, i+1); j >= 0 {
			ts.Idx = uint8(j)
			next = int(ts.PC)
		} else {
			ts.Idx = 0
		}
	case OpPokePut:
		for c := range s.K.Poke.Refs {
			if s.K.Poke.Refs[c] == 0 {
				if c < len(m.P.CPUs) {
					bug("text_poke_array_refs underflow")
				}
				continue
			}
			s.K.Poke.Refs[c]--
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("atomic_dec_and_test(&text_poke_array_refs) on every CPU: %v", s.K.Poke.Refs[:len(m.P.CPUs)])})
		}
	case OpPokeWait:
		switch {
		case op.B&PokeKeep != 0:
		case s.K.Poke.idle():
			// Nothing reads the entries again before they are
			// rewritten: drop them, so that equal futures are equal
			// states.
			s.K.Poke = PokeArray{}
		default:
			s.K.Poke.Nr = 0
		}
		if m.Trace {
			text := "every text_poke_array_refs is 0; nr_entries = 0"
			switch {
			case op.B&PokeKeep != 0:
				text = "every text_poke_array_refs is 0"
			case op.B&PokeNoWait != 0:
				text = "nr_entries = 0 without waiting for text_poke_array_refs"
			}
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: text})
		}
	case OpSync:
		for c := range m.P.CPUs {
			if s.CPU[c].Mode != ModeDone {
				s.CPU[c].IPI = IPIPending
			}
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrIPISend, Text: cmp.Or(op.Msg, "on_each_cpu(do_sync_core): IPI sent")})
		}
	case OpSyncWait:
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrIPIWait, Text: cmp.Or(op.Msg, "every CPU ran do_sync_core")})
		}
	case OpSMPInit:
		// SMP bring-up: the other CPUs start now. A CPU that has never
		// run holds no stale instructions, and its start-up path
		// serialises (INIT/SIPI, then MOV to CR0/CR3 and a far jump
		// before any kernel code).
		for c := range m.P.CPUs {
			m.sync(s, c)
		}
		s.K.Online = 1
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: "the other CPUs are online"})
		}
	case OpSetSystem:
		s.K.System = uint8(op.B)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: "system_state = " + SystemStateName(s.K.System)})
		}
	case OpFree:
		s.K.Freed |= 1 << op.A
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrFree, Region: m.P.Regions[op.A].Name})
		}
	case OpSwitchFunc:
		f := int(s.K.Func[op.A])
		if f >= len(op.Table) || op.Table[f] <= int(ts.PC) {
			m.fail(fmt.Errorf("thread %s: no case for %s in %s", m.P.Threads[t].Name, m.P.Targets[f].Name, op.Fn))
		} else {
			next = op.Table[f]
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Key: m.P.Keys[op.A].Name, Target: m.P.Targets[f].Name,
				Text: fmt.Sprintf("%s.func is %s", m.P.Keys[op.A].Name, m.P.Targets[f].Name)})
		}
	case OpRoutine:
		x := KernelExec{P: m.P, S: s, T: t, PC: int(ts.PC), m: m}
		if j := m.P.Routines[op.A].Run(&x); j >= 0 {
			next = j
		}
	case OpSetModState:
		s.K.ModState[op.A] = uint8(op.B)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("%s: %s", m.P.ModuleName(op.A), ModStateName(uint8(op.B)))})
		}
	case OpFreeModule:
		regs := m.P.Modules[op.A]
		s.K.Freed |= 1 << regs[1]
		if op.B == 0 {
			s.K.Freed |= 1 << regs[0]
		}
		if m.Trace {
			what := "init text"
			if op.B == 0 {
				what = "text"
			}
			m.opEvent(op, TraceEvent{Kind: TrFree, Region: m.P.ModuleName(op.A), Text: what})
		}
	case OpPokeSaved:
		if m.P.freed(s, op.Addr) {
			m.events = append(m.events, Event{Kind: EvFreedWrite, CPU: -1, Thread: t, Addr: op.Addr})
		}
		m.poke(s, op.Addr, ts.Saved[op.A:op.A+int(op.Len)], true)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrWrite, Mode: WriteSaved, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), ts.Saved[op.A:op.A+int(op.Len)]...)})
		}
	case OpPrepareKprobe:
		// arch_prepare_kprobe: the instruction is copied now, under
		// this text_mutex section; it is armed in a later one.
		s.K.KP = BPDesc{Addr: op.Addr, Len: op.Len}
		copy(s.K.KP.Code[:], m.text(s, op.Addr, int(op.Len)))
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), s.K.KP.Code[:op.Len]...),
				Text: fmt.Sprintf("kprobe at %s: saved %s", m.P.Sym(op.Addr), hexBytes(s.K.KP.Code[:op.Len]))})
		}
	case OpArmKprobe:
		s.K.KP.Refs = 1
		m.events = append(m.events, Event{Kind: EvKprobe, CPU: -1, Thread: t, Addr: op.Addr})
		if m.P.freed(s, op.Addr) {
			m.events = append(m.events, Event{Kind: EvFreedWrite, CPU: -1, Thread: t, Addr: op.Addr})
		}
		m.poke(s, op.Addr, []byte{0xcc}, true)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrWrite, Mode: WriteKprobe, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: Hex{0xcc},
				Old: append(Hex(nil), s.K.KP.Code[:s.K.KP.Len]...)})
		}
	case OpWaitSystem:
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("starts (system_state %s)", SystemStateName(s.K.System))})
		}
	case OpSetInit:
		if op.A == 1 {
			// static_call_initialized++
			s.K.Init = min(s.K.Init+1, 2)
			if m.Trace {
				m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("static_call_initialized++ (now %d)", s.K.Init)})
			}
			break
		}
		s.K.Init = uint8(op.B)
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: fmt.Sprintf("static_call_initialized = %d", op.B)})
		}
	case OpJumpIfBooting:
		if s.K.System == SystemBooting {
			next = op.Label
		}
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrTest, Text: "system_state == SYSTEM_BOOTING", Result: s.K.System == SystemBooting})
		}
	case OpWarn:
		m.events = append(m.events, Event{Kind: EvWarn, CPU: -1, Thread: t, Msg: op.Fn + ": " + op.Msg})
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrWarn, Text: op.Msg})
		}
	case OpTest, OpStore, OpKzalloc, OpKfree:
		next = modelOp(m.P, s, t, op, m)
	case OpBadDeref:
		m.events = append(m.events, Event{Kind: EvBadDeref, CPU: -1, Thread: t, Msg: op.Msg})
		if m.Trace {
			m.opEvent(op, TraceEvent{Kind: TrKernel, Text: op.Msg})
		}
		next = len(m.P.Threads[t].Ops) // the thread oopses: it goes no further
	case OpBug:
		if op.A == 2 {
			bug(op.Msg)
		} else if op.A == 0 && s.K.System != SystemBooting {
			bug("BUG_ON(system_state != SYSTEM_BOOTING)")
		} else if op.A == 1 && s.K.Init != 0 {
			bug("BUG_ON(static_call_initialized)")
		}
		if m.Trace {
			e := TraceEvent{Kind: TrBug}
			if op.A == 2 {
				e.Text = op.Msg
			}
			m.opEvent(op, e)
		}
	default:
		panic(fmt.Sprintf("patchcheck: thread op %d is not a step", op.Code))
	}
	ts.PC = uint16(next)
	if r := advance(m.P, s, t, m); r >= 0 && m.Trace {
		op := &m.P.Threads[t].Ops[r]
		m.rec(TraceEvent{Kind: TrUpdateDone, Key: m.P.Keys[op.A].Name, Text: op.Msg})
	}
}

// armPoke is smp_text_poke_batch_finish's start: for_each_possible_cpu
// atomic_set_release(&text_poke_array_refs, 1), then smp_wmb(). One step:
// a CPU reads only its own counter, and only after it traps on an INT3
// that the batch writes after this.
func (m *Machine) armPoke(s *State) {
	for c := range m.P.CPUs {
		s.K.Poke.Refs[c] = 1
	}
}

// textCheck runs an OpCheck of thread t: the architecture's check of the
// text at op.Addr; a failure is a BUG.
func (m *Machine) textCheck(s *State, t int, op *Op) {
	txt := m.text(s, op.Addr, int(op.Len))
	if msg := m.P.Arch.Check(op.B, txt); msg != "" {
		m.events = append(m.events, Event{Kind: EvBug, CPU: -1, Thread: t, Addr: op.Addr, Msg: msg})
	}
	if m.Trace {
		m.opEvent(op, TraceEvent{Kind: TrCheck, Sym: m.P.Sym(op.Addr), Addr: op.Addr, Bytes: append(Hex(nil), txt...)})
	}
}

// opEvent records e as an event of thread op op: its kernel function
// and model source position.
func (m *Machine) opEvent(op *Op, e TraceEvent) {
	e.Fn, e.Src = op.Fn, op.Src
	m.rec(e)
}
