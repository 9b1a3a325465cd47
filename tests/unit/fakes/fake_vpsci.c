/* Stands in for virt/vpsci.c: records each call (obj: the vCPU; arg 0: x0 as the guest wrote
 * it) and answers FAKE_PSCI_ANSWER in x0, whatever the function. */
#include <tandem/psci.h>
#include <tandem/vcpu.h>

#include "fake.h"

void vpsci_call(struct vcpu *vcpu, struct guest_regs *r)
{
	fake_record("vpsci_call", vcpu, r->x[0], r->x[1], 0);
	r->x[0] = FAKE_PSCI_ANSWER;
}
