package kernel

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// Struct locals (struct NAME x; of a struct the model files define at
// top level) whose fields are integers or arrays of them: the bytes a
// transform builds before it writes them to text in one call (the
// literal and the two instructions of arm64's v5/v6 trampolines, written
// by __aarch64_insn_write(tramp - 8, &insns, sizeof(insns))). Each field
// is set to a value the compiler knows; the struct's bytes are its
// fields in order, little-endian (the model's arm64 is little-endian:
// cpu_to_le32 is the identity), with no padding, which the model
// rejects.

// recordSlot is one integer of a struct local: a field, or an element of
// an array field (name[i]).
type recordSlot struct {
	name      string
	off, size int
}

// intSize is the size of an integer type of the model language, 0 for
// any other type.
func intSize(t lang.Type) int {
	if t.Ptr != 0 {
		return 0
	}
	switch strings.Join(t.Words, " ") {
	case "u64", "__le64", "s64", "unsigned long", "long", "uintptr_t":
		return 8
	case "u32", "__le32", "s32", "int", "unsigned int":
		return 4
	case "u16", "__le16", "s16":
		return 2
	case "u8", "s8", "char", "unsigned char":
		return 1
	}
	return 0
}

// recordLayout returns the integers of struct name, in order, and its
// size; ok is false for a struct that is not a run of integers without
// padding.
func (c *kc) recordLayout(pos lang.Pos, name string) ([]recordSlot, int) {
	st, ok := c.structs[name]
	if !ok {
		panic(compileError(pos, "struct %s: not a struct of the model files", name))
	}
	var out []recordSlot
	off := 0
	for _, fd := range st.Fields {
		n := intSize(fd.Type)
		if n == 0 {
			panic(compileError(fd.Pos, "struct %s: field %s: a struct local's fields are integers or arrays of them", name, fd.Name))
		}
		if off%n != 0 {
			panic(compileError(fd.Pos, "struct %s: field %s at offset %d: not aligned to its size (the model knows no padding)", name, fd.Name, off))
		}
		if fd.Len == nil {
			out = append(out, recordSlot{name: fd.Name, off: off, size: n})
			off += n
			continue
		}
		l, ok := constExpr(fd.Len, c.enums)
		if !ok || l <= 0 || l > model.WinSize {
			panic(compileError(fd.Pos, "struct %s: field %s: an array field's length is a constant from 1 to %d", name, fd.Name, model.WinSize))
		}
		for i := 0; i < l; i++ {
			out = append(out, recordSlot{name: fmt.Sprintf("%s[%d]", fd.Name, i), off: off, size: n})
			off += n
		}
	}
	return out, off
}

// recordLocal declares the struct local d, when it is one (struct NAME x;
// of a struct of the model files, with no initialiser).
func (c *kc) recordLocal(f *fnCtx, d lang.VarDecl) bool {
	t := d.Type
	if t.Ptr != 0 || len(t.Words) != 2 || t.Words[0] != "struct" || d.Init != nil || d.Len != nil {
		return false
	}
	st, ok := c.structs[t.Words[1]]
	if !ok {
		return false
	}
	for _, fd := range st.Fields {
		if intSize(fd.Type) == 0 {
			return false // another kind of struct local (x86's struct jump_label_patch)
		}
	}
	c.recordLayout(d.Pos, t.Words[1])
	f.vars[d.Name] = &val{k: vRecord, s: t.Words[1], fields: map[string]val{}}
	return true
}

