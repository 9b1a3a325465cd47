/*
 * The boot sequence: host DTB -> console -> EL2 MMU -> frame allocator -> GIC ->
 * secondary CPUs -> system description -> VMs. A bad system description stops the
 * boot with one line naming node and property; the hypervisor then idles.
 */
#include <tandem/failover.h>
#include <tandem/abi/bundle.h>
#include <tandem/arch.h>
#include <tandem/bundle.h>
#include <tandem/config.h>
#include <tandem/console.h>
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/fdt.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/mmu.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/platform.h>
#include <tandem/pool.h>
#include <tandem/psci.h>
#include <tandem/smmu.h>
#include <tandem/string.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

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

/* The allocator never hands out Tandem's image, the DTB, the bundle or any static-mem. */
static void init_allocator(paddr_t dtb, uint64_t dtb_size)
{
	paddr_t rsv[PLATFORM_MAX_RSV + 3 + CFG_MAX_VMS];
	uint64_t rsv_size[PLATFORM_MAX_RSV + 3 + CFG_MAX_VMS];
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
	for (unsigned i = 0; i < system_cfg.nr_vms; i++) {
		if (system_cfg.vms[i].static_mem) {
			rsv[n] = system_cfg.vms[i].static_base;
			rsv_size[n++] = system_cfg.vms[i].mem_size;
		}
	}
	if (mem_init(platform.mem_base, platform.mem_size, platform.nr_mem, rsv, rsv_size, n))
		panic("cannot place the frame allocator's bitmap");
	/* Else RAM no VM had since boot is taken as holding none of its data (design.md). */
	if (system_cfg.scrub_boot_memory)
		mem_assume_boot_ram_dirty();
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
	if (irqchip_cpu_init(index, p->mpidr))
		panic("%s: no CPU interface for pCPU %u (MPIDR 0x%llx)", irqchip.name, index,
		      (unsigned long long)p->mpidr);
	irq_cpu_init(); /* the SGIs/PPIs claimed at boot (claim_interrupts) */
	pcpu_init_sched(p);
	p->online = true;
}

/* The VM the root's "console" gives the console UART to, or -1. */
static int console_vm_index(void)
{
	for (unsigned i = 0; i < system_cfg.nr_vms; i++)
		if (system_cfg.vms[i].console_uart)
			return (int)i;
	return -1;
}

/*
 * Each owner claims its interrupts (the SMMU driver did in smmu_init): before the boot CPU
 * enables the claimed PPIs, and before anything can fire. None of these can be taken by
 * another owner at this point: failing is a broken build, not a bad configuration.
 */
static void claim_interrupts(void)
{
	BUG_ON(vgic_init() || timer_claim_irq() || pcpu_claim_kick());
	if (console_vm_index() >= 0)
		return; /* the UART's interrupt is the VM's (passthrough_vm_init) */
	if (platform.uart_irq && console_claim_irq(platform.uart_irq))
		platform.uart_irq = 0; /* said why; the console works without input */
}

/*
 * A VM given the console UART finds it where its emulated one would be (its DTB is the same):
 * on QEMU virt they coincide. Elsewhere the description cannot be met.
 */
static bool console_uart_fits(void)
{
	int vm = console_vm_index();

	if (vm < 0 || (platform.uart == VPL011_BASE && platform.uart_irq == VPL011_SPI))
		return true;
	printk("config: /: console: the console UART (0x%llx, INTID %u) is not at the VM's UART "
	       "address and INTID (0x%lx, %u): it cannot be passed through to vm %s\n",
	       (unsigned long long)platform.uart, platform.uart_irq, VPL011_BASE, VPL011_SPI,
	       system_cfg.vms[vm].name);
	system_cfg.nr_vms = 0;
	return false;
}

/* The description of the machine's memory that the static-mem and device checks need. */
static void describe_machine(struct cfg_machine *m, paddr_t dtb, uint64_t dtb_size)
{
	const struct irqchip_region *gic;
	unsigned nr_gic;

	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < platform.nr_mem && i < CFG_MAX_RANGES; i++)
		m->ram[m->nr_ram++] =
		    (struct cfg_range){platform.mem_base[i], platform.mem_size[i], "RAM"};
	m->busy[m->nr_busy++] = (struct cfg_range){
	    (paddr_t)(uintptr_t)_start, (uint64_t)(_end - _start), "the hypervisor image"};
	m->busy[m->nr_busy++] = (struct cfg_range){dtb, dtb_size, "the host DTB"};
	if (platform.bundle_size)
		m->busy[m->nr_busy++] = (struct cfg_range){platform.bundle, platform.bundle_size,
							   "the boot bundle (QEMU's -initrd)"};
	for (unsigned i = 0; i < platform.nr_rsv && m->nr_busy < CFG_MAX_RANGES; i++)
		m->busy[m->nr_busy++] = (struct cfg_range){
		    platform.rsv_base[i], platform.rsv_size[i], "reserved memory (host DTB)"};
	nr_gic = irqchip_regions(&gic);
	for (unsigned i = 0; i < nr_gic; i++)
		m->hyp_dev[m->nr_hyp_dev++] =
		    (struct cfg_range){gic[i].base, gic[i].size, gic[i].what};
	m->hyp_dev[m->nr_hyp_dev++] = (struct cfg_range){platform.uart, KiB(4), "the console UART"};
	m->hyp_irqs[0] = platform.uart_irq;
	{
		paddr_t smmu;
		uint64_t smmu_size;

		m->has_smmu = smmu_find(platform.host_dtb, &smmu, &smmu_size, NULL);
		if (m->has_smmu)
			m->hyp_dev[m->nr_hyp_dev++] =
			    (struct cfg_range){smmu, smmu_size, "the SMMU"};
	}
}

