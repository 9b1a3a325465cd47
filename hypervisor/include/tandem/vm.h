/* A virtual machine: its memory, stage-2 tables, vCPUs, and emulated devices. */
#ifndef TANDEM_VM_H
#define TANDEM_VM_H

#include <tandem/config.h>
#include <tandem/mmio.h>
#include <tandem/spinlock.h>
#include <tandem/stage2.h>
#include <tandem/types.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>
#include <tandem/vpl011.h>

#define VM_RAM_BASE CFG_VM_RAM_IPA /* guest-physical base of RAM unless direct-mapped */

enum vm_state {
	VM_RUNNING,
	VM_STOPPED,
};

struct vm {
	const struct cfg_vm *cfg;
	const char *name;
	unsigned index;
	vmid_t vmid;
	volatile enum vm_state state;
	spinlock_t lock;

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
};

extern struct vm vms[CFG_MAX_VMS];
extern unsigned nr_vms;

/* Builds a VM from its configuration: memory, stage 2, images, vCPUs, devices. */
int vm_create(struct vm *vm, const struct cfg_vm *cfg, unsigned index);
/* Starts vCPU 0 at the kernel entry point. */
void vm_start(struct vm *vm);
/* Stops every vCPU of the VM (poweroff or fatal guest error); the system stays up. */
void vm_stop(struct vm *vm, const char *why);
/* Restarts the VM from pristine images (PSCI SYSTEM_RESET with on-reset = "restart"). */
void vm_reset(struct vm *vm);
/* The vCPU of vm whose virtual MPIDR matches, or NULL. */
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
/* Host pointer to guest memory at ipa for len bytes, or NULL if not RAM. */
void *vm_ipa_to_host(struct vm *vm, ipa_t ipa, size_t len);

#endif
