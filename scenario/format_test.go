package scenario

import (
	"strings"
	"testing"
	"unicode"

	"pgregory.net/rapid"
)

func TestFormatCanonical(t *testing.T) {
	const want = `# patchcheck scenario

scenario jcc-race
doc a conditional  tail call races static_call_update
arch x86-64
variant kernel
fetch granule16

target f1 f2 f_3.x
key k init=f1
key h init=NULL
key z init=return0
site s1 key=k kind=call
site s2 key=k kind=jcc
site s3 key=h kind=tail

cpu s1 s2 tramp(k)
cpu s3
cpu
thread t0: update k f2; update k return0
thread t1: update h f1; update z NULL
thread idle:

bound depth=40 states=100000
expect violation no-torn-fetch
`
	if got := string(Format(fullWant)); got != want {
		t.Errorf("Format:\n%s\nwant\n%s", got, want)
	}
	const min = "# patchcheck scenario\n\nscenario m\narch x86-64\n\ncpu\n"
	if got := string(Format(New("m").Arch("x86-64").CPU().MustBuild())); got != min {
		t.Errorf("Format:\n%s\nwant\n%s", got, min)
	}
}

// fataler is what roundTrip needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func roundTrip(t fataler, s *Scenario) {
	t.Helper()
	text := Format(s)
	got, err := Parse("rt.scn", text, nil)
	if err != nil {
		t.Fatalf("Parse(Format(s)): %v\n%s", err, text)
	}
	if !equalPlans(got, s) {
		t.Fatalf("Parse(Format(s)) differs:\n got %#v\nwant %#v\n%s", got, s, text)
	}
	if again := Format(got); string(again) != string(text) {
		t.Fatalf("Format not stable:\n%s\nthen\n%s", text, again)
	}
}

func TestRoundTrip(t *testing.T) {
	for name, s := range map[string]*Scenario{
		"full":    fullWant,
		"minimal": New("m").Arch("x86-64").CPU().MustBuild(),
		"tramp only": New("t").Arch("x86-64").Key("k", Return0).
			CPU(TrampCall("k"), TrampCall("k")).Thread("u", Update("k", Null)).MustBuild(),
		"module jumps": {Name: "j", Arch: "x86-64", Modules: []string{"m"},
			StaticKeys: []StaticKey{{Name: "k"}},
			Jumps: []Jump{{Name: "j0", Key: "k"}, {Name: "j1", Key: "k", Module: "m"},
				{Name: "j2", Key: "k", Likely: true, Size: JumpSize8, Section: SectionInit, Module: "m"}},
			CPUs:    []CPU{{Calls: []string{"j1", "j0"}}, {Calls: []string{"j2"}}},
			Threads: []Thread{{"t", []Op{{Kind: OpKeyEnable, Key: "k"}}}, {"u", []Op{{Kind: OpLoad, Module: "m"}}}},
		},
		"depth only":  New("d").Arch("a").CPU().Bounds(7, 0).ExpectSafe().MustBuild(),
		"states only": New("d").Arch("a").CPU().Bounds(0, 1e9).MustBuild(),
		"doc": New("doc").Doc("tabs\tand ünïcödé, (punctuation): ; = 'quotes' \"too\"").
			Arch("a").CPU().MustBuild(),
		"many cpus": New("n.1-x_").Arch("x86-64").Variant("v").Fetch("f").
			Target("a", "b").Target("c").
			Key("k1", "a").Key("k2", "c").
			Site("s1", "k1", KindJcc).Site("s2", "k2", KindTail).
			CPU().CPU("s1").CPU("s2", "s1", TrampCall("k2")).
			Thread("t1").Thread("t2", Update("k1", "b"), Update("k2", Return0), Update("k1", Null)).
			ExpectViolation("prop.x").MustBuild(),
	} {
		t.Run(name, func(t *testing.T) { roundTrip(t, s) })
	}
}

// genName draws a name.
var genName = rapid.StringMatching(`[A-Za-z_][A-Za-z0-9_.-]{0,6}`)

// genDoc draws a doc line: printable runes but '#', inner blanks.
var genDoc = rapid.Custom(func(t *rapid.T) string {
	r := rapid.OneOf(
		rapid.SampledFrom([]rune(" \tabcé(),;:=\"'")),
		rapid.Rune().Filter(func(r rune) bool { return unicode.IsPrint(r) && r != '#' }),
	)
	return strings.Trim(string(rapid.SliceOfN(r, 0, 20).Draw(t, "runes")), " \t")
})

