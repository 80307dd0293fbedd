package model_test

import (
	"testing"

	"patchcheck/model"
)

// BenchmarkExplore3CPU explores the 3-CPU, two-update x86 scenario
// exhaustively and reports distinct states per second.
func BenchmarkExplore3CPU(b *testing.B) {
	benchExplore(b, "x86-3cpu-two-updates")
}

// BenchmarkExplore2CPU explores the 2-CPU, one-update x86 scenario.
func BenchmarkExplore2CPU(b *testing.B) {
	benchExplore(b, "x86-update-old-new")
}

// BenchmarkExplore3CPUWorkers2 is BenchmarkExplore3CPU on two workers.
func BenchmarkExplore3CPUWorkers2(b *testing.B) {
	benchExplore(b, "x86-3cpu-two-updates", 2)
}

func benchExplore(b *testing.B, name string, workers ...int) {
	_, m := machine(b, name)
	opt := model.Options{}
	if len(workers) > 0 {
		opt.Workers = workers[0]
	}
	var states int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := model.Explore(m, opt)
		if r.Violation != nil || r.Err != nil {
			b.Fatal(r.Violation, r.Err)
		}
		states += r.States
	}
	b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(float64(states)/float64(b.N), "states/op")
}

// BenchmarkSuccessors measures successor generation from a mid-update state.
func BenchmarkSuccessors(b *testing.B) {
	_, m := machine(b, "x86-3cpu-two-updates")
	s := m.P.Initial()
	for i := 0; i < 20; i++ { // walk into the update
		m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool { s = *n; return false })
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n += m.Successors(&s, func(model.Step, *model.State, *model.Violation) bool { return true })
	}
	b.ReportMetric(float64(n)/float64(b.N), "succ/op")
}

// BenchmarkFingerprint measures the visited set's hash of one state.
func BenchmarkFingerprint(b *testing.B) {
	_, m := machine(b, "x86-3cpu-two-updates")
	s := m.P.Initial()
	var x uint64
	for i := 0; i < b.N; i++ {
		x += model.Fingerprint(&s)
	}
	_ = x
}
