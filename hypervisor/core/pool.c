/*
 * CPU pools: building them from the system description, placing VMs in them, and the
 * run-time changes the control hypercalls ask for (a vCPU's reservation, a VM or a pCPU
 * moving to another pool). Every change is validated in full by the pools' admission tests
 * before anything is touched; a refused change leaves no trace.
 *
 * Lock order: pools by index (lower first); a pool lock, then a timer queue lock.
 *
 * A VM move is admitted at once and completed once every vCPU of the VM is off its pCPU; while
 * it is in flight (vm->move_to) every admission test of the target pool counts the VM in.
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/pool.h>
#include <tandem/string.h>
#include <tandem/vm.h>

struct pool pools[MAX_POOLS];
unsigned nr_pools;

uint64_t pool_us_to_ticks(uint64_t us)
{
	return us * arch_counter_freq() / 1000000;
}

uint64_t pool_ticks_to_us(uint64_t ticks)
{
	return ticks * 1000000 / arch_counter_freq();
}

/* After a re-plan homes and timers may have changed: every pCPU of the pool decides anew.
 * Called with the pool's lock held, like every kick that follows a scheduler operation. */
static void resched_pool(const struct pool *pool)
{
	for (unsigned i = 0; i < pool->nr_pcpus; i++)
		pcpu_resched(pool->pcpus[i]);
}

static void lock_two(struct pool *a, struct pool *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a->index < b->index) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void unlock_two(struct pool *a, struct pool *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

static void add_pcpu(struct pool *pool, struct pcpu *p)
{
	unsigned i = pool->nr_pcpus++;

	/* Kept in index order: schedulers partition onto pcpus[] deterministically. */
	while (i > 0 && pool->pcpus[i - 1]->index > p->index) {
		pool->pcpus[i] = pool->pcpus[i - 1];
		i--;
	}
	pool->pcpus[i] = p;
	p->sched.pool = pool;
}

static void remove_pcpu(struct pool *pool, struct pcpu *p)
{
	unsigned i;

	for (i = 0; i < pool->nr_pcpus && pool->pcpus[i] != p; i++)
		;
	for (; i + 1 < pool->nr_pcpus; i++)
		pool->pcpus[i] = pool->pcpus[i + 1];
	pool->nr_pcpus--;
}

static void remove_vcpu(struct pool *pool, struct vcpu *v)
{
	unsigned i;

	for (i = 0; i < pool->nr_vcpus && pool->vcpus[i] != v; i++)
		;
	for (; i + 1 < pool->nr_vcpus; i++)
		pool->vcpus[i] = pool->vcpus[i + 1];
	pool->nr_vcpus--;
}

bool pool_traps_wfi(const struct pool *pool)
{
	return pool->trap_wfi;
}

/* Dynamic pools also trap WFE: a spinning vCPU then lets the lock holder run. */
static void apply_idle_traps(struct vcpu *v)
{
	const struct pool *pool = v->sched.pool;

	arch_vcpu_set_idle_traps(v, pool->trap_wfi, pool->ops != &sched_bind_ops);
}

struct pool *pool_by_name(const char *name)
{
	for (unsigned i = 0; i < nr_pools; i++) {
		if (strcmp(pools[i].name, name) == 0)
			return &pools[i];
	}
	return NULL;
}

void pools_init(const struct cfg_system *cfg)
{
	nr_pools = cfg->nr_pools;
	for (unsigned i = 0; i < nr_pools; i++) {
		const struct cfg_pool *c = &cfg->pools[i];
		struct pool *pool = &pools[i];

		pool->name = c->name;
		pool->index = i;
		pool->ops = c->scheduler == CFG_SCHED_BIND ? &sched_bind_ops : &sched_dynamic_ops;
		/* A bind vCPU idles in hardware unless the pool wants its idle time seen. */
		pool->trap_wfi = c->scheduler == CFG_SCHED_BIND ? c->wfi == CFG_WFI_TRAP : true;
		pool->slice = pool_us_to_ticks(c->slice_us ? c->slice_us : POOL_SLICE_US);
		for (unsigned p = 0; p < nr_pcpus; p++) {
			if (pcpus[p].online && (c->cpus & (1ULL << p)))
				add_pcpu(pool, &pcpus[p]);
		}
	}
}

int pool_join_vm(struct vm *vm, unsigned pool_index)
{
	struct pool *pool = &pools[pool_index];
	const struct cfg_vm *cfg = vm->cfg;
	struct vcpu *join[CFG_MAX_VCPUS];
	struct sched_change change = {.join = join, .nr_join = vm->nr_vcpus};
	char why[CFG_ERR_MAX];
	int err;

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		join[i] = v;
		v->sched.params.budget = pool_us_to_ticks(cfg->budget_us);
		v->sched.params.period = pool_us_to_ticks(cfg->period_us);
		v->sched.params.weight = cfg->weight ? cfg->weight : SCHED_WEIGHT_DEF;
	}
	spin_lock(&pool->lock);
	err = pool->ops->admit(pool, &change, why, sizeof(why));
	if (!err) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			vm->vcpus[i].sched.pool = pool;
			pool->vcpus[pool->nr_vcpus++] = &vm->vcpus[i];
		}
		pool->ops->replan(pool, arch_counter_read());
	}
	spin_unlock(&pool->lock);
	if (err) {
		printk("config: /vms/%s: %s: pool \"%s\" cannot admit it: %s\n", vm->name,
		       cfg->budget_us ? "budget-us" : "pool", pool->name, why);
		return err;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		apply_idle_traps(&vm->vcpus[i]);
	return 0;
}

