package litmus

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// maxKindsLine is the longest line ReadKinds reads.
const maxKindsLine = 1 << 20

// ReadKinds reads a herdtools7 kinds.txt file: lines "NAME Allowed|Forbidden",
// each NAME once. Errors are "FILE:LINE: ...".
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
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) != 2 || fs[1] != "Allowed" && fs[1] != "Forbidden" {
			return nil, fmt.Errorf("%s:%d: want 'NAME Allowed|Forbidden'", path, line)
		}
		if at, ok := first[fs[0]]; ok {
			return nil, fmt.Errorf("%s:%d: %s given twice (first at line %d)", path, line, fs[0], at)
		}
		first[fs[0]] = line
		kinds[fs[0]] = fs[1]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v (a line is at most %d bytes)", path, line+1, err, maxKindsLine)
	}
	return kinds, nil
}
