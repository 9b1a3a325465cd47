/* clang-format off */ /* unit-sources: hypervisor/sched/dynamic.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c */
/* clang-format on */
/*
 * The dynamic scheduler over a simulated clock. A small simulator plays the core: N pCPUs,
 * vCPUs that are CPU-bound or run/block on a pattern, time advancing to the next event (a
 * pCPU's next_decision, a wake, a vCPU blocking), pick() on every pCPU that is due or kicked,
 * wake() for woken vCPUs, the kicks the scheduler asks for, and admit()+replan() for changes.
 * The simulator keeps its own run-time accounting to check the scheduler's promises, and
 * after every operation it checks liveness (sched.h): a pCPU whose queue holds a waiting
 * vCPU has a decision due or a kick pending — what the core's liveness net watches for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tandem/errno.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/sched.h>
#include <tandem/vcpu.h>

/* The fake arch links a few core symbols through (fakes/fake_pcpu.c); the scheduler needs none
 * of them. */

#define NP    4
#define NV    12
#define SLICE 1000 /* ticks */
#define NEVER SCHED_NEVER

struct sim {
	struct pool pool;
	unsigned nr_v;
	struct vcpu v[NV];
	uint64_t now;
	uint64_t due[NP];
	bool kick[NP];
	bool member[NP];
	/* behaviour: run_len 0 = CPU-bound; else run run_len, then sleep sleep_len */
	uint64_t run_len[NV], sleep_len[NV];
	uint64_t burst_left[NV], wake_at[NV];
	uint64_t ran[NV]; /* simulator-side run time */
	/* per-period check for vCPUs with a reservation (period windows from time 0) */
	bool check_windows;
	uint64_t window_end[NV], window_start_ran[NV];
	unsigned short_windows;
	unsigned picks;
	unsigned liveness_checks;
	/* random behaviour: bursts and sleeps drawn around run_len/sleep_len, some yields */
	bool random;
	uint64_t seed;
	unsigned yields;
};

static struct sim S;

static struct pcpu *P(unsigned i)
{
	return &pcpus[i];
}

static void sim_init(unsigned np)
{
	memset(&S, 0, sizeof(S));
	memset(pcpus, 0, sizeof(pcpus));
	S.pool.name = "pool0";
	S.pool.ops = &sched_dynamic_ops;
	S.pool.slice = SLICE;
	for (unsigned i = 0; i < np; i++) {
		pcpus[i].index = i;
		pcpus[i].sched.pool = &S.pool;
		S.pool.pcpus[S.pool.nr_pcpus++] = &pcpus[i];
		S.member[i] = true;
		S.due[i] = NEVER;
	}
	for (unsigned i = np; i < NP; i++) {
		pcpus[i].index = i;
		S.due[i] = NEVER;
	}
}

/* Adds a vCPU through admit + replan, as the core would at boot; returns admit()'s result. */
static int sim_add(uint64_t budget, uint64_t period, uint32_t weight, uint64_t run_len,
		   uint64_t sleep_len)
{
	struct vcpu *v = &S.v[S.nr_v];
	struct vcpu *const join[1] = {v};
	struct sched_change change = {.join = join, .nr_join = 1};
	char why[96];
	int err;

	memset(v, 0, sizeof(*v));
	v->id = S.nr_v;
	v->state = VCPU_OFF;
	v->sched.params = (struct sched_params){budget, period, weight};
	err = sched_dynamic_ops.admit(&S.pool, &change, why, sizeof(why));
	if (err)
		return err;
	S.run_len[S.nr_v] = run_len;
	S.sleep_len[S.nr_v] = sleep_len;
	S.wake_at[S.nr_v] = NEVER; /* off until woken */
	S.pool.vcpus[S.pool.nr_vcpus++] = v;
	S.nr_v++;
	sched_dynamic_ops.replan(&S.pool, S.now);
	return 0;
}

static void kick(struct pcpu *p)
{
	if (p)
		S.kick[p->index] = true;
}

static uint64_t sim_rand(uint64_t below)
{
	S.seed = S.seed * 6364136223846793005ull + 1442695040888963407ull;
	return (S.seed >> 33) % below;
}

/* Around len: 1 .. 2 * len. */
static uint64_t draw(uint64_t len)
{
	return S.random && len ? 1 + sim_rand(2 * len) : len;
}

/*
 * Liveness after an operation (and the kicks it asked for): every waiting schedulable vCPU
 * sits in the queue of a pCPU of the pool that has a decision due or a kick pending.
 */
