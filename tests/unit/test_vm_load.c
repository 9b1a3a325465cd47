/* clang-format off */ /* unit-sources: hypervisor/core/vm.c hypervisor/lib/mem.c hypervisor/arch/aarch64/stage2.c hypervisor/core/mmio.c hypervisor/virt/vdev.c hypervisor/virt/vdev_dump.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vdev_table.c tests/unit/fakes/fake_vcpu.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_console.c tests/unit/fakes/fake_guest_dtb.c tests/unit/fakes/fake_failover.c */
/* clang-format on */
/*
 * Loading a guest (core/vm.c) against the fake arch: kernel, initrd and generated DTB land
 * where vm.c says, each is cleaned to the point of coherency, the I-cache is invalidated
 * before the boot vCPU starts (issue 2), the VM's VMID is flushed from the TLB, and bad
 * kernels or too-small VMs are refused with a config: line. Devices (a fake device table),
 * DTB, vCPUs, pCPUs and pools are the shared fakes (tests/unit/fakes).
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
#include <tandem/errno.h>
#include <tandem/guest_dtb.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

/* Declared by core/main.c, its only caller. */
int vm_check_images(struct vm *vm);

/* ---- what the shared fakes saw at the moment of a call (fake_on_call) ---- */

static struct {
	/* fake arch state when guest_dtb_build ran (after the initrd and kernel copies) */
	unsigned long dtb_cleans, dtb_icache;
	uint64_t dtb_bytes;
	const void *dtb_last_va;
	size_t dtb_last_size;

	/* fake arch state when vcpu_start ran */
	unsigned waits_at_start; /* pcpu_wait_vcpu_off() calls before the last vcpu_start() */
	unsigned long start_cleans, start_icache, start_tlb, start_windows;
	uint64_t start_bytes;
	const void *start_last_va;
	size_t start_last_size;

	/* restarts */
	uint8_t ram_at_wait;	    /* first RAM byte when the pCPUs were waited for */
	unsigned long tlb_at_reset; /* fake_arch.tlb_flushes when the first device was reset */
	bool vcpus_off_at_reset;    /* every vCPU OFF when the first device was reset */
} rec;

static struct vm vm;

static void snapshot(const struct fake_call *c)
{
	if (strcmp(c->fn, "guest_dtb_build") == 0) {
		rec.dtb_cleans = fake_arch.dcache_cleans;
		rec.dtb_icache = fake_arch.icache_invals;
		rec.dtb_bytes = fake_arch.dcache_bytes;
		rec.dtb_last_va = fake_arch.dcache_last_va;
		rec.dtb_last_size = fake_arch.dcache_last_size;
	} else if (strcmp(c->fn, "vcpu_start") == 0) {
		rec.waits_at_start = fake_count("pcpu_wait_vcpu_off");
		rec.start_cleans = fake_arch.dcache_cleans;
		rec.start_windows = fake_arch.irq_windows;
		rec.start_icache = fake_arch.icache_invals;
		rec.start_tlb = fake_arch.tlb_flushes;
		rec.start_bytes = fake_arch.dcache_bytes;
		rec.start_last_va = fake_arch.dcache_last_va;
		rec.start_last_size = fake_arch.dcache_last_size;
	} else if (strcmp(c->fn, "pcpu_wait_vcpu_off") == 0) {
		const struct vcpu *v = c->obj;

		rec.ram_at_wait = *(uint8_t *)vm_ipa_to_host(v->vm, VM_RAM_BASE, 1);
	} else if (strcmp(c->fn, "irqchip.reset") == 0) {
		rec.tlb_at_reset = fake_arch.tlb_flushes;
		rec.vcpus_off_at_reset = true;
		for (unsigned i = 0; i < vm.nr_vcpus; i++)
			rec.vcpus_off_at_reset &= vm.vcpus[i].state == VCPU_OFF;
	}
}

static unsigned starts(void)
{
	return fake_count("vcpu_start");
}

