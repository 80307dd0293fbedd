package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a parse error: a message and the position of the offending word.
// Parse returns only errors of this type.
type Error struct {
	File string // the file name given to Parse
	Line int    // 1-based line
	Col  int    // 1-based column, counted in runes (a tab is one column)
	Msg  string
	// Err is the error that ParseOptions.Check or Validate returned, or nil.
	Err error
}

// Error renders e as "file:line:col: msg" (as "line:col: msg" when File is
// empty).
func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// ParseOptions adjust Parse. The zero value and nil are the defaults.
type ParseOptions struct {
	// Check, if non-nil, vets a value when Parse reads it. field is "arch",
	// "variant", "fetch" or "property" (the PROPERTY of "expect violation").
	// A non-nil result becomes an *Error at the value's position whose Msg
	// is the result's text and whose Err is the result.
	Check func(field, value string) error
	// FS, if non-nil, is where the kernel and patch directives read
	// their files, by slash-separated paths relative to the scenario (use
	// os.DirFS of the scenario's directory). Without it those
	// directives are an error unless their text is inline (<<TAG).
	FS fs.FS
}

// maxBound is the largest value "bound" accepts.
const maxBound = 1_000_000_000

// Parse reads a scenario file in the format of docs/scenario-format.md.
// filename is used only in error positions. Every error is an *Error.
// Parse produces nil, never empty, slices. Parse does not panic on any input.
func Parse(filename string, src []byte, opt *ParseOptions) (*Scenario, error) {
	p := &parser{
		file:    filename,
		s:       &Scenario{},
		seen:    map[string]pos{},
		targets: map[string]pos{},
		keys:    map[string]pos{},
		modules: map[string]pos{},
		sites:   map[string]pos{},
		threads: map[string]pos{},
		callers: map[string]pos{},
		places:  map[string]pos{},
		skeys:   map[string]pos{},
		jumps:   map[string]pos{},
		items:   map[string][]pos{},
	}
	if opt != nil {
		p.check = opt.Check
		p.fsys = opt.FS
	}
	if err := p.parse(src); err != nil {
		return nil, err
	}
	for _, w := range p.modelThreads {
		if _, ok := p.threads[w.text]; !ok && !p.locating {
			return nil, p.errAt(w.pos, "thread=%s: no thread %s in the scenario", w.text, w.text)
		}
	}
	if err := p.s.Validate(); err != nil {
		at := pos{1, 1}
		if l, c, ok := p.locate(err); ok {
			at = pos{l, c}
		}
		return nil, &Error{File: filename, Line: at.line, Col: at.col, Msg: err.Error(), Err: err}
	}
	return p.s, nil
}

// Locate returns the position in the scenario file src of the item that
// err is about: err, or an error it wraps, has a method
// ScenarioItem() (kind string, index int), as *ItemError does. ok is
// false when there is no such item or src does not parse.
func Locate(src []byte, err error) (line, col int, ok bool) {
	p := &parser{s: &Scenario{}, seen: map[string]pos{}, targets: map[string]pos{}, keys: map[string]pos{},
		modules: map[string]pos{}, sites: map[string]pos{}, threads: map[string]pos{}, callers: map[string]pos{},
		places: map[string]pos{}, skeys: map[string]pos{}, jumps: map[string]pos{}, items: map[string][]pos{}, locating: true}
	if p.parse(src) != nil {
		return 0, 0, false
	}
	return p.locate(err)
}

// locate returns the position of the item err is about.
func (p *parser) locate(err error) (int, int, bool) {
	var it interface{ ScenarioItem() (string, int) }
	if !errors.As(err, &it) {
		return 0, 0, false
	}
	kind, i := it.ScenarioItem()
	if kind == "sketch" {
		if i >= 0 && i < len(p.s.Sketch) && p.s.Sketch[i].Line > 0 {
			return p.s.Sketch[i].Line, p.s.Sketch[i].Col, true
		}
		return 0, 0, false
	}
	at := p.items[kind]
	if i < 0 || i >= len(at) {
		return 0, 0, false
	}
	return at[i].line, at[i].col, true
}

// item records the position of the next item of kind and checks the
// kind's capacity: n is the number of items of the kind so far.
func (p *parser) item(kind string, at pos, n, limit int, msg func() string) error {
	if n >= limit {
		return p.errAt(at, "%s", msg())
	}
	p.items[kind] = append(p.items[kind], at)
	return nil
}

// pos is a 1-based line and column.
type pos struct{ line, col int }

func (p pos) String() string { return fmt.Sprintf("%d:%d", p.line, p.col) }

// word is a word of a line and where it is.
type word struct {
	text     string
	off, end int // byte offsets in the line's content
	pos      pos
}

type parser struct {
	file  string
	check func(field, value string) error
	s     *Scenario

	// line state
	lineNo  int
	content string // the current line up to a comment, without CR LF
	colOff  int    // column cursor: byte offset ...
	colCol  int    // ... and its column

	seen    map[string]pos // directives given once -> where
	targets map[string]pos
	keys    map[string]pos
	modules map[string]pos
	sites   map[string]pos
	skeys   map[string]pos // static keys
	jumps   map[string]pos // jump label sites
	threads map[string]pos
	// modelThreads: the thread=T of model texts, checked once every
	// thread is declared.
	modelThreads []word
	callers      map[string]pos
	places       map[string]pos
	eof          pos // the end of the file
	// items holds the position of each item of a kind ("target",
	// "cpu", ...; see ItemError), in order.
	items map[string][]pos
	// locating: Locate's run, which reads no model files.
	locating bool

	fsys fs.FS
	// here is the open here-document (<<TAG) of a model-file or patch
	// directive, collecting its lines.
	here *hereDoc
}

// hereDoc is a model text written inline, from the line after "<<TAG" to
// a line that is TAG.
type hereDoc struct {
	tag    string
	at     pos
	text   strings.Builder
	kind   string
	name   string
	thread string
}

