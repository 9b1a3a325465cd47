/*
 * Log lines a guest can cause at will (refused MMIO accesses, unhandled traps and system
 * registers, vGIC accesses ignored): rate-limited per VM and per kind of message, so a hostile
 * guest cannot flood the console that every VM and the hypervisor share, cannot silence another
 * VM's messages, and one kind it repeats does not hide the others.
 */
#ifndef TANDEM_GUEST_LOG_H
#define TANDEM_GUEST_LOG_H

struct vm;

#define GUEST_LOG_BURST	  10 /* lines of one kind a VM may cause in a row */
#define GUEST_LOG_PER_SEC 5  /* then this many a second */

/* Kinds of guest-caused messages: each has its own share. */
enum guest_log_kind {
	GLOG_UNMAPPED,	  /* access to an IPA with nothing behind it */
	GLOG_NO_SYNDROME, /* emulated region, no valid syndrome */
	GLOG_REFUSED,	  /* emulated access refused by the device */
	GLOG_FETCH,	  /* instruction fetch from no RAM */
	GLOG_TABLE_WALK,  /* stage-1 table walk into no RAM */
	GLOG_SYSREG,	  /* unsupported system register */
	GLOG_TRAP,	  /* unhandled exception class */
	GLOG_VGIC,	  /* vGIC access ignored */
	GLOG_SCMI,	  /* SCMI message refused (virt/vscmi.c) */
	GUEST_LOG_KINDS
};

/*
 * Prints "tandem: " fmt "\n" unless vm has used up its share of this kind; the first line let
 * through after some were dropped is preceded by "tandem: warning: vm NAME: N messages
 * suppressed".
 */
void guest_log(struct vm *vm, enum guest_log_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
