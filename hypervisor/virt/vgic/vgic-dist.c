/*
 * Emulated GICv3 distributor (GICD), one per VM, as a register table. Affinity
 * routing is always on (ARE forced), so SGI/PPI registers here are RAZ/WI and the
 * guest configures those through its redistributor (vgic-redist.c).
 */
#include <tandem/log.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

#define GICD_TYPER_IDBITS(n) ((uint32_t)((n)-1) << 19) /* INTIDs are n bits wide */
#define IROUTER_MASK	     0xff80ffffffULL /* Aff3 [39:32], IRM [31], Aff2-Aff0 [23:0] */

static uint64_t read_ctlr(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	/* Lockless (VGIC_LOCKLESS): the word as it is, before or after a concurrent write. */
	return __atomic_load_n(&c->vm->vgic.ctlr, __ATOMIC_RELAXED) | GICD_CTLR_ARE | GICD_CTLR_DS;
}

static void write_ctlr(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	uint32_t old = c->vm->vgic.ctlr;

	__atomic_store_n(&c->vm->vgic.ctlr,
			 (uint32_t)val & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1),
			 __ATOMIC_RELAXED);
	/* A group just enabled may release interrupts waiting on any vCPU. */
	if (c->vm->vgic.ctlr & ~old)
		c->kicks |= (vgic_kickset_t)((1ULL << c->vm->nr_vcpus) - 1);
}

uint32_t vgic_dist_typer(const struct vm *vm)
{
	uint32_t lines = (VGIC_NR_PRIVATE + vm->vgic.nr_spis + 31) / 32;

	/* No LPIs, no MBIS, no security extension; CPUNumber only matters without ARE. */
	return GICD_TYPER_IDBITS(10) | ((vm->nr_vcpus - 1) & 7) << 5 | (lines - 1);
}

/* Fixed for the VM's life: computed at its reset (vgic_vm_reset()). */
static uint64_t read_typer(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return c->vm->vgic.typer;
}

static uint64_t read_irouter(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	struct vgic_irq *irq = vgic_get_spi(c->vm, off / 8);
	uint64_t v = irq ? irq->irouter : 0;

	if (size == 4)
		v = (v >> (8 * (off % 8))) & 0xffffffffULL;
	return v;
}

static void write_irouter(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	struct vgic_irq *irq = vgic_get_spi(c->vm, off / 8);
	uint64_t v;

	if (!irq)
		return; /* INTIDs 0-31 (reserved) and unimplemented SPIs */
	if (size == 4) {
		unsigned shift = 8 * (off % 8);

		v = (irq->irouter & ~(0xffffffffULL << shift)) | (val & 0xffffffffULL) << shift;
	} else {
		v = val;
	}
	irq->irouter = v & IROUTER_MASK;
	irq->target = vgic_route_target(c->vm, irq->irouter);
	if (c->vm->vgic.on_spi_change)
		c->vm->vgic.on_spi_change(c->vm, off / 8);
	/* Make it a candidate of its new target (the old one drops it at its next flush). */
	if (irq->active || vgic_irq_pending(irq))
		vgic_irq_mark_live(c->vm, NULL, off / 8);
	vgic_irq_want_kick(c->vm, NULL, irq, &c->kicks);
}

#define RO VGIC_LOCKLESS

