package lang

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// AsmStmt is one statement of assembler text: labels, then a directive
// (Op starting with '.') or an instruction (its mnemonic), with its
// operands. Statements end at a newline or ';' (GNU as on x86 and
// powerpc); '#' starts a comment to the end of the line.
type AsmStmt struct {
	Pos    Pos // the first byte of Op
	Labels []AsmLabel
	Op     string
	Args   []AsmOperand
}

// AsmLabel is a label definition: a name or a local number (1:).
type AsmLabel struct {
	Pos  Pos
	Name string
}

// AsmOperand is one operand as written, parsed as an expression, with
// an optional base register in parentheses (powerpc's D(RA)) or a
// register (%esp on x86).
type AsmOperand struct {
	Pos  Pos
	Text string
	X    *AsmExpr // nil for a register or a quoted string
	Base *AsmExpr // D(RA)'s RA
	Reg  string   // %reg
	Str  string   // a quoted string (section flags)
	// Mem is an arm64 memory operand's parts, [Xn] or [Xn, OFFSET]
	// (X nil).
	Mem []AsmOperand
}

// AsmExpr is an assembler expression: a number, '.', a symbol or local
// label reference (2f, 1b), a sum or difference, a negation, or X@reloc
// (powerpc's @ha, @h, @l, @toc, chained as in 2f@toc@ha) and :reloc:X
// (arm64's :lo12:), both Op "@"; powerpc's $ is '.'. On
// arm64 an immediate's '#' is read and dropped (#34 is 34).
type AsmExpr struct {
	Pos   Pos
	Op    string // "num", "dot", "sym", "+", "-", "neg", "@"
	Val   int64
	Name  string // sym; @'s relocation
	L, R  *AsmExpr
	Local bool // sym: a local label reference (Name "2f" or "1b")
}

// ParseAsm splits expanded text into statements, with '#' starting a
// comment (GNU as on x86 and powerpc).
func ParseAsm(t Text) ([]AsmStmt, error) { return ParseAsmComment(t, "#") }

// ParseAsmComment splits expanded text into statements, with comment
// starting a comment to the end of the line: "#" on x86 and powerpc, "//"
// on arm64, where '#' marks an immediate (#34) instead. On every target,
// as GNU as does, a C comment (/* BTI C */) is read as a space.
func ParseAsmComment(t Text, comment string) ([]AsmStmt, error) {
	t, err := blankCComments(t)
	if err != nil {
		return nil, err
	}
	var out []AsmStmt
	start, inStr := 0, false
	isComment := func(i int) bool {
		return i < len(t.B) && comment != "" && strings.HasPrefix(string(t.B[i:min(len(t.B), i+len(comment))]), comment)
	}
	for i := 0; i <= len(t.B); i++ {
		if i < len(t.B) && t.B[i] == '"' {
			inStr = !inStr
		}
		if i < len(t.B) && (inStr && t.B[i] != '\n' || t.B[i] != '\n' && t.B[i] != ';' && !isComment(i)) {
			continue
		}
		if inStr {
			return nil, errorf(t.At(i), "string in assembler text not terminated")
		}
		st, err := parseStmt(t, start, i, comment != "#")
		if err != nil {
			return nil, err
		}
		if st != nil {
			out = append(out, *st)
		}
		if isComment(i) {
			for i < len(t.B) && t.B[i] != '\n' {
				i++
			}
		}
		start = i + 1
	}
	return out, nil
}

