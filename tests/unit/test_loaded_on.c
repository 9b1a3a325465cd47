/* clang-format off */ /* unit-sources: hypervisor/core/pcpu.c hypervisor/core/timer.c hypervisor/core/irq.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_arch_vcpu.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_passthrough.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_vm.c */
/* clang-format on */
/*
 * The pCPU switch protocol of core/pcpu.c: a vCPU's loaded_on stays set until the pCPU leaving
 * it has saved it (pcpu_leave_vcpu), and a pCPU that picked it meanwhile spins until then before
 * loading it. The other pCPU is played by the fake arch's relax hook, which runs the real
 * pcpu_leave_vcpu() as pCPU 1 partway through pCPU 0's wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

static struct vcpu vcpu;
static jmp_buf entered;
static unsigned long leave_after;  /* relaxes before pCPU 1 finishes saving the vCPU */
static unsigned long unpick_after; /* relaxes before pCPU 1's pick is withdrawn (0: never) */

/* pCPU 1, meanwhile: drops its pick, then saves the vCPU and clears loaded_on. */
static void other_pcpu_progress(void)
{
	if (unpick_after && fake_arch.relaxes == unpick_after)
		__atomic_store_n(&vcpu.sched.running_on, NULL, __ATOMIC_RELEASE);
	if (fake_arch.relaxes == leave_after) {
		fake_knobs.this_pcpu = &pcpus[1];
		pcpu_leave_vcpu();
		fake_knobs.this_pcpu = &pcpus[0];
	}
}

static int setup(void **state)
{
	fake_reset();
	fake_gic_reset(4);
	fake_calls_reset();
	memset(pcpus, 0, sizeof(pcpus));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&vms[0], 0, sizeof(vms[0]));
	vcpu.vm = &vms[0]; /* running (VM_RUNNING is 0): nothing to restart */
	nr_pcpus = 2;
	pcpus[0].index = 0;
	pcpus[1].index = 1;
	vcpu.state = VCPU_RUNNABLE;
	fake_arch.relax_hook = other_pcpu_progress;
	fake_knobs.enter_jmp = &entered;
	fake_knobs.pick = &vcpu;
	leave_after = 0;
	unpick_after = 0;
	return 0;
}

/* pCPU 1 runs the vCPU: its registers are on pCPU 1's frame. */
static void running_on_pcpu1(void)
{
	vcpu.loaded_on = &pcpus[1];
	vcpu.pcpu = &pcpus[1];
	vcpu.last_pcpu = &pcpus[1];
	pcpus[1].current = &vcpu;
}

static void test_pick_waits_for_the_other_pcpu_to_save(void **state)
{
	running_on_pcpu1();
	leave_after = 3;
	if (setjmp(entered) == 0)
		pcpu_run(); /* pCPU 0 picks the vCPU */

	assert_int_equal(fake_count("arch_enter_guest"), 1);
	assert_int_equal(fake_arch.relaxes, 3); /* it spun until pCPU 1 was done */
	/* pCPU 1 saved it completely before pCPU 0 loaded anything of it. */
	assert_true(fake_first("arch_vcpu_put") >= 0);
	assert_true(fake_first("vgic_vcpu_save") < fake_first("vgic_vcpu_restore"));
	assert_true(fake_first("arch_vcpu_put") < fake_first("arch_vcpu_load"));
	assert_ptr_equal(vcpu.loaded_on, &pcpus[0]);
	assert_ptr_equal(pcpus[0].current, &vcpu);
	assert_null(pcpus[1].current);
	/* It moved: its passed-through interrupts follow it, and the move is counted. */
	assert_ptr_equal(vcpu.pcpu, &pcpus[0]);
	assert_int_equal(fake_count_obj("passthrough_follow_vcpu", &vcpu), 1);
	assert_int_equal(pcpus[0].stats.migrations, 1);
}

static void test_pick_of_a_saved_vcpu_loads_at_once(void **state)
{
	vcpu.pcpu = &pcpus[0];
	vcpu.last_pcpu = &pcpus[0];
	if (setjmp(entered) == 0)
		pcpu_run();

	assert_int_equal(fake_arch.relaxes, 0);
	assert_int_equal(fake_count_obj("arch_vcpu_load", &vcpu), 1);
	assert_ptr_equal(vcpu.loaded_on, &pcpus[0]);
	assert_int_equal(fake_count("passthrough_follow_vcpu"), 0); /* same pCPU as before */
	assert_int_equal(pcpus[0].stats.migrations, 0);
}

