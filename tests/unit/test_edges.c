/* clang-format off */ /* unit-sources: hypervisor/core/vcpu.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_irq.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_timer.c tests/unit/fakes/fake_vtimer.c tests/unit/fakes/fake_arch_vcpu.c */
/* clang-format on */
/*
 * The pCPU's edges (pcpu.h) as the trap path takes them (core/vcpu.c): each EL2 entry and
 * exit reads the counter once and opens one sequence-count bracket, inside which the time
 * since the last edge is charged (guest, hyp, idle) and the entry counted; so guest + idle
 * + hyp is the elapsed time exactly and every trap is one guest entry of its vCPU.
 * The scheduler, the vGIC and the timers are the shared recording fakes (fakes/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/arch_vcpu.h>
#include <tandem/errno.h>
#include <tandem/mmio.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

/* ---- the system: one VM, one vCPU on pCPU 0 in a pool whose WFIs wait in place ---- */

static struct vm vm;
static struct pool pool;
static struct {
	uint64_t wfi_ticks;   /* how long each WFI lasts */
	unsigned wfis;	      /* WFIs so far */
	unsigned wfis_to_run; /* WFIs before an interrupt makes the vCPU's own pending */
} wfi;

/* A pool whose vCPUs own their pCPUs (as bind's do): a trapped WFI waits in place. */
static const struct sched_ops waits_in_place_ops = {.name = "bind",
						    .flags = SCHED_WFI_WAITS_IN_PLACE};
/* A pool that shares its pCPUs (as dynamic's do): a trapped WFI blocks and gives it up. */
static const struct sched_ops shares_ops = {.name = "dynamic"};

#define SWITCHES fake_count("pcpu_maybe_switch")
#define SYNCS	 fake_count("vgic_sync")
#define FLUSHES	 fake_count("vgic_flush")
#define HANDLED	 fake_count("irq_handle_acked")

/* A WFI lasts wfi_ticks; after wfis_to_run of them an interrupt is pending for the vCPU. */
static void wfi_passes(void)
{
	fake_arch.counter += wfi.wfi_ticks;
	if (++wfi.wfis == wfi.wfis_to_run)
		fake_knobs.vgic_pending = true;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	fake_gic_reset(4);
	fake_calls_reset();
	memset(pcpus, 0, sizeof(pcpus));
	memset(&vm, 0, sizeof(vm));
	memset(&pool, 0, sizeof(pool));
	memset(&wfi, 0, sizeof(wfi));
	pool.ops = &waits_in_place_ops;
	vm.name = "rt";
	vm.nr_vcpus = 1;
	vm.vcpus[0].vm = &vm;
	vm.vcpus[0].state = VCPU_RUNNABLE;
	vm.vcpus[0].sched.pool = &pool;
	vm.vcpus[0].pcpu = &pcpus[0];
	pcpus[0].current = &vm.vcpus[0];
	pcpus[0].online = true;
	fake_arch.counter = 1000;
	pcpus[0].time.start = pcpus[0].time.last = 1000;
	fake_arch.counter_step = 1; /* each read moves the counter: extra reads would show */
	fake_arch.wfi_hook = wfi_passes;
	return 0;
}

/* elapsed == guest + idle + hyp, and the edge is closed. */
static void assert_time_adds_up(const struct pcpu *p)
{
	assert_int_equal(p->time.guest + p->time.idle + p->time.hyp, p->time.last - p->time.start);
	assert_int_equal(p->edge_seq % 2, 0);
}

static void test_trap_entry_is_one_edge(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	fake_arch.counter = 1500; /* the guest ran 500 ticks */
	vcpu_trap_enter(v);
	assert_int_equal(fake_arch.counter, 1501); /* one counter read */
	assert_int_equal(p->edge_seq, 2);	   /* one bracket */
	assert_int_equal(p->time.guest, 500);
	assert_int_equal(v->run_ticks, 500);
	assert_int_equal(p->time.last, 1500);
	assert_int_equal(p->stats.guest_entries, 1);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(stats_el2_entries(&p->stats), 1);
	assert_int_equal(SYNCS, 1);

	fake_arch.counter = 1540; /* 40 ticks of EL2 work */
	vcpu_trap_exit(v);
	assert_int_equal(fake_arch.counter, 1541);
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(p->time.hyp, 40);
	assert_int_equal(p->time.guest, 500);
	assert_int_equal(stats_el2_entries(&p->stats), 1); /* an exit is no entry */
	assert_int_equal(FLUSHES, 1);
	assert_time_adds_up(p);
}

/* The exit asks the scheduler only when a decision is due or the vCPU cannot go on. */
static void test_trap_exit_switches_only_when_due(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(SWITCHES, 0);
	p->resched = true;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(SWITCHES, 1);
	p->resched = false;
	v->state = VCPU_BLOCKED;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(SWITCHES, 2);
	v->state = VCPU_RUNNABLE;
	v->held = true;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(SWITCHES, 3);
	assert_int_equal(v->stats.traps, 4);
	assert_time_adds_up(p);
}

