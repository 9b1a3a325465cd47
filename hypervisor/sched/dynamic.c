/*
 * The dynamic scheduler: overcommitted pools with EDF reservations and weighted slack.
 *
 * Every vCPU may hold a reservation (budget ticks every period ticks) and has a weight.
 *
 * Admission test: partitioned EDF, "utilisation <= 1 per pCPU". Each reservation's utilisation
 * is budget/period in parts per million, rounded up; reservations are partitioned onto the
 * pool's pCPUs first-fit decreasing (largest utilisation first, ties in pool order, each onto
 * the lowest-indexed pCPU where it fits), and a change is admitted iff every reservation finds
 * a pCPU whose sum stays <= 1,000,000 ppm. Under EDF with constant-bandwidth servers, a pCPU
 * whose reservations sum to <= 1 gives every one of them its budget before every deadline. The
 * same test and partition serve boot-time placement and run-time changes (admit() is pure;
 * replan() applies the partition), so vCPUs migrate between the pool's pCPUs only within it.
 * vCPUs without a reservation are then spread over the pCPUs to balance weight per unreserved
 * capacity. vcpu->sched.home is the pCPU a vCPU is planned on.
 *
 * Reservations are constant-bandwidth servers (CBS): on wake, a vCPU whose deadline has passed,
 * or whose remaining budget would exceed its bandwidth before the deadline
 * (remaining / (deadline - now) > budget / period), starts a new period (deadline = now +
 * period, remaining = budget). A runnable vCPU that exhausts its budget waits for the
 * replenishment at its deadline (deadline += period, remaining = budget) to get reserved time
 * again, and meanwhile competes for slack. A runnable vCPU that reaches its deadline with budget
 * left counts a deadline miss (never, for admitted sets).
 *
 * Queues: a waiting vCPU sits in the queue of one pCPU (sched.queue), the one whose next
 * decision serves it: its home, or a free idle pCPU it was handed to when it woke (work
 * conservation). A pCPU with waiting vCPUs in its queue always has a decision due or has been
 * asked to pick (the liveness rule of sched.h): every operation that leaves a vCPU waiting
 * (wake, a pick that sets the previous vCPU aside, release) names the pCPU whose queue it now
 * sits in unless that pCPU's own pick just ran, and pick() arms a decision whenever its queue
 * holds a waiting vCPU. An idle pCPU takes one handed-over vCPU at a time, so two wake-ups
 * never count on the same one.
 *
 * pick(), per pCPU, in order: (1) among the vCPUs homed here or in its queue, the earliest-
 * deadline one with budget left, else the lowest slack_vtime (slack received *
 * SCHED_WEIGHT_DEF / weight: stride-like weighted sharing, time slice pool->slice); (2) work
 * conservation: a vCPU waiting in another pCPU's queue (earliest deadline with budget first,
 * else lowest slack_vtime).
 * Run time is charged to the remaining budget first (wherever the vCPU ran), the rest to
 * slack. A vCPU waking from a long sleep has its slack_vtime raised to the lowest one among
 * runnable vCPUs, so sleeping earns no credit. Yield puts a vCPU behind every runnable one on
 * slack (its reservation, bounded by the budget, is still served first).
 *
 * Timers: pick() asks for a decision only when one can be due: budget exhaustion or
 * replenishment while another vCPU waits in this pCPU's queue, or the slice end when another
 * vCPU could run here on slack (one in its queue; any waiting one while a vCPU homed elsewhere
 * runs here). A pCPU with a single runnable vCPU arms no timer (SCHED_NEVER); charging across
 * period boundaries is done lazily, in closed form.
 *
 * What the core must do besides calling the ops (no scheduler can do it from here):
 *  - kick the pCPU that wake(), pick() (*kick) or release() names, before dropping the pool's
 *    lock (a pick elsewhere then never sees a waiting vCPU whose pCPU was not asked);
 *  - after replan(), make every pCPU of the pool re-pick (homes and timers may have changed);
 *  - write vcpu->sched.params before replan() for a retune or a join.
 */
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/sched.h>
#include <tandem/types.h>
#include <tandem/vcpu.h>

