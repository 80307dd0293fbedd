package kernel_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches"
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
