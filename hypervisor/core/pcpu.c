/*
 * Physical CPUs: per-CPU data and stacks, the mechanics of switching between vCPUs, the
 * idle loop, and where each pCPU's time goes.
 *
 * A pCPU asks its pool what to run (pool_pick_next, sched/pick.c) at the end of a trap when a
 * decision is due (resched: set by the scheduler's timer, a wake-up, an IPI, or the running vCPU
 * blocking), and in its idle loop after every interrupt. A vCPU's registers live on the
 * top-of-stack frame while it is loaded; loaded_on stays set until they are fully saved, so
 * another pCPU that picked it waits for that before loading it.
 *
 * Parking (the lazy switch to idle): a vCPU that blocks with nothing else to run here stays
 * loaded while the pCPU idles (p->parked; its registers on the frame, its EL1 context and list
 * registers in the CPU, loaded_on still this pCPU; only its virtual timer saved and stopped), so
 * that the next pick choosing it again (its own wake-up, the common case) resumes it without
 * the save and the load. Any other outcome of the idle loop's next pick finishes the leave first
 * (unpark). Since an idle pCPU takes no exit, whoever waits for a parked vCPU to be off this
 * pCPU makes it pick: vcpu_enter() and pcpu_wait_vcpu_off() here, a VM move (pool.c), and a kick
 * of a stopped vCPU (vcpu_kick(): loaded_on). Only a blocked vCPU with trapped delivery whose
 * interface can raise no maintenance interrupt meanwhile is parked (vgic_vcpu_parkable()).
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

struct pcpu pcpus[MAX_PCPUS];
unsigned nr_pcpus;
/* The top GUEST_REGS_SIZE bytes of each stack hold the running vCPU's registers (exceptions.S). */
uint8_t pcpu_stacks[MAX_PCPUS][PCPU_STACK_SIZE] __attribute__((aligned(16)));

static struct guest_regs *pcpu_frame(const struct pcpu *p)
{
	return (struct guest_regs *)(void *)(pcpu_stacks[p->index] + PCPU_STACK_SIZE) - 1;
}

struct guest_regs *vcpu_frame(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();

	return p->current == vcpu ? pcpu_frame(p) : &vcpu->regs;
}

struct vcpu *vcpu_current(void)
{
	return pcpu_this()->current;
}

/* ---- switching ------------------------------------------------------------------------ */

static void sched_timer_fired(struct timer *timer)
{
	struct pcpu *p = container_of(timer, struct pcpu, sched_timer);

	p->stats.sched_timer_irqs++;
	p->resched = true;
}

void pcpu_init_sched(struct pcpu *p)
{
	timer_init(&p->sched_timer, sched_timer_fired);
	p->next_decision = SCHED_NEVER;
	p->time.start = p->time.last = arch_counter_read();
}

void pcpu_resched(struct pcpu *p)
{
	__atomic_fetch_add(&p->stats.resched_requests, 1, __ATOMIC_RELAXED);
	p->resched = true;
	if (p != pcpu_this())
		irqchip_send_sgi(p->index, IPI_KICK);
}

/*
 * The guest's registers between the stack frame and the vCPU, 16 bytes a step and unrolled:
 * the library memcpy() took 85 instructions for these 272 bytes, this is one LDP and one STP
 * per pair of registers. Both are 8-byte aligned (-mstrict-align allows the pairs).
 */
static inline __attribute__((always_inline)) void regs_copy(struct guest_regs *dst,
							    const struct guest_regs *src)
{
	typedef unsigned __int128 pair_t; /* two X registers: LDP, STP (-mgeneral-regs-only) */
	pair_t *d = (pair_t *)(void *)dst;
	const pair_t *s = (const pair_t *)(const void *)src;

	_Static_assert(sizeof(struct guest_regs) % sizeof(pair_t) == 0, "whole pairs");
#pragma GCC unroll 32
	for (unsigned i = 0; i < sizeof(struct guest_regs) / sizeof(pair_t); i++)
		d[i] = s[i];
}

/*
 * Waits for vcpu's loaded_on to clear: another pCPU still saves it (a few hundred
 * instructions), or idles with it parked, which it is asked to give up (a re-pick, once).
 */
static void wait_vcpu_unloaded(const struct vcpu *vcpu)
{
	bool asked = false;
	struct pcpu *on;

	while ((on = __atomic_load_n(&vcpu->loaded_on, __ATOMIC_ACQUIRE))) {
		if (!asked && __atomic_load_n(&on->parked, __ATOMIC_ACQUIRE) == vcpu) {
			pcpu_resched(on);
			asked = true;
		}
		arch_relax();
	}
}

