/* clang-format off */ /* unit-sources: hypervisor/virt/vgic/vgic.c hypervisor/virt/vgic/vgic-lr.c hypervisor/virt/vgic/vgic-mmio.c hypervisor/virt/vgic/vgic-dist.c hypervisor/virt/vgic/vgic-redist.c hypervisor/core/guest_log.c hypervisor/core/mmio.c hypervisor/lib/ratelimit.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vcpu.c tests/unit/fakes/fake_vtimer.c */
/* clang-format on */
/*
 * The virtual GICv3: distributor and redistributor registers as a guest sees them,
 * and the list-register engine against the fake CPU interface (arch/fake/fake_gic.c, an irqchip
 * backend), with the guest's acknowledge/EOI played by fake_gic_guest_*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/mmio.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

#include "fakes/fake.h"
#include "../../hypervisor/virt/vgic/vgic-internal.h"

/* GICD offsets */
#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_TYPER2	0x000c
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IGRPMODR	0x0d00
#define GICD_IROUTER	0x6000
#define GICD_PIDR2	0xffe8
/* GICR offsets (RD_base; SGI_base = +0x10000) */
#define GICR_CTLR	0x0000
#define GICR_TYPER	0x0008
#define GICR_WAKER	0x0014
#define GICR_PIDR2	0xffe8
#define SGI_BASE	0x10000
#define GICR_IGROUPR0	(SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (SGI_BASE + 0x0180)
#define GICR_ISPENDR0	(SGI_BASE + 0x0200)
#define GICR_ICPENDR0	(SGI_BASE + 0x0280)
#define GICR_ISACTIVER0 (SGI_BASE + 0x0300)
#define GICR_ICACTIVER0 (SGI_BASE + 0x0380)
#define GICR_IPRIORITYR (SGI_BASE + 0x0400)
#define GICR_ICFGR0	(SGI_BASE + 0x0c00)
#define GICR_ICFGR1	(SGI_BASE + 0x0c04)

/* Fields of the neutral list register the fake interface holds (tandem/irqchip.h). */
#define LR_STATE(v)                                                                                \
	((irqchip_lr_has(v, IRQCHIP_LR_PENDING) ? 1u : 0u) |                                       \
	 (irqchip_lr_has(v, IRQCHIP_LR_ACTIVE) ? 2u : 0u))
#define LR_HW(v)     (irqchip_lr_has(v, IRQCHIP_LR_HW) ? 1u : 0u)
#define LR_GROUP(v)  (irqchip_lr_has(v, IRQCHIP_LR_GROUP1) ? 1u : 0u)
#define LR_PRIO(v)   ((unsigned)irqchip_lr_priority(v))
#define LR_PINTID(v) ((unsigned)irqchip_lr_pintid(v))
#define LR_EOI(v)    (irqchip_lr_has(v, IRQCHIP_LR_EOI_MAINT) ? 1u : 0u)
#define LR_VINTID(v) ((unsigned)irqchip_lr_vintid(v))
#define LR_BITS(v)   ((v).word) /* 0: an empty LR */
#define ST_PENDING   1
#define ST_ACTIVE    2
#define ST_BOTH	     3
#define HCR_EN	     (1u << 0)
#define HCR_UIE	     (1u << 1)
#define HCR_NPIE     (1u << 3)
#define MISR_EOI     (1u << 0)
#define MISR_U	     (1u << 1)
#define MISR_NP	     (1u << 3)

#define SPI_A	   33 /* SPI 1 */
#define SPI_B	   40
#define PPI_VTIMER 27

/* --- The vGIC's neighbours: the shared recording fakes (fakes/), the real core/mmio.c --- */

static struct vm vm;

/* Kicks of vm's vCPU i so far; every kick so far made with no lock held (a kick is an SGI:
 * never under a vGIC lock). */
static unsigned kicks_of(unsigned i)
{
	for (unsigned c = 0; c < fake_calls.n; c++)
		if (strcmp(fake_calls.call[c].fn, "vcpu_kick") == 0)
			assert_int_equal(fake_calls.call[c].arg[0], 0);
	return fake_count_obj("vcpu_kick", &vm.vcpus[i]);
}

#define KICKS(i)     kicks_of(i)
#define current_vcpu fake_knobs.current_vcpu

/* --- Helpers --- */

static uint64_t guest_access(struct vcpu *who, ipa_t addr, unsigned size, bool write, uint64_t val)
{
	for (unsigned i = 0; i < vm.nr_mmio; i++) {
		struct mmio_region *r = &vm.mmio[i];

		if (addr >= r->base && addr + size <= r->base + r->size) {
			struct mmio_access acc = {.addr = addr,
						  .offset = addr - r->base,
						  .size = size,
						  .write = write,
						  .value = write ? val : 0xdeadbeefdeadbeefULL};

			assert_int_equal(r->handler(who, &acc, r->opaque), 0);
			assert_int_equal(fake_arch.locks_held, 0);
			return acc.value;
		}
	}
	fail_msg("no MMIO region at 0x%llx", (unsigned long long)addr);
	return 0;
}

static uint64_t gicd_rd(uint32_t off, unsigned size)
{
	return guest_access(&vm.vcpus[0], VGIC_GICD_BASE + off, size, false, 0);
}

static void gicd_wr(uint32_t off, unsigned size, uint64_t val)
{
	guest_access(&vm.vcpus[0], VGIC_GICD_BASE + off, size, true, val);
}

static uint64_t gicr_rd(unsigned cpu, uint32_t off, unsigned size)
{
	return guest_access(&vm.vcpus[cpu], VGIC_GICR_BASE + cpu * VGIC_GICR_STRIDE + off, size,
			    false, 0);
}

static void gicr_wr(unsigned cpu, uint32_t off, unsigned size, uint64_t val)
{
	guest_access(&vm.vcpus[cpu], VGIC_GICR_BASE + cpu * VGIC_GICR_STRIDE + off, size, true,
		     val);
}

/* Per-interrupt register of intid: word offset and bit. */
static uint32_t reg_word(uint32_t base, unsigned intid)
{
	return base + 4 * (intid / 32);
}

static uint32_t bit(unsigned intid)
{
	return 1u << (intid % 32);
}

/* Enables an SPI as Linux does: priority, config, route, enable. */
static void setup_spi(unsigned intid, uint8_t prio, bool edge, unsigned cpu)
{
	gicd_wr(GICD_IPRIORITYR + intid, 1, prio);
	uint32_t cfg = (uint32_t)gicd_rd(GICD_ICFGR + 4 * (intid / 16), 4);
	uint32_t sh = 2 * (intid % 16) + 1;

	cfg = edge ? cfg | (1u << sh) : cfg & ~(1u << sh);
	gicd_wr(GICD_ICFGR + 4 * (intid / 16), 4, cfg);
	gicd_wr(GICD_IROUTER + 8 * intid, 8, cpu);
	gicd_wr(reg_word(GICD_ISENABLER, intid), 4, bit(intid));
}

static void guest_exit_entry(struct vcpu *v)
{
	vgic_sync(v);
	vgic_flush(v);
}

static unsigned nr_valid_lrs(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++)
		n += LR_STATE(fake_gic.lr[i]) != 0;
	return n;
}

static int setup_n(unsigned nr_vcpus, unsigned nr_lrs)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_gic_reset(nr_lrs);
	fake_calls_reset(); /* the timers' lines: not sampled unless a test says */
	memset(&vm, 0, sizeof(vm));
	vm.name = "test";
	vm.nr_vcpus = nr_vcpus;
	for (unsigned i = 0; i < nr_vcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
	}
	if (vgic_vm_init(&vm) != 0)
		return -1;
	for (unsigned i = 0; i < nr_vcpus; i++)
		vgic_vcpu_init(&vm.vcpus[i]);
	current_vcpu = &vm.vcpus[0];
	gicd_wr(GICD_CTLR, 4, 0x13); /* Linux: ARE_NS | EnableGrp1A | EnableGrp1 */
	fake_calls_clear();
	return 0;
}

static int setup(void **state)
{
	return setup_n(2, 4);
}

static int setup3(void **state)
{
	return setup_n(3, 4);
}

/* --- Distributor --- */

static void test_gicd_id_registers(void **state)
{
	uint32_t typer = (uint32_t)gicd_rd(GICD_TYPER, 4);

	assert_int_equal(typer & 0x1f, (32 + VGIC_NR_SPIS) / 32 - 1); /* ITLinesNumber */
	assert_int_equal((typer >> 5) & 7, 1);			      /* CPUNumber: 2 vCPUs */
	assert_int_equal((typer >> 19) & 0x1f, 9);		      /* IDbits: 10 bits */
	assert_int_equal(typer & (1u << 17), 0);		      /* no LPIs */
	assert_int_equal(typer & (1u << 16), 0);		      /* no MBIS */
	assert_int_equal((gicd_rd(GICD_PIDR2, 4) >> 4) & 0xf, 3);     /* ArchRev: GICv3 */
	assert_int_equal(gicd_rd(GICD_TYPER2, 4), 0);
	assert_int_not_equal(gicd_rd(GICD_IIDR, 4), 0);
	assert_int_equal(gicd_rd(0xfff0, 4), 0x0d); /* CIDR0 */
}

static void test_gicd_ctlr(void **state)
{
	/* ARE and DS always read as one; the group enables are stored. */
	assert_int_equal(gicd_rd(GICD_CTLR, 4), 0x53);
	gicd_wr(GICD_CTLR, 4, 0);
	assert_int_equal(gicd_rd(GICD_CTLR, 4), 0x50);
	gicd_wr(GICD_CTLR, 4, 0x2);
	assert_int_equal(gicd_rd(GICD_CTLR, 4), 0x52);
}

static void test_gicd_enable_pending_active(void **state)
{
	uint32_t w = reg_word(0, SPI_A);

	assert_int_equal(gicd_rd(GICD_ISENABLER + w, 4), 0);
	gicd_wr(GICD_ISENABLER + w, 4, bit(SPI_A) | bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ISENABLER + w, 4), bit(SPI_A) | bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ICENABLER + w, 4), bit(SPI_A) | bit(SPI_B));
	gicd_wr(GICD_ICENABLER + w, 4, bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ISENABLER + w, 4), bit(SPI_A));

	gicd_wr(GICD_ISPENDR + w, 4, bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ISPENDR + w, 4), bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ICPENDR + w, 4), bit(SPI_B));
	gicd_wr(GICD_ICPENDR + w, 4, bit(SPI_B));
	assert_int_equal(gicd_rd(GICD_ISPENDR + w, 4), 0);

	gicd_wr(GICD_ISACTIVER + w, 4, bit(SPI_A));
	assert_int_equal(gicd_rd(GICD_ICACTIVER + w, 4), bit(SPI_A));
	gicd_wr(GICD_ICACTIVER + w, 4, bit(SPI_A));
	assert_int_equal(gicd_rd(GICD_ISACTIVER + w, 4), 0);
}

