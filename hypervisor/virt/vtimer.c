/*
 * The EL1 physical timer, emulated per vCPU as KVM and Xen do: CNTP_CTL/CVAL/TVAL_EL0 trap to
 * EL2 (CNTHCTL_EL2.EL1PCEN = 0) and live in struct vtimer_phys; the physical counter stays
 * readable (EL1PCTEN = 1, CNTVOFF = 0 makes it equal the virtual one). A software timer on the
 * EL2 timer raises PPI 30 when CVAL comes due; the line follows ENABLE && ISTATUS && !IMASK,
 * recomputed at every register write, so a guest that stops or re-arms the timer withdraws an
 * interrupt it has not taken (Arm ARM D11.2.4). Also the line sampling of the virtual timer,
 * whose registers the guest owns, for the vGIC's re-sampling of PPI 27.
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/irqchip.h>
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>
#include <tandem/vtimer.h>

static bool phys_line(const struct vtimer_phys *t, uint64_t now)
{
	uint32_t ctl = __atomic_load_n(&t->ctl, __ATOMIC_RELAXED);

	return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE &&
	       now >= __atomic_load_n(&t->cval, __ATOMIC_RELAXED);
}

bool vtimer_line(const struct vcpu *vcpu, irq_t intid, bool *level)
{
	uint64_t cval;
	struct pcpu *on;

	if (intid == PPI_PHYS_TIMER) {
		*level = phys_line(&vcpu->ptimer, arch_counter_read());
		return true;
	}
	if (intid != PPI_VIRT_TIMER)
		return false;
	on = __atomic_load_n(&vcpu->loaded_on, __ATOMIC_ACQUIRE);
	if (on && on != pcpu_this())
		return false;
	*level = arch_vcpu_timer_armed(vcpu, &cval) && cval <= arch_counter_read();
	return true;
}

static void phys_timer_fired(struct timer *timer)
{
	struct vcpu *vcpu = container_of(timer, struct vcpu, ptimer.timer);

	vgic_resample_timer(vcpu, PPI_PHYS_TIMER); /* raises the line (and kicks) if still due */
}

void vtimer_vcpu_init(struct vcpu *vcpu)
{
	timer_init(&vcpu->ptimer.timer, phys_timer_fired);
}

void vtimer_vcpu_reset(struct vcpu *vcpu)
{
	timer_cancel(&vcpu->ptimer.timer);
	__atomic_store_n(&vcpu->ptimer.ctl, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vcpu->ptimer.cval, 0, __ATOMIC_RELAXED);
	vgic_resample_timer(vcpu, PPI_PHYS_TIMER);
}

uint64_t vtimer_phys_read(struct vcpu *vcpu, enum vtimer_reg reg)
{
	const struct vtimer_phys *t = &vcpu->ptimer;
	uint64_t now = arch_counter_read();

	switch (reg) {
	case VTIMER_CNTP_CTL:
		/* ISTATUS: the condition met, whatever IMASK says (D11.2.4); 0 while disabled. */
		return t->ctl | ((t->ctl & CNT_CTL_ENABLE) && now >= t->cval ? CNT_CTL_ISTATUS : 0);
	case VTIMER_CNTP_CVAL:
		return t->cval;
	case VTIMER_CNTP_TVAL:
		/* The low 32 bits of CVAL - count, read as a signed value by the guest. */
		return (uint32_t)(t->cval - now);
	}
	return 0;
}

void vtimer_phys_write(struct vcpu *vcpu, enum vtimer_reg reg, uint64_t val)
{
	struct vtimer_phys *t = &vcpu->ptimer;

	switch (reg) {
	case VTIMER_CNTP_CTL:
		__atomic_store_n(&t->ctl, (uint32_t)val & (CNT_CTL_ENABLE | CNT_CTL_IMASK),
				 __ATOMIC_RELAXED);
		break;
	case VTIMER_CNTP_CVAL:
		__atomic_store_n(&t->cval, val, __ATOMIC_RELAXED);
		break;
	case VTIMER_CNTP_TVAL:
		/* CVAL = count + TVAL, TVAL sign-extended from 32 bits (D11.2.4). */
		__atomic_store_n(&t->cval, arch_counter_read() + (uint64_t)(int64_t)(int32_t)val,
				 __ATOMIC_RELAXED);
		break;
	}
	/* The software timer only while the line can still rise; then the line as it is now. */
	if ((t->ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE &&
	    t->cval > arch_counter_read())
		timer_arm(&t->timer, t->cval);
	else
		timer_cancel(&t->timer);
	vgic_resample_timer(vcpu, PPI_PHYS_TIMER);
}
