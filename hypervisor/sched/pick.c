/*
 * What a pCPU runs next: the pool's scheduler decides (pick), and this file makes the decision
 * stick — the kicks it names go out under the pool's lock, the liveness net catches a
 * scheduler that left a vCPU waiting with nobody due to decide, and the pCPU's scheduler timer
 * is armed only when a decision can come due. Loading the chosen vCPU is core/pcpu.c's.
 */
#include <tandem/arch.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/timer.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

/*
 * The liveness net under the scheduler. Every scheduler promises (sched.h) that a pCPU whose
 * queue holds a waiting vCPU has a decision due or a re-pick pending; both are set under the
 * pool's lock (next_decision by its pick, resched by whoever kicks it), so this look is exact.
 * Should a scheduler ever break the promise, the net makes that pCPU decide (a slice timer
 * here, a kick elsewhere), counts it (liveness= in the Ctrl-A s dump) and says so, at most
 * once a second: a net that fires is a scheduler bug.
 */
static void liveness_report(const struct pcpu *q, const struct vcpu *w, const struct pool *pool)
{
	static uint64_t reported_at;
	static bool reported;
	uint64_t now = arch_counter_read();

	if (reported && now - reported_at < arch_counter_freq())
		return;
	reported = true;
	reported_at = now;
	log_warn("pool %s: pCPU %u had no decision due while vcpu %s/%u waited for it "
		 "(liveness net: a scheduler bug; %llu so far there)",
		 pool->name, q->index, w->vm->name, w->id,
		 (unsigned long long)q->stats.liveness_timers);
}

/* Returns whether p itself must arm a slice: its own queue holds a vCPU it left waiting. */
static bool liveness_net(struct pool *pool, struct pcpu *p)
{
	bool arm_here = false;

	if (pool->nr_vcpus <= pool->nr_pcpus)
		return false;
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *w = pool->vcpus[i];
		struct pcpu *q = w->sched.queue ? w->sched.queue : w->sched.home;

		if (!q || !w->sched.queued || w->sched.running_on || !vcpu_schedulable(w) ||
		    q->next_decision != SCHED_NEVER || q->resched || (q == p && arm_here))
			continue;
		q->stats.liveness_timers++;
		liveness_report(q, w, pool);
		if (q == p)
			arm_here = true;
		else
			pcpu_resched(q);
	}
	return arm_here;
}

/*
 * Asks the pool what runs next, and arms the scheduler timer only if a decision can come due.
 * Kicks go out before the pool's lock is dropped, so that whoever looks at a pCPU under the
 * lock sees a decision it has been asked for.
 */
struct vcpu *pool_pick_next(struct pcpu *p)
{
	struct pool *pool = pool_lock_for_pick(p); /* also hands back what a moved pCPU ran */
	struct vcpu *v;
	uint64_t next;

	if (!pool) /* pools are built after the secondaries come up; a wake-up kicks it later */
		return NULL;
	p->resched = false;
	p->sched.away = false; /* back from a restart (pool_pcpu_away), if it was away */
	v = pool->ops->pick(pool, p, arch_counter_read(), &p->next_decision, &p->pick_kick);
	if (p->pick_kick)
		pcpu_resched(p->pick_kick); /* say, the pCPU that should run a vCPU it set aside */
	if (liveness_net(pool, p))
		p->next_decision = arch_counter_read() + pool->slice;
	next = p->next_decision;
	spin_unlock(&pool->lock);
	p->stats.picks++;
	if (next == SCHED_NEVER)
		timer_cancel(&p->sched_timer);
	else
		timer_arm(&p->sched_timer, next);
	return v;
}
