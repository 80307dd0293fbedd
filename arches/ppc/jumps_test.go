package ppc_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/internal/porttest"
	"github.com/patchcheck/patchcheck/arches/ppc"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

const jumpScenario = `scenario j
arch ppc32
target f1
key k init=f1
site s1 key=k kind=call
static_key off
static_key on init=true
jump u key=off
jump l key=off branch=likely
jump v key=on
cpu u l v s1
thread t: static_key_enable off
`

// TestLayoutJumps: PPC32 lays out each jump label site as a function of
// its own, one word of the caller's, then the site (nop or b l_yes), then
// the two ways; the site holds what the compiler emitted for its key's
// initial value (b l_yes when enabled ^ branch), and each way's contents
// at rest.
func TestLayoutJumps(t *testing.T) {
	lay := porttest.Layout(t, ppc.Port32{}, jumpScenario)
	p := lay.Prog
	if len(p.Keys) != 3 || !p.Keys[1].Jump || !p.Keys[2].Jump || p.Keys[1].Enabled != 0 || p.Keys[2].Enabled != 1 {
		t.Fatalf("keys: %+v", p.Keys)
	}
	word := func(addr uint64) string {
		r := p.RegionOf(addr)
		b := p.Regions[r].Bytes[addr-p.Regions[r].Base:][:4]
		return ppc.Disasm(b, addr, p.Sym)
	}
	for i, c := range []struct {
		name, key     string
		likely        bool
		init          string // the site's word after jump_label_init
		false_, true_ string // the site's word at rest for the key false, true
	}{
		{name: "u", key: "off", init: "nop", false_: "nop", true_: "b u.true"},
		{name: "l", key: "off", likely: true, init: "b l.false", false_: "b l.false", true_: "nop"},
		{name: "v", key: "on", init: "b v.true", false_: "nop", true_: "b v.true"},
	} {
		j := lay.Jumps[i]
		kd := p.Keys[j.Key]
		if j.Name != c.name || kd.Name != c.key || j.Likely != c.likely || j.Size != 4 || j.Kind != kernel.KindJump {
			t.Errorf("jump %d: %+v of key %s", i, j, kd.Name)
			continue
		}
		if got := word(j.Addr - 4); got != "nop" {
			t.Errorf("%s: the caller's word before the site is %q, want nop", c.name, got)
		}
		if got := word(j.Addr); got != c.init {
			t.Errorf("%s: %q after jump_label_init, want %q", c.name, got, c.init)
		}
		if j.Dest != j.Addr+12 || p.Sym(j.Dest) != c.name+"."+map[bool]string{false: "true", true: "false"}[c.likely] {
			t.Errorf("%s: l_yes at %#x (%s), want the site+12, the jump's way", c.name, j.Dest, p.Sym(j.Dest))
		}
		// The ways: li r3,VALUE; blr, the fall-through first.
		for k, way := range []uint64{j.Addr + 4, j.Addr + 12} {
			tgt := kd.False
			if (k == 1) != c.likely {
				tgt = kd.True
			}
			if got, want := word(way), "li r3,"; !strings.HasPrefix(got, want) || word(way+4) != "blr" {
				t.Errorf("%s: way %d is %q; %q", c.name, k, got, word(way+4))
			}
			r := p.RegionOf(way)
			b := p.Regions[r].Bytes[way-p.Regions[r].Base:]
			if v := uint64(b[2])<<8 | uint64(b[3]); v != p.Targets[tgt].Value {
				t.Errorf("%s: way %d returns %#x, want %s's %#x", c.name, k, v, p.Targets[tgt].Name, p.Targets[tgt].Value)
			}
		}
		w := p.Windows[j.Window]
		if w.Base != j.Addr || w.Size != 4 || w.Key != j.Key {
			t.Errorf("%s: window %+v", c.name, w)
		}
		for tgt, want := range map[int]string{kd.False: c.false_, kd.True: c.true_} {
			if len(w.AtRest[tgt]) != 1 || ppc.Disasm(w.AtRest[tgt][0], j.Addr, p.Sym) != want {
				t.Errorf("%s: at rest for %s: %x, want %s", c.name, p.Targets[tgt].Name, w.AtRest[tgt], want)
			}
		}
	}
	// The CPU calls each site's function, one word before the site.
	calls := p.CPUs[0].Calls
	if len(calls) != 4 || calls[0].Entry != lay.Jumps[0].Addr-4 || calls[2].Key != lay.Jumps[2].Key || calls[3].Key != 0 {
		t.Errorf("calls: %+v", calls)
	}
}

// TestJumpLabelUpdateNotBatched: powerpc has no HAVE_JUMP_LABEL_BATCH,
// so the core's __jump_label_update is the version that calls
// arch_jump_label_transform per entry (patch_branch for the unlikely
// site, patch_instruction for the likely one), with no queue and no
// apply.
func TestJumpLabelUpdateNotBatched(t *testing.T) {
	sc, err := scenario.Parse("j.scn", []byte(jumpScenario), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := kernel.Build(sc, ppc.Port32{})
	if err != nil {
		t.Fatal(err)
	}
	var writes []string
	for _, th := range prog.Threads {
		for _, op := range th.Ops {
			if strings.Contains(op.Fn, "queue") || strings.Contains(op.Fn, "apply") || strings.Contains(op.Fn, "batch") {
				t.Errorf("an op of %s", op.Fn)
			}
			if op.Code == model.OpPoke {
				writes = append(writes, op.Fn)
			}
		}
	}
	// The compiled code has a path for each value key->enabled may hold
	// where jump_label_type() reads it: some write each site both ways.
	if got := strings.Join(writes, " "); !strings.HasPrefix(got, "patch_branch patch_instruction") || strings.Count(got, " ")+1 != 4 {
		t.Errorf("text writes of static_key_enable: %s, want patch_branch patch_instruction first, four in all", got)
	}
}

// TestJumpErrors: what the powerpc ports do not take of a jump site.
func TestJumpErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"jump x key=off size=2", "jump x: size=2: a powerpc jump label site is one 4-byte word, nop or b (JUMP_LABEL_NOP_SIZE, arch/powerpc/include/asm/jump_label.h); size= is x86-64's"},
	} {
		text := strings.Replace(jumpScenario, "jump u key=off\n", "jump u key=off\n"+c.line+"\n", 1)
		sc, err := scenario.Parse("j.scn", []byte(text), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kernel.Build(sc, ppc.Port32{}); err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %s", c.line, err, c.want)
		}
	}
}

