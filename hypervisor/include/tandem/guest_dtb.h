/* The device tree each guest boots with: its memory, vCPUs, PSCI, vGIC, timer and vPL011. */
#ifndef TANDEM_GUEST_DTB_H
#define TANDEM_GUEST_DTB_H

#include <tandem/types.h>

struct vm;

/* Phandles of the nodes other nodes point at (fixed: the tree is generated, not merged). */
#define GUEST_DTB_PHANDLE_GIC	     1
#define GUEST_DTB_PHANDLE_CLK	     2
#define GUEST_DTB_PHANDLE_SCMI_SHMEM 3 /* controllers of a frequency domain (vscmi.h) */
#define GUEST_DTB_PHANDLE_SCMI_CLK   4
#define GUEST_DTB_PHANDLE_OPP	     5

/*
 * Writes vm's DTB into buf (cap bytes; the writer needs about twice the final size)
 * and returns its size, or a negative ERR_*. initrd_size 0: no initrd in /chosen.
 */
int guest_dtb_build(struct vm *vm, void *buf, size_t cap, ipa_t initrd_start, uint64_t initrd_size);

#endif
