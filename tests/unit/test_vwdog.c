/* clang-format off */ /* unit-sources: hypervisor/virt/vwdog.c hypervisor/core/mmio.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_guest_log.c tests/unit/fakes/fake_timer.c */
/* clang-format on */
/*
 * The emulated SBSA generic watchdog: WCS/WOR/WCV/W_IIDR and WRR, explicit refreshes, the WS0
 * then WS1 timeouts (the WS0 line and vm_fail), the reset-status WS1 kept across a watchdog
 * restart only, reserved offsets RAZ/WI and bad sizes ignored, two VMs apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/errno.h>
#include <tandem/guest_log.h>
#include <tandem/mmio.h>
#include <tandem/timer.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vwdog.h>

#include "fakes/fake.h"

#define WDOG_SPI  120
#define WOR_TICKS 1000

/* ---- what the watchdog's neighbours saw (the shared fakes; the real core/mmio.c) ---- */

/* v's WS0 line, as the vGIC's fake was last told (low before any call). */
static bool line(struct vm *v)
{
	const struct fake_call *c = fake_last_obj("vgic_set_level", v);

	assert_int_equal(fake_calls.lost, 0);
	if (c)
		assert_int_equal(c->arg[0], WDOG_SPI);
	return c && c->arg[1];
}

static unsigned failures(struct vm *v)
{
	return fake_count_obj("vm_fail", v);
}

/* Lines the guest caused: each one a refused access. */
static unsigned bad_access_logs(void)
{
	const struct fake_call *c = fake_last("guest_log");

	if (c)
		assert_int_equal(c->arg[0], GLOG_REFUSED);
	return fake_count("guest_log");
}

/* ---- the VMs ---- */

static struct cfg_vm cfgs[2];
static struct vm vm_a, vm_b;

static int setup(void **state)
{
	fake_reset();
	fake_calls_reset();
	for (unsigned i = 0; i < 2; i++) {
		struct vm *v = i ? &vm_b : &vm_a;

		memset(&cfgs[i], 0, sizeof(cfgs[i]));
		cfgs[i].watchdog = true;
		cfgs[i].watchdog_spi = WDOG_SPI;
		memset(v, 0, sizeof(*v));
		v->cfg = &cfgs[i];
		v->index = i;
		v->name = i ? "b" : "a";
		v->state = VM_RUNNING;
		assert_int_equal(vwdog_vm_create(v), 0);
	}
	assert_int_equal(vm_a.nr_mmio + vm_b.nr_mmio, 4);
	return 0;
}

static uint64_t wd_access(struct vm *v, ipa_t frame, uint64_t off, unsigned size, bool write,
			  uint64_t value)
{
	struct mmio_access acc = {
	    .addr = frame + off, .offset = off, .size = size, .write = write, .value = value};

	const struct mmio_region *r = mmio_find(v, frame);

	if (r && r->base == frame) {
		assert_int_equal(r->size, VWDOG_FRAME_SIZE);
		assert_int_equal(r->handler(NULL, &acc, r->opaque), 0);
		return acc.value;
	}
	fail_msg("no frame at 0x%llx", (unsigned long long)frame);
	return 0;
}

static uint32_t rd(struct vm *v, ipa_t frame, uint64_t off)
{
	return (uint32_t)wd_access(v, frame, off, 4, false, 0);
}

static void wr(struct vm *v, ipa_t frame, uint64_t off, uint32_t value)
{
	wd_access(v, frame, off, 4, true, value);
}

#define CTRL VWDOG_CONTROL_BASE
#define REFR VWDOG_REFRESH_BASE

static uint64_t wcv(struct vm *v)
{
	return wd_access(v, CTRL, VWDOG_WCV, 8, false, 0);
}

/* Runs the last armed timer at its expiry, as timer_irq would. */
static void expire(struct timer *t)
{
	assert_true(fake_timer_expire(t));
}

/* WOR = WOR_TICKS then EN: returns v's timer (the one the enable armed). */
static struct timer *enable(struct vm *v)
{
	const struct fake_call *armed;

	fake_calls_clear();
	wr(v, CTRL, VWDOG_WOR, WOR_TICKS);
	wr(v, CTRL, VWDOG_WCS, VWDOG_WCS_EN);
	armed = fake_last("timer_arm");
	assert_non_null(armed);
	return (struct timer *)armed->obj;
}

