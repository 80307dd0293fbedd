package scenario

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// fullExample uses every directive and every form.
const fullExample = `# patchcheck scenario: a Jcc tail-call site racing an update
scenario jcc-race   # names may contain . and -
doc	a conditional  tail call races static_call_update   
arch x86-64
variant kernel
fetch granule16

target f1
target f2 f_3.x
key k init=f1
key h init=NULL
key z init=return0
site s1 key=k kind=call
site s2 kind=jcc key=k
site s3 key=h kind=tail

cpu s1 s2 tramp(k)
	cpu   s3
cpu
thread t0: update k f2; update k return0
thread t1 :update h f1;update z NULL
thread idle:

bound depth=40 states=100000
expect violation no-torn-fetch
`

var fullWant = &Scenario{
	Name:    "jcc-race",
	Doc:     "a conditional  tail call races static_call_update",
	Arch:    "x86-64",
	Variant: "kernel",
	Fetch:   "granule16",
	Targets: []string{"f1", "f2", "f_3.x"},
	Keys:    []Key{{Name: "k", Init: "f1"}, {Name: "h", Init: Null}, {Name: "z", Init: Return0}},
	Sites: []Site{
		{Name: "s1", Key: "k", Kind: KindCall},
		{Name: "s2", Key: "k", Kind: KindJcc},
		{Name: "s3", Key: "h", Kind: KindTail},
	},
	CPUs: []CPU{{Calls: []string{"s1", "s2", "tramp(k)"}}, {Calls: []string{"s3"}}, {}},
	Threads: []Thread{
		{"t0", []Op{Update("k", "f2"), Update("k", Return0)}},
		{"t1", []Op{Update("h", "f1"), Update("z", Null)}},
		{"idle", nil},
	},
	Bounds: Bounds{Depth: 40, States: 100000},
	Expect: Expect{Verdict: "violation", Property: "no-torn-fetch"},
}

func TestParseFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
	}{
		{"LF", fullExample},
		{"CRLF", strings.ReplaceAll(fullExample, "\n", "\r\n")},
		{"BOM", "\ufeff" + fullExample},
		{"no final newline", strings.TrimSuffix(fullExample, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("full.scn", []byte(tc.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s, fullWant) {
				t.Errorf("got\n%#v\nwant\n%#v", s, fullWant)
			}
		})
	}
}

func TestParseMinimal(t *testing.T) {
	s, err := Parse("min.scn", []byte("scenario m\narch x86-64\ncpu\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{Name: "m", Arch: "x86-64", CPUs: []CPU{{}}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %#v, want %#v", s, want)
	}
}

