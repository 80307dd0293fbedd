// Package scenario describes what patchcheck checks: the architecture, the
// patching protocol variant, the static call keys, their sites and targets,
// the caller programs of each CPU, the kernel threads that update keys, the
// exploration bounds and the verdict the author expects.
//
// A Scenario is plain data. It is written either in the line-oriented file
// format documented in docs/scenario-format.md (see Parse) or with the
// Builder (see New).
package scenario

import (
	"fmt"
	"strings"
)

// Target names with a fixed meaning. Any other target name is an ordinary
// kernel function that returns a value of its own.
const (
	// Null is the NULL target: static_call_cond() does nothing.
	Null = "NULL"
	// Return0 is __static_call_return0: the call returns 0.
	Return0 = "return0"
)

// Site kinds.
const (
	// KindCall is an inline call site: CALL, 5-byte NOP or xor5rax.
	KindCall = "call"
	// KindTail is an inline tail-call site: JMP rel32 or RET.
	KindTail = "tail"
	// KindJcc is an inline conditional tail-call site: Jcc rel32.
	KindJcc = "jcc"
)

// Scenario is one model-checking problem.
type Scenario struct {
	Name    string   // a name for humans; not part of the scenario's identity
	Arch    string   // "x86-64"
	Variant string   // protocol variant; "" or "kernel" is the kernel's own code
	Fetch   string   // instruction fetch assumption; "" is the architecture's default
	Targets []string // ordinary target functions, in address order
	Modules []string // loadable modules
	// Places put ordinary targets in a module's text or far from the
	// trampolines and sites (powerpc); at most one per target.
	Places  []Place
	Keys    []Key    // static call keys
	Sites   []Site   // inline static_call_site entries, in table order
	Callers []Caller // out-of-line static_call() call sites (powerpc)
	// StaticKeys are the jump labels' keys (DEFINE_STATIC_KEY_FALSE/TRUE),
	// and Jumps their sites (__jump_table entries), in table order.
	StaticKeys []StaticKey `json:",omitempty"`
	Jumps      []Jump      `json:",omitempty"`
	CPUs       []CPU       // caller CPUs
	Threads    []Thread    // kernel threads that patch
	Bounds     Bounds      // exploration bounds
	// Sketch, when set, replaces the architecture's transform (x86:
	// arch_static_call_transform) of every trampoline and site with
	// these primitive steps (docs/sketches.md).
	Sketch []SketchStep
	Expect Expect // the expected verdict, for check --all
	Doc    string // one line saying what the scenario shows
	// Model is the model source the scenario changes, applied in order
	// after the variant's diff: model files that replace the built-in
	// ones of the same path, and unified diffs (docs/language.md). It is
	// part of the scenario's identity.
	Model []ModelText
}

// Kinds of ModelText.
const (
	ModelFile  = "file"  // a model file: Name is its path, such as kernel/static_call_inline.c
	ModelPatch = "patch" // a unified diff: Name is its file name, without directories
)

// ModelText is one model file or diff a scenario carries.
type ModelText struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Text string `json:"text"`
	// Thread, when set, names the one thread whose code the text changes
	// (thread=T): the other threads run the model source without it.
	Thread string `json:"thread,omitempty"`
}

// Key is a static call key (DEFINE_STATIC_CALL) and its trampoline.
type Key struct {
	Name string
	Init string // the target the key is defined with
	// Export is "" for EXPORT_STATIC_CALL, or ExportTramp for
	// EXPORT_STATIC_CALL_TRAMP: vmlinux has a static_call_tramp_key entry
	// that maps the trampoline to the key.
	Export string
	// Module is the module that defines the key (DEFINE_STATIC_CALL in
	// a module): its trampoline is in the module's text. "" for vmlinux.
	Module string
}

// RangeFar places a target beyond the reach of a direct branch from the
// trampolines and sites (±32 MiB on powerpc).
const RangeFar = "far"

// Place says where an ordinary target function is: in a module's text
// (on powerpc64, in that module's TOC domain) and/or far from the
// trampolines and sites. A target without a Place is in vmlinux, near.
type Place struct {
	Target string
	Module string // "" for vmlinux
	Range  string // "" (near) or RangeFar
}

