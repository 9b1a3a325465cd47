/* Stands in for sched/pool.c: the pool array and recording calls (obj: the VM, vCPU or pCPU). */
#include <tandem/arch.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vm.h>

#include "fake.h"

struct pool pools[MAX_POOLS];
unsigned nr_pools;

/* The real conversion (a pure function of the counter's frequency). */
uint64_t pool_us_to_ticks(uint64_t us)
{
	return us * arch_counter_freq() / 1000000;
}

/* Places every vCPU on pcpus[0] (home and first pCPU), unless a test chose an error. */
int pool_join_vm(struct vm *vm, unsigned pool_index)
{
	fake_record("pool_join_vm", vm, pool_index, 0, 0);
	if (fake_knobs.pool_join_err)
		return fake_knobs.pool_join_err;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].sched.home = &pcpus[0];
	return 0;
}

void pool_wake(struct vcpu *vcpu)
{
	fake_record("pool_wake", vcpu, 0, 0, 0);
}

void pool_yield(struct vcpu *vcpu)
{
	fake_record("pool_yield", vcpu, 0, 0, 0);
}

void pool_dump(void)
{
	fake_record("pool_dump", NULL, 0, 0, 0);
}

/* What the test put in fake_knobs.pick (obj: the pCPU). */
struct vcpu *pool_pick_next(struct pcpu *p)
{
	fake_record("pool_pick_next", p, 0, 0, 0);
	p->sched.away = false;
	return fake_knobs.pick;
}

/* No VM move completes (obj: the vCPU). */
bool pool_vcpu_left(struct vcpu *vcpu)
{
	fake_record("pool_vcpu_left", vcpu, 0, 0, 0);
	return false;
}

/* Applies the parameters (fake_knobs.pool_set_err refuses them instead). */
int pool_set_params(struct vcpu *vcpu, const struct sched_params *params, char *why, size_t why_len)
{
	fake_record("pool_set_params", vcpu, params->weight, params->budget, params->period);
	if (fake_knobs.pool_set_err) {
		snprintf_td(why, why_len, "refused by the test");
		return fake_knobs.pool_set_err;
	}
	vcpu->sched.params = *params;
	return 0;
}

/* The pool of vCPU 0; the move in flight is fake_knobs.moving_to[vm->index] (NULL: none). */
struct pool *pool_of_vm(const struct vm *vm, struct pool **moving_to)
{
	*moving_to = vm->index < CFG_MAX_VMS ? fake_knobs.moving_to[vm->index] : NULL;
	return vm->vcpus[0].sched.pool;
}

/* Moves at once (as when none of the VM's vCPUs is on a pCPU); fake_knobs.pool_move_err
 * refuses instead. */
int pool_move_vm(struct vm *vm, struct pool *to, char *why, size_t why_len)
{
	fake_record("pool_move_vm", vm, to->index, 0, 0);
	if (fake_knobs.pool_move_err) {
		snprintf_td(why, why_len, "refused by the test");
		return fake_knobs.pool_move_err;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].sched.pool = to;
	return 0;
}

/* As pool_move_vm, for a pCPU (obj: the pCPU; arg 0: the pool's index). */
int pool_move_pcpu(struct pcpu *p, struct pool *to, char *why, size_t why_len)
{
	fake_record("pool_move_pcpu", p, to->index, 0, 0);
	if (fake_knobs.pool_move_err) {
		snprintf_td(why, why_len, "refused by the test");
		return fake_knobs.pool_move_err;
	}
	p->sched.pool = to;
	return 0;
}

/* Away from its pool, as the real one marks it (obj: the pCPU); its next pick brings it back. */
void pool_pcpu_away(struct pcpu *p)
{
	fake_record("pool_pcpu_away", p, 0, 0, 0);
	p->sched.away = true;
	p->resched = true;
}
