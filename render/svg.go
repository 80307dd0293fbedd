package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
)

// Geometry of the timeline, in pixels.
const (
	labelW   = 150 // the lane and window names on the left
	pitch    = 118 // one step's column
	boxW     = 110 // a step's box
	laneH    = 62  // one actor's lane
	boxH     = 52
	winH     = 46 // one window's row in the band
	minWidth = 1200
	lineH    = 13 // a line of 10 px text
	// rowSteps is the most steps in one row of the timeline: a longer
	// trace wraps into rows, so that no picture is wider than
	// labelW+rowSteps*pitch+16 (1,346 px).
	rowSteps = 10
)

// style is the pictures' stylesheet; every class starts with "pc-" so
// that several pictures can share an HTML page.
const style = `
.pc-t{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:12px;fill:#111827}
.pc-m{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:10px;fill:#111827}
.pc-h{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:9px;fill:#4b5563}
.pc-title{font-size:18px;font-weight:bold}
.pc-sub{fill:#374151}
.pc-bad{fill:#b91c1c;font-weight:bold}
.pc-lane{font-size:13px;font-weight:bold}
.pc-faint{fill:#9ca3af;font-style:italic}
.pc-num{font-size:10px;fill:#6b7280;text-anchor:middle}
.pc-new{fill:#c2410c;font-weight:bold}
.pc-old{fill:#92400e}
.pc-box{stroke-width:1.2}
.pc-stale{fill:#fee2e2;stroke:#dc2626;stroke-width:2.5}
.pc-int3{fill:#f3e8ff;stroke:#7e22ce}
.pc-write{fill:#ffedd5;stroke:#ea580c}
.pc-ipi{fill:#dcfce7;stroke:#16a34a}
.pc-ipisend{fill:#f0fdf4;stroke:#16a34a;stroke-dasharray:4 2}
.pc-lock{fill:#e2e8f0;stroke:#475569}
.pc-cache{fill:#ccfbf1;stroke:#0f766e}
.pc-call{fill:#dbeafe;stroke:#1d4ed8}
.pc-fetch{fill:#e0f2fe;stroke:#0284c7}
.pc-kernel{fill:#f9fafb;stroke:#9ca3af}
.pc-last{stroke:#b91c1c;stroke-width:3.5}
.pc-run{fill:#ffffff;stroke:#d1d5db}
.pc-runstale{fill:#fef3c7;stroke:#f59e0b}
`

// mark reports whether step i shows the glyph or class named mark:
// "stale", "write", "int3", "handler", "ipi", "sync", "ipi-send",
// "ipi-wait", "lock", "unlock", "cache", "call", "return", "fetch" or
// "kernel", each from the step's events.
func (t *trace) mark(i int, mark string) bool {
	for _, e := range t.steps[i].Events {
		if markOf(&e, mark) {
			return true
		}
	}
	return false
}

// markOf reports whether event e shows as mark.
func markOf(e *model.TraceEvent, mark string) bool {
	switch mark {
	case "stale":
		return e.Kind == model.TrFetch && len(e.Stale) > 0
	case "sync":
		return e.Kind == model.TrSync || e.Kind == model.TrIPI
	case "int3":
		return e.Kind == model.TrTrap
	case "kernel":
		switch e.Kind {
		case model.TrTest, model.TrSetFunc, model.TrCheck, model.TrPokeAdd, model.TrFree, model.TrWarn, model.TrBug,
			model.TrOrder, model.TrKernel:
			return true
		}
		return false
	}
	return e.Kind.String() == mark
}

// boxClass returns the class of step i's box: its most telling mark.
func (t *trace) boxClass(i int) string {
	for _, c := range []struct{ mark, class string }{
		{"stale", "pc-stale"}, {"int3", "pc-int3"}, {"handler", "pc-int3"}, {"write", "pc-write"},
		{"ipi", "pc-ipi"}, {"ipi-send", "pc-ipisend"}, {"ipi-wait", "pc-ipisend"},
		{"lock", "pc-lock"}, {"unlock", "pc-lock"}, {"cache", "pc-cache"}, {"call", "pc-call"}, {"return", "pc-call"},
		{"fetch", "pc-fetch"}, {"kernel", "pc-kernel"},
	} {
		if t.mark(i, c.mark) {
			return c.class
		}
	}
	return "pc-kernel"
}

