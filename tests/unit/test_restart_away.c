/* clang-format off */ /* unit-sources: hypervisor/core/pcpu.c hypervisor/core/pcpu_time.c hypervisor/core/timer.c hypervisor/core/irq.c hypervisor/core/vm.c hypervisor/lib/mem.c hypervisor/arch/aarch64/stage2.c hypervisor/core/mmio.c hypervisor/virt/vdev.c hypervisor/virt/vdev_dump.c hypervisor/sched/pick.c hypervisor/sched/pool.c hypervisor/sched/bind.c hypervisor/sched/dynamic.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_arch_vcpu.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_passthrough.c tests/unit/fakes/fake_vcpu.c tests/unit/fakes/fake_vdev_table.c tests/unit/fakes/fake_console.c tests/unit/fakes/fake_guest_dtb.c tests/unit/fakes/fake_failover.c */
/* clang-format on */
/*
 * A VM restart never holds up another VM's vCPU (core/pcpu.c, sched/): the real switch
 * protocol (pcpu_maybe_switch, the idle loop), the real restart (core/vm.c) and the real
 * dynamic scheduler, on two pCPUs of one pool, as a failover leaves them: the failed VM "a"
 * restarting, the promoted VM "b" runnable and homed where a ran (its new, larger weight).
 *
 * The interleaving the failover test met (test_failover.py boot 2): pCPU 0 ends a's trap, its
 * pick takes b (homed there) before pCPU 1, kicked for b, gets to pick; pCPU 0 then ran a's
 * whole restart (wiping its RAM) with b picked, so pCPU 1 could not run b, and b missed its
 * own watchdog. The test plays pCPU 1 in the middle of the restart (when a's first device is
 * reset): its pick must get b. The same for a restart claimed by a timer callback (the
 * watchdog's WS1) while b is loaded on that pCPU, and while it idles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/arch.h>
#include <tandem/config.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

#define TEXT_OFFSET 0x80000ULL
#define KERNEL_FILE 0x8000

static uint8_t kernel[KERNEL_FILE];
static struct cfg_system sys;
static struct cfg_vm cfg[3];
/* vms[0] and vms[2]: regs_copy() moves registers 16 bytes at a time, and on the host only
 * every other VM's vCPU registers are 16-byte aligned (struct vm is 8 bytes off a multiple). */
static struct vm *const A = &vms[0], *const B = &vms[2];
static struct vcpu *const VA = &vms[0].vcpus[0], *const VB = &vms[2].vcpus[0];
static jmp_buf entered;
static char why[128];

/* What pCPU 1 saw while pCPU 0 was in the middle of a's restart. */
static struct {
	bool seen;		  /* a's first device was reset (the restart had begun) */
	struct pcpu *b_picked_by; /* b's pick at that moment (running_on) */
	struct vcpu *pcpu1_picked;
	bool pcpu0_away;
	unsigned long windows; /* interrupts let in so far (arch_irq_window), its RAM wiped */
} mid;

static bool in_hook;

static void during_restart(const struct fake_call *c)
{
	if (in_hook || mid.seen || strcmp(c->fn, "irqchip.reset") != 0 || c->obj != A)
		return;
	in_hook = true;
	mid.seen = true;
	mid.b_picked_by = VB->sched.running_on;
	mid.pcpu0_away = pcpus[0].sched.away;
	mid.windows = fake_arch.irq_windows;
	/* pCPU 1, kicked: it picks now. */
	fake_knobs.this_pcpu = &pcpus[1];
	mid.pcpu1_picked = pool_pick_next(&pcpus[1]);
	fake_knobs.this_pcpu = &pcpus[0];
	in_hook = false;
}

static void make_vm(unsigned i, const char *name, paddr_t base)
{
	struct cfg_vm *c = &cfg[i];

	strcpy(c->name, name);
	c->nr_vcpus = 1;
	c->mem_size = MiB(4);
	c->static_mem = true;
	c->static_base = base;
	c->kernel.name = "Image";
	c->kernel.data = kernel;
	c->kernel.size = sizeof(kernel);
	assert_int_equal(vm_create(&vms[i], c, i), 0);
}

