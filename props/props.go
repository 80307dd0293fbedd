// Package props holds patchcheck's properties: what must hold at every step
// of every interleaving while the kernel patches code.
package props

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/model"
)

// Property names, stable across versions: counterexample IDs and scenario
// files refer to them.
const (
	NoTorn      = "no-torn-insn"
	NoUndefined = "no-undefined-insn"
	OldOrNew    = "old-or-new-target"
	Completion  = "completion"
	NoKernelBug = "no-kernel-bug"
	NoDeadlock  = "no-deadlock"
	NoFreed     = "no-freed-access"
	AtRest      = "consistent-at-rest"
	NoWarn      = "no-warn"
	NoBadDeref  = "no-bad-deref"
	NoKprobe    = "no-kprobe-on-site"
)

type prop struct {
	name, doc string
	check     func(p *model.Program, ev *model.Event) string
	warning   bool
	kinds     uint32 // the kinds of events check judges (Kinds)
}

func (q prop) Name() string                                   { return q.name }
func (q prop) Check(p *model.Program, ev *model.Event) string { return q.check(p, ev) }
func (q prop) Warning() bool                                  { return q.warning }

// Kinds implements model.JudgesKinds: the kinds of events the check
// looks at; it returns "" on the others (TestKinds checks it).
func (q prop) Kinds() uint32 { return q.kinds }

// kinds returns the set of ks.
func kinds(ks ...model.EventKind) uint32 {
	var b uint32
	for _, k := range ks {
		b |= 1 << k
	}
	return b
}

// IgnoresRoutine implements model.IgnoresRoutine: no property here judges
// an instruction executed normally (TestIgnoresRoutine checks it).
func (q prop) IgnoresRoutine() bool { return true }

// IsWarning reports whether the named property reports warnings (a kernel
// WARN) rather than violations.
func IsWarning(name string) bool {
	for _, q := range all() {
		if q.name == name {
			return q.warning
		}
	}
	return false
}

// Doc returns the one-line statement of the named property.
func Doc(name string) string {
	for _, q := range all() {
		if q.name == name {
			return q.doc
		}
	}
	return ""
}

// All returns every property, in the order they are checked.
func All() []model.Property {
	var out []model.Property
	for _, q := range all() {
		out = append(out, q)
	}
	return out
}

// Names returns every property's name.
func Names() []string {
	var out []string
	for _, q := range all() {
		out = append(out, q.name)
	}
	return out
}

