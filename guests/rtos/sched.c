/*
 * Fixed-priority preemptive scheduler, round-robin among equal priorities, tickless.
 *
 * Each CPU has its own run queue (a list per priority and a bitmap) and its own timeout list;
 * tasks are pinned, so only wake-ups cross CPUs: the waker queues the task on its CPU and sends
 * that CPU a reschedule interrupt. There is no periodic tick: a CPU's one-shot timer is armed for
 * the earliest of its next timeout and the end of the running time slice, and a time slice runs
 * only while another task waits at the running task's level.
 *
 * Locking: the kernel lock (klock.h) guards all of it. A switch happens with the lock held; the
 * task switched to releases it (in klock_release(), or sched_task_start() for a new task).
 */
#include "kernel.h"
#include "sched.h"

struct sched_cpu {
	struct task *current;
	struct task *idle;
	struct list_node ready[RTOS_PRIO_LEVELS];
	uint32_t ready_mask;	 /* bit p set: ready[p] is not empty */
	struct list_node timers; /* blocked tasks with a deadline, earliest first */
	uint64_t slice_end;	 /* PORT_TIMER_OFF when no slice runs */
	uint64_t programmed;	 /* the deadline the timer holds */
	unsigned irq_nest;
	bool need_resched;
	bool rotate; /* the current task goes to the tail of its level when switched out */
	bool started;
};

static struct sched_cpu cpus[RTOS_MAX_CPUS];
static struct ticket_lock klock;
static int klock_cpu = -1; /* diagnostics only: who holds klock */
static unsigned nr_cpus = 1;
static uint64_t slice_ticks;

static struct sched_cpu *this_cpu(void)
{
	return &cpus[port_cpu_id()];
}

unsigned long klock_take(void)
{
	unsigned long flags = port_irq_save();

	ticket_lock(&klock);
	klock_cpu = (int)port_cpu_id();
	return flags;
}

static void switch_locked(struct sched_cpu *c);

void klock_release(unsigned long flags)
{
	struct sched_cpu *c = this_cpu();

	if (c->need_resched && c->started && c->irq_nest == 0)
		switch_locked(c);
	klock_cpu = -1;
	ticket_unlock(&klock);
	port_irq_restore(flags);
}

bool sched_lock_held_here(void)
{
	return klock_cpu == (int)port_cpu_id();
}

/* ---- run queues ---- */

static void rq_add(struct sched_cpu *c, struct task *t, bool head)
{
	if (head)
		list_add_head(&c->ready[t->prio], &t->node);
	else
		list_add_tail(&c->ready[t->prio], &t->node);
	c->ready_mask |= 1U << t->prio;
}

static void rq_del(struct sched_cpu *c, struct task *t)
{
	list_del(&t->node);
	if (list_empty(&c->ready[t->prio]))
		c->ready_mask &= ~(1U << t->prio);
}

/* Highest priority with a ready task, or -1. */
static int rq_top(const struct sched_cpu *c)
{
	return c->ready_mask ? 31 - __builtin_clz(c->ready_mask) : -1;
}

/* ---- wait queues ---- */

void wq_init(struct wait_queue *wq)
{
	list_init(&wq->waiters);
}

struct task *wq_first(const struct wait_queue *wq)
{
	if (list_empty(&wq->waiters))
		return NULL;
	return list_entry(wq->waiters.next, struct task, node);
}

/* Behind every waiter of equal or higher priority: FIFO among equals. */
static void wq_insert(struct wait_queue *wq, struct task *t)
{
	struct list_node *pos;

	list_for_each(pos, &wq->waiters)
	{
		if (list_entry(pos, struct task, node)->prio < t->prio)
			break;
	}
	list_insert_before(pos, &t->node);
}

/* ---- time ---- */

static void timer_add(struct sched_cpu *c, struct task *t, uint64_t at)
{
	struct list_node *pos;

	t->wake_at = at;
	list_for_each(pos, &c->timers)
	{
		if (list_entry(pos, struct task, tnode)->wake_at > at)
			break;
	}
	list_insert_before(pos, &t->tnode);
}

/* Arms this CPU's timer for its next event. Only the owning CPU touches its timer hardware: a
 * remote wake that cancels a timeout leaves the old deadline armed, and that early interrupt
 * finds nothing due and re-arms (cheaper than a cross-CPU request). */
static void timer_update(struct sched_cpu *c, bool force)
{
	uint64_t next = c->slice_end;

	if (!list_empty(&c->timers)) {
		uint64_t t = list_entry(c->timers.next, struct task, tnode)->wake_at;

		if (t < next)
			next = t;
	}
	if (c != this_cpu() || (next == c->programmed && !force))
		return;
	c->programmed = next;
	port_timer_set(next);
}

