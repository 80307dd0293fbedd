package kernel

import (
	"encoding/binary"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// The built-ins of text patching (x86's text_poke_early, memcpy into
// text and the smp_text_poke_* family of arch/x86/kernel/alternative.c):
// each is one op of the machine, or a test the thread makes of its own
// state (docs/language.md lists them with the kernel lines they stand
// for).

// pokeBuiltin compiles call x when it is one of text patching's
// built-ins; ok is false otherwise.
func (c *kc) pokeBuiltin(f *fnCtx, x *lang.Call, pure bool) (v val, ok bool) {
	arg, _ := c.builtinArgs(f, x, pure)
	nargs := func(n int) {
		if pure {
			panic(notStatic{})
		}
		if len(x.Args) != n {
			panic(compileError(x.Pos, "%s takes %d arguments", x.Fun, n))
		}
	}
	if v, ok := c.portValue(f, x, pure); ok {
		return v, true
	}
	switch x.Fun {
	case "ALIGN_DOWN":
		if len(x.Args) != 2 {
			panic(compileError(x.Pos, "ALIGN_DOWN takes (x, a)"))
		}
		a, b := c.addr(x.Pos, arg(0)), arg(1)
		if a.k != vInt || b.k != vInt || b.n <= 0 || b.n&(b.n-1) != 0 {
			panic(compileError(x.Pos, "%s: a number and a power of two the compiler knows", exprString(x)))
		}
		return intv(a.n &^ (b.n - 1)), true
	case "le32_to_cpup":
		// A read of text that no thread patches (a trampoline's adrp):
		// the image's bytes, when compiling.
		if len(x.Args) != 1 {
			panic(compileError(x.Pos, "le32_to_cpup takes one pointer"))
		}
		a := c.addr(x.Pos, arg(0))
		if a.k != vInt {
			panic(compileError(x.Pos, "%s: not an address the compiler knows", exprString(x)))
		}
		b, ok := c.imageBytes(uint64(a.n), 4)
		if !ok {
			panic(compileError(x.Pos, "%s: %#x is patchable text or no text of the image: the model reads only text no thread writes when compiling", exprString(x), a.n))
		}
		return intv(int(binary.LittleEndian.Uint32(b))), true
	case "aarch64_insn_write_literal_u64":
		// arch/arm64/kernel/patching.c: the 64-bit literal written
		// through the fixmap under patch_lock, in one store (a single-copy
		// atomic aligned doubleword).
		nargs(2)
		a := c.addr(x.Pos, arg(0))
		v := arg(1)
		var n uint64
		switch v.k {
		case vTarget:
			n = c.lay.Prog.Targets[v.a].Addr
		case vInt:
			n = uint64(v.n)
		case vNull:
		default:
			panic(compileError(lang.ExprPos(x.Args[1]), "%s: not a value the compiler knows", exprString(x.Args[1])))
		}
		if a.k != vInt {
			panic(compileError(x.Pos, "%s: not an address the compiler knows", exprString(x.Args[0])))
		}
		c.patchable(x, uint64(a.n), 8)
		b, l := Bytes(binary.LittleEndian.AppendUint64(nil, n))
		i := c.op(x.Pos, model.Op{Code: model.OpPoke, Addr: uint64(a.n), Bytes: b, Len: l})
		c.e.Ops[i].Fn = x.Fun
		return intv(0), true
	case "aarch64_insn_write":
		// arch/arm64/kernel/patching.c: the 32-bit store through the
		// fixmap alias; not yet coherent with instruction fetch (unless
		// the CPU's CTR_EL0.DIC makes it so) until caches_clean_inval_pou.
		nargs(2)
		b := c.gen(x, x.Fun, []val{arg(1)})
		c.textStore(x, arg(0), b, len(b))
		op := &c.e.Ops[len(c.e.Ops)-1]
		op.Fn = x.Fun
		if cf, ok := c.lay.Prog.Arch.(interface{ CoherentFetch() bool }); !ok || !cf.CoherentFetch() {
			op.B = model.PokeNoMaint
		}
		return intv(0), true
	case "caches_clean_inval_pou":
		// DC CVAU; DSB ISH; IC IVAU; DSB ISH over [start, end) on the
		// patching CPU (arch/arm64/mm/cache.S).
		nargs(2)
		lo, hi := c.addr(x.Pos, arg(0)), c.addr(x.Pos, arg(1))
		if lo.k == vInt && hi.k == vInt && uint64(hi.n) <= uint64(lo.n) {
			// cache.S's loops (dcache_by_line_op, invalidate_icache_by_line)
			// test start < end after the first line: an end at or below
			// start (the posted arm64 v5/v6 transform passes a size)
			// maintains the one line that holds start. The model's line is
			// 16 bytes (docs/semantics.md §11).
			hi.n = lo.n&^(cacheLine-1) + cacheLine
			lo.n &^= cacheLine - 1
		}
		if lo.k != vInt || hi.k != vInt || uint64(hi.n) <= uint64(lo.n) || hi.n-lo.n > 0xff {
			panic(compileError(x.Pos, "%s: a range of text the compiler knows", exprString(x)))
		}
		i := c.op(x.Pos, model.Op{Code: model.OpCacheMaint, Addr: uint64(lo.n), Len: uint8(hi.n - lo.n)})
		c.e.Ops[i].Fn = x.Fun
		return val{}, true
	case "smp_call_function":
		// smp_call_function(do_nothing, NULL, 1) of kick_all_cpus_sync():
		// every other CPU takes the IPI (exception entry and return are
		// context synchronising), and the caller waits for them.
		nargs(3)
		c.ipiAll(x, arg(2), "do_nothing", "smp_call_function(do_nothing): IPI sent", "every CPU took the IPI")
		return val{}, true
	case "aarch64_insn_patch_text":
		// aarch64_insn_patch_text(&addr, &insn, 1): stop_machine(); the
		// last CPU in writes, the others spin, then each runs isb
		// (arch/arm64/kernel/patching.c aarch64_insn_patch_text_cb): one step.
		nargs(3)
		a, w, n := arg(0), arg(1), arg(2)
		if a.k != vRef || w.k != vRef || n.k != vInt || n.n != 1 {
			panic(compileError(x.Pos, "%s: the model patches one instruction: aarch64_insn_patch_text(&addr, &insn, 1)", exprString(x)))
		}
		b := c.gen(x, "aarch64_insn_write", []val{*w.ref})
		c.textStore(x, *a.ref, b, len(b))
		op := &c.e.Ops[len(c.e.Ops)-1]
		op.Fn = x.Fun
		op.B = model.PokeStopMachine
		return intv(0), true
	case "ppc_inst", "cpu_to_le32":
		// ppc_inst(x) and cpu_to_le32(x) (the model's arm64 is
		// little-endian): the value itself.
		return arg(0), true
	case "__aarch64_insn_write":
		nargs(3)
		return c.insnWrite(f, x, arg), true
	case "patch_instruction", "patch_ulong":
		// powerpc's patch_instruction(addr, insn) and patch_ulong(addr,
		// val) (arch/powerpc/lib/code-patching.c): one store of the
		// word the port encodes, with its dcbst; sync; icbi; sync; isync.
		nargs(2)
		b := c.gen(x, x.Fun, []val{arg(1)})
		c.textStore(x, arg(0), b, len(b))
		c.e.Ops[len(c.e.Ops)-1].Fn = x.Fun
		return intv(0), true
	case "patch_branch":
		// patch_branch(addr, target, flags): create_branch(), then
		// patch_instruction(); -ERANGE when the target is out of reach
		// (the port's encoder gives no word).
		nargs(3)
		b := c.gen(x, x.Fun, []val{arg(0), arg(1), arg(2)})
		if b == nil {
			return intv(-34), true // -ERANGE
		}
		c.textStore(x, arg(0), b, len(b))
		c.e.Ops[len(c.e.Ops)-1].Fn = x.Fun
		return intv(0), true
	case "text_gen_insn":
		// text_gen_insn(opcode, addr, dest): the port's encoding, when
		// compiling.
		if len(x.Args) != 3 {
			panic(compileError(x.Pos, "text_gen_insn takes (opcode, addr, dest)"))
		}
		return val{k: vBytes, s: string(c.gen(x, "text_gen_insn", []val{arg(0), arg(1), arg(2)}))}, true
	case "__text_gen_insn":
		// __text_gen_insn(buf, opcode, addr, dest, size): into an array
		// local, or into text (x86's __static_call_update_early writes
		// the trampoline with it).
		nargs(5)
		b := c.gen(x, "__text_gen_insn", []val{arg(1), arg(2), arg(3), arg(4)})
		if c.arrayStore(f, x.Args[0], b) {
			return val{}, true
		}
		c.textStore(x, arg(0), b, len(b))
		return val{}, true
	case "memcpy":
		// memcpy(text, bytes, len): a store to text (text_poke_early's).
		nargs(3)
		b, n := c.bytesArg(x, 1, arg(1)), arg(2)
		if n.k != vInt || n.n <= 0 || n.n > len(b) {
			panic(compileError(x.Pos, "%s: the length is a constant within the bytes copied", exprString(x)))
		}
		c.textStore(x, arg(0), b, n.n)
		return val{}, true
	case "on_each_cpu":
		// on_each_cpu(do_sync_core, NULL, 1): the IPI that makes every
		// CPU serialise, and the wait for all of them.
		nargs(3)
		c.ipiAll(x, arg(2), "do_sync_core", "", "")
		return val{}, true
	case "__smp_text_poke_batch_add":
		nargs(4)
		a := c.addr(x.Pos, arg(0))
		code, n := c.bytesArg(x, 1, arg(1)), arg(2)
		if a.k != vInt || n.k != vInt || n.n <= 0 || n.n > len(code) || n.n > model.WinSize {
			panic(compileError(x.Pos, "%s: an instruction of a site or trampoline, of a constant length", exprString(x)))
		}
		emulate := code
		if e := arg(3); e.k != vNull {
			emulate = c.bytesArg(x, 3, e)
		}
		b, l := Bytes(code[:n.n])
		eb, _ := Bytes(emulate)
		c.op(x.Pos, model.Op{Code: model.OpPokeAdd, Addr: uint64(a.n), Bytes: b, Len: l, Emul: eb})
		return val{}, true
	case "text_poke_addr_ordered":
		// Whether addr may join the queued entries without breaking
		// their order: a test of the thread's own text_poke_array.
		nargs(1)
		a := c.addr(x.Pos, arg(0))
		if a.k != vInt {
			panic(compileError(x.Pos, "%s: not a site or trampoline", exprString(x)))
		}
		panic(needValue{x: x, emit: func() (no, yes []int) {
			yes = []int{c.op(x.Pos, model.Op{Code: model.OpJumpIfPokeOrdered, Addr: uint64(a.n)})}
			no = []int{c.e.Emit(model.Op{Code: model.OpJump})}
			return no, yes
		}})
	case "text_poke_array_refs_set":
		nargs(0)
		if last := c.lastOp(model.OpPokeAdd); last != nil {
			// Nothing reads the entry just added before the refs are
			// set: the two are one step (docs/semantics.md §11).
			last.B |= model.PokeAddArm
			return val{}, true
		}
		c.op(x.Pos, model.Op{Code: model.OpPokeArm})
		return val{}, true
	case "text_poke_array_int3":
		nargs(0)
		c.op(x.Pos, model.Op{Code: model.OpPokeRound, A: model.PokeInt3})
		return val{}, true
	case "text_poke_array_tail", "text_poke_array_first":
		nargs(0)
		round := model.PokeTail
		if x.Fun == "text_poke_array_first" {
			round = model.PokeFirst
		}
		panic(needValue{x: x, emit: func() (no, yes []int) {
			no = []int{c.op(x.Pos, model.Op{Code: model.OpJumpIfNoPoke, A: round})}
			c.op(x.Pos, model.Op{Code: model.OpPokeRound, A: round})
			yes = []int{c.e.Emit(model.Op{Code: model.OpJump})}
			return no, yes
		}})
	case "text_poke_array_refs_put":
		nargs(0)
		c.op(x.Pos, model.Op{Code: model.OpPokePut})
		return val{}, true
	case "text_poke_array_refs_wait":
		nargs(0)
		c.op(x.Pos, model.Op{Code: model.OpPokeWait, B: model.PokeKeep})
		return val{}, true
	}
	return val{}, false
}

// cacheLine is the cache line the model's caches_clean_inval_pou
// maintains when its end is not above its start: 16 bytes, the 16-byte
// aligned run that holds start (docs/semantics.md §11).
const cacheLine = 16

// pokeEntries is the value of text_poke_array.nr_entries: none right
// after __smp_text_poke_batch_add (nothing else can have emptied it),
// else a test of the thread's own text_poke_array.
func (c *kc) pokeEntries(x *lang.Member, pure bool) val {
	if c.lastOp(model.OpPokeAdd) != nil {
		return val{k: vPokeSome}
	}
	if pure {
		panic(notStatic{})
	}
	vals := [2]val{intv(0), {k: vPokeSome}}
	panic(needValue{x: x, vals: &vals, emit: func() (no, yes []int) {
		no = []int{c.op(x.Pos, model.Op{Code: model.OpJumpIfNoPoke, A: model.PokeInt3})}
		yes = []int{c.e.Emit(model.Op{Code: model.OpJump})}
		return no, yes
	}})
}

// pokeEntriesZero compiles text_poke_array.nr_entries = 0: one step with
// the wait for text_poke_array_refs just before it (nothing reads the
// entries once every count is 0), else a step of its own.
func (c *kc) pokeEntriesZero(pos lang.Pos) {
	if last := c.lastOp(model.OpPokeWait); last != nil && last.B&model.PokeKeep != 0 {
		last.B &^= model.PokeKeep
		return
	}
	c.op(pos, model.Op{Code: model.OpPokeWait, B: model.PokeNoWait})
}

// gen evaluates the port's instruction generator name on args.
func (c *kc) gen(x *lang.Call, name string, args []val) []byte {
	mp, ok := c.port.(ModelTransformPort)
	if !ok {
		panic(compileError(x.Pos, "%s: this architecture's model source has no %s", exprString(x), name))
	}
	ns := make([]uint64, len(args))
	for i, a := range args {
		switch a = c.addr(x.Pos, a); a.k {
		case vInt:
			ns[i] = uint64(a.n)
		case vNull:
		case vTarget:
			ns[i] = c.lay.Prog.Targets[a.a].Addr
		default:
			panic(compileError(lang.ExprPos(x.Args[len(x.Args)-len(args)+i]), "%s: not a number or an address the scenario fixes", exprString(x.Args[len(x.Args)-len(args)+i])))
		}
	}
	b, err := mp.Gen(name, ns)
	if err != nil {
		panic(compileError(x.Pos, "%s: %v", exprString(x), err))
	}
	return b
}

// bytesArg returns argument i of x as bytes: a constant array, an array
// local or an instruction generated when compiling.
func (c *kc) bytesArg(x *lang.Call, i int, v val) []byte {
	if v.k != vBytes {
		panic(compileError(lang.ExprPos(x.Args[i]), "%s: not bytes the compiler knows (a constant array, an array local, text_gen_insn)", exprString(x.Args[i])))
	}
	return []byte(v.s)
}

// textStore emits the store of b[:n] to the text at dst.
func (c *kc) textStore(x *lang.Call, dst val, b []byte, n int) {
	a := c.addr(x.Pos, dst)
	if a.k != vInt {
		panic(compileError(x.Pos, "%s: not the text of a site or trampoline", exprString(x.Args[0])))
	}
	if n > model.WinSize {
		panic(compileError(x.Pos, "%s: the model stores at most %d bytes of text at once", exprString(x), model.WinSize))
	}
	c.patchable(x, uint64(a.n), n)
	ob, l := Bytes(b[:n])
	c.op(x.Pos, model.Op{Code: model.OpPoke, Addr: uint64(a.n), Bytes: ob, Len: l})
}

// arrayStore writes b into the array local dst names (buf or buf+N);
// false when dst is no array local.
func (c *kc) arrayStore(f *fnCtx, dst lang.Expr, b []byte) bool {
	off := 0
	if bin, ok := dst.(*lang.Binary); ok && bin.Op == "+" {
		n, ok := c.static(f, bin.Y)
		if !ok || n.k != vInt {
			return false
		}
		off, dst = n.n, bin.X
	}
	id, ok := dst.(*lang.Ident)
	if !ok {
		return false
	}
	p, ok := f.vars[id.Name]
	if !ok || p.k != vArr {
		return false
	}
	if off < 0 || off+len(b) > len(p.s) {
		panic(compileError(lang.ExprPos(dst), "%s: %d bytes at %d past the end of %s[%d]", exprString(dst), len(b), off, id.Name, len(p.s)))
	}
	s := []byte(p.s)
	copy(s[off:], b)
	p.s = string(s)
	return true
}

// arrayElem assigns element i of array local name.
func (c *kc) arrayElem(f *fnCtx, x *lang.Assign, ix *lang.Index) bool {
	id, ok := ix.X.(*lang.Ident)
	if !ok {
		return false
	}
	p, ok := f.vars[id.Name]
	if !ok || p.k != vArr {
		return false
	}
	i, iok := c.static(f, ix.I)
	v, vok := c.static(f, x.R)
	if x.Op != "=" || !iok || !vok || i.k != vInt || v.k != vInt || i.n < 0 || i.n >= len(p.s) {
		panic(compileError(x.Pos, "%s: an array local's element is set to a constant, at a constant index within it", exprString(x)))
	}
	s := []byte(p.s)
	s[i.n] = byte(v.n)
	p.s = string(s)
	return true
}

// arrayLocal declares the array local d (u8 buf[N]).
func (c *kc) arrayLocal(f *fnCtx, d lang.VarDecl) {
	n, ok := c.static(f, d.Len)
	if !ok || n.k != vInt || n.n <= 0 || n.n > 64 {
		panic(compileError(d.Pos, "%s[%s]: an array local's length is a constant from 1 to 64", d.Name, exprString(d.Len)))
	}
	f.vars[d.Name] = &val{k: vArr, s: string(make([]byte, n.n))}
}

// portValue evaluates a value function of the port's ISA (arm64's
// aarch64_insn_adrp_get_offset); ok is false for a name the port does
// not have.
func (c *kc) portValue(f *fnCtx, x *lang.Call, pure bool) (val, bool) {
	mp, ok := c.port.(ModelTransformPort)
	if !ok {
		return val{}, false
	}
	if _, ok, _ := mp.Value(x.Fun, nil); !ok {
		return val{}, false
	}
	args := make([]uint64, len(x.Args))
	for i, a := range x.Args {
		// A call of a model function in an argument
		// (is_offset_in_branch_range(ppc_function_entry(target) - ...))
		// is compiled; its value must be one the compiler knows.
		v := c.number(lang.ExprPos(a), c.value(f, a, pure))
		if v.k != vInt {
			panic(compileError(lang.ExprPos(a), "%s: not a number the compiler knows", exprString(a)))
		}
		args[i] = uint64(v.n)
	}
	n, _, err := mp.Value(x.Fun, args)
	if err != nil {
		panic(compileError(x.Pos, "%s: %v", exprString(x), err))
	}
	return intv(int(n)), true
}

// imageBytes returns n bytes of the image at addr when no patchable
// window holds any of them.
func (c *kc) imageBytes(addr uint64, n int) ([]byte, bool) {
	p := c.lay.Prog
	for _, w := range p.Windows {
		if addr < w.Base+uint64(w.Size) && w.Base < addr+uint64(n) {
			return nil, false
		}
	}
	r := p.RegionOf(addr)
	if r < 0 {
		return nil, false
	}
	reg := p.Regions[r]
	off := addr - reg.Base
	if off+uint64(n) > uint64(len(reg.Bytes)) {
		return nil, false
	}
	return reg.Bytes[off : off+uint64(n)], true
}

// patchable stops the compilation where a store of n bytes at addr is
// not within one patchable window: the model tracks stores to them only.
func (c *kc) patchable(x *lang.Call, addr uint64, n int) {
	if c.probe {
		if c.lay.Prog.RegionOf(addr) < 0 || c.lay.Prog.RegionOf(addr+uint64(n)-1) != c.lay.Prog.RegionOf(addr) {
			panic(compileError(x.Pos, "%s: %#x+%d is not in the image", exprString(x), addr, n))
		}
		return
	}
	for _, w := range c.lay.Prog.Windows {
		if addr >= w.Base && addr+uint64(n) <= w.Base+uint64(w.Size) {
			return
		}
	}
	panic(compileError(x.Pos, "%s: %#x+%d is no patchable text or literal of the model (a site, a trampoline's patched bytes or its literal)", exprString(x), addr, n))
}

// ipiAll compiles x, a call that runs fn on every other CPU by IPI and
// waits (wait, its last argument, is 1): the IPI sent, then the wait for
// every CPU, with the trace messages sent and done ("": the machine's).
func (c *kc) ipiAll(x *lang.Call, wait val, fn, sent, done string) {
	if id, ok := x.Args[0].(*lang.Ident); !ok || id.Name != fn {
		panic(compileError(x.Pos, "%s: the model's %s runs %s", exprString(x), x.Fun, fn))
	}
	if wait.k != vInt || wait.n != 1 {
		panic(compileError(x.Pos, "%s: the model's %s waits (wait = 1)", exprString(x), x.Fun))
	}
	c.op(x.Pos, model.Op{Code: model.OpSync, Msg: sent})
	c.op(x.Pos, model.Op{Code: model.OpSyncWait, Msg: done})
}

// lastOp returns the op just emitted when it is of code and no jump lands
// after it (so that every path to the next op comes through it), else nil.
func (c *kc) lastOp(code model.OpCode) *model.Op {
	n := len(c.e.Ops)
	if n == 0 || c.e.Ops[n-1].Code != code || c.e.Joined() {
		return nil
	}
	return &c.e.Ops[n-1]
}