// genScenario draws a valid scenario with the Builder.
func genScenario(t *rapid.T) *Scenario {
	b := New(genName.Draw(t, "name")).Arch(rapid.SampledFrom([]string{"x86-64", "arm64"}).Draw(t, "arch"))
	if rapid.Bool().Draw(t, "hasVariant") {
		b.Variant(genName.Draw(t, "variant"))
	}
	if rapid.Bool().Draw(t, "hasFetch") {
		b.Fetch(genName.Draw(t, "fetch"))
	}
	b.Doc(genDoc.Draw(t, "doc"))
	targets := rapid.SliceOfNDistinct(genName.Filter(func(s string) bool { return s != Null && s != Return0 }),
		0, 4, rapid.ID).Draw(t, "targets")
	// Declare targets in one or more target lines.
	for rest := targets; len(rest) > 0; {
		n := rapid.IntRange(1, len(rest)).Draw(t, "targetLine")
		b.Target(rest[:n]...)
		rest = rest[n:]
	}
	known := append([]string{Null, Return0}, targets...)
	keys := rapid.SliceOfNDistinct(genName, 0, 3, rapid.ID).Draw(t, "keys")
	isKey := map[string]bool{}
	for _, k := range keys {
		b.Key(k, rapid.SampledFrom(known).Draw(t, "init"))
		isKey[k] = true
	}
	var sites []string
	if len(keys) > 0 {
		for _, s := range rapid.SliceOfNDistinct(genName, 0, 4, rapid.ID).Draw(t, "sites") {
			if isKey[s] {
				continue
			}
			sites = append(sites, s)
			site := b.Site
			if rapid.Bool().Draw(t, "init") {
				site = b.InitSite
			}
			site(s, rapid.SampledFrom(keys).Draw(t, "siteKey"),
				rapid.SampledFrom([]string{KindCall, KindTail, KindJcc}).Draw(t, "kind"))
		}
	}
	calls := append([]string(nil), sites...)
	for _, k := range keys {
		calls = append(calls, TrampCall(k))
	}
	for range rapid.IntRange(1, 4).Draw(t, "cpus") {
		var cs []string
		if len(calls) > 0 {
			cs = rapid.SliceOfN(rapid.SampledFrom(calls), 0, 4).Draw(t, "calls")
		}
		b.CPU(cs...)
	}
	for _, name := range rapid.SliceOfNDistinct(genName, 0, 3, rapid.ID).Draw(t, "threads") {
		var ops []Op
		if len(keys) > 0 {
			for range rapid.IntRange(0, 4).Draw(t, "ops") {
				switch rapid.IntRange(0, 9).Draw(t, "opKind") {
				case 0:
					ops = append(ops, FreeInitmem())
					continue
				case 1:
					ops = append(ops, StaticCallInit())
					continue
				case 2:
					ops = append(ops, ForceReinit(), SMPInit())
					continue
				case 3:
					ops = append(ops, UpdateEarly(rapid.SampledFrom(keys).Draw(t, "earlyKey"), rapid.SampledFrom(known).Draw(t, "earlyTarget")))
					continue
				}
				ops = append(ops, Update(rapid.SampledFrom(keys).Draw(t, "opKey"), rapid.SampledFrom(known).Draw(t, "opTarget")))
			}
		}
		b.Thread(name, ops...)
	}
	b.Bounds(rapid.IntRange(0, maxBound).Draw(t, "depth"), rapid.IntRange(0, maxBound).Draw(t, "states"))
	switch rapid.IntRange(0, 2).Draw(t, "expect") {
	case 1:
		b.ExpectSafe()
	case 2:
		b.ExpectViolation(genName.Draw(t, "property"))
	}
	s, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s
}

func TestRoundTripRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		roundTrip(t, genScenario(t))
	})
}

// TestFormatPlacesCallers: place, key module= and caller lines come back
// from Format in canonical order and parse to the same scenario.
func TestFormatPlacesCallers(t *testing.T) {
	s := New("pl").Arch("ppc64").Target("f", "g").Module("m").Place("g", "m", false).Place("f", "", true).
		ModuleKey("k", "g", "m").Key("j", "f").Caller("c", "k", "m").Caller("d", "j", "").
		CPU("c", "d", "tramp(j)").Thread("t", Update("k", "f")).MustBuild()
	text := string(Format(s))
	want := "target f g\nmodule m\nplace g module=m\nplace f range=far\nkey k init=g module=m\nkey j init=f\ncaller c key=k module=m\ncaller d key=j\n"
	if !strings.Contains(text, want) {
		t.Fatalf("Format:\n%s\nwant it to contain\n%s", text, want)
	}
	s2, err := Parse("pl.scn", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equalPlans(s, s2) {
		t.Fatalf("round trip differs:\n%#v\n%#v", s, s2)
	}
}
