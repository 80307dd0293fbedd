package render

import (
	"strings"
	"unicode/utf8"
)

// esc escapes s for XML and HTML text and attribute values, and replaces
// what XML 1.0 cannot hold (control characters, invalid UTF-8) with
// U+FFFD.
func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clipRunes shortens s to n runes, marking the cut with an ellipsis.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 2 {
		return string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}

// wrapWords folds text into lines of at most width runes, breaking at
// blanks, and after '(' ',' or '=' inside long words; a word that still
// does not fit is cut.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		for _, piece := range splitLong(w, width) {
			switch {
			case line == "":
				line = piece
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(piece) <= width:
				line += " " + piece
			default:
				lines = append(lines, line)
				line = piece
			}
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// splitLong splits a word longer than width: after its last '(' ',' '='
// or ':', else before its last '&' or "->", else after its last '_' or
// '.', repeatedly; a piece with no such place is cut.
func splitLong(w string, width int) []string {
	var out []string
	for utf8.RuneCountInString(w) > width {
		rs := []rune(w)
		cut := -1
		for _, class := range []func(i int) int{
			func(i int) int {
				if strings.ContainsRune("(,=:", rs[i-1]) {
					return i
				}
				return -1
			},
			func(i int) int {
				if rs[i] == '&' || rs[i] == '-' && i+1 < len(rs) && rs[i+1] == '>' {
					return i
				}
				return -1
			},
			func(i int) int {
				if strings.ContainsRune("_.", rs[i-1]) {
					return i
				}
				return -1
			},
		} {
			for i := width; i >= 4 && cut < 0; i-- {
				cut = class(i)
			}
			if cut >= 0 {
				break
			}
		}
		if cut <= 0 {
			cut = width
		}
		out = append(out, string(rs[:cut]))
		w = string(rs[cut:])
	}
	return append(out, w)
}

// fold writes text into lines of at most width bytes, each prefixed with
// lead (the first) or with blanks of the same length (the others), for
// plain text output.
func fold(b *strings.Builder, lead, text string, width int) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(lead))
	w := width - utf8.RuneCountInString(lead)
	if w < 20 {
		w = 20
	}
	for i, l := range wrapWords(text, w) {
		if i == 0 {
			b.WriteString(lead)
		} else {
			b.WriteString(indent)
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
}