/*
 * Reads and checks the system description before the frame allocator exists, so that
 * static-mem regions are reserved before anything else is allocated. Returns false (after
 * printing the one line) if the boot must stop; the stop waits until the console works.
 */
static bool load_system(const struct fdt *host, paddr_t dtb, uint64_t dtb_size)
{
	struct fdt sys;
	const void *blob;
	size_t size;
	struct cfg_machine machine;

	if (!platform.bundle_size) {
		printk("tandem: no boot bundle (QEMU -initrd) with a system description\n");
		return false;
	}
	if (bundle_open(arch_phys_to_virt(platform.bundle), platform.bundle_size)) {
		printk("tandem: the boot bundle at 0x%llx is malformed\n",
		       (unsigned long long)platform.bundle);
		return false;
	}
	if (bundle_find(NULL, BUNDLE_SYSTEM_DTB, &blob, &size) || fdt_open(&sys, blob, size)) {
		printk("tandem: the boot bundle has no valid " BUNDLE_SYSTEM_DTB "\n");
		return false;
	}
	describe_machine(&machine, dtb, dtb_size);
	if (cfg_parse(&sys, bundle_find, NULL, &system_cfg) ||
	    cfg_check_static_mem(&system_cfg, &machine) ||
	    cfg_check_devices(&system_cfg, host, &machine) || cfg_place_channels(&system_cfg)) {
		printk("%s\n", system_cfg.err);
		system_cfg.nr_vms = 0;
		return false;
	}
	return console_uart_fits();
}

static void create_vms(bool system_ok)
{
	struct cfg_resources res;

	if (!system_ok)
		stop_boot();
	res.nr_pcpus = nr_pcpus;
	res.free_bytes = mem_free_bytes();
	if (cfg_check_resources(&system_cfg, &res)) {
		printk("%s\n", system_cfg.err);
		stop_boot();
	}
	if (console_vm_index() >= 0) {
		console_handover(system_cfg.vms[console_vm_index()].name);
		passthrough_set_console_uart(platform.uart, platform.uart_irq);
	}
	pools_init(&system_cfg);
	failover_init(&system_cfg);
	if (freq_init(&system_cfg))
		stop_boot();
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
	static struct fdt host; /* kept: guest DTBs copy passed-through nodes from it */
	bool system_ok;

	if (fdt_open(&host, arch_phys_to_virt(dtb_pa), MiB(2)) || platform_probe(&host))
		arch_halt(); /* no console yet: nothing to say it with */
	console_init(pl011_probe(platform.uart), platform.uart);
	log_info("Tandem hypervisor, EL2, %u CPU%s, %s", platform.nr_cpus,
		 platform.nr_cpus == 1 ? "" : "s", irqchip.name);
	psci_host_init(platform.psci_hvc);

	map_memory(dtb_pa, host.size);
	mmu_enable();
	platform.host_dtb = &host;
	system_ok = load_system(&host, dtb_pa, host.size);
	init_allocator(dtb_pa, host.size);
	if (smmu_init(&host) && system_ok) {
		printk("tandem: the SMMU could not be set up: devices behind it cannot be given to "
		       "VMs\n");
		system_ok = false;
	}
	log_info("memory: %llu MiB free for guests", (unsigned long long)(mem_free_bytes() >> 20));

	nr_pcpus = platform.nr_cpus;
	irqchip_init();
	claim_interrupts();
	cpu_common_init(0);
	if (platform.uart_irq && console_vm_index() < 0) /* until VMs are placed (irq_route_hyp) */
		irqchip_route_spi(platform.uart_irq, pcpus[0].mpidr);
	start_secondaries();

	create_vms(system_ok);
	pcpu_run();
}

void hyp_main_secondary(unsigned index)
{
	mmu_enable();
	cpu_common_init(index);
	__atomic_fetch_add(&cpus_up, 1, __ATOMIC_RELEASE);
	pcpu_run();
}
