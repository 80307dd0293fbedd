package litmus

import (
	"fmt"
	"strconv"
	"strings"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// parseCode parses the thread header line and the code rows.
func (p *parser) parseCode(t *Test, rows [][2]int) error {
	hdr := rows[0]
	cols := p.row(hdr[0], hdr[1])
	if cols == nil {
		return p.errf(hdr[0], "thread header: missing ';' at the end of the line")
	}
	seen := map[string]bool{}
	for _, c := range cols {
		name := string(p.src[c[0]:c[1]])
		m := reProc.FindStringSubmatch(name)
		if m == nil {
			return p.errf(c[0], "thread header: want P0, P1, ... or P0.F, got %q", name)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n >= maxThreads {
			return p.errf(c[0], "thread header: bad thread number %q", name)
		}
		if seen[name] {
			return p.errf(c[0], "thread header: %s appears twice", name)
		}
		seen[name] = true
		t.Threads = append(t.Threads, &Thread{Pos: p.pos(c[0]), Name: name, Proc: n, Fault: m[2] != ""})
	}
	for _, r := range rows[1:] {
		cells := p.row(r[0], r[1])
		if cells == nil {
			return p.errf(r[0], "code row: missing ';' at the end of the line")
		}
		if len(cells) > len(t.Threads) {
			return p.errf(cells[len(t.Threads)][0], "code row has %d columns, but there are %d threads", len(cells), len(t.Threads))
		}
		for i, c := range cells {
			ln, err := p.parseCell(c[0], c[1])
			if err != nil {
				return err
			}
			if ln != nil {
				t.Threads[i].Code = append(t.Threads[i].Code, *ln)
			}
		}
	}
	return nil
}

// row splits one code line into '|'-separated cells; the line must end with ';'.
// Several ';'-terminated rows on one line are not supported (herd allows
// them; the catalogue does not use them).
func (p *parser) row(s, e int) [][2]int {
	for e > s && isSpace(p.src[e-1]) {
		e--
	}
	if e == s || p.src[e-1] != ';' {
		return nil
	}
	return p.split(s, e-1, '|')
}

// parseCell parses "L0: L1: INSTR" or part of it; nil for an empty cell.
func (p *parser) parseCell(s, e int) (*Line, error) {
	if s == e {
		return nil, nil
	}
	ln := &Line{Pos: p.pos(s)}
	for {
		s = p.skipSpace(s)
		if s >= e {
			break
		}
		i := s
		for i < e && p.src[i] != ':' && !isSpace(p.src[i]) && p.src[i] != ',' {
			i++
		}
		if i < e && p.src[i] == ':' {
			lab := string(p.src[s:i])
			if !reLabel.MatchString(lab) {
				return nil, p.errf(s, "bad label %q", lab)
			}
			ln.Labels = append(ln.Labels, lab)
			s = i + 1
			continue
		}
		in, err := p.parseInstr(s, string(p.src[s:e]))
		if err != nil {
			return nil, err
		}
		ln.Instr = in
		break
	}
	return ln, nil
}

// Condition tokens.
type ctok struct {
	off  int
	kind byte // 'w' word, '(' ')' '[' ']' '=' '~' '&' (/\) '|' (\/) 's' string, 0 end
	text string
}

func (p *parser) condTokens(off int) ([]ctok, error) {
	var out []ctok
	for {
		off = p.skipSpace(off)
		if off >= len(p.src) {
			out = append(out, ctok{off: off})
			return out, nil
		}
		c := p.src[off]
		switch {
		case c == '/' && off+1 < len(p.src) && p.src[off+1] == '\\':
			out = append(out, ctok{off, '&', `/\`})
			off += 2
		case c == '\\' && off+1 < len(p.src) && p.src[off+1] == '/':
			out = append(out, ctok{off, '|', `\/`})
			off += 2
		case strings.IndexByte("()[]=~", c) >= 0:
			out = append(out, ctok{off, c, string(c)})
			off++
		case c == '"':
			e := off + 1
			for e < len(p.src) && p.src[e] != '"' {
				e++
			}
			if e >= len(p.src) {
				return nil, p.errf(off, "unterminated string")
			}
			out = append(out, ctok{off, 's', string(p.src[off : e+1])})
			off = e + 1
		case isIdent(c) || c == '-' || c == '+' || c == '.':
			e := off
			for e < len(p.src) && (isIdent(p.src[e]) || strings.IndexByte(":.-+", p.src[e]) >= 0) {
				e++
			}
			out = append(out, ctok{off, 'w', string(p.src[off:e])})
			off = e
		default:
			return nil, p.errf(off, "unexpected character %q in the final condition", string(c))
		}
	}
}

type condParser struct {
	p    *parser
	toks []ctok
	i    int
	// depth bounds recursion on hostile input.
	depth int
}

func (c *condParser) peek() ctok { return c.toks[c.i] }
func (c *condParser) next() ctok {
	t := c.toks[c.i]
	if c.i < len(c.toks)-1 {
		c.i++
	}
	return t
}

func (p *parser) parseCond(off int) (*Condition, error) {
	toks, err := p.condTokens(off)
	if err != nil {
		return nil, err
	}
	c := &condParser{p: p, toks: toks}
	// Skip 'locations [...]' and 'filter PROP' clauses before the quantifier.
	for {
		t := c.peek()
		if t.kind == 'w' && t.text == "locations" {
			c.next()
			if c.next().kind != '[' {
				return nil, p.errf(t.off, "locations: want '['")
			}
			for c.peek().kind != ']' {
				if c.peek().kind == 0 {
					return nil, p.errf(t.off, "locations: missing ']'")
				}
				c.next()
			}
			c.next()
			continue
		}
		if t.kind == 'w' && t.text == "filter" {
			return nil, p.errf(t.off, "filter clauses are not supported")
		}
		break
	}
	cond := &Condition{Pos: p.pos(c.peek().off)}
	t := c.next()
	switch {
	case t.kind == 'w' && t.text == "exists":
		cond.Quant = Exists
	case t.kind == 'w' && t.text == "forall":
		cond.Quant = Forall
	case t.kind == '~' && c.peek().kind == 'w' && c.peek().text == "exists":
		c.next()
		cond.Quant = NotExists
	default:
		return nil, p.errf(t.off, "final condition: want exists, ~exists or forall, got %q", t.text)
	}
	pr, err := c.or()
	if err != nil {
		return nil, err
	}
	if t := c.peek(); t.kind != 0 {
		return nil, p.errf(t.off, "final condition: unexpected %q after the proposition", t.text)
	}
	cond.Prop = pr
	return cond, nil
}

func (c *condParser) or() (*Prop, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 200 {
		return nil, c.p.errf(c.peek().off, "final condition nested too deeply")
	}
	l, err := c.and()
	if err != nil {
		return nil, err
	}
	for c.peek().kind == '|' {
		t := c.next()
		r, err := c.and()
		if err != nil {
			return nil, err
		}
		l = &Prop{Pos: c.p.pos(t.off), Kind: PropOr, Args: []*Prop{l, r}}
	}
	return l, nil
}

func (c *condParser) and() (*Prop, error) {
	l, err := c.unary()
	if err != nil {
		return nil, err
	}
	for c.peek().kind == '&' {
		t := c.next()
		r, err := c.unary()
		if err != nil {
			return nil, err
		}
		l = &Prop{Pos: c.p.pos(t.off), Kind: PropAnd, Args: []*Prop{l, r}}
	}
	return l, nil
}

func (c *condParser) unary() (*Prop, error) {
	t := c.next()
	switch t.kind {
	case '~':
		c.depth++
		defer func() { c.depth-- }()
		if c.depth > 200 {
			return nil, c.p.errf(t.off, "final condition nested too deeply")
		}
		a, err := c.unary()
		if err != nil {
			return nil, err
		}
		return &Prop{Pos: c.p.pos(t.off), Kind: PropNot, Args: []*Prop{a}}, nil
	case '(':
		a, err := c.or()
		if err != nil {
			return nil, err
		}
		if e := c.next(); e.kind != ')' {
			return nil, c.p.errf(e.off, "final condition: want ')', got %q", e.text)
		}
		return a, nil
	case '[':
		v := c.next()
		if v.kind != 'w' {
			return nil, c.p.errf(v.off, "final condition: want a variable after '['")
		}
		if e := c.next(); e.kind != ']' {
			return nil, c.p.errf(e.off, "final condition: want ']'")
		}
		return c.atom(t.off, "["+v.text+"]")
	case 'w':
		switch t.text {
		case "true":
			return &Prop{Pos: c.p.pos(t.off), Kind: PropTrue}, nil
		case "false":
			return &Prop{Pos: c.p.pos(t.off), Kind: PropFalse}, nil
		}
		return c.atom(t.off, t.text)
	}
	if t.kind == 0 {
		return nil, c.p.errf(t.off, "final condition: unexpected end of file")
	}
	return nil, c.p.errf(t.off, "final condition: unexpected %q", t.text)
}

func (c *condParser) atom(off int, loc string) (*Prop, error) {
	l, err := c.p.parseLoc(off, loc)
	if err != nil {
		return nil, err
	}
	if e := c.next(); e.kind != '=' {
		return nil, c.p.errf(e.off, "final condition: want '=' after %s", loc)
	}
	v := c.next()
	text := v.text
	switch v.kind {
	case 'w':
		// A value may be "label:..." or "instr:..." followed by a string.
		if (text == "label:" || text == "instr:") && c.peek().kind == 's' {
			text += c.next().text
		}
	case 's':
	default:
		return nil, c.p.errf(v.off, "final condition: want a value after '='")
	}
	val, err := c.p.parseValue(v.off, text)
	if err != nil {
		return nil, err
	}
	return &Prop{Pos: c.p.pos(off), Kind: PropAtom, Loc: l, Val: val}, nil
}

// check validates cross-references: threads named in init, condition and
// labels exist, and labels are unique within a column.
func (p *parser) check(t *Test) error {
	procs := map[int]*Thread{}
	for _, th := range t.Threads {
		if !th.Fault {
			procs[th.Proc] = th
		}
		labs := map[string]bool{}
		for _, ln := range th.Code {
			for _, l := range ln.Labels {
				if labs[l] {
					return &Error{Pos: ln.Pos, Msg: sprintf("label %s defined twice in %s", l, th.Name)}
				}
				labs[l] = true
			}
		}
	}
	for _, th := range t.Threads {
		if th.Fault && procs[th.Proc] == nil {
			return &Error{Pos: th.Pos, Msg: sprintf("%s handles faults of P%d, which does not exist", th.Name, th.Proc)}
		}
	}
	hasLabel := func(n int, l string) bool {
		th := procs[n]
		if th == nil {
			return false
		}
		for _, ln := range th.Code {
			for _, x := range ln.Labels {
				if x == l {
					return true
				}
			}
		}
		return false
	}
	checkVal := func(v *Value) error {
		if v != nil && v.Kind == ValLabel && !hasLabel(v.Thread, v.Label) {
			return &Error{Pos: v.Pos, Msg: sprintf("label P%d:%s is not defined", v.Thread, v.Label)}
		}
		return nil
	}
	for _, it := range t.Init {
		if it.Loc.Kind == LocReg && procs[it.Loc.Thread] == nil {
			return &Error{Pos: it.Pos, Msg: sprintf("init: thread P%d does not exist", it.Loc.Thread)}
		}
		if err := checkVal(it.Value); err != nil {
			return err
		}
	}
	var walk func(pr *Prop) error
	walk = func(pr *Prop) error {
		if pr.Kind == PropAtom {
			if pr.Loc.Kind == LocReg && procs[pr.Loc.Thread] == nil {
				return &Error{Pos: pr.Pos, Msg: sprintf("final condition: thread P%d does not exist", pr.Loc.Thread)}
			}
			return checkVal(pr.Val)
		}
		for _, a := range pr.Args {
			if err := walk(a); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(t.Cond.Prop)
}
