/* clang-format off */ /* unit-sources: hypervisor/sched/pool.c hypervisor/sched/bind.c hypervisor/sched/dynamic.c hypervisor/core/pcpu_time.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_vcpu.c tests/unit/fakes/fake_irq.c tests/unit/fakes/fake_arch_vcpu.c */
/* clang-format on */
/*
 * VM and pCPU moves between pools (sched/pool.c) with the real schedulers. Nothing here may
 * wait: every call returns at once (this file runs on one host thread, so a move that waited
 * for another vCPU to leave its pCPU would hang it). The test plays the core: a pCPU "runs" a
 * vCPU when a pick returned it and it is loaded (loaded_on), and "leaves" it the way
 * pcpu_maybe_switch() does: pick, save (loaded_on = NULL), pool_vcpu_left().
 *
 * Pools: pool0 dynamic on pCPUs 0-1, rt bind on pCPUs 2-3, spare dynamic with no pCPU.
 * VMs: a (2 vCPUs) in pool0, b (1 vCPU) in rt, c (1 vCPU) in pool0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/arch_vcpu.h>
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

/* The core around pool.c: the shared recording fakes (tests/unit/fakes). */
#include "fakes/fake.h"

/* ---- the system ---- */

static struct cfg_system cfg;
static struct cfg_vm vm_cfg[3];
static struct vm *A = &vms[0], *B = &vms[1], *C = &vms[2];
static struct pool *const POOL0 = &pools[0], *const RT = &pools[1], *const SPARE = &pools[2];
static char why[128];

static void make_vm(struct vm *vm, struct cfg_vm *c, const char *name, unsigned n, unsigned pool)
{
	c->nr_vcpus = n;
	c->pool = pool;
	vm->cfg = c;
	vm->name = name;
	vm->index = (unsigned)(vm - vms);
	vm->nr_vcpus = n;
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < n; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].state = VCPU_OFF;
	}
	assert_int_equal(pool_join_vm(vm, pool), 0);
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	fake_calls_reset();
	memset(pools, 0, sizeof(struct pool) * MAX_POOLS);
	memset(pcpus, 0, sizeof(pcpus));
	memset(vms, 0, sizeof(vms));
	memset(&cfg, 0, sizeof(cfg));
	memset(vm_cfg, 0, sizeof(vm_cfg));
	nr_pcpus = 4;
	for (unsigned i = 0; i < nr_pcpus; i++) {
		pcpus[i].index = i;
		pcpus[i].online = true;
	}
	cfg.nr_pools = 3;
	strcpy(cfg.pools[0].name, "pool0");
	cfg.pools[0].cpus = 0x3;
	cfg.pools[0].scheduler = CFG_SCHED_DYNAMIC;
	strcpy(cfg.pools[1].name, "rt");
	cfg.pools[1].cpus = 0xc;
	cfg.pools[1].scheduler = CFG_SCHED_BIND;
	strcpy(cfg.pools[2].name, "spare");
	cfg.pools[2].scheduler = CFG_SCHED_DYNAMIC;
	pools_init(&cfg);
	nr_vms = 3;
	make_vm(A, &vm_cfg[0], "a", 2, 0);
	make_vm(B, &vm_cfg[1], "b", 1, 1);
	make_vm(C, &vm_cfg[2], "c", 1, 0);
	return 0;
}

/* The core's pick on p (under its pool's lock, handing back what a moved pCPU ran). */
static struct vcpu *pick(struct pcpu *p)
{
	struct pool *pool = pool_lock_for_pick(p);
	struct pcpu *kick = NULL;
	struct vcpu *v;

	p->resched = false;
	v = pool->ops->pick(pool, p, arch_counter_read(), &p->next_decision, &kick);
	spin_unlock(&pool->lock);
	return v;
}

/* vCPU v becomes runnable and p picks and loads it. */
static void run(struct vcpu *v, struct pcpu *p)
{
	v->state = VCPU_RUNNABLE;
	pool_wake(v);
	assert_ptr_equal(pick(p), v);
	v->loaded_on = p;
	p->current = v;
}

/* p leaves the vCPU it has loaded, as pcpu_maybe_switch() does: true if that completed a move. */
static bool leave(struct pcpu *p)
{
	struct vcpu *prev = p->current;

	assert_ptr_equal(prev->loaded_on, p);
	assert_ptr_not_equal(pick(p), prev); /* held, or stopped: never picked again */
	p->current = NULL;
	prev->loaded_on = NULL;
	return pool_vcpu_left(prev);
}

static bool member(const struct pool *pool, const struct vcpu *v)
{
	for (unsigned i = 0; i < pool->nr_vcpus; i++)
		if (pool->vcpus[i] == v)
			return true;
	return false;
}