/* A trapped WFI in a bind pool waits in place: the WFIs are idle time, the rest hyp. */
static void test_wait_in_place_charges_idle(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	wfi.wfi_ticks = 1000;
	wfi.wfis_to_run = 3;
	fake_arch.counter = 1100; /* the guest ran 100 ticks, then WFI trapped */
	vcpu_trap_enter(v);
	vcpu_wfi(v);
	vcpu_trap_exit(v);
	assert_int_equal(wfi.wfis, 3);
	assert_int_equal(p->time.guest, 100);
	assert_int_equal(p->time.idle, 3 * 1000 + 3); /* each WFI, and the read leaving it */
	assert_int_equal(p->stats.wfi_traps, 1);
	/* IRQs to EL2 around the wait (a direct vCPU's go to its EL1), back after */
	assert_int_equal(fake_count_obj("vgic_direct_wait", v), 2);
	assert_int_equal(fake_last("vgic_direct_wait")->arg[0], false);
	/* entry, 3 x (into WFI, out of WFI), exit: each one read and one bracket */
	assert_int_equal(p->edge_seq, 2 * (1 + 3 * 2 + 1));
	assert_int_equal(fake_arch.counter, 1100 + 3 * 1000 + 8);
	assert_time_adds_up(p);
}

/* What the vector does with a fast path's code: the slow half unless DONE. */
static void irq_trap(struct vcpu *v)
{
	unsigned long code = vcpu_trap_irq_fast(v);

	if (code != VCPU_FAST_DONE)
		vcpu_trap_irq_slow(v, code);
}

/*
 * A physical IRQ from the guest is one entry edge and one exit edge like any trap. The guest's
 * virtual timer, when the vGIC's fast path takes it, needs no sync, dispatch or flush, is
 * counted as a timer interrupt and an injection, and both edges share one bracket (two counter
 * reads); in any other case (another INTID, or the fast path declining) the vGIC is synced and
 * the acknowledged INTID goes to the generic dispatch.
 */
static void test_irq_trap_timer_fast_path(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	fake_knobs.vgic_timer_fast = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	fake_arch.counter = 1700; /* the guest ran 700 ticks */
	assert_int_equal(vcpu_trap_irq_fast(v), VCPU_FAST_DONE);
	assert_int_equal(fake_count("vgic_timer_fast"), 1);
	assert_ptr_equal(fake_last("vgic_timer_fast")->obj, v);
	assert_int_equal(fake_last("vgic_timer_fast")->arg[0], PPI_VIRT_TIMER);
	assert_int_equal(SYNCS + FLUSHES + HANDLED, 0);
	assert_int_equal(p->time.guest, 700);
	assert_int_equal(p->time.hyp, 1); /* the exit's read is one tick after the entry's */
	assert_int_equal(p->edge_seq, 2); /* one bracket for both edges */
	assert_int_equal(fake_arch.counter, 1702);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(stats_el2_entries(&p->stats), 1);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_VTIMER], 1);
	assert_int_equal(v->stats.irqs, 1);
	assert_int_equal(v->stats.injected, 1);
	assert_time_adds_up(p);

	/* A decision due: the fast path still injects, the exit goes through the scheduler. */
	p->resched = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	assert_int_equal(vcpu_trap_irq_fast(v), VCPU_FAST_EXIT);
	assert_int_equal(p->edge_seq % 2, 0); /* the entry edge closed before the slow half */
	vcpu_trap_irq_slow(v, VCPU_FAST_EXIT);
	assert_int_equal(SWITCHES, 1);
	assert_int_equal(FLUSHES, 1);
	assert_int_equal(SYNCS + HANDLED, 0);
	assert_int_equal(v->stats.injected, 2);
	p->resched = false;

	/* The fast path declines: generic path, the timer's INTID handed on as acknowledged. */
	fake_knobs.vgic_timer_fast = false;
	fake_gic_raise(PPI_VIRT_TIMER);
	irq_trap(v);
	assert_int_equal(fake_count("vgic_timer_fast"), 3);
	assert_int_equal(SYNCS, 1);
	assert_int_equal(HANDLED, 1);
	assert_int_equal(fake_last("irq_handle_acked")->arg[0], PPI_VIRT_TIMER);
	assert_int_equal(FLUSHES, 2);
	assert_int_equal(v->stats.injected, 2);

	/* Another interrupt never tries the fast path. */
	fake_gic_raise(PPI_MAINTENANCE);
	irq_trap(v);
	assert_int_equal(fake_count("vgic_timer_fast"), 3);
	assert_int_equal(fake_last("irq_handle_acked")->arg[0], PPI_MAINTENANCE);
	assert_int_equal(v->stats.traps, 4);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_VTIMER], 2); /* the rest: the dispatch's */
	assert_time_adds_up(p);
}

