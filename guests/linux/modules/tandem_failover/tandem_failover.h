/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tandem_failover: what a Linux member of a Tandem failover group needs (issue
 * 15): chan.c gives user space raw access to channels that carry a protocol of
 * their own
 * (/dev/tandem-chanN), role.c the VM's role in its group and the promotion
 * interrupt
 * (/dev/tandem-failover). User-visible behaviour: tandem_failover_uapi.h.
 */
#ifndef TANDEM_FAILOVER_INTERNAL_H
#define TANDEM_FAILOVER_INTERNAL_H

#include <linux/platform_device.h>

#include <tandem/abi/channel.h>
#include <tandem/abi/hypercall.h>

#include "tandem_failover_uapi.h"

/* The role query (the failover contract), until abi/hypercall.h names it. */
#ifndef TANDEM_HC_FAILOVER_STATE
#define TANDEM_HC_FAILOVER_STATE 0xc6000008U
#endif
#define TANDEM_FAILOVER_COMPATIBLE "tandem,failover-v1"

extern struct platform_driver tfo_chan_driver;
extern struct platform_driver tfo_role_driver;

#endif
