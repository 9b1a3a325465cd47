/* Ticket spinlocks. The arch layer supplies the atomics. */
#ifndef TANDEM_SPINLOCK_H
#define TANDEM_SPINLOCK_H

#include <tandem/types.h>

typedef struct {
	volatile uint32_t next;
	volatile uint32_t owner;
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0, 0                                                                               \
	}

void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
/* Takes lock if it is free and returns true; returns false at once if it is held. */
bool spin_trylock(spinlock_t *lock);

#endif
