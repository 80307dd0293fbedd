// Package kernel models the architecture-independent static_call core of
// Linux (kernel/static_call_inline.c): __static_call_update's order of
// work (key->func, then the trampoline, then every site in table order,
// each through arch_static_call_transform under static_call_mutex). It
// compiles a scenario's kernel threads into the machine's thread
// operations, calling the architecture's Port for everything arch-specific.
package kernel

import (
	"fmt"
	"strings"

	"patchcheck/model"
	"patchcheck/scenario"
)

// Mutexes the static_call core and the arch patchers take, in the order
// the kernel takes them (cpus_read_lock is not modelled: no CPU hotplug).
const (
	StaticCallMutex = 0 // static_call_mutex
	TextMutex       = 1 // text_mutex
)

// Loc is a place arch_static_call_transform patches: a trampoline or a site.
type Loc struct {
	Name  string
	Addr  uint64
	Tramp bool   // the key's trampoline (__SCT__key)
	Kind  string // for sites: scenario.KindCall, KindTail or KindJcc
	Key   int
	Init  bool // the site is in init text (STATIC_CALL_SITE_INIT)
}

// Tail reports whether Loc is patched with tail-call semantics.
func (l Loc) Tail() bool { return l.Tramp || l.Kind != scenario.KindCall }

// Layout is an architecture's placement of a scenario in memory.
type Layout struct {
	Prog   *model.Program // regions, windows, symbols, targets, calls filled in
	Tramps []Loc          // per key
	Sites  []Loc          // per scenario site, in table order
	// InitText is the index of the init text region in Prog.Regions,
	// or -1 when the scenario has no init site.
	InitText int
}

// Variant is a named protocol variant.
type Variant struct {
	Name string
	Doc  string
}

// Port is an architecture's static call port.
type Port interface {
	// Arch returns the machine architecture under a fetch assumption
	// ("" is the architecture's default) for a protocol variant.
	Arch(fetch, variant string) (model.Arch, error)
	// Fetches lists the fetch assumptions the port offers, default first.
	Fetches() []string
	// Variants lists the port's protocol variants; the first is the
	// kernel's own code.
	Variants() []Variant
	// Layout places the scenario's functions, trampolines and sites.
	Layout(sc *scenario.Scenario, arch model.Arch) (*Layout, error)
	// Transform emits arch_static_call_transform of loc to target.
	Transform(e *Emitter, lay *Layout, loc Loc, target int, variant string)
}

// Variants of the generic core.
const (
	// VariantTrampOnly: the update patches only the trampoline.
	VariantTrampOnly = "tramp-only"
	// VariantInitUntilRunning: the kernel before SYSTEM_FREEING_INITMEM
	// (2021): kernel_init freed init text while system_state was still
	// SYSTEM_SCHEDULING, and kernel_text_address() accepted init text
	// until SYSTEM_RUNNING.
	VariantInitUntilRunning = "init-until-running"
)

// CoreVariants returns the variants of the generic static_call core.
func CoreVariants() []Variant {
	return []Variant{
		{Name: VariantTrampOnly, Doc: "__static_call_update patches the trampoline but no site, as before static_call_init (sites keep calling the old target after the update returns)"},
		{Name: VariantInitUntilRunning, Doc: "before SYSTEM_FREEING_INITMEM: kernel_text_address() accepts init text until SYSTEM_RUNNING, which kernel_init sets only after free_initmem()"},
	}
}

// Emitter accumulates one thread's operations.
type Emitter struct {
	Ops []model.Op
	Fn  string // kernel function the next ops belong to
}

// Emit appends op (tagged with the current function) and returns its index.
func (e *Emitter) Emit(op model.Op) int {
	if op.Fn == "" {
		op.Fn = e.Fn
	}
	e.Ops = append(e.Ops, op)
	return len(e.Ops) - 1
}

// Here returns the index of the next op, for jumps.
func (e *Emitter) Here() int { return len(e.Ops) }

// Land makes the jump at op i go to the next op.
func (e *Emitter) Land(i int) { e.Ops[i].Label = e.Here() }

// Bytes makes an op's byte field.
func Bytes(b []byte) ([model.WinSize]byte, uint8) {
	var out [model.WinSize]byte
	n := copy(out[:], b)
	return out, uint8(n)
}

