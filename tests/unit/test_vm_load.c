/* clang-format off */ /* unit-sources: hypervisor/core/vm.c hypervisor/virt/vscmi_vm.c hypervisor/virt/vscmi.c hypervisor/core/freq.c hypervisor/platform/clock.c hypervisor/core/mem.c hypervisor/arch/aarch64/stage2.c hypervisor/core/mmio.c hypervisor/core/guest_log.c hypervisor/lib/ratelimit.c */
/* clang-format on */
/*
 * Loading a guest (core/vm.c) against the fake arch: kernel, initrd and generated DTB land
 * where vm.c says, each is cleaned to the point of coherency, the I-cache is invalidated
 * before the boot vCPU starts (issue 2), the VM's VMID is flushed from the TLB, and bad
 * kernels or too-small VMs are refused with a config: line. Devices, DTB and vCPUs are doubles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/arch.h>
#include <tandem/config.h>
#include <tandem/console.h>
#include <tandem/guest_dtb.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/vm.h>

/* Declared by core/main.c, its only caller. */
int vm_check_images(struct vm *vm);

/* ---- doubles for what vm.c calls but this test does not compile ---- */

struct pcpu pcpus[MAX_PCPUS];
unsigned nr_pcpus;

static const uint8_t dtb_bytes[] = {0xd0, 0x0d, 0xfe, 0xed, 0x11, 0x22, 0x33, 0x44, 0x55};

static struct {
	unsigned dtb_builds;
	ipa_t dtb_initrd_start;
	uint64_t dtb_initrd_size;
	/* fake arch state when guest_dtb_build ran (after the initrd and kernel copies) */
	unsigned long dtb_cleans, dtb_icache;
	uint64_t dtb_bytes;
	const void *dtb_last_va;
	size_t dtb_last_size;

	unsigned starts;
	unsigned waits_at_start; /* pcpu_wait_vcpu_off() calls before the last vcpu_start() */
	struct vcpu *start_vcpu;
	ipa_t start_entry;
	uint64_t start_arg;
	/* fake arch state when vcpu_start ran */
	unsigned long start_cleans, start_icache, start_tlb;
	uint64_t start_bytes;
	const void *start_last_va;
	size_t start_last_size;

	unsigned vgic_vm_inits, vgic_vcpu_inits, vpl011_inits;
	/* restarts */
	unsigned waits, vgic_vm_resets, vpl011_resets;
	uint8_t ram_at_wait;	   /* first RAM byte when the pCPUs were waited for */
	unsigned long tlb_at_vgic; /* fake_arch.tlb_flushes when the vGIC was reset */
	unsigned vcpu_inits_at_vgic;
	unsigned chan_creates, chan_ups, chan_downs; /* channel.c's hooks */
	unsigned starts_at_chan_up;		     /* vcpu_start calls when a link went up */
} rec;

static struct vm vm;

void pcpu_wait_vcpu_off(const struct vcpu *vcpu)
{
	rec.waits++;
	rec.ram_at_wait = *(uint8_t *)vm_ipa_to_host(vcpu->vm, VM_RAM_BASE, 1);
}

void vgic_vm_reset(struct vm *v)
{
	rec.vgic_vm_resets++;
	rec.tlb_at_vgic = fake_arch.tlb_flushes;
	rec.vcpu_inits_at_vgic = rec.vgic_vcpu_inits;
}

void vpl011_reset(struct vm *v)
{
	rec.vpl011_resets++;
}

int vgic_vm_init(struct vm *vm)
{
	rec.vgic_vm_inits++;
	return 0;
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
	rec.vgic_vcpu_inits++;
}

int vpl011_init(struct vm *vm)
{
	rec.vpl011_inits++;
	return 0;
}

int guest_dtb_build(struct vm *vm, void *buf, size_t cap, ipa_t initrd_start, uint64_t initrd_size)
{
	rec.dtb_builds++;
	rec.dtb_initrd_start = initrd_start;
	rec.dtb_initrd_size = initrd_size;
	rec.dtb_cleans = fake_arch.dcache_cleans;
	rec.dtb_icache = fake_arch.icache_invals;
	rec.dtb_bytes = fake_arch.dcache_bytes;
	rec.dtb_last_va = fake_arch.dcache_last_va;
	rec.dtb_last_size = fake_arch.dcache_last_size;
	if (cap < sizeof(dtb_bytes))
		return -1;
	memcpy(buf, dtb_bytes, sizeof(dtb_bytes));
	return (int)sizeof(dtb_bytes);
}

