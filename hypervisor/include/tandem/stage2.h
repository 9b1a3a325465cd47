/* Stage-2 translation tables (VMSAv8-64, 4 KiB granule, 39-bit IPA, start at level 1). */
#ifndef TANDEM_STAGE2_H
#define TANDEM_STAGE2_H

#include <tandem/types.h>

#define S2_IPA_BITS 39

enum s2_attr {
	S2_NORMAL_RWX, /* guest RAM: normal write-back, read/write/execute */
	S2_DEVICE_RW,  /* passed-through MMIO: Device-nGnRE, never executable */
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