// head is a valid start that the error cases extend; it is 7 lines long.
const head = `scenario e
arch x86-64
target f g
key k init=f
key h init=NULL
site s key=k kind=call
cpu s
`

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string // "line:col: message"
	}{
		// Missing required directives: reported at the end of the file.
		{"", "1:1: missing scenario directive"},
		{"# just a comment\n", "2:1: missing scenario directive"},
		{"scenario a\ncpu", "2:4: missing arch directive"},
		{"scenario a\narch x86-64\n", "3:1: missing cpu directive"},
		{"arch x86-64\ncpu\n", "3:1: missing scenario directive"},

		// Lexical errors.
		{"scenario a\x00b\n", "1:11: invalid control character U+0000"},
		{"scenario \xffab\n", "1:10: invalid UTF-8 encoding"},
		{"scenario é\xff\n", "1:11: invalid UTF-8 encoding"},
		{"scenario a\rb\n", "1:11: invalid control character U+000D"},
		{"\tfoo bar\n", "1:2: unknown directive \"foo\""},
		{"Scenario a\n", "1:1: unknown directive \"Scenario\""},
		{"scenario " + strings.Repeat("x", 100) + " y\n", "1:111: scenario: unexpected \"y\""},
		{"unknown" + strings.Repeat("x", 100) + "\n", `1:1: unknown directive "unknownxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...`},

		// scenario, doc, arch, variant, fetch.
		{"scenario\n", "1:9: scenario: missing NAME"},
		{"scenario 1a\n", "1:10: invalid scenario name \"1a\""},
		{"scenario a:b\n", "1:10: invalid scenario name \"a:b\""},
		{"scenario a\nscenario b\n", "2:1: scenario given twice (first at line 1)"},
		{"doc\n", "1:4: doc: missing text"},
		{"doc x\n  doc y\n", "2:3: doc given twice (first at line 1)"},
		{"arch\n", "1:5: arch: missing NAME"},
		{"arch a b\n", "1:8: arch: unexpected \"b\""},
		{"arch x86/64\n", "1:6: invalid arch name \"x86/64\""},
		{"arch a\narch a\n", "2:1: arch given twice (first at line 1)"},
		{"variant v\nvariant v\n", "2:1: variant given twice (first at line 1)"},
		{"fetch tramp(k)\n", "1:7: invalid fetch name \"tramp(k)\""},

		// target.
		{"target\n", "1:7: target: missing NAME"},
		{"target f NULL\n", "1:10: target NULL is built in and cannot be declared"},
		{"target return0\n", "1:8: target return0 is built in and cannot be declared"},
		{"target f\ntarget g  f\n", "2:11: target \"f\" declared twice (first at 1:8)"},
		{"target f 9\n", "1:10: invalid target name \"9\""},

		// key.
		{"key\n", "1:4: key: missing NAME"},
		{"key k\n", "1:6: key k: missing init=TARGET"},
		{"key k init\n", "1:7: key: unexpected \"init\" (want init=, export=, module=)"},
		{"key k init=\n", "1:12: key: missing value after init="},
		{"key k kind=call\n", "1:7: key: unknown attribute \"kind=\" (want init=, export=, module=)"},
		{"key k init=NULL init=NULL\n", "1:17: key: init= given twice"},
		{"key k init=f\n", "1:12: key \"k\": unknown target \"f\" (declare it first with target)"},
		{"key k init=f\ntarget f\n", "1:12: key \"k\": unknown target \"f\""},
		{"key k init=f()\n", "1:12: invalid target name \"f()\""},
		{head + "key k init=g\n", "8:5: key \"k\" declared twice (first at 4:5)"},
		{head + "key s init=g\n", "8:5: key \"s\": name taken by the site at 6:6"},

		// site.
		{"site\n", "1:5: site: missing NAME"},
		{head + "site t key=k\n", "8:13: site t: missing kind=call|tail|jcc"},
		{head + "site t kind=tail\n", "8:17: site t: missing key=KEY"},
		{head + "site t key=k kind=ret\n", "8:19: site \"t\": unknown kind \"ret\" (want call, tail or jcc)"},
		{head + "site t key=q kind=tail\n", "8:12: site \"t\": unknown key \"q\" (declare it first with key)"},
		{head + "site s key=k kind=tail\n", "8:6: site \"s\" declared twice (first at 6:6)"},
		{head + "site h key=k kind=tail\n", "8:6: site \"h\": name taken by the key at 5:5"},
		{head + "site t key=k kind=jcc x\n", "8:23: site: unexpected \"x\" (want key=, kind=, section=, module=, keyref=)"},

		// place, key module=, caller.
		{"place\n", "1:6: place: missing TARGET"},
		{head + "place f\n", "8:8: place f: missing module=MODULE or range=far"},
		{head + "place q range=far\n", "8:7: place: unknown target \"q\" (declare it first with target)"},
		{head + "place NULL range=far\n", "8:7: place: target NULL is built in and cannot be placed"},
		{head + "place f range=near\n", "8:15: place f: unknown range \"near\" (want far)"},
		{head + "place f module=m\n", "8:16: place \"f\": unknown module \"m\" (declare it first with module)"},
		{head + "place f range=far\nplace f range=far\n", "9:7: place: target \"f\" placed twice (first at 8:7)"},
		{head + "place f kind=far\n", "8:9: place: unknown attribute \"kind=\" (want module=, range=)"},
		{head + "key q init=f module=m\n", "8:21: key \"q\": unknown module \"m\" (declare it first with module)"},
		{"caller\n", "1:7: caller: missing NAME"},
		{head + "caller c\n", "8:9: caller c: missing key=KEY"},
		{head + "caller c key=q\n", "8:14: caller \"c\": unknown key \"q\" (declare it first with key)"},
		{head + "caller s key=k\n", "8:8: caller \"s\": name taken by the site at 6:6"},
		{head + "caller k key=k\n", "8:8: caller \"k\": name taken by the key at 4:5"},
		{head + "caller c key=k module=m\n", "8:23: caller \"c\": unknown module \"m\""},
		{head + "caller c key=k\nsite c key=k kind=call\n", "9:6: site \"c\": name taken by the caller at 8:8"},
		{head + "caller c key=k\nkey c init=f\n", "9:5: key \"c\": name taken by the caller at 8:8"},

		// cpu.
		{head + "cpu s t\n", "8:7: cpu: unknown site \"t\" (declare it first with site)"},
		{head + "cpu tramp(q)\n", "8:11: cpu: unknown key \"q\" in tramp(q)"},
		{head + "cpu tramp()\n", "8:11: invalid key name \"\""},
		{head + "cpu tramp(k\n", "8:5: cpu: invalid call \"tramp(k\" (want SITE, CALLER or tramp(KEY))"},
		{head + "cpu tramp(k)x\n", "8:5: cpu: invalid call \"tramp(k)x\""},
		{head + "cpu k\n", "8:5: cpu: unknown site \"k\""},
		{head + "cpu s,s\n", "8:5: invalid site name \"s,s\""},
		{"cpu s\n", "1:5: cpu: unknown site \"s\""},

		// thread.
		{head + "thread\n", "8:7: thread: missing NAME"},
		{head + "thread t\n", "8:9: thread \"t\": missing ':' after the name"},
		{head + "thread t update k g\n", "8:9: thread \"t\": missing ':' after the name"},
		{head + "thread : update k g\n", "8:8: thread: missing NAME before ':'"},
		{head + "thread t u: update k g\n", "8:10: thread \"t\": unexpected \"u\" before ':'"},
		{head + "thread 0t: update k g\n", "8:8: invalid thread name \"0t\""},
		{head + "thread t: update k g;\n", "8:21: thread \"t\": empty operation"},
		{head + "thread t: ; update k g\n", "8:11: thread \"t\": empty operation"},
		{head + "thread t: update k g; ;update k f\n", "8:23: thread \"t\": empty operation"},
		{head + "thread t: update k g update k f\n", "8:22: thread \"t\": update: unexpected \"update\" (separate operations with ';')"},
		{head + "thread t: update k\n", "8:19: thread \"t\": update: missing TARGET"},
		{head + "thread t: update\n", "8:17: thread \"t\": update: missing KEY"},
		{head + "thread t: patch k g\n", "8:11: thread \"t\": unknown operation \"patch\""},
		{head + "thread t: update q g\n", "8:18: thread \"t\": unknown key \"q\""},
		{head + "thread t: update k q\n", "8:20: thread \"t\": unknown target \"q\""},
		{head + "thread t: update s g\n", "8:18: thread \"t\": unknown key \"s\""},
		{head + "thread t: update k g\nthread t: update k f\n", "9:8: thread \"t\" declared twice (first at 8:8)"},
		{head + "thread t: update k g:h\n", "8:20: invalid target name \"g:h\""},

		// bound.
		{"bound\n", "1:6: bound: missing depth=N or states=N"},
		{"bound depth=-1\n", "1:13: bound: depth=\"-1\" is not a non-negative decimal integer"},
		{"bound depth=1 states=0x10\n", "1:22: bound: states=\"0x10\" is not a non-negative decimal integer"},
		{"bound depth=1000000001\n", "1:13: bound: depth=\"1000000001\" is too large (at most 1000000000)"},
		{"bound states=99999999999999999999999999999999\n", "1:14: bound: states=\"99999999999999999999999999999999\" is too large"},
		{"bound depth=1 depth=2\n", "1:15: bound: depth= given twice"},
		{"bound depth=1\nbound states=1\n", "2:1: bound given twice (first at line 1)"},
		{"bound steps=1\n", "1:7: bound: unknown attribute \"steps=\" (want depth=, states=)"},

		// expect.
		{"expect\n", "1:7: expect: missing verdict (want safe, violation PROPERTY or warning PROPERTY)"},
		{"expect unsafe\n", "1:8: expect: unknown verdict \"unsafe\""},
		{"expect safe now\n", "1:13: expect: unexpected \"now\""},
		{"expect violation\n", "1:17: expect: missing PROPERTY"},
		{"expect violation p q\n", "1:20: expect: unexpected \"q\""},
		{"expect violation p!\n", "1:18: invalid property name \"p!\""},
		{"expect safe\nexpect safe\n", "2:1: expect given twice (first at line 1)"},

		// jump module=.
		{"static_key k\njump j key=k module=m\n", "2:21: jump \"j\": unknown module \"m\" (declare it first with module)"},
		{"module m\nstatic_key k\njump j key=k module=m module=m\n", "3:23: jump: module= given twice"},

		// Columns count runes, not bytes; comments are not checked.
		{"doc ééé # \xff\x00\nscenario ééé\n", "2:10: invalid scenario name \"ééé\""},
		{"doc ééé\tx\n   \t unknown\n", "2:6: unknown directive \"unknown\""},
		// CRLF line ends.
		{"scenario a\r\narch\r\n", "2:5: arch: missing NAME"},
	} {
		_, err := Parse("t.scn", []byte(tc.src), nil)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %s", tc.src, tc.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e != err {
			t.Errorf("Parse(%q): error %T is not *Error", tc.src, err)
			continue
		}
		if want := "t.scn:" + tc.want; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.src, err, want)
		}
		if got := fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg); got != err.Error()[len("t.scn:"):] {
			t.Errorf("fields %q disagree with Error() %q", got, err)
		}
	}
}

