#!/usr/bin/env python3
# Regenerates kernel/variants/{v2-adrp-add,v6-literal,v5-literal-if-nop}.diff
# from the model files. Usage: arm64designs.py [KERNEL_DIR]
# (default: this repository's kernel/). Same mechanics as jlarm64variant.py.
import os, sys
from recipe import root, rd, sub, write_variants
H = 'arch/arm64/include/asm/static_call.h'
C = 'arch/arm64/kernel/static_call.c'
I = 'arch/arm64/include/asm/insn.h'


MAIN_TRAMP = '''	    "	adrp	x16, 1f					\\n" \\
	    "	ldr	x16, [x16, :lo12:1f]			\\n" \\
	    "	br	x16					\\n" \\
	    "	.type	" name ", %function			\\n" \\
	    "	.size	" name ", . - " name "			\\n" \\
	    "	.popsection					\\n" \\
	    "	.pushsection .rodata, \\"a\\"			\\n" \\
	    "	.align	3					\\n" \\
	    "1:	.quad	" target "				\\n" \\
	    "	.popsection					\\n")
'''
V2_TRAMP = '''	    "	adrp	x16, " target "				\\n" \\
	    "	add	x16, x16, :lo12:" target "		\\n" \\
	    "	br	x16					\\n" \\
	    "	.type	" name ", %function			\\n" \\
	    "	.size	" name ", . - " name "			\\n" \\
	    "	.popsection					\\n")
'''
MAIN_MIRROR = '/* mirrors: arch/arm64/include/asm/static_call.h __ARCH_DEFINE_STATIC_CALL_TRAMP() 54ac9ff8f119 */'
V2_MIRROR = '''/*
 * mirrors: arch/arm64/include/asm/static_call.h
 * __ARCH_DEFINE_STATIC_CALL_TRAMP() v2 (Ard Biesheuvel, 2020, lore
 * 20201028184114.6834-1-ardb@kernel.org), reconstructed from the review
 * (the posted code was not read): the target materialised with adrp/add
 * instead of loaded
 */'''

MAIN_BODY = '''	u64 literal;
	int ret;

	if (!func)
		func = __static_call_return0;

	/* decode the instructions to discover the literal address */
	literal = ALIGN_DOWN((u64)tramp + 4, SZ_4K) +
		  aarch64_insn_adrp_get_offset(le32_to_cpup(tramp + 4)) +
		  8 * aarch64_insn_decode_immediate(AARCH64_INSN_IMM_12,
						    le32_to_cpup(tramp + 8));

	ret = aarch64_insn_write_literal_u64((void *)literal, (u64)func);
	WARN_ON_ONCE(ret);
}'''
MAIN_FN_MIRROR = '/* mirrors: arch/arm64/kernel/static_call.c arch_static_call_transform() v6.16 */'
V2_FN_MIRROR = '''/*
 * mirrors: arch/arm64/kernel/static_call.c arch_static_call_transform() v2
 * (2020), reconstructed from the review (the posted code was not read):
 * adrp then add, each by aarch64_insn_patch_text_nosync, under text_mutex
 */'''
V2_BODY = '''	u32 adrp, add;

	if (!func)
		func = __static_call_return0;

	adrp = aarch64_insn_gen_adr((u64)tramp + 4, (u64)func, AARCH64_INSN_REG_16,
				    AARCH64_INSN_ADR_TYPE_ADRP);
	add = aarch64_insn_gen_add_sub_imm(AARCH64_INSN_REG_16, AARCH64_INSN_REG_16,
					   offset_in_page(func),
					   AARCH64_INSN_VARIANT_64BIT,
					   AARCH64_INSN_ADSB_ADD);

	mutex_lock(&text_mutex);
	aarch64_insn_patch_text_nosync(tramp + 4, adrp);
	aarch64_insn_patch_text_nosync(tramp + 8, add);
	mutex_unlock(&text_mutex);
}'''

V = {
 'v2-adrp-add': ("arm64, a design: Ard Biesheuvel's 2020 v2 approach (reconstructed from the review: the posted code was not read): the trampoline materialises the target with adrp x16; add x16, x16, :lo12:; br x16, and the update patches adrp then add with aarch64_insn_patch_text_nosync",
   {H: [(MAIN_MIRROR, V2_MIRROR), (MAIN_TRAMP, V2_TRAMP)],
    C: [(MAIN_FN_MIRROR, V2_FN_MIRROR), (MAIN_BODY, V2_BODY)]}),
}

