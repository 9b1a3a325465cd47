/*
 * The fuzzer's calls and system registers: HVC/SMC with function IDs biased towards the ranges a
 * hypervisor implements (PSCI, SMCCC architecture calls, vendor hypervisor calls) and random
 * x1-x7; MRS/MSR of trapped system registers; instructions of hidden features.
 *
 * Left out, because they would end the fuzzer rather than test the hypervisor: PSCI CPU_OFF (of
 * the caller), SYSTEM_OFF, SYSTEM_RESET, SYSTEM_RESET2, SYSTEM_SUSPEND, SYSTEM_OFF2 and
 * MEM_PROTECT (the low 32 bits decide: the upper half of a function ID is ignored); reads of
 * ICC_IAR0/IAR1/NMIAR1 (they would acknowledge the RTOS's own interrupts) and writes of
 * ICC_EOIR/DIR; writes of the GIC CPU-interface registers that could silence this CPU
 * (PMR, BPR, APRs, IGRPEN, CTLR) happen with interrupts masked and are restored at once; writes
 * of MDSCR_EL1 only change TDCC. None of the ICC registers but the SGI ones trap to Tandem anyway.
 */
#include "arch.h"
#include "console.h"
#include "fuzz.h"
#include "percpu.h"
#include "port.h"
#include "rtos.h"

/* Encodings as in the MRS/MSR instruction, bits [20:5]. */
#define SR(op0, op1, crn, crm, op2)                                                                \
	((uint32_t)(op0) << 19 | (uint32_t)(op1) << 16 | (uint32_t)(crn) << 12 |                   \
	 (uint32_t)(crm) << 8 | (uint32_t)(op2) << 5)

#define SR_ICC_SGI1R  SR(3, 0, 12, 11, 5)
#define SR_ICC_ASGI1R SR(3, 0, 12, 11, 6)
#define SR_ICC_SGI0R  SR(3, 0, 12, 11, 7)
#define SR_MDSCR      SR(2, 0, 0, 2, 2)
#define MDSCR_TDCC    (1ULL << 12)

#define PSCI_64 0x40000000U
#define FN_PSCI 0x84000000U
#define FN_ARCH 0x80000000U
#define FN_VHYP 0x86000000U

static uint64_t ram_base, ram_end;
static unsigned nr_vcpus, first_unused;

void fuzz_calls_setup(const struct platform *p, unsigned vcpus, unsigned used)
{
	ram_base = p->ram_base;
	ram_end = p->ram_base + p->ram_size;
	nr_vcpus = vcpus;
	first_unused = used;
}

/*
 * CPU_ON over and over to a vCPU the RTOS does not use, with the entry point that turns it off
 * at once: each start races the previous start's CPU_OFF on the way out of its pCPU.
 */
static void cpu_on_storm(struct fuzz_cpu *c)
{
	uint64_t mpidr = first_unused + fuzz_below(&c->rng, nr_vcpus - first_unused);

	c->last = (struct fuzz_last){"cpu_on_storm", mpidr, FN_PSCI + 3, 0, 0};
	for (unsigned i = 0; i < 64; i++) {
		uint64_t x[8] = {(FN_PSCI + 3) | PSCI_64, mpidr, (uintptr_t)fuzz_cpu_off_entry,
				 i & 1};

		c->st.hvc++;
		if (fuzz_smccc(false, 0, x))
			fuzz_count_fault(c);
		else if (x[0] == 0)
			c->st.cpu_on++;
	}
}

bool fuzz_check_unused_off(struct fuzz_cpu *c, uint64_t timeout_ticks)
{
	uint64_t until = rtos_now() + timeout_ticks;
	bool ok = true;

	for (unsigned v = first_unused; v < nr_vcpus; v++) {
		uint64_t x[8];

		for (;;) {
			x[0] = FN_PSCI + 4; /* AFFINITY_INFO: 1 = OFF */
			x[1] = v;
			x[2] = 0;
			fuzz_smccc(false, 0, x);
			if (x[0] == 1 || rtos_now() >= until)
				break;
			task_sleep(rtos_freq() / 100);
		}
		if (x[0] != 1) {
			fuzz_mismatch(c, "unused vCPU still on after its CPU_OFF (AFFINITY_INFO)",
				      v, x[0]);
			ok = false;
		}
	}
	return ok;
}

