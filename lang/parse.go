package lang

import (
	"fmt"
	"strings"
)

// maxDepth bounds the nesting of statements and expressions, so that
// adversarial input cannot exhaust the stack.
const maxDepth = 200

// isBaseWord reports whether w is a built-in type word a declaration may
// start with.
func isBaseWord(w string) bool {
	switch w {
	case "void", "char", "short", "int", "long", "signed", "unsigned",
		"bool", "_Bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32",
		"s64", "size_t", "ssize_t", "uintptr_t", "__le16", "__le32", "__le64":
		return true
	}
	return false
}

// isTagWord reports whether w introduces a tagged type: struct NAME.
func isTagWord(w string) bool { return w == "struct" || w == "union" || w == "enum" }

// isQualifier reports whether w is a qualifier or annotation, dropped
// from types.
func isQualifier(w string) bool {
	switch w {
	case "static", "inline", "__init", "__init_or_module", "__ref", "__kprobes", "noinstr", "const", "extern",
		"__always_inline", "volatile", "notrace", "__exit", "__cold",
		"noinline", "__maybe_unused", "__must_check", "__weak", "register":
		return true
	}
	return false
}

// isKeyword reports whether w is a keyword that may not be used as a
// name or an expression (besides the type words).
func isKeyword(w string) bool {
	switch w {
	case "if", "else", "for", "while", "do", "switch", "case", "default",
		"goto", "return", "break", "continue", "sizeof", "typedef",
		"__attribute__", "asm", "__asm__":
		return true
	}
	return false
}

// binaryPrec is the precedence of a binary operator (higher binds
// tighter), 0 for other tokens.
func binaryPrec(op string) int {
	switch op {
	case "||":
		return 1
	case "&&":
		return 2
	case "|":
		return 3
	case "^":
		return 4
	case "&":
		return 5
	case "==", "!=":
		return 6
	case "<", "<=", ">", ">=":
		return 7
	case "<<", ">>":
		return 8
	case "+", "-":
		return 9
	case "*", "/", "%":
		return 10
	}
	return 0
}

// isAssignOp reports whether op is an assignment operator of the model
// language.
func isAssignOp(op string) bool {
	return op == "=" || op == "|=" || op == "&=" || op == "+=" || op == "-="
}

// isOtherAssignOp reports whether op is one of C's other assignment
// operators, refused with a clear message.
func isOtherAssignOp(op string) bool {
	switch op {
	case "*=", "/=", "%=", "^=", "<<=", ">>=":
		return true
	}
	return false
}

func isReserved(name string) bool {
	return isKeyword(name) || isBaseWord(name) || isTagWord(name) || isQualifier(name)
}

// startsType reports whether an identifier can start a type: a built-in
// type word, struct/union/enum or a qualifier.
func startsType(name string) bool {
	return isBaseWord(name) || isTagWord(name) || isQualifier(name)
}

// Parse parses the model file src; name is its path, such as
// "kernel/static_call_inline.c", and is the File of every position.
//
// Positions: a Func is at the first word of its definition; a Param and
// a VarDecl are at their name; a Decl at its first word; a Case at its
// case or default keyword; every other node is at the first byte of its
// text (so a binary, member or postfix expression is where its left
// operand begins, including any opening parenthesis, and a Composite
// given as a declaration's braced initialiser is at its '{').
//
// Parse stops at the first error, which is a *Error.
func Parse(name string, src []byte) (*File, error) {
	toks, comments := lex(name, src)
	p := &parser{toks: toks, comments: comments, tok: toks[0]}
	f := &File{Name: name}
	seen := map[string]Pos{}
	for p.tok.kind != tEOF {
		if p.is("#define") {
			d, m, err := p.define()
			if err != nil {
				return nil, err
			}
			if m != nil {
				if first, ok := seen[m.Name]; ok {
					return nil, &Error{m.Pos, fmt.Sprintf("%s defined twice (first at %d:%d)", m.Name, first.Line, first.Col)}
				}
				seen[m.Name] = m.Pos
				f.Macros = append(f.Macros, m)
				continue
			}
			if first, ok := seen[d.Name]; ok {
				return nil, &Error{d.Pos, fmt.Sprintf("%s defined twice (first at %d:%d)", d.Name, first.Line, first.Col)}
			}
			seen[d.Name] = d.Pos
			f.Defines = append(f.Defines, d)
			continue
		}
		if st, ok, err := p.structDef(); ok || err != nil {
			if err != nil {
				return nil, err
			}
			if first, ok := seen["struct "+st.Name]; ok {
				return nil, &Error{st.Pos, fmt.Sprintf("struct %s defined twice (first at %d:%d)", st.Name, first.Line, first.Col)}
			}
			seen["struct "+st.Name] = st.Pos
			f.Structs = append(f.Structs, st)
			continue
		}
		if en, ok, err := p.enumDef(); ok || err != nil {
			if err != nil {
				return nil, err
			}
			for _, v := range en.Values {
				if first, ok := seen[v.Name]; ok {
					return nil, &Error{v.Pos, fmt.Sprintf("%s defined twice (first at %d:%d)", v.Name, first.Line, first.Col)}
				}
				seen[v.Name] = v.Pos
			}
			f.Enums = append(f.Enums, en)
			continue
		}
		fn, cst, v, err := p.topLevel()
		if err != nil {
			return nil, err
		}
		if v != nil {
			if first, ok := seen[v.Name]; ok {
				return nil, &Error{v.Pos, fmt.Sprintf("%s defined twice (first at %d:%d)", v.Name, first.Line, first.Col)}
			}
			seen[v.Name] = v.Pos
			f.Vars = append(f.Vars, v)
			continue
		}
		if cst != nil {
			if first, ok := seen[cst.Name]; ok {
				return nil, &Error{cst.Pos, fmt.Sprintf("%s defined twice (first at %d:%d)", cst.Name, first.Line, first.Col)}
			}
			seen[cst.Name] = cst.Pos
			f.Consts = append(f.Consts, cst)
			continue
		}
		if first, ok := seen[fn.Name]; ok {
			return nil, &Error{fn.Pos, fmt.Sprintf("function %s defined twice (first at %d:%d)", fn.Name, first.Line, first.Col)}
		}
		seen[fn.Name] = fn.Pos
		f.Funcs = append(f.Funcs, fn)
	}
	return f, nil
}

