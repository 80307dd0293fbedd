package ppc_test

import (
	"strings"
	"testing"

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
	sc, err := scenario.Parse("j.scn", []byte(jumpScenario), nil)
	if err != nil {
		t.Fatal(err)
	}
	port := ppc.Port32{}
	arch, err := port.Arch("", "")
	if err != nil {
		t.Fatal(err)
	}
	lay, err := port.Layout(sc, arch)
	if err != nil {
		t.Fatal(err)
	}
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
		{"jump x key=off section=init", "jump x: init sites are not modelled on powerpc (patch_instruction's init_mem_is_free check)"},
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