static void assert_in(const struct vm *vm, const struct pool *pool)
{
	struct pool *moving_to;

	assert_ptr_equal(pool_of_vm(vm, &moving_to), pool);
	assert_null(moving_to);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		assert_ptr_equal(vm->vcpus[i].sched.pool, pool);
		assert_true(member(pool, &vm->vcpus[i]));
		assert_false(vm->vcpus[i].held);
	}
}

/* ---- tests ---- */

/* pCPU 3 (free in rt: b is bound to pCPU 2) moves to spare and has picked there once. */
static void spare_gets_pcpu3(void)
{
	assert_int_equal(pool_move_pcpu(&pcpus[3], SPARE, why, sizeof(why)), 0);
	assert_null(pick(&pcpus[3])); /* releases rt's claim on it; spare has nothing to run */
	assert_null(pcpus[3].leaving);
}

/* Another VM's move returns 0 at once while its vCPUs run; the last one to leave completes it. */
static void move_of_a_running_vm_completes_at_its_last_departure(void **state)
{
	struct sched_params params = {.budget = 100, .period = 1000, .weight = 256};
	struct pool *moving_to;

	(void)state;
	run(&A->vcpus[0], &pcpus[0]);
	run(&A->vcpus[1], &pcpus[1]);
	run(&B->vcpus[0], &pcpus[2]);
	fake_calls_reset();

	/* Refused moves change nothing and kick nobody: spare has no pCPU; rt (bind) has one
	 * free pCPU for a's two vCPUs. */
	assert_int_equal(pool_move_vm(A, SPARE, why, sizeof(why)), -ERR_BUSY);
	assert_in(A, POOL0);
	assert_int_equal(pool_move_vm(A, RT, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "bind pool \"rt\" would have 2 pCPUs for 3 vCPUs");
	assert_in(A, POOL0);
	assert_int_equal(fake_count_obj("pcpu_resched", &pcpus[0]) +
			     fake_count_obj("pcpu_resched", &pcpus[1]),
			 0);

	spare_gets_pcpu3();
	fake_calls_reset();
	assert_int_equal(pool_move_vm(A, SPARE, why, sizeof(why)), 0);
	assert_ptr_equal(pool_of_vm(A, &moving_to), POOL0); /* admitted, not done */
	assert_ptr_equal(moving_to, SPARE);
	assert_true(A->vcpus[0].held && A->vcpus[1].held);
	assert_true(fake_count_obj("pcpu_resched", &pcpus[0]) == 1 &&
		    fake_count_obj("pcpu_resched", &pcpus[1]) ==
			1); /* both its pCPUs were kicked */
	assert_false(fake_printk_contains("vm a: moved"));

	/* While in flight: a second move, or a retune of one of its vCPUs, is busy. */
	assert_int_equal(pool_move_vm(A, POOL0, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "vm a is already moving to pool spare");
	assert_int_equal(pool_set_params(&A->vcpus[0], &params, why, sizeof(why)), -ERR_BUSY);
	assert_int_equal(A->vcpus[0].sched.params.budget, 0);
	/* Nor may spare lose its only pCPU: the pending join counts in its admission test. */
	assert_int_equal(pool_move_pcpu(&pcpus[3], POOL0, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "a pool with no pCPUs cannot run its vCPUs");

	/* pCPU 0 leaves a/0: a/1 is still on pCPU 1, so nothing completes yet. */
	assert_false(leave(&pcpus[0]));
	assert_ptr_equal(pool_of_vm(A, &moving_to), POOL0);
	/* pCPU 1 leaves a/1: the last one, so it completes the move. */
	assert_true(leave(&pcpus[1]));
	assert_in(A, SPARE);
	assert_true(fake_printk_contains("vm a: moved from pool pool0 to pool spare"));
	assert_true(A->vcpus[0].sched.queued && A->vcpus[1].sched.queued);
	assert_true(pcpus[3].resched);		  /* spare's pCPU decides anew... */
	assert_ptr_equal(pick(&pcpus[3])->vm, A); /* ...and runs a vCPU of a */
	assert_int_equal(fake_count("irq_route_hyp"), 1);
}

/* A VM none of whose vCPUs is on a pCPU moves within the call: nobody else would complete it. */
static void an_idle_vm_moves_within_the_call(void **state)
{
	(void)state;
	assert_int_equal(pool_move_vm(C, RT, why, sizeof(why)), 0); /* c never started */
	assert_in(C, RT);
	assert_true(fake_printk_contains("vm c: moved from pool pool0 to pool rt"));
}

/*
 * The deadlock the old code had: b (privileged, on pCPU 2) moves a while a (on pCPU 0) moves
 * b. Each call used to hold, kick and then wait in EL2 for the other's vCPU to leave, which
 * was itself waiting in EL2. Now both return at once, and each move completes when its VM's
 * vCPU leaves at the end of its own hypercall's trap.
 */
static void crossing_moves_both_return_at_once(void **state)
{
	(void)state;
	spare_gets_pcpu3();
	run(&A->vcpus[0], &pcpus[0]);
	run(&B->vcpus[0], &pcpus[2]);
	assert_int_equal(pool_move_vm(A, SPARE, why, sizeof(why)), 0); /* asked by b */
	assert_int_equal(pool_move_vm(B, POOL0, why, sizeof(why)), 0); /* asked by a */
	assert_true(A->move_to == SPARE && B->move_to == POOL0);
	assert_true(leave(&pcpus[0]));
	assert_true(leave(&pcpus[2]));
	assert_in(A, SPARE);
	assert_in(B, POOL0);
}

/* Both vCPUs of a ask to move a at the same instant: one is admitted, the other is busy,
 * and the move completes when the second of them has left. */
static void both_vcpus_of_a_vm_move_it(void **state)
{
	(void)state;
	spare_gets_pcpu3();
	run(&A->vcpus[0], &pcpus[0]);
	run(&A->vcpus[1], &pcpus[1]);
	assert_int_equal(pool_move_vm(A, SPARE, why, sizeof(why)), 0);	       /* from a/0 */
	assert_int_equal(pool_move_vm(A, SPARE, why, sizeof(why)), -ERR_BUSY); /* from a/1 */
	assert_false(leave(&pcpus[1]));
	assert_true(leave(&pcpus[0]));
	assert_in(A, SPARE);
}

/* A pCPU that set a vCPU aside just before the hold but has not saved it yet: the mover sees
 * it still loaded and leaves the move pending; that pCPU completes it once it has saved it. */
static void a_vcpu_leaving_as_the_move_lands(void **state)
{
	struct vcpu *v = &C->vcpus[0];

	(void)state;
	run(v, v->sched.home);
	v->state = VCPU_BLOCKED;		      /* its WFI... */
	assert_ptr_not_equal(pick(v->sched.home), v); /* ...the pick sets it aside; not saved yet */
	assert_null(v->sched.running_on);
	assert_int_equal(pool_move_vm(C, RT, why, sizeof(why)), 0);
	assert_ptr_equal(C->move_to, RT); /* still loaded: not done */
	v->loaded_on = NULL;		  /* its pCPU saves it */
	v->sched.home->current = NULL;
	assert_true(pool_vcpu_left(v));
	assert_in(C, RT);
	assert_false(v->sched.queued); /* blocked: it waits for an interrupt in rt */
	assert_int_equal(fake_count("vcpu_kick_if_pending"), 1);
}

/* A VM stopped mid-move: its vCPUs leave like any other, the move completes, nothing wakes. */
static void a_vm_stopping_mid_move(void **state)
{
	struct vcpu *v = &C->vcpus[0];

	(void)state;
	run(v, v->sched.home);
	assert_int_equal(pool_move_vm(C, RT, why, sizeof(why)), 0);
	v->state = VCPU_STOPPED;
	assert_true(leave(v->loaded_on));
	assert_in(C, RT);
	assert_false(v->sched.queued);
}

/* A pCPU moved to another pool hands what it ran back at its next pick; until then a second
 * move of it is busy, though it is already a member of the new pool. */
static void a_moved_pcpu_releases_at_its_next_pick(void **state)
{
	struct vcpu *v = &A->vcpus[1];

	(void)state;
	run(v, v->sched.home);
	assert_int_equal(pool_move_pcpu(v->loaded_on, SPARE, why, sizeof(why)), 0);
	assert_ptr_equal(v->loaded_on->sched.pool, SPARE);
	assert_ptr_equal(v->loaded_on->leaving, POOL0);
	assert_int_equal(pool_move_pcpu(v->loaded_on, POOL0, why, sizeof(why)), -ERR_BUSY);
	assert_string_equal(why, "pCPU 1 is still leaving its previous pool");
	assert_null(pick(v->loaded_on)); /* spare has no vCPU; a/1 waits in pool0 again */
	assert_null(v->loaded_on->leaving);
	assert_null(v->sched.running_on);
	assert_true(v->sched.queued);
	assert_int_equal(pool_move_pcpu(v->loaded_on, POOL0, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(move_of_a_running_vm_completes_at_its_last_departure, setup),
	    cmocka_unit_test_setup(an_idle_vm_moves_within_the_call, setup),
	    cmocka_unit_test_setup(crossing_moves_both_return_at_once, setup),
	    cmocka_unit_test_setup(both_vcpus_of_a_vm_move_it, setup),
	    cmocka_unit_test_setup(a_vcpu_leaving_as_the_move_lands, setup),
	    cmocka_unit_test_setup(a_vm_stopping_mid_move, setup),
	    cmocka_unit_test_setup(a_moved_pcpu_releases_at_its_next_pick, setup),
	};

	return cmocka_run_group_tests_name("pool_moves", tests, NULL, NULL);
}
