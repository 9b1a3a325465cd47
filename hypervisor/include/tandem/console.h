/* The hypervisor console: output from the hypervisor and every VM, input to one VM at a time. */
#ifndef TANDEM_CONSOLE_H
#define TANDEM_CONSOLE_H

#include <tandem/types.h>

struct vm;

/* Output through the physical UART (serialised by the console lock). */
void console_putc(char c);
void console_write(const char *s, size_t len);
/* One character of guest output from vm; lines are prefixed "[name] " when several VMs run. */
void console_guest_putc(struct vm *vm, char c);
/* Handles a received character: Ctrl-A three times switches focus, otherwise goes to the focused
 * VM. */
void console_input(char c);
/* The UART driver in use (set at boot). */
struct uart_ops {
	void (*putc)(char c);
	int (*getc)(void); /* -1 if nothing received */
	void (*enable_rx_irq)(void);
};
void console_init(const struct uart_ops *ops, uint64_t base);
/* Gives the UART up for good (the root's "console" names the VM that takes it): says so, then
 * drops every later output and reads no more input. */
void console_handover(const char *vm_name);
/* vm stopped for good: if it had the input focus, the focus moves to the next running VM. */
void console_vm_stopped(const struct vm *vm);
/*
 * vm read its receive FIFO below half (or stopped, or restarted with it empty): move its queued
 * input into the FIFO, and count vm as reading its console again.
 */
void console_rx_resume(struct vm *vm);
/* Drains the physical UART's receive FIFO (its interrupt handler). */
void console_irq(void);
/* Claims the UART's SPI (intid) for console_irq(), as a hypervisor device interrupt. */
int console_claim_irq(irq_t intid);

#endif
