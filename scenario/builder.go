package scenario

// opUpdate is the Op.Kind of static_call_update.
const opUpdate = OpUpdate

// Builder builds a Scenario step by step:
//
//	s, err := scenario.New("race").
//		Arch("x86-64").
//		Target("f1", "f2").
//		Key("k", "f1").
//		Site("s", "k", scenario.KindCall).
//		CPU("s").
//		Thread("t", scenario.Update("k", "f2")).
//		ExpectSafe().
//		Build()
//
// Methods that add something (Target, Key, Site, CPU, Thread) append in call
// order; the others set a field, the last call winning. Nothing is checked
// before Build.
type Builder struct {
	s Scenario
}

// New starts a Builder for the scenario named name.
func New(name string) *Builder {
	return &Builder{s: Scenario{Name: name}}
}

// Arch sets the architecture, e.g. "x86-64".
func (b *Builder) Arch(name string) *Builder { b.s.Arch = name; return b }

// Variant sets the patching protocol variant ("" is the kernel's own).
func (b *Builder) Variant(name string) *Builder { b.s.Variant = name; return b }

// Fetch sets the instruction fetch assumption ("" is the arch's default).
func (b *Builder) Fetch(name string) *Builder { b.s.Fetch = name; return b }

// Doc sets the one-line description.
func (b *Builder) Doc(text string) *Builder { b.s.Doc = text; return b }

// Target declares ordinary target functions, in address order.
func (b *Builder) Target(names ...string) *Builder {
	b.s.Targets = append(b.s.Targets, names...)
	return b
}

// Key declares a static call key defined with target init (a declared
// target, Null or Return0).
func (b *Builder) Key(name, init string) *Builder {
	b.s.Keys = append(b.s.Keys, Key{Name: name, Init: init})
	return b
}

// Site declares an inline call site of key; kind is KindCall, KindTail or
// KindJcc.
func (b *Builder) Site(name, key, kind string) *Builder {
	b.s.Sites = append(b.s.Sites, Site{Name: name, Key: key, Kind: kind})
	return b
}

// CPU adds a CPU that makes calls in order: each a site name or
// TrampCall(key). With no calls the CPU only idles.
func (b *Builder) CPU(calls ...string) *Builder {
	b.s.CPUs = append(b.s.CPUs, CPU{Calls: clone(calls)})
	return b
}

// Thread adds a kernel thread that runs ops in order.
func (b *Builder) Thread(name string, ops ...Op) *Builder {
	b.s.Threads = append(b.s.Threads, Thread{Name: name, Ops: clone(ops)})
	return b
}

// Update is the operation static_call_update(key, target).
func Update(key, target string) Op {
	return Op{Kind: opUpdate, Key: key, Target: target}
}

// FreeInitmem is kernel_init's free_initmem() with its system_state
// transitions (see OpFreeInitmem).
func FreeInitmem() Op { return Op{Kind: OpFreeInitmem} }

// StaticCallInit is static_call_init().
func StaticCallInit() Op { return Op{Kind: OpStaticCallInit} }

// UpdateEarly is x86's static_call_update_early(key, target).
func UpdateEarly(key, target string) Op { return Op{Kind: OpUpdateEarly, Key: key, Target: target} }

// ForceReinit is static_call_force_reinit().
func ForceReinit() Op { return Op{Kind: OpForceReinit} }

// Kprobe is register_kprobe() at site.
func Kprobe(site string) Op { return Op{Kind: OpKprobe, Site: site} }

// Load loads module; failAlloc > 0 makes that kzalloc fail.
func Load(module string, failAlloc int) Op {
	return Op{Kind: OpLoad, Module: module, FailAlloc: failAlloc}
}

// Unload unloads module.
func Unload(module string) Op { return Op{Kind: OpUnload, Module: module} }

// KeyOp is a static key operation of kind (OpKeyEnable, OpKeyDisable,
// OpKeyInc or OpKeyDec) on the static key key: static_key_enable(&key)
// and so on.
func KeyOp(kind, key string) Op { return Op{Kind: kind, Key: key} }

// StaticKey declares a static key (DEFINE_STATIC_KEY_FALSE, or with init
// DEFINE_STATIC_KEY_TRUE).
func (b *Builder) StaticKey(name string, init bool) *Builder {
	b.s.StaticKeys = append(b.s.StaticKeys, StaticKey{Name: name, Init: init})
	return b
}

// Jump declares a jump label site of the static key key:
// static_branch_likely (likely) or static_branch_unlikely; size is
// x86-64's JumpSize8 or JumpSize32, or 0 for the architecture's only
// size.
func (b *Builder) Jump(name, key string, likely bool, size int) *Builder {
	b.s.Jumps = append(b.s.Jumps, Jump{Name: name, Key: key, Likely: likely, Size: size})
	return b
}

// ModuleJump declares a jump label site of key in module's text (init
// text when init is set), as Jump does for vmlinux.
func (b *Builder) ModuleJump(name, key string, likely bool, size int, module string, init bool) *Builder {
	j := Jump{Name: name, Key: key, Likely: likely, Size: size, Module: module}
	if init {
		j.Section = SectionInit
	}
	b.s.Jumps = append(b.s.Jumps, j)
	return b
}