/* A direct vCPU's IRQ gives EL2 its interface back (vgic_direct_enter) before the ack, and
 * never tries the timer's fast path. */
static void test_irq_trap_direct_goes_generic(void **state)
{
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	fake_knobs.vgic_timer_fast = true;
	v->vgic.direct_capable = v->vgic.direct_on = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	irq_trap(v);
	assert_int_equal(fake_count_obj("vgic_direct_enter", v), 1);
	assert_int_equal(fake_count("vgic_timer_fast"), 0);
	assert_int_equal(fake_last("irq_handle_acked")->arg[0], PPI_VIRT_TIMER);
	assert_true(fake_first("vgic_direct_enter") < fake_first("irq_handle_acked"));
	assert_int_equal(fake_count_obj("vgic_direct_exit", v), 1);
	assert_time_adds_up(&pcpus[0]);
}

/*
 * HVC #0 asking for SMCCC_VERSION or PSCI_VERSION is answered in the fast half: x0 = 1.1,
 * counted as a trap and a hypercall, both edges in one bracket, no vGIC work. Any other call
 * is left untouched (nothing counted, no edge) for the generic path.
 */
static void test_hvc_fast_answer(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];
	struct guest_regs r = {.x = {0x80000000, 7}};

	(void)state;
	fake_arch.counter = 1300;
	assert_int_equal(vcpu_trap_hvc_fast(v, &r), VCPU_FAST_DONE);
	assert_int_equal(r.x[0], 0x10001);
	assert_int_equal(r.x[1], 7);
	assert_int_equal(p->time.guest, 300);
	assert_int_equal(p->time.hyp, 1);
	assert_int_equal(p->edge_seq, 2);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(v->stats.hvc, 1);
	assert_int_equal(SYNCS + FLUSHES + SWITCHES, 0);
	assert_time_adds_up(p);

	r.x[0] = 0xffffffff84000000ULL; /* PSCI_VERSION, x0[63:32] ignored */
	assert_int_equal(vcpu_trap_hvc_fast(v, &r), VCPU_FAST_DONE);
	assert_int_equal(r.x[0], 0x10001);

	r.x[0] = 0x84000003; /* CPU_ON: the router's */
	assert_int_equal(vcpu_trap_hvc_fast(v, &r), VCPU_FAST_FULL);
	assert_int_equal(r.x[0], 0x84000003);
	assert_int_equal(v->stats.traps, 2);
	assert_int_equal(p->edge_seq, 4);

	/* A decision due: answered, the entry edge taken, the exit (after a sync) in the slow
	 * half. */
	r.x[0] = 0x80000000;
	p->resched = true;
	assert_int_equal(vcpu_trap_hvc_fast(v, &r), VCPU_FAST_EXIT);
	assert_int_equal(r.x[0], 0x10001);
	vcpu_trap_fast_exit(v);
	assert_int_equal(SYNCS, 1);
	assert_int_equal(FLUSHES, 1);
	assert_int_equal(SWITCHES, 1);
	assert_int_equal(v->stats.traps, 3);
	assert_time_adds_up(p);

	/* A direct vCPU takes the generic path (its edges switch the CPU interface). */
	p->resched = false;
	v->vgic.direct_capable = true;
	r.x[0] = 0x80000000;
	assert_int_equal(vcpu_trap_hvc_fast(v, &r), VCPU_FAST_FULL);
	assert_int_equal(r.x[0], 0x80000000);
}

/* What the vector does with the FIQ fast path's code: the slow half unless DONE. */
static void fiq_trap(struct vcpu *v)
{
	unsigned long code = vcpu_trap_fiq_fast(v);

	if (code != VCPU_FAST_DONE)
		vcpu_trap_fiq_slow(v, code);
}

/*
 * A kick (IPI_KICK, Group 0) from the guest: deactivated, counted as a kick, the vGIC flushed
 * (which folds the LRs itself: no sync), both edges in one bracket. Any other Group 0 interrupt,
 * a kick with a decision due, or a direct vCPU: sync, the generic dispatch of the acknowledged
 * INTID, the exit edge.
 */
