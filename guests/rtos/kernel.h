/*
 * Inside the kernel core: the scheduler services that sync.c and queue.c build on. Every
 * function named *_locked expects the kernel lock held (klock_take()).
 */
#ifndef RTOS_KERNEL_H
#define RTOS_KERNEL_H

#include "klock.h"
#include "rtos.h"

#define PI_MAX_DEPTH 8 /* longest chain of mutex owners followed when inheriting */
#define STACK_CANARY 0x57ac4ca9a2b1e5edULL /* lowest word of every task stack */

/* Takes the kernel lock with interrupts masked; returns the previous interrupt mask. */
unsigned long klock_take(void);
/* Carries out a pending preemption (task context only), then drops the lock. */
void klock_release(unsigned long flags);

void wq_init(struct wait_queue *wq);
/* The most urgent waiter, or NULL. */
struct task *wq_first(const struct wait_queue *wq);

/* Blocks the current task on `wq` (NULL: just sleep) until woken or `timeout` ticks pass.
 * Returns the wake result (RTOS_OK, RTOS_ETIMEDOUT, ...). */
int sched_block_locked(struct wait_queue *wq, uint64_t timeout);
/* The same on m's wait queue; once queued, the caller lends its priority along m's owner chain. */
int sched_block_mutex_locked(struct mutex *m, uint64_t timeout);
/* Makes a blocked task ready with `result`, removing it from its wait queue and timeout list. */
void sched_wake_locked(struct task *t, int result);
/* Sets t's effective priority, re-sorting whichever queue it is on. */
void sched_set_prio_locked(struct task *t, unsigned prio);
struct task *sched_current_locked(void);
/* Blocks the current task on wq (or none) until woken or the absolute deadline (PORT_TIMER_OFF:
 * none); `pi`, if set, is the mutex whose owner chain inherits the caller's priority. */
int sched_block_until_locked(struct wait_queue *wq, uint64_t deadline, struct mutex *pi);
/* now + timeout, saturating at PORT_TIMER_OFF. */
uint64_t sched_deadline_after(uint64_t timeout);
/* Queues a new task on its CPU's run queue. */
void sched_add_task_locked(struct task *t);
/* The current task ends: marked dead and switched away from for good. */
void sched_exit_locked(void);
/* The current task goes behind its equals at the next switch (which this requests). */
void sched_yield_locked(void);
/* The list of every task, for task_for_each(). */
void task_list_add_locked(struct task *t);

/* Priority inheritance (sync.c): recomputes the priorities along the chain starting at m's
 * owner after m's waiters changed. Called by the scheduler when a mutex wait times out. */
void mutex_waiters_changed_locked(struct mutex *m);

#endif