// parser is a recursive-descent parser over the tokens of one file.
type parser struct {
	toks     []token
	comments []comment
	ci       int   // index of the first comment not yet looked at
	i        int   // index of tok
	tok      token // the current token
	depth    int
}

func (p *parser) next() {
	if p.i+1 < len(p.toks) {
		p.i++
		p.tok = p.toks[p.i]
	}
}

// peek returns the token n after the current one (the last token, EOF or
// an error, past the end).
func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) is(punct string) bool { return p.tok.kind == tPunct && p.tok.text == punct }

func (p *parser) isIdent(name string) bool { return p.tok.kind == tIdent && p.tok.text == name }

func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// expected reports that the current token is not what is expected: what
// is, for example, "';' after expression". A lexical error at the current
// token is reported instead.
func (p *parser) expected(what string) *Error {
	if p.tok.kind == tError {
		return &Error{Pos: p.tok.pos, Msg: p.tok.msg}
	}
	return errorf(p.tok.pos, "expected %s, found %s", what, describe(p.tok))
}

// expect consumes the punctuator punct or fails with "expected 'punct'
// context".
func (p *parser) expect(punct, context string) (Pos, error) {
	pos := p.tok.pos
	if !p.is(punct) {
		what := "'" + punct + "'"
		if context != "" {
			what += " " + context
		}
		return pos, p.expected(what)
	}
	p.next()
	return pos, nil
}

// name consumes an identifier that is not a keyword.
func (p *parser) name(what string) (string, Pos, error) {
	t := p.tok
	if t.kind != tIdent || isReserved(t.text) {
		return "", t.pos, p.expected(what)
	}
	p.next()
	return t.text, t.pos, nil
}

// enter counts one level of nesting; leave must follow.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		if p.tok.kind == tError {
			return p.expected("")
		}
		return errorf(p.tok.pos, "nesting too deep: more than %d levels of statements or expressions", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tString:
		s := t.text
		if len(s) > 20 {
			s = s[:20] + "..."
		}
		return "string \"" + s + "\""
	case tIdent:
		if isReserved(t.text) {
			return "keyword '" + t.text + "'"
		}
	}
	return "'" + t.text + "'"
}

// topLevel parses a function definition, a constant array or a struct
// variable with a designated initialiser.
func (p *parser) topLevel() (*Func, *Const, *Var, error) {
	start, startIdx := p.tok, p.i
	if start.kind != tIdent || (isKeyword(start.text) && start.text != "__attribute__") {
		return nil, nil, nil, p.expected("function definition or constant array")
	}
	typ, name, npos, err := p.declarator("function definition")
	if err != nil {
		return nil, nil, nil, err
	}
	if name == "" {
		return nil, nil, nil, p.expected("function name")
	}
	if p.is("[") {
		c, err := p.constArray(name, npos)
		return nil, c, nil, err
	}
	if p.is("=") {
		v, err := p.topVar(typ, name, npos)
		return nil, nil, v, err
	}
	fn, err := p.funcDef(start, startIdx, typ, name)
	return fn, nil, nil, err
}

// topVar parses the rest of TYPE NAME = { .field = X, ... };, a struct
// variable at top level.
func (p *parser) topVar(typ Type, name string, at Pos) (*Var, error) {
	if len(typ.Words) < 2 || typ.Words[0] != "struct" || typ.Ptr != 0 {
		return nil, errorf(at, "%s: a variable at top level is a struct with a designated initialiser (struct NAME %s = { .field = X };)", name, name)
	}
	p.next()
	if !p.is("{") {
		return nil, p.expected("'{' to start the initialiser of " + name)
	}
	c := &Composite{Pos: p.tok.pos, Type: typ}
	if err := p.fieldInits(c); err != nil {
		return nil, err
	}
	if _, err := p.expect(";", "after the initialiser of "+name); err != nil {
		return nil, err
	}
	return &Var{Pos: at, Name: name, Type: typ, Init: c}, nil
}

