package lang

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF    tokKind = iota
	tError          // a lexical error; msg says what; nothing follows it
	tIdent          // a name or a keyword
	tInt            // an integer literal; val holds its value
	tString         // a string literal; text is its content between the quotes
	tPunct          // an operator or punctuator; text is the operator
)

// token is one token of a model file.
type token struct {
	kind tokKind
	text string
	val  uint64
	pos  Pos
	msg  string // tError only
}

// comment is one comment: text is its content with the comment markers
// (and, for a block comment, the leading '*' of each line) removed and
// white space collapsed. next is the index of the token that follows it.
type comment struct {
	pos  Pos
	text string
	next int
}

// lexer splits a model file into tokens and comments.
type lexer struct {
	name      string
	src       []byte
	off       int
	line      int
	lineStart int  // offset of the first byte of the current line
	bol       bool // only white space since the start of the line
	inDefine  bool // in a #define line: its end is a "#end" token
	toks      []token
	comments  []comment
}

// lex tokenizes src. The last token is tEOF, or tError at the first
// lexical error (the tokens before it are still returned).
func lex(name string, src []byte) ([]token, []comment) {
	// A token for every 15 bytes of kernel/src's model files (their
	// comments quote the kernel): room for a few more at once, where
	// appending grew the slice by doubling.
	lx := &lexer{name: name, src: src, line: 1, bol: true, toks: make([]token, 0, len(src)/12+16)}
	lx.run()
	return lx.toks, lx.comments
}

func (lx *lexer) pos() Pos {
	return Pos{File: lx.name, Line: lx.line, Col: lx.off - lx.lineStart + 1}
}

func (lx *lexer) emit(t token) { lx.toks = append(lx.toks, t) }

func (lx *lexer) fail(p Pos, format string, args ...any) {
	lx.emit(token{kind: tError, pos: p, msg: fmt.Sprintf(format, args...)})
}

// newline records that the byte at lx.off is a newline.
func (lx *lexer) newline() {
	lx.off++
	lx.line++
	lx.lineStart = lx.off
	lx.bol = true
}

func (lx *lexer) run() {
	for {
		if lx.off >= len(lx.src) {
			if lx.inDefine {
				lx.emit(token{kind: tPunct, text: "#end", pos: lx.pos()})
			}
			lx.emit(token{kind: tEOF, pos: lx.pos()})
			return
		}
		c := lx.src[lx.off]
		switch {
		case c == '\n':
			if lx.inDefine {
				lx.emit(token{kind: tPunct, text: "#end", pos: lx.pos()})
				lx.inDefine = false
			}
			lx.newline()
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.off++
			continue
		case c == '\\' && lx.inDefine && (lx.peek(1) == '\n' || lx.peek(1) == '\r' && lx.peek(2) == '\n'):
			// A macro's line continues on the next line.
			if lx.peek(1) == '\r' {
				lx.off++
			}
			lx.off++
			lx.newline()
			lx.bol = false
			continue
		case c == '/' && lx.peek(1) == '/':
			lx.lineComment()
			continue
		case c == '/' && lx.peek(1) == '*':
			if !lx.blockComment() {
				return
			}
			continue
		}
		p := lx.pos()
		if c == '#' && lx.bol {
			// #define NAME VALUE: a constant, or #define NAME: a name
			// (the one preprocessor line the parser reads; Preprocess
			// has resolved the conditionals).
			rest := lx.src[lx.off+1:]
			sp := len(rest) - len(strings.TrimLeft(string(rest), " \t"))
			if w := rest[sp:]; len(w) > 6 && string(w[:6]) == "define" && (w[6] == ' ' || w[6] == '\t') {
				lx.emit(token{kind: tPunct, text: "#define", pos: p})
				lx.off += 1 + sp + 6
				lx.inDefine = true
				lx.bol = false
				continue
			}
			if w := rest[sp:]; strings.HasPrefix(string(w), "if") || strings.HasPrefix(string(w), "else") || strings.HasPrefix(string(w), "endif") {
				lx.fail(p, "a conditional in text not preprocessed: #ifdef, #ifndef, #else and #endif are resolved across the model files (lang.Preprocess) before they are parsed")
				return
			}
			lx.fail(p, "preprocessor lines other than #define NAME [VALUE] and the conditionals #ifdef NAME, #ifndef NAME, #else and #endif are not part of the model language; write the configuration's branch out")
			return
		}
		lx.bol = false
		switch {
		case c == '#' && lx.inDefine:
			// # in a macro: the stringizing operator.
			lx.off++
			lx.emit(token{kind: tPunct, text: "#", pos: p})
		case isIdentStart(c):
			start := lx.off
			for lx.off < len(lx.src) && isIdentChar(lx.src[lx.off]) {
				lx.off++
			}
			lx.emit(token{kind: tIdent, text: string(lx.src[start:lx.off]), pos: p})
		case isDigit(c) || (c == '.' && isDigit(lx.peek(1))):
			if !lx.number(p) {
				return
			}
		case c == '"':
			if !lx.str(p) {
				return
			}
		case c == '\'':
			lx.fail(p, "character literals are not part of the model language")
			return
		default:
			op := lx.punct()
			if op == "" {
				lx.fail(p, "unexpected character %s", describeByte(lx.src[lx.off:]))
				return
			}
			lx.off += len(op)
			lx.emit(token{kind: tPunct, text: op, pos: p})
		}
	}
}

