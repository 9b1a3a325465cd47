/* Emulated PL011 UART, one per VM, wired to the hypervisor console. */
#ifndef TANDEM_VPL011_H
#define TANDEM_VPL011_H

#include <tandem/spinlock.h>
#include <tandem/types.h>

struct vm;

#define VPL011_BASE   0x09000000UL /* guest-physical, as on QEMU virt */
#define VPL011_SIZE   0x1000UL
#define VPL011_SPI    33 /* INTID (SPI 1) */
#define VPL011_RX_LEN 64

struct vpl011 {
	spinlock_t lock;
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
	uint8_t rx[VPL011_RX_LEN];
	unsigned rx_head, rx_count;
	bool line_start; /* next output char starts a line (print the VM prefix) */
};

/* Registers the UART's MMIO region in vm. */
int vpl011_init(struct vm *vm);
/* Feeds one character of console input to the VM's UART (from the console's input focus). */
void vpl011_rx_char(struct vm *vm, char c);

#endif
