/*
 * EL2's own stage-1 translation: RAM mapped one to one, the hypervisor image split
 * into text (read-only, executable), rodata (read-only) and data (read-write,
 * execute-never), so no page is both writable and executable (SCTLR_EL2.WXN too).
 */
#include <arch/sysregs.h>
#include <tandem/log.h>
#include <tandem/mmu.h>
#include <tandem/string.h>

#define PT_VALID   (1UL << 0)
#define PT_TABLE   (1UL << 1)
#define PT_ATTR(i) ((uint64_t)(i) << 2) /* index into MAIR_EL2 */
#define PT_AP_RO   (1UL << 7)
#define PT_AP_RES1 (1UL << 6)
#define PT_SH_IS   (3UL << 8)
#define PT_AF	   (1UL << 10)
#define PT_XN	   (1UL << 54)
#define PT_ADDR	   0x0000fffffffff000UL

#define MAIR_NORMAL_WB 0 /* attr0 = 0xff */
#define MAIR_DEVICE    1 /* attr1 = 0x04, Device-nGnRE */
#define MAIR_NORMAL_NC 2 /* attr2 = 0x44 */
#define MAIR_VALUE     0x4404ffUL

#define VA_BITS	    39
#define POOL_TABLES 32

extern char _start[], _etext[], _erodata[], _end[];

static uint64_t pt_pool[POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned pt_used = 1; /* pt_pool[0] is the level-1 root */

static uint64_t attrs_for(enum mmu_kind kind)
{
	switch (kind) {
	case MMU_TEXT:
		return PT_ATTR(MAIR_NORMAL_WB) | PT_SH_IS | PT_AP_RO;
	case MMU_RODATA:
		return PT_ATTR(MAIR_NORMAL_WB) | PT_SH_IS | PT_AP_RO | PT_XN;
	case MMU_RAM:
		return PT_ATTR(MAIR_NORMAL_WB) | PT_SH_IS | PT_XN;
	case MMU_DEVICE:
	default:
		return PT_ATTR(MAIR_DEVICE) | PT_XN;
	}
}

int mmu_map(uint64_t va, uint64_t size, enum mmu_kind kind)
{
	uint64_t attrs = attrs_for(kind) | PT_AF | PT_AP_RES1 | PT_VALID;

	va = ALIGN_DOWN(va, PAGE_SIZE);
	size = ALIGN_UP(size, PAGE_SIZE);
	while (size) {
		uint64_t *tbl = pt_pool[0];

		for (int level = 1;; level++) {
			unsigned shift = 12 + 9 * (3 - level);
			uint64_t bs = 1UL << shift;
			uint64_t *e = &tbl[(va >> shift) & 511];
			bool table =
			    level < 3 && (*e & (PT_VALID | PT_TABLE)) == (PT_VALID | PT_TABLE);

			if (level == 3) {
				/* The rest of this table's run of pages in one go, not a walk each.
				 */
				uint64_t *last = &tbl[511];

				do {
					*e++ = va | attrs | PT_TABLE;
					va += bs;
					size -= bs;
				} while (size && e <= last);
				break;
			}
			if (!table && IS_ALIGNED(va, bs) && size >= bs) {
				*e = va | attrs;
				va += bs;
				size -= bs;
				break;
			}
			if (!table) {
				if (*e & PT_VALID)
					return -1; /* would need a block split: map finer ranges
						      first */
				if (pt_used == POOL_TABLES)
					return -1;
				memset(pt_pool[pt_used], 0, sizeof(pt_pool[0]));
				*e = (uint64_t)(uintptr_t)pt_pool[pt_used++] | PT_VALID | PT_TABLE;
			}
			tbl = (uint64_t *)(uintptr_t)(*e & PT_ADDR);
		}
	}
	return 0;
}

void mmu_map_image(void)
{
	uint64_t start = (uint64_t)(uintptr_t)_start, etext = (uint64_t)(uintptr_t)_etext;
	uint64_t erodata = (uint64_t)(uintptr_t)_erodata, end = (uint64_t)(uintptr_t)_end;

	BUG_ON(mmu_map(start, etext - start, MMU_TEXT));
	BUG_ON(mmu_map(etext, erodata - etext, MMU_RODATA));
	BUG_ON(mmu_map(erodata, end - erodata, MMU_RAM));
}

void mmu_map_ram_around_image(uint64_t base, uint64_t size, uint64_t ro, uint64_t ro_size)
{
	uint64_t top = base + size, cursor = base;
	/* The holes in [base, top) that RAM must not cover, in address order. */
	uint64_t hole[2][2] = {{(uint64_t)(uintptr_t)_start, (uint64_t)(uintptr_t)_end},
			       {ALIGN_DOWN(ro, PAGE_SIZE), ALIGN_UP(ro + ro_size, PAGE_SIZE)}};

	if (!ro_size)
		hole[1][0] = hole[1][1] = 0;
	if (hole[1][0] < hole[0][0]) {
		uint64_t s0 = hole[0][0], e0 = hole[0][1];

		hole[0][0] = hole[1][0];
		hole[0][1] = hole[1][1];
		hole[1][0] = s0;
		hole[1][1] = e0;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (hole[i][0] > cursor && cursor < top)
			BUG_ON(mmu_map(cursor, MIN(hole[i][0], top) - cursor, MMU_RAM));
		cursor = MAX(cursor, hole[i][1]);
	}
	if (top > cursor)
		BUG_ON(mmu_map(cursor, top - cursor, MMU_RAM));
	/*
	 * The boot bundle holds the pristine images every VM restart copies from: nothing may
	 * write it, so a stray write faults in EL2 instead of corrupting the next restart.
	 */
	if (ro_size) {
		uint64_t s = MAX(ALIGN_DOWN(ro, PAGE_SIZE), base);
		uint64_t e = MIN(ALIGN_UP(ro + ro_size, PAGE_SIZE), top);

		if (e > s)
			BUG_ON(mmu_map(s, e - s, MMU_RODATA));
	}
}

void mmu_enable(void)
{
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	uint64_t tcr = (64 - VA_BITS) | (1UL << 8) | (1UL << 10) | (3UL << 12) |
		       (MIN(parange, 2UL) << 16) | (1UL << 23) | (1UL << 31);

	/* Tables were written with the MMU off: make them visible to the walker. */
	for (unsigned i = 0; i < pt_used; i++)
		for (unsigned off = 0; off < sizeof(pt_pool[0]); off += 64)
			__asm__ volatile("dc civac, %0" : : "r"((char *)pt_pool[i] + off));
	dsb(sy);
	write_sysreg(mair_el2, MAIR_VALUE);
	write_sysreg(tcr_el2, tcr);
	write_sysreg(ttbr0_el2, (uint64_t)(uintptr_t)pt_pool[0]);
	isb();
	__asm__ volatile("tlbi alle2; dsb nsh; isb" ::: "memory");
	write_sysreg(sctlr_el2,
		     SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_WXN);
	isb();
}
