/*
 * The fuzzer's operations, each one instruction with the CPU's fault fixup armed around it
 * (percpu.h): the fixup holds that instruction's address and where to resume, so a data abort,
 * instruction abort or UNDEF the hypervisor injects is counted by fault.c and the fuzzer goes on.
 * Encodings only known at run time (system registers, HVC/SMC immediates) are written into a
 * per-CPU two-instruction stub ("insn; ret") and called.
 */
#include "arch.h"
#include "fuzz.h"
#include "percpu.h"
#include "port.h"

/* Arms the fixup for the instruction at label 1 (resume at label 2), disarms after it. */
#define FX_ARM	"adr x16, 1f\n\tadr x17, 2f\n\tstp x16, x17, [%[fx]]\n1:\t"
#define FX_END	"\n2:\tstr xzr, [%[fx]]"
#define FX_CLOB "x16", "x17", "memory"

/* Every operand a memory form may use: v/w data, a the address (written back), s a status. */
#define MEMOP(insn)                                                                                \
	__asm__ volatile(FX_ARM insn FX_END                                                        \
			 : [v] "+r"(v), [w] "+r"(w), [a] "+r"(va), [s] "+r"(st)                    \
			 : [fx] "r"(fx)                                                            \
			 : FX_CLOB)

/* LSE atomics are part of the trap surface; without FEAT_LSE they are simply UNDEF. */
#define LSE ".arch_extension lse\n\t"

#define RET_INSN 0xd65f03c0U

static uint32_t stubs[RTOS_MAX_CPUS][16] __attribute__((aligned(64)));

static struct fault_fixup *fixup(void)
{
	return &this_pcpu()->fixup;
}

uint64_t fuzz_last_esr(void)
{
	return fixup()->esr;
}

static void load_sized(struct fault_fixup *fx, struct fuzz_access *a)
{
	uint64_t v = a->result, w = 0, st = 0;
	uintptr_t va = a->va;

	switch (a->form * 16 + a->size) {
	case FORM_LDR * 16 + 1:
		MEMOP("ldrb %w[v], [%[a]]");
		break;
	case FORM_LDR * 16 + 2:
		MEMOP("ldrh %w[v], [%[a]]");
		break;
	case FORM_LDR * 16 + 4:
		MEMOP("ldr %w[v], [%[a]]");
		break;
	case FORM_LDR * 16 + 8:
		MEMOP("ldr %x[v], [%[a]]");
		break;
	case FORM_LDRS_X * 16 + 1:
		MEMOP("ldrsb %x[v], [%[a]]");
		break;
	case FORM_LDRS_X * 16 + 2:
		MEMOP("ldrsh %x[v], [%[a]]");
		break;
	case FORM_LDRS_X * 16 + 4:
		MEMOP("ldrsw %x[v], [%[a]]");
		break;
	case FORM_LDRS_W * 16 + 1:
		MEMOP("ldrsb %w[v], [%[a]]");
		break;
	case FORM_LDRS_W * 16 + 2:
		MEMOP("ldrsh %w[v], [%[a]]");
		break;
	case FORM_LDAR * 16 + 1:
		MEMOP("ldarb %w[v], [%[a]]");
		break;
	case FORM_LDAR * 16 + 2:
		MEMOP("ldarh %w[v], [%[a]]");
		break;
	case FORM_LDAR * 16 + 4:
		MEMOP("ldar %w[v], [%[a]]");
		break;
	case FORM_LDAR * 16 + 8:
		MEMOP("ldar %x[v], [%[a]]");
		break;
	case FORM_LDXR * 16 + 1:
		MEMOP("ldxrb %w[v], [%[a]]");
		break;
	case FORM_LDXR * 16 + 2:
		MEMOP("ldxrh %w[v], [%[a]]");
		break;
	case FORM_LDXR * 16 + 4:
		MEMOP("ldxr %w[v], [%[a]]");
		break;
	case FORM_LDXR * 16 + 8:
		MEMOP("ldxr %x[v], [%[a]]");
		break;
	case FORM_LDR_POST * 16 + 1:
		MEMOP("ldrb %w[v], [%[a]], #1");
		break;
	case FORM_LDR_POST * 16 + 4:
		MEMOP("ldr %w[v], [%[a]], #4");
		break;
	case FORM_LDR_POST * 16 + 8:
		MEMOP("ldr %x[v], [%[a]], #8");
		break;
	}
	__asm__ volatile("clrex" ::: "memory");
	a->result = v;
}

