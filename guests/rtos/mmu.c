/*
 * Stage-1 identity map for EL1: 4 KiB granule, 39-bit VA (T0SZ = 25, walks start at level 1),
 * 2 MiB blocks. RAM is Normal write-back cacheable and executable; device regions are
 * Device-nGnRE and never executable. Shared memory with another VM (a channel window, page
 * granular) gets 4 KiB pages, Normal write-back, so nothing around it is mapped cacheable.
 * Anything not mapped faults in the RTOS itself.
 */
#include "arch.h"
#include "kstring.h"
#include "platform.h"
#include "sysreg.h"

#define L2_TABLES 8 /* 8 GiB of address space with 2 MiB blocks */
#define L3_TABLES 4 /* 8 MiB of page-granular mappings */
#define PAGE	  4096ULL
#define BLOCK	  (2ULL << 20)
#define VA_BITS	  39
#define ATTR_DEV  0 /* MAIR index: Device-nGnRE */
#define ATTR_NORM 1 /* MAIR index: Normal, inner/outer write-back, read/write-allocate */
#define ATTR_NC	  2 /* MAIR index: Normal, non-cacheable (the fuzzer's aliases of devices) */
#define MAIR_VALUE                                                                                 \
	(0x04ULL << (8 * ATTR_DEV) | 0xffULL << (8 * ATTR_NORM) | 0x44ULL << (8 * ATTR_NC))

#define PTE_VALID   (1ULL << 0)
#define PTE_TABLE   (1ULL << 1)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_ISH	    (3ULL << 8)
#define PTE_AF	    (1ULL << 10)
#define PTE_PXN	    (1ULL << 53)
#define PTE_UXN	    (1ULL << 54)

#define TCR_T0SZ    (64 - VA_BITS)
#define TCR_IRGN_WB (1ULL << 8)
#define TCR_ORGN_WB (1ULL << 10)
#define TCR_SH_ISH  (3ULL << 12)
#define TCR_EPD1    (1ULL << 23) /* no TTBR1 walks: nothing lives in the upper half */
#define TCR_IPS(x)  ((uint64_t)(x) << 32)

#define SCTLR_M	   (1ULL << 0)
#define SCTLR_C	   (1ULL << 2)
#define SCTLR_SA   (1ULL << 3)
#define SCTLR_I	   (1ULL << 12)
#define SCTLR_RES1 0x30d00800ULL

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2[L2_TABLES][512] __attribute__((aligned(4096)));
static uint64_t l3[L3_TABLES][512] __attribute__((aligned(4096)));
static unsigned l2_used, l3_used;
struct mmu_regs mmu_boot_regs;

static uint64_t *l2_for(uint64_t va)
{
	uint64_t *e = &l1[(va >> 30) & 511];

	if (!(*e & PTE_VALID)) {
		if (l2_used == L2_TABLES)
			return NULL;
		memset(l2[l2_used], 0, sizeof(l2[0]));
		*e = (uint64_t)(uintptr_t)l2[l2_used++] | PTE_TABLE | PTE_VALID;
	}
	return (uint64_t *)(uintptr_t)(*e & 0xfffffffff000ULL);
}

static int map(uint64_t pa, uint64_t size, bool device)
{
	uint64_t attrs = device ? PTE_ATTR(ATTR_DEV) | PTE_PXN | PTE_UXN
				: PTE_ATTR(ATTR_NORM) | PTE_ISH | PTE_UXN;
	uint64_t end = (pa + size + BLOCK - 1) & ~(BLOCK - 1);

	if (!size || end > (1ULL << VA_BITS) || end < pa)
		return -1;
	for (uint64_t a = pa & ~(BLOCK - 1); a < end; a += BLOCK) {
		uint64_t *t = l2_for(a), *e;

		if (!t)
			return -1;
		e = &t[(a >> 21) & 511];
		if (!(*e & PTE_VALID)) /* first mapping wins: RAM is mapped before devices */
			*e = a | attrs | PTE_AF | PTE_VALID;
	}
	return 0;
}