func (p *parser) errAt(at pos, format string, args ...any) *Error {
	return &Error{File: p.file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)}
}

// col returns the column of byte offset off of the current line's content.
func (p *parser) col(off int) int {
	if off < p.colOff {
		p.colOff, p.colCol = 0, 1
	}
	for p.colOff < off && p.colOff < len(p.content) {
		_, n := utf8.DecodeRuneInString(p.content[p.colOff:])
		p.colOff += n
		p.colCol++
	}
	return p.colCol
}

func (p *parser) at(off int) pos { return pos{p.lineNo, p.col(off)} }

func (p *parser) parse(src []byte) error {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	for p.lineNo = 1; ; p.lineNo++ {
		var line []byte
		i := bytes.IndexByte(src, '\n')
		last := i < 0
		if last {
			line, src = src, nil
		} else {
			line, src = src[:i], src[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		// The end of the file is just after the last line.
		p.eof = pos{p.lineNo, 1 + utf8.RuneCount(line)}
		if h := p.here; h != nil {
			if string(line) == h.tag {
				p.s.Model = append(p.s.Model, ModelText{Kind: h.kind, Name: h.name, Text: h.text.String(), Thread: h.thread})
				p.here = nil
			} else {
				if !utf8.Valid(line) {
					return p.errAt(pos{p.lineNo, 1}, "invalid UTF-8 in the text of %s %s", h.kind, h.name)
				}
				h.text.Write(line)
				h.text.WriteByte('\n')
			}
			if last {
				break
			}
			continue
		}
		if h := bytes.IndexByte(line, '#'); h >= 0 {
			line = line[:h]
		}
		p.content = string(line)
		p.colOff, p.colCol = 0, 1
		if err := p.line(); err != nil {
			return err
		}
		if last {
			break
		}
	}
	switch {
	case p.here != nil:
		return p.errAt(p.here.at, "no line %q ends this text", p.here.tag)
	case !p.given("scenario"):
		return p.errAt(p.eof, "missing scenario directive")
	case !p.given("arch"):
		return p.errAt(p.eof, "missing arch directive")
	case len(p.s.CPUs) == 0:
		return p.errAt(p.eof, "missing cpu directive (a scenario needs at least one cpu)")
	}
	return nil
}

func (p *parser) given(directive string) bool {
	_, ok := p.seen[directive]
	return ok
}

// checkChars rejects invalid UTF-8 and control characters other than tab.
func (p *parser) checkChars() error {
	s := p.content
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return p.errAt(p.at(i), "invalid UTF-8 encoding")
		case r < 0x20 && r != '\t', r == 0x7f:
			return p.errAt(p.at(i), "invalid control character %U", r)
		}
		i += n
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// fields splits content[from:to] into words separated by spaces and tabs.
func (p *parser) fields(from, to int) []word {
	var ws []word
	s := p.content
	for i := from; i < to; {
		if isSpace(s[i]) {
			i++
			continue
		}
		j := i
		for j < to && !isSpace(s[j]) {
			j++
		}
		ws = append(ws, word{text: s[i:j], off: i, end: j, pos: p.at(i)})
		i = j
	}
	return ws
}

// quote quotes s for a message, shortening a long s.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return fmt.Sprintf("%q...", s[:n])
	}
	return fmt.Sprintf("%q", s)
}

// isName reports whether s is a name: [A-Za-z_][A-Za-z0-9_.-]*.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func (p *parser) name(w word, what string) error {
	if !isName(w.text) {
		return p.errAt(w.pos, "invalid %s name %s", what, quote(w.text))
	}
	return nil
}

// once records that directive d is given, rejecting a second time.
func (p *parser) once(d word) error {
	if first, ok := p.seen[d.text]; ok {
		return p.errAt(d.pos, "%s given twice (first at line %d)", d.text, first.line)
	}
	p.seen[d.text] = d.pos
	return nil
}

// end returns the position just after the last word of ws.
func (p *parser) end(ws []word) pos { return p.at(ws[len(ws)-1].end) }

// args checks that ws (a directive and its arguments) has exactly n
// arguments.
func (p *parser) args(ws []word, n int, want string) error {
	if len(ws)-1 < n {
		return p.errAt(p.end(ws), "%s: missing %s", ws[0].text, want)
	}
	if len(ws)-1 > n {
		return p.errAt(ws[n+1].pos, "%s: unexpected %s", ws[0].text, quote(ws[n+1].text))
	}
	return nil
}

func (p *parser) vet(field string, w word) error {
	if p.check == nil {
		return nil
	}
	if err := p.check(field, w.text); err != nil {
		e := p.errAt(w.pos, "%s", err.Error())
		e.Err = err
		return e
	}
	return nil
}