/* PSCI functions (low 32 bits, SMC64 bit clear) that would end the fuzzer. */
static bool excluded(uint32_t fn)
{
	switch (fn & ~PSCI_64) {
	case FN_PSCI + 0x02: /* CPU_OFF */
	case FN_PSCI + 0x08: /* SYSTEM_OFF */
	case FN_PSCI + 0x09: /* SYSTEM_RESET */
	case FN_PSCI + 0x0e: /* SYSTEM_SUSPEND */
	case FN_PSCI + 0x12: /* SYSTEM_RESET2 */
	case FN_PSCI + 0x13: /* MEM_PROTECT */
	case FN_PSCI + 0x15: /* SYSTEM_OFF2 */
		return true;
	default:
		return false;
	}
}

static uint64_t random_mpidr(struct fuzz_rng *r)
{
	switch (fuzz_below(r, 6)) {
	case 0:
	case 1:
		return fuzz_below(r, nr_vcpus + 2); /* ours, and just past */
	case 2:
		return fuzz_below(r, 256);
	case 3:
		return 1ULL << (8 * (1 + fuzz_below(r, 4))); /* Aff1, Aff2, Aff3 or beyond */
	case 4:
		return 0xff00000000000000ULL | fuzz_below(r, nr_vcpus); /* non-affinity bits */
	default:
		return fuzz_rand(r);
	}
}

/* CPU_ON/CPU_SUSPEND entry points: only one valid one (it turns the CPU off again). */
static uint64_t random_entry(struct fuzz_rng *r)
{
	uint64_t e;

	switch (fuzz_below(r, 8)) {
	case 0:
	case 1:
		return (uintptr_t)fuzz_cpu_off_entry;
	case 2:
		return 0;
	case 3:
		return (uintptr_t)fuzz_cpu_off_entry + 2; /* misaligned */
	case 4:
		return ram_end;
	case 5:
		return 0x08000000; /* the GIC distributor */
	default:
		e = fuzz_rand(r);
		return e >= ram_base && e < ram_end ? 0 : e; /* never a random address in RAM */
	}
}

static uint64_t small_or_random(struct fuzz_rng *r)
{
	return fuzz_chance(r, 60) ? fuzz_below(r, 9) : fuzz_rand(r);
}

/* Fills x0-x7 for one call. */
static void random_call(struct fuzz_rng *r, uint64_t x[8])
{
	static const uint32_t vendor[] = {0x8600ff00, 0x8600ff01, 0x8600ff03, 0xc6000000,
					  0xc6000001, 0xc6000002, 0xc6000003, 0xc6000004,
					  0xc6000005, 0xc6000100};
	static const uint32_t arch[] = {0x80000000, 0x80000001, 0x80000002,
					0x80008000, 0x80007fff, 0x80003fff};
	unsigned k = fuzz_below(r, 100);
	uint32_t fn;

	for (unsigned i = 1; i < 8; i++)
		x[i] = fuzz_rand(r);
	if (k < 40) {
		static const uint8_t favourites[] = {0x03, 0x03, 0x03, 0x04, 0x01};

		/* CPU_ON, AFFINITY_INFO and CPU_SUSPEND are where the state changes. */
		fn = FN_PSCI +
		     (fuzz_chance(r, 50) ? favourites[fuzz_below(r, 5)] : fuzz_below(r, 0x20));
		fn += fuzz_chance(r, 50) ? PSCI_64 : 0;
		switch (fn & 0xff) {
		case 0x01: /* CPU_SUSPEND: power_state, entry, context */
		case 0x0c: /* CPU_DEFAULT_SUSPEND: entry, context */
			x[1] = fuzz_chance(r, 50) ? fuzz_rand(r) & 0x1ffff : fuzz_rand(r);
			x[2] = random_entry(r);
			if ((fn & 0xff) == 0x0c)
				x[1] = x[2], x[2] = fuzz_rand(r);
			break;
		case 0x03: /* CPU_ON: target, entry, context */
			x[1] = random_mpidr(r);
			x[2] = random_entry(r);
			break;
		case 0x04: /* AFFINITY_INFO: target, lowest level */
		case 0x0d: /* NODE_HW_STATE: target, level */
			x[1] = random_mpidr(r);
			x[2] = fuzz_chance(r, 70) ? fuzz_below(r, 4) : fuzz_rand(r);
			break;
		case 0x05: /* MIGRATE */
		case 0x10: /* PSCI_STAT_RESIDENCY */
		case 0x11: /* PSCI_STAT_COUNT */
			x[1] = random_mpidr(r);
			break;
		case 0x0a: /* PSCI_FEATURES */
			x[1] = fuzz_chance(r, 50) ? FN_PSCI + fuzz_below(r, 0x20)
						  : (fuzz_chance(r, 50) ? FN_ARCH : fuzz_rand(r));
			break;
		default:
			break;
		}
	} else if (k < 55) {
		fn = fuzz_chance(r, 70) ? arch[fuzz_below(r, 6)] : FN_ARCH + fuzz_below(r, 0x10000);
		if (fuzz_chance(r, 30))
			fn |= PSCI_64;
		if (fn == 0x80000001) /* ARCH_FEATURES */
			x[1] = fuzz_chance(r, 70) ? arch[fuzz_below(r, 6)] : fuzz_rand(r);
	} else if (k < 75) {
		if (fuzz_chance(r, 50))
			fn = vendor[fuzz_below(r, sizeof(vendor) / sizeof(vendor[0]))];
		else
			fn = fuzz_chance(r, 50) ? FN_VHYP + fuzz_below(r, 0x10000)
						: 0xc6000000 + fuzz_below(r, 0x200);
		for (unsigned i = 1; i < 8; i++)
			x[i] = small_or_random(r);
	} else {
		/* Other owners (SiP, OEM, trusted OS, ...), yielding calls, anything at all. */
		fn = fuzz_chance(r, 50)
			 ? 0x80000000U | fuzz_below(r, 64) << 24 | fuzz_below(r, 0x10000) |
			       (fuzz_chance(r, 50) ? PSCI_64 : 0)
			 : (uint32_t)fuzz_rand(r);
	}
	if (excluded(fn))
		fn = FN_PSCI; /* PSCI_VERSION */
	x[0] = fn;
	/* The upper half of x0 is not part of the function ID (SMCCC): it must not matter. */
	if (fuzz_chance(r, 10))
		x[0] |= fuzz_rand(r) << 32;
}