static void check_liveness(const char *after)
{
	S.liveness_checks++;
	for (unsigned i = 0; i < S.nr_v; i++) {
		const struct vcpu *v = &S.v[i];
		const struct pcpu *q = v->sched.queue;

		if (!v->sched.queued || v->sched.running_on || !vcpu_schedulable(v))
			continue;
		if (!q || !S.member[q->index])
			fail_msg("after %s at %llu: vCPU %u waits in no pCPU's queue", after,
				 (unsigned long long)S.now, i);
		else if (S.due[q->index] == NEVER && !S.kick[q->index])
			fail_msg("after %s at %llu: vCPU %u waits in pCPU %u's queue, which has no "
				 "decision due and no kick pending",
				 after, (unsigned long long)S.now, i, q->index);
	}
}

/* Once every kicked or due pCPU has picked: no pCPU of the pool idles while a vCPU waits. */
static void check_work_conserving(void)
{
	for (unsigned p = 0; p < NP; p++) {
		if (!S.member[p] || pcpus[p].sched.running)
			continue;
		for (unsigned i = 0; i < S.nr_v; i++)
			if (S.v[i].sched.queued && vcpu_schedulable(&S.v[i]))
				assert_non_null(S.v[i].sched.running_on);
	}
}

static void sim_wake(unsigned i)
{
	S.v[i].state = VCPU_RUNNABLE;
	S.burst_left[i] = draw(S.run_len[i]);
	S.wake_at[i] = NEVER;
	kick(sched_dynamic_ops.wake(&S.pool, &S.v[i], S.now));
	check_liveness("wake");
}

static void sim_start_all(void)
{
	for (unsigned i = 0; i < S.nr_v; i++) {
		S.window_end[i] = S.v[i].sched.params.period;
		sim_wake(i);
	}
}

static void check_invariants(void)
{
	for (unsigned i = 0; i < S.nr_v; i++) {
		const struct pcpu *on = S.v[i].sched.running_on;

		if (on) {
			assert_ptr_equal(on->sched.running, &S.v[i]);
			assert_int_equal(S.v[i].state, VCPU_RUNNABLE);
		}
	}
	for (unsigned p = 0; p < NP; p++)
		if (pcpus[p].sched.running)
			assert_ptr_equal(pcpus[p].sched.running->sched.running_on, &pcpus[p]);
}

/* Re-picks every kicked or due pCPU, and kicks the pCPU each pick asks for. */
static void sim_repick(void)
{
	for (unsigned round = 0; round < 4 * NP; round++) {
		bool any = false;

		for (unsigned p = 0; p < NP; p++) {
			if (!S.kick[p] && S.due[p] > S.now)
				continue;
			S.kick[p] = false;
			any = true;
			uint64_t next = 0;
			struct pcpu *k = NULL;
			struct vcpu *v =
			    sched_dynamic_ops.pick(&S.pool, &pcpus[p], S.now, &next, &k);

			S.picks++;
			assert_true(next > S.now);
			assert_ptr_not_equal(k, &pcpus[p]);
			S.due[p] = next;
			kick(k);
			if (!S.member[p]) {
				assert_null(v);
				assert_int_equal(next, NEVER);
			}
			check_liveness("pick");
		}
		if (!any) {
			check_invariants();
			check_work_conserving();
			return;
		}
	}
	fail_msg("re-picks did not settle at %llu", (unsigned long long)S.now);
}

/* Runs the simulation until time end. */
static void sim_run(uint64_t end)
{
	sim_repick();
	while (S.now < end) {
		uint64_t t = end;

		for (unsigned p = 0; p < NP; p++)
			t = MIN(t, S.due[p]);
		for (unsigned i = 0; i < S.nr_v; i++) {
			t = MIN(t, S.wake_at[i]);
			if (S.v[i].sched.running_on && S.run_len[i])
				t = MIN(t, S.now + S.burst_left[i]);
			if (S.check_windows && S.v[i].sched.params.budget)
				t = MIN(t, S.window_end[i]);
		}
		uint64_t dt = t - S.now;

		for (unsigned i = 0; i < S.nr_v; i++) {
			if (!S.v[i].sched.running_on)
				continue;
			S.ran[i] += dt;
			if (S.run_len[i])
				S.burst_left[i] -= dt;
		}
		S.now = t;
		for (unsigned i = 0; i < S.nr_v; i++) {
			struct vcpu *v = &S.v[i];

			if (S.check_windows && v->sched.params.budget && S.window_end[i] == t) {
				if (S.ran[i] - S.window_start_ran[i] < v->sched.params.budget)
					S.short_windows++;
				S.window_start_ran[i] = S.ran[i];
				S.window_end[i] += v->sched.params.period;
			}
			if (v->sched.running_on && S.run_len[i] && S.burst_left[i] == 0) {
				if (S.random && sim_rand(4) == 0) { /* WFE: let another go first */
					S.yields++;
					S.burst_left[i] = draw(S.run_len[i]);
					sched_dynamic_ops.yield(&S.pool, v, t);
					kick(v->sched.running_on);
					check_liveness("yield");
					continue;
				}
				v->state = VCPU_BLOCKED;
				S.wake_at[i] = t + draw(S.sleep_len[i]);
				kick(v->sched.running_on);
			}
		}
		for (unsigned i = 0; i < S.nr_v; i++)
			if (S.wake_at[i] == t && S.v[i].state == VCPU_BLOCKED)
				sim_wake(i);
		sim_repick();
	}
}

