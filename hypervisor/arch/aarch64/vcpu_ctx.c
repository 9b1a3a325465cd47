/*
 * vCPU context on AArch64: cold reset, switching EL1 state in and out of the
 * CPU, and injecting synchronous exceptions into EL1.
 */
#include <arch/sysregs.h>
#include <tandem/arch.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/arch_vcpu.h>
#include <tandem/string.h>

#include "trap_decode.h"

/*
 * What the guest may not do behind our back: TID3 makes ID register reads trap
 * so features Tandem does not switch (SVE, SME, MTE, pointer authentication, PMU,
 * AMU) can be hidden; TSC traps SMC to the PSCI emulation. TWI/TWE are set per pool
 * (arch_vcpu_set_idle_traps): a dynamic pool traps WFI (the vCPU blocks) and WFE (it yields
 * to the pool's other vCPUs, e.g. a preempted lock holder); a bind pool traps neither unless
 * it asks to see idle time (wfi = "trap"): on its own pCPU a vCPU has nobody to yield to.
 * API/APK stay clear: pointer-authentication use traps and is refused (hidden).
 */
#define HCR_GUEST                                                                                  \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI |         \
	 HCR_TID3 | HCR_TSC | HCR_RW)

/*
 * MDCR_EL2: PMU accesses trap (TPM, TPMCR; HPMN = 0); debug register accesses (TDA, TDOSA,
 * TDRA) until the vCPU's debug is active (debug.c). TDE stays clear: debug exceptions are
 * the guest's EL1's.
 */
#define MDCR_PMU_TRAPS	 ((1UL << 6) | (1UL << 5))
#define MDCR_DEBUG_TRAPS ((1UL << 9) | (1UL << 10) | (1UL << 11))

uint64_t arch_mdcr_el2(const struct arch_vcpu_ctx *c)
{
	return MDCR_PMU_TRAPS | (c->debug.active ? 0 : MDCR_DEBUG_TRAPS);
}
/* CPTR_EL2 (non-VHE): RES1 bits plus TZ/TSM (SVE, SME trap) and TTA (trace). FP allowed. */
#define CPTR_GUEST (0x33ffUL | (1UL << 20))
/* CNTHCTL_EL2: EL1 may read the physical counter; EL1 physical timer accesses trap. */
#define CNTHCTL_GUEST (1UL << 0)

#define SCTLR_EL1_RESET 0x30d00800UL /* RES1 bits, MMU and caches off */

void arch_vcpu_reset(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	struct arch_vcpu_ctx *c = &vcpu->ctx;

	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	memset(&c->sys, 0, sizeof(c->sys));
	memset(&c->fp, 0, sizeof(c->fp));
	vcpu->regs.x[0] = arg;
	vcpu->regs.pc = entry;
	vcpu->regs.pstate = PSR_DAIF | PSR_MODE_EL1h;
	c->sys.sctlr_el1 = SCTLR_EL1_RESET;
	arch_debug_reset(c);
	c->hcr_el2 = HCR_GUEST;
	c->vmpidr_el2 = (1UL << 31) | vcpu_mpidr(vcpu);
	c->vttbr_el2 = s2_vttbr(&vcpu->vm->s2);
}

