/* clang-format off */ /* unit-sources: hypervisor/virt/vpsci.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_vcpu.c */
/* clang-format on */
/*
 * The guest-visible PSCI 1.1 / SMCCC 1.1 interface (virt/vpsci.c) with the VM and vCPU
 * layers as the shared recording fakes (fakes/): versions, FEATURES, unknown IDs, CPU_ON and
 * AFFINITY_INFO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/psci.h>
#include <tandem/smccc.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

/* The guest's RAM: 16 MiB at IPA 0x40000000, backed by the fake RAM arena. */
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x1000000ULL

static struct vm vm;

/* vCPUs the VM layer started: vm_cpu_on calls it accepted (arg 2: 1). */
static unsigned starts(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_calls.n; i++)
		n += strcmp(fake_calls.call[i].fn, "vm_cpu_on") == 0 && fake_calls.call[i].arg[2];
	return n;
}

/* ---- helpers ---- */

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_calls_reset();
	memset(&vm, 0, sizeof(vm));
	vm.state = VM_RUNNING;
	vm.ram_ipa = RAM_BASE;
	vm.ram_pa = FAKE_RAM_BASE;
	vm.ram_size = RAM_SIZE;
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

/*
 * The trap's fast answer (smccc_fast_answer, taken before the router) claims exactly
 * SMCCC_VERSION and PSCI_VERSION, SMC32 or SMC64, whatever x0[63:32] holds, and answers them
 * as this file does.
 */
static void test_fast_answer_agrees(void **state)
{
	static const uint32_t numbers[] = {0, 1, 2, 3, 0x20, 0xffff};
	unsigned claimed = 0;

	for (unsigned owner = 0; owner < 64; owner++)
		for (unsigned bits = 0; bits < 8; bits++)
			for (unsigned n = 0; n < ARRAY_SIZE(numbers); n++) {
				uint32_t id =
				    (owner << 24) | numbers[n] | ((bits & 1) ? SMCCC_64 : 0) |
				    ((bits & 2) ? SMCCC_FAST : 0) | ((bits & 4) ? 0x10000 : 0);
				uint64_t x0 = (uint64_t)id | (n == 1 ? 0xdead00000000ULL : 0);
				uint64_t ret;
				bool want = (owner == 0 || owner == 4) && numbers[n] == 0 &&
					    (bits & 2) && !(bits & 4);

				assert_int_equal(smccc_fast_answer(x0, &ret), want);
				if (!want)
					continue;
				claimed++;
				assert_int_equal(ret, (uint64_t)call(x0, 0, 0, 0));
			}
	assert_int_equal(claimed, 4);
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
	assert_int_equal(fake_calls.n, 0); /* nothing asked of the VM or vCPU layers */
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
	assert_int_equal(starts(), 0);
	assert_int_equal(call(PSCI_AFFINITY_INFO | PSCI_64BIT, 1, 0, 0), 1); /* OFF */

	/* Valid: the target is started with the entry point and context id. */
	assert_int_equal(call(fn, 1, RAM_BASE + 0x2000, 0xdeadbeef), PSCI_SUCCESS);
	assert_int_equal(starts(), 1);
	assert_ptr_equal(fake_last("vm_cpu_on")->obj, &vm.vcpus[1]);
	assert_int_equal(fake_last("vm_cpu_on")->arg[0], RAM_BASE + 0x2000);
	assert_int_equal(fake_last("vm_cpu_on")->arg[1], 0xdeadbeef);
	assert_int_equal(vm.vcpus[1].state, VCPU_RUNNABLE);

	/* Second CPU_ON of the same vCPU: already on. */
	assert_int_equal(call(fn, 1, RAM_BASE + 0x2000, 0), PSCI_ALREADY_ON);
	assert_int_equal(starts(), 1);

	/* A VM being reset starts nothing: the VM layer refuses, the guest hears ALREADY_ON. */
	vm.vcpus[1].state = VCPU_OFF;
	vm.state = VM_RESTARTING;
	assert_int_equal(call(fn, 1, RAM_BASE + 0x2000, 0), PSCI_ALREADY_ON);
	assert_int_equal(starts(), 1);
	assert_int_equal(vm.vcpus[1].state, VCPU_OFF);
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
	assert_int_equal(fake_count_obj("vcpu_wfi", &vm.vcpus[0]), 1);
	assert_int_equal(call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	assert_int_equal(call(PSCI_SYSTEM_OFF, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(fake_count_obj("vm_power_off", &vm), 1);
	assert_int_equal(call(PSCI_SYSTEM_RESET, 0, 0, 0), PSCI_SUCCESS);
	assert_int_equal(fake_count_obj("vm_reset", &vm), 1);
	assert_int_equal(fake_count("vm_power_off"), 1);
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
	    cmocka_unit_test_setup(test_fast_answer_agrees, setup),
	    cmocka_unit_test_setup(test_features, setup),
	    cmocka_unit_test_setup(test_unknown_ids, setup),
	    cmocka_unit_test_setup(test_cpu_on, setup),
	    cmocka_unit_test_setup(test_affinity_info, setup),
	    cmocka_unit_test_setup(test_system_calls, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