/* The core's side of a change: admit, apply, replan, re-pick everywhere. */
static int sim_change(const struct sched_change *change, char *why, size_t why_len)
{
	int err = sched_dynamic_ops.admit(&S.pool, change, why, why_len);

	if (err)
		return err;
	if (change->retune)
		change->retune->sched.params = *change->params;
	if (change->add_pcpu) {
		struct pcpu *p = &pcpus[change->add_pcpu->index];
		unsigned n = 0;

		p->sched.pool = &S.pool;
		S.member[p->index] = true;
		for (unsigned i = 0; i < NP; i++)
			if (S.member[i])
				S.pool.pcpus[n++] = &pcpus[i];
		S.pool.nr_pcpus = n;
	}
	if (change->drop_pcpu) {
		unsigned n = 0;

		S.member[change->drop_pcpu->index] = false;
		for (unsigned i = 0; i < NP; i++)
			if (S.member[i])
				S.pool.pcpus[n++] = &pcpus[i];
		S.pool.nr_pcpus = n;
	}
	sched_dynamic_ops.replan(&S.pool, S.now);
	for (unsigned p = 0; p < NP; p++)
		S.kick[p] = true;
	check_liveness("replan");
	if (change->drop_pcpu) {
		/* the leaving pCPU hands back what it ran at its next decision (sched/pick.c:
		 * pool_pick_next) */
		struct pcpu *p = &pcpus[change->drop_pcpu->index];

		kick(sched_dynamic_ops.release(&S.pool, p, S.now));
		S.due[p->index] = NEVER;
		check_liveness("release");
	}
	sim_repick();
	for (unsigned i = 0; i < S.nr_v; i++)
		if (S.v[i].sched.home)
			assert_true(S.member[S.v[i].sched.home->index]);
	return 0;
}

static uint64_t sched_ran(unsigned i)
{
	return S.v[i].sched.priv.dynamic.budget_ran + S.v[i].sched.priv.dynamic.slack_ran;
}

/* Share of time t in percent * 100 (basis points). */
static unsigned bp(uint64_t ran, uint64_t t)
{
	return (unsigned)(ran * 10000 / t);
}

/* --- Tests --- */

/* Reservations totalling 190% of a 2-pCPU pool (185% CPU-bound, 5% blocking), different periods,
 * plus a slack-only vCPU. */
static void feasible_set_meets_every_deadline(void **state)
{
	(void)state;
	sim_init(2);
	assert_int_equal(sim_add(6000, 10000, 256, 0, 0), 0);	  /* 60% */
	assert_int_equal(sim_add(2500, 5000, 256, 0, 0), 0);	  /* 50% */
	assert_int_equal(sim_add(4500, 10000, 256, 0, 0), 0);	  /* 45% */
	assert_int_equal(sim_add(6000, 20000, 256, 0, 0), 0);	  /* 30% */
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);		  /* slack only */
	assert_int_equal(sim_add(500, 10000, 256, 700, 4300), 0); /* 5%, blocks */
	S.check_windows = true;
	sim_start_all();
	/* the blocking one's CBS periods restart on wake: only CPU-bound ones have fixed windows */
	S.window_end[5] = NEVER;
	sim_run(1000000);

	for (unsigned i = 0; i < S.nr_v; i++) {
		assert_int_equal(S.v[i].sched.priv.dynamic.deadline_misses, 0);
		assert_int_equal(sched_ran(i), S.ran[i]);
	}
	assert_int_equal(S.short_windows, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_true(S.v[i].sched.priv.dynamic.budget_ran >=
			    1000000 / S.v[i].sched.params.period * S.v[i].sched.params.budget);
	/* the rest (~2 * 100% - 190% - what the blocking one takes) goes to the slack-only one */
	assert_true(S.ran[4] > 0);
	uint64_t total = 0;
	for (unsigned i = 0; i < S.nr_v; i++)
		total += S.ran[i];
	assert_int_equal(total, 2 * 1000000); /* work-conserving: no pCPU idled */
	print_message("feasible 190%%/200%%: 0 misses; slack-only vCPU got %u.%02u%%, blocking "
		      "one %u.%02u%% (budget %u.%02u%%)\n",
		      bp(S.ran[4], 1000000) / 100, bp(S.ran[4], 1000000) % 100,
		      bp(S.ran[5], 1000000) / 100, bp(S.ran[5], 1000000) % 100,
		      bp(S.v[5].sched.priv.dynamic.budget_ran, 1000000) / 100,
		      bp(S.v[5].sched.priv.dynamic.budget_ran, 1000000) % 100);
}