void fuzz_call_op(struct fuzz_cpu *c, bool smc)
{
	struct fuzz_rng *r = &c->rng;
	uint64_t x[8];
	uint16_t imm = fuzz_chance(r, 88) ? 0 : (uint16_t)(1 + fuzz_below(r, 0xffff));
	uint32_t fn;

	if (first_unused < nr_vcpus && fuzz_chance(r, 1)) {
		cpu_on_storm(c);
		return;
	}
	random_call(r, x);
	fn = (uint32_t)x[0] & ~PSCI_64;
	if (smc)
		c->st.smc++;
	else
		c->st.hvc++;
	c->last = (struct fuzz_last){smc ? "smc" : "hvc", imm, x[0], 0, 0};
	if (fuzz_smccc(smc, imm, x))
		fuzz_count_fault(c);
	else if (fn == FN_PSCI + 0x03 && x[0] == 0)
		c->st.cpu_on++; /* a vCPU of ours started at fuzz_cpu_off_entry */
}

/* An encoding for MRS: ID space, debug, PMU, timers, pointer-auth keys, or anything. */
static uint32_t random_read_enc(struct fuzz_rng *r)
{
	unsigned k = fuzz_below(r, 100);
	uint32_t e;

	if (k < 35)
		e = SR(3, 0, 0, fuzz_below(r, 8), fuzz_below(r, 8));
	else if (k < 55)
		e = SR(2, fuzz_below(r, 8), fuzz_below(r, 16), fuzz_below(r, 16), fuzz_below(r, 8));
	else if (k < 68)
		e = SR(3, fuzz_chance(r, 50) ? 3 : 0, 9, fuzz_below(r, 16), fuzz_below(r, 8));
	else if (k < 78)
		e = SR(3, 3, 14, fuzz_below(r, 16), fuzz_below(r, 8));
	else if (k < 85)
		e = SR(3, 0, 2, 1 + fuzz_below(r, 3), fuzz_below(r, 4));
	else
		e = SR(2 + fuzz_below(r, 2), fuzz_below(r, 8), fuzz_below(r, 16), fuzz_below(r, 16),
		       fuzz_below(r, 8));
	/* ICC_IAR0/IAR1/NMIAR1 would acknowledge the RTOS's own interrupts. */
	if (e == SR(3, 0, 12, 8, 0) || e == SR(3, 0, 12, 12, 0) || e == SR(3, 0, 12, 9, 5))
		e = SR(3, 0, 0, 1, 0);
	return e;
}

