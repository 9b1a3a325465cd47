/*
 * The fuzzer's memory accesses: loads and stores of every size and form to the emulated devices
 * (GICD, every vCPU's GICR frames, the PL011) and to holes where nothing is, through the RTOS's
 * Device identity map or a Normal non-cacheable alias (unaligned accesses, instruction fetches),
 * plus stage-1 walks that read a "table" where nothing, or a device, is.
 *
 * Under Tandem (what this is for) nothing here touches real hardware. The fuzzer's own CPUs must
 * keep working, so writes spare what the RTOS relies on: its SGIs and timer PPI in every GICR
 * frame, the console UART's SPI, GICD_CTLR.EnableGrp1, GICR_WAKER.ProcessorSleep, and the UART's
 * control registers (CR, LCR_H, baud, IFLS, IMSC, DMACR). A character written to the UART's data
 * register is a printable one followed by a newline, under the console lock.
 */
#include "arch.h"
#include "console.h"
#include "fuzz.h"
#include "gic.h"
#include "uart.h"

#define BLOCK	   (2ULL << 20)
#define ALIAS_OFF  0x4000000000ULL /* alias VA = PA + 256 GiB */
#define HIGH_PA	   0x3fffe00000ULL /* a block just below 256 GiB: nothing there in a VM */
#define PTW_VA	   0x4b00000000ULL /* 1 GiB windows (300 GiB up) whose tables are bogus */
#define GICR_FRAME 0x20000ULL

enum tkind { T_GICD, T_GICR, T_UART, T_HOLE };

struct target {
	const char *name;
	uint64_t pa, size;
	enum tkind kind;
};

#define MAX_TARGETS 24
static struct target targets[MAX_TARGETS];
static unsigned nr_targets, first_hole;
static unsigned nr_ptw;
static uint32_t private_keep; /* SGIs/PPIs the RTOS needs, in every GICR frame */
static unsigned uart_spi;

/* Register arrays worth aiming at (offset, length) per kind; the rest of a frame is reserved. */
struct span {
	uint32_t off, len;
};
static const struct span gicd_spans[] = {
    {0x0, 0x20},    {0x40, 0x20},   {0x80, 0x380}, {0x400, 0x400},   {0x800, 0x400},
    {0xc00, 0x100}, {0xd00, 0x200}, {0xf00, 0x30}, {0x6000, 0x2000}, {0xffd0, 0x30}};
static const struct span gicr_spans[] = {{0x0, 0x20},	   {0x70, 0x10},    {0xffd0, 0x30},
					 {0x10080, 0x380}, {0x10400, 0x20}, {0x10c00, 0x8},
					 {0x10d00, 0x4},   {0x10e00, 0x4}};
static const struct span uart_spans[] = {{0x0, 0x50}, {0xfe0, 0x20}};

static void add_target(const char *name, uint64_t pa, uint64_t size, enum tkind kind)
{
	if (nr_targets < MAX_TARGETS && size)
		targets[nr_targets++] = (struct target){name, pa, size, kind};
}

static uint64_t block_end(uint64_t a)
{
	return (a + BLOCK - 1) & ~(BLOCK - 1);
}

int fuzz_mmio_setup(const struct platform *p)
{
	uint64_t gicr_end = p->gicr[0] + p->gicr_size[0],
		 ram_end = block_end(p->ram_base + p->ram_size);
	uint64_t ptw_tables[3];
	int r = 0;

	nr_targets = 0;
	add_target("GICD", p->gicd, 0x10000, T_GICD);
	/* One frame pair per CPU of the DTB (bare QEMU's region has room for 123). */
	for (unsigned i = 0;
	     p->nr_gicr && i < p->dt_cpus && p->gicr[0] + (i + 1) * GICR_FRAME <= gicr_end; i++)
		add_target("GICR", p->gicr[0] + i * GICR_FRAME, GICR_FRAME, T_GICR);
	gicr_end = p->gicr[0] + (nr_targets - 1) * GICR_FRAME;
	add_target("UART", p->uart, 0x1000, T_UART);
	first_hole = nr_targets;
	if (p->nr_gicr && p->gicr[0] > p->gicd + 0x10000)
		add_target("hole-gic", p->gicd + 0x10000, p->gicr[0] - p->gicd - 0x10000, T_HOLE);
	if (p->nr_gicr)
		add_target("hole-gicr", gicr_end, block_end(gicr_end) - gicr_end, T_HOLE);
	add_target("hole-uart", p->uart + 0x1000, block_end(p->uart + 0x1000) - p->uart - 0x1000,
		   T_HOLE);
	add_target("past-ram", ram_end, BLOCK, T_HOLE);
	add_target("high", HIGH_PA, BLOCK, T_HOLE);

	r |= mmu_map_device(ram_end, BLOCK);
	r |= mmu_map_device(HIGH_PA, BLOCK);
	for (unsigned i = 0; i < nr_targets; i++) {
		uint64_t lo = targets[i].pa & ~(BLOCK - 1);

		r |= mmu_map_alias(lo + ALIAS_OFF, lo,
				   block_end(targets[i].pa + targets[i].size) - lo, true);
	}
	/* Stage-1 walks through: a hole in the GIC's block, the GICD itself, nothing at all. */
	ptw_tables[0] = p->gicd + 0x10000;
	ptw_tables[1] = p->gicd;
	ptw_tables[2] = HIGH_PA;
	nr_ptw = 0;
	for (unsigned i = 0; i < 3; i++)
		if (!mmu_map_bogus_table(PTW_VA + ((uint64_t)i << 30), ptw_tables[i]))
			nr_ptw++;
	private_keep =
	    1u << SGI_RESCHED | 1u << SGI_PING | 1u << SGI_PONG | 1u << (timer_intid(p) & 31);
	uart_spi = p->uart_irq;
	return r;
}

