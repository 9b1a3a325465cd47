/*
 * "hc storm vm|cpu N POOL_A POOL_B MS": every online CPU of the RTOS at once, for MS ms, asks
 * Tandem back to back to move VM N (VM_SET_POOL) or pCPU N (PCPU_SET_POOL) to POOL_A, POOL_B,
 * POOL_A, ... Two privileged VMs storming each other, or one VM storming itself from all its
 * vCPUs, is what hangs a hypervisor whose hypercalls wait for another vCPU to leave its pCPU.
 * Once every CPU is done it prints one line:
 *   HC storm status=S x1=OK x2=BUSY x3=OTHER x4=CALLS cpus=N
 * S is 0, or the last status other than OK and BUSY (which x3 counts) that came back.
 */
#include "app.h"
#include "console.h"
#include "kstring.h"
#include "percpu.h"
#include "rtos.h"
#include "sched.h"

#include <common/smccc_call.h>

#include "../../hypervisor/include/tandem/abi/hypercall.h"

#define PRIO_STORM 1 /* the lowest: the benchmark and its reporter run on throughout */

struct storm_cpu {
	struct task task;
	struct semaphore go;
	uint64_t ok, busy, other, calls;
	int64_t last_other;
	uint64_t stack[512];
};

static struct storm_cpu workers[RTOS_MAX_CPUS];
static struct semaphore done;
static bool started;
static struct {
	uint64_t fn, index, pool[2], end;
} job;

static void worker_main(void *arg)
{
	struct storm_cpu *w = arg;

	for (;;) {
		if (sem_take(&w->go, RTOS_FOREVER) != RTOS_OK)
			continue;
		w->ok = w->busy = w->other = w->calls = 0;
		w->last_other = 0;
		for (uint64_t i = 0; rtos_now() < job.end; i++) {
			int64_t r = smccc_call(true, job.fn, job.index, job.pool[i & 1], 0);

			w->calls++;
			if (r == TANDEM_OK) {
				w->ok++;
			} else if (r == TANDEM_E_BUSY) {
				w->busy++;
			} else {
				w->other++;
				w->last_other = r;
			}
		}
		sem_give(&done);
	}
}

void hcstorm(bool vm, uint64_t index, uint64_t pool_a, uint64_t pool_b, uint64_t ms)
{
	unsigned cpus = 0;
	uint64_t ok = 0, busy = 0, other = 0, calls = 0;
	int64_t status = 0;

	if (!started) {
		sem_init(&done, 0, RTOS_MAX_CPUS);
		for (unsigned c = 0; c < sched_nr_cpus(); c++) {
			sem_init(&workers[c].go, 0, 1);
			task_create(&workers[c].task, "hc-storm", worker_main, &workers[c],
				    PRIO_STORM, c, workers[c].stack, sizeof(workers[c].stack));
		}
		started = true;
	}
	job.fn = vm ? TANDEM_HC_VM_SET_POOL : TANDEM_HC_PCPU_SET_POOL;
	job.index = index;
	job.pool[0] = pool_a;
	job.pool[1] = pool_b;
	job.end = rtos_now() + rtos_us_to_ticks(1000 * ms);
	for (unsigned c = 0; c < sched_nr_cpus(); c++) {
		if (pcpus[c].online) {
			sem_give(&workers[c].go);
			cpus++;
		}
	}
	for (unsigned c = 0; c < cpus; c++)
		sem_take(&done, RTOS_FOREVER);
	for (unsigned c = 0; c < sched_nr_cpus(); c++) {
		if (!pcpus[c].online)
			continue;
		ok += workers[c].ok;
		busy += workers[c].busy;
		other += workers[c].other;
		calls += workers[c].calls;
		if (workers[c].other)
			status = workers[c].last_other;
	}
	kprintf("HC storm status=%ld x1=%lu x2=%lu x3=%lu x4=%lu cpus=%u\n", (long)status,
		(unsigned long)ok, (unsigned long)busy, (unsigned long)other, (unsigned long)calls,
		cpus);
}