static const struct fake_call *last_start(void)
{
	const struct fake_call *c = fake_last("vcpu_start");

	assert_non_null(c);
	return c;
}

static const struct fake_call *last_dtb(void)
{
	const struct fake_call *c = fake_last("guest_dtb_build");

	assert_non_null(c);
	return c;
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
	fake_ram_power_on(); /* each test is a fresh boot: RAM zero, nothing handed out yet */
	fake_arch.printk_quiet = true;
	fake_calls_reset();
	fake_on_call = snapshot;
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
	/* Every device of the table created once, in table order, after the vCPUs were placed. */
	assert_int_equal(fake_count_obj("irqchip.create", &vm), 1);
	assert_int_equal(fake_count_obj("uart.create", &vm), 1);
	assert_true(fake_first("pool_join_vm") < fake_first("irqchip.create"));
	assert_true(fake_first("irqchip.create") < fake_first("uart.create"));
	assert_int_equal(fake_count("irqchip.destroy") + fake_count("uart.destroy"), 0);
	assert_int_equal(starts(), 0);
	/* Its RAM is frames nothing had since boot: not written, no cache maintenance. */
	assert_int_equal(fake_arch.dcache_cleans, 0);

	vm_start(&vm);
	assert_int_equal(vm.state, VM_RUNNING);

	/* Images are where vm.c puts them. */
	khost = vm_ipa_to_host(&vm, kernel_ipa, sizeof(kernel));
	ihost = vm_ipa_to_host(&vm, initrd_ipa, sizeof(initrd));
	dhost = vm_ipa_to_host(&vm, dtb_ipa, sizeof(fake_guest_dtb_bytes));
	assert_non_null(khost);
	assert_non_null(ihost);
	assert_non_null(dhost);
	assert_memory_equal(khost, kernel, sizeof(kernel));
	assert_memory_equal(ihost, initrd, sizeof(initrd));
	assert_memory_equal(dhost, fake_guest_dtb_bytes, sizeof(fake_guest_dtb_bytes));
	/* Nothing else was written below the kernel (RAM as it was at boot: zero). */
	assert_int_equal(*(uint8_t *)vm_ipa_to_host(&vm, kernel_ipa - 1, 1), 0);
	assert_int_equal(*(uint8_t *)vm_ipa_to_host(&vm, VM_RAM_BASE, 1), 0);

	/* The DTB was told where the initrd is. */
	assert_int_equal(fake_count("guest_dtb_build"), 1);
	assert_int_equal(last_dtb()->arg[0], initrd_ipa);
	assert_int_equal(last_dtb()->arg[1], sizeof(initrd));

	/* Before the DTB was built: initrd and kernel cleaned, kernel last, no I-cache yet. */
	assert_int_equal(rec.dtb_cleans, 2);
	assert_int_equal(rec.dtb_bytes, sizeof(initrd) + sizeof(kernel));
	assert_ptr_equal(rec.dtb_last_va, khost);
	assert_int_equal(rec.dtb_last_size, sizeof(kernel));
	assert_int_equal(rec.dtb_icache, 0);

	/* When the boot vCPU started: the DTB cleaned too, and the I-cache invalidated. */
	assert_int_equal(starts(), 1);
	assert_ptr_equal(last_start()->obj, &vm.vcpus[0]);
	assert_int_equal(last_start()->arg[0], kernel_ipa);
	assert_int_equal(last_start()->arg[1], dtb_ipa);
	assert_int_equal(rec.start_cleans, 3);
	assert_int_equal(rec.start_bytes,
			 sizeof(initrd) + sizeof(kernel) + sizeof(fake_guest_dtb_bytes));
	assert_ptr_equal(rec.start_last_va, dhost);
	assert_int_equal(rec.start_last_size, sizeof(fake_guest_dtb_bytes));
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
	vm_start(&vm);
	assert_int_equal(starts(), 1);
	assert_int_equal(last_dtb()->arg[0], 0);
	assert_int_equal(last_dtb()->arg[1], 0);
	assert_int_equal(rec.start_cleans, 2);
	assert_int_equal(rec.start_bytes, sizeof(kernel) + sizeof(fake_guest_dtb_bytes));
	assert_true(rec.start_icache >= 1);
	assert_int_equal(last_start()->arg[0], VM_RAM_BASE + TEXT_OFFSET);
}