static void test_gicd_private_and_unimplemented_raz_wi(void **state)
{
	/* With ARE, the first word of each per-interrupt array is RAZ/WI in GICD. */
	gicd_wr(GICD_ISENABLER, 4, 0xffffffff);
	assert_int_equal(gicd_rd(GICD_ISENABLER, 4), 0);
	assert_false(vm.vcpus[0].vgic.private_irqs[PPI_VTIMER].enabled);
	gicd_wr(GICD_IPRIORITYR, 4, 0x80808080);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR, 4), 0);
	assert_int_equal(vm.vcpus[0].vgic.private_irqs[0].priority, 0);
	assert_int_equal(gicd_rd(GICD_ICFGR, 4), 0);
	/* INTIDs beyond the implemented SPIs. */
	unsigned past = 32 + VGIC_NR_SPIS;

	gicd_wr(reg_word(GICD_ISENABLER, past), 4, 0xffffffff);
	assert_int_equal(gicd_rd(reg_word(GICD_ISENABLER, past), 4), 0);
	gicd_wr(GICD_IROUTER + 8 * past, 8, 1);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * past, 8), 0);
	/* IGRPMODR RAZ/WI. */
	gicd_wr(GICD_IGRPMODR + 4, 4, 0xffffffff);
	assert_int_equal(gicd_rd(GICD_IGRPMODR + 4, 4), 0);
}

static void test_gicd_priority_byte_access(void **state)
{
	gicd_wr(GICD_IPRIORITYR + SPI_A, 1, 0xa0);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + 32, 4), 0xa000);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + SPI_A, 1), 0xa0);
	/* Word write: four priorities, low 3 bits not implemented (5 priority bits). */
	gicd_wr(GICD_IPRIORITYR + 36, 4, 0x11223344);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + 36, 4), 0x10203040);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + 38, 1), 0x20);
	assert_int_equal(vm.vgic.spis[39 - 32].priority, 0x10);
	/* Neighbours untouched by the byte write. */
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + 34, 1), 0);
}

static void test_gicd_config_and_group(void **state)
{
	gicd_wr(GICD_ICFGR + 8, 4, 0x8); /* INTID 33 edge */
	assert_int_equal(gicd_rd(GICD_ICFGR + 8, 4), 0x8);
	assert_true(vm.vgic.spis[1].edge);
	assert_false(vm.vgic.spis[0].edge);
	/* Groups: reset group 1, stored. */
	assert_int_equal(gicd_rd(GICD_IGROUPR + 4, 4), 0xffffffff);
	gicd_wr(GICD_IGROUPR + 4, 4, 0xfffffffd);
	assert_int_equal(gicd_rd(GICD_IGROUPR + 4, 4), 0xfffffffd);
	assert_false(vm.vgic.spis[1].group1);
}

static void test_gicd_irouter(void **state)
{
	gicd_wr(GICD_IROUTER + 8 * SPI_A, 8, 1);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * SPI_A, 8), 1);
	assert_int_equal(vm.vgic.spis[1].target, 1);
	/* 32-bit halves; Aff3 in the upper word names no vCPU of ours. */
	gicd_wr(GICD_IROUTER + 8 * SPI_A + 4, 4, 0x1);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * SPI_A, 8), 0x100000001ULL);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * SPI_A, 4), 1);
	assert_int_equal(vm.vgic.spis[1].target, VGIC_TARGET_NONE);
	/* IRM = 1: any PE; we pick vCPU 0. */
	gicd_wr(GICD_IROUTER + 8 * SPI_A, 8, 1ULL << 31 | 1);
	assert_int_equal(vm.vgic.spis[1].target, 0);
	/* Aff0 beyond the vCPUs: not forwarded. */
	gicd_wr(GICD_IROUTER + 8 * SPI_A, 8, 5);
	assert_int_equal(vm.vgic.spis[1].target, VGIC_TARGET_NONE);
	/* Reserved bits are not stored. */
	gicd_wr(GICD_IROUTER + 8 * SPI_B, 8, 0xffff00007f000001ULL);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * SPI_B, 8), 1);
}

static void test_unknown_and_bad_size_raz_wi(void **state)
{
	assert_int_equal(gicd_rd(0x5000, 4), 0);
	gicd_wr(0x5000, 4, 1);
	assert_true(fake_printk_contains("GICD+0x5000"));
	/* Halfword access to a word register: ignored, the state is untouched. */
	gicd_wr(GICD_CTLR, 2, 0);
	assert_int_equal(gicd_rd(GICD_CTLR, 4), 0x53);
	assert_int_equal(gicd_rd(GICD_CTLR, 2), 0);
	/* Byte access to ISENABLER is not allowed either. */
	gicd_wr(GICD_ISENABLER + 4, 1, 0xff);
	assert_int_equal(gicd_rd(GICD_ISENABLER + 4, 4), 0);
}

static void test_mmio_register_failure(void **state)
{
	static struct vm other = {.name = "x", .nr_vcpus = 1};

	/* Something already at the GICD's address: the registration's error comes back. */
	assert_int_equal(mmio_register(&other, VGIC_GICD_BASE + 0x1000, 0x1000, NULL, NULL), 0);
	assert_int_equal(vgic_vm_init(&other), -ERR_EXIST);
	other.nr_mmio = 0;
	assert_int_equal(vgic_vm_init(&other), 0);
	assert_int_equal(other.nr_mmio, 2); /* GICD and GICR */
	other.nr_mmio = 0;
	other.nr_vcpus = 0;
	assert_true(vgic_vm_init(&other) < 0);
}

/* --- Redistributors --- */

static void test_gicr_typer_last(void **state)
{
	for (unsigned i = 0; i < 3; i++) {
		uint64_t typer = gicr_rd(i, GICR_TYPER, 8);

		assert_int_equal(typer >> 32, i);	    /* Affinity: Aff0 = i */
		assert_int_equal((typer >> 8) & 0xffff, i); /* Processor_Number */
		assert_int_equal((typer >> 4) & 1, i == 2); /* Last */
		assert_int_equal(typer & 1, 0);		    /* no physical LPIs */
		assert_int_equal(gicr_rd(i, GICR_TYPER, 4), typer & 0xffffffff);
		assert_int_equal(gicr_rd(i, GICR_TYPER + 4, 4), typer >> 32);
	}
	assert_int_equal((gicr_rd(1, GICR_PIDR2, 4) >> 4) & 0xf, 3);
	assert_int_equal(gicr_rd(0, GICR_CTLR, 4), 0);
}

static void test_gicr_waker(void **state)
{
	/* Out of reset: ProcessorSleep and ChildrenAsleep. Linux clears the first, polls the
	 * second. */
	assert_int_equal(gicr_rd(1, GICR_WAKER, 4), 0x6);
	gicr_wr(1, GICR_WAKER, 4, 0);
	assert_int_equal(gicr_rd(1, GICR_WAKER, 4), 0);
	assert_int_equal(gicr_rd(0, GICR_WAKER, 4), 0x6); /* per redistributor */
	gicr_wr(1, GICR_WAKER, 4, 0x2);
	assert_int_equal(gicr_rd(1, GICR_WAKER, 4), 0x6);
}

static void test_gicr_sgi_frame(void **state)
{
	/* SGIs reset enabled; PPIs disabled. */
	assert_int_equal(gicr_rd(1, GICR_ISENABLER0, 4), 0xffff);
	gicr_wr(1, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	assert_int_equal(gicr_rd(1, GICR_ISENABLER0, 4), 0xffff | bit(PPI_VTIMER));
	assert_true(vm.vcpus[1].vgic.private_irqs[PPI_VTIMER].enabled);
	assert_false(vm.vcpus[0].vgic.private_irqs[PPI_VTIMER].enabled);
	gicr_wr(1, GICR_ICENABLER0, 4, 0x1);
	assert_int_equal(gicr_rd(1, GICR_ISENABLER0, 4), 0xfffe | bit(PPI_VTIMER));

	gicr_wr(1, GICR_IPRIORITYR + PPI_VTIMER, 1, 0xa0);
	assert_int_equal(gicr_rd(1, GICR_IPRIORITYR + 24, 4), 0xa0000000);
	assert_int_equal(gicr_rd(0, GICR_IPRIORITYR + 24, 4), 0);

	/* SGI configuration is edge and read-only; PPIs are configurable. */
	assert_int_equal(gicr_rd(1, GICR_ICFGR0, 4), 0xaaaaaaaa);
	gicr_wr(1, GICR_ICFGR0, 4, 0);
	assert_int_equal(gicr_rd(1, GICR_ICFGR0, 4), 0xaaaaaaaa);
	gicr_wr(1, GICR_ICFGR1, 4, 0x2);
	assert_int_equal(gicr_rd(1, GICR_ICFGR1, 4), 0x2);
	assert_true(vm.vcpus[1].vgic.private_irqs[16].edge);

	gicr_wr(1, GICR_IGROUPR0, 4, 0xfffffffe);
	assert_int_equal(gicr_rd(1, GICR_IGROUPR0, 4), 0xfffffffe);

	gicr_wr(1, GICR_ISPENDR0, 4, bit(3));
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(3));
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), 0);
	gicr_wr(1, GICR_ICPENDR0, 4, bit(3));
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), 0);
	gicr_wr(1, GICR_ISACTIVER0, 4, bit(4));
	assert_int_equal(gicr_rd(1, GICR_ISACTIVER0, 4), bit(4));
}

/* --- Injection and the list registers --- */