static void test_fiq_kick_fast_path(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	fake_gic_raise(IPI_KICK);
	fake_arch.counter = 1400; /* the guest ran 400 ticks */
	assert_int_equal(vcpu_trap_fiq_fast(v), VCPU_FAST_DONE);
	assert_int_equal(FLUSHES, 1);
	assert_int_equal(SYNCS + SWITCHES + fake_count("irq_handle_acked_group0"), 0);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], IPI_KICK);
	assert_int_equal(p->time.guest, 400);
	assert_int_equal(p->time.hyp, 1);
	assert_int_equal(p->edge_seq, 2); /* one bracket for both edges */
	assert_int_equal(fake_arch.counter, 1402);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_KICK], 1);
	assert_int_equal(p->stats.ipis, 1);
	assert_int_equal(v->stats.irqs, 1);
	assert_time_adds_up(p);

	/* Another Group 0 interrupt: the generic path with its INTID acknowledged. */
	fake_gic_raise(PPI_MAINTENANCE);
	fiq_trap(v);
	assert_int_equal(SYNCS, 1);
	assert_int_equal(fake_count("irq_handle_acked_group0"), 1);
	assert_int_equal(fake_last("irq_handle_acked_group0")->arg[0], PPI_MAINTENANCE);
	assert_int_equal(FLUSHES, 2);
	assert_int_equal(fake_gic.nr_deactivated, 1); /* the dispatch's, not ours */

	/* A kick with a decision due: the generic path, which switches. */
	p->resched = true;
	fake_gic_raise(IPI_KICK);
	fiq_trap(v);
	assert_int_equal(SYNCS, 2);
	assert_int_equal(fake_last("irq_handle_acked_group0")->arg[0], IPI_KICK);
	assert_int_equal(SWITCHES, 1);
	assert_int_equal(v->stats.traps, 3);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_KICK], 1); /* the rest: the dispatch's */
	assert_time_adds_up(p);

	/* A direct vCPU gives EL2 its interface back before the ack, then goes generic. */
	p->resched = false;
	fake_calls_reset();
	v->vgic.direct_capable = v->vgic.direct_on = true;
	fake_gic_raise(IPI_KICK);
	fiq_trap(v);
	assert_int_equal(fake_count_obj("vgic_direct_enter", v), 1);
	assert_true(fake_first("vgic_direct_enter") < fake_first("irq_handle_acked_group0"));
	assert_int_equal(fake_count_obj("vgic_direct_exit", v), 1);
	assert_time_adds_up(p);
}

/* The SGI handler the vGIC would be (vcpu_sgi_claim): records, says whether the sender is a
 * target as sgi_self says. */
static bool sgi_self;

static bool sgi_records(struct vcpu *vcpu, uint64_t val, bool group0_only)
{
	fake_record("sgi_write", vcpu, val, group0_only, 0);
	fake_arch.counter += 20;
	return sgi_self;
}

/*
 * A guest's SGI to other vCPUs: the vGIC's write, no sync and no flush of the sender (its LRs
 * stay as the guest left them), both edges in one bracket. Sent to itself too: its exit flushes.
 * A decision due: the exit switches. A direct vCPU: the generic edges, synced first.
 */
static void test_sgi_trap_leaves_sender_lrs(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	vcpu_sgi_write = sgi_records;
	sgi_self = false;
	fake_arch.counter = 1300;
	vcpu_trap_sgi(v, 0x3000002, true);
	assert_int_equal(fake_count_obj("sgi_write", v), 1);
	assert_int_equal(fake_last("sgi_write")->arg[0], 0x3000002);
	assert_int_equal(fake_last("sgi_write")->arg[1], true);
	assert_int_equal(SYNCS + FLUSHES + SWITCHES, 0);
	assert_int_equal(p->time.guest, 300);
	assert_int_equal(p->time.hyp, 21); /* the handler's 20 and the entry's read */
	assert_int_equal(p->edge_seq, 2);
	assert_int_equal(v->stats.traps, 1);
	assert_time_adds_up(p);

	sgi_self = true;
	vcpu_trap_sgi(v, 0x3000001, false);
	assert_int_equal(SYNCS + SWITCHES, 0);
	assert_int_equal(FLUSHES, 1);
	assert_int_equal(p->edge_seq, 6);
	assert_int_equal(v->stats.traps, 2);

	sgi_self = false;
	p->resched = true;
	vcpu_trap_sgi(v, 0x3000002, false);
	assert_int_equal(SWITCHES, 1);
	assert_int_equal(FLUSHES, 2);
	assert_int_equal(v->stats.traps, 3);
	assert_time_adds_up(p);

	p->resched = false;
	fake_calls_reset();
	v->vgic.direct_capable = v->vgic.direct_on = true;
	vcpu_trap_sgi(v, 0x3000002, false);
	assert_true(fake_first("vgic_direct_enter") < fake_first("vgic_sync"));
	assert_true(fake_first("vgic_sync") < fake_first("sgi_write"));
	assert_true(fake_first("vgic_flush") < fake_first("vgic_direct_exit"));
	assert_time_adds_up(p);
	vcpu_sgi_write = NULL;
}

/* A device's short path (mmio_fast_fn) for test_mmio_fast: its first word's reads only. */
static bool first_word_reads(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	if (acc->write || acc->offset != 0)
		return false;
	acc->value = *(const uint64_t *)opaque;
	return true;
}

/*
 * An access of the emulated GIC from the data-abort fast path: one the vGIC does without
 * interrupt state (VGIC_MMIO_DONE) is counted as a trap and an MMIO access with both edges in
 * one bracket and no sync or flush; one that reads or changes interrupt state is synced before
 * and flushed after, still one call; a decision due leaves the exit edge to the slow half, an
 * IRQ pending by then the rest to the IRQ's slow half. An address the vGIC does not know goes
 * to its region's short path, the vGIC asked first; any other access, or a direct vCPU, is
 * left untouched for the generic path.
 */
