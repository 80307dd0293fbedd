package model

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// Search strategies.
const (
	BFS    = "bfs"    // breadth-first: the first violation found has a shortest schedule
	DFS    = "dfs"    // depth-first: less memory for deep state spaces
	Random = "random" // seeded random walks: for state spaces too big to exhaust
)

// Options control an exploration.
type Options struct {
	Search    string // BFS (default), DFS or Random
	MaxDepth  int    // longest schedule explored; 0: no bound
	MaxStates int    // most distinct states stored; 0: no bound
	Seed      uint64 // Random: the seed
	Walks     int    // Random: number of walks (default 1000)
	// Exact keeps whole states in the visited set instead of 64-bit
	// fingerprints, which rules out hash collisions at a cost in memory.
	Exact bool
	// Collapse, with Exact, keeps each state as the numbers of its
	// groups' contents, each contents stored once (SPIN's COLLAPSE,
	// collapse.go): lossless, in about a quarter of Exact's memory, and
	// slower.
	Collapse bool
	// Reduce turns on partial-order reduction: steps of a CPU that touch
	// only its own registers, in text that never changes, are not
	// interleaved with other actors. Verdicts are the same; a
	// counterexample is shortest among the reduced schedules.
	Reduce bool
	// MaxPreemptions > 0 bounds the preemptions of a schedule: steps by
	// another actor while the last one could still move. The result is
	// then bounded (never "safe"); breadth-first and depth-first only.
	MaxPreemptions int
	// Symmetry explores one state of each set that differ only by a
	// permutation of CPUs running the same calls. Verdicts are the same;
	// counterexamples are given in the machine's own CPU numbering.
	Symmetry bool
	// Workers > 1 generates the successors of each breadth-first level on
	// that many goroutines. States, verdicts and counterexamples are the
	// same as with one worker. While the machine has no CPU free, the
	// search runs as on one worker (its helpers sit levels out).
	Workers int
	// Progress, when set, is called about every Every with the figures so far.
	Progress func(Stats)
	Every    time.Duration
	// Stop, when set, is asked about every 256 expanded states whether
	// to stop, and before the visited set grows, with the bytes its next
	// table takes (grow, 0 otherwise). A non-empty answer (the reason,
	// such as "timeout") ends the search: the result is then Bounded,
	// with Stopped set to the reason.
	Stop func(grow uint64) string
	// LowMemory, when set, is asked whenever the breadth-first frontier
	// of one worker starts a block (64 KiB) whether memory runs low; if
	// so, the frontier's blocks that are neither being read nor written
	// go to a temporary file until their turn comes. The search is the
	// same either way.
	LowMemory func() bool
	// helperDelay, helperClaimDelay and helperEarlyDelay (tests only:
	// export_test.go) make the helpers of a parallel search sleep this
	// long before each state, as they claim a chunk, and as they claim a
	// chunk before its level starts (early), so that the main worker
	// takes their chunks over and leaves their levels with them still in.
	// With helperEarlyStall, the sleep of an early chunk starts when the
	// main worker has ended the chunk's level: its level may start long
	// after the chunk is claimed (on a slow machine, under -race), after
	// a sleep of fixed length has ended.
	helperDelay, helperClaimDelay, helperEarlyDelay time.Duration
	helperEarlyStall                                bool
	// helpLevels (tests only), when set, says which levels of a parallel
	// search the helpers join, in place of helpShare.
	helpLevels func(depth int) bool
	// poison (tests only) has a parallel search overwrite the segment
	// blocks and spans it reuses, so that the race detector, or a
	// helper's decoding, sees a helper read them after the main worker
	// gave them up.
	poison bool
}

// Stats are the figures of an exploration.
type Stats struct {
	States      int64         // distinct states
	Transitions int64         // transitions generated
	MaxDepth    int           // longest schedule reached
	Queue       int           // states waiting to be expanded
	Elapsed     time.Duration // wall time
	PeakHeap    uint64        // highest heap in use sampled, bytes
	// Bounded is set when MaxDepth or MaxStates cut the search short, or
	// it was stopped: the result then covers only the explored part of
	// the state space.
	Bounded bool
	// Stopped is the reason Options.Stop gave to end the search, "" if
	// it was not stopped.
	Stopped string
	// Omission is the probability that a fingerprint collision made the
	// search skip a state (0 in Exact mode): d(n-d)/2^64 for d distinct
	// states and n generated transitions.
	Omission float64
	// The memory of the explorer's three parts, in bytes: the visited
	// set (its tables at the end), the largest frontier (the queue or
	// stack of states waiting, with a parallel search's candidates), and
	// the search tree (how each state was reached, for counterexamples).
	VisitedBytes, FrontierBytes, TreeBytes uint64
}

// StatesPerSecond returns distinct states explored per second.
func (s Stats) StatesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.States) / s.Elapsed.Seconds()
}

// Result is the outcome of an exploration.
type Result struct {
	Stats
	// Violation is the first property violation found, nil if none.
	Violation *Violation
	// Schedule leads from the initial state to the violation.
	Schedule []Step
	// Warning is the first warning (a kernel WARN) met on the way, with
	// its schedule; the search went on past it.
	Warning         *Violation
	WarningSchedule []Step
	// Err is set when the model's own bounds were exceeded.
	Err error
	// takenOver is how many chunks the main worker of a parallel search
	// took over from a helper (tests only).
	takenOver int
	// early is how many chunks the main worker of a parallel search found
	// expanded by a helper before their level started (helpLevel; tests
	// only).
	early int
	// lagged is how many levels of a parallel search the main worker
	// left with a helper still in it (parallelBFS's lag).
	lagged int
	// lagHeld is how many of them still had it as the next level started.
	lagHeld int
	// satOut is how many levels of a parallel search the helpers sat out
	// (helpShare; tests only).
	satOut int
}

// Fingerprint returns the 64-bit fingerprint of the whole of s. The
// explorer uses Machine.Fingerprint, which skips the parts a program never
// uses.
func Fingerprint(s *State) uint64 { return xxh3.Hash(s.bytes()) }

// visited is the set of states seen, given packed (pack.go) with their
// fingerprints: add reports whether p is new.
type visited interface {
	add(p []uint64, fp uint64) bool
	has(p []uint64, fp uint64) bool
	size() int
	prefetch(fp uint64) // a hint: add or has of fp comes soon
	// growBytes returns the bytes of the table that k more adds could
	// make the set allocate, 0 if they fit in the one it has.
	growBytes(k int) uint64
	bytes() uint64 // the memory the set takes
}

// tree records how each state of a depth-first search was first reached.
type tree struct {
	parent []int32
	step   []Step
	depth  []uint16
	err    error // set once a state is past MaxTreeDepth or MaxTreeNodes
}

// Capacities of the search tree: a schedule's length and the number of
// distinct states are stored in 16 and 31 bits.
const (
	MaxTreeDepth = 1<<16 - 1
	MaxTreeNodes = 1<<31 - 1
)

func (t *tree) bytes() uint64 {
	return uint64(4*cap(t.parent) + int(unsafe.Sizeof(Step{}))*cap(t.step) + 2*cap(t.depth))
}

func (t *tree) add(parent int32, st Step, depth int) int32 {
	if t.err == nil && depth > MaxTreeDepth {
		t.err = fmt.Errorf("a schedule longer than %d steps (model limit: the search tree's depth is 16 bits)", MaxTreeDepth)
	}
	if t.err == nil && len(t.parent) >= MaxTreeNodes {
		t.err = fmt.Errorf("more than %d states (model limit: the search tree's node numbers are 31 bits)", MaxTreeNodes)
	}
	t.parent = append(t.parent, parent)
	t.step = append(t.step, st)
	t.depth = append(t.depth, uint16(min(depth, MaxTreeDepth)))
	return int32(len(t.parent) - 1)
}

