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
	kind byte // 'w' word, '(' ')' '[' ']' '=' (= or ==) 'n' (!= or <>) '>' (=>) '~' (~ or not) '&' (/\) '|' (\/) ';' ',' 's' string, 0 end
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
		case off+1 < len(p.src) && (c == '=' || c == '!' || c == '<') && strings.IndexByte("=>", p.src[off+1]) >= 0:
			two := string(p.src[off : off+2])
			kind := map[string]byte{"==": '=', "=>": '>', "!=": 'n', "<>": 'n'}[two]
			if kind == 0 {
				return nil, p.errf(off, "unexpected %q in the final condition", two)
			}
			out = append(out, ctok{off, kind, two})
			off += 2
		case strings.IndexByte("()[]=~;,", c) >= 0:
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
			w := string(p.src[off:e])
			if w == "not" {
				out = append(out, ctok{off, '~', w})
			} else {
				out = append(out, ctok{off, 'w', w})
			}
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
		break
	}
	var filter *Prop
	if t := c.peek(); t.kind == 'w' && t.text == "filter" {
		c.next()
		f, err := c.or()
		if err != nil {
			return nil, err
		}
		filter = f
	}
	cond := &Condition{Pos: p.pos(c.peek().off), Filter: filter}
	t := c.next()
	q, ok := c.quant(t)
	if !ok {
		return nil, p.errf(t.off, "final condition: want exists, ~exists, forall or final, got %q", t.text)
	}
	cond.Quant = q
	pr, err := c.or()
	if err != nil {
		return nil, err
	}
	cond.Prop = pr
	if c.peek().kind == ';' {
		c.next()
	}
	if t := c.peek(); t.kind == 'w' && t.text == "with" {
		c.next()
		for c.peek().kind != 0 {
			name := c.next()
			n, colon := strings.CutSuffix(name.text, ":")
			if name.kind != 'w' || !colon || n == "" {
				return nil, p.errf(name.off, "with: want NAME: exists, ~exists or forall")
			}
			kt := c.next()
			kq, ok := c.quant(kt)
			if !ok || kt.text == "final" {
				return nil, p.errf(kt.off, "with: want exists, ~exists or forall after %s", name.text)
			}
			cond.With = append(cond.With, WithKind{Name: n, Quant: kq})
			if c.peek().kind == ';' {
				c.next()
			}
		}
	}
	if t := c.peek(); t.kind != 0 {
		return nil, p.errf(t.off, "final condition: unexpected %q after the proposition", t.text)
	}
	return cond, nil
}

// quant reads a quantifier that starts with t: exists, ~exists (or not
// exists), forall, or final (herd7's synonym of exists).
func (c *condParser) quant(t ctok) (Quant, bool) {
	switch {
	case t.kind == 'w' && (t.text == "exists" || t.text == "final"):
		return Exists, true
	case t.kind == 'w' && t.text == "forall":
		return Forall, true
	case t.kind == '~' && c.peek().kind == 'w' && c.peek().text == "exists":
		c.next()
		return NotExists, true
	}
	return 0, false
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
	l, err := c.implies()
	if err != nil {
		return nil, err
	}
	for c.peek().kind == '&' {
		t := c.next()
		r, err := c.implies()
		if err != nil {
			return nil, err
		}
		l = &Prop{Pos: c.p.pos(t.off), Kind: PropAnd, Args: []*Prop{l, r}}
	}
	return l, nil
}

// implies reads "a => b" (right-associative, binding tighter than /\
// and looser than ~, as in herd7's stateParser.mly) as ~a \/ b.
func (c *condParser) implies() (*Prop, error) {
	l, err := c.unary()
	if err != nil || c.peek().kind != '>' {
		return l, err
	}
	t := c.next()
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 200 {
		return nil, c.p.errf(t.off, "final condition nested too deeply")
	}
	r, err := c.implies()
	if err != nil {
		return nil, err
	}
	pos := c.p.pos(t.off)
	return &Prop{Pos: pos, Kind: PropOr, Args: []*Prop{{Pos: pos, Kind: PropNot, Args: []*Prop{l}}, r}}, nil
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
		case "fault", "Fault":
			if c.peek().kind == '(' {
				return c.fault(t.off)
			}
		}
		return c.atom(t.off, t.text)
	}
	if t.kind == 0 {
		return nil, c.p.errf(t.off, "final condition: unexpected end of file")
	}
	return nil, c.p.errf(t.off, "final condition: unexpected %q", t.text)
}

// fault reads the rest of herd7's fault(Pn[:L][, ARG]).
func (c *condParser) fault(off int) (*Prop, error) {
	c.next() // (
	w := c.next()
	pn, label, _ := strings.Cut(w.text, ":")
	n, err := strconv.Atoi(strings.TrimPrefix(pn, "P"))
	if w.kind != 'w' || !strings.HasPrefix(pn, "P") || err != nil || n < 0 || strings.Contains(label, ":") {
		return nil, c.p.errf(w.off, "fault: want a thread such as P0 or P0:L0, got %q", w.text)
	}
	pr := &Prop{Pos: c.p.pos(off), Kind: PropFault, Loc: Location{Kind: LocReg, Thread: n}, Label: label}
	if c.peek().kind == ',' {
		c.next()
		a := c.next()
		if a.kind != 'w' {
			return nil, c.p.errf(a.off, "fault: want a location or a fault type after ','")
		}
		pr.Arg = a.text
		for c.peek().kind == ',' { // fault(P0:L, x, Type)
			c.next()
			b := c.next()
			if b.kind != 'w' {
				return nil, c.p.errf(b.off, "fault: want a fault type after ','")
			}
			pr.Arg += "," + b.text
		}
	}
	if e := c.next(); e.kind != ')' {
		return nil, c.p.errf(e.off, "fault: want ')', got %q", e.text)
	}
	return pr, nil
}

func (c *condParser) atom(off int, loc string) (*Prop, error) {
	l, err := c.p.parseLoc(off, loc)
	if err != nil {
		return nil, err
	}
	neg := false
	switch e := c.next(); e.kind {
	case '=':
	case 'n':
		neg = true
	default:
		return nil, c.p.errf(e.off, "final condition: want '=' or '!=' after %s", loc)
	}
	pr, err := c.value(off, l)
	if err != nil || !neg {
		return pr, err
	}
	return &Prop{Pos: pr.Pos, Kind: PropNot, Args: []*Prop{pr}}, nil
}

// value reads the value of an atom about l.
func (c *condParser) value(off int, l Location) (*Prop, error) {
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
		if pr.Kind == PropFault {
			b := procs[pr.Loc.Thread]
			if b == nil {
				return &Error{Pos: pr.Pos, Msg: sprintf("fault: thread P%d does not exist", pr.Loc.Thread)}
			}
			return nil
		}
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
	if t.Cond.Filter != nil {
		if err := walk(t.Cond.Filter); err != nil {
			return err
		}
	}
	return walk(t.Cond.Prop)
}
