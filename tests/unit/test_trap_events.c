/* clang-format off */ /* unit-sources: hypervisor/core/trap_events.c hypervisor/core/mmio.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_guest_log.c tests/unit/fakes/fake_vtimer.c */
/* clang-format on */
/*
 * What the core decides for the traps arch decodes but does not handle (core/trap_events.c):
 * which guest-log line a stage-2 fault gives, when it fails the VM instead of an abort for the
 * guest (on-unmapped-access = "fail": only where the VM has nothing), SErrors, unknown exception
 * classes and system registers, the physical timer's registers handed to the vtimer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/errno.h>
#include <tandem/failover.h>
#include <tandem/guest_log.h>
#include <tandem/mmio.h>
#include <tandem/trap_events.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

#define DEV  0x8000000 /* an emulated device's region */
#define NONE 0x7000000 /* nothing there */

static struct cfg_vm cfg;
static struct vm vm;
static struct vcpu *vcpu;

static int handler(struct vcpu *v, struct mmio_access *acc, void *opaque)
{
	return 0;
}

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_calls_reset();
	memset(&cfg, 0, sizeof(cfg));
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.name = "g";
	vm.nr_vcpus = 1;
	vcpu = &vm.vcpus[0];
	vcpu->vm = &vm;
	assert_int_equal(mmio_register(&vm, DEV, 0x1000, handler, NULL), 0);
	return 0;
}

/* The one guest-log line the fault gave, by kind; and that the VM did not fail. */
static void logged_once(enum guest_log_kind kind)
{
	assert_int_equal(fake_count("guest_log"), 1);
	assert_ptr_equal(fake_last("guest_log")->obj, &vm);
	assert_int_equal(fake_last("guest_log")->arg[0], kind);
	assert_int_equal(fake_count("vm_fail"), 0);
}

static void failed(void)
{
	assert_int_equal(fake_count("guest_log"), 0);
	assert_int_equal(fake_count_obj("vm_fail", &vm), 1);
	assert_int_equal(fake_last("vm_fail")->arg[0], FAILOVER_FAULT);
}

static enum trap_verdict data(ipa_t ipa, bool isv, int err)
{
	struct trap_fault f = {.kind = TRAP_FAULT_DATA,
			       .ipa = ipa,
			       .pc = 0x40001000,
			       .write = true,
			       .isv = isv,
			       .size = 4,
			       .err = err};

	return trap_fault(vcpu, &f);
}

static void test_data_faults_give_the_guest_an_abort(void **state)
{
	/* No region took it: unmapped. */
	assert_int_equal(data(NONE, true, -ERR_NOENT), TRAP_INJECT_ABORT);
	logged_once(GLOG_UNMAPPED);
	/* Without a syndrome the core looks where it went: a device, or nothing. */
	fake_calls_clear();
	assert_int_equal(data(DEV + 8, false, 0), TRAP_INJECT_ABORT);
	logged_once(GLOG_NO_SYNDROME);
	fake_calls_clear();
	assert_int_equal(data(NONE, false, 0), TRAP_INJECT_ABORT);
	logged_once(GLOG_UNMAPPED);
	/* A device refused it. */
	fake_calls_clear();
	assert_int_equal(data(DEV, true, -ERR_INVAL), TRAP_INJECT_ABORT);
	logged_once(GLOG_REFUSED);
}

static void test_unmapped_access_fails_the_vm_when_configured(void **state)
{
	cfg.on_unmapped = CFG_ON_UNMAPPED_FAIL;
	assert_int_equal(data(NONE, true, -ERR_NOENT), TRAP_VM_FAILED);
	failed();
	fake_calls_clear();
	assert_int_equal(data(NONE, false, 0), TRAP_VM_FAILED);
	failed();
	/* Where a device is, the guest still gets its abort: a refusal is not a stray pointer. */
	fake_calls_clear();
	assert_int_equal(data(DEV, true, -ERR_INVAL), TRAP_INJECT_ABORT);
	logged_once(GLOG_REFUSED);
	fake_calls_clear();
	assert_int_equal(data(DEV, false, 0), TRAP_INJECT_ABORT);
	logged_once(GLOG_NO_SYNDROME);
}

static void test_table_walks_and_fetches(void **state)
{
	struct trap_fault walk = {.kind = TRAP_FAULT_TABLE_WALK, .ipa = NONE};
	struct trap_fault fetch = {.kind = TRAP_FAULT_FETCH, .ipa = DEV, .s1ptw = true};

	assert_int_equal(trap_fault(vcpu, &walk), TRAP_INJECT_ABORT);
	logged_once(GLOG_TABLE_WALK);
	fake_calls_clear();
	assert_int_equal(trap_fault(vcpu, &fetch), TRAP_INJECT_ABORT);
	logged_once(GLOG_FETCH);
	/* With "fail", both fail the VM wherever they went (as before the decoder was split). */
	cfg.on_unmapped = CFG_ON_UNMAPPED_FAIL;
	fake_calls_clear();
	assert_int_equal(trap_fault(vcpu, &walk), TRAP_VM_FAILED);
	failed();
	fake_calls_clear();
	assert_int_equal(trap_fault(vcpu, &fetch), TRAP_VM_FAILED);
	failed();
}

static void test_serror_fails_the_vm(void **state)
{
	trap_serror(vcpu, 0xbe000000, 0x40002000);
	failed();
	assert_true(fake_printk_contains("SError (ESR 0xbe000000) at pc 0x40002000"));
}

static void test_unknown_traps_are_logged(void **state)
{
	trap_unknown_class(vcpu, 0x3f, 0xfc000000, 0x40003000);
	logged_once(GLOG_TRAP);
	fake_calls_clear();
	trap_unknown_sysreg(vcpu, true, 3, 0, 15, 2, 0);
	logged_once(GLOG_SYSREG);
}

static void test_physical_timer_goes_to_the_vtimer(void **state)
{
	assert_int_equal(trap_ptimer_read(vcpu, VTIMER_CNTP_CVAL), 0x1000 + VTIMER_CNTP_CVAL);
	assert_ptr_equal(fake_last("vtimer_phys_read")->obj, vcpu);
	trap_ptimer_write(vcpu, VTIMER_CNTP_CTL, 5);
	assert_int_equal(fake_last("vtimer_phys_write")->arg[0], VTIMER_CNTP_CTL);
	assert_int_equal(fake_last("vtimer_phys_write")->arg[1], 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_data_faults_give_the_guest_an_abort, setup),
	    cmocka_unit_test_setup(test_unmapped_access_fails_the_vm_when_configured, setup),
	    cmocka_unit_test_setup(test_table_walks_and_fetches, setup),
	    cmocka_unit_test_setup(test_serror_fails_the_vm, setup),
	    cmocka_unit_test_setup(test_unknown_traps_are_logged, setup),
	    cmocka_unit_test_setup(test_physical_timer_goes_to_the_vtimer, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
