package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/arches/arch"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// Explain tells the counterexample in prose, step by step, in a kernel
// developer's terms: what each actor did, which CPUs could still fetch
// old bytes of which patched text and why, and what went wrong at the
// end. Everything is derived from the trace's events and windows.
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
	shown := cex.ProtocolText(c.Scenario)
	if shown != "" {
		vs = "the user's protocol, shown below"
		if variant != "kernel" {
			vs += ", on " + variantDoc(c.Scenario.Arch, variant)
		}
	}
	fold(&b, "", fmt.Sprintf("The scenario: %s (%s), %s: %s; fetch assumption %s (docs/semantics.md %s).",
		c.Scenario.Name, c.Scenario.Arch, cex.Protocol(c.Scenario), vs, fetch, wordsFor(c.Scenario.Arch).Section), 80)
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

	if shown != "" {
		b.WriteString("\nThe protocol checked:\n" + shown)
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

// sentence tells step i as one or more sentences, one or more per event.
func (t *trace) sentence(i int) string {
	st := t.steps[i]
	a := st.Actor
	var out []string
	for j := 0; j < len(st.Events); j++ {
		e := &st.Events[j]
		if e.Kind == model.TrSync && j+1 < len(st.Events) && st.Events[j+1].Kind == model.TrNote {
			// The architecture's note says what synchronised; what it
			// could not drop follows.
			j++
			out = append(out, t.eventSentence(i, &st.Events[j]))
		}
		if e.Kind == model.TrNote && strings.HasPrefix(e.Text, "  ") && j > 0 && st.Events[j-1].Kind == model.TrFetch &&
			len(st.Events[j-1].Stale) == 0 && len(out) > 0 {
			// A detail of the instruction just executed.
			out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], ".") + " (" + strings.TrimSpace(e.Text) + ")."
			continue
		}
		if s := t.eventSentence(i, e); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		if prev := t.prevOwn(i); prev >= 0 && (t.has(prev, model.TrTrap) || t.has(prev, model.TrHandler)) {
			return a + " goes on in the INT3 handler (the step has no description of its own)."
		}
		return a + " takes a step with no description."
	}
	return strings.Join(out, " ")
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

// eventSentence tells one event of step i, or "" when it says nothing
// of its own.
func (t *trace) eventSentence(i int, e *model.TraceEvent) string {
	a := t.steps[i].Actor
	who := e.Fn
	if who == "" {
		who = a
	}
	words := wordsFor(t.c.Scenario.Arch)
	switch e.Kind {
	case model.TrFetch:
		return t.fetchSentence(i, e)
	case model.TrIPI:
		s := a + " " + words.Taken
		if kept := t.stillStale(i, a); kept != "" {
			return s + "; but " + kept
		}
		s += ", so from now on it fetches only current text"
		if prev := t.staleList(i-1, a); prev != "" {
			s += " (until now it could still fetch old bytes of " + prev + ")"
		}
		return s + "."
	case model.TrSync:
		if kept := t.stillStale(i, a); kept != "" {
			return "The context synchronisation does not drop old bytes: " + kept
		}
		return ""
	case model.TrTrap:
		return a + " is in the INT3 handler now, with interrupts off."
	case model.TrHandler:
		return ""
	case model.TrCall:
		if k, ok := scenario.TrampCallKey(e.Call); ok {
			return fmt.Sprintf("%s calls through the trampoline __SCT__%s, while key %s is %s.", a, k, e.Key, e.Target)
		}
		return fmt.Sprintf("%s calls %s, while key %s is %s.", a, e.Call, e.Key, e.Target)
	case model.TrReturn:
		return fmt.Sprintf("The call %s returns, having reached %s.", e.Call, e.Reached())
	case model.TrSkip:
		return a + " " + sentenceEnd(e.Text)
	case model.TrLock:
		return fmt.Sprintf("%s takes %s.", who, e.Lock)
	case model.TrUnlock:
		return fmt.Sprintf("%s releases %s.", who, e.Lock)
	case model.TrIPISend:
		s := who + " sends the " + words.IPI + " to every CPU (" + strings.TrimSuffix(e.Text, ": IPI sent") + ")"
		if cpus := t.staleCPUs(i); len(cpus) > 0 {
			s += "; " + cpuWords(cpus) + " may still fetch old bytes until " + plural(len(cpus), "it takes", "they take") + " it"
		}
		return s + "."
	case model.TrWrite:
		return t.writeSentence(i, e, who)
	case model.TrCache:
		s := fmt.Sprintf("%s makes %s (%d bytes) coherent with instruction fetch (dc cvau; dsb ish; ic ivau; dsb ish; isb on its own CPU)", who, e.Sym, e.Len)
		var ws []string
		for k := range t.wins {
			if t.pending[i][k] == 0 && i > 0 && t.pending[i-1][k] > 0 && len(t.stale[i][k]) > 0 {
				ws = append(ws, fmt.Sprintf("%s may still fetch the old bytes of %s until %s", cpuWords(t.stale[i][k]), t.wins[k],
					plural(len(t.stale[i][k]), "it context-synchronises", "they context-synchronise")))
			}
		}
		if len(ws) > 0 {
			s += "; " + strings.Join(ws, "; ")
		}
		return s + "."
	case model.TrNote:
		return sentenceEnd(strings.TrimSpace(e.Text))
	}
	ls := e.Lines()
	for k := range ls {
		ls[k] = strings.TrimSpace(ls[k])
	}
	return sentenceEnd(strings.Join(ls, " "))
}