void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	rec.starts++;
	rec.waits_at_start = rec.waits;
	rec.start_vcpu = vcpu;
	rec.start_entry = entry;
	rec.start_arg = arg;
	rec.start_cleans = fake_arch.dcache_cleans;
	rec.start_icache = fake_arch.icache_invals;
	rec.start_tlb = fake_arch.tlb_flushes;
	rec.start_bytes = fake_arch.dcache_bytes;
	rec.start_last_va = fake_arch.dcache_last_va;
	rec.start_last_size = fake_arch.dcache_last_size;
}

void vcpu_kick(struct vcpu *vcpu)
{
}
void vcpu_init_sched(struct vcpu *vcpu)
{
}
static struct pcpu fake_home; /* where pool_join_vm "places" every vCPU */
int pool_join_vm(struct vm *vm, unsigned pool_index)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].sched.home = &fake_home;
	return 0;
}
void console_rx_resume(struct vm *vm)
{
}
void console_vm_stopped(const struct vm *v)
{
}
static unsigned passthrough_inits, passthrough_follows;
int passthrough_vm_init(struct vm *vm)
{
	passthrough_inits++;
	return 0;
}
void passthrough_vm_reset(struct vm *vm)
{
}
int channel_vm_create(struct vm *v)
{
	rec.chan_creates++;
	return 0;
}
void channel_vm_up(struct vm *v)
{
	rec.chan_ups++;
	rec.starts_at_chan_up = rec.starts;
}
void channel_vm_down(struct vm *v)
{
	rec.chan_downs++;
}
void passthrough_follow_vcpu(struct vcpu *vcpu)
{
	assert_non_null(vcpu->pcpu); /* only once the vCPU is placed */
	passthrough_follows++;
}
uint64_t vcpu_mpidr(const struct vcpu *vcpu)
{
	return vcpu->id;
}

/* ---- fixtures ---- */

#define TEXT_OFFSET 0x80000ULL
#define IMAGE_SIZE  0x300000ULL /* running size, .bss included: larger than the file */
#define KERNEL_FILE 0x20000	/* bytes in the Image file */
#define INITRD_SIZE 0x12345
#define DTB_AREA    MiB(2)

static uint8_t kernel[KERNEL_FILE];
static uint8_t initrd[INITRD_SIZE];
static struct cfg_vm cfg;

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void make_kernel(uint64_t text_offset, uint64_t image_size, bool magic)
{
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 7 + 3);
	put64(kernel + 0x8, text_offset);
	put64(kernel + 0x10, image_size);
	if (magic)
		memcpy(kernel + 0x38, (const uint8_t[4]){'A', 'R', 'M', 0x64}, 4);
	else
		memcpy(kernel + 0x38, (const uint8_t[4]){'A', 'R', 'M', 0x65}, 4);
}

static int setup(void **state)
{
	paddr_t base = FAKE_RAM_BASE;
	uint64_t size = MiB(64);

	fake_reset();
	fake_arch.printk_quiet = true;
	memset(&rec, 0, sizeof(rec));
	memset(&vm, 0, sizeof(vm));
	memset(pcpus, 0, sizeof(pcpus));
	nr_pcpus = 2;
	for (unsigned i = 0; i < nr_pcpus; i++) {
		pcpus[i].index = i;
		pcpus[i].online = true;
	}
	if (mem_init(&base, &size, 1, NULL, NULL, 0))
		return -1;

	make_kernel(TEXT_OFFSET, IMAGE_SIZE, true);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 1);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "linux");
	cfg.nr_vcpus = 1;
	cfg.mem_size = MiB(16);
	cfg.kernel.name = "Image";
	cfg.kernel.data = kernel;
	cfg.kernel.size = sizeof(kernel);
	cfg.initrd.name = "initrd.cpio";
	cfg.initrd.data = initrd;
	cfg.initrd.size = sizeof(initrd);
	return 0;
}

