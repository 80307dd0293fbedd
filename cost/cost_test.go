package cost

import (
	"errors"
	"strings"
	"testing"
)

// want is a call's figures derived by hand from the encodings.
type want struct {
	insns, taken, indirect, loads, traps int
	tramp                                bool
}

func (w want) check(t *testing.T, what string, c Call) {
	t.Helper()
	got := want{c.Insns, c.Taken, c.Indirect, c.Loads, c.Traps, c.Tramp}
	if got != w {
		t.Errorf("%s: got %+v (path %s), want %+v", what, got, c.Path, w)
	}
}

// TestHandCounts checks figures of the model's runs against counts
// derived by hand from the encodings each port lays out.
func TestHandCounts(t *testing.T) {
	tests := []struct {
		name        string
		d           Design
		form, place string
		steady      want
		during      *want // nil: as steady
		siteLen     int
		trampLen    int
	}{
		{
			// arches/x86/port.go Layout: the site is "call rel32" (e8,
			// 5 bytes) in caller_s, followed by the caller's ret; a
			// target is "mov $v,%eax" (b8 imm32) then "ret" (c3).
			// call -> mov -> ret: 3 instructions; taken: call, ret;
			// indirect: ret; loads: ret pops its target (SDM RET).
			// During text_poke_bp the site holds INT3 (cc) after its
			// first store: the CPU traps, smp_text_poke_int3_handler
			// emulates the call (x86.go emulate), then mov, ret: still
			// 3 instructions (int3, mov, ret), 2 taken, 1 trap.
			name: "x86 inline", d: Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"},
			form: Inline, place: Near,
			steady:  want{insns: 3, taken: 2, indirect: 1, loads: 1},
			during:  &want{insns: 3, taken: 2, indirect: 1, loads: 1, traps: 1},
			siteLen: 5, trampLen: 8,
		},
		{
			// call___SCT__k: "call __SCT__k"; __SCT__k: "jmp rel32"
			// (e9) then the ud1 signature (TrampUD, 3 bytes: 8 bytes in
			// all); then the target's mov; ret: 4 instructions, 3 taken
			// (call, jmp, ret), 1 indirect (ret), 1 load (ret).
			name: "x86 out-of-line", d: Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"},
			form: OutOfLine, place: Near,
			steady:  want{insns: 4, taken: 3, indirect: 1, loads: 1, tramp: true},
			during:  &want{insns: 4, taken: 3, indirect: 1, loads: 1, traps: 1, tramp: true},
			siteLen: 5, trampLen: 8,
		},
		{
			// arches/arm64/port.go, mainline: the caller's "bl
			// __SCT__k"; the trampoline "bti c; adrp x16, lit; ldr x16,
			// [x16, :lo12:lit]; br x16" (16 bytes, with the 8-byte
			// .rodata literal 24); the target "mov x0, #v; ret": 7
			// instructions, 3 taken (bl, br, ret), 2 indirect (br, ret),
			// 1 load (ldr). The update is one store to the literal, so
			// no call sees text in between.
			name: "arm64 mainline", d: Design{Name: "arm64 kernel", Arch: "arm64", Variant: "kernel", Thread: "t"},
			form: OutOfLine, place: Near,
			steady:  want{insns: 7, taken: 3, indirect: 2, loads: 1, tramp: true},
			siteLen: 4, trampLen: 24,
		},
		{
			// arches/ppc/port32.go: caller32's "bl __SCT__k"; the
			// trampoline's first word "b func" for a near target; the
			// target "li r3,v; blr": 4 instructions, 3 taken (bl, b,
			// blr), 1 indirect (blr), no load. The trampoline is 32
			// bytes (.align 5; PPC_SCT_DATA at 28).
			name: "ppc32 out-of-line near", d: Design{Name: "ppc32 kernel", Arch: "ppc32", Variant: "kernel", Thread: "t"},
			form: OutOfLine, place: Near,
			steady:  want{insns: 4, taken: 3, indirect: 1, loads: 0, tramp: true},
			siteLen: 4, trampLen: 32,
		},
		{
			// A far target: the trampoline's first word is "nop", then
			// "lis r12,data@ha; lwz r12,data@l(r12); mtctr r12; bctr":
			// bl + 5 + li, blr = 8 instructions, 3 taken (bl, bctr,
			// blr), 2 indirect (bctr, blr), 1 load (lwz of the data
			// word).
			name: "ppc32 out-of-line far", d: Design{Name: "ppc32 kernel", Arch: "ppc32", Variant: "kernel", Thread: "t"},
			form: OutOfLine, place: Far,
			steady:  want{insns: 8, taken: 3, indirect: 2, loads: 1, tramp: true},
			during:  &want{insns: 4, taken: 3, indirect: 1, loads: 0, tramp: true},
			siteLen: 4, trampLen: 32,
		},
		{
			// A PPC32 inline site "bl f" in caller32 (at fn+12): bl, li,
			// blr = 3 instructions, 2 taken, 1 indirect (blr), no load.
			name: "ppc32 inline near", d: Design{Name: "ppc32 kernel", Arch: "ppc32", Variant: "kernel", Thread: "t"},
			form: Inline, place: Near,
			steady:  want{insns: 3, taken: 2, indirect: 1},
			siteLen: 4, trampLen: 32,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := measureRow(tt.d, tt.form, tt.place)
			if err != nil {
				t.Fatal(err)
			}
			tt.steady.check(t, "steady", r.Steady)
			d := tt.steady
			if tt.during != nil {
				d = *tt.during
			}
			d.check(t, "during an update ("+r.Point+")", r.During)
			if r.Steady.SiteLen != tt.siteLen || r.TrampLen != tt.trampLen {
				t.Errorf("site %d bytes, trampoline %d; want %d, %d", r.Steady.SiteLen, r.TrampLen, tt.siteLen, tt.trampLen)
			}
			if r.Steady.Reached != "f2" {
				t.Errorf("steady call reached %q, want f2", r.Steady.Reached)
			}
		})
	}
}

