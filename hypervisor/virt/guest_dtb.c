/*
 * Generates the device tree a guest boots with. It describes exactly what Tandem
 * emulates, at the addresses QEMU's virt machine uses, so a stock kernel binds its
 * stock drivers (gic-v3, arch timer, amba-pl011, PSCI over HVC).
 */
#include <tandem/abi/channel.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/guest_dtb.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>
#include <tandem/vscmi.h>
#include <tandem/vwdog.h>

/* Interrupt specifier cells of arm,gic-v3 (Linux bindings: interrupt-controller/arm,gic-v3). */
#define GIC_SPI		0
#define GIC_PPI		1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH	4
#define PPI(intid)	((intid)-16)
#define SPI(intid)	((intid)-32)

/* Architected timer PPIs (INTIDs, Arm BSA): secure physical, non-secure physical, virtual, hyp. */
#define TIMER_SEC_PHYS_INTID 29
#define TIMER_PHYS_INTID     30
#define TIMER_VIRT_INTID     27
#define TIMER_HYP_INTID	     26

#define APB_PCLK_HZ 24000000 /* the PL011 needs a clock to probe; the rate only sets baud maths */

/* A reg entry of 2 address and 2 size cells. */
static void reg_cells(uint32_t *c, uint64_t addr, uint64_t size)
{
	c[0] = (uint32_t)(addr >> 32);
	c[1] = (uint32_t)addr;
	c[2] = (uint32_t)(size >> 32);
	c[3] = (uint32_t)size;
}

static void prop_reg(struct fdt_writer *w, uint64_t addr, uint64_t size)
{
	uint32_t c[4];

	reg_cells(c, addr, size);
	fdt_w_prop_cells(w, "reg", c, 4);
}

static void node_chosen(struct fdt_writer *w, struct vm *vm, ipa_t initrd_start,
			uint64_t initrd_size, const char *uart_path)
{
	fdt_w_begin_node(w, "chosen");
	if (vm->cfg && vm->cfg->bootargs[0])
		fdt_w_prop_string(w, "bootargs", vm->cfg->bootargs);
	fdt_w_prop_string(w, "stdout-path", uart_path);
	if (initrd_size) {
		fdt_w_prop_u64(w, "linux,initrd-start", initrd_start);
		fdt_w_prop_u64(w, "linux,initrd-end", initrd_start + initrd_size);
	}
	fdt_w_end_node(w);
}

static void node_cpus(struct fdt_writer *w, struct vm *vm)
{
	char name[16];

	fdt_w_begin_node(w, "cpus");
	fdt_w_prop_u32(w, "#address-cells", 1);
	fdt_w_prop_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		snprintf_td(name, sizeof(name), "cpu@%x", i);
		fdt_w_begin_node(w, name);
		fdt_w_prop_string(w, "device_type", "cpu");
		fdt_w_prop_string(w, "compatible", "arm,armv8");
		/* reg is the virtual MPIDR's affinity: Aff0 = vCPU index (vcpu_mpidr()). */
		fdt_w_prop_u32(w, "reg", i);
		fdt_w_prop_string(w, "enable-method", "psci");
		vscmi_dtb_cpu_props(w, vm);
		fdt_w_end_node(w);
	}
	fdt_w_end_node(w);
}

static void node_psci(struct fdt_writer *w)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	/* HVC: the call traps to EL2 on its own; SMC would need HCR_EL2.TSC and goes to EL3
	 * otherwise. */
	fdt_w_begin_node(w, "psci");
	fdt_w_prop_strings(w, "compatible", compat, sizeof(compat));
	fdt_w_prop_string(w, "method", "hvc");
	fdt_w_end_node(w);
}

