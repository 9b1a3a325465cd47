/* unit-sources: guests/rtos/sched.c guests/rtos/task.c guests/rtos/sync.c */
/* The RTOS scheduler's decisions over a simulated clock: priorities, round-robin, tickless timers,
 * periodic release, cross-CPU wake-ups, priority inheritance. The test plays each CPU's current
 * task (see guests/rtos/port_fake.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../guests/rtos/port_fake.h"
#include "../../guests/rtos/rtos.h"
#include "../../guests/rtos/sched.h"

/* The host CPU stand-in, compiled in here: the unit-sources line has no room left. */
#include "../../guests/rtos/port_fake.c"

#define SLICE 1000
#define NT    6

static struct task idle[RTOS_MAX_CPUS];
static struct task t[NT];
static uint64_t stacks[NT][64];

static int setup(void **state)
{
	(void)state;
	fake_port_reset(100);
	sched_init(2, SLICE);
	memset(t, 0, sizeof(t));
	memset(idle, 0, sizeof(idle));
	return 0;
}

static void mk(int i, unsigned prio, unsigned cpu)
{
	static const char *names[NT] = {"t0", "t1", "t2", "t3", "t4", "t5"};

	task_create(&t[i], names[i], NULL, NULL, prio, cpu, stacks[i], sizeof(stacks[i]));
}

static void start(unsigned cpu)
{
	fake_cpu = cpu;
	sched_start_cpu(&idle[cpu]);
	fake_cpu = 0;
}

/* Runs `body` as the current task of `cpu`. */
#define AS(cpu, body)                                                                              \
	do {                                                                                       \
		fake_cpu = (cpu);                                                                  \
		body;                                                                              \
		fake_cpu = 0;                                                                      \
		assert_int_equal(fake_irq_masked, 0);                                              \
	} while (0)

static struct task *cur(unsigned cpu)
{
	unsigned saved = fake_cpu;
	struct task *c;

	fake_cpu = cpu;
	c = sched_current();
	fake_cpu = saved;
	return c;
}

static void test_highest_priority_runs(void **state)
{
	struct semaphore s;

	(void)state;
	sem_init(&s, 0, 1);
	mk(0, 5, 0);
	mk(1, 10, 0);
	start(0);
	assert_ptr_equal(cur(0), &t[1]);
	assert_int_equal(t[0].state, TASK_READY);
	AS(0, assert_int_equal(sem_take(&s, RTOS_FOREVER), RTOS_EPENDING));
	assert_ptr_equal(cur(0), &t[0]);
	assert_int_equal(t[1].state, TASK_BLOCKED);
	AS(0, sem_give(&s)); /* the lower task wakes the higher one: preempted at once */
	assert_ptr_equal(cur(0), &t[1]);
	assert_int_equal(t[1].wait_result, RTOS_OK);
	assert_int_equal(t[0].state, TASK_READY);
	assert_int_equal(s.count, 0);
	/* Nothing armed: no periodic tick while tasks differ in priority. */
	assert_true(fake_timer[0] == PORT_TIMER_OFF);
}

static void test_idle_when_nothing_ready(void **state)
{
	(void)state;
	start(0);
	assert_ptr_equal(cur(0), &idle[0]);
	mk(0, 3, 0);
	assert_ptr_equal(cur(0), &t[0]); /* created from the boot CPU, which is in task context */
	AS(0, task_sleep(500));
	assert_ptr_equal(cur(0), &idle[0]);
	assert_true(fake_timer[0] == 600);
	fake_now = 599; /* an early interrupt wakes nobody and re-arms */
	fake_timer_irq(0);
	assert_ptr_equal(cur(0), &idle[0]);
	assert_true(fake_timer[0] == 600);
	fake_now = 603;
	fake_timer_irq(0);
	assert_ptr_equal(cur(0), &t[0]);
	assert_true(fake_timer[0] == PORT_TIMER_OFF);
}

static void test_round_robin_among_equals(void **state)
{
	(void)state;
	mk(0, 7, 0);
	mk(1, 7, 0);
	mk(2, 7, 0);
	mk(3, 2, 0);
	start(0);
	assert_ptr_equal(cur(0), &t[0]);
	assert_true(fake_timer[0] == 100 + SLICE); /* a slice runs only because equals wait */
	assert_int_equal(fake_run_next_timer(), 0);
	assert_ptr_equal(cur(0), &t[1]);
	assert_int_equal(fake_run_next_timer(), 0);
	assert_ptr_equal(cur(0), &t[2]);
	assert_int_equal(fake_run_next_timer(), 0);
	assert_ptr_equal(cur(0), &t[0]);
	/* Yield also goes behind the equals. */
	AS(0, task_yield());
	assert_ptr_equal(cur(0), &t[1]);
	/* Two of three block: the last runs alone, with no slice timer. */
	AS(0, task_sleep(1000000));
	fake_now += 10;
	AS(0, task_sleep(1000000));
	assert_ptr_equal(cur(0), &t[0]);
	assert_true(fake_timer[0] == t[1].wake_at);
	assert_true(t[1].wake_at < t[2].wake_at);
}