// svgWriter builds an SVG document.
type svgWriter struct{ strings.Builder }

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.Builder, format, args...) }

// text writes one line of escaped text.
func (w *svgWriter) text(x, y int, class, s string, extra ...string) {
	w.f(`<text x="%d" y="%d" class="%s"%s>%s</text>`+"\n", x, y, class, strings.Join(extra, ""), esc(s))
}

// marker draws the small glyph of tag with its top-right corner at x, y.
func (w *svgWriter) marker(tag string, x, y int) {
	cx, cy := x-5, y+5
	switch tag {
	case "call":
		w.f(`<path d="M%d %dL%d %dL%d %dZ" fill="#1d4ed8"/>`+"\n", cx-4, cy-4, cx+4, cy, cx-4, cy+4)
	case "return":
		w.f(`<path d="M%d %dL%d %dL%d %dZ" fill="#1d4ed8"/>`+"\n", cx+4, cy-4, cx-4, cy, cx+4, cy+4)
	case "ipi":
		w.f(`<path d="M%d %dL%d %dL%d %dL%d %dZ" fill="#16a34a"/>`+"\n", cx, cy-5, cx+5, cy, cx, cy+5, cx-5, cy)
	case "sync":
		w.f(`<path d="M%d %dL%d %dL%d %dL%d %dZ" fill="none" stroke="#16a34a" stroke-width="1.5"/>`+"\n", cx, cy-5, cx+5, cy, cx, cy+5, cx-5, cy)
	case "ipi-send":
		w.f(`<circle cx="%d" cy="%d" r="4" fill="#16a34a"/><circle cx="%d" cy="%d" r="6.5" fill="none" stroke="#16a34a"/>`+"\n", cx, cy, cx, cy)
	case "ipi-wait":
		w.f(`<path d="M%d %dH%dL%d %dH%dZ" fill="#16a34a"/>`+"\n", cx-4, cy-5, cx+4, cx-4, cy+5, cx+4)
	case "lock":
		w.f(`<rect x="%d" y="%d" width="9" height="9" fill="#475569"/>`+"\n", cx-4, cy-4)
	case "unlock":
		w.f(`<rect x="%d" y="%d" width="8" height="8" fill="none" stroke="#475569" stroke-width="1.5"/>`+"\n", cx-4, cy-4)
	case "int3":
		w.f(`<circle cx="%d" cy="%d" r="5" fill="#7e22ce"/>`+"\n", cx, cy)
	case "handler":
		w.f(`<circle cx="%d" cy="%d" r="4.5" fill="none" stroke="#7e22ce" stroke-width="1.5"/>`+"\n", cx, cy)
	case "write":
		w.f(`<path d="M%d %dV%d" stroke="#ea580c" stroke-width="2"/><path d="M%d %dL%d %dL%d %dZ" fill="#ea580c"/>`+"\n", cx, cy-5, cy+1, cx-4, cy+1, cx+4, cy+1, cx, cy+6)
	case "cache":
		w.f(`<path d="M%d %dH%dM%d %dH%dM%d %dH%d" stroke="#0f766e" stroke-width="1.5"/>`+"\n", cx-5, cy-3, cx+5, cx-5, cy, cx+5, cx-5, cy+3, cx+5)
	case "stale":
		w.f(`<text x="%d" y="%d" class="pc-t pc-bad" text-anchor="middle" style="font-size:12px">!</text>`+"\n", cx, cy+5)
	}
}

// markerTags are the marks drawn as glyphs, in drawing order.
var markerTags = []string{"stale", "write", "int3", "handler", "ipi", "sync", "ipi-send", "ipi-wait", "lock", "unlock", "cache", "call", "return"}

// SVG draws the counterexample as a standalone SVG document: a timeline
// with one lane per actor and one column per step, wrapped into rows of
// at most rowSteps steps, the patched windows' bytes below each row, and
// the violation at the last step.
func SVG(c *cex.Counterexample) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + svgElement(c))
}