static bool kept_intid(const struct target *t, unsigned intid)
{
	if (t->kind == T_GICR)
		return intid < 32 && (private_keep >> intid & 1);
	return intid == uart_spi && intid >= 32;
}

/*
 * What a write may do to the byte at offset off of target t: bits in *keep_mask must hold
 * *keep_val. Returns false if the byte must not be written at all.
 */
static bool byte_rule(const struct target *t, uint64_t off, uint8_t *keep_mask, uint8_t *keep_val)
{
	uint64_t o = off;

	*keep_mask = *keep_val = 0;
	switch (t->kind) {
	case T_UART:
		/* ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC (0x20-0x3b), DMACR (0x48-0x4b). */
		return !((off >= 0x20 && off < 0x3c) || (off >= 0x48 && off < 0x4c));
	case T_HOLE:
		return true;
	case T_GICR:
		if (off < 0x10000) {
			if (off == 0x14) /* WAKER.ProcessorSleep */
				*keep_mask = 0x02;
			return true;
		}
		o = off - 0x10000;
		break;
	case T_GICD:
		if (off == 0) { /* CTLR: ARE and EnableGrp1 */
			*keep_mask = *keep_val = 0x12;
			return true;
		}
		if (off >= 0x6000 && off < 0x8000)
			return !kept_intid(t, (unsigned)((off - 0x6000) / 8));
		break;
	}
	if (o >= 0x80 && o < 0x400) { /* IGROUPR .. ICACTIVER: one bit per INTID */
		unsigned first = (unsigned)((o - 0x80) % 0x80) * 8;
		bool group = o < 0x100;

		for (unsigned b = 0; b < 8; b++)
			if (kept_intid(t, first + b)) {
				*keep_mask |= (uint8_t)(1u << b);
				*keep_val |= (uint8_t)((group ? 1u : 0u) << b);
			}
	} else if (o >= 0x400 && o < 0x800) { /* IPRIORITYR */
		if (kept_intid(t, (unsigned)(o - 0x400))) {
			*keep_mask = 0xff;
			*keep_val = GIC_PRIO;
		}
	} else if (o >= 0xc00 && o < 0xd00) { /* ICFGR: the RTOS's interrupts stay as they are */
		unsigned first = (unsigned)(o - 0xc00) * 4;

		for (unsigned i = 0; i < 4; i++)
			if (kept_intid(t, first + i)) {
				*keep_mask |= (uint8_t)(3u << (2 * i));
				*keep_val |= (uint8_t)((first + i < 16 ? 2u : 0u) << (2 * i));
			}
	}
	return true;
}

/*
 * Makes the len bytes about to be written at off (little-endian in *v, then *v2) safe.
 * known_value false (atomics, DC ZVA): any byte with a rule makes the write a read instead.
 * Returns false if the access must become a read.
 */
static bool protect(const struct target *t, uint64_t off, unsigned len, uint64_t *v, uint64_t *v2,
		    bool known_value)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t mask, val;
		uint64_t *w = i < 8 ? v : v2;
		unsigned shift = 8 * (i % 8);

		if (!byte_rule(t, off + i, &mask, &val))
			return false;
		if (!mask)
			continue;
		if (!known_value || !w)
			return false;
		*w = (*w & ~((uint64_t)mask << shift)) | ((uint64_t)val << shift);
	}
	return true;
}