func (p *parser) line() error {
	if err := p.checkChars(); err != nil {
		return err
	}
	ws := p.fields(0, len(p.content))
	if len(ws) == 0 {
		return nil
	}
	d := ws[0]
	switch d.text {
	case "scenario":
		if err := p.once(d); err != nil {
			return err
		}
		if err := p.args(ws, 1, "NAME"); err != nil {
			return err
		}
		if err := p.name(ws[1], "scenario"); err != nil {
			return err
		}
		p.s.Name = ws[1].text
	case "doc":
		if err := p.once(d); err != nil {
			return err
		}
		if len(ws) == 1 {
			return p.errAt(p.end(ws), "doc: missing text")
		}
		p.s.Doc = strings.TrimRight(p.content[ws[1].off:], " \t")
	case "arch", "variant", "fetch":
		if err := p.once(d); err != nil {
			return err
		}
		if err := p.args(ws, 1, "NAME"); err != nil {
			return err
		}
		w := ws[1]
		if err := p.name(w, d.text); err != nil {
			return err
		}
		if err := p.vet(d.text, w); err != nil {
			return err
		}
		switch d.text {
		case "arch":
			p.s.Arch = w.text
		case "variant":
			p.s.Variant = w.text
		case "fetch":
			p.s.Fetch = w.text
		}
	case "kernel", "patch", "model-file":
		return p.model(ws)
	case "target":
		if len(ws) == 1 {
			return p.errAt(p.end(ws), "target: missing NAME")
		}
		for _, w := range ws[1:] {
			if err := p.name(w, "target"); err != nil {
				return err
			}
			if w.text == Null || w.text == Return0 {
				return p.errAt(w.pos, "target %s is built in and cannot be declared", w.text)
			}
			if first, ok := p.targets[w.text]; ok {
				return p.errAt(w.pos, "target %q declared twice (first at %v)", w.text, first)
			}
			if err := p.item("target", w.pos, len(p.s.Targets), MaxTargets, tooManyTargets); err != nil {
				return err
			}
			p.targets[w.text] = w.pos
			p.s.Targets = append(p.s.Targets, w.text)
		}
	case "module":
		if err := p.args(ws, 1, "NAME"); err != nil {
			return err
		}
		w := ws[1]
		if err := p.name(w, "module"); err != nil {
			return err
		}
		if first, ok := p.modules[w.text]; ok {
			return p.errAt(w.pos, "module %q declared twice (first at %v)", w.text, first)
		}
		if err := p.item("module", w.pos, len(p.s.Modules), MaxModules, func() string { return tooMany("modules", MaxModules) }); err != nil {
			return err
		}
		p.modules[w.text] = w.pos
		p.s.Modules = append(p.s.Modules, w.text)
	case "place":
		return p.place(ws)
	case "key":
		return p.key(ws)
	case "site":
		return p.site(ws)
	case "caller":
		return p.caller(ws)
	case "static_key":
		return p.staticKey(ws)
	case "jump":
		return p.jump(ws)
	case "cpu":
		return p.cpu(ws)
	case "thread":
		return p.thread(ws)
	case "sketch":
		return p.sketch(ws)
	case "explore":
		if err := p.once(ws[0]); err != nil {
			return err
		}
		if len(ws) == 1 {
			return p.errAt(p.end(ws), "explore: missing reduce or symmetry")
		}
		for _, w := range ws[1:] {
			switch w.text {
			case "reduce":
				p.s.Bounds.Reduce = true
			case "symmetry":
				p.s.Bounds.Symmetry = true
			default:
				return p.errAt(w.pos, "explore: unknown %s (want reduce or symmetry)", quote(w.text))
			}
		}
	case "bound":
		return p.bound(ws)
	case "expect":
		return p.expect(ws)
	default:
		return p.errAt(d.pos, "unknown directive %s", quote(d.text))
	}
	return nil
}

// attr is the value of a NAME=VALUE word.
type attr struct {
	word      // the whole word
	val  word // the value
}

// attrs parses ws as NAME=VALUE words, each of names given exactly once.
func (p *parser) attrs(dir word, ws []word, names ...string) (map[string]attr, error) {
	m := map[string]attr{}
	want := strings.Join(names, "=, ") + "="
	for _, w := range ws {
		k, v, ok := strings.Cut(w.text, "=")
		if !ok {
			return nil, p.errAt(w.pos, "%s: unexpected %s (want %s)", dir.text, quote(w.text), want)
		}
		known := false
		for _, n := range names {
			known = known || k == n
		}
		if !known {
			return nil, p.errAt(w.pos, "%s: unknown attribute %s (want %s)", dir.text, quote(k+"="), want)
		}
		if _, dup := m[k]; dup {
			return nil, p.errAt(w.pos, "%s: %s= given twice", dir.text, k)
		}
		voff := w.off + len(k) + 1
		val := word{text: v, off: voff, end: w.end, pos: p.at(voff)}
		if v == "" {
			return nil, p.errAt(val.pos, "%s: missing value after %s=", dir.text, k)
		}
		m[k] = attr{w, val}
	}
	return m, nil
}

// required returns the attribute named n, or an error at the end of ws.
func (p *parser) required(ws []word, m map[string]attr, n, what string) (word, error) {
	a, ok := m[n]
	if !ok {
		return word{}, p.errAt(p.end(ws), "%s %s: missing %s=%s", ws[0].text, ws[1].text, n, what)
	}
	return a.val, nil
}

// known reports whether t is a target (built in or declared).
func (p *parser) known(t string) bool {
	_, ok := p.targets[t]
	return ok || t == Null || t == Return0
}

func (p *parser) key(ws []word) error {
	if len(ws) == 1 {
		return p.errAt(p.end(ws), "key: missing NAME")
	}
	n := ws[1]
	if err := p.name(n, "key"); err != nil {
		return err
	}
	if first, ok := p.keys[n.text]; ok {
		return p.errAt(n.pos, "key %q declared twice (first at %v)", n.text, first)
	}
	if first, ok := p.sites[n.text]; ok {
		return p.errAt(n.pos, "key %q: name taken by the site at %v", n.text, first)
	}
	if first, ok := p.callers[n.text]; ok {
		return p.errAt(n.pos, "key %q: name taken by the caller at %v", n.text, first)
	}
	if what, first, ok := p.takenJL(n.text); ok {
		return p.errAt(n.pos, "key %q: name taken by the %s at %v", n.text, what, first)
	}
	m, err := p.attrs(ws[0], ws[2:], "init", "export", "module")
	if err != nil {
		return err
	}
	export := ""
	if a, ok := m["export"]; ok {
		if a.val.text != ExportTramp {
			return p.errAt(a.val.pos, "key %q: unknown export %s (want tramp)", n.text, quote(a.val.text))
		}
		export = ExportTramp
	}
	init, err := p.required(ws, m, "init", "TARGET")
	if err != nil {
		return err
	}
	if !p.known(init.text) {
		if err := p.name(init, "target"); err != nil {
			return err
		}
		return p.errAt(init.pos, "key %q: unknown target %q (declare it first with target)", n.text, init.text)
	}
	module, err := p.moduleAttr(m, "key", n.text)
	if err != nil {
		return err
	}
	if err := p.item("key", n.pos, len(p.s.Keys), MaxKeys, func() string { return tooMany("keys", MaxKeys) }); err != nil {
		return err
	}
	if len(p.s.Keys)+len(p.s.StaticKeys) >= MaxKeys {
		return p.errAt(n.pos, "%s", tooManyKeys())
	}
	if len(p.s.Keys)+len(p.s.Sites)+len(p.s.Jumps) >= MaxWindows {
		return p.errAt(n.pos, "%s", tooManyWindows())
	}
	p.keys[n.text] = n.pos
	p.s.Keys = append(p.s.Keys, Key{Name: n.text, Init: init.text, Export: export, Module: module})
	return nil
}

