package kernel

import (
	"encoding/binary"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
)

// TextPort is a ModelTransformPort whose model files read the image's
// text when compiling, through typed pointers (powerpc64's
// ppc_function_entry() and the 2022 series' ppc_function_toc() decode a
// function's global entry: u32 insn1 = *func): the byte order of its
// words, the size of its long (sizeof(long)), and which of the image's
// addresses are vmlinux's text and init text (is_kernel_text() and
// is_kernel_inittext() of an address, which kernel/extable.c's
// core_kernel_text() asks; a trampoline's address, which may be a
// module's, too).
type TextPort interface {
	TextOrder() binary.ByteOrder
	LongSize() int
	KernelText(lay *Layout, addr uint64) (text, inittext bool)
}

// scalarSize is the size of a scalar type of the model language (a
// pointer's target), 0 for void, a struct or a type it does not know.
func scalarSize(t lang.Type, long int) int {
	words := make([]string, 0, len(t.Words))
	for _, w := range t.Words {
		if w != "const" && w != "volatile" {
			words = append(words, w)
		}
	}
	switch strings.Join(words, " ") {
	case "u8", "s8", "char", "unsigned char", "bool":
		return 1
	case "u16", "s16", "short", "unsigned short":
		return 2
	case "u32", "s32", "int", "unsigned int", "unsigned":
		return 4
	case "u64", "s64", "long long", "unsigned long long":
		return 8
	case "long", "unsigned long":
		return long
	}
	return 0
}

// ptrSize is the size of what x points to, when x is a local, a
// parameter or a cast of a scalar pointer type (u32 *insn), or such a
// pointer plus or minus a number; 0 otherwise (void *, a struct pointer,
// an expression whose type the compiler does not follow).
func (c *kc) ptrSize(f *fnCtx, x lang.Expr) int {
	t, ok := c.exprType(f, x)
	if !ok || t.Ptr != 1 {
		return 0
	}
	return scalarSize(lang.Type{Words: t.Words}, c.longSize())
}

// longSize is sizeof(long) of a TextPort, 0 (unknown) otherwise.
func (c *kc) longSize() int {
	if tp, ok := c.port.(TextPort); ok {
		return tp.LongSize()
	}
	return 0
}

// sizeOf is sizeof(type) of a scalar type, as the port's C sees it.
func (c *kc) sizeOf(x *lang.SizeOf) val {
	if x.Type != nil && x.Type.Ptr == 0 {
		if n := scalarSize(*x.Type, c.longSize()); n > 0 {
			return intv(n)
		}
	}
	panic(compileError(x.Pos, "%s: the model's sizeof is of a scalar type (u32, long) whose size the architecture fixes", exprString(x)))
}

// exprType is the declared type of a local, a parameter or a cast, and
// of pointer arithmetic on one.
func (c *kc) exprType(f *fnCtx, x lang.Expr) (lang.Type, bool) {
	switch x := x.(type) {
	case *lang.Ident:
		if _, ok := f.vars[x.Name]; !ok || f.fn == nil {
			return lang.Type{}, false
		}
		t, ok := c.localTypes(f.fn)[x.Name]
		return t, ok
	case *lang.Cast:
		return x.Type, true
	case *lang.Binary:
		if x.Op == "+" || x.Op == "-" {
			if t, ok := c.exprType(f, x.X); ok && t.Ptr > 0 {
				return t, true
			}
		}
	}
	return lang.Type{}, false
}

// localTypes are the declared types of fn's parameters and locals, by
// name (the first declaration of a name).
func (c *kc) localTypes(fn *lang.Func) map[string]lang.Type {
	if c.types == nil {
		c.types = map[*lang.Func]map[string]lang.Type{}
	}
	if m, ok := c.types[fn]; ok {
		return m
	}
	m := map[string]lang.Type{}
	for _, p := range fn.Params {
		m[p.Name] = p.Type
	}
	var walk func(sts []lang.Stmt)
	walk = func(sts []lang.Stmt) {
		for _, st := range sts {
			switch s := st.(type) {
			case *lang.Decl:
				for _, d := range s.Vars {
					if _, dup := m[d.Name]; !dup && d.Len == nil {
						m[d.Name] = d.Type
					}
				}
			case *lang.Block:
				walk(s.Stmts)
			case *lang.If:
				walk([]lang.Stmt{s.Then})
				if s.Else != nil {
					walk([]lang.Stmt{s.Else})
				}
			}
		}
	}
	walk(fn.Body.Stmts)
	c.types[fn] = m
	return m
}

