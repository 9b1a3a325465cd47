/* Tandem's control hypercalls (ABI: tandem/abi/hypercall.h). */
#ifndef TANDEM_HYPERCALL_H
#define TANDEM_HYPERCALL_H

#include <tandem/types.h>
#include <tandem/vcpu.h>

/* Whether a function ID belongs to the vendor-specific hypervisor service range. */
bool hypercall_handles(uint32_t fn);
/* Serves the call in r->x0..x5, results in r->x0..x4. */
void hypercall(struct vcpu *vcpu, struct guest_regs *r);

#endif