// Select returns the named properties; an empty list selects all.
func Select(names []string) ([]model.Property, error) {
	if len(names) == 0 {
		return All(), nil
	}
	var out []model.Property
	for _, n := range names {
		found := false
		for _, q := range all() {
			if q.name == n {
				out, found = append(out, q), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown property %q (have %s)", n, strings.Join(Names(), ", "))
		}
	}
	return out, nil
}

func all() []prop {
	return append([]prop{
		{NoTorn, "no CPU executes bytes that were never, all together, the instruction at that address", checkTorn, false, kinds(model.EvExec)},
		{NoUndefined, "no CPU executes an undefined instruction or fetches from unmapped memory", checkUndefined, false, kinds(model.EvExec)},
		{OldOrNew, "every call reaches a target its key had while the call ran (the old or the new one; NULL calls nothing, return0 returns 0)", checkOldOrNew, false, kinds(model.EvCallDone)},
		{Completion, "a call that starts after static_call_update returned reaches the new target", checkCompletion, false, kinds(model.EvCallDone)},
		{NoKernelBug, "the kernel never hits BUG() or dies (failed __static_call_validate, unhandled INT3)", checkBug, false, kinds(model.EvBug)},
		{NoFreed, "no CPU fetches from freed text and no kernel thread writes into it", checkFreed, false, kinds(model.EvExec, model.EvFreedWrite)},
		{AtRest, "once every update has returned and the machine is quiet, every live site and trampoline reaches its key's current target (a jump label site its static key's way), and no static key is left at key->enabled = -1", checkAtRest, false, kinds(model.EvQuiet)},
		messageProp(NoWarn, "the kernel hits no WARN() (a warning, not a violation: the search goes on)", model.EvWarn, true),
		messageProp(NoBadDeref, "the kernel never dereferences a field that is not there (key->mods while the key's tag says it holds a sites pointer, a trampoline read as a key, a NULL struct static_call_mod pointer)", model.EvBadDeref, false),
		{NoKprobe, "a kprobe is never placed on a static call site or a jump label site", checkKprobe, false, kinds(model.EvKprobe)},
		messageProp(NoDeadlock, "the patching threads always finish: no state in which nobody can move", model.EvDeadlock, false),
	}, append(tocProps(), cmodxProps()...)...)
}

func hexBytes(b []byte) string {
	return fmt.Sprintf("% x", b)
}

func checkTorn(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvExec || !ev.Torn {
		return ""
	}
	return fmt.Sprintf("cpu%d executes %s at %s: never the instruction there (torn)",
		ev.CPU, hexBytes(ev.Insn[:ev.Len]), p.Sym(ev.Addr))
}

func checkUndefined(p *model.Program, ev *model.Event) string {
	switch {
	case ev.Kind != model.EvExec || !ev.Undef || ev.Torn:
		return ""
	case ev.Unmapped:
		return fmt.Sprintf("cpu%d fetches from unmapped memory at %s", ev.CPU, p.Sym(ev.Addr+uint64(ev.Len)))
	case ev.Msg != "":
		return fmt.Sprintf("cpu%d at %s: %s", ev.CPU, p.Sym(ev.Addr), ev.Msg)
	}
	return fmt.Sprintf("cpu%d executes undefined %s at %s", ev.CPU, hexBytes(ev.Insn[:ev.Len]), p.Sym(ev.Addr))
}

// reached names what a call reached.
func reached(p *model.Program, ev *model.Event) string {
	switch {
	case ev.Result < 0:
		return fmt.Sprintf("no target (result %#x)", ev.Value)
	case ev.Result == model.TargetNull:
		return "no function (NULL)"
	}
	return p.Targets[ev.Result].Name
}

func allowed(p *model.Program, mask uint16) string {
	var names []string
	for i := range p.Targets {
		if mask&(1<<i) != 0 {
			names = append(names, p.Targets[i].Name)
		}
	}
	return strings.Join(names, " or ")
}

func checkOldOrNew(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvCallDone {
		return ""
	}
	if ev.Result >= 0 && nullAsReturn0(p, ev.Allow|ev.Ever)&(1<<ev.Result) != 0 {
		return ""
	}
	return fmt.Sprintf("cpu%d: %s reached %s; key %s had only %s",
		ev.CPU, callName(p, ev), reached(p, ev), p.Keys[ev.Key].Name, allowed(p, ev.Ever))
}

func checkCompletion(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvCallDone || ev.Result < 0 || nullAsReturn0(p, ev.Allow)&(1<<ev.Result) != 0 || nullAsReturn0(p, ev.Ever)&(1<<ev.Result) == 0 {
		return ""
	}
	return fmt.Sprintf("cpu%d: %s reached %s after the update to %s had returned",
		ev.CPU, callName(p, ev), reached(p, ev), allowed(p, ev.Allow))
}

// nullAsReturn0 adds return0 to a set of targets that holds NULL, where
// the port calls __static_call_return0 for NULL.
func nullAsReturn0(p *model.Program, set uint16) uint16 {
	if p.NullIsReturn0 && set&(1<<model.TargetNull) != 0 {
		set |= 1 << model.TargetReturn0
	}
	return set
}

func callName(p *model.Program, ev *model.Event) string {
	return "its call of " + p.CPUs[ev.CPU].Calls[ev.CallIndex].Name
}

func checkBug(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvBug {
		return ""
	}
	who := fmt.Sprintf("cpu%d", ev.CPU)
	if ev.CPU < 0 {
		who = p.Threads[ev.Thread].Name
	}
	return who + ": " + ev.Msg
}

func checkFreed(p *model.Program, ev *model.Event) string {
	switch {
	case ev.Kind == model.EvExec && ev.Freed:
		return fmt.Sprintf("cpu%d fetches from freed text at %s", ev.CPU, p.Sym(ev.Addr))
	case ev.Kind == model.EvFreedWrite:
		return fmt.Sprintf("%s writes into freed text at %s", p.Threads[ev.Thread].Name, p.Sym(ev.Addr))
	}
	return ""
}

// checkAtRest compares every live window with the contents that reach its
// key's current target.
func checkAtRest(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvQuiet {
		return ""
	}
	s := ev.Rest
	for k, kd := range p.Keys {
		if kd.Jump && int8(s.K.Enabled[k]) < 0 {
			return fmt.Sprintf("at rest, static key %s has key->enabled = %d (an enable left in progress)", kd.Name, int8(s.K.Enabled[k]))
		}
	}
	for w := range p.Windows {
		def := &p.Windows[w]
		if def.Key < 0 || p.Freed(s, def.Base) {
			continue
		}
		if p.Keys[def.Key].Jump && unloaded(p, s, def.Base) {
			// A module jump site of a module that never loaded: its
			// text is not the kernel's (load_module() copies it in).
			continue
		}
		if r := p.RegionOf(def.Base); r >= 0 && p.Regions[r].Init && s.K.System >= model.SystemFreeingInitmem {
			// vmlinux init text once kernel_init is done with init
			// code: never run again, freed or about to be (a scenario
			// that starts in SYSTEM_RUNNING has it mapped still).
			continue
		}
		f := s.K.Func[def.Key]
		cur := p.Current(s, w)
		ok := false
		for _, form := range def.AtRest[f] {
			ok = ok || string(cur[:len(form)]) == string(form)
		}
		if !ok {
			return fmt.Sprintf("at rest, %s holds %s but key %s is %s",
				def.Name, hexBytes(cur), p.Keys[def.Key].Name, p.Targets[f].Name)
		}
	}
	return ""
}

// unloaded reports whether addr is in the text of a module that is still
// MODULE_STATE_UNFORMED (never loaded).
func unloaded(p *model.Program, s *model.State, addr uint64) bool {
	r := p.RegionOf(addr)
	for m, regs := range p.Modules {
		if r == regs[0] || r == regs[1] {
			return s.K.ModState[m] == model.ModUnformed
		}
	}
	return false
}

func checkKprobe(p *model.Program, ev *model.Event) string {
	if ev.Kind != model.EvKprobe {
		return ""
	}
	for _, w := range p.Windows {
		if w.Base == ev.Addr && w.Key >= 0 && !strings.HasPrefix(w.Name, "__SCT__") {
			what := "static call site"
			if p.Keys[w.Key].Jump {
				what = "jump label site"
			}
			return fmt.Sprintf("%s places a kprobe on %s %s", p.Threads[ev.Thread].Name, what, w.Name)
		}
	}
	return ""
}

// messageProp is a property whose events carry their own message: every
// event of kind is a violation (a warning if warning).
func messageProp(name, doc string, kind model.EventKind, warning bool) prop {
	return prop{name, doc, message(kind), warning, kinds(kind)}
}

// message is the check of properties whose events carry their own
// message: every event of kind is a violation.
func message(kind model.EventKind) func(*model.Program, *model.Event) string {
	return func(_ *model.Program, ev *model.Event) string {
		if ev.Kind != kind {
			return ""
		}
		return ev.Msg
	}
}