// writeSentence tells a write to text, what the windows hold after it
// and which CPUs may still fetch their old bytes.
func (t *trace) writeSentence(i int, e *model.TraceEvent, who string) string {
	how := ""
	switch e.Mode {
	case model.WriteNoMaint:
		how = " without cache maintenance (not yet coherent with instruction fetch)"
	case model.WriteStopMachine:
		how = " with every CPU stopped (each runs isb before going on)"
	case model.WriteSaved:
		how = " (the bytes it saved)"
	case model.WriteKprobe:
		how = fmt.Sprintf(" to arm a kprobe (which saved %s)", hexString(e.Old))
	}
	s := fmt.Sprintf("%s writes %s at %s%s", who, hexString(e.Bytes), e.Sym, how)
	for _, k := range t.changed[i] {
		s += fmt.Sprintf(": %s now holds %s", t.wins[k], hexString(t.bytes[i][k]))
		if cpus := t.stale[i][k]; len(cpus) > 0 {
			until := plural(len(cpus), "it synchronises", "they synchronise")
			if t.pending[i][k] > 0 {
				until = "cache maintenance makes it coherent and then " + until
			}
			s += "; " + cpuWords(cpus) + " may still fetch its old bytes until " + until
		}
	}
	return s + "."
}

// stillStale says why actor (a CPU) may still fetch old bytes after its
// context synchronisation at step i: writes not yet coherent with
// instruction fetch. It returns "" when the CPU fetches only current
// text.
func (t *trace) stillStale(i int, actor string) string {
	cpu, ok := cpuNum(actor)
	if !ok {
		return ""
	}
	var ws []string
	for k := range t.wins {
		if t.since(i, cpu, k) < 0 || t.pending[i][k] == 0 {
			continue
		}
		ws = append(ws, fmt.Sprintf("the write at step %d to %s is not yet coherent with instruction fetch (no cache maintenance yet), so %s may still fetch the old bytes of %s",
			t.pendingFrom(i, k)+1, t.wins[k], actor, t.wins[k]))
	}
	if len(ws) == 0 {
		return ""
	}
	return strings.Join(ws, "; and ") + "."
}

