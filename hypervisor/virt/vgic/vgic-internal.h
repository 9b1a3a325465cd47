/* Shared between the vGIC core (vgic.c) and its register emulation (vgic-mmio.c, -dist.c,
 * -redist.c). */
#ifndef VGIC_INTERNAL_H
#define VGIC_INTERNAL_H

#include <tandem/mmio.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

/* GICD_CTLR with DS == 1 (single security state, as the guest sees it). */
#define GICD_CTLR_ENABLE_G0 (1u << 0)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICD_CTLR_DS	    (1u << 6)

/* ID registers common to GICD and GICR. */
#define VGIC_IIDR	0x5400043bu /* ProductID 'T', Arm implementer code 0x43b */
#define GIC_PIDR2_ARCH3 0x3b	    /* ArchRev 3 (GICv3) in bits [7:4] */
#define GIC_IDREGS_BASE 0xffd0

/* A batch of vCPUs to kick once the vGIC locks are dropped. */
typedef uint32_t vgic_kickset_t;

/*
 * The vCPUs of a VM with nr_vcpus vCPUs that an ICC_SGI*R_EL1 value written by vCPU sender
 * names (pure): its own vCPUs only, whatever the value says (Aff3.Aff2.Aff1 must be 0, Aff0 =
 * RS * 16 + bit below nr_vcpus; IRM: all but the sender). Direct delivery uses the same: a
 * guest's SGI never becomes a physical one, so it cannot reach another VM's pCPU.
 */
static inline vgic_kickset_t vgic_sgi_targets(uint64_t val, unsigned sender, unsigned nr_vcpus)
{
	vgic_kickset_t all = (vgic_kickset_t)((1ULL << nr_vcpus) - 1);
	unsigned rs = (val >> 44) & 0xf;

	if (val & (1ULL << 40)) /* IRM: every PE but the sender */
		return all & ~((vgic_kickset_t)1 << sender);
	/* Our vCPUs have Aff3 = Aff2 = Aff1 = 0 and Aff0 = index: anything else is nobody's. */
	if (val & 0xff00ff00ff0000ULL || rs * 16 >= nr_vcpus)
		return 0;
	/* TargetList bit n is Aff0 = RS * 16 + n (vgic_vm_init() allows at most 32 vCPUs). */
	return (vgic_kickset_t)(((uint64_t)(val & 0xffff) << (rs * 16)) & all);
}

/* Whose registers an access reaches: the distributor (rd == NULL) or rd's redistributor. */
struct vgic_mmio_ctx {
	struct vm *vm;
	struct vcpu *rd;
	vgic_kickset_t kicks;
};