// define parses #define NAME X, or #define NAME, through the end of its
// line, or a function-like macro of assembler text (macro).
func (p *parser) define() (*Define, *Macro, error) {
	first := p.i
	p.next()
	name, pos, err := p.name("name after #define")
	if err != nil {
		return nil, nil, err
	}
	if p.is("(") && p.tok.pos.Line == pos.Line && p.tok.pos.Col == pos.Col+len(name) {
		m, err := p.macro(name, pos, first)
		return nil, m, err
	}
	if p.is("#end") {
		// A name for #ifdef and #ifndef (Preprocess), not a constant.
		p.next()
		return &Define{Pos: pos, Name: name}, nil, nil
	}
	x, err := p.expr()
	if err != nil {
		return nil, nil, err
	}
	if !p.is("#end") {
		return nil, nil, errorf(p.tok.pos, "#define %s: one constant expression on one line, found %s after it", name, describe(p.tok))
	}
	p.next()
	return &Define{Pos: pos, Name: name, X: x}, nil, nil
}

// structDef parses struct NAME { TYPE FIELD; ... }; at top level; ok is
// false (and nothing is consumed) when the next words are not one.
func (p *parser) structDef() (st *Struct, ok bool, err error) {
	if !p.isIdent("struct") || p.peek(1).kind != tIdent || p.peek(2).kind != tPunct || p.peek(2).text != "{" {
		return nil, false, nil
	}
	p.next()
	st = &Struct{Pos: p.tok.pos, Name: p.tok.text}
	p.next()
	p.next()
	seen := map[string]bool{}
	for !p.is("}") {
		if p.tok.kind == tEOF {
			return nil, true, p.expected("'}' to end struct " + st.Name)
		}
		d, err := p.decl()
		if err != nil {
			return nil, true, err
		}
		for _, v := range d.Vars {
			if v.Init != nil {
				return nil, true, errorf(v.Pos, "field %s of struct %s: an initialiser is not part of a struct definition", v.Name, st.Name)
			}
			if seen[v.Name] {
				return nil, true, errorf(v.Pos, "field %s of struct %s declared twice", v.Name, st.Name)
			}
			seen[v.Name] = true
			st.Fields = append(st.Fields, v)
		}
	}
	p.next()
	if _, err := p.expect(";", "after struct "+st.Name); err != nil {
		return nil, true, err
	}
	return st, true, nil
}

// enumDef parses enum NAME { A = X, B, ... }; at top level; ok is false
// (and nothing is consumed) when the next words are not one.
func (p *parser) enumDef() (en *Enum, ok bool, err error) {
	if !p.isIdent("enum") || p.peek(1).kind != tIdent || p.peek(2).kind != tPunct || p.peek(2).text != "{" {
		return nil, false, nil
	}
	p.next()
	en = &Enum{Pos: p.tok.pos, Name: p.tok.text}
	p.next()
	p.next()
	for !p.is("}") {
		name, pos, err := p.name("enumerator of enum " + en.Name)
		if err != nil {
			return nil, true, err
		}
		v := EnumValue{Pos: pos, Name: name}
		if p.is("=") {
			p.next()
			if v.X, err = p.assign(); err != nil {
				return nil, true, err
			}
		}
		en.Values = append(en.Values, v)
		if p.is(",") {
			p.next()
			continue
		}
		if !p.is("}") {
			return nil, true, p.expected("',' or '}' in enum " + en.Name)
		}
	}
	p.next()
	if _, err := p.expect(";", "after enum "+en.Name); err != nil {
		return nil, true, err
	}
	return en, true, nil
}