func (t *tree) path(n int32) []Step {
	var p []Step
	for ; n > 0; n = t.parent[n] {
		p = append(p, t.step[n])
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Explore searches the states of m's program from the initial state and
// stops at the first property violation, a deadlock, or when every
// reachable state within the bounds has been expanded.
func Explore(m *Machine, opt Options) Result {
	m.Reduce = opt.Reduce
	m.sortProps() // m.Props as it is now, even if changed in place
	// A preemption-bounded search writes Sched into the successors
	// (exhaustive): the machine cannot know them from their states.
	m.confine = opt.MaxPreemptions == 0
	defer func() { m.confine = false }()
	if opt.MaxPreemptions > 0 && (opt.Symmetry || opt.Workers > 1 || opt.Search == Random) {
		return Result{Err: errors.New("a preemption bound goes with sequential bfs or dfs, without symmetry")}
	}
	if opt.Symmetry && opt.Search != Random {
		m.Symmetry = true
		defer func() { m.Symmetry = false }()
		r := explore(m, opt)
		var err error
		// The concrete schedule's own violation names the concrete
		// CPUs (a canonical state may have renumbered them).
		concrete := func(sched []Step, v *Violation) ([]Step, *Violation, error) {
			out, cv, err := m.Concrete(sched)
			if err == nil && (cv == nil || cv.Property != v.Property) {
				err = fmt.Errorf("patchcheck: the concrete schedule does not reproduce %s", v.Property)
			}
			return out, cv, err
		}
		if r.Violation != nil {
			r.Schedule, r.Violation, err = concrete(r.Schedule, r.Violation)
		}
		if r.Warning != nil && err == nil {
			r.WarningSchedule, r.Warning, err = concrete(r.WarningSchedule, r.Warning)
		}
		if err != nil && r.Err == nil {
			r.Err = err
		}
		return r
	}
	return explore(m, opt)
}

func explore(m *Machine, opt Options) Result {
	switch opt.Search {
	case "", BFS:
		if opt.Workers > 1 {
			return parallelBFS(m, opt)
		}
		return exhaustive(m, opt)
	case DFS:
		return exhaustive(m, opt)
	case Random:
		return randomWalks(m, opt)
	}
	return Result{Err: errors.New("unknown search " + opt.Search + " (want bfs, dfs or random)")}
}

type run struct {
	m       *Machine
	opt     Options
	start   time.Time
	lastOut time.Time
	res     Result
	polls   int
	final   func() // called by done
}

// stop asks Options.Stop, every 256th call or when the visited set is
// about to grow by grow bytes, whether to stop, and records the reason.
func (r *run) stop(grow uint64) bool {
	if r.polls++; r.polls&255 != 0 && grow == 0 {
		return false
	}
	return r.stopNow(grow)
}

// stopNow asks Options.Stop whether to stop and records the reason.
func (r *run) stopNow(grow uint64) bool {
	if r.opt.Stop == nil {
		return false
	}
	if why := r.opt.Stop(grow); why != "" {
		r.res.Stopped, r.res.Bounded = why, true
		return true
	}
	return false
}

func newRun(m *Machine, opt Options) *run {
	if opt.Every == 0 {
		opt.Every = 2 * time.Second
	}
	now := time.Now()
	return &run{m: m, opt: opt, start: now, lastOut: now}
}

func (r *run) tick(states, queue int) {
	r.res.States, r.res.Queue = int64(states), queue
	if r.opt.Progress == nil || r.res.Transitions&1023 != 0 {
		return
	}
	if now := time.Now(); now.Sub(r.lastOut) >= r.opt.Every {
		r.lastOut = now
		r.sample()
		r.opt.Progress(r.res.Stats)
	}
}

func (r *run) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.res.PeakHeap = max(r.res.PeakHeap, ms.HeapInuse)
	r.res.Elapsed = time.Since(r.start)
}

func (r *run) done(states int) Result {
	if r.final != nil {
		r.final()
	}
	r.res.States = int64(states)
	r.sample()
	if !r.opt.Exact {
		d, n := float64(r.res.States), float64(r.res.Transitions)
		r.res.Omission = d * max(n-d, 0) / 18446744073709551616.0
	}
	if r.res.Err == nil {
		r.res.Err = r.m.Err()
	}
	return r.res
}

// succ is a successor waiting to be looked up in the visited set: its
// packed state is n words at off in the batch.
type succ struct {
	fp  uint64
	off int
	n   int
	st  Step
	tup int // with col: the tuple's offset in tups
}

// succBatch holds a state's successors, packed, until they are looked
// up in the visited set: the one-worker search and the parallel search's
// main worker look them up once the state's successors are all
// generated, so that the cache misses of the lookups overlap with the
// generation of the next successors.
type succBatch struct {
	words []uint64
	succs []succ
	// late: add does not prefetch; the user prefetches the batch's
	// slots itself, when it has filtered the batch (filter)
	late bool
	// exact: the fingerprints are of the packed states (hash), for exact
	// storage; else of the states (packer.fingerprint)
	exact bool
	// col: the visited set is collapsed, and add makes each successor's
	// tuple (in tups, hashed by hashTuple) from the state: after a
	// confined step, from the numbers of the state expanded (fromNums,
	// when fromOK) but for the CPU's groups.
	col      *collapseSet
	tups     []uint64
	fromNums [maxGroups]uint32
	fromOK   bool
}

func (b *succBatch) reset() {
	b.words, b.succs, b.tups, b.fromOK = b.words[:0], b.succs[:0], b.tups[:0], false
}

// tuple returns c's tuple (col).
func (b *succBatch) tuple(c succ) []uint64 { return b.tups[c.tup : c.tup+tupleLen(b.tups[c.tup:])] }

// addTo adds c to seen (by its tuple with col, else its packed form) and
// reports whether it is new.
func (b *succBatch) addTo(seen visited, c succ) bool {
	if b.col != nil {
		return b.col.addTuple(b.tuple(c), c.fp)
	}
	return seen.add(b.packed(c), c.fp)
}

// collapse makes next's tuple (col), appends it to tups and returns its
// offset and hash.
func (b *succBatch) collapse(m *Machine, next *State) (int, uint64) {
	var nums [maxGroups]uint32
	if c := m.conf; c >= 0 && next == &m.next {
		if !b.fromOK {
			b.col.numbers(m.from, 0, len(b.col.comps), &b.fromNums)
			b.fromOK = true
		}
		nums = b.fromNums
		k := m.cpuGroups[c]
		b.col.numbers(next, k[0], k[1], &nums)
		if m.verify {
			var all [maxGroups]uint32
			if b.col.numbers(next, 0, len(b.col.comps), &all); all != nums {
				panic(fmt.Sprintf("patchcheck: the tuple of a step of cpu%d made from its state's is wrong", c))
			}
		}
	} else {
		b.col.numbers(next, 0, len(b.col.comps), &nums)
	}
	var buf tupleBuf
	t := b.col.encode(&nums, &buf)
	off := len(b.tups)
	b.tups = append(b.tups, t...)
	return off, hashTuple(t)
}

// add fingerprints next and keeps it packed, its visited-set slot
// prefetched, unless recent has its fingerprint (it is in the set: next
// is not packed).
func (b *succBatch) add(m *Machine, seen visited, recent recentSet, next *State, st Step) {
	pk := m.pk
	off := len(b.words)
	b.words = slices.Grow(b.words, pk.bufLen())
	var fp uint64
	if !b.exact {
		fp = m.nextFingerprint(next)
		if recent.has(fp) {
			return
		}
	}
	k := pk.pack(next, b.words[off:off+pk.bufLen()])
	tup := 0
	switch {
	case b.col != nil:
		tup, fp = b.collapse(m, next)
	case b.exact:
		fp = hash(b.words[off : off+k])
	}
	b.words = b.words[:off+k]
	if !b.late {
		seen.prefetch(fp)
	}
	b.succs = append(b.succs, succ{fp: fp, off: off, n: k, st: st, tup: tup})
}

// filter drops the successors whose fingerprints recent has.
func (b *succBatch) filter(recent recentSet) {
	b.succs = slices.DeleteFunc(b.succs, func(c succ) bool { return recent.has(c.fp) })
}

// packed returns c's packed state.
func (b *succBatch) packed(c succ) []uint64 { return b.words[c.off : c.off+c.n] }

// stateFingerprint is the fingerprint of s, packed in p, that the
// visited set keeps: of p with exact storage, of s with fingerprints.
func stateFingerprint(pk *packer, exact bool, s *State, p []uint64) uint64 {
	if exact {
		return hash(p)
	}
	return pk.fingerprint(s)
}

// newVisited returns the visited set opt asks for: fingerprints
// (compactSet), or with Exact the whole packed states (exactSet), or
// with Collapse too their parts' numbers (collapseSet).
func newVisited(pk *packer, opt Options) visited {
	switch {
	case opt.Exact && opt.Collapse:
		return newCollapseSet(pk)
	case opt.Exact:
		return newExactSet(pk.length, hash)
	}
	return newCompactSet()
}

// exhaustive is breadth-first or depth-first search on one goroutine.
// The successors of a state are packed and hashed as they are generated,
// their slots of the visited set prefetched, and then looked up in order
// once the state's successors are all generated: the cache misses of the
// lookups overlap with the generation of the next successors.
func exhaustive(m *Machine, opt Options) Result {
	r := newRun(m, opt)
	pk := m.pk
	seen := newVisited(pk, opt)
	// Breadth-first: the compressed tree and frontier (levels.go);
	// depth-first: the stack holds packed states.
	var t searchTree = &levelTree{}
	var work queue
	switch {
	case opt.Search == DFS:
		t, work = &tree{}, &stack{workList: workList{lifo: true}, pk: pk}
	case opt.Exact && !opt.Collapse:
		work = &arenaQueue{a: &seen.(*exactSet).arena, pk: pk}
	default:
		lq := &levelQueue{frontier: newFrontier(pk), pk: pk}
		lq.low = opt.LowMemory
		work = lq
	}
	defer work.close()
	init := m.initial()
	root := t.add(-1, Step{}, 0)
	p := make([]uint64, pk.bufLen())
	p = p[:pk.pack(&init, p)]
	seen.add(p, stateFingerprint(pk, opt.Exact, &init, p))
	work.push(root, p)
	batch := succBatch{exact: opt.Exact}
	batch.col, _ = seen.(*collapseSet)
	var recent recentSet
	if !opt.Exact {
		recent = make(recentSet, 1<<recentBits)
	}
	r.final = func() { r.res.VisitedBytes, r.res.TreeBytes = seen.bytes(), t.bytes() }
	for work.len() > 0 {
		if r.stop(0) {
			break
		}
		r.res.FrontierBytes = max(r.res.FrontierBytes, work.bytes())
		node, s := work.pop()
		if err := work.error(); err != nil {
			r.res.Err = err
			break
		}
		d := t.depthOf(node)
		r.res.MaxDepth = max(r.res.MaxDepth, d)
		if opt.MaxDepth > 0 && d >= opt.MaxDepth {
			if m.Successors(s, func(Step, *State, *Violation) bool { return false }) > 0 {
				r.res.Bounded = true
			}
			continue
		}
		var found *Violation
		var foundAt Step
		lastEnabled := false
		if opt.MaxPreemptions > 0 && s.Sched.Last != 0 {
			lastEnabled = m.actorSteps(s, int(s.Sched.Last-1), func(*State, *Violation) bool { return false }) == false
		}
		batch.reset()
		n := m.Successors(s, func(st Step, next *State, v *Violation) bool {
			r.res.Transitions++
			if opt.MaxPreemptions > 0 {
				next.Sched.Last, next.Sched.Pre = st.Actor+1, s.Sched.Pre
				if lastEnabled && st.Actor+1 != s.Sched.Last {
					next.Sched.Pre++
					if int(next.Sched.Pre) > opt.MaxPreemptions {
						r.res.Bounded = true
						return true
					}
				}
			}
			if v != nil && v.Warning {
				r.warn(v, t, node, st)
			} else if v != nil {
				found, foundAt = v, st
				return false
			}
			batch.add(m, seen, recent, next, st)
			return true
		})
		if g := seen.growBytes(len(batch.succs)); g > 0 && r.stop(g) {
			r.res.Queue = work.len() + 1 // node was not expanded
			return r.done(seen.size())
		}
		for _, c := range batch.succs {
			if opt.MaxStates > 0 && seen.size() >= opt.MaxStates {
				r.res.Bounded = true
				break
			}
			if batch.addTo(seen, c) {
				work.push(t.add(node, c.st, d+1), batch.packed(c))
			}
			recent.put(c.fp)
		}
		if m.Err() != nil {
			break
		}
		if err := t.error(); err != nil {
			r.res.Err = err
			break
		}
		if found != nil {
			r.res.Violation = found
			r.res.Schedule = append(t.path(node), foundAt)
			r.res.MaxDepth = max(r.res.MaxDepth, d+1)
			break
		}
		if n == 0 {
			if v := endState(m, s); v != nil && v.Warning {
				r.warn(v, t, node)
			} else if v != nil {
				r.res.Violation = v
				r.res.Schedule = t.path(node)
				break
			}
		}
		r.tick(seen.size(), work.len())
	}
	r.res.Queue = work.len()
	return r.done(seen.size())
}

// recentSet is a small direct-mapped table of the fingerprints looked up
// last, all of them in the visited set (fingerprint mode only: with
// exact storage a fingerprint does not identify a state). Most states
// are reached again soon after they are first reached, from a sibling
// or cousin of their first parent (on x86-4cpu-2site-2upd, 43% of the
// successors repeat one of the same level within 256 states of the
// frontier), and the table answers those from the cache, where the
// visited set would miss it.
type recentSet []uint64

const recentBits = 14 // 128 KiB

func (r recentSet) has(fp uint64) bool {
	return r != nil && fp != 0 && r[fp&(1<<recentBits-1)] == fp
}

func (r recentSet) put(fp uint64) {
	if r != nil {
		r[fp&(1<<recentBits-1)] = fp
	}
}

// warn records the first warning and its schedule: the path to node in
// t, then last.
func (r *run) warn(v *Violation, t searchTree, node int32, last ...Step) {
	if r.res.Warning == nil {
		r.res.Warning, r.res.WarningSchedule = v, append(t.path(node), last...)
	}
}

// warnAt records the first warning and its schedule.
func (r *run) warnAt(v *Violation, path []Step) {
	if r.res.Warning == nil {
		r.res.Warning, r.res.WarningSchedule = v, path
	}
}

// queue holds the states waiting to be expanded, with their nodes.
type queue interface {
	push(node int32, p []uint64) // p packed
	pop() (int32, *State)        // the state unpacked, valid until the next pop (nil after an error)
	len() int
	bytes() uint64 // the memory the queue takes
	error() error  // a failure to spill or read back (and the queue is unusable)
	close()
}

// stack is the depth-first search's queue: a LIFO work list.
type stack struct {
	workList
	pk *packer
	s  State // the state popped last
}

func (w *stack) bytes() uint64 {
	n := 0
	for _, b := range w.blocks {
		n += cap(b)
	}
	for _, b := range w.free {
		n += cap(b)
	}
	return 8 * uint64(n)
}

func (w *stack) error() error { return nil }
func (w *stack) close()       {}

func (w *stack) pop() (int32, *State) {
	node, p := w.workList.pop()
	w.pk.unpack(p, &w.s)
	return node, &w.s
}

// levelQueue is the breadth-first search's queue: a frontier, whose
// nodes are numbered in the order they are pushed.
type levelQueue struct {
	*frontier
	pk         *packer
	pushed     int32
	nextPopped int32
}

func (q *levelQueue) push(node int32, p []uint64) {
	if node != q.pushed {
		panic("patchcheck: breadth-first nodes pushed out of order")
	}
	q.pushed++
	q.frontier.pushPacked(p)
}

func (q *levelQueue) pop() (int32, *State) {
	s := q.frontier.popRef()
	q.nextPopped++
	return q.nextPopped - 1, s
}

// arenaQueue is the breadth-first queue of exact storage: the visited
// set's arena itself. Breadth-first search pushes exactly the states the
// set has just added, in the order it added them, so the arena from a
// cursor on holds the frontier in order, and the queue stores nothing of
// its own (the delta-coded frontier would keep a second copy).
type arenaQueue struct {
	a              *arena
	pk             *packer
	block, index   int // the cursor: the next state to pop
	pushed, popped int32
	s              State // the state popped last
}

func (q *arenaQueue) push(node int32, p []uint64) {
	if node != q.pushed {
		panic("patchcheck: breadth-first nodes pushed out of order")
	}
	q.pushed++
}

func (q *arenaQueue) pop() (int32, *State) {
	if q.index == len(q.a.blocks[q.block]) { // arena.add went on to the next block
		q.block, q.index = q.block+1, 0
	}
	p := q.a.blocks[q.block][q.index:]
	n := q.pk.length(p)
	q.pk.unpack(p[:n], &q.s)
	q.index += n
	q.popped++
	return q.popped - 1, &q.s
}

func (q *arenaQueue) len() int      { return int(q.pushed - q.popped) }
func (q *arenaQueue) bytes() uint64 { return 0 }
func (q *arenaQueue) error() error  { return nil }
func (q *arenaQueue) close()        {}

// endState checks a state without successors: a deadlock unless every
// actor finished, and then the properties of the state at rest.
func endState(m *Machine, s *State) *Violation {
	if !m.Quiet(s) {
		return deadlock(m, s)
	}
	return m.AtRest(s)
}

// deadlock describes a state in which nobody can move.
func deadlock(m *Machine, s *State) *Violation {
	ev := Event{Kind: EvDeadlock, CPU: -1, Thread: -1, Msg: "no CPU or thread can move, yet not all have finished"}
	if v := m.check(&ev); v != nil {
		return v
	}
	return &Violation{Property: "deadlock", Msg: ev.Msg, Event: ev}
}

func randomWalks(m *Machine, opt Options) Result {
	r := newRun(m, opt)
	walks := opt.Walks
	if walks <= 0 {
		walks = 1000
	}
	depth := opt.MaxDepth
	if depth <= 0 {
		depth = 10000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	seen := newCompactSet()
	r.final = func() { r.res.VisitedBytes = seen.bytes() }
	type succ struct {
		st Step
		s  State
		v  *Violation
	}
	var succs []succ
	for w := 0; w < walks && r.res.Violation == nil; w++ {
		s := m.initial()
		seen.add(nil, m.Fingerprint(&s))
		var path []Step
		for d := 0; ; d++ {
			if d >= depth {
				r.res.Bounded = true
				break
			}
			succs = succs[:0]
			m.Successors(&s, func(st Step, next *State, v *Violation) bool {
				succs = append(succs, succ{st, *next, v})
				return true
			})
			r.res.Transitions += int64(len(succs))
			if m.Err() != nil {
				return r.done(seen.size())
			}
			if len(succs) == 0 {
				if v := endState(m, &s); v != nil && v.Warning {
					r.warnAt(v, append([]Step(nil), path...))
				} else if v != nil {
					r.res.Violation = v
					r.res.Schedule = path
				}
				break
			}
			c := succs[rng.IntN(len(succs))]
			path = append(path, c.st)
			r.res.MaxDepth = max(r.res.MaxDepth, d+1)
			if c.v != nil && c.v.Warning {
				r.warnAt(c.v, append([]Step(nil), path...))
			} else if c.v != nil {
				r.res.Violation, r.res.Schedule = c.v, path
				break
			}
			s = c.s
			seen.add(nil, m.Fingerprint(&s))
			r.tick(seen.size(), 0)
			if r.stop(seen.growBytes(1)) {
				return r.done(seen.size())
			}
		}
	}
	return r.done(seen.size())
}

// candidate is a successor a helper generated, for the main worker to
// look up. Its state is in the chunkOut that holds it.
type candidate struct {
	fp     uint64
	parent int32
	choice uint16 // the step: Step{Actor: actor, Choice: choice}
	actor  uint8
}

// worker is what one goroutine of parallelBFS works with.
type worker struct {
	m     *Machine
	s     State    // the state being expanded
	local chunkSet // the fingerprints of the chunk's candidates so far
	// Coded levels: cd codes the chunk's candidates into seg, each from
	// the one before (enc[last]) or, at a restart, from base.
	cd     coder
	enc    [2]State
	last   int
	base   *State // the initial state (never written)
	seg    []byte
	starts []int32
	// bufBytes is codeBytes, and arenaBytes the bytes of the worker's
	// arenas in parallelBFS's two sets, for the main worker to read
	// (helpers).
	bufBytes   atomic.Uint64
	arenaBytes [2]atomic.Uint64
}

// codeBytes returns the memory of the worker's coding buffers.
func (wk *worker) codeBytes() uint64 { return uint64(cap(wk.seg)) + 4*uint64(cap(wk.starts)) }

// nextCoded returns where the next state of the chunk being coded is
// put, for codeNext.
func (wk *worker) nextCoded() *State { return &wk.enc[1-wk.last] }

// codeNext codes the state put at nextCoded as state i of the chunk, into
// seg: as its difference from the state before, or from the initial
// state at a restart point (a multiple of codeRestart, noted in starts).
func (wk *worker) codeNext(i int) {
	prev := &wk.enc[wk.last]
	if i%codeRestart == 0 {
		wk.starts = append(wk.starts, int32(len(wk.seg)))
		prev = wk.base
	}
	wk.seg = wk.cd.encode(slices.Grow(wk.seg, wk.cd.maxLen), stateAsWords(&wk.enc[1-wk.last]), stateAsWords(prev))
	wk.last = 1 - wk.last
}

// chunkSet is a small table of one chunk's candidates, by fingerprint:
// most successors that a level reaches twice are reached twice from
// nearby states, within one chunk, and the later ones are dropped there,
// before they are stored (the first, in frontier order, is kept). With
// exact storage, a candidate is dropped only if its packed state is equal
// too. Full, the table takes no more.
type chunkSet struct {
	keys []uint64
	cand []int32 // index of the candidate in the chunk
	bits int     // the table has 2^bits slots
	n    int
}

// reset empties the table for a chunk of cs states: 16 slots a state, up
// to 2^15 (384 KiB; a chunk of 4,096 states makes about 9,000
// candidates), so that a small chunk does not clear a large table.
func (c *chunkSet) reset(cs int) {
	c.bits = min(bits.Len(uint(cs))+4, 15)
	if len(c.keys) < 1<<c.bits {
		c.keys, c.cand = make([]uint64, 1<<c.bits), make([]int32, 1<<c.bits)
	}
	clear(c.keys[:1<<c.bits])
	c.n = 0
}

// find returns the slot of fp's candidate equal to p (equal(index)
// compares), or the empty slot where it goes, or -1 if the table is full.
func (c *chunkSet) find(fp uint64, equal func(int32) bool) (int, bool) {
	if fp == 0 {
		fp = 1
	}
	mask := uint64(1)<<c.bits - 1
	for i := fp >> (64 - c.bits); ; i = (i + 1) & mask {
		switch c.keys[i] {
		case fp:
			if equal == nil || equal(c.cand[i]) {
				return int(i), true
			}
		case 0:
			if 4*c.n >= 3<<c.bits {
				return -1, false
			}
			return int(i), false
		}
	}
}

func (c *chunkSet) put(slot int, fp uint64, cand int32) {
	if fp == 0 {
		fp = 1
	}
	c.keys[slot], c.cand[slot] = fp, cand
	c.n++
}

// ref is a state of a packed breadth-first level: packed at off in the
// exact visited set's arena if src is -1 and the set keeps packed states
// (exactSet), else in the main worker's arena if src is -1, else in the
// arena of the helper that expanded chunk src of the level before (read
// through the chunk's chunkBlocks; -collapse). A level reads the arena
// of src -1 through a copy of its block slices made at the level's start
// (the main worker adds to it meanwhile).
type ref struct {
	off  uint64
	src  int32
	node int32
}

// span is a run of a coded breadth-first level (fingerprint mode): the
// first n candidates kept from candidate i of coded chunk k of the level
// before on (over the chunks that follow if need be); the first is node.
// i is a restart point (a multiple of codeRestart), so a span decodes
// alone.
type span struct {
	k, i, n, node int32
}

// codedChunk is what a chunk of a level leaves for the next, with
// fingerprints: its candidates coded (coder) in seg, each as its
// difference from the one before, or from the initial state where its
// index is a multiple of codeRestart (starts has the offsets of those);
// and which of them the main worker kept (a bit each).
type codedChunk struct {
	seg    []byte
	starts []int32
	keep   []uint64
	n      int // candidates
}

func (c *codedChunk) kept(i int) bool { return c.keep[i/64]&(1<<(i%64)) != 0 }

// bytes returns the memory of the chunk's slices but seg (a segArena's).
func (c *codedChunk) bytes() uint64 {
	return 4*uint64(cap(c.starts)) + 8*uint64(cap(c.keep))
}

// segArena holds the coded chunks one worker made in one level, in
// blocks of segBlock bytes (or one chunk's, if larger) taken from a pool
// that all the workers share, so that a chunk's bytes take no more than
// their length and the blocks of a level two levels back serve the next.
type segArena struct {
	pool   *segPool
	blocks [][]byte
}

// segPool is the blocks of segArenas not in use, and how many bytes all
// blocks take.
type segPool struct {
	mu     sync.Mutex
	free   [][]byte
	held   uint64
	poison bool // Options.poison
}

const segBlock = 1 << 20

// store copies b in and returns the copy.
func (a *segArena) store(b []byte) []byte {
	last := len(a.blocks) - 1
	if last < 0 || len(a.blocks[last])+len(b) > cap(a.blocks[last]) {
		a.blocks = append(a.blocks, a.pool.take(len(b)))
		last++
	}
	blk := a.blocks[last]
	k := len(blk)
	a.blocks[last] = append(blk, b...)
	return a.blocks[last][k : k+len(b) : k+len(b)]
}

// reset gives the arena's blocks back to the pool.
func (a *segArena) reset() {
	a.pool.mu.Lock()
	for _, b := range a.blocks {
		if a.pool.poison {
			all := b[:cap(b)]
			for i := range all {
				all[i] = 0xa5
			}
		}
		if cap(b) == segBlock {
			a.pool.free = append(a.pool.free, b[:0])
		} else {
			a.pool.held -= uint64(cap(b))
		}
	}
	a.pool.mu.Unlock()
	clear(a.blocks)
	a.blocks = a.blocks[:0]
}

// poisonSpans overwrites the whole of sp's array (Options.poison).
func poisonSpans(sp []span) {
	sp = sp[:cap(sp)]
	for i := range sp {
		sp[i] = span{k: -1, i: -1, n: -1, node: -1}
	}
}

// take returns an empty block with room for n bytes.
func (p *segPool) take(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.free); k > 0 && n <= segBlock {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b
	}
	b := make([]byte, 0, max(segBlock, n))
	p.held += uint64(cap(b))
	return b
}

// chunkStates returns how many states of a level of n states make one
// chunk, for nw workers: a level has at least 8 chunks a worker while
// chunks of 256 states or more can make them, so that where the main
// worker and the helpers meet, the chunk one of them takes over or waits
// on is a small part of the level. Larger chunks find more of a level's
// repeated successors in a helper's chunk table (chunkSet), before they
// cost a lookup in the visited set and a place in the level: on
// x86-4cpu-2site-2upd unreduced (before helpers), candidates were 2.26 a
// new state with chunks of 256, and the search took 152 s on two
// workers; 130 s with chunks of 1,024. Chunks of a sixteenth or a
// thirty-second of a level, down to 128 states, measured no different on
// bench/spin.
func chunkStates(n, nw int) int { return min(max(n/(8*nw), 256), maxChunkStates) }

// maxChunkStates is the most states a chunk has (chunkStates).
const maxChunkStates = 4096

// spanStates is how many states the span of a coded level's chunk
// has, cut with cs states a chunk, once kept states of an expected
// level of expect states are cut: a quarter as many in the level's
// middle (a quarter to 0.7 of it), where the main worker, going from
// the front, meets the helpers, going from the back, and waits for the
// chunk a helper is in. Not in levels of chunks of maxChunkStates,
// whose chunks are a small part of them, and not fewer than a quarter:
// each chunk a helper expands holds its candidates (chunkOut) until the
// level's end, with room for as many as the largest chunk it held made.
// With spans of 64 states in the middle of every level, the unreduced
// x86-4cpu-2site-2upd search's largest frontier took 948 MB, and with a
// quarter of the chunk's states 690 MB, against 589-604 MB with none.
func spanStates(cs, kept, expect int) int {
	if cs < maxChunkStates && 4*kept >= expect && 10*kept <= 7*expect {
		return cs / 4
	}
	return cs
}

// behindBytes is the size of visited set from which the parallel
// search's main worker looks a state's successors up a state behind
// their generation (parallelBFS's expandOwn). Below it the set's slots
// are in the cache, and the pass that drops what the state before put
// in recent, and the prefetches, cost more than they save.
const behindBytes = 8 << 20

// preStartStates is the size of level from which, on a machine with a
// CPU free, parallelBFS starts the helpers, before a level has the
// chunks for them to join (levels of 1,024 states or more, with
// minHelpChunks chunks of at least 256): the helper's thread is then
// running, its machine made, by the first level it joins. Started at
// that level, on bench/spin's 3-CPU search the helper made it take
// 1.7-3.2 ms for 982 states, against 0.7-1.1 ms without it (fifteenth
// round); started here, BenchmarkSpin's 3-CPU search on two workers ran
// 1.03-1.10 times as fast with fingerprints and 1.06 times with exact
// storage (sixteenth round, docs/memory.md). A search whose helpers
// never join a level pays for one machine and a goroutine that spins
// for helperSpin and parks.
const preStartStates = 256

// minHelpChunks is the fewest chunks a level has for the helpers to join
// it: a smaller level is over before a helper's goroutine, woken for it,
// has done much (about 77 µs from a level's start to its first chunk,
// idle, on this project's 2-core VM). With 2, `patchcheck bench`'s 2-CPU
// searches (5,726 to 62,942 states) ran on two workers at 0.54-0.95 of
// one worker's rate; with 4, as fast as one worker; bench/spin's 3-CPU
// search was as fast with 4 as with 2 (1.14 and 1.17 of one worker with
// fingerprints, 1.16 and 1.12 exact; 21 runs each), slower with 6.
const minHelpChunks = 4

// codeRestart is how many coded candidates of a chunk follow one coded
// from the initial state: the restart points at which a level is cut
// into spans.
const codeRestart = 64

// chunkOut is what expanding one chunk of a level produced.
type chunkOut struct {
	cands []candidate
	// With exact storage, candidate i is packed at offs[i] in the arena of
	// the helper, whose blocks are blocks from first on: copies of their
	// slices, which the main worker reads while the helper goes on
	// filling the arena (and writing its slices). With fingerprints, they
	// are coded in seg (in the helper's segArena), restarting at the
	// offsets in starts.
	blocks      chunkBlocks
	offs        []uint64
	seg         []byte
	starts      []int32
	transitions int64
	warn        *Violation // the chunk's first warning
	warnNode    int32
	warnStep    Step
	warnEnd     bool // the warning is of warnNode's state at rest, not of a step
	// stop is set at the first violation or deadlock of the chunk, in
	// frontier order; the chunk's work ends there.
	stop   bool
	viol   *Violation
	atNode int32
	step   Step
	end    bool // the violation is of atNode's state (deadlock, at rest)
	err    error
	halt   bool   // the search stopped in the chunk (Options.Stop)
	early  bool   // a helper expanded it before its level started
	held   uint64 // bytes() when last given back to its outPool
}

// outPool is the chunkOuts of a parallel search not in use: a helper
// takes one for each chunk it expands, and the main worker gives them
// back at the level's end, so that the search holds the chunkOuts of
// the chunks the helpers are in or done with, each with its slices'
// room, and no more.
type outPool struct {
	mu   sync.Mutex
	free []*chunkOut
	held uint64 // the bytes of all its chunkOuts, each as last given back
}

func (p *outPool) get() *chunkOut {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		o := p.free[n-1]
		p.free = p.free[:n-1]
		return o
	}
	return new(chunkOut)
}

