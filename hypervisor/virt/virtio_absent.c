/*
 * The "no device" virtio-mmio transport at a failover group's device while the VM does not
 * have it (virtio 1.x, 4.2.2: MagicValue, Version, DeviceID 0 = no device). Linux's
 * virtio_mmio probe reads the three and returns -ENODEV, leaving the device unbound; once the
 * device is mapped in (passthrough_move) the guest binds it by hand. Every other register, any
 * size, reads as zero and ignores writes: nothing a guest writes here reaches the device or
 * another VM.
 */
#include <tandem/config.h>
#include <tandem/virtio_absent.h>
#include <tandem/vm.h>

#define REG_MAGIC   0x000
#define REG_VERSION 0x004 /* DeviceID (0x008) reads 0: no device */

static int absent_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	if (acc->write)
		return 0; /* WI */
	if (acc->size != 4)
		acc->value = 0;
	else if (acc->offset == REG_MAGIC)
		acc->value = VIRTIO_MMIO_MAGIC_VALUE;
	else if (acc->offset == REG_VERSION)
		acc->value = VIRTIO_MMIO_VERSION_2;
	else
		acc->value = 0; /* DeviceID 0 and the rest: RAZ */
	return 0;
}

int virtio_absent_register(struct vm *vm, const struct cfg_passthrough *pt)
{
	if (!pt->nr_reg)
		return 0;
	return mmio_register(vm, pt->reg_base[0], pt->reg_size[0], absent_mmio, NULL);
}
