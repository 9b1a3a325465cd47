/*
 * vCPU life cycle: start, kick, block in WFI and wake, yield on WFE, and what happens
 * around every trap (time accounting, vGIC sync, a switch when a decision is due).
 *
 * Blocking and waking race-free: the blocking vCPU publishes VCPU_BLOCKED before its last
 * look for pending work, and a waker moves BLOCKED -> RUNNABLE with a compare-and-swap, so
 * exactly one side wakes it and no interrupt slips between the look and the block.
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/mmio.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/smccc.h>
#include <tandem/stats.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

uint64_t vcpu_mpidr(const struct vcpu *vcpu)
{
	return vcpu->id; /* Aff0 = index; Aff1-3 = 0: one cluster of up to 8 vCPUs */
}

static void wake_timer_fired(struct timer *timer)
{
	vcpu_kick(container_of(timer, struct vcpu, wake_timer));
}

void vcpu_init_sched(struct vcpu *vcpu)
{
	timer_init(&vcpu->wake_timer, wake_timer_fired);
	vtimer_vcpu_init(vcpu);
	vgic_direct_init(vcpu);
}

void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	const struct pool *pool = vcpu->sched.pool;

	arch_vcpu_reset(vcpu, entry, arg);
	arch_vcpu_set_idle_traps(vcpu, pool->trap_wfi, pool_traps_wfe(pool));
	vgic_vcpu_init(vcpu);
	vtimer_vcpu_reset(vcpu);
	__atomic_store_n(&vcpu->state, VCPU_RUNNABLE, __ATOMIC_SEQ_CST);
	pool_wake(vcpu);
}

static bool timer_due(const struct vcpu *vcpu)
{
	uint64_t cval;

	return arch_vcpu_timer_armed(vcpu, &cval) && cval <= arch_counter_read();
}

/*
 * At a trapped WFI, the virtual timer's condition met but its PPI not taken yet: the guest is
 * owed that interrupt now. Returning without it would bring the vCPU straight back to the WFI,
 * and again, until the PPI arrives (QEMU raises it late, from its main loop: Linux spun through
 * 30-270 WFI traps per KiB of TTU traffic so); the vGIC makes it pending as the PPI would.
 * First the timer is resampled: QEMU also updates the ISTATUS the guest's handler reads only
 * then, and a handler that finds it clear returns without masking the timer (Linux's does), so
 * the interrupt would come back at the next WFI, spurious again, until QEMU's own update.
 * Due but not deliverable by the vGIC (disabled there, or still in flight) still returns: a
 * blocked vCPU's timer runs only as the software timer, and blocking on a passed deadline
 * without one left the RTOS blocked for good after a move into a dynamic pool (test_pools).
 */
static bool timer_due_now(struct vcpu *vcpu)
{
	if (!timer_due(vcpu))
		return false;
	arch_vcpu_timer_resample(vcpu);
	vgic_timer_due(vcpu);
	return true;
}

