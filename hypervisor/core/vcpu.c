/* vCPU life cycle: start, kick, WFI, and what happens around every trap. */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/pcpu.h>
#include <tandem/stats.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

void pcpu_leave_vcpu(void);

uint64_t vcpu_mpidr(const struct vcpu *vcpu)
{
	return vcpu->id; /* Aff0 = index; Aff1-3 = 0: one cluster of up to 8 vCPUs */
}

void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	arch_vcpu_reset(vcpu, entry, arg);
	vgic_vcpu_init(vcpu);
	__atomic_store_n(&vcpu->state, VCPU_RUNNABLE, __ATOMIC_RELEASE);
	vcpu_kick(vcpu);
}

void vcpu_kick(struct vcpu *vcpu)
{
	struct pcpu *p = vcpu->pcpu;

	if (p && p != pcpu_this())
		arch_gic_send_sgi(p->index, IPI_KICK);
}

void vcpu_wfi(struct vcpu *vcpu)
{
	/*
	 * One vCPU per pCPU: wait right here in EL2. The guest's timer stays loaded, so
	 * its expiry arrives as the physical PPI and is injected by the IRQ handler.
	 */
	while (vcpu->state == VCPU_RUNNABLE && !vgic_vcpu_pending(vcpu))
		arch_wait_for_interrupt();
}

void vcpu_trap_enter(struct vcpu *vcpu)
{
	stats_count_entry(vcpu);
	vgic_sync(vcpu);
}

static void leave_and_idle(void)
{
	pcpu_run();
}

void vcpu_trap_exit(struct vcpu *vcpu)
{
	if (vcpu->state != VCPU_RUNNABLE) {
		/* Stopped, powered off or reset while it trapped: give the pCPU back. */
		pcpu_leave_vcpu();
		vm_vcpu_left(vcpu->vm); /* a VM reset is carried out from here, off its vCPU */
		arch_reset_stack_and_call(leave_and_idle);
	}
	vgic_flush(vcpu);
}
