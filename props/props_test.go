package props_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
)

// TestEachPropertyFails shows every property failing on a known-bad
// variant of the built-in catalogue, with the counterexample it prints.
func TestEachPropertyFails(t *testing.T) {
	cases := []struct{ prop, scenario, msg string }{
		{props.NoTorn, "x86-bad-plain-write", "never the instruction there"},
		{props.NoTorn, "x86-bad-no-sync1", "never the instruction there"},
		{props.NoTorn, "x86-bad-no-sync2", "never the instruction there"},
		{props.NoUndefined, "x86-bad-int3-no-emulate", "ud1"},
		{props.OldOrNew, "x86-bad-int3-no-emulate-site", "reached no function"},
		{props.Completion, "x86-bad-tramp-only", "after the update"},
		{props.NoKernelBug, "x86-bad-no-sync3", "int3"},
		{props.NoFreed, "x86-bad-init-until-running", "writes into freed text"},
		{props.AtRest, "x86-bad-early-update-no-tramp", "__SCT__foo holds e9"},
		{props.NoWarn, "x86-boot-update-before-init", "WARN_ON_ONCE(!static_call_initialized)"},
		{props.NoBadDeref, "x86-bad-cve-2024-50002", "walked as key->mods"},
		{props.NoKprobe, "x86-bad-kprobe-no-reserved", "kprobe on static call site s1"},
		{props.TOCAccess, "ppc64-bad-no-shares-toc", "TOC-relative access with r2"},
		{props.TOCAfterCall, "ppc64-rfc", "after the call returns"},
		{props.GlobalEntryR12, "ppc64-bad-ppc32-transform", "at its global entry with r12"},
		{props.CMODX, "arm64-bad-v6-null-to-far", "not both in the CMODX set"},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.prop+"/"+c.scenario, func(t *testing.T) {
			e, ok, err := catalog.Lookup(c.scenario, check.ParseOptions())
			if !ok || err != nil {
				t.Fatalf("no built-in %s: %v", c.scenario, err)
			}
			// Only the property under test is checked, so it alone
			// must find the bug.
			r, err := check.Run(e.Scenario, check.Options{Props: []string{c.prop}})
			if err != nil {
				t.Fatal(err)
			}
			v := r.Violation
			if props.IsWarning(c.prop) {
				v = r.Warning
			}
			if v == nil || v.Property != c.prop || !strings.Contains(v.Msg, c.msg) {
				t.Fatalf("got %v, want %s violated (%q)", v, c.prop, c.msg)
			}
			t.Logf("\n%s", r.Cex.Text(""))
		})
		covered[c.prop] = true
	}
	covered[props.NoDeadlock] = true // TestDeadlock
	for _, n := range props.Names() {
		if !covered[n] {
			t.Errorf("property %s has no failing case", n)
		}
	}
}

// TestKernelProtocolSatisfiesEach: each property alone holds on the
// kernel's protocol (so the failures above are the variants' doing).
func TestKernelProtocolSatisfiesEach(t *testing.T) {
	e, _, _ := catalog.Lookup("x86-update-old-new", check.ParseOptions())
	for _, n := range props.Names() {
		r, err := check.Run(e.Scenario, check.Options{Props: []string{n}})
		if err != nil || r.Violation != nil || r.Bounded {
			t.Errorf("%s: %v %v", n, r.Violation, err)
		}
	}
}

