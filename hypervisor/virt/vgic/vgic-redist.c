/*
 * Emulated GICv3 redistributors: one RD_base + SGI_base frame pair per vCPU,
 * VGIC_GICR_STRIDE apart, in vCPU order. The guest finds its own by GICR_TYPER
 * affinity and stops walking at the frame with GICR_TYPER.Last set. No LPIs.
 */
#include <tandem/log.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

#define GICR_SGI_BASE	    0x10000
#define GICR_TYPER_LAST	    (1ULL << 4)
#define GICR_WAKER_SLEEP    (1u << 1) /* ProcessorSleep */
#define GICR_WAKER_CHILDREN (1u << 2) /* ChildrenAsleep */
#define GICR_ISENABLER0	    0x0100    /* in the SGI_base frame */
#define GICR_ISPENDR0	    0x0200
#define GICR_ICPENDR0	    0x0280

static unsigned bad_frame_logs;

static uint64_t read_typer(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	uint64_t id = c->rd->id;
	/* Affinity_Value = the vCPU's MPIDR (Aff0 = id), Processor_Number = id. */
	uint64_t v = id << 32 | id << 8;

	if (id == c->vm->nr_vcpus - 1)
		v |= GICR_TYPER_LAST;
	if (size == 4)
		v = (v >> (8 * off)) & 0xffffffffULL;
	return v;
}

static uint64_t read_waker(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	/* The (virtual) children are asleep exactly when the processor said it sleeps. */
	return c->rd->vgic.rd_sleeping ? GICR_WAKER_SLEEP | GICR_WAKER_CHILDREN : 0;
}

static void write_waker(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	c->rd->vgic.rd_sleeping = val & GICR_WAKER_SLEEP;
}

#define RO VGIC_LOCKLESS

