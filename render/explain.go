package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"patchcheck/arches"
	"patchcheck/cex"
	"patchcheck/kernel"
	"patchcheck/props"
	"patchcheck/scenario"
)

// Explain tells the counterexample in prose, step by step, in a kernel
// developer's terms: what each actor did, which CPUs could still fetch
// old bytes of which patched text and why, and what went wrong at the
// end. Everything is derived from the trace's notes, tags and windows.
// The text is folded at 80 columns.
func Explain(c *cex.Counterexample) string {
	t := analyse(c)
	var b strings.Builder
	variant, fetch := variantOf(c)
	fmt.Fprintf(&b, "%s: %s, in prose\n\n", c.ID, headline(c))

	fold(&b, "", fmt.Sprintf("The property: %s: %s.", c.Property, strings.TrimSuffix(props.Doc(c.Property), ".")), 80)
	vs := "the kernel's own code"
	if d := variantDoc(c.Scenario.Arch, variant); variant != "kernel" && d != "" {
		vs = d
	}
	fold(&b, "", fmt.Sprintf("The scenario: %s (%s), variant %s: %s; fetch assumption %s (docs/semantics.md %s).",
		c.Scenario.Name, c.Scenario.Arch, variant, vs, fetch, wordsFor(c.Scenario.Arch).section), 80)
	if cast := castOf(c.Scenario); cast != "" {
		fold(&b, "", "Who runs: "+cast, 80)
	}
	if len(t.wins) > 0 && len(t.steps) > 0 {
		var ws []string
		for k, name := range t.wins {
			if bs := t.bytes[0][k]; bs != nil {
				ws = append(ws, fmt.Sprintf("%s (%s)", name, hexString(bs)))
			}
		}
		fold(&b, "", "The patched text after step 1: "+strings.Join(ws, ", ")+".", 80)
	}

	b.WriteString("\nStep by step:\n")
	for i := 0; i < len(t.steps); {
		j := i + 1
		for j < len(t.steps) && t.steps[j].Actor == t.steps[i].Actor {
			j++
		}
		head := fmt.Sprintf("Step %d, %s:", i+1, t.steps[i].Actor)
		if j-i > 1 {
			head = fmt.Sprintf("Steps %d-%d, %s:", i+1, j, t.steps[i].Actor)
		}
		b.WriteString("\n" + head + "\n")
		for k := i; k < j; k++ {
			fold(&b, fmt.Sprintf("%5s ", fmt.Sprintf("(%d)", k+1)), t.sentence(k), 80)
		}
		i = j
	}

	b.WriteString("\nWhat went wrong:\n\n")
	for _, p := range t.diagnosis() {
		fold(&b, "", p, 80)
		b.WriteString("\n")
	}
	return b.String()
}

// variantDoc returns the documentation of a protocol variant.
func variantDoc(arch, variant string) string {
	port, err := arches.Lookup(arch)
	if err != nil {
		return ""
	}
	for _, v := range kernel.AllVariants(port) {
		if v.Name == variant {
			return v.Doc
		}
	}
	return ""
}