static void node_gic(struct fdt_writer *w, struct vm *vm)
{
	char name[32];
	uint32_t reg[8];
	const uint32_t maint[3] = {GIC_PPI, PPI(VGIC_MAINTENANCE_PPI), IRQ_LEVEL_HIGH};

	snprintf_td(name, sizeof(name), "intc@%lx", (unsigned long)VGIC_GICD_BASE);
	reg_cells(reg, VGIC_GICD_BASE, VGIC_GICD_SIZE);
	/* One contiguous redistributor region, one frame pair per vCPU in vCPU order. */
	reg_cells(reg + 4, VGIC_GICR_BASE, (uint64_t)vm->nr_vcpus * VGIC_GICR_STRIDE);

	fdt_w_begin_node(w, name);
	fdt_w_prop_string(w, "compatible", "arm,gic-v3");
	fdt_w_prop_u32(w, "#interrupt-cells", 3);
	fdt_w_prop_empty(w, "interrupt-controller");
	fdt_w_prop_u32(w, "#address-cells", 2);
	fdt_w_prop_u32(w, "#size-cells", 2);
	fdt_w_prop_empty(w, "ranges");
	fdt_w_prop_cells(w, "reg", reg, 8);
	fdt_w_prop_u32(w, "#redistributor-regions", 1);
	fdt_w_prop_cells(w, "interrupts", maint, 3);
	fdt_w_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_GIC);
	fdt_w_end_node(w);
}

static void node_timer(struct fdt_writer *w)
{
	const uint32_t irqs[12] = {
	    GIC_PPI, PPI(TIMER_SEC_PHYS_INTID), IRQ_LEVEL_HIGH,
	    GIC_PPI, PPI(TIMER_PHYS_INTID),	IRQ_LEVEL_HIGH,
	    GIC_PPI, PPI(TIMER_VIRT_INTID),	IRQ_LEVEL_HIGH,
	    GIC_PPI, PPI(TIMER_HYP_INTID),	IRQ_LEVEL_HIGH,
	};

	fdt_w_begin_node(w, "timer");
	fdt_w_prop_string(w, "compatible", "arm,armv8-timer");
	fdt_w_prop_cells(w, "interrupts", irqs, 12);
	fdt_w_prop_empty(w, "always-on");
	fdt_w_end_node(w);
}

static void node_clock(struct fdt_writer *w)
{
	fdt_w_begin_node(w, "apb-pclk");
	fdt_w_prop_string(w, "compatible", "fixed-clock");
	fdt_w_prop_u32(w, "#clock-cells", 0);
	fdt_w_prop_u32(w, "clock-frequency", APB_PCLK_HZ);
	fdt_w_prop_string(w, "clock-output-names", "clk24mhz");
	fdt_w_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_CLK);
	fdt_w_end_node(w);
}

static void node_uart(struct fdt_writer *w, const char *name)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	const uint32_t irq[3] = {GIC_SPI, SPI(VPL011_SPI), IRQ_LEVEL_HIGH};
	const uint32_t clocks[2] = {GUEST_DTB_PHANDLE_CLK, GUEST_DTB_PHANDLE_CLK};

	/* amba-pl011 matches through the AMBA bus, which reads the PrimeCell ID registers. */
	fdt_w_begin_node(w, name);
	fdt_w_prop_strings(w, "compatible", compat, sizeof(compat));
	prop_reg(w, VPL011_BASE, VPL011_SIZE);
	fdt_w_prop_cells(w, "interrupts", irq, 3);
	fdt_w_prop_cells(w, "clocks", clocks, 2);
	fdt_w_prop_strings(w, "clock-names", clock_names, sizeof(clock_names));
	fdt_w_end_node(w);
}

/* Host properties the copy rewrites or must not carry (phandles would clash with ours). */
static bool skip_host_prop(const char *name)
{
	/* msi-map/msi-parent/iommu-map point at the host's ITS and SMMU, which the guest does not
	 * get (a host bridge's devices fall back to INTx; the SMMU is Tandem's). */
	static const char *const skip[] = {
	    "reg",	     "interrupts", "interrupt-parent", "phandle",   "linux,phandle",
	    "interrupt-map", "msi-map",	   "msi-parent",       "iommu-map", NULL};

	for (const char *const *s = skip; *s; s++) {
		if (strcmp(*s, name) == 0)
			return true;
	}
	return false;
}

/*
 * A passed-through device's host node, copied to the guest's root: reg rewritten in the
 * guest's 2+2 cells (IPA == PA), interrupts keeping their INTIDs but now on the virtual GIC.
 */