static void test_inject_spi_lr_contents(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	setup_spi(SPI_A, 0xa0, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	assert_int_equal(gicd_rd(reg_word(GICD_ISPENDR, SPI_A), 4), bit(SPI_A));
	vgic_flush(v0);

	struct irqchip_lr lr = fake_gic.lr[0];

	assert_int_equal(LR_STATE(lr), ST_PENDING);
	assert_int_equal(LR_VINTID(lr), SPI_A);
	assert_int_equal(LR_PRIO(lr), 0xa0);
	assert_int_equal(LR_GROUP(lr), 1);
	assert_int_equal(LR_HW(lr), 0);
	assert_int_equal(LR_EOI(lr), 0); /* edge: no maintenance needed */
	assert_int_equal(fake_gic.hcr, HCR_EN);
	assert_int_equal(nr_valid_lrs(), 1);
	assert_int_equal(fake_gic_misr(), 0);

	/* The guest takes it and finishes; the next exit sees the LR empty. */
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	assert_int_equal(gicd_rd(reg_word(GICD_ISACTIVER, SPI_A), 4), bit(SPI_A));
	assert_int_equal(gicd_rd(reg_word(GICD_ISPENDR, SPI_A), 4), 0);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_ACTIVE);
	fake_gic_guest_eoi(SPI_A);
	guest_exit_entry(v0);
	assert_int_equal(gicd_rd(reg_word(GICD_ISACTIVER, SPI_A), 4), 0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(LR_BITS(fake_gic.lr[0]), 0);
	assert_int_equal(v0->vgic.spi_live[0], 0); /* pruned once idle */
}

static void test_edge_repend_while_active(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	setup_spi(SPI_A, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	vgic_inject(&vm, NULL, SPI_A); /* a second edge while the first is active */
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_BOTH);
	assert_int_equal(nr_valid_lrs(), 1); /* one LR per INTID */
}

static void test_inject_ppi_and_priority_order(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ISENABLER0, 4, bit(20) | bit(21));
	gicr_wr(0, GICR_IPRIORITYR + 20, 1, 0xc0);
	gicr_wr(0, GICR_IPRIORITYR + 21, 1, 0x40);
	gicr_wr(0, GICR_IPRIORITYR + 2, 1, 0x80);
	vgic_inject(&vm, v0, 20);
	vgic_inject(&vm, v0, 21);
	vgic_inject(&vm, v0, 2);
	vgic_flush(v0);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), 21);
	assert_int_equal(LR_VINTID(fake_gic.lr[1]), 2);
	assert_int_equal(LR_VINTID(fake_gic.lr[2]), 20);
	assert_int_equal(LR_PRIO(fake_gic.lr[0]), 0x40);
	assert_int_equal(nr_valid_lrs(), 3);
	assert_int_equal(fake_gic_guest_ack(), 21);
	/* A PPI of vCPU 1 never lands in vCPU 0's LRs. */
	gicr_wr(1, GICR_ISENABLER0, 4, bit(22));
	vgic_inject(&vm, &vm.vcpus[1], 22);
	guest_exit_entry(v0);
	assert_int_equal(fake_gic_find_lr(22), -1);
	assert_int_equal(nr_valid_lrs(), 3);
}

static void test_disabled_not_delivered(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicd_wr(GICD_IROUTER + 8 * SPI_B, 8, 0);
	vgic_inject(&vm, NULL, SPI_B); /* not enabled */
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_false(vgic_vcpu_pending(v0));
	/* Enabled, but group 1 disabled at the distributor. */
	gicd_wr(reg_word(GICD_ISENABLER, SPI_B), 4, bit(SPI_B));
	gicd_wr(GICD_CTLR, 4, 0x1);
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_false(vgic_vcpu_pending(v0));
	gicd_wr(GICD_CTLR, 4, 0x3);
	assert_true(vgic_vcpu_pending(v0));
	guest_exit_entry(v0);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), SPI_B);
	/* Group 0 interrupt: LR Group bit clear, gated by EnableGrp0. */
	gicd_wr(reg_word(GICD_IGROUPR, SPI_A), 4, ~bit(SPI_A));
	setup_spi(SPI_A, 0, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	guest_exit_entry(v0);
	int i = fake_gic_find_lr(SPI_A);

	assert_true(i >= 0);
	assert_int_equal(LR_GROUP(fake_gic.lr[i]), 0);
}

static void test_inject_hw_vtimer(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	gicr_wr(0, GICR_IPRIORITYR + PPI_VTIMER, 1, 0xa0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);

	struct irqchip_lr lr = fake_gic.lr[0];

	assert_int_equal(LR_STATE(lr), ST_PENDING);
	assert_int_equal(LR_HW(lr), 1);
	assert_int_equal(LR_PINTID(lr), PPI_VTIMER);
	assert_int_equal(LR_VINTID(lr), PPI_VTIMER);
	assert_int_equal(LR_PRIO(lr), 0xa0);

	/* Pending in an LR: a second injection changes nothing. */
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(LR_BITS(fake_gic.lr[0]), LR_BITS(lr));
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER); /* active: ignored, never pending+active */
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_ACTIVE);
	assert_int_equal(LR_HW(fake_gic.lr[0]), 1);

	/* The guest's EOI deactivates the physical interrupt through the HW bit. */
	fake_gic_guest_eoi(PPI_VTIMER);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], PPI_VTIMER);
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(fake_gic.nr_deactivated, 1); /* not twice */
	assert_false(vgic_vcpu_pending(v0));

	/* Next expiry is injected again. */
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	assert_int_equal(LR_HW(fake_gic.lr[0]), 1);
}

/*
 * The timer tick's fast path (vgic_timer_fast) leaves exactly what sync + vgic_inject_hw +
 * flush leave, in the states it accepts, and declines (changing nothing) in the others: the
 * last tick still active, another interrupt live, the timer disabled.
 */
static void test_vtimer_fast_path(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	struct irqchip_lr generic;

	unsigned hcr_writes;

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	gicr_wr(0, GICR_IPRIORITYR + PPI_VTIMER, 1, 0xa0);
	guest_exit_entry(v0); /* loads the interface */
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	generic = fake_gic.lr[0];
	fake_gic_guest_ack();
	fake_gic_guest_eoi(PPI_VTIMER);
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);

	/* From empty LRs, and from the last tick deactivated by the guest: the generic LR. */
	for (int tick = 0; tick < 2; tick++) {
		assert_true(vgic_timer_fast(v0, PPI_VTIMER));
		assert_int_equal(LR_BITS(fake_gic.lr[0]), LR_BITS(generic));
		assert_int_equal(nr_valid_lrs(), 1);
		assert_true(vgic_vcpu_pending(v0));
		/* Its shadow is right: a generic exit and entry now rewrite nothing. */
		guest_exit_entry(v0);
		assert_int_equal(LR_BITS(fake_gic.lr[0]), LR_BITS(generic));
		assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
		fake_gic_guest_eoi(PPI_VTIMER);
	}
	assert_int_equal(fake_gic.nr_deactivated, 3); /* each by the guest's EOI (HW bit) */

	/* Tick after tick with no exit between (a bind pCPU's steady state): LR0 refilled. */
	hcr_writes = fake_gic.hcr_writes;
	for (int tick = 0; tick < 3; tick++) {
		assert_true(vgic_timer_fast(v0, PPI_VTIMER));
		assert_int_equal(LR_BITS(fake_gic.lr[0]), LR_BITS(generic));
		assert_int_equal(nr_valid_lrs(), 1);
		assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
		fake_gic_guest_eoi(PPI_VTIMER);
	}
	assert_int_equal(fake_gic.nr_deactivated, 6);
	assert_int_equal(fake_gic.hcr_writes, hcr_writes); /* no ICH_HCR_EL2 write on the way */

	/* The last tick still active (its physical one too): declined, nothing changed. */
	assert_true(vgic_timer_fast(v0, PPI_VTIMER));
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	assert_false(vgic_timer_fast(v0, PPI_VTIMER));
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_ACTIVE);
	fake_gic_guest_eoi(PPI_VTIMER);
	guest_exit_entry(v0);

	/* Another interrupt live (an SGI): declined; the generic path loads both. */
	gicr_wr(0, GICR_ISENABLER0, 4, bit(3));
	vgic_inject(&vm, v0, 3);
	assert_false(vgic_timer_fast(v0, PPI_VTIMER));
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 2);
	for (int i = 0; i < 2; i++)
		fake_gic_guest_eoi(fake_gic_guest_ack());
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);

	/* Disabled at the redistributor: declined, the generic path keeps it off the LRs. */
	gicr_wr(0, GICR_ICENABLER0, 4, bit(PPI_VTIMER));
	assert_false(vgic_timer_fast(v0, PPI_VTIMER));
	assert_int_equal(nr_valid_lrs(), 0);
}

/*
 * vgic_timer_due(): a WFI found the virtual timer's condition met before its PPI arrived. The
 * timer is made pending, hardware-linked, with the physical PPI set active as its
 * acknowledgement would leave it (so the guest's EOI deactivates it, once); nothing changes
 * while it is in flight, and a timer disabled at the redistributor is not made pending.
 */
static void test_vtimer_due_at_wfi(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ICENABLER0, 4, bit(PPI_VTIMER));
	guest_exit_entry(v0);
	assert_false(vgic_timer_due(v0)); /* disabled: the guest could not take it */
	assert_false(fake_gic.ppi_active & bit(PPI_VTIMER));
	assert_false(vgic_vcpu_pending(v0));

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	gicr_wr(0, GICR_IPRIORITYR + PPI_VTIMER, 1, 0xa0);
	assert_true(vgic_timer_due(v0));
	assert_true(fake_gic.ppi_active & bit(PPI_VTIMER));
	assert_true(vgic_vcpu_pending(v0));
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	assert_int_equal(LR_HW(fake_gic.lr[0]), 1);
	assert_int_equal(LR_PINTID(fake_gic.lr[0]), PPI_VTIMER);
	/* In flight: the PPI arriving now, or a second WFI, changes nothing. */
	vgic_sync(v0);
	assert_true(vgic_timer_due(v0));
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 1);
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	vgic_sync(v0);
	assert_false(vgic_timer_due(v0)); /* active in the guest */
	vgic_flush(v0);
	fake_gic_guest_eoi(PPI_VTIMER);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_false(fake_gic.ppi_active & bit(PPI_VTIMER));
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_false(vgic_vcpu_pending(v0));
}

/* Issue 12 item 1: the virtual timer's pending state follows its line (ENABLE && ISTATUS &&
 * !IMASK). */
static void test_vtimer_line_dropped_while_disabled(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	fake_knobs.vtimer_line[PPI_VTIMER] = FAKE_LINE_HIGH;
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER); /* fires while disabled at the GICR */
	fake_gic.ppi_active |= 1u << PPI_VTIMER;
	assert_true(gicr_rd(0, GICR_ISPENDR0, 4) & bit(PPI_VTIMER)); /* line high: pending */
	fake_knobs.vtimer_line[PPI_VTIMER] = FAKE_LINE_LOW; /* the guest writes CNTV_CTL_EL0 = 0 */
	assert_false(gicr_rd(0, GICR_ISPENDR0, 4) & bit(PPI_VTIMER));
	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 0); /* not delivered */
	assert_false(vgic_vcpu_pending(v0));
	assert_int_equal(fake_gic.nr_deactivated, 1); /* the physical one is let go */
	assert_int_equal(fake_gic.deactivated[0], PPI_VTIMER);
}

