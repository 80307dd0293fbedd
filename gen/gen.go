// Package gen generates valid patchcheck scenarios: rapid generators for
// property-based tests, and a seeded deterministic generator for long
// fuzz campaigns (patchcheck campaign).
//
// A user's property test draws scenarios and checks them:
//
//	func TestMyProtocol(t *testing.T) {
//		rapid.Check(t, func(t *rapid.T) {
//			sc := gen.Scenario("x86-64").Draw(t, "scenario")
//			r, err := check.Run(sc, check.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			if r.Violation != nil {
//				t.Fatalf("%s\n%s", scenario.Format(sc), r.Cex.Text(""))
//			}
//		})
//	}
//
// Every generated scenario stays within the model's capacities
// (model.MaxCPUs, MaxThreads, MaxWindows, MaxKeys, MaxTargets) and carries
// a states bound (DefaultMaxStates unless MaxStates says otherwise) so that
// it checks in well under a second or two: a verdict of "safe (bounded)"
// is expected and acceptable in properties.
//
// Draws are ordered so that rapid shrinks a failing scenario to the
// fewest targets, keys, sites, CPUs, calls, threads and updates: every
// count is drawn with a small minimum before the elements it counts, every
// list is a rapid slice (whose elements rapid can delete), and every
// choice shrinks towards the first option (the first variant, the first
// fetch assumption, target f1, key k1, kind call, core text, no
// free_initmem).
//
// The same drawing code runs on a math/rand/v2 PCG (Seeded), so that a
// campaign derives scenario number i of seed s identically on every
// machine.
package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Version names the mapping from (seed, index) to a scenario that Seeded
// implements. A change to the drawing code that changes a seeded scenario
// must change it; campaign state files record it.
const Version = "patchcheck-gen/3"

// DefaultMaxStates is the states bound given to every generated scenario
// unless the MaxStates option says otherwise: about a third of a second of
// exploration at the explorer's usual million states a second.
const DefaultMaxStates = 300000

// Sizes of generated scenarios. They keep a scenario within the model's
// capacities and tractable.
const (
	MinTargets, MaxTargets = 2, 4 // ordinary targets (NULL and return0 come on top)
	MinKeys, MaxKeys       = 1, 2
	MinSites, MaxSites     = 1, 3
	MinCPUs, MaxCPUs       = 1, 3
	MinCalls, MaxCalls     = 1, 2 // per CPU
	MinThreads, MaxThreads = 1, 2 // updating threads (a concurrent kernel_init thread comes on top)
	MinOps, MaxOps         = 1, 2 // updates per thread
)

// Compile-time checks that the sizes fit the model's capacities.
var (
	_ [model.MaxTargets - (MaxTargets + 2)]struct{}
	_ [model.MaxKeys - MaxKeys]struct{}
	_ [model.MaxWindows - (MaxKeys + MaxSites)]struct{}
	_ [model.MaxCPUs - MaxCPUs]struct{}
	_ [model.MaxThreads - (MaxThreads + 1)]struct{}
)

// LifecycleMode says whether and how free_initmem (the end of
// kernel_init, docs/semantics.md §2.1) appears in generated scenarios.
type LifecycleMode string

const (
	// LifecycleNever: no free_initmem and no init sites; the system runs
	// in SYSTEM_RUNNING throughout.
	LifecycleNever LifecycleMode = "never"
	// LifecycleOrdered (the default): free_initmem may appear in the first
	// updating thread, before, between or after its updates, and sites may
	// be in init text. Every update of a key that has an init site is in
	// that thread, so no update of an init site runs concurrently with
	// free_initmem. The kernel's protocol is expected to be safe here.
	LifecycleOrdered LifecycleMode = "ordered"
	// LifecycleConcurrent: free_initmem may appear in a kernel_init thread
	// of its own, concurrent with every update, and sites may be in init
	// text. The kernel's protocol has a documented finding here
	// (docs/semantics.md §8: the window between the init-site filter and
	// the write, no-freed-access): do not use it to show the kernel safe.
	LifecycleConcurrent LifecycleMode = "concurrent"
)

// ParseLifecycle returns the LifecycleMode named s.
func ParseLifecycle(s string) (LifecycleMode, error) {
	switch m := LifecycleMode(s); m {
	case LifecycleNever, LifecycleOrdered, LifecycleConcurrent:
		return m, nil
	}
	return "", fmt.Errorf("unknown lifecycle %q (want never, ordered or concurrent)", s)
}