static int setup(void **state)
{
	paddr_t base = FAKE_RAM_BASE;
	uint64_t size = MiB(64);

	fake_reset();
	fake_gic_reset(4);
	fake_ram_power_on();
	fake_arch.printk_quiet = true;
	fake_arch.counter_step = 1;
	fake_calls_reset();
	memset(&mid, 0, sizeof(mid));
	memset(pools, 0, sizeof(struct pool) * MAX_POOLS);
	memset(pcpus, 0, sizeof(pcpus));
	memset(vms, 0, sizeof(vms));
	memset(&sys, 0, sizeof(sys));
	memset(cfg, 0, sizeof(cfg));
	nr_pcpus = 2;
	for (unsigned i = 0; i < nr_pcpus; i++) {
		pcpus[i].index = i;
		pcpus[i].online = true;
		fake_knobs.this_pcpu = &pcpus[i];
		pcpu_init_sched(&pcpus[i]);
	}
	fake_knobs.this_pcpu = &pcpus[0];
	fake_knobs.enter_jmp = &entered;
	if (mem_init(&base, &size, 1, NULL, NULL, 0))
		return -1;
	memset(kernel, 0x5a, sizeof(kernel));
	memcpy(kernel + 0x8, &(uint64_t){TEXT_OFFSET}, 8);
	memcpy(kernel + 0x10, &(uint64_t){0x100000}, 8);
	memcpy(kernel + 0x38, (const uint8_t[4]){'A', 'R', 'M', 0x64}, 4);

	sys.nr_pools = 1;
	strcpy(sys.pools[0].name, "pool0");
	sys.pools[0].cpus = 0x3;
	sys.pools[0].scheduler = CFG_SCHED_DYNAMIC;
	pools_init(&sys);
	nr_vms = 3;
	vms[1].state = VM_STOPPED; /* no vCPU: it takes no part */
	make_vm(0, "a", FAKE_RAM_BASE + MiB(32));
	make_vm(2, "b", FAKE_RAM_BASE + MiB(40));
	vm_start(A);
	vm_start(B);
	fake_on_call = during_restart;
	return 0;
}

/* p runs what its pool picks (the vCPU is loaded there); returns it. */
static struct vcpu *pcpu_picks_and_enters(struct pcpu *p)
{
	fake_knobs.this_pcpu = p;
	if (setjmp(entered) == 0)
		pcpu_run();
	fake_knobs.this_pcpu = &pcpus[0];
	return p->current;
}

/* The failover's part that the scheduler sees: a restarting, the shares swapped (b weighs
 * more, so the re-plan homes it on pCPU 0, where a ran), b woken by its promotion interrupt. */
static void fail_a_promote_b(void)
{
	struct sched_params pa = VA->sched.params, pb = VB->sched.params;

	assert_true(vm_begin_restart(A));
	pb.weight = 1024;
	pa.weight = 16;
	assert_int_equal(pool_set_params(VB, &pb, why, sizeof(why)), 0);
	assert_int_equal(pool_set_params(VA, &pa, why, sizeof(why)), 0);
	assert_ptr_equal(VB->sched.home, &pcpus[0]);
	VB->state = VCPU_RUNNABLE;
	pool_wake(VB);
}

/* pCPU 0 leaves a's stopped vCPU at the end of its trap: a's restart runs there. */
static void test_restart_after_a_leave_hands_back_the_pick(void **state)
{
	/* a runs on pCPU 0; b, the standby, idles (blocked); pCPU 1 idles. */
	VB->state = VCPU_BLOCKED;
	pool_wake(VA);
	assert_ptr_equal(pcpu_picks_and_enters(&pcpus[0]), VA);
	fake_knobs.this_pcpu = &pcpus[1];
	assert_null(pool_pick_next(&pcpus[1]));
	fake_knobs.this_pcpu = &pcpus[0];

	fail_a_promote_b();
	/* b waits for pCPU 1 (kicked), but is homed on pCPU 0, which decides first. */
	assert_ptr_equal(VB->sched.queue, &pcpus[1]);
	assert_null(VB->sched.running_on);

	if (setjmp(entered) == 0)
		pcpu_maybe_switch(); /* pCPU 0, at the end of a's trap */

	/* The restart ran on pCPU 0 without b picked there, so pCPU 1 ran b meanwhile ... */
	assert_true(mid.seen);
	assert_ptr_not_equal(mid.b_picked_by, &pcpus[0]);
	assert_ptr_equal(mid.pcpu1_picked, VB);
	/* ... for pCPU 0 was away from its pool. Its own timers (say, b's wake-up, had b blocked
	 * there) still fire: the wipe let interrupts in after each 2 MiB of a's 4 MiB. */
	assert_true(mid.pcpu0_away);
	assert_int_equal(mid.windows, 2);
	/* pCPU 0 loaded nothing: it went back to its idle loop, to pick again. */
	assert_int_equal(fake_count_obj("arch_vcpu_load", VB), 0);
	assert_null(pcpus[0].current);
	assert_true(pcpus[0].resched);
	assert_int_equal(pcpus[0].restarts, 0);
	/* a restarted (vCPU 0 started again) and b is still pCPU 1's. */
	assert_int_equal(A->state, VM_RUNNING);
	assert_int_equal(A->restarts, 1);
	assert_int_equal(VA->state, VCPU_RUNNABLE);
	assert_ptr_equal(VB->sched.running_on, &pcpus[1]);
	/* Back: its next pick ends the away, and does not take b from pCPU 1. */
	assert_ptr_not_equal(pool_pick_next(&pcpus[0]), VB);
	assert_false(pcpus[0].sched.away);
}