#define PPM_ONE	     1000000u
#define MIN_FREE_PPM 1000u /* a fully reserved pCPU still counts as 0.1% free for weights */
#define NO_PCPU	     0xffu
#define MAX_MEMBERS  POOL_MAX_VCPUS

/* --- Admission: utilisation and the first-fit-decreasing partition --- */

/* budget/period in ppm, rounded up (conservative); periods above 2^44 ticks are scaled down
 * first so that budget * 10^6 cannot overflow. */
static uint32_t utilisation_ppm(const struct sched_params *p)
{
	uint64_t budget = p->budget, period = p->period;

	if (budget == 0 || period == 0)
		return 0;
	while (period >> 44) {
		period >>= 1;
		budget = (budget + 1) >> 1;
	}
	if (budget > period)
		budget = period;
	return (uint32_t)((budget * PPM_ONE + period - 1) / period);
}

struct partition {
	unsigned nr_vcpus;
	unsigned nr_pcpus;
	uint32_t util[MAX_MEMBERS]; /* per vCPU, ppm */
	uint8_t home[MAX_MEMBERS];  /* per vCPU: index into the pCPU list, NO_PCPU if none */
	uint32_t load[MAX_PCPUS];   /* per pCPU: reserved ppm */
	uint32_t failed_load;	    /* on failure: the least load a misfit would make */
	unsigned failed_pcpu;	    /* on failure: that pCPU's list index */
};

/* First-fit decreasing of part->util[] onto nr_pcpus pCPUs. Returns false (with failed_*) if a
 * reservation fits nowhere; misfits are then placed on the least-loaded pCPU anyway. */
static bool partition_reservations(struct partition *part)
{
	bool placed[MAX_MEMBERS] = {false};
	bool ok = true;

	for (unsigned p = 0; p < part->nr_pcpus; p++)
		part->load[p] = 0;
	for (unsigned i = 0; i < part->nr_vcpus; i++)
		part->home[i] = NO_PCPU;
	for (;;) {
		unsigned best = MAX_MEMBERS;

		for (unsigned i = 0; i < part->nr_vcpus; i++)
			if (!placed[i] && part->util[i] > 0 &&
			    (best == MAX_MEMBERS || part->util[i] > part->util[best]))
				best = i;
		if (best == MAX_MEMBERS || part->nr_pcpus == 0)
			return ok && best == MAX_MEMBERS;
		placed[best] = true;

		unsigned least = 0;
		for (unsigned p = 0; p < part->nr_pcpus; p++) {
			if (part->load[p] < part->load[least])
				least = p;
			if (part->home[best] == NO_PCPU &&
			    part->load[p] + part->util[best] <= PPM_ONE)
				part->home[best] = (uint8_t)p;
		}
		if (part->home[best] == NO_PCPU) {
			if (ok) {
				part->failed_pcpu = least;
				part->failed_load = part->load[least] + part->util[best];
			}
			ok = false;
			part->home[best] = (uint8_t)least;
		}
		part->load[part->home[best]] += part->util[best];
	}
}

static int check_params(const struct sched_params *p, char *why, size_t why_len)
{
	if (p->weight < SCHED_WEIGHT_MIN || p->weight > SCHED_WEIGHT_MAX) {
		snprintf_td(why, why_len, "weight %u out of %u..%u", p->weight, SCHED_WEIGHT_MIN,
			    SCHED_WEIGHT_MAX);
		return -ERR_INVAL;
	}
	if (p->budget > 0 && p->period == 0) {
		snprintf_td(why, why_len, "a budget needs a period > 0");
		return -ERR_INVAL;
	}
	if (p->budget > p->period && p->budget > 0) {
		snprintf_td(why, why_len, "budget > period");
		return -ERR_INVAL;
	}
	return 0;
}

static bool pcpu_in(const struct pcpu *const *list, unsigned n, const struct pcpu *pcpu)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == pcpu)
			return true;
	return false;
}

