package gen

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/scenario"
)

// TestFromBytes: any bytes, of any length, choose a valid scenario within
// gen's sizes, the same each time; no bytes choose the smallest one, the
// one rapid shrinks to.
func TestFromBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arch := rapid.SampledFrom([]string{"x86-64", "arm64"}).Draw(t, "arch")
		data := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "data")
		a, err := FromBytes(arch, data, AnyVariant(), AnyFetch())
		if err != nil {
			t.Fatalf("%v", err)
		}
		b, _ := FromBytes(arch, data, AnyVariant(), AnyFetch())
		if string(scenario.Format(a)) != string(scenario.Format(b)) {
			t.Fatalf("not deterministic")
		}
		if len(a.CPUs) > MaxCPUs || len(a.Keys) > MaxKeys || len(a.Sites) > MaxSites {
			t.Fatalf("out of range:\n%s", scenario.Format(a))
		}
	})
	sc, err := FromBytes("x86-64", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Targets) != MinTargets || len(sc.Keys) != 1 || len(sc.Sites) != 1 || len(sc.CPUs) != 1 ||
		len(sc.Threads) != 1 || len(sc.Threads[0].Ops) != 1 || sc.Keys[0].Init != "f1" || sc.Sites[0].Kind != scenario.KindCall {
		t.Errorf("FromBytes(nil) is not the smallest scenario:\n%s", scenario.Format(sc))
	}
	if _, err := FromBytes("mips", nil); err == nil {
		t.Error("mips: no error")
	}
}
