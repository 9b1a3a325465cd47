/* Stands in for the SCMI channel's SMC side (virt/vscmi_vm.c): its one function ID, as the real
 * one decides; each call recorded (obj: the vCPU) and answered 0 in x0. */
#include <tandem/vcpu.h>
#include <tandem/vscmi.h>

#include "fake.h"

bool vscmi_handles(uint64_t fn)
{
	return (uint32_t)fn == VSCMI_SMC_ID;
}

void vscmi_call(struct vcpu *vcpu, struct guest_regs *r)
{
	fake_record("vscmi_call", vcpu, r->x[0], 0, 0);
	r->x[0] = 0;
}
