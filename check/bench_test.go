package check_test

import (
	"testing"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// BenchmarkCompile compiles bench/spin's scenario on 2 CPUs (a property
// test's size) and, for scale, explores it: a small search's time is
// mostly its compile (docs/memory.md).
func BenchmarkCompile(b *testing.B) {
	sc := scenario.New("spin-x86-2cpu").Arch("x86-64").Target("f1", "f2").Key("foo", "f1").
		Site("s1", "foo", scenario.KindCall).CPU("s1").CPU("s1").
		Thread("updater", scenario.Update("foo", "f2")).MustBuild()
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := check.Compile(sc, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("explore", func(b *testing.B) {
		m, err := check.Compile(sc, nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if r := model.Explore(m, model.Options{}); r.States != 3724 {
				b.Fatalf("%d states, want 3,724", r.States)
			}
		}
	})
}