func (p *outPool) put(o *chunkOut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := o.bytes()
	p.held += b - o.held
	o.held = b
	p.free = append(p.free, o)
}

// bytes returns the memory of the pool's chunkOuts, each as last given
// back.
func (p *outPool) bytes() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held + 8*uint64(cap(p.free))
}

// bytes returns the memory the chunk's slices take.
func (o *chunkOut) bytes() uint64 {
	return uint64(cap(o.cands))*uint64(unsafe.Sizeof(candidate{})) + 24*uint64(cap(o.blocks.b)) + 8*uint64(cap(o.offs)) + 4*uint64(cap(o.starts))
}

// chunkBlocks are copies of the slices of the arena blocks that a
// helper's chunk's candidates are in (exact storage), from block first
// of the arena on.
type chunkBlocks struct {
	b     [][]uint64
	first int
}

// at returns the words from the arena offset off to the end of its
// block.
func (c *chunkBlocks) at(off uint64) []uint64 {
	return c.b[int(off>>arenaBits)-c.first][off&(1<<arenaBits-1):]
}

// snapshot records, once a helper is done with the chunk, the blocks of
// its arena a that the chunk's candidates are in.
func (o *chunkOut) snapshot(a *arena) {
	o.blocks.b = o.blocks.b[:0]
	if len(o.offs) > 0 {
		o.blocks.first = int(o.offs[0] >> arenaBits)
		o.blocks.b = append(o.blocks.b, a.blocks[o.blocks.first:a.cur+1]...)
	}
}

