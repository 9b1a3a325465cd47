/* A virtual machine: its memory, stage-2 tables, vCPUs, and emulated devices. */
#ifndef TANDEM_VM_H
#define TANDEM_VM_H

#include <tandem/config.h>
#include <tandem/failover.h>
#include <tandem/guest_log.h>
#include <tandem/mmio.h>
#include <tandem/ratelimit.h>
#include <tandem/spinlock.h>
#include <tandem/stage2.h>
#include <tandem/types.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>
#include <tandem/vpl011.h>

struct pool;

#define VM_RAM_BASE CFG_VM_RAM_IPA /* guest-physical base of RAM unless direct-mapped */

enum vm_state {
	VM_RUNNING,
	VM_STOPPED,
	VM_RESTARTING, /* reset by the guest: its vCPUs are leaving, then it starts afresh */
};

struct vm {
	const struct cfg_vm *cfg;
	const char *name;
	unsigned index;
	vmid_t vmid;
	volatile enum vm_state state;
	spinlock_t lock;      /* state changes; before the vGIC and vPL011 locks */
	bool restart_claimed; /* a pCPU has taken on the pending restart (vm_claim_restart) */
	unsigned restarts;    /* completed restarts since boot */
	struct pool *move_to; /* VM_SET_POOL admitted, not yet done: the pool it moves to */

	paddr_t ram_pa; /* host-physical base of its RAM */
	ipa_t ram_ipa;	/* guest-physical base of its RAM */
	uint64_t ram_size;
	struct s2_table s2;

	unsigned nr_vcpus;
	struct vcpu vcpus[CFG_MAX_VCPUS];

	unsigned nr_mmio;
	struct mmio_region mmio[VM_MAX_MMIO_REGIONS];

	struct vgic_vm vgic;
	struct vpl011 uart;
	struct ratelimit log_limit[GUEST_LOG_KINDS]; /* guest_log(): lines it may cause, by kind */
};

extern struct vm vms[CFG_MAX_VMS];
extern unsigned nr_vms;

/* Builds a VM from its configuration: memory, stage 2, images, vCPUs, devices. */
int vm_create(struct vm *vm, const struct cfg_vm *cfg, unsigned index);
/* Starts vCPU 0 at the kernel entry point. */
void vm_start(struct vm *vm);
/* Stops every vCPU of the VM (poweroff or fatal guest error); the system stays up. */
void vm_stop(struct vm *vm, const char *why);
/*
 * PSCI SYSTEM_RESET from one of the VM's vCPUs: with on-reset = "stop", vm_stop();
 * otherwise stops every vCPU and marks the VM restarting. The restart itself runs on
 * the pCPU that leaves its last vCPU (vm_claim_restart), once that pCPU holds no vCPU.
 */
void vm_reset(struct vm *vm);
/*
 * Called by a pCPU that has just left a stopped vCPU of vm (or that found none of them on a
 * pCPU): true if vm is restarting and the caller is the first to claim the work. The caller
 * then runs vm_restart() once it holds no vCPU of any VM (core/pcpu.c).
 */
bool vm_claim_restart(struct vm *vm);
/*
 * The claimed restart: waits until no pCPU runs any of vm's vCPUs, then rebuilds it from its
 * pristine images (RAM wiped, caches cleaned, its VMID's TLB entries invalidated, every device
 * reset: vdev_reset_all) and starts vCPU 0 again. Long (the whole RAM is written): the calling
 * pCPU is away from its pool meanwhile (pool_pcpu_away).
 */
void vm_restart(struct vm *vm);
/*
 * The VM has failed (cause: its watchdog's WS1, a fatal fault): a failover group member goes
 * to failover_vm_failed(); any other VM logs why with a virtual time stamp and gets its
 * on-failure policy: vm_stop(), or the restart vm_reset() does. Callable from one of its
 * vCPUs' traps or from a timer callback on any pCPU.
 */
void vm_fail(struct vm *vm, enum failover_cause cause, const char *why);
/* PSCI SYSTEM_OFF from one of its vCPUs: a failure for a failover member, else vm_stop(). */
void vm_power_off(struct vm *vm);
/*
 * Stops every vCPU (kicked) and marks a running VM restarting, its devices' stop hooks run;
 * false if it was not running. The restart itself is claimed by the pCPU that leaves the
 * last of its vCPUs (vm_claim_restart).
 */
bool vm_begin_restart(struct vm *vm);
/* As vm_begin_restart(), the restart claimed by the caller: no pCPU leaving one of vm's vCPUs
 * runs it; the caller has it run later (pcpu_restart_later, e.g. from a timer). */
bool vm_begin_restart_held(struct vm *vm);
/* After vm_begin_restart(): claims the restart for this pCPU if none of vm's vCPUs is on a
 * pCPU (else the pCPU that leaves the last one does), to run once it holds no vCPU. */
void vm_restart_if_off(struct vm *vm);
/* The virtual counter (== the physical one: CNTVOFF is 0) in microseconds, for the log. */
uint64_t vm_time_us(void);
/* Starts target at entry (PSCI CPU_ON) if the VM runs and target is off; false otherwise. */
bool vm_cpu_on(struct vm *vm, struct vcpu *target, ipa_t entry, uint64_t arg);
/* The vCPU of vm whose virtual MPIDR matches, or NULL. */
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
/* Host pointer to guest memory at ipa for len bytes, or NULL if not RAM. */
void *vm_ipa_to_host(struct vm *vm, ipa_t ipa, size_t len);

#endif
