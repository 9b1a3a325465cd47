/*
 * Failover groups at run time (docs/design.md, "Failover"): a failure of a group's active VM
 * promotes its standby. Everything the promotion does is bounded work done right where the
 * failure is seen (a trap of the failed VM's vCPU, or the watchdog's timer callback): it never
 * waits for another pCPU, so it costs the same under any load. The failed VM's restart (RAM
 * wiped, images copied) runs afterwards, off the promotion's clock, on the pCPU that leaves its
 * last vCPU, once it holds no vCPU (vm_claim_restart, core/pcpu.c).
 *
 * Locks: failover_group.lock is taken with IRQs masked (the watchdog's callback runs in IRQ
 * context) and before every other lock the promotion takes: struct vm.lock (stopping the
 * failed VM), the pools' (the shares), the vGIC's (the promotion interrupt), the console's.
 */
#include <tandem/arch.h>
#include <tandem/failover.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>
#include <tandem/timer.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

struct failover_group {
	const struct cfg_failover_group *cfg;
	spinlock_t lock;
	unsigned active, standby;	       /* VM indices */
	uint32_t generation;		       /* promotions since boot */
	uint64_t failures[FAILOVER_NR_CAUSES]; /* of the active VM, by cause */
	uint64_t standby_failures;	       /* of the standby: restarted, nobody promoted */
	uint64_t unpromoted;	 /* the active failed with no standby running: it just restarted */
	uint64_t last_detected;	 /* counter when the last promotion's failure was seen */
	uint64_t last_promotion; /* ticks from that failure to the promotion interrupt */
	uint64_t max_promotion;	 /* the longest so far */
	uint64_t devices_moved;	 /* device hand-overs, all promotions */
	struct timer restart_timer; /* restart-delay-ms: when the failed VM's restart may run */
	struct vm *delayed;	    /* the failed VM waiting for it, or NULL */
};

static struct failover_group groups[CFG_MAX_GROUPS];
static unsigned nr_groups;

static uint64_t ticks_to_us(uint64_t ticks)
{
	uint64_t f = arch_counter_freq();

	return ticks / f * 1000000 + ticks % f * 1000000 / f;
}

/* restart-delay-ms has passed since a promotion: the failed VM's held restart runs on this
 * pCPU once it holds no vCPU (IRQ context: nothing long here). */
static void restart_due(struct timer *timer)
{
	struct failover_group *g = container_of(timer, struct failover_group, restart_timer);
	unsigned long flags = arch_irq_save();
	struct vm *vm;

	spin_lock(&g->lock);
	vm = g->delayed;
	g->delayed = NULL;
	spin_unlock(&g->lock);
	arch_irq_restore(flags);
	if (vm)
		pcpu_restart_later(vm);
}

void failover_init(const struct cfg_system *sys)
{
	nr_groups = sys->nr_groups;
	for (unsigned i = 0; i < nr_groups; i++) {
		struct failover_group *g = &groups[i];

		*g = (struct failover_group){.cfg = &sys->groups[i],
					     .lock = SPINLOCK_INIT,
					     .active = sys->groups[i].vm[0],
					     .standby = sys->groups[i].vm[1]};
		timer_init(&g->restart_timer, restart_due);
	}
}

static struct failover_group *group_of(const struct vm *vm)
{
	const struct cfg_failover_member *m = &vm->cfg->failover;

	return m->in_group && m->group < nr_groups ? &groups[m->group] : NULL;
}

static unsigned long lock(struct failover_group *g)
{
	unsigned long flags = arch_irq_save();

	spin_lock(&g->lock);
	return flags;
}

static void unlock(struct failover_group *g, unsigned long flags)
{
	spin_unlock(&g->lock);
	arch_irq_restore(flags);
}

/*
 * Gives vm a share: its vCPUs' slack weight, then its pool. Each change goes through the
 * pools' admission tests like a control hypercall's; one refused is logged and the promotion
 * goes on (the devices and the role matter more than the share).
 */