// Option configures a scenario generator.
type Option func(*config)

type config struct {
	features     map[string]bool
	variants     []string // nil: the kernel's own
	fetches      []string // nil: the arch's default
	anyFetch     bool
	lifecycle    LifecycleMode
	maxStates    int
	name         string
	err          error
	lifecycleSet bool     // Lifecycle was given
	kinds        []string // Kinds

}

// Feature names for Features.
const (
	// FeatureBoot: the first thread boots: (maybe an update before init,)
	// static_call_init, smp_init, then its other operations.
	FeatureBoot = "boot"
	// FeatureModules: a module m1 with 1-2 sites (some referring to their
	// key by its trampoline), loaded by a loader thread (maybe with a
	// failing allocation) and maybe unloaded. Module init sites only come
	// with LifecycleConcurrent (docs/semantics.md §8 has the finding).
	FeatureModules = "modules"
	// FeatureKprobes: a kprobes thread registers a kprobe on a site.
	FeatureKprobes = "kprobes"
	// FeatureJumpLabels: a static key sk (DEFINE_STATIC_KEY_FALSE or
	// _TRUE) with 1-2 jump label sites that the CPUs may pass, and 1-2
	// threads that use it as the kernel's API allows: one thread flips it
	// with static_key_enable/disable (and may flip it back), or two race
	// to flip it the same way, or each thread takes and drops a
	// reference (static_key_slow_inc then _dec; _dec then _inc of a key
	// defined true). With FeatureModules, on a port whose descriptor says
	// so (arch.Gen.ModuleJumps), the site may be in the module's text or
	// init text. Concurrent enable and disable of one key, and an
	// unbalanced count, are misuses the kernel WARNs about (docs/semantics.md
	// §12.5): not drawn.
	FeatureJumpLabels = "jump-labels"
)

// ParseFeatures splits a comma-separated list of features and checks it.
func ParseFeatures(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	fs := strings.Split(s, ",")
	var c config
	Features(fs...)(&c)
	return fs, c.err
}

// Features adds lifecycle features to generated scenarios (FeatureBoot,
// FeatureModules, FeatureKprobes); with them, at most one thread updates.
func Features(fs ...string) Option {
	return func(c *config) {
		for _, f := range fs {
			switch f {
			case FeatureBoot, FeatureModules, FeatureKprobes, FeatureJumpLabels:
				if c.features == nil {
					c.features = map[string]bool{}
				}
				c.features[f] = true
			default:
				c.err = fmt.Errorf("gen: unknown feature %q (want boot, modules, kprobes or jump-labels)", f)
			}
		}
	}
}

// Variant fixes the protocol variant of generated scenarios ("kernel", the
// default, is the kernel's own code; see 'patchcheck list').
func Variant(v string) Option { return Variants(v) }

// Variants draws the protocol variant of each scenario from vs (shrinking
// towards the first).
func Variants(vs ...string) Option {
	return func(c *config) {
		if len(vs) == 0 {
			c.err = fmt.Errorf("gen.Variants: no variant")
			return
		}
		c.variants = slices.Clone(vs)
	}
}

// AnyVariant draws the variant from every variant of the architecture, the
// kernel's own first.
func AnyVariant() Option { return func(c *config) { c.variants = []string{"*"} } }

// Fetch fixes the instruction fetch assumption ("" is the architecture's
// default).
func Fetch(f string) Option { return func(c *config) { c.fetches, c.anyFetch = []string{f}, false } }

// AnyFetch draws the fetch assumption from every one the architecture
// offers, its default first.
func AnyFetch() Option { return func(c *config) { c.fetches, c.anyFetch = nil, true } }

// Lifecycle says whether and how free_initmem may appear (default
// LifecycleOrdered).
func Lifecycle(mode LifecycleMode) Option {
	return func(c *config) {
		if _, err := ParseLifecycle(string(mode)); err != nil {
			c.err = fmt.Errorf("gen.Lifecycle: %v", err)
			return
		}
		c.lifecycle, c.lifecycleSet = mode, true
	}
}

// Kinds restricts the kinds of the sites drawn (scenario.KindCall,
// KindTail, KindJcc; default every kind the architecture has).
func Kinds(kinds ...string) Option { return func(c *config) { c.kinds = kinds } }

