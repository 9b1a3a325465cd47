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
	__atomic_store_n(&p->sched.pool, pool, __ATOMIC_RELEASE);
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

void pool_apply_idle_traps(struct vcpu *v)
{
	const struct pool *pool = v->sched.pool;

	arch_vcpu_set_idle_traps(v, pool->trap_wfi, pool_traps_wfe(pool));
}

struct pool *pool_by_name(const char *name)
{
	for (unsigned i = 0; i < nr_pools; i++) {
		if (strcmp(pools[i].name, name) == 0)
			return &pools[i];
	}
	return NULL;
}

/* The scheduler each system-description value names. */
static const struct sched_ops *const schedulers[] = {
    [CFG_SCHED_BIND] = &sched_bind_ops,
    [CFG_SCHED_DYNAMIC] = &sched_dynamic_ops,
};

void pools_init(const struct cfg_system *cfg)
{
	nr_pools = cfg->nr_pools;
	for (unsigned i = 0; i < nr_pools; i++) {
		const struct cfg_pool *c = &cfg->pools[i];
		struct pool *pool = &pools[i];

		pool->name = c->name;
		pool->index = i;
		pool->ops = schedulers[c->scheduler];
		/* Idles in hardware only where the scheduler allows it and the pool asks. */
		pool->trap_wfi =
		    pool->ops->flags & SCHED_WFI_NATIVE_OK ? c->wfi == CFG_WFI_TRAP : true;
		pool->direct_irq = c->irq == CFG_IRQ_DIRECT;
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
		pool_apply_idle_traps(&vm->vcpus[i]);
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

/* Locks the pool vm's vCPUs are in (and `also`, in lock order): a move of vm may complete
 * meanwhile, so the pool is read again under the lock. Returns the VM's pool. */
static struct pool *lock_vm_pool(const struct vm *vm, struct pool *also)
{
	for (;;) {
		struct pool *pool = __atomic_load_n(&vm->vcpus[0].sched.pool, __ATOMIC_ACQUIRE);

		lock_two(pool, also ? also : pool);
		if (vm->vcpus[0].sched.pool == pool)
			return pool;
		unlock_two(pool, also ? also : pool);
	}
}

int pool_set_params(struct vcpu *vcpu, const struct sched_params *params, char *why, size_t why_len)
{
	struct pool *pool = lock_vm_pool(vcpu->vm, NULL);
	struct vcpu *join[POOL_MAX_VCPUS];
	struct sched_change change = {.retune = vcpu, .params = params, .join = join};
	int err;

	/* Its pool's test says nothing about the pool it is moving to, which admitted it with
	 * its present parameters. */
	if (vcpu->vm->move_to) {
		snprintf_td(why, why_len, "vm %s is moving to pool %s", vcpu->vm->name,
			    vcpu->vm->move_to->name);
		err = -ERR_BUSY;
	} else {
		change.nr_join = pending_joins(pool, join, 0);
		err = pool->ops->admit(pool, &change, why, why_len);
	}
	if (!err) {
		vcpu->sched.params = *params;
		pool->ops->replan(pool, arch_counter_read());
		resched_pool(pool); /* the new plan may move work anywhere in the pool */
	}
	spin_unlock(&pool->lock);
	return err;
}

/*
 * VM moves never wait. A move is admitted and its vCPUs held (unschedulable) at once, under
 * both pools' locks; each pCPU running one is kicked. Whoever then sees every vCPU of the VM
 * off its pCPU completes the move: the mover itself if none was on a pCPU, else the pCPU
 * that saved the last one (pool_vcpu_left). A pCPU in EL2 thus never waits for another pCPU
 * to leave a vCPU, so moves that cross (two privileged VMs moving each other, both vCPUs of
 * a VM moving it) cannot deadlock.
 *
 * Why nobody misses the last departure: the mover sets `held`, then (full barrier) looks at
 * every vCPU's loaded_on; a leaving pCPU clears loaded_on, then (full barrier) looks at
 * `held`. Of any mover and leaver one sees the other's store, and whoever looks does so
 * under both pools' locks, so exactly one completes the move.
 */

/*
 * Whether no pCPU runs or holds a vCPU of vm. With vm's pool locked: running_on only
 * changes under that lock and is never set again while the vCPUs are held; loaded_on is
 * cleared (release) once a pCPU has saved the vCPU, and that pCPU looks again afterwards.
 */
static bool vm_off_pcpus(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		if (v->sched.running_on || __atomic_load_n(&v->loaded_on, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

/* The move itself, under both pools' locks, every vCPU of vm held and off its pCPU: they
 * become members of `to`, runnable ones queue there, and both pools re-plan. */
static void move_locked(struct vm *vm, struct pool *from, struct pool *to)
{
	uint64_t now = arch_counter_read();

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		remove_vcpu(from, v);
		v->sched.queued = false;
		v->sched.home = NULL;
		v->sched.queue = NULL;
		__atomic_store_n(&v->sched.pool, to, __ATOMIC_RELEASE);
		to->vcpus[to->nr_vcpus++] = v;
	}
	__atomic_store_n(&vm->move_to, NULL, __ATOMIC_RELEASE);
	from->ops->replan(from, now);
	to->ops->replan(to, now);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		pool_apply_idle_traps(v);
		/* Under the lock pool_wake() takes: a wake-up skipped while held is done here. */
		v->held = false;
		if (v->state == VCPU_RUNNABLE)
			to->ops->wake(to, v, now);
	}
	resched_pool(from);
	resched_pool(to);
}

/* After move_locked(), with no lock held. */
static void moved(struct vm *vm, const struct pool *from, const struct pool *to)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].state == VCPU_BLOCKED) /* an interrupt may have come meanwhile */
			vcpu_kick_if_pending(&vm->vcpus[i]);
	irq_route_hyp(); /* a pool may have become empty, or no longer be */
	log_info("vm %s: moved from pool %s to pool %s", vm->name, from->name, to->name);
}

