package arm64_test

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/arm64"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

func builtin(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	e, ok, err := catalog.Lookup(name, check.ParseOptions())
	if err != nil || !ok {
		t.Fatalf("built-in scenario %s: %v", name, err)
	}
	return e.Scenario
}

// TestStaleSurvivesSync: without cache maintenance (CTR_EL0.DIC = 0) a
// CPU still fetches the old instruction after the IPI's context
// synchronisation; with DIC = 1 the same sequence is safe.
func TestStaleSurvivesSync(t *testing.T) {
	sc := builtin(t, "arm64-bad-branch-no-maintenance")
	r, err := check.Run(sc, check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("no counterexample: %v", err)
	}
	synced, stale := -1, -1
	for i, st := range r.Cex.Trace {
		if st.Actor != "cpu0" {
			continue
		}
		if slices.Contains(st.Tags, "ipi") && synced < 0 {
			synced = i
		}
		if slices.Contains(st.Tags, "stale") {
			stale = i
		}
	}
	if synced < 0 || stale < synced {
		t.Fatalf("want a stale fetch after the IPI: IPI at step %d, stale fetch at step %d", synced+1, stale+1)
	}
	dic := *sc
	dic.Fetch = "dic"
	if r, err := check.Run(&dic, check.Options{}); err != nil || r.Verdict() != "safe" {
		t.Fatalf("with fetch dic: %v, %v", r.Verdict(), err)
	}
}

// TestStoreHalvesInEitherOrder: v5's counterexample needs the
// instruction half of the 16-byte write to become visible first.
func TestStoreHalvesInEitherOrder(t *testing.T) {
	r, err := check.Run(builtin(t, "arm64-bad-v5-far-near-far"), check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("no counterexample: %v", err)
	}
	var order string
	for _, st := range r.Cex.Trace {
		for _, n := range st.Notes {
			if strings.Contains(n, "order)") {
				order = n
			}
		}
	}
	if !strings.Contains(order, "the other order") {
		t.Fatalf("the counterexample takes %q, want the instruction half first", order)
	}
}