void pool_wake(struct vcpu *vcpu)
{
	struct pcpu *target = NULL;
	struct pool *pool;

	for (;;) {
		pool = __atomic_load_n(&vcpu->sched.pool, __ATOMIC_ACQUIRE);
		spin_lock(&pool->lock);
		if (vcpu->sched.pool == pool)
			break;
		spin_unlock(&pool->lock); /* it moved meanwhile: lock its new pool */
	}
	/* A held vCPU is being moved: the mover wakes it in its new pool. */
	if (vcpu_schedulable(vcpu))
		target = pool->ops->wake(pool, vcpu, arch_counter_read());
	/* Under the lock: a pick elsewhere must never see the vCPU waiting and its pCPU not
	 * asked to decide (the liveness net would fire). */
	if (target)
		pcpu_resched(target);
	spin_unlock(&pool->lock);
}

void pool_yield(struct vcpu *vcpu)
{
	struct pool *pool = vcpu->sched.pool;

	spin_lock(&pool->lock);
	pool->ops->yield(pool, vcpu, arch_counter_read());
	spin_unlock(&pool->lock);
}

/* ---- run-time control (hypercalls) -------------------------------------------------- */

/*
 * vCPUs admitted into pool by a VM move that has not completed yet: every admission test of
 * the pool counts them as joining, so that what was admitted still fits when they arrive.
 * Appends them to join[n..]; returns the new count. Called with the pool's lock held.
 */
static unsigned pending_joins(const struct pool *pool, struct vcpu **join, unsigned n)
{
	for (unsigned v = 0; v < nr_vms; v++) {
		struct vm *vm = &vms[v];

		if (vm->move_to != pool)
			continue;
		for (unsigned i = 0; i < vm->nr_vcpus && n < POOL_MAX_VCPUS; i++)
			join[n++] = &vm->vcpus[i];
	}
	return n;
}

int pool_set_params(struct vcpu *vcpu, const struct sched_params *params, char *why, size_t why_len)
{
	struct pool *pool = vcpu->sched.pool;
	struct vcpu *join[POOL_MAX_VCPUS];
	struct sched_change change = {.retune = vcpu, .params = params, .join = join};
	int err;

	spin_lock(&pool->lock);
	change.nr_join = pending_joins(pool, join, 0);
	err = pool->ops->admit(pool, &change, why, why_len);
	if (!err) {
		vcpu->sched.params = *params;
		pool->ops->replan(pool, arch_counter_read());
		resched_pool(pool); /* the new plan may move work anywhere in the pool */
	}
	spin_unlock(&pool->lock);
	return err;
}

/* Waits until no pCPU runs or holds any vCPU of vm (they are held, so none is picked). */
static void wait_vm_off_pcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		while (__atomic_load_n(&v->loaded_on, __ATOMIC_ACQUIRE) ||
		       __atomic_load_n(&v->sched.running_on, __ATOMIC_ACQUIRE))
			arch_relax();
	}
}

