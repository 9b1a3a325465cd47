/*
 * SMMUv3 stream table entries (IHI 0070, 5.2), built in memory and unit-tested on the host; the
 * driver (drivers/smmuv3.c) copies them into the stream table, dword 0 last.
 */
#ifndef TANDEM_SMMU_STE_H
#define TANDEM_SMMU_STE_H

#include <tandem/types.h>

#define SMMU_STE_DWORDS 8

struct s2_table;

/* Valid, Config = abort: the stream's transactions are terminated. */
void smmu_ste_abort(uint64_t ste[SMMU_STE_DWORDS]);
/* Stage 1 translates through the context descriptor at cd_pa, stage 2 bypassed. */
void smmu_ste_s1(uint64_t ste[SMMU_STE_DWORDS], paddr_t cd_pa);
/*
 * Stage 1 bypassed, stage 2 translates through the VM's own stage-2 tables: S2VMID = their VMID,
 * the walk fields as VTCR_EL2 has them (S2_VTCR_WALK), output size min(oas, S2_PS_MAX) where oas
 * is SMMU_IDR5.OAS, faults recorded.
 */
void smmu_ste_s2(uint64_t ste[SMMU_STE_DWORDS], const struct s2_table *s2, unsigned oas);

#endif