static void infeasible_change_is_refused(void **state)
{
	char why[96];
	struct sched_vcpu before[NV];

	(void)state;
	sim_init(2);
	assert_int_equal(sim_add(6000, 10000, 256, 0, 0), 0);
	assert_int_equal(sim_add(5000, 10000, 256, 0, 0), 0);
	assert_int_equal(sim_add(4500, 10000, 256, 0, 0), 0);
	assert_int_equal(sim_add(3500, 10000, 256, 0, 0), 0);
	sim_start_all();
	sim_run(25000);
	for (unsigned i = 0; i < S.nr_v; i++)
		before[i] = S.v[i].sched;

	/* joining 30% more: no pCPU has room (each is at 95%) */
	struct vcpu extra;
	struct vcpu *const join[1] = {&extra};
	memset(&extra, 0, sizeof(extra));
	extra.sched.params = (struct sched_params){3000, 10000, 256};
	struct sched_change c = {.join = join, .nr_join = 1};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &c, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "pCPU 0 would be 125% reserved (EDF, first-fit decreasing: max "
				 "100%)");
	/* budget > period, no period, weight out of range */
	extra.sched.params = (struct sched_params){3000, 2000, 256};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &c, why, sizeof(why)), -ERR_INVAL);
	assert_string_equal(why, "budget > period");
	extra.sched.params = (struct sched_params){3000, 0, 256};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &c, why, sizeof(why)), -ERR_INVAL);
	assert_string_equal(why, "a budget needs a period > 0");
	extra.sched.params = (struct sched_params){0, 0, 0};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &c, why, sizeof(why)), -ERR_INVAL);
	assert_string_equal(why, "weight 0 out of 1..65535");
	extra.sched.params = (struct sched_params){0, 0, 70000};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &c, why, sizeof(why)), -ERR_INVAL);
	/* retuning one vCPU over the top */
	struct sched_params big = {8000, 10000, 256};
	struct sched_change r = {.retune = &S.v[3], .params = &big};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &r, why, sizeof(why)), -ERR_BUSY);
	/* dropping a pCPU: 190% cannot fit on one */
	struct sched_change d = {.drop_pcpu = P(1)};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &d, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "pCPU 0 would be 110% reserved (EDF, first-fit decreasing: max "
				 "100%)");
	struct sched_change d2 = {.drop_pcpu = P(2)};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &d2, why, sizeof(why)), -ERR_INVAL);
	assert_string_equal(why, "pCPU 2 is not in the pool");
	struct sched_change a = {.add_pcpu = P(0)};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &a, why, sizeof(why)), -ERR_INVAL);

	/* refusals changed nothing */
	for (unsigned i = 0; i < S.nr_v; i++)
		assert_memory_equal(&before[i], &S.v[i].sched, sizeof(before[i]));

	/* a pool emptied of pCPUs */
	sim_init(1);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	struct sched_change d3 = {.drop_pcpu = P(0)};
	assert_int_equal(sched_dynamic_ops.admit(&S.pool, &d3, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "a pool with no pCPUs cannot run its vCPUs");
	/* exactly 100% is admitted */
	sim_init(1);
	assert_int_equal(sim_add(5000, 10000, 256, 0, 0), 0);
	assert_int_equal(sim_add(2500, 5000, 256, 0, 0), 0);
	assert_int_equal(sim_add(1, 3, 256, 0, 0), -ERR_BUSY); /* rounded up: 333334 ppm */
}

static void run_cpu_bound(unsigned np, const uint32_t *weights, unsigned n, uint64_t t)
{
	sim_init(np);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sim_add(0, 0, weights[i], 0, 0), 0);
	sim_start_all();
	sim_run(t);
}

static void slack_is_shared_by_weight(void **state)
{
	static const uint32_t w[] = {100, 200, 300};
	static const uint32_t w4[] = {100, 100, 300, 300};
	const uint64_t t = 600 * SLICE;

	(void)state;
	run_cpu_bound(1, w, 3, t);
	for (unsigned i = 0; i < 3; i++) {
		unsigned want = 10000 * w[i] / 600, got = bp(S.ran[i], t);

		print_message("1 pCPU, weight %u: %u.%02u%% (ideal %u.%02u%%)\n", w[i], got / 100,
			      got % 100, want / 100, want % 100);
		assert_true(got + 100 >= want && got <= want + 100);
	}
	/* 2 pCPUs: 1:1:3:3 -> 25%, 25%, 75%, 75% of a pCPU */
	run_cpu_bound(2, w4, 4, t);
	for (unsigned i = 0; i < 4; i++) {
		unsigned want = 10000 * 2 * w4[i] / 800, got = bp(S.ran[i], t);

		print_message("2 pCPUs, weight %u: %u.%02u%% of one pCPU (ideal %u.%02u%%)\n",
			      w4[i], got / 100, got % 100, want / 100, want % 100);
		assert_true(got + 200 >= want && got <= want + 200);
	}
}

