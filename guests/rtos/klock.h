/*
 * The kernel lock: one ticket spinlock, taken with interrupts masked, guards every CPU's run
 * queue and timeout list and every semaphore, mutex and queue. Critical sections are short and
 * bounded (no loop over tasks except a priority-inheritance chain of at most PI_MAX_DEPTH), which
 * at up to 4 CPUs costs less than the lock-order rules per-object locks would need (Zephyr's SMP
 * scheduler made the same trade). Tickets make it fair: no CPU starves in the spin.
 */
#ifndef RTOS_KLOCK_H
#define RTOS_KLOCK_H

#include <stdatomic.h>
#include <stdint.h>

#include "port.h"

struct ticket_lock {
	_Atomic uint32_t next;
	_Atomic uint32_t owner;
};

static inline void ticket_lock(struct ticket_lock *l)
{
	uint32_t me = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);

	while (atomic_load_explicit(&l->owner, memory_order_acquire) != me)
		port_cpu_relax();
}

static inline void ticket_unlock(struct ticket_lock *l)
{
	uint32_t o = atomic_load_explicit(&l->owner, memory_order_relaxed);

	atomic_store_explicit(&l->owner, o + 1, memory_order_release);
}

#endif
