package litmus

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/patchcheck/patchcheck/arches/arm64"
)

// The explorer runs a litmus test under a small operational model of
// AArch64 instruction fetch (docs/arm64-ifetch.md has the full account):
//
//   - threads interleave one instruction at a time; data loads and stores
//     are sequentially consistent (a first approximation: no store
//     buffering, no load reordering);
//   - each memory location keeps its writes in the order they were
//     performed, with their times; code locations start with the
//     program's instruction;
//   - a fetch is taken at some time between the thread's fetch floor time
//     (its last ISB, exception entry or ERET, or its previous fetch) and
//     now, and may return any write performed by then that no completed
//     IC excludes: fetch is not coherent (CoFF, CoRF+ctrl-isb allowed);
//   - DC CVAU cleans its location up to the newest write it is ordered
//     after, taking effect at the next full DMB or DSB; IC takes effect at
//     one moment before its thread's next full DSB, excluding from later
//     fetches the writes before the newest cleaned one;
//   - fetching a value that is not an instruction raises an exception:
//     the thread continues in its Pn.F handler, if any, else stops;
//   - concurrent modification (a fetch with more than one candidate)
//     where a candidate lies outside the CMODX set is flagged, as herd7
//     does, and otherwise explored normally.

// Result is the outcome of exploring one test.
type Result struct {
	Name     string
	Verdict  string   // "Allowed", "Forbidden" or "Required" (verdict)
	States   []string // distinct final states over the condition's locations, sorted
	Pos, Neg int      // final states satisfying / not satisfying the proposition
	Flags    []string // e.g. "CMODX" when some execution violates the CMODX requirements
	Explored int      // states visited
	Settings Settings // the rules the exploration applied
}

// Settings are the choices of rules in force for one exploration: the
// CMODX list of the flag (Options.CMODX) and the test's CacheType header.
type Settings struct {
	CMODX arm64.CMODXList
	Cache arm64.CacheType
}

// Options bound the exploration.
type Options struct {
	MaxStates int // 0: 2,000,000
	// Budget, when set, bounds the wall time of the exploration (for fuzzing).
	Budget time.Duration
	// CMODX is the list of instructions that may be concurrently
	// modified: "herd7" (the default, so that flags match herd7's) or
	// "armarm" (arches/arm64.CMODXLists).
	CMODX string
	// Progress, when set, is called every 65536 states with the states
	// visited and waiting so far.
	Progress func(explored, frontier int)
	// Stop, when set, is asked about every 64 states whether to stop; a
	// non-empty answer (the reason) ends the exploration with a
	// *StoppedError.
	Stop func() string
}

// StoppedError is an exploration cut short by a bound (MaxStates,
// Budget) or by Options.Stop, with its figures: it has no verdict.
type StoppedError struct {
	Name     string
	Reason   string // "states bound 2000000", "time budget 1s", or what Stop said
	Explored int    // states visited
	Frontier int    // states waiting to be visited
	Elapsed  time.Duration
	// Verdict is the test's verdict when the final states found before
	// the stop already decide it, else "": a final state in which the
	// proposition holds makes exists and ~exists tests Allowed, and
	// forall tests too once another final state falsifies it. Witness
	// is that final state (and, for forall, the falsifying one).
	Verdict string
	Witness []string
	// Flags are the flags of the executions explored before the stop
	// ("CMODX" when one of them already violates the CMODX
	// requirements); an execution not explored may raise more.
	Flags    []string
	Settings Settings
}

func (e *StoppedError) Error() string {
	rate := 0.0
	if e.Elapsed > 0 {
		rate = float64(e.Explored) / e.Elapsed.Seconds()
	}
	msg := fmt.Sprintf("%s: stopped (%s) after %d states, frontier %d states, %.0f states/s, %.1f s",
		e.Name, e.Reason, e.Explored, e.Frontier, rate, e.Elapsed.Seconds())
	if e.Verdict != "" {
		msg += fmt.Sprintf("; verdict %s already decided by %s", e.Verdict, strings.Join(e.Witness, " and "))
	}
	return msg
}