static void test_mmio_fast(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];
	struct mmio_access acc = {.addr = 0x08000004, .size = 4};
	static uint64_t dr = 0x41;
	unsigned long code, syncs;

	(void)state;
	fake_arch.counter = 1400;
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_DONE;
	fake_knobs.vgic_mmio_value = 0x3f;
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_DONE);
	assert_int_equal(acc.value, 0x3f);
	assert_int_equal(p->time.guest, 400);
	assert_int_equal(p->time.hyp, 1);
	assert_int_equal(p->edge_seq, 2);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(v->stats.mmio, 1);
	assert_int_equal(SYNCS + FLUSHES + SWITCHES, 0);
	assert_time_adds_up(p);

	/* Interrupt state: synced, the access, flushed; both edges in one bracket. */
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_STATE;
	acc = (struct mmio_access){.addr = 0x08000100, .size = 4, .write = true, .value = 2};
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_DONE);
	assert_true(fake_first("vgic_sync") < fake_first("vgic_mmio_state"));
	assert_true(fake_first("vgic_mmio_state") < fake_first("vgic_flush"));
	assert_int_equal(fake_last("vgic_mmio_state")->arg[2], 2);
	assert_int_equal(SYNCS + FLUSHES, 2);
	assert_int_equal(SWITCHES, 0);
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(v->stats.traps, 2);
	assert_int_equal(v->stats.mmio, 2);
	assert_time_adds_up(p);

	/* A decision due: the access done, the entry edge taken, the exit in the slow half. */
	p->resched = true;
	acc = (struct mmio_access){.addr = 0x08000000, .size = 4};
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_EXIT);
	assert_int_equal(acc.value, 0x3f);
	assert_int_equal(fake_count("vgic_mmio_state"), 2);
	vcpu_trap_fast_exit(v);
	assert_int_equal(SWITCHES, 1);
	assert_int_equal(v->stats.traps, 3);
	assert_int_equal(v->stats.mmio, 3);
	assert_time_adds_up(p);
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_DONE;
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_EXIT);
	assert_int_equal(fake_count("vgic_mmio_state"), 2);
	vcpu_trap_fast_exit(v);
	assert_int_equal(SWITCHES, 2);
	assert_time_adds_up(p);
	p->resched = false;

	/* Not the vGIC's: nothing done, nothing counted, no edge. */
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_NOT_MINE;
	acc = (struct mmio_access){.addr = 0x09000000, .size = 4};
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_FULL);
	assert_int_equal(v->stats.traps, 4);
	assert_int_equal(v->stats.mmio, 4);
	assert_int_equal(p->edge_seq % 2, 0);

	/* Interrupt state, an IRQ pending by the end: the access done and synced, its IRQ
	 * acknowledged; the IRQ's slow half handles it and takes the exit edge (no sync twice:
	 * the fake's counts the calls, the real one finds nothing left to fold). */
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_STATE;
	fake_arch.irq_pending = true;
	fake_gic_raise(40);
	acc = (struct mmio_access){.addr = 0x08000180, .size = 4, .write = true, .value = 1};
	code = vcpu_trap_mmio_fast(v, &acc);
	assert_int_equal(code, VCPU_FAST_IRQ + 40);
	assert_int_equal(fake_count("vgic_mmio_state"), 3);
	assert_int_equal(v->stats.traps, 5);
	assert_int_equal(v->stats.mmio, 5);
	fake_arch.irq_pending = false;
	vcpu_trap_irq_slow(v, code);
	assert_int_equal(fake_last("irq_handle_acked")->arg[0], 40);
	assert_true(fake_last("vgic_mmio_state") < fake_last("irq_handle_acked"));
	assert_time_adds_up(p);

	/* Not the vGIC's but a region with a short path: asked second, done in one bracket. */
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_NOT_MINE;
	vm.mmio[0] = (struct mmio_region){
	    .base = 0x09000000, .size = 0x1000, .opaque = &dr, .fast = first_word_reads};
	vm.nr_mmio = 1;
	syncs = SYNCS;
	acc = (struct mmio_access){.addr = 0x09000000, .size = 4};
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_DONE);
	assert_int_equal(acc.value, dr);
	assert_int_equal(fake_count("vgic_mmio_fast"), 7);
	assert_int_equal(v->stats.traps, 6);
	assert_int_equal(v->stats.mmio, 6);
	assert_int_equal(SYNCS, syncs);
	assert_time_adds_up(p);
	/* What the short path declines: untouched. */
	acc = (struct mmio_access){.addr = 0x09000018, .size = 4};
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_FULL);
	assert_int_equal(v->stats.mmio, 6);
	assert_int_equal(p->edge_seq % 2, 0);

	/* A direct vCPU: the generic path, the vGIC not even asked. */
	v->vgic.direct_capable = true;
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_DONE;
	assert_int_equal(fake_count("vgic_mmio_fast"), 8);
	assert_int_equal(vcpu_trap_mmio_fast(v, &acc), VCPU_FAST_FULL);
	assert_int_equal(fake_count("vgic_mmio_fast"), 8);
	assert_int_equal(v->stats.mmio, 6);
}