// blankCComments returns t with each /* ... */ outside a string replaced
// by spaces (newlines kept), so that positions stay those of the text.
func blankCComments(t Text) (Text, error) {
	var b []byte
	inStr := false
	for i := 0; i < len(t.B); i++ {
		c := t.B[i]
		if c == '"' {
			inStr = !inStr
		}
		if c == '\n' {
			inStr = false
		}
		if inStr || c != '/' || i+1 >= len(t.B) || t.B[i+1] != '*' {
			continue
		}
		if b == nil {
			b = append([]byte(nil), t.B...)
		}
		j := i + 2
		for j+1 < len(t.B) && !(t.B[j] == '*' && t.B[j+1] == '/') {
			j++
		}
		if j+1 >= len(t.B) {
			return t, errorf(t.At(i), "comment in assembler text not terminated")
		}
		for k := i; k <= j+1; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
		i = j + 1
	}
	if b == nil {
		return t, nil
	}
	return Text{B: b, Pos: t.Pos}, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// parseStmt parses t.B[from:to], one statement; hashImm reads '#' as
// the prefix of an immediate (arm64).
func parseStmt(t Text, from, to int, hashImm bool) (*AsmStmt, error) {
	st := &AsmStmt{}
	i := from
	skip := func() {
		for i < to && isSpace(t.B[i]) {
			i++
		}
	}
	for {
		skip()
		j := i
		for j < to && (isIdentChar(t.B[j]) || t.B[j] == '.' || t.B[j] == '$') {
			j++
		}
		if j > i && j < to && t.B[j] == ':' {
			st.Labels = append(st.Labels, AsmLabel{Pos: t.At(i), Name: string(t.B[i:j])})
			i = j + 1
			continue
		}
		break
	}
	if i >= to {
		if len(st.Labels) == 0 {
			return nil, nil
		}
		st.Pos = t.At(i)
		return st, nil
	}
	st.Pos = t.At(i)
	j := i
	for j < to && !isSpace(t.B[j]) {
		j++
	}
	st.Op = string(t.B[i:j])
	if !(isIdentStart(st.Op[0]) || st.Op[0] == '.' && len(st.Op) > 1 && (isIdentStart(st.Op[1]) || isDigit(st.Op[1]))) {
		return nil, errorf(st.Pos, "%q: expected a label, a directive or an instruction", st.Op)
	}
	for k := 1; k < len(st.Op); k++ {
		if !isIdentChar(st.Op[k]) && st.Op[k] != '.' {
			return nil, errorf(t.At(i+k), "%q: a mnemonic or directive is letters, digits, '_' and '.'", st.Op)
		}
	}
	i = j
	switch st.Op {
	case ".globl", ".global", ".type", ".size", ".localentry":
		// Symbol attributes: read, not parsed (no bytes).
		skip()
		if i < to {
			st.Args = []AsmOperand{{Pos: t.At(i), Text: string(t.B[i:to])}}
		}
		return st, nil
	}
	// Operands, split at commas outside parentheses and quotes.
	for {
		skip()
		if i >= to {
			break
		}
		k, depth, q := i, 0, false
		for k < to {
			c := t.B[k]
			if c == '"' {
				q = !q
			}
			if !q {
				if c == '(' || c == '[' {
					depth++
				}
				if c == ')' || c == ']' {
					depth--
				}
				if c == ',' && depth == 0 {
					break
				}
			}
			k++
		}
		e := k
		for e > i && isSpace(t.B[e-1]) {
			e--
		}
		if e == i {
			return nil, errorf(t.At(i), "%s: an empty operand", st.Op)
		}
		op, err := parseOperand(t, i, e, hashImm)
		if err != nil {
			return nil, err
		}
		st.Args = append(st.Args, op)
		i = k
		if i < to {
			i++ // ,
			skip()
			if i >= to {
				return nil, errorf(t.At(i), "%s: an operand after ','", st.Op)
			}
		}
	}
	return st, nil
}

func parseOperand(t Text, from, to int, hashImm bool) (AsmOperand, error) {
	op := AsmOperand{Pos: t.At(from), Text: string(t.B[from:to])}
	switch c := t.B[from]; {
	case c == '[':
		// [Xn] or [Xn, OFFSET]: arm64's memory operand.
		if t.B[to-1] != ']' {
			return op, errorf(op.Pos, "%s: a memory operand ends with ']'", op.Text)
		}
		i := from + 1
		for {
			for i < to-1 && isSpace(t.B[i]) {
				i++
			}
			k, depth := i, 0
			for k < to-1 && (depth > 0 || t.B[k] != ',') {
				if t.B[k] == '(' || t.B[k] == '[' {
					depth++
				}
				if t.B[k] == ')' || t.B[k] == ']' {
					depth--
				}
				k++
			}
			e := k
			for e > i && isSpace(t.B[e-1]) {
				e--
			}
			if e == i || t.B[i] == '[' {
				return op, errorf(t.At(i), "%s: expected a register or an offset", op.Text)
			}
			part, err := parseOperand(t, i, e, hashImm)
			if err != nil {
				return op, err
			}
			op.Mem = append(op.Mem, part)
			if k >= to-1 {
				break
			}
			i = k + 1
		}
		return op, nil
	case c == '"':
		if to-from < 2 || t.B[to-1] != '"' {
			return op, errorf(op.Pos, "%s: a string operand ends with '\"'", op.Text)
		}
		op.Str = string(t.B[from+1 : to-1])
		return op, nil
	case c == '%':
		op.Reg = string(t.B[from+1 : to])
		if op.Reg == "" {
			return op, errorf(op.Pos, "'%%' without a register name")
		}
		return op, nil
	}
	ap := &asmParser{t: t, i: from, end: to, hashImm: hashImm}
	x, err := ap.expr()
	if err != nil {
		return op, err
	}
	op.X = x
	ap.skip()
	if ap.i < to && t.B[ap.i] == '(' {
		// D(RA)
		ap.i++
		b, err := ap.expr()
		if err != nil {
			return op, err
		}
		ap.skip()
		if ap.i >= to || t.B[ap.i] != ')' {
			return op, errorf(t.At(ap.i), "%s: expected ')' after the base register", op.Text)
		}
		ap.i++
		op.Base = b
	}
	ap.skip()
	if ap.i < to {
		return op, errorf(t.At(ap.i), "%s: unexpected %q in an operand", op.Text, t.B[ap.i])
	}
	return op, nil
}

type asmParser struct {
	t       Text
	i, end  int
	depth   int
	hashImm bool // '#' prefixes an immediate (arm64)
}

func (a *asmParser) skip() {
	for a.i < a.end && isSpace(a.t.B[a.i]) {
		a.i++
	}
}

func (a *asmParser) expr() (*AsmExpr, error) {
	a.depth++
	defer func() { a.depth-- }()
	if a.depth > maxDepth {
		return nil, errorf(a.t.At(a.i), "assembler expression nested too deep")
	}
	x, err := a.term()
	if err != nil {
		return nil, err
	}
	for {
		a.skip()
		if a.i >= a.end || (a.t.B[a.i] != '+' && a.t.B[a.i] != '-') {
			return x, nil
		}
		op := string(a.t.B[a.i])
		p := a.t.At(a.i)
		a.i++
		y, err := a.term()
		if err != nil {
			return nil, err
		}
		x = &AsmExpr{Pos: p, Op: op, L: x, R: y}
	}
}

func (a *asmParser) term() (*AsmExpr, error) {
	a.skip()
	if a.i >= a.end {
		return nil, errorf(a.t.At(a.i), "expected an assembler expression")
	}
	p := a.t.At(a.i)
	c := a.t.B[a.i]
	var x *AsmExpr
	switch {
	case c == '-':
		a.i++
		y, err := a.term()
		if err != nil {
			return nil, err
		}
		return &AsmExpr{Pos: p, Op: "neg", L: y}, nil
	case c == '#' && a.hashImm:
		a.i++
		return a.term()
	case c == ':':
		// :reloc:X (arm64's :lo12:sym): the relocation of the rest.
		j := a.i + 1
		for j < a.end && isIdentChar(a.t.B[j]) {
			j++
		}
		if j == a.i+1 || j >= a.end || a.t.B[j] != ':' {
			return nil, errorf(p, "expected :relocation: before an expression")
		}
		name := string(a.t.B[a.i+1 : j])
		a.i = j + 1
		y, err := a.expr()
		if err != nil {
			return nil, err
		}
		return &AsmExpr{Pos: p, Op: "@", Name: name, L: y}, nil
	case c == '(':
		a.i++
		y, err := a.expr()
		if err != nil {
			return nil, err
		}
		a.skip()
		if a.i >= a.end || a.t.B[a.i] != ')' {
			return nil, errorf(a.t.At(a.i), "expected ')'")
		}
		a.i++
		x = y
	case isDigit(c):
		j := a.i
		for j < a.end && isIdentChar(a.t.B[j]) {
			j++
		}
		w := string(a.t.B[a.i:j])
		if n := len(w); n > 1 && (w[n-1] == 'f' || w[n-1] == 'b') && allDigits(w[:n-1]) {
			x = &AsmExpr{Pos: p, Op: "sym", Name: w, Local: true}
		} else {
			v, err := strconv.ParseInt(w, 0, 64)
			if err != nil {
				// An address of the upper half (0xffff8000...):
				// arithmetic is modulo 2^64, as the assembler's.
				u, err := strconv.ParseUint(w, 0, 64)
				if err != nil {
					return nil, errorf(p, "%q: not a number", w)
				}
				v = int64(u)
			}
			x = &AsmExpr{Pos: p, Op: "num", Val: v}
		}
		a.i = j
	case (c == '.' || c == '$') && (a.i+1 >= a.end || !isIdentChar(a.t.B[a.i+1])):
		// '.' and powerpc's '$': the current location.
		a.i++
		x = &AsmExpr{Pos: p, Op: "dot"}
	case isIdentStart(c) || c == '.':
		j := a.i + 1
		for j < a.end && (isIdentChar(a.t.B[j]) || a.t.B[j] == '.' || a.t.B[j] == '$') {
			j++
		}
		x = &AsmExpr{Pos: p, Op: "sym", Name: string(a.t.B[a.i:j])}
		a.i = j
	default:
		return nil, errorf(p, "unexpected %q in an assembler expression", c)
	}
	a.skip()
	// X@reloc, repeated: powerpc's 2f@toc@ha is @ha of 2f@toc.
	for a.i < a.end && a.t.B[a.i] == '@' {
		rp := a.t.At(a.i)
		j := a.i + 1
		for j < a.end && isIdentChar(a.t.B[j]) {
			j++
		}
		if j == a.i+1 {
			return nil, errorf(rp, "'@' without a relocation name")
		}
		x = &AsmExpr{Pos: rp, Op: "@", Name: string(a.t.B[a.i+1 : j]), L: x}
		a.i = j
		a.skip()
	}
	return x, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// ISA is an architecture's part of the assembler: its instructions, its
// byte order, what .align means and how code is padded.
type ISA interface {
	// Size is the length of an instruction, known before its operands'
	// values are.
	Size(st *AsmStmt) (int, error)
	// Encode encodes st at pc; eval gives an operand's value.
	Encode(st *AsmStmt, pc uint64, eval func(*AsmExpr) (int64, error)) ([]byte, error)
	// Reloc applies a relocation operator (powerpc's @ha) to v.
	Reloc(name string, v int64) (int64, bool)
	// Order is the byte order of .long and .8byte.
	Order() binary.AppendByteOrder
	// AlignPow2 reports whether .align N aligns to 2^N bytes (powerpc)
	// rather than N bytes (x86 ELF).
	AlignPow2() bool
	// Fill is n bytes of padding in code, as the assembler pads an
	// alignment there.
	Fill(n int) []byte
}

// FillWords is Fill for an ISA of fixed-size instructions: n bytes of
// nop (one instruction word), zeros for what is left of a word, as GNU as
// pads arm64 and powerpc code.
func FillWords(n int, nop []byte) []byte {
	var out []byte
	for ; n >= len(nop); n -= len(nop) {
		out = append(out, nop...)
	}
	return append(out, make([]byte, n)...)
}

// Asm is assembled text: its bytes from Origin, and its labels'
// addresses.
type Asm struct {
	Origin uint64
	Bytes  []byte
	Labels map[string]uint64
	// Section is the section of the bytes, the first .pushsection's.
	Section string
	// Others are the bytes of the other sections the text writes that
	// were given an origin (arm64's literal in .rodata), by name.
	Others map[string]*AsmSection
	// Data lists the ranges of Bytes and of Others that data directives
	// (.byte, .long, .quad) wrote, as [start, end) addresses.
	Data [][2]uint64
}

// AsmSection is the bytes of one more section of assembled text.
type AsmSection struct {
	Origin uint64
	Bytes  []byte
}

// Assemble assembles stmts at origin for isa. The bytes kept are those
// of the section the text pushes first (the trampoline's .static_call.text
// or .text); statements in other sections (objtool's .discard notes) are
// read but emit nothing. extern gives the address of a symbol the text
// does not define.
func Assemble(stmts []AsmStmt, isa ISA, origin uint64, extern func(name string) (uint64, bool)) (*Asm, error) {
	return AssembleSections(stmts, isa, origin, nil, extern)
}

// AssembleSections is Assemble where more sections than the first keep
// their bytes: others gives the origin of a section by name (".rodata"),
// false for one whose statements emit nothing. Padding in those sections
// is zeros (data), in the first the ISA's fill.
func AssembleSections(stmts []AsmStmt, isa ISA, origin uint64, others func(section string) (uint64, bool), extern func(name string) (uint64, bool)) (*Asm, error) {
	type local struct {
		name string
		addr uint64
		at   int // statement index
	}
	out := &Asm{Origin: origin, Labels: map[string]uint64{}}
	var locals []local
	// Pass 1: addresses. Pass 2: bytes.
	for pass := 1; pass <= 2; pass++ {
		pcs := map[string]uint64{}
		bufs := map[string][]byte{}
		var stack []string
		section := ""
		out.Data = nil
		first := func() bool { return out.Section == "" || section == out.Section }
		// key is the current section's in pcs and bufs: "" for the
		// first.
		key := func() string {
			if first() {
				return ""
			}
			return section
		}
		pcs[""] = origin
		// own reports whether the current section keeps its bytes, and
		// sets its start on first use.
		own := func() bool {
			if first() {
				return true
			}
			if others == nil {
				return false
			}
			if _, ok := pcs[section]; ok {
				return true
			}
			o, ok := others(section)
			if ok {
				pcs[section] = o
			}
			return ok
		}
		for i := range stmts {
			st := &stmts[i]
			keep, k := own(), key()
			pc := pcs[k]
			for _, l := range st.Labels {
				if !keep {
					continue
				}
				if pass == 1 {
					if allDigits(l.Name) {
						locals = append(locals, local{l.Name, pc, i})
					} else if _, dup := out.Labels[l.Name]; dup {
						return nil, errorf(l.Pos, "label %s defined twice", l.Name)
					} else {
						out.Labels[l.Name] = pc
					}
				}
			}
			eval := func(x *AsmExpr) (int64, error) {
				return evalAsm(x, pc, isa, func(s *AsmExpr) (uint64, error) {
					if s.Local {
						n, dir := s.Name[:len(s.Name)-1], s.Name[len(s.Name)-1]
						if dir == 'b' {
							for k := len(locals) - 1; k >= 0; k-- {
								if locals[k].name == n && locals[k].at <= i {
									return locals[k].addr, nil
								}
							}
						} else {
							for _, l := range locals {
								if l.name == n && l.at > i {
									return l.addr, nil
								}
							}
						}
						return 0, errorf(s.Pos, "%s: no local label %s: %s", s.Name, n, map[byte]string{'b': "before", 'f': "after"}[dir])
					}
					if a, ok := out.Labels[s.Name]; ok {
						return a, nil
					}
					if is, ok := isa.(interface{ Symbol(string) (uint64, bool) }); ok {
						// The ISA's own symbols: powerpc64's .TOC.
						if a, ok := is.Symbol(s.Name); ok {
							return a, nil
						}
					}
					if a, ok := extern(s.Name); ok {
						return a, nil
					}
					return 0, errorf(s.Pos, "%s: no such symbol in the model's image", s.Name)
				})
			}
			if st.Op == "" {
				continue
			}
			var b []byte
			n := 0
			data := false
			switch st.Op {
			case ".pushsection", ".section":
				if len(st.Args) == 0 {
					return nil, errorf(st.Pos, "%s without a section name", st.Op)
				}
				stack = append(stack, section)
				section = st.Args[0].Text
				if out.Section == "" {
					out.Section = section
				}
			case ".popsection", ".previous":
				if len(stack) == 0 {
					return nil, errorf(st.Pos, "%s without .pushsection", st.Op)
				}
				section, stack = stack[len(stack)-1], stack[:len(stack)-1]
			case ".globl", ".global", ".type", ".size", ".localentry":
				// Symbol attributes: no bytes.
			case ".align", ".balign", ".p2align":
				if len(st.Args) != 1 || st.Args[0].X == nil || st.Args[0].X.Op != "num" {
					return nil, errorf(st.Pos, "%s takes one number (a fill value is not modelled)", st.Op)
				}
				a := st.Args[0].X.Val
				if st.Op == ".p2align" || st.Op == ".align" && isa.AlignPow2() {
					if a < 0 || a > 12 {
						return nil, errorf(st.Args[0].Pos, "%s %d: at most 12", st.Op, a)
					}
					a = 1 << a
				}
				if a <= 0 || a&(a-1) != 0 || a > 4096 {
					return nil, errorf(st.Args[0].Pos, "%s %d: a power of two up to 4096", st.Op, a)
				}
				n = int((uint64(a) - pc%uint64(a)) % uint64(a))
				if pass == 2 && keep {
					if first() {
						b = isa.Fill(n)
					} else {
						b = make([]byte, n)
					}
				}
			case ".byte", ".long", ".4byte", ".8byte", ".quad":
				w := map[string]int{".byte": 1, ".long": 4, ".4byte": 4, ".8byte": 8, ".quad": 8}[st.Op]
				if len(st.Args) == 0 {
					return nil, errorf(st.Pos, "%s without a value", st.Op)
				}
				n = w * len(st.Args)
				data = true
				if pass == 2 && keep {
					for _, a := range st.Args {
						if a.X == nil || a.Base != nil {
							return nil, errorf(a.Pos, "%s %s: a value", st.Op, a.Text)
						}
						v, err := eval(a.X)
						if err != nil {
							return nil, err
						}
						switch w {
						case 1:
							if v < -128 || v > 255 {
								return nil, errorf(a.Pos, ".byte %s: %d does not fit a byte", a.Text, v)
							}
							b = append(b, byte(v))
						case 4:
							if v < -1<<31 || v > 1<<32-1 {
								return nil, errorf(a.Pos, "%s %s: %d does not fit 4 bytes", st.Op, a.Text, v)
							}
							b = isa.Order().AppendUint32(b, uint32(v))
						default:
							b = isa.Order().AppendUint64(b, uint64(v))
						}
					}
				}
			default:
				if strings.HasPrefix(st.Op, ".") {
					return nil, errorf(st.Pos, "directive %s is not modelled (the model knows .pushsection, .popsection, .align, .balign, .p2align, .byte, .long, .8byte, .globl, .type, .size)", st.Op)
				}
				if !first() {
					return nil, errorf(st.Pos, "%s: an instruction outside the trampoline's section %s", st.Op, out.Section)
				}
				var err error
				if n, err = isa.Size(st); err != nil {
					return nil, err
				}
				if pass == 2 {
					if b, err = isa.Encode(st, pc, eval); err != nil {
						return nil, err
					}
					if len(b) != n {
						panic(fmt.Sprintf("patchcheck: %s encodes %d bytes, sized %d", st.Op, len(b), n))
					}
				}
			}
			if keep {
				if data && n > 0 {
					out.Data = append(out.Data, [2]uint64{pc, pc + uint64(n)})
				}
				pcs[k] = pc + uint64(n)
				bufs[k] = append(bufs[k], b...)
			}
		}
		if len(stack) != 0 && len(stmts) > 0 {
			return nil, errorf(stmts[len(stmts)-1].Pos, ".pushsection without .popsection")
		}
		out.Bytes = bufs[""]
		out.Others = nil
		for name, buf := range bufs {
			if name == "" {
				continue
			}
			if out.Others == nil {
				out.Others = map[string]*AsmSection{}
			}
			o, _ := others(name)
			out.Others[name] = &AsmSection{Origin: o, Bytes: buf}
		}
	}
	return out, nil
}

func evalAsm(x *AsmExpr, pc uint64, isa ISA, sym func(*AsmExpr) (uint64, error)) (int64, error) {
	switch x.Op {
	case "num":
		return x.Val, nil
	case "dot":
		return int64(pc), nil
	case "sym":
		v, err := sym(x)
		return int64(v), err
	case "neg":
		v, err := evalAsm(x.L, pc, isa, sym)
		return -v, err
	case "@":
		v, err := evalAsm(x.L, pc, isa, sym)
		if err != nil {
			return 0, err
		}
		r, ok := isa.Reloc(x.Name, v)
		if !ok {
			return 0, errorf(x.Pos, "@%s: not a relocation of this architecture", x.Name)
		}
		return r, nil
	}
	l, err := evalAsm(x.L, pc, isa, sym)
	if err != nil {
		return 0, err
	}
	r, err := evalAsm(x.R, pc, isa, sym)
	if err != nil {
		return 0, err
	}
	if x.Op == "+" {
		return l + r, nil
	}
	return l - r, nil
}