// Caller is an out-of-line static_call(KEY)() call site in a function of
// its own, in vmlinux or a module: a call through the key's trampoline
// as the compiler and the linker (or module loader) leave it. It is
// never patched.
type Caller struct {
	Name   string
	Key    string
	Module string // "" for vmlinux
}

// ExportTramp marks a key exported by its trampoline only.
const ExportTramp = "tramp"

// KeyRefTramp marks a module site whose key field holds the trampoline's
// address (static_call_mod() of a key modules cannot see), fixed up by
// static_call_add_module.
const KeyRefTramp = "tramp"

// Sections a site's caller can live in.
const (
	// SectionCore is core kernel text (the default).
	SectionCore = ""
	// SectionInit is init text (__init), freed by free_initmem().
	SectionInit = "init"
)

// Site is an inline call site of a key, as objtool records it.
type Site struct {
	Name    string
	Key     string
	Kind    string // KindCall, KindTail or KindJcc
	Section string // SectionCore or SectionInit
	Module  string // the module whose text holds the site; "" for vmlinux
	KeyRef  string // "" or KeyRefTramp (module sites only)
}

// StaticKey is a static key of jump labels (DEFINE_STATIC_KEY_FALSE, or
// DEFINE_STATIC_KEY_TRUE with Init set): key->enabled starts at 0 or 1.
type StaticKey struct {
	Name string
	Init bool
}

// Jump sizes on x86-64: a jump label site is a 2-byte JMP8 or 5-byte JMP32
// (or the NOP of its size), as the assembler and objtool leave it.
const (
	JumpSize8  = 2
	JumpSize32 = 5
)

// Jump is a jump label site, one __jump_table entry: static_branch_likely
// (Likely) or static_branch_unlikely of Key, in a function of its own
// that returns which way the branch went.
type Jump struct {
	Name    string
	Key     string // a StaticKey
	Likely  bool   // the entry's branch bit: static_branch_likely()
	Size    int    // x86-64: JumpSize8 or JumpSize32; 0 is the architecture's only size (or JumpSize32)
	Section string // SectionCore or SectionInit
	// Module is the module whose text (or init text, with SectionInit)
	// holds the site, "" for vmlinux. The static keys are vmlinux's: a
	// module site is a __jump_table entry of that module
	// (mod->jump_entries) that jump_label_add_module() links to the key.
	Module string
}

// CPU runs its calls one after another, then idles.
type CPU struct {
	// Calls name a site (the site's caller function is called), a
	// caller, or "tramp(KEY)" (an out-of-line call through the key's
	// trampoline from vmlinux).
	Calls []string
}

// TrampCall is the call entry that calls through key's trampoline.
func TrampCall(key string) string { return "tramp(" + key + ")" }

// TrampCallKey returns the key of a "tramp(KEY)" call entry.
func TrampCallKey(call string) (string, bool) {
	if strings.HasPrefix(call, "tramp(") && strings.HasSuffix(call, ")") {
		return call[len("tramp(") : len(call)-1], true
	}
	return "", false
}

// Thread is a kernel thread: its operations run in order.
type Thread struct {
	Name string
	Ops  []Op
}

