package render

import (
	"fmt"
	"strings"
)

// labelWidth is the widest line of a step's box, in characters.
const labelWidth = 17

// label returns the short label of step i: a head line (the kernel
// function, or what kind of step) and up to two lines of body, all at
// most labelWidth characters. It is derived from the step's first note
// (and, for a fetch, the disassembly below it).
func (t *trace) label(i int) (head string, body []string) {
	st := t.steps[i]
	if f, ok := t.parseFetch(i); ok {
		head = "fetch " + f.sym
		body = []string{hexString(f.insn)}
		switch {
		case f.disasm != "":
			body = append(body, f.disasm)
		case len(f.stale) > 0:
			body = append(body, "stale byte "+strings.Trim(strings.Join(strings.Fields(fmt.Sprint(f.stale)), ","), "[]"))
		}
		return clipRunes(head, labelWidth), clipLines(body, 2)
	}
	if len(st.Notes) == 0 {
		return "", []string{"(step)"}
	}
	n := strings.TrimSpace(st.Notes[0])
	if m := callRe.FindStringSubmatch(n); m != nil {
		return clipRunes("calls "+m[1], labelWidth), clipLines([]string{m[2] + " is " + m[3]}, 2)
	}
	if m := fnRe.FindStringSubmatch(n); m != nil {
		head, n = m[1], m[2]
	}
	if m := writeRe.FindStringSubmatch(n); m != nil {
		return clipRunes(head, labelWidth), clipLines([]string{"write " + m[1], m[2]}, 2)
	}
	n = shorten(n)
	return clipRunes(head, labelWidth), clipLines(wrapWords(n, labelWidth), 2)
}

// shorten drops what a label has no room for: a trailing parenthesised
// remark when the rest is long enough to say something.
func shorten(n string) string {
	if len(n) > labelWidth && strings.HasSuffix(n, ")") {
		if k := strings.LastIndex(n, " ("); k >= 6 {
			return n[:k]
		}
	}
	return n
}

// clipLines keeps at most n lines, each at most labelWidth characters,
// marking a cut with an ellipsis.
func clipLines(lines []string, n int) []string {
	out := make([]string, 0, n)
	for i, l := range lines {
		if i == n {
			out[n-1] = strings.TrimSuffix(clipRunes(out[n-1], labelWidth-1), "…") + "…"
			break
		}
		out = append(out, clipRunes(l, labelWidth))
	}
	return out
}
