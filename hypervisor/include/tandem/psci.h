/* PSCI (DEN 0022) and SMCCC (DEN 0028): the guest-facing emulation and the host conduit. */
#ifndef TANDEM_PSCI_H
#define TANDEM_PSCI_H

#include <common/psci.h> /* function IDs and return codes */
#include <tandem/types.h>

struct vcpu;
struct guest_regs;

/* Serves a PSCI or architecture call the SMCCC router sends (smccc.h): ID in x0, results
 * written to x0..x3. */
void vpsci_call(struct vcpu *vcpu, struct guest_regs *r);

/* Host firmware conduit (from the host DTB's /psci "method"). */
void psci_host_init(bool use_hvc);
int64_t psci_host_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
