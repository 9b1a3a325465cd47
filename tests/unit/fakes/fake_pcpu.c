/* Stands in for core/pcpu.c: the pCPU array and recording versions of its calls. */
#include <tandem/pcpu.h>
#include <tandem/vm.h>

#include "fake.h"

struct pcpu pcpus[MAX_PCPUS];
unsigned nr_pcpus;

/* Waits for nothing: the vCPU is taken to be saved already (obj: the vCPU). */
void pcpu_wait_vcpu_off(const struct vcpu *vcpu)
{
	fake_record("pcpu_wait_vcpu_off", vcpu, 0, 0, 0);
}

/* A decision is due on p, as the real one marks it (the kick itself is not modelled). */
void pcpu_resched(struct pcpu *p)
{
	fake_record("pcpu_resched", p, 0, 0, 0);
	p->resched = true;
}

void pcpu_maybe_switch(void)
{
	fake_record("pcpu_maybe_switch", NULL, 0, 0, 0);
}

/* Takes the claimed restart on, as the real one marks it (obj: the VM): the test runs it. */
void pcpu_restart_later(struct vm *vm)
{
	fake_record("pcpu_restart_later", vm, 0, 0, 0);
	pcpu_this()->restarts |= 1U << vm->index;
	pcpu_this()->resched = true;
}
