/*
 * Virtual machines: building one from its configuration (RAM, stage 2, images,
 * generated DTB, vCPUs, emulated devices), starting and stopping it.
 */
#include <tandem/arch.h>
#include <tandem/console.h>
#include <tandem/errno.h>
#include <tandem/failover.h>
#include <tandem/guest_dtb.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/string.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

struct vm vms[CFG_MAX_VMS];
unsigned nr_vms;

#define IMAGE_MAGIC   0x644d5241U /* "ARM\x64" at offset 0x38 of an arm64 Image */
#define DTB_AREA      MiB(2)	  /* the guest DTB sits in the last 2 MiB of RAM */
#define GUEST_DTB_MAX KiB(64)

/* Scratch for building a guest DTB: at boot, and at restarts (any pCPU, under load_lock, which
 * nothing takes with interrupts open: a restart's windows are outside it). */
static uint8_t dtb_scratch[2 * GUEST_DTB_MAX];
static spinlock_t load_lock = SPINLOCK_INIT;

/* The parts of an arm64 Image header that say where and how big (booting.rst). */
struct image_layout {
	uint64_t text_offset;
	uint64_t image_size; /* bytes the kernel occupies once running, .bss included */
};

static int parse_image_header(const struct vm *vm, struct image_layout *out)
{
	const uint8_t *img = vm->cfg->kernel.data;
	uint32_t magic;

	if (vm->cfg->kernel.size < 64) {
		printk("config: /vms/%s: kernel: '%s' is too small to be an arm64 Image (%llu "
		       "bytes)\n",
		       vm->name, vm->cfg->kernel.name, (unsigned long long)vm->cfg->kernel.size);
		return -ERR_INVAL;
	}
	memcpy(&magic, img + 0x38, 4);
	memcpy(&out->text_offset, img + 0x8, 8);
	memcpy(&out->image_size, img + 0x10, 8);
	if (magic != IMAGE_MAGIC) {
		printk(
		    "config: /vms/%s: kernel: '%s' has no arm64 Image header (magic \"ARM\\x64\" "
		    "at offset 0x38)\n",
		    vm->name, vm->cfg->kernel.name);
		return -ERR_INVAL;
	}
	if (out->image_size == 0) { /* pre-3.17 kernels: text_offset 0x80000, size unknown */
		out->text_offset = 0x80000;
		out->image_size = ALIGN_UP(vm->cfg->kernel.size, PAGE_SIZE) + MiB(2);
	}
	out->image_size = MAX(out->image_size, vm->cfg->kernel.size);
	return 0;
}

/*
 * A restart writes hundreds of MiB in EL2, where interrupts are masked: in steps of this much,
 * with the pending interrupts taken between steps (arch_irq_window), so this pCPU's timers (a
 * blocked vCPU's wake-up, another VM's watchdog) fire on time. Under a loaded host a restart
 * took seconds: a vCPU of the promoted VM, blocked with its wake-up timer on this pCPU, slept
 * through them and missed its own watchdog.
 */
#define RESTART_STEP MiB(2)

/* windows: take pending interrupts between steps (a restart, holding no lock and no vCPU). */
static void copy_to_guest(struct vm *vm, ipa_t ipa, const void *src, size_t len, bool windows)
{
	uint8_t *dst = vm_ipa_to_host(vm, ipa, len);
	const uint8_t *from = src;

	for (size_t off = 0; off < len; off += RESTART_STEP) {
		size_t n = MIN((size_t)RESTART_STEP, len - off);

		memcpy(dst + off, from + off, n);
		/* The guest starts with its MMU and caches off: make the data visible in memory. */
		arch_dcache_clean_range(dst + off, n);
		if (windows)
			arch_irq_window();
	}
}

/*
 * Zeroes the VM's RAM, dirtied by its previous run, and cleans it to the point of coherency:
 * the guest starts with its MMU and caches off, so it reads memory, not the zeroes still
 * sitting in EL2's cache. A step at a time, interrupts taken in between.
 */
static void wipe_ram(struct vm *vm)
{
	uint8_t *ram = arch_phys_to_virt(vm->ram_pa);

	for (uint64_t off = 0; off < vm->ram_size; off += RESTART_STEP) {
		size_t n = (size_t)MIN((uint64_t)RESTART_STEP, vm->ram_size - off);

		arch_zero_range(ram + off, n);
		arch_dcache_clean_range(ram + off, n);
		arch_irq_window();
	}
}

void *vm_ipa_to_host(struct vm *vm, ipa_t ipa, size_t len)
{
	if (ipa < vm->ram_ipa || ipa - vm->ram_ipa > vm->ram_size || len > vm->ram_size ||
	    ipa - vm->ram_ipa + len > vm->ram_size)
		return NULL;
	return arch_phys_to_virt(vm->ram_pa + (ipa - vm->ram_ipa));
}

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffUL; /* affinity fields only */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_mpidr(&vm->vcpus[i]) == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