/* An encoding for MSR that traps to Tandem or is UNDEF, never one that changes EL1's own state. */
static uint32_t random_write_enc(struct fuzz_rng *r)
{
	unsigned k = fuzz_below(r, 100);
	uint32_t e;

	if (k < 35) { /* debug and trace (MDCR_EL2.TDA/TDOSA/TDRA, CPTR_EL2.TTA) */
		e = SR(2, fuzz_below(r, 8), fuzz_below(r, 16), fuzz_below(r, 16), fuzz_below(r, 8));
		if (e == SR_MDSCR)
			e = SR(2, 0, 0, 0, 4); /* DBGBVR0_EL1 */
	} else if (k < 55) {		       /* PMU (MDCR_EL2.TPM) */
		e = fuzz_chance(r, 70) ? SR(3, 3, 9, 12 + fuzz_below(r, 3), fuzz_below(r, 8))
				       : SR(3, 3, 14, 8 + fuzz_below(r, 8), fuzz_below(r, 8));
	} else if (k < 70) { /* EL1 physical timer (CNTHCTL_EL2.EL1PCEN = 0) */
		e = SR(3, 3, 14, 2, fuzz_below(r, 3));
	} else if (k < 85) { /* pointer-auth keys (HCR_EL2.APK = 0) */
		e = SR(3, 0, 2, 1 + fuzz_below(r, 3), fuzz_below(r, 4));
	} else { /* ID registers: read-only, so UNDEF */
		e = SR(3, 0, 0, fuzz_below(r, 8), fuzz_below(r, 8));
	}
	return e;
}

/* A CPU-interface register written with interrupts masked and put back at once. */
static void icc_write_restore(struct fuzz_cpu *c)
{
	static const uint32_t regs[] = {
	    SR(3, 0, 4, 6, 0),	 /* ICC_PMR_EL1 */
	    SR(3, 0, 12, 12, 3), /* ICC_BPR1_EL1 */
	    SR(3, 0, 12, 8, 3),	 /* ICC_BPR0_EL1 */
	    SR(3, 0, 12, 9, 0),	 /* ICC_AP1R0_EL1 */
	    SR(3, 0, 12, 8, 4),	 /* ICC_AP0R0_EL1 */
	    SR(3, 0, 12, 12, 6), /* ICC_IGRPEN0_EL1 */
	    SR(3, 0, 12, 12, 7), /* ICC_IGRPEN1_EL1 */
	    SR(3, 0, 12, 12, 4), /* ICC_CTLR_EL1 */
	};
	uint32_t e = regs[fuzz_below(&c->rng, sizeof(regs) / sizeof(regs[0]))];
	unsigned long flags = port_irq_save();
	uint64_t saved = 0, v = fuzz_rand(&c->rng), back = 0;

	c->last = (struct fuzz_last){"icc", e, v, 8, 1};
	if (fuzz_sysreg(false, e, &saved)) {
		fuzz_count_fault(c);
	} else {
		if (fuzz_sysreg(true, e, &v))
			fuzz_count_fault(c);
		if (fuzz_sysreg(false, e, &back))
			fuzz_count_fault(c);
		if (fuzz_sysreg(true, e, &saved))
			fuzz_count_fault(c);
	}
	port_irq_restore(flags);
}

/* ICC_SGI1R_EL1-style value: INTID, target list, RS, affinities, IRM. */
static uint64_t random_sgi(struct fuzz_rng *r)
{
	uint64_t v = (uint64_t)fuzz_below(r, 16) << 24 | fuzz_below(r, 0x10000);

	if (fuzz_chance(r, 20))
		v |= (uint64_t)fuzz_below(r, 16) << 44; /* RS */
	if (fuzz_chance(r, 20))
		v |= fuzz_rand(r) & 0x00ff00ff00ff0000ULL; /* Aff3, Aff2, Aff1 */
	if (fuzz_chance(r, 20))
		v |= 1ULL << 40; /* IRM: everyone but me */
	if (fuzz_chance(r, 10))
		v = fuzz_rand(r);
	return v;
}

/*
 * After a mismatch: which of the hypervisor's traps still work on this CPU? ID registers
 * (HCR_EL2.TID3: SVE hidden), PMU (MDCR_EL2.TPM: PMCR_EL0 reads 0), SVE (CPTR_EL2.TZ: RDVL is
 * UNDEF), MDSCR_EL1 (MDCR_EL2.TDA), the stub's instruction.
 */