static int dynamic_admit(const struct pool *pool, const struct sched_change *change, char *why,
			 size_t why_len)
{
	struct partition part; /* ~400 bytes */
	const struct pcpu *pcpu_list[MAX_PCPUS];
	const struct pcpu *const *members = (const struct pcpu *const *)pool->pcpus;
	unsigned nr_pcpus = 0;
	int err;

	if (why_len > 0)
		why[0] = '\0';
	if (change->drop_pcpu && !pcpu_in(members, pool->nr_pcpus, change->drop_pcpu)) {
		snprintf_td(why, why_len, "pCPU %u is not in the pool", change->drop_pcpu->index);
		return -ERR_INVAL;
	}
	if (change->add_pcpu && pcpu_in(members, pool->nr_pcpus, change->add_pcpu)) {
		snprintf_td(why, why_len, "pCPU %u is already in the pool",
			    change->add_pcpu->index);
		return -ERR_INVAL;
	}
	for (unsigned i = 0; i < pool->nr_pcpus; i++)
		if (pool->pcpus[i] != change->drop_pcpu && nr_pcpus < MAX_PCPUS)
			pcpu_list[nr_pcpus++] = pool->pcpus[i];
	if (change->add_pcpu && nr_pcpus < MAX_PCPUS)
		pcpu_list[nr_pcpus++] = change->add_pcpu;

	if (change->retune && change->params) {
		err = check_params(change->params, why, why_len);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < change->nr_join; i++) {
		err = check_params(&change->join[i]->sched.params, why, why_len);
		if (err)
			return err;
	}
	if (pool->nr_vcpus + change->nr_join > MAX_MEMBERS) {
		snprintf_td(why, why_len, "a pool holds at most %u vCPUs", (unsigned)MAX_MEMBERS);
		return -ERR_BUSY;
	}
	if (nr_pcpus == 0 && pool->nr_vcpus + change->nr_join > 0) {
		snprintf_td(why, why_len, "a pool with no pCPUs cannot run its vCPUs");
		return -ERR_BUSY;
	}

	part.nr_pcpus = nr_pcpus;
	part.nr_vcpus = 0;
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		const struct vcpu *v = pool->vcpus[i];
		const struct sched_params *p = &v->sched.params;

		if (v == change->retune && change->params)
			p = change->params;
		part.util[part.nr_vcpus++] = utilisation_ppm(p);
	}
	for (unsigned i = 0; i < change->nr_join; i++)
		part.util[part.nr_vcpus++] = utilisation_ppm(&change->join[i]->sched.params);
	if (!partition_reservations(&part)) {
		unsigned pct = (part.failed_load + PPM_ONE / 100 - 1) / (PPM_ONE / 100);

		snprintf_td(why, why_len,
			    "pCPU %u would be %u%% reserved (EDF, first-fit decreasing: max 100%%)",
			    pcpu_list[part.failed_pcpu]->index, pct);
		return -ERR_BUSY;
	}
	return 0;
}

/* --- CBS bookkeeping --- */

static bool has_reservation(const struct sched_vcpu *sv)
{
	return sv->params.budget > 0 && sv->params.period > 0;
}

/* remaining / (deadline - now) <= budget / period, i.e. the current period does not ask for
 * more than the reserved bandwidth from now on. */
static bool cbs_fits(const struct sched_vcpu *sv, uint64_t now)
{
	if (now >= sv->priv.dynamic.deadline || sv->priv.dynamic.remaining > sv->params.budget ||
	    sv->priv.dynamic.deadline - now > sv->params.period)
		return false;
	return (unsigned __int128)sv->priv.dynamic.remaining * sv->params.period <=
	       (unsigned __int128)sv->params.budget * (sv->priv.dynamic.deadline - now);
}

static void cbs_new_period(struct sched_vcpu *sv, uint64_t now)
{
	sv->priv.dynamic.deadline = now + sv->params.period;
	sv->priv.dynamic.remaining = sv->params.budget;
}

/* Rolls the reservation over every deadline <= now, counting the periods that ended with
 * budget left while the vCPU was runnable. */
static void replenish(struct sched_vcpu *sv, uint64_t now)
{
	if (!has_reservation(sv)) {
		sv->priv.dynamic.remaining = 0;
		return;
	}
	if (now < sv->priv.dynamic.deadline)
		return;
	uint64_t periods = (now - sv->priv.dynamic.deadline) / sv->params.period + 1;

	if (sv->priv.dynamic.remaining > 0)
		sv->priv.dynamic.deadline_misses++;
	sv->priv.dynamic.deadline_misses +=
	    periods - 1; /* whole periods it was runnable and not served */
	sv->priv.dynamic.deadline += periods * sv->params.period;
	sv->priv.dynamic.remaining = sv->params.budget;
}

