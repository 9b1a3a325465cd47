/*
 * The emulated SBSA generic watchdog (docs/design.md, "Health monitoring"): one per VM whose
 * description says `watchdog;`, both frames trapped at stage 2, its WS0 signal a level SPI.
 * Its second expiry (WS1) is the VM's failure: vm_fail() applies the VM's on-failure policy.
 */
#ifndef TANDEM_VWDOG_H
#define TANDEM_VWDOG_H

#include <tandem/types.h>

struct vm;
struct vdev_ops;

/* Guest-physical frames: free windows of QEMU virt's map, next to the UART (vpl011.h). */
#define VWDOG_CONTROL_BASE 0x090c0000UL
#define VWDOG_REFRESH_BASE 0x090d0000UL
#define VWDOG_FRAME_SIZE   0x1000UL

/* Register offsets (Arm SBSA, "Generic Watchdog"). */
#define VWDOG_WCS    0x000 /* control frame: control and status */
#define VWDOG_WOR    0x008 /* control frame: offset register (32 bits in version 0) */
#define VWDOG_WCV    0x010 /* control frame: compare value, 64 bits */
#define VWDOG_WRR    0x000 /* refresh frame: any write refreshes */
#define VWDOG_W_IIDR 0xfcc /* both frames */

#define VWDOG_WCS_EN  (1U << 0)
#define VWDOG_WCS_WS0 (1U << 1)
#define VWDOG_WCS_WS1 (1U << 2)
/* Implementer Arm (0x43b), revision 0, architecture version 0 (32-bit WOR), product 0. */
#define VWDOG_IIDR_VALUE 0x0000043bU

/* At vm_create: registers both frames if the VM has a watchdog. 0 or a negative ERR_*. */
int vwdog_vm_create(struct vm *vm);
/* The VM stops or restarts: its timeout no longer runs. */
void vwdog_vm_down(struct vm *vm);
/*
 * The VM restarts: disabled, WS0 clear; WS1 stays set if the watchdog itself caused this
 * restart (what a real SoC keeps in its reset-status register), so the new incarnation's
 * driver reports WDIOF_CARDRESET. Any other restart clears it.
 */
void vwdog_vm_reset(struct vm *vm);

/* Its entry in the per-VM device table (virt/vdev_table.c). */
extern const struct vdev_ops vwdog_vdev;

#endif
