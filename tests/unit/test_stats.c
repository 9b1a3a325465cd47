/* clang-format off */ /* unit-sources: hypervisor/core/stats.c tests/unit/fakes/fake_failover.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_console.c tests/unit/fakes/fake_mem.c */
/* clang-format on */
/*
 * EL2 entry and interrupt accounting (core/stats.c): every entry lands in exactly one of
 * guest / wait / idle on its pCPU and on the vCPU concerned, the edge sequence count is
 * even between updates, and the dump (Ctrl-A d) prints VMs, vCPUs, pCPUs and the free frames in
 * one console write, marking a snapshot it could not take consistently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/console.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/stats.h>
#include <tandem/vm.h>

/* The pCPUs, VMs, console and free memory: the shared recording fakes. */
#include "fakes/fake.h"

#define term fake_knobs.console_out

/* Two pCPUs: vm "rt" vcpu 0 on pCPU 0, nothing on pCPU 1. */
static int setup(void **state)
{
	(void)state;
	memset(pcpus, 0, sizeof(pcpus));
	memset(vms, 0, sizeof(vms));
	nr_pcpus = 2;
	nr_vms = 1;
	for (unsigned i = 0; i < nr_pcpus; i++) {
		pcpus[i].index = i;
		pcpus[i].online = true;
	}
	vms[0].name = "rt";
	vms[0].nr_vcpus = 1;
	vms[0].state = VM_RUNNING;
	vms[0].vcpus[0].vm = &vms[0];
	vms[0].vcpus[0].pcpu = &pcpus[0];
	vms[0].vcpus[0].state = VCPU_RUNNABLE;
	fake_calls_reset();
	fake_knobs.mem_free = 1234 * PAGE_SIZE;
	return 0;
}

/* One EL2 entry on the calling pCPU, counted inside its edge as the trap path does. */
static void entry(struct vcpu *from_guest)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *waiting = p->current;

	pcpu_edge_open(p);
	if (from_guest)
		stats_count_trap(&p->stats, &from_guest->stats);
	else
		stats_count_hyp_irq(&p->stats, waiting ? &waiting->stats : NULL);
	pcpu_edge_close(p);
}

static void test_entries_are_classified(void **state)
{
	struct vcpu *v = &vms[0].vcpus[0];
	struct pcpu *p = &pcpus[0];

	(void)state;
	entry(NULL); /* before the vCPU is on the pCPU: idle */
	p->current = v;
	entry(v); /* a trap */
	entry(v);
	entry(NULL); /* an interrupt while it waits in WFI */
	assert_int_equal(stats_el2_entries(&p->stats), 4);
	assert_int_equal(p->stats.guest_entries, 2);
	assert_int_equal(p->stats.wait_entries, 1);
	assert_int_equal(p->stats.idle_entries, 1);
	assert_int_equal(v->stats.traps, 2);
	assert_int_equal(v->stats.wait_entries, 1);
	assert_int_equal(p->edge_seq, 8); /* one bracket per entry, closed */
	assert_int_equal(stats_el2_entries(&pcpus[1].stats), 0);
}

static void test_irqs_by_kind(void **state)
{
	struct vcpu *v = &vms[0].vcpus[0];

	(void)state;
	stats_count_irq(&pcpus[0].stats, &v->stats, IRQ_KIND_VTIMER);
	stats_count_irq(&pcpus[0].stats, &v->stats, IRQ_KIND_KICK);
	stats_count_irq(&pcpus[1].stats, NULL, IRQ_KIND_UART);
	stats_count_irq(&pcpus[1].stats, NULL, IRQ_KIND_MAX); /* out of range: counted as other */
	assert_int_equal(pcpus[0].stats.irq_kind[IRQ_KIND_VTIMER], 1);
	assert_int_equal(pcpus[0].stats.irq_kind[IRQ_KIND_KICK], 1);
	assert_int_equal(pcpus[0].stats.ipis, 1);
	assert_int_equal(pcpus[0].stats.irqs, 2);
	assert_int_equal(v->stats.irqs, 2);
	assert_int_equal(pcpus[1].stats.irq_kind[IRQ_KIND_UART], 1);
	assert_int_equal(pcpus[1].stats.irq_kind[IRQ_KIND_OTHER], 1);
	assert_int_equal(pcpus[1].stats.irqs, 2);
}

static void test_dump(void **state)
{
	struct vcpu *v = &vms[0].vcpus[0];

	(void)state;
	pcpus[0].current = v;
	entry(v);
	entry(NULL);
	stats_count_irq(&pcpus[0].stats, &v->stats, IRQ_KIND_VTIMER);
	fake_knobs.this_pcpu = &pcpus[1];
	entry(NULL);
	stats_count_irq(&pcpus[1].stats, NULL, IRQ_KIND_UART);
	vms[0].restarts = 3;
	stats_dump();
	assert_int_equal(fake_count("console_write"), 1);
	assert_true(fake_knobs.console_len + 1 < sizeof(term));
	/* all of it, not truncated */ /* one write: the prompt is redrawn once, after it all */
	assert_non_null(strstr(term, "tandem: vm rt: running, restarts 3\n"));
	assert_non_null(strstr(term, "tandem:   vcpu 0 runnable: pcpu 0 traps 1 waits 1 "));
	assert_non_null(strstr(
	    term, "tandem: pcpu 0: vm rt vcpu 0 traps 1 waits 1; el2 2 = guest 1 "
		  "+ wait 1 + idle 0; irqs vtimer 1 maint 0 kick 0 uart 0 timer 0 other 0\n"));
	assert_non_null(strstr(term, "tandem: pcpu 1: no vcpu; el2 1 = guest 0 + wait 0 + idle 1; "
				     "irqs vtimer 0 maint 0 kick 0 uart 1 timer 0 other 0\n"));
	assert_non_null(strstr(term, "tandem: memory: 1234 free page frames\n"));
	assert_null(strstr(term, "torn"));
}

static void test_dump_marks_a_torn_snapshot(void **state)
{
	(void)state;
	pcpus[1].edge_seq = 1; /* pCPU 1 stuck mid-edge */
	stats_dump();
	assert_non_null(strstr(term, "tandem: pcpu 1: no vcpu; el2 0 = guest 0 + wait 0 + idle 0 "
				     "(torn);"));
	assert_null(strstr(strstr(term, "tandem: pcpu 0:"), "(torn)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_entries_are_classified, setup),
	    cmocka_unit_test_setup(test_irqs_by_kind, setup),
	    cmocka_unit_test_setup(test_dump, setup),
	    cmocka_unit_test_setup(test_dump_marks_a_torn_snapshot, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
