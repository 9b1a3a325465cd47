/* A token bucket for log lines: a burst, then a steady rate; what it drops is counted. */
#ifndef TANDEM_RATELIMIT_H
#define TANDEM_RATELIMIT_H

#include <tandem/spinlock.h>
#include <tandem/types.h>

/* Zero-initialised = full bucket at the first call. */
struct ratelimit {
	spinlock_t lock;
	uint64_t next;	  /* counter value at which the next token arrives */
	unsigned tokens;  /* lines that may go out right now */
	unsigned dropped; /* lines refused since the last one let through */
};

/*
 * True if one more line may be printed at counter value now, given one token per interval
 * and at most burst saved up; then *dropped is how many were refused since the previous
 * line let through (and the count starts again). Takes rl->lock (a leaf).
 */
bool ratelimit_ok(struct ratelimit *rl, uint64_t now, uint64_t interval, unsigned burst,
		  unsigned *dropped);

#endif