static void test_vtimer_line_held_is_delivered_on_enable(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	fake_knobs.vtimer_line[PPI_VTIMER] = FAKE_LINE_HIGH;
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	assert_int_equal(LR_HW(fake_gic.lr[0]), 1);
}

static void test_vtimer_presented_then_dropped_leaves_lr(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	fake_knobs.vtimer_line[PPI_VTIMER] = FAKE_LINE_HIGH;
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	guest_exit_entry(v0); /* still high: stays */
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	fake_knobs.vtimer_line[PPI_VTIMER] =
	    FAKE_LINE_LOW; /* masked, the guest stops its timer; then it traps */
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(fake_gic.nr_deactivated, 1);
}

static void test_vtimer_hw_deactivation_drops_level(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	fake_gic_guest_eoi(PPI_VTIMER); /* deactivates the physical one: it samples the line now */
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0); /* no software re-injection without the HW link */
	assert_false(vgic_vcpu_pending(v0));
}

static void test_hw_cleared_by_guest_releases_physical(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	/* Timer fires while the guest has it disabled; the guest then clears it by register. */
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	vgic_sync(v0);
	gicr_wr(0, GICR_ICPENDR0, 4, bit(PPI_VTIMER));
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], PPI_VTIMER);
}

/*
 * Found by the trap fuzzer: vCPU 0 clears vCPU 1's pending hardware-linked timer PPI through
 * vCPU 1's redistributor. The physical PPI is active on vCPU 1's pCPU, so vCPU 0 must not
 * deactivate it here; vCPU 1 is kicked and its next flush releases it (else its timer stays
 * silent for good on a bind pCPU).
 */
static void test_hw_ppi_cleared_by_other_vcpu(void **state)
{
	struct vcpu *v1 = &vm.vcpus[1];

	vgic_inject_hw(v1, PPI_VTIMER, PPI_VTIMER); /* disabled: stays pending, off the LRs */
	fake_gic.ppi_active |= 1u << PPI_VTIMER;    /* dropped, not deactivated, by EL2 */
	current_vcpu = v1;
	vgic_flush(v1);
	vgic_sync(v1);
	vgic_vcpu_save(v1); /* v1 leaves; pending, so the physical one goes with it */
	assert_int_equal(fake_gic.nr_deactivated, 1);
	vgic_vcpu_restore(v1);
	assert_true(fake_gic.ppi_active & (1u << PPI_VTIMER));

	fake_knobs.vtimer_line[PPI_VTIMER] =
	    FAKE_LINE_LOW; /* back on its pCPU, the guest stops its timer, then clears */
	current_vcpu = &vm.vcpus[0];
	fake_calls_clear();
	gicr_wr(1, GICR_ICPENDR0, 4, bit(PPI_VTIMER));
	assert_int_equal(fake_gic.nr_deactivated, 1); /* not from vCPU 0's pCPU */
	assert_int_equal(KICKS(1), 1);

	current_vcpu = v1;
	vgic_flush(v1);
	assert_int_equal(fake_gic.nr_deactivated, 2);
	assert_int_equal(fake_gic.deactivated[1], PPI_VTIMER);
	guest_exit_entry(v1);
	assert_int_equal(fake_gic.nr_deactivated, 2); /* once */
}

/* The same while vCPU 1 is off its pCPU: its restore does not set the physical PPI active. */
static void test_hw_ppi_cleared_while_saved(void **state)
{
	struct vcpu *v1 = &vm.vcpus[1];

	fake_knobs.vtimer_line[PPI_VTIMER] =
	    FAKE_LINE_LOW; /* the guest stopped its timer before clearing it */
	vgic_inject_hw(v1, PPI_VTIMER, PPI_VTIMER);
	fake_gic.ppi_active |= 1u << PPI_VTIMER;
	current_vcpu = v1;
	vgic_flush(v1);
	vgic_sync(v1);
	vgic_vcpu_save(v1);
	assert_false(fake_gic.ppi_active & (1u << PPI_VTIMER));
	current_vcpu = &vm.vcpus[0];
	gicr_wr(1, GICR_ICPENDR0, 4, bit(PPI_VTIMER));
	current_vcpu = v1;
	vgic_vcpu_restore(v1);
	assert_false(fake_gic.ppi_active & (1u << PPI_VTIMER));
	vgic_flush(v1);
	assert_int_equal(nr_valid_lrs(), 0);
	/* The timer fires again later: injected and linked as usual. */
	gicr_wr(1, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_sync(v1);
	vgic_inject_hw(v1, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v1);
	assert_int_equal(LR_HW(fake_gic.lr[0]), 1);
}

static void test_overflow_uie_npie(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	static const unsigned ids[6] = {40, 41, 42, 43, 44, 45};
	static const uint8_t prios[6] = {0xa0, 0x20, 0x60, 0x80, 0x40, 0xc0};

	for (unsigned i = 0; i < 6; i++) {
		setup_spi(ids[i], prios[i], true, 0);
		vgic_inject(&vm, NULL, ids[i]);
	}
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 4);
	/* The four best: 0x20 (41), 0x40 (44), 0x60 (42), 0x80 (43). */
	assert_true(fake_gic_find_lr(41) >= 0);
	assert_true(fake_gic_find_lr(44) >= 0);
	assert_true(fake_gic_find_lr(42) >= 0);
	assert_true(fake_gic_find_lr(43) >= 0);
	assert_int_equal(fake_gic_find_lr(40), -1);
	assert_int_equal(fake_gic_find_lr(45), -1);
	assert_int_equal(fake_gic.hcr & (HCR_EN | HCR_UIE | HCR_NPIE), HCR_EN | HCR_UIE | HCR_NPIE);
	assert_int_equal(fake_gic_misr(), 0);
	assert_true(vgic_vcpu_pending(v0));

	/* The guest works through them; the hardware raises the maintenance interrupt. */
	for (unsigned i = 0; i < 4; i++) {
		uint32_t id = fake_gic_guest_ack();

		assert_int_not_equal(id, 1023);
		fake_gic_guest_eoi(id);
	}
	assert_int_equal(fake_gic_misr() & (MISR_U | MISR_NP), MISR_U | MISR_NP);
	vgic_maintenance(v0);
	assert_int_equal(fake_gic_misr(), 0);
	assert_int_equal(nr_valid_lrs(), 2);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), 40); /* 0xa0 before 0xc0 */
	assert_int_equal(LR_VINTID(fake_gic.lr[1]), 45);
	assert_int_equal(fake_gic.hcr, HCR_EN); /* everything fits now */
	for (unsigned i = 0; i < 2; i++)
		fake_gic_guest_eoi(fake_gic_guest_ack());
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_false(vgic_vcpu_pending(v0));
}

static void test_overflow_keeps_active_loaded(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	/* An active low-priority interrupt must keep its LR against pending better ones. */
	setup_spi(50, 0xf0, true, 0);
	vgic_inject(&vm, NULL, 50);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), 50);
	vgic_sync(v0);
	for (unsigned i = 0; i < 5; i++) {
		setup_spi(60 + i, 0x10, true, 0);
		vgic_inject(&vm, NULL, 60 + i);
	}
	vgic_flush(v0);
	int i = fake_gic_find_lr(50);

	assert_true(i >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_ACTIVE);
	assert_int_equal(nr_valid_lrs(), 4);
	/* Overflowing: non-HW LRs also ask for an EOI maintenance interrupt. */
	assert_int_equal(LR_EOI(fake_gic.lr[i]), 1);
	fake_gic_guest_eoi(50);
	assert_int_equal(fake_gic_misr() & MISR_EOI, MISR_EOI);
	assert_int_equal(fake_gic.hcr >> 27, 0); /* the EOI found its LR */
}

/*
 * Found by the RTOS's fuzzer: SGIs it set active through GICR_ISACTIVER0 (never acknowledged)
 * filled all 4 LRs, so the enabled pending SGI its scheduler needed never reached an LR; WFI
 * then returned at once forever. On hardware an interrupt set active that way blocks nothing:
 * pending interrupts go first, the unacknowledged active ones take what LRs are left.
 */
static void test_set_active_does_not_crowd_out_pending(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	int lr;

	gicr_wr(0, GICR_ISACTIVER0, 4, bit(5) | bit(6) | bit(7) | bit(12) | bit(13));
	vgic_inject(&vm, v0, 0); /* SGI 0: enabled at reset */
	vgic_flush(v0);
	lr = fake_gic_find_lr(0);
	assert_true(lr >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[lr]), ST_PENDING);
	assert_int_equal(nr_valid_lrs(), 4); /* the rest still carry active ones */
	assert_int_equal(fake_gic_guest_ack(), 0);
	fake_gic_guest_eoi(0);
	guest_exit_entry(v0);
	assert_int_equal(fake_gic_find_lr(0), -1);
	assert_int_equal(gicr_rd(0, GICR_ISACTIVER0, 4),
			 bit(5) | bit(6) | bit(7) | bit(12) | bit(13));
	/* Acknowledged interrupts keep their LR first, as before: the guest's EOI needs it. */
	setup_spi(SPI_A, 0xf0, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	vgic_inject(&vm, v0, 0);
	vgic_flush(v0);
	lr = fake_gic_find_lr(SPI_A);
	assert_true(lr >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[lr]), ST_ACTIVE);
	assert_true(fake_gic_find_lr(0) >= 0);
	/* Cleared through GICR_ICACTIVER0 (a trap: sync, access, flush), they are gone. */
	vgic_sync(v0);
	gicr_wr(0, GICR_ICACTIVER0, 4, 0xffff);
	vgic_flush(v0);
	assert_int_equal(gicr_rd(0, GICR_ISACTIVER0, 4), 0);
}

static void test_one_lr_no_underflow_storm(void **state)
{
	struct vcpu *v0;

	setup_n(2, 1);
	v0 = &vm.vcpus[0];
	setup_spi(SPI_A, 0x80, true, 0);
	setup_spi(SPI_B, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_inject(&vm, NULL, SPI_B);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 1);
	/* With one LR "at most one valid" is always true: UIE would fire forever. */
	assert_int_equal(fake_gic.hcr & HCR_UIE, 0);
	assert_int_equal(fake_gic_misr(), 0);
	fake_gic_guest_eoi(fake_gic_guest_ack());
	assert_int_not_equal(fake_gic_misr(), 0);
	vgic_maintenance(v0);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), SPI_B);
}

