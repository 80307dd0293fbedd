package lang

import "testing"

// TestPunctIsLongestMatch compares punct with the longest match of C's
// operators and punctuators the language has, for every string of up
// to three bytes over their characters (and a letter and a space).
func TestPunctIsLongestMatch(t *testing.T) {
	ops := []string{
		"<<=", ">>=", "...",
		"->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
		"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
		"{", "}", "(", ")", "[", "]", ";", ",", ".", "?", ":",
		"+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "<", ">", "=",
	}
	longest := func(s string) string {
		best := ""
		for _, op := range ops {
			if len(op) > len(best) && len(s) >= len(op) && s[:len(op)] == op {
				best = op
			}
		}
		return best
	}
	chars := "<>.-+=!&|*/%^{}()[];,?:~a "
	var strs []string
	for _, a := range chars {
		strs = append(strs, string(a))
		for _, b := range chars {
			strs = append(strs, string(a)+string(b))
			for _, c := range chars {
				strs = append(strs, string(a)+string(b)+string(c))
			}
		}
	}
	for _, s := range strs {
		lx := &lexer{src: []byte(s)}
		if got, want := lx.punct(), longest(s); got != want {
			t.Errorf("punct(%q) = %q, want %q", s, got, want)
		}
	}
}