/* Where the images go in guest-physical memory. */
struct image_plan {
	ipa_t kernel, initrd, dtb; /* initrd is 0 without one */
};

/*
 * Places kernel, initrd and DTB area in the VM's configured memory, or says (one config:
 * line naming VM and property) why they do not fit. Needs only vm->cfg and vm->name, so
 * every VM's images are checked before any VM starts.
 */
static int plan_images(const struct vm *vm, struct image_plan *plan)
{
	const struct cfg_vm *cfg = vm->cfg;
	uint64_t ram_size = cfg->mem_size;
	struct image_layout img;
	int err;

	err = parse_image_header(vm, &img);
	if (err)
		return err;
	plan->kernel = cfg_vm_ram_ipa(cfg) + img.text_offset;
	plan->initrd = 0;
	plan->dtb = cfg_vm_ram_ipa(cfg) + ram_size - DTB_AREA;
	if (ram_size < DTB_AREA || plan->kernel + img.image_size > plan->dtb) {
		printk("config: /vms/%s: memory: 0x%llx bytes cannot hold kernel '%s' (0x%llx "
		       "bytes at offset 0x%llx) plus the 2 MiB DTB area\n",
		       vm->name, (unsigned long long)ram_size, cfg->kernel.name,
		       (unsigned long long)img.image_size, (unsigned long long)img.text_offset);
		return -ERR_INVAL;
	}
	if (cfg->initrd.name) {
		plan->initrd = ALIGN_UP(plan->kernel + img.image_size, MiB(2));
		if (plan->initrd + cfg->initrd.size > plan->dtb) {
			printk(
			    "config: /vms/%s: memory: 0x%llx bytes cannot hold kernel and initrd "
			    "'%s' (0x%llx bytes)\n",
			    vm->name, (unsigned long long)ram_size, cfg->initrd.name,
			    (unsigned long long)cfg->initrd.size);
			return -ERR_INVAL;
		}
	}
	return 0;
}

/*
 * Copies kernel, initrd and generated DTB into the VM's RAM from the boot bundle (read,
 * never written: every load is pristine); fills the boot entry and DTB address. The DTB is
 * built in the shared scratch under load_lock; windows: as copy_to_guest's (a restart).
 */
static int load_images(struct vm *vm, ipa_t *entry, ipa_t *dtb_ipa, bool windows)
{
	const struct cfg_vm *cfg = vm->cfg;
	struct image_plan plan;
	int err, dtb_size;

	err = plan_images(vm, &plan);
	if (err)
		return err;
	if (plan.initrd)
		copy_to_guest(vm, plan.initrd, cfg->initrd.data, cfg->initrd.size, windows);
	copy_to_guest(vm, plan.kernel, cfg->kernel.data, cfg->kernel.size, windows);

	spin_lock(&load_lock);
	dtb_size = guest_dtb_build(vm, dtb_scratch, sizeof(dtb_scratch), plan.initrd,
				   cfg->initrd.name ? cfg->initrd.size : 0);
	if (dtb_size < 0) {
		spin_unlock(&load_lock);
		printk("config: /vms/%s: cannot generate the guest device tree (%s)\n", vm->name,
		       err_name(dtb_size));
		return dtb_size;
	}
	copy_to_guest(vm, plan.dtb, dtb_scratch, (size_t)dtb_size, false);
	spin_unlock(&load_lock);
	arch_icache_invalidate_all();
	*entry = plan.kernel;
	*dtb_ipa = plan.dtb;
	return 0;
}