/* Switches the calling pCPU into vcpu: its registers onto the frame, its context into the CPU. */
static void __attribute__((noreturn)) vcpu_enter(struct vcpu *vcpu)
{
	struct pcpu *p = pcpu_this();
	struct guest_regs *frame = pcpu_frame(p);
	bool direct;

	if (p->parked == vcpu) {
		/* Still loaded here (parked): back into the CPU, no restore. */
		p->parked = NULL;
		p->current = vcpu;
		p->stats.switches++;
		arch_vcpu_unpark(vcpu);
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* as below: pairs with vcpu_kick() */
		if (!vcpu_schedulable(vcpu)) {
			p->resched = true;
			irqchip_send_sgi(p->index, IPI_KICK);
		}
		vgic_flush(vcpu);
		pcpu_account_hyp(p);
		arch_enter_guest(frame);
	}
	wait_vcpu_unloaded(vcpu);
	__atomic_store_n(&vcpu->loaded_on, p, __ATOMIC_RELAXED);
	/*
	 * Stopped (or held for a move) since it was picked: the kick for that found it not loaded
	 * yet and sent no IPI. Exit again at once. The barrier pairs with vcpu_kick()'s: either
	 * the kicker saw loaded_on set, or this sees the new state.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vcpu_schedulable(vcpu)) {
		p->resched = true;
		irqchip_send_sgi(p->index, IPI_KICK);
	}
	p->current = vcpu;
	p->stats.switches++;
	if (vcpu->last_pcpu && vcpu->last_pcpu != p)
		p->stats.migrations++;
	vcpu->last_pcpu = p;
	/* Its pool changes only while it is off every pCPU (pool.c): read it once per load. */
	direct = vcpu->sched.pool && vcpu->sched.pool->direct_irq;
	if (vcpu->pcpu != p || vcpu->vgic.direct_capable != direct) {
		vcpu->pcpu = p;
		vcpu->vgic.direct_capable = direct;
		passthrough_follow_vcpu(vcpu); /* its devices' SPIs: taken where and as it runs */
	}
	regs_copy(frame, &vcpu->regs);
	arch_vcpu_load(vcpu);
	vgic_vcpu_restore(vcpu);
	vgic_flush(vcpu);
	if (vcpu->vgic.direct_capable)
		vgic_direct_exit(vcpu);
	pcpu_account_hyp(p);
	arch_enter_guest(frame);
}

void pcpu_leave_vcpu(void)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *vcpu = p->current;

	if (!vcpu)
		return;
	if (vcpu->vgic.direct_capable)
		vgic_direct_put(vcpu); /* trapped delivery again before anything is saved */
	vgic_sync(vcpu);
	vgic_vcpu_save(vcpu);
	arch_vcpu_put(vcpu);
	regs_copy(&vcpu->regs, pcpu_frame(p));
	p->current = NULL;
	/* Release: whoever sees loaded_on == NULL (another pCPU, pcpu_wait_vcpu_off) sees its
	 * state saved. */
	__atomic_store_n(&vcpu->loaded_on, NULL, __ATOMIC_RELEASE);
}

void pcpu_wait_vcpu_off(const struct vcpu *vcpu)
{
	/* running_on first: a vCPU picked but not loaded yet is about to be (then leaves again:
	 * vcpu_enter), and once running_on is clear it is never picked again (not schedulable). */
	while (__atomic_load_n(&vcpu->sched.running_on, __ATOMIC_ACQUIRE))
		arch_relax(); /* it was kicked: it leaves at its next exit */
	wait_vcpu_unloaded(vcpu);
}

/* The rest of a switch away from prev, once it is saved: a VM move or reset it completes. */
static void vcpu_left(struct pcpu *p, struct vcpu *prev, struct vcpu *next)
{
	if (pool_vcpu_left(prev) && next) {
		/* This pCPU completed a VM move, so both pools re-planned since next was picked:
		 * run it (it was picked, and nothing else would run it now) but decide again
		 * right away, at the exit the self-kick forces. */
		p->resched = true;
		irqchip_send_sgi(p->index, IPI_KICK);
	}
	/* A VM reset is carried out off its vCPUs: here, once this pCPU holds none. */
	if (prev->state == VCPU_STOPPED && vm_claim_restart(prev->vm))
		p->restarts |= 1U << prev->vm->index;
}