// svgElement is the <svg> element of c's picture, for embedding.
func svgElement(c *cex.Counterexample) string {
	t := analyse(c)
	n := len(t.steps)
	protocol, fetch := protocolOf(c)

	width := max(minWidth, labelW+min(n, rowSteps)*pitch+16)
	var head svgWriter
	y := 26
	head.text(12, y, "pc-t pc-title", "patchcheck: "+headline(c))
	y += 20
	head.text(12, y, "pc-t pc-sub", fmt.Sprintf("%s (%s)   scenario %s (%s, fetch %s)   %d steps",
		c.ID, c.Model, c.Scenario.Name, protocol, fetch, n))
	if doc := props.Doc(c.Property); doc != "" {
		for _, l := range wrapWords(c.Property+": "+doc, 160) {
			y += 17
			head.text(12, y, "pc-t pc-sub", l)
		}
	}
	for i, l := range wrapWords(c.Message, 150) {
		y += 17
		lead := "!! "
		if i > 0 {
			lead = "   "
		}
		head.text(12, y, "pc-t pc-bad", lead+l, ` xml:space="preserve"`)
	}
	y += 14
	y = t.legend(&head, y, width)
	top := y + 22 // the first row's step numbers

	rows := max(1, (n+rowSteps-1)/rowSteps)
	rowH := 8 + len(t.lanes)*laneH + 30 + len(t.wins)*winH + 34
	x0 := func(i int) int { return labelW + (i%rowSteps)*pitch }
	// The geometry of row r: its step numbers, lanes and band.
	numsY := func(r int) int { return top + r*rowH }
	lanesTop := func(r int) int { return numsY(r) + 8 }
	bandTop := func(r int) int { return lanesTop(r) + len(t.lanes)*laneH + 30 }
	bandBottom := func(r int) int { return bandTop(r) + len(t.wins)*winH }
	rowOf := func(i int) int { return i / rowSteps }

	lastRow := rows - 1
	calloutTop := bandBottom(lastRow) + 24
	at := "step " + fmt.Sprint(n) + ", " + lastActor(t) + ": "
	if a := lastActor(t); strings.HasPrefix(c.Message, a+" ") || strings.HasPrefix(c.Message, a+":") {
		at = "step " + fmt.Sprint(n) + ": "
	}
	msgLines := wrapWords(at+c.Message, 88)
	calloutH := 12 + 16*len(msgLines)
	height := calloutTop + calloutH + 16

	var w svgWriter
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		width, height, width, height, esc(fmt.Sprintf("patchcheck counterexample %s: %s", c.ID, c.Message)))
	w.f("<title>%s</title>\n", esc(fmt.Sprintf("%s: %s violated in %s", c.ID, c.Property, c.Scenario.Name)))
	w.f("<style>%s</style>\n", style)
	w.f(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	w.WriteString(head.String())

	for r := range rows {
		lo, hi := r*rowSteps, min(n, (r+1)*rowSteps)
		// The violating step's column.
		if n > 0 && r == lastRow {
			w.f(`<rect id="pc-violation" x="%d" y="%d" width="%d" height="%d" fill="#fef2f2"/>`+"\n", x0(n-1)-3, numsY(r)-12, boxW+6, bandBottom(r)-numsY(r)+12)
		}
		if rows > 1 {
			w.text(10, numsY(r), "pc-t pc-sub", fmt.Sprintf("steps %d-%d", lo+1, hi), ` style="font-size:11px;font-weight:bold"`)
		}
		// Lanes.
		for li, name := range t.lanes {
			ly := lanesTop(r) + li*laneH
			fill := "#f8fafc"
			kind := "CPU"
			if _, ok := cpuNum(name); !ok {
				fill, kind = "#fdfaf3", "kernel thread"
			}
			w.f(`<rect x="0" y="%d" width="%d" height="%d" fill="%s" fill-opacity="0.9"/>`+"\n", ly, width, laneH-2, fill)
			w.f(`<g><title>%s</title>`, esc(name+" ("+kind+")"))
			w.text(10, ly+26, "pc-t pc-lane", clipRunes(name, 17))
			w.text(10, ly+42, "pc-h", kind)
			w.f("</g>\n")
		}
		// Step numbers.
		for i := lo; i < hi; i++ {
			w.text(x0(i)+boxW/2, numsY(r), "pc-t pc-num", fmt.Sprint(i+1))
		}
		// Stale strips: a CPU that may still fetch old bytes of a window.
		for li, name := range t.lanes {
			cpu, ok := cpuNum(name)
			if !ok {
				continue
			}
			ly := lanesTop(r) + li*laneH
			for i := lo; i < hi; i++ {
				var ws []string
				for k := range t.wins {
					if s := t.since(i, cpu, k); s >= 0 {
						ws = append(ws, fmt.Sprintf("%s (since step %d)", t.wins[k], s+1))
					}
				}
				if len(ws) == 0 {
					continue
				}
				w.f(`<rect x="%d" y="%d" width="%d" height="5" fill="#f59e0b"><title>%s</title></rect>`+"\n",
					x0(i), ly+laneH-8, pitch, esc(fmt.Sprintf("after step %d %s may still fetch old bytes of %s", i+1, name, strings.Join(ws, ", "))))
			}
		}
		// IPIs sent to the CPUs.
		for i := lo; i < hi; i++ {
			if !t.mark(i, "ipi-send") {
				continue
			}
			li := t.laneOf[t.steps[i].Actor]
			for lj, name := range t.lanes {
				if _, ok := cpuNum(name); ok && lj != li {
					ly := lanesTop(r) + lj*laneH
					w.f(`<path d="M%d %dV%d" stroke="#16a34a" stroke-width="1.5" stroke-dasharray="5 3"/>`+"\n", x0(i)+boxW/2, ly+4, ly+laneH-10)
				}
			}
		}
	}
	// Step boxes.
	for i, st := range t.steps {
		li := t.laneOf[st.Actor]
		bx, by := x0(i), lanesTop(rowOf(i))+li*laneH+4
		class := t.boxClass(i)
		if i == n-1 {
			class += " pc-last"
		}
		w.f(`<g><title>%s</title>`+"\n", esc(t.tooltip(i)))
		w.f(`<rect x="%d" y="%d" width="%d" height="%d" rx="4" class="pc-box %s"/>`+"\n", bx, by, boxW, boxH, class)
		mx := bx + boxW - 2
		for _, tag := range markerTags {
			if t.mark(i, tag) && !(tag == "sync" && t.mark(i, "ipi")) {
				w.marker(tag, mx, by+3)
				mx -= 13
			}
		}
		head, body := t.label(i)
		if head != "" {
			w.text(bx+4, by+12, "pc-h", clipRunes(head, max(4, (mx+1-bx-4)*10/56)))
		}
		for j, l := range body {
			w.text(bx+4, by+26+j*lineH, "pc-m", l)
		}
		if i == n-1 {
			w.f(`<circle cx="%d" cy="%d" r="9" fill="#b91c1c"/>`, bx+boxW, by+boxH/2)
			w.text(bx+boxW, by+boxH/2+4, "pc-t", "!!", ` text-anchor="middle" style="font-size:10px;font-weight:bold;fill:#ffffff"`)
		}
		w.f("</g>\n")
	}
	// The windows' bands.
	for r := range rows {
		lo, hi := r*rowSteps, min(n, (r+1)*rowSteps)
		w.text(10, bandTop(r)-10, "pc-t pc-sub", "patched text (bytes after each step; amber: some CPU may still fetch older bytes)", ` style="font-size:11px"`)
		for k, name := range t.wins {
			ry := bandTop(r) + k*winH
			w.f(`<rect x="0" y="%d" width="%d" height="%d" fill="#ffffff"/>`+"\n", ry, width, winH-4)
			w.text(10, ry+18, "pc-m", clipRunes(name, 22), ` style="font-size:11px;font-weight:bold"`)
			w.text(10, ry+32, "pc-h", fmt.Sprintf("0x%x", t.winAddr[k]))
			t.drawRuns(&w, k, ry, x0, lo, hi)
		}
	}
	// Writes and fetches, down to the windows they touch.
	for i, st := range t.steps {
		cx := x0(i) + boxW/2
		by := lanesTop(rowOf(i)) + t.laneOf[st.Actor]*laneH + 4 + boxH
		bt := bandTop(rowOf(i))
		for _, k := range t.changed[i] {
			w.arrow(cx, by, bt+k*winH+2, "#ea580c", "3 2")
		}
		if f := t.event(i, model.TrFetch); f != nil {
			if k, _ := t.winAt(i, f.Addr); k >= 0 {
				color := "#0284c7"
				if len(f.Stale) > 0 {
					color = "#dc2626"
				}
				w.arrow(cx+10, bt+k*winH+2, by, color, "1 3")
			}
		}
	}
	// The violation.
	if n > 0 {
		lx := x0(n-1) + boxW/2
		cw := 0
		for _, l := range msgLines {
			cw = max(cw, len([]rune(l))+3)
		}
		cwPx := min(cw*15/2+24, width-labelW)
		cx := min(max(labelW, x0(n-1)+boxW-cwPx), width-cwPx-4)
		w.f(`<path d="M%d %dV%d" stroke="#b91c1c" stroke-width="2"/>`+"\n", lx, bandBottom(lastRow)-4, calloutTop)
		w.f(`<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#fef2f2" stroke="#b91c1c" stroke-width="2"/>`+"\n", cx, calloutTop, cwPx, calloutH)
		for j, l := range msgLines {
			lead := "!! "
			if j > 0 {
				lead = "   "
			}
			w.text(cx+10, calloutTop+20+16*j, "pc-m pc-bad", lead+l, ` xml:space="preserve" style="font-size:12px"`)
		}
	}
	w.f("</svg>\n")
	return w.String()
}

