package litmus

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/arches/arm64"
	"github.com/patchcheck/patchcheck/model"
)

// The differential link: a litmus test that fits the patching model's
// machine is compiled into a model.Program for arches/arm64 and explored
// by model.Explore, so that the engine behind every arm64 static-call
// verdict is run on Arm's own tests (docs/arm64-ifetch.md, "Two engines,
// one semantics").
//
// A test fits when one thread (the writer) is straight-line code of
// stores, barriers and complete cache-maintenance sequences (DC CVAU;
// DSB; IC IVAU; DSB of one location, or DSB; IC IVAU; DSB with IDC): it
// becomes a kernel thread of OpPoke and OpCacheMaint, as the port's
// aarch64_insn_patch_text_nosync does. Every other thread becomes a caller
// CPU running its code as real A64 words; the code slots the writer stores
// to are windows, the variables data windows. The final condition must be
// about integer registers of one thread: an epilogue computes it into x0,
// and a property fails on the call's return when x0 is 1.

// NotFitError says why a test does not fit the model's machine.
type NotFitError struct{ Msg string }

func (e *NotFitError) Error() string { return "does not fit the model's machine: " + e.Msg }

func notFit(format string, args ...any) error {
	return &NotFitError{fmt.Sprintf(format, args...)}
}

// ModelResult is the model engine's outcome on one test.
type ModelResult struct {
	Verdict string // as Result.Verdict
	States  int64  // distinct states of both explorations (P, then ~P)
}

// Model layout.
const (
	textBase = 0xffff800080000000
	dataBase = 0xffff800090000000
)

type mcomp struct {
	t      *Test
	pg     *prog
	writer int                    // block of the writer
	slots  map[[2]int]int         // written code slot -> window
	vars   map[string]int         // variable -> data window
	addr   [][]uint64             // block, index -> address (index len(code): the epilogue)
	pro    map[int]int            // block -> words before its first instruction
	regs   map[int]map[string]int // block -> litmus register -> A64 register
	p      *model.Program
}

// ExploreModel explores t with the patching model's explorer.
func ExploreModel(t *Test, maxStates int) (*ModelResult, error) {
	if t.Cond == nil || t.Cond.Prop == nil {
		return nil, fmt.Errorf("%s: no final condition", t.Name)
	}
	res := &ModelResult{}
	var seen [2]bool
	for i, neg := range []bool{false, true} {
		p, prop, err := compileModel(t, neg)
		if err != nil {
			return nil, err
		}
		r := model.Explore(model.NewMachine(p, []model.Property{prop}), model.Options{MaxStates: maxStates})
		if r.Err != nil {
			return nil, fmt.Errorf("%s: model: %v", t.Name, r.Err)
		}
		res.States += r.States
		seen[i] = r.Violation != nil
	}
	res.Verdict = verdict(t.Cond.Quant, seen[0], seen[1])
	return res, nil
}

// condProp fails when CPU cpu's call returns 1: the compiled proposition
// held in its final registers.
type condProp struct{ cpu int }

func (condProp) Name() string { return "litmus-condition" }

func (c condProp) Check(p *model.Program, ev *model.Event) string {
	if ev.Kind == model.EvCallDone && ev.CPU == c.cpu && ev.Value == 1 {
		return "the final condition holds"
	}
	return ""
}

