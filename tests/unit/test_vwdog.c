/* unit-sources: hypervisor/virt/vwdog.c */
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

#define WDOG_SPI  120
#define WOR_TICKS 1000

/* ---- fakes: the MMIO table, the vGIC line, the timers, vm_fail, guest_log ---- */

struct region {
	struct vm *vm;
	ipa_t base;
	mmio_handler_fn fn;
	void *opaque;
};
static struct region regions[4];
static unsigned nr_regions;

int mmio_register(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler, void *opaque)
{
	assert_int_equal(size, VWDOG_FRAME_SIZE);
	regions[nr_regions++] = (struct region){vm, base, handler, opaque};
	return 0;
}

static bool line[CFG_MAX_VMS];
static unsigned failures[CFG_MAX_VMS];
static unsigned bad_access_logs;

void vgic_set_level(struct vm *v, irq_t intid, bool level)
{
	assert_int_equal(intid, WDOG_SPI);
	line[v->index] = level;
}

void vm_fail(struct vm *v, enum failover_cause cause, const char *why)
{
	failures[v->index]++;
}

uint64_t vm_time_us(void)
{
	return 0;
}

void guest_log(struct vm *v, enum guest_log_kind kind, const char *fmt, ...)
{
	assert_int_equal(kind, GLOG_REFUSED);
	bad_access_logs++;
}

void timer_init(struct timer *timer, timer_fn fn)
{
	memset(timer, 0, sizeof(*timer));
	timer->fn = fn;
}

static struct timer *last_armed;

void timer_arm(struct timer *timer, uint64_t expires)
{
	last_armed = timer;
	timer->expires = expires;
	timer->queue = (struct pcpu *)1; /* armed */
}

void timer_cancel(struct timer *timer)
{
	timer->queue = NULL;
}

/* ---- the VMs ---- */

static struct cfg_vm cfgs[2];
static struct vm vm_a, vm_b;

static int setup(void **state)
{
	fake_reset();
	nr_regions = 0;
	bad_access_logs = 0;
	memset(line, 0, sizeof(line));
	memset(failures, 0, sizeof(failures));
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
	assert_int_equal(nr_regions, 4);
	return 0;
}

static uint64_t wd_access(struct vm *v, ipa_t frame, uint64_t off, unsigned size, bool write,
			  uint64_t value)
{
	struct mmio_access acc = {
	    .addr = frame + off, .offset = off, .size = size, .write = write, .value = value};

	for (unsigned i = 0; i < nr_regions; i++) {
		if (regions[i].vm == v && regions[i].base == frame) {
			assert_int_equal(regions[i].fn(NULL, &acc, regions[i].opaque), 0);
			return acc.value;
		}
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
	assert_non_null(t);
	assert_non_null(t->queue);
	fake_arch.counter = t->expires;
	t->queue = NULL;
	t->fn(t);
}

/* WOR = WOR_TICKS then EN: returns v's timer (the one the enable armed). */
static struct timer *enable(struct vm *v)
{
	last_armed = NULL;
	wr(v, CTRL, VWDOG_WOR, WOR_TICKS);
	wr(v, CTRL, VWDOG_WCS, VWDOG_WCS_EN);
	assert_non_null(last_armed);
	return last_armed;
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
	assert_non_null(t->queue);
}

static void test_ws0_then_ws1(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN | VWDOG_WCS_WS0);
	assert_true(line[0]);
	assert_int_equal(wcv(&vm_a), 100 + 2 * WOR_TICKS); /* WCV += WOR */
	assert_int_equal(failures[0], 0);
	expire(t);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN | VWDOG_WCS_WS0 | VWDOG_WCS_WS1);
	assert_int_equal(failures[0], 1);
	assert_null(t->queue); /* nothing more to time once WS1 is set */
	assert_int_equal(failures[1], 0);
	assert_false(line[1]);
}

static void test_refresh_clears_ws0(void **state)
{
	struct timer *t;

	fake_arch.counter = 100;
	t = enable(&vm_a);
	expire(t);
	assert_true(line[0]);
	fake_arch.counter = 1500;
	wr(&vm_a, REFR, VWDOG_WRR, 0);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_false(line[0]);
	assert_int_equal(wcv(&vm_a), 1500 + WOR_TICKS);
	expire(t); /* a new first timeout, not a failure */
	assert_int_equal(failures[0], 0);
	assert_true(line[0]);
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
	assert_false(line[0]);
	expire(t);
	assert_true(line[0]);
	/* WS0/WS1 are read-only: writing them set refreshes and clears them. */
	fake_arch.counter = 7000;
	wr(&vm_a, CTRL, VWDOG_WCS, VWDOG_WCS_EN | VWDOG_WCS_WS0 | VWDOG_WCS_WS1);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), VWDOG_WCS_EN);
	assert_int_equal(wcv(&vm_a), 7000 + 3000);
	/* EN = 0: the comparator stops. */
	wr(&vm_a, CTRL, VWDOG_WCS, 0);
	assert_null(t->queue);
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
	assert_int_equal(bad_access_logs, 0);
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
	assert_int_equal(bad_access_logs, 7);
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
	assert_int_equal(failures[0], 1);
	assert_int_equal(failures[1], 0);
	assert_false(line[1]);
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
	assert_null(t->queue);
	assert_int_equal(rd(&vm_a, CTRL, VWDOG_WCS), 0);
	/* A callback already under way when it stopped finds nothing to do. */
	t->queue = (struct pcpu *)1;
	expire(t);
	assert_int_equal(failures[0], 0);
	assert_false(line[0]);
}

static void test_no_watchdog_no_frames(void **state)
{
	struct vm v = {.cfg = &cfgs[0], .index = 2, .name = "c"};

	cfgs[0].watchdog = false;
	nr_regions = 0;
	assert_int_equal(vwdog_vm_create(&v), 0);
	assert_int_equal(nr_regions, 0);
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