static void four_on_two_get_a_quarter_each(void **state)
{
	static const uint32_t w[] = {256, 256, 256, 256};
	const uint64_t t = 1000 * SLICE;

	(void)state;
	run_cpu_bound(2, w, 4, t);
	for (unsigned i = 0; i < 4; i++) {
		unsigned got = bp(S.ran[i], 2 * t);

		print_message("4 on 2, vCPU %u: %u.%02u%% of the pool\n", i, got / 100, got % 100);
		assert_true(got >= 2300 && got <= 2700);
	}
}

static void blocked_vcpu_consumes_nothing(void **state)
{
	(void)state;
	sim_init(1);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);		     /* CPU-bound */
	assert_int_equal(sim_add(2000, 10000, 256, 3000, 50000), 0); /* runs 3000, sleeps 50000 */
	sim_start_all();
	/* run until B blocks, then through its sleep */
	while (S.v[1].state != VCPU_BLOCKED)
		sim_run(S.now + 100);
	uint64_t blocked_at = S.now, b_ran = S.ran[1], b_sched = sched_ran(1), a_ran = S.ran[0];
	sim_run(blocked_at + 40000);
	assert_int_equal(S.v[1].state, VCPU_BLOCKED);
	assert_int_equal(S.ran[1], b_ran);
	assert_int_equal(sched_ran(1), b_sched);
	assert_int_equal(S.v[1].sched.priv.dynamic.budget_ran + S.v[1].sched.priv.dynamic.slack_ran,
			 b_sched);
	assert_int_equal(S.ran[0] - a_ran, 40000); /* the other one got the pCPU */
	/* alone on the pCPU while B sleeps: no timer */
	assert_int_equal(S.due[0], NEVER);
	/* B wakes after its sleep and is served on its new CBS period */
	sim_run(blocked_at + 60000);
	assert_true(S.ran[1] > b_ran);
	assert_int_equal(S.v[1].sched.priv.dynamic.deadline_misses, 0);
}

static void idle_pcpu_steals_a_waiting_vcpu(void **state)
{
	(void)state;
	sim_init(2);
	/* three CPU-bound vCPUs: two homed on one pCPU, one on the other, which sleeps a lot */
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	assert_int_equal(sim_add(0, 0, 256, 1000, 9000), 0);
	unsigned lonely = 0; /* the vCPU alone on its home pCPU */
	for (unsigned i = 0; i < 3; i++) {
		unsigned same = 0;
		for (unsigned j = 0; j < 3; j++)
			same += S.v[j].sched.home == S.v[i].sched.home;
		if (same == 1)
			lonely = i;
	}
	S.run_len[lonely] = 1000;
	S.sleep_len[lonely] = 9000;
	for (unsigned i = 0; i < 3; i++)
		if (i != lonely) {
			S.run_len[i] = 0;
			S.sleep_len[i] = 0;
		}
	sim_start_all();
	sim_run(500000);
	uint64_t total = S.ran[0] + S.ran[1] + S.ran[2];
	print_message("work conservation: pool busy %u.%02u%% of 2 pCPUs, sleeper ran %u.%02u%%\n",
		      bp(total, 2 * 500000) / 100, bp(total, 2 * 500000) % 100,
		      bp(S.ran[lonely], 500000) / 100, bp(S.ran[lonely], 500000) % 100);
	assert_int_equal(total, 2 * 500000); /* never an idle pCPU with a waiting vCPU */
}