static void test_kernel_without_magic_refused(void **state)
{
	make_kernel(TEXT_OFFSET, IMAGE_SIZE, false);
	assert_int_not_equal(vm_check_images(&(struct vm){.cfg = &cfg, .name = cfg.name}), 0);
	assert_true(fake_printk_contains("config: /vms/linux: kernel:"));

	fake_arch.printk_log[0] = '\0';
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	vm_start(&vm);
	assert_true(fake_printk_contains("config: /vms/linux: kernel:"));
	assert_int_equal(starts(), 0);
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
	assert_int_equal(starts(), 0);
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
	assert_int_equal(starts(), 0);
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
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	assert_int_equal(vm.ram_pa, base);
	assert_int_equal(vm.ram_ipa, base);
	assert_ptr_equal(vm.vcpus[1].pcpu, &pcpus[0]); /* placed where the pool put it */
	/* No guest RAM came from the allocator: only stage-2 tables (root + one level 2). */
	assert_int_equal(free_before - mem_free_bytes(), 2 * PAGE_SIZE);
	assert_int_equal(vm.s2.nr_tables, 2); /* 2 MiB blocks, no level-3 table */
	assert_int_equal(s2_translate(&vm.s2, base + MiB(5) + 0x123, &pa), 0);
	assert_int_equal(pa, base + MiB(5) + 0x123);
	assert_int_not_equal(s2_translate(&vm.s2, VM_RAM_BASE, &pa), 0);

	vm_start(&vm);
	assert_int_equal(starts(), 1);
	/* Images and DTB follow the RAM: kernel at base + text_offset, DTB in the last 2 MiB. */
	assert_int_equal(last_start()->arg[0], base + TEXT_OFFSET);
	assert_int_equal(last_start()->arg[1], base + cfg.mem_size - DTB_AREA);
	assert_int_equal(last_dtb()->arg[0], ALIGN_UP(base + TEXT_OFFSET + IMAGE_SIZE, MiB(2)));
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
	assert_int_equal(last_start()->arg[0], VM_RAM_BASE + TEXT_OFFSET);
}

/* ---- what a new VM's RAM holds (design.md, "VM memory: what a new VM can see") ---- */

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Frames the hypervisor handed out before (and got back) are zeroed and cleaned, only they. */
static void test_ram_used_before_is_zeroed(void **state)
{
	paddr_t used = mem_alloc(MiB(2) / PAGE_SIZE, MiB(2));
	uint8_t *ram;

	assert_int_not_equal(used, 0);
	memset(arch_phys_to_virt(used), 0x5a, MiB(2)); /* e.g. another VM's, or page tables */
	mem_free(used, MiB(2) / PAGE_SIZE);
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	assert_int_equal(vm.ram_pa, used); /* first fit: the VM got those frames back */
	ram = vm_ipa_to_host(&vm, VM_RAM_BASE, cfg.mem_size);
	assert_true(all_bytes(ram, cfg.mem_size, 0));
	/* Exactly the 2 MiB that held data were cleaned to the point of coherency. */
	assert_int_equal(fake_arch.dcache_cleans, 1);
	assert_ptr_equal(fake_arch.dcache_last_va, ram);
	assert_int_equal(fake_arch.dcache_bytes, MiB(2));

	/* Once a VM has had them, they count as used: the next owner gets them zeroed. */
	memset(ram, 0xa5, cfg.mem_size);
	mem_free(vm.ram_pa, cfg.mem_size / PAGE_SIZE);
	fake_arch.dcache_bytes = 0;
	assert_int_equal(mem_alloc_guest(cfg.mem_size / PAGE_SIZE, MiB(2)), vm.ram_pa);
	assert_true(all_bytes(ram, cfg.mem_size, 0));
	assert_int_equal(fake_arch.dcache_bytes, cfg.mem_size);
}