// TestDeadlock: two kernel threads that take two mutexes in opposite
// orders (ABBA) deadlock, and the explorer reports it with the schedule.
func TestDeadlock(t *testing.T) {
	e, _, _ := catalog.Lookup("x86-update-old-new", check.ParseOptions())
	m, err := check.Compile(e.Scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := *m.P
	lock := func(a int) model.Op { return model.Op{Code: model.OpLock, A: a, Fn: "abba"} }
	unlock := func(a int) model.Op { return model.Op{Code: model.OpUnlock, A: a, Fn: "abba"} }
	p.Threads = []model.ThreadProg{
		{Name: "t0", Ops: []model.Op{lock(0), lock(1), unlock(1), unlock(0)}},
		{Name: "t1", Ops: []model.Op{lock(1), lock(0), unlock(0), unlock(1)}},
	}
	p.CPUs = nil
	mm := model.NewMachine(&p, props.All())
	r := model.Explore(mm, model.Options{})
	if r.Violation == nil || r.Violation.Property != props.NoDeadlock || len(r.Schedule) != 2 {
		t.Fatalf("got %v after %d steps, want a deadlock after 2", r.Violation, len(r.Schedule))
	}
	// The kernel's lock order (both threads A then B) cannot deadlock.
	p.Threads[1].Ops = p.Threads[0].Ops
	if r := model.Explore(model.NewMachine(&p, props.All()), model.Options{}); r.Violation != nil {
		t.Fatalf("same lock order: %v", r.Violation)
	}
}

// opaque hides a property's IgnoresRoutine and Kinds, so that the
// machine asks it about every event.
type opaque struct{ model.Property }

// Warning passes the property's model.Warning on.
func (o opaque) Warning() bool {
	w, ok := o.Property.(model.Warning)
	return ok && w.Warning()
}

// TestIgnoresRoutine: asking every property about every event, routine
// ones and ones of kinds it says it does not judge included, finds the
// same first violation after as many states as asking only those it
// judges, on every scenario of the catalogue that expects a violation.
func TestIgnoresRoutine(t *testing.T) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e.Scenario.Expect.Verdict != "violation" {
			continue
		}
		m, err := check.Compile(e.Scenario, nil)
		if err != nil {
			t.Fatal(err)
		}
		a := model.Explore(m, model.Options{})
		for i, p := range m.Props {
			m.Props[i] = opaque{p}
		}
		b := model.Explore(m, model.Options{})
		if a.States != b.States || (a.Violation == nil) != (b.Violation == nil) ||
			a.Violation != nil && (a.Violation.Property != b.Violation.Property || len(a.Schedule) != len(b.Schedule)) {
			t.Errorf("%s: %d states, %v; asking every property: %d states, %v", e.Scenario.Name, a.States, a.Violation, b.States, b.Violation)
		}
	}
}

// TestKinds: a property returns "" on every event of a kind it does not
// judge (model.JudgesKinds), whatever the event's other fields say, so
// that the machine may skip asking it. Every kind of event, with every
// combination of the flags, the result and the property named, and a
// message, is put to every property, on a program of the catalogue.
func TestKinds(t *testing.T) {
	e, ok, err := catalog.Lookup("x86-bad-kprobe-no-reserved", check.ParseOptions())
	if err != nil || !ok {
		t.Fatal("no scenario x86-bad-kprobe-no-reserved", err)
	}
	m, err := check.Compile(e.Scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	init := m.P.Initial()
	base := m.P.Windows[0].Base
	asked := 0
	for _, p := range m.Props {
		j, ok := p.(model.JudgesKinds)
		if !ok {
			t.Fatalf("%s does not say which kinds of events it judges", p.Name())
		}
		for k := model.EvExec; k <= model.EvShared; k++ {
			if j.Kinds()&(1<<k) != 0 {
				continue
			}
			for flags := range 16 {
				for _, result := range []int{-1, 0, 1} {
					for _, prop := range props.Names() {
						ev := model.Event{
							Kind: k, CPU: 0, Thread: 0, Addr: base, Len: 5,
							Torn: flags&1 != 0, Undef: flags&2 != 0, Unmapped: flags&4 != 0, Freed: flags&8 != 0,
							Result: result, Allow: 1, Ever: 3, Msg: "a message", Rest: &init, Prop: prop,
						}
						asked++
						if msg := p.Check(m.P, &ev); msg != "" {
							t.Fatalf("%s judges an event of kind %d, which it says it does not: %q", p.Name(), k, msg)
						}
					}
				}
			}
		}
	}
	if asked == 0 {
		t.Fatal("no event asked")
	}
}
