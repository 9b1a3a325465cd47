/*
 * Stands in for core/timer.c: records each call (obj: the timer; timer_arm's arguments: the
 * expiry and whether IRQs were masked) and keeps the armed timers, so a test fires them when
 * it chooses (fake_timer_fire); fake_calls_reset() forgets them.
 */
#include <arch/fake.h>
#include <tandem/pcpu.h>
#include <tandem/timer.h>

#include "fake.h"

#define armed fake_knobs.timers_armed

/* What an armed timer's queue field points to, as core/timer.c's would (a pCPU): not NULL. */
static struct pcpu queue_owner;

static int slot(const struct timer *timer)
{
	for (int i = 0; i < FAKE_MAX_TIMERS; i++)
		if (armed[i] == timer)
			return i;
	return -1;
}

void timer_init(struct timer *timer, timer_fn fn)
{
	int i = slot(timer);

	fake_record("timer_init", timer, 0, 0, 0);
	if (i >= 0)
		armed[i] = NULL;
	timer->fn = fn;
	timer->expires = 0;
	timer->next = NULL;
	timer->queue = NULL;
}

void timer_arm(struct timer *timer, uint64_t expires)
{
	int i = slot(timer);

	fake_record("timer_arm", timer, expires, fake_arch.irqs_masked, 0);
	timer->expires = expires;
	if (i < 0)
		i = slot(NULL);
	if (i >= 0) {
		armed[i] = timer;
		timer->queue = &queue_owner;
	}
}

void timer_cancel(struct timer *timer)
{
	int i = slot(timer);

	fake_record("timer_cancel", timer, 0, 0, 0);
	if (i >= 0)
		armed[i] = NULL;
	timer->queue = NULL;
}

bool fake_timer_armed(const struct timer *timer)
{
	return timer && slot(timer) >= 0;
}

struct timer *fake_timer_next(void)
{
	struct timer *next = NULL;

	for (int i = 0; i < FAKE_MAX_TIMERS; i++)
		if (armed[i] && (!next || armed[i]->expires < next->expires))
			next = armed[i];
	return next;
}

struct timer *fake_timer_fire(void)
{
	struct timer *t = fake_timer_next();

	if (t) {
		armed[slot(t)] = NULL;
		t->queue = NULL;
		t->fn(t);
	}
	return t;
}

bool fake_timer_expire(struct timer *timer)
{
	int i = slot(timer);

	if (!timer || i < 0)
		return false;
	armed[i] = NULL;
	timer->queue = NULL;
	fake_arch.counter = timer->expires;
	timer->fn(timer);
	return true;
}
