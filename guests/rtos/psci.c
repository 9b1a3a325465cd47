/* PSCI (Arm DEN 0022) through the conduit the DTB names: hvc under a hypervisor, else smc. */
#include <common/psci.h>
#include <common/smccc_call.h>

#include "arch.h"
#include "platform.h"

static bool use_hvc;
static uint32_t fn_cpu_on = PSCI_CPU_ON | PSCI_64BIT;

void psci_init(const struct platform *p)
{
	use_hvc = p->psci_hvc;
	fn_cpu_on = p->psci_cpu_on;
}

int psci_cpu_on(uint64_t mpidr, uintptr_t entry, uint64_t ctx)
{
	return (int)smccc_call(use_hvc, fn_cpu_on, mpidr, entry, ctx);
}

uint32_t psci_version(void)
{
	return (uint32_t)smccc_call(use_hvc, PSCI_VERSION, 0, 0, 0);
}

void psci_system_reset(void)
{
	smccc_call(use_hvc, PSCI_SYSTEM_RESET, 0, 0, 0);
}

void psci_system_off(void)
{
	smccc_call(use_hvc, PSCI_SYSTEM_OFF, 0, 0, 0);
}
