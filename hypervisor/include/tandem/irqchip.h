/*
 * The physical interrupt controller behind one interface, chosen at boot from the host DTB
 * (irqchip_probe): the distributor and CPU interface through which EL2 takes interrupts, and
 * the virtual CPU interface whose list registers the vGIC fills. drivers/gicv3.c and
 * drivers/gicv3-vif.c implement it; arch/fake/fake_gic.c is the host tests' recording fake.
 * Everything outside drivers/ calls the irqchip_*() wrappers below, never a backend.
 */
#ifndef TANDEM_IRQCHIP_H
#define TANDEM_IRQCHIP_H

#include <tandem/types.h>

struct fdt;

/* INTIDs the architecture fixes (GIC: 1020-1023 special; SBSA/BSA PPI assignments). */
#define IRQCHIP_SPURIOUS   1020 /* this and above: no interrupt acknowledged */
#define IRQCHIP_NR_INTIDS  1020
#define IRQCHIP_NR_PRIVATE 32 /* SGIs 0-15 and PPIs 16-31, banked per CPU */
#define IRQCHIP_MAX_CPUS   8  /* CPUs a backend keeps per-CPU state for (>= MAX_PCPUS) */
#define PPI_MAINTENANCE	   25
#define PPI_HYP_TIMER	   26 /* CNTHP: EL2 physical timer */
#define PPI_VIRT_TIMER	   27 /* CNTV: the running guest's virtual timer */

/*
 * Groups and priorities: the hypervisor's own interrupts (kicks, its timer, maintenance, its
 * devices) are Group 0, which a GIC without EL3 signals as FIQ, at a priority above every
 * guest's; those forwarded to guests (the virtual timer, passed-through SPIs) are Group 1
 * (IRQ). Both are taken at EL2 while HCR_EL2.IMO/FMO are set; a bind pool with irq = "direct"
 * clears IMO so that Group 1 goes straight to the guest's EL1 (docs/design.md).
 */
#define IRQCHIP_PRIO_HYP   0x20
#define IRQCHIP_PRIO_GUEST 0xa0
/* A direct guest's 5-bit priority p (0..0xf8) as the physical one: below every Group 0 one. */
static inline uint8_t irqchip_guest_prio(uint8_t p)
{
	return (uint8_t)(0x80 | (p >> 1));
}

/*
 * One list register in a form no GIC version owns: what the vGIC asks the virtual CPU
 * interface to present to the guest. The fields (virtual INTID, physical INTID of a
 * hardware-linked one, priority, IRQCHIP_LR_* flags) are packed in one word, built with
 * irqchip_lr_make() and read with the accessors: as a struct of four members GCC split it
 * into scalars and reassembled it through the stack at every compare and call, 66 ticks
 * per timer interrupt. The flags sit in bits 56-63, GROUP1..ACTIVE in bits 60-63 as in
 * ICH_LR<n>_EL2 (IHI 0069 12.4.6), so that the GICv3 encoding is a mask and a bit move;
 * other backends map the fields one by one. All zero: an empty (invalid) entry.
 */
struct irqchip_lr {
	uint64_t word;
};

#define IRQCHIP_LR_EOI_MAINT (1u << 0) /* not HW: maintenance interrupt on deactivation */
#define IRQCHIP_LR_GROUP1    (1u << 4) /* Group 1 (else Group 0) */
#define IRQCHIP_LR_HW	     (1u << 5) /* hardware-linked: deactivating it deactivates pintid */
#define IRQCHIP_LR_PENDING   (1u << 6)
#define IRQCHIP_LR_ACTIVE    (1u << 7)
#define IRQCHIP_LR_STATE     (IRQCHIP_LR_PENDING | IRQCHIP_LR_ACTIVE)

#define IRQCHIP_LR_PINTID_SHIFT 32 /* 16 bits */
#define IRQCHIP_LR_PRIO_SHIFT	48 /* 8 bits */
#define IRQCHIP_LR_FLAGS_SHIFT	56 /* 8 bits */