func compileModel(t *Test, neg bool) (*model.Program, model.Property, error) {
	pg, _, err := compile(t)
	if err != nil {
		return nil, nil, err
	}
	if err := pg.checkSupported(); err != nil {
		return nil, nil, err
	}
	cache, err := arm64.ParseCacheType(t.InfoValue("CacheType"))
	if err != nil {
		return nil, nil, unsupported(t.infoPos("CacheType"), "CacheType: %v", err)
	}
	// The writer's stores and maintenance (kernelThread) follow the
	// test's CacheType, as the litmus explorer's do.
	pg.cache = cache
	fetch := "cmodx"
	if cache.CoherentAtWrite() {
		fetch = "dic"
	}
	arch, err := arm64.Port{}.Arch(fetch, "")
	if err != nil {
		return nil, nil, err
	}
	c := &mcomp{t: t, pg: pg, writer: -1, slots: map[[2]int]int{}, vars: map[string]int{}, pro: map[int]int{}, regs: map[int]map[string]int{},
		p: &model.Program{Name: t.Name, Arch: arch, Return: 0xffff8000000f0000, Sentinel: 0xdead,
			Keys: []model.KeyDef{{Name: "litmus", Init: model.TargetReturn0}}, Targets: []model.TargetDef{{Name: "NULL"}, {Name: "return0"}}}}
	for bi, b := range pg.blocks {
		if b.fault {
			return nil, nil, notFit("exception handler %s", b.name)
		}
		for _, in := range b.code {
			if base, _, _ := strings.Cut(in.Op, "."); base == "STR" || base == "DC" || base == "IC" {
				if c.writer >= 0 && c.writer != bi {
					return nil, nil, notFit("stores or cache maintenance on two threads")
				}
				c.writer = bi
			}
		}
	}
	if c.writer < 0 {
		return nil, nil, notFit("no thread writes")
	}
	if err := c.layout(); err != nil {
		return nil, nil, err
	}
	kt, err := c.kernelThread()
	if err != nil {
		return nil, nil, err
	}
	c.p.Threads = []model.ThreadProg{kt}
	obs, err := c.observer()
	if err != nil {
		return nil, nil, err
	}
	prop := t.Cond.Prop
	if neg {
		prop = &Prop{Kind: PropNot, Args: []*Prop{prop}}
	}
	if t.Cond.Filter != nil {
		// herd7 discards the final states the filter rejects.
		prop = &Prop{Kind: PropAnd, Args: []*Prop{t.Cond.Filter, prop}}
	}
	text := []byte{}
	cpu := -1
	for bi, b := range pg.blocks {
		if bi == c.writer {
			continue
		}
		if b.proc == obs {
			cpu = len(c.p.CPUs)
		}
		code, err := c.reader(bi, b.proc == obs, prop)
		if err != nil {
			return nil, nil, err
		}
		text = append(text, code...)
		c.p.CPUs = append(c.p.CPUs, model.CPUProg{Calls: []model.CallDef{{Name: b.name, Entry: c.addr[bi][0] - 4*uint64(c.pro[bi]), Key: 0}}})
	}
	if cpu < 0 {
		return nil, nil, notFit("the condition is about the writer")
	}
	c.p.Regions = []model.Region{{Name: "text", Base: textBase, Bytes: text}, {Name: "data", Base: dataBase, Bytes: make([]byte, 8*len(c.vars)+8)}}
	for _, it := range t.Init {
		if w, ok := c.vars[it.Loc.Var]; ok && it.Loc.Kind == LocMem && it.Value != nil {
			n, err := c.dataValue(it.Value)
			if err != nil {
				return nil, nil, notFit("%s: initial value %v", it.Pos, it.Value)
			}
			binary.LittleEndian.PutUint64(c.p.Windows[w].Init[:], n)
		}
	}
	for w := range c.p.Windows {
		def := &c.p.Windows[w]
		if !def.Data {
			off := def.Base - textBase
			copy(def.Init[:4], text[off:off+4])
		}
	}
	if err := c.p.Validate(); err != nil {
		return nil, nil, notFit("%v", err)
	}
	return c.p, condProp{cpu: cpu}, nil
}

// dataValue is the 64-bit value of v in a data window: an integer, or a
// code label of a reader (its address: a literal a trampoline loads and
// branches to, as the static call's).
func (c *mcomp) dataValue(v *Value) (uint64, error) {
	switch v.Kind {
	case ValInt:
		return uint64(v.Int), nil
	case ValLabel:
		blk, ok := c.pg.main[v.Thread]
		if ok && blk != c.writer {
			if idx, ok := c.pg.blocks[blk].labels[v.Label]; ok {
				return c.addr[blk][idx], nil
			}
		}
	}
	return 0, notFit("value %v", v)
}

// initsOf returns the register initialisations of thread proc.
func (c *mcomp) initsOf(proc int) []InitItem {
	var out []InitItem
	for _, it := range c.t.Init {
		if it.Value != nil && it.Loc.Kind == LocReg && it.Loc.Thread == proc {
			out = append(out, it)
		}
	}
	return out
}

