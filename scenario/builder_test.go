package scenario

import (
	"reflect"
	"strings"
	"testing"
)

func TestBuilderFull(t *testing.T) {
	s, err := New("jcc-race").
		Doc("a conditional  tail call races static_call_update").
		Arch("x86-64").Variant("kernel").Fetch("granule16").
		Target("f1").Target("f2", "f_3.x").
		Key("k", "f1").Key("h", Null).Key("z", Return0).
		Site("s1", "k", KindCall).Site("s2", "k", KindJcc).Site("s3", "h", KindTail).
		CPU("s1", "s2", TrampCall("k")).CPU("s3").CPU().
		Thread("t0", Update("k", "f2"), Update("k", Return0)).
		Thread("t1", Update("h", "f1"), Update("z", Null)).
		Thread("idle").
		Bounds(40, 100000).
		ExpectViolation("no-torn-fetch").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, fullWant) {
		t.Errorf("got\n%#v\nwant\n%#v", s, fullWant)
	}
}

func TestBuilderErrors(t *testing.T) {
	ok := func() *Builder { return New("b").Arch("x86-64").Target("f").Key("k", "f").Site("s", "k", KindCall) }
	for _, tc := range []struct {
		b    *Builder
		want string
	}{
		{New("b").CPU(), "no arch"},
		{New("b").Arch("x86-64"), "no cpu"},
		{ok().Target("f").CPU(), `target "f" defined twice`},
		{ok().Target(Null).CPU(), `target "NULL" defined twice`},
		{ok().Key("k", Null).CPU(), `key "k" defined twice`},
		{ok().Key("k2", "g").CPU(), `unknown initial target "g"`},
		{ok().Site("k", "k", KindCall).CPU(), `site "k" defined twice`},
		{ok().Site("t", "k", "ret").CPU(), `unknown kind "ret"`},
		{ok().CPU("x"), `unknown site "x"`},
		{ok().CPU(TrampCall("x")), `unknown key "x"`},
		{ok().CPU().Thread("t", Update("x", "f")), `unknown key "x"`},
		{ok().CPU().Thread("t", Update("k", "g")), `unknown target "g"`},
		{ok().CPU().Thread("t", Op{Kind: "poke", Key: "k", Target: "f"}), `unknown operation "poke"`},
		{ok().CPU().ExpectViolation(""), "name the property"},
		// Beyond Validate: what Format could not write.
		{New("a b").Arch("x86-64").CPU(), `invalid scenario name "a b"`},
		{New("").Arch("x86-64").CPU(), `invalid scenario name ""`},
		{ok().Arch("x86 64").CPU(), `invalid arch name`},
		{ok().Variant("v#").CPU(), `invalid variant name`},
		{ok().Fetch("-f").CPU(), `invalid fetch name`},
		{ok().Target("f g").CPU(), `invalid target name`},
		{ok().Key("k;", "f").CPU(), `invalid key name`},
		{ok().Site("s=", "k", KindCall).CPU(), `invalid site name`},
		{ok().CPU().Thread("t:"), `invalid thread name`},
		{ok().CPU().Thread("t").Thread("t"), `thread "t" defined twice`},
		{ok().CPU().Bounds(-1, 0), "bound depth=-1 out of range"},
		{ok().CPU().Bounds(0, 1e9+1), "bound states=1000000001 out of range"},
		{ok().CPU().ExpectViolation("a b"), `invalid property name`},
		{ok().CPU().Doc(" x"), "leading or trailing blanks"},
		{ok().CPU().Doc("x\t"), "leading or trailing blanks"},
		{ok().CPU().Doc("x # y"), "'#' would start a comment"},
		{ok().CPU().Doc("two\nlines"), "control character U+000A"},
		{ok().CPU().Doc("bad \xff"), "invalid UTF-8"},
	} {
		s, err := tc.b.Build()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%#v) = %v, want error containing %q", tc.b.s, err, tc.want)
		}
		if s != nil {
			t.Errorf("Build returned a scenario with an error")
		}
	}
}

func TestBuilderFreshResult(t *testing.T) {
	calls := []string{"s"}
	b := New("b").Arch("x86-64").Key("k", Null).Site("s", "k", KindCall).CPU(calls...)
	s1 := b.MustBuild()
	calls[0] = "changed"
	b.CPU("s").Target("f")
	s2 := b.MustBuild()
	s2.CPUs[0].Calls[0] = "mutated"
	if got := s1.CPUs; len(got) != 1 || got[0].Calls[0] != "s" || s1.Targets != nil {
		t.Errorf("first result changed: %#v", s1)
	}
	if s3 := b.MustBuild(); s3.CPUs[0].Calls[0] != "s" || len(s3.CPUs) != 2 {
		t.Errorf("builder shares memory with its results: %#v", s3)
	}
	// Empty lists are nil, so that Parse(Format(s)) equals s.
	s4 := New("e").Arch("a").Target([]string{}...).CPU([]string{}...).Thread("t", []Op{}...).MustBuild()
	if s4.Targets != nil || s4.CPUs[0].Calls != nil || s4.Threads[0].Ops != nil {
		t.Errorf("empty lists not nil: %#v", s4)
	}
}

func TestMustBuildPanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "scenario bad: ") {
			t.Errorf("recover() = %v", r)
		}
	}()
	New("bad").MustBuild()
}
