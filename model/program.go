package model

import (
	"fmt"
	"sort"
	"strings"
)

// Program is a scenario compiled for one architecture: the memory image,
// the patchable windows, the caller programs of the CPUs and the
// operations of the kernel threads. It never changes during exploration;
// everything that changes lives in State.
type Program struct {
	Name    string
	Arch    Arch
	Regions []Region    // mapped memory, sorted by address
	Windows []WindowDef // patchable text; their bytes live in State
	Symbols []Symbol    // names for addresses in traces
	Targets []TargetDef // index = target index; 0 is NULL, 1 is return0
	Keys    []KeyDef
	CPUs    []CPUProg
	Threads []ThreadProg
	// NullIsReturn0 is set where the port implements a NULL static
	// call as a call of __static_call_return0 (arm64's trampolines): a
	// call that reaches return0 while its key may be NULL is one of its
	// rightful targets.
	NullIsReturn0 bool
	Mutexes       []string
	// JumpLabelMutex is 1 + the index of jump_label_mutex in Mutexes,
	// 0 without one (see OpReturn).
	JumpLabelMutex int
	Return         uint64 // harness return address: a call is done when it returns here
	Sentinel       uint64 // result register before each call; still there = no function ran
	System         uint8  // system_state in the initial state
	InitDone       uint8  // static_call_initialized in the initial state
	Offline        bool   // the caller CPUs are offline until OpSMPInit (early boot)
	// Routines are kernel functions that run as one atomic step (OpRoutine),
	// such as the static_call_mod list handling under static_call_mutex.
	Routines []Routine
	// Handler is the exception handler a CPU runs in ModeHandler, from
	// the op its Sub names (x86: smp_text_poke_int3_handler, compiled from
	// the model files); the architecture's Handler interprets it.
	Handler []Op
	// Modules lists the text regions of each module: core, init.
	Modules [][2]int
	// IPINote describes, in traces, a CPU taking its pending interrupt
	// ("" for x86's sync IPI).
	IPINote string
	// SiteFlags is the initial key-field flags of each window.
	SiteFlags [MaxWindows]uint8
	// ArchData is what the architecture's Layout records about the image
	// for its Exec (powerpc: the TOC domains, global entries, call
	// return points). The machine never reads it.
	ArchData any
}

// Routine is a kernel function that runs as one atomic step of a thread.
type Routine interface {
	// Run executes the routine on x.S and returns the index of the op to
	// run next, or -1 for the op after it.
	Run(x *KernelExec) int
}

// KernelExec is what a Routine sees: the next state and its thread.
type KernelExec struct {
	P  *Program
	S  *State
	T  int
	PC int // the routine's op
	m  *Machine
}

// Bug reports a kernel BUG or oops.
func (x *KernelExec) Bug(msg string) {
	x.m.events = append(x.m.events, Event{Kind: EvBug, CPU: -1, Thread: x.T, Msg: msg})
}

// Warn reports a kernel WARN.
func (x *KernelExec) Warn(msg string) {
	x.m.events = append(x.m.events, Event{Kind: EvWarn, CPU: -1, Thread: x.T, Msg: msg})
}

// BadDeref reports a dereference of a field that is not there (such as
// key->mods while the key holds a sites pointer).
func (x *KernelExec) BadDeref(msg string) {
	x.m.events = append(x.m.events, Event{Kind: EvBadDeref, CPU: -1, Thread: x.T, Msg: msg})
}

// Read returns the n bytes of memory at addr as they are now (patchable
// text as last written, other text from the image), and false when part
// of the range is unmapped or freed.
func (x *KernelExec) Read(addr uint64, n int) ([]byte, bool) {
	out := make([]byte, n)
	for i := range out {
		b, ok := x.m.textByte(x.S, addr+uint64(i))
		if !ok || x.P.freed(x.S, addr+uint64(i)) {
			return nil, false
		}
		out[i] = b
	}
	return out, true
}

// Tracing reports whether the step is being described.
func (x *KernelExec) Tracing() bool { return x.m.Trace }

// Fail reports that the scenario exceeded a bound of the model; the
// exploration stops with this error.
func (x *KernelExec) Fail(err error) { x.m.fail(err) }

// Note describes the step in a trace, as free text (TrNote) of the
// routine's op: its kernel function and model source position.
func (x *KernelExec) Note(format string, args ...any) {
	if x.m.Trace {
		op := &x.P.Threads[x.T].Ops[x.PC]
		x.m.rec(TraceEvent{Kind: TrNote, Fn: op.Fn, Src: op.Src, Text: fmt.Sprintf(format, args...)})
	}
}

