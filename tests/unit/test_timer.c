/* clang-format off */ /* unit-sources: hypervisor/core/timer.c hypervisor/core/irq.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c */
/* clang-format on */
/*
 * Per-pCPU software timers on the EL2 physical timer (core/timer.c): CNTHP programmed for the
 * earliest armed timer, re-arming and cancelling, several timers expiring in order, callbacks
 * run when (and only when) the simulated counter of arch/fake reaches their expiry, a callback
 * re-arming itself, a stale early expiry after a cancel, and a cancel from another pCPU. The
 * expiry reaches timer.c as the real PPI_HYP_TIMER through core/irq.c and the fake GIC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/pcpu.h>
#include <tandem/timer.h>

#include "fakes/fake.h"

/* Each callback logs itself (obj: the timer, arg 0: the counter when it ran). */
static void record_expiry(struct timer *t)
{
	fake_record("timer_fn", t, fake_arch.counter, 0, 0);
}

/* The simulated hardware: the counter advances one tick at a time up to `until`; whenever it
 * reaches an armed CNTHP compare value PPI_HYP_TIMER is raised and the pCPU takes it. */
static void run_counter_until(uint64_t until)
{
	while (fake_arch.counter < until) {
		fake_arch.counter++;
		if (fake_arch.hyp_timer_armed && fake_arch.hyp_timer_cval <= fake_arch.counter) {
			fake_gic_raise(PPI_HYP_TIMER);
			irq_handle();
		}
	}
}

/* The interrupt arriving now whatever CNTHP holds (a stale or early expiry). */
static void take_timer_irq(void)
{
	fake_gic_raise(PPI_HYP_TIMER);
	irq_handle();
}

static const struct fake_call *nth_expiry(unsigned n)
{
	for (unsigned i = 0; i < fake_calls.n; i++)
		if (strcmp(fake_calls.call[i].fn, "timer_fn") == 0 && n-- == 0)
			return &fake_calls.call[i];
	return NULL;
}

static int group_setup(void **state)
{
	nr_pcpus = 2;
	pcpus[0].index = 0;
	pcpus[1].index = 1;
	return timer_claim_irq();
}

static int setup(void **state)
{
	fake_reset();
	fake_gic_reset(4);
	fake_calls_reset();
	memset(&pcpus[0].timers, 0, sizeof(pcpus[0].timers));
	memset(&pcpus[1].timers, 0, sizeof(pcpus[1].timers));
	fake_arch.counter = 0;
	fake_arch.counter_step = 0;
	return 0;
}

static void test_arm_programs_cnthp_for_the_timer(void **state)
{
	struct timer t;

	timer_init(&t, record_expiry);
	assert_null(t.queue);
	timer_arm(&t, 1000);
	assert_true(fake_arch.hyp_timer_armed);
	assert_int_equal(fake_arch.hyp_timer_cval, 1000);
	assert_ptr_equal(t.queue, &pcpus[0]);
	assert_ptr_equal(pcpus[0].timers.head, &t);
}

static void test_cnthp_holds_the_earliest_of_several(void **state)
{
	struct timer a, b, c;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_init(&c, record_expiry);
	timer_arm(&a, 3000);
	assert_int_equal(fake_arch.hyp_timer_cval, 3000);
	timer_arm(&b, 1000);
	assert_int_equal(fake_arch.hyp_timer_cval, 1000);
	timer_arm(&c, 2000); /* later than the head: CNTHP stays */
	assert_int_equal(fake_arch.hyp_timer_cval, 1000);
	assert_ptr_equal(pcpus[0].timers.head, &b);
	assert_ptr_equal(b.next, &c);
	assert_ptr_equal(c.next, &a);
	assert_null(a.next);
}