// record counts a step of node's state and notes its violation v, if
// any. It reports whether the step's successor goes on to be looked up.
func (o *chunkOut) record(node int32, st Step, v *Violation) bool {
	o.transitions++
	return o.note(v, node, st, false)
}

// atRest records, once node's n successors are generated, the machine's
// error, and if there are none, notes the violation of node's state at
// rest (a deadlock, say). It reports whether the chunk's work goes on.
func (o *chunkOut) atRest(m *Machine, s *State, node int32, n int) bool {
	if o.err = m.Err(); o.err != nil || o.stop {
		return false
	}
	return n > 0 || o.note(endState(m, s), node, Step{}, true)
}

// note records node's violation v, if any: of the step st, or (end) of
// node's state at rest. A warning is kept if it is the chunk's first; a
// violation ends the chunk's work (stop). It reports whether the work
// goes on.
func (o *chunkOut) note(v *Violation, node int32, st Step, end bool) bool {
	switch {
	case v == nil:
	case v.Warning:
		if o.warn == nil {
			o.warn, o.warnNode, o.warnStep, o.warnEnd = v, node, st, end
		}
	default:
		o.stop, o.viol, o.atNode, o.step, o.end = true, v, node, st, end
		return false
	}
	return true
}

// levelReader yields the states of one chunk of a breadth-first level,
// in order, into the worker's s: with exact storage unpacked from refs,
// with fingerprints decoded from a span.
type levelReader struct {
	coded  bool
	refs   []ref
	own    chunkBlocks   // where the states of refs from -1 are (see ref)
	outs   []chunkBlocks // the helpers' chunks' blocks (-collapse)
	chunks []codedChunk  // the chunks of the level before, whose kept candidates the span's states are
	sp     span
	off    int    // the offset in chunks[sp.k].seg of candidate sp.i
	base   *State // the initial state
}