// castOf says what each CPU calls and what each kernel thread runs.
func castOf(sc *scenario.Scenario) string {
	var parts []string
	for i, cpu := range sc.CPUs {
		if len(cpu.Calls) == 0 {
			parts = append(parts, cpuName(i)+" is idle")
		} else {
			parts = append(parts, cpuName(i)+" calls "+strings.Join(cpu.Calls, ", then "))
		}
	}
	for _, th := range sc.Threads {
		var ops []string
		for _, op := range th.Ops {
			ops = append(ops, opString(op))
		}
		if len(ops) == 0 {
			parts = append(parts, "the kernel thread "+th.Name+" does nothing")
		} else {
			parts = append(parts, "the kernel thread "+th.Name+" runs "+strings.Join(ops, ", then "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

// opString renders a thread operation as the kernel call it stands for.
func opString(op scenario.Op) string {
	switch op.Kind {
	case scenario.OpUpdate:
		return fmt.Sprintf("static_call_update(%s, %s)", op.Key, op.Target)
	case scenario.OpUpdateEarly:
		return fmt.Sprintf("static_call_update_early(%s, %s)", op.Key, op.Target)
	case scenario.OpLoad:
		if op.FailAlloc > 0 {
			return fmt.Sprintf("load_module(%s) with kzalloc #%d failing", op.Module, op.FailAlloc)
		}
		return "load_module(" + op.Module + ")"
	case scenario.OpUnload:
		return "delete_module(" + op.Module + ")"
	case scenario.OpKprobe:
		return "register_kprobe(" + op.Site + ")"
	case scenario.OpStaticCallInit:
		return "static_call_init()"
	case scenario.OpForceReinit:
		return "static_call_force_reinit()"
	case scenario.OpRestInit:
		return "rest_init()"
	case scenario.OpSMPInit:
		return "smp_init()"
	case scenario.OpFreeInitmem:
		return "the end of kernel_init() (free_initmem)"
	}
	return op.Kind
}

var (
	lockRe   = regexp.MustCompile(`^mutex_lock\(&(\w+)\)$`)
	unlockRe = regexp.MustCompile(`^mutex_unlock\(&(\w+)\)$`)
	retRe    = regexp.MustCompile(`^call (\S+) returns: reached (.+)$`)
)

// sentence tells step i as one or more sentences.
func (t *trace) sentence(i int) string {
	st := t.steps[i]
	a := st.Actor
	var out []string
	notes := st.Notes
	if f, ok := t.parseFetch(i); ok {
		out = append(out, t.fetchSentence(i, f))
		var rest []string
		for _, n := range notes {
			if !strings.HasPrefix(n, "  ") && !fetchRe.MatchString(n) {
				rest = append(rest, n)
			}
		}
		notes = rest
	} else if t.has(i, "ipi") {
		s := a + " " + wordsFor(t.c.Scenario.Arch).taken + ", so from now on it fetches only current text"
		if prev := t.staleList(i-1, a); prev != "" {
			s += " (until now it could still fetch old bytes of " + prev + ")"
		}
		out = append(out, s+".")
		notes = dropNote(notes, "takes the IPI")
	}
	for _, n := range notes {
		out = append(out, t.noteSentence(i, a, strings.TrimSpace(n)))
	}
	if len(out) == 0 {
		if prev := t.prevOwn(i); prev >= 0 && (t.has(prev, "int3") || t.has(prev, "handler")) {
			return a + " goes on in the INT3 handler (the step has no description of its own)."
		}
		return a + " takes a step with no description."
	}
	return strings.Join(out, " ")
}

// dropNote removes the notes starting with prefix.
func dropNote(notes []string, prefix string) []string {
	var out []string
	for _, n := range notes {
		if !strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// prevOwn returns the previous step of step i's actor, or -1.
func (t *trace) prevOwn(i int) int {
	for j := i - 1; j >= 0; j-- {
		if t.steps[j].Actor == t.steps[i].Actor {
			return j
		}
	}
	return -1
}

// noteSentence turns one note of step i into a sentence.
func (t *trace) noteSentence(i int, a, n string) string {
	if m := callRe.FindStringSubmatch(n); m != nil {
		if k, ok := scenario.TrampCallKey(m[1]); ok {
			return fmt.Sprintf("%s calls through the trampoline __SCT__%s, while key %s is %s.", a, k, m[2], m[3])
		}
		return fmt.Sprintf("%s calls %s, while key %s is %s.", a, m[1], m[2], m[3])
	}
	if m := retRe.FindStringSubmatch(n); m != nil {
		return fmt.Sprintf("The call %s returns, having reached %s.", m[1], m[2])
	}
	if strings.HasPrefix(n, "#BP: int3 trap") {
		return a + " traps on the INT3 (#BP) and enters poke_int3_handler with interrupts off."
	}
	fn, rest := "", n
	if m := fnRe.FindStringSubmatch(n); m != nil {
		fn, rest = m[1], m[2]
	}
	who := fn
	if who == "" {
		who = a
	}
	switch {
	case lockRe.MatchString(rest):
		return fmt.Sprintf("%s takes %s.", who, lockRe.FindStringSubmatch(rest)[1])
	case unlockRe.MatchString(rest):
		return fmt.Sprintf("%s releases %s.", who, unlockRe.FindStringSubmatch(rest)[1])
	case t.has(i, "ipi-send"):
		s := who + " sends the " + wordsFor(t.c.Scenario.Arch).ipi + " to every CPU (" + strings.TrimSuffix(rest, ": IPI sent") + ")"
		if cpus := t.staleCPUs(i); len(cpus) > 0 {
			s += "; " + cpuWords(cpus) + " may still fetch old bytes until " + plural(len(cpus), "it takes", "they take") + " it"
		}
		return s + "."
	}
	if m := writeRe.FindStringSubmatch(rest); m != nil && t.has(i, "write") {
		s := fmt.Sprintf("%s writes %s at %s", who, m[2], m[1])
		for _, k := range t.changed[i] {
			s += fmt.Sprintf(": %s now holds %s", t.wins[k], hexString(t.bytes[i][k]))
			if cpus := t.stale[i][k]; len(cpus) > 0 {
				s += "; " + cpuWords(cpus) + " may still fetch its old bytes until " + plural(len(cpus), "it synchronises", "they synchronise")
			}
		}
		return s + "."
	}
	if fn != "" {
		return fn + ": " + sentenceEnd(rest)
	}
	return sentenceEnd(rest)
}

// sentenceEnd ends s with a full stop unless it ends with punctuation.
func sentenceEnd(s string) string {
	if s == "" || strings.ContainsRune(".!?", rune(s[len(s)-1])) {
		return s
	}
	return s + "."
}

// cpuWords writes CPUs 0 and 1 as "cpu0 and cpu1".
func cpuWords(cpus []int) string {
	var names []string
	for _, c := range cpus {
		names = append(names, cpuName(c))
	}
	return andList(names)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// staleList lists the windows actor (a CPU) may fetch old bytes of after
// step i, with the step since when.
func (t *trace) staleList(i int, actor string) string {
	cpu, ok := cpuNum(actor)
	if !ok || i < 0 {
		return ""
	}
	var ws []string
	for k := range t.wins {
		if s := t.since(i, cpu, k); s >= 0 {
			ws = append(ws, fmt.Sprintf("%s since step %d", t.wins[k], s+1))
		}
	}
	return andList(ws)
}

// fetchSentence tells a fetch, and for a stale one why the CPU could
// still see old bytes.
func (t *trace) fetchSentence(i int, f fetch) string {
	a := t.steps[i].Actor
	what := ""
	if f.disasm != "" {
		what = " and executes " + f.disasm
	}
	if len(f.stale) == 0 {
		return fmt.Sprintf("%s fetches %s at %s%s.", a, hexString(f.insn), f.sym, what)
	}
	s := fmt.Sprintf("%s fetches %s at %s%s, but byte %s of it %s old contents", a, hexString(f.insn), f.sym, what,
		intList(f.stale), map[bool]string{true: "is", false: "are"}[len(f.stale) == 1])
	k := t.win(f.base)
	if k < 0 {
		return s + "."
	}
	if cur := t.bytes[i][k]; cur != nil && f.off+len(f.insn) <= len(cur) {
		s += fmt.Sprintf(" (%s holds %s there now)", f.base, hexString(cur[f.off:f.off+len(f.insn)]))
	}
	s += "."
	return s + " " + t.whyStale(i, k, a)
}

func intList(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return andList(s)
}

// whyStale says why actor could still fetch old bytes of window k at
// step i: since when, what was written then, and whether a sync IPI was
// sent since.
func (t *trace) whyStale(i, k int, actor string) string {
	cpu, ok := cpuNum(actor)
	if !ok {
		return ""
	}
	since := t.since(i-1, cpu, k)
	if since < 0 {
		since = t.since(i, cpu, k)
	}
	if since < 0 {
		return ""
	}
	words := wordsFor(t.c.Scenario.Arch)
	w := t.steps[since]
	uncached := t.has(since, "write") && len(w.Notes) > 0 && strings.Contains(w.Notes[0], "no cache maintenance")
	for j := since + 1; j < i && uncached; j++ {
		uncached = !t.has(j, "cache")
	}
	var s string
	if uncached {
		s = fmt.Sprintf("%s still had the old bytes of %s because the write at step %d was never made coherent with instruction fetch (no cache maintenance): no context synchronisation can drop the old bytes until then", actor, t.wins[k], since+1)
	} else {
		s = fmt.Sprintf("%s still had the old bytes of %s because it had not taken %s since step %d", actor, t.wins[k], words.sync, since+1)
	}
	if t.has(since, "write") && len(w.Notes) > 0 {
		s += fmt.Sprintf(" (%s: %s)", w.Actor, strings.TrimSpace(w.Notes[0]))
	}
	var sent []string
	for j := since + 1; j < i; j++ {
		if t.has(j, "ipi-send") {
			sent = append(sent, fmt.Sprint(j+1))
		}
	}
	switch {
	case uncached:
		s += "."
	case len(sent) == 0:
		s += fmt.Sprintf(", and no %s was sent after that.", words.ipi)
	default:
		s += fmt.Sprintf("; the %s sent at step %s had not reached it yet.", words.ipi, andList(sent))
	}
	var writes []string
	for j := since + 1; j <= i; j++ {
		if slices.Contains(t.changed[j], k) {
			writes = append(writes, fmt.Sprint(j+1))
		}
	}
	if len(writes) > 0 {
		s += fmt.Sprintf(" Since then %s was also written at step %s.", t.wins[k], andList(writes))
	}
	return s
}

// archWords are an architecture's terms for what drops stale
// instructions.
type archWords struct {
	sync    string // what the CPU had not taken
	ipi     string // the IPI the patcher sends, without an article
	taken   string // a CPU taking it
	section string // the fetch rules in docs/semantics.md
}

func wordsFor(arch string) archWords {
	switch arch {
	case "arm64", "aarch64":
		return archWords{sync: "a context synchronisation (an IPI, an isb, an exception return)", ipi: "IPI",
			taken: "takes the IPI: exception entry and return are context synchronising", section: "§10.2"}
	case "ppc32", "ppc64", "powerpc32", "powerpc64":
		return archWords{sync: "a context synchronisation (an interrupt, an isync)", ipi: "IPI",
			taken: "takes an interrupt: context synchronising", section: "§9.2"}
	}
	return archWords{sync: "a sync IPI", ipi: "sync IPI",
		taken: "takes the sync IPI: do_sync_core() and the IRET serialise it", section: "§3"}
}

// commonWords are left out when the violation message is matched against
// earlier notes.
var commonWords = map[string]bool{
	"at": true, "the": true, "a": true, "an": true, "of": true, "to": true, "in": true, "into": true, "is": true,
	"its": true, "by": true, "and": true, "or": true, "not": true, "no": true, "on": true, "as": true, "from": true,
	"with": true, "was": true, "there": true, "never": true, "key": true, "set": true, "bit": true, "type": true,
	"executes": true, "writes": true, "call": true, "calls": true, "text": true, "instruction": true, "holds": true,
	"it": true, "that": true, "this": true, "be": true, "after": true, "before": true, "while": true,
}

var hexByteRe = regexp.MustCompile(`^[0-9a-f]{2}$`)

var wordRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.>-]*[A-Za-z0-9_]|[A-Za-z_]`)

// diagnosis explains the last step: paragraphs.
func (t *trace) diagnosis() []string {
	n := len(t.steps)
	c := t.c
	if n == 0 {
		return []string{"The trace is empty: " + c.Message}
	}
	last := n - 1
	a := t.steps[last].Actor
	at := fmt.Sprintf("At step %d (%s): ", n, a)
	if strings.HasPrefix(c.Message, a+" ") || strings.HasPrefix(c.Message, a+":") {
		at = fmt.Sprintf("At step %d, ", n)
	}
	out := []string{fmt.Sprintf("%s%s. This breaks %s: %s.", at, strings.TrimSuffix(c.Message, "."), c.Property,
		strings.TrimSuffix(props.Doc(c.Property), "."))}
	specific := len(out)
	if f, ok := t.parseFetch(last); ok && len(f.stale) > 0 {
		if k := t.win(f.base); k >= 0 {
			out = append(out, t.whyStale(last, k, a)+" "+t.oldBytes(last, k, f))
		}
	}
	// A CPU in the INT3 handler: when it trapped, and what the others did
	// meanwhile.
	if _, ok := cpuNum(a); ok {
		trap := -1
		for j := last; j >= 0; j-- {
			if t.steps[j].Actor != a {
				continue
			}
			if t.has(j, "int3") {
				trap = j
				break
			}
			if !t.has(j, "handler") && j != last {
				break
			}
		}
		if trap >= 0 {
			s := fmt.Sprintf("%s had trapped on an INT3 at step %d", a, trap+1)
			if f, ok := t.parseFetch(trap); ok {
				if k := t.win(f.base); k >= 0 {
					for j := trap; j >= 1 && len(f.insn) > 0; j-- {
						cur, prev := t.bytes[j][k], t.bytes[j-1][k]
						if f.off < len(cur) && f.off < len(prev) && cur[f.off] == f.insn[0] && prev[f.off] != f.insn[0] {
							s += fmt.Sprintf(" (the INT3 %s wrote into %s at step %d)", t.steps[j].Actor, f.sym, j+1)
							break
						}
					}
				}
			}
			var meanwhile, own []string
			for j := trap + 1; j < last; j++ {
				if len(t.steps[j].Notes) == 0 {
					continue
				}
				l := fmt.Sprintf("(%d) %s", j+1, strings.TrimSpace(t.steps[j].Notes[0]))
				if t.steps[j].Actor == a {
					own = append(own, l)
				} else {
					meanwhile = append(meanwhile, fmt.Sprintf("(%d) %s: %s", j+1, t.steps[j].Actor, strings.TrimSpace(t.steps[j].Notes[0])))
				}
			}
			if len(own) > 0 {
				s += "; in the handler it then ran " + strings.Join(tail(own, 6), "; ")
			}
			if len(meanwhile) > 0 {
				s += "; meanwhile the others ran " + strings.Join(tail(meanwhile, 8), "; ")
			}
			out = append(out, s+".")
		}
	}
	// Earlier steps about what the message names.
	if words, steps := t.related(last); len(steps) > 0 && len(out) == specific {
		out = append(out, "The latest earlier steps that name "+andList(words)+": "+strings.Join(steps, "; ")+".")
	}
	if cpus := t.staleCPUs(last); len(cpus) > 0 {
		var ss []string
		for _, cpu := range cpus {
			for k := range t.wins {
				if s := t.since(last, cpu, k); s >= 0 && s < last {
					ss = append(ss, fmt.Sprintf("%s of %s since step %d", cpuName(cpu), t.wins[k], s+1))
				}
			}
		}
		if len(ss) > 0 {
			out = append(out, "At the end, CPUs that may still fetch old bytes: "+strings.Join(ss, "; ")+".")
		}
	}
	return out
}

// oldBytes says where the stale bytes of a fetch came from: the last
// step before which the window held them.
func (t *trace) oldBytes(i, k int, f fetch) string {
	var parts []string
	for _, b := range f.stale {
		off := f.off + b
		if off >= len(f.insn)+f.off || b >= len(f.insn) {
			continue
		}
		v := f.insn[b]
		// The latest step after which the window held v at off.
		held := -1
		for j := i; j >= 0; j-- {
			if bs := t.bytes[j][k]; bs != nil && off < len(bs) && bs[off] == v {
				held = j
				break
			}
		}
		parts = append(parts, fmt.Sprintf("byte %d (%02x) is from before step %d", b, v, held+2))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("The fetch mixed contents of %s: %s; the other bytes are current.", t.wins[k], strings.Join(parts, ", "))
}

// related returns the words of the violation message (symbols, fields,
// states) that notes of steps before i name, and the latest such steps.
func (t *trace) related(i int) (words, steps []string) {
	var cand []string
	actors := map[string]bool{}
	for _, l := range t.lanes {
		actors[l] = true
	}
	for _, w := range wordRe.FindAllString(t.c.Message, -1) {
		if len(w) < 2 || commonWords[strings.ToLower(w)] || actors[w] || slices.Contains(cand, w) || hexByteRe.MatchString(w) {
			continue
		}
		cand = append(cand, w)
	}
	for j := 0; j < i; j++ {
		hit := ""
		for _, n := range t.steps[j].Notes {
			for _, w := range cand {
				if hasWord(n, w) {
					if hit == "" {
						hit = strings.TrimSpace(n)
					}
					if !slices.Contains(words, w) {
						words = append(words, w)
					}
				}
			}
		}
		if hit != "" {
			steps = append(steps, fmt.Sprintf("(%d) %s: %s", j+1, t.steps[j].Actor, hit))
		}
	}
	return words, tail(steps, 8)
}

// hasWord reports whether w occurs in s as a whole word.
// English words match in any inflection ("returned", "returns").
func hasWord(s, w string) bool {
	for _, m := range wordRe.FindAllString(s, -1) {
		m = strings.TrimSuffix(m, ".")
		if m == w || stem(m) == stem(w) {
			return true
		}
	}
	return false
}

var plainWordRe = regexp.MustCompile(`^[a-z]{4,}$`)

// stem strips an English word's inflection; other words (symbols,
// numbers) stay as they are.
func stem(w string) string {
	if !plainWordRe.MatchString(w) {
		return w
	}
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 4 {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

func tail[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}
