/*
 * Stands in for virt/vdev_table.c: two recording devices, so vm.c's walks over the table
 * are seen as calls "irqchip.create", "uart.reset", ... (obj: the VM). Their dump hooks
 * add a line "tandem: irqchip vm NAME" through virt/vdev_dump.c, which must be linked too.
 */
#include <tandem/errno.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "fake.h"

const char *const fake_vdev_names[FAKE_VDEVS] = {"irqchip", "uart"};

#define FAKE_VDEV(i, nm)                                                                           \
	static int nm##_create(struct vm *vm)                                                      \
	{                                                                                          \
		fake_record(#nm ".create", vm, 0, 0, 0);                                           \
		return fake_knobs.vdev_fail_create == (i) + 1 ? -ERR_NOMEM : 0;                    \
	}                                                                                          \
	static void nm##_reset(struct vm *vm)                                                      \
	{                                                                                          \
		fake_record(#nm ".reset", vm, 0, 0, 0);                                            \
	}                                                                                          \
	static void nm##_start(struct vm *vm)                                                      \
	{                                                                                          \
		fake_record(#nm ".start", vm, 0, 0, 0);                                            \
	}                                                                                          \
	static void nm##_stop(struct vm *vm)                                                       \
	{                                                                                          \
		fake_record(#nm ".stop", vm, 0, 0, 0);                                             \
	}                                                                                          \
	static void nm##_destroy(struct vm *vm)                                                    \
	{                                                                                          \
		fake_record(#nm ".destroy", vm, 0, 0, 0);                                          \
	}                                                                                          \
	static void nm##_dump(struct vm *vm, struct vdev_dump_buf *out)                            \
	{                                                                                          \
		fake_record(#nm ".dump", vm, 0, 0, 0);                                             \
		vdev_dump_add(out, "tandem: " #nm " vm %s\n", vm->name);                           \
	}                                                                                          \
	static const struct vdev_ops nm##_vdev = {.name = #nm,                                     \
						  .create = nm##_create,                           \
						  .reset = nm##_reset,                             \
						  .start = nm##_start,                             \
						  .stop = nm##_stop,                               \
						  .destroy = nm##_destroy,                         \
						  .dump = nm##_dump}

FAKE_VDEV(0, irqchip);
FAKE_VDEV(1, uart);

const struct vdev_ops *const vdev_table[] = {&irqchip_vdev, &uart_vdev};
const unsigned vdev_table_len = ARRAY_SIZE(vdev_table);