// states returns how many states the reader yields.
func (r *levelReader) states() int {
	if r.coded {
		return int(r.sp.n)
	}
	return len(r.refs)
}

// next puts the next state in wk.s and returns its node, or false at
// the end.
func (r *levelReader) next(wk *worker) (int32, bool) {
	s := &wk.s
	if !r.coded {
		if len(r.refs) == 0 {
			return 0, false
		}
		f := &r.refs[0]
		r.refs = r.refs[1:]
		if f.src < 0 {
			wk.m.pk.unpack(r.own.at(f.off), s)
		} else {
			wk.m.pk.unpack(r.outs[f.src].at(f.off), s)
		}
		return f.node, true
	}
	for r.sp.n > 0 {
		o := &r.chunks[r.sp.k]
		i := int(r.sp.i)
		if i == o.n {
			r.sp.k, r.sp.i = r.sp.k+1, 0
			continue
		}
		if i%codeRestart == 0 {
			wk.m.copyState(s, r.base)
			r.off = int(o.starts[i/codeRestart])
		}
		r.off = wk.cd.decode(o.seg, r.off, stateAsWords(s))
		r.sp.i++
		if o.kept(i) {
			r.sp.n--
			r.sp.node++
			return r.sp.node - 1, true
		}
	}
	return 0, false
}

