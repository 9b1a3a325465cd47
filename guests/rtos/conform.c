/*
 * Conformance checks (boot option conform=1): what a guest sees of the generic timers' interrupt
 * lines, the EL1 physical timer, and self-hosted debug (breakpoints, watchpoints, software step,
 * the OS lock), checked against the Arm architecture. The same image runs bare at EL1 and as a
 * VM; each check prints "CONFORM: <name> PASS|FAIL", bare metal being the reference. Runs on
 * CPU 0 at boot, before the scheduler owns a timer; GICv3 only.
 */
#include "arch.h"
#include "conform.h"
#include "console.h"
#include "gic.h"
#include "mmio.h"
#include "percpu.h"
#include "sysreg.h"

#define PPI_VTIMER 27
#define PPI_PTIMER 30

#define GICR_SGI	0x10000
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_ISPENDR0	(GICR_SGI + 0x0200)
#define GICR_ICPENDR0	(GICR_SGI + 0x0280)

#define CTL_ENABLE  (1u << 0)
#define CTL_IMASK   (1u << 1)
#define CTL_ISTATUS (1u << 2)

#define MDSCR_SS  (1u << 0)
#define MDSCR_KDE (1u << 13)
#define MDSCR_MDE (1u << 15)
#define SPSR_SS	  (1u << 21)

/* ESR_EL1 classes of debug exceptions taken from EL1 to EL1 (Arm ARM D17.2.40). */
#define EC_BKPT_CUR 0x31
#define EC_STEP_CUR 0x33
#define EC_WPT_CUR  0x35

static unsigned passed, failed;
static volatile unsigned irqs[32]; /* timer PPIs taken */

/* What the last debug exception was; set by conform_debug_exception(). */
static volatile struct {
	bool armed; /* a check expects one: take it here, not as a fault */
	unsigned taken;
	uint64_t esr, elr, far;
	uint64_t step_resume; /* where a step exception returns to */
} dbg;

static void result(const char *name, bool ok, const char *why)
{
	if (ok)
		passed++;
	else
		failed++;
	kprintf("CONFORM: %s %s%s%s\n", name, ok ? "PASS" : "FAIL", ok ? "" : ": ", ok ? "" : why);
}

/* ---- the generic timers' lines ---- */