/* ---- tests ---- */

static void test_load_and_start(void **state)
{
	ipa_t kernel_ipa = VM_RAM_BASE + TEXT_OFFSET;
	ipa_t initrd_ipa = ALIGN_UP(kernel_ipa + IMAGE_SIZE, MiB(2));
	ipa_t dtb_ipa = VM_RAM_BASE + cfg.mem_size - DTB_AREA;
	void *khost, *ihost, *dhost;

	assert_int_equal(vm_create(&vm, &cfg, 2), 0);
	assert_int_equal(vm.vmid, 3);
	assert_int_equal(vm.state, VM_STOPPED);
	/* The VM's VMID is flushed from the TLB before anything can run in it. */
	assert_true(fake_arch.tlb_flushes >= 1);
	assert_int_equal(fake_arch.tlb_last_vmid, 3);
	assert_int_equal(rec.vgic_vm_inits, 1);
	assert_int_equal(rec.vpl011_inits, 1);
	assert_int_equal(rec.vgic_vcpu_inits, 1);
	assert_int_equal(rec.starts, 0);
	/* Its RAM was zeroed and cleaned to the point of coherency, all of it, once. */
	assert_int_equal(fake_arch.dcache_cleans, 1);
	assert_int_equal(fake_arch.dcache_last_size, cfg.mem_size);
	fake_arch.dcache_cleans = 0;
	fake_arch.dcache_bytes = 0;

	vm_start(&vm);
	assert_int_equal(vm.state, VM_RUNNING);

	/* Images are where vm.c puts them. */
	khost = vm_ipa_to_host(&vm, kernel_ipa, sizeof(kernel));
	ihost = vm_ipa_to_host(&vm, initrd_ipa, sizeof(initrd));
	dhost = vm_ipa_to_host(&vm, dtb_ipa, sizeof(dtb_bytes));
	assert_non_null(khost);
	assert_non_null(ihost);
	assert_non_null(dhost);
	assert_memory_equal(khost, kernel, sizeof(kernel));
	assert_memory_equal(ihost, initrd, sizeof(initrd));
	assert_memory_equal(dhost, dtb_bytes, sizeof(dtb_bytes));
	/* Nothing else was written below the kernel (RAM is zeroed at creation). */
	assert_int_equal(*(uint8_t *)vm_ipa_to_host(&vm, kernel_ipa - 1, 1), 0);
	assert_int_equal(*(uint8_t *)vm_ipa_to_host(&vm, VM_RAM_BASE, 1), 0);

	/* The DTB was told where the initrd is. */
	assert_int_equal(rec.dtb_builds, 1);
	assert_int_equal(rec.dtb_initrd_start, initrd_ipa);
	assert_int_equal(rec.dtb_initrd_size, sizeof(initrd));

	/* Before the DTB was built: initrd and kernel cleaned, kernel last, no I-cache yet. */
	assert_int_equal(rec.dtb_cleans, 2);
	assert_int_equal(rec.dtb_bytes, sizeof(initrd) + sizeof(kernel));
	assert_ptr_equal(rec.dtb_last_va, khost);
	assert_int_equal(rec.dtb_last_size, sizeof(kernel));
	assert_int_equal(rec.dtb_icache, 0);

	/* When the boot vCPU started: the DTB cleaned too, and the I-cache invalidated. */
	assert_int_equal(rec.starts, 1);
	assert_ptr_equal(rec.start_vcpu, &vm.vcpus[0]);
	assert_int_equal(rec.start_entry, kernel_ipa);
	assert_int_equal(rec.start_arg, dtb_ipa);
	assert_int_equal(rec.start_cleans, 3);
	assert_int_equal(rec.start_bytes, sizeof(initrd) + sizeof(kernel) + sizeof(dtb_bytes));
	assert_ptr_equal(rec.start_last_va, dhost);
	assert_int_equal(rec.start_last_size, sizeof(dtb_bytes));
	assert_true(rec.start_icache >= 1);
	assert_true(rec.start_tlb >= 1);
	/* ... and nothing was cleaned after the vCPU was started. */
	assert_int_equal(fake_arch.dcache_cleans, rec.start_cleans);
}