static void test_overflow_all_active_no_np_storm(void **state)
{
	struct vcpu *v0;

	setup_n(2, 2);
	v0 = &vm.vcpus[0];
	/* Two nested actives fill both LRs; a third interrupt waits. */
	setup_spi(SPI_A, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	setup_spi(SPI_B, 0x40, true, 0);
	vgic_inject(&vm, NULL, SPI_B);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_B);
	vgic_sync(v0);
	setup_spi(50, 0x20, true, 0);
	vgic_inject(&vm, NULL, 50);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_ACTIVE);
	assert_int_equal(LR_STATE(fake_gic.lr[1]), ST_ACTIVE);
	assert_int_equal(fake_gic_find_lr(50), -1);
	/* No pending LR: NPIE would fire at once and forever. The EOIs trap instead. */
	assert_int_equal(fake_gic.hcr & HCR_NPIE, 0);
	assert_int_equal(fake_gic_misr(), 0);
	fake_gic_guest_eoi(SPI_B);
	assert_int_equal(fake_gic_misr() & MISR_EOI, MISR_EOI);
	vgic_maintenance(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[fake_gic_find_lr(50)]), ST_PENDING);
	assert_int_equal(fake_gic_misr(), 0);
}

static void test_hw_edge_not_repended_while_active(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ICFGR1, 4, 2u << (2 * (PPI_VTIMER - 16))); /* edge this time */
	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER); /* must not queue a second, software one */
	vgic_flush(v0);
	fake_gic_guest_eoi(PPI_VTIMER);
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), 0);
}

static void test_rerouted_spi_leaves_running_vcpu(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];

	/* vCPU 0 runs with the SPI pending in an LR; vCPU 1, on another pCPU, re-routes it. */
	setup_spi(SPI_A, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	current_vcpu = v1;
	gicd_wr(GICD_IROUTER + 8 * SPI_A, 8, 1);
	assert_int_equal(KICKS(1), 0); /* vCPU 0 may still take it: it was signalled there */
	/* vCPU 0 exits without having taken it: the SPI goes to its new target. */
	current_vcpu = v0;
	vgic_sync(v0);
	assert_int_equal(KICKS(1), 1);
	vgic_flush(v0);
	assert_int_equal(fake_gic_find_lr(SPI_A), -1);
	assert_false(vgic_vcpu_pending(v0));
	assert_true(vgic_vcpu_pending(v1));
}

static void test_level_repend_after_eoi(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	uint32_t pend = reg_word(GICD_ISPENDR, SPI_A);

	setup_spi(SPI_A, 0xa0, false, 0); /* level, as the PL011 */
	vgic_set_level(&vm, SPI_A, true);
	assert_int_equal(gicd_rd(pend, 4), bit(SPI_A));
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	assert_int_equal(LR_EOI(fake_gic.lr[0]), 1); /* EOI traps so the line is resampled */

	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	guest_exit_entry(v0); /* e.g. an unrelated trap while handling it */
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_ACTIVE); /* level: never pending+active */

	/* EOI with the line still high: maintenance, then pending again. */
	fake_gic_guest_eoi(SPI_A);
	assert_int_equal(fake_gic_eisr(), 1);
	assert_int_equal(fake_gic_misr() & MISR_EOI, MISR_EOI);
	vgic_maintenance(v0);
	assert_int_equal(fake_gic_misr(), 0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), SPI_A);

	/* The guest drains the device (line low) before its EOI: no re-pend. */
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	vgic_set_level(&vm, SPI_A, false);
	vgic_flush(v0);
	fake_gic_guest_eoi(SPI_A);
	vgic_maintenance(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(LR_BITS(fake_gic.lr[0]), 0);
	assert_int_equal(gicd_rd(pend, 4), 0);
	assert_false(vgic_vcpu_pending(v0));
}

static void test_level_dropped_before_ack(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	setup_spi(SPI_A, 0xa0, false, 0);
	vgic_set_level(&vm, SPI_A, true);
	vgic_flush(v0);
	vgic_sync(v0);
	vgic_set_level(&vm, SPI_A, false);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 0); /* withdrawn, not left pending */
	/* ISPENDR on a level interrupt: pending until acknowledged, even with the line low. */
	gicd_wr(reg_word(GICD_ISPENDR, SPI_A), 4, bit(SPI_A));
	guest_exit_entry(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
	fake_gic_guest_eoi(fake_gic_guest_ack());
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
}

static void test_spi_routing_and_kicks(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];

	current_vcpu = v0;
	setup_spi(SPI_A, 0xa0, true, 1);
	vgic_inject(&vm, NULL, SPI_A);
	assert_int_equal(KICKS(1), 1);
	assert_int_equal(KICKS(0), 0);
	assert_true(v1->vgic.kick_pending);
	assert_int_equal(v1->stats.injected, 1);
	vgic_flush(v0);
	assert_int_equal(fake_gic_find_lr(SPI_A), -1); /* not vCPU 0's */
	assert_false(vgic_vcpu_pending(v0));
	assert_true(vgic_vcpu_pending(v1));

	/* Injection for the vCPU running here: no kick, its entry path flushes. */
	setup_spi(SPI_B, 0xa0, true, 0);
	vgic_inject(&vm, NULL, SPI_B);
	assert_int_equal(KICKS(0), 0);
	/* Disabled: no point kicking. Enabling it later does. */
	gicd_wr(GICD_IROUTER + 8 * 50, 8, 1);
	vgic_inject(&vm, NULL, 50);
	assert_int_equal(KICKS(1), 1);
	gicd_wr(reg_word(GICD_ISENABLER, 50), 4, bit(50));
	assert_int_equal(KICKS(1), 2);
	/* Re-routing a pending SPI to another vCPU kicks the new target. */
	gicd_wr(GICD_IROUTER + 8 * SPI_B, 8, 1);
	assert_int_equal(KICKS(1), 3);

	/* vCPU 1 runs (it is current on its own pCPU): both land in its LRs. */
	current_vcpu = v1;
	vgic_flush(v1);
	assert_false(v1->vgic.kick_pending);
	assert_true(fake_gic_find_lr(SPI_A) >= 0);
	assert_true(fake_gic_find_lr(SPI_B) >= 0);
	assert_true(fake_gic_find_lr(50) >= 0);
}

static void test_active_spi_stays_with_its_vcpu(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];

	setup_spi(SPI_A, 0xa0, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	/* Re-routed while active on vCPU 0: it is deactivated there, not moved. */
	gicd_wr(GICD_IROUTER + 8 * SPI_A, 8, 1);
	vgic_vcpu_save(v0);
	fake_gic_reset(4);
	vgic_vcpu_restore(v1);
	vgic_flush(v1);
	assert_int_equal(fake_gic_find_lr(SPI_A), -1);
	vgic_vcpu_save(v1);
	vgic_vcpu_restore(v0);
	vgic_flush(v0);
	int i = fake_gic_find_lr(SPI_A);

	assert_true(i >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_ACTIVE);
}

static void test_spi_in_flight_survives_other_flush(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];

	/* vCPU 0 holds a pending SPI in an LR while vCPU 1 enters on another pCPU. */
	setup_spi(SPI_A, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	struct irqchip_lr lrs[FAKE_GIC_MAX_LRS];

	memcpy(lrs, fake_gic.lr, sizeof(lrs));
	current_vcpu = v1;
	vgic_vcpu_restore(v1);
	vgic_flush(v1);
	assert_int_equal(fake_gic_find_lr(SPI_A), -1);
	/* Back on vCPU 0's pCPU: its LRs are as it left them; it exits without taking it. */
	current_vcpu = v0;
	memcpy(fake_gic.lr, lrs, sizeof(lrs));
	guest_exit_entry(v0);
	int i = fake_gic_find_lr(SPI_A);

	assert_true(i >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_PENDING);
}

static void test_private_traffic_skips_vm_lock(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	/* An SPI pending for vCPU 1 concerns only vCPU 1. */
	setup_spi(SPI_A, 0x80, true, 1);
	vgic_inject(&vm, NULL, SPI_A);
	/* Another pCPU holds the VM lock (the fake aborts if vCPU 0 tried to take it). */
	spin_lock(&vm.vgic.lock);
	vgic_inject(&vm, v0, 1);
	vgic_flush(v0);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), 1);
	assert_true(vgic_vcpu_pending(v0));
	fake_gic_guest_eoi(fake_gic_guest_ack());
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	spin_unlock(&vm.vgic.lock);
}

static void test_pending_spi_survives_cpu_on(void **state)
{
	struct vcpu *v1 = &vm.vcpus[1];

	setup_spi(SPI_A, 0x80, true, 1);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_vcpu_init(v1); /* PSCI CPU_ON of the target */
	current_vcpu = v1;
	vgic_flush(v1);
	assert_true(fake_gic_find_lr(SPI_A) >= 0);
}

static void test_sgi1r_targets(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	current_vcpu = v0;
	/* TargetList {1, 2}, INTID 5: the sender is not a target (nothing of its own to flush). */
	assert_false(vgic_sgi_write(v0, 5ULL << 24 | 0x6, false));
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), 0);
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(5));
	assert_int_equal(gicr_rd(2, GICR_ISPENDR0, 4), bit(5));
	assert_int_equal(KICKS(0), 0);
	assert_int_equal(KICKS(1), 1);
	assert_int_equal(KICKS(2), 1);

	/* IRM: everyone but the sender. */
	assert_false(vgic_sgi_write(&vm.vcpus[2], 1ULL << 40 | 9ULL << 24, false));
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), bit(9));
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(5) | bit(9));
	assert_int_equal(gicr_rd(2, GICR_ISPENDR0, 4), bit(5));

	/* Aff1 / Aff2 / Aff3 != 0, or a range selector past our vCPUs: nobody. */
	vgic_sgi_write(v0, 1ULL << 16 | 3ULL << 24 | 0x7, false);
	vgic_sgi_write(v0, 1ULL << 32 | 3ULL << 24 | 0x7, false);
	vgic_sgi_write(v0, 1ULL << 48 | 3ULL << 24 | 0x7, false);
	vgic_sgi_write(v0, 1ULL << 44 | 3ULL << 24 | 0x7, false);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(gicr_rd(i, GICR_ISPENDR0, 4) & bit(3), 0);
	/* Aff0 past the last vCPU is ignored, the others still get it: the sender itself here. */
	assert_true(vgic_sgi_write(v0, 4ULL << 24 | 0x81, false));
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), bit(4) | bit(9));

	/* The SGI lands in vCPU 1's LRs when it runs. */
	current_vcpu = &vm.vcpus[1];
	vgic_flush(&vm.vcpus[1]);
	int i = fake_gic_find_lr(5);

	assert_true(i >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_PENDING);
	assert_int_equal(LR_EOI(fake_gic.lr[i]), 0);
}

/*
 * An exchange of SGIs: the same SGI sent again once the guest is done with it (ELRSR) goes back
 * into LR0 by refilling it alone (no control write), with the state the fold and the pick would
 * give (pending in the LR, not in the distributor's view of it). While the guest still holds
 * it active, the generic path makes the LR pending and active, and the refill resumes after.
 */
