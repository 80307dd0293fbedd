// Package kernel models the architecture-independent static_call core of
// Linux (kernel/static_call_inline.c): __static_call_update's order of
// work (key->func, then the trampoline, then every site in table order,
// each through arch_static_call_transform under static_call_mutex). It
// compiles a scenario's kernel threads into the machine's thread
// operations, calling the architecture's Port for everything arch-specific.
package kernel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Mutexes the static_call core and the arch patchers take, in the order
// the kernel takes them (cpus_read_lock is not modelled: no CPU hotplug).
const (
	StaticCallMutex = 0 // static_call_mutex
	TextMutex       = 1 // text_mutex
	JumpLabelMutex  = 2 // jump_label_mutex (a scenario with static keys)
)

// MutexByName returns the mutex a sketch names: text_mutex or
// static_call_mutex.
func MutexByName(name string) (int, bool) {
	switch name {
	case "text_mutex":
		return TextMutex, true
	case "static_call_mutex":
		return StaticCallMutex, true
	}
	return 0, false
}

// StepDoc documents one step of an architecture's sketch vocabulary.
type StepDoc struct{ Form, Doc string }

// MutexSteps documents the lock and unlock steps that every
// architecture's sketch vocabulary starts with.
func MutexSteps() []StepDoc {
	return []StepDoc{
		{Form: "lock MUTEX", Doc: "mutex_lock(&MUTEX): text_mutex or static_call_mutex"},
		{Form: "unlock MUTEX", Doc: "mutex_unlock(&MUTEX)"},
	}
}

// Vocabulary returns steps as (form, doc) pairs.
func Vocabulary(steps []StepDoc) [][2]string {
	var out [][2]string
	for _, s := range steps {
		out = append(out, [2]string{s.Form, s.Doc})
	}
	return out
}

// Loc is a place arch_static_call_transform patches: a trampoline or a site.
type Loc struct {
	Name  string
	Addr  uint64
	Tramp bool   // the key's trampoline (__SCT__key)
	Kind  string // for sites: scenario.KindCall, KindTail or KindJcc
	Key   int
	Init  bool // the site is in init text (STATIC_CALL_SITE_INIT)
	// Window is the index of the loc's window in the program.
	Window int
	// Unpatched is what the compiler emitted at a site: a call, jump or
	// Jcc to the key's trampoline, before static_call_init patches it.
	Unpatched []byte
	// Module is 1 + the module whose text holds the site, 0 for vmlinux.
	Module int
	// TrampRef is set for a module site whose key field holds the
	// trampoline (fixed up by static_call_add_module).
	TrampRef bool
	// Likely, Dest and Size are a jump label site's (Kind KindJump):
	// its entry's branch bit (static_branch_likely), jump_entry_target()
	// and the size of its instruction.
	Likely bool
	Dest   uint64
	Size   int
	// NoTramp is set where the core calls arch_static_call_transform
	// with tramp == NULL: __static_call_init(), which static_call_init()
	// and the module COMING notifier run. Since d856bc3ac7d9 (v6.15)
	// only __static_call_update passes the trampoline for a site.
	NoTramp bool
}

// KindJump is the Kind of a jump label site's Loc.
const KindJump = "jump"

// Tail reports whether Loc is patched with tail-call semantics.
func (l Loc) Tail() bool { return l.Tramp || l.Kind != scenario.KindCall }

