/*
 * SMMUv3 stream table entries (IHI 0070, 5.2). Pure functions over a 64-byte array, so the host
 * unit tests check the bits of both translation paths: stage 1 (QEMU 7.2 has no stage 2) and
 * stage 2 over the VM's own tables (hardware with SMMU_IDR0.S2P).
 */
#include <tandem/smmu_ste.h>
#include <tandem/stage2.h>
#include <tandem/string.h>

/* Dword 0. */
#define STE0_V		  (1ULL << 0)
#define STE0_CFG_ABORT	  (0ULL << 1)
#define STE0_CFG_S1	  (5ULL << 1) /* stage 1 translate, stage 2 bypass */
#define STE0_CFG_S2	  (6ULL << 1) /* stage 1 bypass, stage 2 translate */
#define STE0_S1CTXPTR(pa) ((pa)&0x000fffffffffffc0ULL)
/* Dword 1. */
#define STE1_S1CIR_WB (1ULL << 2)
#define STE1_S1COR_WB (1ULL << 4)
#define STE1_S1CSH_IS (3ULL << 6)
#define STE1_SHCFG_IN (1ULL << 44) /* use the incoming shareability */
/* Dword 2 (STE bits [191:128]). */
#define STE2_S2VMID(v) ((uint64_t)(v)&0xffff)
#define STE2_S2WALK(w) ((uint64_t)(w) << 32) /* S2T0SZ, S2SL0, S2IR0, S2OR0, S2SH0, S2TG */
#define STE2_S2PS(ps)  ((uint64_t)(ps) << 48)
#define STE2_S2AA64    (1ULL << 51)
#define STE2_S2R       (1ULL << 58) /* record stage-2 faults in the event queue */
/* Dword 3: S2TTB, PA bits [51:4]. */
#define STE3_S2TTB(pa) ((pa)&0x000ffffffffffff0ULL)

void smmu_ste_abort(uint64_t ste[SMMU_STE_DWORDS])
{
	memset(ste, 0, SMMU_STE_DWORDS * sizeof(*ste));
	ste[0] = STE0_V | STE0_CFG_ABORT;
}

void smmu_ste_s1(uint64_t ste[SMMU_STE_DWORDS], paddr_t cd_pa)
{
	memset(ste, 0, SMMU_STE_DWORDS * sizeof(*ste));
	ste[0] = STE0_V | STE0_CFG_S1 | STE0_S1CTXPTR(cd_pa);
	ste[1] = STE1_S1CIR_WB | STE1_S1COR_WB | STE1_S1CSH_IS | STE1_SHCFG_IN;
}

void smmu_ste_s2(uint64_t ste[SMMU_STE_DWORDS], const struct s2_table *s2, unsigned oas)
{
	memset(ste, 0, SMMU_STE_DWORDS * sizeof(*ste));
	ste[0] = STE0_V | STE0_CFG_S2;
	ste[1] = STE1_SHCFG_IN;
	/* The same walk and the same VMID as the CPUs use: one set of tables for both. */
	ste[2] = STE2_S2VMID(s2->vmid) | STE2_S2WALK(S2_VTCR_WALK) |
		 STE2_S2PS(MIN((uint64_t)oas, S2_PS_MAX)) | STE2_S2AA64 | STE2_S2R;
	ste[3] = STE3_S2TTB(s2->root);
}
