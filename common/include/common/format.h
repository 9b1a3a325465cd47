/*
 * printf-style formatting, shared by the hypervisor and the RTOS (common/format.c). Freestanding:
 * no floating point, no locale. The _td suffix keeps it apart from the host libc's vsnprintf in
 * the unit tests, which link both.
 */
#ifndef COMMON_FORMAT_H
#define COMMON_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Conversions %d %i %u %x %X %p %s %c %%; flags '-' (left-justify) and '0' (zero-pad, after a
 * leading '-'); a decimal width; l, ll and z all mean 64 bits. %s of NULL prints "(null)".
 * Writes at most len - 1 characters and a terminating NUL (nothing when len is 0); returns the
 * length the whole output would have had, as C's vsnprintf does.
 */
int vsnprintf_td(char *buf, size_t len, const char *fmt, va_list ap);
int snprintf_td(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