// recordAssign compiles x.field = v and x.field[i] = v of a struct local
// x; false when x.L is neither.
func (c *kc) recordAssign(f *fnCtx, x *lang.Assign) bool {
	var m *lang.Member
	idx := -1
	switch l := x.L.(type) {
	case *lang.Member:
		m = l
	case *lang.Index:
		mm, ok := l.X.(*lang.Member)
		if !ok {
			return false
		}
		m = mm
		i, ok := c.static(f, l.I)
		if !ok || i.k != vInt {
			panic(compileError(x.Pos, "%s: the index is a constant", exprString(x.L)))
		}
		idx = i.n
	default:
		return false
	}
	id, ok := m.X.(*lang.Ident)
	if !ok || m.Arrow {
		return false
	}
	p, ok := f.vars[id.Name]
	if !ok || p.k != vRecord {
		return false
	}
	slot := m.Name
	if idx >= 0 {
		slot = fmt.Sprintf("%s[%d]", m.Name, idx)
	}
	slots, _ := c.recordLayout(x.Pos, p.s)
	found := false
	for _, s := range slots {
		found = found || s.name == slot
	}
	if !found {
		panic(compileError(x.Pos, "%s: struct %s has no integer %s", exprString(x.L), p.s, slot))
	}
	if x.Op != "=" {
		panic(compileError(x.Pos, "%s: a struct local's field is set with =", exprString(x)))
	}
	v := c.number(x.Pos, c.eval(f, x.R))
	switch v.k {
	case vInt, vNull:
	default:
		panic(compileError(lang.ExprPos(x.R), "%s: not a number or an address the compiler knows", exprString(x.R)))
	}
	fields := make(map[string]val, len(p.fields)+1)
	for k, fv := range p.fields {
		fields[k] = fv
	}
	fields[slot] = v
	p.fields = fields
	return true
}

// recordBytes returns the bytes of the struct local v (a vRecord), every
// integer of which must have been set.
func (c *kc) recordBytes(pos lang.Pos, name string, v val) []byte {
	slots, n := c.recordLayout(pos, v.s)
	out := make([]byte, n)
	for _, s := range slots {
		fv, ok := v.fields[s.name]
		if !ok {
			panic(compileError(pos, "%s.%s is used before it is set", name, s.name))
		}
		var u uint64
		if fv.k == vInt {
			u = uint64(fv.n)
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], u)
		copy(out[s.off:s.off+s.size], b[:s.size])
	}
	return out
}

// recordField returns the struct local x and the field name of x.name
// (name "" for x itself), when e is one.
func (c *kc) recordField(f *fnCtx, e lang.Expr) (string, *val, string, bool) {
	field := ""
	if m, ok := e.(*lang.Member); ok && !m.Arrow {
		e, field = m.X, m.Name
	}
	id, ok := e.(*lang.Ident)
	if !ok {
		return "", nil, "", false
	}
	p, ok := f.vars[id.Name]
	if !ok || p.k != vRecord {
		return "", nil, "", false
	}
	return id.Name, p, field, true
}

// recordPart returns the bytes of struct local v, or of its field field
// (every integer of it, name[i] for an array field), from offset off.
func (c *kc) recordPart(pos lang.Pos, name string, v val, field string) ([]byte, int) {
	b := c.recordBytes(pos, name, v)
	if field == "" {
		return b, 0
	}
	slots, _ := c.recordLayout(pos, v.s)
	lo, hi := -1, -1
	for _, s := range slots {
		if s.name == field || strings.HasPrefix(s.name, field+"[") {
			if lo < 0 {
				lo = s.off
			}
			hi = s.off + s.size
		}
	}
	if lo < 0 {
		panic(compileError(pos, "%s.%s: struct %s has no field %s", name, field, v.s, field))
	}
	return b[lo:hi], lo
}

// recordSize is sizeof(x) or sizeof(x.field) of a struct local x; ok is
// false for any other sizeof.
func (c *kc) recordSize(f *fnCtx, x *lang.SizeOf) (int, bool) {
	if x.Type != nil {
		return 0, false
	}
	name, p, field, ok := c.recordField(f, x.X)
	if !ok {
		return 0, false
	}
	if field == "" {
		_, n := c.recordLayout(x.Pos, p.s)
		return n, true
	}
	slots, _ := c.recordLayout(x.Pos, p.s)
	n := 0
	for _, s := range slots {
		if s.name == field || strings.HasPrefix(s.name, field+"[") {
			n += s.size
		}
	}
	if n == 0 {
		panic(compileError(x.Pos, "sizeof(%s.%s): struct %s has no field %s", name, field, p.s, field))
	}
	return n, true
}

