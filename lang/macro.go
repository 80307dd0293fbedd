package lang

import (
	"fmt"
	"strings"
)

// Macro is a function-like macro whose expansion is assembler text, as
// the kernel writes its trampolines (arch/x86/include/asm/static_call.h):
//
//	#define NAME(PARAMS) asm(PIECES)
//	#define NAME(PARAMS) OTHER(ARGS)
//
// The first is Call "asm" with one argument, the text; the second
// expands macro OTHER with its arguments. Mirrors is the "mirrors:"
// comment before the #define, as for a function.
type Macro struct {
	Pos     Pos
	Name    string
	Params  []string
	Call    string
	CallPos Pos
	Args    [][]Piece
	Mirrors string
}

// PieceKind is the kind of one piece of a macro's text.
type PieceKind int

const (
	PieceString    PieceKind = iota // a string literal: Text is its content as written, escapes and all
	PieceName                       // a name: a parameter, an object-like macro, or (in an argument) itself
	PieceStringify                  // #param: the argument's text
	PieceCall                       // NAME(ARGS): a macro expanded in place
)

// Piece is one piece of a macro's text or of an argument: the pieces of
// one are concatenated, as the C preprocessor and compiler join
// adjacent string literals.
type Piece struct {
	Pos  Pos
	Kind PieceKind
	Text string    // PieceString's content; the name of the others
	Args [][]Piece // PieceCall's arguments
}

// macro parses the rest of #define NAME(PARAMS) BODY; first is the
// index of its #define token.
func (p *parser) macro(name string, pos Pos, first int) (*Macro, error) {
	m := &Macro{Pos: pos, Name: name}
	text, err := p.mirrorsText(pos, "macro "+name, first)
	if err != nil {
		return nil, err
	}
	m.Mirrors = text
	p.next() // (
	for !p.is(")") {
		if len(m.Params) > 0 {
			if _, err := p.expect(",", "between a macro's parameters"); err != nil {
				return nil, err
			}
		}
		pn, _, err := p.name("a parameter name")
		if err != nil {
			return nil, err
		}
		m.Params = append(m.Params, pn)
	}
	p.next()
	if p.tok.kind != tIdent || p.peek(1).kind != tPunct || p.peek(1).text != "(" {
		return nil, errorf(p.tok.pos, "#define %s(...): a function-like macro is assembler text, asm(\"...\") or another such macro's call; found %s", name, describe(p.tok))
	}
	m.Call, m.CallPos = p.tok.text, p.tok.pos
	p.next()
	args, err := p.macroArgs()
	if err != nil {
		return nil, err
	}
	m.Args = args
	if m.Call == "asm" && len(args) != 1 {
		return nil, errorf(m.CallPos, "#define %s: asm() takes one text (the outputs, inputs and clobbers of an extended asm are not modelled)", name)
	}
	if !p.is("#end") {
		return nil, errorf(p.tok.pos, "#define %s: the macro ends after its asm() or call, found %s", name, describe(p.tok))
	}
	p.next()
	return m, nil
}

// macroArgs parses (ARG, ARG, ...) after the '(' of a call in a macro:
// each argument is pieces, up to a ',' or the ')' at its depth.
func (p *parser) macroArgs() ([][]Piece, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	open := p.tok.pos
	p.next() // (
	var args [][]Piece
	var cur []Piece
	for {
		switch {
		case p.is(")"):
			p.next()
			return append(args, cur), nil
		case p.is(","):
			args = append(args, cur)
			cur = nil
			p.next()
		case p.tok.kind == tString:
			cur = append(cur, Piece{Pos: p.tok.pos, Kind: PieceString, Text: p.tok.text})
			p.next()
		case p.is("#"):
			hp := p.tok.pos
			p.next()
			n, _, err := p.name("a parameter after #")
			if err != nil {
				return nil, err
			}
			cur = append(cur, Piece{Pos: hp, Kind: PieceStringify, Text: n})
		case p.tok.kind == tIdent:
			pc := Piece{Pos: p.tok.pos, Kind: PieceName, Text: p.tok.text}
			p.next()
			if p.is("(") {
				a, err := p.macroArgs()
				if err != nil {
					return nil, err
				}
				pc.Kind, pc.Args = PieceCall, a
			}
			cur = append(cur, pc)
		case p.is("#end"), p.tok.kind == tEOF, p.tok.kind == tError:
			return nil, errorf(open, "'(' without ')' in a macro: %s", describe(p.tok))
		default:
			return nil, errorf(p.tok.pos, "a macro's text is string literals, parameters, #parameter and macro calls; found %s", describe(p.tok))
		}
	}
}

// Text is expanded assembler text: each byte with the position in a
// model file it comes from.
type Text struct {
	B   []byte
	Pos []Pos
}

func (t *Text) add(b byte, p Pos) {
	t.B = append(t.B, b)
	t.Pos = append(t.Pos, p)
}

func (t *Text) addText(u Text) {
	t.B = append(t.B, u.B...)
	t.Pos = append(t.Pos, u.Pos...)
}

// At returns the position of byte i (the last byte's past the end).
func (t Text) At(i int) Pos {
	switch {
	case i < len(t.Pos):
		return t.Pos[i]
	case len(t.Pos) > 0:
		p := t.Pos[len(t.Pos)-1]
		p.Col++
		return p
	}
	return Pos{}
}

// StaticCallTrampPrefix is STATIC_CALL_TRAMP_PREFIX
// (include/linux/static_call_types.h): STATIC_CALL_TRAMP_STR(name) is
// this and the name.
const StaticCallTrampPrefix = "__SCT__"

