package litmus

import (
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/arches/arm64"
)

// ParseFile reads and parses one litmus file.
func ParseFile(path string) (*Test, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// maxThreads bounds thread numbers, so that hostile input cannot make
// later stages allocate per-thread tables of absurd size.
const maxThreads = 64

type parser struct {
	file  string
	src   []byte // comments blanked out
	lines []int  // offset of each line start
}

func (p *parser) pos(off int) Pos {
	lo, hi := 0, len(p.lines)-1
	for lo < hi {
		m := (lo + hi + 1) / 2
		if p.lines[m] <= off {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return Pos{File: p.file, Line: lo + 1, Col: off - p.lines[lo] + 1}
}

func (p *parser) errf(off int, format string, args ...any) *Error {
	return &Error{Pos: p.pos(off), Msg: sprintf(format, args...)}
}

// Parse parses the litmus test in src; file names it in error positions.
// It never panics: every problem is returned as an *Error.
func Parse(file string, src []byte) (t *Test, err error) {
	p := &parser{file: file}
	p.lines = []int{0}
	for i, c := range src {
		if c == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	if err := p.stripComments(src); err != nil {
		return nil, err
	}
	return p.parse()
}

// stripComments copies src into p.src with (* nested *) comments replaced
// by blanks, keeping newlines so that positions stay right.
func (p *parser) stripComments(src []byte) error {
	p.src = make([]byte, len(src))
	copy(p.src, src)
	var open []int
	inStr := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if len(open) == 0 && c == '"' {
			inStr = !inStr
			continue
		}
		if inStr {
			if c == '\n' {
				inStr = false
			}
			continue
		}
		if c == '(' && i+1 < len(src) && src[i+1] == '*' {
			open = append(open, i)
			p.src[i], p.src[i+1] = ' ', ' '
			i++
			continue
		}
		if len(open) > 0 {
			if c == '*' && i+1 < len(src) && src[i+1] == ')' {
				open = open[:len(open)-1]
				p.src[i], p.src[i+1] = ' ', ' '
				i++
				continue
			}
			if c != '\n' {
				p.src[i] = ' '
			}
		}
	}
	if len(open) > 0 {
		return p.errf(open[len(open)-1], "unterminated comment")
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func (p *parser) skipSpace(off int) int {
	for off < len(p.src) && isSpace(p.src[off]) {
		off++
	}
	return off
}

// lineEnd returns the offset of the newline ending the line at off (or len).
func (p *parser) lineEnd(off int) int {
	for off < len(p.src) && p.src[off] != '\n' {
		off++
	}
	return off
}

var (
	reName  = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	reKey   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_\-]*$`)
	reLabel = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
	reProc  = regexp.MustCompile(`^P([0-9]+)(\.F)?$`)
	reReg   = regexp.MustCompile(`^(?:([WX])([0-9]+)|([WX])ZR|W?SP)$`)
	reVar   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) parse() (*Test, error) {
	t := &Test{}
	off := p.skipSpace(0)
	if off >= len(p.src) {
		return nil, p.errf(off, "empty file: want a header line 'AArch64 NAME'")
	}
	// Header line.
	end := p.lineEnd(off)
	f := strings.Fields(string(p.src[off:end]))
	if len(f) < 2 {
		return nil, p.errf(off, "header: want 'ARCH NAME', got %q", strings.TrimSpace(string(p.src[off:end])))
	}
	t.Arch, t.Name = f[0], strings.Join(f[1:], " ")
	if !reName.MatchString(t.Arch) {
		return nil, p.errf(off, "header: bad architecture name %q", t.Arch)
	}
	if t.Arch != "AArch64" {
		return nil, p.errf(off, "header: architecture %q is not supported (only AArch64)", t.Arch)
	}
	off = end
	// Doc string and key=value lines, up to the init block.
	for {
		off = p.skipSpace(off)
		if off >= len(p.src) {
			return nil, p.errf(off, "missing init block '{ ... }'")
		}
		c := p.src[off]
		if c == '{' {
			break
		}
		if c == '"' {
			e := off + 1
			for e < len(p.src) && p.src[e] != '"' {
				e++
			}
			if e >= len(p.src) {
				return nil, p.errf(off, "unterminated doc string")
			}
			t.Doc = string(p.src[off+1 : e])
			off = e + 1
			continue
		}
		end := p.lineEnd(off)
		line := strings.TrimSpace(string(p.src[off:end]))
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || !reKey.MatchString(k) {
			return nil, p.errf(off, "header: want KEY=VALUE, a quoted doc string or '{', got %q", line)
		}
		if k == "CacheType" {
			if _, err := arm64.ParseCacheType(v); err != nil {
				return nil, p.errf(off, "CacheType: %v", err)
			}
		}
		t.Info = append(t.Info, KeyValue{Pos: p.pos(off), Key: k, Value: v})
		off = end
	}
	// Init block.
	open := off
	close := -1
	inStr := false
	for i := off + 1; i < len(p.src); i++ {
		switch p.src[i] {
		case '"':
			inStr = !inStr
		case '}':
			if !inStr {
				close = i
			}
		case '{':
			if !inStr {
				return nil, p.errf(i, "unexpected '{' inside the init block")
			}
		}
		if close >= 0 {
			break
		}
	}
	if close < 0 {
		return nil, p.errf(open, "unterminated init block: missing '}'")
	}
	if err := p.parseInit(t, open+1, close); err != nil {
		return nil, err
	}
	// Thread code, up to the condition.
	off = close + 1
	condOff := -1
	var codeLines [][2]int
	for off < len(p.src) {
		s := p.skipSpace(off)
		if s >= len(p.src) {
			break
		}
		if p.src[s] == '\n' {
			off = s + 1
			continue
		}
		end := p.lineEnd(s)
		if p.isCondStart(s) {
			condOff = s
			break
		}
		codeLines = append(codeLines, [2]int{s, end})
		off = end
	}
	if len(codeLines) == 0 {
		return nil, p.errf(off, "missing thread header line such as 'P0 | P1 ;'")
	}
	if err := p.parseCode(t, codeLines); err != nil {
		return nil, err
	}
	if condOff < 0 {
		return nil, p.errf(len(p.src), "missing final condition (exists, ~exists or forall)")
	}
	c, err := p.parseCond(condOff)
	if err != nil {
		return nil, err
	}
	t.Cond = c
	if err := p.check(t); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *parser) isCondStart(off int) bool {
	rest := p.src[off:]
	for _, kw := range []string{"exists", "~exists", "forall", "locations", "filter", "final"} {
		if len(rest) >= len(kw) && string(rest[:len(kw)]) == kw {
			if len(rest) == len(kw) || !isIdent(rest[len(kw)]) {
				return true
			}
		}
	}
	if n := notLen(rest); n > 0 {
		s := p.skipSpace(off + n)
		r := p.src[s:]
		return len(r) >= 6 && string(r[:6]) == "exists"
	}
	return false
}

// notLen is the length of herd7's NOT token ('~' or the word "not") at
// the start of r, or 0.
func notLen(r []byte) int {
	switch {
	case len(r) > 1 && r[0] == '~':
		return 1
	case len(r) > 3 && string(r[:3]) == "not" && !isIdent(r[3]):
		return 3
	}
	return 0
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// splitTop splits src[from:to] at sep outside quotes, returning piece
// offsets (trimmed of surrounding blanks).
func (p *parser) split(from, to int, sep byte) [][2]int {
	var out [][2]int
	start := from
	inStr := false
	depth := 0
	for i := from; i <= to; i++ {
		if i < to {
			c := p.src[i]
			switch {
			case c == '"':
				inStr = !inStr
				continue
			case inStr:
				continue
			case c == '[' || c == '(':
				depth++
				continue
			case (c == ']' || c == ')') && depth > 0:
				depth--
				continue
			case c != sep || depth > 0:
				continue
			}
		}
		s, e := start, i
		for s < e && isSpace(p.src[s]) {
			s++
		}
		for e > s && isSpace(p.src[e-1]) {
			e--
		}
		out = append(out, [2]int{s, e})
		start = i + 1
	}
	return out
}

func (p *parser) parseInit(t *Test, from, to int) error {
	first := map[Location]Pos{}
	for _, it := range p.split(from, to, ';') {
		s, e := it[0], it[1]
		if s == e {
			continue
		}
		item := InitItem{Pos: p.pos(s)}
		lhs, rhs := s, e
		eq := -1
		inStr := false
		for i := s; i < e; i++ {
			if p.src[i] == '"' {
				inStr = !inStr
			}
			if p.src[i] == '=' && !inStr {
				eq = i
				break
			}
		}
		if eq >= 0 {
			rhs = eq
		}
		// Optional type and '*' before the location.
		words := strings.Fields(string(p.src[lhs:rhs]))
		if len(words) == 0 {
			return p.errf(s, "init: missing location before '='")
		}
		loc := words[len(words)-1]
		if len(words) > 2 {
			return p.errf(s, "init: want '[TYPE] [*]LOC[=VALUE]', got %q", strings.TrimSpace(string(p.src[s:e])))
		}
		if len(words) == 2 {
			item.Type = words[0]
			if !reVar.MatchString(item.Type) {
				if strings.HasSuffix(item.Type, "*") && reVar.MatchString(strings.TrimSuffix(item.Type, "*")) {
					item.Type = strings.TrimSuffix(item.Type, "*")
					item.Pointer = true
				} else {
					return p.errf(s, "init: bad type %q", words[0])
				}
			}
		}
		if strings.HasPrefix(loc, "*") {
			item.Pointer = true
			loc = loc[1:]
		}
		l, err := p.parseLoc(s, loc)
		if err != nil {
			return err
		}
		item.Loc = l
		if eq >= 0 {
			vs := p.skipSpace(eq + 1)
			if vs >= e {
				return p.errf(eq, "init: missing value after '='")
			}
			v, err := p.parseValue(vs, string(p.src[vs:e]))
			if err != nil {
				return err
			}
			item.Value = v
		} else if item.Type == "" {
			return p.errf(s, "init: %q needs '=VALUE' or a type", loc)
		}
		if item.Value != nil {
			// A declaration (a type alone) may precede the value.
			if at, ok := first[item.Loc]; ok {
				return p.errf(s, "init: %s given a value twice (first at %d:%d)", item.Loc, at.Line, at.Col)
			}
			first[item.Loc] = item.Pos
		}
		t.Init = append(t.Init, item)
	}
	return nil
}

// parseLoc parses P:REG, [VAR] or VAR.
func (p *parser) parseLoc(off int, s string) (Location, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return Location{}, p.errf(off, "location %q: missing ']'", s)
		}
		v := strings.TrimSpace(s[1 : len(s)-1])
		if !reVar.MatchString(v) {
			return Location{}, p.errf(off, "location %q: bad variable name", s)
		}
		return Location{Kind: LocMem, Var: v}, nil
	}
	if th, reg, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.Atoi(th)
		if err != nil || n < 0 || n >= maxThreads {
			return Location{}, p.errf(off, "location %q: bad thread number", s)
		}
		r, ok := canonReg(reg)
		if !ok {
			return Location{}, p.errf(off, "location %q: bad register %q", s, reg)
		}
		return Location{Kind: LocReg, Thread: n, Reg: r}, nil
	}
	if !reVar.MatchString(s) {
		return Location{}, p.errf(off, "bad location %q", s)
	}
	return Location{Kind: LocMem, Var: s}, nil
}

// canonReg maps W9 and X9 to X9, WZR to XZR; the bool is false for
// strings that are not general-purpose registers.
func canonReg(r string) (string, bool) {
	r = strings.ToUpper(strings.TrimSpace(r))
	m := reReg.FindStringSubmatch(r)
	if m == nil {
		return "", false
	}
	switch {
	case m[2] != "":
		n, err := strconv.Atoi(m[2])
		if err != nil || n > 30 {
			return "", false
		}
		return "X" + strconv.Itoa(n), true
	case m[3] != "":
		return "XZR", true
	}
	return "SP", true
}

// parseValue parses a value: an integer, an instruction (NOP, instr:"..."),
// a code label (P1:L0, label:"P1:L0"), a variable name, or a parenthesised
// opaque value.
func (p *parser) parseValue(off int, s string) (*Value, error) {
	s = strings.TrimSpace(s)
	v := &Value{Pos: p.pos(off)}
	unq := func(prefix string) (string, bool, error) {
		if !strings.HasPrefix(s, prefix) {
			return "", false, nil
		}
		r := strings.TrimSpace(s[len(prefix):])
		if len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' {
			return "", true, p.errf(off, "value %q: want %s\"...\"", s, prefix)
		}
		return r[1 : len(r)-1], true, nil
	}
	if in, ok, err := unq("instr:"); ok {
		if err != nil {
			return nil, err
		}
		ins, err := p.parseInstr(off, in)
		if err != nil {
			return nil, err
		}
		v.Kind, v.Instr = ValInstr, ins
		return v, nil
	}
	if lab, ok, err := unq("label:"); ok {
		if err != nil {
			return nil, err
		}
		s = lab
		if err := p.labelValue(off, v, s); err != nil {
			return nil, err
		}
		return v, nil
	}
	if s == "" {
		return nil, p.errf(off, "missing value")
	}
	if s[0] == '(' {
		if s[len(s)-1] != ')' {
			return nil, p.errf(off, "value %q: missing ')'", s)
		}
		v.Kind, v.Sym = ValOpaque, s
		return v, nil
	}
	if n, err := parseInt(s); err == nil {
		v.Kind, v.Int = ValInt, n
		return v, nil
	}
	if reProc.MatchString(strings.SplitN(s, ":", 2)[0]) && strings.Contains(s, ":") {
		if err := p.labelValue(off, v, s); err != nil {
			return nil, err
		}
		return v, nil
	}
	if op := strings.ToUpper(strings.Fields(s)[0]); knownOps[op] {
		ins, err := p.parseInstr(off, s)
		if err != nil {
			return nil, err
		}
		v.Kind, v.Instr = ValInstr, ins
		return v, nil
	}
	if !reVar.MatchString(s) {
		return nil, p.errf(off, "bad value %q", s)
	}
	v.Kind, v.Sym = ValSym, s
	return v, nil
}

func (p *parser) labelValue(off int, v *Value, s string) error {
	th, lab, ok := strings.Cut(s, ":")
	m := reProc.FindStringSubmatch(th)
	if !ok || m == nil || m[2] != "" || !reLabel.MatchString(lab) {
		return p.errf(off, "bad label value %q: want Pn:LABEL", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n >= maxThreads {
		return p.errf(off, "bad thread number in %q", s)
	}
	v.Kind, v.Thread, v.Label = ValLabel, n, lab
	return nil
}

func parseInt(s string) (int64, error) {
	return strconv.ParseInt(s, 0, 64)
}

// knownOps are the mnemonics the parser accepts as instructions.
var knownOps = map[string]bool{
	"NOP": true, "B": true, "BL": true, "BR": true, "BLR": true, "RET": true,
	"CBZ": true, "CBNZ": true, "TBZ": true, "TBNZ": true,
	"STR": true, "LDR": true, "STLR": true, "LDAR": true, "MOV": true,
	"ADD": true, "SUB": true, "EOR": true, "AND": true, "ORR": true,
	"CMP": true, "CSET": true, "CSEL": true, "ADR": true,
	"DC": true, "IC": true, "DSB": true, "DMB": true, "ISB": true,
	"MSR": true, "MRS": true, "ERET": true, "SVC": true, "HVC": true, "BRK": true,
	// the rest of the arm64 port's subset (arches/arm64/isa.go)
	"ADRP": true, "SUBS": true, "MOVZ": true, "CSINC": true, "STP": true, "LDP": true,
	"BTI": true, "UDF": true, "SMC": true,
}

var condCodes = map[string]bool{
	"EQ": true, "NE": true, "CS": true, "HS": true, "CC": true, "LO": true, "MI": true, "PL": true,
	"VS": true, "VC": true, "HI": true, "LS": true, "GE": true, "LT": true, "GT": true, "LE": true, "AL": true,
}

// parseInstr parses one instruction written at off.
func (p *parser) parseInstr(off int, s string) (*Instr, error) {
	s = strings.TrimSpace(s)
	in := &Instr{Pos: p.pos(off)}
	op, rest, _ := strings.Cut(s, " ")
	if i := strings.IndexByte(op, '\t'); i >= 0 {
		op, rest = op[:i], op[i+1:]+" "+rest
	}
	in.Op = strings.ToUpper(op)
	base, cond, hasCond := strings.Cut(in.Op, ".")
	if !knownOps[base] || hasCond && (base != "B" || !condCodes[cond]) {
		return nil, p.errf(off, "unknown instruction %q", op)
	}
	rest = strings.TrimSpace(rest)
	if rest != "" {
		depth := 0
		start := 0
		var parts []string
		for i := 0; i <= len(rest); i++ {
			if i < len(rest) {
				switch rest[i] {
				case '[':
					depth++
					continue
				case ']':
					depth--
					continue
				case ',':
					if depth != 0 {
						continue
					}
				default:
					continue
				}
			}
			parts = append(parts, rest[start:i])
			start = i + 1
		}
		if depth != 0 {
			return nil, p.errf(off, "instruction %q: unbalanced '['", s)
		}
		for _, a := range parts {
			o, err := p.parseOperand(off, strings.TrimSpace(a))
			if err != nil {
				return nil, err
			}
			in.Args = append(in.Args, o)
		}
	}
	if err := checkArity(in); err != nil {
		return nil, p.errf(off, "instruction %q: %s", s, err.Msg)
	}
	return in, nil
}

func (p *parser) parseOperand(off int, a string) (Operand, error) {
	switch {
	case a == "":
		return Operand{}, p.errf(off, "empty operand")
	case a[0] == '#':
		n, err := parseInt(strings.TrimSpace(a[1:]))
		if err != nil {
			return Operand{}, p.errf(off, "bad immediate %q", a)
		}
		return Operand{Kind: OpImm, Imm: n}, nil
	case a[0] == '.':
		r := strings.ReplaceAll(a[1:], " ", "")
		if r == "" {
			return Operand{Kind: OpRel}, nil
		}
		n, err := parseInt(r)
		if err != nil || r[0] != '+' && r[0] != '-' {
			return Operand{}, p.errf(off, "bad relative address %q", a)
		}
		return Operand{Kind: OpRel, Imm: n}, nil
	case a[0] == '[':
		if a[len(a)-1] != ']' {
			return Operand{}, p.errf(off, "bad memory operand %q", a)
		}
		parts := strings.Split(a[1:len(a)-1], ",")
		o := Operand{Kind: OpMem}
		b := strings.ToUpper(strings.TrimSpace(parts[0]))
		if _, ok := canonReg(b); !ok {
			return Operand{}, p.errf(off, "memory operand %q: bad base register", a)
		}
		o.Base = b
		for i, q := range parts[1:] {
			q = strings.ToUpper(strings.TrimSpace(q))
			switch {
			case i == 0 && strings.HasPrefix(q, "#"):
				n, err := parseInt(strings.TrimSpace(q[1:]))
				if err != nil {
					return Operand{}, p.errf(off, "memory operand %q: bad offset", a)
				}
				o.Imm = n
			case i == 0:
				if _, ok := canonReg(q); !ok {
					return Operand{}, p.errf(off, "memory operand %q: bad index register", a)
				}
				o.Index = q
			case i == 1 && (q == "SXTW" || q == "UXTW" || q == "SXTX" || strings.HasPrefix(q, "LSL")):
				o.Sym = q
			default:
				return Operand{}, p.errf(off, "memory operand %q: unexpected %q", a, q)
			}
		}
		return o, nil
	}
	if _, ok := canonReg(a); ok {
		return Operand{Kind: OpReg, Reg: strings.ToUpper(a)}, nil
	}
	if !reLabel.MatchString(a) {
		return Operand{}, p.errf(off, "bad operand %q", a)
	}
	return Operand{Kind: OpSym, Sym: a}, nil
}

// checkArity checks operand counts and kinds for the instructions the
// explorer executes; others only need well-formed operands.
func checkArity(in *Instr) *Error {
	kinds := func(want ...OpKind) *Error {
		if len(in.Args) != len(want) {
			return &Error{Msg: sprintf("want %d operands, got %d", len(want), len(in.Args))}
		}
		for i, k := range want {
			if in.Args[i].Kind != k && !(k == OpSym && in.Args[i].Kind == OpRel) && !(k == OpImm && in.Args[i].Kind == OpReg && in.Op != "ADR") {
				return &Error{Msg: sprintf("operand %d (%s) has the wrong kind", i+1, in.Args[i])}
			}
		}
		return nil
	}
	switch base, _, _ := strings.Cut(in.Op, "."); base {
	case "NOP", "ERET", "ISB":
		if len(in.Args) > 1 {
			return &Error{Msg: "too many operands"}
		}
	case "RET":
		if len(in.Args) > 1 || len(in.Args) == 1 && in.Args[0].Kind != OpReg {
			return &Error{Msg: "want at most one register"}
		}
	case "B", "BL":
		return kinds(OpSym)
	case "BR", "BLR":
		return kinds(OpReg)
	case "CBZ", "CBNZ":
		return kinds(OpReg, OpSym)
	case "TBZ", "TBNZ":
		return kinds(OpReg, OpImm, OpSym)
	case "UDF", "BRK", "SVC", "HVC", "SMC":
		if len(in.Args) != 1 || in.Args[0].Kind != OpImm {
			return &Error{Msg: "want one immediate"}
		}
	case "BTI":
		if len(in.Args) > 1 || len(in.Args) == 1 && in.Args[0].Kind != OpSym {
			return &Error{Msg: "want at most one target (c, j, jc)"}
		}
	case "STR", "LDR", "STLR", "LDAR":
		return kinds(OpReg, OpMem)
	case "MOV", "CMP", "MOVZ":
		return kinds(OpReg, OpImm) // OpImm also admits a register
	case "CSET":
		return kinds(OpReg, OpSym)
	case "CSEL", "CSINC":
		return kinds(OpReg, OpReg, OpReg, OpSym)
	case "EOR", "AND", "ORR", "ADD", "SUB", "SUBS":
		return kinds(OpReg, OpReg, OpImm)
	case "ADR", "ADRP":
		return kinds(OpReg, OpSym)
	case "DC", "IC":
		if len(in.Args) < 1 || in.Args[0].Kind != OpSym {
			return &Error{Msg: "want a maintenance operation (CVAU, IVAU, IALLU ...)"}
		}
		if len(in.Args) > 2 || len(in.Args) == 2 && in.Args[1].Kind != OpReg {
			return &Error{Msg: "want OP[,Xn]"}
		}
	case "DSB", "DMB":
		return kinds(OpSym)
	case "MSR":
		return kinds(OpSym, OpReg)
	case "MRS":
		return kinds(OpReg, OpSym)
	}
	return nil
}
