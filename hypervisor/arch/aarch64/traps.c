/*
 * Guest traps, dispatched by ESR_EL2 exception class through a table with a safe
 * default (inject UNDEF). Each handler decodes the syndrome (trap_decode.h: pure, host-tested)
 * and turns it into a domain event for the core: an MMIO access, an SMCCC call, a WFI, a
 * system-register access.
 */
#include <arch/sysregs.h>
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/irq.h>
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/mmio.h>
#include <tandem/pcpu.h>
#include <tandem/smccc.h>
#include <tandem/stats.h>
#include <tandem/trap_events.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/vtimer.h>

#include "id_regs.h"
#include "trap_decode.h"

typedef vcpu_trap_handler trap_fn;

static uint64_t reg_read(const struct guest_regs *r, unsigned rt)
{
	return rt == 31 ? 0 : r->x[rt];
}

static void reg_write(struct guest_regs *r, unsigned rt, uint64_t v)
{
	if (rt != 31)
		r->x[rt] = v;
}

/*
 * Past an instruction Tandem emulated. It has executed, so a software step that was active on
 * it is complete: PSTATE.SS = 0 on return (active-pending), and the guest takes its step
 * exception at the next instruction, as if the instruction had run in hardware (Arm ARM D2.12.5:
 * a trapped instruction leaves SPSR.SS = 1, which would let the next one run unstepped).
 */
static void skip_insn(struct guest_regs *r, uint64_t esr)
{
	r->pc += trap_insn_len(esr);
	r->pstate &= ~PSR_SS;
}

static void trap_undef(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	trap_unknown_class(vcpu, ESR_EC(esr), esr, r->pc);
	arch_vcpu_inject_undef(vcpu);
}

static void trap_wfx(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	skip_insn(r, esr);
	/* WFI (and WFIT) idles: block or wait in place; WFE (WFET) yields to the pool. */
	if (trap_wfx_is_wfi(esr)) {
		vcpu->stats.wfi++;
		vcpu_wfi(vcpu);
	} else {
		vcpu_wfe(vcpu);
	}
}

static void trap_hvc(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	vcpu->stats.hvc++;
	if (trap_call_needs_skip(esr))
		skip_insn(r, esr); /* ELR points at the SMC itself; HVC's is already past it */
	smccc_call(vcpu, r);
}

