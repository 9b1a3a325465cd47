/* Console output (polled, whole lines) and line input (interrupt-driven) over the UART. */
#ifndef RTOS_CONSOLE_H
#define RTOS_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include <common/format.h> /* vsnprintf_td, snprintf_td */

/* Prints atomically with respect to other printers. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
/* Runs fn(arg) holding the console, so that whatever it sends to the UART is not interleaved. */
void console_locked(void (*fn)(void *arg), void *arg);
/* After the scheduler runs: tasks serialise on a mutex instead of a spinning lock. */
void console_use_mutex(void);
/* Reads a line of input (echoed); blocks. Returns its length. */
size_t console_read_line(char *buf, size_t cap);
/* One received byte, from the UART interrupt. */
void console_rx(char c);

#endif