static void test_sgi_again_refills_lr0(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];
	struct vgic_irq *irq = &v1->vgic.private_irqs[5];
	unsigned hcr_writes;

	(void)state;
	current_vcpu = v1;
	vgic_flush(v1);
	for (unsigned round = 0; round < 3; round++) {
		hcr_writes = fake_gic.hcr_writes;
		assert_false(vgic_sgi_write(v0, 5ULL << 24 | 0x2, false));
		vgic_flush(v1);
		assert_int_equal(fake_gic_find_lr(5), 0);
		assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
		assert_int_equal(LR_EOI(fake_gic.lr[0]), 0);
		assert_false(irq->pending);
		assert_int_equal(irq->lr, 0);
		if (round == 2) /* rounds 0 and 1 took the generic path: empty, then a fold */
			assert_int_equal(fake_gic.hcr_writes, hcr_writes);
		assert_int_equal(fake_gic_guest_ack(), 5);
		fake_gic_guest_eoi(5);
		if (round == 0) {
			vgic_sync(v1); /* an exit in between: the LR folded, then re-sent */
			assert_false(irq->active);
			assert_int_equal(irq->lr, -1);
		}
	}
	/* Taken but not deactivated yet when it comes again: pending and active in LR0. */
	assert_false(vgic_sgi_write(v0, 5ULL << 24 | 0x2, false));
	vgic_flush(v1);
	assert_int_equal(fake_gic_guest_ack(), 5);
	assert_false(vgic_sgi_write(v0, 5ULL << 24 | 0x2, false));
	vgic_flush(v1);
	assert_int_equal(fake_gic_find_lr(5), 0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_BOTH);
	assert_true(irq->active);
	fake_gic_guest_eoi(5);
	assert_int_equal(fake_gic_guest_ack(), 5);
	fake_gic_guest_eoi(5);
	/* Not sent again: the next flush empties LR0 (the generic path). */
	vgic_flush(v1);
	assert_int_equal(fake_gic_find_lr(5), -1);
	assert_false(irq->active);
	assert_false(irq->pending);
	/* Sent again after that: the generic path fills LR0 once more. */
	assert_false(vgic_sgi_write(v0, 5ULL << 24 | 0x2, false));
	vgic_flush(v1);
	assert_int_equal(fake_gic_find_lr(5), 0);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);
}

/*
 * Found by the trap fuzzer: ICC_SGI0R_EL1 and ICC_ASGI1R_EL1 writes were ignored. With
 * GICD_CTLR.DS = 1 they signal Group 0 SGIs (a target gets one only if it has that SGI in
 * Group 0); ICC_SGI1R_EL1 signals either group.
 */
static void test_sgi0r_group0_only(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	current_vcpu = v0;
	gicr_wr(1, GICR_IGROUPR0, 4, ~bit(3)); /* vCPU 1: SGI 3 in Group 0, the rest Group 1 */
	vgic_sgi_write(v0, 3ULL << 24 | 0x2, true);
	vgic_sgi_write(v0, 4ULL << 24 | 0x2, true);
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(3));
	vgic_sgi_write(v0, 1ULL << 40 | 6ULL << 24, true); /* IRM, Group 1 everywhere: nobody */
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(3));
	assert_int_equal(gicr_rd(0, GICR_ISPENDR0, 4), 0);
	vgic_sgi_write(v0, 4ULL << 24 | 0x2, false); /* SGI1R: either group */
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), bit(3) | bit(4));
}

static void test_save_restore(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	unsigned writes;

	vgic_vcpu_restore(v0);
	fake_gic.vmcr = 0xf0000003;
	fake_gic.apr[1][0] = 0x10000;
	setup_spi(SPI_A, 0x80, true, 0);
	setup_spi(SPI_B, 0x90, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_inject(&vm, NULL, SPI_B);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_sync(v0);
	vgic_vcpu_save(v0);
	assert_int_equal(v0->vgic.vif.vmcr, 0xf0000003);
	assert_int_equal(v0->vgic.vif.apr[1][0], 0x10000);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(fake_gic.hcr, 0);
	assert_false(v0->vgic.loaded);
	/* Folded: active and pending states are in the distributor view. */
	assert_int_equal(gicd_rd(reg_word(GICD_ISACTIVER, SPI_A), 4), bit(SPI_A));
	assert_int_equal(gicd_rd(reg_word(GICD_ISPENDR, SPI_B), 4), bit(SPI_B));

	/* Restored on the pCPU its own save left empty: the LRs are not written again. */
	writes = fake_gic.lr_writes + fake_gic.hcr_writes;
	vgic_vcpu_restore(v0);
	assert_int_equal(fake_gic.lr_writes + fake_gic.hcr_writes, writes);
	assert_int_equal(fake_gic.vmcr, 0xf0000003);
	vgic_vcpu_save(v0);

	/* Another vCPU used the interface meanwhile (restored here: the LRs are its own). */
	vgic_vcpu_restore(&vm.vcpus[1]);
	fake_gic.vmcr = 0;
	fake_gic.apr[1][0] = 0;
	fake_gic.lr[2] = irqchip_lr_make(0x77, 0, 0, IRQCHIP_LR_PENDING);
	vgic_vcpu_restore(v0);
	assert_int_equal(fake_gic.vmcr, 0xf0000003);
	assert_int_equal(fake_gic.apr[1][0], 0x10000);
	assert_int_equal(LR_BITS(fake_gic.lr[2]), 0);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[fake_gic_find_lr(SPI_A)]), ST_ACTIVE);
	assert_int_equal(LR_STATE(fake_gic.lr[fake_gic_find_lr(SPI_B)]), ST_PENDING);
}

static void test_save_releases_hw_ppi(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	gicr_wr(0, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(fake_gic_guest_ack(), PPI_VTIMER);
	vgic_sync(v0);
	/* The vCPU leaves this pCPU (CPU_OFF, VM reset) with its timer interrupt active. */
	vgic_vcpu_save(v0);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], PPI_VTIMER);
	/* Back again: still active for the guest, now without the HW link. */
	vgic_vcpu_restore(v0);
	vgic_flush(v0);
	int i = fake_gic_find_lr(PPI_VTIMER);

	assert_true(i >= 0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_ACTIVE);
	assert_int_equal(LR_HW(fake_gic.lr[i]), 0);
	/* The line is still up: the physical one fires again and is linked to the active one. */
	vgic_sync(v0);
	vgic_inject_hw(v0, PPI_VTIMER, PPI_VTIMER);
	vgic_flush(v0);
	assert_int_equal(LR_STATE(fake_gic.lr[i]), ST_ACTIVE);
	assert_int_equal(LR_HW(fake_gic.lr[i]), 1);
	fake_gic_guest_eoi(PPI_VTIMER);
	assert_int_equal(fake_gic.nr_deactivated, 2);
	guest_exit_entry(v0);
	assert_int_equal(nr_valid_lrs(), 0);
}

static void test_flush_restores_if_needed_and_is_idempotent(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	unsigned writes;

	v0->vgic.vif.vmcr = 0xf0000002;
	fake_gic.lr[1] = irqchip_lr_make(0x99, 0, 0, IRQCHIP_LR_PENDING); /* UNKNOWN */
	setup_spi(SPI_A, 0x80, true, 0);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_flush(v0);
	assert_int_equal(fake_gic.vmcr, 0xf0000002);
	assert_int_equal(LR_BITS(fake_gic.lr[1]), 0);
	struct irqchip_lr lr0 = fake_gic.lr[0];

	/* Flush again (e.g. maintenance, then the exit path): same LRs, no LR writes. */
	writes = fake_gic.lr_writes;
	vgic_flush(v0);
	vgic_sync(v0);
	vgic_sync(v0);
	vgic_flush(v0);
	assert_int_equal(LR_BITS(fake_gic.lr[0]), LR_BITS(lr0));
	assert_int_equal(fake_gic.lr_writes, writes);
	assert_int_equal(nr_valid_lrs(), 1);
}

/*
 * A trap with no interrupt in flight (a hypercall, an MMIO access) touches neither the
 * list registers nor ICH_HCR_EL2 nor a lock; anything in flight, an LR left to empty or a
 * fresh load still takes the full flush.
 */
static void test_quiet_trap_skips_the_flush(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];
	unsigned lr_writes, hcr_writes;

	vgic_flush(v0); /* first entry: restores, writes ICH_HCR_EL2 */
	assert_int_equal(fake_gic.hcr, HCR_EN);
	lr_writes = fake_gic.lr_writes;
	hcr_writes = fake_gic.hcr_writes;
	guest_exit_entry(v0);
	guest_exit_entry(v0);
	assert_int_equal(fake_gic.lr_writes, lr_writes);
	assert_int_equal(fake_gic.hcr_writes, hcr_writes);

	/* Another vCPU sends it an SGI: the next entry loads it. */
	current_vcpu = &vm.vcpus[1];
	vgic_sgi_write(&vm.vcpus[1], (1ULL << 24) | 1, false); /* SGI 1 to vCPU 0 */
	current_vcpu = v0;
	assert_int_equal(KICKS(0), 1);
	guest_exit_entry(v0);
	assert_int_equal(LR_VINTID(fake_gic.lr[0]), 1);
	assert_int_equal(LR_STATE(fake_gic.lr[0]), ST_PENDING);

	/* Taken and finished by the guest: the LR it leaves behind is emptied once. */
	assert_int_equal(fake_gic_guest_ack(), 1);
	fake_gic_guest_eoi(1);
	guest_exit_entry(v0);
	assert_int_equal(LR_BITS(fake_gic.lr[0]), 0);
	assert_int_equal(nr_valid_lrs(), 0);
	lr_writes = fake_gic.lr_writes;
	hcr_writes = fake_gic.hcr_writes;
	guest_exit_entry(v0);
	assert_int_equal(fake_gic.lr_writes, lr_writes);
	assert_int_equal(fake_gic.hcr_writes, hcr_writes);

	/* Switched out and back in: the flush after the restore is a full one. */
	vgic_vcpu_save(v0);
	assert_int_equal(fake_gic.hcr, 0);
	vgic_vcpu_restore(v0);
	vgic_flush(v0);
	assert_int_equal(fake_gic.hcr, HCR_EN);
	assert_int_equal(fake_arch.locks_held, 0);
}