static const struct vgic_reg gicd_regs[] = {
    {0x0000, 4, VGIC_SZ(4) | RO, read_ctlr, write_ctlr},
    {0x0004, 4, VGIC_SZ(4) | RO, read_typer, NULL},
    {0x0008, 4, VGIC_SZ(4) | RO, vgic_read_iidr, NULL},
    {0x000c, 4, VGIC_SZ(4) | RO, vgic_read_zero, NULL},			/* TYPER2 */
    {0x0010, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore},	/* STATUSR */
    {0x0040, 0x20, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* SETSPI/CLRSPI: no MBIS */
    {0x0080, 0x80, VGIC_SZ(4), vgic_read_group, vgic_write_group},	/* IGROUPR */
    {0x0100, 0x80, VGIC_SZ(4), vgic_read_enable, vgic_write_senable},	/* ISENABLER */
    {0x0180, 0x80, VGIC_SZ(4), vgic_read_enable, vgic_write_cenable},	/* ICENABLER */
    {0x0200, 0x80, VGIC_SZ(4), vgic_read_pending, vgic_write_spending}, /* ISPENDR */
    {0x0280, 0x80, VGIC_SZ(4), vgic_read_pending, vgic_write_cpending}, /* ICPENDR */
    {0x0300, 0x80, VGIC_SZ(4), vgic_read_active, vgic_write_sactive},	/* ISACTIVER */
    {0x0380, 0x80, VGIC_SZ(4), vgic_read_active, vgic_write_cactive},	/* ICACTIVER */
    {0x0400, 0x400, VGIC_SZ(1) | VGIC_SZ(4), vgic_read_priority, vgic_write_priority},
    {0x0800, 0x400, VGIC_SZ(1) | VGIC_SZ(4) | RO, vgic_read_zero,
     vgic_write_ignore},						 /* ITARGETSR */
    {0x0c00, 0x100, VGIC_SZ(4), vgic_read_config, vgic_write_config},	 /* ICFGR */
    {0x0d00, 0x80, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore},	 /* IGRPMODR */
    {0x0e00, 0x100, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* NSACR */
    {0x0f00, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore},	 /* SGIR (ARE) */
    {0x0f10, 0x20, VGIC_SZ(1) | VGIC_SZ(4) | RO, vgic_read_zero,
     vgic_write_ignore},						    /* C/SPENDSGIR */
    {0x6000, 0x2000, VGIC_SZ(4) | VGIC_SZ(8), read_irouter, write_irouter}, /* IROUTER */
    {GIC_IDREGS_BASE, 0x30, VGIC_SZ(4) | RO, vgic_read_idreg, NULL},
};

static struct vgic_frame gicd_frame = {
    .regs = gicd_regs, .nr = ARRAY_SIZE(gicd_regs), .name = "GICD", .suffix = ""};

void vgic_dist_init(void)
{
	vgic_frame_init(&gicd_frame);
}

/* Everything but the lockless reads: under the VM's lock, then the kicks it asks for. */
static int __attribute__((noinline))
dist_locked(struct vm *vm, const struct vgic_reg *r, uint32_t off, struct mmio_access *acc)
{
	struct vgic_mmio_ctx c = {.vm = vm, .rd = NULL, .kicks = 0};

	spin_lock(&vm->vgic.lock);
	vgic_reg_access(&c, &gicd_frame, r, off, acc, -1);
	spin_unlock(&vm->vgic.lock);
	if (c.kicks)
		vgic_kick_set(vm, c.kicks);
	return 0;
}

/* vgic_dist_pure() with the register found (r: vgic_reg_find()'s answer). */
static inline bool dist_pure(struct vm *vm, const struct vgic_reg *r, uint32_t off,
			     struct mmio_access *acc)
{
	if (!r)
		return false;
	/* ID and read-only words (TYPER, IIDR, ...) and CTLR: no lock, no kick. */
	if (vgic_reg_lockless(r, off, acc)) {
		struct vgic_mmio_ctx c = {.vm = vm, .rd = NULL, .kicks = 0};

		acc->value = r->read(&c, off - r->offset, acc->size);
		return true;
	}
	return vgic_reg_write_ignored(r, off, acc); /* RAZ/WI, read-only: nothing to do */
}

int vgic_dist_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vm *vm = opaque;
	uint32_t off = (uint32_t)acc->offset;
	const struct vgic_reg *r = vgic_reg_find(&gicd_frame, off);

	if (dist_pure(vm, r, off, acc))
		return 0;
	return dist_locked(vm, r, off, acc);
}

/* dist_fast() for an offset the word map does not answer. */
static enum vgic_mmio_fast __attribute__((noinline))
dist_fast_walk(struct vm *vm, uint32_t off, struct mmio_access *acc)
{
	const struct vgic_reg *r = vgic_reg_walk(&gicd_frame, off);

	if (dist_pure(vm, r, off, acc))
		return VGIC_MMIO_DONE;
	acc->hint = r ? (uint32_t)(r - gicd_frame.regs) + 1 : 0;
	return VGIC_MMIO_STATE;
}

/* vgic_mmio_fast() for the GICD frame (acc->offset set): the word map's registers inline. */
static enum vgic_mmio_fast __attribute__((noinline))
dist_fast(struct vm *vm, struct mmio_access *acc)
{
	uint32_t off = (uint32_t)acc->offset;
	unsigned w, i;

	/* The hot case: an aligned word read that needs no lock (TYPER, CTLR, ...); one test for
	 * "in the word map" and "aligned" (VGIC_WORD_MAPPED is a power of two). */
	_Static_assert((VGIC_WORD_MAPPED & (VGIC_WORD_MAPPED - 1)) == 0, "one mask");
	if (!acc->write && !(off & ~(VGIC_WORD_MAPPED - 4)) && acc->size == 4) {
		w = gicd_frame.word[off / 4];
		if (w & VGIC_WORD_READ4) {
			const struct vgic_reg *r = gicd_frame.regs + (w & VGIC_WORD_INDEX) - 1;
			struct vgic_mmio_ctx c = {.vm = vm, .rd = NULL, .kicks = 0};

			acc->value = r->read(&c, off - r->offset, 4);
			return VGIC_MMIO_DONE;
		}
	}
	w = vgic_reg_word(&gicd_frame, off);
	i = w & VGIC_WORD_INDEX;
	if (i - 1 < VGIC_WORD_NONE - 1) {
		if (dist_pure(vm, gicd_frame.regs + i - 1, off, acc))
			return VGIC_MMIO_DONE;
		acc->hint = i; /* vgic_mmio_state() does not look it up again */
		return VGIC_MMIO_STATE;
	}
	if (i == VGIC_WORD_NONE) {
		acc->hint = 0;
		return VGIC_MMIO_STATE; /* RAZ/WI with a log line: the handler's */
	}
	return dist_fast_walk(vm, off, acc);
}

/*
 * The GICD frame and the GICR frames are where vgic_vm_init() registered them for every VM (the
 * vGIC is the first device of each, and regions never overlap), so their addresses find them
 * without the table's walk. Here, beside the GICD table, so that its lookup is inline.
 */
enum vgic_mmio_fast vgic_mmio_fast(struct vcpu *vcpu, struct mmio_access *acc)
{
	struct vm *vm = vcpu->vm;
	uint64_t off = acc->addr - VGIC_GICD_BASE;

	if (off < VGIC_GICD_SIZE) {
		acc->offset = off;
		return dist_fast(vm, acc);
	}
	off = acc->addr - VGIC_GICR_BASE;
	if (off < (uint64_t)vm->nr_vcpus * VGIC_GICR_STRIDE) {
		acc->offset = off;
		return vgic_redist_fast(vm, acc);
	}
	return VGIC_MMIO_NOT_MINE;
}

/* What vgic_mmio_fast() left (VGIC_MMIO_STATE): the handlers' locked part, the lockless one
 * known not to apply. A GICD register comes from dist_fast()'s lookup (acc->hint: 1 + its
 * index), found again only if the hint names none (no register there, or not set). */
void vgic_mmio_state(struct vcpu *vcpu, struct mmio_access *acc)
{
	_Static_assert(VGIC_GICD_BASE + VGIC_GICD_SIZE <= VGIC_GICR_BASE, "GICD below GICR");
	uint32_t off = (uint32_t)acc->offset;
	uint32_t i = acc->hint;

	if (acc->addr >= VGIC_GICR_BASE)
		vgic_redist_locked(vcpu->vm, acc);
	else if (i - 1 < ARRAY_SIZE(gicd_regs))
		dist_locked(vcpu->vm, gicd_frame.regs + i - 1, off, acc);
	else
		dist_locked(vcpu->vm, vgic_reg_find(&gicd_frame, off), off, acc);
}
