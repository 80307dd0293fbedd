package scenario

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Format returns s in the canonical file format of docs/scenario-format.md.
//
// For every s that Build would accept (Validate, plus names of the form
// [A-Za-z_][A-Za-z0-9_.-]*, distinct thread names, bounds in 0..1e9, a doc
// line without '#' or control characters, and no empty non-nil slices),
// Parse(Format(s)) returns a Scenario equal to s. Format does not check s;
// for other scenarios the output may not parse.
func Format(s *Scenario) []byte {
	var b bytes.Buffer
	b.WriteString("# patchcheck scenario\n\n")
	fmt.Fprintf(&b, "scenario %s\n", s.Name)
	if s.Doc != "" {
		fmt.Fprintf(&b, "doc %s\n", s.Doc)
	}
	fmt.Fprintf(&b, "arch %s\n", s.Arch)
	if s.Variant != "" {
		fmt.Fprintf(&b, "variant %s\n", s.Variant)
	}
	if s.Fetch != "" {
		fmt.Fprintf(&b, "fetch %s\n", s.Fetch)
	}
	for _, m := range s.Model {
		tag := "END"
		for n := 1; strings.Contains("\n"+m.Text, "\n"+tag+"\n"); n++ {
			tag = fmt.Sprintf("END%d", n)
		}
		dir := "patch"
		if m.Kind == ModelFile {
			dir = "model-file"
		}
		text := m.Text
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		thread := ""
		if m.Thread != "" {
			thread = " thread=" + m.Thread
		}
		fmt.Fprintf(&b, "%s %s%s <<%s\n%s%s\n", dir, m.Name, thread, tag, text, tag)
	}
	if len(s.Targets)+len(s.Keys)+len(s.Sites)+len(s.Callers)+len(s.StaticKeys)+len(s.Jumps) > 0 {
		b.WriteString("\n")
	}
	if len(s.Targets) > 0 {
		fmt.Fprintf(&b, "target %s\n", strings.Join(s.Targets, " "))
	}
	for _, m := range s.Modules {
		fmt.Fprintf(&b, "module %s\n", m)
	}
	for _, pl := range s.Places {
		fmt.Fprintf(&b, "place %s", pl.Target)
		if pl.Module != "" {
			fmt.Fprintf(&b, " module=%s", pl.Module)
		}
		if pl.Range != "" {
			fmt.Fprintf(&b, " range=%s", pl.Range)
		}
		b.WriteString("\n")
	}
	for _, k := range s.Keys {
		fmt.Fprintf(&b, "key %s init=%s", k.Name, k.Init)
		if k.Export != "" {
			fmt.Fprintf(&b, " export=%s", k.Export)
		}
		if k.Module != "" {
			fmt.Fprintf(&b, " module=%s", k.Module)
		}
		b.WriteString("\n")
	}
	for _, st := range s.Sites {
		fmt.Fprintf(&b, "site %s key=%s kind=%s", st.Name, st.Key, st.Kind)
		if st.Section != SectionCore {
			fmt.Fprintf(&b, " section=%s", st.Section)
		}
		if st.Module != "" {
			fmt.Fprintf(&b, " module=%s", st.Module)
		}
		if st.KeyRef != "" {
			fmt.Fprintf(&b, " keyref=%s", st.KeyRef)
		}
		b.WriteString("\n")
	}
	for _, c := range s.Callers {
		fmt.Fprintf(&b, "caller %s key=%s", c.Name, c.Key)
		if c.Module != "" {
			fmt.Fprintf(&b, " module=%s", c.Module)
		}
		b.WriteString("\n")
	}
	for _, k := range s.StaticKeys {
		fmt.Fprintf(&b, "static_key %s", k.Name)
		if k.Init {
			b.WriteString(" init=true")
		}
		b.WriteString("\n")
	}
	for _, j := range s.Jumps {
		fmt.Fprintf(&b, "jump %s key=%s", j.Name, j.Key)
		if j.Likely {
			b.WriteString(" branch=likely")
		}
		if j.Size != 0 {
			fmt.Fprintf(&b, " size=%d", j.Size)
		}
		if j.Section != SectionCore {
			fmt.Fprintf(&b, " section=%s", j.Section)
		}
		if j.Module != "" {
			fmt.Fprintf(&b, " module=%s", j.Module)
		}
		b.WriteString("\n")
	}
	if len(s.Sketch) > 0 {
		b.WriteString("sketch")
		for i, st := range s.Sketch {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" " + st.String())
		}
		b.WriteString("\n")
	}
	if len(s.CPUs)+len(s.Threads) > 0 {
		b.WriteString("\n")
	}
	for _, c := range s.CPUs {
		b.WriteString("cpu")
		for _, call := range c.Calls {
			b.WriteString(" ")
			b.WriteString(call)
		}
		b.WriteString("\n")
	}
	for _, t := range s.Threads {
		fmt.Fprintf(&b, "thread %s:", t.Name)
		for i, op := range t.Ops {
			if i > 0 {
				b.WriteString(";")
			}
			if TakesKey(op.Kind) {
				fmt.Fprintf(&b, " %s %s %s", op.Kind, op.Key, op.Target)
			} else if TakesStaticKey(op.Kind) {
				fmt.Fprintf(&b, " %s %s", op.Kind, op.Key)
			} else if op.Site != "" {
				fmt.Fprintf(&b, " %s %s", op.Kind, op.Site)
			} else if op.Module != "" {
				fmt.Fprintf(&b, " %s %s", op.Kind, op.Module)
				if op.FailAlloc > 0 {
					fmt.Fprintf(&b, " fail_alloc=%d", op.FailAlloc)
				}
			} else {
				fmt.Fprintf(&b, " %s", op.Kind)
			}
		}
		b.WriteString("\n")
	}
	if s.Bounds != (Bounds{}) || s.Expect.Verdict != "" {
		b.WriteString("\n")
	}
	if s.Bounds.Reduce || s.Bounds.Symmetry {
		b.WriteString("explore")
		if s.Bounds.Reduce {
			b.WriteString(" reduce")
		}
		if s.Bounds.Symmetry {
			b.WriteString(" symmetry")
		}
		b.WriteString("\n")
	}
	if s.Bounds.Depth != 0 || s.Bounds.States != 0 {
		b.WriteString("bound")
		if s.Bounds.Depth != 0 {
			fmt.Fprintf(&b, " depth=%d", s.Bounds.Depth)
		}
		if s.Bounds.States != 0 {
			fmt.Fprintf(&b, " states=%d", s.Bounds.States)
		}
		b.WriteString("\n")
	}
	switch s.Expect.Verdict {
	case "":
	case "violation", "warning":
		fmt.Fprintf(&b, "expect %s %s\n", s.Expect.Verdict, s.Expect.Property)
	default:
		fmt.Fprintf(&b, "expect %s\n", s.Expect.Verdict)
	}
	return b.Bytes()
}