/* pintid (below 1024): 0 unless flags has IRQCHIP_LR_HW; IRQCHIP_LR_EOI_MAINT only without
 * it; priority: 8-bit GIC priority (the backend keeps the bits it implements). */
static inline struct irqchip_lr irqchip_lr_make(uint32_t vintid, irq_t pintid, uint8_t priority,
						unsigned flags)
{
	return (struct irqchip_lr){(uint64_t)vintid |
				   (uint64_t)(pintid & 0xffff) << IRQCHIP_LR_PINTID_SHIFT |
				   (uint64_t)priority << IRQCHIP_LR_PRIO_SHIFT |
				   (uint64_t)(flags & 0xff) << IRQCHIP_LR_FLAGS_SHIFT};
}

static inline uint32_t irqchip_lr_vintid(struct irqchip_lr lr)
{
	return (uint32_t)lr.word;
}

static inline irq_t irqchip_lr_pintid(struct irqchip_lr lr)
{
	return (irq_t)(lr.word >> IRQCHIP_LR_PINTID_SHIFT) & 0xffff;
}

static inline uint8_t irqchip_lr_priority(struct irqchip_lr lr)
{
	return (uint8_t)(lr.word >> IRQCHIP_LR_PRIO_SHIFT);
}

static inline unsigned irqchip_lr_flags(struct irqchip_lr lr)
{
	return (unsigned)(lr.word >> IRQCHIP_LR_FLAGS_SHIFT);
}

/* True if any of flags is set. */
static inline bool irqchip_lr_has(struct irqchip_lr lr, unsigned flags)
{
	return lr.word & (uint64_t)flags << IRQCHIP_LR_FLAGS_SHIFT;
}

static inline struct irqchip_lr irqchip_lr_without(struct irqchip_lr lr, unsigned flags)
{
	return (struct irqchip_lr){lr.word & ~((uint64_t)flags << IRQCHIP_LR_FLAGS_SHIFT)};
}

static inline bool irqchip_lr_equal(struct irqchip_lr a, struct irqchip_lr b)
{
	return a.word == b.word;
}

static inline bool irqchip_lr_empty(struct irqchip_lr lr)
{
	return !lr.word;
}

/*
 * Virtual CPU interface control (irqchip_write_lrs): the interface enabled, and the
 * maintenance interrupts the vGIC asks for. The values are those of ICH_HCR_EL2 and GICv2's
 * GICH_HCR, which agree (IHI 0069 12.4.3, IHI 0048B 5.3.1).
 */
#define IRQCHIP_VIF_ENABLE     (1u << 0) /* En */
#define IRQCHIP_VIF_UNDERFLOW  (1u << 1) /* UIE: at most one valid LR left */
#define IRQCHIP_VIF_NO_PENDING (1u << 3) /* NPIE: no LR pending */

/*
 * The guest's own CPU-interface state that a vCPU switch saves and restores as is (GICv3:
 * ICH_VMCR_EL2 and the active-priority registers ICH_AP0R<n>/AP1R<n>; GICv2: GICH_VMCR and
 * GICH_APR). Its content is the backend's; only the backend reads it.
 */
struct irqchip_vif_state {
	uint32_t vmcr;
	uint32_t apr[2][4]; /* [group][index] */
};

/* What a backend does; every function acts on the calling CPU unless it says otherwise. */
struct irqchip_ops {
	const char *name; /* "GICv3": the boot banner's */
	/* Distributor (shared) set-up, on the boot CPU before any cpu_init. */
	void (*init)(void);
	/*
	 * The calling CPU's own interface (GICv3: its redistributor and ICC_* registers). cpu is
	 * its index (arch_cpu_index(), < IRQCHIP_MAX_CPUS), mpidr its affinity: send_sgi names
	 * a CPU by that index afterwards. -ERR_NOENT if the CPU has no interface.
	 */
	int (*cpu_init)(unsigned cpu, uint64_t mpidr);