// Layout is an architecture's placement of a scenario in memory.
type Layout struct {
	Prog   *model.Program // regions, windows, symbols, targets, calls filled in
	Tramps []Loc          // per key
	Sites  []Loc          // per scenario site, in table order
	// Jumps are the scenario's jump label sites (Kind KindJump), in
	// the scenario's order; their keys are the static keys, which
	// follow the static call keys in Prog.Keys.
	Jumps []Loc
	// InitText is the index of the init text region in Prog.Regions,
	// or -1 when the scenario has no init site.
	InitText int
	// MayBoot is set when the scenario starts in SYSTEM_BOOTING, Uninit
	// when it starts before static_call_init (filled in by Build).
	MayBoot, Uninit bool
	// KeyTargets lists the targets each key can hold (filled in by Build).
	KeyTargets [][]int
	// Sketch replaces Transform when set (the scenario's sketch).
	Sketch []scenario.SketchStep
	// Variant is the protocol variant the layout was made for, as the
	// port names it (a port may lay out its variants differently).
	Variant string
	// Enabled lists the values key->enabled of each static key can
	// hold (nil for static call keys; filled in by Build).
	Enabled [][]int
	// Builtin is set for keys with built-in sites, TrampKey for keys with
	// a static_call_tramp_key entry (EXPORT_STATIC_CALL_TRAMP), ModSites
	// for keys with module sites (filled in by Build).
	Builtin, TrampKey, ModSites []bool
	// Source is the model files the port read to lay out the
	// trampolines (TrampolineSource without cflags), if it read them:
	// Build compiles the same files, and takes them over from here
	// rather than parse them again.
	Source *TrampSource
}

// Variant is a named protocol variant.
type Variant struct {
	Name string
	Doc  string
	// Arch is the architecture whose model files (arch/ARCH/) a
	// variant's diff changes: it is that architecture's variant only.
	// "" for a port's own variants and the generic core's diffs.
	Arch string
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
	// CheckSketch reports the first step of a sketch the port cannot
	// compile, as a *scenario.Error with the step's position.
	CheckSketch(steps []scenario.SketchStep) error
	// Sketch emits the scenario's sketch (Layout.Sketch) in place of
	// Transform for loc.
	Sketch(e *Emitter, lay *Layout, loc Loc, target int)
}

// ModelTransformPort is a Port whose arch_static_call_transform is model
// source, down to the machine's primitives: the model files under
// arch/ModelArch()/ join the scenario's (those of other architectures do
// not).
type ModelTransformPort interface {
	Port
	// ModelArch names the architecture's directory of model files
	// (arch/x86/...).
	ModelArch() string
	// Gen encodes an instruction of the port's ISA when compiling: a
	// generator the model files call (x86: text_gen_insn(opcode, addr,
	// dest) and __text_gen_insn(opcode, addr, dest, size), the buffer
	// argument left out), on numbers and addresses.
	Gen(name string, args []uint64) ([]byte, error)
	// Bytes returns the byte string a constant of the model files names
	// that the language cannot write (x86: x86_nops[5]).
	Bytes(name string) ([]byte, bool)
	// Value evaluates, when compiling, a function of the port's ISA on
	// numbers (arm64: aarch64_insn_adrp_get_offset); ok is false for a
	// name the port does not have.
	Value(name string, args []uint64) (v uint64, ok bool, err error)
}

// transformIsGo reports whether arch_static_call_transform is the port's
// Go (Port.Transform, or Port.Sketch) rather than model source: for a
// sketch, and for a variant of the port other than its first, the
// kernel's own, whose transform is model source on a ModelTransformPort.
func transformIsGo(port Port, sc *scenario.Scenario, variant string) bool {
	return len(sc.Sketch) > 0 || goVariant(port, variant)
}

// goVariant reports a variant of port's own other than its first: one
// whose arch_static_call_transform is the port's Go (x86-64's). A
// ModelTransformPort's first variant and every diff are model source.
func goVariant(port Port, variant string) bool {
	vs := port.Variants()
	for _, v := range vs[1:] {
		if v.Name == variant {
			return true
		}
	}
	return false
}

// ConfigPort is a ModelTransformPort whose model files see configuration
// names the architecture's Kconfig selects (powerpc64's CONFIG_PPC64 and
// CONFIG_PPC64_ELF_ABI_V2, which PPC32's do not): each is #defined to 1
// in include/generated/autoconf.h, a file archFiles adds, for #ifdef and
// IS_ENABLED().
type ConfigPort interface {
	Config() []string
}

// autoconfFile is the path of the file of a ConfigPort's names.
const autoconfFile = "include/generated/autoconf.h"

