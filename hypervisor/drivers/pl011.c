/* PL011 UART driver (ARM DDI 0183): polled transmit, interrupt-driven receive. */
#include <tandem/arch.h>
#include <tandem/console.h>

#define UART_DR	  0x000
#define UART_FR	  0x018
#define UART_IMSC 0x038
#define UART_ICR  0x044
#define FR_RXFE	  (1U << 4)
#define FR_TXFF	  (1U << 5)
#define INT_RX	  (1U << 4)
#define INT_RT	  (1U << 6)
#define INT_FE	  (1U << 7)
#define INT_PE	  (1U << 8)
#define INT_BE	  (1U << 9)
#define INT_OE	  (1U << 10)

static volatile uint8_t *base;

static inline uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(base + off);
}

static inline void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static void pl011_putc(char c)
{
	while (rd(UART_FR) & FR_TXFF)
		;
	wr(UART_DR, (uint8_t)c);
}

static int pl011_getc(void)
{
	if (rd(UART_FR) & FR_RXFE)
		return -1;
	return (int)(rd(UART_DR) & 0xff);
}

/*
 * Clears the latched error interrupts but not RX/RT, which reading the data clears (PL011 TRM,
 * DDI 0183, UARTICR): QEMU raises RX only as its FIFO goes from empty to one character, so
 * clearing it over a character typed before boot left the UART silent for good, its FIFO (one
 * deep: FEN clear) full and no interrupt ever again (issue 12 item 4).
 */
static void pl011_enable_rx_irq(void)
{
	wr(UART_ICR, INT_OE | INT_BE | INT_PE | INT_FE);
	wr(UART_IMSC, INT_RX | INT_RT);
}

static const struct uart_ops pl011_ops = {
    .putc = pl011_putc,
    .getc = pl011_getc,
    .enable_rx_irq = pl011_enable_rx_irq,
};

const struct uart_ops *pl011_probe(paddr_t pa)
{
	base = arch_phys_to_virt(pa);
	return &pl011_ops;
}
