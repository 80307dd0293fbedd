// Package litmus parses AArch64 litmus tests in herd7's syntax (the subset
// used by Arm's aarch64-ifetch catalogue) and explores them with a small
// operational instruction-fetch model (see explore.go and
// docs/arm64-ifetch.md).
package litmus

import "fmt"

// Pos is a position in a litmus file; Line and Col count from 1.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is a parse error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Test is one parsed litmus test.
type Test struct {
	Arch, Name string
	Doc        string     // the quoted doc string, if any
	Info       []KeyValue // header lines such as CacheType=DIC, in order
	Init       []InitItem
	Threads    []*Thread
	Cond       *Condition
}

// KeyValue is a header line KEY=VALUE.
type KeyValue struct {
	Pos        Pos
	Key, Value string
}

// InfoValue returns the value of header key k, or "".
func (t *Test) InfoValue(k string) string {
	for _, kv := range t.Info {
		if kv.Key == k {
			return kv.Value
		}
	}
	return ""
}

// infoPos returns the position of header key k's value, or the test's
// first header line.
func (t *Test) infoPos(k string) Pos {
	for _, kv := range t.Info {
		if kv.Key == k {
			return kv.Pos
		}
	}
	return Pos{}
}

// InitItem is one item of the init block: a register or memory
// initialisation, or a bare type declaration (Value nil).
type InitItem struct {
	Pos     Pos
	Type    string // "ins_t", "void", "" ...
	Pointer bool   // declared with '*'
	Loc     Location
	Value   *Value
}

// LocKind says what a Location names.
type LocKind int

// Location kinds.
const (
	LocReg LocKind = iota // P:REG
	LocMem                // VAR, [VAR]
)

// Location is a register of a thread or a memory variable.
type Location struct {
	Kind   LocKind
	Thread int    // for LocReg
	Reg    string // canonical X name for LocReg ("X9" for W9)
	Var    string // for LocMem
}

func (l Location) String() string {
	if l.Kind == LocReg {
		return fmt.Sprintf("%d:%s", l.Thread, l.Reg)
	}
	return "[" + l.Var + "]"
}

// ValKind says what a Value is.
type ValKind int

// Value kinds.
const (
	ValInt    ValKind = iota
	ValInstr          // an instruction encoding: NOP, instr:"B .+8"
	ValLabel          // a code address: P1:L0, label:"P1:L0"
	ValSym            // a memory variable's address: x
	ValOpaque         // anything else herd accepts that we keep as text: (oa:phy_x)
)

// Value is an initial or final value.
type Value struct {
	Pos    Pos
	Kind   ValKind
	Int    int64
	Instr  *Instr // ValInstr
	Thread int    // ValLabel
	Label  string // ValLabel
	Sym    string // ValSym, ValOpaque
}

func (v *Value) String() string {
	switch v.Kind {
	case ValInt:
		return fmt.Sprint(v.Int)
	case ValInstr:
		return v.Instr.String()
	case ValLabel:
		return fmt.Sprintf("P%d:%s", v.Thread, v.Label)
	}
	return v.Sym
}

// Thread is one column of code. A column named "Pn.F" is the exception
// handler of thread n (Fault set).
type Thread struct {
	Pos   Pos
	Name  string
	Proc  int
	Fault bool
	Code  []Line
}

// Line is one cell of a column: optional labels and an optional instruction.
type Line struct {
	Pos    Pos
	Labels []string
	Instr  *Instr
}

// Instr is one instruction.
type Instr struct {
	Pos  Pos
	Op   string // upper case, with condition suffix: "B.NE"
	Args []Operand
}

func (in *Instr) String() string {
	s := in.Op
	for i, a := range in.Args {
		if i == 0 {
			s += " "
		} else {
			s += ","
		}
		s += a.String()
	}
	return s
}

// OpKind says what an Operand is.
type OpKind int

// Operand kinds.
const (
	OpReg OpKind = iota // W1, X1, WZR, XZR, SP
	OpImm               // #1
	OpMem               // [X1], [X1,W2,SXTW], [X1,#8]
	OpSym               // a label, condition code, system operand: L0, EQ, CVAU, ISH, ELR_EL1
	OpRel               // .+12
)

// Operand is one instruction operand.
type Operand struct {
	Kind  OpKind
	Reg   string // OpReg: as written, upper case ("W1")
	Imm   int64  // OpImm, OpRel, OpMem offset
	Sym   string // OpSym (as written), OpMem extend ("SXTW")
	Base  string // OpMem
	Index string // OpMem index register, "" if none
}

func (o Operand) String() string {
	switch o.Kind {
	case OpReg:
		return o.Reg
	case OpImm:
		return fmt.Sprintf("#%d", o.Imm)
	case OpRel:
		return fmt.Sprintf(".%+d", o.Imm)
	case OpMem:
		s := "[" + o.Base
		if o.Index != "" {
			s += "," + o.Index
		} else if o.Imm != 0 {
			s += fmt.Sprintf(",#%d", o.Imm)
		}
		if o.Sym != "" {
			s += "," + o.Sym
		}
		return s + "]"
	}
	return o.Sym
}

// Quant is the quantifier of the final condition.
type Quant int

// Quantifiers.
const (
	Exists Quant = iota
	NotExists
	Forall
)

func (q Quant) String() string {
	return [...]string{"exists", "~exists", "forall"}[q]
}

// Condition is the final condition.
type Condition struct {
	Pos   Pos
	Quant Quant
	Prop  *Prop
	// Filter is herd7's "filter PROP": final states in which it does
	// not hold are discarded before the condition is checked (nil: none).
	Filter *Prop
	// With is herd7's "with NAME: exists; ...": kinds declared for the
	// test, kept as written (they do not change the verdict).
	With []WithKind
}

// WithKind is one "NAME: exists|~exists|forall" of a with clause.
type WithKind struct {
	Name  string
	Quant Quant
}

// PropKind says what a Prop node is.
type PropKind int

// Prop kinds.
const (
	PropTrue PropKind = iota
	PropFalse
	PropAtom
	PropNot
	PropAnd
	PropOr
	// PropFault is herd7's fault(Pn[:L][, ARG]): thread n took an
	// exception (at the instruction labelled L). "a => b" is kept as
	// PropOr of ~a and b, "a != v" as ~(a=v), as herd7 reads them.
	PropFault
)

// Prop is a proposition over final values.
type Prop struct {
	Pos  Pos
	Kind PropKind
	Loc  Location // PropAtom
	Val  *Value   // PropAtom
	Args []*Prop  // PropNot (1), PropAnd, PropOr (2)
	// PropFault: Loc.Thread, Label ("" for any instruction), and Arg
	// (a location or a fault type, "" for none).
	Label, Arg string
}

func (p *Prop) String() string {
	switch p.Kind {
	case PropTrue:
		return "true"
	case PropFalse:
		return "false"
	case PropAtom:
		return p.Loc.String() + "=" + p.Val.String()
	case PropFault:
		out := fmt.Sprintf("fault(P%d", p.Loc.Thread)
		if p.Label != "" {
			out += ":" + p.Label
		}
		if p.Arg != "" {
			out += "," + p.Arg
		}
		return out + ")"
	case PropNot:
		return "~(" + p.Args[0].String() + ")"
	case PropAnd:
		return "(" + p.Args[0].String() + " /\\ " + p.Args[1].String() + ")"
	}
	return "(" + p.Args[0].String() + " \\/ " + p.Args[1].String() + ")"
}