// TestUpdateGrowth checks the per-update figures against the protocols:
// text_poke_bp writes each location three times (INT3, tail, first
// byte), each followed by text_poke_sync's IPI, and an update patches
// the trampoline and every site: 2, 3, 4 locations. batch-sites patches
// the sites together: their three rounds share the three IPIs. arm64
// mainline stores the literal once, whatever the callers.
func TestUpdateGrowth(t *testing.T) {
	tests := []struct {
		d           Design
		form        string
		stores, ips []int
	}{
		{Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"}, Inline, []int{6, 9, 12}, []int{6, 9, 12}},
		{Design{Name: "x86-64 batch-sites", Arch: "x86-64", Variant: "batch-sites", Thread: "t"}, Inline, []int{6, 9, 12}, []int{6, 6, 6}},
		{Design{Name: "arm64 kernel", Arch: "arm64", Variant: "kernel", Thread: "t"}, OutOfLine, []int{1, 1, 1}, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.d.Name, func(t *testing.T) {
			r, err := measureRow(tt.d, tt.form, Near)
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range r.Updates {
				if u.Stores != tt.stores[i] || u.IPIs != tt.ips[i] || u.Syncs != tt.ips[i] {
					t.Errorf("%d sites: %d stores, %d IPIs, %d syncs; want %d, %d, %d", u.Sites, u.Stores, u.IPIs, u.Syncs, tt.stores[i], tt.ips[i], tt.ips[i])
				}
			}
		})
	}
}

// TestUnsupported checks that a call form the port does not model is
// left out, not measured wrong: x86 has no far targets, arm64 mainline
// no inline sites.
func TestUnsupported(t *testing.T) {
	for _, c := range []struct {
		d           Design
		form, place string
	}{
		{Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"}, Inline, Far},
		{Design{Name: "arm64 kernel", Arch: "arm64", Variant: "kernel", Thread: "t"}, Inline, Near},
	} {
		if _, err := measureRow(c.d, c.form, c.place); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s %s %s: err %v, want ErrUnsupported", c.d.Name, c.form, c.place, err)
		}
	}
}

// TestLine checks the one-line summary of a design.
func TestLine(t *testing.T) {
	rows, err := Measure(Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"})
	if err != nil {
		t.Fatal(err)
	}
	got := Line(rows)
	for _, w := range []string{"inline 3/2/1/1 (during an update 3/2/1/1 +1 trap)", "out-of-line 4/3/1/1", "one site or caller 6 stores to text, 6 IPIs"} {
		if !strings.Contains(got, w) {
			t.Errorf("Line = %q, lacks %q", got, w)
		}
	}
}

// TestSiteCallsNothing checks the segment of an inline site that calls
// nothing: x86's NOP5 for NULL and xor5rax ("2e 2e 2e 48 31 c0") for
// return0 (arches/x86/port.go insnFor) are one instruction each, with no
// branch and no load; the call leaves the caller function only at its
// own ret, which is not counted.
func TestSiteCallsNothing(t *testing.T) {
	d := Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"}
	for _, init := range []string{"NULL", "return0"} {
		m, err := compile(d, spec{form: Inline, place: Near, sites: 1, init: init})
		if err != nil {
			t.Fatal(err)
		}
		c, err := runCall(m, m.P.Initial(), 0)
		if err != nil {
			t.Fatal(err)
		}
		want{insns: 1}.check(t, init, c)
		if c.SiteLen != 5 {
			t.Errorf("%s: site %d bytes, want 5", init, c.SiteLen)
		}
	}
}

// TestJumpLabels checks the jump label form against the sites each port
// lays out and the kernel's static_key_enable(): the pass through a
// static_branch_unlikely() site with the key true, and the update's
// growth with 1, 2 and 3 jump sites.
func TestJumpLabels(t *testing.T) {
	tests := []struct {
		name         string
		d            Design
		steady       want
		during       *want // nil: as steady
		siteLen      int
		stores, ipis []int
		maint        []int
	}{
		{
			// arches/x86/port.go layoutJumps: the site "jmp rel32"
			// (e9, 5 bytes) to l_yes "mov $v,%eax; ret": 3
			// instructions, 2 taken (jmp, ret), 1 indirect and 1 load
			// (ret). During the batch the site holds INT3 and the
			// handler emulates the JMP: +1 trap. The batch
			// (smp_text_poke_batch_finish) writes INT3 on every site,
			// then the tails, then the first bytes, each round
			// followed by one sync IPI: 3n stores, 3 IPIs whatever n.
			name: "x86-64 kernel", d: Design{Name: "x86-64 kernel", Arch: "x86-64", Variant: "kernel", Thread: "t"},
			steady:  want{insns: 3, taken: 2, indirect: 1, loads: 1},
			during:  &want{insns: 3, taken: 2, indirect: 1, loads: 1, traps: 1},
			siteLen: 5, stores: []int{3, 6, 9}, ipis: []int{3, 3, 3}, maint: []int{0, 0, 0},
		},
		{
			// arches/arm64/port.go: "bti c", the site "b l_yes", then
			// "mov x0, #v; ret": 4 instructions, 2 taken (b, ret), 1
			// indirect (ret), no load. Each site is one
			// aarch64_insn_patch_text_nosync (a store and
			// caches_clean_inval_pou); arch_jump_label_transform_apply
			// then kick_all_cpus_sync(): 1 IPI whatever n. The one
			// store has no text between old and new: the call after it,
			// before caches_clean_inval_pou, may still fetch the nop
			// (the oldest contents allowed) and falls through: 1 taken.
			name: "arm64 kernel", d: Design{Name: "arm64 kernel", Arch: "arm64", Variant: "kernel", Thread: "t"},
			steady:  want{insns: 4, taken: 2, indirect: 1},
			during:  &want{insns: 4, taken: 1, indirect: 1},
			siteLen: 4, stores: []int{1, 2, 3}, ipis: []int{1, 1, 1}, maint: []int{1, 2, 3},
		},
		{
			// Before v6.11 (jl-arm64-no-kick): no kick_all_cpus_sync().
			name: "arm64 jl-arm64-no-kick", d: Design{Name: "arm64 jl-arm64-no-kick", Arch: "arm64", Variant: "jl-arm64-no-kick", Thread: "t"},
			steady:  want{insns: 4, taken: 2, indirect: 1},
			during:  &want{insns: 4, taken: 1, indirect: 1},
			siteLen: 4, stores: []int{1, 2, 3}, ipis: []int{0, 0, 0}, maint: []int{1, 2, 3},
		},
		{
			// arches/ppc: "nop", the site "b l_yes", then "li r3,v;
			// blr": 4 instructions, 2 taken, 1 indirect (blr). Each
			// site is one patch_branch, which flushes and isyncs on
			// the patching CPU: no IPI, no separate maintenance.
			name: "ppc32 kernel", d: Design{Name: "ppc32 kernel", Arch: "ppc32", Variant: "kernel", Thread: "t"},
			steady:  want{insns: 4, taken: 2, indirect: 1},
			siteLen: 4, stores: []int{1, 2, 3}, ipis: []int{0, 0, 0}, maint: []int{0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.JumpLabels = true
			rows, err := Measure(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Form != Jump {
				t.Fatalf("got %d rows (first %q), want one %q row", len(rows), rows[0].Form, Jump)
			}
			r := rows[0]
			tt.steady.check(t, "steady", r.Steady)
			d := tt.steady
			if tt.during != nil {
				d = *tt.during
			}
			d.check(t, "during static_key_enable ("+r.Point+")", r.During)
			if r.Steady.SiteLen != tt.siteLen || r.Steady.Reached != "sk.true" {
				t.Errorf("site %d bytes, reached %q; want %d, sk.true", r.Steady.SiteLen, r.Steady.Reached, tt.siteLen)
			}
			for i, u := range r.Updates {
				if u.Stores != tt.stores[i] || u.IPIs != tt.ipis[i] || u.Maint != tt.maint[i] {
					t.Errorf("%d jump sites: %d stores, %d IPIs, %d maintenance; want %d, %d, %d",
						u.Sites, u.Stores, u.IPIs, u.Maint, tt.stores[i], tt.ipis[i], tt.maint[i])
				}
			}
		})
	}
}
