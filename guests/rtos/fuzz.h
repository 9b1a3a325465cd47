/*
 * The trap fuzzer (fuzz=N): fuzz.c draws operations from a seeded PRNG and checks what comes
 * back; fuzz_ops.c performs each one as a single instruction (or a generated one) with the CPU's
 * fault fixup armed, so an abort or UNDEF injected by the hypervisor is counted, not fatal.
 */
#ifndef RTOS_FUZZ_H
#define RTOS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "platform.h"

/* Memory-access forms. Those marked ISV=0 leave the hypervisor no syndrome to emulate from. */
enum fuzz_form {
	FORM_LDR,      /* LDRB/LDRH/LDR W/LDR X: size 1, 2, 4, 8 */
	FORM_STR,      /* STRB/STRH/STR W/STR X */
	FORM_LDRS_X,   /* LDRSB/LDRSH/LDRSW into X: size 1, 2, 4 */
	FORM_LDRS_W,   /* LDRSB/LDRSH into W: size 1, 2 */
	FORM_LDAR,     /* load-acquire: size 1, 2, 4, 8 */
	FORM_STLR,     /* store-release */
	FORM_LDP,      /* pair, size 4 or 8 per register (ISV=0) */
	FORM_STP,      /* (ISV=0) */
	FORM_LDR_POST, /* post-indexed, base register written back: size 1, 4, 8 (ISV=0) */
	FORM_STR_POST, /* (ISV=0) */
	FORM_LDXR,     /* exclusive: size 1, 2, 4, 8 (ISV=0) */
	FORM_STXR,     /* (ISV=0) */
	FORM_LDADD,    /* LSE atomics: size 4 or 8 (ISV=0; UNDEF without FEAT_LSE) */
	FORM_SWP,
	FORM_CAS,
	FORM_DC_ZVA, /* cache maintenance and friends: no size */
	FORM_DC_CIVAC,
	FORM_DC_CVAC,
	FORM_DC_IVAC,
	FORM_PRFM,
	FORM_AT, /* AT S1E1R: the stage-1 walk itself may fault at stage 2 */
	FORM_NR
};

struct fuzz_access {
	uintptr_t va;
	unsigned size; /* bytes per register */
	enum fuzz_form form;
	uint64_t value, value2;	  /* stored (value2: the second register of a pair) */
	uint64_t result, result2; /* loaded; preset by the caller, left alone by a fault */
};

/* Special instructions (FUZZ_INSN_*): traps the hypervisor refuses or takes as idling. */
enum fuzz_insn {
	INSN_PAC, /* PACIA (not the hint form): traps with HCR_EL2.API = 0 */
	INSN_SVE, /* RDVL with CPACR_EL1 allowing SVE: traps with CPTR_EL2.TZ */
	INSN_SME, /* SMSTART (then SMSTOP) with CPACR_EL1 allowing SME: traps with CPTR_EL2.TSM */
	INSN_WFI, /* traps in a dynamic pool (the vCPU blocks), native in a bind pool */
	INSN_WFE, /* traps in a dynamic pool (the vCPU yields) */
	INSN_NR
};

/* Each returns true if the instruction faulted (the fault went through the fixup). */
bool fuzz_mem_op(struct fuzz_access *a);
/* Branches to va (an executable alias of something that is not RAM) and back. */
bool fuzz_ifetch(uintptr_t va);
/* HVC #imm or SMC #imm with x0-x7 from regs; x0-x3 come back in regs. A generated instruction
 * when imm != 0. */
bool fuzz_smccc(bool smc, uint16_t imm, uint64_t regs[8]);
/* MRS or MSR of the system register with encoding enc (op0:op1:CRn:CRm:op2 as in the
 * instruction, bits [20:5]), through a generated instruction. */
bool fuzz_sysreg(bool write, uint32_t enc, uint64_t *val);
bool fuzz_insn(enum fuzz_insn which);
/* MRS/MSR of MDSCR_EL1 (a fixed instruction, not a generated one). */
bool fuzz_mdscr(bool write, uint64_t *val);
/* Generates and runs MOVZ x0, #imm: false if what ran was not what was written (stale code). */
bool fuzz_stub_check(uint16_t imm, uint64_t *got);
/* The instruction in this CPU's stub (the last generated one). */
uint32_t fuzz_stub_insn(void);
/* ESR_EL1 of the last fault the fixup took on this CPU. */
uint64_t fuzz_last_esr(void);
/* The PSCI CPU_ON entry point the fuzzer hands out as a valid one: it turns the CPU off again. */
void fuzz_cpu_off_entry(void);

/* Records the machine; starts the fuzzer on up to nr_cpus CPUs if the command line asks (fuzz.c).
 */
void fuzz_init(const struct rtos_config *cfg, const struct platform *p, unsigned nr_cpus);
/* The shell's "fuzz OPS [SEED [ROUNDS [reset]]]"; false if line is not a fuzz command. */
bool fuzz_command(const char *line);

/* --- Shared by fuzz.c, fuzz_mmio.c and fuzz_calls.c --- */

/* xorshift64*: one stream per CPU and round, so each CPU's operations follow from the seed. */
struct fuzz_rng {
	uint64_t s;
};

uint64_t fuzz_rand(struct fuzz_rng *r);

static inline unsigned fuzz_below(struct fuzz_rng *r, unsigned n)
{
	return (unsigned)(fuzz_rand(r) % n);
}

/* Percent chance. */
static inline bool fuzz_chance(struct fuzz_rng *r, unsigned pct)
{
	return fuzz_below(r, 100) < pct;
}

struct fuzz_stats {
	unsigned long ops, hvc, smc, mmio, sysreg, insn;
	unsigned long faults, dabt, iabt, undef, align, other; /* faults by kind */
	unsigned long mismatch; /* results that break an architectural rule */
	unsigned long cpu_on;	/* PSCI CPU_ON calls that started a vCPU */
	unsigned long stale;	/* generated instructions that did not run as written */
};

/* What a CPU is doing right now, for the stall report of the other CPUs' watchdogs. */
struct fuzz_last {
	const char *kind;
	uint64_t addr; /* address of a memory access, or system-register encoding */
	uint64_t fn;   /* x0 of an HVC/SMC, or the value written */
	unsigned size, form;
};

struct fuzz_cpu {
	unsigned id;
	struct fuzz_rng rng;
	struct fuzz_stats st;
	struct fuzz_last last; /* written before each op, read by other CPUs' watchdogs */
	volatile unsigned long progress;
	volatile bool finished; /* its share of this round is done: waiting is not a stall */
};

/* Counts a fault the fixup took (by ESR_EL1 class). */
void fuzz_count_fault(struct fuzz_cpu *c);
/* Reports a result that breaks an architectural rule (the first few are printed). */
void fuzz_mismatch(struct fuzz_cpu *c, const char *what, uint64_t addr, uint64_t got);

/* fuzz_mmio.c: maps the aliases and bogus tables; one MMIO-class operation. */
int fuzz_mmio_setup(const struct platform *p);
void fuzz_mmio_op(struct fuzz_cpu *c);
/* fuzz_calls.c: HVC/SMC, system registers, special instructions. */
void fuzz_calls_setup(const struct platform *p, unsigned nr_vcpus, unsigned nr_used);
/* After a round: every vCPU the RTOS does not use must be off again within timeout_ticks. */
bool fuzz_check_unused_off(struct fuzz_cpu *c, uint64_t timeout_ticks);
void fuzz_call_op(struct fuzz_cpu *c, bool smc);
void fuzz_sysreg_op(struct fuzz_cpu *c);
void fuzz_insn_op(struct fuzz_cpu *c);

#endif