// newName checks the NAME of "DIRECTIVE NAME ...": present, a valid
// name, and not the name of a key, site, caller, static key or jump yet.
func (p *parser) newName(ws []word, dir string) (word, error) {
	if len(ws) == 1 {
		return word{}, p.errAt(p.end(ws), "%s: missing NAME", dir)
	}
	n := ws[1]
	if err := p.name(n, dir); err != nil {
		return word{}, err
	}
	if what, first, ok := p.taken(n.text); ok {
		return word{}, p.errAt(n.pos, "%s %q: name taken by the %s at %v", dir, n.text, what, first)
	}
	return n, nil
}

// takenJL returns what of jump labels (a static key or a jump) is named
// name, and where.
func (p *parser) takenJL(name string) (string, pos, bool) {
	if first, ok := p.skeys[name]; ok {
		return "static_key", first, true
	}
	if first, ok := p.jumps[name]; ok {
		return "jump", first, true
	}
	return "", pos{}, false
}

// taken returns what item of the scenario's names (a key, site, caller,
// static key or jump) is named name, and where.
func (p *parser) taken(name string) (string, pos, bool) {
	for _, t := range []struct {
		what string
		m    map[string]pos
	}{{"key", p.keys}, {"site", p.sites}, {"caller", p.callers}, {"static_key", p.skeys}, {"jump", p.jumps}} {
		if first, ok := t.m[name]; ok {
			return t.what, first, true
		}
	}
	return "", pos{}, false
}

// staticKey parses "static_key NAME [init=false|true]".
func (p *parser) staticKey(ws []word) error {
	n, err := p.newName(ws, "static_key")
	if err != nil {
		return err
	}
	m, err := p.attrs(ws[0], ws[2:], "init")
	if err != nil {
		return err
	}
	init := false
	if a, ok := m["init"]; ok {
		switch a.val.text {
		case "true":
			init = true
		case "false":
		default:
			return p.errAt(a.val.pos, "static_key %q: init=%s (want true or false)", n.text, quote(a.val.text))
		}
	}
	if len(p.s.Keys)+len(p.s.StaticKeys) >= MaxKeys {
		return p.errAt(n.pos, "%s", tooManyKeys())
	}
	if len(p.s.Targets)+2*(len(p.s.StaticKeys)+1) > MaxTargets {
		return p.errAt(n.pos, "%s", tooManyTargets())
	}
	p.items["static_key"] = append(p.items["static_key"], n.pos)
	p.skeys[n.text] = n.pos
	p.s.StaticKeys = append(p.s.StaticKeys, StaticKey{Name: n.text, Init: init})
	return nil
}

// jump parses "jump NAME key=KEY [branch=likely|unlikely] [size=2|5]
// [section=init] [module=MOD]".
func (p *parser) jump(ws []word) error {
	n, err := p.newName(ws, "jump")
	if err != nil {
		return err
	}
	m, err := p.attrs(ws[0], ws[2:], "key", "branch", "size", "section", "module")
	if err != nil {
		return err
	}
	k, err := p.required(ws, m, "key", "KEY")
	if err != nil {
		return err
	}
	if _, ok := p.skeys[k.text]; !ok {
		if err := p.name(k, "static_key"); err != nil {
			return err
		}
		return p.errAt(k.pos, "jump %q: unknown static key %q (declare it first with static_key)", n.text, k.text)
	}
	j := Jump{Name: n.text, Key: k.text}
	if a, ok := m["branch"]; ok {
		switch a.val.text {
		case "likely":
			j.Likely = true
		case "unlikely":
		default:
			return p.errAt(a.val.pos, "jump %q: unknown branch %s (want likely or unlikely)", n.text, quote(a.val.text))
		}
	}
	if a, ok := m["size"]; ok {
		switch a.val.text {
		case "2":
			j.Size = JumpSize8
		case "5":
			j.Size = JumpSize32
		default:
			return p.errAt(a.val.pos, "jump %q: size=%s (want 2 or 5: x86-64's JMP8 or JMP32)", n.text, quote(a.val.text))
		}
	}
	if a, ok := m["section"]; ok {
		if a.val.text != SectionInit {
			return p.errAt(a.val.pos, "jump %q: unknown section %s (want init, or none for core text)", n.text, quote(a.val.text))
		}
		j.Section = SectionInit
	}
	if a, ok := m["module"]; ok {
		if _, known := p.modules[a.val.text]; !known {
			if err := p.name(a.val, "module"); err != nil {
				return err
			}
			return p.errAt(a.val.pos, "jump %q: unknown module %q (declare it first with module)", n.text, a.val.text)
		}
		j.Module = a.val.text
	}
	if len(p.s.Keys)+len(p.s.Sites)+len(p.s.Jumps) >= MaxWindows {
		return p.errAt(n.pos, "%s", tooManyWindows())
	}
	p.items["jump"] = append(p.items["jump"], n.pos)
	p.jumps[n.text] = n.pos
	p.s.Jumps = append(p.s.Jumps, j)
	return nil
}