/* A read-to-clear register for test_dabt_irq_first: each read takes the value (0 after). */
static unsigned rtc_reads;
static bool read_to_clear(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	uint64_t *reg = opaque;

	if (acc->write || acc->offset != 0)
		return false;
	rtc_reads++;
	acc->value = *reg;
	*reg = 0;
	return true;
}

/*
 * What trap_guest_dabt_fast() (arch/aarch64) does with a data abort: an IRQ pending as it
 * begins is offered to vcpu_trap_dabt_irq_first(); anything but VCPU_FAST_FULL there means the
 * access was not performed (ELR stays on the instruction: *again set). Then the access, which
 * says the same with VCPU_FAST_AGAIN.
 */
static unsigned long dabt_trap(struct vcpu *v, struct mmio_access *acc, bool *again)
{
	unsigned long code;

	*again = false;
	if (arch_irq_pending()) {
		code = vcpu_trap_dabt_irq_first(v);
		if (code != VCPU_FAST_FULL) {
			*again = true;
			return code;
		}
	}
	code = vcpu_trap_mmio_fast(v, acc);
	if (code != VCPU_FAST_FULL && (code & VCPU_FAST_AGAIN)) {
		*again = true;
		return code & ~VCPU_FAST_AGAIN;
	}
	return code;
}

/*
 * A data abort entered with an IRQ pending, the guest's IRQs unmasked: the IRQ goes first and
 * the access is not performed at all (a read-to-clear register not read, nothing counted as
 * MMIO): the tick goes into its LR with both edges in one bracket (one trap, one EL2 entry),
 * anything else to the slow half with the entry edge. The guest takes the interrupt, then
 * re-executes the access, which is performed once. The same at a device's door (after the
 * decode and the region walk, before the device's short path): VCPU_FAST_AGAIN, the device not
 * called; an access the vGIC does itself has no door. With the guest's IRQs masked, for a direct
 * vCPU, or with the IRQ gone (spurious), nothing is acknowledged here: the access is done and
 * the IRQ taken at the trap's end, as before.
 */