static void give_share(const struct failover_group *g, struct vm *vm, uint32_t pool_index,
		       uint32_t weight)
{
	struct pool *to = &pools[pool_index], *moving_to;
	char why[128];

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct sched_params p = vm->vcpus[i].sched.params;

		if (p.weight == weight)
			continue;
		p.weight = weight;
		if (pool_set_params(&vm->vcpus[i], &p, why, sizeof(why))) {
			log_warn("failover %s: vm %s: weight %u not given: %s", g->cfg->name,
				 vm->name, weight, why);
			break;
		}
	}
	if (g->cfg->promotion_cpus)
		return; /* the members keep their pools: the pCPUs move instead (move_cpus) */
	if (pool_of_vm(vm, &moving_to) != to && moving_to != to &&
	    pool_move_vm(vm, to, why, sizeof(why)))
		log_warn("failover %s: vm %s: move to pool %s refused: %s", g->cfg->name, vm->name,
			 to->name, why);
}

/*
 * promotion-cpus: each listed pCPU leaves the failed VM's pool for the promoted VM's, admitted
 * like TANDEM_HC_PCPU_SET_POOL's. A pCPU still leaving its pool from the previous promotion
 * (it had not picked since) is refused, logged, and stays: the promotion goes on. Returns the
 * pCPUs moved.
 */
static unsigned move_cpus(const struct failover_group *g, struct vm *to_vm)
{
	struct pool *moving_to, *to = pool_of_vm(to_vm, &moving_to);
	unsigned moved = 0;
	char why[128];

	for (unsigned c = 0; c < nr_pcpus; c++) {
		if (!(g->cfg->promotion_cpus & (1ULL << c)))
			continue;
		if (pool_move_pcpu(&pcpus[c], to, why, sizeof(why)))
			log_warn("failover %s: pCPU %u not moved to pool %s: %s", g->cfg->name, c,
				 to->name, why);
		else
			moved++;
	}
	return moved;
}

/* A failed standby: its own on-failure, nobody promoted. Group lock not held. */
static void standby_failed(struct vm *vm, const char *why)
{
	bool stop = vm->cfg->on_failure == CFG_ON_FAILURE_STOP;

	log_warn("failover %s: standby %s failed (%s) at %llu ticks (%llu us); %s",
		 vm->cfg->failover.group_name, vm->name, why,
		 (unsigned long long)arch_counter_read(), (unsigned long long)vm_time_us(),
		 stop ? "it stays down (on-failure = \"stop\"): the group has no standby"
		      : "restarting it as the standby");
	if (stop) {
		vm_stop(vm, why);
	} else if (vm_begin_restart(vm)) {
		vm_restart_if_off(vm);
	}
}

/* The active VM failed with no standby running: it restarts and stays active. */
static void restart_alone(struct vm *vm, const char *why)
{
	log_warn("failover %s: %s failed (%s) at %llu ticks (%llu us); no standby is running: "
		 "nobody to promote, restarting it",
		 vm->cfg->failover.group_name, vm->name, why,
		 (unsigned long long)arch_counter_read(), (unsigned long long)vm_time_us());
	if (vm_begin_restart(vm))
		vm_restart_if_off(vm);
}