// Operation kinds.
const (
	// OpUpdate is static_call_update(Key, Target).
	OpUpdate = "update"
	// OpFreeInitmem is kernel_init's end of boot: system_state =
	// SYSTEM_FREEING_INITMEM; free_initmem(); system_state =
	// SYSTEM_RUNNING. Until it runs, system_state is SYSTEM_SCHEDULING.
	OpFreeInitmem = "free_initmem"
	// OpStaticCallInit is static_call_init(): patch every built-in site
	// to its key's target, then static_call_initialized = 1. A scenario
	// with it starts uninitialised, its sites calling the trampolines.
	OpStaticCallInit = "static_call_init"
	// OpUpdateEarly is x86's static_call_update_early(Key, Target).
	OpUpdateEarly = "update_early"
	// OpForceReinit is static_call_force_reinit(): the next
	// static_call_init patches every site again.
	OpForceReinit = "force_reinit"
	// OpRestInit is rest_init(): system_state = SYSTEM_SCHEDULING; the
	// other kernel threads start. The caller CPUs are still offline.
	OpRestInit = "rest_init"
	// OpSMPInit is kernel_init_freeable()'s smp_init(): the caller CPUs
	// come online. It follows rest_init and do_pre_smp_initcalls() (the
	// early_initcalls); without a rest_init before it, it runs rest_init
	// first.
	OpSMPInit = "smp_init"
	// OpLoad loads Module: the COMING notifier (static_call_add_module),
	// its init, LIVE, then its init text is freed. With FailAlloc n > 0,
	// the n-th kzalloc of static_call_add_module fails.
	OpLoad = "load"
	// OpUnload unloads Module: GOING notifier (static_call_del_module),
	// then its text is freed.
	OpUnload = "unload"
	// OpKprobe is register_kprobe() at the start of Site, a static call
	// site or a jump label site (jump): it is refused when
	// jump_label_text_reserved() or static_call_text_reserved() says
	// the address is reserved.
	OpKprobe = "kprobe"
	// OpKeyEnable is static_key_enable(&Key), the function behind
	// static_branch_enable(); OpKeyDisable is static_key_disable().
	OpKeyEnable  = "static_key_enable"
	OpKeyDisable = "static_key_disable"
	// OpKeyInc is static_key_slow_inc(&Key) (static_branch_inc()),
	// OpKeyDec static_key_slow_dec(&Key) (static_branch_dec()).
	OpKeyInc = "static_key_slow_inc"
	OpKeyDec = "static_key_slow_dec"
)

// TakesStaticKey reports whether operations of kind take a static key.
func TakesStaticKey(kind string) bool {
	return kind == OpKeyEnable || kind == OpKeyDisable || kind == OpKeyInc || kind == OpKeyDec
}

// TakesKey reports whether operations of kind take KEY TARGET arguments.
func TakesKey(kind string) bool { return kind == OpUpdate || kind == OpUpdateEarly }

// opKinds lists every operation kind.
func opKinds() []string {
	return []string{OpUpdate, OpUpdateEarly, OpStaticCallInit, OpForceReinit, OpRestInit, OpSMPInit, OpFreeInitmem, OpLoad, OpUnload, OpKprobe,
		OpKeyEnable, OpKeyDisable, OpKeyInc, OpKeyDec}
}

// Boots reports whether s starts in early boot (SYSTEM_BOOTING): it has a
// static_call_init, update_early, rest_init or smp_init operation.
func (s *Scenario) Boots() bool {
	return s.HasOp(OpStaticCallInit) || s.HasOp(OpUpdateEarly) || s.HasOp(OpRestInit) || s.HasOp(OpSMPInit)
}

// HasOp reports whether any thread of s has an operation of kind.
func (s *Scenario) HasOp(kind string) bool {
	for _, t := range s.Threads {
		for _, op := range t.Ops {
			if op.Kind == kind {
				return true
			}
		}
	}
	return false
}

// Op is one operation of a kernel thread.
type Op struct {
	Kind      string // one of the Op* kinds
	Key       string // update and update_early: the static call key; static_key_*: the static key
	Target    string // update and update_early only
	Module    string // load and unload only
	Site      string // kprobe only
	FailAlloc int    // load only: the kzalloc that fails, 1-based; 0 none
}

// SketchStep is one primitive step of a sketch: an operation and its
// arguments, as written. Line and Col locate it in its file (0 when built
// in Go); they are not part of the scenario's identity.
type SketchStep struct {
	Op   string
	Args []string
	Line int `json:",omitempty" hash:"ignore"`
	Col  int `json:",omitempty" hash:"ignore"`
}

// String renders the step as written.
func (s SketchStep) String() string { return strings.Join(append([]string{s.Op}, s.Args...), " ") }

// Bounds limit the exploration. Zero means no bound.
type Bounds struct {
	Depth  int // longest schedule explored
	States int // most distinct states stored
	// Reduce and Symmetry turn on partial-order and symmetry reduction
	// for this scenario (they never change a verdict).
	Reduce   bool
	Symmetry bool
}