// MaxStates sets the states bound of generated scenarios (default
// DefaultMaxStates; 0 means none, which can take minutes).
func MaxStates(n int) Option {
	return func(c *config) {
		if n < 0 || n > 1e9 {
			c.err = fmt.Errorf("gen.MaxStates(%d): want 0..1e9", n)
			return
		}
		c.maxStates = n
	}
}

// Name sets the name of generated scenarios (default "generated").
func Name(name string) Option { return func(c *config) { c.name = name } }

// plan is a configuration resolved against an architecture.
type plan struct {
	features    map[string]bool
	arch        string
	kinds       []string                  // site kinds
	outOfLine   func(variant string) bool // arch.Descriptor.OutOfLine
	variants    []string
	fetches     []string
	lifecycle   LifecycleMode
	maxStates   int
	name        string
	jumpSizes   []int // arch.Gen.JumpSizes
	moduleJumps bool  // arch.Gen.ModuleJumps
}

// VariantNames returns the protocol variants of arch, the kernel's own first
// (as "kernel").
func VariantNames(arch string) ([]string, error) {
	port, err := arches.Lookup(arch)
	if err != nil {
		return nil, err
	}
	names := kernel.VariantNames(port)
	names[0] = "kernel"
	return names, nil
}

// BadVariants returns every variant of arch but the kernel's own: the
// known-bad and historical ones (some of which the model shows safe, see
// docs/semantics.md §8).
func BadVariants(arch string) ([]string, error) {
	names, err := VariantNames(arch)
	if err != nil {
		return nil, err
	}
	return names[1:], nil
}

func resolve(arch string, opts []Option) (*plan, error) {
	d, err := arches.Describe(arch)
	if err != nil || !d.Generates() {
		return nil, fmt.Errorf("gen: architecture %q is not supported (have %s)", arch, strings.Join(arches.Generated(), ", "))
	}
	c := config{lifecycle: LifecycleOrdered, maxStates: DefaultMaxStates, name: "generated"}
	for _, o := range opts {
		o(&c)
		if c.err != nil {
			return nil, c.err
		}
	}
	kinds := d.Gen.Kinds
	if !d.Gen.InitText {
		// No init sites, modules, kprobes or boot-time updates are
		// modelled on this architecture.
		switch {
		case !c.lifecycleSet:
			c.lifecycle = LifecycleNever
		case c.lifecycle != LifecycleNever:
			return nil, fmt.Errorf("gen: %s models no init text: lifecycle %s needs an architecture that does", arch, c.lifecycle)
		}
		if len(c.features) > 0 && !(len(c.features) == 1 && c.features[FeatureJumpLabels]) {
			return nil, fmt.Errorf("gen: %s models no boot, module or kprobe features", arch)
		}
	}
	if c.features[FeatureJumpLabels] && !d.Gen.JumpLabels {
		return nil, fmt.Errorf("gen: %s models no jump labels yet", arch)
	}
	if c.kinds != nil {
		for _, k := range c.kinds {
			if !slices.Contains(kinds, k) {
				return nil, fmt.Errorf("gen: site kind %q not drawn on %s (have %v)", k, arch, kinds)
			}
		}
		kinds = c.kinds
	}
	port := d.Port
	all, _ := VariantNames(arch)
	p := &plan{arch: arch, lifecycle: c.lifecycle, maxStates: c.maxStates, name: c.name, features: c.features,
		kinds: kinds, outOfLine: d.OutOfLine, jumpSizes: d.Gen.JumpSizes, moduleJumps: d.Gen.ModuleJumps}
	switch {
	case c.variants == nil:
		p.variants = []string{"kernel"}
	case len(c.variants) == 1 && c.variants[0] == "*":
		p.variants = all
	default:
		for _, v := range c.variants {
			if v == port.Variants()[0].Name {
				v = "kernel"
			}
			if !slices.Contains(all, v) {
				return nil, fmt.Errorf("gen: unknown variant %q for %s (have %v)", v, arch, all)
			}
			p.variants = append(p.variants, v)
		}
	}
	switch {
	case c.anyFetch:
		p.fetches = port.Fetches()
	case c.fetches == nil:
		p.fetches = []string{""}
	default:
		for _, f := range c.fetches {
			if f != "" && !slices.Contains(port.Fetches(), f) {
				return nil, fmt.Errorf("gen: unknown fetch assumption %q for %s (have %v)", f, arch, port.Fetches())
			}
		}
		p.fetches = c.fetches
	}
	return p, nil
}

