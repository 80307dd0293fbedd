package litmus

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ReadKinds reads a herdtools7 kinds.txt file: lines "NAME Allowed|Forbidden".
func ReadKinds(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kinds := map[string]string{}
	sc := bufio.NewScanner(f)
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
		kinds[fs[0]] = fs[1]
	}
	return kinds, sc.Err()
}
