/* The console UART: an Arm PL011, or its SBSA subset (Xen's vpl011 for dom0less guests). */
#ifndef RTOS_UART_H
#define RTOS_UART_H

#include <stdbool.h>
#include <stdint.h>

/* Polled output works from here on. An SBSA UART has no CR/LCR/baud registers: the firmware or
 * hypervisor set it up, and those registers are left alone. */
void uart_init(uintptr_t base, bool sbsa);
void uart_putc(char c);
/* Unmasks the receive interrupts; every byte received goes to console_rx(). */
void uart_rx_irq_enable(void);
/* Masks them again: received bytes stay in the UART's FIFO (the shell's "deaf" command). */
void uart_rx_irq_disable(void);
/* The UART's interrupt handler (irq.c calls it through the handler table). */
void uart_irq(unsigned intid, uint64_t stamp, void *arg);

#endif