// moduleAttr returns the declared module that attribute module= of m
// names, or "" without one.
func (p *parser) moduleAttr(m map[string]attr, what, name string) (string, error) {
	a, ok := m["module"]
	if !ok {
		return "", nil
	}
	if _, known := p.modules[a.val.text]; !known {
		if err := p.name(a.val, "module"); err != nil {
			return "", err
		}
		return "", p.errAt(a.val.pos, "%s %q: unknown module %q (declare it first with module)", what, name, a.val.text)
	}
	return a.val.text, nil
}

// place parses "place TARGET [module=MODULE] [range=far]".
func (p *parser) place(ws []word) error {
	if len(ws) == 1 {
		return p.errAt(p.end(ws), "place: missing TARGET")
	}
	n := ws[1]
	if n.text == Null || n.text == Return0 {
		return p.errAt(n.pos, "place: target %s is built in and cannot be placed", n.text)
	}
	if _, ok := p.targets[n.text]; !ok {
		if err := p.name(n, "target"); err != nil {
			return err
		}
		return p.errAt(n.pos, "place: unknown target %q (declare it first with target)", n.text)
	}
	if first, ok := p.places[n.text]; ok {
		return p.errAt(n.pos, "place: target %q placed twice (first at %v)", n.text, first)
	}
	m, err := p.attrs(ws[0], ws[2:], "module", "range")
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return p.errAt(p.end(ws), "place %s: missing module=MODULE or range=far", n.text)
	}
	pl := Place{Target: n.text}
	if pl.Module, err = p.moduleAttr(m, "place", n.text); err != nil {
		return err
	}
	if a, ok := m["range"]; ok {
		if a.val.text != RangeFar {
			return p.errAt(a.val.pos, "place %s: unknown range %s (want far)", n.text, quote(a.val.text))
		}
		pl.Range = RangeFar
	}
	p.items["place"] = append(p.items["place"], n.pos)
	p.places[n.text] = n.pos
	p.s.Places = append(p.s.Places, pl)
	return nil
}

// caller parses "caller NAME key=KEY [module=MODULE]".
func (p *parser) caller(ws []word) error {
	n, err := p.newName(ws, "caller")
	if err != nil {
		return err
	}
	m, err := p.attrs(ws[0], ws[2:], "key", "module")
	if err != nil {
		return err
	}
	k, err := p.required(ws, m, "key", "KEY")
	if err != nil {
		return err
	}
	if _, ok := p.keys[k.text]; !ok {
		if err := p.name(k, "key"); err != nil {
			return err
		}
		return p.errAt(k.pos, "caller %q: unknown key %q (declare it first with key)", n.text, k.text)
	}
	module, err := p.moduleAttr(m, "caller", n.text)
	if err != nil {
		return err
	}
	p.items["caller"] = append(p.items["caller"], n.pos)
	p.callers[n.text] = n.pos
	p.s.Callers = append(p.s.Callers, Caller{Name: n.text, Key: k.text, Module: module})
	return nil
}

func (p *parser) site(ws []word) error {
	if len(ws) == 1 {
		return p.errAt(p.end(ws), "site: missing NAME")
	}
	n := ws[1]
	if err := p.name(n, "site"); err != nil {
		return err
	}
	if first, ok := p.sites[n.text]; ok {
		return p.errAt(n.pos, "site %q declared twice (first at %v)", n.text, first)
	}
	if first, ok := p.keys[n.text]; ok {
		return p.errAt(n.pos, "site %q: name taken by the key at %v", n.text, first)
	}
	if first, ok := p.callers[n.text]; ok {
		return p.errAt(n.pos, "site %q: name taken by the caller at %v", n.text, first)
	}
	if what, first, ok := p.takenJL(n.text); ok {
		return p.errAt(n.pos, "site %q: name taken by the %s at %v", n.text, what, first)
	}
	m, err := p.attrs(ws[0], ws[2:], "key", "kind", "section", "module", "keyref")
	if err != nil {
		return err
	}
	k, err := p.required(ws, m, "key", "KEY")
	if err != nil {
		return err
	}
	kind, err := p.required(ws, m, "kind", "call|tail|jcc")
	if err != nil {
		return err
	}
	if _, ok := p.keys[k.text]; !ok {
		if err := p.name(k, "key"); err != nil {
			return err
		}
		return p.errAt(k.pos, "site %q: unknown key %q (declare it first with key)", n.text, k.text)
	}
	switch kind.text {
	case KindCall, KindTail, KindJcc:
	default:
		return p.errAt(kind.pos, "site %q: unknown kind %s (want call, tail or jcc)", n.text, quote(kind.text))
	}
	section := SectionCore
	if a, ok := m["section"]; ok {
		if a.val.text != SectionInit {
			return p.errAt(a.val.pos, "site %q: unknown section %s (want init, or none for core text)", n.text, quote(a.val.text))
		}
		section = SectionInit
	}
	module, keyref := "", ""
	if a, ok := m["module"]; ok {
		if _, known := p.modules[a.val.text]; !known {
			if err := p.name(a.val, "module"); err != nil {
				return err
			}
			return p.errAt(a.val.pos, "site %q: unknown module %q (declare it first with module)", n.text, a.val.text)
		}
		module = a.val.text
	}
	if a, ok := m["keyref"]; ok {
		if a.val.text != KeyRefTramp {
			return p.errAt(a.val.pos, "site %q: unknown keyref %s (want tramp)", n.text, quote(a.val.text))
		}
		if module == "" {
			return p.errAt(a.val.pos, "site %q: keyref=tramp is for module sites (add module=NAME)", n.text)
		}
		keyref = KeyRefTramp
	}
	if err := p.item("site", n.pos, len(p.s.Keys)+len(p.s.Sites)+len(p.s.Jumps), MaxWindows, tooManyWindows); err != nil {
		return err
	}
	p.sites[n.text] = n.pos
	p.s.Sites = append(p.s.Sites, Site{Name: n.text, Key: k.text, Kind: kind.text, Section: section, Module: module, KeyRef: keyref})
	return nil
}

