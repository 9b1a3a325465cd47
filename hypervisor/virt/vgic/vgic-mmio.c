/*
 * vGIC register emulation shared by the distributor and the redistributors: the
 * table-driven access dispatcher and the per-interrupt register arrays (IGROUPR,
 * IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER, IPRIORITYR, ICFGR). The frame handler
 * holds the lock that guards the interrupts reached: the VM's for GICD (SPIs), the
 * redistributor's vCPU lock for GICR (its private interrupts).
 */
#include <tandem/irqchip.h>
#include <tandem/guest_log.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

void vgic_frame_init(struct vgic_frame *f)
{
	unsigned i = 0;

	if (f->ready)
		return;
	BUG_ON(f->nr >= VGIC_WORD_NONE);
	for (unsigned s = 0; s < VGIC_FRAME_SLOTS; s++) {
		while (i < f->nr && f->regs[i].offset + f->regs[i].len <= s << VGIC_SLOT_SHIFT)
			i++;
		f->index[s] = (uint8_t)i;
	}
	/* The word map, one pass over the table (sorted by offset): a word is mapped when one
	 * register covers all four of its bytes or none covers any (else 0: looked up by slot).
	 * Per register, not a lookup per byte: 4096 lookups a frame cost ~0.15 M instructions of
	 * the boot path for the three frames. A word's first register decides it: the lookup finds
	 * the first register that covers a byte, so a later one overlapping it changes nothing. */
	memset(f->word, VGIC_WORD_NONE, sizeof(f->word));
	for (const struct vgic_reg *r = f->regs; r < f->regs + f->nr; r++) {
		uint64_t end = (uint64_t)r->offset + r->len;
		uint8_t code =
		    (uint8_t)(r - f->regs + 1) |
		    ((r->sizes & VGIC_LOCKLESS) && (r->sizes & VGIC_SZ(4)) ? VGIC_WORD_READ4 : 0);

		for (uint32_t w = r->offset / 4; w < VGIC_WORD_MAPPED / 4 && 4ull * w < end; w++) {
			bool whole = r->offset <= 4 * w && 4ull * w + 4 <= end;

			if (f->word[w] == VGIC_WORD_NONE)
				f->word[w] = whole ? code : 0;
		}
	}
	__atomic_store_n(&f->ready, true, __ATOMIC_RELEASE);
}

const struct vgic_reg *vgic_reg_walk(const struct vgic_frame *f, uint32_t off)
{
	const struct vgic_reg *end = f->regs + f->nr;

	for (const struct vgic_reg *r =
		 f->regs + f->index[(off >> VGIC_SLOT_SHIFT) & (VGIC_FRAME_SLOTS - 1)];
	     r < end && r->offset <= off; r++)
		if (off - r->offset < r->len)
			return r;
	return NULL;
}

/* Why an access found no register it may use, for the log line. */
static void __attribute__((noinline))
reg_refused(struct vgic_mmio_ctx *c, const struct vgic_frame *f, const char *why, uint32_t off,
	    struct mmio_access *acc, int index)
{
	char frame[16];

	if (index >= 0)
		snprintf_td(frame, sizeof(frame), "%s%d%s", f->name, index, f->suffix);
	else
		snprintf_td(frame, sizeof(frame), "%s", f->name);
	guest_log(c->vm, GLOG_VGIC, "warning: vgic: VM %s: %s %s+0x%x (%u bytes) ignored: %s",
		  c->vm->name, acc->write ? "write to" : "read of", frame, off, acc->size, why);
	if (!acc->write)
		acc->value = 0;
}

void vgic_reg_access(struct vgic_mmio_ctx *c, const struct vgic_frame *f, const struct vgic_reg *r,
		     uint32_t off, struct mmio_access *acc, int index)
{
	if (!r) {
		reg_refused(c, f, "unknown register", off, acc, index);
		return;
	}
	if (acc->size > 8 || !(r->sizes & VGIC_SZ(acc->size)) || !IS_ALIGNED(off, acc->size)) {
		reg_refused(c, f, "bad access size", off, acc, index);
		return;
	}
	if (acc->write) {
		if (r->write)
			r->write(c, off - r->offset, acc->size, acc->value);
	} else {
		acc->value = r->read ? r->read(c, off - r->offset, acc->size) : 0;
	}
}

/* The interrupt a per-interrupt field names: private ones via GICR, SPIs via GICD. */
static struct vgic_irq *ctx_irq(struct vgic_mmio_ctx *c, irq_t intid)
{
	if (c->rd)
		return intid < VGIC_NR_PRIVATE ? &c->rd->vgic.private_irqs[intid] : NULL;
	return vgic_get_spi(c->vm, intid); /* SGIs/PPIs: RAZ/WI in GICD with ARE */
}

typedef bool (*irq_get_fn)(const struct vgic_irq *irq);
typedef void (*irq_op_fn)(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq);

/* One bit per interrupt: gathers get() over the interrupts the access covers. */
static uint64_t read_bits(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, irq_get_fn get)
{
	uint64_t v = 0;

	for (unsigned b = 0; b < size * 8; b++) {
		struct vgic_irq *irq = ctx_irq(c, off * 8 + b);

		if (irq && get(irq))
			v |= 1ULL << b;
	}
	return v;
}

/* One bit per interrupt, write-1-to-act: applies op to each interrupt whose bit is set, in
 * INTID order (visiting the set bits only: a driver masking one line sets one). */
static void for_each_set(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val,
			 irq_op_fn op)
{
	uint64_t bits = size >= 8 ? val : val & ((1ULL << (size * 8)) - 1);

	while (bits) {
		irq_t intid = off * 8 + (unsigned)__builtin_ctzll(bits);
		struct vgic_irq *irq = ctx_irq(c, intid);

		bits &= bits - 1;
		if (irq)
			op(c, intid, irq);
	}
}