static void migration_keeps_guarantees(void **state)
{
	char why[96];

	(void)state;
	sim_init(2);
	assert_int_equal(sim_add(6000, 10000, 256, 0, 0), 0);	  /* 60% */
	assert_int_equal(sim_add(2500, 5000, 256, 0, 0), 0);	  /* 50% */
	assert_int_equal(sim_add(4000, 10000, 256, 0, 0), 0);	  /* 40% */
	assert_int_equal(sim_add(7000, 20000, 256, 0, 0), 0);	  /* 35% */
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);		  /* slack */
	assert_int_equal(sim_add(0, 0, 512, 0, 0), 0);		  /* slack */
	assert_int_equal(sim_add(500, 10000, 256, 700, 4300), 0); /* 5%, blocks */
	sim_start_all();
	sim_run(100000);

	/* a third pCPU joins: reservations re-partition, nothing misses */
	struct sched_change add = {.add_pcpu = P(2)};
	assert_int_equal(sim_change(&add, why, sizeof(why)), 0);
	sim_run(200000);
	unsigned on_new = 0;
	for (unsigned i = 0; i < S.nr_v; i++)
		on_new += S.v[i].sched.home == P(2);
	assert_true(on_new > 0);

	/* a retune grows one reservation to 90% (fits with 3 pCPUs) */
	struct sched_params bigger = {9000, 10000, 256};
	struct sched_change retune = {.retune = &S.v[2], .params = &bigger};
	assert_int_equal(sim_change(&retune, why, sizeof(why)), 0);
	sim_run(300000);

	/* pCPU 0 leaves: 60+50+90+35+5 = 240% no longer fits on 2: refused, nothing changes */
	struct sched_change drop = {.drop_pcpu = P(0)};
	assert_int_equal(sim_change(&drop, why, sizeof(why)), -ERR_BUSY);
	/* shrink back, then pCPU 0 may leave while everything runs */
	struct sched_params smaller = {3000, 10000, 256};
	retune.params = &smaller;
	assert_int_equal(sim_change(&retune, why, sizeof(why)), 0);
	sim_run(400000);
	assert_int_equal(sim_change(&drop, why, sizeof(why)), 0);
	assert_null(pcpus[0].sched.running);
	for (unsigned i = 0; i < S.nr_v; i++)
		assert_ptr_not_equal(S.v[i].sched.home, P(0));
	sim_run(600000);

	uint64_t total = 0;
	for (unsigned i = 0; i < S.nr_v; i++) {
		assert_int_equal(S.v[i].sched.priv.dynamic.deadline_misses, 0);
		assert_int_equal(sched_ran(i), S.ran[i]);
		total += S.ran[i];
	}
	/* CPU-bound reservations got their budget in every period but the few around a change
	 * (a moved vCPU starts a new CBS period) */
	assert_true(S.v[0].sched.priv.dynamic.budget_ran >= 60 * 6000 - 3 * 6000);
	assert_true(S.v[1].sched.priv.dynamic.budget_ran >= 120 * 2500 - 3 * 2500);
	assert_true(S.v[3].sched.priv.dynamic.budget_ran >= 30 * 7000 - 3 * 7000);
	/* 2 pCPUs for 100k, 3 for 300k, 2 for 200k: all busy */
	assert_int_equal(total, 2 * 100000 + 3 * 300000 + 2 * 200000);
}

static void no_timer_with_one_runnable_vcpu(void **state)
{
	uint64_t next = 0;
	struct pcpu *k = NULL;

	(void)state;
	sim_init(2);
	assert_int_equal(sim_add(3000, 10000, 256, 0, 0), 0);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	S.v[0].state = VCPU_RUNNABLE;
	assert_non_null(sched_dynamic_ops.wake(&S.pool, &S.v[0], 0));
	S.v[1].state = VCPU_RUNNABLE;
	assert_non_null(sched_dynamic_ops.wake(&S.pool, &S.v[1], 0));
	struct pcpu *h0 = S.v[0].sched.home, *h1 = S.v[1].sched.home;
	assert_ptr_not_equal(h0, h1);
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, h0, 0, &next, &k), &S.v[0]);
	assert_int_equal(next, NEVER); /* alone, even with a reservation: nothing to decide */
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, h1, 0, &next, &k), &S.v[1]);
	assert_int_equal(next, NEVER);
	/* much later (budget long exhausted, periods rolled over): still alone, still no timer */
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, h0, 1000000, &next, &k), &S.v[0]);
	assert_int_equal(next, NEVER);
	assert_int_equal(S.v[0].sched.priv.dynamic.deadline_misses, 0);
	assert_int_equal(S.v[0].sched.priv.dynamic.budget_ran, 100 * 3000);
	assert_int_equal(S.v[0].sched.priv.dynamic.slack_ran, 1000000 - 100 * 3000);

	/* a third vCPU (no reservation) joins h1's side and wakes: h1 must re-pick and slice */
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	struct pcpu *h2 = S.v[2].sched.home;
	S.v[2].state = VCPU_RUNNABLE;
	assert_ptr_equal(sched_dynamic_ops.wake(&S.pool, &S.v[2], 1000000), h2);
	struct vcpu *got = sched_dynamic_ops.pick(&S.pool, h2, 1000000, &next, &k);
	assert_non_null(got);
	assert_true(next != NEVER && next <= 1000000 + SLICE);
}