static void charge_slack(struct sched_vcpu *sv, uint64_t ticks)
{
	uint32_t weight = sv->params.weight ? sv->params.weight : SCHED_WEIGHT_DEF;

	sv->priv.dynamic.slack_ran += ticks;
	sv->priv.dynamic.slack_vtime += ticks * SCHED_WEIGHT_DEF / weight;
}

/* Charges [from, to) of run time: to the budget first, the rest to slack, crossing period
 * boundaries (replenishments) in closed form: it ran throughout, so no period in between
 * ends with budget left. */
static void charge(struct sched_vcpu *sv, uint64_t from, uint64_t to)
{
	if (to <= from)
		return;
	if (has_reservation(sv) && sv->priv.dynamic.deadline > from &&
	    sv->priv.dynamic.deadline < to) {
		uint64_t seg = sv->priv.dynamic.deadline - from,
			 used = MIN(seg, sv->priv.dynamic.remaining);
		uint64_t budget = sv->params.budget, period = sv->params.period;

		sv->priv.dynamic.remaining -= used;
		sv->priv.dynamic.budget_ran += used;
		charge_slack(sv, seg - used);
		replenish(sv,
			  sv->priv.dynamic
			      .deadline); /* counts a miss if budget was left (it never ran out) */
		from += seg;
		uint64_t full = (to - from) / period;
		if (full > 0) {
			/* whole periods: budget, then slack; no miss (it ran on its budget) */
			sv->priv.dynamic.budget_ran += full * budget;
			charge_slack(sv, full * (period - budget));
			sv->priv.dynamic.deadline += full * period;
			from += full * period;
		}
	}
	uint64_t used = has_reservation(sv) ? MIN(to - from, sv->priv.dynamic.remaining) : 0;

	sv->priv.dynamic.remaining -= used;
	sv->priv.dynamic.budget_ran += used;
	charge_slack(sv, to - from - used);
}

/* --- Choosing --- */

static bool waiting(const struct vcpu *v)
{
	return v->sched.queued && v->sched.running_on == NULL;
}

static bool on_budget(const struct vcpu *v)
{
	return has_reservation(&v->sched) && v->sched.priv.dynamic.remaining > 0;
}

/* Whether pcpu serves v first: v is homed there, or was handed to it while it waits. */
static bool in_queue_of(const struct vcpu *v, const struct pcpu *pcpu)
{
	return v->sched.home == pcpu || v->sched.queue == pcpu;
}

/* Earliest deadline among candidates with budget; else lowest slack_vtime; NULL if none. */
static struct vcpu *choose(struct pool *pool, struct pcpu *pcpu, bool own_queue)
{
	struct vcpu *edf = NULL, *slack = NULL;

	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *v = pool->vcpus[i];

		/* queued but stopped or held (the core changed its state): not a candidate */
		if (!v->sched.queued || !vcpu_schedulable(v) ||
		    (v->sched.running_on && v->sched.running_on != pcpu))
			continue;
		if (in_queue_of(v, pcpu) != own_queue)
			continue;
		if (on_budget(v) &&
		    (!edf || v->sched.priv.dynamic.deadline < edf->sched.priv.dynamic.deadline))
			edf = v;
		if (!slack ||
		    v->sched.priv.dynamic.slack_vtime < slack->sched.priv.dynamic.slack_vtime)
			slack = v;
	}
	return edf ? edf : slack;
}

static bool pcpu_member(const struct pool *pool, const struct pcpu *pcpu)
{
	return pcpu_in((const struct pcpu *const *)pool->pcpus, pool->nr_pcpus, pcpu);
}