// pendingFrom returns the step of the oldest write of window k still not
// coherent with instruction fetch after step i.
func (t *trace) pendingFrom(i, k int) int {
	j := i
	for j > 0 && t.pending[j-1][k] > 0 {
		j--
	}
	for j < i && !slices.Contains(t.changed[j], k) {
		j++
	}
	return j
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
func (t *trace) fetchSentence(i int, f *model.TraceEvent) string {
	a := t.steps[i].Actor
	what := ""
	if f.Disasm != "" {
		what = " and executes " + f.Disasm
	}
	if len(f.Stale) == 0 {
		return fmt.Sprintf("%s fetches %s at %s%s.", a, hexString(f.Bytes), f.Sym, what)
	}
	s := fmt.Sprintf("%s fetches %s at %s%s, but byte %s of it %s old contents", a, hexString(f.Bytes), f.Sym, what,
		intList(f.Stale), map[bool]string{true: "is", false: "are"}[len(f.Stale) == 1])
	k, off := t.winAt(i, f.Addr)
	if k < 0 {
		return s + "."
	}
	if cur := t.bytes[i][k]; cur != nil && off+len(f.Bytes) <= len(cur) {
		s += fmt.Sprintf(" (%s holds %s there now)", t.wins[k], hexString(cur[off:off+len(f.Bytes)]))
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
// step i: since when, what was written then, whether it synchronised
// since and whether the write was coherent with instruction fetch when it
// did, and whether an IPI was sent.
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
	synced := -1 // the CPU's last context synchronisation before step i
	for j := since + 1; j < i; j++ {
		if t.syncs(j, cpu) {
			synced = j
		}
	}
	// The first step after from (before step i) at which window k has
	// no write pending coherence, or -1.
	coherent := func(from int) int {
		for j := from + 1; j < i; j++ {
			if t.pending[j][k] == 0 {
				return j
			}
		}
		return -1
	}
	var s string
	ipiFrom := since
	switch {
	case synced >= 0:
		w := t.pendingFrom(synced, k)
		s = fmt.Sprintf("%s still had the old bytes of %s: it %s at step %d, but the write at step %d%s was not yet coherent with instruction fetch then, so that synchronisation could not drop them",
			actor, t.wins[k], t.syncWords(synced, cpu), synced+1, w+1, t.stepRef(w))
		if c := coherent(synced); c >= 0 {
			s += fmt.Sprintf(". The cache maintenance came only after it, at step %d%s; %s has not context-synchronised since", c+1, t.stepRef(c), actor)
			ipiFrom = c
		} else {
			s += ", and no cache maintenance made it coherent after that."
			return s + t.alsoWritten(since, i, k)
		}
	case t.pending[since][k] > 0 && coherent(since) < 0:
		s = fmt.Sprintf("%s still had the old bytes of %s because the write at step %d was never made coherent with instruction fetch (no cache maintenance): no context synchronisation can drop the old bytes until then%s.",
			actor, t.wins[k], since+1, t.stepRef(since))
		return s + t.alsoWritten(since, i, k)
	default:
		s = fmt.Sprintf("%s still had the old bytes of %s because it had not taken %s since step %d%s", actor, t.wins[k], words.Sync, since+1, t.stepRef(since))
	}
	var sent []string
	for j := ipiFrom + 1; j < i; j++ {
		if t.has(j, model.TrIPISend) {
			sent = append(sent, fmt.Sprint(j+1))
		}
	}
	if len(sent) == 0 {
		s += fmt.Sprintf(", and no %s was sent after that.", words.IPI)
	} else {
		s += fmt.Sprintf("; the %s sent at step %s had not reached it yet.", words.IPI, andList(sent))
	}
	return s + t.alsoWritten(since, i, k)
}

// alsoWritten lists the later writes to window k after step since, up to
// step i.
func (t *trace) alsoWritten(since, i, k int) string {
	var writes []string
	for j := since + 1; j <= i; j++ {
		if slices.Contains(t.changed[j], k) {
			writes = append(writes, fmt.Sprint(j+1))
		}
	}
	if len(writes) == 0 {
		return ""
	}
	return fmt.Sprintf(" Since then %s was also written at step %s.", t.wins[k], andList(writes))
}

// stepRef is " (ACTOR: FIRST LINE)" of step j, for a write or cache
// maintenance it refers to.
func (t *trace) stepRef(j int) string {
	if !t.has(j, model.TrWrite) && !t.has(j, model.TrCache) {
		return ""
	}
	if l := t.firstLine(j); l != "" {
		return fmt.Sprintf(" (%s: %s)", t.steps[j].Actor, l)
	}
	return ""
}

// syncWords says how cpu context-synchronised at step j.
func (t *trace) syncWords(j, cpu int) string {
	evs := t.steps[j].Events
	for n, e := range evs {
		switch {
		case e.Kind == model.TrIPI:
			return "took the " + wordsFor(t.c.Scenario.Arch).IPI
		case e.Kind == model.TrWrite && e.Mode == model.WriteStopMachine:
			return "was stopped by stop_machine and ran isb"
		case e.Kind == model.TrSync:
			if n+1 < len(evs) && evs[n+1].Kind == model.TrNote {
				return "context-synchronised (" + strings.TrimSpace(evs[n+1].Text) + ")"
			}
			return "context-synchronised"
		}
	}
	return "context-synchronised"
}

// wordsFor returns the architecture's terms for what drops stale
// instructions (arch.Words), or plain ones for an architecture patchcheck
// does not know.
func wordsFor(name string) arch.Words {
	d, err := arches.Describe(name)
	if err != nil {
		return arch.Words{Sync: "a context synchronisation", IPI: "IPI", Taken: "takes the IPI", Section: "on the fetch rules"}
	}
	return d.Words
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
	if f := t.event(last, model.TrFetch); f != nil && len(f.Stale) > 0 {
		if k, off := t.winAt(last, f.Addr); k >= 0 {
			out = append(out, t.whyStale(last, k, a)+" "+t.oldBytes(last, k, off, f))
		}
	} else if j := t.callStale(last); j >= 0 {
		// The call went wrong at an earlier stale fetch.
		f := t.event(j, model.TrFetch)
		if k, off := t.winAt(j, f.Addr); k >= 0 {
			out = append(out, fmt.Sprintf("The call went wrong at step %d: %s fetched %s at %s, %s of which %s old contents. ",
				j+1, a, hexString(f.Bytes), f.Sym, plural(len(f.Stale), "byte "+intList(f.Stale), "bytes "+intList(f.Stale)),
				plural(len(f.Stale), "is", "are"))+t.whyStale(j, k, a)+" "+t.oldBytes(j, k, off, f))
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
			if t.has(j, model.TrTrap) {
				trap = j
				break
			}
			if !t.has(j, model.TrHandler) && j != last {
				break
			}
		}
		if trap >= 0 {
			s := fmt.Sprintf("%s had trapped on an INT3 at step %d", a, trap+1)
			if f := t.event(trap, model.TrFetch); f != nil {
				if k, off := t.winAt(trap, f.Addr); k >= 0 {
					for j := trap; j >= 1 && len(f.Bytes) > 0; j-- {
						cur, prev := t.bytes[j][k], t.bytes[j-1][k]
						if off < len(cur) && off < len(prev) && cur[off] == f.Bytes[0] && prev[off] != f.Bytes[0] {
							s += fmt.Sprintf(" (the INT3 %s wrote into %s at step %d)", t.steps[j].Actor, f.Sym, j+1)
							break
						}
					}
				}
			}
			var meanwhile, own []string
			for j := trap + 1; j < last; j++ {
				first := t.firstLine(j)
				if first == "" {
					continue
				}
				if t.steps[j].Actor == a {
					own = append(own, fmt.Sprintf("(%d) %s", j+1, first))
				} else {
					meanwhile = append(meanwhile, fmt.Sprintf("(%d) %s: %s", j+1, t.steps[j].Actor, first))
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

// callStale returns the last stale fetch of step i's actor (a CPU) in
// its call that step i is part of, or -1.
func (t *trace) callStale(i int) int {
	a := t.steps[i].Actor
	if _, ok := cpuNum(a); !ok {
		return -1
	}
	for j := i; j >= 0; j-- {
		if t.steps[j].Actor != a {
			continue
		}
		if t.staleFetch(j) {
			return j
		}
		if t.has(j, model.TrCall) {
			return -1
		}
	}
	return -1
}

// oldBytes says where the stale bytes of a fetch came from: the last
// step before which the window held them.
func (t *trace) oldBytes(i, k, at int, f *model.TraceEvent) string {
	var parts []string
	for _, b := range f.Stale {
		off := at + b
		if b >= len(f.Bytes) {
			continue
		}
		v := f.Bytes[b]
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
		var lines []string
		for _, e := range t.steps[j].Events {
			lines = append(lines, e.Lines()...)
		}
		for _, n := range lines {
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