static void yield_lets_another_run(void **state)
{
	uint64_t next = 0;
	struct pcpu *k = NULL;

	(void)state;
	sim_init(1);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	S.v[0].state = S.v[1].state = VCPU_RUNNABLE;
	sched_dynamic_ops.wake(&S.pool, &S.v[0], 0);
	sched_dynamic_ops.wake(&S.pool, &S.v[1], 0);
	struct vcpu *first = sched_dynamic_ops.pick(&S.pool, P(0), 0, &next, &k);
	assert_int_equal(next, SLICE);
	struct vcpu *other = first == &S.v[0] ? &S.v[1] : &S.v[0];
	/* the first yields right away (no time charged): the other goes next */
	sched_dynamic_ops.yield(&S.pool, first, 0);
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, P(0), 0, &next, &k), other);
	assert_null(first->sched.running_on);
	assert_ptr_equal(other->sched.running_on, P(0));

	/* a waiting vCPU whose VM stops leaves the queue and is never picked */
	first->state = VCPU_STOPPED;
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, P(0), 500, &next, &k), other);
	assert_false(first->sched.queued);
	assert_int_equal(next, NEVER);
}

/* Finds the n-th vCPU (from 0) homed on pCPU p. */
static unsigned homed_on(unsigned p, unsigned n)
{
	for (unsigned i = 0; i < S.nr_v; i++)
		if (S.v[i].sched.home == P(p) && n-- == 0)
			return i;
	fail_msg("no vCPU %u homed on pCPU %u", n, p);
	return 0;
}

/*
 * What made the core's liveness net fire ~100-160 times per overcommitted Linux boot: at a
 * guest timer tick (Linux's ticks line up across its CPUs) w wakes while its home pCPU 1 runs
 * x alone with no timer, so it is handed to idle pCPU 0; in the same instant pCPU 0's own v
 * wakes. pCPU 0 runs v, and w must still be counted by pCPU 0's decision (it waits in its
 * queue): before, only vCPUs homed on a pCPU counted there, so both pCPUs said "no decision
 * due" and w waited for good.
 */
static void handed_over_vcpu_is_not_forgotten(void **state)
{
	(void)state;
	sim_init(2);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	unsigned v = homed_on(0, 0), x = homed_on(1, 0), w = homed_on(1, 1);

	sim_wake(x);
	sim_repick();
	assert_ptr_equal(S.v[x].sched.running_on, P(1));
	assert_int_equal(S.due[1], NEVER);
	sim_wake(w); /* its home is busy, pCPU 0 idles: handed to pCPU 0 */
	assert_ptr_equal(S.v[w].sched.queue, P(0));
	assert_true(S.kick[0]);
	assert_false(S.kick[1]);
	sim_wake(v); /* pCPU 0's own vCPU, in the same instant */
	sim_repick();
	assert_true(S.due[0] != NEVER && S.due[0] <= S.now + SLICE); /* v and w share pCPU 0 */
	sim_run(200 * SLICE);
	/* no pCPU idled, and each of the three got a fair part of the two pCPUs */
	assert_int_equal(S.ran[v] + S.ran[w] + S.ran[x], 2 * 200 * SLICE);
	assert_true(S.ran[v] > 50 * SLICE && S.ran[w] > 50 * SLICE && S.ran[x] > 50 * SLICE);
}

/*
 * Two wake-ups while one pCPU idles: the idle one takes one vCPU, the next goes to its busy
 * home, which arms a slice. A pCPU that picks its own vCPU over a stolen one hands the stolen
 * one back to its home's queue and names that pCPU.
 */
static void wakeups_never_share_an_idle_pcpu(void **state)
{
	(void)state;
	sim_init(2);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(sim_add(0, 0, 256, 0, 0), 0);
	unsigned a = homed_on(0, 0), b = homed_on(0, 1), c = homed_on(0, 2), d = homed_on(1, 0);

	sim_wake(a);
	sim_repick();
	assert_ptr_equal(S.v[a].sched.running_on, P(0));
	assert_int_equal(S.due[0], NEVER); /* alone: no timer */
	assert_null(pcpus[1].sched.running);

	sim_wake(b); /* home busy, pCPU 1 idle: handed to pCPU 1 */
	assert_true(S.kick[1]);
	assert_false(S.kick[0]);
	assert_ptr_equal(S.v[b].sched.queue, P(1));
	sim_wake(c); /* pCPU 1 already has one to take: back to its home, which must decide */
	assert_true(S.kick[0]);
	assert_ptr_equal(S.v[c].sched.queue, P(0));
	sim_repick();
	assert_ptr_equal(S.v[b].sched.running_on, P(1));
	assert_true(S.due[0] != NEVER && S.due[0] <= S.now + SLICE); /* a and c share pCPU 0 */

	/* pCPU 1's own vCPU wakes: it runs there, and the stolen b goes back to pCPU 0's queue,
	 * whose pCPU is named by the pick that set b aside */
	S.now += 10;
	sim_wake(d);
	assert_true(S.kick[1]);
	S.kick[0] = false; /* whatever pCPU 0 was asked before: the pick below must ask again */
	S.due[0] = NEVER;
	uint64_t next = 0;
	struct pcpu *k = NULL;
	assert_ptr_equal(sched_dynamic_ops.pick(&S.pool, P(1), S.now, &next, &k), &S.v[d]);
	S.kick[1] = false;
	S.due[1] = next;
	assert_ptr_equal(k, P(0));
	assert_ptr_equal(S.v[b].sched.queue, P(0));
	kick(k);
	check_liveness("set aside");
	sim_run(S.now + 100 * SLICE);
	print_message("liveness: %u checks, %u picks\n", S.liveness_checks, S.picks);
}

