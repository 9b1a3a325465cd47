/*
 * Tasks and time as tasks see them: creation, sleeping, periodic release, exit, the task list,
 * and conversions between counter ticks and wall units.
 */
#include "kernel.h"
#include "sched.h"

static struct list_node all_tasks = {&all_tasks, &all_tasks};

void task_list_add_locked(struct task *t)
{
	list_add_tail(&all_tasks, &t->all);
}

uint64_t rtos_now(void)
{
	return port_now();
}

uint64_t rtos_freq(void)
{
	return port_counter_freq();
}

uint64_t rtos_us_to_ticks(uint64_t us)
{
	uint64_t f = port_counter_freq();

	return us / 1000000 * f + us % 1000000 * f / 1000000;
}

uint64_t rtos_ticks_to_ns(uint64_t ticks)
{
	uint64_t f = port_counter_freq();

	return ticks / f * 1000000000ULL + ticks % f * 1000000000ULL / f;
}

void task_create(struct task *t, const char *name, void (*entry)(void *), void *arg, unsigned prio,
		 unsigned cpu, void *stack, size_t stack_size)
{
	uintptr_t lo = ((uintptr_t)stack + 15) & ~(uintptr_t)15;
	uintptr_t hi = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
	unsigned long flags;

	t->name = name;
	t->entry = entry;
	t->arg = arg;
	t->base_prio = t->prio = (uint8_t)(prio < 1		  ? 1
					   : prio > RTOS_PRIO_MAX ? RTOS_PRIO_MAX
								  : prio);
	t->cpu = (uint8_t)(cpu < sched_nr_cpus() ? cpu : 0);
	list_init(&t->node);
	list_init(&t->tnode);
	t->wake_at = 0;
	t->wq = NULL;
	t->blocked_on = NULL;
	t->owned = NULL;
	t->wait_result = RTOS_OK;
	t->xfer = NULL;
	t->period = t->next_release = t->irq_stamp = 0;
	t->stack_lo = (uint64_t *)lo;
	t->stack_size = hi - lo;
	t->switches = 0;
	*t->stack_lo = STACK_CANARY;
	port_task_init(t);

	flags = klock_take();
	task_list_add_locked(t);
	sched_add_task_locked(t);
	klock_release(flags);
}

struct task *task_self(void)
{
	return sched_current();
}

void task_exit(void)
{
	unsigned long flags = klock_take();

	sched_exit_locked();
	klock_release(flags); /* reached only on the host, where switches return */
}

void task_yield(void)
{
	unsigned long flags = klock_take();

	sched_yield_locked();
	klock_release(flags);
}

void task_sleep_until(uint64_t deadline)
{
	unsigned long flags = klock_take();

	if (deadline > port_now())
		sched_block_until_locked(NULL, deadline, NULL);
	klock_release(flags);
}

void task_sleep(uint64_t ticks)
{
	task_sleep_until(sched_deadline_after(ticks));
}

void task_set_period(uint64_t period)
{
	unsigned long flags = klock_take();
	struct task *t = sched_current_locked();

	t->period = period ? period : 1;
	t->next_release = sched_deadline_after(t->period);
	klock_release(flags);
}

int task_wait_period(struct period_info *info)
{
	unsigned long flags = klock_take();
	struct task *t = sched_current_locked();
	uint64_t release = t->next_release, now = port_now();
	unsigned missed = 0;

	info->irq_stamp = 0;
	if (release > now) {
		t->irq_stamp = 0;
		sched_block_until_locked(NULL, release, NULL);
		info->irq_stamp = t->irq_stamp;
	} else {
		/* Late: release for the latest period already begun, count the ones skipped. */
		uint64_t behind = (now - release) / t->period;

		missed = (unsigned)behind;
		release += behind * t->period;
	}
	info->release = release;
	info->overruns = missed;
	t->next_release = release + t->period;
	klock_release(flags);
	return missed ? RTOS_ETIMEDOUT : RTOS_OK;
}

void task_for_each(void (*fn)(const struct task *t, void *arg), void *arg)
{
	unsigned long flags = klock_take();
	struct list_node *pos;

	list_for_each(pos, &all_tasks) fn(list_entry(pos, struct task, all), arg);
	klock_release(flags);
}
