/* The page-frame allocator: a bitmap over RAM, 4 KiB frames. */
#ifndef TANDEM_MEM_H
#define TANDEM_MEM_H

#include <tandem/types.h>

#define MEM_MAX_REGIONS 8

/*
 * Initialises the allocator over the RAM regions given, with the bitmap placed
 * in memory not covered by any reserved range. Call mem_reserve() for the
 * hypervisor image, DTB and boot bundle before mem_init() returns their frames.
 */
int mem_init(const paddr_t *bases, const uint64_t *sizes, unsigned nr, const paddr_t *rsv_bases,
	     const uint64_t *rsv_sizes, unsigned nr_rsv);
/* Allocates nr contiguous frames aligned to align bytes (a power of two >= 4 KiB); 0 if none. */
paddr_t mem_alloc(uint64_t nr_frames, uint64_t align);
/*
 * The same for a new VM's RAM, which must show nothing written since boot: frames handed out
 * before (they may hold another VM's or the hypervisor's data) are zeroed and cleaned to the
 * point of coherency; frames never handed out are left as RAM was when Tandem booted (see
 * mem_assume_boot_ram_dirty).
 */
paddr_t mem_alloc_guest(uint64_t nr_frames, uint64_t align);
/* The same for a static-mem region (reserved at mem_init), taken as a VM's RAM. */
void mem_take_static(paddr_t pa, uint64_t size);
/*
 * Treat every frame as holding data from before boot, so mem_alloc_guest/mem_take_static zero
 * all of it: for machines whose RAM survives a reset (the system description's
 * scrub-boot-memory).
 */
void mem_assume_boot_ram_dirty(void);
/* Allocates one zeroed frame; 0 if none. */
paddr_t mem_alloc_zeroed_page(void);
/* Returns frames to the allocator. */
void mem_free(paddr_t pa, uint64_t nr_frames);
/* Bytes free right now. */
uint64_t mem_free_bytes(void);
/* Size of the largest free contiguous run aligned to align. */
uint64_t mem_largest_free(uint64_t align);

#endif