static void test_vcpu_pending(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	assert_false(vgic_vcpu_pending(v0));
	vgic_inject(&vm, v0, 2); /* SGIs are enabled out of reset */
	assert_true(vgic_vcpu_pending(v0));
	vgic_flush(v0);
	assert_true(vgic_vcpu_pending(v0)); /* in an LR, still pending */
	assert_int_equal(fake_gic_guest_ack(), 2);
	vgic_sync(v0);
	assert_false(vgic_vcpu_pending(v0)); /* active only */
	gicr_wr(0, GICR_ICENABLER0, 4, bit(3));
	vgic_inject(&vm, v0, 3);
	assert_false(vgic_vcpu_pending(v0));
}

static void test_bad_intids_ignored(void **state)
{
	struct vcpu *v0 = &vm.vcpus[0];

	vgic_inject(&vm, NULL, 5); /* private without a vCPU */
	vgic_inject(&vm, NULL, 32 + VGIC_NR_SPIS);
	vgic_set_level(&vm, 20, true); /* not an SPI */
	vgic_inject_hw(v0, 1023, 27);
	vgic_flush(v0);
	assert_int_equal(nr_valid_lrs(), 0);
	assert_int_equal(v0->vgic.spi_live[0] | v0->vgic.spi_live[1], 0);
	assert_int_equal(v0->vgic.private_live, 0);
}

static void test_vm_reset(void **state)
{
	unsigned regions = vm.nr_mmio;

	setup_spi(SPI_A, 0x80, true, 1);
	vgic_inject(&vm, NULL, SPI_A);
	vgic_vm_reset(&vm);
	assert_int_equal(vm.nr_mmio, regions); /* regions kept */
	assert_int_equal(gicd_rd(GICD_CTLR, 4), 0x50);
	assert_int_equal(gicd_rd(reg_word(GICD_ISENABLER, SPI_A), 4), 0);
	assert_int_equal(gicd_rd(reg_word(GICD_ISPENDR, SPI_A), 4), 0);
	assert_int_equal(gicd_rd(GICD_IROUTER + 8 * SPI_A, 8), 0);
	assert_int_equal(gicd_rd(GICD_IPRIORITYR + SPI_A, 1), 0);
	assert_int_equal(vm.vcpus[1].vgic.spi_live[0], 0);
}

static void test_vcpu_init_resets_private_state(void **state)
{
	struct vcpu *v1 = &vm.vcpus[1];

	gicr_wr(1, GICR_ISENABLER0, 4, bit(PPI_VTIMER));
	gicr_wr(1, GICR_WAKER, 4, 0);
	vgic_inject(&vm, v1, 7);
	vgic_vcpu_init(v1); /* PSCI CPU_ON */
	assert_int_equal(gicr_rd(1, GICR_ISENABLER0, 4), 0xffff);
	assert_int_equal(gicr_rd(1, GICR_ISPENDR0, 4), 0);
	assert_int_equal(gicr_rd(1, GICR_WAKER, 4), 0x6);
	assert_int_equal(v1->vgic.nr_lrs, 4);
}

/* --- The data-abort fast path's view (vgic_mmio_fast, then vgic_mmio_state) --- */

/* Whether two copies of an object are the same, byte for byte (padding included: both come
 * from one copy, written field by field). */
static bool same_bytes(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* An access as the fast path makes it; kind: what vgic_mmio_fast() said. */
static uint64_t fast_access(struct vcpu *who, ipa_t addr, unsigned size, bool write, uint64_t val,
			    enum vgic_mmio_fast *kind)
{
	struct mmio_access acc = {.addr = addr,
				  .size = size,
				  .write = write,
				  .value = write ? val : 0xdeadbeefdeadbeefULL};

	*kind = vgic_mmio_fast(who, &acc);
	if (*kind == VGIC_MMIO_STATE)
		vgic_mmio_state(who, &acc);
	assert_int_equal(fake_arch.locks_held, 0);
	return acc.value;
}

/* Some state in every kind of register: SPIs set up, pending, active, a PPI enabled. */
static void busy_state(void)
{
	setup_spi(SPI_A, 0xa0, true, 1);
	setup_spi(SPI_B, 0x40, false, 0);
	gicd_wr(reg_word(GICD_ISPENDR, SPI_A), 4, bit(SPI_A));
	gicd_wr(reg_word(GICD_ISACTIVER, SPI_B), 4, bit(SPI_B));
	gicr_wr(1, GICR_ISENABLER0, 4, bit(PPI_VTIMER) | 0xff);
	gicr_wr(0, GICR_IPRIORITYR + 20, 1, 0x80);
	gicr_wr(1, GICR_WAKER, 4, 2);
}

/* The offsets of a 64 KiB frame tried: every halfword of the register tables' low part, then
 * a sample of the rest, IROUTER and the ID registers. */
static bool offset_tried(uint32_t off)
{
	return (off < 0x1000 && off % 2 == 0) || off % 0x40 == 0 ||
	       (off >= 0x6000 && off < 0x6400 && off % 4 == 0) || (off >= 0xffc0 && off % 2 == 0);
}

/*
 * Every read the fast path makes gives what the MMIO table's handler gives, at every size and
 * alignment; the ones it answers on its own (no sync, no flush) change nothing and log nothing.
 */
static void test_fast_path_reads_as_the_table(void **state)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	unsigned done = 0, other = 0;

	busy_state();
	for (unsigned frame = 0; frame < 1 + 2 * vm.nr_vcpus; frame++) {
		ipa_t base = frame == 0 ? VGIC_GICD_BASE : VGIC_GICR_BASE + (frame - 1) * 0x10000;

		for (uint32_t off = 0; off < 0x10000; off++) {
			if (!offset_tried(off))
				continue;
			for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
				struct vcpu *who = &vm.vcpus[frame % vm.nr_vcpus];
				unsigned long printks = fake_arch.printks;
				enum vgic_mmio_fast kind;
				uint64_t want, got;

				if (off + sizes[i] > 0x10000)
					continue; /* the helper's regions hold it whole */
				want = guest_access(who, base + off, sizes[i], false, 0);
				printks = fake_arch.printks - printks;
				fake_calls_clear();
				got = fast_access(who, base + off, sizes[i], false, 0, &kind);
				if (got != want)
					fail_msg("read of 0x%llx (%u bytes): %#llx, table %#llx",
						 (unsigned long long)(base + off), sizes[i],
						 (unsigned long long)got, (unsigned long long)want);
				assert_int_not_equal(kind, VGIC_MMIO_NOT_MINE);
				if (kind == VGIC_MMIO_DONE) {
					assert_int_equal(printks, 0);
					assert_int_equal(fake_calls.n, 0);
					done++;
				} else {
					other++;
				}
			}
		}
	}
	/* Both kinds were met: the ID registers are answered at once, the state ones not. */
	assert_true(done > 500);
	assert_true(other > 1000);
	assert_int_equal(fake_count("vcpu_kick"), 0);
}

/*
 * Every write the fast path makes leaves the VM (and the CPU interface) as the table's handler
 * leaves it, with the same kicks and log lines; the writes it answers on its own change nothing.
 * Each write is made twice from the same state: through the table, then the fast path.
 */
static void test_fast_path_writes_as_the_table(void **state)
{
	static const uint32_t gicd[] = {GICD_CTLR,
					GICD_TYPER,
					GICD_IIDR,
					GICD_TYPER2,
					0x10,
					0x40,
					GICD_IGROUPR,
					GICD_IGROUPR + 4,
					GICD_ISENABLER,
					GICD_ISENABLER + 4,
					GICD_ICENABLER + 4,
					GICD_ISPENDR + 4,
					GICD_ICPENDR + 4,
					GICD_ISACTIVER + 4,
					GICD_ICACTIVER + 4,
					GICD_IPRIORITYR + SPI_A,
					GICD_IPRIORITYR + 40,
					0x800 + 40,
					GICD_ICFGR + 8,
					GICD_IGRPMODR,
					0xe00,
					0xf00,
					0xf10,
					0x5000,
					GICD_IROUTER + 8 * SPI_A,
					GICD_IROUTER + 8 * SPI_B + 4,
					GICD_PIDR2};
	static const uint32_t gicr[] = {GICR_CTLR,
					4,
					GICR_TYPER,
					0x10,
					GICR_WAKER,
					0x70,
					0x78,
					GICR_PIDR2,
					GICR_IGROUPR0,
					GICR_ISENABLER0,
					GICR_ICENABLER0,
					GICR_ISPENDR0,
					GICR_ICPENDR0,
					GICR_ISACTIVER0,
					GICR_ICACTIVER0,
					GICR_IPRIORITYR,
					GICR_IPRIORITYR + 27,
					GICR_ICFGR0,
					GICR_ICFGR1,
					SGI_BASE + 0xd00,
					SGI_BASE + 0xe00,
					SGI_BASE + 0x5000};
	static const unsigned sizes[] = {1, 2, 4, 8};
	static const uint64_t values[] = {0, ~0ULL, 0x5a5a5a5a08000001ULL};
	static struct vm before, by_table;
	static struct fake_gic gic_before, gic_by_table;
	unsigned done = 0;

	busy_state();
	for (unsigned n = 0; n < ARRAY_SIZE(gicd) + 2 * ARRAY_SIZE(gicr); n++) {
		unsigned cpu = n < ARRAY_SIZE(gicd) ? 0 : (n - ARRAY_SIZE(gicd)) / ARRAY_SIZE(gicr);
		ipa_t addr = n < ARRAY_SIZE(gicd)
				 ? VGIC_GICD_BASE + gicd[n]
				 : VGIC_GICR_BASE + cpu * VGIC_GICR_STRIDE +
				       gicr[(n - ARRAY_SIZE(gicd)) % ARRAY_SIZE(gicr)];

		for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
			for (unsigned j = 0; j < ARRAY_SIZE(values); j++) {
				struct vcpu *who = &vm.vcpus[(n + j) % vm.nr_vcpus];
				unsigned long printks = fake_arch.printks;
				unsigned kicks[2], table_printks;
				enum vgic_mmio_fast kind;

				before = vm;
				gic_before = fake_gic;
				fake_calls_clear();
				guest_access(who, addr, sizes[i], true, values[j]);
				by_table = vm;
				gic_by_table = fake_gic;
				kicks[0] = fake_count("vcpu_kick");
				table_printks = fake_arch.printks - printks;

				vm = before;
				fake_gic = gic_before;
				fake_calls_clear();
				printks = fake_arch.printks;
				fast_access(who, addr, sizes[i], true, values[j], &kind);
				kicks[1] = fake_count("vcpu_kick");
				if (!same_bytes(&vm, &by_table, sizeof(vm)) ||
				    !same_bytes(&fake_gic, &gic_by_table, sizeof(fake_gic)))
					fail_msg("write of %#llx to 0x%llx (%u bytes): not as the "
						 "table's",
						 (unsigned long long)values[j],
						 (unsigned long long)addr, sizes[i]);
				assert_int_equal(kicks[1], kicks[0]);
				assert_int_equal(fake_arch.printks - printks, table_printks);
				if (kind == VGIC_MMIO_DONE) {
					assert_true(same_bytes(&vm, &before, sizeof(vm)));
					assert_int_equal(kicks[1], 0);
					assert_int_equal(table_printks, 0);
					done++;
				}
			}
		}
	}
	assert_true(done > 50); /* RAZ/WI and read-only registers: answered at once */
}

