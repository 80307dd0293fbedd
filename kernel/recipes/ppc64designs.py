#!/usr/bin/env python3
# Regenerates kernel/variants/{v4-no-shares-toc,v4-ppc32-transform,rfc,rfc-opt1,rfc-opt2,rfc-opt3,rfc-paca}.diff
# from the model files (powerpc64's gray-v4 transform in
# arch/powerpc/kernel/static_call.c). Usage: ppc64designs.py [KERNEL_DIR]
# (default: this repository's kernel/). Same mechanics as arm64designs.py.
import os, sys
from recipe import root, rd, sub, write_variants
C = 'arch/powerpc/kernel/static_call.c'


V4_MIRROR = '/* mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of Benjamin Gray\'s v3 5/6 (2022-10-05) */'
V4_SHORT = '''	if (is_ret0)
		is_short = true;
	else if (shares_toc(tramp, target))
		is_short = is_offset_in_branch_range(
			(long)ppc_function_entry(target) - (long)tramp_inst);
	else
		/* Combine out-of-range with not sharing a TOC. Though it's possible
		 * an out-of-range target shares a TOC, handling this separately
		 * complicates the trampoline. It's simpler to always use the global
		 * entry point in this case.
		 */
		is_short = false;
'''
V4_BRANCH = '''		err = patch_branch(tramp_inst, ppc_function_entry(target), 0);'''

NOSHARE_MIRROR = '''/*
 * mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of
 * Benjamin Gray's v3 5/6 (2022-10-05) with shares_toc() true for any two
 * functions (its NULL test kept): a known-bad design of the model's (the
 * series always tests the TOC)
 */'''
NOSHARE_SHORT = '''	if (is_ret0)
		is_short = true;
	else if (target)
		is_short = is_offset_in_branch_range(
			(long)ppc_function_entry(target) - (long)tramp_inst);
	else
		is_short = false;
'''
PPC32_MIRROR = '''/*
 * mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of
 * Benjamin Gray's v3 5/6 (2022-10-05) with the range test and branch of the
 * PPC32 transform it replaced (v6.0: is_offset_in_branch_range(target -
 * tramp), patch_branch(tramp, target, 0)): a known-bad design of the model's
 */'''
PPC32_SHORT = '''	is_short = is_offset_in_branch_range((long)target - (long)tramp_inst);
'''
PPC32_BRANCH = '''		err = patch_branch(tramp_inst, (unsigned long)target, 0);'''

H = 'arch/powerpc/include/asm/static_call.h'

def v4_block():
    t = rd(H)
    a = t.index('/*\n * .localentry NAME, 1: the local')
    end_marker = '#define PPC_SCT_DATA_KERNEL\t\t32\t\t/* Offset of label 2 (aligned) */\n'
    b = t.index(end_marker) + len(end_marker)
    return t[a:b]

def sct(lines):
    # the asm() of a __PPC_SCT: lines of assembler, each a C string
    out = ['#define __PPC_SCT(name, inst)\t\t\t\t\t\\',
           '\tasm(".pushsection .text, \\"ax\\"\t\t\t\t\\n"\t\\']
    for l in lines:
        out.append('\t    ' + l + '\t\\')
    out += ['\t    ".type " STATIC_CALL_TRAMP_STR(name) ", @function\t\\n"\t\\',
            '\t    ".size " STATIC_CALL_TRAMP_STR(name) ", . - " STATIC_CALL_TRAMP_STR(name) " \\n" \\',
            '\t    ".popsection\t\t\t\t\t\\n")']
    return '\n'.join(out) + '\n'

N = 'STATIC_CALL_TRAMP_STR(name)'
GLOBAL_ENTRY = ['".align 6\t\t\t\t\t\t\\n"',
    '".globl " %s "\t\t\\n"' % N,
    '%s ":\t\t\t\\n"' % N,
    '"\taddis\t2, 12, (.TOC.-" %s ")@ha \\n"' % N,
    '"\taddi\t2, 2, (.TOC.-" %s ")@l   \\n"' % N,
    '".localentry " %s ", .-" %s "\\n"' % (N, N),
    '"\t" inst "\t\t\t\t\t\\n"']
TAIL = ['"1:\tli\t3, 0\t\t\t\t\t\\n"', '"\tblr\t\t\t\t\t\t\\n"', '".balign 8\t\t\t\t\t\t\\n"', '"2:\t.8byte 0\t\t\t\t\t\\n"']
TOC_LOAD = ['"\taddis\t12, 2, 2f@toc@ha\t\t\t\\n"', '"\tld\t12, 2f@toc@l(12)\t\t\t\\n"', '"\tmtctr\t12\t\t\t\t\t\\n"']

