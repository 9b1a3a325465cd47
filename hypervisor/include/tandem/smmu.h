/*
 * The SMMUv3 in front of the PCIe root complex, owned by Tandem. Each stream of a VM translates
 * IOVA == IPA -> PA: through the VM's own stage-2 tables when the SMMU has stage 2, else through
 * a stage-1 context whose tables mirror the VM's RAM (QEMU 7.2's SMMU has no stage 2).
 * Unassigned streams abort. Translation faults are reported on the console.
 */
#ifndef TANDEM_SMMU_H
#define TANDEM_SMMU_H

#include <tandem/fdt.h>
#include <tandem/types.h>

struct vm;

/* Finds an "arm,smmu-v3" node; fills its MMIO range. Returns false if there is none. */
bool smmu_find(const struct fdt *host, paddr_t *base, uint64_t *size, int *node);
/*
 * Takes the SMMU over (needs the frame allocator): stream table, command and event queues,
 * every stream aborting; claims its event-queue SPI. Returns 0 (also when there is no SMMU)
 * or a negative ERR_*.
 */
int smmu_init(const struct fdt *host);
/* True once smmu_init() enabled an SMMU. */
bool smmu_enabled(void);
/*
 * Points streams [sid_first, sid_first + nr) at vm's address space (IOVA == IPA -> PA): its
 * stage-2 tables and VMID, or a stage-1 mirror of its RAM. Returns 0 or a negative ERR_*.
 */
int smmu_attach_vm(struct vm *vm, uint32_t sid_first, uint32_t nr);

#endif