static void test_identity_and_reset_values(void **state)
{
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_W_IIDR), VWDOG_IIDR_VALUE);
	assert_int_equal(rd(&vm_a, REFR, VWDOG_W_IIDR), VWDOG_IIDR_VALUE);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), 0);
	assert_int_equal(wcv(&vm_a), 0);
	assert_int_equal(rd(&vm_a, REFR, VWDOG_WRR), 0);
}

static void test_refresh_sets_wcv(void **state)
{
	struct timer *t;

	fake_arch.counter = 5000;
	t = enable(&vm_a);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), WOR_TICKS);
	assert_int_equal(wcv(&vm_a), 5000 + WOR_TICKS);
	assert_int_equal(t->expires, 5000 + WOR_TICKS);
	/* Any write to WRR refreshes: WCV = now + WOR, the timer follows. */
	fake_arch.counter = 5600;
	wr(&vm_a, REFR, VWDOG_WRR, 0xdeadbeef);
	assert_int_equal(wcv(&vm_a), 5600 + WOR_TICKS);
	assert_int_equal(t->expires, 5600 + WOR_TICKS);
	assert_true(fake_timer_armed(t));
}

static void test_ws0_then_ws1(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN | VWDOG_WCS_WS0);
	assert_true(line(&vm_a));
	assert_int_equal(wcv(&vm_a), 100 + 2 * WOR_TICKS); /* WCV += WOR */
	assert_int_equal(failures(&vm_a), 0);
	expire(t);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN | VWDOG_WCS_WS0 | VWDOG_WCS_WS1);
	assert_int_equal(failures(&vm_a), 1);
	assert_false(fake_timer_armed(t)); /* nothing more to time once WS1 is set */
	assert_int_equal(failures(&vm_b), 0);
	assert_false(line(&vm_b));
}

static void test_refresh_clears_ws0(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	assert_true(line(&vm_a));
	fake_arch.counter = 1500;
	wr(&vm_a, REFR, VWDOG_WRR, 0);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_false(line(&vm_a));
	assert_int_equal(wcv(&vm_a), 1500 + WOR_TICKS);
	expire(t); /* a new first timeout, not a failure */
	assert_int_equal(failures(&vm_a), 0);
	assert_true(line(&vm_a));
}

static void test_wor_and_wcs_writes_refresh(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	fake_arch.counter = 2000;
	wr(&vm_a, CTRL, VWDOG_WOR, 3000);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(wcv(&vm_a), 2000 + 3000);
	assert_false(line(&vm_a));
	expire(t);
	assert_true(line(&vm_a));
	/* WS0/WS1 are read-only: writing them set refreshes and clears them. */
	fake_arch.counter = 7000;
	wr(&vm_a, CTRL, VWDOG_WCS, VWDOG_WCS_EN | VWDOG_WCS_WS0 | VWDOG_WCS_WS1);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(wcv(&vm_a), 7000 + 3000);
	/* EN = 0: the comparator stops. */
	wr(&vm_a, CTRL, VWDOG_WCS, 0);
	assert_false(fake_timer_armed(t));
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
}

static void test_wcv_write_moves_comparator(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	wd_access(&vm_a, CTRL, VWDOG_WCV, 8, true, 0x123456789aULL);
	assert_int_equal(wcv(&vm_a), 0x123456789aULL);
	assert_int_equal(t->expires, 0x123456789aULL);
	wr(&vm_a, CTRL, VWDOG_WCV + 4, 0x7);
	wr(&vm_a, CTRL, VWDOG_WCV, 0x10);
	assert_int_equal(wcv(&vm_a), 0x700000010ULL);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCV + 4), 0x7);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
}

static void test_reserved_offsets_raz_wi(void **state)
{
	static const uint64_t reserved[] = {0x004, 0x00c, 0x018, 0x100, 0xfc4, 0xff8};

	fake_arch.counter = 100;
	enable(&vm_a);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		wr(&vm_a, CTRL, reserved[i], 0xffffffff);
		assert_int_equal(rd(&vm_a, CTRL, reserved[i]), 0);
		wr(&vm_a, REFR, reserved[i] + 4, 0xffffffff);
		assert_int_equal(rd(&vm_a, REFR, reserved[i] + 4), 0);
	}
	wr(&vm_a, CTRL, VWDOG_W_IIDR, 0);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_W_IIDR), VWDOG_IIDR_VALUE);
	/* Nothing moved: a write to a reserved refresh-frame offset is no refresh. */
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), WOR_TICKS);
	assert_int_equal(wcv(&vm_a), 100 + WOR_TICKS);
	assert_int_equal(bad_access_logs(), 0);
}

