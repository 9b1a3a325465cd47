/* unit-sources: guests/rtos/sched.c guests/rtos/task.c guests/rtos/sync.c guests/rtos/queue.c */
/* RTOS message queues and semaphores: FIFO order, hand-off to waiting receivers, blocked senders,
 * priority order among waiters, timeouts, sends from interrupt handlers. */
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

#define NT 4

static struct task idle;
static struct task t[NT];
static uint64_t stacks[NT][64];
static struct msgq q;
static uint32_t qbuf[3];

static int setup(void **state)
{
	(void)state;
	fake_port_reset(100);
	sched_init(1, 0);
	memset(t, 0, sizeof(t));
	msgq_init(&q, qbuf, sizeof(qbuf[0]), 3);
	return 0;
}

static void mk(int i, unsigned prio)
{
	static const char *names[NT] = {"t0", "t1", "t2", "t3"};

	task_create(&t[i], names[i], NULL, NULL, prio, 0, stacks[i], sizeof(stacks[i]));
}

static struct task *cur(void)
{
	return sched_current();
}

static int send(uint32_t v, uint64_t timeout)
{
	static uint32_t keep[16]; /* a blocked sender's item must outlive the call */
	static unsigned n;
	uint32_t *p = &keep[n++ % 16];

	*p = v;
	return msgq_send(&q, p, timeout);
}

static void test_fifo_and_full_empty(void **state)
{
	uint32_t v = 0;

	(void)state;
	mk(0, 5);
	sched_start_cpu(&idle);
	assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_EAGAIN);
	for (uint32_t i = 1; i <= 3; i++)
		assert_int_equal(send(i, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(send(4, RTOS_NO_WAIT), RTOS_EAGAIN);
	assert_ptr_equal(cur(), &t[0]);
	for (uint32_t i = 1; i <= 3; i++) {
		assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_OK);
		assert_int_equal(v, i);
	}
	/* Wrap-around keeps order. */
	for (uint32_t i = 10; i < 20; i++) {
		assert_int_equal(send(i, RTOS_NO_WAIT), RTOS_OK);
		assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(fake_irq_masked, 0);
}

static void test_handoff_to_most_urgent_receiver(void **state)
{
	uint32_t got[3] = {0};

	(void)state;
	mk(0, 9);
	mk(1, 6);
	mk(2, 3);
	sched_start_cpu(&idle);
	assert_int_equal(msgq_receive(&q, &got[0], RTOS_FOREVER), RTOS_EPENDING); /* t0 */
	assert_int_equal(msgq_receive(&q, &got[1], RTOS_FOREVER), RTOS_EPENDING); /* t1 */
	assert_ptr_equal(cur(), &t[2]);
	assert_int_equal(send(77, RTOS_NO_WAIT), RTOS_OK);
	assert_ptr_equal(cur(), &t[0]); /* the most urgent receiver got it and runs */
	assert_int_equal(got[0], 77);
	assert_int_equal(t[0].wait_result, RTOS_OK);
	assert_int_equal(q.count, 0); /* straight into the receiver, not through the ring */
	assert_int_equal(t[1].state, TASK_BLOCKED);
}

static void test_blocked_senders_keep_fifo(void **state)
{
	uint32_t v;

	(void)state;
	mk(0, 8); /* producer */
	mk(1, 8); /* producer */
	mk(2, 2); /* consumer */
	sched_start_cpu(&idle);
	for (uint32_t i = 1; i <= 3; i++)
		send(i, RTOS_NO_WAIT);
	assert_int_equal(send(4, RTOS_FOREVER), RTOS_EPENDING); /* t0 blocks */
	assert_ptr_equal(cur(), &t[1]);
	assert_int_equal(send(5, 1000), RTOS_EPENDING); /* t1 blocks, with a timeout */
	assert_ptr_equal(cur(), &t[2]);
	assert_true(fake_timer[0] == 1100);
	assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(v, 1);
	assert_ptr_equal(cur(), &t[0]); /* its item moved into the ring; it runs */
	assert_int_equal(t[0].wait_result, RTOS_OK);
	assert_int_equal(q.count, 3);
	assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_OK); /* as t0 now */
	assert_ptr_equal(cur(), &t[0]);
	assert_int_equal(t[1].state, TASK_READY);
	assert_int_equal(t[1].wait_result, RTOS_OK);
	for (uint32_t want = 3; want <= 5; want++) {
		assert_int_equal(msgq_receive(&q, &v, RTOS_NO_WAIT), RTOS_OK);
		assert_int_equal(v, want);
	}
}

static void test_receive_timeout(void **state)
{
	uint32_t v = 0xdead;

	(void)state;
	mk(0, 5);
	sched_start_cpu(&idle);
	assert_int_equal(msgq_receive(&q, &v, 400), RTOS_EPENDING);
	assert_ptr_equal(cur(), &idle);
	assert_int_equal(fake_run_next_timer(), 0);
	assert_ptr_equal(cur(), &t[0]);
	assert_int_equal(t[0].wait_result, RTOS_ETIMEDOUT);
	assert_int_equal(v, 0xdead);
	assert_true(list_empty(&q.receivers.waiters));
	/* A send afterwards is queued, not handed to the departed receiver. */
	assert_int_equal(send(5, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(q.count, 1);
}

static void test_send_from_interrupt(void **state)
{
	uint32_t v = 0;

	(void)state;
	mk(0, 12); /* receiver */
	mk(1, 3);  /* background */
	sched_start_cpu(&idle);
	msgq_receive(&q, &v, RTOS_FOREVER);
	assert_ptr_equal(cur(), &t[1]);
	sched_irq_enter();
	assert_int_equal(send(42, RTOS_NO_WAIT), RTOS_OK);
	for (uint32_t i = 0; i < 3; i++)
		send(i, RTOS_NO_WAIT);
	assert_int_equal(send(99, RTOS_NO_WAIT), RTOS_EAGAIN); /* full: never blocks in an IRQ */
	assert_ptr_equal(cur(), &t[1]);
	sched_irq_exit();
	assert_ptr_equal(cur(), &t[0]);
	assert_int_equal(v, 42);
	assert_int_equal(fake_irq_masked, 0);
}

static void test_semaphore_counts(void **state)
{
	struct semaphore s;

	(void)state;
	mk(0, 5);
	sched_start_cpu(&idle);
	sem_init(&s, 5, 2); /* initial clamped to max */
	assert_int_equal(s.count, 2);
	assert_int_equal(sem_take(&s, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(sem_give(&s), RTOS_OK);
	assert_int_equal(sem_give(&s), RTOS_EAGAIN);
	assert_int_equal(sem_take(&s, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(sem_take(&s, RTOS_NO_WAIT), RTOS_OK);
	assert_int_equal(sem_take(&s, RTOS_NO_WAIT), RTOS_EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_fifo_and_full_empty, setup),
	    cmocka_unit_test_setup(test_handoff_to_most_urgent_receiver, setup),
	    cmocka_unit_test_setup(test_blocked_senders_keep_fifo, setup),
	    cmocka_unit_test_setup(test_receive_timeout, setup),
	    cmocka_unit_test_setup(test_send_from_interrupt, setup),
	    cmocka_unit_test_setup(test_semaphore_counts, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
