/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * What user space sees of tandem_failover
 * (guests/linux/modules/tandem_failover), shared with
 * guests/linux/tools/recordd.c (which includes it without any libc: fixed-width
 * types only).
 *
 * /dev/tandem-chanN (N = the channel id, one per channel whose description
 * names a protocol other than "vserial", docs/config.md "Channels"): mmap(0,
 * size)   the whole window, Tandem's 64-byte header (link words) included,
 * shared read/write (write-back memory, as in the peer); read()          8
 * bytes: the number of doorbells received so far (u64); blocks until one
 *                   arrived since this file's last read (O_NONBLOCK: -EAGAIN);
 *   poll()          POLLIN when a doorbell arrived since this file's last read;
 *   write()         any bytes: rings the peer's doorbell
 * (TANDEM_HC_CHANNEL_NOTIFY); ioctl()         TANDEM_CHAN_IOC_NOTIFY (the
 * same), TANDEM_CHAN_IOC_INFO. /dev/tandem-failover (the VM is a member of a
 * failover group: a "tandem,failover-v1" node): read()          one line,
 * "role=active generation=0 channel=0 group=bs\n" (role is "active", "standby"
 * or "none"), then end of file until lseek(0); poll()          POLLIN | POLLPRI
 * when the role or generation changed since this file's last read (the
 * promotion interrupt): lseek(fd, 0, SEEK_SET) and read again.
 */
#ifndef TANDEM_FAILOVER_UAPI_H
#define TANDEM_FAILOVER_UAPI_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
typedef __u32 tfo_u32;
typedef __u64 tfo_u64;
#else
#include <stdint.h>
typedef uint32_t tfo_u32;
typedef uint64_t tfo_u64;
#endif

struct tandem_chan_info {
	tfo_u32 id;	   /* the channel id (TANDEM_HC_CHANNEL_NOTIFY's x1) */
	tfo_u32 side;	   /* 0 or 1 */
	tfo_u32 size;	   /* the window, header included */
	tfo_u32 reserved;  /* 0 */
	tfo_u64 doorbells; /* received so far */
	tfo_u64 notified;  /* rung so far */
	char label[32];	   /* the channel's name */
	char protocol[32]; /* its tandem,protocol */
};

/* _IO('T', 0xf0) / _IOR('T', 0xf1, struct tandem_chan_info), spelled out for
 * libc-less users. */
#define TANDEM_CHAN_IOC_NOTIFY 0x54f0U
#define TANDEM_CHAN_IOC_INFO                                                   \
	(0x80000000U | (sizeof(struct tandem_chan_info) << 16) | 0x54f1U)

/* The role hypercall (docs/hypercalls.md; the failover contract): x0 = 0 for a
 * group member. */
#define TANDEM_FAILOVER_ROLE_NONE 0
#define TANDEM_FAILOVER_ROLE_ACTIVE 1
#define TANDEM_FAILOVER_ROLE_STANDBY 2

#endif