int mmu_init(const struct platform *p)
{
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	int r = 0;

	memset(l1, 0, sizeof(l1));
	r |= map(p->ram_base, p->ram_size, false);
	r |= map(p->uart, p->uart_size ? p->uart_size : 0x1000, true);
	r |= map(p->gicd, p->gicd_size ? p->gicd_size : 0x10000, true);
	if (p->gic_version == 2)
		r |= map(p->gicc, p->gicc_size ? p->gicc_size : 0x2000, true);
	for (unsigned i = 0; i < p->nr_gicr; i++)
		r |= map(p->gicr[i], p->gicr_size[i], true);

	mmu_boot_regs.mair = MAIR_VALUE;
	mmu_boot_regs.tcr = TCR_T0SZ | TCR_IRGN_WB | TCR_ORGN_WB | TCR_SH_ISH | TCR_EPD1 |
			    TCR_IPS(parange > 5 ? 5 : parange);
	mmu_boot_regs.ttbr0 = (uint64_t)(uintptr_t)l1;
	mmu_boot_regs.sctlr = SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I;
	return r ? -1 : 0;
}

int mmu_map_device(uint64_t pa, uint64_t size)
{
	int r = map(pa, size, true);

	/* A new block where nothing was mapped: no break-before-make needed, only visibility
	 * to the walker (D8.2.x: stores to tables then a DSB before use). */
	dsb(ishst);
	isb();
	return r;
}

int mmu_map_shared(uint64_t pa, uint64_t size)
{
	uint64_t attrs = PTE_ATTR(ATTR_NORM) | PTE_ISH | PTE_UXN | PTE_PXN | PTE_AF | PTE_VALID;

	if ((pa | size) & (PAGE - 1) || !size || pa + size > (1ULL << VA_BITS) || pa + size < pa)
		return -1;
	for (uint64_t a = pa; a < pa + size; a += PAGE) {
		uint64_t *t = l2_for(a), *e;

		if (!t)
			return -1;
		e = &t[(a >> 21) & 511];
		if (!(*e & PTE_VALID)) {
			if (l3_used == L3_TABLES)
				return -1;
			memset(l3[l3_used], 0, sizeof(l3[0]));
			dsb(ishst);
			*e = (uint64_t)(uintptr_t)l3[l3_used++] | PTE_TABLE | PTE_VALID;
		} else if (!(*e & PTE_TABLE)) {
			return -1; /* inside a block already mapped (RAM or a device) */
		}
		t = (uint64_t *)(uintptr_t)(*e & 0xfffffffff000ULL);
		t[(a >> 12) & 511] = a | attrs | PTE_TABLE; /* level 3: bit 1 set = page */
	}
	dsb(ishst);
	isb();
	return 0;
}

int mmu_map_alias(uint64_t va, uint64_t pa, uint64_t size, bool exec)
{
	uint64_t attrs = PTE_ATTR(ATTR_NC) | PTE_ISH | PTE_UXN | (exec ? 0 : PTE_PXN);

	if ((va | pa | size) & (BLOCK - 1) || !size || va + size > (1ULL << VA_BITS))
		return -1;
	for (uint64_t off = 0; off < size; off += BLOCK) {
		uint64_t *t = l2_for(va + off), *e;

		if (!t)
			return -1;
		e = &t[((va + off) >> 21) & 511];
		if (!(*e & PTE_VALID))
			*e = (pa + off) | attrs | PTE_AF | PTE_VALID;
	}
	dsb(ishst);
	isb();
	return 0;
}

int mmu_map_bogus_table(uint64_t va, uint64_t table_pa)
{
	uint64_t *e = &l1[(va >> 30) & 511];

	if ((va & ((1ULL << 30) - 1)) || (table_pa & 0xfff) || va >= (1ULL << VA_BITS) ||
	    (*e & PTE_VALID))
		return -1;
	*e = table_pa | PTE_TABLE | PTE_VALID;
	dsb(ishst);
	isb();
	return 0;
}

/*
 * Everything so far was written with the MMU off, straight to memory. Stale lines for those
 * addresses may still sit in the caches (from whoever loaded us): invalidate the image, tables
 * included, before the caches are switched on (as Linux does for its early page tables).
 */
void mmu_enable_boot_cpu(void)
{
	for (uintptr_t a = (uintptr_t)_head & ~63UL; a < (uintptr_t)_end; a += 64)
		__asm__ volatile("dc ivac, %0" ::"r"(a) : "memory");
	dsb(sy);
	mmu_on(&mmu_boot_regs);
}