func (p *parser) cpu(ws []word) error {
	var c CPU
	if len(p.s.CPUs) >= MaxCPUs {
		return p.errAt(ws[0].pos, "%s", tooMany("cpus", MaxCPUs))
	}
	for _, w := range ws[1:] {
		if len(c.Calls) == MaxCalls {
			return p.errAt(w.pos, "%s", tooManyCalls(len(p.s.CPUs)))
		}
		if k, ok := TrampCallKey(w.text); ok {
			kw := word{text: k, off: w.off + len("tramp("), pos: p.at(w.off + len("tramp("))}
			if err := p.name(kw, "key"); err != nil {
				return err
			}
			if _, ok := p.keys[k]; !ok {
				return p.errAt(kw.pos, "cpu: unknown key %q in %s (declare it first with key)", k, w.text)
			}
		} else {
			if strings.HasPrefix(w.text, "tramp(") {
				return p.errAt(w.pos, "cpu: invalid call %s (want SITE, CALLER or tramp(KEY))", quote(w.text))
			}
			if err := p.name(w, "site"); err != nil {
				return err
			}
			_, site := p.sites[w.text]
			_, caller := p.callers[w.text]
			_, jump := p.jumps[w.text]
			if !site && !caller && !jump {
				return p.errAt(w.pos, "cpu: unknown site %q (declare it first with site)", w.text)
			}
		}
		c.Calls = append(c.Calls, w.text)
	}
	p.items["cpu"] = append(p.items["cpu"], ws[0].pos)
	p.s.CPUs = append(p.s.CPUs, c)
	return nil
}

// sketch parses "sketch STEP; STEP; ...": the steps' words are checked
// by the architecture when the scenario is compiled.
func (p *parser) sketch(ws []word) error {
	if err := p.once(ws[0]); err != nil {
		return err
	}
	s := p.content
	from := ws[0].end
	if strings.Trim(s[from:], " \t") == "" {
		return p.errAt(p.end(ws), "sketch: missing STEP")
	}
	for {
		semi := strings.IndexByte(s[from:], ';')
		to := len(s)
		if semi >= 0 {
			to = from + semi
		}
		step := p.fields(from, to)
		if len(step) == 0 {
			return p.errAt(p.at(max(to, from-1)), "sketch: empty step")
		}
		if len(p.s.Sketch) == MaxSketchSteps {
			return p.errAt(step[0].pos, "%s", tooMany("sketch steps", MaxSketchSteps))
		}
		st := SketchStep{Op: step[0].text, Line: step[0].pos.line, Col: step[0].pos.col}
		for _, w := range step[1:] {
			st.Args = append(st.Args, w.text)
		}
		p.s.Sketch = append(p.s.Sketch, st)
		if semi < 0 {
			return nil
		}
		from = to + 1
	}
}

func (p *parser) thread(ws []word) error {
	s := p.content
	d := ws[0]
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		if len(ws) == 1 {
			return p.errAt(p.end(ws), "thread: missing NAME")
		}
		if err := p.name(ws[1], "thread"); err != nil {
			return err
		}
		return p.errAt(p.at(ws[1].end), "thread %q: missing ':' after the name", ws[1].text)
	}
	head := p.fields(d.end, colon)
	if len(head) == 0 {
		return p.errAt(p.at(colon), "thread: missing NAME before ':'")
	}
	n := head[0]
	if err := p.name(n, "thread"); err != nil {
		return err
	}
	if len(head) > 1 {
		return p.errAt(head[1].pos, "thread %q: unexpected %s before ':'", n.text, quote(head[1].text))
	}
	if first, ok := p.threads[n.text]; ok {
		return p.errAt(n.pos, "thread %q declared twice (first at %v)", n.text, first)
	}
	if len(p.s.Threads) >= MaxThreads {
		return p.errAt(n.pos, "%s", tooMany("threads", MaxThreads))
	}
	t := Thread{Name: n.text}
	from := colon + 1
	if strings.Trim(s[from:], " \t") != "" {
		for {
			semi := strings.IndexByte(s[from:], ';')
			to := len(s)
			if semi >= 0 {
				to = from + semi
			}
			op := p.fields(from, to)
			if len(op) == 0 {
				at := to // the ';' after the empty operation
				if semi < 0 {
					at = from - 1 // the ';' before it
				}
				return p.errAt(p.at(at), "thread %q: empty operation", n.text)
			}
			if len(t.Ops) == MaxOps {
				return p.errAt(op[0].pos, "%s", tooManyOps(n.text))
			}
			o, err := p.op(n.text, op)
			if err != nil {
				return err
			}
			t.Ops = append(t.Ops, o)
			if semi < 0 {
				break
			}
			from = to + 1
		}
	}
	p.items["thread"] = append(p.items["thread"], n.pos)
	p.threads[n.text] = n.pos
	p.s.Threads = append(p.s.Threads, t)
	return nil
}

