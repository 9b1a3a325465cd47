/* Stands in for core/pcpu.c: the pCPU array and recording versions of its calls. */
#include <tandem/pcpu.h>

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

/* Records the claimed restart (obj: the VM); a test runs it (vm_restart) if it wants it run. */
void pcpu_restart_later(struct vm *vm)
{
	fake_record("pcpu_restart_later", vm, 0, 0, 0);
}