// defineFile is a model file that #defines each of names to 1.
func defineFile(what string, names []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "/* %s (patchcheck) */\n", what)
	for _, n := range names {
		fmt.Fprintf(&b, "#define %s 1\n", n)
	}
	return []byte(b.String())
}

// archFiles keeps the model files of port's architecture: files under
// arch/NAME/ belong to that architecture only. A ConfigPort's names are
// #defined in autoconfFile.
func archFiles(files map[string][]byte, port Port) map[string][]byte {
	own := ""
	if mp, ok := port.(ModelTransformPort); ok {
		own = "arch/" + mp.ModelArch() + "/"
	}
	out := map[string][]byte{}
	for name, text := range files {
		if strings.HasPrefix(name, "arch/") && (own == "" || !strings.HasPrefix(name, own)) {
			continue
		}
		out[name] = text
	}
	if cp, ok := port.(ConfigPort); ok {
		out[autoconfFile] = defineFile("the architecture's configuration", cp.Config())
	}
	return out
}

// JumpSketcher is a port whose sketches also patch jump label sites: its
// Sketch knows a jump site's Loc (Kind KindJump) and the instruction
// each way needs there.
type JumpSketcher interface {
	SketchesJumps() bool
}

// SiteBatcher is a port whose variants may batch the site writes of one
// update: FinishSites emits what __static_call_update runs after its
// site loop (x86: smp_text_poke_batch_finish under text_mutex).
type SiteBatcher interface {
	FinishSites(e *Emitter, lay *Layout, variant string)
}

// finishSites emits the port's end of a batch of site writes, if it has
// one (not for sketches, which write each location themselves).
func finishSites(e *Emitter, port Port, lay *Layout, variant string) {
	if b, ok := port.(SiteBatcher); ok && len(lay.Sketch) == 0 {
		b.FinishSites(e, lay, variant)
	}
}

// Emitter accumulates one thread's operations.
type Emitter struct {
	Ops []model.Op
	Fn  string // kernel function the next ops belong to
	// landed is Here()+1 where a jump last landed: the next op is a
	// join of paths (see Joined).
	landed int
}

// Joined reports whether a jump lands where the next op will be: then
// the op before it is not the only way there.
func (e *Emitter) Joined() bool { return e.landed == e.Here()+1 }

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
func (e *Emitter) Land(i int) {
	e.Ops[i].Label = e.Here()
	e.landed = e.Here() + 1
}

// Bytes makes an op's byte field.
func Bytes(b []byte) ([model.WinSize]byte, uint8) {
	var out [model.WinSize]byte
	n := copy(out[:], b)
	return out, uint8(n)
}

// Build compiles sc for port into a Program.
//
// The scenario's operations decide where it starts: with static_call_init
// it starts uninitialised (static_call_initialized = 0, every site calling
// its trampoline); with static_call_init, update_early or smp_init it
// starts in SYSTEM_BOOTING, where only its first thread runs (the boot
// CPU) until smp_init; otherwise in SYSTEM_SCHEDULING when it frees init
// memory, else SYSTEM_RUNNING.
func Build(sc *scenario.Scenario, port Port) (*model.Program, error) {
	return build(sc, port, true)
}

