/* unit-sources: hypervisor/core/vcpu.c */
/*
 * The pCPU's edges (pcpu.h) as the trap path takes them (core/vcpu.c): each EL2 entry and
 * exit reads the counter once and opens one sequence-count bracket, inside which the time
 * since the last edge is charged (guest, hyp, idle) and the entry counted; so guest + idle
 * + hyp is the elapsed time exactly and every trap is one guest entry of its vCPU.
 * The scheduler, the vGIC and the timers are doubles.
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
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

/* ---- doubles ---- */

struct pcpu pcpus[MAX_PCPUS];
static struct vm vm;
static struct pool pool;
static struct {
	unsigned switch_calls, syncs, flushes, wfis;
	unsigned timer_fast_calls, handled; /* vgic_timer_fast(), irq_handle_acked() */
	bool timer_fast_ok;		    /* what vgic_timer_fast() returns */
	irq_t handled_intid;
	uint64_t wfi_ticks;   /* how long each WFI lasts */
	unsigned wfis_to_run; /* WFIs before an interrupt makes the vCPU's own pending */
	bool pending;	      /* vgic_vcpu_pending() */
} rec;

/* A pool whose vCPUs own their pCPUs (as bind's do): a trapped WFI waits in place. */
static const struct sched_ops waits_in_place_ops = {.name = "bind",
						    .flags = SCHED_WFI_WAITS_IN_PLACE};

struct pcpu *pcpu_this(void)
{
	return &pcpus[0];
}

void pcpu_maybe_switch(void)
{
	rec.switch_calls++;
}

void vgic_sync(struct vcpu *vcpu)
{
	rec.syncs++;
}

void vgic_flush(struct vcpu *vcpu)
{
	rec.flushes++;
}

bool vgic_timer_fast(struct vcpu *vcpu, irq_t pintid)
{
	rec.timer_fast_calls++;
	return rec.timer_fast_ok;
}

void irq_handle_acked(irq_t intid)
{
	rec.handled++;
	rec.handled_intid = intid;
}

bool vgic_vcpu_pending(struct vcpu *vcpu)
{
	return rec.pending;
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
}

void vgic_direct_init(struct vcpu *vcpu)
{
}

void vgic_direct_enter(struct vcpu *vcpu)
{
}

void vgic_direct_exit(struct vcpu *vcpu)
{
}

void vtimer_vcpu_init(struct vcpu *vcpu)
{
}

void vtimer_vcpu_reset(struct vcpu *vcpu)
{
}

void pool_wake(struct vcpu *vcpu)
{
}

void pool_yield(struct vcpu *vcpu)
{
}

void timer_init(struct timer *timer, timer_fn fn)
{
}

void timer_arm(struct timer *timer, uint64_t expires)
{
}

void timer_cancel(struct timer *timer)
{
}

void arch_vcpu_set_idle_traps(struct vcpu *vcpu, bool trap_wfi, bool trap_wfe)
{
}

bool arch_vcpu_timer_armed(const struct vcpu *vcpu, uint64_t *cval)
{
	return false;
}

/* A WFI lasts wfi_ticks; after wfis_to_run of them an interrupt is pending for the vCPU. */
static void wfi_passes(void)
{
	fake_arch.counter += rec.wfi_ticks;
	if (++rec.wfis == rec.wfis_to_run)
		rec.pending = true;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	fake_gic_reset(4);
	memset(pcpus, 0, sizeof(pcpus));
	memset(&vm, 0, sizeof(vm));
	memset(&pool, 0, sizeof(pool));
	memset(&rec, 0, sizeof(rec));
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
	assert_int_equal(rec.syncs, 1);

	fake_arch.counter = 1540; /* 40 ticks of EL2 work */
	vcpu_trap_exit(v);
	assert_int_equal(fake_arch.counter, 1541);
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(p->time.hyp, 40);
	assert_int_equal(p->time.guest, 500);
	assert_int_equal(stats_el2_entries(&p->stats), 1); /* an exit is no entry */
	assert_int_equal(rec.flushes, 1);
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
	assert_int_equal(rec.switch_calls, 0);
	p->resched = true;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(rec.switch_calls, 1);
	p->resched = false;
	v->state = VCPU_BLOCKED;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(rec.switch_calls, 2);
	v->state = VCPU_RUNNABLE;
	v->held = true;
	vcpu_trap_enter(v);
	vcpu_trap_exit(v);
	assert_int_equal(rec.switch_calls, 3);
	assert_int_equal(v->stats.traps, 4);
	assert_time_adds_up(p);
}

