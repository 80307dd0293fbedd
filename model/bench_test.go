package model_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
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

// BenchmarkExploreMemory explores the 3-CPU, two-update x86 scenario on
// one worker and two and reports what the explorer keeps per state
// (docs/memory.md): the visited set, the largest frontier, the search
// tree, and the peak heap sampled.
func BenchmarkExploreMemory(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			_, m := machine(b, "x86-3cpu-two-updates")
			var r model.Result
			for i := 0; i < b.N; i++ {
				if r = model.Explore(m, model.Options{Workers: workers}); r.Violation != nil || r.Err != nil {
					b.Fatal(r.Violation, r.Err)
				}
			}
			n := float64(r.States)
			b.ReportMetric(float64(r.States)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
			b.ReportMetric(float64(r.VisitedBytes)/n, "visited-B/state")
			b.ReportMetric(float64(r.FrontierBytes)/n, "frontier-B/state")
			b.ReportMetric(float64(r.TreeBytes)/n, "tree-B/state")
			b.ReportMetric(float64(r.PeakHeap)/n, "heap-B/state")
		})
	}
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

// spinMachine compiles bench/spin's scenario: cpus CPUs each call the
// inline site s1 once while one thread updates foo from f1 to f2.
func spinMachine(b testing.TB, cpus int) *model.Machine {
	sb := scenario.New(fmt.Sprintf("spin-x86-%dcpu", cpus)).Arch("x86-64").Target("f1", "f2").
		Key("foo", "f1").Site("s1", "foo", scenario.KindCall)
	for c := 0; c < cpus; c++ {
		sb.CPU("s1")
	}
	m, err := check.Compile(sb.Thread("updater", scenario.Update("foo", "f2")).MustBuild(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkSpin explores bench/spin's scenario (docs/spin.md) on 3 and 4
// CPUs, with fingerprints and exact storage, on one and two workers.
func BenchmarkSpin(b *testing.B) {
	for _, cpus := range []int{3, 4} {
		for _, exact := range []bool{false, true} {
			for _, workers := range []int{1, 2} {
				name := fmt.Sprintf("cpus=%d/exact=%v/workers=%d", cpus, exact, workers)
				b.Run(name, func(b *testing.B) {
					m := spinMachine(b, cpus)
					var states int64
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						r := model.Explore(m, model.Options{Exact: exact, Workers: workers})
						if r.Violation != nil || r.Err != nil {
							b.Fatal(r.Violation, r.Err)
						}
						states += r.States
					}
					b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
					b.ReportMetric(float64(states)/(cpuTime()-cpu0).Seconds(), "states/cpu-s")
					b.ReportMetric(float64(states)/float64(b.N), "states/op")
				})
			}
		}
	}
}

// BenchmarkPack measures packing a mid-update state of bench/spin's
// 4-CPU scenario and hashing it (Machine.Fingerprint).
func BenchmarkPack(b *testing.B) {
	m := spinMachine(b, 4)
	s := m.P.Initial()
	for i := 0; i < 30; i++ { // walk into the update
		m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool { s = *n; return false })
	}
	var x uint64
	for i := 0; i < b.N; i++ {
		x += m.Fingerprint(&s)
	}
	_ = x
}

// midUpdate is a state of bench/spin's 4-CPU scenario some way into the
// update.
func midUpdate(b *testing.B) (*model.Machine, model.State) {
	m := spinMachine(b, 4)
	s := m.P.Initial()
	for i := 0; i < 30; i++ {
		m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool { s = *n; return false })
	}
	return m, s
}

// BenchmarkPackOnly measures packing alone.
func BenchmarkPackOnly(b *testing.B) {
	m, s := midUpdate(b)
	buf := make([]uint64, 1024)
	var p []uint64
	for i := 0; i < b.N; i++ {
		p = m.PackForTest(&s, buf)
	}
	b.ReportMetric(float64(len(p)), "words")
	b.ReportMetric(float64(m.SpanWordsForTest()), "spanwords")
}

// BenchmarkHashOnly measures the hash of a packed state.
func BenchmarkHashOnly(b *testing.B) {
	m, s := midUpdate(b)
	p := m.PackForTest(&s, nil)
	var x uint64
	for i := 0; i < b.N; i++ {
		x += model.HashForTest(p)
	}
	_ = x
}

// BenchmarkUnpack measures unpacking.
func BenchmarkUnpack(b *testing.B) {
	m, s := midUpdate(b)
	p := m.PackForTest(&s, nil)
	var t model.State
	for i := 0; i < b.N; i++ {
		m.UnpackForTest(p, &t)
	}
	if t != s {
		b.Fatal("unpacked state differs")
	}
}

// cpuTime is the CPU time the process has used (user and system), a
// steadier measure than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
