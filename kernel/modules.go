package kernel

import (
	"github.com/patchcheck/patchcheck/model"
)

// modWalk walks key->mods in __static_call_update: start (Next false)
// begins with @first, whose sites are the key's built-in sites while it
// holds them; each later call moves to the next entry. It jumps to the
// block of the entry's sites (Blocks[0] vmlinux, Blocks[m+1] module m) or
// to Done at the end of the list.
//
// With Jump, it walks a static key's struct static_key_mod list in
// __jump_label_mod_update: start begins at key->next (static_key_mod()),
// which the key holds while it is linked.
type modWalk struct {
	lay    *Layout
	key    int
	Jump   bool
	Next   bool
	Blocks []int
	Done   int
}

// remap implements remapper.
func (r *modWalk) remap(f func(int) int) {
	r.Done = f(r.Done)
	for i, b := range r.Blocks {
		if b > 0 {
			r.Blocks[i] = f(b)
		}
	}
}

func (r *modWalk) Run(x *model.KernelExec) int {
	ts := &x.S.T[x.T]
	k := &x.S.K
	var cur uint8
	what, list := "__static_call_update", "static_call_mod"
	if r.Jump {
		what, list = "__jump_label_mod_update", "static_key_mod"
	}
	if !r.Next && r.Jump {
		cur = k.Mods[r.key]
	} else if !r.Next {
		if k.KeyType&(1<<r.key) != 0 {
			ts.Reg = 0
			if r.lay.Builtin[r.key] {
				x.Note("__static_call_update: %s's built-in sites", r.lay.Prog.Keys[r.key].Name)
				return r.Blocks[0]
			}
			return r.Done
		}
		cur = k.Mods[r.key]
	} else if ts.Reg != 0 {
		cur = k.Node[ts.Reg-1].Next
	}
	ts.Reg = cur
	if cur == 0 {
		x.Note("%s: end of %s's %s list", what, r.lay.Prog.Keys[r.key].Name, list)
		return r.Done
	}
	mod := k.Node[cur-1].Mod
	if mod == 0 {
		x.Note("%s: %s of vmlinux", what, list)
	} else {
		x.Note("%s: %s of %s", what, list, x.P.ModuleName(int(mod)-1))
	}
	return r.Blocks[mod]
}

// routine appends r to the program and emits the op that runs it.
func routine(e *Emitter, lay *Layout, r model.Routine) int {
	lay.Prog.Routines = append(lay.Prog.Routines, r)
	return e.Emit(model.Op{Code: model.OpRoutine, A: len(lay.Prog.Routines) - 1})
}