/* A trapped WFI in a bind pool waits in place: the WFIs are idle time, the rest hyp. */
static void test_wait_in_place_charges_idle(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	rec.wfi_ticks = 1000;
	rec.wfis_to_run = 3;
	fake_arch.counter = 1100; /* the guest ran 100 ticks, then WFI trapped */
	vcpu_trap_enter(v);
	vcpu_wfi(v);
	vcpu_trap_exit(v);
	assert_int_equal(rec.wfis, 3);
	assert_int_equal(p->time.guest, 100);
	assert_int_equal(p->time.idle, 3 * 1000 + 3); /* each WFI, and the read leaving it */
	assert_int_equal(p->stats.wfi_traps, 1);
	/* entry, 3 x (into WFI, out of WFI), exit: each one read and one bracket */
	assert_int_equal(p->edge_seq, 2 * (1 + 3 * 2 + 1));
	assert_int_equal(fake_arch.counter, 1100 + 3 * 1000 + 8);
	assert_time_adds_up(p);
}

/*
 * A physical IRQ from the guest is one entry edge and one exit edge like any trap. The guest's
 * virtual timer, when the vGIC's fast path takes it, needs no sync, dispatch or flush and is
 * counted as a timer interrupt; in any other case (another INTID, or the fast path declining)
 * the vGIC is synced and the acknowledged INTID goes to the generic dispatch.
 */
static void test_irq_trap_timer_fast_path(void **state)
{
	struct pcpu *p = &pcpus[0];
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	rec.timer_fast_ok = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	fake_arch.counter = 1700; /* the guest ran 700 ticks */
	vcpu_trap_irq(v);
	assert_int_equal(rec.timer_fast_calls, 1);
	assert_int_equal(rec.syncs + rec.flushes + rec.handled, 0);
	assert_int_equal(p->time.guest, 700);
	assert_int_equal(p->time.hyp, 1); /* the exit's read is one tick after the entry's */
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(fake_arch.counter, 1702);
	assert_int_equal(v->stats.traps, 1);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_VTIMER], 1);
	assert_int_equal(v->stats.irqs, 1);
	assert_time_adds_up(p);

	/* A decision due: the fast path still injects, the exit goes through the scheduler. */
	p->resched = true;
	fake_gic_raise(PPI_VIRT_TIMER);
	vcpu_trap_irq(v);
	assert_int_equal(rec.switch_calls, 1);
	assert_int_equal(rec.flushes, 1);
	assert_int_equal(rec.handled, 0);
	p->resched = false;

	/* The fast path declines: generic path, the timer's INTID handed on as acknowledged. */
	rec.timer_fast_ok = false;
	fake_gic_raise(PPI_VIRT_TIMER);
	vcpu_trap_irq(v);
	assert_int_equal(rec.timer_fast_calls, 3);
	assert_int_equal(rec.syncs, 1);
	assert_int_equal(rec.handled, 1);
	assert_int_equal(rec.handled_intid, PPI_VIRT_TIMER);
	assert_int_equal(rec.flushes, 2);

	/* Another interrupt never tries the fast path. */
	fake_gic_raise(PPI_MAINTENANCE);
	vcpu_trap_irq(v);
	assert_int_equal(rec.timer_fast_calls, 3);
	assert_int_equal(rec.handled_intid, PPI_MAINTENANCE);
	assert_int_equal(v->stats.traps, 4);
	assert_int_equal(p->stats.irq_kind[IRQ_KIND_VTIMER], 2); /* the rest: the dispatch's */
	assert_time_adds_up(p);
}

/* The synchronous trap in one call: the handler runs between the entry and the exit edge. */
static struct pcpu_time seen_in_handler;

static void handler_takes_30(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	seen_in_handler = pcpus[0].time;
	assert_int_equal(esr, 0x5a000000);
	assert_int_equal(rec.syncs, rec.flushes + 1); /* synced before, flushed after */
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
	assert_int_equal(rec.flushes, 1);
	assert_int_equal(p->edge_seq, 4);
	assert_int_equal(v->stats.traps, 1);
	p->resched = true;
	vcpu_trap_sync(v, handler_takes_30, NULL, 0x5a000000);
	assert_int_equal(rec.switch_calls, 1);
	assert_time_adds_up(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_trap_entry_is_one_edge, setup),
	    cmocka_unit_test_setup(test_trap_exit_switches_only_when_due, setup),
	    cmocka_unit_test_setup(test_wait_in_place_charges_idle, setup),
	    cmocka_unit_test_setup(test_irq_trap_timer_fast_path, setup),
	    cmocka_unit_test_setup(test_sync_trap_one_call, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