/* Leaving clears loaded_on only after the vGIC and arch state are saved. */
static uint64_t loaded_on_at_put;

static void note_loaded_on(const struct fake_call *call)
{
	if (strcmp(call->fn, "arch_vcpu_put") == 0)
		loaded_on_at_put = (uint64_t)(uintptr_t)vcpu.loaded_on;
}

static void test_leave_clears_loaded_on_last(void **state)
{
	running_on_pcpu1();
	fake_knobs.this_pcpu = &pcpus[1];
	fake_on_call = note_loaded_on;
	pcpu_leave_vcpu();

	assert_int_equal(loaded_on_at_put, (uint64_t)(uintptr_t)&pcpus[1]);
	assert_null(vcpu.loaded_on);
	assert_null(pcpus[1].current);
	assert_true(fake_first("vgic_sync") < fake_first("vgic_vcpu_save"));
	assert_true(fake_first("vgic_vcpu_save") < fake_first("arch_vcpu_put"));
}

/* A stopped vCPU's owner waits until no pCPU has it picked nor loaded. */
static void test_wait_vcpu_off_waits_for_pick_and_save(void **state)
{
	running_on_pcpu1();
	vcpu.sched.running_on = &pcpus[1];
	unpick_after = 2;
	leave_after = 5;
	pcpu_wait_vcpu_off(&vcpu);

	assert_int_equal(fake_arch.relaxes, 5);
	assert_null(vcpu.loaded_on);
	assert_null(vcpu.sched.running_on);
}

static void test_wait_vcpu_off_waits_for_a_pick_not_yet_loaded(void **state)
{
	vcpu.sched.running_on = &pcpus[1]; /* picked by pCPU 1, loaded_on not set yet */
	unpick_after = 4;
	leave_after = 1000; /* never reached */
	pcpu_wait_vcpu_off(&vcpu);
	assert_int_equal(fake_arch.relaxes, 4);
}

/* Held for a move between its pick and its load: it runs, but exits again at once. */
static void test_vcpu_stopped_while_waiting_is_kicked_out(void **state)
{
	running_on_pcpu1();
	vcpu.held = true;
	leave_after = 1;
	if (setjmp(entered) == 0)
		pcpu_run();
	assert_true(pcpus[0].resched);
	assert_int_equal(fake_gic.nr_sgis, 1);
	assert_int_equal(fake_gic.sgis[0].pcpu, 0);
	assert_int_equal(fake_gic.sgis[0].sgi, IPI_KICK);
}

/* ---- parking: a vCPU that blocks with nothing else to run stays loaded while pCPU 0 idles */

static struct vcpu other;
static struct vcpu *wake_pick; /* what the idle loop's pick returns after its WFI */

static void idle_wakes(void)
{
	fake_knobs.pick = wake_pick;
}

/* The vCPU runs on pCPU 0 and blocks; the exit's pick finds nothing else to run. */
static void blocks_on_pcpu0(void)
{
	vcpu.loaded_on = &pcpus[0];
	vcpu.pcpu = vcpu.last_pcpu = &pcpus[0];
	pcpus[0].current = &vcpu;
	vcpu.state = VCPU_BLOCKED; /* the exit switches: not schedulable */
	fake_knobs.pick = NULL;
	fake_knobs.vgic_parkable = true;
	fake_knobs.reset_stack_calls = true;
	fake_arch.wfi_hook = idle_wakes;
}

