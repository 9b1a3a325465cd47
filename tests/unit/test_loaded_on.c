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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_pick_waits_for_the_other_pcpu_to_save, setup),
	    cmocka_unit_test_setup(test_pick_of_a_saved_vcpu_loads_at_once, setup),
	    cmocka_unit_test_setup(test_leave_clears_loaded_on_last, setup),
	    cmocka_unit_test_setup(test_wait_vcpu_off_waits_for_pick_and_save, setup),
	    cmocka_unit_test_setup(test_wait_vcpu_off_waits_for_a_pick_not_yet_loaded, setup),
	    cmocka_unit_test_setup(test_vcpu_stopped_while_waiting_is_kicked_out, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