// build is Build; with reuse false it parses the model files again even
// where the layout read them (tests compare the two).
func build(sc *scenario.Scenario, port Port, reuse bool) (*model.Program, error) {
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
	if err := checkBoot(sc); err != nil {
		return nil, err
	}
	if len(sc.Sketch) > 0 {
		if err := checkSketch(port, sc.Sketch); err != nil {
			return nil, err
		}
	}
	arch, err := port.Arch(sc.Fetch, variant)
	if err != nil {
		return nil, err
	}
	lay, err := port.Layout(sc, arch)
	if err != nil {
		return nil, err
	}
	if n := len(lay.Prog.Windows); n > model.MaxWindows {
		// A port may lay out more than one window a key: the error is
		// about the last site (or key) of the scenario.
		kind, i := "site", len(sc.Sites)-1
		if i < 0 {
			kind, i = "key", len(sc.Keys)-1
		}
		return nil, &scenario.ItemError{Kind: kind, Index: i, Msg: fmt.Sprintf("%d patchable windows on %s (trampolines and sites): at most %d (model limit)", n, sc.Arch, model.MaxWindows)}
	}
	lay.MayBoot = sc.Boots()
	lay.Sketch = sc.Sketch
	lay.Uninit = sc.HasOp(scenario.OpStaticCallInit)
	p := lay.Prog
	p.Name = sc.Name
	p.Mutexes = []string{"static_call_mutex", "text_mutex"}
	if len(sc.StaticKeys) > 0 {
		p.Mutexes = append(p.Mutexes, "jump_label_mutex")
		p.JumpLabelMutex = JumpLabelMutex + 1
	}
	if err := staticKeys(sc, lay); err != nil {
		return nil, err
	}
	if !reuse {
		lay.Source = nil
	}
	d, err := layoutSource(sc, port, lay)
	if err != nil {
		return nil, err
	}
	if transformIsGo(port, sc, variant) {
		// A sketch, or a port's variant in Go, replaces the
		// architecture's transform.
		d.remove("arch_static_call_transform")
	}
	if len(sc.Sketch) > 0 && len(sc.StaticKeys) > 0 {
		if js, ok := port.(JumpSketcher); !ok || !js.SketchesJumps() {
			return nil, fmt.Errorf("a sketch of jump labels is modelled on x86-64 only: on %s, write the change as a diff to arch/ARCH/kernel/jump_label.c (docs/language.md)", sc.Arch)
		}
		sketchJumps(d)
	}
	c := &compiler{port: port, lay: lay, variant: variant, key: map[string]int{}, tgt: map[string]int{}, mod: map[string]int{}}
	c.kc = &kc{defs: d, port: port, lay: lay, variant: variant, read: map[string]bool{}, overrides: map[lang.Expr]val{}, localOverrides: map[string]val{}}
	for i, m := range sc.Modules {
		c.mod[m] = i
	}
	for i, k := range sc.Keys {
		c.key[k.Name] = i
	}
	for i, k := range sc.StaticKeys {
		c.key[k.Name] = len(sc.Keys) + i
	}
	for i, t := range p.Targets {
		c.tgt[t.Name] = i
	}
	// The targets each key can hold, for static_call_init's key->func.
	lay.KeyTargets = make([][]int, len(sc.Keys))
	for i, k := range sc.Keys {
		lay.KeyTargets[i] = []int{c.tgt[k.Init]}
	}
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if scenario.TakesKey(op.Kind) {
				k, t := c.key[op.Key], c.tgt[op.Target]
				if !slices.Contains(lay.KeyTargets[k], t) {
					lay.KeyTargets[k] = append(lay.KeyTargets[k], t)
				}
			}
		}
	}
	p.System, p.InitDone = model.SystemRunning, 1
	switch {
	case lay.MayBoot:
		p.System = model.SystemBooting
		p.Offline = true
	case sc.HasOp(scenario.OpFreeInitmem):
		p.System = model.SystemScheduling
	}
	if lay.Uninit {
		p.InitDone = 0
		for _, s := range lay.Sites {
			if s.Module == 0 {
				copy(p.Windows[s.Window].Init[:], s.Unpatched)
			}
		}
	}
	lay.Builtin = make([]bool, len(sc.Keys))
	lay.TrampKey = make([]bool, len(sc.Keys))
	lay.ModSites = make([]bool, len(sc.Keys))
	for i, k := range sc.Keys {
		lay.TrampKey[i] = k.Export == scenario.ExportTramp
	}
	for _, s := range lay.Sites {
		// The key field's flags as objtool and the kernel leave them.
		var f uint8
		if s.Tail() {
			f |= model.SiteTail
		}
		if s.Module == 0 {
			lay.Builtin[s.Key] = true
			if s.Init && !lay.Uninit {
				f |= model.SiteInit // __static_call_init already ran
			}
		} else {
			lay.ModSites[s.Key] = true
			// Module text holds the compiler's calls to the trampolines
			// until static_call_add_module patches them.
			copy(p.Windows[s.Window].Init[:], s.Unpatched)
			if s.TrampRef {
				f |= model.SiteTrampKey
			}
		}
		p.SiteFlags[s.Window] = f
	}
	c.kc.consts = sharedConsts(sc, lay, c.key)
	c.kc.flagReaders = sc.HasOp(scenario.OpKprobe)
	for i, th := range sc.Threads {
		e := &Emitter{}
		c.kc.e, c.kc.held = e, 0
		c.kc.defs = d
		c.kc.jumpTab = nil
		if sc.ModelForThread(th.Name) {
			// Model texts for this thread alone (thread=T).
			tf, err := ModelSourceFor(sc, th.Name)
			if err != nil {
				return nil, err
			}
			if c.kc.defs, err = parseModel(archFiles(tf, port)); err != nil {
				return nil, err
			}
			if transformIsGo(port, sc, variant) {
				c.kc.remove("arch_static_call_transform")
			}
			if len(sc.Sketch) > 0 {
				sketchJumps(c.kc.defs)
			}
		}
		if i > 0 && lay.MayBoot {
			// Kernel threads other than the boot CPU's exist once
			// rest_init has started kthreadd.
			e.Fn = "kthread"
			e.Emit(model.Op{Code: model.OpWaitSystem, B: int(model.SystemScheduling)})
		}
		for _, op := range th.Ops {
			if err := c.op(e, op); err != nil {
				return nil, err
			}
		}
		p.Threads = append(p.Threads, model.ThreadProg{Name: th.Name, Ops: threadJumps(e.Ops, p.Routines)})
	}
	if p.Handler, err = compileHandler(d); err != nil {
		return nil, err
	}
	p.SortSymbols()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	return p, nil
}