static void diagnose(struct fuzz_cpu *c)
{
	static bool done[RTOS_MAX_CPUS];
	uint64_t pfr0 = 0, pmcr = 0, mdscr = 0;
	bool sve_faulted;

	if (done[c->id])
		return;
	done[c->id] = true;
	fuzz_sysreg(false, SR(3, 0, 0, 4, 0), &pfr0);
	fuzz_sysreg(false, SR(3, 3, 9, 12, 0), &pmcr);
	fuzz_mdscr(false, &mdscr);
	sve_faulted = fuzz_insn(INSN_SVE);
	kprintf("FUZZ diagnose cpu=%u: ID_AA64PFR0=0x%lx PMCR_EL0=0x%lx MDSCR_EL1=0x%lx "
		"RDVL %s stub=0x%x\n",
		c->id, (unsigned long)pfr0, (unsigned long)pmcr, (unsigned long)mdscr,
		sve_faulted ? "UNDEF" : "ran", fuzz_stub_insn());
}

void fuzz_sysreg_op(struct fuzz_cpu *c)
{
	struct fuzz_rng *r = &c->rng;
	unsigned k = fuzz_below(r, 100);
	uint64_t v;
	uint32_t e;

	c->st.sysreg++;
	if (fuzz_chance(r, 25)) {
		uint16_t imm = (uint16_t)fuzz_rand(r);
		uint64_t got;

		/*
		 * Not a mismatch: seen only under Tandem and rarely (after dozens of VM restarts
		 * in a bind pool, then until the next restart), it looks like the code the CPU
		 * runs stays stale after the stub is rewritten (docs/design.md, Hostile guests).
		 */
		if (!fuzz_stub_check(imm, &got) && c->st.stale++ < 3)
			kprintf("FUZZ stale cpu=%u op=%lu: a generated MOVZ x0, #0x%x gave 0x%lx\n",
				c->id, (unsigned long)c->progress, imm, (unsigned long)got);
	}
	if (k < 30) {
		static const uint32_t sgi[] = {SR_ICC_SGI1R, SR_ICC_SGI1R, SR_ICC_SGI1R,
					       SR_ICC_ASGI1R, SR_ICC_SGI0R};

		e = sgi[fuzz_below(r, 5)];
		v = random_sgi(r);
		c->last = (struct fuzz_last){"sgi", e, v, 8, 1};
		if (fuzz_sysreg(true, e, &v))
			fuzz_count_fault(c);
	} else if (k < 62) {
		e = random_read_enc(r);
		v = 0;
		c->last = (struct fuzz_last){"mrs", e, 0, 8, 0};
		if (fuzz_sysreg(false, e, &v))
			fuzz_count_fault(c);
	} else if (k < 88) {
		e = random_write_enc(r);
		v = fuzz_rand(r);
		c->last = (struct fuzz_last){"msr", e, v, 8, 1};
		if (fuzz_sysreg(true, e, &v))
			fuzz_count_fault(c);
	} else if (k < 94) {
		/* MDSCR_EL1 traps (MDCR_EL2.TDA) and is kept per vCPU: what is written reads back.
		 */
		uint64_t saved = 0, back = 0;

		v = fuzz_chance(r, 50) ? MDSCR_TDCC : 0;
		c->last = (struct fuzz_last){"mdscr", SR_MDSCR, v, 8, 1};
		if (fuzz_mdscr(false, &saved)) {
			fuzz_count_fault(c);
			return;
		}
		v |= saved & ~MDSCR_TDCC;
		if (fuzz_mdscr(true, &v) || fuzz_mdscr(false, &back))
			fuzz_count_fault(c);
		else if (back != v) {
			fuzz_mismatch(c, "MDSCR_EL1 reads back differently", v, back);
			diagnose(c);
		}
		if (fuzz_mdscr(true, &saved))
			fuzz_count_fault(c);
	} else {
		icc_write_restore(c);
	}
}

void fuzz_insn_op(struct fuzz_cpu *c)
{
	static const enum fuzz_insn kinds[] = {INSN_PAC, INSN_PAC, INSN_SVE, INSN_SVE,
					       INSN_SME, INSN_WFI, INSN_WFE};
	enum fuzz_insn k = kinds[fuzz_below(&c->rng, sizeof(kinds) / sizeof(kinds[0]))];

	c->st.insn++;
	c->last = (struct fuzz_last){"insn", 0, k, 0, 0};
	if (fuzz_insn(k))
		fuzz_count_fault(c);
}