static void test_dabt_irq_first(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];
	static uint64_t rx = 'k';
	struct mmio_access acc = {.addr = 0x09000000, .size = 4};
	unsigned long code;
	bool again;

	(void)state;
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_NOT_MINE;
	vm.mmio[0] = (struct mmio_region){
	    .base = 0x09000000, .size = 0x1000, .opaque = &rx, .fast = read_to_clear};
	vm.nr_mmio = 1;
	fake_arch.counter = 1400;

	/* The guest's tick at the door: injected, the read not performed. */
	fake_knobs.vgic_timer_fast = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	fake_arch.irq_pending = true;
	code = dabt_trap(v, &acc, &again);
	assert_true(again);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 0);
	assert_int_equal(rx, 'k');
	assert_int_equal(fake_count("vgic_mmio_fast"), 0); /* not even decoded */
	assert_int_equal(fake_count("vgic_timer_fast"), 1);
	assert_int_equal(v->stats.injected, 1);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_VTIMER], 1);
	assert_int_equal(v->stats.mmio, 0);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(stats_el2_entries(&p->stats), 1);
	assert_int_equal(p->time.guest, 400);
	assert_int_equal(p->edge_seq, 2);
	assert_int_equal(SYNCS + FLUSHES + SWITCHES, 0);
	assert_time_adds_up(p);

	/* The guest took its tick and re-executes the read: the physical IRQ is active now, not
	 * pending; the read is performed, once. */
	fake_arch.irq_pending = false;
	code = dabt_trap(v, &acc, &again);
	assert_false(again);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 1);
	assert_int_equal(acc.value, 'k');
	assert_int_equal(rx, 0);
	assert_int_equal(v->stats.mmio, 1);
	assert_int_equal(v->stats.traps, 2);
	assert_time_adds_up(p);

	/* Another interrupt at the door: acknowledged, the entry edge taken, the slow half
	 * handles it; the access not performed. */
	rx = 'l';
	fake_gic_raise(PPI_MAINTENANCE);
	fake_arch.irq_pending = true;
	code = dabt_trap(v, &acc, &again);
	assert_true(again);
	assert_int_equal(code, VCPU_FAST_IRQ + PPI_MAINTENANCE);
	assert_int_equal(rtc_reads, 1);
	vcpu_trap_irq_slow(v, code);
	assert_int_equal(fake_last("irq_handle_acked")->arg[0], PPI_MAINTENANCE);
	assert_int_equal(v->stats.traps, 3);
	assert_int_equal(v->stats.mmio, 1);
	assert_time_adds_up(p);

	/* The guest's IRQs masked: it could not take the tick first; nothing acknowledged at the
	 * door, the read done, the tick taken at the trap's end (trap_fast_finish). */
	fake_arch.guest_irqs_masked = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	code = dabt_trap(v, &acc, &again);
	assert_false(again);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 2);
	assert_int_equal(acc.value, 'l');
	assert_int_equal(v->stats.mmio, 2);
	assert_int_equal(fake_count("vgic_timer_fast"), 2);
	assert_int_equal(v->stats.injected, 2);
	assert_int_equal(v->stats.traps, 4);
	assert_time_adds_up(p);
	fake_arch.guest_irqs_masked = false;

	/* Pending at the door but gone by the acknowledgement (spurious): nothing done, nothing
	 * counted, the access goes on. */
	assert_int_equal(vcpu_trap_dabt_irq_first(v), VCPU_FAST_FULL);
	assert_int_equal(v->stats.traps, 4);
	assert_int_equal(p->edge_seq % 2, 0);
	fake_arch.irq_pending = false;
	code = dabt_trap(v, &acc, &again);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 3);
	assert_int_equal(v->stats.traps, 5);
	assert_time_adds_up(p);

	/* Pending by the device's door only (after the entry's look, the decode and the region
	 * walk): the device not called, the tick injected, VCPU_FAST_AGAIN; then done once. */
	rx = 'n';
	fake_gic_raise(PPI_VIRT_TIMER);
	fake_arch.irq_pending = true;
	code = vcpu_trap_mmio_fast(v, &acc);
	assert_int_equal(code, VCPU_FAST_AGAIN | VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 3);
	assert_int_equal(rx, 'n');
	assert_int_equal(fake_count("vgic_timer_fast"), 3);
	assert_int_equal(v->stats.injected, 3);
	assert_int_equal(v->stats.mmio, 3);
	assert_int_equal(v->stats.traps, 6);
	assert_time_adds_up(p);
	fake_arch.irq_pending = false;
	code = dabt_trap(v, &acc, &again);
	assert_false(again);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(rtc_reads, 4);
	assert_int_equal(acc.value, 'n');
	assert_int_equal(v->stats.mmio, 4);

	/* An access the vGIC does itself (its lockless read) has no door: done, the IRQ taken at
	 * the trap's end. */
	fake_knobs.vgic_mmio_fast = VGIC_MMIO_DONE;
	fake_knobs.vgic_mmio_value = 0x3f;
	fake_gic_raise(PPI_VIRT_TIMER);
	fake_arch.irq_pending = true;
	code = vcpu_trap_mmio_fast(v, &acc);
	assert_int_equal(code, VCPU_FAST_DONE);
	assert_int_equal(acc.value, 0x3f);
	assert_int_equal(fake_count("vgic_timer_fast"), 4);
	assert_int_equal(v->stats.mmio, 5);
	assert_time_adds_up(p);

	/* A direct vCPU: its interrupts are its GIC's; nothing acknowledged at the door. */
	v->vgic.direct_capable = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	assert_int_equal(vcpu_trap_dabt_irq_first(v), VCPU_FAST_FULL);
	assert_int_equal(fake_count("vgic_timer_fast"), 4);
	assert_int_equal(v->stats.traps, 8);
	assert_int_equal(p->edge_seq % 2, 0);
}

/* The synchronous trap in one call: the handler runs between the entry and the exit edge. */
static struct pcpu_time seen_in_handler;

static void handler_takes_30(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	seen_in_handler = pcpus[0].time;
	assert_int_equal(esr, 0x5a000000);
	assert_int_equal(SYNCS, FLUSHES + 1); /* synced before, flushed after */
	fake_arch.counter += 30;
}

static void test_sync_trap_one_call(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	fake_arch.counter = 1200;
	vcpu_trap_sync(v, handler_takes_30, NULL, 0x5a000000);
	assert_int_equal(seen_in_handler.guest, 200);
	assert_int_equal(seen_in_handler.hyp, 0);
	assert_int_equal(p->time.guest, 200);
	assert_int_equal(p->time.hyp, 31); /* the handler's 30, and the entry's read */
	assert_int_equal(FLUSHES, 1);
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(v->stats.traps, 1);
	p->resched = true;
	vcpu_trap_sync(v, handler_takes_30, NULL, 0x5a000000);
	assert_int_equal(SWITCHES, 1);
	assert_time_adds_up(p);
}

/*
 * Direct delivery (vgic-direct.c): a vCPU running with direct_on leaves it at the entry edge,
 * after the bracket is closed and before the sync; one that is direct_capable gets it back at
 * the exit edge, after the flush. Neither call is made for any other vCPU.
 */
