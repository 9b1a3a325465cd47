/*
 * Walks the device table (virt/vdev_table.c) for a VM's creation, start, restart and stop,
 * so that no device can be created but forgotten at restart: vm.c names no device.
 */
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

int vdev_create_all(struct vm *vm)
{
	for (unsigned i = 0; i < vdev_table_len; i++) {
		const struct vdev_ops *dev = vdev_table[i];
		int err = dev->create(vm);

		if (err) {
			printk("config: /vms/%s: cannot set up emulated device %s (%s)\n", vm->name,
			       dev->name, err_name(err));
			while (i-- > 0)
				if (vdev_table[i]->destroy)
					vdev_table[i]->destroy(vm);
			return err;
		}
	}
	return 0;
}

void vdev_reset_all(struct vm *vm)
{
	for (unsigned i = 0; i < vdev_table_len; i++)
		if (vdev_table[i]->reset)
			vdev_table[i]->reset(vm);
}

void vdev_start_all(struct vm *vm)
{
	for (unsigned i = 0; i < vdev_table_len; i++)
		if (vdev_table[i]->start)
			vdev_table[i]->start(vm);
}

void vdev_stop_all(struct vm *vm)
{
	for (unsigned i = vdev_table_len; i-- > 0;)
		if (vdev_table[i]->stop)
			vdev_table[i]->stop(vm);
}

void vdev_destroy_all(struct vm *vm)
{
	for (unsigned i = vdev_table_len; i-- > 0;)
		if (vdev_table[i]->destroy)
			vdev_table[i]->destroy(vm);
}