static void test_expiries_run_in_order_at_their_time(void **state)
{
	struct timer a, b, c;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_init(&c, record_expiry);
	timer_arm(&c, 300);
	timer_arm(&a, 100);
	timer_arm(&b, 200);

	run_counter_until(150);
	assert_int_equal(fake_count("timer_fn"), 1);
	assert_ptr_equal(nth_expiry(0)->obj, &a);
	assert_int_equal(nth_expiry(0)->arg[0], 100);
	assert_null(a.queue);
	assert_int_equal(fake_arch.hyp_timer_cval, 200);

	run_counter_until(1000);
	assert_int_equal(fake_count("timer_fn"), 3);
	assert_ptr_equal(nth_expiry(1)->obj, &b);
	assert_int_equal(nth_expiry(1)->arg[0], 200);
	assert_ptr_equal(nth_expiry(2)->obj, &c);
	assert_int_equal(nth_expiry(2)->arg[0], 300);
	assert_false(fake_arch.hyp_timer_armed); /* nothing left */
	assert_null(pcpus[0].timers.head);
	assert_int_equal(pcpus[0].timers.fired, 3);
	/* Each expiry is deactivated: the interrupt is not left active. */
	assert_int_equal(fake_gic.nr_deactivated, 3);
	assert_int_equal(fake_gic.deactivated[0], PPI_HYP_TIMER);
}

static void test_equal_expiries_run_in_arming_order(void **state)
{
	struct timer a, b;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_arm(&a, 50);
	timer_arm(&b, 50);
	run_counter_until(50);
	assert_int_equal(fake_count("timer_fn"), 2);
	assert_ptr_equal(nth_expiry(0)->obj, &a);
	assert_ptr_equal(nth_expiry(1)->obj, &b);
}

static void test_rearm_moves_the_timer(void **state)
{
	struct timer a, b;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_arm(&a, 100);
	timer_arm(&b, 200);
	timer_arm(&a, 400); /* later: b becomes the head, a is queued once */
	assert_ptr_equal(pcpus[0].timers.head, &b);
	assert_ptr_equal(b.next, &a);
	assert_null(a.next);

	run_counter_until(399);
	assert_int_equal(fake_count("timer_fn"), 1);
	assert_ptr_equal(nth_expiry(0)->obj, &b);
	timer_arm(&a, 450); /* pushed back again before it fired */
	run_counter_until(1000);
	assert_int_equal(fake_count("timer_fn"), 2);
	assert_ptr_equal(nth_expiry(1)->obj, &a);
	assert_int_equal(nth_expiry(1)->arg[0], 450);
}

static void test_rearm_earlier_reprograms(void **state)
{
	struct timer a;

	timer_init(&a, record_expiry);
	timer_arm(&a, 900);
	timer_arm(&a, 90);
	assert_int_equal(fake_arch.hyp_timer_cval, 90);
	run_counter_until(1000);
	assert_int_equal(fake_count("timer_fn"), 1); /* once, at the new time */
	assert_int_equal(nth_expiry(0)->arg[0], 90);
}

static void test_cancelled_timer_never_runs(void **state)
{
	struct timer a, b;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_arm(&a, 100);
	timer_arm(&b, 200);
	timer_cancel(&a);
	assert_null(a.queue);
	assert_ptr_equal(pcpus[0].timers.head, &b);
	/* Cancelled on its own pCPU: CNTHP follows the new head at once (no expiry for nothing). */
	assert_true(fake_arch.hyp_timer_armed);
	assert_int_equal(fake_arch.hyp_timer_cval, 200);

	run_counter_until(150);
	assert_int_equal(fake_count("timer_fn"), 0);
	assert_int_equal(fake_arch.hyp_timer_cval, 200);

	timer_cancel(&b);
	assert_false(fake_arch.hyp_timer_armed);
	run_counter_until(1000);
	assert_int_equal(fake_count("timer_fn"), 0);
	assert_false(fake_arch.hyp_timer_armed);
	timer_cancel(&b); /* not armed: nothing happens */
	assert_null(b.queue);
}

static void test_early_interrupt_runs_nothing(void **state)
{
	struct timer a;

	timer_init(&a, record_expiry);
	timer_arm(&a, 500);
	fake_arch.counter = 499;
	take_timer_irq();
	assert_int_equal(fake_count("timer_fn"), 0);
	assert_ptr_equal(a.queue, &pcpus[0]);
	assert_int_equal(fake_arch.hyp_timer_cval, 500);
}

