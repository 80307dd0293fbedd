// Package budget ends a long run before its time or memory runs out: a
// Budget watches a context (SIGINT, SIGTERM), a deadline and the memory
// the Go runtime has mapped, and explorers poll it (Stop) so that they
// stop with their figures and a bounded verdict instead of being killed.
package budget

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Reasons a run stops early.
const (
	Interrupted = "interrupted" // SIGINT or SIGTERM
	Timeout     = "timeout"     // -timeout elapsed
	Memory      = "memory"      // -max-memory would be exceeded
)

// pollEvery is how often the watcher samples the memory in use.
const pollEvery = 20 * time.Millisecond

// Budget is a run's time and memory bound.
type Budget struct {
	limit uint64 // bytes; 0: none
	used  atomic.Uint64
	// asLimit is RLIMIT_AS (0: none), watched against the process's
	// virtual size vm whatever the limit: the Go runtime reserves
	// address space well beyond the memory it uses, and dies when a
	// reservation fails.
	asLimit uint64
	vm      atomic.Uint64
	reason  atomic.Pointer[string]
	done    chan struct{}
	oldLim  int64
}

// Start watches ctx, a timeout (0: none) and a memory limit in bytes (0:
// none) until Close. The Go runtime's soft memory limit is set to the
// limit as well, so that the collector works harder as the run nears it.
func Start(ctx context.Context, timeout time.Duration, limit uint64) *Budget {
	b := &Budget{limit: limit, done: make(chan struct{}), oldLim: -1, asLimit: rlimit(syscall.RLIMIT_AS)}
	b.vm.Store(vmSize())
	if limit > 0 {
		b.oldLim = debug.SetMemoryLimit(int64(min(limit, math.MaxInt64)))
	}
	b.used.Store(InUse())
	var deadline <-chan time.Time
	var timer *time.Timer
	if timeout > 0 {
		timer = time.NewTimer(timeout)
		deadline = timer.C
	}
	go func() {
		tick := time.NewTicker(pollEvery)
		defer tick.Stop()
		if timer != nil {
			defer timer.Stop()
		}
		for {
			select {
			case <-b.done:
				return
			case <-ctx.Done():
				b.set(Interrupted)
			case <-deadline:
				b.set(Timeout)
				deadline = nil
			case <-tick.C:
				b.used.Store(InUse())
				if b.asLimit > 0 {
					b.vm.Store(vmSize())
				}
				if !b.Fits(0) {
					b.set(Memory)
				}
			}
		}
	}()
	return b
}

func (b *Budget) set(reason string) { b.reason.CompareAndSwap(nil, &reason) }

// Stop returns why the run must stop ("" to go on). grow is memory the
// caller is about to allocate at once (such as a visited set's next
// table): if it would not fit, Stop says Memory.
func (b *Budget) Stop(grow uint64) string {
	if b == nil {
		return ""
	}
	if grow > 0 && !b.Fits(grow) {
		b.set(Memory)
	}
	if r := b.reason.Load(); r != nil {
		return *r
	}
	return ""
}

// Low reports whether memory runs low: more than three quarters of the
// limit in use. Explorers then move what they can to disk.
func (b *Budget) Low() bool {
	if b == nil || b.limit == 0 {
		return false
	}
	return b.used.Load() > b.limit/4*3
}

// Fits reports whether grow more bytes stay under the limits, with a
// sixteenth of each kept free for what is allocated between two samples
// (and, for the address space, room for the reservations that come with
// a large allocation).
func (b *Budget) Fits(grow uint64) bool {
	if b.limit > 0 && b.used.Load()+grow > b.limit-b.limit/16 {
		return false
	}
	return b.asLimit == 0 || b.vm.Load()+2*grow+asSlack <= b.asLimit
}

// asSlack is the address space kept free under RLIMIT_AS: the Go runtime
// reserves its heap in arenas of 64 MiB.
const asSlack = 128 << 20

// Limits describes the memory limits watched.
func (b *Budget) Limits() string {
	var l []string
	if b.limit > 0 {
		l = append(l, "-max-memory "+Size(b.limit))
	}
	if b.asLimit > 0 {
		l = append(l, "RLIMIT_AS (ulimit -v) "+Size(b.asLimit))
	}
	return strings.Join(l, ", ")
}

// Close stops watching and restores the runtime's memory limit.
func (b *Budget) Close() {
	if b == nil {
		return
	}
	close(b.done)
	if b.oldLim >= 0 {
		debug.SetMemoryLimit(b.oldLim)
	}
}

// InUse returns the memory the Go runtime has mapped and not returned to
// the system, in bytes.
func InUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// ParseSize parses a memory size: a number of bytes with an optional
// suffix K, M, G or T (powers of 1024, "iB" or "B" may follow), "0" or
// "off" for no limit, or "auto" (see Auto).
func ParseSize(s string) (uint64, error) {
	switch strings.ToLower(s) {
	case "auto":
		return Auto(), nil
	case "off", "0":
		return 0, nil
	}
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(s), "B"), "I")
	mul := uint64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mul, t = 1<<(10*(i+1)), t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*float64(mul) >= 1<<63 {
		return 0, fmt.Errorf("%q: want a size such as 512M, 8G or 8GiB (0 or off: no limit; auto: %s)", s, AutoDoc)
	}
	return uint64(v * float64(mul)), nil
}

// AutoDoc says what Auto computes.
const AutoDoc = "90% of the least of GOMEMLIMIT, the cgroup's memory.max, RLIMIT_DATA and the memory available at start; RLIMIT_AS is watched always"

// Auto returns the default memory limit: AutoDoc.
func Auto() uint64 {
	least := uint64(math.MaxUint64)
	take := func(v uint64) {
		if v > 0 {
			least = min(least, v)
		}
	}
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		take(uint64(l))
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			take(v)
		}
	}
	take(rlimit(syscall.RLIMIT_DATA))
	take(memAvailable())
	if least == math.MaxUint64 {
		return 0
	}
	return least - least/10
}

// rlimit returns the soft limit res, 0 if there is none.
func rlimit(res int) uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(res, &r) != nil || r.Cur == math.MaxUint64 {
		return 0
	}
	return r.Cur
}

// vmSize returns the virtual size of the process in bytes, 0 if unknown.
func vmSize() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[0], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// memAvailable returns MemAvailable of /proc/meminfo in bytes, 0 if
// unknown.
func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v << 10
			}
		}
	}
	return 0
}

// Size renders n bytes for people: "512 MiB", "8.0 GiB".
func Size(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
