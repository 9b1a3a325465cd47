/*
 * CPU pools: a set of pCPUs, the vCPUs placed on them, and the one scheduler that decides
 * between them. Every online pCPU belongs to exactly one pool; every vCPU to exactly one.
 */
#ifndef TANDEM_POOL_H
#define TANDEM_POOL_H

#include <tandem/config.h>
#include <tandem/pcpu.h>
#include <tandem/sched.h>
#include <tandem/spinlock.h>
#include <tandem/types.h>

#define MAX_POOLS      CFG_MAX_POOLS
#define POOL_MAX_VCPUS (CFG_MAX_VMS * CFG_MAX_VCPUS)
#define POOL_SLICE_US  1000 /* slack time slice between competing vCPUs of a dynamic pool */

struct pool {
	const char *name;
	unsigned index;
	const struct sched_ops *ops;
	bool trap_wfi;	 /* bind pools: wfi = "trap" (idle time visible) or "native" */
	bool direct_irq; /* bind pools: irq = "direct" (vgic-direct.c) */
	uint64_t slice;	 /* ticks: slack time slice (dynamic) */
	spinlock_t lock;

	/* Membership, kept by pool.c; schedulers read it. */
	unsigned nr_pcpus;
	struct pcpu *pcpus[MAX_PCPUS]; /* in pCPU index order */
	unsigned nr_vcpus;
	struct vcpu *vcpus[POOL_MAX_VCPUS];
};

extern struct pool pools[MAX_POOLS];
extern unsigned nr_pools;

struct vm;

uint64_t pool_us_to_ticks(uint64_t us);
uint64_t pool_ticks_to_us(uint64_t ticks);
/* Builds the pools of the description over the online pCPUs (boot CPU, before any VM). */
void pools_init(const struct cfg_system *cfg);
/* Places a new VM's vCPUs in a pool through its admission test; prints a config: line. */
int pool_join_vm(struct vm *vm, unsigned pool_index);
struct pool *pool_by_name(const char *name);
bool pool_traps_wfi(const struct pool *pool);

/* Whether the pool's vCPUs trap WFE (and yield on it): its scheduler says (sched.h). */
static inline bool pool_traps_wfe(const struct pool *pool)
{
	return pool->ops->flags & SCHED_TRAPS_WFE;
}

/* Whether a trapped WFI waits on the pCPU, the vCPU loaded, rather than blocking it. */
static inline bool pool_wfi_waits_in_place(const struct pool *pool)
{
	return pool->ops->flags & SCHED_WFI_WAITS_IN_PLACE;
}

/* Whether the pool's pCPUs may take the hypervisor's own interrupts (core/irq.c). */
static inline bool pool_hosts_hyp_irqs(const struct pool *pool)
{
	return pool->ops->flags & SCHED_HOSTS_HYP_IRQS;
}

/* Sets v's WFI/WFE traps as its pool wants them (after it joins a pool). */
void pool_apply_idle_traps(struct vcpu *v);
/* A vCPU became runnable: its scheduler decides which pCPU should re-pick. */
void pool_wake(struct vcpu *vcpu);
void pool_yield(struct vcpu *vcpu);
/*
 * Run-time control. Each validates in full (why[] says what failed) and changes nothing
 * when refused: 0, -ERR_INVAL (nonsense), -ERR_BUSY (a guarantee would break).
 */
int pool_set_params(struct vcpu *vcpu, const struct sched_params *params, char *why,
		    size_t why_len);
/*
 * Admits a move of vm's vCPUs into `to` and returns at once: the move completes when none of
 * them is on a pCPU any more (at once if none is), never by waiting. Until then vm stays in
 * its pool with its vCPUs held (not schedulable), `to`'s admission tests count it in, and a
 * second move of it, or a retune of one of its vCPUs, is -ERR_BUSY.
 */
int pool_move_vm(struct vm *vm, struct pool *to, char *why, size_t why_len);
/*
 * The core calls this right after a pCPU saved vcpu and left it: if its VM has a move in flight
 * and it was the last of the VM's vCPUs on a pCPU, completes the move and returns true (both
 * pools re-planned: decide afresh).
 */
bool pool_vcpu_left(struct vcpu *vcpu);
/* The pool vm is in, and (*moving_to) the one an admitted move takes it to, or NULL. */
struct pool *pool_of_vm(const struct vm *vm, struct pool **moving_to);
/*
 * Locks p's pool for a pick and returns it (NULL before pools exist). If p was moved out of
 * another pool since its last pick, first hands back what it ran there (release).
 */
struct pool *pool_lock_for_pick(struct pcpu *p);
/*
 * What p runs next (sched/pick.c): asks its pool's scheduler, kicks the pCPUs the answer
 * names, keeps the liveness net, and arms p's scheduler timer only if a decision can come
 * due. NULL: idle.
 */
struct vcpu *pool_pick_next(struct pcpu *p);
int pool_move_pcpu(struct pcpu *p, struct pool *to, char *why, size_t why_len);
/*
 * p (the caller, holding no vCPU) goes away on EL2 work of unbounded length, a VM restart:
 * what it picked and what waits for it go to other pCPUs of its pool (release), which are all
 * asked to re-pick, and no wake-up counts on p until its next pick (pool_pick_next).
 */
void pool_pcpu_away(struct pcpu *p);
/* Per-pool, per-pCPU, per-vCPU figures on the console (Ctrl-A s). */
void pool_dump(void);

#endif