// layout places the readers' code and numbers the windows.
func (c *mcomp) layout() error {
	a := uint64(textBase)
	c.addr = make([][]uint64, len(c.pg.blocks))
	for bi, b := range c.pg.blocks {
		if bi == c.writer {
			continue
		}
		n := 2
		for _, it := range c.initsOf(b.proc) {
			n++
			if it.Value.Kind == ValSym {
				n++
			}
		}
		c.pro[bi] = n
		a += 4 * uint64(n)
		for i := 0; i <= len(b.code); i++ {
			c.addr[bi] = append(c.addr[bi], a+4*uint64(i))
		}
		a += 4*uint64(len(b.code)) + 4*epilogueMax
	}
	return nil
}

// epilogueMax bounds the words of a reader's epilogue.
const epilogueMax = 64

func (c *mcomp) varWindow(name string) int {
	if w, ok := c.vars[name]; ok {
		return w
	}
	w := len(c.p.Windows)
	c.vars[name] = w
	c.p.Windows = append(c.p.Windows, model.WindowDef{Name: name, Base: dataBase + 8*uint64(len(c.vars)-1), Size: 8, Key: -1, Data: true})
	return w
}

// wval is a writer register's value, from the init block and MOVs.
func (c *mcomp) kernelThread() (model.ThreadProg, error) {
	b := &c.pg.blocks[c.writer]
	regs := map[string]*Value{}
	for _, it := range c.initsOf(b.proc) {
		regs[it.Loc.Reg] = it.Value
	}
	reg := func(r string) *Value { return regs[canonRegOr(r)] }
	kt := model.ThreadProg{Name: b.name}
	noMaint := model.PokeNoMaint
	if c.pg.cache.CoherentAtWrite() {
		noMaint = 0
	}
	for i := 0; i < len(b.code); i++ {
		in := b.code[i]
		ai, _ := insn(in)
		switch ai.Op {
		case arm64.OpNop, arm64.OpDSB, arm64.OpDMB, arm64.OpISB:
		case arm64.OpOrrReg, arm64.OpMovz:
			if in.Args[1].Kind == OpImm {
				regs[canonRegOr(in.Args[0].Reg)] = &Value{Kind: ValInt, Int: in.Args[1].Imm}
			} else {
				regs[canonRegOr(in.Args[0].Reg)] = reg(in.Args[1].Reg)
			}
		case arm64.OpStrImm, arm64.OpStlr:
			v, at := reg(in.Args[0].Reg), reg(in.Args[1].Base)
			if at == nil || v == nil || in.Args[1].Index != "" || in.Args[1].Imm != 0 {
				return kt, notFit("%s: store of an unknown value or address", in.Pos)
			}
			switch at.Kind {
			case ValLabel:
				blk, ok := c.pg.main[at.Thread]
				idx, ok2 := c.pg.blocks[blk].labels[at.Label]
				if !ok || !ok2 || blk == c.writer || idx >= len(c.pg.blocks[blk].code) || v.Kind != ValInstr {
					return kt, notFit("%s: store of %v to %v", in.Pos, v, at)
				}
				addr := c.addr[blk][idx]
				w, err := c.encode(v.Instr, blk, idx, -1)
				if err != nil {
					return kt, err
				}
				key := [2]int{blk, idx}
				if _, ok := c.slots[key]; !ok {
					c.slots[key] = len(c.p.Windows)
					c.p.Windows = append(c.p.Windows, model.WindowDef{Name: at.String(), Base: addr, Size: 4, Key: -1})
				}
				bb, l := packBytes(arm64.Word(w))
				kt.Ops = append(kt.Ops, model.Op{Code: model.OpPoke, Fn: "STR", Src: in.Pos.String(), Addr: addr, Bytes: bb, Len: l, B: noMaint})
			case ValSym:
				n, err := c.dataValue(v)
				if err != nil {
					return kt, notFit("%s: store of %v to a variable", in.Pos, v)
				}
				w := c.varWindow(at.Sym)
				bb, l := packBytes(binary.LittleEndian.AppendUint64(nil, n))
				kt.Ops = append(kt.Ops, model.Op{Code: model.OpPoke, Fn: "STR", Src: in.Pos.String(), Addr: c.p.Windows[w].Base, Bytes: bb, Len: l})
			default:
				return kt, notFit("%s: store to %v", in.Pos, at)
			}
		case arm64.OpDCCVAU, arm64.OpICIVAU:
			// DC CVAU Xn; DSB; IC IVAU Xn; DSB (or with IDC, from the
			// IC): caches_clean_inval_pou, one OpCacheMaint.
			seq := []arm64.Op{arm64.OpDCCVAU, arm64.OpDSB, arm64.OpICIVAU, arm64.OpDSB}
			if ai.Op == arm64.OpICIVAU {
				if !c.pg.cache.CleanAtWrite() {
					return kt, notFit("%s: IC IVAU without DC CVAU before it", in.Pos)
				}
				seq = seq[2:]
			}
			if i+len(seq) > len(b.code) {
				return kt, notFit("%s: incomplete cache maintenance", in.Pos)
			}
			at := reg(in.Args[1].Reg)
			for k, op := range seq {
				x := b.code[i+k]
				xi, _ := insn(x)
				if xi.Op != op || op == arm64.OpDSB && !arm64.CompletesMaintenance(xi) || op != arm64.OpDSB && reg(x.Args[1].Reg) != at {
					return kt, notFit("%s: cache maintenance other than DC CVAU; DSB; IC IVAU; DSB", in.Pos)
				}
			}
			if at == nil || at.Kind != ValLabel {
				return kt, notFit("%s: maintenance of %v", in.Pos, at)
			}
			blk := c.pg.main[at.Thread]
			idx := c.pg.blocks[blk].labels[at.Label]
			kt.Ops = append(kt.Ops, model.Op{Code: model.OpCacheMaint, Fn: "caches_clean_inval_pou", Src: in.Pos.String(), Addr: c.addr[blk][idx], Len: 4})
			i += len(seq) - 1
		default:
			return kt, notFit("%s: %s on the writer", in.Pos, in)
		}
	}
	return kt, nil
}