/* When pcpu, now running chosen, must decide again (SCHED_NEVER if nothing can change). */
static uint64_t next_decision(const struct pool *pool, const struct pcpu *pcpu,
			      const struct vcpu *chosen, uint64_t now)
{
	bool contended = false;
	uint64_t next = SCHED_NEVER;

	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		const struct vcpu *v = pool->vcpus[i];

		if (v == chosen || !waiting(v))
			continue;
		/* a vCPU waiting in this pCPU's queue, or any waiting one while a guest runs here
		 */
		if (v->sched.queue == pcpu || (chosen && chosen->sched.home != pcpu)) {
			contended = true;
			/* a waiting vCPU queued here gets reserved time again at its deadline */
			if (v->sched.queue == pcpu && has_reservation(&v->sched) &&
			    v->sched.priv.dynamic.remaining == 0)
				next = MIN(next, v->sched.priv.dynamic.deadline);
		}
	}
	if (!chosen || !contended)
		return next;
	if (on_budget(chosen))
		next = MIN(next, now + chosen->sched.priv.dynamic.remaining);
	else
		next = MIN(next, now + (pool->slice ? pool->slice : 1));
	if (has_reservation(&chosen->sched))
		next = MIN(next, chosen->sched.priv.dynamic.deadline);
	return next;
}

/* Should a pCPU running cur switch to the waiting vCPU v? */
static bool should_preempt(const struct vcpu *cur, const struct vcpu *v)
{
	if (!on_budget(v))
		return false;
	return !on_budget(cur) || v->sched.priv.dynamic.deadline < cur->sched.priv.dynamic.deadline;
}

/* A pCPU of the pool running nothing and with no waiting vCPU (but vcpu) in its queue; not
 * away (an away pCPU runs nothing, but decides nothing either until it is back). */
static bool idle_and_free(const struct pool *pool, const struct pcpu *pcpu, const struct vcpu *vcpu)
{
	if (pcpu->sched.running || pcpu->sched.away)
		return false;
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		const struct vcpu *v = pool->vcpus[i];

		if (v != vcpu && v->sched.queue == pcpu && waiting(v) && vcpu_schedulable(v))
			return false;
	}
	return true;
}

/*
 * The pCPU whose queue serves a vCPU homed on home: home itself unless it is away (a VM
 * restart there takes far longer than any slice), then the first pCPU of the pool that is
 * not; home again if every one is away (it is served when one comes back).
 */
static struct pcpu *stand_in(const struct pool *pool, struct pcpu *home)
{
	if (!home || !home->sched.away)
		return home;
	for (unsigned i = 0; i < pool->nr_pcpus; i++)
		if (!pool->pcpus[i]->sched.away)
			return pool->pcpus[i];
	return home;
}

/*
 * vcpu (queued, on no pCPU) waits from now on: puts it in the queue of the pCPU that should
 * run it next and returns that pCPU, which must decide now. That is its home if the home is
 * idle or should preempt for it; else a free idle pCPU (work conservation), which then serves
 * it first; else its busy home (or, the home away, its stand-in), which re-picks and arms a
 * decision for the new contender. A free idle pCPU takes one vCPU only: two wake-ups in a
 * row never count on the same one.
 */
static struct pcpu *place(struct pool *pool, struct vcpu *vcpu)
{
	struct sched_vcpu *sv = &vcpu->sched;
	struct pcpu *home = sv->home;

	if (!home || !pcpu_member(pool, home))
		home = pool->nr_pcpus ? pool->pcpus[0] : NULL; /* mid-move: replan() follows */
	sv->queue = home;
	if (!home)
		return NULL;
	if (!home->sched.away && (home->sched.running ? should_preempt(home->sched.running, vcpu)
						      : idle_and_free(pool, home, vcpu)))
		return home;
	for (unsigned i = 0; i < pool->nr_pcpus; i++) {
		if (idle_and_free(pool, pool->pcpus[i], vcpu)) {
			sv->queue = pool->pcpus[i];
			return pool->pcpus[i];
		}
	}
	sv->queue = stand_in(pool, home);
	return sv->queue;
}

static struct vcpu *dynamic_pick(struct pool *pool, struct pcpu *pcpu, uint64_t now, uint64_t *next,
				 struct pcpu **kick)
{
	struct vcpu *prev = pcpu->sched.running;
	struct vcpu *chosen = NULL;