func TestParseCheck(t *testing.T) {
	errNo := errors.New("no such thing")
	var calls []string
	opt := &ParseOptions{Check: func(field, value string) error {
		calls = append(calls, field+"="+value)
		if value == "bad" {
			return errNo
		}
		return nil
	}}
	_, err := Parse("c.scn", []byte(fullExample), opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arch=x86-64", "variant=kernel", "fetch=granule16", "property=no-torn-fetch"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("Check calls %q, want %q", calls, want)
	}
	for _, tc := range []struct{ src, want string }{
		{"arch  bad\n", "c.scn:1:7: no such thing"},
		{"variant bad\n", "c.scn:1:9: no such thing"},
		{"fetch bad\n", "c.scn:1:7: no such thing"},
		{"expect violation bad\n", "c.scn:1:18: no such thing"},
	} {
		_, err := Parse("c.scn", []byte(tc.src), opt)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) = %v, want %s", tc.src, err, tc.want)
		}
		if !errors.Is(err, errNo) {
			t.Errorf("Parse(%q): error does not wrap the Check error", tc.src)
		}
	}
}

func TestErrorNoFile(t *testing.T) {
	_, err := Parse("", []byte("bogus"), nil)
	if err == nil || err.Error() != "1:1: unknown directive \"bogus\"" {
		t.Errorf("got %v", err)
	}
}

