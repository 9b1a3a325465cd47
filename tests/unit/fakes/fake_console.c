/* Stands in for core/console.c: output is kept in fake_knobs.console_out; calls recorded. */
#include <string.h>

#include <tandem/console.h>

#include "fake.h"

void console_write(const char *s, size_t len)
{
	size_t room = sizeof(fake_knobs.console_out) - 1 - fake_knobs.console_len;
	size_t n = len < room ? len : room;

	memcpy(fake_knobs.console_out + fake_knobs.console_len, s, n);
	fake_knobs.console_len += n;
	fake_knobs.console_out[fake_knobs.console_len] = '\0';
	fake_record("console_write", NULL, len, 0, 0);
}

void console_putc(char c)
{
	console_write(&c, 1);
}

void console_guest_putc(struct vm *vm, char c)
{
	fake_record("console_guest_putc", vm, (uint8_t)c, 0, 0);
}

void console_rx_resume(struct vm *vm)
{
	fake_record("console_rx_resume", vm, 0, 0, 0);
}

void console_vm_stopped(const struct vm *vm)
{
	fake_record("console_vm_stopped", vm, 0, 0, 0);
}
