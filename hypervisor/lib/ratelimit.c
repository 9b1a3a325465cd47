/* Token-bucket rate limiting for log lines (tandem/ratelimit.h). */
#include <tandem/ratelimit.h>

bool ratelimit_ok(struct ratelimit *rl, uint64_t now, uint64_t interval, unsigned burst,
		  unsigned *dropped)
{
	bool ok;

	spin_lock(&rl->lock);
	if (!rl->next) { /* first use: a full bucket */
		rl->tokens = burst;
		rl->next = now + interval;
	} else if (now >= rl->next) {
		/* Tokens earned since next was set; a long quiet spell refills at most burst. */
		uint64_t earned = interval ? (now - rl->next) / interval + 1 : burst;

		rl->tokens = earned >= burst - rl->tokens ? burst : rl->tokens + (unsigned)earned;
		rl->next = now + interval;
	}
	ok = rl->tokens > 0;
	if (ok) {
		rl->tokens--;
		*dropped = rl->dropped;
		rl->dropped = 0;
	} else {
		rl->dropped++;
	}
	spin_unlock(&rl->lock);
	return ok;
}
