/* unit-sources: hypervisor/sched/bind.c */
/*
 * The bind scheduler (sched/bind.c): admission is a count (vCPUs <= pCPUs, a bound pCPU cannot
 * leave), every vCPU keeps its own pCPU across re-plans, pick never asks for a timer, and a
 * pCPU runs only the vCPU bound to it.
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
#include <tandem/vm.h>

static struct pcpu cpu[3];
static struct vm vm;
static struct pool pool;
static char why[160];

static int setup(void **state)
{
	(void)state;
	memset(cpu, 0, sizeof(cpu));
	memset(&vm, 0, sizeof(vm));
	memset(&pool, 0, sizeof(pool));
	vm.name = "rt";
	vm.nr_vcpus = 2;
	pool.name = "rt";
	pool.ops = &sched_bind_ops;
	for (unsigned i = 0; i < 2; i++) {
		cpu[i].index = i + 2;
		cpu[i].sched.pool = &pool;
		pool.pcpus[pool.nr_pcpus++] = &cpu[i];
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].state = VCPU_RUNNABLE;
	}
	cpu[2].index = 4;
	return 0;
}

static int join(unsigned n)
{
	struct vcpu *v[2] = {&vm.vcpus[0], &vm.vcpus[1]};
	struct sched_change c = {.join = v, .nr_join = n};
	int err = pool.ops->admit(&pool, &c, why, sizeof(why));

	if (!err) {
		for (unsigned i = 0; i < n; i++) {
			v[i]->sched.pool = &pool;
			pool.vcpus[pool.nr_vcpus++] = v[i];
		}
		pool.ops->replan(&pool, 0);
	}
	return err;
}

static void test_admission_is_a_count(void **state)
{
	struct sched_params p = {.budget = 10, .period = 100, .weight = 256};
	struct sched_change retune = {.retune = &vm.vcpus[0], .params = &p};
	struct sched_change drop = {.drop_pcpu = &cpu[0]};
	struct sched_change add = {.add_pcpu = &cpu[2]};

	(void)state;
	pool.nr_pcpus = 1; /* one pCPU for two vCPUs: refused, nothing joins */
	assert_int_equal(join(2), -ERR_BUSY);
	assert_string_equal(why, "bind pool \"rt\" would have 1 pCPU for 2 vCPUs");
	assert_int_equal(pool.nr_vcpus, 0);
	pool.nr_pcpus = 2;
	assert_int_equal(join(2), 0);
	assert_int_equal(pool.ops->admit(&pool, &retune, why, sizeof(why)), -ERR_INVAL);
	assert_int_equal(pool.ops->admit(&pool, &drop, why, sizeof(why)), -ERR_BUSY);
	assert_non_null(strstr(why, "pCPU 2 is bound to vCPU"));
	assert_int_equal(pool.ops->admit(&pool, &add, why, sizeof(why)), 0);
}

static void test_each_vcpu_owns_a_pcpu(void **state)
{
	uint64_t next = 0;
	struct pcpu *home0, *home1, *kick = &cpu[2];

	(void)state;
	assert_int_equal(join(2), 0);
	home0 = vm.vcpus[0].sched.home;
	home1 = vm.vcpus[1].sched.home;
	assert_non_null(home0);
	assert_non_null(home1);
	assert_ptr_not_equal(home0, home1);
	/* A re-plan (say, a pCPU joined) keeps every binding. */
	pool.pcpus[pool.nr_pcpus++] = &cpu[2];
	pool.ops->replan(&pool, 5);
	assert_ptr_equal(vm.vcpus[0].sched.home, home0);
	assert_ptr_equal(vm.vcpus[1].sched.home, home1);

	/* pick: the bound vCPU, never a timer; the spare pCPU idles. */
	assert_ptr_equal(pool.ops->pick(&pool, home0, 10, &next, &kick), &vm.vcpus[0]);
	assert_int_equal(next, SCHED_NEVER);
	assert_null(kick);
	assert_ptr_equal(vm.vcpus[0].sched.running_on, home0);
	assert_null(pool.ops->pick(&pool, &cpu[2], 10, &next, &kick));
	assert_int_equal(next, SCHED_NEVER);

	/* A stopped vCPU leaves its pCPU idle; waking it asks its own pCPU to pick. */
	vm.vcpus[0].state = VCPU_STOPPED;
	assert_null(pool.ops->pick(&pool, home0, 20, &next, &kick));
	assert_null(vm.vcpus[0].sched.running_on);
	vm.vcpus[0].state = VCPU_RUNNABLE;
	assert_ptr_equal(pool.ops->wake(&pool, &vm.vcpus[0], 30), home0);
	assert_ptr_equal(pool.ops->pick(&pool, home0, 30, &next, &kick), &vm.vcpus[0]);
	/* Already running there: nothing to kick. */
	assert_null(pool.ops->wake(&pool, &vm.vcpus[0], 40));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_admission_is_a_count, setup),
	    cmocka_unit_test_setup(test_each_vcpu_owns_a_pcpu, setup),
	};

	return cmocka_run_group_tests_name("sched_bind", tests, NULL, NULL);
}
