/*
 * Stands in for core/vm.c: the VM array, its lookups (as the real ones compute them, over
 * vm->ram_ipa/ram_pa/ram_size in the fake RAM arena) and recording lifecycle calls.
 */
#include <tandem/arch.h>
#include <tandem/vm.h>

#include "fake.h"

struct vm vms[CFG_MAX_VMS];
unsigned nr_vms;

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffUL; /* affinity fields only */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].id == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

void *vm_ipa_to_host(struct vm *vm, ipa_t ipa, size_t len)
{
	if (ipa < vm->ram_ipa || ipa - vm->ram_ipa > vm->ram_size || len > vm->ram_size ||
	    ipa - vm->ram_ipa + len > vm->ram_size)
		return NULL;
	return arch_phys_to_virt(vm->ram_pa + (ipa - vm->ram_ipa));
}

/* vm_cpu_on()'s contract: starts target (RUNNABLE) only if the VM runs and target is OFF. */
bool vm_cpu_on(struct vm *vm, struct vcpu *target, ipa_t entry, uint64_t arg)
{
	bool ok = vm->state == VM_RUNNING && target->state == VCPU_OFF;

	fake_record("vm_cpu_on", target, entry, arg, ok);
	if (ok)
		target->state = VCPU_RUNNABLE;
	return ok;
}

void vm_stop(struct vm *vm, const char *why)
{
	fake_record("vm_stop", vm, 0, 0, 0);
}

/* arg 0: the cause. */
void vm_fail(struct vm *vm, enum failover_cause cause, const char *why)
{
	fake_record("vm_fail", vm, (uint64_t)cause, 0, 0);
}

void vm_power_off(struct vm *vm)
{
	fake_record("vm_power_off", vm, 0, 0, 0);
}

void vm_reset(struct vm *vm)
{
	fake_record("vm_reset", vm, 0, 0, 0);
}

/* vm_claim_restart()'s contract: the first claim of a restarting VM's restart wins. */
bool vm_claim_restart(struct vm *vm)
{
	bool claim = vm->state == VM_RESTARTING && !vm->restart_claimed;

	fake_record("vm_claim_restart", vm, claim, 0, 0);
	if (claim)
		vm->restart_claimed = true;
	return claim;
}

/* The restart done: the VM runs again (obj: the VM). */
void vm_restart(struct vm *vm)
{
	fake_record("vm_restart", vm, 0, 0, 0);
	vm->state = VM_RUNNING;
	vm->restarts++;
}

/* vm_begin_restart()'s contract: a running VM becomes RESTARTING (vCPUs STOPPED), else false. */
bool vm_begin_restart(struct vm *vm)
{
	bool ok = vm->state == VM_RUNNING;

	fake_record("vm_begin_restart", vm, ok, 0, 0);
	if (ok) {
		vm->state = VM_RESTARTING;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vm->vcpus[i].state = VCPU_STOPPED;
	}
	return ok;
}

/* vm_begin_restart_held()'s contract: as vm_begin_restart(), the restart claimed by the caller. */
bool vm_begin_restart_held(struct vm *vm)
{
	bool ok = vm->state == VM_RUNNING;

	fake_record("vm_begin_restart_held", vm, ok, 0, 0);
	if (ok) {
		vm->state = VM_RESTARTING;
		vm->restart_claimed = true;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vm->vcpus[i].state = VCPU_STOPPED;
	}
	return ok;
}

void vm_restart_if_off(struct vm *vm)
{
	fake_record("vm_restart_if_off", vm, 0, 0, 0);
}

uint64_t vm_time_us(void)
{
	return 0;
}