static void store_sized(struct fault_fixup *fx, struct fuzz_access *a)
{
	uint64_t v = a->value, w = 0, st = 0;
	uintptr_t va = a->va;

	switch (a->form * 16 + a->size) {
	case FORM_STR * 16 + 1:
		MEMOP("strb %w[v], [%[a]]");
		break;
	case FORM_STR * 16 + 2:
		MEMOP("strh %w[v], [%[a]]");
		break;
	case FORM_STR * 16 + 4:
		MEMOP("str %w[v], [%[a]]");
		break;
	case FORM_STR * 16 + 8:
		MEMOP("str %x[v], [%[a]]");
		break;
	case FORM_STLR * 16 + 1:
		MEMOP("stlrb %w[v], [%[a]]");
		break;
	case FORM_STLR * 16 + 2:
		MEMOP("stlrh %w[v], [%[a]]");
		break;
	case FORM_STLR * 16 + 4:
		MEMOP("stlr %w[v], [%[a]]");
		break;
	case FORM_STLR * 16 + 8:
		MEMOP("stlr %x[v], [%[a]]");
		break;
	case FORM_STXR * 16 + 1:
		MEMOP("stxrb %w[s], %w[v], [%[a]]");
		break;
	case FORM_STXR * 16 + 2:
		MEMOP("stxrh %w[s], %w[v], [%[a]]");
		break;
	case FORM_STXR * 16 + 4:
		MEMOP("stxr %w[s], %w[v], [%[a]]");
		break;
	case FORM_STXR * 16 + 8:
		MEMOP("stxr %w[s], %x[v], [%[a]]");
		break;
	case FORM_STR_POST * 16 + 1:
		MEMOP("strb %w[v], [%[a]], #1");
		break;
	case FORM_STR_POST * 16 + 4:
		MEMOP("str %w[v], [%[a]], #4");
		break;
	case FORM_STR_POST * 16 + 8:
		MEMOP("str %x[v], [%[a]], #8");
		break;
	}
}

/* Pairs, atomics and the size-less forms. */
static void other_form(struct fault_fixup *fx, struct fuzz_access *a)
{
	uint64_t v = a->result, w = a->value2, st = 0;
	uintptr_t va = a->va;

	switch (a->form * 16 + a->size) {
	case FORM_LDP * 16 + 4:
		MEMOP("ldp %w[v], %w[w], [%[a]]");
		a->result2 = w;
		break;
	case FORM_LDP * 16 + 8:
		MEMOP("ldp %x[v], %x[w], [%[a]]");
		a->result2 = w;
		break;
	case FORM_STP * 16 + 4:
		v = a->value;
		MEMOP("stp %w[v], %w[w], [%[a]]");
		break;
	case FORM_STP * 16 + 8:
		v = a->value;
		MEMOP("stp %x[v], %x[w], [%[a]]");
		break;
	case FORM_LDADD * 16 + 4:
		MEMOP(LSE "ldadd %w[w], %w[v], [%[a]]");
		break;
	case FORM_LDADD * 16 + 8:
		MEMOP(LSE "ldadd %x[w], %x[v], [%[a]]");
		break;
	case FORM_SWP * 16 + 4:
		MEMOP(LSE "swp %w[w], %w[v], [%[a]]");
		break;
	case FORM_SWP * 16 + 8:
		MEMOP(LSE "swp %x[w], %x[v], [%[a]]");
		break;
	case FORM_CAS * 16 + 4:
		MEMOP(LSE "cas %w[v], %w[w], [%[a]]");
		break;
	case FORM_CAS * 16 + 8:
		MEMOP(LSE "cas %x[v], %x[w], [%[a]]");
		break;
	default:
		switch (a->form) {
		case FORM_DC_ZVA:
			MEMOP("dc zva, %[a]");
			break;
		case FORM_DC_CIVAC:
			MEMOP("dc civac, %[a]");
			break;
		case FORM_DC_CVAC:
			MEMOP("dc cvac, %[a]");
			break;
		case FORM_DC_IVAC:
			MEMOP("dc ivac, %[a]");
			break;
		case FORM_PRFM:
			MEMOP("prfm pldl1keep, [%[a]]");
			break;
		case FORM_AT:
			MEMOP("at s1e1r, %[a]");
			isb();
			v = read_sysreg(par_el1);
			break;
		default:
			break;
		}
	}
	a->result = v;
}