def offsets(inst, ret0, data):
    o = ''
    for w in ('MODULE', 'KERNEL'):
        o += '#define PPC_SCT_INST_%s\t\t%d\t\t/* Offset of instruction to update */\n' % (w, inst)
        o += '#define PPC_SCT_RET0_%s\t\t%d\t\t/* Offset of label 1 */\n' % (w, ret0)
        o += '#define PPC_SCT_DATA_%s\t\t%d\t\t/* Offset of label 2 (aligned) */\n' % (w, data)
        o += '\n'
    return o + '#define PPC_SCT_RET0\t\tPPC_SCT_RET0_KERNEL\n#define PPC_SCT_DATA\t\tPPC_SCT_DATA_KERNEL\n'

RFC_MIRROR = """/*
 * mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() of Benjamin
 * Gray's RFC 3/4 (2022-09-01) without the stack frame its commit message
 * says a trampoline cannot have ("a trampoline cannot use the stack"): the
 * global entry computes r2 from r12, the local entry is at +8 (.localentry
 * NAME, .-NAME), and the toolchain takes it to preserve r2. One text for
 * vmlinux and modules.
 */
"""
RFC_TRAMP = RFC_MIRROR + sct(GLOBAL_ENTRY + TOC_LOAD + ['"\tbctr\t\t\t\t\t\t\\n"'] + TAIL) + '\n' + offsets(8, 28, 40)

OPT2_MIRROR = """/*
 * mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() of Benjamin
 * Gray's RFC 3/4 (2022-09-01) with option 2 of its cover letter,
 * reconstructed (the option was not posted as code): the slow path keeps
 * the caller's r2 and LR on a livepatch-style stack of its own
 * (ftrace_64_mprofile.S's livepatch_handler), here one frame in a per-CPU
 * save area 256 bytes into the PACA (r13), calls the target with bctrl,
 * and restores both
 */
"""
OPT2_TRAMP = OPT2_MIRROR + sct(GLOBAL_ENTRY + ['"\tstd\t2, 256(13)\t\t\t\t\\n"', '"\tmflr\t0\t\t\t\t\t\\n"', '"\tstd\t0, 264(13)\t\t\t\t\\n"'] + TOC_LOAD +
    ['"\tbctrl\t\t\t\t\t\t\\n"', '"\tld\t0, 264(13)\t\t\t\t\\n"', '"\tmtlr\t0\t\t\t\t\t\\n"', '"\tld\t2, 256(13)\t\t\t\t\\n"', '"\tblr\t\t\t\t\t\t\\n"'] + TAIL) + '\n' + offsets(8, 56, 64)

OPT3_MIRROR = """/*
 * mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() of option 3
 * of Benjamin Gray's RFC cover letter (2022-09-01), reconstructed (the
 * experiment was described, not posted): a trampoline without a local
 * entry and without TOC use, which finds its data word from its own
 * address (bcl 20,31,$+4); .localentry NAME, 0 tells the toolchain it
 * preserves r2
 */
"""
OPT3_TRAMP = OPT3_MIRROR + sct(['".align 6\t\t\t\t\t\t\\n"', '".globl " %s "\t\t\\n"' % N, '".localentry " %s ", 0\t\\n"' % N, '%s ":\t\t\t\\n"' % N,
    '"\tmflr\t11\t\t\t\t\t\\n"', '"\tbcl\t20, 31, $+4\t\t\t\t\\n"', '"0:\tmflr\t12\t\t\t\t\t\\n"', '"\tmtlr\t11\t\t\t\t\t\\n"', '"\t" inst "\t\t\t\t\t\\n"',
    '"\tld\t12, (2f - 0b)(12)\t\t\t\\n"', '"\tmtctr\t12\t\t\t\t\t\\n"', '"\tbctr\t\t\t\t\t\t\\n"'] + TAIL) + '\n' + offsets(16, 32, 40)

OPT1_SITE = """
/*
 * Option 1 of the RFC cover letter: every static call site saves r2 in
 * its TOC save doubleword before the call and restores it after ("The
 * patching itself can probably be done at compile time at kernel
 * callsites"), as if the nop after the bl were ld r2,24(r1) at build
 * time. The model's marker for the port's call sites (the compiler's
 * code, no kernel text).
 */
#define PPC_SCT_CALL_SAVES_TOC		1
"""
PACA_SITE = """
/*
 * The PACA idea of the series ("The kernel TOC is easily found in the
 * PACA, but not an arbitrary module TOC"), read as a call-site restore:
 * every vmlinux static call site reloads ld r2,PACATOC(r13) after the
 * call; a module's keep their nop. The model's marker for the port's call
 * sites (the compiler's code, no kernel text).
 */
#define PPC_SCT_CALL_RELOADS_PACA_TOC	1
"""

RFC_FN_MIRROR = """/*
 * mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of
 * Benjamin Gray's RFC 3/4 (2022-09-01), with patch_ulong() for its
 * patch_memory(tramp + PPC_SCT_DATA, &target, sizeof(target)) (one aligned
 * std, as its comment says), and shares_toc() and ppc_function_toc() of v3
 * above (the RFC's test the same words)
 */"""
