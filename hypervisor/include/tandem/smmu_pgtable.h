/* Stage-1 tables for SMMU contexts: 4 KiB granule, 39-bit input (T0SZ = 25), from level 1. */
#ifndef TANDEM_SMMU_PGTABLE_H
#define TANDEM_SMMU_PGTABLE_H

#include <tandem/types.h>

#define SMMU_PT_T0SZ  25
#define SMMU_PT_LIMIT (1ULL << (64 - SMMU_PT_T0SZ))
/* MAIR attribute 0 as the descriptors use it: Normal, Inner/Outer Write-Back RW-allocate. */
#define SMMU_PT_MAIR 0xffULL

struct smmu_pt {
	paddr_t root; /* level-1 table */
	unsigned nr_tables;
};

/* Allocates the root table. 0 or -ERR_NOMEM. */
int smmu_pt_init(struct smmu_pt *pt);
/* Maps [iova, iova+size) to pa, read/write Normal memory, 2 MiB blocks where aligned. */
int smmu_pt_map(struct smmu_pt *pt, uint64_t iova, paddr_t pa, uint64_t size);
/* Walks the tables like the SMMU would: 0 and *pa, or -ERR_NOENT. */
int smmu_pt_translate(const struct smmu_pt *pt, uint64_t iova, paddr_t *pa);

#endif