// checkWritable reports why Format(s) would not parse back to s, given that
// s.Validate() succeeds; nil if it would (up to nil versus empty slices).
func checkWritable(s *Scenario) error {
	name := func(what, n string) error {
		if !isName(n) {
			return fmt.Errorf("invalid %s name %s", what, quote(n))
		}
		return nil
	}
	if err := name("scenario", s.Name); err != nil {
		return err
	}
	if err := name("arch", s.Arch); err != nil {
		return err
	}
	for i, st := range s.Sketch {
		for _, w := range append([]string{st.Op}, st.Args...) {
			if w == "" || strings.ContainsAny(w, " \t\r\n;#") || !utf8.ValidString(w) {
				return fmt.Errorf("sketch step %d: word %s cannot be written", i+1, quote(w))
			}
		}
	}
	if s.Variant != "" {
		if err := name("variant", s.Variant); err != nil {
			return err
		}
	}
	if s.Fetch != "" {
		if err := name("fetch", s.Fetch); err != nil {
			return err
		}
	}
	if err := checkDoc(s.Doc); err != nil {
		return err
	}
	for _, t := range s.Targets {
		if err := name("target", t); err != nil {
			return err
		}
	}
	for _, k := range s.Keys {
		if err := name("key", k.Name); err != nil {
			return err
		}
	}
	for _, st := range s.Sites {
		if err := name("site", st.Name); err != nil {
			return err
		}
	}
	for _, c := range s.Callers {
		if err := name("caller", c.Name); err != nil {
			return err
		}
	}
	for _, k := range s.StaticKeys {
		if err := name("static_key", k.Name); err != nil {
			return err
		}
	}
	for _, j := range s.Jumps {
		if err := name("jump", j.Name); err != nil {
			return err
		}
	}
	for _, m := range s.Modules {
		if err := name("module", m); err != nil {
			return err
		}
	}
	threads := map[string]bool{}
	for _, t := range s.Threads {
		if err := name("thread", t.Name); err != nil {
			return err
		}
		if threads[t.Name] {
			return fmt.Errorf("thread %q defined twice", t.Name)
		}
		threads[t.Name] = true
	}
	for _, b := range []struct {
		name string
		n    int
	}{{"depth", s.Bounds.Depth}, {"states", s.Bounds.States}} {
		if b.n < 0 || b.n > maxBound {
			return fmt.Errorf("bound %s=%d out of range 0..%d", b.name, b.n, maxBound)
		}
	}
	switch s.Expect.Verdict {
	case "", "safe":
		if s.Expect.Property != "" {
			return fmt.Errorf("expected verdict %q with a property %q", s.Expect.Verdict, s.Expect.Property)
		}
	case "violation", "warning":
		if err := name("property", s.Expect.Property); err != nil {
			return err
		}
	}
	return nil
}

// checkDoc reports why doc cannot be written on a doc line.
func checkDoc(doc string) error {
	if doc != strings.Trim(doc, " \t") {
		return fmt.Errorf("doc %s: leading or trailing blanks", quote(doc))
	}
	for i, r := range doc {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(doc[i:], "\uFFFD"):
			return fmt.Errorf("doc %s: invalid UTF-8 encoding", quote(doc))
		case r < 0x20 && r != '\t', r == 0x7f:
			return fmt.Errorf("doc %s: control character %U", quote(doc), r)
		case r == '#':
			return fmt.Errorf("doc %s: '#' would start a comment", quote(doc))
		}
	}
	return nil
}

// GoString returns s in the scenario file format (Format), after a
// newline, so that the %#v verb (as rapid uses when it logs a drawn
// value) prints a scenario that patchcheck check reads rather than a
// struct dump.
func (s *Scenario) GoString() string {
	if s == nil {
		return "(*scenario.Scenario)(nil)"
	}
	return "\n" + string(Format(s))
}