static void test_preempted_task_keeps_its_place(void **state)
{
	struct semaphore s;

	(void)state;
	sem_init(&s, 0, 1);
	mk(0, 9, 0);
	mk(1, 4, 0);
	mk(2, 4, 0);
	start(0);
	AS(0, sem_take(&s, RTOS_FOREVER));
	assert_ptr_equal(cur(0), &t[1]);
	/* An interrupt wakes t0: t1 is preempted and must run again before t2. */
	fake_cpu = 0;
	sched_irq_enter();
	sem_give(&s);
	assert_ptr_equal(cur(0), &t[1]); /* no switch inside the handler */
	sched_irq_exit();
	fake_cpu = 0;
	assert_ptr_equal(cur(0), &t[0]);
	AS(0, sem_take(&s, RTOS_FOREVER));
	assert_ptr_equal(cur(0), &t[1]);
}

static void test_timeout_and_irq_stamp(void **state)
{
	struct semaphore s;

	(void)state;
	sem_init(&s, 0, 1);
	mk(0, 5, 0);
	start(0);
	AS(0, sem_take(&s, 250));
	assert_true(fake_timer[0] == 350);
	fake_now = 360;
	sched_irq_enter();
	sched_timer_irq(352); /* stamp taken at the handler's first instruction */
	sched_irq_exit();
	assert_ptr_equal(cur(0), &t[0]);
	assert_int_equal(t[0].wait_result, RTOS_ETIMEDOUT);
	assert_true(t[0].irq_stamp == 352);
	assert_true(list_empty(&s.wq.waiters));
	/* A give before the deadline cancels the timeout. */
	AS(0, sem_take(&s, 250));
	AS(0, assert_int_equal(sem_give(&s), RTOS_OK));
	assert_int_equal(t[0].wait_result, RTOS_OK);
	assert_false(list_linked(&t[0].tnode));
	/* Polling an empty semaphore does not block. */
	AS(0, assert_int_equal(sem_take(&s, RTOS_NO_WAIT), RTOS_EAGAIN));
	assert_ptr_equal(cur(0), &t[0]);
}

static void test_periodic_release(void **state)
{
	struct period_info pi;

	(void)state;
	mk(0, 20, 0);
	start(0);
	AS(0, task_set_period(1000));
	AS(0, task_wait_period(&pi));
	assert_true(fake_timer[0] == 1100);
	fake_now = 1107;
	sched_irq_enter();
	sched_timer_irq(1103);
	sched_irq_exit();
	assert_ptr_equal(cur(0), &t[0]);
	assert_true(t[0].irq_stamp == 1103);
	AS(0, task_wait_period(&pi));
	assert_true(fake_timer[0] == 2100); /* drift-free: from the release, not from the wake */
	fake_now = 2100;
	fake_timer_irq(0);
	/* Its next release was 3100; at 5600 it asks: released at once for the latest release
	 * (5100), the two before it missed. */
	fake_now = 5600;
	AS(0, assert_int_equal(task_wait_period(&pi), RTOS_ETIMEDOUT));
	assert_int_equal(pi.overruns, 2);
	assert_true(pi.release == 5100);
	assert_true(t[0].next_release == 6100);
	assert_true(pi.irq_stamp == 0);
}

static void test_cross_cpu_wake(void **state)
{
	struct semaphore s;

	(void)state;
	sem_init(&s, 0, 1);
	mk(0, 5, 0);
	mk(1, 5, 1);
	start(0);
	start(1);
	AS(1, sem_take(&s, RTOS_FOREVER));
	assert_ptr_equal(cur(1), &idle[1]);
	AS(0, sem_give(&s));
	assert_ptr_equal(cur(0), &t[0]);
	assert_int_equal(fake_resched[1], 1);
	assert_ptr_equal(cur(1), &idle[1]); /* switches only when CPU 1 takes the SGI */
	fake_deliver_ipis();
	assert_ptr_equal(cur(1), &t[1]);
	/* A wake of a lower-priority task elsewhere sends nothing. */
	mk(2, 9, 1);
	fake_deliver_ipis();
	assert_ptr_equal(cur(1), &t[2]);
	mk(3, 1, 1);
	assert_int_equal(fake_resched[1], 0);
}

