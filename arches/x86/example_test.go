package x86_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/arches/x86"
)

// ExampleDisasm disassembles what arch_static_call_transform writes at a
// call site for each kind of target, and a trampoline's tail.
func ExampleDisasm() {
	const site = 0xffffffff81002000
	const f1 = 0xffffffff81000100
	sym := func(a uint64) string {
		if a == f1 {
			return "f1"
		}
		return fmt.Sprintf("%#x", a)
	}
	for _, b := range [][]byte{
		x86.GenInsn([]byte{x86.CallOpcode}, site, f1), // call site: a target
		x86.Nop5,    // call site: NULL
		x86.Xor5rax, // call site: __static_call_return0
		x86.GenInsn([]byte{x86.Jmp32Opcode}, site, f1),   // tail site or trampoline
		x86.GenInsn([]byte{0x0f, 0x84}, site, site+0x40), // Jcc tail site
		x86.RetInsn,  // tail site: NULL
		x86.TrampUD,  // the trampoline's signature
		{0x0f, 0xff}, // not in the subset
	} {
		fmt.Printf("%-18x %s\n", b, x86.Disasm(b, site, sym))
	}
	// Output:
	// e8fbe0ffff         call f1
	// 0f1f440000         nopl 0x0(%rax,%rax,1)
	// 2e2e2e31c0         cs cs cs xor %eax,%eax
	// e9fbe0ffff         jmp f1
	// 0f843a000000       je 0xffffffff81002040
	// c3cccccccc         ret
	// 0fb9cc             ud1 %esp,%ecx
	// 0fff               (bad)
}
