/* The vGIC as a per-VM device of the table in virt/vdev_table.c: create, reset, dump. */
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

/* The distributor, then each vCPU's redistributor and private interrupts. */
static int vgic_create(struct vm *vm)
{
	int err = vgic_vm_init(vm);

	for (unsigned i = 0; !err && i < vm->nr_vcpus; i++)
		vgic_vcpu_init(&vm->vcpus[i]);
	return err;
}

/* Every vCPU is off its pCPU (saved): the distributor, then each vCPU's interface. */
static void vgic_reset(struct vm *vm)
{
	vgic_vm_reset(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vgic_vcpu_init(&vm->vcpus[i]);
}

const struct vdev_ops vgic_vdev = {
    .name = "vgic",
    .create = vgic_create,
    .reset = vgic_reset,
    .dump = vgic_dump_vm,
};