// KeyTramp declares a key exported by its trampoline only
// (EXPORT_STATIC_CALL_TRAMP): vmlinux has a static_call_tramp_key entry.
func (b *Builder) KeyTramp(name, init string) *Builder {
	b.s.Keys = append(b.s.Keys, Key{Name: name, Init: init, Export: ExportTramp})
	return b
}

// Module declares a loadable module.
func (b *Builder) Module(name string) *Builder {
	b.s.Modules = append(b.s.Modules, name)
	return b
}

// ModuleSite declares an inline call site of key in module's text (init
// text when init is set); keyRefTramp makes its key field hold the
// trampoline.
func (b *Builder) ModuleSite(name, key, kind, module string, init, keyRefTramp bool) *Builder {
	st := Site{Name: name, Key: key, Kind: kind, Module: module}
	if init {
		st.Section = SectionInit
	}
	if keyRefTramp {
		st.KeyRef = KeyRefTramp
	}
	b.s.Sites = append(b.s.Sites, st)
	return b
}

// Place puts target in module's text ("" for vmlinux), far from the
// trampolines and sites when far is set.
func (b *Builder) Place(target, module string, far bool) *Builder {
	pl := Place{Target: target, Module: module}
	if far {
		pl.Range = RangeFar
	}
	b.s.Places = append(b.s.Places, pl)
	return b
}

// ModuleKey adds a key that module defines (its trampoline is in the
// module's text).
func (b *Builder) ModuleKey(name, init, module string) *Builder {
	b.s.Keys = append(b.s.Keys, Key{Name: name, Init: init, Module: module})
	return b
}

// Caller adds an out-of-line static_call() call site of key, in module's
// text ("" for vmlinux).
func (b *Builder) Caller(name, key, module string) *Builder {
	b.s.Callers = append(b.s.Callers, Caller{Name: name, Key: key, Module: module})
	return b
}

// RestInit is rest_init(): system_state = SYSTEM_SCHEDULING, the other
// kernel threads start.
func RestInit() Op { return Op{Kind: OpRestInit} }

// SMPInit is smp_init(): the caller CPUs come online (after rest_init,
// which it runs first when the thread has none before it).
func SMPInit() Op { return Op{Kind: OpSMPInit} }

// InitSite declares an inline call site of key in init text.
func (b *Builder) InitSite(name, key, kind string) *Builder {
	b.s.Sites = append(b.s.Sites, Site{Name: name, Key: key, Kind: kind, Section: SectionInit})
	return b
}

// Sketch sets the primitive steps that replace the architecture's
// transform of every trampoline and site (docs/sketches.md).
func (b *Builder) Sketch(steps ...SketchStep) *Builder {
	b.s.Sketch = clone(steps)
	return b
}

// Bounds sets the exploration bounds; 0 means unbounded.
func (b *Builder) Bounds(depth, states int) *Builder {
	b.s.Bounds = Bounds{Depth: depth, States: states}
	return b
}

// ExpectSafe records that no property should fail.
func (b *Builder) ExpectSafe() *Builder {
	b.s.Expect = Expect{Verdict: "safe"}
	return b
}

// ExpectViolation records that property should fail.
func (b *Builder) ExpectViolation(property string) *Builder {
	b.s.Expect = Expect{Verdict: "violation", Property: property}
	return b
}

// ExpectWarning expects no violation but a warning of property (a WARN).
func (b *Builder) ExpectWarning(property string) *Builder {
	b.s.Expect = Expect{Verdict: "warning", Property: property}
	return b
}

// Build returns a new Scenario, or the first problem found: what Validate
// reports, or what would keep the scenario from being written by Format and
// read back by Parse (a malformed name, a repeated thread name, a bound
// outside 0..1e9, a doc with '#', control characters or surrounding
// blanks). Empty lists are nil in the result. Later calls on b do not
// change the result.
func (b *Builder) Build() (*Scenario, error) {
	s := b.s
	s.Targets = clone(s.Targets)
	s.Keys = clone(s.Keys)
	s.Sites = clone(s.Sites)
	s.Places = clone(s.Places)
	s.Callers = clone(s.Callers)
	s.CPUs = clone(s.CPUs)
	for i := range s.CPUs {
		s.CPUs[i].Calls = clone(s.CPUs[i].Calls)
	}
	s.Sketch = clone(s.Sketch)
	for i := range s.Sketch {
		s.Sketch[i].Args = clone(s.Sketch[i].Args)
	}
	s.Threads = clone(s.Threads)
	for i := range s.Threads {
		s.Threads[i].Ops = clone(s.Threads[i].Ops)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := checkWritable(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// MustBuild is Build for tests and built-in catalogues: it panics if Build
// fails.
func (b *Builder) MustBuild() *Scenario {
	s, err := b.Build()
	if err != nil {
		panic("scenario " + b.s.Name + ": " + err.Error())
	}
	return s
}

// clone returns a copy of xs, nil if xs is empty.
func clone[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return append([]T(nil), xs...)
}
