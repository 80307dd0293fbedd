#!/usr/bin/env python3
# Regenerates the x86 patching-thread variant diffs from the model files.
import os, sys
from recipe import root, rd, sub, write_variants
ALT = 'arch/x86/kernel/alternative.c'
SC = 'arch/x86/kernel/static_call.c'
CORE = 'kernel/static_call_inline.c'
PPC = 'arch/powerpc/kernel/static_call.c'
ARM = 'arch/arm64/kernel/static_call.c'

def arm_site(patch):
    return {ARM: [("""	u64 literal;
	int ret;
""", """	u64 literal;
	int ret;

	if (site) {
		u32 insn;

		if (!func)
			insn = tail ? aarch64_insn_gen_branch_reg(AARCH64_INSN_REG_LR,
								   AARCH64_INSN_BRANCH_RETURN)
				    : aarch64_insn_gen_nop();
		else
			insn = aarch64_insn_gen_branch_imm((unsigned long)site, (unsigned long)func,
							   tail ? AARCH64_INSN_BRANCH_NOLINK
								: AARCH64_INSN_BRANCH_LINK);
		if (insn == AARCH64_BREAK_FAULT)
			insn = aarch64_insn_gen_branch_imm((unsigned long)site, (unsigned long)tramp,
							   tail ? AARCH64_INSN_BRANCH_NOLINK
								: AARCH64_INSN_BRANCH_LINK);

		mutex_lock(&text_mutex);
""" + patch + """		mutex_unlock(&text_mutex);
		return;
	}
""")]}



SINGLE = "\tsmp_text_poke_single(insn, code, size, emulate);\n}"
def batch(add):
    return {
        SC: [
            ("static void __ref __static_call_transform(void *insn, enum insn_type type,\n\t\t\t\t\t  void *func, bool modinit)",
             "static void __ref __static_call_transform(void *insn, enum insn_type type,\n\t\t\t\t\t  void *func, bool modinit, bool queue)"),
            (SINGLE, "\tif (queue)\n\t\t%s(insn, code, size, emulate);\n\telse\n\t\tsmp_text_poke_single(insn, code, size, emulate);\n}" % add),
            ("__static_call_transform(tramp, __sc_insn(!func, true), func, false);",
             "__static_call_transform(tramp, __sc_insn(!func, true), func, false, false);"),
            ("__static_call_transform(site, __sc_insn(!func, tail), func, false);",
             "__static_call_transform(site, __sc_insn(!func, tail), func, false, true);"),
        ],
        CORE: [
            ("static void static_call_unlock(void)\n{\n",
             "static void static_call_unlock(void)\n{\n\tmutex_lock(&text_mutex);\n\tsmp_text_poke_batch_finish();\n\tmutex_unlock(&text_mutex);\n"),
        ],
    }