static bool get_group(const struct vgic_irq *irq)
{
	return irq->group1;
}

static bool get_enabled(const struct vgic_irq *irq)
{
	return irq->enabled;
}

static bool get_active(const struct vgic_irq *irq)
{
	return irq->active;
}

uint64_t vgic_read_group(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return read_bits(c, off, size, get_group);
}

void vgic_write_group(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for (unsigned b = 0; b < size * 8; b++) {
		struct vgic_irq *irq = ctx_irq(c, off * 8 + b);

		if (irq) {
			irq->group1 = (val >> b) & 1;
			vgic_irq_want_kick(c->vm, c->rd, irq, &c->kicks);
		}
	}
}

uint64_t vgic_read_enable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return read_bits(c, off, size, get_enabled);
}

/* An SPI's enable or priority changed: whoever owns its physical line may follow it. */
static void spi_changed(struct vgic_mmio_ctx *c, irq_t intid)
{
	if (!c->rd && c->vm->vgic.on_spi_change)
		c->vm->vgic.on_spi_change(c->vm, intid);
}

static void op_senable(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	irq->enabled = true;
	spi_changed(c, intid);
	vgic_irq_want_kick(c->vm, c->rd, irq, &c->kicks);
}

void vgic_write_senable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_senable);
}

static void op_cenable(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	irq->enabled = false;
	spi_changed(c, intid);
}

void vgic_write_cenable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_cenable);
}

uint64_t vgic_read_pending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return read_bits(c, off, size, vgic_irq_pending);
}

static void op_spending(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	irq->pending = true;
	vgic_irq_mark_live(c->vm, c->rd, intid);
	vgic_irq_want_kick(c->vm, c->rd, irq, &c->kicks);
}

void vgic_write_spending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_spending);
}

/*
 * A hardware-linked interrupt the guest clears or deactivates by register will never
 * be deactivated through an LR: release the physical one. A PPI is active in the GIC of
 * its own vCPU's pCPU, so only that vCPU can do it: kick it, and its next flush does
 * (collect_private in vgic-lr.c; vgic_vcpu_restore if it is not on a pCPU now).
 */
static void release_hw(struct vgic_mmio_ctx *c, struct vgic_irq *irq)
{
	if (!irq->hw_intid || irq->lr >= 0 || irq->pending || irq->active)
		return;
	if (c->rd && c->rd != vcpu_current()) {
		c->kicks |= (vgic_kickset_t)1 << c->rd->id;
		return;
	}
	irqchip_deactivate(irq->hw_intid);
	irq->hw_intid = 0;
}

static void op_cpending(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	irq->pending = false;
	release_hw(c, irq);
}

void vgic_write_cpending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_cpending);
}

uint64_t vgic_read_active(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return read_bits(c, off, size, get_active);
}

static void op_sactive(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	if (!irq->active && irq->lr < 0 && !c->rd)
		irq->owner = irq->target < c->vm->nr_vcpus ? irq->target : 0;
	if (!irq->active)
		irq->active_unacked = true;
	irq->active = true;
	vgic_irq_mark_live(c->vm, c->rd, intid);
}

void vgic_write_sactive(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_sactive);
}

static void op_cactive(struct vgic_mmio_ctx *c, irq_t intid, struct vgic_irq *irq)
{
	irq->active = false;
	irq->active_unacked = false;
	release_hw(c, irq);
	vgic_irq_want_kick(c->vm, c->rd, irq, &c->kicks);
}

void vgic_write_cactive(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for_each_set(c, off, size, val, op_cactive);
}

/* IPRIORITYR: one byte per interrupt, byte or word accessible. */
uint64_t vgic_read_priority(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		struct vgic_irq *irq = ctx_irq(c, off + i);

		if (irq)
			v |= (uint64_t)irq->priority << (8 * i);
	}
	return v;
}

void vgic_write_priority(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size; i++) {
		struct vgic_irq *irq = ctx_irq(c, off + i);

		if (irq) {
			irq->priority = (val >> (8 * i)) & VGIC_PRIO_MASK;
			spi_changed(c, off + i);
			vgic_irq_want_kick(c->vm, c->rd, irq, &c->kicks);
		}
	}
}

/* ICFGR: two bits per interrupt, bit 1 set = edge. SGIs are edge, read-only. */
uint64_t vgic_read_config(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size * 4; i++) {
		struct vgic_irq *irq = ctx_irq(c, off * 4 + i);

		if (irq && irq->edge)
			v |= 2ULL << (2 * i);
	}
	return v;
}

void vgic_write_config(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size * 4; i++) {
		irq_t intid = off * 4 + i;
		struct vgic_irq *irq = ctx_irq(c, intid);

		if (irq && intid >= 16)
			irq->edge = (val >> (2 * i + 1)) & 1;
	}
}

uint64_t vgic_read_zero(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return 0;
}

void vgic_write_ignore(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val)
{
}

uint64_t vgic_read_iidr(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	return VGIC_IIDR;
}

/* PIDR4-7, PIDR0-3, CIDR0-3 from 0xffd0: only ArchRev (PIDR2) matters to guests. */
uint64_t vgic_read_idreg(struct vgic_mmio_ctx *c, uint32_t off, unsigned size)
{
	static const uint8_t ids[12] = {
	    0x04, 0x00, 0x00,
	    0x00, /* PIDR4-7 */
	    0x92, 0xb4, GIC_PIDR2_ARCH3,
	    0x00, /* PIDR0-3 */
	    0x0d, 0xf0, 0x05,
	    0xb1, /* CIDR0-3 */
	};

	return off / 4 < ARRAY_SIZE(ids) ? ids[off / 4] : 0;
}