static uint64_t now(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

static uint64_t us(uint64_t n)
{
	return n * ((read_sysreg(cntfrq_el0) & 0xffffffff) / 1000000);
}

/* Spins for n µs with interrupts unmasked (a timer interrupt may be taken meanwhile). */
static void wait_us(uint64_t n)
{
	uint64_t end = now() + us(n);

	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (now() < end)
		cpu_relax();
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static void timer_irq(unsigned intid, uint64_t stamp, void *arg)
{
	(void)stamp;
	(void)arg;
	irqs[intid]++;
	/* A driver's handler: stop the timer, which drops the level line. */
	if (intid == PPI_VTIMER)
		write_sysreg(0, cntv_ctl_el0);
	else
		write_sysreg(0, cntp_ctl_el0);
	isb();
}

static uint64_t get_ctl(unsigned ppi)
{
	return ppi == PPI_VTIMER ? read_sysreg(cntv_ctl_el0) : read_sysreg(cntp_ctl_el0);
}

static void set_ctl(unsigned ppi, uint64_t v)
{
	if (ppi == PPI_VTIMER)
		write_sysreg(v, cntv_ctl_el0);
	else
		write_sysreg(v, cntp_ctl_el0);
	isb();
}

static void set_cval(unsigned ppi, uint64_t v)
{
	if (ppi == PPI_VTIMER)
		write_sysreg(v, cntv_cval_el0);
	else
		write_sysreg(v, cntp_cval_el0);
	isb();
}

static bool gicr_bit(uint32_t reg, unsigned ppi)
{
	return (mmio_read32(this_pcpu()->gicr + reg) >> ppi) & 1;
}

static void gicr_set(uint32_t reg, unsigned ppi)
{
	mmio_write32(this_pcpu()->gicr + reg, 1u << ppi);
	dsb(sy);
}

/*
 * How long an expected line change or interrupt may take: QEMU raises a timer's line from its
 * main loop, which a loaded host can delay by more than 200 ms behind the counter (seen bare:
 * vtimer-level-cval; under Tandem: ptimer-level-disabled). A check that passes ends its wait at
 * the event.
 */
#define WAIT_US 2000000

/* Polls the PPI's bit of a GICR register until it reads want (true) or WAIT_US pass (false). */
static bool wait_until(unsigned ppi, uint32_t reg, bool want)
{
	uint64_t deadline = now() + us(WAIT_US);

	while (now() < deadline)
		if (gicr_bit(reg, ppi) == want)
			return true;
	return gicr_bit(reg, ppi) == want;
}

/* How the condition goes away after the timer fired with its interrupt disabled at the GIC. */
enum drop { DROP_NONE, DROP_DISABLE, DROP_CVAL, DROP_IMASK };

/*
 * The timer fires while its PPI is disabled at the GIC, the guest drops the condition (or not),
 * then enables the PPI. A level interrupt is pending while its line is high (IHI 0069 4.1.1):
 * gone with the condition, delivered once if it stays.
 */
static void check_level(const char *name, unsigned ppi, enum drop drop)
{
	bool pending_before, pending_after, delivered;
	unsigned before = irqs[ppi];

	gicr_set(GICR_ICENABLER0, ppi);
	gicr_set(GICR_ICPENDR0, ppi);
	set_cval(ppi, now() + us(20));
	set_ctl(ppi, CTL_ENABLE);
	/* Generous waits: a loaded host delays timers, but a conforming GIC gets there. */
	pending_before = wait_until(ppi, GICR_ISPENDR0, true);
	if (!pending_before) {
		/* Why, for the log: the timer's own condition, and whether the line came late. */
		uint64_t t0 = now(), late = 0;
		bool istatus = get_ctl(ppi) & CTL_ISTATUS;

		while (!gicr_bit(GICR_ISPENDR0, ppi) && (late = now() - t0) < us(2 * WAIT_US))
			;
		kprintf("CONFORM: %s: not pending after %u ms: ISTATUS %u, pending %u ms later\n",
			name, WAIT_US / 1000, istatus, (unsigned)(late / us(1000)));
	}
	switch (drop) {
	case DROP_DISABLE:
		set_ctl(ppi, 0);
		break;
	case DROP_CVAL:
		set_cval(ppi, now() + us(10000000));
		break;
	case DROP_IMASK:
		set_ctl(ppi, CTL_ENABLE | CTL_IMASK);
		break;
	case DROP_NONE:
		break;
	}
	pending_after = drop == DROP_NONE ? gicr_bit(GICR_ISPENDR0, ppi)
					  : !wait_until(ppi, GICR_ISPENDR0, false);
	gicr_set(GICR_ISENABLER0, ppi);
	if (drop == DROP_NONE) {
		uint64_t deadline = now() + us(WAIT_US);

		__asm__ volatile("msr daifclr, #2" ::: "memory");
		while (irqs[ppi] == before && now() < deadline)
			cpu_relax();
		__asm__ volatile("msr daifset, #2" ::: "memory");
	}
	wait_us(200); /* a second delivery, or one after the condition went, comes by now */
	delivered = irqs[ppi] != before;
	gicr_set(GICR_ICENABLER0, ppi);
	set_ctl(ppi, 0);

	if (!pending_before)
		result(name, false, "not pending while the line was high");
	else if (drop == DROP_NONE)
		result(name, pending_after && irqs[ppi] == before + 1,
		       "a held line must stay pending and be delivered once enabled");
	else if (pending_after)
		result(name, false, "still pending after the condition went");
	else
		result(name, !delivered, "delivered after the condition went");
}

static void check_ptimer_regs(void)
{
	uint64_t cval = now() + us(1000000), t0, t1, ctl;
	int32_t tval;

	set_ctl(PPI_PTIMER, CTL_IMASK);
	set_cval(PPI_PTIMER, cval);
	result("ptimer-cval", read_sysreg(cntp_cval_el0) == cval, "CNTP_CVAL does not read back");
	set_ctl(PPI_PTIMER, CTL_ENABLE | CTL_IMASK);
	ctl = get_ctl(PPI_PTIMER);
	result("ptimer-ctl", ctl == (CTL_ENABLE | CTL_IMASK), "CNTP_CTL does not read back");

	t0 = now();
	write_sysreg(us(500000), cntp_tval_el0);
	isb();
	t1 = now();
	cval = read_sysreg(cntp_cval_el0);
	tval = (int32_t)read_sysreg(cntp_tval_el0);
	result("ptimer-tval",
	       cval >= t0 + us(500000) && cval <= t1 + us(500000) && tval > 0 &&
		   (uint64_t)tval <= us(500000),
	       "CNTP_TVAL write does not set CVAL = count + TVAL, or reads wrong");

	set_cval(PPI_PTIMER, now() - us(10));
	ctl = get_ctl(PPI_PTIMER);
	tval = (int32_t)read_sysreg(cntp_tval_el0);
	/* ISTATUS is the condition, whatever IMASK says (Arm ARM D11.2.4). */
	result("ptimer-istatus", (ctl & CTL_ISTATUS) && tval < 0,
	       "ISTATUS clear or TVAL not negative once CVAL has passed");
	set_cval(PPI_PTIMER, now() + us(1000000));
	result("ptimer-istatus-clear", !(get_ctl(PPI_PTIMER) & CTL_ISTATUS),
	       "ISTATUS set with CVAL in the future");
	set_ctl(PPI_PTIMER, 0);
}

static void check_ptimer_fires(void)
{
	unsigned before = irqs[PPI_PTIMER];
	uint64_t cval, deadline;

	gicr_set(GICR_ICPENDR0, PPI_PTIMER);
	gicr_set(GICR_ISENABLER0, PPI_PTIMER);
	cval = now() + us(200);
	set_cval(PPI_PTIMER, cval);
	set_ctl(PPI_PTIMER, CTL_ENABLE);
	deadline = now() + us(WAIT_US);
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (irqs[PPI_PTIMER] == before && now() < deadline)
		cpu_relax();
	__asm__ volatile("msr daifset, #2" ::: "memory");
	gicr_set(GICR_ICENABLER0, PPI_PTIMER);
	result("ptimer-fires", irqs[PPI_PTIMER] == before + 1 && now() >= cval,
	       "the physical timer's interrupt (PPI 30) did not come");
	set_ctl(PPI_PTIMER, 0);
}

/*
 * WFI, with IRQs masked at the CPU, wakes once the timer's interrupt is pending (a WFI wake-up
 * event whatever PSTATE.I says, Arm ARM D1.6.2), and the interrupt is taken once unmasked. Under
 * a hypervisor that traps WFI the vCPU blocks meanwhile: its timer must wake it wherever its
 * context waits (saved, or still loaded on an idle pCPU).
 */
static bool wfi_wakes(unsigned ppi)
{
	unsigned before = irqs[ppi];
	uint64_t cval, deadline, woke;
	bool pending;

	gicr_set(GICR_ICPENDR0, ppi);
	gicr_set(GICR_ISENABLER0, ppi);
	cval = now() + us(2000);
	deadline = cval + us(WAIT_US);
	set_cval(ppi, cval);
	set_ctl(ppi, CTL_ENABLE);
	do { /* a WFI may also end early, for nothing (D1.6.2) */
		wfi();
		pending = gicr_bit(GICR_ISPENDR0, ppi);
	} while (!pending && now() < deadline);
	woke = now();
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (irqs[ppi] == before && now() < woke + us(WAIT_US))
		cpu_relax();
	__asm__ volatile("msr daifset, #2" ::: "memory");
	gicr_set(GICR_ICENABLER0, ppi);
	set_ctl(ppi, 0);
	return pending && woke >= cval && irqs[ppi] == before + 1;
}

/* Several times: in a shared dynamic pool some of these blocks find the pCPU otherwise idle. */
static void check_wfi_wakes(const char *name, unsigned ppi)
{
	unsigned ok = 0, n = 8;

	for (unsigned i = 0; i < n; i++)
		ok += wfi_wakes(ppi);
	if (ok != n)
		kprintf("CONFORM: %s: %u of %u WFIs woken and delivered\n", name, ok, n);
	result(name, ok == n,
	       "WFI did not wake for the timer's interrupt, or it was not taken once");
}

/* ---- self-hosted debug ---- */

bool conform_debug_exception(struct exc_frame *f)
{
	uint64_t esr = read_sysreg(esr_el1);
	unsigned ec = ESR_EC(esr);

	if (!dbg.armed || (ec != EC_BKPT_CUR && ec != EC_STEP_CUR && ec != EC_WPT_CUR))
		return false;
	dbg.esr = esr;
	dbg.elr = f->elr;
	dbg.far = read_sysreg(far_el1);
	dbg.taken++;
	/* Disarm what fired, so that the instruction runs when re-executed. */
	write_sysreg(0, dbgbcr0_el1);
	write_sysreg(0, dbgwcr0_el1);
	write_sysreg(read_sysreg(mdscr_el1) & ~MDSCR_SS, mdscr_el1);
	if (ec == EC_STEP_CUR) {
		f->elr = dbg.step_resume;
		f->spsr &= ~SPSR_SS;
	}
	isb();
	return true;
}

/* Debug exceptions at EL1: MDE and KDE set, PSTATE.D clear (Arm ARM D2.10.x). */
static void debug_on(void)
{
	write_sysreg(MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	isb();
	__asm__ volatile("msr daifclr, #8" ::: "memory");
}

static void debug_off(void)
{
	__asm__ volatile("msr daifset, #8" ::: "memory");
	write_sysreg(0, dbgbcr0_el1);
	write_sysreg(0, dbgwcr0_el1);
	write_sysreg(0, mdscr_el1);
	isb();
}

static __attribute__((noinline)) unsigned bkpt_target(unsigned x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

/* Address match on any EL1/EL0 access: E, PMC = 0b11, BAS = 0xf (Arm ARM D17.3.2). */
static void arm_breakpoint(uintptr_t pc)
{
	write_sysreg(pc, dbgbvr0_el1);
	write_sysreg((0xfu << 5) | (3u << 1) | 1u, dbgbcr0_el1);
	isb();
}

static void check_breakpoint(void)
{
	unsigned (*volatile fn)(unsigned) = bkpt_target;
	unsigned v;

	dbg.taken = 0;
	dbg.armed = true;
	debug_on();
	arm_breakpoint((uintptr_t)fn);
	v = fn(4);
	debug_off();
	dbg.armed = false;
	result("debug-breakpoint",
	       dbg.taken == 1 && ESR_EC(dbg.esr) == EC_BKPT_CUR && dbg.elr == (uintptr_t)fn &&
		   v == 13,
	       "no breakpoint exception at the breakpoint's address");
}

static volatile uint64_t watched[2] __attribute__((aligned(16)));

static void check_watchpoint(void)
{
	dbg.taken = 0;
	dbg.armed = true;
	debug_on();
	watched[0] = 0;
	/* Stores to the 8 bytes at watched: E, PAC = 0b11, LSC = store, BAS = 0xff. */
	write_sysreg((uintptr_t)&watched[0], dbgwvr0_el1);
	write_sysreg((0xffu << 5) | (2u << 3) | (3u << 1) | 1u, dbgwcr0_el1);
	isb();
	(void)watched[0]; /* a load: no match */
	watched[0] = 42;
	debug_off();
	dbg.armed = false;
	result("debug-watchpoint",
	       dbg.taken == 1 && ESR_EC(dbg.esr) == EC_WPT_CUR && (dbg.esr & (1u << 6)) &&
		   dbg.far >= (uintptr_t)&watched[0] && dbg.far < (uintptr_t)&watched[1] &&
		   watched[0] == 42,
	       "no watchpoint exception (WnR, FAR) on the store, or one on the load");
}

/*
 * Software step (Arm ARM D2.12): MDSCR_EL1.SS set, an ERET with SPSR.SS = 1 runs exactly one
 * instruction, then the step exception comes with ELR at the next one. trapped: the stepped
 * instruction is one a hypervisor emulates (CNTP_CTL_EL0 read), which must count as one too.
 */
static void check_step(const char *name, bool trapped)
{
	uint64_t first, after, resume, spsr;

	dbg.taken = 0;
	dbg.armed = true;
	/* PSTATE.D stays set until the ERET: with SS = 0 it would step at once (active-pending). */
	write_sysreg(MDSCR_MDE | MDSCR_KDE | MDSCR_SS, mdscr_el1);
	isb();
	/* ERET to the stepped instruction: EL1 with this SP, D clear, A, I, F masked, SS = 1. */
	spsr = SPSR_SS | 0x1c4 | (read_sysreg(spsel) & 1);
	__asm__ volatile("adr	%0, 1f\n"
			 "adr	%1, 2f\n"
			 "adr	%2, 4f\n"
			 : "=&r"(first), "=&r"(after), "=&r"(resume));
	dbg.step_resume = resume;
	__asm__ volatile("msr	elr_el1, %0\n"
			 "msr	spsr_el1, %1\n"
			 "isb\n"
			 "eret\n"
			 "1:	mrs	x9, cntp_ctl_el0\n"
			 "	b	4f\n"
			 "3:	nop\n"
			 "2:	nop\n"
			 "	nop\n"
			 "4:\n" ::"r"(trapped ? first : first + 8),
			 "r"(spsr)
			 : "x9", "memory");
	debug_off();
	dbg.armed = false;
	/* Stepped: the mrs at 1f (stops at 1f + 4) or the nop at 3f (stops at 2f). */
	result(name,
	       dbg.taken == 1 && ESR_EC(dbg.esr) == EC_STEP_CUR &&
		   dbg.elr == (trapped ? first + 4 : after),
	       "the step did not stop after exactly one instruction");
}

static void check_os_lock(void)
{
	unsigned (*volatile fn)(unsigned) = bkpt_target;
	bool locked, unlocked;

	write_sysreg(1, oslar_el1);
	isb();
	locked = (read_sysreg(oslsr_el1) >> 1) & 1;
	dbg.taken = 0;
	dbg.armed = true;
	debug_on();
	arm_breakpoint((uintptr_t)fn);
	(void)fn(1);
	debug_off();
	dbg.armed = false;
	write_sysreg(0, oslar_el1);
	isb();
	unlocked = !((read_sysreg(oslsr_el1) >> 1) & 1);
	kprintf("CONFORM: OS lock: OSLK %u when locked, %u when unlocked; %u breakpoint(s) while "
		"locked\n",
		locked, !unlocked, dbg.taken);
	result("debug-os-lock", locked && unlocked, "OSLSR_EL1.OSLK does not follow OSLAR_EL1");
}

/* Every breakpoint and watchpoint ID_AA64DFR0_EL1 advertises holds its value. */
static void check_debug_regs(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned brps = ((dfr0 >> 12) & 0xf) + 1, wrps = ((dfr0 >> 20) & 0xf) + 1;
	uint64_t v = 0x400000UL;
	bool ok = true;

#define BVR(n)                                                                                     \
	if ((n) < brps) {                                                                          \
		write_sysreg(v + (n)*4, dbgbvr##n##_el1);                                          \
		isb();                                                                             \
		ok &= read_sysreg(dbgbvr##n##_el1) == v + (n)*4;                                   \
		write_sysreg(0, dbgbvr##n##_el1);                                                  \
	}
#define WVR(n)                                                                                     \
	if ((n) < wrps) {                                                                          \
		write_sysreg(v + (n)*8, dbgwvr##n##_el1);                                          \
		isb();                                                                             \
		ok &= read_sysreg(dbgwvr##n##_el1) == v + (n)*8;                                   \
		write_sysreg(0, dbgwvr##n##_el1);                                                  \
	}
	BVR(0) BVR(1) BVR(2) BVR(3) BVR(4) BVR(5) BVR(6) BVR(7);
	WVR(0) WVR(1) WVR(2) WVR(3) WVR(4) WVR(5) WVR(6) WVR(7);
#undef BVR
#undef WVR
	write_sysreg(MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	isb();
	ok &= read_sysreg(mdscr_el1) == (MDSCR_MDE | MDSCR_KDE);
	write_sysreg(0, mdscr_el1);
	kprintf("CONFORM: %u breakpoints, %u watchpoints advertised\n", brps, wrps);
	result("debug-registers", ok && brps >= 2 && wrps >= 2,
	       "an advertised breakpoint/watchpoint or MDSCR_EL1 does not hold its value");
}

void conform_run(void)
{
	if (gic->version != 3) {
		kprintf("CONFORM: skipped: GICv3 only\n");
		return;
	}
	kprintf("CONFORM: start\n");
	irq_register(PPI_VTIMER, timer_irq, NULL);
	irq_register(PPI_PTIMER, timer_irq, NULL);

	check_level("vtimer-level-held", PPI_VTIMER, DROP_NONE);
	check_level("vtimer-level-disabled", PPI_VTIMER, DROP_DISABLE);
	check_level("vtimer-level-cval", PPI_VTIMER, DROP_CVAL);
	check_level("vtimer-level-imask", PPI_VTIMER, DROP_IMASK);
	check_ptimer_regs();
	check_ptimer_fires();
	check_level("ptimer-level-held", PPI_PTIMER, DROP_NONE);
	check_level("ptimer-level-disabled", PPI_PTIMER, DROP_DISABLE);
	check_level("ptimer-level-cval", PPI_PTIMER, DROP_CVAL);
	check_level("ptimer-level-imask", PPI_PTIMER, DROP_IMASK);
	check_wfi_wakes("vtimer-wfi-wakes", PPI_VTIMER);
	check_wfi_wakes("ptimer-wfi-wakes", PPI_PTIMER);

	/* The OS lock resets to locked (Arm ARM D2.5): open it, as an OS does at boot. */
	write_sysreg(0, oslar_el1);
	isb();
	check_debug_regs();
	check_breakpoint();
	check_watchpoint();
	check_step("debug-step", false);
	check_step("debug-step-trapped", true);
	check_os_lock();

	irq_register(PPI_VTIMER, NULL, NULL);
	irq_register(PPI_PTIMER, NULL, NULL);
	kprintf("CONFORM: done: %u passed, %u failed\n", passed, failed);
}