func packBytes(b []byte) ([8]byte, uint8) {
	var out [8]byte
	copy(out[:], b)
	return out, uint8(len(b))
}

// observer returns the thread the condition is about.
func (c *mcomp) observer() (int, error) {
	obs := -1
	var walk func(p *Prop) error
	walk = func(p *Prop) error {
		switch p.Kind {
		case PropAtom:
			if p.Loc.Kind != LocReg || p.Val.Kind != ValInt || p.Val.Int < 0 || p.Val.Int > 4095 {
				return notFit("condition atom %s", p)
			}
			if obs >= 0 && obs != p.Loc.Thread {
				return notFit("condition about two threads")
			}
			obs = p.Loc.Thread
		case PropNot, PropAnd, PropOr:
			for _, a := range p.Args {
				if err := walk(a); err != nil {
					return err
				}
			}
		case PropFault:
			return notFit("condition atom %s", p)
		}
		return nil
	}
	if f := c.t.Cond.Filter; f != nil {
		if err := walk(f); err != nil {
			return 0, err
		}
	}
	if err := walk(c.t.Cond.Prop); err != nil {
		return 0, err
	}
	if obs < 0 {
		return 0, notFit("a condition about no register")
	}
	return obs, nil
}

// xreg maps a litmus register of block bi to an A64 register the model
// keeps: x1, x2, x3, x16, x17 in order of first use.
func (c *mcomp) xreg(bi int, r string) (int, error) {
	r = canonRegOr(r)
	if r == "XZR" {
		return arm64.XZR, nil
	}
	m := c.regs[bi]
	if m == nil {
		m = map[string]int{}
		c.regs[bi] = m
	}
	if x, ok := m[r]; ok {
		return x, nil
	}
	pool := []int{1, 2, 3, 16, 17}
	if len(m) == len(pool) {
		return 0, notFit("more than %d registers on one thread", len(pool))
	}
	m[r] = pool[len(m)]
	return m[r], nil
}

// resolve returns the address of a branch target of in, encoded at slot
// (blk, idx), written by block owner (-1: the init block).
func (c *mcomp) resolve(in *Instr, o Operand, blk, idx, owner int) (uint64, error) {
	nb, np, err := c.pg.target(in, o, owner, blk, idx)
	if err != nil {
		return 0, err
	}
	if nb == c.writer || np < 0 || np > len(c.pg.blocks[nb].code) {
		return 0, notFit("%s: branch into the writer or out of the code", in.Pos)
	}
	return c.addr[nb][np], nil
}

