/*
 * Stage-1 translation tables for SMMU contexts (VMSAv8-64, 4 KiB granule, 39-bit input,
 * walks from level 1): the device-side mirror of a VM's stage 2. Pure C over frames from the
 * allocator, so host unit tests run it.
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/mem.h>
#include <tandem/smmu_pgtable.h>

/* Stage-1 descriptor bits (Arm ARM D8.3): AttrIndx 0 = MAIR attr 0 (Normal WB), AP[2:1] = 01
 * (read/write at any EL: device transactions may be unprivileged), inner shareable, AF. */
#define D_VALID	     (1ULL << 0)
#define D_TABLE	     (1ULL << 1)
#define D_ATTRIDX(i) ((uint64_t)(i) << 2)
#define D_AP_RW_ALL  (1ULL << 6)
#define D_SH_INNER   (3ULL << 8)
#define D_AF	     (1ULL << 10)
#define D_ADDR	     0x0000fffffffff000ULL

#define LEVEL_SHIFT(l) (12 + 9 * (3 - (l)))
#define LEVEL_SIZE(l)  (1ULL << LEVEL_SHIFT(l))
#define INDEX(a, l)    (((a) >> LEVEL_SHIFT(l)) & 511)

int smmu_pt_init(struct smmu_pt *pt)
{
	pt->root = mem_alloc_zeroed_page();
	pt->nr_tables = pt->root ? 1 : 0;
	return pt->root ? 0 : -ERR_NOMEM;
}

int smmu_pt_map(struct smmu_pt *pt, uint64_t iova, paddr_t pa, uint64_t size)
{
	if (!IS_ALIGNED(iova | pa | size, PAGE_SIZE) || !size || iova + size > SMMU_PT_LIMIT ||
	    iova + size < iova)
		return -ERR_INVAL;
	while (size) {
		uint64_t *tbl = arch_phys_to_virt(pt->root);

		for (int level = 1;; level++) {
			uint64_t bs = LEVEL_SIZE(level), *e = &tbl[INDEX(iova, level)];

			if (level == 3 || (level == 2 && IS_ALIGNED(iova | pa, bs) && size >= bs &&
					   !(*e & D_TABLE))) {
				*e = (pa & D_ADDR) | D_VALID | (level == 3 ? D_TABLE : 0) |
				     D_ATTRIDX(0) | D_AP_RW_ALL | D_SH_INNER | D_AF;
				iova += bs;
				pa += bs;
				size -= bs;
				break;
			}
			if (!(*e & D_VALID)) {
				paddr_t next = mem_alloc_zeroed_page();

				if (!next)
					return -ERR_NOMEM;
				pt->nr_tables++;
				*e = next | D_VALID | D_TABLE;
			} else if (!(*e & D_TABLE)) {
				return -ERR_EXIST; /* a block already covers part of it */
			}
			tbl = arch_phys_to_virt(*e & D_ADDR);
		}
	}
	return 0;
}

int smmu_pt_translate(const struct smmu_pt *pt, uint64_t iova, paddr_t *pa)
{
	const uint64_t *tbl = arch_phys_to_virt(pt->root);

	if (iova >= SMMU_PT_LIMIT)
		return -ERR_NOENT;
	for (int level = 1; level <= 3; level++) {
		uint64_t d = tbl[INDEX(iova, level)];

		if (!(d & D_VALID))
			return -ERR_NOENT;
		if (level == 3 || !(d & D_TABLE)) {
			uint64_t bs = LEVEL_SIZE(level);

			*pa = (d & D_ADDR & ~(bs - 1)) | (iova & (bs - 1));
			return 0;
		}
		tbl = arch_phys_to_virt(d & D_ADDR);
	}
	return -ERR_NOENT;
}