// Expect is the verdict the scenario's author expects.
type Expect struct {
	Verdict  string // "safe", "violation" or "warning" (safe but for a kernel WARN)
	Property string // with "violation" or "warning": the property that fails
}

// Validate reports the first inconsistency in s, or nil.
func (s *Scenario) Validate() error {
	if s.Arch == "" {
		return fmt.Errorf("scenario %q: no arch", s.Name)
	}
	if err := s.checkCapacity(); err != nil {
		return err
	}
	known := map[string]bool{Null: true, Return0: true}
	for _, t := range s.Targets {
		if known[t] {
			return fmt.Errorf("target %q defined twice (NULL and return0 are built in)", t)
		}
		known[t] = true
	}
	mods := map[string]bool{}
	for _, m := range s.Modules {
		if mods[m] {
			return fmt.Errorf("module %q defined twice", m)
		}
		mods[m] = true
	}
	placed := map[string]bool{}
	for _, pl := range s.Places {
		if !known[pl.Target] || pl.Target == Null || pl.Target == Return0 {
			return fmt.Errorf("place: unknown target %q", pl.Target)
		}
		if placed[pl.Target] {
			return fmt.Errorf("place: target %q placed twice", pl.Target)
		}
		placed[pl.Target] = true
		if pl.Module != "" && !mods[pl.Module] {
			return fmt.Errorf("place %q: unknown module %q", pl.Target, pl.Module)
		}
		if pl.Range != "" && pl.Range != RangeFar {
			return fmt.Errorf("place %q: unknown range %q (want far, or none)", pl.Target, pl.Range)
		}
		if pl.Module == "" && pl.Range == "" {
			return fmt.Errorf("place %q: says nothing (want module= or range=far)", pl.Target)
		}
	}
	keys := map[string]bool{}
	for _, k := range s.Keys {
		if keys[k.Name] {
			return fmt.Errorf("key %q defined twice", k.Name)
		}
		keys[k.Name] = true
		if !known[k.Init] {
			return fmt.Errorf("key %q: unknown initial target %q", k.Name, k.Init)
		}
		if k.Export != "" && k.Export != ExportTramp {
			return fmt.Errorf("key %q: unknown export %q (want tramp, or none)", k.Name, k.Export)
		}
		if k.Module != "" && !mods[k.Module] {
			return fmt.Errorf("key %q: unknown module %q", k.Name, k.Module)
		}
	}
	sites := map[string]bool{}
	for _, st := range s.Sites {
		if sites[st.Name] || keys[st.Name] {
			return fmt.Errorf("site %q defined twice", st.Name)
		}
		sites[st.Name] = true
		if !keys[st.Key] {
			return fmt.Errorf("site %q: unknown key %q", st.Name, st.Key)
		}
		switch st.Kind {
		case KindCall, KindTail, KindJcc:
		default:
			return fmt.Errorf("site %q: unknown kind %q (want call, tail or jcc)", st.Name, st.Kind)
		}
		if st.Section != SectionCore && st.Section != SectionInit {
			return fmt.Errorf("site %q: unknown section %q (want init, or none for core text)", st.Name, st.Section)
		}
		if st.Module != "" && !mods[st.Module] {
			return fmt.Errorf("site %q: unknown module %q", st.Name, st.Module)
		}
		if st.KeyRef != "" && (st.KeyRef != KeyRefTramp || st.Module == "") {
			return fmt.Errorf("site %q: keyref=tramp is for module sites only", st.Name)
		}
	}
	skeys := map[string]bool{}
	for _, k := range s.StaticKeys {
		if skeys[k.Name] || keys[k.Name] || sites[k.Name] {
			return fmt.Errorf("static_key %q defined twice (keys, static keys and sites share names)", k.Name)
		}
		skeys[k.Name] = true
	}
	jumps := map[string]bool{}
	for _, j := range s.Jumps {
		if jumps[j.Name] || sites[j.Name] || keys[j.Name] || skeys[j.Name] {
			return fmt.Errorf("jump %q defined twice (keys, sites and jumps share names)", j.Name)
		}
		jumps[j.Name] = true
		if !skeys[j.Key] {
			return fmt.Errorf("jump %q: unknown static key %q", j.Name, j.Key)
		}
		switch j.Size {
		case 0, JumpSize8, JumpSize32:
		default:
			return fmt.Errorf("jump %q: size %d (want 2 or 5)", j.Name, j.Size)
		}
		if j.Section != SectionCore && j.Section != SectionInit {
			return fmt.Errorf("jump %q: unknown section %q (want init, or none for core text)", j.Name, j.Section)
		}
		if j.Module != "" && !mods[j.Module] {
			return fmt.Errorf("jump %q: unknown module %q", j.Name, j.Module)
		}
	}
	callers := map[string]bool{}
	for _, c := range s.Callers {
		if callers[c.Name] || sites[c.Name] || keys[c.Name] || skeys[c.Name] || jumps[c.Name] {
			return fmt.Errorf("caller %q defined twice (callers, sites and keys share names)", c.Name)
		}
		callers[c.Name] = true
		if !keys[c.Key] {
			return fmt.Errorf("caller %q: unknown key %q", c.Name, c.Key)
		}
		if c.Module != "" && !mods[c.Module] {
			return fmt.Errorf("caller %q: unknown module %q", c.Name, c.Module)
		}
	}
	if len(s.CPUs) == 0 {
		return fmt.Errorf("scenario %q: no cpu", s.Name)
	}
	for i, c := range s.CPUs {
		for _, call := range c.Calls {
			if k, ok := TrampCallKey(call); ok {
				if !keys[k] {
					return fmt.Errorf("cpu %d: unknown key %q in %s", i, k, call)
				}
			} else if !sites[call] && !callers[call] && !jumps[call] {
				return fmt.Errorf("cpu %d: unknown site %q", i, call)
			}
		}
	}
	for _, t := range s.Threads {
		for _, op := range t.Ops {
			switch op.Kind {
			case OpKprobe:
				if !sites[op.Site] && !jumps[op.Site] || op.Key != "" || op.Target != "" || op.Module != "" {
					return fmt.Errorf("thread %q: kprobe: unknown site %q", t.Name, op.Site)
				}
			case OpFreeInitmem, OpStaticCallInit, OpForceReinit, OpRestInit, OpSMPInit:
				if op.Key != "" || op.Target != "" || op.Module != "" || op.FailAlloc != 0 || op.Site != "" {
					return fmt.Errorf("thread %q: %s takes no arguments", t.Name, op.Kind)
				}
			case OpLoad, OpUnload:
				if !mods[op.Module] || op.Key != "" || op.Target != "" {
					return fmt.Errorf("thread %q: %s: unknown module %q", t.Name, op.Kind, op.Module)
				}
				if op.FailAlloc < 0 || op.FailAlloc > 0 && op.Kind != OpLoad {
					return fmt.Errorf("thread %q: fail_alloc is for load, from 1", t.Name)
				}
			case OpKeyEnable, OpKeyDisable, OpKeyInc, OpKeyDec:
				if !skeys[op.Key] || op.Target != "" || op.Module != "" || op.Site != "" || op.FailAlloc != 0 {
					return fmt.Errorf("thread %q: %s: unknown static key %q", t.Name, op.Kind, op.Key)
				}
			case OpUpdate, OpUpdateEarly:
				if !keys[op.Key] {
					return fmt.Errorf("thread %q: unknown key %q", t.Name, op.Key)
				}
				if !known[op.Target] {
					return fmt.Errorf("thread %q: unknown target %q", t.Name, op.Target)
				}
			default:
				return fmt.Errorf("thread %q: unknown operation %q", t.Name, op.Kind)
			}
		}
	}
	switch s.Expect.Verdict {
	case "", "safe":
	case "violation", "warning":
		if s.Expect.Property == "" {
			return fmt.Errorf("expect %s: name the property", s.Expect.Verdict)
		}
	default:
		return fmt.Errorf("unknown expected verdict %q (want safe, violation or warning)", s.Expect.Verdict)
	}
	return nil
}

// ModelForThread reports whether a model text of s changes thread's code
// alone (thread=T).
func (s *Scenario) ModelForThread(thread string) bool {
	for _, m := range s.Model {
		if m.Thread == thread {
			return true
		}
	}
	return false
}
