/* PSCI (Arm DEN 0022) through the conduit the DTB names: hvc under a hypervisor, else smc. */
#include "arch.h"
#include "platform.h"

#define PSCI_VERSION	  0x84000000U
#define PSCI_SYSTEM_OFF	  0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

static bool use_hvc;
static uint32_t fn_cpu_on = 0xc4000003U;

void psci_init(const struct platform *p)
{
	use_hvc = p->psci_hvc;
	fn_cpu_on = p->psci_cpu_on;
}

/* SMCCC: arguments in x0-x3, result in x0; x4-x17 may be clobbered by callees below SMCCC 1.1. */
static int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (use_hvc)
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

int psci_cpu_on(uint64_t mpidr, uintptr_t entry, uint64_t ctx)
{
	return (int)psci_call(fn_cpu_on, mpidr, entry, ctx);
}

uint32_t psci_version(void)
{
	return (uint32_t)psci_call(PSCI_VERSION, 0, 0, 0);
}

void psci_system_reset(void)
{
	psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
}

void psci_system_off(void)
{
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