// Scenario returns a generator of valid scenarios for arch (one of
// arches.Generated(); for any other the generator fails the test that
// draws from it). The architecture's descriptor (arch.Gen) says which
// site kinds are drawn; without init text the lifecycle is never; a
// variant with out-of-line static calls (arm64 but its branch-*
// variants) draws no inline site and one updating thread. A scenario has 2-4 targets, 1-2 keys (each defined
// with any target, NULL and return0 included), 1-3 sites (call, tail or
// jcc, some in init text when the lifecycle allows), 1-3 CPUs of 1-2
// calls each (a site or tramp(KEY)), 1-2 threads of 1-2 updates each and,
// depending on Lifecycle, a free_initmem; and a states bound.
func Scenario(arch string, opts ...Option) *rapid.Generator[*scenario.Scenario] {
	p, err := resolve(arch, opts)
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		if err != nil {
			t.Fatalf("%v", err)
		}
		sc, err := p.draw(rsrc{t})
		if err != nil {
			t.Fatalf("gen: generated an invalid scenario (a bug in gen): %v", err)
		}
		return sc
	})
}

// Seeded returns scenario number index of the campaign seeded with seed:
// the same on every machine and every run for one Version of this
// package. It draws as Scenario does, from a PCG seeded by (seed, index).
func Seeded(arch string, seed, index uint64, opts ...Option) (*scenario.Scenario, error) {
	p, err := resolve(arch, opts)
	if err != nil {
		return nil, err
	}
	return p.draw(psrc{rand.New(rand.NewPCG(seed, mix(index)))})
}

// FromBytes returns the scenario that data chooses: it draws as Scenario
// does, each choice taken from the next bytes of data (one byte, two for a
// choice among more than 256, reduced modulo the number of options), and
// every choice past the end of data is the first option, the one rapid
// shrinks to. So any data, the empty one included, chooses a valid
// scenario, a prefix of data chooses a smaller one, and a fuzzer's bytes
// steer the same drawing code that rapid and Seeded drive.
func FromBytes(arch string, data []byte, opts ...Option) (*scenario.Scenario, error) {
	p, err := resolve(arch, opts)
	if err != nil {
		return nil, err
	}
	return p.draw(&bsrc{data: data})
}

// bsrc draws from bytes.
type bsrc struct{ data []byte }

func (s *bsrc) intn(_ string, lo, hi int) int {
	n := hi - lo + 1
	if n <= 1 {
		return lo
	}
	v := 0
	for range 1 + btoi(n > 256) {
		v <<= 8
		if len(s.data) > 0 {
			v |= int(s.data[0])
			s.data = s.data[1:]
		}
	}
	return lo + v%n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mix is splitmix64's finaliser: nearby indices get unrelated streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Call returns a generator of one call entry of a CPU: a site name (its
// caller function is called) or tramp(KEY), sites first. keys and sites
// must not both be empty.
func Call(keys []scenario.Key, sites []scenario.Site) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		if len(keys)+len(sites) == 0 {
			t.Fatalf("gen.Call: no key and no site to call")
		}
		return drawCall(rsrc{t}, keys, sites)
	})
}

// CPUProgram returns a generator of one CPU's program: 1-2 calls, each as
// Call draws them.
func CPUProgram(keys []scenario.Key, sites []scenario.Site) *rapid.Generator[scenario.CPU] {
	return rapid.Custom(func(t *rapid.T) scenario.CPU {
		if len(keys)+len(sites) == 0 {
			t.Fatalf("gen.CPUProgram: no key and no site to call")
		}
		return drawCPU(rsrc{t}, keys, sites)
	})
}

// source is where the drawing code takes its choices: rapid, or a PCG.
type source interface {
	// intn returns a number from lo to hi; rapid shrinks it towards lo.
	intn(label string, lo, hi int) int
}

// rsrc draws from rapid.
type rsrc struct{ t *rapid.T }

func (s rsrc) intn(label string, lo, hi int) int { return rapid.IntRange(lo, hi).Draw(s.t, label) }

