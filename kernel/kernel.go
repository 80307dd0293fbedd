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
}

// Tail reports whether Loc is patched with tail-call semantics.
func (l Loc) Tail() bool { return l.Tramp || l.Kind != scenario.KindCall }

// Layout is an architecture's placement of a scenario in memory.
type Layout struct {
	Prog   *model.Program // regions, windows, symbols, targets, calls filled in
	Tramps []Loc          // per key
	Sites  []Loc          // per scenario site, in table order
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

// VariantTrampOnly is the core variant whose update patches only the
// trampoline.
const VariantTrampOnly = "tramp-only"

// CoreVariants returns the variants of the generic static_call core.
func CoreVariants() []Variant {
	return []Variant{
		{Name: VariantTrampOnly, Doc: "__static_call_update patches the trampoline but no site, as before static_call_init (sites keep calling the old target after the update returns)"},
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
	for _, th := range sc.Threads {
		e := &Emitter{}
		for _, op := range th.Ops {
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
			if s.Key == key {
				port.Transform(e, lay, s, target, variant)
			}
		}
	}
	e.Land(same)
	e.Fn = "static_call_update"
	e.Emit(model.Op{Code: model.OpUnlock, A: StaticCallMutex})
	e.Emit(model.Op{Code: model.OpReturn, A: key})
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
