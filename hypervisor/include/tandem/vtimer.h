/*
 * The guest's generic timers as a GIC sees them: the EL1 physical timer (CNTP_*, PPI 30),
 * emulated per vCPU, and the line level of both timers (Arm ARM D11.2.4: the output is
 * ENABLE && ISTATUS && !IMASK, a level that the vGIC follows).
 */
#ifndef TANDEM_VTIMER_H
#define TANDEM_VTIMER_H

#include <tandem/timer.h>
#include <tandem/types.h>

struct vcpu;

#define PPI_PHYS_TIMER 30 /* CNTP: EL1 physical timer (Arm BSA) */

#define CNT_CTL_ENABLE	(1u << 0)
#define CNT_CTL_IMASK	(1u << 1)
#define CNT_CTL_ISTATUS (1u << 2)

/*
 * A vCPU's EL1 physical timer. The guest's accesses trap (CNTHCTL_EL2.EL1PCEN = 0) and are
 * served from here; a software timer stands in for the comparator. ctl and cval are written
 * only by the vCPU's own traps and read by the software timer's callback (which may run on a
 * pCPU the vCPU has left): the line is always recomputed from them under the vGIC lock, so the
 * last recomputation sees the last write.
 */
struct vtimer_phys {
	uint32_t ctl;	    /* ENABLE and IMASK as written */
	uint64_t cval;	    /* CNTP_CVAL_EL0 */
	struct timer timer; /* armed at cval while the line can still rise */
};

/* The trapped registers, numbered as their op2 (S3_3_C14_C2_<op2>). */
enum vtimer_reg { VTIMER_CNTP_TVAL = 0, VTIMER_CNTP_CTL = 1, VTIMER_CNTP_CVAL = 2 };

/* One-time set-up of the vCPU's timer state (VM creation). */
void vtimer_vcpu_init(struct vcpu *vcpu);
/* Cold reset (vCPU start): physical timer disabled, its software timer cancelled. */
void vtimer_vcpu_reset(struct vcpu *vcpu);
/* Guest read of a trapped physical-timer register. */
uint64_t vtimer_phys_read(struct vcpu *vcpu, enum vtimer_reg reg);
/* Guest write of a trapped physical-timer register: updates the line and the software timer. */
void vtimer_phys_write(struct vcpu *vcpu, enum vtimer_reg reg, uint64_t val);

/*
 * The line level of timer PPI intid (27 virtual, 30 physical) of vcpu, sampled now. False if
 * intid is not a timer's or cannot be sampled from this pCPU (the virtual timer of a vCPU
 * loaded on another pCPU: its registers are in that CPU).
 */
bool vtimer_line(const struct vcpu *vcpu, irq_t intid, bool *level);

#endif