func TestParseHuge(t *testing.T) {
	// A very long line and many lines: no panic, sensible positions.
	long := head + strings.Repeat(" ", 400000) + "bogus\n"
	_, err := Parse("h.scn", []byte(long), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "h.scn:8:400001: unknown directive \"bogus\"") {
		t.Errorf("got %v", err)
	}
	// A CPU with more calls than the model holds: an error at the first
	// call past the limit.
	long = head + "cpu" + strings.Repeat(" s", 200000) + " t\n"
	_, err = Parse("h.scn", []byte(long), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "h.scn:8:515: cpu 1: more than 255 calls") {
		t.Errorf("got %v", err)
	}
	many := strings.Repeat("# c\n", 100000) + head
	s, err := Parse("h.scn", []byte(many), nil)
	if err != nil || len(s.CPUs) != 1 {
		t.Errorf("got %v, %v", s, err)
	}
}

// TestDocExample parses the example in docs/scenario-format.md.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-format.md")
	if err != nil {
		t.Skip(err)
	}
	_, after, ok := strings.Cut(string(doc), "## Example\n\n```\n")
	src, _, ok2 := strings.Cut(after, "```\n")
	if !ok || !ok2 {
		t.Fatal("no example in docs/scenario-format.md")
	}
	s, err := Parse("doc.scn", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.CPUs) != 3 || len(s.Threads) != 2 || s.Expect.Property != "no-torn-fetch" {
		t.Errorf("unexpected result %#v", s)
	}
	roundTrip(t, s)
}
