package litmus

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const sample = `AArch64 SM.sample
"a doc string"
CacheType=DIC
{
  0:X0=NOP; 0:X1=P0:m0; 0:X9=0; 0:X2=instr:"B .+8";
  ins_t *1:X3; [x]=1; 1:X3=x; 1:X4=label:"P0:l0";
}
 P0              | P1          ;
    STR W0,[X1]  | LDR W2,[X3] ;
    DC CVAU,X1   | CMP W2,#1   ;
    DSB ISH      | B.NE l1     ;
    IC IVAU,X1   | MOV W5,#2   ;
    DSB ISH      |l1:          ;
    ISB          |             ;
m0: B l0         |             ;
    MOV W9,#1    |             ;
l0:              |             ;
exists (0:X9=0 /\ ~(1:X2=2) \/ [x]=1) (* trailing (* nested *) comment *)
`

func TestParseSample(t *testing.T) {
	tt, err := Parse("s.litmus", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if tt.Name != "SM.sample" || tt.Doc != "a doc string" || tt.InfoValue("CacheType") != "DIC" {
		t.Errorf("header: %+v", tt)
	}
	if len(tt.Threads) != 2 || len(tt.Threads[0].Code) != 9 || len(tt.Threads[1].Code) != 5 {
		t.Fatalf("threads: %d", len(tt.Threads))
	}
	if got := tt.Threads[0].Code[6]; got.Labels[0] != "m0" || got.Instr.String() != "B l0" {
		t.Errorf("row 7: %+v", got)
	}
	if got := tt.Threads[1].Code[2].Instr.Op; got != "B.NE" {
		t.Errorf("B.NE: %q", got)
	}
	if got := tt.Init[3].Value; got.Kind != ValInstr || got.Instr.Args[0].Kind != OpRel || got.Instr.Args[0].Imm != 8 {
		t.Errorf("instr value: %+v", got)
	}
	if got := tt.Init[4]; got.Type != "ins_t" || !got.Pointer || got.Value != nil {
		t.Errorf("declaration: %+v", got)
	}
	if got := tt.Cond.Prop.String(); got != `((0:X9=0 /\ ~(1:X2=2)) \/ [x]=1)` {
		t.Errorf("condition: %s", got)
	}
	r, err := Explore(tt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != "Allowed" {
		t.Errorf("verdict %s", r.Verdict)
	}
}

// TestExploreSM checks the canonical self-modifying sequence: with the full
// DC/DSB/IC/DSB/ISB sequence the old instruction cannot run; without the
// ISB it can.
func TestExploreSM(t *testing.T) {
	prog := func(isb string) string {
		return `AArch64 SM
{ 0:X0=NOP; 0:X1=P0:m0; 0:X9=0; }
P0 ;
 STR W0,[X1] ;
 DC CVAU,X1 ;
 DSB ISH ;
 IC IVAU,X1 ;
 DSB ISH ;
 ` + isb + ` ;
m0: B l0 ;
 MOV W9,#1 ;
l0: ;
exists 0:X9=0
`
	}
	for isb, want := range map[string]string{"ISB": "Forbidden", "NOP": "Allowed"} {
		tt, err := Parse("sm", []byte(prog(isb)))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Explore(tt, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != want {
			t.Errorf("with %s: %s, want %s (states %v)", isb, r.Verdict, want, r.States)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"", "1:1: empty file"},
		{"AArch64\n", "1:1: header"},
		{"X86 T\n{}\nP0;\nNOP;\nexists 0:X0=1", "architecture"},
		{"AArch64 T\n{ 0:X0=1; \n", "2:1: unterminated init block"},
		{"AArch64 T\n(* open\n", "2:1: unterminated comment"},
		{"AArch64 T\n{ 0:X0=; }\nP0;\nNOP;\nexists 0:X0=1", "missing value"},
		{"AArch64 T\n{ }\nP0 | Q1 ;\nNOP | NOP;\nexists 0:X0=1", "3:6: thread header"},
		{"AArch64 T\n{ }\nP0 ;\n FOO X1 ;\nexists 0:X0=1", "4:2: unknown instruction"},
		{"AArch64 T\n{ }\nP0 ;\n STR W0 ;\nexists 0:X0=1", "want 2 operands"},
		{"AArch64 T\n{ }\nP0 ;\n NOP ;\nexists (0:X0=1", "want ')'"},
		{"AArch64 T\n{ }\nP0 ;\n NOP ;\nexists 0:X0=1 /\\", "unexpected end"},
		{"AArch64 T\n{ }\nP0 ;\n NOP ;\n", "missing final condition"},
		{"AArch64 T\n{ 0:X1=P0:nowhere; }\nP0 ;\n NOP ;\nexists 0:X0=1", "label P0:nowhere is not defined"},
		{"AArch64 T\n{ }\nP0 ;\n NOP | NOP ;\nexists 0:X0=1", "4:8: code row has 2 columns"},
		{"AArch64 T\n{ }\nP0 ;\n NOP ;\nexists 3:X0=1", "thread P3 does not exist"},
	}
	for _, c := range cases {
		_, err := Parse("f.litmus", []byte(c.src))
		var pe *Error
		if err == nil || !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want an *Error containing %q", c.src, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "f.litmus:") {
			t.Errorf("%q: got %q, want it to contain %q", c.src, err, c.want)
		}
	}
}

// FuzzParseLitmus checks that the parser never panics and that whatever it
// accepts, the explorer handles without panicking (bounded).
func FuzzParseLitmus(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzParseLitmus.
	f.Add([]byte(sample))
	for _, c := range condSeeds {
		f.Add([]byte(condTest(c)))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tt, err := Parse("fuzz", src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		_, _ = Explore(tt, Options{MaxStates: 2000, Budget: 100 * time.Millisecond})
	})
}

// condSeeds (here, beside FuzzParseLitmus: go-118-fuzz-build compiles
// the target's file alone) are herd7 final conditions for FuzzParseLitmus's seeds: every
// form of lib/stateParser.mly the parser reads, and near misses.
var condSeeds = []string{
	`exists 0:X0==1 /\ 0:X1<>2 \/ not 1:X2!=2`,
	`forall 0:X0=1 => 0:X1=2 => fault(P1:m0)`,
	`not exists (fault(P1) /\ 1:X2=2)`,
	`final 0:X0=1;`,
	`locations [0:X0;] filter fault(P1:m0,x) ~exists 1:X2=2; with A: exists; B: ~exists`,
	`exists Fault(P1:m0,x,MMU:Translation)`,
	`exists fault(P1:m0:x)`,
	`exists 0:X0=>1`,
	`filter exists`,
	`exists 0:X0=1 with`,
}

// condTest is a small test whose final condition is cond: P0 sets X0=1
// and X1=2; P1 jumps through the slot m0 that P0 overwrites with the
// value 0 (not an instruction), so P1 faults at m0 once P0's store is
// visible, and its handler P1.F sets X2=2 and returns.
func condTest(cond string) string {
	return `AArch64 cond
{
0:X3=0; 0:X4=P1:m0;
}
 P0          | P1    | P1.F           ;
 MOV W0,#1   |m0:    | MOV W2,#2      ;
 MOV W1,#2   | B l1  | ADR X9,l1      ;
 STR W3,[X4] |l1:    | MSR ELR_EL1,X9 ;
             |       | ERET           ;
` + cond + "\n"
}
