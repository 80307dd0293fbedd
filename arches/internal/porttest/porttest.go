// Package porttest lays out scenario text with a port, for the ports'
// own tests.
package porttest

import (
	"testing"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// Try parses text, a scenario file's contents, and lays it out with port
// under the port's default fetch assumption, returning Layout's result;
// a text that does not parse, or an architecture the port refuses, fails
// t.
func Try(t testing.TB, port kernel.Port, text string) (*kernel.Layout, error) {
	t.Helper()
	sc, err := scenario.Parse("t.scn", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	arch, err := port.Arch("", "")
	if err != nil {
		t.Fatal(err)
	}
	return port.Layout(sc, arch)
}

// Layout is Try where a layout error fails t too.
func Layout(t testing.TB, port kernel.Port, text string) *kernel.Layout {
	t.Helper()
	lay, err := Try(t, port, text)
	if err != nil {
		t.Fatal(err)
	}
	return lay
}
