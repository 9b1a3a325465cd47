/* EL2's own address space (identity-mapped RAM and devices). */
#ifndef TANDEM_MMU_H
#define TANDEM_MMU_H

#include <tandem/types.h>

enum mmu_kind { MMU_TEXT, MMU_RODATA, MMU_RAM, MMU_DEVICE };

/* Maps [va, va+size) one to one with the attributes of kind (boot only, before mmu_enable). */
int mmu_map(uint64_t va, uint64_t size, enum mmu_kind kind);
/* Maps the hypervisor image section by section. */
void mmu_map_image(void);
/*
 * Maps a RAM region read-write, execute-never, leaving out the image and the read-only
 * range [ro, ro+ro_size) (the boot bundle; ro_size 0: none), which it maps read-only.
 */
void mmu_map_ram_around_image(uint64_t base, uint64_t size, uint64_t ro, uint64_t ro_size);
/* Turns on the MMU and caches on the calling CPU with the shared tables. */
void mmu_enable(void);

#endif