	*kick = NULL;
	if (prev) {
		charge(&prev->sched, prev->sched.since, now);
		prev->sched.since = now;
		if (!vcpu_schedulable(prev))
			prev->sched.queued = false;
	}
	/* vCPUs running elsewhere roll over when their own pCPU charges them */
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *v = pool->vcpus[i];

		if (waiting(v) && v->state != VCPU_RUNNABLE)
			v->sched.queued = false; /* stopped or turned off while it waited */
		else if (waiting(v) || v == prev)
			replenish(&v->sched, now);
	}

	if (pcpu_member(pool, pcpu)) {
		chosen = choose(pool, pcpu, true);
		if (!chosen)
			chosen = choose(pool, pcpu, false);
	}
	if (chosen && chosen != prev) {
		chosen->sched.running_on = pcpu;
		chosen->sched.since = now;
		chosen->sched.queue = chosen->sched.home;
	}
	pcpu->sched.running = chosen;
	if (prev && prev != chosen) {
		prev->sched.running_on = NULL;
		/* set aside but still runnable: it waits in some pCPU's queue, which must decide */
		if (prev->sched.queued && vcpu_schedulable(prev)) {
			struct pcpu *to = place(pool, prev);

			*kick = to != pcpu ? to : NULL; /* its own decision is the one made below */
		}
	}
	*next = next_decision(pool, pcpu, chosen, now);
	return chosen;
}

/* --- Waking and yielding --- */

static bool min_runnable_vtime(const struct pool *pool, const struct vcpu *except, uint64_t *vt)
{
	bool any = false;

	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		const struct vcpu *v = pool->vcpus[i];

		if (v != except && v->sched.queued &&
		    (!any || v->sched.priv.dynamic.slack_vtime < *vt)) {
			*vt = v->sched.priv.dynamic.slack_vtime;
			any = true;
		}
	}
	return any;
}

static struct pcpu *dynamic_wake(struct pool *pool, struct vcpu *vcpu, uint64_t now)
{
	struct sched_vcpu *sv = &vcpu->sched;

	if (!sv->queued) {
		uint64_t vt = 0;

		if (has_reservation(sv) && !cbs_fits(sv, now))
			cbs_new_period(sv, now);
		if (min_runnable_vtime(pool, vcpu, &vt) && sv->priv.dynamic.slack_vtime < vt)
			sv->priv.dynamic.slack_vtime = vt;
		sv->queued = true;
	}
	if (sv->running_on)
		return NULL;
	replenish(sv, now);
	return place(pool, vcpu);
}

static void dynamic_yield(struct pool *pool, struct vcpu *vcpu, uint64_t now)
{
	uint64_t highest = vcpu->sched.priv.dynamic.slack_vtime;

	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		const struct vcpu *v = pool->vcpus[i];

		if (v != vcpu && v->sched.queued && v->sched.priv.dynamic.slack_vtime >= highest)
			highest = v->sched.priv.dynamic.slack_vtime + 1;
	}
	vcpu->sched.priv.dynamic.slack_vtime = highest;
}

/* --- Re-planning --- */