# v6 (Ard Biesheuvel, [PATCH v6 2/2] arm64: implement support for static
# call trampolines, lore 20211105145917.2828911-3-ardb@kernel.org, read
# through the search tool): the header's macro text and the transform as
# posted. Model choices (docs/semantics.md §11, rows 68 on): the posted
# anonymous struct is named (structs are top-level in the model language);
# strip_cfi_jt() is left out (no CONFIG_CFI_CLANG: it returns its
# argument); the transform is in the model's static_call.c (posted:
# patching.c); __aarch64_insn_write(addr, &insns, size) is a built-in.
# v5-literal-if-nop is reconstructed (see V5_FN_MIRROR).
_h = rd(H)
MAIN_TRAMP_MACRO = _h[_h.index('#define __ARCH_DEFINE_STATIC_CALL_TRAMP(name, target)'):]
MAIN_TRAMP_MACRO = MAIN_TRAMP_MACRO[:MAIN_TRAMP_MACRO.index('\n\n') + 1]
LIT_TRAMP_MACRO = r'''#define __ARCH_DEFINE_STATIC_CALL_TRAMP(name, insn)			    \
	asm("	.pushsection	.static_call.text, \"ax\"		\n" \
	    "	.align		4					\n" \
	    "	.globl		" STATIC_CALL_TRAMP_STR(name) "		\n" \
	    "0:	.quad		0x0					\n" \
	    STATIC_CALL_TRAMP_STR(name) ":				\n" \
	    "	hint 		34	/* BTI C */			\n" \
		insn "							\n" \
	    "	ldr		x16, 0b					\n" \
	    "	cbz		x16, 1f					\n" \
	    "	br		x16					\n" \
	    "1:	ret							\n" \
	    "	.popsection						\n")
'''
LIT_COMMENT = '''/*
 * The sequence below is laid out in a way that guarantees that the literal and
 * the instruction are always covered by the same cacheline, and can be updated
 * using a single store-pair instruction (provided that we rewrite the BTI C
 * instruction as well). This means the literal and the instruction are always
 * in sync when observed via the D-side.
 *
 * However, this does not guarantee that the I-side will catch up immediately
 * as well: until the I-cache maintenance completes, CPUs may branch to the old
 * target, or execute a stale NOP or RET. We deal with this by writing the
 * literal unconditionally, even if it is 0x0 or the branch is in range. That
 * way, a stale NOP will fall through and call the new target via an indirect
 * call. Stale RETs or Bs will be taken as before, and branch to the old
 * target.
 */'''


def lit_mirror(what, extra):
    return '''/*
 * mirrors: arch/arm64/include/asm/static_call.h %s v6
 * (Ard Biesheuvel, Nov 2021, lore 20211105145917.2828911-3-ardb@kernel.org)%s
 */''' % (what, extra)


MAIN_TRAMP_CALL = r'''/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_TRAMP() 54ac9ff8f119 */
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(STATIC_CALL_TRAMP_STR(name), #func)
'''
MAIN_NULL = r'''/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() 54ac9ff8f119 */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)			\
	ARCH_DEFINE_STATIC_CALL_TRAMP(name, __static_call_return0)
'''
MAIN_RET0_MIRROR = '/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() 54ac9ff8f119 */'


def lit_h(extra):
    return [(MAIN_MIRROR, LIT_COMMENT + '\n' + lit_mirror('__ARCH_DEFINE_STATIC_CALL_TRAMP()', extra)),
            (MAIN_TRAMP_MACRO, LIT_TRAMP_MACRO),
            (MAIN_TRAMP_CALL, lit_mirror('ARCH_DEFINE_STATIC_CALL_TRAMP()', '') + r'''
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(name, "b " #func)
'''),
            (MAIN_NULL, lit_mirror('ARCH_DEFINE_STATIC_CALL_NULL_TRAMP()', '') + r'''
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(name, "ret")
'''),
            (MAIN_RET0_MIRROR, '''/*
 * mirrors: arch/arm64/include/asm/static_call.h
 * ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() 54ac9ff8f119: the posted v6 header
 * defines no RET0 trampoline; the model keeps mainline's, the trampoline
 * of __static_call_return0 (a model choice, docs/semantics.md §11)
 */''')]