func lastActor(t *trace) string {
	if len(t.steps) == 0 {
		return ""
	}
	return t.steps[len(t.steps)-1].Actor
}

// arrow draws a dashed vertical line from y1 to y2 with a head at y2.
func (w *svgWriter) arrow(x, y1, y2 int, color, dash string) {
	d := 5
	if y2 < y1 {
		d = -5
	}
	w.f(`<path d="M%d %dV%d" stroke="%s" stroke-width="1.5" stroke-dasharray="%s"/>`, x, y1, y2-d, color, dash)
	w.f(`<path d="M%d %dL%d %dL%d %dZ" fill="%s"/>`+"\n", x-4, y2-d, x+4, y2-d, x, y2, color)
}

// tooltip is the full description of step i, shown on hover: its
// events' kinds and text.
func (t *trace) tooltip(i int) string {
	st := t.steps[i]
	s := fmt.Sprintf("step %d, %s", i+1, st.Actor)
	var kinds []string
	for _, e := range st.Events {
		if !slices.Contains(kinds, e.Kind.String()) {
			kinds = append(kinds, e.Kind.String())
		}
	}
	if len(kinds) > 0 {
		s += " [" + strings.Join(kinds, " ") + "]"
	}
	for _, e := range st.Events {
		for _, l := range e.Lines() {
			s += "\n" + strings.TrimSpace(l)
		}
		if e.Src != "" {
			s += " (" + e.Src + ")"
		}
	}
	return s
}