// checkBoot checks a booting scenario against init/main.c's order: its
// first thread (the boot CPU, then kernel_init) runs smp_init once, after
// at most one rest_init; static_call_init runs there too, from
// start_kernel or as the early_initcall that do_pre_smp_initcalls() runs,
// so never after smp_init; no other thread runs rest_init, smp_init or
// static_call_init.
func checkBoot(sc *scenario.Scenario) error {
	if !sc.Boots() {
		return nil
	}
	for i, th := range sc.Threads {
		rest, smp := false, false
		for _, op := range th.Ops {
			switch op.Kind {
			case scenario.OpRestInit, scenario.OpSMPInit, scenario.OpStaticCallInit:
				if i > 0 {
					return fmt.Errorf("thread %s: %s belongs to the first (boot) thread", th.Name, op.Kind)
				}
			}
			switch op.Kind {
			case scenario.OpRestInit:
				if rest || smp {
					return fmt.Errorf("thread %s: rest_init runs once, before smp_init", th.Name)
				}
				rest = true
			case scenario.OpSMPInit:
				if smp {
					return fmt.Errorf("thread %s: smp_init runs once", th.Name)
				}
				smp = true
			case scenario.OpStaticCallInit:
				if smp {
					return fmt.Errorf("thread %s: static_call_init after smp_init: it runs from start_kernel or as an early_initcall, and do_pre_smp_initcalls() comes before smp_init() (init/main.c kernel_init_freeable)", th.Name)
				}
			}
		}
		if i == 0 && !smp {
			return fmt.Errorf("thread %s: a booting scenario's first thread must run smp_init (the other CPUs start then)", th.Name)
		}
	}
	return nil
}

// compiler compiles one scenario's operations.
type compiler struct {
	port    Port
	lay     *Layout
	variant string
	key     map[string]int
	tgt     map[string]int
	mod     map[string]int
	// restDone is set once the boot thread has run rest_init.
	restDone bool
	// kc compiles the model source's functions.
	kc *kc
}