func (p *parser) op(thread string, ws []word) (Op, error) {
	kind := ws[0].text
	if kind == OpKprobe {
		if len(ws) < 2 {
			return Op{}, p.errAt(p.end(ws), "thread %q: kprobe: missing SITE", thread)
		}
		_, site := p.sites[ws[1].text]
		if _, jump := p.jumps[ws[1].text]; !site && !jump {
			if err := p.name(ws[1], "site"); err != nil {
				return Op{}, err
			}
			return Op{}, p.errAt(ws[1].pos, "thread %q: kprobe: unknown site %q (declare it first with site or jump)", thread, ws[1].text)
		}
		if len(ws) > 2 {
			return Op{}, p.errAt(ws[2].pos, "thread %q: kprobe: unexpected %s (separate operations with ';')", thread, quote(ws[2].text))
		}
		return Op{Kind: kind, Site: ws[1].text}, nil
	}
	if TakesStaticKey(kind) {
		if len(ws) < 2 {
			return Op{}, p.errAt(p.end(ws), "thread %q: %s: missing KEY (a static_key)", thread, kind)
		}
		if _, ok := p.skeys[ws[1].text]; !ok {
			if err := p.name(ws[1], "static_key"); err != nil {
				return Op{}, err
			}
			return Op{}, p.errAt(ws[1].pos, "thread %q: %s: unknown static key %q (declare it first with static_key)", thread, kind, ws[1].text)
		}
		if len(ws) > 2 {
			return Op{}, p.errAt(ws[2].pos, "thread %q: %s: unexpected %s (separate operations with ';')", thread, kind, quote(ws[2].text))
		}
		return Op{Kind: kind, Key: ws[1].text}, nil
	}
	if kind == OpLoad || kind == OpUnload {
		if len(ws) < 2 {
			return Op{}, p.errAt(p.end(ws), "thread %q: %s: missing MODULE", thread, kind)
		}
		if _, ok := p.modules[ws[1].text]; !ok {
			if err := p.name(ws[1], "module"); err != nil {
				return Op{}, err
			}
			return Op{}, p.errAt(ws[1].pos, "thread %q: unknown module %q (declare it first with module)", thread, ws[1].text)
		}
		op := Op{Kind: kind, Module: ws[1].text}
		if len(ws) > 2 {
			k, v, ok := strings.Cut(ws[2].text, "=")
			n, err := strconv.Atoi(v)
			if kind != OpLoad || !ok || k != "fail_alloc" {
				return Op{}, p.errAt(ws[2].pos, "thread %q: %s: unexpected %s (want fail_alloc=N after load MODULE)", thread, kind, quote(ws[2].text))
			}
			if err != nil || n < 1 || n > MaxFailAlloc {
				return Op{}, p.errAt(ws[2].pos, "%s", badFailAlloc(thread))
			}
			op.FailAlloc = n
		}
		if len(ws) > 3 {
			return Op{}, p.errAt(ws[3].pos, "thread %q: %s: unexpected %s (separate operations with ';')", thread, kind, quote(ws[3].text))
		}
		return op, nil
	}
	if !TakesKey(kind) {
		for _, k := range opKinds() {
			if k == kind {
				if len(ws) > 1 {
					return Op{}, p.errAt(ws[1].pos, "thread %q: %s takes no arguments", thread, kind)
				}
				return Op{Kind: kind}, nil
			}
		}
		return Op{}, p.errAt(ws[0].pos, "thread %q: unknown operation %s (want %s)", thread, quote(ws[0].text), strings.Join(opKinds(), ", "))
	}
	if len(ws) < 3 {
		return Op{}, p.errAt(p.end(ws), "thread %q: %s: missing %s (want %s KEY TARGET)", thread, kind, []string{"", "KEY", "TARGET"}[len(ws)], kind)
	}
	if len(ws) > 3 {
		return Op{}, p.errAt(ws[3].pos, "thread %q: %s: unexpected %s (separate operations with ';')", thread, kind, quote(ws[3].text))
	}
	k, t := ws[1], ws[2]
	if _, ok := p.keys[k.text]; !ok {
		if err := p.name(k, "key"); err != nil {
			return Op{}, err
		}
		return Op{}, p.errAt(k.pos, "thread %q: unknown key %q (declare it first with key)", thread, k.text)
	}
	if !p.known(t.text) {
		if err := p.name(t, "target"); err != nil {
			return Op{}, err
		}
		return Op{}, p.errAt(t.pos, "thread %q: unknown target %q (declare it first with target)", thread, t.text)
	}
	return Op{Kind: kind, Key: k.text, Target: t.text}, nil
}

func (p *parser) bound(ws []word) error {
	if err := p.once(ws[0]); err != nil {
		return err
	}
	if len(ws) == 1 {
		return p.errAt(p.end(ws), "bound: missing depth=N or states=N")
	}
	m, err := p.attrs(ws[0], ws[1:], "depth", "states")
	if err != nil {
		return err
	}
	for _, w := range ws[1:] {
		name, _, _ := strings.Cut(w.text, "=")
		v := m[name].val
		for i := 0; i < len(v.text); i++ {
			if c := v.text[i]; c < '0' || c > '9' {
				return p.errAt(v.pos, "bound: %s=%s is not a non-negative decimal integer", name, quote(v.text))
			}
		}
		n := 0
		for i := 0; i < len(v.text); i++ {
			n = n*10 + int(v.text[i]-'0')
			if n > maxBound {
				return p.errAt(v.pos, "bound: %s=%s is too large (at most %d)", name, quote(v.text), maxBound)
			}
		}
		if name == "depth" {
			p.s.Bounds.Depth = n
		} else {
			p.s.Bounds.States = n
		}
	}
	return nil
}

func (p *parser) expect(ws []word) error {
	if err := p.once(ws[0]); err != nil {
		return err
	}
	if len(ws) == 1 {
		return p.errAt(p.end(ws), "expect: missing verdict (want safe, violation PROPERTY or warning PROPERTY)")
	}
	switch v := ws[1]; v.text {
	case "safe":
		if err := p.args(ws, 1, ""); err != nil {
			return err
		}
		p.s.Expect = Expect{Verdict: "safe"}
	case "violation", "warning":
		if err := p.args(ws, 2, "PROPERTY"); err != nil {
			return err
		}
		w := ws[2]
		if err := p.name(w, "property"); err != nil {
			return err
		}
		if err := p.vet("property", w); err != nil {
			return err
		}
		p.s.Expect = Expect{Verdict: v.text, Property: w.text}
	default:
		return p.errAt(v.pos, "expect: unknown verdict %s (want safe, violation PROPERTY or warning PROPERTY)", quote(v.text))
	}
	return nil
}