// insnWrite compiles __aarch64_insn_write(addr, &x, size) (or &x.field)
// of the posted
// arm64 static call series (arch/arm64/kernel/patching.c of Ard
// Biesheuvel's v5/v6, 2021): the store of size bytes of the struct local
// x through the fixmap alias, under patch_lock, by
// copy_to_kernel_nofault(waddr, insn, size). copy_to_kernel_nofault
// (mm/maccess.c) copies an 8-byte-aligned buffer 8 bytes at a time
// (copy_to_kernel_nofault_loop of u64): 16 bytes are two 64-bit stores
// in program order with no barrier between them, which other CPUs may
// observe in either order (docs/semantics.md §11): an OpEither between
// the two orders. A store to an instruction is not yet coherent with
// instruction fetch (unless CTR_EL0.DIC) until caches_clean_inval_pou; a
// store to a data window (the literal) is a plain store.
func (c *kc) insnWrite(f *fnCtx, x *lang.Call, arg func(int) val) val {
	if len(x.Args) != 3 {
		panic(compileError(x.Pos, "%s takes (addr, &insns, size)", x.Fun))
	}
	a := c.addr(x.Pos, arg(0))
	n := arg(2)
	if a.k != vInt {
		panic(compileError(x.Pos, "%s: not an address the compiler knows", exprString(x.Args[0])))
	}
	u, ok := x.Args[1].(*lang.Unary)
	var name, field string
	var rec *val
	if ok && u.Op == "&" {
		name, rec, field, ok = c.recordField(f, u.X)
	}
	if !ok {
		panic(compileError(lang.ExprPos(x.Args[1]), "%s: the model writes a struct local or a field of one (&insns, &insns.insn)", exprString(x.Args[1])))
	}
	b, _ := c.recordPart(x.Pos, name, *rec, field)
	if n.k != vInt || n.n != len(b) {
		panic(compileError(lang.ExprPos(x.Args[2]), "%s: the model writes the whole struct or field (%d bytes)", exprString(x.Args[2]), len(b)))
	}
	addr := uint64(a.n)
	flags := func(at uint64) int {
		for _, w := range c.lay.Prog.Windows {
			if at >= w.Base && at < w.Base+uint64(w.Size) && w.Data {
				return 0
			}
		}
		if cf, ok := c.lay.Prog.Arch.(interface{ CoherentFetch() bool }); ok && cf.CoherentFetch() {
			return 0
		}
		return model.PokeNoMaint
	}
	poke := func(at uint64, b []byte) {
		c.patchable(x, at, len(b))
		ob, l := Bytes(b)
		i := c.op(x.Pos, model.Op{Code: model.OpPoke, Addr: at, Bytes: ob, Len: l, B: flags(at)})
		c.e.Ops[i].Fn = x.Fun
	}
	switch {
	case len(b) <= 8 && addr%uint64(len(b)) == 0:
		poke(addr, b)
	case len(b) == 16 && addr%8 == 0:
		either := c.op(x.Pos, model.Op{Code: model.OpEither, Msg: "the two 64-bit halves of the 16-byte write become visible in either order"})
		c.e.Ops[either].Fn = x.Fun
		poke(addr, b[:8])
		poke(addr+8, b[8:])
		jump := c.e.Emit(model.Op{Code: model.OpJump})
		c.e.Land(either)
		poke(addr+8, b[8:])
		poke(addr, b[:8])
		c.e.Land(jump)
	default:
		panic(compileError(x.Pos, "%s: %d bytes at %#x: the model writes an aligned 4 or 8 bytes, or 16 from an 8-byte-aligned address (two 64-bit stores)", exprString(x), len(b), addr))
	}
	return intv(0)
}