int pool_move_vm(struct vm *vm, struct pool *to, char *why, size_t why_len)
{
	struct pool *from = lock_vm_pool(vm, to);
	struct vcpu *join[POOL_MAX_VCPUS];
	struct sched_change change = {.join = join};
	bool done = false;
	int err = 0;

	if (vm->move_to) {
		snprintf_td(why, why_len, "vm %s is already moving to pool %s", vm->name,
			    vm->move_to->name);
		err = -ERR_BUSY;
	} else if (from != to) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			join[i] = &vm->vcpus[i];
		change.nr_join = pending_joins(to, join, vm->nr_vcpus);
		err = to->ops->admit(to, &change, why, why_len);
	}
	if (!err && from != to) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			struct vcpu *v = &vm->vcpus[i];

			v->held = true; /* no pick returns it any more */
			if (v->sched.running_on)
				pcpu_resched(v->sched.running_on); /* its pCPU lets it go */
		}
		/* Admitted: later admission tests of `to` count it in until it arrives. */
		__atomic_store_n(&vm->move_to, to, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* held, then loaded_on: see above */
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			struct vcpu *v = &vm->vcpus[i];
			struct pcpu *on = __atomic_load_n(&v->loaded_on, __ATOMIC_ACQUIRE);

			/* Parked there (pcpu.c): an idle pCPU leaves it only at a pick. */
			if (on && __atomic_load_n(&on->parked, __ATOMIC_ACQUIRE) == v)
				pcpu_resched(on);
		}
		done = vm_off_pcpus(vm); /* none on a pCPU: nobody else will */
		if (done)
			move_locked(vm, from, to);
	}
	unlock_two(from, to);
	if (done)
		moved(vm, from, to);
	return err;
}

bool pool_vcpu_left(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct pool *from, *to;
	bool done;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* loaded_on cleared, then held: see above */
	if (!vcpu->held)
		return false;
	for (;;) { /* the move in flight now (one may have completed, another been admitted) */
		to = __atomic_load_n(&vm->move_to, __ATOMIC_ACQUIRE);
		if (!to)
			return false; /* completed meanwhile */
		from = lock_vm_pool(vm, to);
		if (vm->move_to == to)
			break;
		unlock_two(from, to);
	}
	done = vm_off_pcpus(vm);
	if (done)
		move_locked(vm, from, to);
	unlock_two(from, to);
	if (done)
		moved(vm, from, to);
	return done;
}