static void test_mutex_priority_inheritance(void **state)
{
	struct mutex m;
	struct semaphore gate;

	(void)state;
	mutex_init(&m);
	sem_init(&gate, 0, 1);
	mk(0, 3, 0);  /* low */
	mk(1, 10, 0); /* high */
	mk(2, 6, 0);  /* medium */
	start(0);
	/* high and medium wait at the gate; low takes the mutex. */
	AS(0, sem_take(&gate, RTOS_FOREVER));
	AS(0, sem_take(&gate, RTOS_FOREVER));
	assert_ptr_equal(cur(0), &t[0]);
	AS(0, assert_int_equal(mutex_lock(&m, RTOS_FOREVER), RTOS_OK));
	AS(0, sem_give(&gate)); /* high runs and blocks on the mutex */
	assert_ptr_equal(cur(0), &t[1]);
	AS(0, mutex_lock(&m, RTOS_FOREVER));
	assert_int_equal(t[0].prio, 10); /* low inherits high's priority */
	AS(0, sem_give(&gate));		 /* from low: medium ready, yet cannot preempt */
	assert_ptr_equal(cur(0), &t[0]);
	AS(0, assert_int_equal(mutex_unlock(&m), RTOS_OK));
	assert_int_equal(t[0].prio, 3);
	assert_ptr_equal(m.owner, &t[1]); /* handed over */
	assert_ptr_equal(cur(0), &t[1]);
	assert_int_equal(t[1].wait_result, RTOS_OK);
	AS(0, assert_int_equal(mutex_unlock(&m), RTOS_OK));
	assert_null(m.owner);
}

static void test_mutex_inheritance_chain_and_timeout(void **state)
{
	struct mutex m1, m2;

	(void)state;
	mutex_init(&m1);
	mutex_init(&m2);
	mk(0, 2, 0); /* L holds m1 */
	mk(1, 5, 0); /* M holds m2, waits for m1 */
	mk(2, 9, 0); /* H waits for m2, with a timeout */
	fake_cpu = 0;
	sched_start_cpu(&idle[0]);
	/* Set the stage by hand: H and M asleep while L and then M take their mutexes. */
	AS(0, task_sleep(10000)); /* H */
	AS(0, task_sleep(5000));  /* M */
	AS(0, mutex_lock(&m1, RTOS_FOREVER));
	fake_now = 5100;
	fake_timer_irq(0); /* M wakes, takes m2, waits for m1 */
	assert_ptr_equal(cur(0), &t[1]);
	AS(0, mutex_lock(&m2, RTOS_FOREVER));
	AS(0, mutex_lock(&m1, RTOS_FOREVER));
	assert_int_equal(t[0].prio, 5);
	fake_now = 10100;
	fake_timer_irq(0); /* H wakes and waits for m2 for 300 ticks */
	assert_ptr_equal(cur(0), &t[2]);
	AS(0, mutex_lock(&m2, 300));
	assert_int_equal(t[1].prio, 9);
	assert_int_equal(t[0].prio, 9); /* transitively, through M */
	assert_ptr_equal(cur(0), &t[0]);
	fake_now = 10400;
	fake_timer_irq(0); /* H gives up: the chain falls back */
	assert_int_equal(t[2].wait_result, RTOS_ETIMEDOUT);
	assert_null(t[2].blocked_on);
	assert_int_equal(t[1].prio, 5);
	assert_int_equal(t[0].prio, 5);
	assert_ptr_equal(cur(0), &t[2]);
}

static void test_mutex_errors(void **state)
{
	struct mutex m;

	(void)state;
	mutex_init(&m);
	mk(0, 5, 0);
	mk(1, 4, 0);
	start(0);
	AS(0, assert_int_equal(mutex_lock(&m, RTOS_FOREVER), RTOS_OK));
	AS(0, assert_int_equal(mutex_lock(&m, RTOS_FOREVER), RTOS_EDEADLK));
	AS(0, task_sleep(100));
	AS(0, assert_int_equal(mutex_lock(&m, RTOS_NO_WAIT), RTOS_EAGAIN));
	AS(0, assert_int_equal(mutex_unlock(&m), RTOS_EPERM));
	assert_ptr_equal(m.owner, &t[0]);
}

static void test_stack_overflow_detected(void **state)
{
	(void)state;
	mk(0, 5, 0);
	mk(1, 4, 0);
	start(0);
	stacks[0][1] = 0; /* the canary sits in the lowest aligned word */
	stacks[0][0] = 0;
	AS(0, task_sleep(100));
	assert_non_null(fake_fatal_what);
	assert_string_equal(fake_fatal_what, "stack overflow");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_highest_priority_runs, setup),
	    cmocka_unit_test_setup(test_idle_when_nothing_ready, setup),
	    cmocka_unit_test_setup(test_round_robin_among_equals, setup),
	    cmocka_unit_test_setup(test_preempted_task_keeps_its_place, setup),
	    cmocka_unit_test_setup(test_timeout_and_irq_stamp, setup),
	    cmocka_unit_test_setup(test_periodic_release, setup),
	    cmocka_unit_test_setup(test_cross_cpu_wake, setup),
	    cmocka_unit_test_setup(test_mutex_priority_inheritance, setup),
	    cmocka_unit_test_setup(test_mutex_inheritance_chain_and_timeout, setup),
	    cmocka_unit_test_setup(test_mutex_errors, setup),
	    cmocka_unit_test_setup(test_stack_overflow_detected, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
