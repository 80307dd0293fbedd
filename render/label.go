package render

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/model"
)

// labelWidth is the widest line of a step's box, in characters.
const labelWidth = 17

// label returns the short label of step i: a head line (the kernel
// function, or what kind of step) and up to two lines of body, all at
// most labelWidth characters. It is derived from the step's events: its
// fetch, else its first event with text.
func (t *trace) label(i int) (head string, body []string) {
	if f := t.event(i, model.TrFetch); f != nil {
		head = "fetch " + f.Sym
		body = []string{hexString(f.Bytes)}
		switch {
		case f.Disasm != "":
			body = append(body, f.Disasm)
		case len(f.Stale) > 0:
			body = append(body, "stale byte "+strings.Trim(strings.Join(strings.Fields(fmt.Sprint(f.Stale)), ","), "[]"))
		}
		return clipRunes(head, labelWidth), clipLines(body, 2)
	}
	for j := range t.steps[i].Events {
		e := &t.steps[i].Events[j]
		ls := bare(e)
		if len(ls) == 0 {
			continue
		}
		switch e.Kind {
		case model.TrCall:
			return clipRunes("calls "+e.Call, labelWidth), clipLines([]string{e.Key + " is " + e.Target}, 2)
		case model.TrWrite:
			return clipRunes(e.Fn, labelWidth), clipLines([]string{"write " + e.Sym, hexString(e.Bytes)}, 2)
		}
		head = e.Fn
		if e.Kind == model.TrNote && head == "" {
			// Free text of an architecture's handler names its function
			// first ("smp_text_poke_int3_handler: emulates ..."): a
			// presentation cut only; such notes have no operands.
			if fn, rest, ok := strings.Cut(strings.TrimSpace(ls[0]), ": "); ok && fn != "" && !strings.ContainsAny(fn, " #()") {
				return clipRunes(fn, labelWidth), clipLines(wrapWords(shorten(rest), labelWidth), 2)
			}
		}
		switch {
		case head != "":
		case t.has(i, model.TrTrap):
			head = "INT3 trap"
		case t.has(i, model.TrHandler):
			head = "INT3 handler"
		}
		return clipRunes(head, labelWidth), clipLines(wrapWords(shorten(strings.TrimSpace(ls[0])), labelWidth), 2)
	}
	return "", []string{"(step)"}
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
