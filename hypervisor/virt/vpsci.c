/*
 * PSCI 1.1 and SMCCC 1.1 as the guests see them (DEN 0022, DEN 0028), for the calls the SMCCC
 * router (core/smccc.c) sends here: the architecture calls and PSCI's range. Every function ID
 * Tandem does not implement answers NOT_SUPPORTED (-1).
 */
#include <tandem/log.h>
#include <tandem/psci.h>
#include <tandem/smccc.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#define AFFINITY_ON  0
#define AFFINITY_OFF 1

/* Strips the SMC64 bit so 32- and 64-bit variants share one case. */
static uint32_t base_fn(uint64_t fn)
{
	return (uint32_t)fn & ~PSCI_64BIT;
}

static bool implemented(uint32_t fn)
{
	switch (base_fn(fn)) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return true;
	}
	return false;
}

static int64_t cpu_on(struct vcpu *caller, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	struct vm *vm = caller->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, mpidr);

	if (!target)
		return PSCI_INVALID_PARAMETERS;
	if (!vm_ipa_to_host(vm, entry, 4) || (entry & 3))
		return PSCI_INVALID_ADDRESS;
	if (!vm_cpu_on(vm, target, entry, ctx))
		return PSCI_ALREADY_ON;
	return PSCI_SUCCESS;
}

static int64_t affinity_info(struct vcpu *caller, uint64_t mpidr, uint64_t level)
{
	struct vcpu *target;

	if (level != 0)
		return PSCI_INVALID_PARAMETERS;
	target = vm_vcpu_by_mpidr(caller->vm, mpidr);
	if (!target)
		return PSCI_INVALID_PARAMETERS;
	return target->state == VCPU_OFF ? AFFINITY_OFF : AFFINITY_ON;
}

void vpsci_call(struct vcpu *vcpu, struct guest_regs *r)
{
	uint64_t fn = r->x[0]; /* only w0 counts: base_fn() drops x0[63:32] */
	int64_t ret = PSCI_NOT_SUPPORTED;

	switch (base_fn(fn)) {
	case SMCCC_VERSION:
		ret = SMCCC_VERSION_1_1;
		break;
	case SMCCC_ARCH_FEATURES:
		ret = PSCI_NOT_SUPPORTED; /* no firmware workarounds are offered */
		break;
	case PSCI_VERSION:
		ret = PSCI_VERSION_1_1;
		break;
	case PSCI_CPU_SUSPEND:
		/* Every power state is treated as standby: wait for an interrupt, then return. */
		vcpu_wfi(vcpu);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_CPU_OFF:
		/* The trap exit path gives the pCPU back. Only from RUNNABLE: a vCPU whose VM
		 * is being stopped or reset stays STOPPED, so no CPU_ON can revive it. */
		__atomic_compare_exchange_n(&vcpu->state, &(enum vcpu_state){VCPU_RUNNABLE},
					    VCPU_OFF, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_CPU_ON:
		ret = cpu_on(vcpu, r->x[1], r->x[2], r->x[3]);
		break;
	case PSCI_AFFINITY_INFO:
		ret = affinity_info(vcpu, r->x[1], r->x[2]);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		ret = 2; /* no Trusted OS that would need migrating */
		break;
	case PSCI_SYSTEM_OFF:
		vm_power_off(vcpu->vm);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_SYSTEM_RESET:
		vm_reset(vcpu->vm);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_FEATURES:
		ret = implemented((uint32_t)r->x[1]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		break;
	default:
		break;
	}
	r->x[0] = (uint64_t)ret;
}