/* The watchdog's WS1 fails a (blocked, on no pCPU) from a timer callback on pCPU 0, in the
 * middle of a trap of b's: the restart waits for the trap's end, and b goes to pCPU 1. */
static void test_restart_from_a_callback_waits_for_the_trap_end(void **state)
{
	/* b runs on pCPU 0; a, hung, idles (blocked); pCPU 1 idles. */
	VA->state = VCPU_BLOCKED;
	pool_wake(VB);
	assert_ptr_equal(pcpu_picks_and_enters(&pcpus[0]), VB);
	fake_knobs.this_pcpu = &pcpus[1];
	assert_null(pool_pick_next(&pcpus[1]));
	fake_knobs.this_pcpu = &pcpus[0];

	/* In the callback: a restarting; none of its vCPUs is on a pCPU, so this one claims it. */
	assert_true(vm_begin_restart(A));
	vm_restart_if_off(A);
	assert_false(mid.seen); /* not here: b is loaded on this pCPU */
	assert_int_equal(A->state, VM_RESTARTING);
	assert_true(pcpus[0].restarts & 1U);
	assert_true(pcpus[0].resched);
	vm_restart_if_off(A); /* claimed once only */
	assert_int_equal(pcpus[0].restarts, 1U);

	/* The trap's exit: b is schedulable, but the restart is due. */
	if (setjmp(entered) == 0)
		pcpu_maybe_switch();

	assert_true(mid.seen);
	assert_true(mid.pcpu0_away);
	assert_null(mid.b_picked_by); /* b left pCPU 0 and waited for pCPU 1 */
	assert_ptr_equal(mid.pcpu1_picked, VB);
	assert_null(VB->loaded_on); /* saved before pCPU 1 would load it */
	assert_int_equal(A->restarts, 1);
	assert_null(pcpus[0].current);
	assert_int_equal(pcpus[0].restarts, 0);
}

/* Claimed by a callback while pCPU 0 idles: its idle loop runs it before it sleeps again. */
static void stop_idling(void)
{
	longjmp(entered, 3);
}

static void test_restart_from_a_callback_while_idle(void **state)
{
	VA->state = VCPU_BLOCKED;
	VB->state = VCPU_BLOCKED;
	assert_true(vm_begin_restart(A));
	vm_restart_if_off(A); /* the callback interrupted pCPU 0's idle loop */
	assert_false(mid.seen);
	fake_arch.wfi_hook = stop_idling;
	if (setjmp(entered) == 0)
		pcpu_run(); /* picks nothing, idles: the loop looks at its claimed restarts first */

	assert_true(mid.seen);
	assert_true(mid.pcpu0_away);
	assert_int_equal(A->restarts, 1);
	assert_int_equal(pcpus[0].restarts, 0);
	assert_false(pcpus[0].sched.away); /* it picked again after the restart */
}

/* A wake-up during the restart is never placed with the away pCPU, even where it is home. */
static void test_wake_during_restart_goes_elsewhere(void **state)
{
	VB->state = VCPU_BLOCKED;
	pool_wake(VA);
	assert_ptr_equal(pcpu_picks_and_enters(&pcpus[0]), VA);
	fail_a_promote_b();
	fake_knobs.this_pcpu = &pcpus[1];
	assert_ptr_equal(pool_pick_next(&pcpus[1]), VB);
	fake_knobs.this_pcpu = &pcpus[0];
	pool_pcpu_away(&pcpus[0]);
	/* b blocks on pCPU 1 and wakes again: home pCPU 0 is away, pCPU 1 idle and free. */
	VB->state = VCPU_BLOCKED;
	fake_knobs.this_pcpu = &pcpus[1];
	assert_null(pool_pick_next(&pcpus[1]));
	VB->state = VCPU_RUNNABLE;
	pool_wake(VB);
	assert_ptr_equal(VB->sched.queue, &pcpus[1]);
	assert_ptr_equal(pool_pick_next(&pcpus[1]), VB);
	fake_knobs.this_pcpu = &pcpus[0];
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_restart_after_a_leave_hands_back_the_pick, setup),
	    cmocka_unit_test_setup(test_restart_from_a_callback_waits_for_the_trap_end, setup),
	    cmocka_unit_test_setup(test_restart_from_a_callback_while_idle, setup),
	    cmocka_unit_test_setup(test_wake_during_restart_goes_elsewhere, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
