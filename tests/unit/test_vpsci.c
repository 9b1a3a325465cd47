/* unit-sources: hypervisor/virt/vpsci.c */
/*
 * The guest-visible PSCI 1.1 / SMCCC 1.1 interface (virt/vpsci.c) with the VM and vCPU
 * layers as doubles: versions, FEATURES, unknown IDs, CPU_ON and AFFINITY_INFO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/psci.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

/* ---- doubles ---- */

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x1000000ULL

static struct vm vm;
static uint8_t ram_byte;
static struct {
	unsigned starts, wfis, stops, resets;
	struct vcpu *start_vcpu;
	ipa_t start_entry;
	uint64_t start_arg;
} rec;

struct vcpu *vm_vcpu_by_mpidr(struct vm *v, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffUL;
	for (unsigned i = 0; i < v->nr_vcpus; i++)
		if (v->vcpus[i].id == mpidr)
			return &v->vcpus[i];
	return NULL;
}

void *vm_ipa_to_host(struct vm *v, ipa_t ipa, size_t len)
{
	if (ipa < RAM_BASE || ipa + len > RAM_BASE + RAM_SIZE)
		return NULL;
	return &ram_byte;
}

void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	rec.starts++;
	rec.start_vcpu = vcpu;
	rec.start_entry = entry;
	rec.start_arg = arg;
	vcpu->state = VCPU_RUNNABLE;
}

/* What vm.c's vm_cpu_on does (tested in test_vm_load): start only an OFF vCPU of a running VM. */
bool vm_cpu_on(struct vm *v, struct vcpu *target, ipa_t entry, uint64_t arg)
{
	if (v->state != VM_RUNNING || target->state != VCPU_OFF)
		return false;
	vcpu_start(target, entry, arg);
	return true;
}

void vcpu_wfi(struct vcpu *vcpu)
{
	rec.wfis++;
}

void vm_power_off(struct vm *v)
{
	rec.stops++;
}

void vm_reset(struct vm *v)
{
	rec.resets++;
}

/* ---- helpers ---- */

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	memset(&rec, 0, sizeof(rec));
	memset(&vm, 0, sizeof(vm));
	vm.nr_vcpus = 2;
	for (unsigned i = 0; i < vm.nr_vcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].state = VCPU_OFF;
	}
	vm.vcpus[0].state = VCPU_RUNNABLE;
	return 0;
}

static int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct guest_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = fn;
	r.x[1] = a1;
	r.x[2] = a2;
	r.x[3] = a3;
	vpsci_call(&vm.vcpus[0], &r);
	return (int64_t)r.x[0];
}

/* ---- tests ---- */

static void test_versions(void **state)
{
	assert_int_equal(call(PSCI_VERSION, 0, 0, 0), 0x10001);
	assert_int_equal(call(SMCCC_VERSION, 0, 0, 0), 0x10001);
	assert_int_equal(call(SMCCC_ARCH_FEATURES, 0x8000, 0, 0), PSCI_NOT_SUPPORTED);
}

static void test_features(void **state)
{
	assert_int_equal(call(PSCI_FEATURES, SMCCC_VERSION, 0, 0), PSCI_SUCCESS);
	assert_int_equal(call(PSCI_FEATURES, PSCI_CPU_ON, 0, 0), PSCI_SUCCESS);
	assert_int_equal(call(PSCI_FEATURES, PSCI_CPU_ON | PSCI_64BIT, 0, 0), PSCI_SUCCESS);
	assert_int_equal(call(PSCI_FEATURES, 0x84000005U, 0, 0), PSCI_NOT_SUPPORTED);
	assert_int_equal(call(PSCI_FEATURES, 0x8400ffffU, 0, 0), PSCI_NOT_SUPPORTED);
}