LIT_STRUCT = '''/*
 * The posted transform's local struct { u64 literal; __le32 insn[2]; }
 * insns, named: the model language defines structs at top level.
 */
struct static_call_insns {
	u64	literal;
	__le32	insn[2];
};

'''
LIT_BODY_HEAD = '''	/*
	 * -0x8	<literal>
	 *  0x0	bti c		<--- trampoline entry point
	 *  0x4	<branch or nop>
	 *  0x8	ldr x16, <literal>
	 *  0xc	cbz x16, 20
	 * 0x10	br x16
	 * 0x14	ret
	 */
	struct static_call_insns insns;
	u32 insn;
	int ret;

	insn = aarch64_insn_gen_hint(AARCH64_INSN_HINT_BTIC);
	insns.literal = (u64)func;
	insns.insn[0] = cpu_to_le32(insn);

	if (!func) {
		insn = aarch64_insn_gen_branch_reg(AARCH64_INSN_REG_LR,
						   AARCH64_INSN_BRANCH_RETURN);
	} else {
		/* the posted strip_cfi_jt(func) is func: no CONFIG_CFI_CLANG */
		insn = aarch64_insn_gen_branch_imm((u64)tramp + 4,
						   (u64)func,
						   AARCH64_INSN_BRANCH_NOLINK);

		/*
		 * Use a NOP if the branch target is out of range, and rely on
		 * the indirect call instead.
		 */
		if (insn == AARCH64_BREAK_FAULT)
			insn = aarch64_insn_gen_hint(AARCH64_INSN_HINT_NOP);
	}
	insns.insn[1] = cpu_to_le32(insn);

'''
V6_BODY = LIT_BODY_HEAD + '''	ret = __aarch64_insn_write(tramp - 8, &insns, sizeof(insns));
	if (!WARN_ON(ret))
		caches_clean_inval_pou((u64)tramp - 8, sizeof(insns));
}'''
V5_BODY = LIT_BODY_HEAD + '''	/*
	 * Reconstructed: the literal is written only with the NOP that
	 * exposes it; otherwise bti c and the instruction alone.
	 */
	if (insn == aarch64_insn_gen_hint(AARCH64_INSN_HINT_NOP))
		ret = __aarch64_insn_write(tramp - 8, &insns, sizeof(insns));
	else
		ret = __aarch64_insn_write(tramp, &insns.insn, sizeof(insns.insn));
	if (!WARN_ON(ret))
		caches_clean_inval_pou((u64)tramp - 8, sizeof(insns));
}'''
MAIN_FN_HEAD = '''void arch_static_call_transform(void *site, void *tramp, void *func, bool tail)
{
'''
V6_FN_MIRROR = '''/*
 * mirrors: arch/arm64/kernel/patching.c arch_static_call_transform() v6
 * (Ard Biesheuvel, Nov 2021, lore 20211105145917.2828911-3-ardb@kernel.org):
 * the literal, bti c and the instruction in one 16-byte
 * __aarch64_insn_write(tramp - 8, &insns, 16), then caches_clean_inval_pou,
 * to whose end argument the posted code passes a size (docs/semantics.md §11)
 */'''
V5_FN_MIRROR = '''/*
 * mirrors: arch/arm64/kernel/patching.c arch_static_call_transform() v6
 * (Ard Biesheuvel, Nov 2021, lore 20211105145917.2828911-3-ardb@kernel.org),
 * reconstructed for a design the v6 header's comment argues against; no
 * posted code read writes the literal conditionally (the re-post of
 * 25 Oct 2021, lore 20211025122102.46089-3-frederic@kernel.org, writes it
 * unconditionally too): the literal is written only with the NOP that
 * exposes it
 */'''
V['v6-literal'] = ("arm64, a design: Ard Biesheuvel's 2021 v6 trampoline as posted (literal at tramp - 8; bti c; b func | ret | nop; ldr x16, literal; cbz x16, 1f; br x16; 1: ret); the literal (written unconditionally), bti c and the instruction by one 16-byte __aarch64_insn_write (two 64-bit stores, observed in either order), then caches_clean_inval_pou",
   {H: lit_h(''),
    C: [(MAIN_FN_MIRROR, LIT_STRUCT + V6_FN_MIRROR), (MAIN_FN_HEAD + MAIN_BODY, MAIN_FN_HEAD + V6_BODY)]})
V['v5-literal-if-nop'] = ("arm64, a design (reconstructed: no posted code read writes the literal conditionally): the v6 trampoline, but the literal is written only with the nop that exposes it (one 16-byte __aarch64_insn_write, two 64-bit stores observed in either order), otherwise bti c and the instruction alone (an 8-byte __aarch64_insn_write); then caches_clean_inval_pou",
   {H: lit_h(';\n * the trampoline of the v5-literal-if-nop design'),
    C: [(MAIN_FN_MIRROR, LIT_STRUCT + V5_FN_MIRROR), (MAIN_FN_HEAD + MAIN_BODY, MAIN_FN_HEAD + V5_BODY)]})

write_variants(V)