// Region is mapped memory. An Init region (init text) can be freed.
type Region struct {
	Name  string
	Base  uint64
	Bytes []byte
	Init  bool
}

// WindowDef is a patchable run of text: a trampoline or a call site.
type WindowDef struct {
	Name string
	Base uint64
	Size int
	Init [WinSize]byte
	// Key is the static call key the window calls, or -1.
	Key int
	// AtRest lists, per target index, the contents that reach that
	// target: what the window may hold once every update has returned.
	AtRest [MaxTargets][][]byte
	// Data marks a window that is only ever read as data (such as the
	// literal an arm64 trampoline loads): loads see its current contents,
	// so no older contents are kept for instruction fetch.
	Data bool
}

// Current returns the current contents of window w in s.
func (p *Program) Current(s *State, w int) []byte {
	win := &s.Win[w]
	return win.Snap[win.N-1][:p.Windows[w].Size]
}

// Freed reports whether addr lies in a region that s has freed.
func (p *Program) Freed(s *State, addr uint64) bool { return p.freed(s, addr) }

// Symbol names an address.
type Symbol struct {
	Name string
	Addr uint64
	Size uint64
}

// TargetDef is a call target and the value a call that reached it returns.
type TargetDef struct {
	Name  string
	Value uint64
	Addr  uint64
}

// KeyDef is a static call key, or a static key of jump labels (Jump).
type KeyDef struct {
	Name string
	Init int // initial target index
	// Jump marks a static key: its branches reach target True while
	// key->enabled is not 0, else False (the code of the two ways); the
	// model keeps that target in key->func's place (Kernel.Func).
	Jump        bool
	False, True int
	// Enabled is key->enabled at the start (a static key's).
	Enabled int
	// EnabledMin and EnabledMax bound the values of key->enabled the
	// thread programs were compiled for: a store outside them stops the
	// exploration with an error (a bound of the model, never a verdict).
	EnabledMin, EnabledMax int
}

// CPUProg is the list of calls one CPU makes.
type CPUProg struct {
	Calls []CallDef
}

// CallDef is one call made by the harness: it calls Entry and expects the
// result to be a target of Key.
type CallDef struct {
	Name  string
	Entry uint64
	Key   int
	// Module is 1 + the module whose text the call enters, 0 for none;
	// ModInit is set when it enters the module's init text.
	Module  int
	ModInit bool
}

// ThreadProg is a kernel thread: a straight list of operations with jumps.
type ThreadProg struct {
	Name string
	Ops  []Op
}

// Target indices with a fixed meaning.
const (
	TargetNull    = 0
	TargetReturn0 = 1
)