int vm_create(struct vm *vm, const struct cfg_vm *cfg, unsigned index)
{
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->name = cfg->name;
	vm->index = index;
	vm->vmid = (vmid_t)(index + 1); /* VMID 0 is never used by a guest */
	vm->ram_size = cfg->mem_size;
	vm->ram_ipa = cfg_vm_ram_ipa(cfg); /* the host-physical base when direct-mapped */
	/* static-mem was checked and kept out of the allocator before anything was allocated. */
	vm->ram_pa =
	    cfg->static_mem ? cfg->static_base : mem_alloc_guest(cfg->mem_size / PAGE_SIZE, MiB(2));
	if (!vm->ram_pa) {
		printk("config: /vms/%s: memory: cannot allocate 0x%llx contiguous bytes (largest "
		       "free 2 MiB-aligned run: 0x%llx)\n",
		       vm->name, (unsigned long long)cfg->mem_size,
		       (unsigned long long)mem_largest_free(MiB(2)));
		return -ERR_NOMEM;
	}
	/*
	 * A fresh VM never sees a previous owner's data: mem_alloc_guest zeroed every frame handed
	 * out before; a static-mem region is zeroed where it held data (design.md, "VM memory").
	 */
	if (cfg->static_mem)
		mem_take_static(vm->ram_pa, vm->ram_size);
	err = s2_init(&vm->s2, vm->vmid);
	if (!err)
		err = s2_map(&vm->s2, vm->ram_ipa, vm->ram_pa, vm->ram_size, S2_NORMAL_RWX);
	if (err) {
		printk("config: /vms/%s: memory: cannot build stage-2 tables (%s)\n", vm->name,
		       err_name(err));
		return err;
	}
	/* A VMID may have been used before (a destroyed VM): drop its stale TLB entries. */
	arch_tlb_flush_vmid(vm->vmid);

	vm->nr_vcpus = cfg->nr_vcpus;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->state = VCPU_OFF;
		vcpu_init_sched(vcpu);
	}
	err = pool_join_vm(vm, cfg->pool);
	if (err)
		return err;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) /* where it first runs, until it moves */
		vm->vcpus[i].pcpu = vm->vcpus[i].sched.home;
	err = vdev_create_all(vm); /* says which device failed */
	if (err)
		return err;
	vm->state = VM_STOPPED;
	return 0;
}

void vm_start(struct vm *vm)
{
	ipa_t entry, dtb;
	char where[8 * CFG_MAX_VCPUS + 1] = "";
	const struct pool *pool;
	size_t n = 0;

	if (load_images(vm, &entry, &dtb, false))
		return;
	for (unsigned i = 0; i < vm->nr_vcpus && n + 4 < sizeof(where); i++)
		n += (size_t)snprintf_td(where + n, sizeof(where) - n, "%s%u", i ? "," : "",
					 vm->vcpus[i].sched.home ? vm->vcpus[i].sched.home->index
								 : 0);
	pool = vm->vcpus[0].sched.pool;
	vm->state = VM_RUNNING;
	/* Home pCPUs: a bind pool's are the vCPUs' own; a dynamic pool's may change. */
	log_info("vm %s: starting %u vCPU%s on pCPU %s, pool %s (%s), %llu MiB at PA 0x%llx%s, "
		 "kernel entry IPA 0x%llx",
		 vm->name, vm->nr_vcpus, vm->nr_vcpus == 1 ? "" : "s", where,
		 pool ? pool->name : "-", pool ? pool->ops->name : "-",
		 (unsigned long long)(vm->ram_size >> 20), (unsigned long long)vm->ram_pa,
		 vm->cfg->direct_map ? " (direct-mapped: IPA == PA)" : "",
		 (unsigned long long)entry);
	vdev_start_all(vm);
	vcpu_start(&vm->vcpus[0], entry, dtb);
}

/* Images are validated before any VM starts, so a bad one stops the boot cleanly. */
int vm_check_images(struct vm *vm)
{
	struct image_plan plan;

	return plan_images(vm, &plan);
}

void vm_stop(struct vm *vm, const char *why)
{
	bool any_running = false;

	spin_lock(&vm->lock);
	if (vm->state == VM_STOPPED) {
		spin_unlock(&vm->lock);
		return;
	}
	vm->state = VM_STOPPED;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].state = VCPU_STOPPED;
		vcpu_kick(&vm->vcpus[i]);
	}
	spin_unlock(&vm->lock);
	log_info("vm %s: stopped (%s)", vm->name, why);
	vdev_stop_all(vm);
	vdev_destroy_all(vm);
	console_vm_stopped(vm);
	for (unsigned i = 0; i < nr_vms; i++)
		any_running |= vms[i].state != VM_STOPPED;
	if (!any_running)
		log_info("no VM is running; the hypervisor stays up");
}

bool vm_cpu_on(struct vm *vm, struct vcpu *target, ipa_t entry, uint64_t arg)
{
	bool ok;

	/* Under the VM lock: a vCPU of a VM being stopped or reset must stay down. */
	spin_lock(&vm->lock);
	ok = vm->state == VM_RUNNING && target->state == VCPU_OFF;
	if (ok) {
		/*
		 * A vCPU is OFF as soon as its CPU_OFF trap says so, but its pCPU saves its
		 * registers and context only on the way out of that trap: starting it before
		 * then would see the save overwrite the fresh context (found by the trap
		 * fuzzer: the vCPU came back after its CPU_OFF instead of at entry). That takes
		 * a few hundred instructions, and the way out takes no VM lock.
		 */
		pcpu_wait_vcpu_off(target);
		vcpu_start(target, entry, arg);
	}
	spin_unlock(&vm->lock);
	return ok;
}