static void dynamic_replan(struct pool *pool, uint64_t now)
{
	struct partition part;
	uint32_t weight[MAX_PCPUS] = {0};
	uint64_t vt = 0;
	bool have_vt = false;

	const unsigned n = MIN(pool->nr_vcpus, (unsigned)MAX_MEMBERS);

	part.nr_pcpus = MIN(pool->nr_pcpus, (unsigned)MAX_PCPUS);
	part.nr_vcpus = n;
	for (unsigned i = 0; i < n; i++) {
		const struct sched_vcpu *sv = &pool->vcpus[i]->sched;

		part.util[i] = utilisation_ppm(&sv->params);
		part.home[i] = NO_PCPU;
		/* lowest slack_vtime among runnable vCPUs that were already members */
		if (sv->queued && sv->pool == pool && sv->home && pcpu_member(pool, sv->home) &&
		    (!have_vt || sv->priv.dynamic.slack_vtime < vt)) {
			vt = sv->priv.dynamic.slack_vtime;
			have_vt = true;
		}
	}
	(void)partition_reservations(&part); /* admitted: it fits */

	/* vCPUs without reservation: heaviest first, onto the pCPU with the least weight per
	 * unreserved capacity. */
	for (unsigned i = 0; i < n; i++)
		if (part.home[i] != NO_PCPU)
			weight[part.home[i]] += pool->vcpus[i]->sched.params.weight;
	for (;;) {
		unsigned best = MAX_MEMBERS;

		for (unsigned i = 0; i < n; i++)
			if (part.home[i] == NO_PCPU &&
			    (best == MAX_MEMBERS || pool->vcpus[i]->sched.params.weight >
							pool->vcpus[best]->sched.params.weight))
				best = i;
		if (best == MAX_MEMBERS || part.nr_pcpus == 0)
			break;
		uint64_t w = pool->vcpus[best]->sched.params.weight;
		unsigned where = 0;
		for (unsigned p = 1; p < part.nr_pcpus; p++) {
			uint64_t free_p = MAX(PPM_ONE - MIN(part.load[p], PPM_ONE), MIN_FREE_PPM);
			uint64_t free_w =
			    MAX(PPM_ONE - MIN(part.load[where], PPM_ONE), MIN_FREE_PPM);

			if ((weight[p] + w) * free_w < (weight[where] + w) * free_p)
				where = p;
		}
		part.home[best] = (uint8_t)where;
		weight[where] += (uint32_t)w;
	}

	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = pool->vcpus[i];
		struct sched_vcpu *sv = &v->sched;
		struct pcpu *home = part.home[i] < part.nr_pcpus ? pool->pcpus[part.home[i]] : NULL;
		bool joined = !sv->home || !pcpu_member(pool, sv->home) || sv->pool != pool;

		if (sv->running_on) { /* charge up to now under the old plan */
			charge(sv, sv->since, now);
			sv->since = now;
		}
		sv->pool = pool;
		if (!has_reservation(sv))
			sv->priv.dynamic.remaining = 0;
		else if (home != sv->home ? !cbs_fits(sv, now)
					  : sv->priv.dynamic.remaining > sv->params.budget ||
						sv->priv.dynamic.deadline > now + sv->params.period)
			cbs_new_period(sv,
				       now); /* moved or retuned: restart within its bandwidth */
		if (joined && sv->queued && have_vt && sv->priv.dynamic.slack_vtime < vt)
			sv->priv.dynamic.slack_vtime = vt;
		sv->home = home;
		sv->queue = stand_in(pool, home); /* every pCPU of the pool re-picks next (the
						     core's part) */
	}
}

/* pcpu left the pool or is away: charge what it ran; that vCPU, and every one waiting in
 * pcpu's queue, waits for another pCPU of the pool. */
static struct pcpu *dynamic_release(struct pool *pool, struct pcpu *pcpu, uint64_t now)
{
	struct vcpu *prev = pcpu->sched.running;
	struct pcpu *kick = NULL;

	pcpu->sched.running = NULL;
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *v = pool->vcpus[i];

		if (v != prev && waiting(v) && v->sched.queue == pcpu && vcpu_schedulable(v))
			(void)place(pool, v); /* away: its stand-in (the core kicks them all) */
	}
	if (!prev)
		return NULL;
	charge(&prev->sched, prev->sched.since, now);
	prev->sched.running_on = NULL;
	if (!vcpu_schedulable(prev)) {
		prev->sched.queued = false;
		return NULL;
	}
	kick = place(pool, prev);
	return kick;
}

static void dynamic_figures(const struct vcpu *vcpu, struct sched_vcpu_figures *out)
{
	out->deadline_misses = vcpu->sched.priv.dynamic.deadline_misses;
	out->slack_vtime = vcpu->sched.priv.dynamic.slack_vtime;
}

/* WFI always traps (an idle vCPU blocks and gives its pCPU up), WFE yields, and a dynamic
 * pool's pCPUs may take the hypervisor's interrupts. */
const struct sched_ops sched_dynamic_ops = {
    .name = "dynamic",
    .flags = SCHED_TRAPS_WFE | SCHED_HOSTS_HYP_IRQS,
    .admit = dynamic_admit,
    .replan = dynamic_replan,
    .wake = dynamic_wake,
    .pick = dynamic_pick,
    .yield = dynamic_yield,
    .release = dynamic_release,
    .figures = dynamic_figures,
};