static void test_no_initrd(void **state)
{
	cfg.initrd.name = NULL;
	cfg.initrd.data = NULL;
	cfg.initrd.size = 0;
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	fake_arch.dcache_cleans = 0; /* the RAM wipe, checked in test_load_and_start */
	fake_arch.dcache_bytes = 0;
	vm_start(&vm);
	assert_int_equal(rec.starts, 1);
	assert_int_equal(rec.dtb_initrd_start, 0);
	assert_int_equal(rec.dtb_initrd_size, 0);
	assert_int_equal(rec.start_cleans, 2);
	assert_int_equal(rec.start_bytes, sizeof(kernel) + sizeof(dtb_bytes));
	assert_true(rec.start_icache >= 1);
	assert_int_equal(rec.start_entry, VM_RAM_BASE + TEXT_OFFSET);
}

static void test_kernel_without_magic_refused(void **state)
{
	make_kernel(TEXT_OFFSET, IMAGE_SIZE, false);
	assert_int_not_equal(vm_check_images(&(struct vm){.cfg = &cfg, .name = cfg.name}), 0);
	assert_true(fake_printk_contains("config: /vms/linux: kernel:"));

	fake_arch.printk_log[0] = '\0';
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	fake_arch.dcache_cleans = 0; /* the RAM wipe */
	vm_start(&vm);
	assert_true(fake_printk_contains("config: /vms/linux: kernel:"));
	assert_int_equal(rec.starts, 0);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(fake_arch.dcache_cleans, 0);
}

static void test_vm_too_small_refused(void **state)
{
	/* 4 MiB: the 3 MiB image at 512 KiB overlaps the DTB area in the last 2 MiB. */
	cfg.mem_size = MiB(4);
	/* Refused before any VM starts (issue 3 bad input: an image too large for its VM)... */
	assert_int_not_equal(vm_check_images(&(struct vm){.cfg = &cfg, .name = cfg.name}), 0);
	assert_true(fake_printk_contains("config: /vms/linux: memory: 0x400000 bytes cannot hold "
					 "kernel 'Image'"));
	fake_arch.printk_log[0] = '\0';
	/* ... and again by the loader itself. */
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	vm_start(&vm);
	assert_true(fake_printk_contains("config: /vms/linux: memory:"));
	assert_int_equal(rec.starts, 0);
	assert_int_equal(vm.state, VM_STOPPED);
}

static void test_initrd_does_not_fit_refused(void **state)
{
	/* 6 MiB: kernel ends at 3.5 MiB, initrd at 4 MiB would overlap the DTB area. */
	cfg.mem_size = MiB(6);
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	vm_start(&vm);
	assert_true(fake_printk_contains("config: /vms/linux: memory:"));
	assert_true(fake_printk_contains("initrd"));
	assert_int_equal(rec.starts, 0);
}

/* static-mem + direct-map: RAM at the given host-physical base, the same guest-physical. */
static void test_direct_map(void **state)
{
	paddr_t base = FAKE_RAM_BASE + MiB(32);
	uint64_t free_before = mem_free_bytes();
	paddr_t pa;

	cfg.nr_vcpus = 2;
	cfg.static_mem = true;
	cfg.static_base = base;
	cfg.direct_map = true;
	passthrough_inits = passthrough_follows = 0;
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	assert_int_equal(vm.ram_pa, base);
	assert_int_equal(vm.ram_ipa, base);
	assert_int_equal(passthrough_inits, 1);
	assert_int_equal(passthrough_follows, 2); /* each vCPU where it is first placed */
	/* No guest RAM came from the allocator: only stage-2 tables (root + one level 2). */
	assert_int_equal(free_before - mem_free_bytes(), 2 * PAGE_SIZE);
	assert_int_equal(vm.s2.nr_tables, 2); /* 2 MiB blocks, no level-3 table */
	assert_int_equal(s2_translate(&vm.s2, base + MiB(5) + 0x123, &pa), 0);
	assert_int_equal(pa, base + MiB(5) + 0x123);
	assert_int_not_equal(s2_translate(&vm.s2, VM_RAM_BASE, &pa), 0);

	vm_start(&vm);
	assert_int_equal(rec.starts, 1);
	/* Images and DTB follow the RAM: kernel at base + text_offset, DTB in the last 2 MiB. */
	assert_int_equal(rec.start_entry, base + TEXT_OFFSET);
	assert_int_equal(rec.start_arg, base + cfg.mem_size - DTB_AREA);
	assert_int_equal(rec.dtb_initrd_start, ALIGN_UP(base + TEXT_OFFSET + IMAGE_SIZE, MiB(2)));
	assert_memory_equal(arch_phys_to_virt(base + TEXT_OFFSET), kernel, sizeof(kernel));
}

