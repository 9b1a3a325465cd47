/* Emulated PL011 UART, one per VM, wired to the hypervisor console. */
#ifndef TANDEM_VPL011_H
#define TANDEM_VPL011_H

#include <tandem/spinlock.h>
#include <tandem/types.h>

struct vdev_ops;
struct vm;

#define VPL011_BASE   0x09000000UL /* guest-physical, as on QEMU virt */
#define VPL011_SIZE   0x1000UL
#define VPL011_SPI    33 /* INTID (SPI 1) */
#define VPL011_RX_LEN 64

/*
 * Lock order: vpl011.lock before the vGIC locks (the line level is driven under
 * it, so racing updates cannot apply out of order). The console is never called
 * with it held.
 */
struct vpl011 {
	spinlock_t lock;
	uint32_t cr, lcr_h, ibrd, fbrd, ilpr, ifls, imsc, dmacr;
	uint32_t ris; /* latched status bits (overrun); TX/RX/RT are derived from the FIFOs */
	uint8_t rx[VPL011_RX_LEN];
	unsigned rx_head, rx_count;
};

/* Resets the UART's registers and registers its MMIO region in vm. */
int vpl011_init(struct vm *vm);
/* Returns the UART to its reset state, empty RX FIFO, line low (VM restart; region stays). */
void vpl011_reset(struct vm *vm);
/* The UART as a per-VM device (virt/vdev_table.c); its reset and stop resume console input. */
extern const struct vdev_ops vpl011_vdev;
/* True if the VM's receive FIFO has room for n more characters. */
bool vpl011_rx_room(struct vm *vm, unsigned n);
/* Feeds one character of console input to the VM's UART (from the console's input focus). */
void vpl011_rx_char(struct vm *vm, char c);

#endif
