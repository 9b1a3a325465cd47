/* AArch64 per-vCPU context that EL2 switches: EL1 system registers, FP/SIMD, virtual timer. */
#ifndef ARCH_VCPU_CTX_H
#define ARCH_VCPU_CTX_H

#include <stdbool.h>
#include <stdint.h>

struct arch_sysregs {
	uint64_t sctlr_el1, ttbr0_el1, ttbr1_el1, tcr_el1, mair_el1, amair_el1, vbar_el1;
	uint64_t contextidr_el1, tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1;
	uint64_t elr_el1, spsr_el1, esr_el1, far_el1, afsr0_el1, afsr1_el1, par_el1;
	uint64_t cpacr_el1, cntkctl_el1, csselr_el1, mdscr_el1;
	uint64_t cntv_ctl_el0, cntv_cval_el0;
};

/* A vCPU's self-hosted debug state (arch/aarch64/debug.c); MDSCR_EL1 is in arch_sysregs. */
struct arch_debug {
	uint64_t bcr[16], bvr[16], wcr[16], wvr[16];
	bool oslk;   /* OSLSR_EL1.OSLK */
	bool active; /* its set is in the CPU while it runs, its accesses do not trap */
};

struct arch_fpregs {
	__uint128_t q[32];
	uint64_t fpsr, fpcr;
};

struct arch_vcpu_ctx {
	struct arch_sysregs sys;
	struct arch_fpregs fp;
	struct arch_debug debug;
	uint64_t hcr_el2;
	uint64_t vmpidr_el2;
	uint64_t vttbr_el2;
	bool loaded; /* its EL1 state is in the CPU's registers right now */
};

struct vcpu;

/* debug.c: cold reset of the debug state; switch with the vCPU; the first trapped access. */
void arch_debug_reset(struct arch_vcpu_ctx *c);
void arch_debug_load(struct arch_vcpu_ctx *c);
void arch_debug_put(struct arch_vcpu_ctx *c);
void arch_vcpu_debug_claim(struct vcpu *vcpu);
/* vcpu_ctx.c: MDCR_EL2 for the vCPU: debug accesses trap unless its debug is active. */
uint64_t arch_mdcr_el2(const struct arch_vcpu_ctx *c);

#endif
