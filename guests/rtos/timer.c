/*
 * The Arm generic timer as the scheduler's one-shot clock (Arm ARM D11): the EL1 virtual timer
 * (CNTV_*, counter CNTVCT) by default, or the EL1 physical timer (CNTP_*, CNTPCT) when booted
 * with clock=phys. Absolute compare values (CVAL) make a deadline exact and drift-free.
 */
#include "arch.h"
#include "gic.h"
#include "percpu.h"
#include "platform.h"
#include "port.h"
#include "sched.h"

#define CTL_ENABLE (1U << 0)

volatile uint8_t rtos_timer_phys; /* read by exceptions.S at IRQ entry */
static uint64_t freq;

void timer_init(bool phys)
{
	rtos_timer_phys = phys;
	freq = read_sysreg(cntfrq_el0) & 0xffffffff;
	if (!freq)
		freq = 62500000; /* firmware left CNTFRQ unset: assume QEMU's rate rather than
				    divide by 0 */
}

unsigned timer_intid(const struct platform *p)
{
	return rtos_timer_phys ? p->timer_phys_irq : p->timer_virt_irq;
}

static void timer_irq(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)arg;
	sched_timer_irq(stamp);
}

void timer_init_cpu(unsigned intid)
{
	write_sysreg(0, cntv_ctl_el0);
	write_sysreg(0, cntp_ctl_el0);
	isb();
	irq_register(intid, timer_irq, NULL);
	gic->enable(intid, this_pcpu()->id);
}

uint64_t port_now(void)
{
	isb(); /* no counter read ahead of earlier instructions (Arm ARM D11.2.2) */
	return rtos_timer_phys ? read_sysreg(cntpct_el0) : read_sysreg(cntvct_el0);
}

uint64_t port_counter_freq(void)
{
	return freq;
}

void port_timer_set(uint64_t deadline)
{
	if (rtos_timer_phys) {
		if (deadline == PORT_TIMER_OFF) {
			write_sysreg(0, cntp_ctl_el0);
		} else {
			write_sysreg(deadline, cntp_cval_el0);
			write_sysreg(CTL_ENABLE, cntp_ctl_el0);
		}
	} else {
		if (deadline == PORT_TIMER_OFF) {
			write_sysreg(0, cntv_ctl_el0);
		} else {
			write_sysreg(deadline, cntv_cval_el0);
			write_sysreg(CTL_ENABLE, cntv_ctl_el0);
		}
	}
	isb();
}