/* Woken, picked again: resumed as it was left, no save and no load; a flush for what came. */
static void test_blocked_vcpu_parks_and_resumes(void **state)
{
	blocks_on_pcpu0();
	wake_pick = &vcpu;
	fake_arch.wfi_hook = NULL;
	fake_knobs.reset_stack_calls = false;
	if (setjmp(entered) == 0)
		pcpu_maybe_switch();
	assert_int_equal(fake_count_obj("arch_vcpu_park", &vcpu), 1);
	assert_ptr_equal(pcpus[0].parked, &vcpu);
	assert_null(pcpus[0].current);
	assert_ptr_equal(vcpu.loaded_on, &pcpus[0]); /* still holds its registers */
	assert_int_equal(fake_count("vgic_vcpu_save") + fake_count("arch_vcpu_put"), 0);

	/* Its wake-up: the idle loop's pick chooses it again. */
	vcpu.state = VCPU_RUNNABLE;
	fake_knobs.pick = &vcpu;
	fake_calls_clear();
	if (setjmp(entered) == 0)
		pcpu_run();
	assert_int_equal(fake_count_obj("arch_vcpu_unpark", &vcpu), 1);
	assert_int_equal(fake_count("arch_vcpu_load") + fake_count("vgic_vcpu_restore"), 0);
	assert_int_equal(fake_count("arch_vcpu_put") + fake_count("vgic_vcpu_save"), 0);
	assert_true(fake_first("arch_vcpu_unpark") < fake_first("vgic_flush"));
	assert_true(fake_first("vgic_flush") < fake_first("arch_enter_guest"));
	assert_null(pcpus[0].parked);
	assert_ptr_equal(pcpus[0].current, &vcpu);
	assert_ptr_equal(vcpu.loaded_on, &pcpus[0]);
	assert_int_equal(pcpus[0].stats.switches, 1);
	assert_int_equal(fake_gic.nr_sgis, 0);
}

/* The idle loop's pick chooses another vCPU: the parked one is left completely first. */
static void test_parked_vcpu_is_left_before_another_runs(void **state)
{
	blocks_on_pcpu0();
	other.state = VCPU_RUNNABLE;
	wake_pick = &other;
	if (setjmp(entered) == 0)
		pcpu_maybe_switch();
	assert_int_equal(fake_count_obj("arch_vcpu_park", &vcpu), 1);
	assert_int_equal(fake_count_obj("arch_vcpu_unpark", &vcpu), 1);
	assert_true(fake_first("arch_vcpu_unpark") < fake_first("vgic_vcpu_save"));
	assert_true(fake_first_obj("vgic_vcpu_save", &vcpu) <
		    fake_first_obj("arch_vcpu_put", &vcpu));
	assert_true(fake_first_obj("arch_vcpu_put", &vcpu) <
		    fake_first_obj("arch_vcpu_load", &other));
	assert_int_equal(fake_count_obj("pool_vcpu_left", &vcpu), 1);
	assert_null(vcpu.loaded_on);
	assert_null(pcpus[0].parked);
	assert_ptr_equal(pcpus[0].current, &other);
	assert_ptr_equal(other.loaded_on, &pcpus[0]);
	memset(&other, 0, sizeof(other));
}

/* Stopped (its VM restarting) while parked, and another vCPU woken: the idle loop's next pick
 * chooses that one, leaves the parked one and claims the VM's restart, which runs before
 * anything else is loaded (the pick handed back meanwhile), then picks again. */
static unsigned wfis;

static void stopped_then_other(void)
{
	wfis++;
	vcpu.state = VCPU_STOPPED; /* vm_stop()'s kick woke the pCPU */
	fake_knobs.pick = &other;
}

static void test_parked_vcpu_stopped_is_left(void **state)
{
	blocks_on_pcpu0();
	vms[0].state = VM_RESTARTING;
	other.state = VCPU_RUNNABLE;
	wfis = 0;
	fake_arch.wfi_hook = stopped_then_other;
	if (setjmp(entered) == 0)
		pcpu_maybe_switch();
	assert_int_equal(wfis, 1);
	assert_int_equal(fake_count_obj("arch_vcpu_put", &vcpu), 1);
	assert_int_equal(fake_count_obj("vm_restart", &vms[0]), 1);
	assert_true(fake_first_obj("arch_vcpu_put", &vcpu) < fake_first("vm_restart"));
	assert_true(fake_first("vm_restart") < fake_first_obj("arch_vcpu_load", &other));
	assert_true(fake_first("pool_pcpu_away") < fake_first("vm_restart"));
	assert_int_equal(pcpus[0].restarts, 0);
	assert_null(vcpu.loaded_on);
	assert_null(pcpus[0].parked);
	memset(&other, 0, sizeof(other));
}

/* A timer callback claims another VM's restart for this pCPU while the vCPU is parked, and the
 * vCPU is woken: the pick chooses it, but the restart comes first (pool_pcpu_away hands it back)
 * and it is left before it, not held loaded through it: another pCPU picking it meanwhile would
 * wait for loaded_on until the restart ended (a promoted VM missed its watchdog that way). */
static void restart_claimed_and_woken(void)
{
	vms[1].state = VM_RESTARTING;
	vms[1].index = 1;
	pcpus[0].restarts |= 1U << 1; /* pcpu_restart_later() */
	vcpu.state = VCPU_RUNNABLE;
	fake_knobs.pick = &vcpu;
}