/* One register (or array of per-interrupt registers) of a frame. */
struct vgic_reg {
	uint32_t offset;
	uint32_t len;	/* bytes covered */
	uint16_t sizes; /* allowed access sizes: VGIC_SZ(1) | VGIC_SZ(4) ..., and VGIC_LOCKLESS */
	uint64_t (*read)(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
	void (*write)(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
};

#define VGIC_SZ(n) (1u << (n))
/*
 * Its read takes no lock: the value is fixed for the VM's life (ID registers, TYPER), or one
 * word that the read returns whole, as it was just before or just after a concurrent write.
 */
#define VGIC_LOCKLESS (1u << 15)

/* Writes to a register that ignores them (RAZ/WI). */
void vgic_write_ignore(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);

/* Frames are 64 KiB; the index has one slot per 128 bytes of one. */
#define VGIC_FRAME_SIZE	 0x10000u
#define VGIC_SLOT_SHIFT	 7
#define VGIC_FRAME_SLOTS (VGIC_FRAME_SIZE >> VGIC_SLOT_SHIFT)
/* The first 4 KiB of a frame (all but IROUTER and the ID registers) also have a word map. */
#define VGIC_WORD_MAPPED 0x1000u
#define VGIC_WORD_INDEX	 0x7f /* word map: 1 + the register's index, */
#define VGIC_WORD_NONE	 0x7f /* or this: no register covers the word */
#define VGIC_WORD_READ4	 0x80 /* a 4-byte read of the word is lockless (vgic_reg_lockless) */

/*
 * A register frame: its table (sorted by offset, no overlaps, at most 126 registers) and two
 * direct indexes (vgic_frame_init()): for the first VGIC_WORD_MAPPED bytes, one byte per word
 * naming the register that covers it (VGIC_WORD_INDEX bits: 1 + its index, or VGIC_WORD_NONE)
 * and whether a word read there needs no lock (VGIC_WORD_READ4), so that a lookup there tests
 * nothing; for the whole frame, an offset's 128-byte slot to the first register that ends
 * past the slot's start, so that a lookup elsewhere tests one or two registers instead of
 * walking the table.
 */
struct vgic_frame {
	const struct vgic_reg *regs;
	uint8_t nr;
	bool ready;
	const char *name;   /* GICD, GICR: for log lines */
	const char *suffix; /* after a redistributor's index: "" or "_SGI" */
	uint8_t index[VGIC_FRAME_SLOTS];
	uint8_t word[VGIC_WORD_MAPPED / 4];
};

/* Fills f's indexes once (the first VM's vgic_vm_init(), before any guest runs). Indexes
 * not filled yet (all 0) still find every register, from the table's start. */
void vgic_frame_init(struct vgic_frame *f);

/* vgic_reg_find() by the slot index alone (vgic-mmio.c). */
const struct vgic_reg *vgic_reg_walk(const struct vgic_frame *f, uint32_t off);

/* The word map's byte for offset off of f, or 0 (not mapped: vgic_reg_walk() knows). */
static inline unsigned vgic_reg_word(const struct vgic_frame *f, uint32_t off)
{
	return off < VGIC_WORD_MAPPED ? f->word[off / 4] : 0;
}

/* The register of f that covers offset off (below VGIC_FRAME_SIZE), or NULL. */
static inline const struct vgic_reg *vgic_reg_find(const struct vgic_frame *f, uint32_t off)
{
	unsigned i = vgic_reg_word(f, off) & VGIC_WORD_INDEX;

	if (i - 1 < VGIC_WORD_NONE - 1)
		return f->regs + i - 1;
	return i == VGIC_WORD_NONE ? NULL : vgic_reg_walk(f, off);
}

/* Whether acc may be served without the frame's lock (a read of a VGIC_LOCKLESS register
 * with an allowed size). */
static inline bool vgic_reg_lockless(const struct vgic_reg *r, uint32_t off,
				     const struct mmio_access *acc)
{
	return !acc->write && acc->size <= 8 && (r->sizes & VGIC_LOCKLESS) &&
	       ((r->sizes >> acc->size) & 1) && IS_ALIGNED(off, acc->size);
}

/*
 * Whether acc is a write that vgic_reg_access() would drop without a log line: a register that
 * ignores writes (no write function, or vgic_write_ignore), at an allowed size and alignment.
 */
static inline bool vgic_reg_write_ignored(const struct vgic_reg *r, uint32_t off,
					  const struct mmio_access *acc)
{
	return acc->write && (!r->write || r->write == vgic_write_ignore) && acc->size <= 8 &&
	       ((r->sizes >> acc->size) & 1) && IS_ALIGNED(off, acc->size);
}

/*
 * Performs acc at offset off of frame f, r being vgic_reg_find()'s answer (NULL: none).
 * Unknown offsets and accesses of a size the register does not allow are RAZ/WI, with a
 * rate-limited log naming the frame (index: the redistributor's, or -1).
 */
void vgic_reg_access(struct vgic_mmio_ctx *c, const struct vgic_frame *f, const struct vgic_reg *r,
		     uint32_t off, struct mmio_access *acc, int index);
/* True for the first few calls with this counter: rate limit for guest-triggered logs. */
bool vgic_log_ok(unsigned *counter);

/* Per-interrupt register accessors: off is relative to the start of the register array. */
uint64_t vgic_read_group(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_group(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_enable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_senable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
void vgic_write_cenable(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_pending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_spending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
void vgic_write_cpending(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_active(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_sactive(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
void vgic_write_cactive(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_priority(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_priority(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_config(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
void vgic_write_config(struct vgic_mmio_ctx *c, uint32_t off, unsigned size, uint64_t val);
uint64_t vgic_read_zero(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
/* GICD/GICR ID registers, off relative to GIC_IDREGS_BASE; IIDR. */
uint64_t vgic_read_idreg(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);
uint64_t vgic_read_iidr(struct vgic_mmio_ctx *c, uint32_t off, unsigned size);

/* The SPI intid of vm, or NULL if it is not an implemented SPI. */
static inline struct vgic_irq *vgic_get_spi(struct vm *vm, irq_t intid)
{
	if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_PRIVATE + vm->vgic.nr_spis)
		return NULL;
	return &vm->vgic.spis[intid - VGIC_NR_PRIVATE];
}

/* The interrupt intid as vCPU vcpu sees it (private ones are per vCPU). */
static inline struct vgic_irq *vgic_irq_of(struct vm *vm, struct vcpu *vcpu, irq_t intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return vcpu ? &vcpu->vgic.private_irqs[intid] : NULL;
	return vgic_get_spi(vm, intid);
}

/* Pending: the edge/software latch, or a level line held high. */
static inline bool vgic_irq_pending(const struct vgic_irq *irq)
{
	return irq->pending || (!irq->edge && irq->level);
}

/* Enabled, pending, and its group enabled at the distributor. */
static inline bool vgic_deliverable(const struct vgic_vm *d, const struct vgic_irq *irq)
{
	uint32_t grp = irq->group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0;

	return irq->enabled && vgic_irq_pending(irq) && (d->ctlr & grp);
}

/*
 * Whether an LR for irq carries the pending state. Never pending+active for a
 * hardware interrupt (its pending state lives in the physical distributor) nor for
 * a level one (so its EOI traps and the line is resampled), as KVM does.
 */
static inline bool vgic_lr_pending(const struct vgic_vm *d, const struct vgic_irq *irq)
{
	return vgic_deliverable(d, irq) && !(irq->active && (irq->hw_intid || !irq->edge));
}

/* The vCPU an SPI belongs to now: where it is active or held in an LR, else its route. */
static inline uint16_t vgic_spi_dest(const struct vgic_irq *irq)
{
	return irq->active || irq->lr >= 0 ? irq->owner : irq->target;
}

/* Core helpers (vgic.c). Callers hold the lock guarding irq (see vgic.h). */
/* intid just became pending or active: make it an LR candidate (rd: owner of a private one). */
void vgic_irq_mark_live(struct vm *vm, struct vcpu *rd, irq_t intid);
/* Adds to kicks the vCPU that irq would be delivered to, if it is deliverable now. */
void vgic_irq_want_kick(struct vm *vm, struct vcpu *rd, struct vgic_irq *irq,
			vgic_kickset_t *kicks);
/*
 * Timer PPI intid of rd sampled now (vgic_resample_timer(), rd's lock held): its level follows
 * the line; the virtual timer's is only lowered. Adds the vCPU to kicks if it became deliverable.
 */
void vgic_resample_timer_locked(struct vcpu *rd, irq_t intid, vgic_kickset_t *kicks);
/* Maps a GICD_IROUTER value to a vCPU index (VGIC_TARGET_NONE if none matches). */
uint16_t vgic_route_target(const struct vm *vm, uint64_t irouter);
/* Kicks every vCPU in the set that is not running on the calling pCPU. No vGIC lock held. */
void vgic_kick_set(struct vm *vm, vgic_kickset_t kicks);

/* MMIO handlers (vgic-dist.c, vgic-redist.c); opaque is the struct vm. The _init()s fill
 * their frames' indexes (vgic_frame_init()). */
void vgic_dist_init(void);
/* GICD_TYPER of vm (its vCPUs and SPIs), kept in vm->vgic.typer from its reset on. */
uint32_t vgic_dist_typer(const struct vm *vm);
void vgic_redist_init(void);
int vgic_dist_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque);
int vgic_redist_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque);
/*
 * vgic_mmio_fast() for the GICR frames (acc->offset set): the part of vgic_redist_mmio() that
 * takes no lock and touches no interrupt state (lockless reads, writes the register ignores)
 * done (VGIC_MMIO_DONE), else nothing done (VGIC_MMIO_STATE: the handler is needed).
 */
enum vgic_mmio_fast vgic_redist_fast(struct vm *vm, struct mmio_access *acc);
/* The rest of a GICR access vgic_redist_fast() did not do (vgic_mmio_state()). */
void vgic_redist_locked(struct vm *vm, struct mmio_access *acc);

struct vdev_dump_buf;
/* Ctrl-A g (vgic-dump.c): appends vm's distributor, vCPU and list-register lines to the dump. */
void vgic_dump_vm(struct vm *vm, struct vdev_dump_buf *out);

#endif
