package image

import (
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// StaticKeys appends the scenario's static keys to p.Keys, after its
// static call keys, and returns their indices by name. Each static key
// has two targets of its own, "KEY.false" and "KEY.true", the two ways
// of its branches, returning valueBase plus the target's index (so the
// properties judge a branch as they judge a call); its initial target
// and key->enabled are those of its init= (DEFINE_STATIC_KEY_TRUE or
// _FALSE).
func StaticKeys(sc *scenario.Scenario, p *model.Program, valueBase int) map[string]int {
	keys := map[string]int{}
	for _, k := range sc.StaticKeys {
		keys[k.Name] = len(p.Keys)
		f, t := len(p.Targets), len(p.Targets)+1
		for i, way := range []string{"false", "true"} {
			p.Targets = append(p.Targets, model.TargetDef{Name: k.Name + "." + way, Value: uint64(valueBase + f + i)})
		}
		init, enabled := f, 0
		if k.Init {
			init, enabled = t, 1
		}
		p.Keys = append(p.Keys, model.KeyDef{Name: k.Name, Init: init, Jump: true, False: f, True: t, Enabled: enabled})
	}
	return keys
}

// JumpSite is a jump label site as a port writes it: a function of its
// own at Addr, as arch_static_branch() (or arch_static_branch_jump())
// leaves it in its caller,
//
//	Addr:             JUMP l_yes / NOP        (Size bytes: the window)
//	Addr+Size:        return the fall-through way
//	l_yes (Addr+Size+len(Way)): return the jump's way
//
// where a way is Way(value), the code that returns the value of one of
// the key's targets. For static_branch_unlikely() the fall-through is
// false and l_yes true; static_branch_likely() is the other way round.
type JumpSite struct {
	Addr uint64
	Size int
	// Jump encodes the jump from the site to l_yes; Nop is the NOP of
	// the site's size.
	Jump func(addr, dest uint64) []byte
	Nop  []byte
	// Way encodes a way's code; every way has the same length.
	Way func(value uint64) []byte
	// Module is 1 + the module of a module=M site (used only when the
	// scenario's jump names a module).
	Module int
}

// Jump lays out jump label site j of static key k (an index of p.Keys)
// at s: its two ways, its instruction as jump_label_init() leaves it
// (JUMP_LABEL_JMP, the jump, when key->enabled ^ branch, else the NOP),
// its window, whose contents at rest are the NOP or the jump as the key
// is false or true, its symbols, and its entry in Lay.Jumps. A module's
// site holds what the compiler emitted for the key's initial type
// (jump_label_init_type(), the same instruction): jump_label_add_module()
// patches it when the module loads if the key's type then differs.
func (b *Builder) Jump(j scenario.Jump, k int, s JumpSite) {
	p := b.P
	kd := p.Keys[k]
	fall, jump := kd.False, kd.True
	if j.Likely {
		fall, jump = jump, fall
	}
	n := uint64(s.Size)
	wayLen := uint64(len(s.Way(0)))
	lyes := s.Addr + n + wayLen
	for i, t := range []int{fall, jump} {
		at := s.Addr + n + wayLen*uint64(i)
		copy(b.At(at), s.Way(p.Targets[t].Value))
		b.Sym(j.Name+"."+p.Targets[t].Name[len(kd.Name)+1:], at, wayLen)
	}
	jmp := s.Jump(s.Addr, lyes)
	code := func(enabled bool) []byte {
		if enabled != j.Likely {
			return jmp // JUMP_LABEL_JMP: enabled ^ branch
		}
		return s.Nop
	}
	copy(b.At(s.Addr), code(kd.Enabled != 0))
	b.Sym(j.Name, s.Addr, n)
	w := b.Window(j.Name, s.Addr, s.Size, k)
	p.Windows[w].AtRest[kd.False] = [][]byte{code(false)}
	p.Windows[w].AtRest[kd.True] = [][]byte{code(true)}
	loc := kernel.Loc{Name: j.Name, Addr: s.Addr, Kind: kernel.KindJump, Key: k,
		Init: j.Section == scenario.SectionInit, Window: w, Likely: j.Likely, Dest: lyes, Size: s.Size}
	if j.Module != "" {
		loc.Module = s.Module
	}
	b.Lay.Jumps = append(b.Lay.Jumps, loc)
}
