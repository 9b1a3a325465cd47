/* Stage-2 translation tables (VMSAv8-64, 4 KiB granule, 39-bit IPA, start at level 1). */
#ifndef TANDEM_STAGE2_H
#define TANDEM_STAGE2_H

#include <tandem/types.h>

#define S2_IPA_BITS 39
/*
 * How these tables are walked, as VTCR_EL2 bits [15:0]; an SMMUv3 STE's S2T0SZ..S2TG fields have
 * the same layout (STE bits [175:160]): T0SZ 25 (39-bit IPA), SL0 1 (start at level 1), inner and
 * outer write-back walks, inner shareable, 4 KiB granule.
 */
#define S2_VTCR_WALK (25ULL | 1ULL << 6 | 1ULL << 8 | 1ULL << 10 | 3ULL << 12)
/* Output size (VTCR_EL2.PS, STE.S2PS) at most 2 = 40 bits: the tables never map above that. */
#define S2_PS_MAX 2ULL

enum s2_attr {
	S2_NORMAL_RWX, /* guest RAM: normal write-back, read/write/execute */
	S2_DEVICE_RW,  /* passed-through MMIO: Device-nGnRE, never executable */
	S2_NORMAL_RW,  /* shared memory (channels): normal write-back, never executable */
};

struct s2_table {
	paddr_t root; /* level-1 table */
	vmid_t vmid;
	uint64_t nr_tables; /* table pages in use, including the root */
};

/* Allocates an empty root table. */
int s2_init(struct s2_table *t, vmid_t vmid);
/* Maps [ipa, ipa+size) to [pa, pa+size), using 1 GiB / 2 MiB blocks where both are aligned. */
int s2_map(struct s2_table *t, ipa_t ipa, paddr_t pa, uint64_t size, enum s2_attr attr);
/* Removes mappings in [ipa, ipa+size), splitting blocks as needed. */
int s2_unmap(struct s2_table *t, ipa_t ipa, uint64_t size);
/* Walks the tables: returns 0 and the PA for ipa, or -ERR_NOENT. */
int s2_translate(const struct s2_table *t, ipa_t ipa, paddr_t *pa);
/* Frees every table page. */
void s2_destroy(struct s2_table *t);
/* VTTBR_EL2 value: root address and VMID. */
uint64_t s2_vttbr(const struct s2_table *t);

#endif