void arch_vcpu_load(struct vcpu *vcpu)
{
	const struct arch_vcpu_ctx *c = &vcpu->ctx;
	const struct arch_sysregs *s = &c->sys;

	write_sysreg(sctlr_el1, s->sctlr_el1);
	write_sysreg(ttbr0_el1, s->ttbr0_el1);
	write_sysreg(ttbr1_el1, s->ttbr1_el1);
	write_sysreg(tcr_el1, s->tcr_el1);
	write_sysreg(mair_el1, s->mair_el1);
	write_sysreg(amair_el1, s->amair_el1);
	write_sysreg(vbar_el1, s->vbar_el1);
	write_sysreg(contextidr_el1, s->contextidr_el1);
	write_sysreg(tpidr_el0, s->tpidr_el0);
	write_sysreg(tpidrro_el0, s->tpidrro_el0);
	write_sysreg(tpidr_el1, s->tpidr_el1);
	write_sysreg(sp_el0, s->sp_el0);
	write_sysreg(sp_el1, s->sp_el1);
	write_sysreg(elr_el1, s->elr_el1);
	write_sysreg(spsr_el1, s->spsr_el1);
	write_sysreg(esr_el1, s->esr_el1);
	write_sysreg(far_el1, s->far_el1);
	write_sysreg(afsr0_el1, s->afsr0_el1);
	write_sysreg(afsr1_el1, s->afsr1_el1);
	write_sysreg(par_el1, s->par_el1);
	write_sysreg(cpacr_el1, s->cpacr_el1);
	write_sysreg(cntkctl_el1, s->cntkctl_el1);
	write_sysreg(csselr_el1, s->csselr_el1);
	write_sysreg(cntvoff_el2, 0); /* virtual time == physical time in every VM */
	write_sysreg(cntv_cval_el0, s->cntv_cval_el0);
	write_sysreg(cntv_ctl_el0, s->cntv_ctl_el0);
	arch_fp_restore(&vcpu->ctx.fp);

	write_sysreg(hcr_el2, c->hcr_el2);
	write_sysreg(vttbr_el2, c->vttbr_el2);
	write_sysreg(vmpidr_el2, c->vmpidr_el2);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(mdcr_el2, arch_mdcr_el2(c));
	arch_debug_load(&vcpu->ctx);
	write_sysreg(cptr_el2, CPTR_GUEST);
	write_sysreg(cnthctl_el2, CNTHCTL_GUEST);
	isb();
	vcpu->ctx.loaded = true;
}

bool arch_vcpu_timer_armed(const struct vcpu *vcpu, uint64_t *cval)
{
	uint64_t ctl = vcpu->ctx.loaded ? read_sysreg(cntv_ctl_el0) : vcpu->ctx.sys.cntv_ctl_el0;

	*cval = vcpu->ctx.loaded ? read_sysreg(cntv_cval_el0) : vcpu->ctx.sys.cntv_cval_el0;
	return (ctl & 3) == 1; /* ENABLE set, IMASK clear */
}

void arch_vcpu_timer_resample(const struct vcpu *vcpu)
{
	if (vcpu->ctx.loaded)
		write_sysreg(cntv_cval_el0, read_sysreg(cntv_cval_el0));
}

void arch_vcpu_set_idle_traps(struct vcpu *vcpu, bool wfi, bool wfe)
{
	vcpu->ctx.hcr_el2 &= ~(HCR_TWI | HCR_TWE);
	vcpu->ctx.hcr_el2 |= (wfi ? HCR_TWI : 0) | (wfe ? HCR_TWE : 0);
}

void arch_vcpu_set_irq_direct(struct vcpu *vcpu, bool direct)
{
	uint64_t hcr = direct ? vcpu->ctx.hcr_el2 & ~HCR_IMO : vcpu->ctx.hcr_el2 | HCR_IMO;

	if (hcr == vcpu->ctx.hcr_el2)
		return;
	vcpu->ctx.hcr_el2 = hcr;
	if (vcpu->ctx.loaded)
		write_sysreg(hcr_el2, hcr); /* the eret to the guest synchronises it */
}

void arch_vcpu_park(struct vcpu *vcpu)
{
	struct arch_sysregs *s = &vcpu->ctx.sys;

	s->cntv_ctl_el0 = read_sysreg(cntv_ctl_el0);
	s->cntv_cval_el0 = read_sysreg(cntv_cval_el0);
	/* Its timer must not fire at EL2 while the pCPU idles (the software timer stands in). */
	write_sysreg(cntv_ctl_el0, 0);
	/* An idle pCPU runs with HCR_HOST, as after arch_vcpu_put() (design.md, "Blocking"). */
	write_sysreg(hcr_el2, HCR_HOST);
	isb();
	vcpu->ctx.loaded = false; /* timer queries read the saved copy (from any pCPU) */
}

