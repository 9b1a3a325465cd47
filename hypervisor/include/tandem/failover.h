/*
 * Failover groups at run time (docs/design.md, "Failover"): which member of each group is
 * active, the failure -> promotion sequence, the role the guests ask for
 * (TANDEM_HC_FAILOVER_STATE), and the counters of Ctrl-A d.
 */
#ifndef TANDEM_FAILOVER_H
#define TANDEM_FAILOVER_H

#include <tandem/types.h>

struct cfg_system;
struct vm;

/* What made a VM fail, as the failover log and counters name it. */
enum failover_cause {
	FAILOVER_WATCHDOG,     /* its watchdog's WS1 */
	FAILOVER_FAULT,	       /* a fatal fault (SError) */
	FAILOVER_SYSTEM_OFF,   /* PSCI SYSTEM_OFF */
	FAILOVER_SYSTEM_RESET, /* PSCI SYSTEM_RESET (a Linux panic with panic=N ends there) */
	FAILOVER_NR_CAUSES,
};

/* Roles, as TANDEM_HC_FAILOVER_STATE returns them in x1. */
#define FAILOVER_ROLE_ACTIVE  1
#define FAILOVER_ROLE_STANDBY 2

/* At boot, before any VM is created: each group's primary active, its backup standby. */
void failover_init(const struct cfg_system *sys);
/*
 * vm failed (cause; why for the log). Returns false if vm is in no group (the caller applies
 * the VM's own policy). For a member, does everything: a failed standby restarts or stops per
 * its on-failure; a failed active VM is stopped, its group's devices move to the standby,
 * the shares swap, the standby gets its promotion interrupt, and the failed VM restarts as
 * the new standby or stays down (the group's on-failure). Callable from a trap of one of vm's
 * vCPUs or from a timer callback on any pCPU; never waits for another pCPU.
 */
bool failover_vm_failed(struct vm *vm, enum failover_cause cause, const char *why);
/*
 * TANDEM_HC_FAILOVER_STATE for vm: false if it is in no group; else its role, the group's
 * generation (promotions since boot) and its channel id (~0 without one).
 */
bool failover_state(const struct vm *vm, uint64_t *role, uint64_t *generation, uint64_t *channel);
/* Ctrl-A d: one line per group (roles, generation, failures by cause, promotion times). */
void failover_dump(void (*out)(const char *fmt, ...));

#endif