static void node_passthrough(struct fdt_writer *w, const struct cfg_passthrough *pt)
{
	const struct fdt *host = pt->host;
	const uint8_t *irqs, *map;
	uint32_t cells[4 * CFG_PT_MAX_REG];
	static uint32_t imap[16 * 10]; /* boot CPU only, like the DTB scratch */
	int prop, len;

	fdt_w_begin_node(w, fdt_name(host, pt->host_node));
	for (prop = fdt_first_prop(host, pt->host_node); prop >= 0;
	     prop = fdt_next_prop(host, prop)) {
		const void *val;
		const char *name = fdt_prop_at(host, prop, &val, &len);

		if (name && !skip_host_prop(name))
			fdt_w_prop(w, name, val, (size_t)len);
	}
	for (unsigned r = 0; r < pt->nr_node_reg; r++)
		reg_cells(cells + 4 * r, pt->reg_base[r], pt->reg_size[r]);
	fdt_w_prop_cells(w, "reg", cells, 4 * pt->nr_node_reg);
	map = fdt_prop(host, pt->host_node, "interrupt-map", &len);
	if (map && len % 40 == 0 && len <= (int)sizeof(imap)) {
		/* Same entries, the GIC phandle (cell 4 of 10) now the virtual GIC's. */
		for (int i = 0; i < len / 4; i++)
			imap[i] = i % 10 == 4 ? GUEST_DTB_PHANDLE_GIC
					      : (uint32_t)fdt_read_cells(map + 4 * i, 1);
		fdt_w_prop_cells(w, "interrupt-map", imap, (size_t)len / 4);
	}
	irqs = fdt_prop(host, pt->host_node, "interrupts", &len);
	if (irqs && pt->nr_irqs && !pt->pci_host) {
		/* The checks allowed SPIs only; the guest's INTID is the physical one. */
		for (unsigned i = 0; i < pt->nr_irqs; i++) {
			cells[3 * i] = GIC_SPI;
			cells[3 * i + 1] = SPI(pt->irqs[i]);
			cells[3 * i + 2] = (uint32_t)fdt_read_cells(irqs + 12 * i + 8, 1);
		}
		fdt_w_prop_cells(w, "interrupts", cells, 3 * pt->nr_irqs);
		fdt_w_prop_u32(w, "interrupt-parent", GUEST_DTB_PHANDLE_GIC);
	}
	fdt_w_end_node(w);
}

/* One end of a channel (tandem/abi/channel.h): its window, doorbell and how to ring back. */
static void node_channel(struct fdt_writer *w, const struct cfg_channel_end *end)
{
	const uint32_t irq[3] = {GIC_SPI, SPI(end->doorbell), IRQ_EDGE_RISING};
	char name[32];

	snprintf_td(name, sizeof(name), "channel@%llx", (unsigned long long)end->ipa);
	fdt_w_begin_node(w, name);
	fdt_w_prop_string(w, "compatible", TANDEM_CHANNEL_COMPATIBLE);
	prop_reg(w, end->ipa, end->size);
	fdt_w_prop_cells(w, "interrupts", irq, 3);
	fdt_w_prop_u32(w, TANDEM_CHANNEL_PROP_ID, end->id);
	fdt_w_prop_u32(w, TANDEM_CHANNEL_PROP_SIDE, end->side);
	fdt_w_prop_string(w, TANDEM_CHANNEL_PROP_PEER, end->peer);
	fdt_w_prop_string(w, TANDEM_CHANNEL_PROP_LABEL, end->name);
	if (end->protocol && end->protocol[0])
		fdt_w_prop_string(w, TANDEM_CHANNEL_PROP_PROTOCOL, end->protocol);
	fdt_w_end_node(w);
}

/* The SBSA generic watchdog (vwdog.h): both frames, its WS0 interrupt (a level, like WS0). */
static void node_watchdog(struct fdt_writer *w, const struct cfg_vm *vm)
{
	const uint32_t irq[3] = {GIC_SPI, SPI(vm->watchdog_spi), IRQ_LEVEL_HIGH};
	uint32_t reg[8]; /* the control frame first, then the refresh frame */
	char name[32];

	reg_cells(reg, VWDOG_CONTROL_BASE, VWDOG_FRAME_SIZE);
	reg_cells(reg + 4, VWDOG_REFRESH_BASE, VWDOG_FRAME_SIZE);
	snprintf_td(name, sizeof(name), "watchdog@%lx", VWDOG_CONTROL_BASE);
	fdt_w_begin_node(w, name);
	fdt_w_prop_string(w, "compatible", "arm,sbsa-gwdt");
	fdt_w_prop_cells(w, "reg", reg, 8);
	fdt_w_prop_cells(w, "interrupts", irq, 3);
	fdt_w_prop_u32(w, "interrupt-parent", GUEST_DTB_PHANDLE_GIC);
	fdt_w_end_node(w);
}