static void test_direct_edges(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(fake_count("vgic_direct_enter") + fake_count("vgic_direct_exit"), 0);

	fake_calls_reset();
	v->vgic.direct_on = true;
	v->vgic.direct_capable = true;
	vcpu_trap_enter(v);
	assert_int_equal(p->edge_seq % 2, 0); /* the bracket closed before the vGIC is asked */
	vcpu_trap_exit(v);
	assert_int_equal(fake_count_obj("vgic_direct_enter", v), 1);
	assert_int_equal(fake_count_obj("vgic_direct_exit", v), 1);
	assert_true(fake_first("vgic_direct_enter") < fake_first("vgic_sync"));
	assert_true(fake_first("vgic_flush") < fake_first("vgic_direct_exit"));
	assert_time_adds_up(p);
}

/*
 * A dynamic pool's WFI with the virtual timer already due (CVAL passed) but its PPI not taken
 * yet: the timer is resampled and the vGIC asked to make it pending (vgic_timer_due), so that
 * the WFI returns with the interrupt there to take. Returning without asking (as before) had a
 * vCPU whose PPI came late spin through WFI traps until it came.
 */
static void test_wfi_due_timer_is_delivered_not_spun(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	pool.ops = &shares_ops;
	fake_knobs.vtimer_armed = true;
	fake_knobs.vtimer_cval = 500; /* the counter is at 1000: due */

	/* The vGIC makes it pending: back to the guest, which takes it; the timer is resampled
	 * first (its ISTATUS set for the guest's handler: QEMU updates it only then). */
	fake_knobs.vgic_timer_due = true;
	vcpu_wfi(v);
	assert_int_equal(fake_count("vgic_timer_due"), 1);
	assert_int_equal(fake_count("arch_vcpu_timer_resample"), 1);
	assert_true(fake_first("arch_vcpu_timer_resample") < fake_first("vgic_timer_due"));
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_false(p->resched);

	/* The vGIC cannot deliver it (disabled there, or in flight): back to the guest as well
	 * (never blocked on a passed deadline without a software timer). */
	fake_knobs.vgic_timer_due = false;
	vcpu_wfi(v);
	assert_int_equal(fake_count("vgic_timer_due"), 2);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_false(p->resched);
	assert_int_equal(fake_count("timer_arm"), 0);

	/* Not due yet: blocked, woken by a software timer at CVAL; the vGIC is not asked. */
	fake_knobs.vtimer_cval = 1000000;
	vcpu_wfi(v);
	assert_int_equal(fake_count("vgic_timer_due"), 2);
	assert_int_equal(fake_count("arch_vcpu_timer_resample"), 2); /* only when due */
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_int_equal(fake_count("timer_arm"), 1);
	assert_int_equal(fake_last("timer_arm")->arg[0], 1000000);

	/* Another interrupt pending: back at once, the timer's state does not matter. */
	v->state = VCPU_RUNNABLE;
	fake_knobs.vgic_pending = true;
	fake_knobs.vtimer_cval = 500;
	vcpu_wfi(v);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(fake_count("vgic_timer_due"), 2);
}

/* The SGI registers' handler is claimed once, at boot; a second claim is refused. */
static bool sgi_a(struct vcpu *vcpu, uint64_t val, bool group0_only)
{
	return false;
}

static bool sgi_b(struct vcpu *vcpu, uint64_t val, bool group0_only)
{
	return false;
}

static void test_sgi_claim(void **state)
{
	(void)state;
	vcpu_sgi_write = NULL;
	assert_int_equal(vcpu_sgi_claim(sgi_a), 0);
	assert_ptr_equal(vcpu_sgi_write, sgi_a);
	assert_int_equal(vcpu_sgi_claim(sgi_b), -ERR_BUSY);
	assert_ptr_equal(vcpu_sgi_write, sgi_a);
	vcpu_sgi_write = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_trap_entry_is_one_edge, setup),
	    cmocka_unit_test_setup(test_trap_exit_switches_only_when_due, setup),
	    cmocka_unit_test_setup(test_wait_in_place_charges_idle, setup),
	    cmocka_unit_test_setup(test_irq_trap_timer_fast_path, setup),
	    cmocka_unit_test_setup(test_irq_trap_direct_goes_generic, setup),
	    cmocka_unit_test_setup(test_hvc_fast_answer, setup),
	    cmocka_unit_test_setup(test_fiq_kick_fast_path, setup),
	    cmocka_unit_test_setup(test_sgi_trap_leaves_sender_lrs, setup),
	    cmocka_unit_test_setup(test_mmio_fast, setup),
	    cmocka_unit_test_setup(test_dabt_irq_first, setup),
	    cmocka_unit_test_setup(test_sync_trap_one_call, setup),
	    cmocka_unit_test_setup(test_direct_edges, setup),
	    cmocka_unit_test_setup(test_sgi_claim, setup),
	    cmocka_unit_test_setup(test_wfi_due_timer_is_delivered_not_spun, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
