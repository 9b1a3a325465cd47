/*
 * The RTOS kernel API for tasks: tasks and time, semaphores, mutexes with priority inheritance
 * and message queues. Times are counter ticks (rtos_freq() per second); timeouts are relative,
 * RTOS_NO_WAIT polls and RTOS_FOREVER never expires.
 */
#ifndef RTOS_H
#define RTOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "port.h"

#define RTOS_MAX_CPUS	 4
#define RTOS_PRIO_LEVELS 32 /* 0 belongs to the idle tasks; 31 is the most urgent */
#define RTOS_PRIO_MAX	 (RTOS_PRIO_LEVELS - 1)
#define RTOS_NO_WAIT	 0ULL
#define RTOS_FOREVER	 UINT64_MAX

/* Results of blocking calls (negative = failure). */
#define RTOS_OK	       0
#define RTOS_ETIMEDOUT (-1) /* the timeout expired first */
#define RTOS_EAGAIN    (-2) /* RTOS_NO_WAIT and the object was not available */
#define RTOS_EINVAL    (-3)
#define RTOS_EPERM     (-4) /* unlocking a mutex one does not own */
#define RTOS_EDEADLK   (-5) /* locking a mutex one already owns */
#define RTOS_EPENDING  (-6) /* still blocked: only seen by host tests, whose switch returns */

enum task_state { TASK_READY, TASK_RUNNING, TASK_BLOCKED, TASK_DEAD };

/* Waiters sorted by priority, FIFO among equals. */
struct wait_queue {
	struct list_node waiters;
};

struct mutex;

struct task {
	struct port_ctx ctx; /* first member: exceptions.S saves the switched-out state here */
	const char *name;
	void (*entry)(void *arg);
	void *arg;
	uint8_t base_prio;	/* as created */
	uint8_t prio;		/* effective: base_prio raised by priority inheritance */
	uint8_t cpu;		/* the CPU the task is pinned to */
	uint8_t state;		/* enum task_state */
	struct list_node node;	/* on its CPU's run queue, or on a wait queue */
	struct list_node tnode; /* on its CPU's timeout list, sorted by wake_at */
	uint64_t wake_at;	/* absolute deadline while tnode is linked */
	struct wait_queue *wq;	/* the queue it is blocked on, if any */
	struct mutex
	    *blocked_on;     /* the mutex it waits for: the next link of an inheritance chain */
	struct mutex *owned; /* mutexes it holds, through mutex.next_owned */
	int wait_result;     /* what ended the last block */
	void *xfer;	     /* message-queue item being handed over while blocked */
	uint64_t period;     /* periodic tasks: period and the next release time */
	uint64_t next_release;
	uint64_t irq_stamp; /* counter at the timer IRQ's entry, when that IRQ woke the task */
	uint64_t *stack_lo; /* lowest word holds a canary checked at every switch */
	size_t stack_size;
	uint64_t switches; /* times switched in */
	struct list_node all;
};

struct semaphore {
	unsigned count;
	unsigned max;
	struct wait_queue wq;
};

struct mutex {
	struct task *owner;
	struct mutex *next_owned; /* the owner's list of held mutexes */
	struct wait_queue wq;
};

struct msgq {
	uint8_t *buf;
	size_t item_size;
	unsigned capacity, head, count;
	struct wait_queue senders, receivers;
};

/* What a periodic task learns when it is released. */
struct period_info {
	uint64_t release;   /* the programmed release time (deadline of the wait) */
	uint64_t irq_stamp; /* counter at the waking timer IRQ's entry; 0 if no IRQ was needed */
	unsigned overruns;  /* releases missed because the task ran late */
};

/* Tasks. The task struct and the stack belong to the caller and must outlive the task. */
void task_create(struct task *t, const char *name, void (*entry)(void *), void *arg, unsigned prio,
		 unsigned cpu, void *stack, size_t stack_size);
struct task *task_self(void);
void task_yield(void);
/* Blocks for `ticks` / until the absolute counter value `deadline`. */
void task_sleep(uint64_t ticks);
void task_sleep_until(uint64_t deadline);
/* Makes the caller periodic: first release at now + period. */
void task_set_period(uint64_t period);
/* Sleeps until the next release; returns RTOS_ETIMEDOUT if releases were missed (info says). */
int task_wait_period(struct period_info *info);
/* Ends the calling task. Other tasks' objects it still holds stay held. */
void task_exit(void);
/* Calls fn(t, arg) for every task, under the kernel lock (fn must not block or print slowly). */
void task_for_each(void (*fn)(const struct task *t, void *arg), void *arg);

/* Time. */
uint64_t rtos_now(void);
uint64_t rtos_freq(void);
uint64_t rtos_us_to_ticks(uint64_t us);
uint64_t rtos_ticks_to_ns(uint64_t ticks);

/* Semaphores: counting, capped at max. sem_give() may be called from interrupt handlers. */
void sem_init(struct semaphore *s, unsigned initial, unsigned max);
int sem_take(struct semaphore *s, uint64_t timeout);
int sem_give(struct semaphore *s);

/* Mutexes: owner-only unlock, direct hand-off to the most urgent waiter, priority inheritance
 * through chains of owners (transitive, bounded depth). Not recursive. */
void mutex_init(struct mutex *m);
int mutex_lock(struct mutex *m, uint64_t timeout);
int mutex_unlock(struct mutex *m);

/* Message queues of fixed-size items copied in and out; FIFO; from IRQs with RTOS_NO_WAIT. */
void msgq_init(struct msgq *q, void *buf, size_t item_size, unsigned capacity);
int msgq_send(struct msgq *q, const void *item, uint64_t timeout);
int msgq_receive(struct msgq *q, void *item, uint64_t timeout);

#endif