V = {
 'no-sync1': ("x86: smp_text_poke_batch_finish without the sync after writing INT3",
   {ALT: [("\ttext_poke_array_int3();\n\n\tsmp_text_poke_sync_each_cpu();\n", "\ttext_poke_array_int3();\n")]}),
 'no-sync2': ("x86: smp_text_poke_batch_finish without the sync after writing the tail bytes",
   {ALT: [("""	if (text_poke_array_tail()) {
		/*
		 * According to Intel, this core syncing is very likely
		 * not necessary and we'd be safe even without it. But
		 * better safe than sorry (plus there's not only Intel).
		 */
		smp_text_poke_sync_each_cpu();
	}
""", "\ttext_poke_array_tail();\n")]}),
 'no-sync3': ("x86: smp_text_poke_batch_finish without the sync after writing the first byte",
   {ALT: [("\tif (text_poke_array_first())\n\t\tsmp_text_poke_sync_each_cpu();\n", "\ttext_poke_array_first();\n")]}),
 'no-refs-wait': ("x86: smp_text_poke_batch_finish returns without waiting for every CPU's text_poke_array_refs to drop to zero",
   {ALT: [("\ttext_poke_array_refs_put();\n\ttext_poke_array_refs_wait();\n", "\ttext_poke_array_refs_put();\n")]}),
 'int3-no-emulate': ("x86: the INT3 handler skips the patched instruction instead of emulating the new one",
   {ALT: [("""	case RET_INSN_OPCODE:
		int3_emulate_ret(regs);
		break;

	case CALL_INSN_OPCODE:
		int3_emulate_call(regs, (long)ip + tpl->disp);
		break;

	case JMP32_INSN_OPCODE:
	case JMP8_INSN_OPCODE:
		int3_emulate_jmp(regs, (long)ip + tpl->disp);
		break;

	case 0x70 ... 0x7f: /* Jcc */
		int3_emulate_jcc(regs, tpl->opcode & 0xf, (long)ip, tpl->disp);
		break;

	default:
		BUG();
	}
""", """	default:
		regs->ip = (unsigned long)ip;
		break;
	}
""")]}),
 'data-after-nop': ("PPC32: the transform writes the nop that exposes the data word before the data word",
   {PPC: [("""		if (func && !is_short) {
			err = patch_ulong(tramp + PPC_SCT_DATA, _func);
			if (err)
				goto out;
		}

		if (!func)
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_BLR()));
		else if (is_ret0)
			err = patch_branch(tramp, _ret0, 0);
		else if (is_short)
			err = patch_branch(tramp, _func, 0);
		else
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_NOP()));
""", """		if (!func)
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_BLR()));
		else if (is_ret0)
			err = patch_branch(tramp, _ret0, 0);
		else if (is_short)
			err = patch_branch(tramp, _func, 0);
		else
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_NOP()));
		if (err)
			goto out;

		if (func && !is_short)
			err = patch_ulong(tramp + PPC_SCT_DATA, _func);
""")]}),
 'branch-kick': ("arm64, a design: inline sites (bl func | nop; b func | ret) patched as jump labels are since v6.11 (cfb00a357864): aarch64_insn_patch_text_nosync, then kick_all_cpus_sync()",
   arm_site("\t\taarch64_insn_patch_text_nosync(site, insn);\n\t\tkick_all_cpus_sync();\n")),
 'branch-nosync': ("arm64, a design: inline sites patched as jump labels were before v6.11: aarch64_insn_patch_text_nosync, no IPI",
   arm_site("\t\taarch64_insn_patch_text_nosync(site, insn);\n")),
 'branch-stop-machine': ("arm64, a design: inline sites patched by aarch64_insn_patch_text(): stop_machine, the last CPU writes, every CPU runs isb",
   arm_site("\t\taarch64_insn_patch_text(&site, &insn, 1);\n")),
 'branch-kick-no-maintenance': ("arm64, a design: inline sites written by a plain store without caches_clean_inval_pou, then kick_all_cpus_sync()",
   arm_site("\t\taarch64_insn_write(site, insn);\n\t\tkick_all_cpus_sync();\n")),
 'plain-write': ("x86: the new instruction is written with one plain multi-byte store (memcpy), then every CPU is synced",
   {SC: [(SINGLE, "\tmemcpy(insn, code, size);\n\tsmp_text_poke_sync_each_cpu();\n}")]}),
 'batch-sites': ("x86, a design: the sites of one update are queued with smp_text_poke_batch_add (each in its own text_mutex section, as jump labels queue) and patched together by smp_text_poke_batch_finish before static_call_mutex is dropped; the trampoline keeps smp_text_poke_single",
   batch('smp_text_poke_batch_add')),
 'batch-sites-unsorted': ("x86, a design: batch-sites queuing with __smp_text_poke_batch_add, without the flush that keeps text_poke_array sorted for the INT3 handler's bsearch",
   batch('__smp_text_poke_batch_add')),
}

write_variants(V)
