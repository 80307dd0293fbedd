package cost_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/cost"
)

// Example measures the kernel's x86-64 design: an inline call and a call
// through the trampoline, each in the steady state and during an update,
// and the update's stores and IPIs with 1, 2 and 3 sites.
func Example() {
	rows, err := cost.Measure(cost.Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Printf("%s %s: %s, during an update %s; path %s\n", r.Form, r.Place, r.Steady.Counts(), r.During.Counts(), r.Steady.Path)
	}
	for _, u := range rows[0].Updates {
		fmt.Printf("%d sites: %d stores, %d IPIs\n", u.Sites, u.Stores, u.IPIs)
	}
	// Output:
	// inline near: 3/2/1/1, during an update 3/2/1/1 +1 trap; path s1×1 f2×2
	// out-of-line near: 4/3/1/1, during an update 4/3/1/1 +1 trap; path call___SCT__k×1 __SCT__k×1 f2×2
	// 1 sites: 6 stores, 6 IPIs
	// 2 sites: 9 stores, 9 IPIs
	// 3 sites: 12 stores, 12 IPIs
}