	/*
	 * Taking interrupts, with priority drop and deactivation split (EOImode 1) so that a
	 * guest can deactivate one forwarded to it: acknowledge the highest-priority pending one
	 * and drop the running priority at once (returns its INTID, >= IRQCHIP_SPURIOUS if none:
	 * nothing dropped); it stays active until deactivate.
	 */
	irq_t (*ack)(void);
	/* The same for Group 0 (the FIQ path: the hypervisor's own interrupts). */
	irq_t (*ack_group0)(void);
	void (*deactivate)(irq_t intid);
	/* Group (0 or 1) and priority of an interrupt: a PPI/SGI on the calling CPU, an SPI at
	 * the distributor. */
	void (*set_group)(irq_t intid, bool group1, uint8_t priority);
	/* A PPI/SGI on the calling CPU: enabled or not, and its priority. */
	void (*config_private)(irq_t intid, bool enabled, uint8_t priority);
	/* An SPI, from any CPU: enabled or not (keeping its route), and its priority. */
	void (*config_spi)(irq_t intid, bool enabled, uint8_t priority);

	/*
	 * Direct delivery on the calling CPU (a guest owns its Group 1 interface, HCR_EL2.IMO
	 * clear): direct_on hands the guest the physical Group 1 enable (from its virtual one)
	 * and makes EOI deactivate (the guest's EOI must end its interrupt: its DIR goes to the
	 * virtual interface); direct_off takes them back into the virtual interface and restores
	 * EL2's own settings. direct_in_service: the guest has acknowledged a physical interrupt
	 * it has not ended (an active priority is set); direct_end_service clears those.
	 */
	void (*direct_on)(void);
	void (*direct_off)(void);
	bool (*direct_in_service)(void);
	void (*direct_end_service)(void);

	/* SGI to a CPU, by the index it gave cpu_init. */
	void (*send_sgi)(unsigned pcpu_index, irq_t sgi);
	/* Enables a PPI/SGI on the calling CPU. */
	void (*enable_private)(irq_t intid);
	/* Physical active state of a PPI on the calling CPU (a vCPU's forwarded timer moving). */
	bool (*private_active)(irq_t intid);
	void (*set_private_active)(irq_t intid, bool active);
	/* SPIs, from any CPU: enable and route to the CPU with this MPIDR; disable (and wait for
	 * it to take effect); make edge-triggered; deactivate at the distributor. */
	void (*route_spi)(irq_t intid, uint64_t mpidr);
	void (*disable_spi)(irq_t intid);
	void (*set_spi_edge)(irq_t intid);
	void (*deactivate_spi)(irq_t intid);

	/*
	 * The virtual CPU interface: how many LRs; read one; the free-LR bitmap (ICH_ELRSR_EL2:
	 * bit n set when LR n holds no state and no EOI maintenance is due); write LR n = lrs[n]
	 * for each bit n of mask, then the control flags (IRQCHIP_VIF_*; 0: interface off), in
	 * one call as the vGIC's flush needs them.
	 */
	unsigned (*nr_lrs)(void);
	struct irqchip_lr (*read_lr)(unsigned idx);
	uint32_t (*empty_lrs)(void);
	void (*write_lrs)(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control);
	/*
	 * If LR 0 holds no state (empty_lrs bit 0), LR 0 = lr and true; else false, nothing
	 * written. The control flags stay, and nothing is synchronised: for the tick's fast
	 * path, whose ERET to the guest is the context synchronisation the write needs.
	 */
	bool (*refill_lr0)(struct irqchip_lr lr);
	void (*vif_save)(struct irqchip_vif_state *state);
	void (*vif_restore)(const struct irqchip_vif_state *state);
};

/* A memory region the backend took from the host DTB (kept away from guests). */
struct irqchip_region {
	paddr_t base;
	uint64_t size;
	const char *what; /* "the GIC distributor" */
};

#define IRQCHIP_MAX_REGIONS 4

