package arm64

import (
	"fmt"
	"strings"
)

// This file holds the one definition of each AArch64 instruction-fetch
// rule that both engines use: the patching model (Arch.Exec, the port's
// transforms) and the litmus explorer (package litmus). docs/semantics.md
// §10.2 names each function from its rule.

// CMODXList is a list of the instructions that may be modified while
// another PE executes them, when the instruction before and the one after
// the modification both are in it ("Concurrent modification and execution
// of instructions"). Two lists differ: the Arm ARM's and herd7's.
type CMODXList uint8

const (
	// CMODXArmARM is the Arm ARM's list (B2.2.5, the later v8 text quoted
	// on LKML by Cheng Jian, 2018): B, BL, BRK, HVC, ISB, NOP, SMC, SVC.
	// Linux's old __aarch64_insn_hotpatch_safe had it without ISB. The
	// patching model's cmodx property uses it.
	CMODXArmARM CMODXList = iota
	// CMODXHerd7 is herd7's code (herd/AArch64Arch_herd.ml,
	// is_cmodx_restricted_instruction returns false for): B, BL, CBZ,
	// CBNZ, TBZ, TBNZ, ISB, NOP, SVC; not B.cond (which its comment lists),
	// BRK, HVC or SMC. The litmus explorer uses it by default, so that its
	// CMODX flags are herd7's.
	CMODXHerd7
)

// CMODXLists names the lists, as the -cmodx flags spell them.
func CMODXLists() []string { return []string{"armarm", "herd7"} }

func (l CMODXList) String() string { return CMODXLists()[l] }

// ParseCMODXList reads a list's name ("armarm" or "herd7").
func ParseCMODXList(s string) (CMODXList, error) {
	for i, n := range CMODXLists() {
		if s == n {
			return CMODXList(i), nil
		}
	}
	return 0, fmt.Errorf("unknown CMODX list %q (want %s)", s, strings.Join(CMODXLists(), " or "))
}

// Safe reports whether an instruction of op is in the list. OpUndef (a
// word outside the modelled subset, or a value that is no instruction)
// never is.
func (l CMODXList) Safe(op Op) bool {
	switch op {
	case OpB, OpBL, OpISB, OpNop, OpSVC:
		return true
	case OpBRK, OpHVC, OpSMC:
		return l == CMODXArmARM
	case OpCBZ, OpCBNZ, OpTBZ, OpTBNZ:
		return l == CMODXHerd7
	}
	return false
}

// CacheType is what CTR_EL0 says about data to instruction coherence.
type CacheType struct {
	// IDC: a data cache clean to the PoU is not required for instruction
	// to data coherence (a completed write is clean).
	IDC bool
	// DIC: an instruction cache invalidation to the PoU is not required
	// (a clean write is coherent with instruction fetch).
	DIC bool
}

// ParseCacheType reads a litmus test's CacheType header as herd7 does
// (lib/cacheType.mll): blank-separated keys DIC and IDC in any case; DIC
// implies IDC. The Arm ARM (B2.7.4.2) describes the cases {DIC, IDC} =
// {0, 0}, {0, 1} and {1, 1}.
func ParseCacheType(s string) (CacheType, error) {
	var c CacheType
	for _, k := range strings.Fields(s) {
		switch strings.ToUpper(k) {
		case "DIC":
			c.DIC, c.IDC = true, true
		case "IDC":
			c.IDC = true
		default:
			return CacheType{}, fmt.Errorf("%q is not a cache-type key (keys are DIC, IDC)", k)
		}
	}
	return c, nil
}

func (c CacheType) String() string {
	return fmt.Sprintf("DIC%d-IDC%d", b2i(c.DIC), b2i(c.IDC))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CleanAtWrite reports whether a write is cleaned to the PoU as it
// completes (IDC = 1), so that no DC CVAU is needed for it.
func (c CacheType) CleanAtWrite() bool { return c.IDC }

// CoherentAtWrite reports whether a completed write is coherent with
// instruction fetch without any cache maintenance ({DIC, IDC} = {1, 1},
// B2.7.4.2 "The write is complete for the shareability domain"). A CPU
// still needs a context synchronisation to stop fetching what it
// prefetched.
func (c CacheType) CoherentAtWrite() bool { return c.DIC && c.IDC }

// OrdersFetchAtWrite reports whether a completed write orders instruction
// fetches in program order without cache maintenance: a fetch that read
// it is ordered after it, and a later fetch of the same PE cannot read
// anything older than the writes coherent by then, in any location.
// herd7's aarch64.cat: Instr-read-ordered-before = IC-after; [IC]; DSB-ob
// | IC-after; [IC]; IFB-ob | (if "DIC" then ca else 0), and IC-ob =
// [Imp & Instr & R]; po; [Imp & Instr & R]; Instr-read-ordered-before.
// The litmus explorer applies it through the IC completion it records at
// each write (CoherentAtWrite) and its fetch floor time; the patching
// model through model.CoherentOrderArch.
func (c CacheType) OrdersFetchAtWrite() bool { return c.CoherentAtWrite() }

// fullBarrier reports whether a DSB or DMB option (CRm) orders all
// accesses: SY, ISH, NSH, OSH (CRm<1:0> = 0b11); the LD and ST options
// order only loads or stores.
func fullBarrier(crm uint8) bool { return crm&3 == 3 }

// BarrierOption returns the CRm of a DSB or DMB option name (SY, ISH,
// ISHST, ...; any case).
func BarrierOption(name string) (uint8, bool) {
	name = strings.ToLower(name)
	for crm, n := range barrierNames {
		if n == name {
			return crm, true
		}
	}
	return 0, false
}

// CompletesMaintenance reports whether in completes the thread's earlier
// cache maintenance (DC CVAU, IC IVAU): a DSB of a full option. A DSB LD
// or ST still orders a later DC after earlier accesses (OrdersDC).
func CompletesMaintenance(in Insn) bool { return in.Op == OpDSB && fullBarrier(in.Cond) }

// PerformsClean reports whether in makes the thread's earlier DC CVAU take
// effect: a full DSB, or a full DMB, which orders a DC before later
// stores.
func PerformsClean(in Insn) bool {
	return (in.Op == OpDSB || in.Op == OpDMB) && fullBarrier(in.Cond)
}

// OrdersDC reports whether in orders the thread's later DC CVAU after
// everything before it: any DSB, a full DMB, or an ISB.
func OrdersDC(in Insn) bool {
	return in.Op == OpDSB || in.Op == OpISB || in.Op == OpDMB && fullBarrier(in.Cond)
}

// ContextSynchronising reports whether executing in is a context
// synchronisation event: ISB, or ERET (an exception return; exception
// entry is one too, assuming FEAT_ExS, if present, is left at
// SCTLR_ELx.EIS = EOS = 1, as Linux does). After one, the PE fetches
// nothing older than what was coherent with instruction fetch.
func ContextSynchronising(in Insn) bool { return in.Op == OpISB || in.Op == OpERET }