static uint64_t random_value(struct fuzz_rng *r)
{
	switch (fuzz_below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return fuzz_below(r, 256);
	case 3:
		return 1ULL << fuzz_below(r, 64);
	default:
		return fuzz_rand(r);
	}
}

static uint64_t random_offset(struct fuzz_rng *r, const struct target *t)
{
	const struct span *s = NULL;
	unsigned n = 0;

	if (t->kind == T_GICD)
		s = gicd_spans, n = sizeof(gicd_spans) / sizeof(gicd_spans[0]);
	else if (t->kind == T_GICR)
		s = gicr_spans, n = sizeof(gicr_spans) / sizeof(gicr_spans[0]);
	else if (t->kind == T_UART)
		s = uart_spans, n = sizeof(uart_spans) / sizeof(uart_spans[0]);
	if (n && fuzz_chance(r, 70)) {
		s += fuzz_below(r, n);
		return s->off + fuzz_below(r, s->len);
	}
	return fuzz_rand(r) % t->size;
}

/* Sizes a form takes; 0 for the size-less ones. */
static unsigned random_size(struct fuzz_rng *r, enum fuzz_form f)
{
	switch (f) {
	case FORM_LDRS_X:
		return 1u << fuzz_below(r, 3);
	case FORM_LDRS_W:
		return 1u << fuzz_below(r, 2);
	case FORM_LDP:
	case FORM_STP:
	case FORM_LDADD:
	case FORM_SWP:
	case FORM_CAS:
		return 4u << fuzz_below(r, 2);
	case FORM_LDR_POST:
	case FORM_STR_POST: {
		static const unsigned sz[] = {1, 4, 8};

		return sz[fuzz_below(r, 3)];
	}
	case FORM_DC_ZVA:
	case FORM_DC_CIVAC:
	case FORM_DC_CVAC:
	case FORM_DC_IVAC:
	case FORM_PRFM:
	case FORM_AT:
		return 0;
	default:
		return 1u << fuzz_below(r, 4);
	}
}

static enum fuzz_form random_form(struct fuzz_rng *r)
{
	unsigned x = fuzz_below(r, 100);

	if (x < 28)
		return FORM_LDR;
	if (x < 52)
		return FORM_STR;
	if (x < 60)
		return fuzz_chance(r, 60) ? FORM_LDRS_X : FORM_LDRS_W;
	if (x < 68)
		return fuzz_chance(r, 50) ? FORM_LDAR : FORM_STLR;
	if (x < 74)
		return fuzz_chance(r, 50) ? FORM_LDP : FORM_STP;
	if (x < 79)
		return fuzz_chance(r, 50) ? FORM_LDR_POST : FORM_STR_POST;
	if (x < 85)
		return fuzz_chance(r, 50) ? FORM_LDXR : FORM_STXR;
	if (x < 91)
		return (enum fuzz_form)(FORM_LDADD + fuzz_below(r, 3));
	return (enum fuzz_form)(FORM_DC_ZVA + fuzz_below(r, 6));
}

static bool is_write(enum fuzz_form f)
{
	return f == FORM_STR || f == FORM_STLR || f == FORM_STP || f == FORM_STR_POST ||
	       f == FORM_STXR || f == FORM_LDADD || f == FORM_SWP || f == FORM_CAS ||
	       f == FORM_DC_ZVA;
}

/* Bytes a write form changes. */
static unsigned write_len(const struct fuzz_access *a)
{
	if (a->form == FORM_DC_ZVA)
		return 64;
	return a->form == FORM_STP ? 2 * a->size : a->size;
}

/* The rules a load's result obeys whatever the device returned: zero or sign extension. */
static void check_load(struct fuzz_cpu *c, const struct fuzz_access *a)
{
	unsigned bits = 8 * a->size;
	uint64_t v = a->result;

	switch (a->form) {
	case FORM_LDR:
	case FORM_LDAR:
	case FORM_LDXR:
	case FORM_LDR_POST:
		if (bits < 64 && (v >> bits))
			fuzz_mismatch(c, "load not zero-extended", a->va, v);
		break;
	case FORM_LDRS_X:
		if ((uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits)) != v)
			fuzz_mismatch(c, "LDRS into X not sign-extended", a->va, v);
		break;
	case FORM_LDRS_W:
		if ((v >> 32) ||
		    (uint32_t)((int32_t)((uint32_t)v << (32 - bits)) >> (32 - bits)) != v)
			fuzz_mismatch(c, "LDRS into W not sign-extended", a->va, v);
		break;
	default:
		break;
	}
}

struct dr_store {
	struct fuzz_access *a;
	bool faulted;
};