/* static-mem without direct-map: the fixed host-physical RAM at the usual guest-physical base. */
static void test_static_mem_not_direct(void **state)
{
	paddr_t base = FAKE_RAM_BASE + MiB(32), pa;

	cfg.static_mem = true;
	cfg.static_base = base;
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	assert_int_equal(vm.ram_pa, base);
	assert_int_equal(vm.ram_ipa, VM_RAM_BASE);
	assert_int_equal(s2_translate(&vm.s2, VM_RAM_BASE + 0x1000, &pa), 0);
	assert_int_equal(pa, base + 0x1000);
	vm_start(&vm);
	assert_int_equal(rec.start_entry, VM_RAM_BASE + TEXT_OFFSET);
}

/* ---- restart (PSCI SYSTEM_RESET with on-reset = "restart") ---- */

static void start_two_vcpu_vm(void)
{
	cfg.nr_vcpus = 2;
	assert_int_equal(vm_create(&vm, &cfg, 1), 0);
	vm_start(&vm);
	vm.vcpus[0].state = VCPU_RUNNABLE; /* what vcpu_start (a double here) would have done */
	vm.vcpus[1].state = VCPU_RUNNABLE;
}

static void test_restart_from_pristine_images(void **state)
{
	uint8_t kernel_before[sizeof(kernel)];
	uint8_t *ram, *khost;

	start_two_vcpu_vm();
	memcpy(kernel_before, kernel, sizeof(kernel));
	/* The guest scribbles over all of its RAM, its kernel included. */
	ram = vm_ipa_to_host(&vm, VM_RAM_BASE, cfg.mem_size);
	memset(ram, 0xa5, cfg.mem_size);

	assert_int_equal(rec.chan_creates, 1);
	assert_int_equal(rec.chan_ups, 1); /* its channels' link went up as it started */
	assert_int_equal(rec.chan_downs, 0);
	vm_reset(&vm);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_int_equal(vm.vcpus[0].state, VCPU_STOPPED);
	assert_int_equal(vm.vcpus[1].state, VCPU_STOPPED);
	assert_int_equal(rec.starts, 1);     /* nothing happens on the resetting vCPU itself */
	assert_int_equal(rec.chan_downs, 1); /* peers see the link down at once */
	vm_reset(&vm);			     /* a second request (another vCPU) changes nothing */
	assert_int_equal(vm.state, VM_RESTARTING);
	/* While restarting, PSCI CPU_ON cannot revive a vCPU. */
	vm.vcpus[1].state = VCPU_OFF;
	assert_false(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 0));
	assert_int_equal(rec.starts, 1);

	fake_arch.dcache_cleans = 0;
	fake_arch.dcache_bytes = 0;
	fake_arch.icache_invals = 0;
	fake_arch.tlb_flushes = 0;
	rec.vgic_vcpu_inits = 0;
	vm_vcpu_left(&vm); /* the pCPU that left the resetting vCPU does the work */

	/* Every vCPU was waited off its pCPU before the RAM was touched. */
	assert_int_equal(rec.waits, 2);
	assert_int_equal(rec.ram_at_wait, 0xa5);
	/* RAM wiped, the images reloaded from the (unchanged) bundle copy. */
	khost = vm_ipa_to_host(&vm, VM_RAM_BASE + TEXT_OFFSET, sizeof(kernel));
	assert_memory_equal(khost, kernel, sizeof(kernel));
	assert_memory_equal(kernel, kernel_before, sizeof(kernel));
	assert_int_equal(ram[0], 0);
	assert_int_equal(ram[cfg.mem_size - DTB_AREA - 1], 0);
	assert_int_equal(ram[cfg.mem_size - 1], 0);
	/* The whole RAM cleaned first, then each image; the I-cache invalidated, the VMID's TLB
	 * entries flushed before the vGIC reset and the start. */
	assert_int_equal(rec.start_cleans, 4);
	assert_int_equal(rec.start_bytes,
			 cfg.mem_size + sizeof(initrd) + sizeof(kernel) + sizeof(dtb_bytes));
	assert_true(rec.start_icache >= 1);
	assert_int_equal(rec.tlb_at_vgic, 1);
	assert_int_equal(fake_arch.tlb_last_vmid, vm.vmid);
	/* Devices back to their reset state: vGIC distributor, then each vCPU's, the UART. */
	assert_int_equal(rec.vgic_vm_resets, 1);
	assert_int_equal(rec.vcpu_inits_at_vgic, 0);
	assert_int_equal(rec.vgic_vcpu_inits, 2);
	assert_int_equal(rec.vpl011_resets, 1);
	/* vCPU 0 starts again at the kernel entry; vCPU 1 waits for the guest's CPU_ON. */
	assert_int_equal(rec.starts, 2);
	assert_ptr_equal(rec.start_vcpu, &vm.vcpus[0]);
	assert_int_equal(rec.start_entry, VM_RAM_BASE + TEXT_OFFSET);
	assert_int_equal(vm.vcpus[1].state, VCPU_OFF);
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(vm.restarts, 1);
	assert_true(fake_printk_contains("vm linux: restarted (restart 1)"));
	/* The link came up again just before vCPU 0 started, not when the reset was asked. */
	assert_int_equal(rec.chan_ups, 2);
	assert_int_equal(rec.starts_at_chan_up, 1);
	assert_int_equal(rec.chan_downs, 1);

	/* Another pCPU leaving a vCPU of the VM later does not restart it again. */
	vm_vcpu_left(&vm);
	assert_int_equal(rec.starts, 2);
	assert_int_equal(vm.restarts, 1);
}