uint64_t sched_deadline_after(uint64_t timeout)
{
	uint64_t now = port_now();

	return timeout >= PORT_TIMER_OFF - now ? PORT_TIMER_OFF : now + timeout;
}

/* ---- switching ---- */

static void check_stack(const struct task *t)
{
	if (t->stack_lo && *t->stack_lo != STACK_CANARY)
		port_fatal("stack overflow", t);
}

/* Switches this CPU to its most urgent ready task (which may be the current one). */
static void switch_locked(struct sched_cpu *c)
{
	struct task *prev = c->current, *next;
	int top;

	c->need_resched = false;
	if (prev->state == TASK_RUNNING) {
		prev->state = TASK_READY;
		/* A preempted task keeps its place at the head of its level; one whose slice ended
		 * or that yielded goes behind its equals. */
		if (prev != c->idle)
			rq_add(c, prev, !c->rotate);
	}
	c->rotate = false;
	top = rq_top(c);
	if (top < 0) {
		next = c->idle;
	} else {
		next = list_entry(c->ready[top].next, struct task, node);
		rq_del(c, next);
	}
	next->state = TASK_RUNNING;
	c->current = next;
	if (top >= 0 && slice_ticks && !list_empty(&c->ready[top])) {
		if (next != prev || c->slice_end == PORT_TIMER_OFF)
			c->slice_end = sched_deadline_after(slice_ticks);
	} else {
		c->slice_end = PORT_TIMER_OFF;
	}
	timer_update(c, false);
	if (next == prev)
		return;
	check_stack(prev);
	check_stack(next);
	next->switches++;
	port_switch(&prev->ctx, &next->ctx);
}

/* t just became ready: ask its CPU to reschedule if t should run now, or to start a time
 * slice if t ties with the running task. */
static void preempt_check(struct task *t)
{
	struct sched_cpu *c = &cpus[t->cpu];
	struct task *cur = c->current;
	bool local = c == this_cpu();

	if (!c->started)
		return;
	if (t->prio > cur->prio || cur == c->idle) {
		c->need_resched = true;
	} else if (t->prio == cur->prio && c->slice_end == PORT_TIMER_OFF && slice_ticks) {
		if (!local) {
			c->need_resched = true;
		} else {
			c->slice_end = sched_deadline_after(slice_ticks);
			timer_update(c, false);
		}
	}
	if (!local && c->need_resched)
		port_send_resched(t->cpu);
}

struct task *sched_current_locked(void)
{
	return this_cpu()->current;
}

struct task *sched_current(void)
{
	struct sched_cpu *c = this_cpu();

	return c->started ? c->current : NULL;
}

bool sched_can_block(void)
{
	struct sched_cpu *c = this_cpu();

	return c->started && c->irq_nest == 0 && c->current != c->idle;
}

/* Blocks the current task until woken or until the absolute `deadline`. */
int sched_block_until_locked(struct wait_queue *wq, uint64_t deadline, struct mutex *pi)
{
	struct sched_cpu *c = this_cpu();
	struct task *t = c->current;

	if (!sched_can_block())
		port_fatal("blocking call outside a task", c->current);
	t->state = TASK_BLOCKED;
	t->wait_result = RTOS_EPENDING;
	if (wq) {
		t->wq = wq;
		wq_insert(wq, t);
	}
	if (deadline != PORT_TIMER_OFF)
		timer_add(c, t, deadline);
	if (pi)
		mutex_waiters_changed_locked(pi);
	switch_locked(c);
	return t->wait_result;
}

int sched_block_locked(struct wait_queue *wq, uint64_t timeout)
{
	if (timeout == RTOS_NO_WAIT)
		return RTOS_EAGAIN;
	return sched_block_until_locked(wq, sched_deadline_after(timeout), NULL);
}

int sched_block_mutex_locked(struct mutex *m, uint64_t timeout)
{
	if (timeout == RTOS_NO_WAIT)
		return RTOS_EAGAIN;
	return sched_block_until_locked(&m->wq, sched_deadline_after(timeout), m);
}

void sched_wake_locked(struct task *t, int result)
{
	if (t->state != TASK_BLOCKED)
		return;
	list_del(&t->tnode);
	if (t->wq) {
		list_del(&t->node);
		t->wq = NULL;
	}
	t->wait_result = result;
	t->state = TASK_READY;
	rq_add(&cpus[t->cpu], t, false);
	preempt_check(t);
}