// Build compiles sc for port into a Program.
func Build(sc *scenario.Scenario, port Port) (*model.Program, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	variant := sc.Variant
	if variant == "" || variant == "kernel" {
		variant = port.Variants()[0].Name
	}
	if !HasVariant(port, variant) {
		return nil, fmt.Errorf("unknown variant %q for %s (have %s)", variant, sc.Arch, strings.Join(VariantNames(port), ", "))
	}
	arch, err := port.Arch(sc.Fetch, variant)
	if err != nil {
		return nil, err
	}
	lay, err := port.Layout(sc, arch)
	if err != nil {
		return nil, err
	}
	p := lay.Prog
	p.Name = sc.Name
	p.Mutexes = []string{"static_call_mutex", "text_mutex"}
	keyIdx := map[string]int{}
	for i, k := range sc.Keys {
		keyIdx[k.Name] = i
	}
	tgtIdx := map[string]int{}
	for i, t := range p.Targets {
		tgtIdx[t.Name] = i
	}
	p.System = model.SystemRunning
	for _, th := range sc.Threads {
		e := &Emitter{}
		for _, op := range th.Ops {
			if op.Kind == scenario.OpFreeInitmem {
				p.System = model.SystemScheduling
				FreeInitmem(e, lay, variant)
				continue
			}
			k, t := keyIdx[op.Key], tgtIdx[op.Target]
			StaticCallUpdate(e, port, lay, k, t, variant)
		}
		p.Threads = append(p.Threads, model.ThreadProg{Name: th.Name, Ops: e.Ops})
	}
	p.SortSymbols()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	return p, nil
}

// StaticCallUpdate emits __static_call_update(key, tramp, func) for an
// initialised system (static_call_initialized == 1, system_state ==
// SYSTEM_RUNNING), following kernel/static_call_inline.c.
func StaticCallUpdate(e *Emitter, port Port, lay *Layout, key, target int, variant string) {
	e.Fn = "static_call_update"
	e.Emit(model.Op{Code: model.OpLock, A: StaticCallMutex})
	same := e.Emit(model.Op{Code: model.OpJumpIfFunc, A: key, B: target})
	e.Emit(model.Op{Code: model.OpSetFunc, A: key, B: target})
	port.Transform(e, lay, lay.Tramps[key], target, variant)
	if variant != VariantTrampOnly {
		for _, s := range lay.Sites {
			if s.Key != key {
				continue
			}
			skip := -1
			if s.Init {
				filter := model.InitTextUntilFreeing
				if variant == VariantInitUntilRunning {
					filter = model.InitTextUntilRunning
				}
				e.Fn = "__static_call_update"
				skip = e.Emit(model.Op{Code: model.OpSkipInitSite, Addr: s.Addr, B: filter})
			}
			port.Transform(e, lay, s, target, variant)
			if skip >= 0 {
				e.Land(skip)
			}
		}
	}
	e.Land(same)
	e.Fn = "static_call_update"
	e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	e.Emit(model.Op{Code: model.OpReturn, A: key})
}

// FreeInitmem emits the end of kernel_init(): system_state =
// SYSTEM_FREEING_INITMEM; free_initmem(); system_state = SYSTEM_RUNNING
// (init/main.c). Before 2021 there was no SYSTEM_FREEING_INITMEM.
func FreeInitmem(e *Emitter, lay *Layout, variant string) {
	e.Fn = "kernel_init"
	if variant != VariantInitUntilRunning {
		e.Emit(model.Op{Code: model.OpSetSystem, B: int(model.SystemFreeingInitmem)})
	}
	if lay.InitText >= 0 {
		e.Fn = "free_initmem"
		e.Emit(model.Op{Code: model.OpFree, A: lay.InitText})
		e.Fn = "kernel_init"
	}
	e.Emit(model.Op{Code: model.OpSetSystem, B: int(model.SystemRunning)})
}

// HasVariant reports whether port or the core offers variant.
func HasVariant(port Port, variant string) bool {
	for _, n := range VariantNames(port) {
		if n == variant {
			return true
		}
	}
	return false
}

// VariantNames lists the variant names of port and of the core.
func VariantNames(port Port) []string {
	var out []string
	for _, v := range append(port.Variants(), CoreVariants()...) {
		out = append(out, v.Name)
	}
	return out
}
