/*
 * Semaphores and mutexes with priority inheritance.
 *
 * A mutex is handed directly to its most urgent waiter on unlock, so a task woken with RTOS_OK
 * already owns it. A task's effective priority is the highest of its base priority and of the
 * first waiter of every mutex it holds; whenever a mutex's waiters change, that rule is applied
 * again along the chain owner -> mutex the owner waits for -> its owner ..., at most PI_MAX_DEPTH
 * links (a longer chain is a design error; it is cut rather than followed forever).
 */
#include "kernel.h"

void sem_init(struct semaphore *s, unsigned initial, unsigned max)
{
	s->max = max ? max : 1;
	s->count = initial < s->max ? initial : s->max;
	wq_init(&s->wq);
}

int sem_take(struct semaphore *s, uint64_t timeout)
{
	unsigned long flags = klock_take();
	int ret = RTOS_OK;

	if (s->count)
		s->count--;
	else
		ret = sched_block_locked(&s->wq, timeout); /* sem_give() hands the count over */
	klock_release(flags);
	return ret;
}

int sem_give(struct semaphore *s)
{
	unsigned long flags = klock_take();
	struct task *t = wq_first(&s->wq);
	int ret = RTOS_OK;

	if (t)
		sched_wake_locked(t, RTOS_OK);
	else if (s->count < s->max)
		s->count++;
	else
		ret = RTOS_EAGAIN;
	klock_release(flags);
	return ret;
}

void mutex_init(struct mutex *m)
{
	m->owner = NULL;
	m->next_owned = NULL;
	wq_init(&m->wq);
}

/* The priority `t` is owed: its base, raised to the first waiter of each mutex it holds. */
static unsigned inherited_prio(const struct task *t)
{
	unsigned p = t->base_prio;

	for (const struct mutex *m = t->owned; m; m = m->next_owned) {
		const struct task *w = wq_first(&m->wq);

		if (w && w->prio > p)
			p = w->prio;
	}
	return p;
}

void mutex_waiters_changed_locked(struct mutex *m)
{
	for (unsigned depth = 0; m && m->owner && depth < PI_MAX_DEPTH; depth++) {
		struct task *owner = m->owner;
		unsigned p = inherited_prio(owner);

		if (p == owner->prio)
			break;
		/* Re-sorts the owner in the wait queue it may be blocked on, so the next link sees
		 * its new priority as that mutex's first waiter. */
		sched_set_prio_locked(owner, p);
		m = owner->blocked_on;
	}
}

static void own(struct mutex *m, struct task *t)
{
	m->owner = t;
	m->next_owned = t->owned;
	t->owned = m;
}

static void disown(struct mutex *m, struct task *t)
{
	for (struct mutex **pp = &t->owned; *pp; pp = &(*pp)->next_owned) {
		if (*pp == m) {
			*pp = m->next_owned;
			break;
		}
	}
	m->next_owned = NULL;
	m->owner = NULL;
}

int mutex_lock(struct mutex *m, uint64_t timeout)
{
	unsigned long flags = klock_take();
	struct task *self = sched_current_locked();
	int ret = RTOS_OK;

	if (!m->owner) {
		own(m, self);
	} else if (m->owner == self) {
		ret = RTOS_EDEADLK;
	} else if (timeout == RTOS_NO_WAIT) {
		ret = RTOS_EAGAIN;
	} else {
		self->blocked_on = m;
		ret = sched_block_mutex_locked(m, timeout);
	}
	klock_release(flags);
	return ret;
}

int mutex_unlock(struct mutex *m)
{
	unsigned long flags = klock_take();
	struct task *self = sched_current_locked();
	struct task *next;

	if (m->owner != self) {
		klock_release(flags);
		return RTOS_EPERM;
	}
	disown(m, self);
	next = wq_first(&m->wq);
	if (next) {
		next->blocked_on = NULL;
		sched_wake_locked(next, RTOS_OK);
		own(m, next);
		/* The new owner inherits from the waiters that remain. */
		sched_set_prio_locked(next, inherited_prio(next));
	}
	sched_set_prio_locked(self, inherited_prio(self));
	klock_release(flags);
	return RTOS_OK;
}