// psrc draws from a PCG.
type psrc struct{ r *rand.Rand }

func (s psrc) intn(_ string, lo, hi int) int { return lo + s.r.IntN(hi-lo+1) }

// list draws lo to hi elements made by elem: with rapid, a slice whose
// elements the shrinker can delete one by one.
func list[E any](s source, label string, lo, hi int, elem func(source) E) []E {
	switch s := s.(type) {
	case rsrc:
		return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) E { return elem(rsrc{t}) }), lo, hi).Draw(s.t, label)
	default:
		n := s.intn(label, lo, hi)
		out := make([]E, n)
		for i := range out {
			out[i] = elem(s)
		}
		return out
	}
}

func drawCall(s source, keys []scenario.Key, sites []scenario.Site) string {
	i := s.intn("call", 0, len(sites)+len(keys)-1)
	if i < len(sites) {
		return sites[i].Name
	}
	return scenario.TrampCall(keys[i-len(sites)].Name)
}

func drawCPU(s source, keys []scenario.Key, sites []scenario.Site) scenario.CPU {
	return scenario.CPU{Calls: list(s, "calls", MinCalls, MaxCalls, func(s source) string {
		return drawCall(s, keys, sites)
	})}
}

// draw makes one scenario. The order of the draws is the shrinking order.
func (p *plan) draw(s source) (*scenario.Scenario, error) {
	b := scenario.New(p.name).Arch(p.arch)
	variant := p.variants[s.intn("variant", 0, len(p.variants)-1)]
	fetch := p.fetches[s.intn("fetch", 0, len(p.fetches)-1)]
	b.Variant(variant).Fetch(fetch)

	nt := s.intn("targets", MinTargets, MaxTargets)
	targets := make([]string, nt)
	for i := range targets {
		targets[i] = fmt.Sprintf("f%d", i+1)
	}
	b.Target(targets...)
	// Choices of a target, ordinary ones first so that shrinking leads to f1.
	choices := append(slices.Clone(targets), scenario.Null, scenario.Return0)
	target := func(s source, label string) string { return choices[s.intn(label, 0, len(choices)-1)] }

	inits := list(s, "keys", MinKeys, MaxKeys, func(s source) string { return target(s, "init") })
	keys := make([]scenario.Key, len(inits))
	mods := p.features[FeatureModules]
	for i, init := range inits {
		keys[i] = scenario.Key{Name: fmt.Sprintf("k%d", i+1), Init: init}
		if mods && s.intn("export_tramp", 0, 1) == 1 {
			keys[i].Export = scenario.ExportTramp
			b.KeyTramp(keys[i].Name, init)
		} else {
			b.Key(keys[i].Name, init)
		}
	}

	free := false
	if p.lifecycle != LifecycleNever {
		free = s.intn("free_initmem", 0, 1) == 1
	}
	// Out-of-line static calls (arm64 but in its branch-* variants) have
	// no inline sites, and only one thread may update a key (the
	// out-of-line update takes no static_call_mutex).
	outOfLine := p.outOfLine(variant)
	minSites, maxSites := MinSites, MaxSites
	if outOfLine {
		minSites, maxSites = 0, 0
	}
	kinds := p.kinds
	type siteDraw struct{ key, kind, init int }
	sds := list(s, "sites", minSites, maxSites, func(s source) siteDraw {
		d := siteDraw{key: s.intn("key", 0, len(keys)-1), kind: s.intn("kind", 0, len(kinds)-1)}
		if free {
			d.init = s.intn("init", 0, 1)
		}
		return d
	})
	sites := make([]scenario.Site, len(sds))
	initKey := make([]bool, len(keys))
	for i, d := range sds {
		sites[i] = scenario.Site{Name: fmt.Sprintf("s%d", i+1), Key: keys[d.key].Name, Kind: kinds[d.kind]}
		if d.init == 1 {
			sites[i].Name = fmt.Sprintf("i%d", i+1)
			sites[i].Section = scenario.SectionInit
			initKey[d.key] = true
			b.InitSite(sites[i].Name, sites[i].Key, sites[i].Kind)
		} else {
			b.Site(sites[i].Name, sites[i].Key, sites[i].Kind)
		}
	}

	if mods {
		b.Module("m1")
		for i := range s.intn("module_sites", 1, 2) {
			k := s.intn("module_key", 0, len(keys)-1)
			st := scenario.Site{Name: fmt.Sprintf("m%d", i+1), Key: keys[k].Name, Kind: kinds[s.intn("module_kind", 0, len(kinds)-1)], Module: "m1"}
			init := p.lifecycle == LifecycleConcurrent && s.intn("module_init", 0, 1) == 1
			if init {
				st.Section = scenario.SectionInit
			}
			tramp := keys[k].Export == scenario.ExportTramp && s.intn("keyref", 0, 1) == 1
			if tramp {
				st.KeyRef = scenario.KeyRefTramp
			}
			b.ModuleSite(st.Name, st.Key, st.Kind, "m1", init, tramp)
			sites = append(sites, st)
		}
	}

	// Jump labels: a static key and its sites, which the CPUs call as
	// sites.
	callable := sites
	var jlThreads [][]scenario.Op
	if p.features[FeatureJumpLabels] {
		// Room for its threads: the updater, the loader, kprobes and a
		// concurrent kernel_init may come first.
		room := model.MaxThreads - 1 - btoi(mods) - btoi(p.features[FeatureKprobes]) - btoi(free && p.lifecycle != LifecycleOrdered)
		callable, jlThreads = p.drawJumpLabels(s, b, sites, mods, room)
	}

	for _, c := range list(s, "cpus", MinCPUs, MaxCPUs, func(s source) scenario.CPU { return drawCPU(s, keys, callable) }) {
		b.CPU(c.Calls...)
	}

	// Threads. With an ordered free_initmem, thread 0 holds it and every
	// update of a key with an init site; later threads update the others.
	ordered := free && p.lifecycle == LifecycleOrdered
	var later []int // keys later threads may update
	for k := range keys {
		if !ordered || !initKey[k] {
			later = append(later, k)
		}
	}
	maxThreads := MaxThreads
	if len(later) == 0 || len(p.features) > 0 || outOfLine {
		maxThreads = 1
	}
	// An update's target is drawn as an offset from the key's latest
	// value in drawing order, so that it always changes key->func there:
	// an update to the value a key already has only skips.
	cur := make([]int, len(keys))
	for k, key := range keys {
		cur[k] = slices.Index(choices, key.Init)
	}
	first := true
	threads := list(s, "threads", MinThreads, maxThreads, func(s source) []scenario.Op {
		allowed := later
		if first {
			allowed = nil
			for k := range keys {
				allowed = append(allowed, k)
			}
			first = false
		}
		return list(s, "updates", MinOps, MaxOps, func(s source) scenario.Op {
			k := allowed[s.intn("key", 0, len(allowed)-1)]
			cur[k] = (cur[k] + 1 + s.intn("target", 0, len(choices)-2)) % len(choices)
			return scenario.Update(keys[k].Name, choices[cur[k]])
		})
	})
	if ordered {
		at := s.intn("free_at", 0, len(threads[0]))
		threads[0] = slices.Insert(threads[0], at, scenario.FreeInitmem())
	}
	if p.features[FeatureBoot] {
		boot := []scenario.Op{scenario.StaticCallInit(), scenario.SMPInit()}
		if s.intn("update_before_init", 0, 1) == 1 {
			k := s.intn("early_key", 0, len(keys)-1)
			cur[k] = (cur[k] + 1 + s.intn("early_target", 0, len(choices)-2)) % len(choices)
			boot = append([]scenario.Op{scenario.Update(keys[k].Name, choices[cur[k]])}, boot...)
		}
		threads[0] = append(boot, threads[0]...)
	}
	for i, ops := range threads {
		name := fmt.Sprintf("t%d", i)
		if i == 0 && ordered {
			name = "kernel_init"
		}
		b.Thread(name, ops...)
	}
	failAlloc := 0
	if mods {
		failAlloc = s.intn("fail_alloc", 0, 2)
		ops := []scenario.Op{scenario.Load("m1", failAlloc)}
		if s.intn("unload", 0, 1) == 1 {
			ops = append(ops, scenario.Unload("m1"))
		}
		b.Thread("loader", ops...)
	}
	if p.features[FeatureKprobes] {
		// A kprobe on a built-in init site while kernel_init frees the
		// init text is the open question of docs/semantics.md §11 row
		// 38 (check_kprobe_address_safe() tests the text before
		// free_initmem(), static_call_text_reserved() after it): such a
		// probe goes on a site outside the init text.
		//
		// A kprobe on a site of a module whose load fails is the open
		// question of row 50 (check_kprobe_address_safe() takes the
		// module while it is COMING, __static_call_mod_text_reserved()
		// fails to once it is GOING): such a probe goes on a built-in
		// site.
		probeable := sites
		if free || failAlloc > 0 {
			probeable = nil
			for _, st := range sites {
				if (!free || st.Module != "" || st.Section != "init") && (failAlloc == 0 || st.Module == "") {
					probeable = append(probeable, st)
				}
			}
		}
		if len(probeable) > 0 {
			b.Thread("kprobes", scenario.Kprobe(probeable[s.intn("kprobe_site", 0, len(probeable)-1)].Name))
		}
	}
	for i, ops := range jlThreads {
		b.Thread(fmt.Sprintf("jl%d", i), ops...)
	}
	if free && !ordered {
		b.Thread("kernel_init", scenario.FreeInitmem())
	}
	b.Bounds(0, p.maxStates)
	return b.Build()
}