/* One backend: the compatible strings it drives and how it takes its node. */
struct irqchip_driver {
	const char *const *compatible; /* NULL-terminated */
	/* Reads the node's regions into regions[] (returns how many, or a negative ERR_*). */
	int (*probe)(const struct fdt *fdt, int node, struct irqchip_region *regions);
	const struct irqchip_ops *ops;
};

/* The backend in use: a copy of its ops, so that a call costs one load and a branch. */
extern struct irqchip_ops irqchip;

/*
 * Finds the host DTB's interrupt controller, picks the driver whose compatible matches,
 * and installs its ops. Returns 0 or a negative ERR_* (no supported controller: the caller
 * says so). Before any other irqchip_*() call.
 */
int irqchip_probe(const struct fdt *fdt);
/* The regions the probe took (the distributor, redistributors, ...) and how many. */
unsigned irqchip_regions(const struct irqchip_region **regions);

static inline void irqchip_init(void)
{
	irqchip.init();
}

static inline int irqchip_cpu_init(unsigned cpu, uint64_t mpidr)
{
	return irqchip.cpu_init(cpu, mpidr);
}

static inline irq_t irqchip_ack(void)
{
	return irqchip.ack();
}

static inline irq_t irqchip_ack_group0(void)
{
	return irqchip.ack_group0();
}

static inline void irqchip_set_group(irq_t intid, bool group1, uint8_t priority)
{
	irqchip.set_group(intid, group1, priority);
}

static inline void irqchip_config_private(irq_t intid, bool enabled, uint8_t priority)
{
	irqchip.config_private(intid, enabled, priority);
}

static inline void irqchip_config_spi(irq_t intid, bool enabled, uint8_t priority)
{
	irqchip.config_spi(intid, enabled, priority);
}

static inline void irqchip_direct_on(void)
{
	irqchip.direct_on();
}

static inline void irqchip_direct_off(void)
{
	irqchip.direct_off();
}

static inline bool irqchip_direct_in_service(void)
{
	return irqchip.direct_in_service();
}

static inline void irqchip_direct_end_service(void)
{
	irqchip.direct_end_service();
}

static inline void irqchip_deactivate(irq_t intid)
{
	irqchip.deactivate(intid);
}

static inline void irqchip_send_sgi(unsigned pcpu_index, irq_t sgi)
{
	irqchip.send_sgi(pcpu_index, sgi);
}

static inline void irqchip_enable_private(irq_t intid)
{
	irqchip.enable_private(intid);
}

static inline bool irqchip_private_active(irq_t intid)
{
	return irqchip.private_active(intid);
}

static inline void irqchip_set_private_active(irq_t intid, bool active)
{
	irqchip.set_private_active(intid, active);
}

static inline void irqchip_route_spi(irq_t intid, uint64_t mpidr)
{
	irqchip.route_spi(intid, mpidr);
}

static inline void irqchip_disable_spi(irq_t intid)
{
	irqchip.disable_spi(intid);
}

static inline void irqchip_set_spi_edge(irq_t intid)
{
	irqchip.set_spi_edge(intid);
}

static inline void irqchip_deactivate_spi(irq_t intid)
{
	irqchip.deactivate_spi(intid);
}

static inline unsigned irqchip_nr_lrs(void)
{
	return irqchip.nr_lrs();
}

static inline struct irqchip_lr irqchip_read_lr(unsigned idx)
{
	return irqchip.read_lr(idx);
}

static inline uint32_t irqchip_empty_lrs(void)
{
	return irqchip.empty_lrs();
}

static inline bool irqchip_refill_lr0(struct irqchip_lr lr)
{
	return irqchip.refill_lr0(lr);
}

static inline void irqchip_write_lrs(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control)
{
	irqchip.write_lrs(lrs, mask, control);
}

static inline void irqchip_vif_save(struct irqchip_vif_state *state)
{
	irqchip.vif_save(state);
}

static inline void irqchip_vif_restore(const struct irqchip_vif_state *state)
{
	irqchip.vif_restore(state);
}

#endif