// TestErrors: what the arm64 port does not model is refused with the
// reason.
func TestErrors(t *testing.T) {
	base := "scenario e\narch arm64\ntarget f1 f2\nkey k init=f1\n"
	for _, c := range []struct{ src, want string }{
		{"site s1 key=k kind=call\ncpu s1\nthread t: update k f2\n", "arm64 static calls are out-of-line"},
		{"variant branch-kick\nsite s1 key=k kind=jcc\ncpu s1\nthread t: update k f2\n", "no conditional tail-call sites"},
		{"cpu tramp(k)\nthread t: update k f2\nthread u: update k f1\n", "both update k"},
		{"variant branch-kick\nsite s1 key=k kind=call\ncpu s1\nthread t: kprobe s1\n", "kprobes are not modelled on arm64"},
		{"variant branch-kick\nmodule m1\nsite s1 key=k kind=call module=m1\ncpu s1\nthread t: load m1\n", "module sites are not modelled on arm64"},
		{"fetch aligned4\ncpu tramp(k)\nthread t: update k f2\n", "unknown arm64 fetch assumption"},
		{"variant v2-adrp-add\nsketch write lit new_lit\ncpu tramp(k)\nthread t: update k f2\n", "has no literal"},
		{"sketch write loc+4 new\ncpu tramp(k)\nthread t: update k f2\n", "loc+4 is patchable only"},
		{"sketch write_pair new_lit new\ncpu tramp(k)\nthread t: update k f2\n", "literal is just before its patched instructions"},
		{"variant v6-literal\nsketch write loc+4 new\ncpu tramp(k)\nthread t: update k f2\n", "loc+4 is patchable only"},
		{"sketch write_pair new_lit old\ncpu tramp(k)\nthread t: update k f2\n", "old before save"},
		{"static_key sk\njump j1 key=sk size=2\ncpu j1\nthread t: static_key_enable sk\n", "size=2 is x86-64's"},
		{"static_key sk\njump j1 key=sk size=5\ncpu j1\nthread t: static_key_enable sk\n", "one 4-byte nop or b"},
	} {
		sc, err := scenario.Parse("e.scn", []byte(base+c.src), check.ParseOptions())
		if err == nil {
			_, err = check.Compile(sc, nil)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

// TestModuleJumpLayout: a module's jump label sites are in the module's
// text and init text (the regions of Program.Modules), each after a
// bti c as in vmlinux, and a CPU's call of one waits for the module
// (CallDef.Module, ModInit for the init text).
func TestModuleJumpLayout(t *testing.T) {
	src := "scenario e\narch arm64\nmodule m\nstatic_key k\njump j0 key=k\njump j1 key=k module=m\njump j2 key=k module=m section=init\ncpu j0 j1 j2\nthread t: load m; unload m\n"
	sc, err := scenario.Parse("e.scn", []byte(src), check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	a, err := arm64.Port{}.Arch(arm64.FetchCMODX, "")
	if err != nil {
		t.Fatal(err)
	}
	lay, err := arm64.Port{}.Layout(sc, a)
	if err != nil {
		t.Fatal(err)
	}
	p := lay.Prog
	if len(p.Modules) != 1 {
		t.Fatalf("%d modules, want 1", len(p.Modules))
	}
	for i, want := range []struct {
		region int // -1: vmlinux's .text
		module int
		init   bool
	}{{-1, 0, false}, {p.Modules[0][0], 1, false}, {p.Modules[0][1], 1, true}} {
		j := lay.Jumps[i]
		r := p.RegionOf(j.Addr)
		if want.region >= 0 && r != want.region || want.region < 0 && p.Regions[r].Name != ".text" {
			t.Errorf("%s at %#x is in %s", j.Name, j.Addr, p.Regions[r].Name)
		}
		if j.Module != want.module || j.Init != want.init {
			t.Errorf("%s: module %d init %v, want %d %v", j.Name, j.Module, j.Init, want.module, want.init)
		}
		if w := binary.LittleEndian.Uint32(p.Regions[r].Bytes[j.Addr-4-p.Regions[r].Base:]); w != arm64.InsnBTIC {
			t.Errorf("%s: %#08x before the site, want bti c", j.Name, w)
		}
		c := p.CPUs[0].Calls[i]
		if c.Entry != j.Addr-4 || c.Module != want.module || c.ModInit != want.init {
			t.Errorf("call %s: %+v", c.Name, c)
		}
	}
}

// TestViewsInRange: in every reachable state of a few arm64 scenarios,
// each CPU's view of a window names one of the window's contents, and a
// data window (a literal) keeps its current contents only.
func TestViewsInRange(t *testing.T) {
	for _, name := range []string{"arm64-mainline", "arm64-bad-branch-no-maintenance", "arm64-v6-far-near-far"} {
		m, err := check.Compile(builtin(t, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		s0 := m.P.Initial()
		seen := map[model.State]bool{s0: true}
		queue := []model.State{s0}
		for len(queue) > 0 && len(seen) < 20000 {
			s := queue[0]
			queue = queue[1:]
			for w, def := range m.P.Windows {
				win := &s.Win[w]
				if def.Data && (win.N != 1 || win.Stale != 0) {
					t.Fatalf("%s: data window %s keeps %d contents", name, def.Name, win.N)
				}
				for c := range m.P.CPUs {
					if v := s.CPU[c].View[w]; v >= win.N || def.Data && v != 0 {
						t.Fatalf("%s: cpu%d's view %d of %s, which has %d contents", name, c, v, def.Name, win.N)
					}
				}
			}
			m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool {
				if !seen[*n] {
					seen[*n] = true
					queue = append(queue, *n)
				}
				return true
			})
		}
	}
}

// TestJumpLayout: a jump label site is one nop or b l_yes
// (arch/arm64/include/asm/jump_label.h arch_static_branch,
// arch_static_branch_jump), after its function's bti c, as
// jump_label_init() leaves it for the key's initial value (b when
// enabled ^ branch), with the fall-through way at site+4 and l_yes at
// site+12, each movz x0, #value; ret. The window
// reaches the key's false way with the instruction of enabled == 0 and
// its true way with that of enabled == 1.
func TestJumpLayout(t *testing.T) {
	const (
		nop   = 0xd503201f
		bYes  = 0x14000003 // b .+12
		ret   = 0xd65f03c0
		movz0 = 0xd2800000 // movz x0, #0
	)
	for _, c := range []struct {
		name             string
		init, likely     bool
		code, off, onW   uint32 // at the site: initially, at rest with enabled 0, 1
		fallWay, jumpWay string
	}{
		{"unlikely, false", false, false, nop, nop, bYes, "false", "true"},
		{"unlikely, true", true, false, bYes, nop, bYes, "false", "true"},
		{"likely, false", false, true, bYes, bYes, nop, "true", "false"},
		{"likely, true", true, true, nop, bYes, nop, "true", "false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "scenario j\narch arm64\ntarget f1\nkey k init=f1\nstatic_key other\nstatic_key sk"
			if c.init {
				src += " init=true"
			}
			src += "\njump j0 key=other\njump j1 key=sk"
			if c.likely {
				src += " branch=likely"
			}
			src += "\ncpu j1\nthread t: static_key_enable sk\n"
			sc, err := scenario.Parse("j.scn", []byte(src), check.ParseOptions())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := check.Compile(sc, nil); err != nil {
				t.Fatal(err)
			}
			arch, err := arm64.Port{}.Arch("", "")
			if err != nil {
				t.Fatal(err)
			}
			lay, err := arm64.Port{}.Layout(sc, arch)
			if err != nil {
				t.Fatal(err)
			}
			p := lay.Prog
			word := func(addr uint64) uint32 {
				r := p.RegionOf(addr)
				if r < 0 {
					t.Fatalf("%#x is not mapped", addr)
				}
				return binary.LittleEndian.Uint32(p.Regions[r].Bytes[addr-p.Regions[r].Base:])
			}
			k := 2 // after static call key k and static key other
			kd := p.Keys[k]
			if kd.Name != "sk" || !kd.Jump || kd.Enabled != boolInt(c.init) {
				t.Fatalf("key %d is %+v", k, kd)
			}
			var w *model.WindowDef
			for i := range p.Windows {
				if p.Windows[i].Name == "j1" {
					w = &p.Windows[i]
				}
			}
			if w == nil || w.Size != 4 || w.Key != k {
				t.Fatalf("window j1: %+v", w)
			}
			site := w.Base
			if got := word(site - 4); got != 0xd503245f {
				t.Errorf("site-4: %#08x, want bti c", got)
			}
			if got := word(site); got != c.code || binary.LittleEndian.Uint32(w.Init[:]) != c.code {
				t.Errorf("site holds %#08x (window init %x), want %#08x", got, w.Init[:4], c.code)
			}
			for t2, want := range map[int]uint32{kd.False: c.off, kd.True: c.onW} {
				if f := w.AtRest[t2]; len(f) != 1 || binary.LittleEndian.Uint32(f[0]) != want {
					t.Errorf("at rest for %s: %x, want %#08x", p.Targets[t2].Name, f, want)
				}
			}
			for off, way := range map[uint64]string{4: c.fallWay, 12: c.jumpWay} {
				tg := -1
				for i, td := range p.Targets {
					if td.Name == "sk."+way {
						tg = i
					}
				}
				if tg < 0 {
					t.Fatalf("no target sk.%s", way)
				}
				if got, want := word(site+off), movz0|uint32(p.Targets[tg].Value)<<5; got != want {
					t.Errorf("site+%d: %#08x, want movz x0, #%#x (%#08x)", off, got, p.Targets[tg].Value, want)
				}
				if got := word(site + off + 4); got != ret {
					t.Errorf("site+%d: %#08x, want ret", off+4, got)
				}
			}
			var jl *kernel.Loc
			for i, j := range lay.Jumps {
				if j.Name == "j1" {
					jl = &lay.Jumps[i]
				}
			}
			if jl == nil || jl.Addr != site || jl.Dest != site+12 || jl.Likely != c.likely || jl.Key != k || jl.Size != 4 {
				t.Errorf("jump entry: %+v", jl)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