/* The hardware's ID register (op0 3, op1 0, CRn 0, crm, op2), as the guest may see it. */
static uint64_t id_reg_value(unsigned crm, unsigned op2)
{
	uint64_t v = 0;

#define IDR(m, n)                                                                                  \
	case (m)*8 + (n):                                                                          \
		v = read_sysreg(S3_0_C0_C##m##_##n);                                               \
		break
#define IDR_ROW(m)                                                                                 \
	IDR(m, 0);                                                                                 \
	IDR(m, 1);                                                                                 \
	IDR(m, 2);                                                                                 \
	IDR(m, 3);                                                                                 \
	IDR(m, 4);                                                                                 \
	IDR(m, 5);                                                                                 \
	IDR(m, 6);                                                                                 \
	IDR(m, 7)
	switch (crm * 8 + op2) {
		IDR_ROW(1);
		IDR_ROW(2);
		IDR_ROW(3);
		IDR_ROW(4);
		IDR_ROW(5);
		IDR_ROW(6);
		IDR_ROW(7);
	}
#undef IDR_ROW
#undef IDR
	return id_reg_sanitise(crm, op2, v); /* id_regs.c: what is hidden or capped */
}

static void trap_sysreg(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	struct trap_sysreg s = trap_decode_sysreg(esr);
	unsigned rt = s.rt;
	bool read = s.read;

	/*
	 * A debug register (op1 0: breakpoints, watchpoints, MDSCR, OS lock, claim tags; 3: the
	 * comms channel) of a vCPU whose debug is not active yet: its set goes into the CPU and
	 * the instruction runs again, untrapped (debug.c). Not skipped: it has not executed.
	 */
	if (s.op0 == 2 && (s.op1 == 0 || s.op1 == 3) && !vcpu->ctx.debug.active) {
		arch_vcpu_debug_claim(vcpu);
		return;
	}
	skip_insn(r, esr);
	/*
	 * The SGI registers: their writes took trap_sgi_write() (they are the hot case); a read
	 * of these write-only registers is ignored. Nobody claimed them: UNDEF, below.
	 */
	switch (s.enc) {
	case SYSREG(3, 0, 12, 11, 5): /* ICC_SGI1R_EL1 */
	case SYSREG(3, 0, 12, 11, 6): /* ICC_ASGI1R_EL1 */
	case SYSREG(3, 0, 12, 11, 7): /* ICC_SGI0R_EL1 */
		if (__builtin_expect(!vcpu_sgi_write, 0))
			break;
		return;
	case SYSREG(3, 3, 14, 2, 0): /* CNTP_TVAL_EL0: the emulated EL1 physical timer */
	case SYSREG(3, 3, 14, 2, 1): /* CNTP_CTL_EL0 */
	case SYSREG(3, 3, 14, 2, 2): /* CNTP_CVAL_EL0 */
		if (read)
			reg_write(r, rt, trap_ptimer_read(vcpu, (enum vtimer_reg)s.op2));
		else
			trap_ptimer_write(vcpu, (enum vtimer_reg)s.op2, reg_read(r, rt));
		return;
	}
	if (trap_sysreg_is_id_read(&s)) {
		reg_write(r, rt, id_reg_value(s.crm, s.op2));
		return;
	}
	/*
	 * Debug (op0 = 2), PMU and the rest of the timer space read as zero and ignore
	 * writes: the guest sees them but they do nothing (docs/design.md).
	 */
	if (s.op0 == 2 || (s.op0 == 3 && s.crn == 9) || (s.op0 == 3 && s.op1 == 3 && s.crn == 14)) {
		if (read)
			reg_write(r, rt, 0);
		return;
	}
	trap_unknown_sysreg(vcpu, read, s.op0, s.op1, s.crn, s.crm, s.op2);
	r->pc -= 4;
	arch_vcpu_inject_undef(vcpu);
}

/*
 * A write to an SGI register, handed to the interrupt controller that claimed them
 * (vcpu_sgi_claim) as a whole trap of its own (vcpu_trap_sgi: no vGIC sync or flush of the
 * sender unless it is a target). ICC_SGI1R_EL1 forwards either group (the guest sees DS = 1),
 * ICC_ASGI1R_EL1 (with DS = 1 it signals Group 0) and ICC_SGI0R_EL1 Group 0 only. Returns
 * false for any other access: trap_sysreg's.
 */
static bool trap_sgi_write(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	struct trap_sysreg s = trap_decode_sysreg(esr);

	if (s.read || !vcpu_sgi_write ||
	    (s.enc != SYSREG(3, 0, 12, 11, 5) && s.enc != SYSREG(3, 0, 12, 11, 6) &&
	     s.enc != SYSREG(3, 0, 12, 11, 7)))
		return false;
	skip_insn(r, esr);
	vcpu_trap_sgi(vcpu, reg_read(r, s.rt), s.enc != SYSREG(3, 0, 12, 11, 5));
	return true;
}

static ipa_t fault_ipa(void)
{
	return trap_fault_ipa(read_sysreg(hpfar_el2), read_sysreg(far_el2));
}

/*
 * A data abort that is not a plain emulated access: the guest's stage-1 walk faulted, a cache
 * maintenance instruction, no valid syndrome, or a device that refused it (err from
 * mmio_dispatch). Out of line, so that trap_dabt()'s hot case keeps a small frame.
 */
static void __attribute__((noinline, cold))
dabt_other(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr, int err, unsigned size)
{
	uint64_t far = read_sysreg(far_el2);
	struct trap_dabt d = trap_decode_dabt(esr);
	struct trap_fault f = {
	    .kind = d.s1ptw ? TRAP_FAULT_TABLE_WALK : TRAP_FAULT_DATA,
	    .ipa = trap_fault_ipa(read_sysreg(hpfar_el2), far),
	    .pc = r->pc,
	    .write = d.write,
	    .isv = d.isv,
	    .size = size,
	    .err = err,
	};

	if (!d.s1ptw && d.cm) {
		/*
		 * DC CIVAC and friends on an IPA with no RAM: nothing of it can be in a cache, so
		 * there is nothing to do (a guest may maintain a range covering a device). KVM
		 * skips them the same way.
		 */
		skip_insn(r, esr);
		return;
	}
	if (trap_fault(vcpu, &f) == TRAP_INJECT_ABORT)
		arch_vcpu_inject_abort(vcpu, true, far);
}

/*
 * The hot case first: a load or store with a valid syndrome (ISV), not from a stage-1 walk nor
 * a cache maintenance instruction, which an emulated device accepts. Only what that case needs
 * is decoded; everything else is dabt_other()'s. Aligned to 16 whatever precedes it, so its
 * region-search loop's alignment padding stays out of the path (it did move in when the code
 * before it shrank).
 */
static void __attribute__((aligned(16)))
trap_dabt(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	struct trap_dabt d;
	struct mmio_access acc;
	int err;

	if (__builtin_expect((esr & (DABT_ISV | DABT_S1PTW | DABT_CM)) != DABT_ISV, 0)) {
		dabt_other(vcpu, r, esr, 0, 0);
		return;
	}
	d = trap_decode_dabt(esr);
	acc.addr = trap_fault_ipa(read_sysreg(hpfar_el2), read_sysreg(far_el2));
	acc.size = d.size;
	acc.write = d.write;
	acc.value = d.write ? trap_store_value(&d, reg_read(r, d.rt)) : 0;
	err = mmio_dispatch_in(vcpu->vm->mmio, vcpu->vm->nr_mmio, vcpu, &acc);
	if (__builtin_expect(err, 0)) {
		dabt_other(vcpu, r, esr, err, d.size);
		return;
	}
	if (!d.write)
		reg_write(r, d.rt, trap_load_value(&d, acc.value));
	vcpu->stats.mmio++;
	skip_insn(r, esr);
}

static void trap_iabt(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr)
{
	struct trap_fault f = {
	    .kind = TRAP_FAULT_FETCH,
	    .ipa = fault_ipa(),
	    .pc = r->pc,
	    .s1ptw = trap_decode_dabt(esr).s1ptw,
	};

	if (trap_fault(vcpu, &f) == TRAP_INJECT_ABORT)
		arch_vcpu_inject_abort(vcpu, false, read_sysreg(far_el2));
}

static const trap_fn trap_table[64] = {
    [EC_WFX] = trap_wfx,       [EC_HVC64] = trap_hvc,	  [EC_SMC64] = trap_hvc,
    [EC_SYSREG] = trap_sysreg, [EC_DABT_LOW] = trap_dabt, [EC_IABT_LOW] = trap_iabt,
};

void trap_guest_sync(struct guest_regs *r)
{
	struct vcpu *vcpu = pcpu_this()->current;
	uint64_t esr = read_sysreg(esr_el2);
	trap_fn fn = trap_table[ESR_EC(esr)];

	if (ESR_EC(esr) == EC_SYSREG && trap_sgi_write(vcpu, r, esr))
		return;
	vcpu_trap_sync(vcpu, fn ? fn : trap_undef, r, esr);
}

/*
 * The fast paths' halves (exceptions.S): the fast one sees only x0-x18 and x30 of the guest in
 * the frame; the slow one (trap_guest_sync_slow for both synchronous ones), called when the
 * fast one returns non-zero, the whole frame.
 */
unsigned long trap_guest_hvc_fast(struct guest_regs *r)
{
	return vcpu_trap_hvc_fast(pcpu_this()->current, r);
}

/*
 * A data abort inside mmio_fast_window (esr: ESR_EL2): a load or store with a valid syndrome,
 * not from a stage-1 walk nor a cache maintenance instruction, offered to
 * vcpu_trap_mmio_fast() (the vGIC's frames, a region's short path). Only x0-x18 and x30 are in
 * the frame: an access through x19-x29 takes the whole trap. ELR and SPSR are still in their
 * registers: the instruction is skipped there (as skip_insn() does in the frame), or, when an
 * IRQ pending at the entry goes first (vcpu_trap_dabt_irq_first), left as they are.
 */
unsigned long trap_guest_dabt_fast(struct guest_regs *r, uint64_t esr)
{
	struct mmio_access acc;
	unsigned long code;
	uint64_t spsr;

	/* An IRQ pending at the door goes first if the guest can take it: nothing of the access
	 * done, ELR and SPSR left as they are (vcpu_trap_dabt_irq_first). */
	if (__builtin_expect(arch_irq_pending(), 0)) {
		code = vcpu_trap_dabt_irq_first(pcpu_this()->current);
		if (code != VCPU_FAST_FULL)
			return code;
	}
	/* Unusual ones (no syndrome, a stage-1 walk, DC, a sign-extending load) take the whole
	 * trap, as do accesses through x19-x29 (still in the CPU). One bit test each: four
	 * instructions, where the mask's constant took three more. */
	if (__builtin_expect(!(esr & DABT_ISV), 0) || __builtin_expect(esr & DABT_S1PTW, 0) ||
	    __builtin_expect(esr & DABT_CM, 0) || __builtin_expect(esr & DABT_SSE, 0) ||
	    ((esr >> DABT_SRT_SHIFT) & 0x1f) - 19 <= 29 - 19)
		return VCPU_FAST_FULL;
	acc.addr = trap_fault_ipa(read_sysreg(hpfar_el2), read_sysreg(far_el2));
	acc.size = 1U << ((esr >> DABT_SAS_SHIFT) & 3);
	acc.write = esr & DABT_WNR;
	acc.value = 0;
	if (acc.write) {
		struct trap_dabt d = trap_decode_dabt(esr);

		acc.value = trap_store_value(&d, reg_read(r, d.rt));
	}
	code = vcpu_trap_mmio_fast(pcpu_this()->current, &acc);
	if (code == VCPU_FAST_FULL)
		return code;
	if (__builtin_expect(code & VCPU_FAST_AGAIN, 0))
		return code & ~VCPU_FAST_AGAIN; /* not performed: ELR stays on the instruction */
	/* Decoded again rather than kept across the call: two callee-saved registers, not six. */
	__asm__("" : "+r"(esr));
	if (!(esr & DABT_WNR))
		reg_write(r, (esr >> DABT_SRT_SHIFT) & 0x1f, trap_load_value_zx(esr, acc.value));
	write_sysreg(elr_el2, read_sysreg(elr_el2) + trap_insn_len(esr));
	spsr = read_sysreg(spsr_el2);
	if (__builtin_expect(spsr & PSR_SS, 0))
		write_sysreg(spsr_el2, spsr & ~PSR_SS);
	return code;
}

void trap_guest_sync_slow(unsigned long code, struct guest_regs *r)
{
	if (code == VCPU_FAST_FULL)
		trap_guest_sync(r);
	else if (code >= VCPU_FAST_IRQ)
		vcpu_trap_irq_slow(pcpu_this()->current, code);
	else
		vcpu_trap_fast_exit(pcpu_this()->current);
}

unsigned long trap_guest_irq_fast(struct guest_regs *r)
{
	return vcpu_trap_irq_fast(pcpu_this()->current);
}

void trap_guest_irq_slow(unsigned long code, struct guest_regs *r)
{
	vcpu_trap_irq_slow(pcpu_this()->current, code);
}

/* Group 0: the hypervisor's own interrupts (kicks, its timer, maintenance, its devices). */
unsigned long trap_guest_fiq_fast(struct guest_regs *r)
{
	return vcpu_trap_fiq_fast(pcpu_this()->current);
}

void trap_guest_fiq_slow(unsigned long code, struct guest_regs *r)
{
	vcpu_trap_fiq_slow(pcpu_this()->current, code);
}

void trap_guest_serror(struct guest_regs *r)
{
	struct vcpu *vcpu = vcpu_current();

	vcpu_trap_enter(vcpu);
	trap_serror(vcpu, read_sysreg(esr_el2), r->pc);
	vcpu_trap_exit(vcpu);
}

/* An IRQ or FIQ while EL2 itself ran (the idle loop or a vCPU blocked in WFI). */
static inline __attribute__((always_inline)) void hyp_interrupt(bool group0)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *waiting = p->current;
	uint64_t now = pcpu_edge_open(p);

	/* EL2 unmasks interrupts in arch_wait_for_interrupt() (until now this pCPU idled) and in
	 * the windows of long EL2 work (arch_irq_window: it worked). */
	if (p->time.idling)
		pcpu_charge_idle(p, now);
	else
		pcpu_charge_hyp(p, now);
	stats_count_hyp_irq(&p->stats, waiting ? &waiting->stats : NULL);
	pcpu_edge_close(p);
	if (group0)
		irq_handle_group0();
	else
		irq_handle();
	pcpu_account_hyp(p);
}