func (lx *lexer) peek(n int) byte {
	if lx.off+n < len(lx.src) {
		return lx.src[lx.off+n]
	}
	return 0
}

// punct returns the operator or punctuator at lx.off, "" if there is
// none: the longest that matches (of the candidates of its first byte,
// longest first).
func (lx *lexer) punct() string {
	rest := lx.src[lx.off:]
	if len(rest) == 0 {
		return ""
	}
	var ops []string
	switch rest[0] {
	case '<':
		ops = []string{"<<=", "<<", "<=", "<"}
	case '>':
		ops = []string{">>=", ">>", ">=", ">"}
	case '.':
		ops = []string{"...", "."}
	case '-':
		ops = []string{"->", "--", "-=", "-"}
	case '+':
		ops = []string{"++", "+=", "+"}
	case '=':
		ops = []string{"==", "="}
	case '!':
		ops = []string{"!=", "!"}
	case '&':
		ops = []string{"&&", "&=", "&"}
	case '|':
		ops = []string{"||", "|=", "|"}
	case '*':
		ops = []string{"*=", "*"}
	case '/':
		ops = []string{"/=", "/"}
	case '%':
		ops = []string{"%=", "%"}
	case '^':
		ops = []string{"^=", "^"}
	default:
		// the punctuators of one byte that no longer one starts with
		const singles = "{}()[];,?:~"
		if k := strings.IndexByte(singles, rest[0]); k >= 0 {
			return singles[k : k+1]
		}
	}
	for _, op := range ops {
		if len(rest) >= len(op) && string(rest[:len(op)]) == op {
			return op
		}
	}
	return ""
}

func (lx *lexer) lineComment() {
	p := lx.pos()
	start := lx.off + 2
	for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
		lx.off++
	}
	lx.addComment(p, strings.Join(strings.Fields(string(lx.src[start:lx.off])), " "))
}

// blockComment reads a /* */ comment; it reports false (after emitting
// an error) if the comment does not end.
func (lx *lexer) blockComment() bool {
	p := lx.pos()
	lx.off += 2
	start := lx.off
	for {
		if lx.off >= len(lx.src) {
			lx.fail(p, "comment not terminated: expected \"*/\", found end of file")
			return false
		}
		if lx.src[lx.off] == '*' && lx.peek(1) == '/' {
			break
		}
		if lx.src[lx.off] == '\n' {
			bol := lx.bol
			lx.newline()
			lx.bol = bol // a comment does not start a line
			continue
		}
		lx.off++
	}
	body := string(lx.src[start:lx.off])
	lx.off += 2
	var words []string
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "*")
		words = append(words, strings.Fields(l)...)
	}
	lx.addComment(p, strings.Join(words, " "))
	return true
}

func (lx *lexer) addComment(p Pos, text string) {
	lx.comments = append(lx.comments, comment{pos: p, text: text, next: len(lx.toks)})
}

// number reads an integer literal: decimal, hex (0x) or octal (leading
// 0), with an optional u/l suffix.
func (lx *lexer) number(p Pos) bool {
	start := lx.off
	for lx.off < len(lx.src) && (isIdentChar(lx.src[lx.off]) || lx.src[lx.off] == '.') {
		lx.off++
	}
	text := string(lx.src[start:lx.off])
	if strings.ContainsAny(text, ".") {
		lx.fail(p, "floating-point literals are not part of the model language: %s", text)
		return false
	}
	body := strings.TrimRight(text, "uUlL")
	suffix := strings.ToLower(text[len(body):])
	switch suffix {
	case "", "u", "l", "ul", "lu", "ll", "ull", "llu":
	default:
		lx.fail(p, "malformed integer literal %s: bad suffix %q", text, text[len(body):])
		return false
	}
	base := 10
	digits := body
	switch {
	case len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'):
		base, digits = 16, body[2:]
	case len(body) > 1 && body[0] == '0':
		base, digits = 8, body[1:]
	}
	if digits == "" {
		lx.fail(p, "malformed integer literal %s: no digits", text)
		return false
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			lx.fail(p, "integer literal %s does not fit in 64 bits", text)
		} else {
			kind := map[int]string{8: "octal", 10: "decimal", 16: "hex"}[base]
			lx.fail(p, "malformed integer literal %s: not a %s number", text, kind)
		}
		return false
	}
	lx.emit(token{kind: tInt, text: text, val: v, pos: p})
	return true
}

// str reads a string literal, keeping escapes as written.
func (lx *lexer) str(p Pos) bool {
	lx.off++
	start := lx.off
	for {
		if lx.off >= len(lx.src) || lx.src[lx.off] == '\n' {
			lx.fail(p, "string literal not terminated: expected '\"' before the end of the line")
			return false
		}
		c := lx.src[lx.off]
		if c == '"' {
			break
		}
		if c == '\\' {
			if lx.off+1 >= len(lx.src) || lx.src[lx.off+1] == '\n' {
				lx.fail(p, "string literal not terminated: expected '\"' before the end of the line")
				return false
			}
			lx.off++
		}
		lx.off++
	}
	lx.emit(token{kind: tString, text: string(lx.src[start:lx.off]), pos: p})
	lx.off++
	return true
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// describeByte names the character at the start of b for an error
// message.
func describeByte(b []byte) string {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("byte 0x%02x", b[0])
	}
	if r < 0x80 && strconv.IsPrint(r) {
		return fmt.Sprintf("'%c'", r)
	}
	return fmt.Sprintf("%U", r)
}
