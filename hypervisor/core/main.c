/*
 * The boot sequence: host DTB -> console -> EL2 MMU -> frame allocator -> GIC ->
 * secondary CPUs -> system description -> VMs. A bad system description stops the
 * boot with one line naming node and property; the hypervisor then idles.
 */
#include <tandem/abi/bundle.h>
#include <tandem/arch.h>
#include <tandem/bundle.h>
#include <tandem/config.h>
#include <tandem/console.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/gic.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/mmu.h>
#include <tandem/pcpu.h>
#include <tandem/platform.h>
#include <tandem/psci.h>
#include <tandem/string.h>
#include <tandem/vm.h>

extern char _start[], _end[];
extern void secondary_entry(void);
const struct uart_ops *pl011_probe(paddr_t pa);
int vm_check_images(struct vm *vm);

static struct cfg_system system_cfg;
static volatile unsigned cpus_up;

static void __attribute__((noreturn)) stop_boot(void)
{
	printk("tandem: boot stopped\n");
	pcpu_run(); /* keep serving the console; nothing else will run */
}

static void map_memory(paddr_t dtb, uint64_t dtb_size)
{
	mmu_map_image();
	for (unsigned i = 0; i < platform.nr_mem; i++)
		mmu_map_ram_around_image(platform.mem_base[i], platform.mem_size[i],
					 platform.bundle, platform.bundle_size);
	/* Devices: everything below the first RAM region on QEMU virt (GIC, UART, virtio). */
	BUG_ON(mmu_map(0, platform.mem_base[0], MMU_DEVICE));
	(void)dtb;
	(void)dtb_size;
}

static void init_allocator(paddr_t dtb, uint64_t dtb_size)
{
	paddr_t rsv[PLATFORM_MAX_RSV + 3];
	uint64_t rsv_size[PLATFORM_MAX_RSV + 3];
	unsigned n = 0;

	rsv[n] = (paddr_t)(uintptr_t)_start;
	rsv_size[n++] = (uint64_t)(_end - _start);
	rsv[n] = dtb;
	rsv_size[n++] = dtb_size;
	if (platform.bundle_size) {
		rsv[n] = platform.bundle;
		rsv_size[n++] = platform.bundle_size;
	}
	for (unsigned i = 0; i < platform.nr_rsv; i++, n++) {
		rsv[n] = platform.rsv_base[i];
		rsv_size[n] = platform.rsv_size[i];
	}
	if (mem_init(platform.mem_base, platform.mem_size, platform.nr_mem, rsv, rsv_size, n))
		panic("cannot place the frame allocator's bitmap");
}

static void start_secondaries(void)
{
	for (unsigned i = 1; i < platform.nr_cpus; i++) {
		int64_t ret = psci_host_call(PSCI_CPU_ON | PSCI_64BIT, platform.cpu_mpidr[i],
					     (uint64_t)(uintptr_t)secondary_entry, i);

		if (ret)
			log_warn("CPU %u (MPIDR 0x%llx): PSCI CPU_ON failed (%lld)", i,
				 (unsigned long long)platform.cpu_mpidr[i], (long long)ret);
	}
	/* Wait (bounded) for them to report in, so the pCPU count is final before VMs are placed.
	 */
	for (uint64_t t0 = arch_counter_read();
	     cpus_up + 1 < platform.nr_cpus && arch_counter_read() - t0 < arch_counter_freq();)
		;
}

static void cpu_common_init(unsigned index)
{
	struct pcpu *p = &pcpus[index];

	p->index = index;
	p->mpidr = platform.cpu_mpidr[index];
	arch_cpu_init_virt();
	gic_cpu_init();
	gic_enable_ppi(PPI_VIRT_TIMER);
	gic_enable_ppi(PPI_MAINTENANCE);
	p->online = true;
}

static void create_vms(void)
{
	struct fdt sys;
	const void *blob;
	size_t size;
	struct cfg_resources res;

	if (!platform.bundle_size) {
		printk("tandem: no boot bundle (QEMU -initrd) with a system description\n");
		stop_boot();
	}
	if (bundle_open(arch_phys_to_virt(platform.bundle), platform.bundle_size)) {
		printk("tandem: the boot bundle at 0x%llx is malformed\n",
		       (unsigned long long)platform.bundle);
		stop_boot();
	}
	if (bundle_find(NULL, BUNDLE_SYSTEM_DTB, &blob, &size) || fdt_open(&sys, blob, size)) {
		printk("tandem: the boot bundle has no valid " BUNDLE_SYSTEM_DTB "\n");
		stop_boot();
	}
	if (cfg_parse(&sys, bundle_find, NULL, &system_cfg)) {
		printk("%s\n", system_cfg.err);
		stop_boot();
	}
	res.nr_pcpus = nr_pcpus;
	res.free_bytes = mem_free_bytes();
	if (cfg_check_resources(&system_cfg, &res)) {
		printk("%s\n", system_cfg.err);
		stop_boot();
	}
	for (unsigned i = 0; i < system_cfg.nr_vms; i++) {
		vms[i].cfg = &system_cfg.vms[i];
		vms[i].name = system_cfg.vms[i].name;
		if (vm_check_images(&vms[i]) || vm_create(&vms[i], &system_cfg.vms[i], i))
			stop_boot();
		nr_vms = i + 1;
	}
	/* The figure VM restarts are compared with: a restart allocates nothing. */
	log_info("memory: %llu free page frames with every VM created",
		 (unsigned long long)(mem_free_bytes() / PAGE_SIZE));
	/* Now that every vCPU has its pCPU, keep the hypervisor's interrupts off the VMs' pCPUs. */
	irq_route_hyp();
	for (unsigned i = 0; i < nr_vms; i++)
		vm_start(&vms[i]);
}

void hyp_main_primary(paddr_t dtb_pa)
{
	struct fdt host;

	if (fdt_open(&host, arch_phys_to_virt(dtb_pa), MiB(2)) || platform_probe(&host))
		arch_halt(); /* no console yet: nothing to say it with */
	console_init(pl011_probe(platform.uart), platform.uart);
	log_info("Tandem hypervisor, EL2, %u CPU%s, GICv%u", platform.nr_cpus,
		 platform.nr_cpus == 1 ? "" : "s", platform.gic_version);
	psci_host_init(platform.psci_hvc);

	map_memory(dtb_pa, host.size);
	mmu_enable();
	init_allocator(dtb_pa, host.size);
	log_info("memory: %llu MiB free for guests", (unsigned long long)(mem_free_bytes() >> 20));

	nr_pcpus = platform.nr_cpus;
	gic_init(platform.gicd, platform.gicr, platform.gicr_size);
	cpu_common_init(0);
	if (platform.uart_irq) /* until VMs are placed (irq_route_hyp) */
		gic_route_spi(platform.uart_irq, pcpus[0].mpidr);
	start_secondaries();

	create_vms();
	pcpu_run();
}

void hyp_main_secondary(unsigned index)
{
	mmu_enable();
	cpu_common_init(index);
	__atomic_fetch_add(&cpus_up, 1, __ATOMIC_RELEASE);
	pcpu_run();
}
