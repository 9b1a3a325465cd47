/*
 * Physical CPUs: per-CPU data, stacks, and the loop a pCPU runs when it has no
 * vCPU to run (idle in WFI; IPIs and device interrupts are handled meanwhile).
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>

struct pcpu pcpus[MAX_PCPUS];
unsigned nr_pcpus;
/* The top GUEST_REGS_SIZE bytes of each stack hold the running vCPU's registers (exceptions.S). */
uint8_t pcpu_stacks[MAX_PCPUS][PCPU_STACK_SIZE] __attribute__((aligned(16)));

static struct guest_regs *pcpu_frame(const struct pcpu *p)
{
	return (struct guest_regs *)(void *)(pcpu_stacks[p->index] + PCPU_STACK_SIZE) - 1;
}

struct guest_regs *vcpu_frame(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();

	return p->current == vcpu ? pcpu_frame(p) : &vcpu->regs;
}

struct vcpu *vcpu_current(void)
{
	return pcpu_this()->current;
}

/* Switches the calling pCPU into vcpu: its registers onto the frame, its context into the CPU. */
static void __attribute__((noreturn)) vcpu_enter(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();
	struct guest_regs *frame = pcpu_frame(p);

	*frame = vcpu->regs;
	p->current = vcpu;
	arch_vcpu_load(vcpu);
	vgic_vcpu_restore(vcpu);
	vgic_flush(vcpu);
	arch_enter_guest(frame);
}

void pcpu_leave_vcpu(void)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *vcpu = p->current;

	if (!vcpu)
		return;
	vgic_sync(vcpu);
	vgic_vcpu_save(vcpu);
	arch_vcpu_put(vcpu);
	vcpu->regs = *pcpu_frame(p);
	/* Release: whoever sees current != vcpu (pcpu_wait_vcpu_off) sees its state saved. */
	__atomic_store_n(&p->current, NULL, __ATOMIC_RELEASE);
}

void pcpu_wait_vcpu_off(const struct vcpu *vcpu)
{
	for (unsigned i = 0; i < nr_pcpus && i < MAX_PCPUS; i++)
		while (__atomic_load_n(&pcpus[i].current, __ATOMIC_ACQUIRE) == vcpu)
			; /* it was kicked: it leaves at its next exit */
}

void pcpu_run(void)
{
	struct pcpu *p = pcpu_this();

	/* IRQs are masked here; arch_wait_for_interrupt() wakes on a pending one even so. */
	for (;;) {
		struct vcpu *vcpu = p->vcpu;

		if (vcpu && vcpu->state == VCPU_RUNNABLE)
			vcpu_enter(vcpu);
		arch_wait_for_interrupt();
	}
}
