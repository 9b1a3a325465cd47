/*
 * The console. Tasks serialise whole lines on a mutex, so a long polled line never masks
 * interrupts (it would add its length to every latency on that CPU). Contexts that cannot block
 * (boot, interrupts, faults, the idle task) use a spinlock with interrupts masked instead; the two
 * can interleave characters, which only matters when a fault report meets a task's line.
 * Input: the UART interrupt pushes bytes into a single-producer single-consumer ring and counts
 * them on a semaphore that the reading task takes.
 */
#include <stdatomic.h>
#include <stdbool.h>

#include "console.h"
#include "klock.h"
#include "rtos.h"
#include "sched.h"
#include "uart.h"

#define RX_RING 256

static struct ticket_lock spin;
static struct mutex line_mutex;
static bool use_mutex;

static char rx_ring[RX_RING];
static _Atomic unsigned rx_head, rx_tail;
static struct semaphore rx_count;

static void out(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_use_mutex(void)
{
	mutex_init(&line_mutex);
	sem_init(&rx_count, 0, RX_RING);
	use_mutex = true;
}

void console_locked(void (*fn)(void *arg), void *arg)
{
	/* The mutex only from a task that may block and does not hold the kernel lock (a fatal
	 * report from inside the scheduler must not take it); and a task that faulted while
	 * printing already owns it (RTOS_EDEADLK): print anyway. */
	if (use_mutex && sched_can_block() && !sched_lock_held_here()) {
		int r = mutex_lock(&line_mutex, RTOS_FOREVER);

		fn(arg);
		if (r == RTOS_OK)
			mutex_unlock(&line_mutex);
	} else {
		unsigned long flags = port_irq_save();

		ticket_lock(&spin);
		fn(arg);
		ticket_unlock(&spin);
		port_irq_restore(flags);
	}
}

struct out_args {
	const char *s;
	size_t n;
};

static void out_locked(void *arg)
{
	const struct out_args *o = arg;

	out(o->s, o->n);
}

void console_write(const char *s, size_t n)
{
	struct out_args o = {s, n};

	console_locked(out_locked, &o);
}

void kprintf(const char *fmt, ...)
{
	char buf[320];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf_td(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void console_rx(char c)
{
	unsigned head = atomic_load_explicit(&rx_head, memory_order_relaxed);

	if (head - atomic_load_explicit(&rx_tail, memory_order_acquire) >= RX_RING)
		return; /* full: drop */
	rx_ring[head % RX_RING] = c;
	atomic_store_explicit(&rx_head, head + 1, memory_order_release);
	if (use_mutex)
		sem_give(&rx_count);
}

static char rx_pop(void)
{
	unsigned tail = atomic_load_explicit(&rx_tail, memory_order_relaxed);
	char c;

	sem_take(&rx_count, RTOS_FOREVER);
	c = rx_ring[tail % RX_RING];
	atomic_store_explicit(&rx_tail, tail + 1, memory_order_release);
	return c;
}

size_t console_read_line(char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		char c = rx_pop();

		if (c == '\r' || c == '\n') {
			console_write("\n", 1);
			break;
		}
		if ((c == 0x7f || c == '\b') && n) {
			n--;
			console_write("\b \b", 3);
		} else if (c >= 0x20 && c < 0x7f && n + 1 < cap) {
			buf[n++] = c;
			console_write(&c, 1);
		}
	}
	buf[n] = '\0';
	return n;
}