/* scrub-boot-memory: what RAM held before boot counts, all of a VM's RAM is zeroed. */
static void test_scrub_boot_memory(void **state)
{
	uint8_t *ram;

	/* A warm reset: RAM still holds the previous session's data. */
	memset(arch_phys_to_virt(FAKE_RAM_BASE + MiB(2)), 0x77, MiB(40));
	mem_assume_boot_ram_dirty();
	assert_int_equal(vm_create(&vm, &cfg, 0), 0);
	ram = vm_ipa_to_host(&vm, VM_RAM_BASE, cfg.mem_size);
	assert_true(all_bytes(ram, cfg.mem_size, 0));
	assert_int_equal(fake_arch.dcache_bytes, cfg.mem_size);

	/* A static-mem VM the same (its region was reserved, never handed out). */
	memset(&vm, 0, sizeof(vm));
	cfg.static_mem = true;
	cfg.static_base = FAKE_RAM_BASE + MiB(24);
	fake_arch.dcache_bytes = 0;
	assert_int_equal(vm_create(&vm, &cfg, 1), 0);
	ram = arch_phys_to_virt(cfg.static_base);
	assert_true(all_bytes(ram, cfg.mem_size, 0));
	assert_int_equal(fake_arch.dcache_bytes, cfg.mem_size);
}

/* ---- restart (PSCI SYSTEM_RESET with on-reset = "restart") ---- */