static void test_bad_sizes_ignored(void **state)
{
	fake_arch.counter = 100;
	enable(&vm_a);
	assert_int_equal(wd_access(&vm_a, CTRL, VWDOG_WCS, 1, false, 0), 0);
	assert_int_equal(wd_access(&vm_a, CTRL, VWDOG_WCS, 2, false, 0), 0);
	assert_int_equal(wd_access(&vm_a, CTRL, VWDOG_WOR, 8, false, 0), 0);
	wd_access(&vm_a, CTRL, VWDOG_WCS, 1, true, 0); /* would disable */
	wd_access(&vm_a, CTRL, VWDOG_WOR, 8, true, 5); /* would refresh with WOR 5 */
	wd_access(&vm_a, REFR, VWDOG_WRR, 8, true, 0); /* would refresh */
	wd_access(&vm_a, REFR, VWDOG_WRR, 2, true, 0); /* would refresh */
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), WOR_TICKS);
	assert_int_equal(wcv(&vm_a), 100 + WOR_TICKS);
	assert_int_equal(bad_access_logs(), 7);
}

static void test_vms_apart(void **state)
{
	struct timer *ta, *tb;

	fake_arch.counter = 100;
	ta = enable(&vm_a);
	tb = enable(&vm_b);
	assert_ptr_not_equal(ta, tb);
	wr(&vm_b, CTRL, VWDOG_WOR, 77);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), WOR_TICKS);
	expire(ta);
	expire(ta);
	assert_int_equal(failures(&vm_a), 1);
	assert_int_equal(failures(&vm_b), 0);
	assert_false(line(&vm_b));
	assert_int_equal(rd(&vm_b, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
}

static void test_restart_keeps_ws1_after_watchdog_reset_only(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	expire(t);
	vwdog_vm_reset(&vm_a);
	/* The new incarnation reads WS1 (the driver's WDIOF_CARDRESET), disabled. */
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_WS1);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WOR), 0);
	/* A later restart for another reason clears it. */
	vwdog_vm_reset(&vm_a);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
	/* So does the first refresh of the new incarnation. */
	t = enable(&vm_a);
	expire(t);
	expire(t);
	vwdog_vm_reset(&vm_a);
	wr(&vm_a, CTRL, VWDOG_WOR, WOR_TICKS);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
}

static void test_stopped_vm_times_nothing(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	vwdog_vm_down(&vm_a);
	assert_false(fake_timer_armed(t));
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
	/* A callback already under way when it stopped finds nothing to do. */
	fake_arch.counter = t->expires;
	t->fn(t);
	assert_int_equal(failures(&vm_a), 0);
	assert_false(line(&vm_a));
}

static void test_no_watchdog_no_frames(void **state)
{
	struct vm v = {.cfg = &cfgs[0], .index = 2, .name = "c"};

	cfgs[0].watchdog = false;
	assert_int_equal(vwdog_vm_create(&v), 0);
	assert_int_equal(v.nr_mmio, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_identity_and_reset_values, setup),
	    cmocka_unit_test_setup(test_refresh_sets_wcv, setup),
	    cmocka_unit_test_setup(test_ws0_then_ws1, setup),
	    cmocka_unit_test_setup(test_refresh_clears_ws0, setup),
	    cmocka_unit_test_setup(test_wor_and_wcs_writes_refresh, setup),
	    cmocka_unit_test_setup(test_wcv_write_moves_comparator, setup),
	    cmocka_unit_test_setup(test_reserved_offsets_raz_wi, setup),
	    cmocka_unit_test_setup(test_bad_sizes_ignored, setup),
	    cmocka_unit_test_setup(test_vms_apart, setup),
	    cmocka_unit_test_setup(test_restart_keeps_ws1_after_watchdog_reset_only, setup),
	    cmocka_unit_test_setup(test_stopped_vm_times_nothing, setup),
	    cmocka_unit_test_setup(test_no_watchdog_no_frames, setup),
	};

	return cmocka_run_group_tests_name("vwdog", tests, NULL, NULL);
}