static void test_unknown_ids(void **state)
{
	assert_int_equal(call(0x84000005U, 0, 0, 0), PSCI_NOT_SUPPORTED); /* CPU_FREEZE... */
	assert_int_equal(call(0x8400000eU, 0, 0, 0), PSCI_NOT_SUPPORTED);
	assert_int_equal(call(0xc2000000U, 0, 0, 0), PSCI_NOT_SUPPORTED);
	assert_int_equal(call(0, 0, 0, 0), PSCI_NOT_SUPPORTED);
	assert_int_equal(rec.starts + rec.stops + rec.resets + rec.wfis, 0);
}

static void test_cpu_on(void **state)
{
	uint64_t fn = PSCI_CPU_ON | PSCI_64BIT;

	/* Unknown MPIDR. */
	assert_int_equal(call(fn, 5, RAM_BASE + 0x1000, 0x77), PSCI_INVALID_PARAMETERS);
	/* Already on: the caller itself. */
	assert_int_equal(call(fn, 0, RAM_BASE + 0x1000, 0x77), PSCI_ALREADY_ON);
	/* Entry outside RAM, or misaligned. */
	assert_int_equal(call(fn, 1, 0x1000, 0x77), PSCI_INVALID_ADDRESS);
	assert_int_equal(call(fn, 1, RAM_BASE + 0x1002, 0x77), PSCI_INVALID_ADDRESS);
	assert_int_equal(rec.starts, 0);
	assert_int_equal(call(PSCI_AFFINITY_INFO | PSCI_64BIT, 1, 0, 0), 1); /* OFF */

	/* Valid: the target is started with the entry point and context id. */
	assert_int_equal(call(fn, 1, RAM_BASE + 0x2000, 0xdeadbeef), PSCI_SUCCESS);
	assert_int_equal(rec.starts, 1);
	assert_ptr_equal(rec.start_vcpu, &vm.vcpus[1]);
	assert_int_equal(rec.start_entry, RAM_BASE + 0x2000);
	assert_int_equal(rec.start_arg, 0xdeadbeef);

	/* Second CPU_ON of the same vCPU: already on. */
	assert_int_equal(call(fn, 1, RAM_BASE + 0x2000, 0), PSCI_ALREADY_ON);
	assert_int_equal(rec.starts, 1);
}

static void test_affinity_info(void **state)
{
	uint64_t fn = PSCI_AFFINITY_INFO;

	assert_int_equal(call(fn, 0, 0, 0), 0); /* ON */
	assert_int_equal(call(fn, 1, 0, 0), 1); /* OFF */
	assert_int_equal(call(fn, 7, 0, 0), PSCI_INVALID_PARAMETERS);
	assert_int_equal(call(fn, 0, 1, 0), PSCI_INVALID_PARAMETERS);
	vm.vcpus[1].state = VCPU_BLOCKED;
	assert_int_equal(call(fn | PSCI_64BIT, 1, 0, 0), 0);
}

static void test_system_calls(void **state)
{
	assert_int_equal(call(PSCI_CPU_SUSPEND, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(rec.wfis, 1);
	assert_int_equal(call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	assert_int_equal(call(PSCI_SYSTEM_OFF, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(rec.stops, 1);
	assert_int_equal(call(PSCI_SYSTEM_RESET, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(rec.resets, 1);
	assert_int_equal(call(PSCI_CPU_OFF, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(vm.vcpus[0].state, VCPU_OFF);
	/* A vCPU stopped with its VM (being stopped or reset) stays stopped through CPU_OFF. */
	vm.vcpus[0].state = VCPU_STOPPED;
	assert_int_equal(call(PSCI_CPU_OFF, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(vm.vcpus[0].state, VCPU_STOPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_versions, setup),
	    cmocka_unit_test_setup(test_features, setup),
	    cmocka_unit_test_setup(test_unknown_ids, setup),
	    cmocka_unit_test_setup(test_cpu_on, setup),
	    cmocka_unit_test_setup(test_affinity_info, setup),
	    cmocka_unit_test_setup(test_system_calls, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