/* The second half of a VM move: with every vCPU of vm held and kicked, waits until none is
 * on a pCPU, moves them into vm->move_to and lets them run there. */
static void finish_move(struct vm *vm)
{
	struct pool *from = vm->vcpus[0].sched.pool, *to = vm->move_to;

	wait_vm_off_pcpus(vm);
	lock_two(from, to);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		remove_vcpu(from, v);
		v->sched.queued = false;
		v->sched.home = NULL;
		v->sched.queue = NULL;
		__atomic_store_n(&v->sched.pool, to, __ATOMIC_RELEASE);
		to->vcpus[to->nr_vcpus++] = v;
	}
	vm->move_to = NULL;
	__atomic_store_n(&vm->move_caller, NULL, __ATOMIC_RELAXED);
	from->ops->replan(from, arch_counter_read());
	to->ops->replan(to, arch_counter_read());
	resched_pool(from);
	resched_pool(to);
	unlock_two(from, to);

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		apply_idle_traps(v);
		v->held = false;
		/* Runnable ones queue in the new pool; blocked ones wake as interrupts arrive. */
		if (v->state == VCPU_RUNNABLE)
			pool_wake(v);
		else if (v->state == VCPU_BLOCKED)
			vcpu_kick_if_pending(v);
	}
	irq_route_hyp(); /* a pool may have become empty, or no longer be */
	log_info("vm %s: moved from pool %s to pool %s", vm->name, from->name, to->name);
}

int pool_move_vm(struct vm *vm, struct pool *to, char *why, size_t why_len)
{
	struct pool *from = vm->vcpus[0].sched.pool;
	struct vcpu *join[POOL_MAX_VCPUS];
	struct sched_change change = {.join = join};
	struct vcpu *self = vcpu_current();
	bool deferred = self && self->vm == vm;
	int err;

	if (from == to)
		return 0;
	lock_two(from, to);
	if (vm->move_to) {
		snprintf_td(why, why_len, "vm %s is already moving to pool %s", vm->name,
			    vm->move_to->name);
		err = -ERR_BUSY;
	} else {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			join[i] = &vm->vcpus[i];
		change.nr_join = pending_joins(to, join, vm->nr_vcpus);
		err = to->ops->admit(to, &change, why, why_len);
	}
	if (!err) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vm->vcpus[i].held = true;
		vm->move_to = to; /* admitted: later admission tests of `to` count it in */
		/* Its own vCPU cannot wait for itself to leave: the move completes when it has. */
		__atomic_store_n(&vm->move_caller, deferred ? self : NULL, __ATOMIC_RELAXED);
	}
	unlock_two(from, to);
	if (err)
		return err;

	/* Every vCPU leaves its pCPU: the hold makes it unschedulable, the kick forces a pick
	 * (the caller's own leaves at the end of this trap). */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct pcpu *p = __atomic_load_n(&v->sched.running_on, __ATOMIC_ACQUIRE);

		if (p)
			pcpu_resched(p);
	}
	if (!deferred)
		finish_move(vm);
	return 0;
}

bool pool_vcpu_left(struct vcpu *vcpu)
{
	if (__atomic_load_n(&vcpu->vm->move_caller, __ATOMIC_RELAXED) != vcpu)
		return false;
	finish_move(vcpu->vm);
	return true;
}

int pool_move_pcpu(struct pcpu *p, struct pool *to, char *why, size_t why_len)
{
	struct pool *from = p->sched.pool;
	struct vcpu *join_from[POOL_MAX_VCPUS], *join_to[POOL_MAX_VCPUS];
	struct sched_change drop = {.drop_pcpu = p, .join = join_from};
	struct sched_change add = {.add_pcpu = p, .join = join_to};
	int err;

	if (from == to)
		return 0;
	lock_two(from, to);
	if (p->leaving) {
		snprintf_td(why, why_len, "pCPU %u is still leaving its previous pool", p->index);
		err = -ERR_BUSY;
	} else if (from->nr_pcpus == 1 && from->nr_vcpus) {
		snprintf_td(why, why_len, "pCPU %u is the last of pool \"%s\", which has vCPUs",
			    p->index, from->name);
		err = -ERR_BUSY;
	} else {
		drop.nr_join = pending_joins(from, join_from, 0);
		add.nr_join = pending_joins(to, join_to, 0);
		err = from->ops->admit(from, &drop, why, why_len);
		if (!err)
			err = to->ops->admit(to, &add, why, why_len);
	}
	if (!err) {
		remove_pcpu(from, p);
		add_pcpu(to, p);
		p->leaving = from; /* it releases what it runs at its next pick */
		from->ops->replan(from, arch_counter_read());
		to->ops->replan(to, arch_counter_read());
		pcpu_resched(p);
		resched_pool(from);
		resched_pool(to);
	}
	unlock_two(from, to);
	if (err)
		return err;
	irq_route_hyp();
	log_info("pCPU %u: moved from pool %s to pool %s", p->index, from->name, to->name);
	return 0;
}

