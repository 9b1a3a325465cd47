/* unit-sources: hypervisor/lib/ratelimit.c hypervisor/core/guest_log.c */
/* Rate limits for log lines a guest can cause: the token bucket and the per-VM guest_log(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/guest_log.h>
#include <tandem/ratelimit.h>
#include <tandem/vm.h>

static void test_burst_then_rate(void **state)
{
	struct ratelimit rl;
	unsigned dropped = 99;

	memset(&rl, 0, sizeof(rl));
	for (unsigned i = 0; i < 5; i++) {
		assert_true(ratelimit_ok(&rl, 1000, 100, 5, &dropped));
		assert_int_equal(dropped, 0);
	}
	assert_false(ratelimit_ok(&rl, 1000, 100, 5, &dropped));
	assert_false(ratelimit_ok(&rl, 1099, 100, 5, &dropped));
	/* One token per interval; the first line through says how many were dropped. */
	assert_true(ratelimit_ok(&rl, 1100, 100, 5, &dropped));
	assert_int_equal(dropped, 2);
	assert_false(ratelimit_ok(&rl, 1150, 100, 5, &dropped));
	assert_true(ratelimit_ok(&rl, 1200, 100, 5, &dropped));
	assert_int_equal(dropped, 1);
	/* A long quiet spell refills the burst, no more. */
	for (unsigned i = 0; i < 5; i++)
		assert_true(ratelimit_ok(&rl, 1000000, 100, 5, &dropped));
	assert_false(ratelimit_ok(&rl, 1000000, 100, 5, &dropped));
}

static void test_guest_log_per_vm(void **state)
{
	static struct vm a, b;
	unsigned long before;

	fake_reset();
	fake_arch.printk_quiet = true;
	fake_arch.counter_step = 0; /* time stands still: no refill */
	a.name = "hostile";
	b.name = "victim";
	for (unsigned i = 0; i < 3 * GUEST_LOG_BURST; i++)
		guest_log(&a, GLOG_UNMAPPED, "warning: vm %s: bad access %u", a.name, i);
	assert_int_equal(fake_arch.printks, GUEST_LOG_BURST);
	/* The other VM's messages still get through. */
	before = fake_arch.printks;
	guest_log(&b, GLOG_UNMAPPED, "warning: vm %s: something", b.name);
	assert_int_equal(fake_arch.printks, before + 1);
	assert_true(fake_printk_contains("tandem: warning: vm victim: something"));
	/* Another kind of message from the hostile VM has its own share. */
	before = fake_arch.printks;
	guest_log(&a, GLOG_VGIC, "warning: vm %s: other kind", a.name);
	assert_int_equal(fake_arch.printks, before + 1);
	/* A second later the hostile VM speaks again, first saying how much it lost. */
	fake_arch.counter += fake_arch.counter_freq;
	guest_log(&a, GLOG_UNMAPPED, "warning: vm %s: again", a.name);
	assert_true(fake_printk_contains("vm hostile: 20 messages suppressed"));
	assert_true(fake_printk_contains("tandem: warning: vm hostile: again"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_rate),
	    cmocka_unit_test(test_guest_log_per_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