/* Nothing but the GICD frame and the VM's GICR frames is the vGIC's, and such an access is
 * left untouched. */
static void test_fast_path_leaves_the_rest(void **state)
{
	static const ipa_t addrs[] = {VGIC_GICD_BASE - 4, VGIC_GICD_BASE + VGIC_GICD_SIZE,
				      VGIC_GICR_BASE - 4, VGIC_GICR_BASE + 2 * VGIC_GICR_STRIDE,
				      0x09000000,	  0};

	for (unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct mmio_access acc = {.addr = addrs[i], .size = 4, .value = 7};

		assert_int_equal(vgic_mmio_fast(&vm.vcpus[0], &acc), VGIC_MMIO_NOT_MINE);
		assert_int_equal(acc.value, 7);
	}
	assert_int_equal(fake_calls.n, 0);
	assert_int_equal(fake_arch.printks, 0);
}

/* The data-abort vector's window (mmio_fast_window): the vGIC's frames of every VM are in it
 * once the VM is made; it only ever widens, to the smallest range holding all it was given,
 * and leaves out what one word cannot say (pages from 2^32 up). */
static void test_fast_window_covers_the_frames(void **state)
{
	uint64_t w = mmio_fast_window;
	uint64_t first = (uint32_t)w, end = first + (w >> 32); /* pages */

	assert_true(first <= VGIC_GICD_BASE >> 12);
	assert_true(end >= (VGIC_GICR_BASE + vm.nr_vcpus * VGIC_GICR_STRIDE) >> 12);

	mmio_fast_window = 0;
	mmio_fast_window_add(0x09000000, 0x1000);
	assert_int_equal(mmio_fast_window, 1ULL << 32 | 0x9000);
	mmio_fast_window_add(VGIC_GICD_BASE, VGIC_GICD_SIZE);
	assert_int_equal(mmio_fast_window, 0x1001ULL << 32 | 0x8000);
	mmio_fast_window_add(0x08100000, 0x2000); /* inside: no change */
	mmio_fast_window_add(1ULL << 44, 0x1000); /* page 2^32: out of reach, left out */
	mmio_fast_window_add(0x08200000, 0);
	assert_int_equal(mmio_fast_window, 0x1001ULL << 32 | 0x8000);
	mmio_fast_window = w;
}

/* --- The word map (vgic_frame_init): one pass per register, as a lookup per byte would say --- */

static const struct vgic_reg *ref_find(const struct vgic_reg *regs, unsigned nr, uint32_t off)
{
	for (unsigned i = 0; i < nr && regs[i].offset <= off; i++)
		if (off - regs[i].offset < regs[i].len)
			return &regs[i];
	return NULL;
}

static void test_word_map_matches_byte_lookups(void **state)
{
	(void)state;
	/* Sorted by offset, with every case: whole words, a word split between two registers,
	 * a byte register, an empty word, a lockless array, overlapping registers, one crossing
	 * the mapped 4 KiB and one above it. */
	static const struct vgic_reg regs[] = {
	    {.offset = 0x0, .len = 4, .sizes = VGIC_SZ(4) | VGIC_LOCKLESS},
	    {.offset = 0x4, .len = 2, .sizes = VGIC_SZ(2)},
	    {.offset = 0x6, .len = 2, .sizes = VGIC_SZ(2)},
	    {.offset = 0x10, .len = 0x80, .sizes = VGIC_SZ(4) | VGIC_LOCKLESS},
	    {.offset = 0x90, .len = 0x20, .sizes = VGIC_SZ(1) | VGIC_SZ(4)},
	    {.offset = 0x101, .len = 1, .sizes = VGIC_SZ(1)},
	    {.offset = 0x200, .len = 8, .sizes = VGIC_SZ(4)},
	    {.offset = 0x204, .len = 8, .sizes = VGIC_SZ(4)},
	    {.offset = 0xff8, .len = 0x10, .sizes = VGIC_SZ(4) | VGIC_LOCKLESS},
	    {.offset = 0x2000, .len = 4, .sizes = VGIC_SZ(4)},
	};
	static struct vgic_frame f = {.regs = regs, .nr = ARRAY_SIZE(regs), .name = "TEST"};

	vgic_frame_init(&f);
	for (uint32_t w = 0; w < VGIC_WORD_MAPPED / 4; w++) {
		const struct vgic_reg *r = ref_find(regs, f.nr, 4 * w);
		bool whole = true;
		uint8_t want = 0;

		for (uint32_t b = 1; b < 4; b++)
			whole = whole && ref_find(regs, f.nr, 4 * w + b) == r;
		if (whole && !r)
			want = VGIC_WORD_NONE;
		else if (whole)
			want =
			    (uint8_t)(r - regs + 1) |
			    ((r->sizes & VGIC_LOCKLESS) && (r->sizes & VGIC_SZ(4)) ? VGIC_WORD_READ4
										   : 0);
		if (f.word[w] != want)
			fail_msg("word %u (offset 0x%x): map 0x%x, byte lookups 0x%x", w, 4 * w,
				 f.word[w], want);
		/* And every byte is found where the table says. */
		for (uint32_t b = 0; b < 4; b++)
			assert_ptr_equal(vgic_reg_find(&f, 4 * w + b),
					 ref_find(regs, f.nr, 4 * w + b));
	}
	assert_ptr_equal(vgic_reg_find(&f, 0x2000), &regs[9]);
	assert_null(vgic_reg_find(&f, 0x1ffc));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_word_map_matches_byte_lookups),
	    cmocka_unit_test_setup(test_gicd_id_registers, setup),
	    cmocka_unit_test_setup(test_gicd_ctlr, setup),
	    cmocka_unit_test_setup(test_gicd_enable_pending_active, setup),
	    cmocka_unit_test_setup(test_gicd_private_and_unimplemented_raz_wi, setup),
	    cmocka_unit_test_setup(test_gicd_priority_byte_access, setup),
	    cmocka_unit_test_setup(test_gicd_config_and_group, setup),
	    cmocka_unit_test_setup(test_gicd_irouter, setup),
	    cmocka_unit_test_setup(test_unknown_and_bad_size_raz_wi, setup),
	    cmocka_unit_test_setup(test_mmio_register_failure, setup),
	    cmocka_unit_test_setup(test_gicr_typer_last, setup3),
	    cmocka_unit_test_setup(test_gicr_waker, setup),
	    cmocka_unit_test_setup(test_gicr_sgi_frame, setup),
	    cmocka_unit_test_setup(test_inject_spi_lr_contents, setup),
	    cmocka_unit_test_setup(test_edge_repend_while_active, setup),
	    cmocka_unit_test_setup(test_inject_ppi_and_priority_order, setup),
	    cmocka_unit_test_setup(test_disabled_not_delivered, setup),
	    cmocka_unit_test_setup(test_inject_hw_vtimer, setup),
	    cmocka_unit_test_setup(test_vtimer_fast_path, setup),
	    cmocka_unit_test_setup(test_vtimer_due_at_wfi, setup),
	    cmocka_unit_test_setup(test_vtimer_line_dropped_while_disabled, setup),
	    cmocka_unit_test_setup(test_vtimer_line_held_is_delivered_on_enable, setup),
	    cmocka_unit_test_setup(test_vtimer_presented_then_dropped_leaves_lr, setup),
	    cmocka_unit_test_setup(test_vtimer_hw_deactivation_drops_level, setup),
	    cmocka_unit_test_setup(test_hw_cleared_by_guest_releases_physical, setup),
	    cmocka_unit_test_setup(test_hw_ppi_cleared_by_other_vcpu, setup),
	    cmocka_unit_test_setup(test_hw_ppi_cleared_while_saved, setup),
	    cmocka_unit_test_setup(test_overflow_uie_npie, setup),
	    cmocka_unit_test_setup(test_overflow_keeps_active_loaded, setup),
	    cmocka_unit_test_setup(test_set_active_does_not_crowd_out_pending, setup),
	    cmocka_unit_test_setup(test_one_lr_no_underflow_storm, setup),
	    cmocka_unit_test_setup(test_overflow_all_active_no_np_storm, setup),
	    cmocka_unit_test_setup(test_hw_edge_not_repended_while_active, setup),
	    cmocka_unit_test_setup(test_rerouted_spi_leaves_running_vcpu, setup),
	    cmocka_unit_test_setup(test_level_repend_after_eoi, setup),
	    cmocka_unit_test_setup(test_level_dropped_before_ack, setup),
	    cmocka_unit_test_setup(test_spi_routing_and_kicks, setup),
	    cmocka_unit_test_setup(test_active_spi_stays_with_its_vcpu, setup),
	    cmocka_unit_test_setup(test_spi_in_flight_survives_other_flush, setup),
	    cmocka_unit_test_setup(test_private_traffic_skips_vm_lock, setup),
	    cmocka_unit_test_setup(test_pending_spi_survives_cpu_on, setup),
	    cmocka_unit_test_setup(test_sgi1r_targets, setup3),
	    cmocka_unit_test_setup(test_sgi_again_refills_lr0, setup3),
	    cmocka_unit_test_setup(test_sgi0r_group0_only, setup),
	    cmocka_unit_test_setup(test_save_restore, setup),
	    cmocka_unit_test_setup(test_save_releases_hw_ppi, setup),
	    cmocka_unit_test_setup(test_flush_restores_if_needed_and_is_idempotent, setup),
	    cmocka_unit_test_setup(test_quiet_trap_skips_the_flush, setup),
	    cmocka_unit_test_setup(test_vcpu_pending, setup),
	    cmocka_unit_test_setup(test_bad_intids_ignored, setup),
	    cmocka_unit_test_setup(test_vm_reset, setup),
	    cmocka_unit_test_setup(test_vcpu_init_resets_private_state, setup),
	    cmocka_unit_test_setup(test_fast_path_reads_as_the_table, setup),
	    cmocka_unit_test_setup(test_fast_path_writes_as_the_table, setup),
	    cmocka_unit_test_setup(test_fast_path_leaves_the_rest, setup),
	    cmocka_unit_test_setup(test_fast_window_covers_the_frames, setup3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