// parallelBFS is breadth-first search with helpers. The main worker (the
// calling goroutine, on m) goes through each level's chunks in frontier
// order; helpers (workers 1 to nw-1, each on its own Machine) expand
// chunks from the level's end, taking the last chunk not yet taken. A
// chunk nobody has taken, the main worker expands as the one-worker
// search does (expandOwn): each successor is looked up in the visited set
// as it is generated. A chunk a helper has expanded, the main worker only
// deduplicates: it looks the helper's candidates up, in order. Only the
// main worker touches the visited set and the tree, in frontier order, so
// node numbers, the first violation and its schedule are those of the
// one-worker search.
//
// When the main worker reaches a chunk a helper is still expanding, it
// takes the chunk over and the helper drops it: the main worker never
// waits for a helper within a level. A helper that gets little CPU (the
// machine has other work) costs at most a chunk of its time a level,
// and the search goes on at about the one-worker rate; a helper with a
// core of its own expands most of each level's second half. At the end
// of a level the helpers leave it (they check, between states, whether
// their chunk was taken over). With coded levels the main worker does not
// wait for one whose thread is not running: the level lags (lag), and
// what the helper may still touch is kept from reuse until it is out;
// other levels wait for it.
//
// Levels overlap: the main worker looks the helpers' candidates up
// last, once it has come past its own chunks, and a helper with no chunk
// of the level left would wait for the next level all that time (a
// quarter of the unreduced x86-4cpu-2site-2upd search's time on two
// workers). So the next level is made when a level starts, and the
// next level's first chunks, cut from the states the main worker keeps,
// are published as it comes past them (final then); the helper expands
// them, from the front, until the next level starts (helpLevel's
// early). The main worker then finds them done, and looks their
// candidates up in order as any helper's. Not with -collapse, whose
// helpers' arenas hold the level's states.
//
// With exact storage, a level's states stay packed in the arenas of the
// workers that made them (two sets, swapped each level). With
// fingerprints, a chunk's states are coded, each as its difference from
// the one before (coder, as the one-worker frontier), restarting from
// the initial state every codeRestart states: a helper codes every
// candidate as it makes it, the main worker its own chunks' new states.
// The next level is read from the chunks of this one (three sets, in
// turn: the level before's, the level's, and the next level's chunks
// made early) as spans of about chunkStates states, decoded in order,
// the candidates the deduplication dropped decoded and passed over.
//
// The helpers join a level or sit it out as helpShare says (on a machine
// with no CPU free they cost the main worker more than they help). A
// level they sit out is the main worker's alone, and with fingerprints
// its next level is packed, as with exact storage, while it is likely
// small: so a search whose helpers sit out costs what one worker's does,
// whose small frontier is packed too (rawFrontier).
func parallelBFS(m *Machine, opt Options) Result {
	r := newRun(m, opt)
	nw := opt.Workers
	exact := opt.Exact
	pk := m.pk
	seen := newVisited(pk, opt)
	// With exact storage (but -collapse), a packed level is the states'
	// packed copies in the visited set: refs from -1 into its arena.
	es, _ := seen.(*exactSet)
	// A growth of the fingerprint set is shared with the helpers, who
	// take its parts between two states (taken).
	var growJobs atomic.Pointer[growJob]
	if cs, ok := seen.(*compactSet); ok && nw > 1 {
		cs.jobs = &growJobs
	}
	var recent recentSet
	if !exact {
		recent = make(recentSet, 1<<recentBits)
	}
	// The helpers' machines are made, and their goroutines started, a few
	// levels before they can first join one (startHelpers): a small
	// search's levels have one chunk each, or a busy machine's helpers sit
	// out, and the search then runs without them.
	init := m.initial()
	machines := []*worker{{m: m, cd: newCoder(pk), base: &init}}
	var t levelTree
	r.final = func() { r.res.VisitedBytes, r.res.TreeBytes = seen.bytes(), t.bytes() }
	// A level's states and its candidates: packed in the arenas of the
	// workers (the helpers' read through their chunks), or coded
	// with fingerprints in codedChunks (their bytes in segs). Arenas:
	// two sets, swapped each level, the level's and the level before's;
	// with the exact set (exact storage, not -collapse) the helpers'
	// arenas hold only their candidates, and a set is emptied a level
	// early, for the helpers' early chunks of the level after
	// (helpLevel). Coded: three sets, the level's, the level before's,
	// and the level after's.
	arenas := [2][]arena{make([]arena, nw), make([]arena, nw)}
	for i := range arenas {
		for w := range arenas[i] {
			arenas[i][w].grow = true
		}
	}
	codeds := [3][]codedChunk{}
	pool := segPool{poison: opt.poison}
	segs := [3][]segArena{make([]segArena, nw), make([]segArena, nw), make([]segArena, nw)}
	for i := range segs {
		for w := range segs[i] {
			segs[i][w].pool = &pool
		}
	}
	var outs outPool // what the helpers made of their chunks
	// Where the states of the levels' first chunks made early (helpLevel)
	// are: two sets, the level's and the next level's.
	var earlySrc [2]struct {
		spans  []span
		refs   [][]ref
		blocks []chunkBlocks
	}
	// The levels' first chunks are made early only when the level before
	// is coded or in the exact set (not -collapse: the helpers' arenas
	// hold states of the level being expanded).
	earlyOK := !exact || es != nil
	var pre *helpLevel             // the next level, made early (nil if not)
	var blockSets [2][]chunkBlocks // their blocks: the level's, and the level before's
	root := t.add(-1, Step{}, 0)
	p := make([]uint64, pk.bufLen())
	p = p[:pk.pack(&init, p)]
	seen.add(p, stateFingerprint(pk, exact, &init, p))
	// Level 0 is the level before level 1's: in codeds[2], in the exact
	// set's arena, or in arenas[1] (-collapse).
	// A level's states are coded (spans of codedChunks) or packed (refs
	// into arenas): inCoded says which for the level being expanded,
	// outCoded for the one being made.
	var level, next []ref
	var spans, nextSpans []span
	inCoded := !exact
	if inCoded {
		cd := &machines[0].cd
		seg := cd.encode(make([]byte, 0, cd.maxLen), stateAsWords(&init), stateAsWords(&init))
		codeds[2] = []codedChunk{{seg: seg, starts: []int32{0}, keep: []uint64{1}, n: 1}}
		spans = []span{{n: 1, node: root}}
	} else if es != nil {
		level = []ref{{off: es.last, src: -1, node: root}}
	} else {
		level = []ref{{off: arenas[1][0].add(p), src: -1, node: root}}
	}
	// helperChunk is helper w's work on chunk c of level lv, claimed: it
	// expands the states rd yields, the candidates coded into its segment
	// arena of set sset or packed into its arena of set aset, and reports
	// whether it finished (false: the main worker took the chunk over).
	// early: before lv started. What it makes is in a chunkOut of outs,
	// given back at the level's end.
	helperChunk := func(lv *helpLevel, w, c int, rd levelReader, coded bool, aset, sset int, early bool) bool {
		wk, a, ch := machines[w], &arenas[aset][w], lv.at(c)
		o := outs.get()
		ch.out = o
		taken := func() bool {
			if j := growJobs.Load(); j != nil {
				j.work()
			}
			if opt.helperDelay > 0 {
				// The sleep comes after the check, so that a helper whose
				// chunk was taken meanwhile expands one more state, as one
				// whose thread was not run between two checks does.
				if ch.claim.Load() == chunkMain {
					return true
				}
				time.Sleep(opt.helperDelay)
				ch.prog.Add(1)
				return false
			}
			ch.prog.Add(1)
			return ch.claim.Load() == chunkMain
		}
		expand(wk, coded, exact, &rd, lv.cs, a, o, taken)
		if coded {
			o.seg = segs[sset][w].store(wk.seg)
			o.starts = append(o.starts[:0], wk.starts...)
		}
		wk.bufBytes.Store(wk.codeBytes())
		if !coded {
			wk.arenaBytes[aset].Store(a.bytes())
		}
		o.early = early
		return ch.claim.CompareAndSwap(chunkHelper, chunkDone)
	}
	// recycle gives back the chunkOuts of lv's first nc chunks, its
	// helpers gone.
	recycle := func(lv *helpLevel, nc int) {
		for c := range nc {
			if ch := lv.at(c); ch.out != nil {
				outs.put(ch.out)
				ch.out = nil
			}
		}
	}
	// lags[d%2] is level d if it lags; settle waits for its stragglers,
	// then gives back what it held for them.
	var lags [2]*lag
	settle := func(g *lag) {
		g.lv.wait()
		recycle(g.lv, g.nc)
		for i := range g.limbo {
			g.limbo[i].reset()
		}
	}
	var ownBlocks chunkBlocks          // the level's arena of refs from -1 (its block slices)
	size := 1                          // states of the level
	var pan atomic.Pointer[PanicError] // a helper's panic
	var hs helpers                     // started when they first join a level
	var own chunkOut                   // the main worker's chunk
	// the main worker's successors of a state, and of the state before
	batches := [2]succBatch{{late: true, exact: exact}, {late: true, exact: exact}}
	batches[0].col, _ = seen.(*collapseSet)
	batches[1].col = batches[0].col
	main := machines[0]
	// The main worker's thread's share of a CPU decides which levels the
	// helpers join.
	share := helpShare{levels: opt.helpLevels}
	if share.levels == nil && nw > 1 {
		_, _, share.measured = threadCPU()
		if share.load = openCPULoad(); share.load != nil {
			defer share.load.close()
			share.trusted = share.load.idle()
		}
	}
	// startHelpers makes the helpers' machines and starts their
	// goroutines, once: at the first level of preStartStates on a machine
	// with a CPU free as the search starts, else at the first level the
	// helpers join.
	startHelpers := func() {
		if hs.wake != nil {
			return
		}
		for len(machines) < nw {
			w := NewMachine(m.P, m.Props)
			w.Reduce, w.Symmetry, w.confine, w.verify = m.Reduce, m.Symmetry, m.confine, m.verify
			machines = append(machines, &worker{m: w, cd: newCoder(pk), base: &init})
		}
		hs.start(nw, &pan)
	}
	defer hs.stop()
	prevStates := 0 // the states of the level before
	for d := 0; size > 0; d++ {
		if nw > 1 && size >= preStartStates && (share.trusted || share.levels != nil) {
			startHelpers()
		}
		r.res.MaxDepth = d
		prev, cur := arenas[(d+1)%2], arenas[d%2]
		from := codeds[(d+2)%3]
		// A level's chunks are cut as it is made, with chunkStates of the
		// level before (levels change slowly): csNext is the next level's.
		// A packed level made as it starts is cut with its own.
		csNext := chunkStates(size, nw)
		cs := csNext
		if pre != nil {
			cs = pre.cs
		}
		nc := len(spans)
		if !inCoded {
			nc = (len(level) + cs - 1) / cs
			a := &prev[0]
			if es != nil {
				a = &es.arena
			}
			ownBlocks.b = append(ownBlocks.b[:0], a.blocks...)
		}
		// A helper calls reader as it starts a chunk: with a lag, after
		// the main worker has left the level, so it reads this level's
		// copies of what the main worker changes for the next.
		lvCoded, lvSpans, lvLevel, lvOwn, lvOuts := inCoded, spans, level, ownBlocks, blockSets[(d+1)%2]
		reader := func(c int) levelReader {
			if lvCoded {
				return levelReader{coded: true, chunks: from, sp: lvSpans[c], base: &init}
			}
			return levelReader{refs: lvLevel[c*cs : min((c+1)*cs, len(lvLevel))], own: lvOwn, outs: lvOuts}
		}
		if opt.MaxDepth > 0 && d >= opt.MaxDepth {
		bounded:
			for c := range nc {
				rd := reader(c)
				for _, ok := rd.next(main); ok; _, ok = rd.next(main) {
					if m.Successors(&main.s, func(Step, *State, *Violation) bool { return false }) > 0 {
						r.res.Bounded = true
						break bounded
					}
				}
			}
			break
		}
		// The level two back is settled; the level before, if it has not
		// drained, keeps the blocks of its own level's states, which the
		// set emptied next holds.
		if g := lags[d%2]; g != nil {
			settle(g)
			lags[d%2] = nil
		}
		lagBefore := lags[(d+1)%2]
		if lagBefore != nil && lagBefore.lv.drained() {
			settle(lagBefore)
			lags[(d+1)%2], lagBefore = nil, nil
		}
		if lagBefore != nil {
			r.res.lagHeld++
		}
		// The sets of the next level's early chunks are emptied now (the
		// level after's own, for the exact set, at its start: see arenas).
		for w := range cur {
			if es != nil {
				arenas[(d+1)%2][w].reset()
			} else {
				cur[w].reset()
			}
			if lagBefore != nil {
				lagBefore.limbo = append(lagBefore.limbo, segs[(d+1)%3][w])
				segs[(d+1)%3][w] = segArena{pool: &pool}
			} else {
				segs[(d+1)%3][w].reset()
			}
		}
		if r.stopNow(0) {
			r.res.Queue = size
			break
		}
		lv := pre
		if lv == nil {
			lv = newHelpLevel(0)
			lv.cs = cs
		}
		pre = nil
		head := len(lv.head)
		for exact && es == nil && len(blockSets[d%2]) < nc { // -collapse (ref)
			blockSets[d%2] = append(blockSets[d%2], chunkBlocks{})
		}
		for len(codeds[d%3]) < nc {
			codeds[d%3] = append(codeds[d%3], codedChunk{})
		}
		into := codeds[d%3]
		var outCoded bool // set before the helpers start
		lv.chunk = func(w, c int) bool {
			if opt.helperClaimDelay > 0 { // claimed, and the chunk's states not yet read
				time.Sleep(opt.helperClaimDelay)
			}
			return helperChunk(lv, w, c, reader(c), outCoded, d%2, d%3, false)
		}
		help := nc >= minHelpChunks && share.join(d, time.Now(), hs.waiting())
		// The next level is coded with fingerprints, but for a level the
		// helpers sit out whose next level is likely small: that one is
		// kept packed, as the one-worker frontier keeps a small frontier
		// (rawFrontier), so that a search whose helpers sit out costs what
		// one worker's does. Its size is guessed at four times this
		// level's, at most a packed state's words each. A level made early
		// was coded by the helpers already.
		outCoded = !exact && (help || head > 0 || 4*size*8*pk.bufLen() > rawFrontier)
		// The next level is made now, for the helpers to expand its first
		// chunks once they have none of this one left (helpLevel), if they
		// join this one.
		var nx *helpLevel
		if help && earlyOK && (opt.MaxDepth == 0 || d+1 < opt.MaxDepth) {
			nh := max(nc, 2*minHelpChunks)
			nx = newHelpLevel(nh)
			nx.cs = csNext
			el := &earlySrc[(d+1)%2]
			if lagBefore != nil { // a straggler may read the spans of its level's early chunks
				el.spans = nil
			}
			if outCoded {
				el.spans = slices.Grow(el.spans[:0], nh)[:nh]
				if opt.poison {
					poisonSpans(el.spans)
				}
			} else {
				el.refs = slices.Grow(el.refs[:0], nh)[:nh]
				for len(el.blocks) < nh {
					el.blocks = append(el.blocks, chunkBlocks{})
				}
			}
			d1 := (d + 1) % 2
			elSpans, elRefs, elBlocks := el.spans, el.refs, el.blocks // publish fills them in place
			nx.early = func(w, k int) bool {
				if opt.helperEarlyStall { // tests: until the main worker ends nx, at most a second
					for t0 := time.Now(); nx.gate.Load()&gateClosed == 0 && time.Since(t0) < time.Second; {
						time.Sleep(100 * time.Microsecond)
					}
				}
				if opt.helperEarlyDelay > 0 {
					time.Sleep(opt.helperEarlyDelay)
				}
				rd := levelReader{coded: outCoded, base: &init}
				if outCoded {
					rd.chunks, rd.sp = into, elSpans[k]
				} else {
					rd.refs, rd.own = elRefs[k], elBlocks[k]
				}
				return helperChunk(nx, w, k, rd, outCoded, d1, (d+1)%3, true)
			}
			lv.next.Store(nx)
			pre = nx
		}
		// publish publishes the next level's first chunks that are final:
		// with the main worker past them, and the next chunk begun.
		publish := func() {
			k := int(nx.ready.Load())
			el := &earlySrc[(d+1)%2]
			for ; k < len(nx.head); k++ {
				if outCoded {
					if k+1 >= len(nextSpans) {
						break
					}
					el.spans[k] = nextSpans[k]
					continue
				}
				if (k+1)*csNext > len(next) {
					break
				}
				// The refs stay where they are: next grows by append,
				// which writes none of them again.
				refs := next[k*csNext : (k+1)*csNext : (k+1)*csNext]
				first, last := int(refs[0].off>>arenaBits), int(refs[len(refs)-1].off>>arenaBits)
				b := &el.blocks[k]
				b.first, b.b = first, append(b.b[:0], es.arena.blocks[first:last+1]...)
				el.refs[k] = refs
			}
			nx.ready.Store(int64(k))
		}
		lv.start(nc, help)
		if help {
			startHelpers()
			hs.join(lv)
		}
		next, nextSpans = next[:0], nextSpans[:0]
		if opt.poison {
			poisonSpans(nextSpans)
		}
		levelStates := size
		// the next level's states, guessed from this level's growth
		expect := levelStates
		if prevStates > 0 {
			expect = int(int64(levelStates) * int64(levelStates) / int64(prevStates))
		}
		prevStates = levelStates
		size = 0
		// chunkSize is how many states chunk c has.
		chunkSize := func(c int) int {
			if inCoded {
				return int(spans[c].n)
			}
			return min((c+1)*cs, len(level)) - c*cs
		}
		// keep makes candidate i of chunk c a state of the next level if
		// kept, and starts a span at it if one is due (coded levels). In
		// a packed level the state is packed at off in the arena that
		// src says (ref).
		keep := func(c, i int, kept bool, parent int32, st Step, off uint64, src int32) {
			if outCoded && i%codeRestart == 0 && (len(nextSpans) == 0 || int(nextSpans[len(nextSpans)-1].n) >= spanStates(csNext, size, expect)) {
				nextSpans = append(nextSpans, span{k: int32(c), i: int32(i), node: int32(t.size())})
			}
			if !kept {
				return
			}
			if opt.MaxStates > 0 && t.size() >= opt.MaxStates {
				r.res.Bounded = true
				return
			}
			size++
			id := t.add(parent, st, d+1)
			if outCoded {
				nextSpans[len(nextSpans)-1].n++
				kb := into[c].keep
				for len(kb) <= i/64 {
					kb = append(kb, 0)
				}
				kb[i/64] |= 1 << (i % 64)
				into[c].keep = kb
			} else {
				next = append(next, ref{off: off, src: src, node: id})
			}
		}
		// expandOwn expands chunk c as the one-worker search does: the
		// successors of a state are packed and hashed as they are
		// generated, then looked up in order.
		expandOwn := func(c int) *chunkOut {
			o := &own
			*o = chunkOut{}
			if outCoded {
				main.seg, main.starts = main.seg[:0], main.starts[:0]
				into[c].keep = into[c].keep[:0]
			}
			ni := 0 // new states so far
			rd := reader(c)
			s := &main.s
			// lookups looks up b's successors of node, in order.
			lookups := func(b *succBatch, node int32) bool {
				if g := seen.growBytes(len(b.succs)); g > 0 && r.stopNow(g) {
					o.halt = true
					return false
				}
				for _, sc := range b.succs {
					q := b.packed(sc)
					kept := b.addTo(seen, sc)
					recent.put(sc.fp)
					if !kept {
						continue
					}
					var off uint64
					switch {
					case outCoded:
						pk.unpack(q, main.nextCoded())
						main.codeNext(ni)
					case es != nil:
						off = es.last
					default:
						off = cur[0].add(q)
					}
					keep(c, ni, true, node, sc.st, off, -1)
					ni++
				}
				return true
			}
			// The lookups run a state behind the generation: a state's
			// successors are generated, then the state before's are
			// looked up, then the state's slots are prefetched, so that
			// a whole state's generation hides their misses (the slot's
			// page is seldom in the TLB in a large search). The lookups'
			// order, and so every result, is that of the one-worker
			// search. With a small visited set (behindBytes) they follow
			// the generation at once, as in the one-worker search.
			behind := seen.bytes() > behindBytes
			cb, pb := &batches[0], &batches[1]
			cb.late, pb.late = behind, behind
			pending, pnode := false, int32(0)
			for {
				node, ok := rd.next(main)
				if !ok {
					break
				}
				cb.reset()
				n := m.Successors(s, func(st Step, next *State, v *Violation) bool {
					if !o.record(node, st, v) {
						return false
					}
					cb.add(m, seen, recent, next, st)
					return true
				})
				switch {
				case !behind:
					if !lookups(cb, node) {
						return o
					}
				case pending && !lookups(pb, pnode):
					return o
				default:
					cb.filter(recent) // what the state before's lookups put in recent
					for _, sc := range cb.succs {
						seen.prefetch(sc.fp)
					}
					cb, pb = pb, cb
					pending, pnode = true, node
				}
				if !o.atRest(m, s, node, n) {
					break
				}
			}
			if pending && !lookups(pb, pnode) {
				return o
			}
			if outCoded {
				cc := &into[c]
				cc.seg = segs[d%3][0].store(main.seg)
				cc.starts = append(cc.starts[:0], main.starts...)
				cc.n = ni
				for len(cc.keep) < (ni+63)/64 { // states past MaxStates: not kept
					cc.keep = append(cc.keep, 0)
				}
			}
			return o
		}
		// dedupHelper looks up, in order, the candidates a helper made
		// of chunk c.
		dedupHelper := func(c int) *chunkOut {
			o := lv.at(c).out
			if o.early {
				r.res.early++
			}
			if g := seen.growBytes(len(o.cands)); g > 0 && r.stopNow(g) {
				o.halt = true
				return o
			}
			if outCoded {
				cc := &into[c]
				cc.seg, cc.n = o.seg, len(o.cands)
				cc.starts = append(cc.starts[:0], o.starts...)
				cc.keep = slices.Grow(cc.keep[:0], (cc.n+63)/64)[:(cc.n+63)/64]
				clear(cc.keep)
			} else if es == nil { // -collapse: the next level reads the states kept here
				bl := &blockSets[d%2][c]
				bl.b, bl.first = append(bl.b[:0], o.blocks.b...), o.blocks.first
			}
			const ahead = 32 // prefetch distance: a lookup is a few ns of work and a DRAM miss ~100 ns
			for i := range o.cands {
				if i+ahead < len(o.cands) {
					seen.prefetch(o.cands[i+ahead].fp)
				}
				ca := &o.cands[i]
				var p []uint64
				var off uint64
				if !outCoded {
					off = o.offs[i]
					p = o.blocks.at(off)
					p = p[:pk.length(p)]
				}
				if recent.has(ca.fp) {
					keep(c, i, false, 0, Step{}, 0, 0)
					continue
				}
				kept := seen.add(p, ca.fp)
				recent.put(ca.fp)
				src := int32(c)
				if es != nil {
					off, src = es.last, -1
				}
				keep(c, i, kept, ca.parent, Step{Actor: ca.actor, Choice: ca.choice}, off, src)
			}
			return o
		}
		expanded := 0 // states of the level expanded, in the chunks done
		halted := false
		lastPoll := time.Now()
	chunkLoop:
		for c := range nc {
			if now := time.Now(); now.Sub(lastPoll) >= 50*time.Millisecond {
				lastPoll = now
				if r.stopNow(0) {
					halted = true
					break
				}
				if r.opt.Progress != nil && now.Sub(r.lastOut) >= r.opt.Every {
					r.lastOut = now
					r.sample()
					st := r.res.Stats
					st.States, st.Queue = int64(t.size()), levelStates-expanded+size
					r.opt.Progress(st)
				}
			}
			var o *chunkOut
			switch {
			case lv.at(c).claim.CompareAndSwap(chunkFree, chunkMain):
				o = expandOwn(c)
			case lv.at(c).claim.Load() == chunkHelper && lv.await(c):
				o = dedupHelper(c)
			case lv.at(c).claim.CompareAndSwap(chunkHelper, chunkMain): // not done: taken over
				r.res.takenOver++
				o = expandOwn(c)
			default:
				o = dedupHelper(c)
			}
			if o.halt {
				halted = true
				break
			}
			expanded += chunkSize(c)
			r.res.Transitions += o.transitions
			if o.err != nil && r.res.Err == nil {
				r.res.Err = o.err
			}
			if o.warn != nil {
				if o.warnEnd {
					r.warn(o.warn, &t, o.warnNode)
				} else {
					r.warn(o.warn, &t, o.warnNode, o.warnStep)
				}
			}
			if o.stop {
				r.res.Schedule = t.path(o.atNode)
				r.res.Violation = o.viol
				if !o.end {
					r.res.Schedule = append(r.res.Schedule, o.step)
					r.res.MaxDepth = d + 1
				}
				break chunkLoop
			}
			if r.res.Err != nil {
				break
			}
			if nx != nil {
				publish()
			}
		}
		if help {
			share.done(time.Now())
		}
		// The helpers leave the level. With coded levels a straggler may
		// stay in it (lag); else the main worker waits for them.
		lagging := false
		if !exact && lvCoded && outCoded {
			if lagging = !lv.endLate(nc); lagging {
				lags[d%2] = &lag{lv: lv, nc: nc}
				r.res.lagged++
			}
		} else {
			lv.end(nc)
		}
		if !lagging {
			recycle(lv, nc)
		}
		if p := pan.Load(); p != nil {
			r.res.Err = p
			break
		}
		if halted {
			r.res.Queue = levelStates - expanded + size
			break
		}
		if k := len(nextSpans); k > 0 && nextSpans[k-1].n == 0 {
			nextSpans = nextSpans[:k-1]
		}
		if err := t.err; err != nil && r.res.Err == nil {
			r.res.Err = err
		}
		if r.res.Violation != nil || r.res.Err != nil {
			break
		}
		level, next = next, level
		spans, nextSpans = nextSpans, spans
		if lagging { // a straggler may still read this level's spans
			nextSpans = nil
		}
		inCoded = outCoded
		var fb uint64
		for i, as := range arenas {
			for w := range as {
				if w > 0 && pre != nil && i == (d+1)%2 { // a helper may be in the next level's
					fb += machines[w].arenaBytes[i].Load()
				} else {
					fb += as[w].bytes()
				}
			}
		}
		fb += uint64(cap(level)+cap(next))*uint64(unsafe.Sizeof(ref{})) + uint64(cap(spans)+cap(nextSpans))*uint64(unsafe.Sizeof(span{}))
		fb += outs.bytes()
		for _, el := range earlySrc {
			fb += uint64(cap(el.spans))*uint64(unsafe.Sizeof(span{})) + 24*uint64(cap(el.refs)+cap(el.blocks))
			for _, b := range el.blocks {
				fb += 24 * uint64(cap(b.b))
			}
		}
		for _, bs := range blockSets {
			fb += 24 * uint64(cap(bs))
		}
		for i := range codeds {
			for k := range codeds[i] {
				fb += codeds[i][k].bytes()
			}
		}
		pool.mu.Lock()
		fb += pool.held
		pool.mu.Unlock()
		fb += main.codeBytes()
		for _, wk := range machines[1:] {
			fb += wk.bufBytes.Load()
		}
		r.res.FrontierBytes = max(r.res.FrontierBytes, fb)
		r.tick(t.size(), size)
	}
	for _, g := range lags {
		if g != nil {
			settle(g)
		}
	}
	if pre != nil { // the search stopped before the level made early
		pre.end(len(pre.head))
	}
	r.res.satOut = share.satOut
	return r.done(t.size())
}