static void store_dr_locked(void *arg)
{
	struct dr_store *d = arg;

	d->faulted = fuzz_mem_op(d->a);
	uart_putc('\r');
	uart_putc('\n');
}

/* A stage-1 walk that reads a bogus table: a load, or AT S1E1R, in one of the windows. */
static void ptw_op(struct fuzz_cpu *c)
{
	struct fuzz_access a = {
	    .form = fuzz_chance(&c->rng, 70) ? FORM_LDR : FORM_AT, .size = 8, .result = ~0ULL};

	a.va = PTW_VA + ((uint64_t)fuzz_below(&c->rng, nr_ptw) << 30) +
	       (fuzz_rand(&c->rng) & ((1ULL << 30) - 8));
	c->last = (struct fuzz_last){"ptw", a.va, 0, 8, a.form};
	if (fuzz_mem_op(&a))
		fuzz_count_fault(c);
}

/* Branches into an executable alias of a device or hole: an instruction abort at stage 2. */
static void ifetch_op(struct fuzz_cpu *c, const struct target *t)
{
	uintptr_t va = (uintptr_t)(t->pa + ALIAS_OFF + ((fuzz_rand(&c->rng) % t->size) & ~3ULL));

	c->last = (struct fuzz_last){"ifetch", va, 0, 4, 0};
	if (fuzz_ifetch(va))
		fuzz_count_fault(c);
	else
		fuzz_mismatch(c, "instruction fetch from a device or hole did not fault", va, 0);
}

void fuzz_mmio_op(struct fuzz_cpu *c)
{
	struct fuzz_rng *r = &c->rng;
	const struct target *t;
	struct fuzz_access a = {.result = ~0ULL, .result2 = ~0ULL};
	uint64_t off;
	bool alias, faulted;
	unsigned x = fuzz_below(r, 100);

	c->st.mmio++;
	if (x < 30)
		t = &targets[0]; /* GICD */
	else if (x < 60 && first_hole > 2)
		t = &targets[1 + fuzz_below(r, first_hole - 2)]; /* a GICR frame */
	else if (x < 72)
		t = &targets[first_hole - 1]; /* UART */
	else if (nr_targets > first_hole)
		t = &targets[first_hole + fuzz_below(r, nr_targets - first_hole)];
	else
		t = &targets[0];
	x = fuzz_below(r, 100);
	if (x < 3 && nr_ptw) {
		ptw_op(c);
		return;
	}
	if (x < 6) {
		ifetch_op(c, t);
		return;
	}

	a.form = random_form(r);
	a.size = random_size(r, a.form);
	off = random_offset(r, t);
	alias = fuzz_chance(r, 15);
	if (a.size && fuzz_chance(r, 85))
		off &= ~(uint64_t)(a.size - 1);
	else if (a.size && (off & (a.size - 1)))
		alias = true; /* unaligned: Device memory would fault in the RTOS's own MMU */
	if (off + (a.form == FORM_STP || a.form == FORM_LDP ? 2 * a.size : a.size) > t->size)
		off = t->size - 16;
	a.va = (uintptr_t)(t->pa + off + (alias ? ALIAS_OFF : 0));
	a.value = random_value(r);
	a.value2 = random_value(r);

	if (is_write(a.form)) {
		bool known = a.form != FORM_LDADD && a.form != FORM_SWP && a.form != FORM_CAS &&
			     a.form != FORM_DC_ZVA;
		uint64_t base = a.form == FORM_DC_ZVA ? off & ~63ULL : off;

		if (!protect(t, base, write_len(&a), &a.value, &a.value2, known)) {
			a.form = a.form == FORM_STP ? FORM_LDP : FORM_LDR;
			if (!a.size)
				a.size = 4, a.va &= ~(uintptr_t)3;
		}
	}
	c->last = (struct fuzz_last){t->name, a.va, a.value, a.size, a.form};

	if (t->kind == T_UART && off == 0 && is_write(a.form) && a.form != FORM_DC_ZVA) {
		/* The data register: one printable character and a newline, as a whole line. */
		struct dr_store d = {&a, false};

		if (a.form != FORM_STR && a.form != FORM_STLR)
			a.form = FORM_STR;
		a.value = (a.value & ~0xffULL) | (uint64_t)('a' + fuzz_below(r, 26));
		console_locked(store_dr_locked, &d);
		faulted = d.faulted;
	} else {
		faulted = fuzz_mem_op(&a);
	}
	if (faulted)
		fuzz_count_fault(c);
	else if (!is_write(a.form))
		check_load(c, &a);
}
