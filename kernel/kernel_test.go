package kernel_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// build compiles a small x86 scenario changed by edit.
func build(t *testing.T, edit func(b *scenario.Builder)) (*model.Program, error) {
	t.Helper()
	b := scenario.New("k").Arch("x86-64").Target("f1", "f2").Key("foo", "f1").
		Site("s1", "foo", scenario.KindCall).CPU("s1")
	edit(b)
	sc, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	port, _ := arches.Lookup("x86-64")
	return kernel.Build(sc, port)
}

// TestBuildErrors: scenarios the kernel model cannot run are refused with
// a reason.
func TestBuildErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(b *scenario.Builder)
		want string
	}{
		{"unknown variant", func(b *scenario.Builder) { b.Variant("no-such").Thread("u", scenario.Update("foo", "f2")) }, "unknown variant"},
		{"boot without smp_init", func(b *scenario.Builder) { b.Thread("boot", scenario.StaticCallInit()) }, "must run smp_init"},
		{"smp_init outside the boot thread", func(b *scenario.Builder) {
			b.Thread("boot", scenario.SMPInit()).Thread("other", scenario.SMPInit())
		}, "belongs to the first"},
		{"unknown fetch", func(b *scenario.Builder) { b.Fetch("granule16") }, "unknown x86-64 fetch"},
		{"static_call_init after smp_init", func(b *scenario.Builder) {
			b.Thread("boot", scenario.SMPInit(), scenario.StaticCallInit())
		}, "do_pre_smp_initcalls() comes before smp_init()"},
		{"rest_init after smp_init", func(b *scenario.Builder) {
			b.Thread("boot", scenario.SMPInit(), scenario.RestInit())
		}, "rest_init runs once, before smp_init"},
		{"static_call_init outside the boot thread", func(b *scenario.Builder) {
			b.Thread("boot", scenario.SMPInit()).Thread("other", scenario.StaticCallInit())
		}, "belongs to the first"},
	}
	for _, c := range cases {
		if _, err := build(t, c.edit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestInitialState: where a scenario starts follows from its operations.
func TestInitialState(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(b *scenario.Builder)
		system   uint8
		initDone uint8
	}{
		{"running", func(b *scenario.Builder) { b.Thread("u", scenario.Update("foo", "f2")) }, model.SystemRunning, 1},
		{"late boot", func(b *scenario.Builder) { b.Thread("k", scenario.FreeInitmem()) }, model.SystemScheduling, 1},
		{"early boot", func(b *scenario.Builder) {
			b.Thread("boot", scenario.StaticCallInit(), scenario.SMPInit())
		}, model.SystemBooting, 0},
	}
	for _, c := range cases {
		p, err := build(t, c.edit)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s := p.Initial()
		if s.K.System != c.system || s.K.Init != c.initDone {
			t.Errorf("%s: system_state %d, static_call_initialized %d; want %d, %d", c.name, s.K.System, s.K.Init, c.system, c.initDone)
		}
		// The caller CPUs are offline until smp_init in a booting scenario.
		if online := s.K.Online != 0; online != (c.system != model.SystemBooting) {
			t.Errorf("%s: CPUs online %v in system_state %d", c.name, online, c.system)
		}
	}
}

// TestBuildTakesOverTheLayoutsSource: Build compiles the model files the
// port's layout parsed (Layout.Source) rather than parse them again, and
// the programs are those of parsing them again, for every catalogue
// scenario; a source read with cflags (powerpc64's MODULE) or for
// another scenario is not taken over.
func TestBuildTakesOverTheLayoutsSource(t *testing.T) {
	entries, err := catalog.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		sc, err := check.Normalize(e.Scenario)
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		port, err := arches.Lookup(sc.Arch)
		if err != nil {
			t.Fatal(err)
		}
		got, err1 := kernel.Build(sc, port)
		want, err2 := kernel.BuildParsingAgain(sc, port)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("%s: errors %v and %v", e.File, err1, err2)
		}
		if err1 == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the program compiled from the layout's source is not the one from the files parsed again", e.File)
		}
	}
	sc := scenario.New("k").Arch("ppc64").Target("f1", "f2").Key("foo", "f1").
		Site("s1", "foo", scenario.KindCall).CPU("s1").MustBuild()
	port, _ := arches.Lookup("ppc64")
	other := *sc
	for _, c := range []struct {
		name   string
		sc     *scenario.Scenario
		cflags []string
		want   bool
	}{
		{"its own, plain", sc, nil, true},
		{"its own, with -DMODULE", sc, []string{"MODULE"}, false},
		{"another scenario's", &other, nil, false},
	} {
		ts, err := kernel.TrampolineSource(c.sc, port, c.cflags...)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := kernel.TakesOver(sc, port, ts); err != nil || got != c.want {
			t.Errorf("%s: taken over %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}