// A lag is a coded level of parallelBFS that the main worker left with
// a helper still in it (helpLevel.endLate): a straggler, in a chunk the
// main worker took over as the helper's thread did not run. Waiting for
// it at the level's end would wait for its thread to be run again: on
// this project's 2-CPU machine beside a thread busy half the time, up
// to 9.6 ms of bench/spin's 3-CPU search's 66-80 (docs/memory.md,
// sixteenth round). So the main worker goes on, and the straggler may
// go on reading the level's states and writing its chunkOut and its own
// segment arena of the level's set (coded sets are used in turn, three
// of them) until its thread runs and sees the chunk taken. What it may
// touch is kept from reuse until it is out:
//   - the level's chunkOuts: given back when it is settled;
//   - the level's spans, and those of its early chunks: the next level
//     makes new ones, not reusing them;
//   - its states' segment blocks (the set the next level empties for the
//     level after): held in limbo, not given to the pool, until settled;
//   - its states' codedChunks and its own set: reused two levels on,
//     where the main worker settles the level first, waiting for the
//     straggler if it is still in (a thread not run for a whole level).
//
// Levels with exact storage, or packed for a level the helpers sat out,
// still wait at their end: their states are in arenas reset a level on.
type lag struct {
	lv    *helpLevel
	nc    int        // the level's chunks
	limbo []segArena // the segment arenas of the level's states, held
}