/* The idle loop's pick chose something else than its parked vCPU: finish leaving that one. */
static void unpark(struct pcpu *p, struct vcpu *next)
{
	struct vcpu *prev = p->parked;

	p->parked = NULL;
	arch_vcpu_unpark(prev);
	p->current = prev;
	pcpu_leave_vcpu();
	vcpu_left(p, prev, next);
}

_Static_assert(CFG_MAX_VMS <= 32, "pcpu.restarts has a bit per VM");

void pcpu_restart_later(struct vm *vm)
{
	struct pcpu *p = pcpu_this();

	p->restarts |= 1U << vm->index;
	p->resched = true; /* the trap's exit (or the idle loop) gets to it */
}

/* The restarts this pCPU claimed, with no vCPU loaded here: away from its pool meanwhile. */
static void run_restarts(struct pcpu *p)
{
	pool_pcpu_away(p); /* hands back what it picked: another pCPU runs that */
	while (p->restarts) {
		unsigned i = (unsigned)__builtin_ctz(p->restarts);

		p->restarts &= ~(1U << i);
		vm_restart(&vms[i]);
	}
	/* Back at its next pick (pool_pick_next), which away asked for (p->resched). */
}

/* Entered after a pick chose nothing: wait for an interrupt, then ask again. */
static void __attribute__((noreturn)) idle_loop(void)
{
	struct pcpu *p = pcpu_this();

	/* IRQs are masked here; arch_wait_for_interrupt() wakes on a pending one even so. */
	for (;;) {
		struct vcpu *vcpu;

		if (p->restarts) { /* claimed by a timer callback while it idled */
			if (p->parked)
				unpark(p, NULL); /* a restart runs with no vCPU loaded here */
			run_restarts(p);
		}
		/* A decision asked of this pCPU by itself (say, a VM restart run here woke a vCPU)
		 * comes with no IPI: look before sleeping. */
		if (!p->resched) {
			pcpu_account_hyp_then_idle(p);
			arch_wait_for_interrupt();
			pcpu_account_idle(p);
		}
		vcpu = pool_pick_next(p);
		/* Left if anything else was picked, or a restart is due here (claimed by a timer
		 * callback meanwhile): a restart may take long, and a parked vCPU would hold up
		 * whichever pCPU picks it next (vcpu_enter waits for loaded_on) until it ends. */
		if (p->parked && (vcpu != p->parked || p->restarts))
			unpark(p, vcpu); /* may claim a VM restart (vcpu_left) */
		/* A restart first: it hands vcpu back to its pool, as in pcpu_maybe_switch(). */
		if (p->restarts)
			run_restarts(p);
		else if (vcpu)
			vcpu_enter(vcpu);
	}
}

void pcpu_maybe_switch(void)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *prev = p->current, *next;

	if (!p->resched && !p->restarts && prev && vcpu_schedulable(prev))
		return;
	next = pool_pick_next(p);
	if (next == prev && !p->restarts)
		return;
	if (!next && !p->restarts && prev && prev->state == VCPU_BLOCKED && !prev->held &&
	    vgic_vcpu_parkable(prev)) {
		/* Nothing else to run: idle with it loaded (parking, above). */
		arch_vcpu_park(prev);
		p->current = NULL;
		__atomic_store_n(&p->parked, prev, __ATOMIC_RELEASE);
		/* A mover or stopper that looked at loaded_on before parked was set: look again. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (prev->held || prev->state == VCPU_STOPPED)
			p->resched = true;
		arch_reset_stack_and_call(idle_loop);
	}
	pcpu_leave_vcpu();
	if (prev)
		vcpu_left(p, prev, next);
	if (p->restarts) {
		/* Not after entering next, not with next picked: next (say, the VM a failover
		 * just promoted) goes back to its pool for another pCPU to run meanwhile. */
		run_restarts(p);
	} else if (next) {
		vcpu_enter(next);
	}
	arch_reset_stack_and_call(idle_loop);
}

void pcpu_run(void)
{
	struct vcpu *vcpu = pool_pick_next(pcpu_this());

	if (vcpu)
		vcpu_enter(vcpu);
	idle_loop();
}

/* IPI_KICK has done its work by interrupting: the return path re-reads vCPU state and
 * pending interrupts. No handler to call. */
static const struct irq_owner kick_owner = {.name = "pCPU kick", .kind = IRQ_KIND_KICK};

int pcpu_claim_kick(void)
{
	return irq_claim(IPI_KICK, &kick_owner, NULL);
}