// constArray parses the rest of NAME[] = { X, ... };.
func (p *parser) constArray(name string, at Pos) (*Const, error) {
	p.next()
	if _, err := p.expect("]", "in "+name+"[] (a constant array's size is its initialiser's)"); err != nil {
		return nil, err
	}
	if _, err := p.expect("=", "after "+name+"[]"); err != nil {
		return nil, err
	}
	if _, err := p.expect("{", "to start "+name+"'s elements"); err != nil {
		return nil, err
	}
	c := &Const{Pos: at, Name: name}
	for !p.is("}") {
		x, err := p.assign()
		if err != nil {
			return nil, err
		}
		c.Elems = append(c.Elems, x)
		if p.is(",") {
			p.next()
			continue
		}
		if !p.is("}") {
			return nil, p.expected("',' or '}' in the elements of " + name)
		}
	}
	p.next()
	if _, err := p.expect(";", "after the elements of "+name); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) funcDef(start token, startIdx int, typ Type, name string) (*Func, error) {
	if !p.is("(") {
		return nil, p.expected(fmt.Sprintf("'(' after %s (only function definitions may appear at top level)", name))
	}
	if len(typ.Words) == 0 {
		return nil, errorf(start.pos, "function %s has no return type", name)
	}
	fn := &Func{Pos: start.pos, Name: name, Ret: typ}
	for _, t := range p.toks[startIdx:p.i] {
		if t.kind == tIdent && t.text == "static" {
			fn.Static = true
		}
	}
	if err := p.mirrors(fn, startIdx); err != nil {
		return nil, err
	}
	p.next()
	if p.isIdent("void") && p.peek(1).kind == tPunct && p.peek(1).text == ")" {
		p.next()
	} else if !p.is(")") {
		for {
			pt, pname, ppos, err := p.declarator("parameter")
			if err != nil {
				return nil, err
			}
			if pname == "" {
				return nil, p.expected(fmt.Sprintf("name of parameter %d of %s", len(fn.Params)+1, name))
			}
			if len(pt.Words) == 0 {
				return nil, errorf(ppos, "parameter %s of %s has no type", pname, name)
			}
			fn.Params = append(fn.Params, Param{Pos: ppos, Type: pt, Name: pname})
			if !p.is(",") {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect(")", "after the parameters of "+name); err != nil {
		return nil, err
	}
	if !p.is("{") {
		return nil, p.expected(fmt.Sprintf("'{' to begin the body of %s (only function definitions may appear at top level)", name))
	}
	body, err := p.block()
	if err != nil {
		return nil, err
	}
	fn.Body = body
	fn.End = p.toks[p.i-1].pos
	return fn, nil
}

// mirrors sets fn.Mirrors from the last "mirrors:" comment before the
// token at index first, or fails.
func (p *parser) mirrors(fn *Func, first int) error {
	text, err := p.mirrorsText(fn.Pos, "function "+fn.Name, first)
	fn.Mirrors = text
	return err
}

// mirrorsText returns the text of the last "mirrors:" comment before the
// token at index first, or fails for what (such as "function f").
func (p *parser) mirrorsText(pos Pos, what string, first int) (string, error) {
	text, found := "", false
	// Definitions come in order, so the comments before earlier ones
	// are behind p.ci.
	for ; p.ci < len(p.comments) && p.comments[p.ci].next <= first; p.ci++ {
		if c := p.comments[p.ci]; c.next == first && strings.HasPrefix(c.text, "mirrors:") {
			text, found = strings.TrimSpace(strings.TrimPrefix(c.text, "mirrors:")), true
		}
	}
	if !found {
		return "", errorf(pos, "%s: no \"mirrors:\" comment naming the kernel file, function and version it follows", what)
	}
	if text == "" {
		return "", errorf(pos, "%s: its \"mirrors:\" comment is empty; name the kernel file, function and version it follows", what)
	}
	return text, nil
}

// declarator parses "qualifiers words *... name" as in a function
// definition or a parameter: every word but the last is the type. name
// is "" if the last item is not a name.
func (p *parser) declarator(what string) (Type, string, Pos, error) {
	type item struct {
		word string // "" for '*'
		pos  Pos
	}
	var items []item
	for {
		if p.is("*") {
			items = append(items, item{"", p.tok.pos})
			p.next()
			continue
		}
		if p.tok.kind != tIdent {
			break
		}
		w := p.tok.text
		if w == "__attribute__" {
			return Type{}, "", p.tok.pos, errorf(p.tok.pos, "__attribute__ is not part of the model language")
		}
		if isKeyword(w) {
			return Type{}, "", p.tok.pos, p.expected(what)
		}
		items = append(items, item{w, p.tok.pos})
		p.next()
		if isTagWord(w) {
			tag, pos, err := p.name(fmt.Sprintf("name after '%s'", w))
			if err != nil {
				return Type{}, "", pos, err
			}
			items = append(items, item{"\x00" + tag, pos})
		}
	}
	if len(items) == 0 {
		return Type{}, "", p.tok.pos, p.expected(what)
	}
	last := items[len(items)-1]
	if last.word == "" || last.word[0] == 0 || isReserved(last.word) {
		return Type{}, "", last.pos, nil
	}
	var t Type
	var unknown []item
	for _, it := range items[:len(items)-1] {
		switch {
		case it.word == "":
			t.Ptr++
		case isQualifier(it.word):
		case t.Ptr > 0:
			return Type{}, "", it.pos, errorf(it.pos, "unexpected '%s' after '*' in the type of %s", strings.TrimPrefix(it.word, "\x00"), last.word)
		case it.word[0] == 0:
			t.Words = append(t.Words, it.word[1:])
		default:
			t.Words = append(t.Words, it.word)
			if !isBaseWord(it.word) && !isTagWord(it.word) {
				unknown = append(unknown, it)
			}
		}
	}
	if len(t.Words) > 0 && isTagWord(t.Words[0]) && len(t.Words) > 2 {
		return Type{}, "", last.pos, errorf(items[0].pos, "type of %s: '%s %s' followed by %q", last.word, t.Words[0], t.Words[1], strings.Join(t.Words[2:], " "))
	}
	if len(unknown) > 0 && len(t.Words) > 1 {
		u := unknown[0]
		return Type{}, "", u.pos, errorf(u.pos, "type of %s: unknown type word or qualifier '%s'", last.word, u.word)
	}
	return t, last.word, last.pos, nil
}

// baseType parses the base type of a declaration, cast or sizeof:
// qualifiers, then struct/union/enum NAME or built-in type words.
func (p *parser) baseType() (Type, error) {
	var t Type
	for p.tok.kind == tIdent {
		w := p.tok.text
		switch {
		case isQualifier(w):
			p.next()
		case isTagWord(w):
			if len(t.Words) > 0 {
				return t, errorf(p.tok.pos, "unexpected '%s' after '%s'", w, strings.Join(t.Words, " "))
			}
			p.next()
			tag, _, err := p.name(fmt.Sprintf("name after '%s'", w))
			if err != nil {
				return t, err
			}
			t.Words = []string{w, tag}
		case isBaseWord(w):
			if len(t.Words) > 0 && isTagWord(t.Words[0]) {
				return t, errorf(p.tok.pos, "unexpected '%s' after '%s'", w, strings.Join(t.Words, " "))
			}
			t.Words = append(t.Words, w)
			p.next()
		default:
			if len(t.Words) == 0 {
				return t, p.expected("type")
			}
			return t, nil
		}
	}
	if len(t.Words) == 0 {
		return t, p.expected("type")
	}
	return t, nil
}

// stars parses the '*'s (and qualifiers) after a base type.
func (p *parser) stars() int {
	n := 0
	for p.is("*") || (p.tok.kind == tIdent && isQualifier(p.tok.text)) {
		if p.is("*") {
			n++
		}
		p.next()
	}
	return n
}

// typeName parses a type in a cast or sizeof: a base type and '*'s.
func (p *parser) typeName() (Type, error) {
	t, err := p.baseType()
	if err != nil {
		return t, err
	}
	t.Ptr = p.stars()
	return t, nil
}

// block parses { stmts }.
func (p *parser) block() (*Block, error) {
	open, err := p.expect("{", "")
	if err != nil {
		return nil, err
	}
	b := &Block{Pos: open}
	for !p.is("}") {
		if p.tok.kind == tEOF {
			return nil, p.expected(fmt.Sprintf("'}' to close the block opened at %d:%d", open.Line, open.Col))
		}
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		b.Stmts = append(b.Stmts, s)
	}
	p.next()
	return b, nil
}

// subStmt parses the body of if, else, for, while or a label: a
// statement that is not a declaration.
func (p *parser) subStmt(of string) (Stmt, error) {
	if p.tok.kind == tIdent && startsType(p.tok.text) {
		return nil, errorf(p.tok.pos, "a declaration cannot be the body of %s; put it in a block", of)
	}
	return p.stmt()
}

// stmt parses a statement.
func (p *parser) stmt() (Stmt, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok
	switch {
	case p.is("{"):
		return p.block()
	case p.is(";"):
		p.next()
		return &Empty{Pos: t.pos}, nil
	case t.kind != tIdent:
		return p.exprStmt()
	}
	switch t.text {
	case "if":
		return p.ifStmt()
	case "for":
		return p.forStmt()
	case "while":
		return p.whileStmt()
	case "switch":
		return p.switchStmt()
	case "do":
		return p.doStmt()
	case "goto":
		p.next()
		label, _, err := p.name("label after goto")
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(";", "after goto "+label); err != nil {
			return nil, err
		}
		return &Goto{Pos: t.pos, Label: label}, nil
	case "return":
		p.next()
		r := &Return{Pos: t.pos}
		if !p.is(";") {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			r.X = x
		}
		if _, err := p.expect(";", "after return value"); err != nil {
			return nil, err
		}
		return r, nil
	case "break", "continue":
		p.next()
		if _, err := p.expect(";", "after "+t.text); err != nil {
			return nil, err
		}
		if t.text == "break" {
			return &Break{Pos: t.pos}, nil
		}
		return &Continue{Pos: t.pos}, nil
	case "guard", "scoped_guard":
		return p.guardStmt()
	case "case", "default":
		return nil, errorf(t.pos, "'%s' label outside a switch body", t.text)
	case "else":
		return nil, errorf(t.pos, "'else' without 'if'")
	case "typedef":
		return nil, errorf(t.pos, "typedef is not part of the model language")
	}
	if startsType(t.text) {
		return p.decl()
	}
	if nt := p.peek(1); nt.kind == tPunct && nt.text == ":" && !isReserved(t.text) {
		p.next()
		p.next()
		l := &Labeled{Pos: t.pos, Label: t.text}
		if p.is("}") {
			l.Stmt = &Empty{Pos: p.tok.pos}
			return l, nil
		}
		s, err := p.subStmt("a label")
		if err != nil {
			return nil, err
		}
		l.Stmt = s
		return l, nil
	}
	return p.exprStmt()
}

func (p *parser) exprStmt() (Stmt, error) {
	pos := p.tok.pos
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if id, ok := x.(*Ident); ok && p.tok.kind == tIdent && !isReserved(p.tok.text) {
		return nil, errorf(p.tok.pos, "expected ';' after expression, found '%s' (if %s is a type: the model language knows only built-in types, struct, union and enum)", p.tok.text, id.Name)
	}
	if _, err := p.expect(";", "after expression"); err != nil {
		return nil, err
	}
	return &ExprStmt{Pos: pos, X: x}, nil
}

// decl parses a declaration, through its ';'.
func (p *parser) decl() (*Decl, error) {
	d := &Decl{Pos: p.tok.pos}
	base, err := p.baseType()
	if err != nil {
		return nil, err
	}
	for {
		t := Type{Words: base.Words, Ptr: base.Ptr + p.stars()}
		name, pos, err := p.name("name in declaration")
		if err != nil {
			return nil, err
		}
		v := VarDecl{Pos: pos, Type: t, Name: name}
		if p.is("[") {
			p.next()
			if p.is("]") {
				return nil, errorf(p.tok.pos, "array local %s needs its length (u8 %s[N])", name, name)
			}
			n, err := p.assign()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("]", "after the length of "+name); err != nil {
				return nil, err
			}
			v.Len = n
			if p.is("=") {
				return nil, errorf(p.tok.pos, "array local %s: an initialiser is not part of the model language (assign its elements)", name)
			}
		}
		if p.is("=") {
			p.next()
			if p.is("{") {
				c := &Composite{Pos: p.tok.pos, Type: t}
				if err := p.fieldInits(c); err != nil {
					return nil, err
				}
				v.Init = c
			} else {
				x, err := p.assign()
				if err != nil {
					return nil, err
				}
				v.Init = x
			}
		}
		d.Vars = append(d.Vars, v)
		if !p.is(",") {
			break
		}
		p.next()
	}
	if _, err := p.expect(";", "after declaration"); err != nil {
		return nil, err
	}
	return d, nil
}

// paren parses ( expr ) after keyword kw.
func (p *parser) paren(kw string) (Expr, error) {
	if _, err := p.expect("(", "after "+kw); err != nil {
		return nil, err
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")", "after "+kw+" condition"); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *parser) ifStmt() (Stmt, error) {
	s := &If{Pos: p.tok.pos}
	p.next()
	cond, err := p.paren("if")
	if err != nil {
		return nil, err
	}
	s.Cond = cond
	if s.Then, err = p.subStmt("if"); err != nil {
		return nil, err
	}
	if p.isIdent("else") {
		p.next()
		if s.Else, err = p.subStmt("else"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) doStmt() (Stmt, error) {
	s := &DoWhile{Pos: p.tok.pos}
	p.next()
	var err error
	if s.Body, err = p.subStmt("do"); err != nil {
		return nil, err
	}
	if !p.isIdent("while") {
		return nil, errorf(p.tok.pos, "expected while after the body of do")
	}
	p.next()
	if s.Cond, err = p.paren("while"); err != nil {
		return nil, err
	}
	if _, err := p.expect(";", "after do ... while (...)"); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) whileStmt() (Stmt, error) {
	s := &While{Pos: p.tok.pos}
	p.next()
	cond, err := p.paren("while")
	if err != nil {
		return nil, err
	}
	s.Cond = cond
	if s.Body, err = p.subStmt("while"); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) forStmt() (Stmt, error) {
	s := &For{Pos: p.tok.pos}
	p.next()
	if _, err := p.expect("(", "after for"); err != nil {
		return nil, err
	}
	switch {
	case p.is(";"):
		p.next()
	case p.tok.kind == tIdent && startsType(p.tok.text):
		d, err := p.decl()
		if err != nil {
			return nil, err
		}
		s.Init = d
	default:
		pos := p.tok.pos
		x, err := p.commaExpr()
		if err != nil {
			return nil, err
		}
		s.Init = &ExprStmt{Pos: pos, X: x}
		if _, err := p.expect(";", "after for loop initialiser"); err != nil {
			return nil, err
		}
	}
	if !p.is(";") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Cond = x
	}
	if _, err := p.expect(";", "after for loop condition"); err != nil {
		return nil, err
	}
	if !p.is(")") {
		x, err := p.commaExpr()
		if err != nil {
			return nil, err
		}
		s.Post = x
	}
	if _, err := p.expect(")", "after for loop clauses"); err != nil {
		return nil, err
	}
	var err error
	if s.Body, err = p.subStmt("for"); err != nil {
		return nil, err
	}
	return s, nil
}

// guardStmt parses guard(CLASS)(ARGS); and scoped_guard(CLASS, ARGS) BODY
// (include/linux/cleanup.h).
func (p *parser) guardStmt() (Stmt, error) {
	t := p.tok
	p.next()
	if _, err := p.expect("(", "after "+t.text); err != nil {
		return nil, err
	}
	class, _, err := p.name("lock class in " + t.text)
	if err != nil {
		return nil, err
	}
	var args []Expr
	argList := func(end string) error {
		for !p.is(end) {
			a, err := p.assign()
			if err != nil {
				return err
			}
			args = append(args, a)
			if p.is(",") {
				p.next()
				continue
			}
			if !p.is(end) {
				return p.expected(fmt.Sprintf("',' or '%s' in %s(%s)", end, t.text, class))
			}
		}
		p.next()
		return nil
	}
	if t.text == "scoped_guard" {
		if p.is(",") {
			p.next()
		}
		if err := argList(")"); err != nil {
			return nil, err
		}
		body, err := p.subStmt("scoped_guard")
		if err != nil {
			return nil, err
		}
		return &ScopedGuard{Pos: t.pos, Class: class, Args: args, Body: body}, nil
	}
	if _, err := p.expect(")", "after the lock class of guard("+class); err != nil {
		return nil, err
	}
	if _, err := p.expect("(", "after guard("+class+")"); err != nil {
		return nil, err
	}
	if err := argList(")"); err != nil {
		return nil, err
	}
	if _, err := p.expect(";", "after guard("+class+")(...)"); err != nil {
		return nil, err
	}
	return &Guard{Pos: t.pos, Class: class, Args: args}, nil
}

// switchStmt parses a switch. Consecutive case labels with no statement
// between them share one Case.
func (p *parser) switchStmt() (Stmt, error) {
	s := &Switch{Pos: p.tok.pos}
	p.next()
	tag, err := p.paren("switch")
	if err != nil {
		return nil, err
	}
	s.Tag = tag
	open, err := p.expect("{", "to begin the switch body")
	if err != nil {
		return nil, err
	}
	var cur *Case
	hasDefault := false
	for !p.is("}") {
		switch {
		case p.tok.kind == tEOF:
			return nil, p.expected(fmt.Sprintf("'}' to close the switch body opened at %d:%d", open.Line, open.Col))
		case p.isIdent("case"):
			pos := p.tok.pos
			p.next()
			v, err := p.cond()
			if err != nil {
				return nil, err
			}
			if p.is("...") {
				// GNU C's case range: case 0x70 ... 0x7f:
				rpos := p.tok.pos
				p.next()
				hi, err := p.cond()
				if err != nil {
					return nil, err
				}
				v = &Binary{Pos: rpos, Op: "...", X: v, Y: hi}
			}
			if _, err := p.expect(":", "after case value"); err != nil {
				return nil, err
			}
			if cur != nil && len(cur.Body) == 0 && len(cur.Values) > 0 {
				cur.Values = append(cur.Values, v)
			} else {
				cur = &Case{Pos: pos, Values: []Expr{v}}
				s.Cases = append(s.Cases, cur)
			}
		case p.isIdent("default"):
			pos := p.tok.pos
			if hasDefault {
				return nil, errorf(pos, "second 'default' label in switch")
			}
			hasDefault = true
			p.next()
			if _, err := p.expect(":", "after default"); err != nil {
				return nil, err
			}
			cur = &Case{Pos: pos}
			s.Cases = append(s.Cases, cur)
		case cur == nil:
			return nil, p.expected("'case' or 'default' in switch body")
		default:
			st, err := p.stmt()
			if err != nil {
				return nil, err
			}
			cur.Body = append(cur.Body, st)
		}
	}
	p.next()
	return s, nil
}

// expr parses an expression (an assignment expression; C's comma
// operator is not part of the model language).
func (p *parser) expr() (Expr, error) { return p.assign() }

// commaExpr parses the comma operator's list, as the kernel writes it in
// for clauses (for (prev = &key->mods, site_mod = key->mods; ...)): a
// Binary "," whose X is evaluated first.
func (p *parser) commaExpr() (Expr, error) {
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	for p.is(",") {
		pos := p.tok.pos
		p.next()
		y, err := p.expr()
		if err != nil {
			return nil, err
		}
		x = &Binary{Pos: pos, Op: ",", X: x, Y: y}
	}
	return x, nil
}

func (p *parser) assign() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	start := p.tok.pos
	l, err := p.cond()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tPunct {
		return l, nil
	}
	op := p.tok.text
	if isOtherAssignOp(op) {
		return nil, errorf(p.tok.pos, "operator %s is not part of the model language (its assignments are = |= &= += -=)", op)
	}
	if !isAssignOp(op) {
		return l, nil
	}
	if err := lvalue(l, start, op); err != nil {
		return nil, err
	}
	p.next()
	r, err := p.assign()
	if err != nil {
		return nil, err
	}
	return &Assign{Pos: start, Op: op, L: l, R: r}, nil
}

// lvalue checks that x, the operand of op, can be assigned.
func lvalue(x Expr, pos Pos, op string) error {
	switch x := x.(type) {
	case *Ident, *Member, *Index:
		return nil
	case *Unary:
		if x.Op == "*" {
			return nil
		}
	}
	side := "left side"
	if op == "++" || op == "--" {
		side = "operand"
	}
	return errorf(pos, "the %s of %s must be a variable, a field, an element or *pointer", side, op)
}

func (p *parser) cond() (Expr, error) {
	start := p.tok.pos
	x, err := p.binary(1)
	if err != nil {
		return nil, err
	}
	if !p.is("?") {
		return x, nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	p.next()
	var y Expr
	if !p.is(":") { // GNU C's x ? : z has no middle operand
		if y, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect(":", "in conditional expression"); err != nil {
		return nil, err
	}
	z, err := p.cond()
	if err != nil {
		return nil, err
	}
	return &Cond{Pos: start, X: x, Y: y, Z: z}, nil
}

// binary parses binary operators of precedence minPrec and higher.
func (p *parser) binary(minPrec int) (Expr, error) {
	start := p.tok.pos
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tPunct {
		op := p.tok.text
		prec := binaryPrec(op)
		if prec == 0 || prec < minPrec {
			break
		}
		p.next()
		y, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		x = &Binary{Pos: start, Op: op, X: x, Y: y}
	}
	return x, nil
}

func (p *parser) unary() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok
	if t.kind == tPunct {
		switch t.text {
		case "!", "-", "~", "&", "*":
			p.next()
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &Unary{Pos: t.pos, Op: t.text, X: x}, nil
		case "++", "--":
			p.next()
			xpos := p.tok.pos
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			if err := lvalue(x, xpos, t.text); err != nil {
				return nil, err
			}
			return &IncDec{Pos: t.pos, X: x, Op: t.text}, nil
		case "+":
			return nil, errorf(t.pos, "unary + is not part of the model language")
		case "(":
			if nt := p.peek(1); nt.kind == tIdent && startsType(nt.text) {
				return p.castOrComposite()
			}
		}
	}
	if t.kind == tIdent && t.text == "sizeof" {
		return p.sizeOf()
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	return p.postfix(x, t.pos)
}

// castOrComposite parses (type)x or (type){ .f = x, ... }.
func (p *parser) castOrComposite() (Expr, error) {
	open := p.tok.pos
	p.next()
	t, err := p.typeName()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")", "after type in cast"); err != nil {
		return nil, err
	}
	if p.is("{") {
		c := &Composite{Pos: open, Type: t}
		if err := p.fieldInits(c); err != nil {
			return nil, err
		}
		return p.postfix(c, open)
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &Cast{Pos: open, Type: t, X: x}, nil
}

// fieldInits parses { .name = x, ... } into c.Fields.
func (p *parser) fieldInits(c *Composite) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer p.leave()
	if _, err := p.expect("{", ""); err != nil {
		return err
	}
	for !p.is("}") {
		pos := p.tok.pos
		if _, err := p.expect(".", "and a field name ('.field = value') in initialiser"); err != nil {
			return err
		}
		name, _, err := p.name("field name after '.'")
		if err != nil {
			return err
		}
		if _, err := p.expect("=", "after ."+name); err != nil {
			return err
		}
		x, err := p.assign()
		if err != nil {
			return err
		}
		c.Fields = append(c.Fields, FieldInit{Pos: pos, Name: name, X: x})
		if p.is(",") {
			p.next()
			continue
		}
		if !p.is("}") {
			return p.expected("',' or '}' after field initialiser")
		}
	}
	p.next()
	return nil
}

// sizeOf parses sizeof(type), sizeof(x) or sizeof x.
func (p *parser) sizeOf() (Expr, error) {
	pos := p.tok.pos
	p.next()
	if p.is("(") {
		if nt := p.peek(1); nt.kind == tIdent && startsType(nt.text) {
			p.next()
			t, err := p.typeName()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")", "after type in sizeof"); err != nil {
				return nil, err
			}
			return &SizeOf{Pos: pos, Type: &t}, nil
		}
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &SizeOf{Pos: pos, X: x}, nil
}

func (p *parser) primary() (Expr, error) {
	t := p.tok
	switch t.kind {
	case tIdent:
		if isReserved(t.text) {
			return nil, p.expected("expression")
		}
		p.next()
		return &Ident{Pos: t.pos, Name: t.text}, nil
	case tInt:
		p.next()
		return &Int{Pos: t.pos, Value: t.val, Text: t.text}, nil
	case tString:
		var b strings.Builder
		for p.tok.kind == tString {
			b.WriteString(p.tok.text)
			p.next()
		}
		return &String{Pos: t.pos, Value: b.String()}, nil
	case tPunct:
		if t.text == "(" {
			p.next()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")", "after parenthesised expression"); err != nil {
				return nil, err
			}
			return x, nil
		}
	}
	return nil, p.expected("expression")
}

// postfix parses calls, member and index operations and x++/x-- after
// x, which starts at start.
func (p *parser) postfix(x Expr, start Pos) (Expr, error) {
	for p.tok.kind == tPunct {
		t := p.tok
		switch t.text {
		case "(":
			var c *Call
			switch f := x.(type) {
			case *Ident:
				c = &Call{Pos: start, Fun: f.Name}
			case *Member:
				// A function pointer field: nb->notifier_call(...).
				c = &Call{Pos: start, Fun: f.Name, Via: f}
			default:
				return nil, errorf(t.pos, "only a named function or a function pointer field can be called")
			}
			p.next()
			for !p.is(")") {
				a, err := p.assign()
				if err != nil {
					return nil, err
				}
				c.Args = append(c.Args, a)
				if p.is(",") {
					p.next()
					continue
				}
				if !p.is(")") {
					return nil, p.expected(fmt.Sprintf("',' or ')' in the arguments of %s", c.Fun))
				}
			}
			p.next()
			x = c
		case "->", ".":
			p.next()
			name, _, err := p.name("field name after '" + t.text + "'")
			if err != nil {
				return nil, err
			}
			x = &Member{Pos: start, X: x, Name: name, Arrow: t.text == "->"}
		case "[":
			p.next()
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("]", "after index"); err != nil {
				return nil, err
			}
			x = &Index{Pos: start, X: x, I: i}
		case "++", "--":
			if err := lvalue(x, start, t.text); err != nil {
				return nil, err
			}
			p.next()
			x = &IncDec{Pos: start, X: x, Op: t.text, Post: true}
		default:
			return x, nil
		}
	}
	return x, nil
}
