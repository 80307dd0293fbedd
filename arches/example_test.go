package arches_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/arches"
)

// An architecture's descriptor, looked up by an alias: its name, its
// default fetch assumption, the properties only it reports, and whether
// the scenario generator draws it.
func ExampleDescribe() {
	d, err := arches.Describe("aarch64")
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Name, d.Port.Fetches()[0], d.Props, d.Generates())
	fmt.Println(arches.Generated())
	// Output:
	// arm64 cmodx [cmodx] true
	// [arm64 x86-64]
}