static void test_reset_with_on_reset_stop(void **state)
{
	cfg.on_reset = CFG_ON_RESET_STOP;
	start_two_vcpu_vm();
	vm_reset(&vm);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.vcpus[0].state, VCPU_STOPPED);
	vm_vcpu_left(&vm);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(rec.starts, 1);
	assert_int_equal(rec.vgic_vm_resets, 0);
	assert_true(
	    fake_printk_contains("vm linux: stopped (reset by the guest, on-reset = \"stop\")"));
	assert_int_equal(rec.chan_downs, 1); /* stopped: its peers see the link down */
}

static void test_cpu_on_only_while_running(void **state)
{
	start_two_vcpu_vm();
	vm.vcpus[1].state = VCPU_OFF;
	rec.waits = 0;
	assert_true(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 7));
	assert_int_equal(rec.starts, 2);
	/* Its pCPU may still be saving it after its CPU_OFF: waited for before the start. */
	assert_int_equal(rec.waits, 1);
	assert_int_equal(rec.waits_at_start, 1);
	assert_ptr_equal(rec.start_vcpu, &vm.vcpus[1]);
	assert_false(vm_cpu_on(&vm, &vm.vcpus[0], VM_RAM_BASE, 7)); /* already on */
	vm_stop(&vm, "test");
	vm.vcpus[1].state = VCPU_OFF;
	assert_false(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 7)); /* the VM is stopped */
	assert_int_equal(rec.starts, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_restart_from_pristine_images, setup),
	    cmocka_unit_test_setup(test_reset_with_on_reset_stop, setup),
	    cmocka_unit_test_setup(test_cpu_on_only_while_running, setup),
	    cmocka_unit_test_setup(test_load_and_start, setup),
	    cmocka_unit_test_setup(test_no_initrd, setup),
	    cmocka_unit_test_setup(test_kernel_without_magic_refused, setup),
	    cmocka_unit_test_setup(test_vm_too_small_refused, setup),
	    cmocka_unit_test_setup(test_initrd_does_not_fit_refused, setup),
	    cmocka_unit_test_setup(test_direct_map, setup),
	    cmocka_unit_test_setup(test_static_mem_not_direct, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
