/*
 * The SCMI channel of a VM that controls a frequency domain (tandem/vscmi.h): its shared
 * page, mapped at stage 2 outside its RAM; the SMC that hands a message over, served right
 * there in the trap (the SMC transport is synchronous); and what its device tree says.
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/guest_log.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>
#include <tandem/vscmi.h>

/* The part of the page a message and its reply can use: the header words, then Linux's
 * 128-byte messages. Only this much is cleaned and invalidated around each message. */
#define SHM_USED 256

struct vscmi_chan {
	struct freq_domain *dom; /* NULL: the VM has no channel */
	paddr_t shm_pa;
	spinlock_t lock; /* one message at a time, whichever vCPU sends it */
	uint64_t messages, refused;
};

static struct vscmi_chan chans[CFG_MAX_VMS];

static uint8_t *shm_of(const struct vscmi_chan *c)
{
	return arch_phys_to_virt(c->shm_pa);
}

/*
 * The guest maps the page Device (uncached) while EL2 reaches it through its cacheable map
 * of RAM: clean and invalidate around every access so each side sees the other's writes
 * (QEMU has no caches and would not show a mistake here).
 */
static void shm_sync(const struct vscmi_chan *c)
{
	arch_dcache_clean_inval_range(shm_of(c), SHM_USED);
}

void vscmi_vm_reset(struct vm *vm)
{
	struct vscmi_chan *c = &chans[vm->index];
	uint8_t *shm;

	if (!c->dom)
		return;
	shm = shm_of(c);
	memset(shm, 0, VSCMI_SHMEM_SIZE);
	/* Free before the guest boots, or its first message waits for a reply that never was. */
	shm[SCMI_SHM_STATUS] = SCMI_SHM_STATUS_FREE;
	arch_dcache_clean_inval_range(shm, VSCMI_SHMEM_SIZE);
}

int vscmi_vm_init(struct vm *vm)
{
	struct vscmi_chan *c = &chans[vm->index];
	struct freq_domain *d = freq_domain_of_vm(vm);
	int err;

	memset(c, 0, sizeof(*c));
	if (!d)
		return 0;
	/* The config checks kept RAM, devices and channels off the window (cfg_emulated_windows).
	 */
	c->shm_pa = mem_alloc_zeroed_page();
	if (!c->shm_pa)
		return -ERR_NOMEM;
	err = s2_map(&vm->s2, VSCMI_SHMEM_IPA, c->shm_pa, VSCMI_SHMEM_SIZE, S2_DEVICE_RW);
	if (err)
		return err;
	c->dom = d;
	vscmi_vm_reset(vm);
	return 0;
}

bool vscmi_handles(uint64_t fn)
{
	return (uint32_t)fn == VSCMI_SMC_ID;
}

void vscmi_call(struct vcpu *vcpu, struct guest_regs *r)
{
	struct vm *vm = vcpu->vm;
	struct vscmi_chan *c = &chans[vm->index];
	const char *why = NULL;
	int status;

	if (!c->dom) {
		guest_log(vm, GLOG_SCMI,
			  "warning: vm %s vcpu %u: SCMI call refused: the VM controls no frequency "
			  "domain (only a domain's controller gets a channel)",
			  vm->name, vcpu->id);
		r->x[0] = (uint64_t)-1; /* SMCCC NOT_SUPPORTED: Linux's only valid SMC error */
		return;
	}
	spin_lock(&c->lock);
	shm_sync(c);
	status = vscmi_process(c->dom, vm->name, shm_of(c), VSCMI_SHMEM_SIZE, &why);
	shm_sync(c);
	c->messages++;
	if (status != SCMI_SUCCESS)
		c->refused++;
	spin_unlock(&c->lock);
	if (status != SCMI_SUCCESS && why)
		guest_log(vm, GLOG_SCMI, "warning: vm %s vcpu %u: SCMI message refused (%d): %s",
			  vm->name, vcpu->id, status, why);
	r->x[0] = 0; /* the reply is in the channel */
}

/* The SCMI platform as a per-VM device (virt/vdev_table.c): create and reset. */
const struct vdev_ops vscmi_vdev = {
    .name = "vscmi",
    .create = vscmi_vm_init,
    .reset = vscmi_vm_reset,
};