RFC_BODY_OLD_START = '\tint err;\n\tbool is_ret0 = (func == __static_call_return0);\n\tbool is_short;\n'
RFC_BODY_OLD_END = '\t\terr = patch_instruction(tramp_inst, ppc_inst(PPC_RAW_NOP()));\n'

def v4_body():
    t = rd(C)
    a = t.index(RFC_BODY_OLD_START)
    b = t.index(RFC_BODY_OLD_END) + len(RFC_BODY_OLD_END)
    return t[a:b]

RFC_BODY = """	int err;
	bool is_ret0 = (func == __static_call_return0);
	unsigned long target = (unsigned long)(is_ret0 ? tramp + PPC_SCT_RET0 : func);
	bool is_short;
	void *tramp_entry;

	if (!tramp)
		return;

	tramp_entry = (void *)ppc_function_entry(tramp);

	if (shares_toc(tramp, (void *)target)) {
		/* Confirm that the local entry point is in range */
		is_short = is_offset_in_branch_range(
			(long)ppc_function_entry((void *)target) - (long)tramp_entry);
	} else {
		/* Combine out-of-range with not sharing a TOC. Though it's possible an
		 * out-of-range target shares a TOC, handling this separately complicates
		 * the trampoline. It's simpler to always use the global entry point
		 * in this case.
		 */
		is_short = false;
	}

	mutex_lock(&text_mutex);

	if (func && !is_short) {
		err = patch_ulong(tramp + PPC_SCT_DATA, target);
		if (err)
			goto out;
	}

	if (!func)
		err = patch_instruction(tramp_entry, ppc_inst(PPC_RAW_BLR()));
	else if (is_short)
		err = patch_branch(tramp_entry, ppc_function_entry((void *)target), 0);
	else
		err = patch_instruction(tramp_entry, ppc_inst(PPC_RAW_NOP()));
"""
OPT3_FN_MIRROR = """/*
 * mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of
 * Benjamin Gray's v3 5/6 (2022-10-05) for option 3's trampoline,
 * reconstructed: a trampoline without a TOC cannot assume r2 is a
 * target's, so only its own return-0 label is branched to; every other
 * target goes through the data word, entered at its global entry
 */"""

V4_BLOCK = v4_block()
V4_BODY = v4_body()

V = {
 'v4-no-shares-toc': ("powerpc64, known bad: v4 without shares_toc(): b to the local entry of any target in range, whatever its TOC",
   {C: [(V4_MIRROR, NOSHARE_MIRROR), (V4_SHORT, NOSHARE_SHORT)]}),
 'rfc': ("powerpc64, a design: the RFC (Sep 2022) trampoline without the stack frame it admits it cannot have: a global and a local entry, so callers treat it as a local function that preserves r2; a target in another TOC domain returns with its own TOC in r2",
   {H: [(V4_BLOCK, RFC_TRAMP)], C: [(V4_MIRROR, RFC_FN_MIRROR), (V4_BODY, RFC_BODY)]}),
 'rfc-opt1': ("powerpc64, a design: RFC option 1: every static call site saves r2 in its TOC save doubleword before the call and restores it after (the nop made ld r2,24(r1) at build time)",
   {H: [(V4_BLOCK, RFC_TRAMP + OPT1_SITE)], C: [(V4_MIRROR, RFC_FN_MIRROR), (V4_BODY, RFC_BODY)]}),
 'rfc-opt2': ("powerpc64, a design: RFC option 2: the trampoline's slow path keeps the caller's r2 and LR on a livepatch-style stack of its own, calls the target, restores both and returns",
   {H: [(V4_BLOCK, OPT2_TRAMP)], C: [(V4_MIRROR, RFC_FN_MIRROR), (V4_BODY, RFC_BODY)]}),
 'rfc-opt3': ("powerpc64, a design: RFC option 3: a trampoline without a local entry (and no TOC use); the toolchain still treats it as preserving r2, so no caller restores its TOC",
   {H: [(V4_BLOCK, OPT3_TRAMP)], C: [(V4_MIRROR, OPT3_FN_MIRROR), (V4_SHORT, '\tis_short = is_ret0;\n')]}),
 'rfc-paca': ("powerpc64, a design: the RFC trampoline, and every vmlinux static call site reloads r2 from the PACA (ld r2,PACATOC(r13)) after the call; a module's own call sites cannot",
   {H: [(V4_BLOCK, RFC_TRAMP + PACA_SITE)], C: [(V4_MIRROR, RFC_FN_MIRROR), (V4_BODY, RFC_BODY)]}),
 'v4-ppc32-transform': ("powerpc64, known bad: v4 trampolines with the PPC32 transform: b func to the target's global entry when in range, without setting r12 or checking the TOC",
   {C: [(V4_MIRROR, PPC32_MIRROR), (V4_SHORT, PPC32_SHORT), (V4_BRANCH, PPC32_BRANCH)]}),
}

write_variants(V)
