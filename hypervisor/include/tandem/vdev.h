/*
 * Per-VM emulated devices: each registers one ops record in the ordered table of
 * virt/vdev_table.c, which vm.c walks to create, restart and stop a VM's devices and the
 * console's Ctrl-A g walks for the interrupt-state dump. A new device is one new file and
 * one table entry; vm.c names none of them.
 */
#ifndef TANDEM_VDEV_H
#define TANDEM_VDEV_H

#include <tandem/types.h>

struct vm;

/* Text a dump hook appends to (vdev_dump_add); cut, never overflowed, when full. */
struct vdev_dump_buf {
	size_t len;
	char text[4096]; /* about 150 bytes per vCPU line, 30 per interrupt or list register */
};

/*
 * What the VM's life asks of a device. Every hook but create may be NULL. They run on the
 * pCPU doing the work with no VM lock held; the VM's vCPUs are all off their pCPUs for
 * create, reset and start, and are being kicked off them for stop and destroy.
 *
 * A VM's life: create, then start; a guest's reset request: stop, reset, start; vm_stop:
 * stop, destroy (a stopped VM never runs again).
 */
struct vdev_ops {
	const char *name; /* in error lines: "config: /vms/rtos: cannot set up device vpl011" */
	/* At vm_create, vCPUs placed on their first pCPUs: set up state, register MMIO. */
	int (*create)(struct vm *vm);
	/* VM restart (PSCI SYSTEM_RESET): back to the state create left, MMIO regions kept. */
	void (*reset)(struct vm *vm);
	/* The VM is about to run (first start, or a restart), just before its vCPU 0 starts. */
	void (*start)(struct vm *vm);
	/* The VM stops running: for good (vm_stop), or until its restart (a reset request). */
	void (*stop)(struct vm *vm);
	/*
	 * The VM stopped for good (vm_stop), or a device after this one failed to create:
	 * give back what the device holds outside the VM. Its state stays for the dumps.
	 */
	void (*destroy)(struct vm *vm);
	/* Ctrl-A g: appends the device's lines for vm to out with vdev_dump_add(). */
	void (*dump)(struct vm *vm, struct vdev_dump_buf *out);
};

/*
 * The table, in the order devices are created and reset (destroyed in reverse): a device
 * comes after those it uses (the vGIC first: every other device drives its lines).
 */
extern const struct vdev_ops *const vdev_table[];
extern const unsigned vdev_table_len;

/*
 * A device's per-VM state, when it is not part of struct vm: one slot per VM in the
 * device's own file (`static struct vwdt vwdt_state[CFG_MAX_VMS];`), reached by
 * VDEV_SLOT(vwdt_state, vm). vm.h then needs no line for the device.
 */
#define VDEV_SLOT(slots, vm) (&(slots)[(vm)->index])

/*
 * Creates every device of vm in table order. On a failure, destroys those already created
 * (reverse order), logs one config: line naming the VM and the device, returns the error.
 */
int vdev_create_all(struct vm *vm);
/* Resets every device of vm in table order (VM restart, every vCPU off its pCPU). */
void vdev_reset_all(struct vm *vm);
/* Starts every device of vm in table order (vCPU 0 about to start). */
void vdev_start_all(struct vm *vm);
/* Stops every device of vm in reverse table order (vm_stop, reset request). */
void vdev_stop_all(struct vm *vm);
/* Destroys every device of vm in reverse table order (vm_stop, after vdev_stop_all). */
void vdev_destroy_all(struct vm *vm);
/* Ctrl-A g: every VM's devices' dump lines, in table order, in as few console writes as fit. */
void vdev_dump(void);
/* For dump hooks: appends printf-style text to out (cut, not overflowed, when full). */
void vdev_dump_add(struct vdev_dump_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