void arch_vcpu_unpark(struct vcpu *vcpu)
{
	const struct arch_sysregs *s = &vcpu->ctx.sys;

	write_sysreg(cntv_cval_el0, s->cntv_cval_el0);
	write_sysreg(cntv_ctl_el0, s->cntv_ctl_el0);
	write_sysreg(hcr_el2, vcpu->ctx.hcr_el2); /* the eret to the guest synchronises it */
	vcpu->ctx.loaded = true;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	struct arch_sysregs *s = &vcpu->ctx.sys;

	s->sctlr_el1 = read_sysreg(sctlr_el1);
	s->ttbr0_el1 = read_sysreg(ttbr0_el1);
	s->ttbr1_el1 = read_sysreg(ttbr1_el1);
	s->tcr_el1 = read_sysreg(tcr_el1);
	s->mair_el1 = read_sysreg(mair_el1);
	s->amair_el1 = read_sysreg(amair_el1);
	s->vbar_el1 = read_sysreg(vbar_el1);
	s->contextidr_el1 = read_sysreg(contextidr_el1);
	s->tpidr_el0 = read_sysreg(tpidr_el0);
	s->tpidrro_el0 = read_sysreg(tpidrro_el0);
	s->tpidr_el1 = read_sysreg(tpidr_el1);
	s->sp_el0 = read_sysreg(sp_el0);
	s->sp_el1 = read_sysreg(sp_el1);
	s->elr_el1 = read_sysreg(elr_el1);
	s->spsr_el1 = read_sysreg(spsr_el1);
	s->esr_el1 = read_sysreg(esr_el1);
	s->far_el1 = read_sysreg(far_el1);
	s->afsr0_el1 = read_sysreg(afsr0_el1);
	s->afsr1_el1 = read_sysreg(afsr1_el1);
	s->par_el1 = read_sysreg(par_el1);
	s->cpacr_el1 = read_sysreg(cpacr_el1);
	s->cntkctl_el1 = read_sysreg(cntkctl_el1);
	s->csselr_el1 = read_sysreg(csselr_el1);
	s->cntv_ctl_el0 = read_sysreg(cntv_ctl_el0);
	s->cntv_cval_el0 = read_sysreg(cntv_cval_el0);
	/* A descheduled vCPU's timer must not fire on this pCPU for the next vCPU. */
	write_sysreg(cntv_ctl_el0, 0);
	arch_debug_put(&vcpu->ctx);
	write_sysreg(hcr_el2, HCR_HOST); /* no stage 2, no traps of a guest left behind */
	isb();

	arch_fp_save(&vcpu->ctx.fp);
	vcpu->ctx.loaded = false;
}

/* Vector offset in VBAR_EL1 for a synchronous exception taken from the guest's current mode. */
static uint64_t sync_vector_offset(uint64_t pstate)
{
	switch (pstate & PSR_MODE_MASK) {
	case PSR_MODE_EL1t:
		return 0x000;
	case PSR_MODE_EL1h:
		return 0x200;
	default:
		return 0x400; /* from EL0 in AArch64 */
	}
}

/* Takes a synchronous exception to the guest's EL1 with the given syndrome (vCPU loaded). */
static void inject_sync(struct vcpu *vcpu, uint64_t esr, uint64_t far, bool set_far)
{
	struct guest_regs *r = vcpu_frame(vcpu);

	write_sysreg(elr_el1, r->pc);
	write_sysreg(spsr_el1, r->pstate);
	write_sysreg(esr_el1, esr);
	if (set_far)
		write_sysreg(far_el1, far);
	r->pc = read_sysreg(vbar_el1) + sync_vector_offset(r->pstate);
	r->pstate = PSR_DAIF | PSR_MODE_EL1h;
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool is_data, uint64_t addr)
{
	bool from_el0 = (vcpu_frame(vcpu)->pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
	uint64_t ec = is_data ? (from_el0 ? EC_DABT_LOW : EC_DABT_CUR)
			      : (from_el0 ? EC_IABT_LOW : EC_IABT_CUR);

	/* FSC 0x10: synchronous external abort, not on a translation table walk. */
	inject_sync(vcpu, (ec << ESR_EC_SHIFT) | ESR_IL | 0x10, addr, true);
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	inject_sync(vcpu, ((uint64_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false);
}