// textRead is *p, a read of n bytes of text at a (the value of p) when
// compiling: the image's bytes in the port's byte order where no thread
// patches them; a vTextWord where one may (a trampoline's instruction),
// whose value decides nothing.
func (c *kc) textRead(x *lang.Unary, a val, n int) val {
	tp, ok := c.port.(TextPort)
	if !ok {
		panic(compileError(x.Pos, "%s: this architecture's model source reads no text when compiling", exprString(x)))
	}
	if a.k != vInt {
		panic(compileError(x.Pos, "%s: not an address the compiler knows", exprString(x)))
	}
	addr := uint64(a.n)
	b, ok := c.imageBytes(addr, n)
	if !ok {
		if c.lay.Prog.RegionOf(addr) >= 0 && c.lay.Prog.RegionOf(addr+uint64(n)-1) == c.lay.Prog.RegionOf(addr) {
			return val{k: vTextWord, n: a.n, pos: x.Pos}
		}
		panic(compileError(x.Pos, "%s: %#x+%d is no text of the image", exprString(x), addr, n))
	}
	o := tp.TextOrder()
	switch n {
	case 1:
		return intv(int(b[0]))
	case 2:
		return intv(int(o.Uint16(b)))
	case 4:
		return intv(int(o.Uint32(b)))
	}
	return intv(int(o.Uint64(b)))
}

// textBuiltin compiles sign_extend64(value, index) and
// sign_extend32(value, index) (include/linux/bitops.h); ok is false for
// other names.
func (c *kc) textBuiltin(f *fnCtx, x *lang.Call, pure bool) (val, bool) {
	switch x.Fun {
	case "sign_extend64", "sign_extend32":
		if len(x.Args) != 2 {
			panic(compileError(x.Pos, "%s takes (value, index)", x.Fun))
		}
		v, i := c.value(f, x.Args[0], pure), c.value(f, x.Args[1], pure)
		if v.k == vTextWord {
			return v, true
		}
		v = c.number(x.Pos, v)
		bits := 64
		if x.Fun == "sign_extend32" {
			bits = 32
		}
		if v.k != vInt || i.k != vInt || i.n < 0 || i.n >= bits {
			panic(compileError(x.Pos, "%s: a number and a bit index from 0 to %d the compiler knows", exprString(x), bits-1))
		}
		sh := uint(63 - i.n)
		if bits == 32 {
			// (s32)(value << (31 - index)) >> (31 - index)
			return intv(int(int32(uint32(v.n)<<uint(31-i.n)) >> uint(31-i.n))), true
		}
		return intv(int(int64(uint64(v.n)<<sh) >> sh)), true
	}
	return val{}, false
}

// kernelText answers is_kernel_text(), is_kernel_inittext() and
// is_module_text_address() (name) of a TextPort's address (a trampoline's,
// a target's, a number); ok is false for other ports and values.
func (c *kc) kernelText(name string, a val) (val, bool) {
	tp, ok := c.port.(TextPort)
	if !ok || (a.k != vInt && a.k != vTarget && a.k != vTramp) {
		return val{}, false
	}
	a = c.number(lang.Pos{}, a)
	text, init := tp.KernelText(c.lay, uint64(a.n))
	switch name {
	case "is_kernel_text":
		return intv(boolInt(text)), true
	case "is_kernel_inittext":
		return intv(boolInt(init)), true
	}
	return intv(boolInt(!text && !init && c.lay.Prog.RegionOf(uint64(a.n)) >= 0)), true
}