static const struct vgic_reg rd_regs[] = {
    {0x0000, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* CTLR: EnableLPIs RAZ/WI */
    {0x0004, 4, VGIC_SZ(4) | RO, vgic_read_iidr, NULL},
    {0x0008, 8, VGIC_SZ(4) | VGIC_SZ(8) | RO, read_typer, NULL},
    {0x0010, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* STATUSR */
    {0x0014, 4, VGIC_SZ(4), read_waker, write_waker},
    {0x0070, 0x10, VGIC_SZ(4) | VGIC_SZ(8) | RO, vgic_read_zero,
     vgic_write_ignore}, /* PROP/PENDBASER */
    {GIC_IDREGS_BASE, 0x30, VGIC_SZ(4) | RO, vgic_read_idreg, NULL},
};

static const struct vgic_reg sgi_regs[] = {
    {0x0080, 4, VGIC_SZ(4), vgic_read_group, vgic_write_group}, /* IGROUPR0 */
    {GICR_ISENABLER0, 4, VGIC_SZ(4), vgic_read_enable, vgic_write_senable},
    {0x0180, 4, VGIC_SZ(4), vgic_read_enable, vgic_write_cenable}, /* ICENABLER0 */
    {GICR_ISPENDR0, 4, VGIC_SZ(4), vgic_read_pending, vgic_write_spending},
    {GICR_ICPENDR0, 4, VGIC_SZ(4), vgic_read_pending, vgic_write_cpending},
    {0x0300, 4, VGIC_SZ(4), vgic_read_active, vgic_write_sactive}, /* ISACTIVER0 */
    {0x0380, 4, VGIC_SZ(4), vgic_read_active, vgic_write_cactive}, /* ICACTIVER0 */
    {0x0400, 0x20, VGIC_SZ(1) | VGIC_SZ(4), vgic_read_priority, vgic_write_priority},
    {0x0c00, 8, VGIC_SZ(4), vgic_read_config, vgic_write_config},    /* ICFGR0-1 */
    {0x0d00, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* IGRPMODR0 */
    {0x0e00, 4, VGIC_SZ(4) | RO, vgic_read_zero, vgic_write_ignore}, /* NSACR */
};

static struct vgic_frame rd_frame = {
    .regs = rd_regs, .nr = ARRAY_SIZE(rd_regs), .name = "GICR", .suffix = ""};
static struct vgic_frame sgi_frame = {
    .regs = sgi_regs, .nr = ARRAY_SIZE(sgi_regs), .name = "GICR", .suffix = "_SGI"};

void vgic_redist_init(void)
{
	vgic_frame_init(&rd_frame);
	vgic_frame_init(&sgi_frame);
}

/*
 * Where the guest can notice that its virtual timer's line dropped (it wrote CNTV_CTL_EL0 or
 * CNTV_CVAL_EL0 without a trap): enabling PPI 27, clearing its pending state, reading the
 * pending registers. The line is re-sampled there, so that an interrupt whose condition went
 * is neither shown pending nor delivered, as with the redistributor's level input.
 */
static bool timer_line_looked_at(uint32_t off, const struct mmio_access *acc)
{
	uint64_t bit = 1ULL << PPI_VIRT_TIMER;

	switch (off) {
	case GICR_SGI_BASE + GICR_ISENABLER0:
		return acc->write && (acc->value & bit);
	case GICR_SGI_BASE + GICR_ISPENDR0:
		return !acc->write;
	case GICR_SGI_BASE + GICR_ICPENDR0:
		return !acc->write || (acc->value & bit);
	}
	return false;
}

/* A GICR access at acc->offset: whose redistributor (NULL: past the VM's frames), which frame,
 * and the offset in it. */
struct rd_access {
	struct vcpu *rd;
	unsigned idx;
	uint32_t off; /* in the frame pair */
	const struct vgic_frame *f;
	uint32_t foff; /* in f */
};

static inline struct rd_access rd_access_of(struct vm *vm, const struct mmio_access *acc)
{
	unsigned idx = (unsigned)(acc->offset / VGIC_GICR_STRIDE);
	uint32_t off = (uint32_t)(acc->offset % VGIC_GICR_STRIDE);

	return (struct rd_access){
	    .rd = idx < vm->nr_vcpus ? &vm->vcpus[idx] : NULL,
	    .idx = idx,
	    .off = off,
	    .f = off < GICR_SGI_BASE ? &rd_frame : &sgi_frame,
	    .foff = off < GICR_SGI_BASE ? off : off - GICR_SGI_BASE,
	};
}

/* vgic_redist_pure() with the access placed (a.rd set) and its register found (r). */
static inline bool redist_pure(struct vm *vm, const struct rd_access *a, const struct vgic_reg *r,
			       struct mmio_access *acc)
{
	if (!r || timer_line_looked_at(a->off, acc))
		return false;
	/* ID and read-only words (TYPER, IIDR, ...): no lock, no kick. */
	if (vgic_reg_lockless(r, a->foff, acc)) {
		struct vgic_mmio_ctx c = {.vm = vm, .rd = a->rd, .kicks = 0};

		acc->value = r->read(&c, a->foff - r->offset, acc->size);
		return true;
	}
	return vgic_reg_write_ignored(r, a->foff, acc); /* RAZ/WI, read-only: nothing to do */
}

enum vgic_mmio_fast vgic_redist_fast(struct vm *vm, struct mmio_access *acc)
{
	struct rd_access a;

	/* The hot case, as the GICD's (dist_fast): an aligned word read that needs no lock (TYPER,
	 * IIDR, ...), found in its frame's word map with one test for "mapped" and "aligned". No
	 * such register is one the timer's line is re-sampled at (timer_line_looked_at). Tested
	 * before rd_access_of(), so that a write pays one test for it. */
	if (!acc->write && acc->size == 4) {
		unsigned idx = (unsigned)(acc->offset / VGIC_GICR_STRIDE);
		uint32_t off = (uint32_t)(acc->offset % VGIC_GICR_STRIDE);
		const struct vgic_frame *f = off < GICR_SGI_BASE ? &rd_frame : &sgi_frame;
		uint32_t foff = off < GICR_SGI_BASE ? off : off - GICR_SGI_BASE;
		unsigned w = foff & ~(VGIC_WORD_MAPPED - 4) ? 0 : f->word[foff / 4];

		if ((w & VGIC_WORD_READ4) && idx < vm->nr_vcpus) {
			const struct vgic_reg *r = f->regs + (w & VGIC_WORD_INDEX) - 1;
			struct vgic_mmio_ctx c = {.vm = vm, .rd = &vm->vcpus[idx], .kicks = 0};

			acc->value = r->read(&c, foff - r->offset, 4);
			return VGIC_MMIO_DONE;
		}
	}
	a = rd_access_of(vm, acc);
	return a.rd && redist_pure(vm, &a, vgic_reg_find(a.f, a.foff), acc) ? VGIC_MMIO_DONE
									    : VGIC_MMIO_STATE;
}

/* The locked part of a GICR access (a.rd set, r: its register or NULL). */
static void redist_locked(struct vm *vm, const struct rd_access *a, const struct vgic_reg *r,
			  struct mmio_access *acc)
{
	struct vgic_mmio_ctx c = {.vm = vm, .rd = a->rd, .kicks = 0};

	spin_lock(&a->rd->vgic.lock);
	if (timer_line_looked_at(a->off, acc))
		vgic_resample_timer_locked(a->rd, PPI_VIRT_TIMER, &c.kicks);
	vgic_reg_access(&c, a->f, r, a->foff, acc, (int)a->idx);
	spin_unlock(&a->rd->vgic.lock);
	if (c.kicks)
		vgic_kick_set(vm, c.kicks);
}

/* An access past the VM's frames: the region covers nr_vcpus of them, so it cannot happen. */
static void __attribute__((cold)) rd_outside(struct vm *vm, struct mmio_access *acc)
{
	if (vgic_log_ok(&bad_frame_logs))
		log_warn("vgic: VM %s: GICR access at +0x%llx ignored", vm->name,
			 (unsigned long long)acc->offset);
	if (!acc->write)
		acc->value = 0;
}

void vgic_redist_locked(struct vm *vm, struct mmio_access *acc)
{
	struct rd_access a = rd_access_of(vm, acc);

	if (!a.rd)
		rd_outside(vm, acc);
	else
		redist_locked(vm, &a, vgic_reg_find(a.f, a.foff), acc);
}

int vgic_redist_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vm *vm = opaque;
	struct rd_access a = rd_access_of(vm, acc);
	const struct vgic_reg *r;

	if (!a.rd) {
		rd_outside(vm, acc);
		return 0;
	}
	r = vgic_reg_find(a.f, a.foff);
	if (!redist_pure(vm, &a, r, acc))
		redist_locked(vm, &a, r, acc);
	return 0;
}
