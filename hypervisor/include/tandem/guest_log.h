/*
 * Log lines a guest can cause at will (refused MMIO accesses, unhandled traps and system
 * registers, vGIC accesses ignored): rate-limited per VM, so a hostile guest cannot flood the
 * console that every VM and the hypervisor share, and cannot silence another VM's messages.
 */
#ifndef TANDEM_GUEST_LOG_H
#define TANDEM_GUEST_LOG_H

struct vm;

#define GUEST_LOG_BURST	  20 /* lines a VM may cause in a row */
#define GUEST_LOG_PER_SEC 10 /* then this many a second */

/*
 * Prints "tandem: " fmt "\n" unless vm has used up its share; the first line let through
 * after some were dropped is preceded by "tandem: warning: vm NAME: N messages suppressed".
 */
void guest_log(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
