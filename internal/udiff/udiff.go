// Package udiff writes unified diffs, so that a model file a user gives
// in place of a built-in one can be shown as what it changes.
package udiff

import (
	"fmt"
	"strings"
)

// context is the number of unchanged lines around each change.
const context = 3

// Diff returns the unified diff (git's a/ and b/ file names, three lines
// of context) that turns old into new, both named name; "" if they are
// equal. An empty old is a new file (--- /dev/null).
func Diff(name, old, new string) string {
	if old == new {
		return ""
	}
	a, b := lines(old), lines(new)
	ops := edits(a, b)
	var out strings.Builder
	from := "a/" + name
	if old == "" {
		from = "/dev/null"
	}
	fmt.Fprintf(&out, "--- %s\n+++ b/%s\n", from, name)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is at most 2*context lines later.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		var body strings.Builder
		na, nb := 0, 0
		for _, op := range ops[start:end] {
			body.WriteString(string(op.kind) + op.text + "\n")
			if op.kind != '+' {
				na++
			}
			if op.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n%s", span(ops[start].a, na), span(ops[start].b, nb), body.String())
		i = end
	}
	return out.String()
}

// span writes a hunk's range: its first line (1-based) and count; an
// empty range names the line before it.
func span(first, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", first)
	}
	if n == 1 {
		return fmt.Sprint(first + 1)
	}
	return fmt.Sprintf("%d,%d", first+1, n)
}

// op is one line of the diff: ' ' kept, '-' removed, '+' added; a and b
// are the lines of old and new before it (0-based).
type op struct {
	kind rune
	text string
	a, b int
}

// edits returns the shortest edit script from a to b, by their longest
// common subsequence (quadratic; model files are a few hundred lines).
func edits(a, b []string) []op {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', a[i], i, j})
			i++
		}
	}
	return ops
}

// lines splits s into lines without their newlines.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