bool failover_vm_failed(struct vm *vm, enum failover_cause cause, const char *why)
{
	struct failover_group *g = group_of(vm);
	uint64_t detected = arch_counter_read(), promoted;
	bool swap, is_standby, alone, delay = false;
	unsigned long flags;
	char cpus_part[32] = "", delay_part[32] = "";
	unsigned moved;
	struct vm *backup;

	if (!g)
		return false;
	flags = lock(g);
	is_standby = vm->index == g->standby;
	backup = &vms[g->standby];
	alone = !is_standby && backup->state != VM_RUNNING;
	if (is_standby)
		g->standby_failures++;
	else if (alone)
		g->unpromoted++;
	if (is_standby || alone) {
		unlock(g, flags);
		if (is_standby)
			standby_failed(vm, why);
		else
			restart_alone(vm, why);
		return true;
	}
	/* The promotion. Roles first: from here on the backup answers "active". */
	swap = g->cfg->on_failure == CFG_FAILOVER_SWAP;
	g->active = backup->index;
	g->standby = vm->index;
	g->generation++;
	g->failures[cause]++;
	/* 1. The failed VM's vCPUs stop (kicked) and its channel links go down. With
	 * restart-delay-ms its restart is held (the group claims it) until restart_timer. */
	if (swap && g->cfg->restart_delay_ms)
		delay = vm_begin_restart_held(vm);
	else if (swap)
		vm_begin_restart(vm);
	else
		vm_stop(vm,
			"failed; its failover group keeps it down (on-failure = \"stay-down\")");
	/* 2. Its devices move: unmapped, quiesced, SPIs re-pointed, mapped into the backup. */
	moved = passthrough_move(vm, backup);
	/* 3. The shares swap. */
	give_share(g, backup, g->cfg->active_pool, g->cfg->active_weight);
	give_share(g, vm, g->cfg->standby_pool, g->cfg->standby_weight);
	/* 4. The backup hears it: its promotion interrupt, after the devices are in. */
	vgic_inject(backup, NULL, backup->cfg->failover.spi);
	promoted = arch_counter_read();
	/* 5. The pCPUs that follow the active member, once it has what it needs to serve. */
	if (g->cfg->promotion_cpus) {
		unsigned n = move_cpus(g, backup);

		snprintf_td(cpus_part, sizeof(cpus_part), ", %u pCPU%s moved", n,
			    n == 1 ? "" : "s");
	}
	g->last_detected = detected;
	g->last_promotion = promoted - detected;
	if (g->last_promotion > g->max_promotion)
		g->max_promotion = g->last_promotion;
	g->devices_moved += moved;
	if (delay) {
		g->delayed = vm;
		timer_arm(&g->restart_timer, detected + (uint64_t)g->cfg->restart_delay_ms *
							    arch_counter_freq() / 1000);
		snprintf_td(delay_part, sizeof(delay_part), " in %u ms", g->cfg->restart_delay_ms);
	}
	unlock(g, flags);
	log_warn("failover %s: %s failed (%s) at %llu ticks (%llu us); %s promoted in %llu ticks "
		 "(%llu us), generation %u, %u device%s moved%s; %s%s",
		 g->cfg->name, vm->name, why, (unsigned long long)detected,
		 (unsigned long long)ticks_to_us(detected), backup->name,
		 (unsigned long long)(promoted - detected),
		 (unsigned long long)ticks_to_us(promoted - detected), g->generation, moved,
		 moved == 1 ? "" : "s", cpus_part,
		 swap ? "restarting it as the standby"
		      : "it stays down (on-failure = \"stay-down\")",
		 delay_part);
	/* The failed VM's restart: here if none of its vCPUs is on a pCPU, else where one leaves;
	 * held, where restart_timer fires. */
	if (swap && !delay)
		vm_restart_if_off(vm);
	return true;
}

bool failover_state(const struct vm *vm, uint64_t *role, uint64_t *generation, uint64_t *channel)
{
	struct failover_group *g = group_of(vm);
	unsigned long flags;

	if (!g)
		return false;
	flags = lock(g);
	*role = vm->index == g->active ? FAILOVER_ROLE_ACTIVE : FAILOVER_ROLE_STANDBY;
	*generation = g->generation;
	unlock(g, flags);
	*channel = g->cfg->has_channel ? g->cfg->channel : ~0ULL;
	return true;
}

void failover_dump(void (*out)(const char *fmt, ...))
{
	for (unsigned i = 0; i < nr_groups; i++) {
		struct failover_group *g = &groups[i];
		unsigned long flags = lock(g);
		struct failover_group s = *g;

		unlock(g, flags);
		out("tandem: failover %s: active %s standby %s generation %u failures "
		    "watchdog=%llu "
		    "fault=%llu off=%llu reset=%llu standby-failures=%llu unpromoted=%llu "
		    "devices-moved=%llu last-promotion=%llu ticks (%llu us) max=%llu ticks\n",
		    s.cfg->name, vms[s.active].name, vms[s.standby].name, s.generation,
		    (unsigned long long)s.failures[FAILOVER_WATCHDOG],
		    (unsigned long long)s.failures[FAILOVER_FAULT],
		    (unsigned long long)s.failures[FAILOVER_SYSTEM_OFF],
		    (unsigned long long)s.failures[FAILOVER_SYSTEM_RESET],
		    (unsigned long long)s.standby_failures, (unsigned long long)s.unpromoted,
		    (unsigned long long)s.devices_moved, (unsigned long long)s.last_promotion,
		    (unsigned long long)ticks_to_us(s.last_promotion),
		    (unsigned long long)s.max_promotion);
	}
}