void hyp_trap_irq(struct guest_regs *r)
{
	hyp_interrupt(false);
}

void hyp_trap_fiq(struct guest_regs *r)
{
	hyp_interrupt(true);
}

static const char *const ec_names[64] = {
    [EC_UNKNOWN] = "unknown",
    [EC_ILLEGAL] = "illegal state",
    [EC_IABT_CUR] = "instruction abort",
    [EC_PC_ALIGN] = "PC alignment",
    [EC_DABT_CUR] = "data abort",
    [EC_SP_ALIGN] = "SP alignment",
    [EC_SERROR] = "SError",
    [EC_BRK64] = "BRK",
};

static void __attribute__((noreturn)) hyp_report(struct guest_regs *r, const char *what)
{
	uint64_t esr = read_sysreg(esr_el2);
	const char *name = ec_names[ESR_EC(esr)];

	printk("\ntandem: PANIC: %s in the hypervisor on CPU %u\n", what, arch_cpu_index());
	printk("  ESR_EL2 0x%016llx (EC 0x%02x %s, ISS 0x%07llx)\n", (unsigned long long)esr,
	       (unsigned)ESR_EC(esr), name ? name : "?", (unsigned long long)ESR_ISS(esr));
	printk("  FAR_EL2 0x%016llx  ELR_EL2 0x%016llx  SPSR 0x%llx\n",
	       (unsigned long long)read_sysreg(far_el2), (unsigned long long)r->pc,
	       (unsigned long long)r->pstate);
	for (unsigned i = 0; i < 31; i += 2) {
		if (i == 30)
			printk("  x30 0x%016llx\n", (unsigned long long)r->x[30]);
		else
			printk("  x%-2u 0x%016llx  x%-2u 0x%016llx\n", i,
			       (unsigned long long)r->x[i], i + 1, (unsigned long long)r->x[i + 1]);
	}
	arch_halt();
}

void hyp_trap_sync(struct guest_regs *r)
{
	hyp_report(r, "synchronous exception");
}

void hyp_trap_serror(struct guest_regs *r)
{
	hyp_report(r, "SError");
}

void hyp_trap_unexpected(struct guest_regs *r)
{
	hyp_report(r, "unexpected exception vector");
}