// Validate checks that p fits the fixed capacities of State and that its
// windows and operations are well formed.
func (p *Program) Validate() error {
	switch {
	case len(p.CPUs) > MaxCPUs:
		return fmt.Errorf("%d CPUs: at most %d", len(p.CPUs), MaxCPUs)
	case len(p.Threads) > MaxThreads:
		return fmt.Errorf("%d threads: at most %d", len(p.Threads), MaxThreads)
	case len(p.Windows) > MaxWindows:
		return fmt.Errorf("%d patchable windows (sites and trampolines): at most %d", len(p.Windows), MaxWindows)
	case len(p.Keys) > MaxKeys:
		return fmt.Errorf("%d keys: at most %d", len(p.Keys), MaxKeys)
	case len(p.Mutexes) > MaxMutexes:
		return fmt.Errorf("%d mutexes: at most %d", len(p.Mutexes), MaxMutexes)
	case len(p.Targets) > MaxTargets:
		return fmt.Errorf("%d targets: at most %d", len(p.Targets), MaxTargets)
	case len(p.Regions) > MaxRegions:
		return fmt.Errorf("%d memory regions: at most %d", len(p.Regions), MaxRegions)
	}
	for _, c := range p.CPUs {
		if len(c.Calls) > 255 {
			return fmt.Errorf("%d calls on one CPU: at most 255", len(c.Calls))
		}
	}
	for i, w := range p.Windows {
		if w.Size < 1 || w.Size > WinSize {
			return fmt.Errorf("window %s: size %d", w.Name, w.Size)
		}
		g := uint64(p.Arch.Granule())
		for j, v := range p.Windows {
			if j == i {
				continue
			}
			// A fetch granule overlaps at most one window.
			if w.Base/g <= (v.Base+uint64(v.Size)-1)/g && v.Base/g <= (w.Base+uint64(w.Size)-1)/g {
				return fmt.Errorf("windows %s and %s share a fetch granule", w.Name, v.Name)
			}
		}
		if _, ok := p.region(w.Base); !ok {
			return fmt.Errorf("window %s is not in mapped memory", w.Name)
		}
	}
	for ti, t := range p.Threads {
		if len(t.Ops) > MaxThreadOps {
			return &CapacityError{Kind: "thread", Index: ti, Msg: fmt.Sprintf("thread %s: %d operations once compiled: at most %d (the thread's program counter is 16 bits wide)", t.Name, len(t.Ops), MaxThreadOps)}
		}
		for i, op := range t.Ops {
			if op.Code == OpJump || op.Code == OpJumpIfText ||
				op.Code == OpJumpIfBooting || op.Code == OpJumpIfNoPoke || op.Code == OpJumpIfPokeOrdered || op.Code == OpTest {
				if op.Label < 0 || op.Label > len(t.Ops) || op.Label == i {
					return fmt.Errorf("thread %s op %d (code %d, %s %s): jump to %d", t.Name, i, op.Code, op.Fn, op.Src, op.Label)
				}
			}
			if op.Code == OpPoke || op.Code == OpJumpIfText || op.Code == OpCheck || op.Code == OpArmKprobe || op.Code == OpPrepareKprobe || op.Code == OpPokeAdd ||
				op.Code == OpSaveText || op.Code == OpPokeSaved {
				if _, _, ok := p.windowRange(op.Addr, int(op.Len)); !ok {
					return fmt.Errorf("thread %s op %d (%s): %#x+%d is not patchable text", t.Name, i, op.Fn, op.Addr, op.Len)
				}
			}
		}
	}
	for _, t := range p.Threads {
		if i := localCycle(t.Ops); i >= 0 {
			return fmt.Errorf("thread %s op %d (%s %s): a loop of operations that fold into the step before them, with no step of its own", t.Name, i, t.Ops[i].Fn, t.Ops[i].Src)
		}
	}
	return nil
}

// localCycle returns an op of a cycle of ops that all fold into the step
// before them (op.local), or -1. A thread runs such ops in one step
// (advance), so a loop back must pass a step (the compiler's retry loop
// of atomic_try_cmpxchg does: its cmpxchg).
func localCycle(ops []Op) int {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(ops))
	var visit func(i int) int
	visit = func(i int) int {
		if i >= len(ops) || !ops[i].local() || color[i] == black {
			return -1
		}
		if color[i] == grey {
			return i
		}
		color[i] = grey
		op := &ops[i]
		if op.Code != OpJump {
			if r := visit(i + 1); r >= 0 {
				return r
			}
		}
		switch op.Code {
		case OpJump, OpTest, OpJumpIfText, OpJumpIfNoPoke, OpJumpIfPokeOrdered:
			if r := visit(op.Label); r >= 0 {
				return r
			}
		}
		color[i] = black
		return -1
	}
	for i := range ops {
		if r := visit(i); r >= 0 {
			return r
		}
	}
	return -1
}

// CapacityError is a capacity of the model that a program exceeds, about
// one item (such as a thread) of the scenario it was compiled from.
type CapacityError struct {
	Kind  string // "thread"
	Index int
	Msg   string
}

func (e *CapacityError) Error() string { return e.Msg }

// ScenarioItem returns the kind and index of the scenario item e is
// about, so that scenario.Locate can find its line.
func (e *CapacityError) ScenarioItem() (string, int) { return e.Kind, e.Index }

// region returns the region holding addr.
func (p *Program) region(addr uint64) (*Region, bool) {
	if i := p.RegionOf(addr); i >= 0 {
		return &p.Regions[i], true
	}
	return nil, false
}

// RegionOf returns the index of the region holding addr, or -1.
func (p *Program) RegionOf(addr uint64) int {
	for i := range p.Regions {
		r := &p.Regions[i]
		if addr >= r.Base && addr-r.Base < uint64(len(r.Bytes)) {
			return i
		}
	}
	return -1
}

// freed reports whether addr lies in a region that s has freed.
func (p *Program) freed(s *State, addr uint64) bool {
	r := p.RegionOf(addr)
	return r >= 0 && s.K.Freed&(1<<r) != 0
}

// initDone reports whether init code at addr is no longer called in s:
// kernel_init has finished running init code once it sets
// SYSTEM_FREEING_INITMEM or frees init text.
func (p *Program) initDone(s *State, addr uint64) bool {
	r := p.RegionOf(addr)
	return r >= 0 && p.Regions[r].Init && (s.K.System >= SystemFreeingInitmem || s.K.Freed&(1<<r) != 0)
}