/*
 * Liveness and work conservation under random load: 9 vCPUs (reservations, weights from 64 to
 * 1024, CPU-bound ones, sleepers, yielders) on 2-4 pCPUs that join and leave while they run,
 * and reservations retuned. Every operation is followed by the liveness check; every settled
 * round by the work-conservation check.
 */
static void liveness_under_random_load_and_migration(void **state)
{
	char why[96];

	(void)state;
	sim_init(3);
	S.random = true;
	S.seed = 20261125;
	assert_int_equal(sim_add(3000, 10000, 256, 2000, 3000), 0); /* 30%, sleeps */
	assert_int_equal(sim_add(1000, 5000, 256, 500, 1500), 0);   /* 20%, sleeps */
	assert_int_equal(sim_add(0, 0, 128, 0, 0), 0);		    /* CPU-bound */
	assert_int_equal(sim_add(0, 0, 256, 300, 700), 0);
	assert_int_equal(sim_add(0, 0, 512, 5000, 2000), 0);
	assert_int_equal(sim_add(0, 0, 256, 0, 0), 0); /* CPU-bound */
	assert_int_equal(sim_add(0, 0, 1024, 1500, 6000), 0);
	assert_int_equal(sim_add(0, 0, 64, 100, 100), 0);
	assert_int_equal(sim_add(2000, 20000, 300, 800, 1200), 0); /* 10%, sleeps */
	sim_start_all();
	sim_run(300000);

	struct sched_change add3 = {.add_pcpu = P(3)};
	assert_int_equal(sim_change(&add3, why, sizeof(why)), 0);
	sim_run(600000);
	struct sched_change drop0 = {.drop_pcpu = P(0)};
	assert_int_equal(sim_change(&drop0, why, sizeof(why)), 0);
	sim_run(900000);
	struct sched_params reserve = {4000, 10000, 128};
	struct sched_change retune = {.retune = &S.v[2], .params = &reserve};
	assert_int_equal(sim_change(&retune, why, sizeof(why)), 0);
	sim_run(1200000);
	struct sched_change drop1 = {.drop_pcpu = P(1)};
	assert_int_equal(sim_change(&drop1, why, sizeof(why)), 0);
	sim_run(1500000);
	struct sched_change add0 = {.add_pcpu = P(0)}, add1 = {.add_pcpu = P(1)};
	assert_int_equal(sim_change(&add0, why, sizeof(why)), 0);
	assert_int_equal(sim_change(&add1, why, sizeof(why)), 0);
	sim_run(2000000);

	for (unsigned i = 0; i < S.nr_v; i++) {
		/* a running vCPU is charged up to its pCPU's last decision */
		uint64_t uncharged = S.v[i].sched.running_on ? S.now - S.v[i].sched.since : 0;

		assert_int_equal(sched_ran(i) + uncharged, S.ran[i]);
		assert_true(S.ran[i] > 0);
	}
	assert_true(S.yields > 100);
	print_message("random load: %u liveness checks after operations, %u picks, %u yields: "
		      "no pCPU ever left a waiting vCPU without a decision\n",
		      S.liveness_checks, S.picks, S.yields);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(feasible_set_meets_every_deadline),
	    cmocka_unit_test(infeasible_change_is_refused),
	    cmocka_unit_test(slack_is_shared_by_weight),
	    cmocka_unit_test(four_on_two_get_a_quarter_each),
	    cmocka_unit_test(blocked_vcpu_consumes_nothing),
	    cmocka_unit_test(idle_pcpu_steals_a_waiting_vcpu),
	    cmocka_unit_test(migration_keeps_guarantees),
	    cmocka_unit_test(no_timer_with_one_runnable_vcpu),
	    cmocka_unit_test(yield_lets_another_run),
	    cmocka_unit_test(handed_over_vcpu_is_not_forgotten),
	    cmocka_unit_test(wakeups_never_share_an_idle_pcpu),
	    cmocka_unit_test(liveness_under_random_load_and_migration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
