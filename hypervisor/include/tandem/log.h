/* printf-style output and log lines. */
#ifndef TANDEM_LOG_H
#define TANDEM_LOG_H

#include <common/format.h> /* vsnprintf_td, snprintf_td */
#include <tandem/types.h>

/* Writes a formatted message to the console, whole, under the console lock. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_info(fmt, ...)  printk("tandem: " fmt "\n", ##__VA_ARGS__)
#define log_warn(fmt, ...)  printk("tandem: warning: " fmt "\n", ##__VA_ARGS__)
#define log_error(fmt, ...) printk("tandem: error: " fmt "\n", ##__VA_ARGS__)

void __attribute__((noreturn)) panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (cond)                                                                          \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                      \
	} while (0)

#endif
