package lang

import (
	"maps"
	"slices"
	"strings"
)

// Preprocess resolves the conditionals of a set of model files, by path:
// #ifdef NAME, #ifndef NAME, #else and #endif, nested, where NAME is
// defined when any of the files has a line #define NAME (with or without
// a value) outside every conditional. The model language has no
// #include, so the files have no order: a #define inside a conditional
// defines a constant when its branch is kept, but no name for #ifdef,
// and an #ifdef of a name defined only there is an error (as is #if,
// #elif and #undef anywhere).
//
// It returns the files with each conditional's lines and the lines of
// the branches not taken blanked (emptied, their newlines kept), so that
// the rest keeps its line and column; files whose path does not end in
// .c or .h are returned as they are. Errors are *Error: an #else or
// #endif without an #ifdef, a second #else, an #ifdef without #endif.
func Preprocess(files map[string][]byte) (map[string][]byte, error) {
	names := slices.Sorted(maps.Keys(files))
	all := map[string][]cppLine{}
	outside := map[string]bool{} // #defined outside conditionals
	inside := map[string]Pos{}   // #defined inside one (first, by file order)
	for _, n := range names {
		if !strings.HasSuffix(n, ".c") && !strings.HasSuffix(n, ".h") {
			continue
		}
		lines, err := scanCpp(n, files[n])
		if err != nil {
			return nil, err
		}
		all[n] = lines
		depth := 0
		for _, l := range lines {
			switch l.dir {
			case "ifdef", "ifndef":
				depth++
			case "endif":
				depth--
			case "define":
				if depth == 0 {
					outside[l.name] = true
				} else if _, ok := inside[l.name]; !ok {
					inside[l.name] = l.namePos
				}
			}
		}
	}
	out := make(map[string][]byte, len(files))
	for _, n := range names {
		lines, ok := all[n]
		if !ok {
			out[n] = files[n]
			continue
		}
		text, err := resolve(lines, outside, inside, files[n])
		if err != nil {
			return nil, err
		}
		out[n] = text
	}
	return out, nil
}

// cppLine is one line of a model file as the preprocessor sees it.
type cppLine struct {
	start, end int    // the line's bytes, without its newline
	dir        string // the directive ("ifdef", "define", ...), "" for a line of text
	pos        Pos    // of the '#'
	name       string // ifdef, ifndef, define: the name
	namePos    Pos
}

// conditional reports whether dir is one of the conditionals Preprocess
// resolves.
func conditional(dir string) bool {
	switch dir {
	case "ifdef", "ifndef", "else", "endif":
		return true
	}
	return false
}

// scanCpp splits src into lines and finds its preprocessor lines: those
// whose first character outside comments is '#'. It checks the
// conditionals' syntax: one name after #ifdef and #ifndef, nothing after
// #else and #endif but comments, and no comment that goes on past the
// line.
func scanCpp(file string, src []byte) ([]cppLine, error) {
	var lines []cppLine
	inComment := false
	for start, lineNo := 0, 1; start <= len(src); lineNo++ {
		end := start
		for end < len(src) && src[end] != '\n' {
			end++
		}
		l := cppLine{start: start, end: end}
		line := src[start:end]
		// The line with its comments (and string literals' contents)
		// replaced by spaces, and whether a block comment goes on after it.
		plain, open := stripComments(line, inComment)
		i := 0
		for i < len(plain) && (plain[i] == ' ' || plain[i] == '\t' || plain[i] == '\r' || plain[i] == '\f' || plain[i] == '\v') {
			i++
		}
		if i < len(plain) && plain[i] == '#' {
			l.pos = Pos{File: file, Line: lineNo, Col: i + 1}
			j := i + 1
			for j < len(plain) && (plain[j] == ' ' || plain[j] == '\t') {
				j++
			}
			k := j
			for k < len(plain) && isIdentChar(plain[k]) {
				k++
			}
			l.dir = string(plain[j:k])
			words, cols := fieldsAt(plain, k)
			switch l.dir {
			case "if", "elif", "elifdef", "elifndef", "undef":
				return nil, errorf(l.pos, "#%s is not part of the model language: its conditionals are #ifdef NAME, #ifndef NAME, #else and #endif", l.dir)
			case "define":
				if len(words) > 0 {
					n := words[0]
					for m := 0; m < len(n); m++ {
						if !isIdentChar(n[m]) {
							n = n[:m]
							break
						}
					}
					l.name, l.namePos = n, Pos{File: file, Line: lineNo, Col: cols[0] + 1}
				}
				if l.name == "" {
					l.dir = "" // the lexer reports it, if it is kept
				}
			case "ifdef", "ifndef":
				if len(words) == 0 {
					return nil, errorf(Pos{File: file, Line: lineNo, Col: k + 1}, "#%s: expected a name after it", l.dir)
				}
				if !isIdentStart(words[0][0]) || strings.IndexFunc(words[0], func(r rune) bool { return r > 0x7f || !isIdentChar(byte(r)) }) >= 0 {
					return nil, errorf(Pos{File: file, Line: lineNo, Col: cols[0] + 1}, "#%s: expected a name, found %q", l.dir, words[0])
				}
				if len(words) > 1 {
					return nil, errorf(Pos{File: file, Line: lineNo, Col: cols[1] + 1}, "#%s %s: one name, found %q after it", l.dir, words[0], words[1])
				}
				l.name, l.namePos = words[0], Pos{File: file, Line: lineNo, Col: cols[0] + 1}
			case "else", "endif":
				if len(words) > 0 {
					return nil, errorf(Pos{File: file, Line: lineNo, Col: cols[0] + 1}, "#%s: nothing but a comment after it, found %q", l.dir, words[0])
				}
			default:
				l.dir = "" // not the preprocessor's: the lexer's (#define) or an error of its
			}
			if conditional(l.dir) && open {
				return nil, errorf(l.pos, "#%s: a comment that begins on the line of a conditional ends on it", l.dir)
			}
		}
		inComment = open
		lines = append(lines, l)
		start = end + 1
	}
	return lines, nil
}