static void start_two_vcpu_vm(void)
{
	cfg.nr_vcpus = 2;
	assert_int_equal(vm_create(&vm, &cfg, 1), 0);
	vm_start(&vm);
	vm.vcpus[1].state = VCPU_RUNNABLE; /* as if the guest had started it (PSCI CPU_ON) */
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

	/* Its devices were started (in table order) just before vCPU 0, none stopped. */
	assert_int_equal(fake_count_obj("irqchip.start", &vm), 1);
	assert_int_equal(fake_count_obj("uart.start", &vm), 1);
	assert_true(fake_first("irqchip.start") < fake_first("uart.start"));
	assert_true(fake_first("uart.start") < fake_first("vcpu_start"));
	assert_int_equal(fake_count("irqchip.stop") + fake_count("uart.stop"), 0);
	vm_reset(&vm);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_int_equal(vm.vcpus[0].state, VCPU_STOPPED);
	assert_int_equal(vm.vcpus[1].state, VCPU_STOPPED);
	assert_int_equal(starts(), 1); /* nothing happens on the resetting vCPU itself */
	/* The devices stop at once (a channel's peers see its link down), in reverse order. */
	assert_int_equal(fake_count_obj("irqchip.stop", &vm), 1);
	assert_int_equal(fake_count_obj("uart.stop", &vm), 1);
	assert_true(fake_first("uart.stop") < fake_first("irqchip.stop"));
	vm_reset(&vm); /* a second request (another vCPU) changes nothing */
	assert_int_equal(vm.state, VM_RESTARTING);
	/* While restarting, PSCI CPU_ON cannot revive a vCPU. */
	vm.vcpus[1].state = VCPU_OFF;
	assert_false(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 0));
	assert_int_equal(starts(), 1);

	fake_arch.dcache_cleans = 0;
	fake_arch.dcache_bytes = 0;
	fake_arch.icache_invals = 0;
	fake_arch.tlb_flushes = 0;
	fake_calls.n = 0; /* what the restart does, alone */
	/* The pCPU that left the resetting vCPU claims the work and does it. */
	assert_true(vm_claim_restart(&vm));
	vm_restart(&vm);

	/* Every vCPU was waited off its pCPU before the RAM was touched. */
	assert_int_equal(fake_count("pcpu_wait_vcpu_off"), 2);
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
	/* The RAM a 2 MiB step at a time, interrupts let in after each (a timer of this pCPU
	 * fires on time); kernel and initrd too (one step each here); not the DTB (under
	 * load_lock). */
	assert_int_equal(rec.start_cleans, cfg.mem_size / MiB(2) + 3);
	assert_int_equal(rec.start_windows, cfg.mem_size / MiB(2) + 2);
	assert_int_equal(rec.start_bytes, cfg.mem_size + sizeof(initrd) + sizeof(kernel) +
					      sizeof(fake_guest_dtb_bytes));
	assert_true(rec.start_icache >= 1);
	assert_int_equal(rec.tlb_at_reset, 1);
	assert_int_equal(fake_arch.tlb_last_vmid, vm.vmid);
	/* Devices back to their reset state: vGIC distributor, then each vCPU's, the UART. */
	assert_int_equal(fake_count_obj("irqchip.reset", &vm), 1);
	assert_int_equal(fake_count_obj("uart.reset", &vm), 1);
	assert_true(rec.vcpus_off_at_reset);
	assert_true(fake_first("pcpu_wait_vcpu_off") < fake_first("irqchip.reset"));
	assert_true(fake_first("irqchip.reset") < fake_first("uart.reset"));
	assert_true(fake_first("uart.reset") < fake_first("vcpu_start"));
	/* A restart creates and destroys nothing. */
	assert_int_equal(fake_count("irqchip.create") + fake_count("uart.create"), 0);
	assert_int_equal(fake_count("irqchip.destroy") + fake_count("uart.destroy"), 0);
	/* vCPU 0 starts again at the kernel entry; vCPU 1 waits for the guest's CPU_ON. */
	assert_int_equal(starts(), 1);
	assert_ptr_equal(last_start()->obj, &vm.vcpus[0]);
	assert_int_equal(last_start()->arg[0], VM_RAM_BASE + TEXT_OFFSET);
	assert_int_equal(vm.vcpus[1].state, VCPU_OFF);
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(vm.restarts, 1);
	assert_true(fake_printk_contains("vm linux: restarted (restart 1)"));
	/* Started again just before vCPU 0, after the reset; not stopped again. */
	assert_int_equal(fake_count_obj("irqchip.start", &vm), 1);
	assert_int_equal(fake_count_obj("uart.start", &vm), 1);
	assert_true(fake_first("uart.reset") < fake_first("irqchip.start"));
	assert_true(fake_first("uart.start") < fake_first("vcpu_start"));
	assert_int_equal(fake_count("irqchip.stop") + fake_count("uart.stop"), 0);

	/* Another pCPU leaving a vCPU of the VM later does not restart it again. */
	assert_false(vm_claim_restart(&vm));
	assert_int_equal(starts(), 1);
	assert_int_equal(vm.restarts, 1);
}

static void test_reset_with_on_reset_stop(void **state)
{
	cfg.on_reset = CFG_ON_RESET_STOP;
	start_two_vcpu_vm();
	vm_reset(&vm);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.vcpus[0].state, VCPU_STOPPED);
	assert_false(vm_claim_restart(&vm)); /* stopped: nothing to restart */
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(starts(), 1);
	assert_int_equal(fake_count("irqchip.reset"), 0);
	/* Stopped for good: the devices are destroyed, in reverse table order, once. */
	assert_int_equal(fake_count_obj("uart.destroy", &vm), 1);
	assert_int_equal(fake_count_obj("irqchip.destroy", &vm), 1);
	assert_true(fake_first("uart.destroy") < fake_first("irqchip.destroy"));
	/* ... after they were stopped, also once (a channel's peers see its link down). */
	assert_int_equal(fake_count_obj("uart.stop", &vm), 1);
	assert_int_equal(fake_count_obj("irqchip.stop", &vm), 1);
	assert_true(fake_first("irqchip.stop") < fake_first("uart.destroy"));
	assert_true(
	    fake_printk_contains("vm linux: stopped (reset by the guest, on-reset = \"stop\")"));
}

