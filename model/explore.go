package model

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"
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
	// same as with one worker.
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
}

// Fingerprint returns the 64-bit fingerprint of the whole of s. The
// explorer uses Machine.Fingerprint, which skips the parts a program never
// uses.
func Fingerprint(s *State) uint64 { return xxhash.Sum64(s.bytes()) }

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
	error() error  // the set was lost (compactSet.growThroughFile)
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
}

// packSucc appends next, packed, to batch and returns it with its
// fingerprint and place.
func packSucc(pk *packer, batch []uint64, next *State, st Step) ([]uint64, succ) {
	off := len(batch)
	batch = slices.Grow(batch, pk.bufLen())
	k := pk.pack(next, batch[off:off+pk.bufLen()])
	batch = batch[:off+k]
	return batch, succ{fp: hash(batch[off:]), off: off, n: k, st: st}
}

// exhaustive is breadth-first or depth-first search on one goroutine.
// The successors of a state are packed and hashed as they are generated,
// their slots of the visited set prefetched, and then looked up in order
// once the state's successors are all generated: the cache misses of the
// lookups overlap with the generation of the next successors.
func exhaustive(m *Machine, opt Options) Result {
	r := newRun(m, opt)
	pk := m.pk
	var seen visited = newCompactSet()
	switch {
	case opt.Exact && opt.Collapse:
		seen = newCollapseSet(pk)
	case opt.Exact:
		seen = newExactSet()
	}
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
	init := m.P.Initial()
	root := t.add(-1, Step{}, 0)
	batch := make([]uint64, pk.bufLen())
	p := batch[:pk.pack(&init, batch)]
	seen.add(p, hash(p))
	work.push(root, p)
	var succs []succ
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
		batch, succs = batch[:0], succs[:0]
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
			var c succ
			batch, c = packSucc(pk, batch, next, st)
			seen.prefetch(c.fp)
			succs = append(succs, c)
			return true
		})
		if g := seen.growBytes(len(succs)); g > 0 && r.stop(g) {
			r.res.Queue = work.len() + 1 // node was not expanded
			return r.done(seen.size())
		}
		for _, c := range succs {
			if opt.MaxStates > 0 && seen.size() >= opt.MaxStates {
				r.res.Bounded = true
				break
			}
			q := batch[c.off : c.off+c.n]
			if seen.add(q, c.fp) {
				work.push(t.add(node, c.st, d+1), q)
			}
		}
		if m.Err() != nil {
			break
		}
		if err := cmp.Or(t.error(), seen.error()); err != nil {
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
		s := m.P.Initial()
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

// candidate is a successor generated by a worker, not yet deduplicated;
// its packed state is n words at off in the arena of worker w.
type candidate struct {
	fp     uint64
	off    uint64
	w      int32
	n      int32
	parent int32
	step   Step
	keep   bool // not seen before: set by the shard that owns fp
}

// shards is a visited set split by fingerprint among the workers, so that
// each worker deduplicates its share of a level's candidates alone. The
// shard is chosen by the fingerprint's low 32 bits (scaled to the number
// of shards by a multiplication, not a division); the sets use its high
// bits for their slots.
type shards []visited

func (sh shards) shard(fp uint64) int { return int(uint64(uint32(fp)) * uint64(len(sh)) >> 32) }

func (sh shards) has(p []uint64, fp uint64) bool { return sh[sh.shard(fp)].has(p, fp) }

func (sh shards) add(p []uint64, fp uint64) bool { return sh[sh.shard(fp)].add(p, fp) }

func (sh shards) prefetch(fp uint64) { sh[sh.shard(fp)].prefetch(fp) }

func (sh shards) growBytes(k int) uint64 {
	var n uint64
	for _, v := range sh {
		n += v.growBytes(k)
	}
	return n
}

func (sh shards) bytes() uint64 {
	var n uint64
	for _, v := range sh {
		n += v.bytes()
	}
	return n
}

func (sh shards) error() error {
	for _, v := range sh {
		if err := v.error(); err != nil {
			return err
		}
	}
	return nil
}

func (sh shards) size() int {
	n := 0
	for _, v := range sh {
		n += v.size()
	}
	return n
}

// worker is what one goroutine of parallelBFS works with.
type worker struct {
	m     *Machine
	s     State    // the state being expanded
	batch []uint64 // its successors, packed
	succs []succ
	local chunkSet // the fingerprints of the chunk's candidates so far
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
	n    int
}

const chunkSetBits = 13

func (c *chunkSet) reset() {
	if c.keys == nil {
		c.keys, c.cand = make([]uint64, 1<<chunkSetBits), make([]int32, 1<<chunkSetBits)
	}
	clear(c.keys)
	c.n = 0
}

// find returns the slot of fp's candidate equal to p (equal(index)
// compares), or the empty slot where it goes, or -1 if the table is full.
func (c *chunkSet) find(fp uint64, equal func(int32) bool) (int, bool) {
	if fp == 0 {
		fp = 1
	}
	const mask = 1<<chunkSetBits - 1
	for i := fp >> (64 - chunkSetBits); ; i = (i + 1) & mask {
		switch c.keys[i] {
		case fp:
			if equal == nil || equal(c.cand[i]) {
				return int(i), true
			}
		case 0:
			if 4*c.n >= 3<<chunkSetBits {
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

// ref is a state of a breadth-first level: a candidate kept by the merge,
// packed (n words at off) in the arena of worker w.
type ref struct {
	off  uint64
	w    int32
	n    int32
	node int32
}

// chunkStates is how many states of a level make one chunk: workers take
// a level's chunks in turn, so that a worker slowed down (by another
// process, say) does not hold the others up.
const chunkStates = 256

// chunkOut is what expanding one chunk of a level produced.
type chunkOut struct {
	cands       []candidate
	byShard     [][]int32 // the indices in cands of each shard's candidates
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
}

// parallelBFS is breadth-first search whose levels are expanded by
// several workers, each on its own Machine, and merged in frontier order:
// node numbers, the first violation and its schedule are those of the
// sequential search. A level goes in three phases: the workers expand
// its chunks, taking the next chunk as they finish one; each worker then
// deduplicates, in frontier order, the candidates whose fingerprints fall
// in its shard of the visited set; last, one goroutine numbers the new
// states in frontier order. A level's states stay packed in the arenas of
// the workers that made them (two sets, swapped each level), so a state
// is copied once.
func parallelBFS(m *Machine, opt Options) Result {
	r := newRun(m, opt)
	nw := opt.Workers
	seen := make(shards, nw)
	for i := range seen {
		switch {
		case opt.Exact && opt.Collapse:
			seen[i] = newCollapseSet(m.pk)
		case opt.Exact:
			seen[i] = newExactSet()
		default:
			seen[i] = newCompactSet()
		}
	}
	machines := []*worker{{m: m}}
	for len(machines) < nw {
		w := NewMachine(m.P, m.Props)
		w.Reduce, w.Symmetry = m.Reduce, m.Symmetry
		machines = append(machines, &worker{m: w})
	}
	var t levelTree
	r.final = func() { r.res.VisitedBytes, r.res.TreeBytes = seen.bytes(), t.bytes() }
	arenas := [2][]arena{make([]arena, nw), make([]arena, nw)}
	var chunks []chunkOut
	init := m.P.Initial()
	root := t.add(-1, Step{}, 0)
	buf := make([]uint64, m.pk.bufLen())
	p := buf[:m.pk.pack(&init, buf)]
	seen.add(p, hash(p))
	level := []ref{{off: arenas[1][0].add(p), n: int32(len(p)), node: root}} // level 0 lives in arenas[1]
	var next []ref
	var s State
	var pan atomic.Pointer[PanicError] // a worker's panic
	for d := 0; len(level) > 0; d++ {
		r.res.MaxDepth = d
		prev, cur := arenas[(d+1)%2], arenas[d%2]
		if opt.MaxDepth > 0 && d >= opt.MaxDepth {
			for _, f := range level {
				m.pk.unpack(prev[f.w].at(f.off), &s)
				if m.Successors(&s, func(Step, *State, *Violation) bool { return false }) > 0 {
					r.res.Bounded = true
					break
				}
			}
			break
		}
		for w := range cur {
			cur[w].reset()
		}
		nc := (len(level) + chunkStates - 1) / chunkStates
		for len(chunks) < nc {
			chunks = append(chunks, chunkOut{})
		}
		if r.stopNow(0) {
			r.res.Queue = len(level)
			break
		}
		var taken, expanded atomic.Int64
		var halt atomic.Bool
		done := make(chan struct{}, nw)
		for w := range machines {
			go func(w int) {
				defer recoverPanic(&pan, done)
				for !halt.Load() {
					c := int(taken.Add(1) - 1)
					if c >= nc {
						break
					}
					part := level[c*chunkStates : min((c+1)*chunkStates, len(level))]
					expand(machines[w], seen, opt.Exact, prev, part, &cur[w], int32(w), &chunks[c])
					expanded.Add(int64(len(part)))
				}
			}(w)
		}
		// While the workers expand the level: progress, and whether to
		// stop (the workers then finish their chunks, and the level is
		// dropped unfinished).
		tick := time.NewTicker(50 * time.Millisecond)
		for n := 0; n < len(machines); {
			select {
			case <-done:
				n++
			case <-tick.C:
				if !halt.Load() && r.stopNow(0) {
					halt.Store(true)
				}
				if r.opt.Progress != nil {
					if now := time.Now(); now.Sub(r.lastOut) >= r.opt.Every {
						r.lastOut = now
						r.sample()
						st := r.res.Stats
						st.States, st.Queue = int64(t.size()), len(level)-int(expanded.Load())
						r.opt.Progress(st)
					}
				}
			}
		}
		tick.Stop()
		if p := pan.Load(); p != nil {
			r.res.Err = p
			break
		}
		if halt.Load() {
			r.res.Queue = len(level) - int(expanded.Load())
			break
		}
		var grow uint64
		for w := range machines {
			k := 0
			for c := range chunks[:nc] {
				k += len(chunks[c].byShard[w])
			}
			grow += seen[w].growBytes(k)
		}
		if grow > 0 && r.stopNow(grow) {
			r.res.Queue = len(level)
			break
		}
		// Deduplicate: each worker inserts the candidates of its shard,
		// in frontier order, and marks the new ones.
		for w := range machines {
			go func(w int) {
				defer recoverPanic(&pan, done)
				set := seen[w]
				const ahead = 8 // prefetch distance
				for k := range chunks[:nc] {
					cands, mine := chunks[k].cands, chunks[k].byShard[w]
					for j, i := range mine {
						if j+ahead < len(mine) {
							set.prefetch(cands[mine[j+ahead]].fp)
						}
						c := &cands[i]
						c.keep = set.add(cur[c.w].at(c.off)[:c.n], c.fp)
					}
				}
			}(w)
		}
		for range machines {
			<-done
		}
		if p := pan.Load(); p != nil {
			r.res.Err = p
			break
		}
		next = next[:0]
		states := seen.size() - countKept(chunks[:nc]) // distinct states before this level's new ones
		for k := range chunks[:nc] {
			o := &chunks[k]
			r.res.Transitions += o.transitions
			if o.err != nil && r.res.Err == nil {
				r.res.Err = o.err
			}
			for i := range o.cands {
				c := &o.cands[i]
				if !c.keep {
					continue
				}
				if opt.MaxStates > 0 && states >= opt.MaxStates {
					r.res.Bounded = true
					break
				}
				states++
				id := t.add(c.parent, c.step, d+1)
				next = append(next, ref{off: c.off, w: c.w, n: c.n, node: id})
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
				break
			}
		}
		if err := cmp.Or(t.err, seen.error()); err != nil && r.res.Err == nil {
			r.res.Err = err
		}
		if r.res.Violation != nil || r.res.Err != nil {
			break
		}
		level, next = next, level
		var fb uint64
		for _, as := range arenas {
			for _, a := range as {
				fb += a.bytes()
			}
		}
		fb += uint64(cap(level)+cap(next)) * uint64(unsafe.Sizeof(ref{}))
		for k := range chunks {
			fb += uint64(cap(chunks[k].cands)) * uint64(unsafe.Sizeof(candidate{}))
		}
		r.res.FrontierBytes = max(r.res.FrontierBytes, fb)
		r.tick(t.size(), len(level))
	}
	return r.done(t.size())
}

// PanicError is a panic of patchcheck itself (a broken invariant) in a
// goroutine of the explorer, recovered so that it can be reported.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// recoverPanic, deferred by a worker goroutine, records its panic in p
// (the first one wins) and signals done either way.
func recoverPanic(p *atomic.Pointer[PanicError], done chan<- struct{}) {
	if v := recover(); v != nil {
		p.CompareAndSwap(nil, &PanicError{Value: v, Stack: debug.Stack()})
	}
	done <- struct{}{}
}

// countKept counts the candidates marked new.
func countKept(chunks []chunkOut) int {
	n := 0
	for k := range chunks {
		for i := range chunks[k].cands {
			if chunks[k].cands[i].keep {
				n++
			}
		}
	}
	return n
}

// expand generates the successors of part, whose packed states are in
// the arenas prev, into o, storing them packed in a (the arena of worker
// w). As in exhaustive, a state's successors are packed and their slots
// prefetched as they are generated, and looked up once they all are: those
// seen in earlier levels are dropped (the visited set is only read while
// workers run), the others become candidates.
func expand(wk *worker, seen shards, exact bool, prev []arena, part []ref, a *arena, w int32, o *chunkOut) {
	m := wk.m
	*o = chunkOut{cands: o.cands[:0], byShard: o.byShard}
	if len(o.byShard) != len(seen) {
		o.byShard = make([][]int32, len(seen))
	}
	for i := range o.byShard {
		o.byShard[i] = o.byShard[i][:0]
	}
	pk := m.pk
	wk.local.reset()
	s, batch, succs := &wk.s, wk.batch, wk.succs
	defer func() { wk.batch, wk.succs = batch, succs }()
	for i := range part {
		f := &part[i]
		pk.unpack(prev[f.w].at(f.off), s)
		batch, succs = batch[:0], succs[:0]
		n := m.Successors(s, func(st Step, next *State, v *Violation) bool {
			o.transitions++
			if v != nil && v.Warning {
				if o.warn == nil {
					o.warn, o.warnNode, o.warnStep = v, f.node, st
				}
			} else if v != nil {
				o.stop, o.viol, o.atNode, o.step = true, v, f.node, st
				return false
			}
			var c succ
			batch, c = packSucc(pk, batch, next, st)
			seen.prefetch(c.fp)
			succs = append(succs, c)
			return true
		})
		for _, c := range succs {
			q := batch[c.off : c.off+c.n]
			var equal func(int32) bool
			if exact {
				equal = func(i int32) bool {
					d := &o.cands[i]
					return int(d.n) == len(q) && slices.Equal(a.at(d.off)[:d.n], q)
				}
			}
			slot, dup := wk.local.find(c.fp, equal)
			if dup {
				continue // a candidate already, earlier in the chunk
			}
			if sh := seen.shard(c.fp); !seen[sh].has(q, c.fp) {
				if slot >= 0 {
					wk.local.put(slot, c.fp, int32(len(o.cands)))
				}
				o.byShard[sh] = append(o.byShard[sh], int32(len(o.cands)))
				o.cands = append(o.cands, candidate{fp: c.fp, off: a.add(q), w: w, n: int32(c.n), parent: f.node, step: c.st})
			}
		}
		if o.err = m.Err(); o.err != nil || o.stop {
			return
		}
		if n == 0 {
			if v := endState(m, s); v != nil && v.Warning {
				if o.warn == nil {
					o.warn, o.warnNode, o.warnEnd = v, f.node, true
				}
			} else if v != nil {
				o.stop, o.viol, o.atNode, o.end = true, v, f.node, true
				return
			}
		}
	}
}