/* A failover group member's promotion interrupt and group (docs/hypercalls.md). */
static void node_failover(struct fdt_writer *w, const struct cfg_vm *vm)
{
	const uint32_t irq[3] = {GIC_SPI, SPI(vm->failover.spi), IRQ_EDGE_RISING};
	fdt_w_begin_node(w, "failover");
	fdt_w_prop_string(w, "compatible", "tandem,failover-v1");
	fdt_w_prop_cells(w, "interrupts", irq, 3);
	fdt_w_prop_u32(w, "interrupt-parent", GUEST_DTB_PHANDLE_GIC);
	fdt_w_prop_string(w, "tandem,group", vm->failover.group_name);
	if (vm->failover.has_channel)
		fdt_w_prop_u32(w, "tandem,channel-id", vm->failover.channel);
	fdt_w_end_node(w);
}

int guest_dtb_build(struct vm *vm, void *buf, size_t cap, ipa_t initrd_start, uint64_t initrd_size)
{
	struct fdt_writer w;
	char model[16 + CFG_NAME_MAX], mem_name[32], uart_name[32], uart_path[33];
	int ret;

	if (!vm->nr_vcpus || vm->nr_vcpus > CFG_MAX_VCPUS) {
		log_error("vm %s: guest dtb: %u vCPUs", vm->name, vm->nr_vcpus);
		return -ERR_INVAL;
	}
	snprintf_td(model, sizeof(model), "Tandem VM %s", vm->name ? vm->name : "");
	snprintf_td(mem_name, sizeof(mem_name), "memory@%llx", (unsigned long long)vm->ram_ipa);
	snprintf_td(uart_name, sizeof(uart_name), "pl011@%lx", (unsigned long)VPL011_BASE);
	snprintf_td(uart_path, sizeof(uart_path), "/%s", uart_name);

	fdt_w_init(&w, buf, cap);
	fdt_w_begin_node(&w, "");
	fdt_w_prop_u32(&w, "#address-cells", 2);
	fdt_w_prop_u32(&w, "#size-cells", 2);
	fdt_w_prop_string(&w, "compatible", "tandem,vm");
	fdt_w_prop_string(&w, "model", model);
	fdt_w_prop_u32(&w, "interrupt-parent", GUEST_DTB_PHANDLE_GIC);

	node_chosen(&w, vm, initrd_start, initrd_size, uart_path);

	fdt_w_begin_node(&w, mem_name);
	fdt_w_prop_string(&w, "device_type", "memory");
	prop_reg(&w, vm->ram_ipa, vm->ram_size);
	fdt_w_end_node(&w);

	node_cpus(&w, vm);
	node_psci(&w);
	node_gic(&w, vm);
	node_timer(&w);
	node_clock(&w);
	node_uart(&w, uart_name);
	for (unsigned i = 0; vm->cfg && i < vm->cfg->nr_pt; i++)
		node_passthrough(&w, &vm->cfg->pt[i]);
	for (unsigned i = 0; vm->cfg && i < vm->cfg->nr_channels; i++)
		node_channel(&w, &vm->cfg->channels[i]);
	vscmi_dtb_nodes(&w, vm);
	if (vm->cfg && vm->cfg->watchdog)
		node_watchdog(&w, vm->cfg);
	if (vm->cfg && vm->cfg->failover.in_group)
		node_failover(&w, vm->cfg);
	fdt_w_end_node(&w);

	ret = fdt_w_finish(&w);
	if (ret < 0)
		log_error("vm %s: guest dtb: %s (buffer of %zu bytes)", vm->name, err_name(ret),
			  cap);
	return ret;
}