// decided returns the verdict that the final states found so far already
// decide, with the states that decide it, or "".
func decided(q Quant, finals map[string]bool) (string, []string) {
	var pos, neg string
	for k, ok := range finals {
		switch {
		case ok && (pos == "" || k < pos):
			pos = k
		case !ok && (neg == "" || k < neg):
			neg = k
		}
	}
	switch {
	case pos == "":
		return "", nil
	case q != Forall:
		return verdict(q, true, false), []string{pos}
	case neg != "":
		return verdict(q, true, true), []string{pos, neg}
	}
	return "", nil
}

type vkind uint8

const (
	vInt  vkind = iota
	vIns        // i: index into prog.ins
	vCode       // b, i: code address
	vVar        // s: variable
)

type val struct {
	k    vkind
	n    int64
	s    string
	b, i int
}

func (v val) String() string {
	switch v.k {
	case vInt:
		return strconv.FormatInt(v.n, 10)
	case vIns, vVar:
		return v.s
	}
	return fmt.Sprintf("@%d.%d", v.b, v.i)
}

func (v val) eq(w val) bool {
	if v.k != w.k {
		return false
	}
	switch v.k {
	case vInt:
		return v.n == w.n
	case vIns, vVar:
		return v.s == w.s
	}
	return v.b == w.b && v.i == w.i
}

type block struct {
	name   string
	proc   int
	fault  bool
	code   []*Instr
	labels map[string]int
}

type prog struct {
	t       *Test
	blocks  []block
	main    map[int]int // proc -> block
	handler map[int]int // proc -> fault block
	procs   []int       // sorted thread numbers
	ins     []*Instr    // instruction values
	insIdx  map[string]int
	alias   map[string]string // memory key -> physical key
	cmodx   arm64.CMODXList   // Options.CMODX
	cache   arm64.CacheType   // the test's CacheType header
}

func (pg *prog) insVal(in *Instr, owner int) val {
	s := in.String()
	key := fmt.Sprintf("%d|%s", owner, s)
	i, ok := pg.insIdx[key]
	if !ok {
		i = len(pg.ins)
		pg.ins = append(pg.ins, in)
		pg.insIdx[key] = i
	}
	return val{k: vIns, s: s, i: i, b: owner}
}

func codeKey(b, i int) string { return "@" + strconv.Itoa(b) + "." + strconv.Itoa(i) }

func (pg *prog) key(k string) string {
	if a, ok := pg.alias[k]; ok {
		return a
	}
	return k
}

// pend is a cache-maintenance operation that has executed but not yet
// been performed: a DC CVAU (ic false) cleaning loc up to write idx, or
// an IC (ic true) invalidating loc, or every code location if all is set.
type pend struct {
	ic, all bool
	loc     string
	idx     int
}

type thread struct {
	blk, pc int
	regs    [32]val
	elr     val
	nzcv    uint8
	done    bool
	faulted bool
	// faults are the instructions (blk<<16 | pc) at which the thread
	// took an exception, handled or not, in order (fault(Pn:L) atoms).
	faults []int
	ops    []pend         // executed, not yet performed maintenance, in program order
	bar    int            // time of the thread's last full DMB, DSB or ISB
	acc    map[string]int // time of the thread's last access to each location
	// flow is the earliest time the thread's next instruction fetch may
	// be taken at: its last context synchronisation or its previous fetch
	// (fetches are taken in program order).
	flow int
	// dep is, per register, the time of the newest write that a load its
	// value derives from read (through loads' addresses, data-processing
	// instructions and the flags a CSEL or CSET picks with); fdep is the
	// same for NZCV, and cdep for the conditions and targets of the
	// branches the thread has executed. A DC CVAU is ordered after them
	// (herd7's addr, ctrl, pick-addr-dep and pick-ctrl-dep; OpDCCVAU).
	dep        [32]int
	fdep, cdep int
}