// model reads a kernel, patch or model-file directive:
//
//	kernel DIR              every .c and .h file under DIR, by its path in DIR
//	patch FILE              a unified diff
//	patch NAME <<TAG        a unified diff written inline, up to a line TAG
//	model-file PATH <<TAG   a model file written inline
func (p *parser) model(ws []word) error {
	d := ws[0]
	thread := ""
	if n := len(ws); n >= 3 && strings.HasPrefix(ws[n-1].text, "<<") && strings.HasPrefix(ws[n-2].text, "thread=") ||
		n >= 2 && strings.HasPrefix(ws[n-1].text, "thread=") {
		// thread=T: the text changes thread T's code only.
		i := n - 1
		if strings.HasPrefix(ws[n-1].text, "<<") {
			i = n - 2
		}
		thread = strings.TrimPrefix(ws[i].text, "thread=")
		if thread == "" || d.text == "kernel" {
			return p.errAt(ws[i].pos, "%s: thread=T names a thread (not with kernel DIR)", d.text)
		}
		p.modelThreads = append(p.modelThreads, word{text: thread, pos: ws[i].pos})
		ws = append(append([]word{}, ws[:i]...), ws[i+1:]...)
	}
	defer func(before int) {
		for i := before; i < len(p.s.Model); i++ {
			p.s.Model[i].Thread = thread
		}
		if p.here != nil {
			p.here.thread = thread
		}
	}(len(p.s.Model))
	if len(ws) == 3 && strings.HasPrefix(ws[2].text, "<<") && d.text != "kernel" {
		tag := strings.TrimPrefix(ws[2].text, "<<")
		if tag == "" {
			return p.errAt(ws[2].pos, "%s: <<TAG needs a TAG", d.text)
		}
		if err := p.modelName(d.text, ws[1]); err != nil {
			return err
		}
		kind := ModelPatch
		if d.text == "model-file" {
			kind = ModelFile
		}
		p.here = &hereDoc{tag: tag, at: ws[2].pos, kind: kind, name: ws[1].text}
		return nil
	}
	switch d.text {
	case "model-file":
		return p.errAt(p.end(ws), "model-file: want PATH <<TAG, then the file's lines, then TAG")
	case "kernel":
		if err := p.args(ws, 1, "DIR"); err != nil {
			return err
		}
	case "patch":
		if err := p.args(ws, 1, "FILE (or NAME <<TAG)"); err != nil {
			return err
		}
	}
	w := ws[1]
	if p.locating {
		return nil
	}
	if p.fsys == nil {
		return p.errAt(w.pos, "%s %s: no directory to read it from (give the text inline with <<TAG)", d.text, w.text)
	}
	found, err := ReadModel(p.fsys, d.text, w.text)
	if err != nil {
		return p.errAt(w.pos, "%v", err)
	}
	p.s.Model = append(p.s.Model, found...)
	return nil
}

// ReadModel reads model texts from fsys as the scenario directives do:
// for directive "kernel", every .c and .h file under dir, named by its
// path in dir; for "patch", the diff at dir, named by its base name.
func ReadModel(fsys fs.FS, directive, name string) ([]ModelText, error) {
	rel := path.Clean(name)
	if !fs.ValidPath(rel) {
		return nil, fmt.Errorf("%s %s: give a path relative to the scenario, without ..", directive, name)
	}
	if directive == "patch" {
		b, err := fs.ReadFile(fsys, rel)
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", name, err)
		}
		return []ModelText{{Kind: ModelPatch, Name: path.Base(rel), Text: withNewline(b)}}, nil
	}
	var found []ModelText
	err := fs.WalkDir(fsys, rel, func(f string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || (path.Ext(f) != ".c" && path.Ext(f) != ".h") {
			return nil
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		found = append(found, ModelText{Kind: ModelFile, Name: strings.TrimPrefix(f, rel+"/"), Text: withNewline(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("kernel %s: no .c or .h model file in it", name)
	}
	return found, nil
}

// modelName checks the name of an inline model text: a model file's path
// or a diff's name, relative, without spaces.
func (p *parser) modelName(dir string, w word) error {
	if !fs.ValidPath(w.text) || w.text == "." {
		return p.errAt(w.pos, "%s %s: a name is a relative slash-separated path without ..", dir, w.text)
	}
	return nil
}

// withNewline returns b as text that ends in a newline, as an inline text
// does.
func withNewline(b []byte) string {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return string(b) + "\n"
	}
	return string(b)
}

// ParseSketch reads the steps of a sketch line without its "sketch"
// directive: "STEP; STEP; ...", as docs/sketches.md writes them. name is
// used only in error positions, which are line 1 and the column in text.
// It checks the syntax only: the architecture checks the steps' words
// when a scenario with the sketch is compiled. Every error is an *Error.
func ParseSketch(name, text string) ([]SketchStep, error) {
	if strings.ContainsAny(text, "\n#") {
		i := strings.IndexAny(text, "\n#")
		return nil, &Error{File: name, Line: 1, Col: 1 + utf8.RuneCountInString(text[:i]), Msg: "a sketch is one line, without comments"}
	}
	p := &parser{file: name, s: &Scenario{}, seen: map[string]pos{}, lineNo: 1, content: text, colCol: 1}
	if err := p.checkChars(); err != nil {
		return nil, err
	}
	if err := p.sketch([]word{{text: "sketch", pos: pos{1, 1}}}); err != nil {
		return nil, err
	}
	return p.s.Sketch, nil
}
