/* Calls into the host's PSCI firmware (QEMU emulates it) through SMC or HVC. */
#include <common/smccc_call.h>
#include <tandem/psci.h>

static bool conduit_hvc;

void psci_host_init(bool use_hvc)
{
	conduit_hvc = use_hvc;
}

int64_t psci_host_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return smccc_call(conduit_hvc, fn, a1, a2, a3);
}
