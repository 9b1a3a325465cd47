/*
 * PL011 driver (Arm PL011 TRM, DDI 0183): polled transmit, interrupt-driven receive. It touches
 * only DR, FR, IMSC, ICR (and CR on a full PL011), all of which the SBSA generic UART also has,
 * so one driver serves both; the difference is a flag rather than an ops table because it is
 * one register write at init.
 */
#include "console.h"
#include "mmio.h"
#include "sysreg.h"
#include "uart.h"

#define UART_DR	  0x000
#define UART_FR	  0x018
#define UART_CR	  0x030
#define UART_IMSC 0x038
#define UART_ICR  0x044

#define FR_RXFE	  (1U << 4)
#define FR_TXFF	  (1U << 5)
#define CR_UARTEN (1U << 0)
#define CR_TXE	  (1U << 8)
#define CR_RXE	  (1U << 9)
#define INT_RX	  (1U << 4)
#define INT_RT	  (1U << 6) /* receive timeout: bytes sit in the FIFO below its trigger level */

static uintptr_t base;

void uart_init(uintptr_t b, bool sbsa)
{
	base = b;
	if (!sbsa) {
		uint32_t cr = mmio_read32(base + UART_CR);

		if ((cr & (CR_UARTEN | CR_TXE | CR_RXE)) != (CR_UARTEN | CR_TXE | CR_RXE))
			mmio_write32(base + UART_CR, cr | CR_UARTEN | CR_TXE | CR_RXE);
	}
	mmio_write32(base + UART_IMSC, 0);
}

void uart_putc(char c)
{
	if (!base)
		return;
	while (mmio_read32(base + UART_FR) & FR_TXFF)
		cpu_relax();
	mmio_write32(base + UART_DR, (uint8_t)c);
}

void uart_rx_irq_enable(void)
{
	mmio_write32(base + UART_ICR, INT_RX | INT_RT);
	mmio_write32(base + UART_IMSC, INT_RX | INT_RT);
}

void uart_rx_irq_disable(void)
{
	mmio_write32(base + UART_IMSC, 0);
}

void uart_irq(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)stamp;
	(void)arg;
	while (!(mmio_read32(base + UART_FR) & FR_RXFE))
		console_rx((char)(mmio_read32(base + UART_DR) & 0xff));
	mmio_write32(base + UART_ICR, INT_RX | INT_RT);
}
