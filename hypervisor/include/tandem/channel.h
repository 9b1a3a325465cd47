/*
 * Channels at run time (docs/design.md, "Channels"): each channel's shared region, mapped into
 * its two VMs, the doorbell hypercall between them and the link words in the region's header
 * (tandem/abi/channel.h). The configuration (cfg_channel, cfg_vm.channels) says where.
 */
#ifndef TANDEM_CHANNEL_H
#define TANDEM_CHANNEL_H

#include <tandem/types.h>

struct vcpu;
struct vdev_ops;
struct vm;

/* Channels as a per-VM device (virt/vdev_table.c): create, start (link up), stop (down). */
extern const struct vdev_ops channel_vdev;

/*
 * At vm_create: allocates each of the VM's channel regions on first use (zeroed, header
 * written) and maps its window at stage 2 (normal write-back, read/write, not executable).
 * Returns 0, or -ERR_NOMEM after logging one config: line naming channel and VM.
 */
int channel_vm_create(struct vm *vm);
/*
 * The VM is about to run (first start or restart, just before vCPU 0 starts): its side's
 * link word becomes up with the next generation, and the peers' doorbells ring.
 */
void channel_vm_up(struct vm *vm);
/* The VM stopped or is restarting: its side's link word goes down, the peers' doorbells ring. */
void channel_vm_down(struct vm *vm);
/*
 * TANDEM_HC_CHANNEL_NOTIFY from vcpu: rings the doorbell of the peer of vcpu's VM on channel
 * id. Returns TANDEM_OK, or TANDEM_E_INVAL with *why set (no such channel, caller not an
 * endpoint). A doorbell to a stopped peer is dropped; beyond the caller's rate it is deferred
 * (delivered when the rate allows), not lost.
 */
int64_t channel_notify(struct vcpu *vcpu, uint64_t id, const char **why);
/*
 * Console dump, for each channel end of vm: window, doorbell, both link words, doorbells it
 * received and those dropped (it was stopped), and its own doorbells deferred by the rate.
 */
void channel_dump_vm(struct vm *vm, void (*add)(const char *fmt, ...));

#endif