// drawJumpLabels draws FeatureJumpLabels' static key sk, its 1-2 jump
// sites (one with modules, whose sites take the windows; it may be in the
// module's text, or its init text with a concurrent lifecycle, where
// jump_label_add_module() patches it) and the threads that use it; it
// returns sites with the jump sites added, for the CPUs to call.
func (p *plan) drawJumpLabels(s source, b *scenario.Builder, sites []scenario.Site, mods bool, room int) ([]scenario.Site, [][]scenario.Op) {
	init := s.intn("sk_init", 0, 1) == 1
	b.StaticKey("sk", init)
	maxJumps := 2
	if mods {
		maxJumps = 1
	}
	callable := slices.Clone(sites)
	for i := range s.intn("jumps", 1, maxJumps) {
		name := fmt.Sprintf("j%d", i+1)
		likely := s.intn("likely", 0, 1) == 1
		size := 0
		if len(p.jumpSizes) > 0 {
			size = p.jumpSizes[s.intn("jump_size", 0, len(p.jumpSizes)-1)]
		}
		if mods && p.moduleJumps && s.intn("jump_module", 0, 1) == 1 {
			modInit := p.lifecycle == LifecycleConcurrent && s.intn("jump_module_init", 0, 1) == 1
			b.ModuleJump(name, "sk", likely, size, "m1", modInit)
		} else {
			b.Jump(name, "sk", likely, size)
		}
		callable = append(callable, scenario.Site{Name: name})
	}
	// One thread flips the key, or 1-2 threads each take and drop a
	// reference. A scenario has at most model.MaxThreads threads: the
	// updater, the loader, kprobes and kernel_init come first.
	if room <= 0 {
		return callable, nil
	}
	if s.intn("sk_use", 0, 1) == 0 {
		// 1-2 threads flip the key the same way (racing enablers meet
		// on key->enabled == -1 and jump_label_mutex); the first may
		// flip it back. An enable racing a disable is left out: its
		// WARN is the finding of docs/semantics.md §12.5.
		kind, other := scenario.OpKeyEnable, scenario.OpKeyDisable
		if init {
			kind, other = other, kind
		}
		ops := []scenario.Op{scenario.KeyOp(kind, "sk")}
		flippers := [][]scenario.Op{ops}
		if room >= 2 && s.intn("sk_flippers", 1, 2) == 2 {
			flippers = append(flippers, []scenario.Op{scenario.KeyOp(kind, "sk")})
		} else if s.intn("sk_flip_back", 0, 1) == 1 {
			flippers[0] = append(ops, scenario.KeyOp(other, "sk"))
		}
		return callable, flippers
	}
	// The first thread of a key defined true may drop the definition's
	// reference first; every other thread takes one before it drops it.
	threads := make([][]scenario.Op, s.intn("sk_threads", 1, min(2, room)))
	for i := range threads {
		threads[i] = []scenario.Op{scenario.KeyOp(scenario.OpKeyInc, "sk"), scenario.KeyOp(scenario.OpKeyDec, "sk")}
		if i == 0 && init && s.intn("sk_drop_first", 0, 1) == 1 {
			threads[i][0], threads[i][1] = threads[i][1], threads[i][0]
		}
	}
	return callable, threads
}
