/*
 * The 16550A UART, register level (National Semiconductor PC16550D data sheet; QEMU's
 * hw/char/serial.c implements it, with 16-byte FIFOs). Byte registers, one byte apart
 * (QEMU's pci-serial-4x: regshift 0, the four UARTs 8 bytes apart in one I/O BAR).
 */
#ifndef RTOS_UART16550_H
#define RTOS_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "mmio.h"

#define U16550_RBR 0 /* read: receive buffer; write: THR */
#define U16550_THR 0
#define U16550_DLL 0 /* with LCR.DLAB */
#define U16550_IER 1
#define U16550_DLM 1 /* with LCR.DLAB */
#define U16550_IIR 2 /* read */
#define U16550_FCR 2 /* write */
#define U16550_LCR 3
#define U16550_MCR 4
#define U16550_LSR 5
#define U16550_MSR 6

#define IER_RDI	 0x01 /* received data available (and the character timeout) */
#define IER_THRI 0x02 /* transmit holding register empty */

#define IIR_ID_MASK 0x0f /* bit 0 = no interrupt pending, bits 3:1 = which */
#define IIR_RDA	    0x04 /* received data available: the RX FIFO is at its trigger level */

#define LSR_DR	 0x01
#define LSR_OE	 0x02
#define LSR_THRE 0x20

#define LCR_DLAB 0x80

#define U16550_FIFO	  16
#define U16550_BAUDBASE	  115200U /* QEMU's PCI serial cards: a 1.8432 MHz clock / 16 */
#define U16550_RX_TRIGGER 14	  /* FCR trigger level: QEMU then reads up to 14 bytes at once */

/* Line settings as a serial port's user states them. */
struct u16550_line {
	uint32_t baud;	   /* 50 .. 115200 */
	uint8_t data_bits; /* 5-8 */
	uint8_t stop_bits; /* 1 or 2 */
	char parity;	   /* 'N', 'O', 'E', 'M' (mark), 'S' (space) */
};

static inline uint8_t u16550_read(uintptr_t base, unsigned reg)
{
	return mmio_read8(base + reg);
}

static inline void u16550_write(uintptr_t base, unsigned reg, uint8_t v)
{
	mmio_write8(base + reg, v);
}

/* LCR value and divisor latch for a line; false if the settings are out of range. */
bool u16550_encode(const struct u16550_line *l, uint8_t *lcr, uint16_t *divisor);
/* Programs divisor and LCR (interrupts and FIFOs untouched). */
void u16550_set_line(uintptr_t base, uint8_t lcr, uint16_t divisor);
/*
 * Resets the UART to a known state: interrupts off, the line, FIFOs on and cleared (bytes
 * already received are lost: a fact of the hardware), DTR/RTS/OUT2 set, pending status read
 * away. Interrupts stay off: the caller enables what it wants through IER.
 */
void u16550_init(uintptr_t base, uint8_t lcr, uint16_t divisor);

#endif