static void test_cpu_on_only_while_running(void **state)
{
	start_two_vcpu_vm();
	vm.vcpus[1].state = VCPU_OFF;
	fake_calls.n = 0;
	assert_true(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 7));
	assert_int_equal(starts(), 1);
	/* Its pCPU may still be saving it after its CPU_OFF: waited for before the start. */
	assert_int_equal(fake_count("pcpu_wait_vcpu_off"), 1);
	assert_int_equal(rec.waits_at_start, 1);
	assert_ptr_equal(last_start()->obj, &vm.vcpus[1]);
	assert_false(vm_cpu_on(&vm, &vm.vcpus[0], VM_RAM_BASE, 7)); /* already on */
	vm_stop(&vm, "test");
	vm.vcpus[1].state = VCPU_OFF;
	assert_false(vm_cpu_on(&vm, &vm.vcpus[1], VM_RAM_BASE, 7)); /* the VM is stopped */
	assert_int_equal(starts(), 1);
}

/* ---- the device table ---- */

/* A device that cannot be created: one config: line naming it, those before it destroyed. */
static void test_device_create_failure_unwinds(void **state)
{
	fake_knobs.vdev_fail_create = 2; /* "uart", the second */
	assert_int_equal(vm_create(&vm, &cfg, 0), -ERR_NOMEM);
	assert_true(
	    fake_printk_contains("config: /vms/linux: cannot set up emulated device uart ("));
	assert_int_equal(fake_count_obj("irqchip.create", &vm), 1);
	assert_int_equal(fake_count_obj("irqchip.destroy", &vm), 1);
	assert_int_equal(fake_count("uart.destroy"), 0); /* never created */
	assert_true(fake_first("uart.create") < fake_first("irqchip.destroy"));

	fake_calls.n = 0;
	fake_knobs.vdev_fail_create = 1; /* the first: nothing to undo */
	assert_int_not_equal(vm_create(&vm, &cfg, 0), 0);
	assert_int_equal(fake_count("uart.create"), 0);
	assert_int_equal(fake_count("irqchip.destroy") + fake_count("uart.destroy"), 0);
}

/* Ctrl-A g: each VM's devices' dump hooks in table order, the text written to the console. */
static void test_device_dump_walk(void **state)
{
	static struct cfg_vm cfg2;

	cfg2 = cfg;
	strcpy(cfg2.name, "rtos");
	cfg.mem_size = cfg2.mem_size = MiB(8);
	assert_int_equal(vm_create(&vms[0], &cfg, 0), 0);
	assert_int_equal(vm_create(&vms[1], &cfg2, 1), 0);
	nr_vms = 2;
	fake_calls.n = 0;
	vdev_dump();
	nr_vms = 0;
	assert_int_equal(fake_count("irqchip.dump") + fake_count("uart.dump"), 4);
	assert_true(fake_first_obj("irqchip.dump", &vms[0]) < fake_first_obj("uart.dump", &vms[0]));
	assert_true(fake_first_obj("uart.dump", &vms[0]) < fake_first_obj("irqchip.dump", &vms[1]));
	assert_true(fake_first_obj("irqchip.dump", &vms[1]) < fake_first_obj("uart.dump", &vms[1]));
	assert_string_equal(fake_knobs.console_out, "tandem: irqchip vm linux\n"
						    "tandem: uart vm linux\n"
						    "tandem: irqchip vm rtos\n"
						    "tandem: uart vm rtos\n");
	assert_int_equal(fake_count("console_write"), 1); /* it all fits in one write */
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
	    cmocka_unit_test_setup(test_ram_used_before_is_zeroed, setup),
	    cmocka_unit_test_setup(test_scrub_boot_memory, setup),
	    cmocka_unit_test_setup(test_device_create_failure_unwinds, setup),
	    cmocka_unit_test_setup(test_device_dump_walk, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
