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

int vgic_redist_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vm *vm = opaque;
	unsigned idx = (unsigned)(acc->offset / VGIC_GICR_STRIDE);
	uint32_t off = (uint32_t)(acc->offset % VGIC_GICR_STRIDE);
	struct vgic_mmio_ctx c = {.vm = vm, .rd = NULL, .kicks = 0};
	const struct vgic_frame *f = off < GICR_SGI_BASE ? &rd_frame : &sgi_frame;
	uint32_t foff = off < GICR_SGI_BASE ? off : off - GICR_SGI_BASE;
	const struct vgic_reg *r;
	bool timer;

	if (idx >= vm->nr_vcpus) { /* the region covers nr_vcpus frames: cannot happen */
		if (vgic_log_ok(&bad_frame_logs))
			log_warn("vgic: VM %s: GICR access at +0x%llx ignored", vm->name,
				 (unsigned long long)acc->offset);
		if (!acc->write)
			acc->value = 0;
		return 0;
	}
	c.rd = &vm->vcpus[idx];
	r = vgic_reg_find(f, foff);
	timer = timer_line_looked_at(off, acc);
	/* ID and read-only words (TYPER, IIDR, ...): no lock, no kick. */
	if (r && !timer && vgic_reg_lockless(r, foff, acc)) {
		acc->value = r->read(&c, foff - r->offset, acc->size);
		return 0;
	}
	spin_lock(&c.rd->vgic.lock);
	if (timer)
		vgic_resample_timer_locked(c.rd, PPI_VIRT_TIMER, &c.kicks);
	vgic_reg_access(&c, f, r, foff, acc, (int)idx);
	spin_unlock(&c.rd->vgic.lock);
	if (c.kicks)
		vgic_kick_set(vm, c.kicks);
	return 0;
}