bool fuzz_mem_op(struct fuzz_access *a)
{
	struct fault_fixup *fx = fixup();
	unsigned long before = fx->taken;

	switch (a->form) {
	case FORM_LDR:
	case FORM_LDRS_X:
	case FORM_LDRS_W:
	case FORM_LDAR:
	case FORM_LDXR:
	case FORM_LDR_POST:
		load_sized(fx, a);
		break;
	case FORM_STR:
	case FORM_STLR:
	case FORM_STXR:
	case FORM_STR_POST:
		store_sized(fx, a);
		break;
	default:
		other_form(fx, a);
		break;
	}
	return fx->taken != before;
}

bool fuzz_ifetch(uintptr_t va)
{
	struct fault_fixup *fx = fixup();
	unsigned long before = fx->taken;

	/* The fault's ELR is the target itself; the fixup resumes at the return address. */
	__asm__ volatile("adr x17, 2f\n\tstp %[t], x17, [%[fx]]\n\tblr %[t]\n2:\tstr xzr, [%[fx]]"
			 :
			 : [t] "r"(va), [fx] "r"(fx)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory");
	return fx->taken != before;
}

uint32_t fuzz_stub_insn(void)
{
	return stubs[this_pcpu()->id][0];
}

/* Writes "insn; ret" into this CPU's stub and makes it visible to instruction fetch. */
static uintptr_t make_stub(uint32_t insn)
{
	uint32_t *s = stubs[this_pcpu()->id];

	s[0] = insn;
	s[1] = RET_INSN;
	__asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" ::"r"(s)
			 : "memory");
	return (uintptr_t)s;
}

/* Calls a stub with x0-x7 from regs, the fixup covering its first instruction. */
static bool call_stub(uintptr_t stub, uint64_t regs[8])
{
	struct fault_fixup *fx = fixup();
	unsigned long before = fx->taken;
	register uint64_t x0 __asm__("x0") = regs[0];
	register uint64_t x1 __asm__("x1") = regs[1];
	register uint64_t x2 __asm__("x2") = regs[2];
	register uint64_t x3 __asm__("x3") = regs[3];
	register uint64_t x4 __asm__("x4") = regs[4];
	register uint64_t x5 __asm__("x5") = regs[5];
	register uint64_t x6 __asm__("x6") = regs[6];
	register uint64_t x7 __asm__("x7") = regs[7];

	__asm__ volatile(
	    "stp %[pc], %[res], [%[fx]]\n\tblr %[pc]\n\tstr xzr, [%[fx]]"
	    : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7)
	    : [pc] "r"(stub), [res] "r"(stub + 4), [fx] "r"(fx)
	    : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory");
	regs[0] = x0;
	regs[1] = x1;
	regs[2] = x2;
	regs[3] = x3;
	return fx->taken != before;
}

bool fuzz_smccc(bool smc, uint16_t imm, uint64_t regs[8])
{
	struct fault_fixup *fx;
	unsigned long before;

	if (imm) /* HVC #imm16 = 0xd4000002 | imm << 5; SMC: ... 3 */
		return call_stub(make_stub(0xd4000002U | (uint32_t)smc | (uint32_t)imm << 5), regs);

	fx = fixup();
	before = fx->taken;
	{
		register uint64_t x0 __asm__("x0") = regs[0];
		register uint64_t x1 __asm__("x1") = regs[1];
		register uint64_t x2 __asm__("x2") = regs[2];
		register uint64_t x3 __asm__("x3") = regs[3];
		register uint64_t x4 __asm__("x4") = regs[4];
		register uint64_t x5 __asm__("x5") = regs[5];
		register uint64_t x6 __asm__("x6") = regs[6];
		register uint64_t x7 __asm__("x7") = regs[7];

		if (smc)
			__asm__ volatile(FX_ARM "smc #0" FX_END
					 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
					   "+r"(x5), "+r"(x6), "+r"(x7)
					 : [fx] "r"(fx)
					 : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
					   FX_CLOB);
		else
			__asm__ volatile(FX_ARM "hvc #0" FX_END
					 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
					   "+r"(x5), "+r"(x6), "+r"(x7)
					 : [fx] "r"(fx)
					 : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
					   FX_CLOB);
		regs[0] = x0;
		regs[1] = x1;
		regs[2] = x2;
		regs[3] = x3;
	}
	return fx->taken != before;
}