// encode assembles in at slot (blk, idx) of a reader.
func (c *mcomp) encode(in *Instr, blk, idx, owner int) (uint32, error) {
	pc := c.addr[blk][idx]
	ai, ok := insn(in)
	if !ok {
		return 0, notFit("%s: %s", in.Pos, in)
	}
	a := in.Args
	reg := func(i int) (int, error) { return c.xreg(blk, a[i].Reg) }
	switch ai.Op {
	case arm64.OpNop:
		return arm64.InsnNop, nil
	case arm64.OpISB:
		return arm64.InsnISB, nil
	case arm64.OpDSB:
		return 0xd503309f | uint32(ai.Cond)<<8, nil
	case arm64.OpDMB:
		return 0xd50330bf | uint32(ai.Cond)<<8, nil
	case arm64.OpB, arm64.OpBL, arm64.OpBCond:
		to, err := c.resolve(in, a[0], blk, idx, owner)
		if err != nil {
			return 0, err
		}
		if ai.Op == arm64.OpBCond {
			_, cond, _ := strings.Cut(in.Op, ".")
			cc := condCode(cond)
			if w, ok := arm64.BCond(cc, pc, to); ok && cc < 14 {
				return w, nil
			}
			return 0, notFit("%s: condition %s", in.Pos, cond)
		}
		return arm64.MustB(pc, to, ai.Op == arm64.OpBL), nil
	case arm64.OpCBZ, arm64.OpCBNZ:
		r, err := reg(0)
		if err != nil {
			return 0, err
		}
		to, err := c.resolve(in, a[1], blk, idx, owner)
		if err != nil {
			return 0, err
		}
		return arm64.CBZ(r, pc, to, ai.Op == arm64.OpCBNZ), nil
	case arm64.OpBR, arm64.OpBLR, arm64.OpRet:
		r := arm64.X30
		if len(a) > 0 {
			var err error
			if r, err = reg(0); err != nil {
				return 0, err
			}
		}
		return map[arm64.Op]func(int) uint32{arm64.OpBR: arm64.BR, arm64.OpBLR: arm64.BLR, arm64.OpRet: arm64.Ret}[ai.Op](r), nil
	case arm64.OpMovz, arm64.OpOrrReg:
		d, err := reg(0)
		if err != nil {
			return 0, err
		}
		if a[1].Kind == OpImm {
			if a[1].Imm < 0 || a[1].Imm > 0xffff {
				return 0, notFit("%s: immediate", in.Pos)
			}
			return arm64.Movz(d, uint16(a[1].Imm)), nil
		}
		m, err := reg(1)
		if err != nil {
			return 0, err
		}
		return arm64.Logic(arm64.OpOrrReg, d, arm64.XZR, m), nil
	case arm64.OpLdrImm, arm64.OpLdar:
		d, err := reg(0)
		if err != nil {
			return 0, err
		}
		if a[1].Index != "" || a[1].Imm != 0 {
			return 0, notFit("%s: address", in.Pos)
		}
		n, err := c.xreg(blk, a[1].Base)
		if err != nil {
			return 0, err
		}
		return arm64.LdrImm(d, n, 0), nil
	case arm64.OpSubsImm:
		if in.Op != "CMP" || a[1].Kind != OpImm || a[1].Imm < 0 || a[1].Imm > 4095 {
			return 0, notFit("%s: %s", in.Pos, in)
		}
		n, err := reg(0)
		if err != nil {
			return 0, err
		}
		return arm64.SubsImm(arm64.XZR, n, uint32(a[1].Imm)), nil
	case arm64.OpCsinc:
		if in.Op != "CSET" {
			return 0, notFit("%s: %s", in.Pos, in)
		}
		d, err := reg(0)
		if err != nil {
			return 0, err
		}
		return arm64.Csinc(d, arm64.XZR, arm64.XZR, condCode(strings.ToUpper(a[1].Sym))^1), nil
	}
	return 0, notFit("%s: %s on a caller CPU", in.Pos, in)
}

func condCode(c string) uint8 {
	for i, n := range []string{"EQ", "NE", "CS", "CC", "MI", "PL", "VS", "VC", "HI", "LS", "GE", "LT", "GT", "LE", "AL"} {
		if n == c || c == "HS" && i == 2 || c == "LO" && i == 3 {
			return uint8(i)
		}
	}
	return 15
}