// op compiles one operation of a scenario thread: a call of the model
// function that the kernel runs for it (model source), or a Go emitter
// for the paths that are not model source yet (modules, kprobes).
func (c *compiler) op(e *Emitter, op scenario.Op) error {
	k := c.kc
	switch op.Kind {
	case scenario.OpUpdate:
		// static_call_update(name, func): __static_call_update(&STATIC_CALL_KEY(name),
		// STATIC_CALL_TRAMP_ADDR(name), func) (include/linux/static_call.h)
		key := c.key[op.Key]
		if err := k.call("__static_call_update", []val{{k: vKey, a: key}, {k: vTramp, a: key}, {k: vTarget, a: c.tgt[op.Target]}}); err != nil {
			return err
		}
		e.Emit(model.Op{Code: model.OpReturn, A: key})
	case scenario.OpKeyEnable, scenario.OpKeyDisable, scenario.OpKeyInc, scenario.OpKeyDec:
		// static_branch_enable(&key) is static_key_enable(&(key)->key),
		// and so on (include/linux/jump_label.h): the model function of
		// the operation's name, then the harness's mark that it returned.
		key := c.key[op.Key]
		if err := k.call(op.Kind, []val{{k: vKey, a: key}}); err != nil {
			return err
		}
		e.Emit(model.Op{Code: model.OpReturn, A: key, Msg: fmt.Sprintf("%s(&%s)", op.Kind, op.Key)})
	case scenario.OpUpdateEarly:
		key := c.key[op.Key]
		if err := k.call("static_call_update_early", []val{{k: vKey, a: key}, {k: vTramp, a: key}, {k: vTarget, a: c.tgt[op.Target]}}); err != nil {
			return err
		}
		e.Emit(model.Op{Code: model.OpReturn, A: key})
	case scenario.OpStaticCallInit:
		return k.call("static_call_init", nil)
	case scenario.OpForceReinit:
		return k.call("static_call_force_reinit", nil)
	case scenario.OpRestInit:
		c.restDone = true
		return k.call("rest_init", nil)
	case scenario.OpSMPInit:
		if !c.restDone {
			c.restDone = true
			if err := k.call("rest_init", nil); err != nil {
				return err
			}
		}
		return k.call("smp_init", nil)
	case scenario.OpFreeInitmem:
		return k.call("kernel_init", []val{{k: vNull}})
	case scenario.OpLoad:
		// load_module(): the loader's steps that static calls see,
		// with the scenario's fail_alloc-th kzalloc failing.
		k.failAlloc = op.FailAlloc
		defer func() { k.failAlloc = 0 }()
		return k.call("load_module", []val{{k: vMod, a: c.mod[op.Module]}})
	case scenario.OpUnload:
		return k.call("delete_module", []val{{k: vMod, a: c.mod[op.Module]}, intv(0)})
	case scenario.OpKprobe:
		// register_kprobe() of a kprobe at the start of the site: a
		// jump label site's entry in its __jump_table (sorted), or a
		// static call site's.
		for _, j := range c.lay.Jumps {
			if j.Name != op.Site {
				continue
			}
			t := jumpTableID(j.Module-1, false)
			for i, ts := range k.table(t) {
				if ts.Name == j.Name {
					return k.call("register_kprobe", []val{{k: vKprobe, a: t, n: i}})
				}
			}
		}
		for _, s := range c.lay.Sites {
			if s.Name != op.Site {
				continue
			}
			for i, ts := range k.table(s.Module - 1) {
				if ts.Name == s.Name {
					return k.call("register_kprobe", []val{{k: vKprobe, a: s.Module - 1, n: i}})
				}
			}
		}
		panic("patchcheck: kprobe site " + op.Site + " is not in the layout")
	default:
		panic("patchcheck: operation " + op.Kind + " passed Validate but has no compiler")
	}
	return nil
}