static bool wake_blocked(struct vcpu *vcpu)
{
	enum vcpu_state blocked = VCPU_BLOCKED;

	if (!__atomic_compare_exchange_n(&vcpu->state, &blocked, VCPU_RUNNABLE, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	timer_cancel(&vcpu->wake_timer);
	pool_wake(vcpu);
	return true;
}

void vcpu_kick(struct vcpu *vcpu)
{
	struct pcpu *p;

	/*
	 * The caller has just made an interrupt pending (under a lock whose release does not
	 * order this later load): a full barrier pairs with the one in vcpu_wfi(), so either
	 * it sees the interrupt or we see VCPU_BLOCKED.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) == VCPU_BLOCKED && wake_blocked(vcpu))
		return;
	/* Running (or being saved) elsewhere: make that pCPU look at its state again. */
	p = __atomic_load_n(&vcpu->loaded_on, __ATOMIC_ACQUIRE);
	if (p && p != pcpu_this())
		irqchip_send_sgi(p->index, IPI_KICK);
}

void vcpu_kick_if_pending(struct vcpu *vcpu)
{
	if (vgic_vcpu_pending(vcpu) || timer_due(vcpu))
		wake_blocked(vcpu);
}

/* The pCPU is the vCPU's alone (pool_wfi_waits_in_place): wait right here, all loaded. */
static void wait_in_place(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();

	vgic_direct_wait(vcpu, true);
	while (vcpu_schedulable(vcpu) && !p->resched && !vgic_vcpu_pending(vcpu)) {
		pcpu_account_hyp_then_idle(p);
		arch_wait_for_interrupt(); /* the timer's PPI arrives and is injected meanwhile */
		pcpu_account_idle(p);
	}
	vgic_direct_wait(vcpu, false);
}

void vcpu_wfi(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();
	enum vcpu_state runnable = VCPU_RUNNABLE;
	uint64_t cval;

	p->stats.wfi_traps++;
	if (pool_wfi_waits_in_place(vcpu->sched.pool)) {
		wait_in_place(vcpu);
		return;
	}
	/* Only a runnable vCPU blocks: a stop or reset that just landed must not be undone. */
	if (!__atomic_compare_exchange_n(&vcpu->state, &runnable, VCPU_BLOCKED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return; /* not runnable any more: the trap exit gives the pCPU up */
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with vcpu_kick() */
	if (vgic_vcpu_pending(vcpu) || timer_due_now(vcpu)) {
		wake_blocked(vcpu); /* or a waker already did */
		return;
	}
	/* Its virtual timer stops with it on this pCPU: a software timer stands in. */
	if (arch_vcpu_timer_armed(vcpu, &cval))
		timer_arm(&vcpu->wake_timer, cval);
	p->resched = true; /* the trap exit switches away */
}

void vcpu_wfe(struct vcpu *vcpu)
{
	if (!pool_traps_wfe(vcpu->sched.pool))
		return; /* trapped only by a pool that yields on it: nobody to yield to */
	pool_yield(vcpu);
	pcpu_this()->resched = true;
}

/* The entry edge at counter value now: the guest's time and the trap recorded in one
 * bracket (pcpu.h). */
static inline void trap_edge_enter_at(struct pcpu *p, struct vcpu *vcpu, uint64_t now)
{
	pcpu_edge_begin(p);
	pcpu_charge_guest(p, vcpu, now);
	stats_count_trap(&p->stats, &vcpu->stats);
	pcpu_edge_close(p);
	if (__builtin_expect(vcpu->vgic.direct_on, 0))
		vgic_direct_enter(vcpu);
}

static inline void trap_edge_enter(struct pcpu *p, struct vcpu *vcpu)
{
	trap_edge_enter_at(p, vcpu, arch_counter_read());
}

/*
 * Both edges of a trap that took no decision and left no work for the exit, in one bracket:
 * the guest ran until `in` (read at the entry), EL2 from then until now (read here). The
 * figures are those of two edges (two counter reads, guest + idle + hyp == elapsed); a reader
 * meanwhile sees them as of the edge before, as it would between any two edges. A direct
 * vCPU never gets here (its edges switch the CPU interface).
 */
static inline void trap_edges_both(struct pcpu *p, struct vcpu *vcpu, uint64_t in)
{
	uint64_t out = arch_counter_read();

	pcpu_edge_begin(p);
	pcpu_charge_guest(p, vcpu, in);
	pcpu_charge_hyp(p, out);
	stats_count_trap(&p->stats, &vcpu->stats);
}

void vcpu_trap_enter(struct vcpu *vcpu)
{
	trap_edge_enter(pcpu_this(), vcpu);
	vgic_sync(vcpu);
}

/* The exit edge, after a decision if one is due and the vGIC's flush. */
static inline void trap_edge_exit(struct pcpu *p, struct vcpu *vcpu)
{
	/* What pcpu_maybe_switch() would find first, looked at here: most traps switch nothing. */
	if (p->resched || !vcpu_schedulable(vcpu))
		pcpu_maybe_switch(); /* returns only if vcpu keeps the pCPU */
	vgic_flush(vcpu);
	if (__builtin_expect(vcpu->vgic.direct_capable, 0))
		vgic_direct_exit(vcpu);
	pcpu_account_hyp(p);
}

void vcpu_trap_exit(struct vcpu *vcpu)
{
	trap_edge_exit(pcpu_this(), vcpu);
}

/* The whole synchronous trap in one frame: the edges inline around the decoder's handler. */
void vcpu_trap_sync(struct vcpu *vcpu, vcpu_trap_handler handler, struct guest_regs *r,
		    uint64_t esr)
{
	struct pcpu *p = pcpu_this();

	trap_edge_enter(p, vcpu);
	vgic_sync(vcpu);
	handler(vcpu, r, esr);
	trap_edge_exit(p, vcpu);
}

/* Nothing for the exit edge to do: no decision due, and the vCPU may go on. */
static inline bool trap_exit_is_plain(const struct pcpu *p, const struct vcpu *vcpu)
{
	return __builtin_expect(!p->resched && vcpu_schedulable(vcpu), 1);
}

/*
 * A physical IRQ, acknowledged (id) by a trap whose guest time ended at `in`: the guest's own
 * virtual timer goes straight into its list register (vgic_timer_fast) when nothing else is in
 * flight, and the guest resumes unless a scheduling decision is due, both edges in one bracket.
 * Anything else takes the generic path (vcpu_trap_irq_slow) with the entry edge taken.
 */
static inline __attribute__((always_inline)) unsigned long
trap_irq_acked(struct pcpu *p, struct vcpu *vcpu, uint64_t in, irq_t id)
{
	if (id != PPI_VIRT_TIMER || !vgic_timer_fast(vcpu, id)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_IRQ + id;
	}
	vcpu->stats.injected++;
	if (trap_exit_is_plain(p, vcpu)) {
		trap_edges_both(p, vcpu, in);
		stats_count_irq(&p->stats, &vcpu->stats, IRQ_KIND_VTIMER);
		pcpu_edge_close(p);
		return VCPU_FAST_DONE;
	}
	trap_edge_enter_at(p, vcpu, in);
	stats_count_irq(&p->stats, &vcpu->stats, IRQ_KIND_VTIMER);
	return VCPU_FAST_EXIT; /* the tick is in LR0 and its shadow: nothing to sync */
}

/*
 * The end of a fast synchronous trap that did its work. An IRQ that became pending meanwhile
 * (typically the guest's timer, falling while the guest was in EL2 for its console) is taken
 * here, in this trap, instead of by a second exception entry right after the eret: the same
 * handling as trap_guest_irq_fast's (the tick into its LR, anything else the generic path),
 * in one bracket with this trap. The EL2 entry counter then counts one entry for the two.
 */
static unsigned long __attribute__((noinline))
trap_fast_irq_pending(struct pcpu *p, struct vcpu *vcpu, uint64_t in)
{
	return trap_irq_acked(p, vcpu, in, irqchip_ack());
}

/* (The pending IRQ's handling out of line: inlined, its calls would make every fast trap
 * save and restore callee-saved registers it does not otherwise need.) */
static inline unsigned long trap_fast_finish(struct pcpu *p, struct vcpu *vcpu, uint64_t in)
{
	if (__builtin_expect(arch_irq_pending(), 0))
		return trap_fast_irq_pending(p, vcpu, in);
	if (trap_exit_is_plain(p, vcpu)) {
		trap_edges_both(p, vcpu, in);
		pcpu_edge_close(p);
		return VCPU_FAST_DONE;
	}
	trap_edge_enter_at(p, vcpu, in);
	return VCPU_FAST_EXIT;
}

/*
 * HVC #0 asking for a constant (smccc_fast_answer): no router, no vGIC sync or flush (the
 * call changes no interrupt state; one marked meanwhile by another pCPU comes with a kick,
 * which the guest takes as soon as it resumes), both edges in one bracket.
 */
unsigned long vcpu_trap_hvc_fast(struct vcpu *vcpu, struct guest_regs *r)
{
	uint64_t in = arch_counter_read();
	uint64_t ret;

	if (!smccc_fast_answer(r->x[0], &ret) || vcpu->vgic.direct_capable)
		return VCPU_FAST_FULL;
	r->x[0] = ret;
	vcpu->stats.hvc++;
	return trap_fast_finish(pcpu_this(), vcpu, in);
}

/*
 * A trapped load or store of the running guest, with a physical IRQ pending at EL2 as the trap
 * began (the arch looked, ISR_EL1.I): if the guest takes IRQs (PSTATE.I clear in SPSR_EL2), the
 * interrupt goes first, as a CPU takes one between two instructions, and the access is not
 * performed at all (not even decoded; the arch leaves ELR on it): the guest's tick goes into
 * its list register as at trap_irq_acked() (anything else: the generic path), the guest takes
 * it before the instruction and re-executes the instruction after its handler returns. A tick
 * falling while the guest is in EL2 for its console then waits for the trap's entry, not for the
 * console's work. The acknowledgement made the physical IRQ active, so the re-executed access
 * does not find it pending again (no loop). VCPU_FAST_FULL, nothing done and nothing counted,
 * when the guest has IRQs masked, for a direct vCPU (its interrupts are its GIC's), or if the
 * IRQ went away meanwhile (spurious): the access goes on. vcpu_trap_mmio_fast() looks once
 * more at a device's door, after the decode and the region walk, before the device's short
 * path does anything (VCPU_FAST_AGAIN: not performed either).
 */
static unsigned long __attribute__((noinline))
dabt_irq_first(struct pcpu *p, struct vcpu *vcpu, uint64_t in)
{
	irq_t id;

	if (!arch_trap_guest_irqs_unmasked())
		return VCPU_FAST_FULL;
	id = irqchip_ack();
	if (id >= IRQCHIP_SPURIOUS)
		return VCPU_FAST_FULL;
	return trap_irq_acked(p, vcpu, in, id);
}

unsigned long vcpu_trap_dabt_irq_first(struct vcpu *vcpu)
{
	uint64_t in = arch_counter_read();

	if (vcpu->vgic.direct_capable)
		return VCPU_FAST_FULL;
	return dabt_irq_first(pcpu_this(), vcpu, in);
}

/*
 * An access of the emulated GIC that reads or changes interrupt state (vgic_mmio_fast said
 * VGIC_MMIO_STATE): the generic trap's vGIC steps (sync, the access, flush) without its
 * dispatch and, when no decision is due, with both edges in one bracket at the end, as
 * vcpu_trap_sgi (the access may kick a vCPU blocked here, which may make one due: looked at
 * after it). A decision due leaves the exit to the slow half, an IRQ pending by then the rest
 * to the IRQ's (its sync finds the vGIC synced already). Out of line: the lockless case keeps
 * a small frame.
 */
static unsigned long __attribute__((noinline))
mmio_state(struct pcpu *p, struct vcpu *vcpu, struct mmio_access *acc, uint64_t in)
{
	vgic_sync(vcpu);
	vgic_mmio_state(vcpu, acc);
	if (__builtin_expect(arch_irq_pending(), 0)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_IRQ + irqchip_ack();
	}
	if (!trap_exit_is_plain(p, vcpu)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_EXIT;
	}
	vgic_flush(vcpu);
	trap_edges_both(p, vcpu, in);
	pcpu_edge_close(p);
	return VCPU_FAST_DONE;
}

/*
 * A load or store of the running guest at stage 2, decoded by the arch. The emulated GIC's
 * frames (GICD, the VM's GICR) are found by address first (vgic_mmio_fast): a lockless read or
 * an ignored write changes no interrupt state, so no vGIC sync or flush, both edges in one
 * bracket, as the null HVC; any other access of those frames takes mmio_state(). Then the
 * region's own short path (mmio_fast_fn: no lock, no interrupt state, no decision), the same
 * way; an IRQ pending at its door goes first as at the trap's entry (dabt_irq_first: the device
 * not called, VCPU_FAST_AGAIN). Anything else: VCPU_FAST_FULL, untouched. A direct vCPU takes
 * the generic path (its edges switch the CPU interface).
 */
unsigned long vcpu_trap_mmio_fast(struct vcpu *vcpu, struct mmio_access *acc)
{
	uint64_t in = arch_counter_read();
	enum vgic_mmio_fast kind;

	if (__builtin_expect(vcpu->vgic.direct_capable, 0))
		return VCPU_FAST_FULL;
	kind = vgic_mmio_fast(vcpu, acc);
	if (kind == VGIC_MMIO_NOT_MINE) {
		const struct mmio_region *r =
		    mmio_fast_region(vcpu->vm->mmio, vcpu->vm->nr_mmio, acc);

		if (!r)
			return VCPU_FAST_FULL;
		/* The device's door: an IRQ pending since the trap's entry looked goes first. */
		if (__builtin_expect(arch_irq_pending(), 0)) {
			unsigned long code = dabt_irq_first(pcpu_this(), vcpu, in);

			if (code != VCPU_FAST_FULL)
				return code | VCPU_FAST_AGAIN;
		}
		if (!r->fast(vcpu, acc, r->opaque))
			return VCPU_FAST_FULL;
	}
	vcpu->stats.mmio++;
	if (kind == VGIC_MMIO_STATE)
		return mmio_state(pcpu_this(), vcpu, acc, in);
	return trap_fast_finish(pcpu_this(), vcpu, in);
}

void vcpu_trap_fast_exit(struct vcpu *vcpu)
{
	vgic_sync(vcpu); /* skipped at the entry: the exit's flush starts from the LRs' state */
	trap_edge_exit(pcpu_this(), vcpu);
}

/*
 * A physical IRQ taken from the guest. The guest's own virtual timer is the one a bind pCPU
 * takes a thousand times a second: acknowledged first, then trap_irq_acked(). Anything else,
 * or the timer in any other state, takes the generic path (vcpu_trap_irq_slow): sync, dispatch
 * to the owner, flush. A direct vCPU's entry edge gives EL2 its CPU interface back before the
 * ack.
 */
unsigned long vcpu_trap_irq_fast(struct vcpu *vcpu)
{
	uint64_t in = arch_counter_read();
	struct pcpu *p = pcpu_this();

	if (__builtin_expect(vcpu->vgic.direct_on, 0)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_IRQ + irqchip_ack();
	}
	return trap_irq_acked(p, vcpu, in, irqchip_ack());
}

void vcpu_trap_irq_slow(struct vcpu *vcpu, unsigned long code)
{
	if (code >= VCPU_FAST_IRQ) {
		vgic_sync(vcpu);
		irq_handle_acked((irq_t)(code - VCPU_FAST_IRQ));
	}
	trap_edge_exit(pcpu_this(), vcpu);
}

/*
 * A physical FIQ (Group 0: the hypervisor's own interrupts) taken from the guest. The one a
 * vCPU trading SGIs takes is the kick another pCPU sent after marking an interrupt for it: its
 * arrival is all there is to it, and what it asks for is the flush, which folds the list
 * registers itself (no sync first: nothing between reads the vGIC state), both edges in one
 * bracket. Anything else (the hypervisor's timer, maintenance, a device), a decision due, or a
 * direct vCPU: the generic path (vcpu_trap_fiq_slow), as before.
 */
unsigned long vcpu_trap_fiq_fast(struct vcpu *vcpu)
{
	uint64_t in = arch_counter_read();
	struct pcpu *p = pcpu_this();
	irq_t id;

	if (__builtin_expect(vcpu->vgic.direct_on, 0)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_IRQ + irqchip_ack_group0();
	}
	id = irqchip_ack_group0();
	if (id != IPI_KICK || vcpu->vgic.direct_capable || !trap_exit_is_plain(p, vcpu)) {
		trap_edge_enter_at(p, vcpu, in);
		return VCPU_FAST_IRQ + id;
	}
	irqchip_deactivate(id);
	vgic_flush(vcpu);
	trap_edges_both(p, vcpu, in);
	stats_count_irq(&p->stats, &vcpu->stats, IRQ_KIND_KICK);
	pcpu_edge_close(p);
	return VCPU_FAST_DONE;
}

void vcpu_trap_fiq_slow(struct vcpu *vcpu, unsigned long code)
{
	if (code >= VCPU_FAST_IRQ) {
		vgic_sync(vcpu);
		irq_handle_acked_group0((irq_t)(code - VCPU_FAST_IRQ));
	}
	trap_edge_exit(pcpu_this(), vcpu);
}

/*
 * A guest's SGI (an ICC_SGI*R_EL1 write, decoded by the arch): the write marks the targets'
 * state and kicks them; the sender's own changes only when it names itself. So no sync at the
 * entry (another pCPU's marks go into an unsynced vCPU the same way) and, unless the sender is
 * a target, no flush at the exit: its list registers stay as the guest left them, folded at its
 * next exit that needs them. Both edges in one bracket when no decision is due (the kick of a
 * vCPU blocked on this pCPU may make one due); a direct vCPU takes the generic edges.
 */
void vcpu_trap_sgi(struct vcpu *vcpu, uint64_t val, bool group0_only)
{
	uint64_t in = arch_counter_read();
	struct pcpu *p = pcpu_this();
	bool self;

	if (__builtin_expect(vcpu->vgic.direct_capable, 0)) {
		trap_edge_enter_at(p, vcpu, in);
		vgic_sync(vcpu);
		vcpu_sgi_write(vcpu, val, group0_only);
		trap_edge_exit(p, vcpu);
		return;
	}
	self = vcpu_sgi_write(vcpu, val, group0_only);
	if (!self && trap_exit_is_plain(p, vcpu)) {
		trap_edges_both(p, vcpu, in);
		pcpu_edge_close(p);
		return;
	}
	trap_edge_enter_at(p, vcpu, in);
	trap_edge_exit(p, vcpu); /* its flush (or a switch's save) folds the LRs first */
}

vcpu_sgi_handler vcpu_sgi_write;

int vcpu_sgi_claim(vcpu_sgi_handler handler)
{
	if (vcpu_sgi_write)
		return -ERR_BUSY;
	vcpu_sgi_write = handler;
	return 0;
}
