/*
 * Self-hosted debug for guests, switched lazily per vCPU as KVM does: breakpoints, watchpoints,
 * MDSCR_EL1 and the OS lock belong to the guest's EL1 (MDCR_EL2.TDE stays clear, so its debug
 * exceptions go to its own EL1, never to EL2). A vCPU starts with its debug registers trapped
 * (MDCR_EL2.TDA/TDOSA/TDRA); its first access loads its whole set into the CPU, stops the traps
 * and re-executes the instruction. From then on its set is switched with the vCPU until a switch
 * finds debugging off in MDSCR_EL1 (no MDE, KDE or SS): the traps come back and nothing is
 * switched for it any more, so a guest that set its registers up once (Linux resets them at
 * boot) costs nothing afterwards.
 */
#include <arch/sysregs.h>
#include <tandem/arch_vcpu.h>
#include <tandem/vcpu.h>

#define MDSCR_SS   (1UL << 0)
#define MDSCR_KDE  (1UL << 13)
#define MDSCR_MDE  (1UL << 15)
#define OSLSR_OSLK (1UL << 1)

/* Breakpoints and watchpoints this CPU implements (ID_AA64DFR0_EL1.BRPs/WRPs + 1): all of them
 * are the guest's, as the ID register it reads says. */
static unsigned nr_brps(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) + 1;
}

static unsigned nr_wrps(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 20) & 0xf) + 1;
}

/* One register pair per n; the system-register names are fixed at build time. */
#define DBG_CASES(X)                                                                               \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

static void save_bp(struct arch_debug *d, unsigned n)
{
	switch (n) {
#define SAVE_BP(i)                                                                                 \
	case i:                                                                                    \
		d->bcr[i] = read_sysreg(dbgbcr##i##_el1);                                          \
		d->bvr[i] = read_sysreg(dbgbvr##i##_el1);                                          \
		break;
		DBG_CASES(SAVE_BP)
#undef SAVE_BP
	}
}

static void load_bp(const struct arch_debug *d, unsigned n)
{
	switch (n) {
#define LOAD_BP(i)                                                                                 \
	case i:                                                                                    \
		write_sysreg(dbgbcr##i##_el1, d->bcr[i]);                                          \
		write_sysreg(dbgbvr##i##_el1, d->bvr[i]);                                          \
		break;
		DBG_CASES(LOAD_BP)
#undef LOAD_BP
	}
}

static void save_wp(struct arch_debug *d, unsigned n)
{
	switch (n) {
#define SAVE_WP(i)                                                                                 \
	case i:                                                                                    \
		d->wcr[i] = read_sysreg(dbgwcr##i##_el1);                                          \
		d->wvr[i] = read_sysreg(dbgwvr##i##_el1);                                          \
		break;
		DBG_CASES(SAVE_WP)
#undef SAVE_WP
	}
}

static void load_wp(const struct arch_debug *d, unsigned n)
{
	switch (n) {
#define LOAD_WP(i)                                                                                 \
	case i:                                                                                    \
		write_sysreg(dbgwcr##i##_el1, d->wcr[i]);                                          \
		write_sysreg(dbgwvr##i##_el1, d->wvr[i]);                                          \
		break;
		DBG_CASES(LOAD_WP)
#undef LOAD_WP
	}
}

void arch_debug_reset(struct arch_vcpu_ctx *c)
{
	c->debug = (struct arch_debug){.oslk = true}; /* the OS lock resets locked (D2.5) */
	c->sys.mdscr_el1 = 0;
}

/* Puts the vCPU's set into the CPU (vCPU loaded, its debug active). */
static void debug_load(const struct arch_vcpu_ctx *c)
{
	unsigned b = nr_brps(), w = nr_wrps();

	for (unsigned i = 0; i < b; i++)
		load_bp(&c->debug, i);
	for (unsigned i = 0; i < w; i++)
		load_wp(&c->debug, i);
	write_sysreg(oslar_el1, c->debug.oslk ? 1 : 0);
	write_sysreg(mdscr_el1, c->sys.mdscr_el1);
}

void arch_debug_load(struct arch_vcpu_ctx *c)
{
	if (c->debug.active)
		debug_load(c);
}

void arch_debug_put(struct arch_vcpu_ctx *c)
{
	unsigned b, w;

	if (!c->debug.active)
		return;
	b = nr_brps();
	w = nr_wrps();
	for (unsigned i = 0; i < b; i++)
		save_bp(&c->debug, i);
	for (unsigned i = 0; i < w; i++)
		save_wp(&c->debug, i);
	c->debug.oslk = read_sysreg(oslsr_el1) & OSLSR_OSLK;
	c->sys.mdscr_el1 = read_sysreg(mdscr_el1);
	/* Nothing of this guest's debugging may fire for whoever runs here next. */
	write_sysreg(mdscr_el1, 0);
	if (!(c->sys.mdscr_el1 & (MDSCR_MDE | MDSCR_KDE | MDSCR_SS)))
		c->debug.active = false; /* debugging off: trap again, switch nothing */
}

void arch_vcpu_debug_claim(struct vcpu *vcpu)
{
	struct arch_vcpu_ctx *c = &vcpu->ctx;

	c->debug.active = true;
	debug_load(c);
	write_sysreg(mdcr_el2, arch_mdcr_el2(c));
	isb();
}
