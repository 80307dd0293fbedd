package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestParseLimits checks that Parse reports a capacity at the first word
// past it, naming the limit (15 targets crashed every port before).
func TestParseLimits(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"scenario l\narch x86-64\ntarget a b c d e f g h i j k l m n o\n", "l.scn:3:36: more than 14 targets"},
		{"scenario l\narch x86-64\ntarget f\nkey a init=f\nkey b init=f\nkey c init=f\nkey d init=f\nkey e init=f\n", "l.scn:8:5: more than 4 keys"},
		{"scenario l\narch x86-64\ntarget f\nkey a init=f\nsite s1 key=a kind=call\nsite s2 key=a kind=call\nsite s3 key=a kind=call\nsite s4 key=a kind=call\nsite s5 key=a kind=call\nsite s6 key=a kind=call\nsite s7 key=a kind=call\nsite s8 key=a kind=call\n", "l.scn:12:6: more than 8 patchable windows"},
		{"scenario l\narch x86-64\nmodule a\nmodule b\nmodule c\n", "l.scn:5:8: more than 2 modules"},
		{"scenario l\narch x86-64\ncpu\ncpu\ncpu\ncpu\ncpu\n", "l.scn:7:1: more than 4 cpus"},
		{"scenario l\narch x86-64\nthread a:\nthread b:\nthread c:\nthread d:\nthread e:\n", "l.scn:7:8: more than 4 threads"},
		{"scenario l\narch x86-64\nmodule m\ntarget f\nkey k init=f\nsite s key=k kind=call module=m\ncpu s\nthread t: load m fail_alloc=9\n", "l.scn:8:18: thread \"t\": fail_alloc=N wants N from 1 to 8"},
		{"scenario l\narch x86-64\nthread t:" + strings.Repeat(" force_reinit;", 1000) + " force_reinit\n", "l.scn:3:14011: thread \"t\": more than 1000 operations"},
	} {
		_, err := Parse("l.scn", []byte(tc.src), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
	if _, err := Parse("l.scn", []byte("scenario l\narch x86-64\nmodule m\ntarget f\nkey k init=f\nsite s key=k kind=call module=m\ncpu s\nthread t: load m fail_alloc=8\n"), nil); err != nil {
		t.Errorf("fail_alloc=8: %v", err)
	}
}

// TestBuildLimits checks the same capacities for scenarios built in Go:
// an *ItemError about the first item past the limit.
func TestBuildLimits(t *testing.T) {
	b := New("l").Arch("x86-64").Target("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o").Key("k", "a").CPU(TrampCall("k"))
	_, err := b.Build()
	var ie *ItemError
	if !errors.As(err, &ie) || ie.Kind != "target" || ie.Index != 14 || !strings.Contains(err.Error(), "more than 14 targets") {
		t.Errorf("got %#v", err)
	}
	// Locate finds a later error's item in the file.
	src := []byte("scenario l\narch x86-64\ntarget f\nkey k init=f\ncpu tramp(k)\ncpu tramp(k)\n")
	if line, col, ok := Locate(src, &ItemError{Kind: "cpu", Index: 1}); !ok || line != 6 || col != 1 {
		t.Errorf("Locate cpu 1: %d:%d %v", line, col, ok)
	}
	if line, col, ok := Locate(src, &ItemError{Kind: "key", Index: 0}); !ok || line != 4 || col != 5 {
		t.Errorf("Locate key 0: %d:%d %v", line, col, ok)
	}
}