const moduleJumps = `scenario jm
arch ARCH
module m
static_key k
jump j0 key=k
jump ji key=k section=init
jump j1 key=k module=m
jump j2 key=k module=m section=init branch=likely
cpu j0 ji j1 j2
thread t: static_key_enable k
thread l: load m; unload m
`

// TestLayoutInitAndModuleJumps: on PPC32 and powerpc64 a vmlinux init
// jump site is in an .init.text region (Region.Init, lay.InitText), a
// module's sites in the module's .text and .init.text regions
// (Program.Modules), each as the compiler emitted it for the key's
// initial type; a CPU calls a module's site only while the module's
// text (init text) is there (CallDef.Module, ModInit).
func TestLayoutInitAndModuleJumps(t *testing.T) {
	for _, c := range []struct {
		arch string
		port kernel.Port
	}{{"ppc32", ppc.Port32{}}, {"ppc64", ppc.Port64{}}} {
		lay := porttest.Layout(t, c.port, strings.Replace(moduleJumps, "ARCH", c.arch, 1))
		p := lay.Prog
		if lay.InitText < 0 || !p.Regions[lay.InitText].Init || p.Regions[lay.InitText].Name != ".init.text" {
			t.Fatalf("%s: init text region %d", c.arch, lay.InitText)
		}
		if len(p.Modules) != 1 {
			t.Fatalf("%s: modules %v", c.arch, p.Modules)
		}
		text, init := p.Modules[0][0], p.Modules[0][1]
		if p.Regions[text].Name != "m.text" || p.Regions[init].Name != "m.init.text" || p.Regions[text].Init || p.Regions[init].Init {
			t.Fatalf("%s: module regions %s, %s", c.arch, p.Regions[text].Name, p.Regions[init].Name)
		}
		for _, w := range []struct {
			name   string
			region int
			module int
			init   bool
			word   string
		}{
			{"j0", p.RegionOf(lay.Jumps[0].Addr), 0, false, "nop"},
			{"ji", lay.InitText, 0, true, "nop"},
			{"j1", text, 1, false, "nop"},
			{"j2", init, 1, true, "b j2.false"},
		} {
			var j kernel.Loc
			for _, l := range lay.Jumps {
				if l.Name == w.name {
					j = l
				}
			}
			if p.RegionOf(j.Addr) != w.region || j.Module != w.module || j.Init != w.init {
				t.Errorf("%s %s: in region %d, module %d, init %v; want %d, %d, %v", c.arch, w.name, p.RegionOf(j.Addr), j.Module, j.Init, w.region, w.module, w.init)
			}
			r := p.RegionOf(j.Addr)
			if got := ppc.Disasm(p.Regions[r].Bytes[j.Addr-p.Regions[r].Base:][:4], j.Addr, p.Sym); got != w.word {
				t.Errorf("%s %s: %q, want %q", c.arch, w.name, got, w.word)
			}
		}
		calls := p.CPUs[0].Calls
		if len(calls) != 4 || calls[0].Module != 0 || calls[1].Module != 0 || calls[2].Module != 1 || calls[2].ModInit || calls[3].Module != 1 || !calls[3].ModInit {
			t.Errorf("%s: calls %+v", c.arch, calls)
		}
	}
}

// TestModuleJumpErrors: a powerpc module that is loaded, or has jump
// label sites, carries nothing else; static call sites stay out of init
// text and modules.
func TestModuleJumpErrors(t *testing.T) {
	for _, c := range []struct{ arch, old, new, want string }{
		{"ppc64", "static_key k\n", "target f1\nplace f1 module=m\nkey c init=f1\ncaller c1 key=c\nstatic_key k\n",
			"place f1: module m: on powerpc a module that is loaded or has jump label sites carries only jump label sites"},
		{"ppc64", "static_key k\n", "target f1\nkey c init=f1 module=m\nstatic_key k\n",
			"key c: module m: on powerpc a module that is loaded or has jump label sites carries only jump label sites"},
		{"ppc32", "static_key k\n", "target f1\nkey c init=f1\nsite s1 key=c kind=call section=init\nstatic_key k\n",
			"site s1: init static call sites are not modelled on powerpc"},
		{"ppc32", "thread l: load m; unload m\n", "thread l: load m; unload m\nthread p: kprobe s1\n", ""},
	} {
		text := strings.Replace(strings.Replace(moduleJumps, "ARCH", c.arch, 1), c.old, c.new, 1)
		if c.want == "" {
			// Kprobes stay x86's: only load and unload are
			// powerpc's lifecycle operations.
			text = strings.Replace(text, "static_key k\n", "target f1\nkey c init=f1\nsite s1 key=c kind=call\nstatic_key k\n", 1)
			c.want = "thread p: kprobes are not modelled on powerpc"
		}
		sc, err := scenario.Parse("jm.scn", []byte(text), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.want, err)
		}
		port := kernel.Port(ppc.Port32{})
		if c.arch == "ppc64" {
			port = ppc.Port64{}
		}
		if _, err := kernel.Build(sc, port); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}