// reader assembles block bi: prologue, code, epilogue.
func (c *mcomp) reader(bi int, observe bool, prop *Prop) ([]byte, error) {
	b := &c.pg.blocks[bi]
	var out []byte
	emit := func(w uint32) { out = binary.LittleEndian.AppendUint32(out, w) }
	epi := c.addr[bi][len(b.code)]
	start := c.addr[bi][0] - 4*uint64(c.pro[bi])
	pc := func() uint64 { return start + uint64(len(out)) }
	emit(arm64.StpPre(arm64.X29, arm64.X30, arm64.SP, -16))
	w, _ := arm64.ADR(arm64.X30, pc(), epi)
	emit(w)
	for _, it := range c.initsOf(b.proc) {
		r, err := c.xreg(bi, it.Loc.Reg)
		if err != nil {
			return nil, err
		}
		v := it.Value
		switch v.Kind {
		case ValInt:
			if v.Int < 0 || v.Int > 0xffff {
				return nil, notFit("%s: initial value", v.Pos)
			}
			emit(arm64.Movz(r, uint16(v.Int)))
		case ValLabel:
			blk, ok := c.pg.main[v.Thread]
			idx, ok2 := c.pg.blocks[blk].labels[v.Label]
			if !ok || !ok2 || blk == c.writer {
				return nil, notFit("%s: initial value %v", v.Pos, v)
			}
			w, _ := arm64.ADR(r, pc(), c.addr[blk][idx])
			emit(w)
		case ValSym:
			a := c.p.Windows[c.varWindow(v.Sym)].Base
			emit(arm64.ADRP(r, pc(), a))
			emit(arm64.AddImm(r, r, uint32(a&0xfff)))
		default:
			return nil, notFit("%s: initial value %v", v.Pos, v)
		}
	}
	for i, in := range b.code {
		w, err := c.encode(in, bi, i, bi)
		if err != nil {
			return nil, err
		}
		emit(w)
	}
	n0 := len(out)
	if observe {
		free := []int{arm64.X29, arm64.X30}
		if err := c.evalProp(bi, prop, arm64.X0, free, emit); err != nil {
			return nil, err
		}
	} else {
		emit(arm64.Movz(arm64.X0, 0))
	}
	emit(arm64.LdpPost(arm64.X29, arm64.X30, arm64.SP, 16))
	emit(arm64.Ret(arm64.X30))
	if (len(out)-n0)/4 > epilogueMax {
		return nil, notFit("condition too long")
	}
	for len(out)-n0 < 4*epilogueMax {
		emit(arm64.InsnNop)
	}
	return out, nil
}

// evalProp emits code leaving p's truth (0 or 1) in dst.
func (c *mcomp) evalProp(bi int, p *Prop, dst int, free []int, emit func(uint32)) error {
	switch p.Kind {
	case PropTrue, PropFalse:
		emit(arm64.Movz(dst, uint16(b2u(p.Kind == PropTrue))))
	case PropAtom:
		r, err := c.xreg(bi, p.Loc.Reg)
		if err != nil {
			return err
		}
		emit(arm64.SubsImm(arm64.XZR, r, uint32(p.Val.Int)))
		emit(arm64.Csinc(dst, arm64.XZR, arm64.XZR, 1)) // cset dst, eq
	case PropNot:
		if err := c.evalProp(bi, p.Args[0], dst, free, emit); err != nil {
			return err
		}
		emit(arm64.SubsImm(arm64.XZR, dst, 0))
		emit(arm64.Csinc(dst, arm64.XZR, arm64.XZR, 1))
	default:
		if len(free) == 0 {
			return notFit("condition too deep")
		}
		if err := c.evalProp(bi, p.Args[0], dst, free, emit); err != nil {
			return err
		}
		if err := c.evalProp(bi, p.Args[1], free[0], free[1:], emit); err != nil {
			return err
		}
		op := arm64.OpAndReg
		if p.Kind == PropOr {
			op = arm64.OpOrrReg
		}
		emit(arm64.Logic(op, dst, dst, free[0]))
	}
	return nil
}

func b2u(b bool) int {
	if b {
		return 1
	}
	return 0
}