void sched_set_prio_locked(struct task *t, unsigned prio)
{
	struct sched_cpu *c = &cpus[t->cpu];
	unsigned old = t->prio;

	if (old == prio)
		return;
	switch (t->state) {
	case TASK_READY:
		rq_del(c, t);
		t->prio = (uint8_t)prio;
		rq_add(c, t, false);
		preempt_check(t);
		break;
	case TASK_BLOCKED:
		t->prio = (uint8_t)prio;
		if (t->wq) {
			list_del(&t->node);
			wq_insert(t->wq, t);
		}
		break;
	case TASK_RUNNING:
		t->prio = (uint8_t)prio;
		if (prio < old && rq_top(c) > (int)prio) {
			c->need_resched = true;
			if (c != this_cpu())
				port_send_resched(t->cpu);
		}
		break;
	default:
		t->prio = (uint8_t)prio;
	}
}

/* ---- interrupts ---- */

void sched_irq_enter(void)
{
	this_cpu()->irq_nest++;
}

void sched_irq_exit(void)
{
	struct sched_cpu *c = this_cpu();

	if (--c->irq_nest == 0 && c->started)
		klock_release(klock_take()); /* switches if a wake asked for it */
}

void sched_timer_irq(uint64_t irq_stamp)
{
	unsigned long flags = klock_take();
	struct sched_cpu *c = this_cpu();
	uint64_t now = port_now();

	while (!list_empty(&c->timers)) {
		struct task *t = list_entry(c->timers.next, struct task, tnode);
		struct mutex *m = t->blocked_on;

		if (t->wake_at > now)
			break;
		t->irq_stamp = irq_stamp;
		sched_wake_locked(t, t->wq ? RTOS_ETIMEDOUT : RTOS_OK);
		if (m) { /* a timed-out mutex waiter no longer lends its priority */
			t->blocked_on = NULL;
			mutex_waiters_changed_locked(m);
		}
	}
	if (c->slice_end <= now) {
		c->slice_end = PORT_TIMER_OFF;
		if (c->current != c->idle && !list_empty(&c->ready[c->current->prio])) {
			c->need_resched = true;
			c->rotate = true;
		}
	}
	timer_update(c, true); /* the expired compare value still asserts the interrupt */
	klock_release(flags);
}

void sched_resched_ipi(void)
{
	/* need_resched was set by the sender under the lock; sched_irq_exit() acts on it. */
}

/* ---- tasks ---- */

void sched_init(unsigned n, uint64_t slice)
{
	nr_cpus = n < 1 ? 1 : n > RTOS_MAX_CPUS ? RTOS_MAX_CPUS : n;
	slice_ticks = slice;
	for (unsigned i = 0; i < RTOS_MAX_CPUS; i++) {
		struct sched_cpu *c = &cpus[i];

		for (unsigned p = 0; p < RTOS_PRIO_LEVELS; p++)
			list_init(&c->ready[p]);
		list_init(&c->timers);
		c->ready_mask = 0;
		c->slice_end = PORT_TIMER_OFF;
		c->programmed = PORT_TIMER_OFF;
		c->current = c->idle = NULL;
		c->irq_nest = 0;
		c->need_resched = c->rotate = c->started = false;
	}
}

unsigned sched_nr_cpus(void)
{
	return nr_cpus;
}

void sched_start_cpu(struct task *idle)
{
	unsigned long flags = klock_take();
	struct sched_cpu *c = this_cpu();

	idle->state = TASK_RUNNING;
	idle->prio = idle->base_prio = 0;
	idle->cpu = (uint8_t)port_cpu_id();
	idle->stack_lo = NULL;
	idle->wq = NULL;
	idle->blocked_on = NULL;
	idle->owned = NULL;
	list_init(&idle->node);
	list_init(&idle->tnode);
	task_list_add_locked(idle);
	c->idle = c->current = idle;
	c->started = true;
	c->need_resched = true;
	klock_release(flags);
}

void sched_task_start(void)
{
	struct task *t = this_cpu()->current;

	klock_cpu = -1;
	ticket_unlock(&klock);
	port_irq_restore(0); /* 0: nothing masked */
	t->entry(t->arg);
	task_exit();
}

void sched_add_task_locked(struct task *t)
{
	t->state = TASK_READY;
	rq_add(&cpus[t->cpu], t, false);
	preempt_check(t);
}

void sched_exit_locked(void)
{
	struct sched_cpu *c = this_cpu();

	if (!sched_can_block())
		port_fatal("task_exit outside a task", c->current);
	c->current->state = TASK_DEAD;
	switch_locked(c);
}

void sched_yield_locked(void)
{
	struct sched_cpu *c = this_cpu();

	c->need_resched = true;
	c->rotate = true;
}