// Expand expands macro name with args (texts: a key's name, a function's
// name), over the macros of macros and the names of names that
// expand to nothing (#define NAME without a value, such as
// ANNOTATE_NOENDBR written as the empty objtool annotation). at is the
// position of each argument's text. STATIC_CALL_TRAMP_STR(name) is the
// trampoline's symbol (include/linux/static_call_types.h).
func Expand(macros map[string]*Macro, empty map[string]bool, name string, args []string, at Pos) (Text, error) {
	m, ok := macros[name]
	if !ok {
		return Text{}, errorf(at, "no macro %s in the model files", name)
	}
	var ta []Text
	for _, a := range args {
		var t Text
		for i := 0; i < len(a); i++ {
			t.add(a[i], at)
		}
		ta = append(ta, t)
	}
	x := &expander{macros: macros, empty: empty}
	return x.expand(m, ta, at, 0)
}

type expander struct {
	macros map[string]*Macro
	empty  map[string]bool
	n      int // expansions so far
}

// maxExpand bounds the nesting of macros, maxExpansions their number in
// one expansion.
const maxExpand, maxExpansions = 16, 1000

func (x *expander) expand(m *Macro, args []Text, at Pos, depth int) (Text, error) {
	if x.n++; depth > maxExpand || x.n > maxExpansions {
		return Text{}, errorf(at, "%s: macros nested more than %d deep or expanded more than %d times (a macro that expands itself?)", m.Name, maxExpand, maxExpansions)
	}
	if len(args) != len(m.Params) {
		return Text{}, errorf(at, "%s takes %d arguments (%s), given %d", m.Name, len(m.Params), strings.Join(m.Params, ", "), len(args))
	}
	env := map[string]Text{}
	for i, pn := range m.Params {
		env[pn] = args[i]
	}
	var ev [][]Text
	for _, a := range m.Args {
		t, err := x.pieces(m, a, env, depth, m.Call != "asm")
		if err != nil {
			return Text{}, err
		}
		ev = append(ev, []Text{t})
	}
	if m.Call == "asm" {
		return ev[0][0], nil
	}
	callee, ok := x.macros[m.Call]
	if !ok {
		return Text{}, errorf(m.CallPos, "%s: no macro %s in the model files", m.Name, m.Call)
	}
	var flat []Text
	for _, e := range ev {
		flat = append(flat, e[0])
	}
	return x.expand(callee, flat, m.CallPos, depth+1)
}

// pieces joins the pieces of one text or argument. In an argument
// (inArg), a name that is no parameter is its own text, as a function's
// name given to a macro.
func (x *expander) pieces(m *Macro, ps []Piece, env map[string]Text, depth int, inArg bool) (Text, error) {
	var t Text
	for _, pc := range ps {
		switch pc.Kind {
		case PieceString:
			u, err := unescape(pc)
			if err != nil {
				return Text{}, err
			}
			t.addText(u)
		case PieceStringify:
			a, ok := env[pc.Text]
			if !ok {
				return Text{}, errorf(pc.Pos, "#%s: %s is no parameter of %s", pc.Text, pc.Text, m.Name)
			}
			t.addText(a)
		case PieceName:
			if a, ok := env[pc.Text]; ok {
				t.addText(a)
				continue
			}
			if x.empty[pc.Text] {
				continue
			}
			if inArg {
				for i := 0; i < len(pc.Text); i++ {
					t.add(pc.Text[i], Pos{File: pc.Pos.File, Line: pc.Pos.Line, Col: pc.Pos.Col + i})
				}
				continue
			}
			return Text{}, errorf(pc.Pos, "%s: %s is neither a parameter of %s nor a name #defined without a value", m.Name, pc.Text, m.Name)
		case PieceCall:
			var args []Text
			for _, a := range pc.Args {
				u, err := x.pieces(m, a, env, depth, true)
				if err != nil {
					return Text{}, err
				}
				args = append(args, u)
			}
			if pc.Text == "STATIC_CALL_TRAMP_STR" {
				if len(args) != 1 {
					return Text{}, errorf(pc.Pos, "STATIC_CALL_TRAMP_STR takes one argument, given %d", len(args))
				}
				for i := 0; i < len(StaticCallTrampPrefix); i++ {
					t.add(StaticCallTrampPrefix[i], pc.Pos)
				}
				t.addText(args[0])
				continue
			}
			callee, ok := x.macros[pc.Text]
			if !ok {
				return Text{}, errorf(pc.Pos, "%s: no macro %s in the model files", m.Name, pc.Text)
			}
			u, err := x.expand(callee, args, pc.Pos, depth+1)
			if err != nil {
				return Text{}, err
			}
			t.addText(u)
		}
	}
	return t, nil
}

// unescape decodes a string literal's escapes (\n, \t, \", \\), each
// byte at its column in the file.
func unescape(pc Piece) (Text, error) {
	var t Text
	s := pc.Text
	for i := 0; i < len(s); i++ {
		p := Pos{File: pc.Pos.File, Line: pc.Pos.Line, Col: pc.Pos.Col + 1 + i}
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case '"', '\\', '\'':
				c = s[i]
			default:
				return Text{}, errorf(p, "escape \\%c in assembler text: the model knows \\n, \\t, \\\" and \\\\", s[i])
			}
		}
		t.add(c, p)
	}
	return t, nil
}

// String renders a piece list as written, for messages.
func (pc Piece) String() string {
	switch pc.Kind {
	case PieceString:
		return fmt.Sprintf("%q", pc.Text)
	case PieceStringify:
		return "#" + pc.Text
	}
	return pc.Text
}