// sharedConsts returns the shared variables that no thread of sc writes,
// with their values: the model source's reads of them take no step.
func sharedConsts(sc *scenario.Scenario, lay *Layout, keys map[string]int) map[[2]int]int {
	out := map[[2]int]int{}
	p := lay.Prog
	if !sc.HasOp(scenario.OpStaticCallInit) && !sc.HasOp(scenario.OpForceReinit) {
		out[[2]int{model.VarInitialized, 0}] = int(p.InitDone)
	}
	if !sc.HasOp(scenario.OpFreeInitmem) && !sc.Boots() {
		out[[2]int{model.VarSystemState, 0}] = int(p.System)
	}
	written := map[int]bool{}
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if scenario.TakesKey(op.Kind) {
				written[keys[op.Key]] = true
			}
		}
	}
	for k, key := range p.Keys {
		if !written[k] && !key.Jump {
			out[[2]int{model.VarFunc, k}] = key.Init
		}
		if key.Jump && len(lay.Enabled[k]) == 1 {
			out[[2]int{model.VarEnabled, k}] = key.Enabled
		}
	}
	inModule := map[int]bool{}
	for _, m := range p.Modules {
		inModule[m[0]], inModule[m[1]] = true, true
	}
	for r, reg := range p.Regions {
		if !inModule[r] && !(reg.Init && sc.HasOp(scenario.OpFreeInitmem)) {
			out[[2]int{model.VarRegionLive, r}] = 1
		}
	}
	return out
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

// AllVariants lists the variants of port and of the core: the port's
// first (its first is the kernel's own code), then the core's, then the
// built-in diffs against the model source.
func AllVariants(port Port) []Variant {
	own := ""
	if mp, ok := port.(ModelTransformPort); ok {
		own = mp.ModelArch()
	}
	df, filter := port.(DiffPort)
	out := append([]Variant(nil), port.Variants()...)
	for _, v := range DiffVariants() {
		if v.Arch == "" || v.Arch == own && (!filter || df.TakesDiff(v)) {
			out = append(out, v)
		}
	}
	return out
}

// DiffPort is a ModelTransformPort that shares its architecture's model
// files with another port (PPC32 and powerpc64: arch/powerpc/): of the
// built-in diffs of those files, it takes those TakesDiff accepts (by the
// diff's description, which names the ABI it is of).
type DiffPort interface {
	TakesDiff(v Variant) bool
}

// VariantNames lists the variant names of AllVariants(port).
func VariantNames(port Port) []string {
	var out []string
	for _, v := range AllVariants(port) {
		out = append(out, v.Name)
	}
	return out
}

// transform emits arch_static_call_transform of loc to target, or the
// scenario's sketch in its place.
func transform(e *Emitter, port Port, lay *Layout, loc Loc, target int, variant string) {
	if len(lay.Sketch) > 0 {
		all := lay.Sketch
		lay.Sketch = SketchFor(all, loc.Tramp)
		port.Sketch(e, lay, loc, target)
		lay.Sketch = all
		return
	}
	port.Transform(e, lay, loc, target, variant)
}

// Sketch step prefixes: "tramp: STEP" runs only where a trampoline is
// patched, "site: STEP" only at inline sites; a step without a prefix
// runs at both.
const (
	SketchTramp = "tramp:"
	SketchSite  = "site:"
)

// SketchFor returns the steps of a sketch that run at a trampoline
// (tramp) or at an inline site, without their prefixes. A location with no
// step left is not patched at all.
func SketchFor(steps []scenario.SketchStep, tramp bool) []scenario.SketchStep {
	var out []scenario.SketchStep
	for _, st := range steps {
		switch st.Op {
		case SketchTramp, SketchSite:
			if (st.Op == SketchTramp) != tramp || len(st.Args) == 0 {
				continue
			}
			st.Op, st.Args = st.Args[0], st.Args[1:]
		}
		out = append(out, st)
	}
	return out
}

// checkSketch checks a sketch as the port will compile it for
// trampolines and for sites.
func checkSketch(port Port, steps []scenario.SketchStep) error {
	for i, st := range steps {
		if (st.Op == SketchTramp || st.Op == SketchSite) && len(st.Args) == 0 {
			return &scenario.Error{Line: st.Line, Col: st.Col, Msg: fmt.Sprintf("sketch step %d (%s): a prefix without a step", i+1, st)}
		}
	}
	if err := port.CheckSketch(SketchFor(steps, true)); err != nil {
		return err
	}
	return port.CheckSketch(SketchFor(steps, false))
}
