/* Tandem's control hypercalls (ABI: tandem/abi/hypercall.h). */
#ifndef TANDEM_HYPERCALL_H
#define TANDEM_HYPERCALL_H

#include <tandem/types.h>
#include <tandem/vcpu.h>

/* Serves a call of the vendor-specific hypervisor service range that the SMCCC router
 * (smccc.h) sends here: r->x0..x5 in, results in r->x0..x4. */
void hypercall(struct vcpu *vcpu, struct guest_regs *r);

#endif