static void test_parked_vcpu_left_before_a_restart(void **state)
{
	blocks_on_pcpu0();
	memset(&vms[1], 0, sizeof(vms[1]));
	fake_arch.wfi_hook = restart_claimed_and_woken;
	if (setjmp(entered) == 0)
		pcpu_maybe_switch();
	assert_int_equal(fake_count_obj("vm_restart", &vms[1]), 1);
	assert_int_equal(fake_count_obj("arch_vcpu_put", &vcpu), 1);
	assert_true(fake_first_obj("arch_vcpu_put", &vcpu) < fake_first("vm_restart"));
	assert_true(fake_first("vm_restart") < fake_first_obj("arch_vcpu_load", &vcpu));
	assert_null(pcpus[0].parked);
	assert_ptr_equal(pcpus[0].current, &vcpu);
	memset(&vms[1], 0, sizeof(vms[1]));
}

/* pCPU 1, parking the vCPU: it leaves it once asked to pick (resched), some relaxes later. */
static void parked_pcpu1_progress(void)
{
	if (fake_arch.relaxes == leave_after && pcpus[1].resched) {
		fake_knobs.this_pcpu = &pcpus[1];
		pcpus[1].parked = NULL;
		pcpus[1].current = &vcpu;
		pcpu_leave_vcpu();
		fake_knobs.this_pcpu = &pcpus[0];
	}
}

/* A pCPU waiting for a vCPU parked on another asks that one to pick, once. */
static void test_waiter_asks_the_parking_pcpu(void **state)
{
	vcpu.loaded_on = &pcpus[1];
	vcpu.pcpu = vcpu.last_pcpu = &pcpus[1];
	pcpus[1].parked = &vcpu;
	vcpu.state = VCPU_STOPPED;
	leave_after = 6;
	fake_arch.relax_hook = parked_pcpu1_progress;
	pcpu_wait_vcpu_off(&vcpu);
	assert_int_equal(fake_arch.relaxes, 6);
	assert_true(pcpus[1].resched);
	assert_int_equal(fake_gic.nr_sgis, 1);
	assert_int_equal(fake_gic.sgis[0].pcpu, 1);
	assert_int_equal(fake_gic.sgis[0].sgi, IPI_KICK);
	assert_null(vcpu.loaded_on);
}

/* Not parked: held for a move, stopped, or an interface that could want maintenance. */
static void test_park_only_a_quiet_blocked_vcpu(void **state)
{
	for (volatile unsigned c = 0; c < 3; c++) {
		setup(state);
		fake_calls_reset();
		fake_knobs.enter_jmp = &entered;
		blocks_on_pcpu0();
		fake_knobs.reset_stack_calls = false;
		if (c == 0)
			vcpu.held = true;
		else if (c == 1)
			vcpu.state = VCPU_STOPPED;
		else
			fake_knobs.vgic_parkable = false;
		if (setjmp(entered) == 0)
			pcpu_maybe_switch();
		assert_int_equal(fake_count("arch_vcpu_park"), 0);
		assert_int_equal(fake_count_obj("arch_vcpu_put", &vcpu), 1);
		assert_null(pcpus[0].parked);
		assert_null(vcpu.loaded_on);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_pick_waits_for_the_other_pcpu_to_save, setup),
	    cmocka_unit_test_setup(test_pick_of_a_saved_vcpu_loads_at_once, setup),
	    cmocka_unit_test_setup(test_leave_clears_loaded_on_last, setup),
	    cmocka_unit_test_setup(test_wait_vcpu_off_waits_for_pick_and_save, setup),
	    cmocka_unit_test_setup(test_wait_vcpu_off_waits_for_a_pick_not_yet_loaded, setup),
	    cmocka_unit_test_setup(test_vcpu_stopped_while_waiting_is_kicked_out, setup),
	    cmocka_unit_test_setup(test_blocked_vcpu_parks_and_resumes, setup),
	    cmocka_unit_test_setup(test_parked_vcpu_is_left_before_another_runs, setup),
	    cmocka_unit_test_setup(test_parked_vcpu_stopped_is_left, setup),
	    cmocka_unit_test_setup(test_parked_vcpu_left_before_a_restart, setup),
	    cmocka_unit_test_setup(test_waiter_asks_the_parking_pcpu, setup),
	    cmocka_unit_test_setup(test_park_only_a_quiet_blocked_vcpu, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