/* ---- figures ---------------------------------------------------------------------- */

static const char *const state_names[] = {
    [VCPU_OFF] = "off",
    [VCPU_RUNNABLE] = "runnable",
    [VCPU_BLOCKED] = "blocked",
    [VCPU_STOPPED] = "stopped",
};

void pool_dump(void)
{
	printk("tandem: scheduling at counter %llu (%llu Hz)\n",
	       (unsigned long long)arch_counter_read(), (unsigned long long)arch_counter_freq());
	for (unsigned i = 0; i < nr_pools; i++) {
		const struct pool *pool = &pools[i];

		printk("  pool %s: scheduler %s, wfi %s, %u pCPU%s, %u vCPU%s\n", pool->name,
		       pool->ops->name, pool->trap_wfi ? "trap" : "native", pool->nr_pcpus,
		       pool->nr_pcpus == 1 ? "" : "s", pool->nr_vcpus,
		       pool->nr_vcpus == 1 ? "" : "s");
		for (unsigned c = 0; c < pool->nr_pcpus; c++) {
			struct pcpu *p = pool->pcpus[c];
			struct pcpu_time t;

			pcpu_time_snapshot(p, &t);
			printk("    pcpu %u pool=%s elapsed=%llu guest=%llu idle=%llu hyp=%llu "
			       "load=%llu.%llu%% el2=%llu irqs=%llu timer=%llu wfi=%llu picks=%llu "
			       "switches=%llu migrations=%llu resched=%llu liveness=%llu\n",
			       p->index, pool->name, (unsigned long long)(t.last - t.start),
			       (unsigned long long)t.guest, (unsigned long long)t.idle,
			       (unsigned long long)t.hyp,
			       (unsigned long long)(pcpu_load_permille(&t) / 10),
			       (unsigned long long)(pcpu_load_permille(&t) % 10),
			       (unsigned long long)stats_el2_entries(&p->stats),
			       (unsigned long long)p->stats.irqs,
			       (unsigned long long)p->stats.sched_timer_irqs,
			       (unsigned long long)p->stats.wfi_traps,
			       (unsigned long long)p->stats.picks,
			       (unsigned long long)p->stats.switches,
			       (unsigned long long)p->stats.migrations,
			       (unsigned long long)p->stats.resched_requests,
			       (unsigned long long)p->stats.liveness_timers);
		}
		for (unsigned v = 0; v < pool->nr_vcpus; v++) {
			const struct vcpu *vc = pool->vcpus[v];
			const struct sched_vcpu *s = &vc->sched;

			printk(
			    "    vcpu %s/%u pool=%s state=%s run=%llu budget=%llu period=%llu "
			    "weight=%u home=%d on=%d misses=%llu traps=%llu wfi=%llu queued=%d "
			    "picked=%d vtime=%llu\n",
			    vc->vm->name, vc->id, pool->name, state_names[vc->state],
			    (unsigned long long)vc->run_ticks, (unsigned long long)s->params.budget,
			    (unsigned long long)s->params.period, s->params.weight,
			    s->home ? (int)s->home->index : -1,
			    vc->loaded_on ? (int)vc->loaded_on->index : -1,
			    (unsigned long long)s->deadline_misses,
			    (unsigned long long)vc->stats.traps, (unsigned long long)vc->stats.wfi,
			    s->queued, s->running_on ? (int)s->running_on->index : -1,
			    (unsigned long long)s->slack_vtime);
		}
	}
}
