/*
 * First-level scheduling: which vCPU each pCPU runs.
 *
 * pCPUs are grouped into pools (tandem/pool.h); each pool owns one scheduler instance, chosen
 * by name from the system description ("bind", "dynamic"). Everything that decides lives in
 * hypervisor/sched/: the pools (pool.c), what a pCPU runs next (pick.c) and the schedulers
 * (bind.c, dynamic.c). The core (core/pcpu.c, vcpu.c) does the mechanics — context switches,
 * the EL2 timer, IPIs, time accounting — and never asks which scheduler a pool runs: what
 * differs between schedulers is declared in sched_ops.flags (below). The operations are
 * called with the pool's lock held.
 *
 * Time is in ticks of the system counter (CNTPCT_EL0). Every VM's virtual counter offset is 0,
 * so a vCPU's CNTV_CVAL compares against the same clock.
 */
#ifndef TANDEM_SCHED_H
#define TANDEM_SCHED_H

#include <tandem/types.h>

#define SCHED_NEVER	 UINT64_MAX /* "no decision due": no timer needs arming */
#define SCHED_WEIGHT_MIN 1
#define SCHED_WEIGHT_MAX 65535
#define SCHED_WEIGHT_DEF 256

struct pool;
struct pcpu;
struct vcpu;

/* What a vCPU is promised in a dynamic pool (EDF reservation, in the spirit of Xen's RTDS). */
struct sched_params {
	uint64_t budget; /* guaranteed run time per period, in ticks; 0 = no reservation */
	uint64_t period; /* in ticks; meaningful only with a budget */
	uint32_t weight; /* share of the slack, relative to the pool's other vCPUs */
};

/* The dynamic scheduler's own per-vCPU state: only sched/dynamic.c reads or writes it. */
struct sched_dynamic_vcpu {
	uint64_t deadline;	  /* end of the current reservation period */
	uint64_t remaining;	  /* budget left before deadline */
	uint64_t slack_vtime;	  /* slack time received, scaled by 1/weight: lowest runs next */
	uint64_t slack_ran;	  /* ticks received beyond the reservation (statistics) */
	uint64_t budget_ran;	  /* ticks received from the reservation (statistics) */
	uint64_t deadline_misses; /* periods that ended with budget left while it was runnable */
};

/*
 * Per-vCPU scheduler state, embedded in struct vcpu. The common part is what the pools and
 * the pick path (sched/pool.c, pick.c) read too; priv belongs to the pool's scheduler alone
 * (the bind scheduler keeps none).
 */
struct sched_vcpu {
	struct sched_params params;
	struct pool *pool;
	struct pcpu *home;	 /* dynamic: pCPU its reservation is admitted on; bind: its pCPU */
	struct pcpu *running_on; /* pCPU whose last pick() returned it, or NULL */
	struct pcpu *queue;	 /* while it waits, the pCPU whose decision serves it */
	bool queued;		 /* runnable as far as the scheduler knows */
	uint64_t since;		 /* when running_on picked it (charging starts here) */
	union {
		struct sched_dynamic_vcpu dynamic;
	} priv;
};

/* Per-pCPU scheduler state, embedded in struct pcpu. */
struct sched_pcpu {
	struct pool *pool;
	struct vcpu *running; /* what the last pick() returned here; NULL = idle */
	bool away; /* on EL2 work of unbounded length (a VM restart) until its next pick */
};

/*
 * A change to a pool, for the admission test. The test is pure: it says whether the pool's
 * guarantees still hold after the change, and changes nothing. Only non-NULL/non-zero fields
 * apply; several may be combined (e.g. a VM's vCPUs joining).
 */
struct sched_change {
	struct vcpu *const *join; /* vCPUs joining the pool, with their current params */
	unsigned nr_join;
	struct vcpu *retune;		   /* a member vCPU getting new params ... */
	const struct sched_params *params; /* ... these */
	const struct pcpu *drop_pcpu;	   /* a pCPU leaving the pool */
	const struct pcpu *add_pcpu;	   /* a pCPU joining the pool */
};

/* Figures a scheduler keeps per vCPU, for the console dump (zero where it keeps none). */
struct sched_vcpu_figures {
	uint64_t deadline_misses;
	uint64_t slack_vtime;
};