// drawRuns draws window k's contents after steps [lo, n) as runs of
// steps with the same bytes and the same stale CPUs, the bytes written
// where they change and at the start of the row (bold: changed).
func (t *trace) drawRuns(w *svgWriter, k, ry int, x0 func(int) int, lo, n int) {
	var prev []byte
	if lo > 0 {
		prev = t.bytes[lo-1][k]
	}
	for i := lo; i < n; {
		b, s := t.bytes[i][k], t.stale[i][k]
		j := i + 1
		for j < n && slices.Equal(t.bytes[j][k], b) && slices.Equal(t.stale[j][k], s) {
			j++
		}
		if b == nil {
			i = j
			continue
		}
		class := "pc-run"
		if len(s) > 0 {
			class = "pc-runstale"
		}
		x1, x2 := x0(i), x0(j-1)+boxW
		tip := fmt.Sprintf("%s after steps %d-%d: %s", t.wins[k], i+1, j, hexString(b))
		if len(s) > 0 {
			tip += "; may still fetch older bytes: " + cpuList(s)
		}
		w.f(`<g><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="3" class="%s"/>`+"\n",
			esc(tip), x1, ry+2, x2-x1, winH-8, class)
		if i == lo || prev == nil || !slices.Equal(prev, b) {
			first, rest := splitBytes(b, t.c.Scenario.Arch)
			w.bytesLine(x1+4, ry+16, first, prev, 0)
			if len(rest) > 0 {
				w.bytesLine(x1+4, ry+28, rest, prev, len(first))
			}
		} else {
			w.text(x1+4, ry+16, "pc-h", "(same bytes)")
		}
		if len(s) > 0 {
			w.text(x1+4, ry+38, "pc-h pc-old", clipRunes("stale: "+cpuList(s), 20), ` style="font-weight:bold"`)
		}
		w.f("</g>\n")
		prev = b
		i = j
	}
}