func (p *Program) ipiNote() string {
	if p.IPINote != "" {
		return p.IPINote
	}
	return "takes the IPI: sync_core (all stale fetches dropped)"
}

// ModuleName names module m.
func (p *Program) ModuleName(m int) string {
	return strings.TrimSuffix(p.Regions[p.Modules[m][0]].Name, ".text")
}

// inModCall reports whether a CPU of s is in a call into module mod's
// text (only its init text when init is set).
func (p *Program) inModCall(s *State, mod int, init bool) bool {
	for c := range p.CPUs {
		cs := &s.CPU[c]
		if cs.Mode == ModeRun || cs.Mode == ModeHandler {
			call := &p.CPUs[c].Calls[cs.Call]
			if call.Module == mod+1 && (call.ModInit || !init) {
				return true
			}
		}
	}
	return false
}

// inInitCall reports whether a CPU of s is in a call into an init region.
func (p *Program) inInitCall(s *State) bool {
	for c := range p.CPUs {
		cs := &s.CPU[c]
		if cs.Mode == ModeRun || cs.Mode == ModeHandler {
			if r := p.RegionOf(p.CPUs[c].Calls[cs.Call].Entry); r >= 0 && p.Regions[r].Init {
				return true
			}
		}
	}
	return false
}

// window returns the window holding addr and the offset in it, or -1.
func (p *Program) window(addr uint64) (int, int) {
	for i := range p.Windows {
		w := &p.Windows[i]
		if addr >= w.Base && addr-w.Base < uint64(w.Size) {
			return i, int(addr - w.Base)
		}
	}
	return -1, 0
}

// windowRange returns the window that holds all of [addr, addr+n).
func (p *Program) windowRange(addr uint64, n int) (int, int, bool) {
	w, off := p.window(addr)
	if w < 0 || n < 1 || off+n > p.Windows[w].Size {
		return -1, 0, false
	}
	return w, off, true
}

// Sym names addr as symbol+offset, or hex when no symbol holds it.
func (p *Program) Sym(addr uint64) string {
	best := -1
	for i, s := range p.Symbols {
		if addr >= s.Addr && (addr-s.Addr < s.Size || s.Size == 0 && addr == s.Addr) {
			// The innermost symbol wins: the latest start, then the smallest.
			if b := best; b < 0 || s.Addr > p.Symbols[b].Addr || s.Addr == p.Symbols[b].Addr && s.Size < p.Symbols[b].Size {
				best = i
			}
		}
	}
	if best < 0 {
		return fmt.Sprintf("%#x", addr)
	}
	s := p.Symbols[best]
	if addr == s.Addr {
		return s.Name
	}
	return fmt.Sprintf("%s+%d", s.Name, addr-s.Addr)
}

// SortSymbols orders the symbols by address, then name.
func (p *Program) SortSymbols() {
	sort.SliceStable(p.Symbols, func(i, j int) bool {
		if p.Symbols[i].Addr != p.Symbols[j].Addr {
			return p.Symbols[i].Addr < p.Symbols[j].Addr
		}
		return p.Symbols[i].Name < p.Symbols[j].Name
	})
}

// TargetOf returns the target whose call returns value v, or -1.
func (p *Program) TargetOf(v uint64) int {
	if v == p.Sentinel {
		return TargetNull
	}
	for i, t := range p.Targets {
		if i != TargetNull && t.Value == v {
			return i
		}
	}
	return -1
}

// Initial returns the state in which every CPU is idle before its first
// call and every window holds its initial bytes.
func (p *Program) Initial() State {
	var s State
	s.K.System = p.System
	s.K.Init = p.InitDone
	if !p.Offline {
		s.K.Online = 1
	}
	s.K.SiteFlags = p.SiteFlags
	for i, w := range p.Windows {
		s.Win[i].Snap[0] = w.Init
		s.Win[i].N = 1
	}
	for k, key := range p.Keys {
		s.K.Func[k] = uint8(key.Init)
		s.K.Stable[k] = uint8(key.Init)
		if !key.Jump {
			// A static key's bit is JUMP_TYPE_LINKED, clear after
			// jump_label_init().
			s.K.KeyType |= 1 << k
		}
		s.K.Ever[k] = 1 << key.Init
		s.K.Enabled[k] = uint8(int8(key.Enabled))
	}
	for c := range p.CPUs {
		if len(p.CPUs[c].Calls) == 0 {
			s.CPU[c].Mode = ModeDone
		}
	}
	for t := range p.Threads {
		advance(p, &s, t, nil)
	}
	return s
}