/*
 * What differs between schedulers, as the core sees it (sched_ops.flags). The core asks these,
 * never which scheduler a pool runs.
 */
/* A trapped WFI waits on the pCPU with the vCPU still loaded instead of blocking it: the pCPU
 * is the vCPU's alone, nothing else could run there (and the idle time is accounted there). */
#define SCHED_WFI_WAITS_IN_PLACE (1U << 0)
/* The pool honours wfi = "native": its vCPUs may idle in hardware, with no EL2 entry (Arm ARM
 * D1.19.2, HCR_EL2.TWI clear). Without it WFI always traps: the scheduler must see idling. */
#define SCHED_WFI_NATIVE_OK (1U << 1)
/* WFE traps and yields (sched_ops.yield): a spinning vCPU lets a preempted lock holder run. */
#define SCHED_TRAPS_WFE (1U << 2)
/* The pool's pCPUs may take the hypervisor's own interrupts when no spare pool exists. Clear:
 * its pCPUs belong to real-time vCPUs, whose own traps are the only EL2 entries there. */
#define SCHED_HOSTS_HYP_IRQS (1U << 3)

/*
 * Liveness, which every scheduler keeps: after each operation, once the core has kicked the
 * pCPU it returned (and, after replan(), every pCPU of the pool), a pCPU whose queue holds a
 * waiting schedulable vCPU has a decision due (its last pick()'s *next_decision is not
 * SCHED_NEVER) or a re-pick pending. sched/pick.c checks this ("liveness net").
 */
struct sched_ops {
	const char *name;
	unsigned flags; /* SCHED_* above */
	/*
	 * Admission test: 0 if the pool can take the change, else -ERR_BUSY (guarantees would
	 * break) or -ERR_INVAL (params nonsensical for this scheduler), with one line in why[]
	 * saying what rule failed (e.g. "pCPU 2 would be 130% reserved").
	 */
	int (*admit)(const struct pool *pool, const struct sched_change *change, char *why,
		     size_t why_len);
	/* Applies an admitted change. pool->vcpus/pcpus already reflect it; a scheduler
	 * re-plans (e.g. re-partitions reservations onto pCPUs). No vCPU it drops is running. */
	void (*replan)(struct pool *pool, uint64_t now);
	/* vcpu became runnable (started or woken). Returns a pCPU of the pool that should
	 * re-pick now (the core sends it an IPI or re-picks itself), or NULL. */
	struct pcpu *(*wake)(struct pool *pool, struct vcpu *vcpu, uint64_t now);
	/*
	 * What pcpu runs from now on. The previous choice (pcpu->sched.running) is charged for
	 * now - since; if it is no longer VCPU_RUNNABLE it leaves the run queue. Never returns a
	 * vCPU that runs on another pCPU. *next_decision = absolute time at which a decision can
	 * next be due (SCHED_NEVER: arm no timer). *kick = another pCPU of the pool that must
	 * re-pick now (say, for a runnable vCPU it set aside), or NULL. Returns NULL to idle.
	 */
	struct vcpu *(*pick)(struct pool *pool, struct pcpu *pcpu, uint64_t now,
			     uint64_t *next_decision, struct pcpu **kick);
	/* WFE or an explicit yield: vcpu would rather let another runnable vCPU go first. */
	void (*yield)(struct pool *pool, struct vcpu *vcpu, uint64_t now);
	/*
	 * pcpu has left the pool (pool->pcpus no longer lists it), or is away (sched.away: EL2
	 * work of unbounded length, a VM restart; it picks again when done): charge what it ran
	 * (pcpu->sched.running) up to now and forget it there, and hand every vCPU waiting for
	 * pcpu to another pCPU of the pool if there is one. While away, no wake or re-plan counts
	 * on pcpu. Returns a pCPU of the pool that should re-pick (the vCPU it ran may still want
	 * to run), or NULL; after an away the core makes every pCPU of the pool re-pick.
	 */
	struct pcpu *(*release)(struct pool *pool, struct pcpu *pcpu, uint64_t now);
	/* Its figures for vcpu (console dump); NULL: it keeps none. */
	void (*figures)(const struct vcpu *vcpu, struct sched_vcpu_figures *out);
};

extern const struct sched_ops sched_bind_ops;
extern const struct sched_ops sched_dynamic_ops;

#endif