// icev is the completion of an IC invalidation: from time t on, fetches
// of the location cannot return writes before index idx.
type icev struct{ t, idx int }

type state struct {
	th      []thread
	mem     map[string][]val
	cleaned map[string]int
	icdone  map[string][]icev // per location, in time order
	wtime   map[string][]int  // perform time of each write in mem
	wthr    map[string][]int  // writing thread of each write in mem (-1: initial)
	now     int               // advanced by writes and IC completions
	cmodx   bool
}

func (s *state) clone() *state {
	n := &state{th: make([]thread, len(s.th)), mem: make(map[string][]val, len(s.mem)),
		cleaned: make(map[string]int, len(s.cleaned)), icdone: make(map[string][]icev, len(s.icdone)),
		wtime: make(map[string][]int, len(s.wtime)), wthr: make(map[string][]int, len(s.wthr)), now: s.now, cmodx: s.cmodx}
	copy(n.th, s.th)
	for i := range n.th {
		t := &n.th[i]
		t.ops = append([]pend(nil), t.ops...)
		t.faults = t.faults[:len(t.faults):len(t.faults)]
		if t.acc != nil {
			a := make(map[string]int, len(t.acc))
			for k, v := range t.acc {
				a[k] = v
			}
			t.acc = a
		}
	}
	for k, v := range s.mem {
		n.mem[k] = v[:len(v):len(v)]
	}
	for k, v := range s.cleaned {
		n.cleaned[k] = v
	}
	for k, v := range s.icdone {
		n.icdone[k] = v[:len(v):len(v)]
	}
	for k, v := range s.wtime {
		n.wtime[k] = v[:len(v):len(v)]
	}
	for k, v := range s.wthr {
		n.wthr[k] = v[:len(v):len(v)]
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// key encodes the state for the visited set. Times are replaced by their
// rank among the times in the state: the model only compares times, so
// states that differ by an order-preserving renaming of times behave alike.
func (s *state) key() string {
	var ts []int
	ts = append(ts, s.now)
	for _, t := range s.th {
		ts = append(ts, t.flow, t.bar, t.fdep, t.cdep)
		for _, d := range t.dep {
			if d != 0 {
				ts = append(ts, d)
			}
		}
		for _, v := range t.acc {
			ts = append(ts, v)
		}
	}
	for _, w := range s.wtime {
		ts = append(ts, w...)
	}
	for _, h := range s.icdone {
		for _, e := range h {
			ts = append(ts, e.t)
		}
	}
	sort.Ints(ts)
	rank := make(map[int]int, len(ts))
	for _, t := range ts {
		if _, ok := rank[t]; !ok {
			rank[t] = len(rank)
		}
	}
	b := make([]byte, 0, 512)
	num := func(n int) { b = strconv.AppendInt(b, int64(n), 10); b = append(b, ',') }
	str := func(x string) { b = append(b, x...); b = append(b, ',') }
	v := func(x val) {
		b = append(b, byte('a'+x.k))
		b = strconv.AppendInt(b, x.n, 10)
		b = append(b, x.s...)
		b = append(b, '.')
		num(x.b)
		num(x.i)
	}
	for _, t := range s.th {
		b = append(b, 'T')
		num(t.blk)
		num(t.pc)
		if t.done {
			b = append(b, 'd')
		}
		if t.faulted {
			b = append(b, 'f')
		}
		for _, f := range t.faults {
			b = append(b, 'F')
			num(f)
		}
		num(int(t.nzcv))
		v(t.elr)
		for i, r := range t.regs {
			if r != (val{}) {
				num(i)
				v(r)
			}
		}
		b = append(b, 'O')
		for _, o := range t.ops {
			if o.ic {
				b = append(b, 'i')
			}
			if o.all {
				b = append(b, 'a')
			}
			str(o.loc)
			num(o.idx)
		}
		num(rank[t.flow])
		num(rank[t.bar])
		num(rank[t.fdep])
		num(rank[t.cdep])
		for i, d := range t.dep {
			if d != 0 {
				num(i)
				num(rank[d])
			}
		}
		b = append(b, ';')
		for _, k := range sortedKeys(t.acc) {
			str(k)
			num(rank[t.acc[k]])
		}
	}
	for _, k := range sortedKeys(s.mem) {
		b = append(b, 'M')
		str(k)
		for i, x := range s.mem[k] {
			v(x)
			num(rank[s.wtime[k][i]])
			num(s.wthr[k][i])
		}
	}
	for _, k := range sortedKeys(s.cleaned) {
		b = append(b, 'C')
		str(k)
		num(s.cleaned[k])
	}
	for _, k := range sortedKeys(s.icdone) {
		b = append(b, 'I')
		str(k)
		for _, e := range s.icdone[k] {
			num(rank[e.t])
			num(e.idx)
		}
	}
	num(rank[s.now])
	if s.cmodx {
		b = append(b, 'X')
	}
	return string(b)
}

// errUnsupported marks tests using something the explorer does not model.
type errUnsupported struct{ msg string }

func (e errUnsupported) Error() string { return e.msg }

func unsupported(pos Pos, format string, args ...any) error {
	return errUnsupported{pos.String() + ": " + fmt.Sprintf(format, args...)}
}

func compile(t *Test) (*prog, *state, error) {
	pg := &prog{t: t, main: map[int]int{}, handler: map[int]int{}, insIdx: map[string]int{}, alias: map[string]string{}}
	for bi, th := range t.Threads {
		b := block{name: th.Name, proc: th.Proc, fault: th.Fault, labels: map[string]int{}}
		for _, ln := range th.Code {
			for _, l := range ln.Labels {
				b.labels[l] = len(b.code)
			}
			if ln.Instr != nil {
				b.code = append(b.code, ln.Instr)
			}
		}
		pg.blocks = append(pg.blocks, b)
		if th.Fault {
			pg.handler[th.Proc] = bi
		} else {
			pg.main[th.Proc] = bi
			pg.procs = append(pg.procs, th.Proc)
		}
	}
	sort.Ints(pg.procs)
	s := &state{mem: map[string][]val{}, cleaned: map[string]int{}, icdone: map[string][]icev{}, wtime: map[string][]int{}, wthr: map[string][]int{}}
	// Physical aliases: pte_V=(oa:phy_P).
	for _, it := range t.Init {
		if it.Loc.Kind != LocMem || !strings.HasPrefix(it.Loc.Var, "pte_") || it.Value == nil {
			continue
		}
		v := it.Value
		if v.Kind != ValOpaque || !strings.HasPrefix(v.Sym, "(oa:") {
			return nil, nil, unsupported(it.Pos, "page-table value %s", v)
		}
		phys := "phys:" + strings.TrimSuffix(strings.TrimPrefix(v.Sym, "(oa:"), ")")
		name := strings.TrimPrefix(it.Loc.Var, "pte_")
		pg.alias[name] = phys
		for bi, b := range pg.blocks {
			if i, ok := b.labels[name]; ok && !b.fault {
				pg.alias[codeKey(bi, i)] = phys
			}
		}
	}
	for bi, b := range pg.blocks {
		for i, in := range b.code {
			s.mem[pg.key(codeKey(bi, i))] = []val{pg.insVal(in, bi)}
			s.wtime[pg.key(codeKey(bi, i))] = []int{0}
			s.wthr[pg.key(codeKey(bi, i))] = []int{-1}
		}
	}
	s.th = make([]thread, len(pg.procs))
	for i, p := range pg.procs {
		s.th[i] = thread{blk: pg.main[p]}
	}
	tidx := map[int]int{}
	for i, p := range pg.procs {
		tidx[p] = i
	}
	for _, it := range t.Init {
		if it.Value == nil {
			continue
		}
		v, err := pg.value(it.Value)
		if err != nil {
			if it.Loc.Kind == LocMem && strings.HasPrefix(it.Loc.Var, "pte_") {
				continue
			}
			return nil, nil, err
		}
		if it.Loc.Kind == LocReg {
			r, ok := regIndex(it.Loc.Reg)
			if !ok {
				return nil, nil, unsupported(it.Pos, "register %s", it.Loc.Reg)
			}
			s.th[tidx[it.Loc.Thread]].regs[r] = v
		} else {
			s.mem[pg.key(it.Loc.Var)] = []val{v}
			s.wtime[pg.key(it.Loc.Var)] = []int{0}
			s.wthr[pg.key(it.Loc.Var)] = []int{-1}
		}
	}
	return pg, s, nil
}

func regIndex(r string) (int, bool) {
	if r == "XZR" {
		return 31, true
	}
	if !strings.HasPrefix(r, "X") {
		return 0, false
	}
	n, err := strconv.Atoi(r[1:])
	return n, err == nil && n >= 0 && n < 31
}

// value converts a parsed value.
func (pg *prog) value(v *Value) (val, error) {
	switch v.Kind {
	case ValInt:
		return val{k: vInt, n: v.Int}, nil
	case ValInstr:
		return pg.insVal(v.Instr, -1), nil
	case ValLabel:
		b, ok := pg.main[v.Thread]
		if !ok {
			return val{}, unsupported(v.Pos, "no thread P%d", v.Thread)
		}
		i, ok := pg.blocks[b].labels[v.Label]
		if !ok {
			return val{}, unsupported(v.Pos, "no label %s in P%d", v.Label, v.Thread)
		}
		return val{k: vCode, b: b, i: i}, nil
	case ValSym:
		return val{k: vVar, s: v.Sym}, nil
	}
	return val{}, unsupported(v.Pos, "value %s", v)
}

// cmodxSafe reports whether the value v is an instruction of the CMODX
// list the exploration uses (Options.CMODX; arches/arm64 CMODXList).
func (pg *prog) cmodxSafe(v val) bool {
	if v.k != vIns {
		return false
	}
	ai, ok := insn(pg.ins[v.i])
	return ok && pg.cmodx.Safe(ai.Op)
}

// Explore runs t exhaustively.
func Explore(t *Test, opt Options) (*Result, error) {
	start := time.Now()
	if t.Cond == nil || t.Cond.Prop == nil {
		return nil, fmt.Errorf("%s: no final condition (exists, ~exists or forall)", t.Name)
	}
	if opt.MaxStates < 0 {
		return nil, fmt.Errorf("%s: MaxStates %d is negative", t.Name, opt.MaxStates)
	}
	if opt.MaxStates == 0 {
		opt.MaxStates = 2000000
	}
	pg, init, err := compile(t)
	if err != nil {
		return nil, err
	}
	pg.cmodx = arm64.CMODXHerd7
	if opt.CMODX != "" {
		if pg.cmodx, err = arm64.ParseCMODXList(opt.CMODX); err != nil {
			return nil, err
		}
	}
	if pg.cache, err = arm64.ParseCacheType(t.InfoValue("CacheType")); err != nil {
		return nil, unsupported(t.infoPos("CacheType"), "CacheType: %v", err)
	}
	if err := pg.checkSupported(); err != nil {
		return nil, err
	}
	res := &Result{Name: t.Name, Settings: Settings{CMODX: pg.cmodx, Cache: pg.cache}}
	finals := map[string]bool{}
	cmodxFinal := false
	cmodxSeen := false // in any state visited: every prefix extends to an execution
	filtered := false
	// The visited set holds 128-bit hashes of the state keys.
	type h128 struct{ a, b uint64 }
	hash := func(k string) h128 { return h128{xxh3.HashString(k), xxh3.HashString(k + "#")} }
	seen := map[h128]bool{}
	stack := []*state{init}
	seen[hash(init.key())] = true
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		res.Explored++
		cmodxSeen = cmodxSeen || s.cmodx
		stopped := func(why string) error {
			v, w := decided(t.Cond.Quant, finals)
			e := &StoppedError{Name: t.Name, Reason: why, Explored: res.Explored, Frontier: len(stack) + 1, Elapsed: time.Since(start), Verdict: v, Witness: w, Settings: res.Settings}
			if cmodxSeen {
				e.Flags = []string{"CMODX"}
			}
			return e
		}
		if res.Explored&0xffff == 0 && opt.Progress != nil {
			opt.Progress(res.Explored, len(stack)+1)
		}
		if res.Explored&63 == 0 {
			if opt.Budget > 0 && time.Since(start) > opt.Budget {
				return nil, stopped(fmt.Sprintf("time budget %v", opt.Budget))
			}
			if opt.Stop != nil {
				if why := opt.Stop(); why != "" {
					return nil, stopped(why)
				}
			}
		}
		if res.Explored > opt.MaxStates {
			return nil, stopped(fmt.Sprintf("states bound %d", opt.MaxStates))
		}
		progress := false
		for ti := range s.th {
			var succ []*state
			for k, op := range s.th[ti].ops {
				// Perform a pending IC now: it takes effect at one moment
				// between its execution and the DSB that completes it.
				// DCs complete at the DMB or DSB that follows them.
				if !op.ic {
					continue
				}
				n := s.clone()
				n.perform(ti, k)
				succ = append(succ, n)
			}
			if !s.th[ti].done {
				progress = true
				more, err := pg.step(s, ti)
				if err != nil {
					return nil, err
				}
				succ = append(succ, more...)
			}
			for _, n := range succ {
				k := hash(n.key())
				if !seen[k] {
					seen[k] = true
					stack = append(stack, n)
				}
			}
		}
		if !progress {
			out, ok, err := pg.final(s)
			if err != nil {
				return nil, err
			}
			if out == "" {
				filtered = true // discarded by the filter
			} else {
				finals[out] = finals[out] || ok
			}
			if s.cmodx {
				cmodxFinal = true
			}
		}
	}
	for k, ok := range finals {
		res.States = append(res.States, k)
		if ok {
			res.Pos++
		} else {
			res.Neg++
		}
	}
	sort.Strings(res.States)
	if len(res.States) == 0 && !filtered {
		return nil, fmt.Errorf("%s: no execution reaches the end of every thread: no final state to check the condition on", t.Name)
	}
	res.Verdict = verdict(t.Cond.Quant, res.Pos > 0, res.Neg > 0)
	if cmodxFinal {
		res.Flags = append(res.Flags, "CMODX")
	}
	return res, nil
}

// verdict is herd7's kind of a test from its observation (the
// proposition holds in some final states, in others): Never is
// Forbidden, Sometimes Allowed, Always Allowed for exists and ~exists and
// Required for forall. A kinds file's row is compared with it.
func verdict(q Quant, some, someNot bool) string {
	switch {
	case !some:
		return "Forbidden"
	case !someNot && q == Forall:
		return "Required"
	}
	return "Allowed"
}

func (pg *prog) checkSupported() error {
	for _, b := range pg.blocks {
		for _, in := range b.code {
			if _, err := pg.supported(in); err != nil {
				return err
			}
		}
	}
	return nil
}

// supported decodes in (insn) and reports whether the explorer executes
// it: every instruction of the port's subset but ADRP, STP and LDP
// (the explorer has no numeric addresses or stack).
func (pg *prog) supported(in *Instr) (arm64.Insn, error) {
	ai, ok := insn(in)
	switch {
	case !ok:
		return ai, unsupported(in.Pos, "instruction %s is not in the arm64 port's subset", in)
	case ai.Op == arm64.OpADRP, ai.Op == arm64.OpStpPre, ai.Op == arm64.OpLdpPost:
		return ai, unsupported(in.Pos, "instruction %s is not modelled by the litmus explorer", in.Op)
	}
	return ai, nil
}

// final evaluates the condition in a final state.
func (pg *prog) final(s *state) (string, bool, error) {
	var locs []string
	var parts []string
	tidx := map[int]int{}
	for i, p := range pg.procs {
		tidx[p] = i
	}
	get := func(l Location) (val, error) {
		if l.Kind == LocReg {
			r, ok := regIndex(l.Reg)
			ti, ok2 := tidx[l.Thread]
			if !ok || !ok2 {
				return val{}, fmt.Errorf("bad location %s", l)
			}
			return s.th[ti].regs[r], nil
		}
		w := s.mem[pg.key(l.Var)]
		if len(w) == 0 {
			return val{k: vInt}, nil
		}
		return w[len(w)-1], nil
	}
	var eval func(p *Prop) (bool, error)
	eval = func(p *Prop) (bool, error) {
		switch p.Kind {
		case PropTrue:
			return true, nil
		case PropFalse:
			return false, nil
		case PropAtom:
			v, err := get(p.Loc)
			if err != nil {
				return false, err
			}
			want, err := pg.value(p.Val)
			if err != nil {
				return false, err
			}
			ls := p.Loc.String()
			if p.Loc.Kind == LocMem {
				ls = p.Loc.Var
			}
			locs = append(locs, ls)
			parts = append(parts, ls+"="+pg.show(v))
			return v.eq(want), nil
		case PropNot:
			b, err := eval(p.Args[0])
			return !b, err
		case PropFault:
			return pg.faulted(s, tidx, p)
		}
		a, err := eval(p.Args[0])
		if err != nil {
			return false, err
		}
		b, err := eval(p.Args[1])
		if err != nil {
			return false, err
		}
		if p.Kind == PropAnd {
			return a && b, nil
		}
		return a || b, nil
	}
	if f := pg.t.Cond.Filter; f != nil {
		keep, err := eval(f)
		if err != nil || !keep {
			return "", false, err
		}
		locs, parts = locs[:0], parts[:0]
	}
	ok, err := eval(pg.t.Cond.Prop)
	if err != nil {
		return "", false, err
	}
	sort.Strings(parts)
	parts = dedup(parts)
	for i, t := range s.th {
		if t.faulted {
			parts = append(parts, fmt.Sprintf("fault(P%d)", pg.procs[i]))
		}
	}
	return strings.Join(parts, "; ") + ";", ok, nil
}

// faulted evaluates a fault atom in a final state: the thread took an
// exception, at the instruction labelled p.Label if it has one. The
// explorer's exceptions are instruction-fetch faults, which access no
// data location, so an atom naming a location or a fault type is an
// error rather than a guess.
func (pg *prog) faulted(s *state, tidx map[int]int, p *Prop) (bool, error) {
	if p.Arg != "" {
		return false, unsupported(p.Pos, "fault(...) with a location or fault type (%s) is not modelled", p.Arg)
	}
	ti, ok := tidx[p.Loc.Thread]
	if !ok {
		return false, fmt.Errorf("%s: fault: no thread P%d", p.Pos, p.Loc.Thread)
	}
	t := &s.th[ti]
	if p.Label == "" {
		return len(t.faults) > 0, nil
	}
	blk := pg.main[p.Loc.Thread]
	i, ok := pg.blocks[blk].labels[p.Label]
	if !ok {
		return false, fmt.Errorf("%s: fault: no label %s in P%d", p.Pos, p.Label, p.Loc.Thread)
	}
	for _, f := range t.faults {
		if f == blk<<16|i {
			return true, nil
		}
	}
	return false, nil
}

func dedup(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func (pg *prog) show(v val) string {
	if v.k == vCode {
		b := pg.blocks[v.b]
		for l, i := range b.labels {
			if i == v.i {
				return b.name + ":" + l
			}
		}
	}
	return v.String()
}