// bytesLine writes b as hex, the bytes that differ from prev (at the same
// offset, off) in bold.
func (w *svgWriter) bytesLine(x, y int, b, prev []byte, off int) {
	w.f(`<text x="%d" y="%d" class="pc-m">`, x, y)
	for i, v := range b {
		sep := " "
		if i == 0 {
			sep = ""
		}
		h := hexString([]byte{v})
		if prev != nil && (off+i >= len(prev) || prev[off+i] != v) {
			w.f(`%s<tspan class="pc-new">%s</tspan>`, sep, h)
		} else {
			w.f("%s%s", sep, h)
		}
	}
	w.f("</text>\n")
}

// splitBytes splits a window's bytes over two lines: up to six on one;
// else the first instruction (arch.Descriptor.InsnBytes: x86's five, an
// instruction word elsewhere) and the rest.
func splitBytes(b []byte, name string) (first, rest []byte) {
	n := 4
	if d, err := arches.Describe(name); err == nil && d.InsnBytes > 0 {
		n = d.InsnBytes
	}
	if len(b) <= 6 {
		return b, nil
	}
	return b[:n], b[n:]
}

// cpuList writes CPUs 0, 1, 3 as "cpu0,1,3".
func cpuList(cpus []int) string {
	var parts []string
	for _, c := range cpus {
		parts = append(parts, fmt.Sprint(c))
	}
	return "cpu" + strings.Join(parts, ",")
}

// legend draws the key to the colours and glyphs that the picture uses,
// in the architecture's words, from y, in rows no wider than width; it
// returns the y below it.
func (t *trace) legend(w *svgWriter, y, width int) int {
	words := wordsFor(t.c.Scenario.Arch)
	items := []struct{ class, mark, label string }{
		{"pc-call", "call", "call"},
		{"pc-fetch", "", "fetch"},
		{"pc-stale", "stale", "stale fetch"},
		{"pc-write", "write", "text write"},
		{"pc-ipisend", "ipi-send", words.IPI + " sent"},
		{"pc-ipisend", "ipi-wait", words.IPI + " waited for"},
		{"pc-ipi", "ipi", "IPI taken (sync)"},
		{"pc-fetch", "sync", "context synchronisation"},
		{"pc-int3", "int3", "INT3 trap"},
		{"pc-int3", "handler", "INT3 handler"},
		{"pc-lock", "lock", "lock"},
		{"pc-lock", "unlock", "unlock"},
		{"pc-cache", "cache", "cache maintenance"},
		{"pc-kernel", "", "other kernel step"},
	}
	used := func(mark, class string) bool {
		for i := range t.steps {
			switch {
			case mark == "sync":
				// The glyph of a synchronisation that is no IPI.
				if t.has(i, model.TrSync) {
					return true
				}
			case mark != "":
				if t.mark(i, mark) {
					return true
				}
			case t.boxClass(i) == class:
				return true
			}
		}
		return false
	}
	x := 12
	y += 6
	for _, it := range items {
		if !used(it.mark, it.class) {
			continue
		}
		if x+30+len(it.label)*63/10 > width-12 {
			x, y = 12, y+24
		}
		w.f(`<rect x="%d" y="%d" width="26" height="16" rx="3" class="pc-box %s"/>`+"\n", x, y, it.class)
		if it.mark != "" {
			w.marker(it.mark, x+26, y+1)
		}
		w.text(x+32, y+12, "pc-t", it.label, ` style="font-size:11px"`)
		x += 30 + len(it.label)*63/10 + 14
	}
	if slices.ContainsFunc(t.staleSince, func(m map[int][]int) bool { return len(m) > 0 }) {
		if x+30+23*63/10 > width-12 {
			x, y = 12, y+24
		}
		w.f(`<rect x="%d" y="%d" width="26" height="5" fill="#f59e0b"/>`+"\n", x, y+6)
		w.text(x+30, y+12, "pc-t", "CPU may fetch old bytes", ` style="font-size:11px"`)
	}
	return y + 16
}
