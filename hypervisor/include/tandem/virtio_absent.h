/*
 * A failover group's virtio-mmio device as the member that does not have it sees it: a
 * virtio-mmio transport that says "no device" (DeviceID 0), so the stock driver leaves it
 * unbound until the device arrives (docs/design.md, "Failover").
 */
#ifndef TANDEM_VIRTIO_ABSENT_H
#define TANDEM_VIRTIO_ABSENT_H

#include <tandem/types.h>

struct cfg_passthrough;
struct vm;

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976U /* "virt", at offset 0 */
#define VIRTIO_MMIO_VERSION_2	2U	    /* at offset 4: the modern transport */

/*
 * Registers the emulated window over device pt's first MMIO range in vm: MagicValue, Version
 * 2, DeviceID 0, everything else reads as zero and ignores writes. Only reached while the
 * range is not mapped at stage 2 (the VM does not have the device). 0 or a negative ERR_*.
 */
int virtio_absent_register(struct vm *vm, const struct cfg_passthrough *pt);

#endif