uint64_t vm_time_us(void)
{
	uint64_t t = arch_counter_read(), f = arch_counter_freq();

	return t / f * 1000000 + t % f * 1000000 / f;
}

static bool begin_restart(struct vm *vm, bool held)
{
	spin_lock(&vm->lock);
	if (vm->state != VM_RUNNING) { /* already stopping or restarting */
		spin_unlock(&vm->lock);
		return false;
	}
	vm->state = VM_RESTARTING;
	vm->restart_claimed = held; /* held: claimed by the caller, no leaving pCPU takes it */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].state = VCPU_STOPPED;
		vcpu_kick(&vm->vcpus[i]);
	}
	spin_unlock(&vm->lock);
	vdev_stop_all(vm); /* e.g. its channels' peers see the link down until the restart */
	return true;
}

bool vm_begin_restart(struct vm *vm)
{
	return begin_restart(vm, false);
}

bool vm_begin_restart_held(struct vm *vm)
{
	return begin_restart(vm, true);
}

void vm_power_off(struct vm *vm)
{
	if (!failover_vm_failed(vm, FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"))
		vm_stop(vm, "system off by the guest");
}

void vm_reset(struct vm *vm)
{
	if (failover_vm_failed(vm, FAILOVER_SYSTEM_RESET, "PSCI SYSTEM_RESET"))
		return;
	if (vm->cfg->on_reset == CFG_ON_RESET_STOP) {
		vm_stop(vm, "reset by the guest, on-reset = \"stop\"");
		return;
	}
	if (vm_begin_restart(vm))
		log_info("vm %s: reset by the guest, restarting", vm->name);
}

void vm_restart_if_off(struct vm *vm)
{
	bool loaded = false;

	/*
	 * The restart runs on the pCPU that leaves the VM's last vCPU (pcpu_maybe_switch). From a
	 * timer callback, every vCPU may already be off all pCPUs (blocked in WFI): nobody would
	 * leave one, so this pCPU claims it, and runs it once it holds no vCPU (at the end of
	 * this trap, or in its idle loop): never with another VM's vCPU loaded or picked here.
	 */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		loaded |= __atomic_load_n(&vm->vcpus[i].loaded_on, __ATOMIC_ACQUIRE) != NULL ||
			  __atomic_load_n(&vm->vcpus[i].sched.running_on, __ATOMIC_ACQUIRE);
	if (!loaded && vm_claim_restart(vm))
		pcpu_restart_later(vm);
}

void vm_fail(struct vm *vm, enum failover_cause cause, const char *why)
{
	if (failover_vm_failed(vm, cause, why))
		return;
	log_warn("vm %s: failed at %llu us (virtual): %s; on-failure = \"%s\"", vm->name,
		 (unsigned long long)vm_time_us(), why,
		 vm->cfg->on_failure == CFG_ON_FAILURE_STOP ? "stop" : "restart");
	if (vm->cfg->on_failure == CFG_ON_FAILURE_STOP) {
		vm_stop(vm, why);
		return;
	}
	if (!vm_begin_restart(vm))
		return;
	log_info("vm %s: restarting after a failure", vm->name);
	vm_restart_if_off(vm);
}

void vm_restart(struct vm *vm)
{
	ipa_t entry, dtb;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		pcpu_wait_vcpu_off(&vm->vcpus[i]);
	wipe_ram(vm);
	/* Stage-2 tables are unchanged, but the guest's stage-1 entries under its VMID are stale.
	 */
	arch_tlb_flush_vmid(vm->vmid);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].state = VCPU_OFF;
	vdev_reset_all(vm);
	/* The images are the boot bundle's, which nothing writes: pristine every time. */
	if (load_images(vm, &entry, &dtb, true)) {
		vm_stop(vm, "restart failed: its images no longer load");
		return;
	}
	spin_lock(&vm->lock);
	if (vm->state != VM_RESTARTING) { /* stopped meanwhile (a SYSTEM_OFF in flight) */
		spin_unlock(&vm->lock);
		return;
	}
	vm->restarts++;
	vm->state = VM_RUNNING;
	spin_unlock(&vm->lock);
	log_info("vm %s: restarted (restart %u), %llu free page frames", vm->name, vm->restarts,
		 (unsigned long long)(mem_free_bytes() / PAGE_SIZE));
	vdev_start_all(vm);
	vcpu_start(&vm->vcpus[0], entry, dtb);
}

bool vm_claim_restart(struct vm *vm)
{
	bool claim;

	spin_lock(&vm->lock);
	claim = vm->state == VM_RESTARTING && !vm->restart_claimed;
	if (claim)
		vm->restart_claimed = true;
	spin_unlock(&vm->lock);
	return claim;
}