// Who has a chunk of a parallel level (parallelBFS's claim).
const (
	chunkFree   = iota // no one yet
	chunkHelper        // a helper, expanding it
	chunkDone          // a helper, done: its candidates are ready
	chunkMain          // the main worker
)

// PanicError is a panic of patchcheck itself (a broken invariant) in a
// goroutine of the explorer, recovered so that it can be reported.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// recoverPanic, deferred by a helper goroutine, records its panic in p
// (the first one wins).
func recoverPanic(p *atomic.Pointer[PanicError]) {
	if v := recover(); v != nil {
		p.CompareAndSwap(nil, &PanicError{Value: v, Stack: debug.Stack()})
	}
}

// expand is a helper's work on a chunk: it generates the successors of
// the states rd yields into out (cs: chunkStates of the level), and stops
// between two states once taken says the main worker took the chunk
// over. If the next level is packed (coded false) the candidates are
// stored packed in a (the helper's arena), else coded in wk.seg and
// wk.starts, which the caller copies out. Each successor is packed (if
// packed levels, where it stays in a) and becomes a candidate as it is
// generated, unless it is one of the chunk already (chunkSet: by
// fingerprint, and with exact storage by its packed state). The visited set is not read
// here (the main worker adds to it meanwhile): the main worker's lookup
// drops the candidates seen before.
func expand(wk *worker, coded, exact bool, rd *levelReader, cs int, a *arena, out *chunkOut, taken func() bool) {
	m := wk.m
	// The chunk's results are made in a chunkOut of the worker's own,
	// copied out at the end: the chunkOuts of a level are side by side,
	// and a worker writing to one as another writes to its neighbour would
	// pass their cache line to and fro.
	o := &chunkOut{cands: out.cands[:0], blocks: out.blocks, offs: out.offs[:0], seg: out.seg, starts: out.starts, held: out.held}
	defer func() {
		if !coded {
			o.snapshot(a)
		}
		*out = *o
	}()
	wk.seg, wk.starts = wk.seg[:0], wk.starts[:0]
	pk := m.pk
	wk.local.reset(min(cs, rd.states()))
	s := &wk.s
	// equal compares candidate i's packed state with q (exact storage).
	var q []uint64
	var equal func(int32) bool
	if exact {
		equal = func(i int32) bool {
			d := a.at(o.offs[i])
			return pk.length(d) == len(q) && slices.Equal(d[:len(q)], q)
		}
	}
	for !taken() {
		node, ok := rd.next(wk)
		if !ok {
			return
		}
		n := m.Successors(s, func(st Step, next *State, v *Violation) bool {
			if !o.record(node, st, v) {
				return false
			}
			// Packed where it stays if it becomes a candidate: in the
			// arena unless coded (committed only then). With
			// fingerprints, packed only then.
			var fp uint64
			if !exact {
				fp = m.nextFingerprint(next)
			} else {
				out := a.reserve(pk.bufLen())
				q = out[:pk.pack(next, out)]
				fp = hash(q)
			}
			slot, dup := wk.local.find(fp, equal)
			if dup {
				return true // a candidate already, earlier in the chunk
			}
			if !exact && !coded {
				out := a.reserve(pk.bufLen())
				q = out[:pk.pack(next, out)]
			}
			i := len(o.cands)
			if slot >= 0 {
				wk.local.put(slot, fp, int32(i))
			}
			o.cands = append(o.cands, candidate{fp: fp, parent: node, choice: st.Choice, actor: st.Actor})
			if !coded {
				o.offs = append(o.offs, a.commit(len(q)))
				return true
			}
			m.copyState(wk.nextCoded(), next)
			wk.codeNext(i)
			return true
		})
		if !o.atRest(m, s, node, n) {
			return
		}
	}
}
