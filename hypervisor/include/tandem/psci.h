/* PSCI (DEN 0022) and SMCCC (DEN 0028): the guest-facing emulation and the host conduit. */
#ifndef TANDEM_PSCI_H
#define TANDEM_PSCI_H

#include <tandem/types.h>

struct vcpu;
struct guest_regs;

#define SMCCC_VERSION	       0x80000000U
#define SMCCC_ARCH_FEATURES    0x80000001U
#define PSCI_VERSION	       0x84000000U
#define PSCI_CPU_SUSPEND       0x84000001U
#define PSCI_CPU_OFF	       0x84000002U
#define PSCI_CPU_ON	       0x84000003U
#define PSCI_AFFINITY_INFO     0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF	       0x84000008U
#define PSCI_SYSTEM_RESET      0x84000009U
#define PSCI_FEATURES	       0x8400000aU
#define PSCI_64BIT	       0x40000000U /* SMC64 variants of the calls that take addresses */

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED		(-3)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)

/* Handles an HVC/SMC from a guest: function ID in x0, results written to x0..x3. */
void vpsci_call(struct vcpu *vcpu, struct guest_regs *r);

/* Host firmware conduit (from the host DTB's /psci "method"). */
void psci_host_init(bool use_hvc);
int64_t psci_host_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