struct pool *pool_of_vm(const struct vm *vm, struct pool **moving_to)
{
	struct pool *pool = lock_vm_pool(vm, NULL);

	*moving_to = vm->move_to;
	spin_unlock(&pool->lock);
	return pool;
}

struct pool *pool_lock_for_pick(struct pcpu *p)
{
	for (;;) {
		struct pool *pool = __atomic_load_n(&p->sched.pool, __ATOMIC_ACQUIRE);
		struct pool *left;

		if (!pool) /* pools are built after the secondaries come up */
			return NULL;
		spin_lock(&pool->lock);
		left = p->leaving; /* set and cleared under both pools' locks */
		if (p->sched.pool == pool && !left)
			return pool;
		spin_unlock(&pool->lock);
		if (!left || p->sched.pool != pool)
			continue; /* moved meanwhile */
		lock_two(left, pool);
		if (p->sched.pool == pool && p->leaving == left) {
			/* Moved to another pool: hand back what it ran in the old one. */
			struct pcpu *kick = left->ops->release(left, p, arch_counter_read());

			p->leaving = NULL;
			if (kick)
				pcpu_resched(kick);
			spin_unlock(&left->lock);
			return pool;
		}
		unlock_two(left, pool);
	}
}

void pool_pcpu_away(struct pcpu *p)
{
	struct pool *pool = pool_lock_for_pick(p); /* also hands back what a moved pCPU ran */

	if (!pool)
		return;
	p->sched.away = true;
	p->next_decision = SCHED_NEVER; /* none while away: it re-picks when back */
	(void)pool->ops->release(pool, p, arch_counter_read());
	resched_pool(pool); /* what it ran or queued went elsewhere; p itself re-picks once back */
	spin_unlock(&pool->lock);
}

int pool_move_pcpu(struct pcpu *p, struct pool *to, char *why, size_t why_len)
{
	struct vcpu *join_from[POOL_MAX_VCPUS], *join_to[POOL_MAX_VCPUS];
	struct sched_change drop = {.drop_pcpu = p, .join = join_from};
	struct sched_change add = {.add_pcpu = p, .join = join_to};
	struct pool *from;
	int err;

	for (;;) { /* another caller may move it meanwhile: its pool is read under the lock */
		from = __atomic_load_n(&p->sched.pool, __ATOMIC_ACQUIRE);
		lock_two(from, to);
		if (p->sched.pool == from)
			break;
		unlock_two(from, to);
	}
	if (from == to) {
		unlock_two(from, to);
		return 0;
	}
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

void pool_dump(void)
{
	printk("tandem: scheduling at counter %llu (%llu Hz)\n",
	       (unsigned long long)arch_counter_read(), (unsigned long long)arch_counter_freq());
	for (unsigned i = 0; i < nr_pools; i++) {
		const struct pool *pool = &pools[i];

		printk("  pool %s: scheduler %s, wfi %s, irq %s, %u pCPU%s, %u vCPU%s\n",
		       pool->name, pool->ops->name, pool->trap_wfi ? "trap" : "native",
		       pool->direct_irq ? "direct" : "trapped", pool->nr_pcpus,
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
			struct sched_vcpu_figures fig = {0};

			if (pool->ops->figures)
				pool->ops->figures(vc, &fig);
			printk(
			    "    vcpu %s/%u pool=%s state=%s run=%llu budget=%llu period=%llu "
			    "weight=%u home=%d on=%d misses=%llu traps=%llu wfi=%llu queued=%d "
			    "picked=%d vtime=%llu\n",
			    vc->vm->name, vc->id, pool->name, vcpu_state_name(vc->state),
			    (unsigned long long)vc->run_ticks, (unsigned long long)s->params.budget,
			    (unsigned long long)s->params.period, s->params.weight,
			    s->home ? (int)s->home->index : -1,
			    vc->loaded_on ? (int)vc->loaded_on->index : -1,
			    (unsigned long long)fig.deadline_misses,
			    (unsigned long long)vc->stats.traps, (unsigned long long)vc->stats.wfi,
			    s->queued, s->running_on ? (int)s->running_on->index : -1,
			    (unsigned long long)fig.slack_vtime);
		}
	}
}
