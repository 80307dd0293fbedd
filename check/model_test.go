package check_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestModelEdits checks that an edit of the built-in model source, given
// as a scenario's model-file text and nothing else, changes the verdict:
// one edit per function class that is model source today.
func TestModelEdits(t *testing.T) {
	const update = `scenario edit
arch x86-64
target f1 f2
key foo init=f1
site s1 key=foo kind=call
site t1 key=foo kind=tail
site i1 key=foo kind=call section=init
cpu i1 s1
cpu t1 s1
thread kernel_init: update foo f2; free_initmem; update foo NULL
`
	const boot = `scenario edit
arch x86-64
target f1 f2
key foo init=f1
site s1 key=foo kind=call
cpu s1 s1
thread boot: static_call_init; smp_init; update foo f2
`
	const race = `scenario edit
arch x86-64
target f1 f2
key foo init=f1
site s1 key=foo kind=call
site i1 key=foo kind=call section=init
cpu i1 s1
cpu s1 s1
thread kernel_init: free_initmem
thread updater: update foo f2
`
	const module = `scenario edit
arch x86-64
target f1 f2
module m1
key foo init=f1
site s1 key=foo kind=call
site ms1 key=foo kind=call module=m1
cpu s1 ms1
thread loader: load m1; unload m1
thread updater: update foo f2
`
	const kprobeJump = `scenario edit
arch x86-64
static_key foo
jump j1 key=foo
cpu j1
thread kprobes: kprobe j1
thread enabler: static_key_enable foo
`
	const kprobeCall = `scenario edit
arch x86-64
target f1 f2
key foo init=f1
site s1 key=foo kind=call
cpu s1
thread kprobes: kprobe s1
`
	const kprobeModJump = `scenario edit
arch x86-64
module m
static_key foo
jump mj key=foo module=m
cpu mj
thread loader: load m
thread kprobes: kprobe mj
`
	const allocFail = `scenario edit
arch x86-64
target f1 f2
module m1
key foo init=f1
site s1 key=foo kind=call
site ms1 key=foo kind=call module=m1
cpu s1 s1
thread loader: load m1 fail_alloc=1
thread updater: update foo f2
`
	const kprobe = `scenario edit
arch x86-64
target f1 f2
module m1
key foo init=f1
site s1 key=foo kind=call
site ms1 key=foo kind=call module=m1
cpu s1 ms1
thread kprobes: kprobe s1; kprobe ms1
thread loader: load m1
thread updater: update foo f2
`
	const kprobeUnload = `scenario edit
arch x86-64
target f1 f2
module m1
key foo init=f1
site s1 key=foo kind=call
site ms1 key=foo kind=call module=m1
cpu s1 ms1
thread kprobes: kprobe ms1
thread loader: load m1; unload m1
`
	const arm64 = `scenario edit
arch arm64
target f1 f2
key k init=f1
caller c1 key=k
cpu tramp(k) c1
cpu c1 tramp(k)
thread t: update k f2; update k NULL
`
	const ppc32 = `scenario edit
arch ppc32
target f1 f2
place f2 range=far
key k init=f1
cpu tramp(k)
cpu tramp(k)
thread t: update k f2; update k f1
`
	const arm64Sites = `scenario edit
arch arm64
variant branch-kick
target f1 f2
key k init=f1
site s1 key=k kind=call
cpu s1 s1
cpu s1
thread t: update k f2
`
	const jl = `scenario edit
arch x86-64
static_key foo
jump j1 key=foo size=2
jump j2 key=foo branch=likely
cpu j1 j2
cpu j2 j1
thread t: static_key_enable foo
`
	tests := []struct {
		name, scenario, file, old, new, want string
	}{
		{"unchanged", update, "", "", "", "safe"},
		{"unchanged jump labels", jl, "", "", "", "safe"},
		// static_key_enable forgets key->enabled = 1 after the update:
		// the key is left "enabling" (-1) at rest.
		{"jump label core: enable left at -1", jl, "kernel/jump_label.c",
			"\t\tjump_label_update(key);\n\t\t/*\n\t\t * See static_key_slow_inc().\n\t\t */\n\t\tatomic_set_release(&key->enabled, 1);\n",
			"\t\tjump_label_update(key);\n", "violation consistent-at-rest"},
		// jump_label_type() leaves out the entry's branch bit: the likely
		// site is "patched" to the instruction it already holds, which
		// x86's __jump_label_patch finds unexpected.
		{"jump label core: jump_label_type without the branch", jl, "kernel/jump_label.c",
			"\treturn enabled ^ branch;", "\treturn enabled;", "violation no-kernel-bug"},
		{"unchanged boot", boot, "", "", "", "safe"},
		// The latent finding of docs/semantics.md §8 (x86-init-free-initmem).
		{"unchanged race", race, "", "", "", "violation no-freed-access"},
		// __static_call_update passes NULL for func to the sites.
		{"core update: transform arguments", update, "kernel/static_call_inline.c",
			"arch_static_call_transform(site_addr, tramp, func,", "arch_static_call_transform(site_addr, tramp, NULL,", "violation"},
		// ... and a tail site's tail argument is false (a CALL written over a JMP).
		{"core update: tail argument", update, "kernel/static_call_inline.c",
			"arch_static_call_transform(site_addr, tramp, func,\n\t\t\t\t\t\t   static_call_is_tail(site));", "arch_static_call_transform(site_addr, tramp, func,\n\t\t\t\t\t\t   false);", "violation"},
		// static_call_init forgets static_call_initialized = 1: the update warns and patches no site.
		{"core init", boot, "kernel/static_call_inline.c",
			"\tstatic_call_initialized = 1;\n\treturn 0;", "\treturn 0;", "violation"},
		// core_kernel_text never accepts init text: no write into freed
		// text, but the init site keeps calling the old target.
		{"extable", race, "kernel/extable.c",
			"system_state < SYSTEM_FREEING_INITMEM &&", "system_state < SYSTEM_BOOTING &&", "violation completion"},
		// kernel_init keeps its init text: no write into freed text (the
		// kernel's race, no-freed-access, is gone). An update once the
		// system runs skips the init site, which keeps the old target,
		// but no init code runs any more (consistent-at-rest passes over
		// init text from SYSTEM_FREEING_INITMEM on).
		{"kernel_init", race, "init/main.c",
			"\tfree_initmem();\n", "", "safe"},
		// x86's __static_call_validate no longer accepts a JMP at a tail
		// site: the update of t1 BUGs.
		{"x86 validator", update, "arch/x86/kernel/static_call.c",
			"\t\tif (opcode == JMP32_INSN_OPCODE ||\n", "\t\tif (0 ||\n", "violation no-kernel-bug"},
		// x86's arch_static_call_transform patches the trampoline for
		// every site too (before d856bc3ac7d9 it had no !site test):
		// still safe, one more patch of the trampoline per site.
		{"x86 transform: trampoline per site", update, "arch/x86/kernel/static_call.c",
			"\tif (tramp && !site) {", "\tif (tramp) {", "safe"},
		// __static_call_transform patches as if booting: one plain
		// store of the new instruction into live text.
		{"x86 transform: text_poke_early on a running system", update, "arch/x86/kernel/static_call.c",
			"\tif (system_state == SYSTEM_BOOTING || modinit)\n", "\tif (1)\n", "violation no-torn-insn"},
		// __static_call_transform writes a RET where a call site's NULL
		// wants the 5-byte NOP: the caller returns without its own ret.
		{"x86 transform: instruction for NOP", update, "arch/x86/kernel/static_call.c",
			"\tcase NOP:\n\t\tcode = x86_nops[5];", "\tcase NOP:\n\t\tcode = &retinsn;", "violation"},
		// smp_text_poke_batch_finish without the sync after the INT3
		// round (the no-sync1 variant, written here as an edit).
		{"x86 text patching: sync after INT3", update, "arch/x86/kernel/alternative.c",
			"\ttext_poke_array_int3();\n\n\tsmp_text_poke_sync_each_cpu();\n", "\ttext_poke_array_int3();\n", "violation no-torn-insn"},
		// smp_text_poke_batch_finish never sets text_poke_array_refs: a
		// CPU that traps on the INT3 finds no array in flight and dies.
		{"x86 text patching: refs", update, "arch/x86/kernel/alternative.c",
			"\ttext_poke_array_refs_set();\n", "", "violation no-kernel-bug"},
		// The INT3 handler emulates a CALL as a RET: the caller returns
		// without calling either target. (As a JMP it is safe here: the
		// caller's call; ret becomes a tail call.)
		{"x86 INT3 handler: emulation", update, "arch/x86/kernel/alternative.c",
			"\tcase CALL_INSN_OPCODE:\n\t\tint3_emulate_call(regs, (long)ip + tpl->disp);", "\tcase CALL_INSN_OPCODE:\n\t\tint3_emulate_ret(regs);", "violation"},
		// The INT3 handler keeps its reference to text_poke_array: the
		// patching thread waits for it for ever.
		{"x86 INT3 handler: put_text_poke_array", update, "arch/x86/kernel/alternative.c",
			"out_put:\n\tput_text_poke_array();\n", "out_put:\n", "violation"},
		{"unchanged arm64", arm64, "", "", "", "safe"},
		// arm64's transform writes NULL into the literal: the
		// trampoline's br x16 jumps to address 0.
		{"arm64 transform: NULL", arm64, "arch/arm64/kernel/static_call.c",
			"\tif (!func)\n\t\tfunc = __static_call_return0;\n", "", "violation"},
		{"unchanged arm64 sites", arm64Sites, "", "", "", "safe"},
		// aarch64_insn_patch_text_nosync() without its cache
		// maintenance: the store is never made coherent with fetch.
		{"arm64 patching: caches_clean_inval_pou", arm64Sites, "arch/arm64/kernel/patching.c",
			"\tif (ret == 0)\n\t\tcaches_clean_inval_pou((uintptr_t)tp,\n\t\t\t\t     (uintptr_t)tp + AARCH64_INSN_SIZE);\n", "", "violation"},
		// kick_all_cpus_sync() without its IPI: a CPU that took no
		// interrupt still runs the old bl after the update returned.
		{"arm64 kick_all_cpus_sync", arm64Sites, "kernel/smp.c",
			"\tsmp_call_function(do_nothing, NULL, 1);\n", "", "violation completion"},
		{"unchanged ppc32", ppc32, "", "", "", "safe"},
		// PPC32's transform writes the nop that exposes the data word
		// before the data word (the data-after-nop design, as an edit).
		{"ppc32 transform: data after nop", ppc32, "arch/powerpc/kernel/static_call.c",
			"\t\tif (func && !is_short) {\n\t\t\terr = patch_ulong(tramp + PPC_SCT_DATA, _func);\n\t\t\tif (err)\n\t\t\t\tgoto out;\n\t\t}\n\n\t\tif (!func)\n\t\t\terr = patch_instruction(tramp, ppc_inst(PPC_RAW_BLR()));\n\t\telse if (is_ret0)\n\t\t\terr = patch_branch(tramp, _ret0, 0);\n\t\telse if (is_short)\n\t\t\terr = patch_branch(tramp, _func, 0);\n\t\telse\n\t\t\terr = patch_instruction(tramp, ppc_inst(PPC_RAW_NOP()));\n",
			"\t\tif (!func)\n\t\t\terr = patch_instruction(tramp, ppc_inst(PPC_RAW_BLR()));\n\t\telse if (is_ret0)\n\t\t\terr = patch_branch(tramp, _ret0, 0);\n\t\telse if (is_short)\n\t\t\terr = patch_branch(tramp, _func, 0);\n\t\telse\n\t\t\terr = patch_instruction(tramp, ppc_inst(PPC_RAW_NOP()));\n\n\t\tif (func && !is_short)\n\t\t\terr = patch_ulong(tramp + PPC_SCT_DATA, _func);\n", "violation no-undefined-insn"},
		{"unchanged module", module, "", "", "", "safe"},
		{"unchanged kprobe", kprobe, "", "", "", "safe"},
		// static_call_text_reserved() forgets the modules' sites: the
		// kprobe goes on ms1.
		{"kprobe: reserved text", kprobe, "kernel/static_call_inline.c",
			"\treturn __static_call_mod_text_reserved(start, end);", "\treturn 0;", "violation no-kprobe-on-site"},
		{"unchanged kprobe unload", kprobeUnload, "", "", "", "safe"},
		// try_stop_module() ignores the reference the kprobe holds: the
		// module goes while the kprobe is registered on its site.
		{"module loader: refcount", kprobeUnload, "kernel/module/main.c",
			"\tif (try_release_module_ref(mod) != 0) {", "\tif (0) {", "violation"},
		{"unchanged alloc fail", allocFail, "", "", "", "safe"},
		// delete_module without the GOING notifier: the module's
		// static_call_mod stays on foo's list, and an update that found
		// its text mapped writes into it after free_module.
		{"module loader: no GOING notifier", module, "kernel/module/main.c",
			"\t/* Final destruction now no one is using it. */\n\tblocking_notifier_call_chain(&module_notify_list,\n\t\t\t\t     MODULE_STATE_GOING, mod);\n",
			"\t/* Final destruction now no one is using it. */\n", "violation no-freed-access"},
		// __static_call_init does not test kzalloc's result: the
		// failed allocation is dereferenced.
		{"module init: kzalloc unchecked", allocFail, "kernel/static_call_inline.c",
			"\t\t\tsite_mod = kzalloc(sizeof(*site_mod), GFP_KERNEL);\n\t\t\tif (!site_mod)\n\t\t\t\treturn -ENOMEM;\n",
			"\t\t\tsite_mod = kzalloc(sizeof(*site_mod), GFP_KERNEL);\n", "violation no-bad-deref"},
		// static_call_del_module without its 2024 break: the key still
		// holds its sites pointer, walked as key->mods.
		{"module del: CVE-2024-50002", allocFail, "kernel/static_call_inline.c",
			"\t\tif (!static_call_key_has_mods(key))\n\t\t\tbreak;\n", "", "violation no-bad-deref"},
		// __static_call_init links the module's entry before the key's
		// old list: static_call_key_next() replaced by NULL drops the
		// wrapper of the built-in sites, which an update then skips.
		{"module init: list link", module, "kernel/static_call_inline.c",
			"\t\t\tsite_mod->next = static_call_key_next(key);", "\t\t\tsite_mod->next = NULL;", "violation"},
		// Two static addr_conflict()s, one per file: each file's
		// reserved-text check calls its own. jump_label.c's made to
		// say no lets the kprobe onto the jump site; static_call's
		// made to say no changes nothing there.
		{"kprobe on a jump site: refused", kprobeJump, "", "", "", "safe"},
		{"kprobe on a module jump site: refused", kprobeModJump, "", "", "", "safe"},
		{"jump_label.c's own addr_conflict", kprobeJump, "kernel/jump_label.c",
			"\tif (jump_entry_code(entry) <= (unsigned long)end &&", "\tif (0 &&", "violation no-kprobe-on-site"},
		{"static_call_inline.c's addr_conflict is not jump_label.c's", kprobeJump, "kernel/static_call_inline.c",
			"\tif (addr <= (unsigned long)end &&", "\tif (0 &&", "safe"},
		{"static_call_inline.c's own addr_conflict", kprobeCall, "kernel/static_call_inline.c",
			"\tif (addr <= (unsigned long)end &&", "\tif (0 &&", "violation no-kprobe-on-site"},
		// A module's jump site: __jump_label_mod_text_reserved() walks
		// the module's entries only while it holds the module.
		{"module jump site: no reference, no check", kprobeModJump, "kernel/jump_label.c",
			"\t\tif (!try_module_get(mod))\n\t\t\tmod = NULL;\n\t}", "\t\tmod = NULL;\n\t}", "violation no-kprobe-on-site"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := editedVerdict(t, tc.scenario, tc.file, tc.old, tc.new); !strings.HasPrefix(got, tc.want) {
				t.Errorf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}

// editedVerdict checks scenario text with the built-in model file file
// edited (its first old replaced by new; file "" for none) as a
// model-file directive, and returns the verdict.
func editedVerdict(t *testing.T, text, file, old, new string) string {
	t.Helper()
	body := ""
	if file != "" {
		body = string(kernel.BuiltinSource()[file])
		if !strings.Contains(body, old) {
			t.Fatalf("%s does not contain %q", file, old)
		}
		body = strings.Replace(body, old, new, 1)
	}
	r, err := runModelFile(t, text, file, body)
	if err != nil {
		t.Fatal(err)
	}
	return r.Verdict()
}

// runModelFile checks the scenario text with the model file file (none
// if "") replaced by body, through a model-file directive.
func runModelFile(t *testing.T, text, file, body string) (*check.Result, error) {
	t.Helper()
	if file != "" {
		text += "model-file " + file + " <<END\n" + body + "END\n"
	}
	sc, err := scenario.Parse("edit.scn", []byte(text), check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return check.Run(sc, check.Options{})
}

// TestModelErrors checks that a broken model file or diff is an error at
// its own file, line and column.
func TestModelErrors(t *testing.T) {
	const base = "scenario e\narch x86-64\ntarget f1 f2\nkey foo init=f1\nsite s1 key=foo kind=call\ncpu s1\nthread u: update foo f2; free_initmem\n"
	tests := []struct{ name, text, want string }{
		{"syntax", "model-file kernel/extable.c <<END\n/* mirrors: x */\nint core_kernel_text(unsigned long addr)\n{\n\treturn 1\n}\nEND\n", "kernel/extable.c:5:1: expected ';'"},
		{"unknown builtin", "model-file init/main.c <<END\n/* mirrors: x */\nint kernel_init(void *unused)\n{\n\tfrobnicate();\n\treturn 0;\n}\nEND\n", "init/main.c:4:2: frobnicate is neither"},
		{"diff does not apply", "patch bad.diff <<END\n--- a/init/main.c\n+++ b/init/main.c\n@@ -1,1 +1,1 @@\n-nothing like this\n+x\nEND\n", "bad.diff:3:"},
		// static functions are their file's (docs/language.md).
		{"another file's static", "model-file init/main.c <<END\n/* mirrors: x */\nint kernel_init(void *unused)\n{\n\taddr_conflict(NULL, NULL, NULL);\n\treturn 0;\n}\nEND\n", "init/main.c:4:2: addr_conflict is static in kernel/jump_label.c: only that file's functions call it"},
		{"a header's function and a static one", "model-file include/linux/x.h <<END\n/* mirrors: x */\nstatic inline int addr_conflict(void)\n{\n\treturn 0;\n}\nEND\n", "addr_conflict is defined twice (first at include/linux/x.h:2:1, a header's, which every file sees)"},
		{"a static function patchcheck runs by name, twice", "module m\nthread l: load m\nmodel-file kernel/other.c <<END\n/* mirrors: x */\nstatic int load_module(struct module *mod)\n{\n\treturn 0;\n}\nEND\n", "load_module: static in kernel/module/main.c and in kernel/other.c"},
		{"a call through a field of no variable", "model-file init/main.c <<END\n/* mirrors: x */\nint kernel_init(void *unused)\n{\n\tnb->notifier_call(NULL);\n\treturn 0;\n}\nEND\n", "init/main.c:4:2: nb->notifier_call(NULL): a call through a function pointer is a field of a struct variable"},
		{"a field the variable does not set", "model-file init/main.c <<END\n/* mirrors: x */\nint kernel_init(void *unused)\n{\n\tjump_label_module_nb.call(NULL);\n\treturn 0;\n}\nEND\n", "init/main.c:4:2: jump_label_module_nb.call(NULL): jump_label_module_nb sets no field call"},
		{"a variable defined twice", "model-file kernel/other.c <<END\nstruct notifier_block jump_label_module_nb = { .notifier_call = f };\nEND\n", "jump_label_module_nb is defined twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenario.Parse("e.scn", []byte(base+tc.text), check.ParseOptions())
			if err != nil {
				t.Fatal(err)
			}
			_, err = check.Run(sc, check.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestModelPerThread: a diff for one thread (thread=T) changes that
// thread's code only: the other thread runs the kernel's.
func TestModelPerThread(t *testing.T) {
	const base = `scenario two
arch x86-64
target f1 f2
key foo init=f1
key bar init=f1
site s1 key=foo kind=call
site s2 key=bar kind=call
cpu s1 s1
cpu s2 s2
thread a: update foo f2
thread b: update bar f2
`
	diff := kernel.VariantDiffText("tramp-only")
	for _, tc := range []struct{ thread, want, key string }{
		{"", "safe", ""},
		{"a", "violation completion", "s1"},
		{"b", "violation completion", "s2"},
	} {
		text := base
		if tc.thread != "" {
			text += "patch tramp-only.diff thread=" + tc.thread + " <<END\n" + diff + "END\n"
		}
		sc, err := scenario.Parse("two.scn", []byte(text), check.ParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		if tc.thread != "" && !strings.Contains(string(scenario.Format(sc)), "thread="+tc.thread) {
			t.Errorf("the canonical scenario lost thread=%s", tc.thread)
		}
		r, err := check.Run(sc, check.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Verdict(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("thread=%s: verdict %q, want %q", tc.thread, got, tc.want)
		}
		if tc.key != "" && !strings.Contains(r.Violation.Msg, tc.key) {
			t.Errorf("thread=%s: the violation is not about %s: %s", tc.thread, tc.key, r.Violation.Msg)
		}
	}
	if _, err := scenario.Parse("two.scn", []byte(base+"patch x.diff thread=c <<END\nEND\n"), check.ParseOptions()); err == nil || !strings.Contains(err.Error(), "no thread c") {
		t.Errorf("thread=c of no thread: %v", err)
	}
}

// TestModuleLoadFailureUnwinds: a static_call_add_module() that fails
// (here the second kzalloc) makes static_call_module_notify() return the
// error through its switch's break, and load_module() takes bug_cleanup:
// the module never goes LIVE. The compiler once lost the case's ret at
// the break, and the module went on to do_init_module() with a site
// patched for a key whose later update skipped it (consistent-at-rest,
// found by gen's TestFeaturesKernelSafe).
func TestModuleLoadFailureUnwinds(t *testing.T) {
	const text = `scenario unwinds
arch x86-64
target f1 f2
module m1
key k1 init=f1 export=tramp
key k2 init=f1
site s1 key=k2 kind=call
site m1 key=k1 kind=call module=m1
site m2 key=k2 kind=call module=m1
cpu s1
thread t0: static_call_init; smp_init; update k1 f2
thread loader: load m1 fail_alloc=2
`
	sc, err := scenario.Parse("unwinds.scn", []byte(text), check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	r, err := check.Run(sc, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Verdict(); got != "safe" {
		t.Errorf("verdict %q, want safe", got)
	}
}

// TestTrampolineEdits checks that an edit of a trampoline's layout, the
// assembler text of a model header's ARCH_DEFINE_STATIC_CALL_*TRAMP
// macros and nothing else, decides the verdict.
func TestTrampolineEdits(t *testing.T) {
	const x86 = `scenario edit
arch x86-64
target f1 f2
key foo init=f1
cpu tramp(foo)
thread updater: update foo f2
`
	const x86Null = `scenario edit
arch x86-64
target f1 f2
key foo init=NULL
cpu tramp(foo)
thread updater: update foo f2
`
	const ppc32 = `scenario edit
arch ppc32
target f1 f2
place f2 range=far
key k init=f1
cpu tramp(k) tramp(k)
thread t: update k f2
`
	const x86h = "arch/x86/include/asm/static_call.h"
	const ppch = "arch/powerpc/include/asm/static_call.h"
	const sig = "\t    \".byte 0x0f, 0xb9, 0xcc\t\t\t\t\\n\"\t\\\n"
	const data = "\t    \"2:\t.long 0\t\t\t\t\t\t\\n\"\t\\\n"
	tests := []struct{ name, scenario, file, old, new, want string }{
		{"x86 unchanged", x86, "", "", "", "safe"},
		// Without the ud1 signature the trampoline is 5 bytes, padded
		// to .align 4 (GNU as's 3-byte NOP, or the text after it), and
		// __static_call_validate's memcmp(insn+5, tramp_ud, 3) fails:
		// "trampoline signature fail", BUG().
		{"x86 no signature", x86, x86h, sig, "", "violation no-kernel-bug"},
		{"x86 NULL unchanged", x86Null, "", "", "", "safe"},
		// A NULL trampoline that starts with a nop: the validator's
		// tail check finds no JMP32, RET or Jcc and BUG()s.
		{"x86 NULL trampoline of nops", x86Null, x86h, `"ret; int3; nop; nop; nop"`, `"nop; nop; nop; nop; nop"`, "violation no-kernel-bug"},
		{"ppc32 unchanged", ppc32, "", "", "", "safe"},
		// .balign 8 before label 2 moves the data word to offset 32:
		// the transform still writes PPC_SCT_DATA (28), the padding
		// nop, and a CPU through the trampoline's nop loads the
		// untouched .long 0 and branches to 0.
		{"ppc32 .balign 8", ppc32, ppch, data, "\t    \".balign 8\\n\"\t\\\n" + data, "violation no-undefined-insn"},
		// The same edit with PPC_SCT_DATA moved to match: safe again.
		{"ppc32 .balign 8 and PPC_SCT_DATA 32", ppc32, ppch, data + "\t    \".type",
			"\t    \".balign 8\\n\"\t\\\n" + data + "\t    \".type", "safe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.scenario
			if strings.Contains(tc.name, "PPC_SCT_DATA 32") {
				body := string(kernel.BuiltinSource()[tc.file])
				body = strings.Replace(body, tc.old, tc.new, 1)
				body = strings.Replace(body, "#define PPC_SCT_DATA\t\t28", "#define PPC_SCT_DATA\t\t32", 1)
				text += "model-file " + tc.file + " <<END\n" + body + "END\n"
				tc.file = ""
			}
			if got := editedVerdict(t, text, tc.file, tc.old, tc.new); !strings.HasPrefix(got, tc.want) {
				t.Errorf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTrampolineStoreErrors: the PPC32 layout reads the trampoline's
// forms from the model's transform (kernel.TrampSource.TransformStores);
// an edit that makes them unusable is an error at the model file's
// statement, not a panic.
func TestTrampolineStoreErrors(t *testing.T) {
	const base = "scenario e\narch ppc32\ntarget f1 f2\nplace f2 range=far\nkey k init=f1\ncpu tramp(k)\nthread t: update k f2\n"
	const file = "arch/powerpc/kernel/static_call.c"
	const old = "err = patch_ulong(tramp + PPC_SCT_DATA, _func);"
	for _, tc := range []struct{ name, new, want string }{
		{"a store across the instruction", "err = patch_ulong(tramp + 2, _func);", file + ":216: key k: patch_ulong stores 4 bytes at __SCT__k+2, across the instruction"},
		{"a panic for a target", "err = patch_ulong(tramp + PPC_SCT_DATA, _func); BUG();", file + ":181:1: arch_static_call_transform(NULL, __SCT__k, f2, false) compiles to BUG() (at " + file + ":216)"},
		{"a data window too wide", "err = patch_ulong(tramp + 16, _func); patch_ulong(tramp + 28, _func);", "key k: arch_static_call_transform writes __SCT__k+16 to +32 besides the instruction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(string(kernel.BuiltinSource()[file]), old, tc.new, 1)
			_, err := runModelFile(t, base, file, body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestArm64LiteralModel edits v6-literal's arch_static_call_transform
// (kernel/variants/v6-literal.diff applied) as a model-file directive:
// its struct local and its 16-byte __aarch64_insn_write are checked when
// compiling, at the file's line, and the posted
// caches_clean_inval_pou(tramp - 8, sizeof(insns)), whose end is a size,
// maintains what an end of tramp + 8 does (docs/semantics.md §10.6).
func TestArm64LiteralModel(t *testing.T) {
	const base = "scenario e\narch arm64\nvariant v6-literal\ntarget f1\nplace f1 range=far\nkey k init=NULL\ncpu tramp(k)\ncpu tramp(k)\nthread t: update k f1\n"
	const file = "arch/arm64/kernel/static_call.c"
	files, err := kernel.ModelSource(&scenario.Scenario{Arch: "arm64", Variant: "v6-literal"})
	if err != nil {
		t.Fatal(err)
	}
	body := string(files[file])
	run := func(old, new string) (*check.Result, error) {
		t.Helper()
		if !strings.Contains(body, old) {
			t.Fatalf("%s does not contain %q", file, old)
		}
		return runModelFile(t, base, file, strings.Replace(body, old, new, 1))
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"at the file's line", "\tinsns.insn[1] = cpu_to_le32(insn);\n", "", file + ":"},
		{"a field never set", "\tinsns.insn[1] = cpu_to_le32(insn);\n", "", "insns.insn[1] is used before it is set"},
		{"part of the struct", "&insns, sizeof(insns));", "&insns, 8);", "the model writes the whole struct or field (16 bytes)"},
		{"no such field", "insns.literal = (u64)func;", "insns.lit = (u64)func;", "struct static_call_insns has no integer lit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := run(tc.old, tc.new); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	posted, err := run("", "")
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := run("caches_clean_inval_pou((u64)tramp - 8, sizeof(insns));", "caches_clean_inval_pou((u64)tramp - 8, (u64)tramp + 8);")
	if err != nil {
		t.Fatal(err)
	}
	if posted.Verdict() != fixed.Verdict() || posted.Stats.States != fixed.Stats.States || !strings.HasPrefix(posted.Verdict(), "violation cmodx") {
		t.Errorf("posted end argument: %s, %d states; tramp + 8: %s, %d states", posted.Verdict(), posted.Stats.States, fixed.Verdict(), fixed.Stats.States)
	}
}

// TestPowerpc64ModelErrors: powerpc64's transform reads text when
// compiling (ppc_function_toc() decodes a global entry through a u32 *);
// an edit that lets a patchable word (the vmlinux trampoline's
// instruction, which it reads second) decide, or that asks IS_ENABLED of
// a name nobody #defines, is an error at the model file's line and
// column, not a panic or a guess.
func TestPowerpc64ModelErrors(t *testing.T) {
	const base = "scenario e\narch ppc64\ntarget f1 g1\nmodule m1\nplace g1 module=m1\nkey k init=f1\ncpu tramp(k)\nthread t: update k g1\n"
	const file = "arch/powerpc/kernel/static_call.c"
	for _, tc := range []struct{ name, old, new, want string }{
		{"a decision on patchable text", "if (op_regs1 == ADDIS_R2_R12)", "if (op_regs2 == ADDIS_R2_R12)",
			file + ":52:15: the text read here, at 0xc000000000001004, is patchable"},
		{"IS_ENABLED of no name", "if (IS_ENABLED(CONFIG_PPC64_ELF_ABI_V2)) {\n\t\tvoid *func1_toc;", "if (IS_ENABLED(CONFIG_PPC64_NOPE)) {\n\t\tvoid *func1_toc;",
			file + ":84:17: IS_ENABLED(CONFIG_PPC64_NOPE): CONFIG_PPC64_NOPE is not #defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := string(kernel.BuiltinSource()[file])
			if strings.Count(src, tc.old) != 1 {
				t.Fatalf("%q is not once in %s", tc.old, file)
			}
			_, err := runModelFile(t, base, file, strings.Replace(src, tc.old, tc.new, 1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
