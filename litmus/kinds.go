package litmus

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// maxKindsLine is the longest line ReadKinds reads.
const maxKindsLine = 1 << 20

// ReadKinds reads a herdtools7 kinds file (kinds.txt) as herd7's tools
// read it (lib/lexRename.mll): one "NAME KIND" a line, separated by blanks
// or tabs, KIND bare or in double quotes, Allowed, Forbidden or Required;
// a comment from '#' or '%' to the end of the line, alone or after the
// KIND; blank lines. Each NAME once. Errors are "FILE:LINE:COL: ...".
func ReadKinds(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kinds := map[string]string{}
	first := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxKindsLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		name, kind, col, msg := kindsLine(text)
		if msg != "" {
			return nil, fmt.Errorf("%s:%d:%d: %s", path, line, col, msg)
		}
		if name == "" {
			continue
		}
		if at, ok := first[name]; ok {
			return nil, fmt.Errorf("%s:%d:1: %s given twice (first at line %d)", path, line, name, at)
		}
		first[name] = line
		kinds[name] = kind
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v (a line is at most %d bytes)", path, line+1, err, maxKindsLine)
	}
	return kinds, nil
}

// Kinds are the verdicts a kinds file gives.
var kindNames = []string{"Allowed", "Forbidden", "Required"}

// kindsLine splits one line of a kinds file; name is "" for a blank or
// comment line. On an error, col (from 1) locates it.
func kindsLine(s string) (name, kind string, col int, msg string) {
	blank := func(c byte) bool { return c == ' ' || c == '\t' }
	i := 0
	skip := func() {
		for i < len(s) && blank(s[i]) {
			i++
		}
	}
	word := func() string {
		j := i
		for i < len(s) && !blank(s[i]) && s[i] != '#' && s[i] != '%' && s[i] != '"' {
			i++
		}
		return s[j:i]
	}
	skip()
	if i == len(s) || s[i] == '#' || s[i] == '%' {
		return "", "", 0, ""
	}
	name = word()
	if name == "" {
		return "", "", i + 1, "want a test name"
	}
	skip()
	col = i + 1
	if i < len(s) && s[i] == '"' {
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return "", "", col, "unterminated quoted kind"
		}
		kind, i = s[i+1:i+1+j], i+j+2
	} else {
		kind = word()
	}
	ok := false
	for _, k := range kindNames {
		ok = ok || kind == k
	}
	if !ok {
		return "", "", col, fmt.Sprintf("want 'NAME Allowed|Forbidden|Required', got kind %q", kind)
	}
	skip()
	if i < len(s) && s[i] != '#' && s[i] != '%' {
		return "", "", i + 1, fmt.Sprintf("unexpected %q after the kind", s[i:])
	}
	return name, kind, 0, ""
}