/* A periodic timer: its callback re-arms it, from inside the expiry loop. */
static void rearm_every_100(struct timer *t)
{
	record_expiry(t);
	if (fake_count_obj("timer_fn", t) < 4)
		timer_arm(t, t->expires + 100);
}

static void test_callback_rearms_itself(void **state)
{
	struct timer p, other;

	timer_init(&p, rearm_every_100);
	timer_init(&other, record_expiry);
	timer_arm(&p, 100);
	timer_arm(&other, 250);
	run_counter_until(1000);
	assert_int_equal(fake_count_obj("timer_fn", &p), 4);
	assert_int_equal(nth_expiry(0)->arg[0], 100);
	assert_int_equal(nth_expiry(1)->arg[0], 200);
	assert_ptr_equal(nth_expiry(2)->obj, &other);
	assert_int_equal(nth_expiry(2)->arg[0], 250);
	assert_int_equal(nth_expiry(3)->arg[0], 300);
	assert_int_equal(nth_expiry(4)->arg[0], 400);
	assert_false(fake_arch.hyp_timer_armed);
}

/* Expiries that are all due when the interrupt is finally taken (a late IRQ) run in one go. */
static void test_late_interrupt_runs_every_due_timer(void **state)
{
	struct timer a, b, c;

	timer_init(&a, record_expiry);
	timer_init(&b, record_expiry);
	timer_init(&c, record_expiry);
	timer_arm(&a, 10);
	timer_arm(&b, 20);
	timer_arm(&c, 5000);
	fake_arch.counter = 100;
	take_timer_irq();
	assert_int_equal(fake_count("timer_fn"), 2);
	assert_ptr_equal(nth_expiry(0)->obj, &a);
	assert_ptr_equal(nth_expiry(1)->obj, &b);
	assert_int_equal(fake_arch.hyp_timer_cval, 5000);
}

static void test_cancel_from_another_pcpu(void **state)
{
	struct timer a;

	timer_init(&a, record_expiry);
	timer_arm(&a, 100); /* on pCPU 0 */
	fake_knobs.this_pcpu = &pcpus[1];
	timer_cancel(&a);
	assert_null(a.queue);
	assert_null(pcpus[0].timers.head);
	assert_int_equal(fake_arch.locks_held, 0);
	/* pCPU 0's CNTHP is not this pCPU's to write: its expiry will find nothing due. */
	assert_true(fake_arch.hyp_timer_armed);
	assert_int_equal(fake_arch.hyp_timer_cval, 100);

	timer_arm(&a, 200); /* now on pCPU 1's queue, not pCPU 0's */
	assert_ptr_equal(a.queue, &pcpus[1]);
	assert_ptr_equal(pcpus[1].timers.head, &a);
	assert_null(pcpus[0].timers.head);
	fake_knobs.this_pcpu = &pcpus[0];
	timer_cancel(&a);
	assert_null(pcpus[1].timers.head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_arm_programs_cnthp_for_the_timer, setup),
	    cmocka_unit_test_setup(test_cnthp_holds_the_earliest_of_several, setup),
	    cmocka_unit_test_setup(test_expiries_run_in_order_at_their_time, setup),
	    cmocka_unit_test_setup(test_equal_expiries_run_in_arming_order, setup),
	    cmocka_unit_test_setup(test_rearm_moves_the_timer, setup),
	    cmocka_unit_test_setup(test_rearm_earlier_reprograms, setup),
	    cmocka_unit_test_setup(test_cancelled_timer_never_runs, setup),
	    cmocka_unit_test_setup(test_early_interrupt_runs_nothing, setup),
	    cmocka_unit_test_setup(test_callback_rearms_itself, setup),
	    cmocka_unit_test_setup(test_late_interrupt_runs_every_due_timer, setup),
	    cmocka_unit_test_setup(test_cancel_from_another_pcpu, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