// stripComments returns line with its comments and the contents of its
// string literals replaced by spaces (so that columns stay), starting
// inside a block comment when in is set; open reports that a block
// comment goes on past the line.
func stripComments(line []byte, in bool) (plain []byte, open bool) {
	plain = make([]byte, len(line))
	copy(plain, line)
	inStr := false
	for i := 0; i < len(plain); i++ {
		switch {
		case in:
			if plain[i] == '*' && i+1 < len(plain) && plain[i+1] == '/' {
				plain[i], plain[i+1] = ' ', ' '
				i++
				in = false
				continue
			}
			plain[i] = ' '
		case inStr:
			if plain[i] == '\\' && i+1 < len(plain) {
				plain[i], plain[i+1] = ' ', ' '
				i++
				continue
			}
			if plain[i] == '"' {
				inStr = false
				continue
			}
			plain[i] = ' '
		case plain[i] == '"':
			inStr = true
		case plain[i] == '/' && i+1 < len(plain) && plain[i+1] == '/':
			for ; i < len(plain); i++ {
				plain[i] = ' '
			}
		case plain[i] == '/' && i+1 < len(plain) && plain[i+1] == '*':
			plain[i], plain[i+1] = ' ', ' '
			i++
			in = true
		}
	}
	return plain, in
}

// fieldsAt returns the white-space separated words of b from offset k,
// with their offsets.
func fieldsAt(b []byte, k int) (words []string, offs []int) {
	for i := k; i < len(b); {
		if b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\f' || b[i] == '\v' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\f' && b[j] != '\v' {
			j++
		}
		words, offs = append(words, string(b[i:j])), append(offs, i)
		i = j
	}
	return words, offs
}

// resolve evaluates one file's conditionals and blanks what they leave
// out, and the conditionals' own lines.
func resolve(lines []cppLine, defined map[string]bool, inside map[string]Pos, src []byte) ([]byte, error) {
	type frame struct {
		dir     string // ifdef or ifndef
		pos     Pos    // of its '#'
		taken   bool   // the current branch is kept (given the frames around it)
		cond    bool   // the condition
		outer   bool   // the frames around it keep their lines
		inElse  bool
		elsePos Pos
	}
	var stack []frame
	active := func() bool { return len(stack) == 0 || stack[len(stack)-1].taken }
	out := make([]byte, 0, len(src))
	for i, l := range lines {
		keep := false
		switch l.dir {
		case "ifdef", "ifndef":
			if active() && !defined[l.name] {
				if p, ok := inside[l.name]; ok {
					return nil, errorf(l.namePos, "#%s %s: %s is #defined only inside a conditional (at %s); #ifdef and #ifndef see the names #defined outside every conditional (the model files have no #include order)", l.dir, l.name, l.name, p)
				}
			}
			cond := defined[l.name] == (l.dir == "ifdef")
			outer := active()
			stack = append(stack, frame{dir: l.dir, pos: l.pos, cond: cond, outer: outer, taken: outer && cond})
		case "else":
			if len(stack) == 0 {
				return nil, errorf(l.pos, "#else without #ifdef or #ifndef")
			}
			f := &stack[len(stack)-1]
			if f.inElse {
				return nil, errorf(l.pos, "a second #else for the #ifdef at %s (the first at %s)", f.pos, f.elsePos)
			}
			f.inElse, f.elsePos = true, l.pos
			f.taken = f.outer && !f.cond
		case "endif":
			if len(stack) == 0 {
				return nil, errorf(l.pos, "#endif without #ifdef or #ifndef")
			}
			stack = stack[:len(stack)-1]
		default:
			keep = active()
		}
		if keep {
			out = append(out, src[l.start:l.end]...)
		}
		if i < len(lines)-1 {
			out = append(out, '\n')
		}
	}
	if len(stack) > 0 {
		f := stack[len(stack)-1]
		return nil, errorf(f.pos, "#%s without #endif", f.dir)
	}
	return out, nil
}