bool fuzz_mdscr(bool write, uint64_t *val)
{
	struct fault_fixup *fx = fixup();
	unsigned long before = fx->taken;
	uint64_t v = *val;

	if (write)
		__asm__ volatile(FX_ARM "msr mdscr_el1, %[v]" FX_END
				 :
				 : [v] "r"(v), [fx] "r"(fx)
				 : FX_CLOB);
	else
		__asm__ volatile(FX_ARM "mrs %[v], mdscr_el1" FX_END
				 : [v] "+r"(v)
				 : [fx] "r"(fx)
				 : FX_CLOB);
	*val = v;
	return fx->taken != before;
}

bool fuzz_stub_check(uint16_t imm, uint64_t *got)
{
	uint64_t regs[8] = {0x5555};

	/* MOVZ x0, #imm: the stub must run what was just written into it. */
	call_stub(make_stub(0xd2800000U | (uint32_t)imm << 5), regs);
	*got = regs[0];
	return regs[0] == imm;
}

bool fuzz_sysreg(bool write, uint32_t enc, uint64_t *val)
{
	/* MRS x0, <reg> = 0xd5200000 | enc; MSR <reg>, x0 = 0xd5000000 | enc (Rt = 0). */
	uint64_t regs[8] = {*val};
	bool faulted = call_stub(make_stub((write ? 0xd5000000U : 0xd5200000U) | enc), regs);

	*val = regs[0];
	return faulted;
}

bool fuzz_insn(enum fuzz_insn which)
{
	struct fault_fixup *fx = fixup();
	unsigned long before = fx->taken, flags;
	uint64_t cpacr;

	switch (which) {
	case INSN_PAC: {
		register uint64_t x0 __asm__("x0") = 0x1234;
		register uint64_t x1 __asm__("x1") = 0x5678;

		__asm__ volatile(FX_ARM ".inst 0xdac10020 /* pacia x0, x1 */" FX_END
				 : "+r"(x0)
				 : "r"(x1), [fx] "r"(fx)
				 : FX_CLOB);
		break;
	}
	case INSN_SVE:
	case INSN_SME:
		/* FP, SVE and SME allowed at EL1 (CPACR_EL1.FPEN/ZEN/SMEN), so that only the
		 * hypervisor's traps stand in the way; interrupts off while FP is on. */
		flags = port_irq_save();
		cpacr = read_sysreg(cpacr_el1);
		write_sysreg(cpacr | 3UL << 16 | 3UL << 20 | 3UL << 24, cpacr_el1);
		isb();
		if (which == INSN_SVE) {
			register uint64_t x0 __asm__("x0") = 0;

			__asm__ volatile(FX_ARM ".inst 0x04bf5020 /* rdvl x0, #1 */" FX_END
					 : "+r"(x0)
					 : [fx] "r"(fx)
					 : FX_CLOB);
		} else {
			__asm__ volatile(FX_ARM ".inst 0xd503477f /* smstart */" FX_END
					 :
					 : [fx] "r"(fx)
					 : FX_CLOB);
			__asm__ volatile(FX_ARM ".inst 0xd503467f /* smstop */" FX_END
					 :
					 : [fx] "r"(fx)
					 : FX_CLOB);
		}
		write_sysreg(cpacr, cpacr_el1);
		isb();
		port_irq_restore(flags);
		break;
	case INSN_WFI:
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
		break;
	case INSN_WFE:
		__asm__ volatile("wfe" ::: "memory");
		break;
	default:
		break;
	}
	return fx->taken != before;
}

/*
 * The valid CPU_ON entry point the fuzzer hands out: entered with the MMU off and x0 = the
 * context ID, it asks PSCI CPU_OFF at once (through SMC if bit 0 of the context is set, else
 * HVC), so a vCPU the fuzzer starts leaves again without running anything else.
 */
__asm__(".text\n"
	".balign 8\n"
	".globl fuzz_cpu_off_entry\n"
	".hidden fuzz_cpu_off_entry\n"
	".type fuzz_cpu_off_entry, %function\n"
	"fuzz_cpu_off_entry:\n"
	"	mov x1, x0\n"
	"	movz w0, #0x0002\n"
	"	movk w0, #0x8400, lsl #16\n"
	"	tbnz x1, #0, 1f\n"
	"	hvc #0\n"
	"	b .\n"
	"1:	smc #0\n"
	"	b .\n"
	".size fuzz_cpu_off_entry, . - fuzz_cpu_off_entry\n");
