/*
 * The system description checked against the machine: static-mem regions against host RAM
 * and what already lives there, passed-through devices against the host DTB, each other and
 * the DMA rules. Runs before anything is allocated or mapped; the first broken rule becomes
 * one line "config: /vms/NAME: prop: rule".
 */
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/string.h>
#include <tandem/vgic.h>
#include <tandem/vpl011.h>
#include <tandem/vscmi.h>
#include <tandem/vwdog.h>

#include "config-internal.h"

#define PAGE_4K	     KiB(4)
#define IPA_LIMIT    (1ULL << 39) /* stage 2 covers a 39-bit IPA space */
#define IRQ_CELLS    3		  /* arm,gic-v3 interrupt specifiers: type, number, flags */
#define GIC_TYPE_SPI 0

typedef unsigned long long ull;

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static bool inside(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a >= b && a + as <= b + bs;
}

/* The guest-physical windows of the devices Tandem emulates for vm. */
unsigned cfg_emulated_windows(const struct cfg_vm *vm, struct cfg_range *w)
{
	w[0] = (struct cfg_range){VGIC_GICD_BASE, VGIC_GICD_SIZE, "GIC distributor"};
	w[1] = (struct cfg_range){VGIC_GICR_BASE, (uint64_t)vm->nr_vcpus * VGIC_GICR_STRIDE,
				  "GIC redistributors"};
	w[2] = (struct cfg_range){VPL011_BASE, VPL011_SIZE, "UART"};
	{
		unsigned n = 3;

		if (vm->freq_controller)
			w[n++] =
			    (struct cfg_range){VSCMI_SHMEM_IPA, VSCMI_SHMEM_SIZE, "SCMI channel"};
		if (vm->watchdog) {
			w[n++] = (struct cfg_range){VWDOG_CONTROL_BASE, VWDOG_FRAME_SIZE,
						    "watchdog control frame"};
			w[n++] = (struct cfg_range){VWDOG_REFRESH_BASE, VWDOG_FRAME_SIZE,
						    "watchdog refresh frame"};
		}
		return n;
	}
}

static int check_one_static(struct cfg_system *sys, unsigned idx, const struct cfg_machine *m)
{
	const struct cfg_vm *vm = &sys->vms[idx];
	uint64_t base = vm->static_base, size = vm->mem_size;
	struct cfg_range win[CFG_EMULATED_WINDOWS];
	unsigned i, nw;

	for (i = 0; i < m->nr_ram; i++) {
		if (inside(base, size, m->ram[i].base, m->ram[i].size))
			break;
	}
	if (i == m->nr_ram)
		return cfg_fail_vm(
		    sys, vm, "static-mem", "0x%llx+0x%llx is not inside host RAM (0x%llx+0x%llx%s)",
		    (ull)base, (ull)size, (ull)(m->nr_ram ? m->ram[0].base : 0),
		    (ull)(m->nr_ram ? m->ram[0].size : 0), m->nr_ram > 1 ? ", ..." : "");
	for (i = 0; i < m->nr_busy; i++) {
		const struct cfg_range *b = &m->busy[i];

		if (overlaps(base, size, b->base, b->size))
			return cfg_fail_vm(sys, vm, "static-mem",
					   "0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx", (ull)base,
					   (ull)size, b->what, (ull)b->base, (ull)b->size);
	}
	for (i = 0; i < idx; i++) {
		const struct cfg_vm *o = &sys->vms[i];

		if (o->static_mem && overlaps(base, size, o->static_base, o->mem_size))
			return cfg_fail_vm(sys, vm, "static-mem",
					   "0x%llx+0x%llx overlaps the static-mem of /vms/%s "
					   "(0x%llx+0x%llx)",
					   (ull)base, (ull)size, o->name, (ull)o->static_base,
					   (ull)o->mem_size);
	}
	if (!vm->direct_map)
		return 0;
	if (base + size > IPA_LIMIT)
		return cfg_fail_vm(sys, vm, "direct-map",
				   "RAM 0x%llx+0x%llx ends beyond the 39-bit guest-physical space",
				   (ull)base, (ull)size);
	nw = cfg_emulated_windows(vm, win);
	for (i = 0; i < nw; i++) {
		if (overlaps(base, size, win[i].base, win[i].size))
			return cfg_fail_vm(sys, vm, "direct-map",
					   "RAM at 0x%llx+0x%llx would cover the emulated %s at "
					   "0x%llx",
					   (ull)base, (ull)size, win[i].what, (ull)win[i].base);
	}
	return 0;
}

int cfg_check_static_mem(struct cfg_system *sys, const struct cfg_machine *m)
{
	if (!sys || !m)
		return -ERR_INVAL;
	for (unsigned i = 0; i < sys->nr_vms; i++) {
		int ret;

		if (sys->vms[i].static_mem && (ret = check_one_static(sys, i, m)))
			return ret;
	}
	return 0;
}

/* Properties that name other nodes by phandle: the guest DTB has no such nodes to point at. */
static const char *const phandle_props[] = {
    "clocks", "resets",	    "power-domains", "iommus", "interrupts-extended",
    "dmas",   "msi-parent", "pinctrl-0",     NULL,
};

/* PCI "ranges" entries: child address (3 cells), parent address (2), size (2). */
static int pci_ranges(struct cfg_system *sys, const struct cfg_vm *vm, struct cfg_passthrough *pt,
		      const struct fdt *host, int node)
{
	int len;
	const uint8_t *r = fdt_prop(host, node, "ranges", &len);

	if (!r || len % 28)
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: a PCIe host bridge needs ranges of 7 cells per window",
				   pt->path);
	for (int off = 0; off < len; off += 28) {
		if (pt->nr_reg == CFG_PT_MAX_REG)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: more than %u windows",
					   pt->path, CFG_PT_MAX_REG);
		pt->reg_base[pt->nr_reg] = fdt_read_cells(r + off + 12, 2);
		pt->reg_size[pt->nr_reg++] = fdt_read_cells(r + off + 20, 2);
	}
	return 0;
}

/*
 * interrupt-map entries: child unit address (3) + child INTx (1) + GIC phandle (1) + GIC unit
 * address (2) + GIC specifier (3). The SPIs they name become the VM's (shared INTx lines).
 */
static int pci_intx(struct cfg_system *sys, const struct cfg_vm *vm, struct cfg_passthrough *pt,
		    const struct fdt *host, int node)
{
	int len;
	const uint8_t *map = fdt_prop(host, node, "interrupt-map", &len);

	if (!map)
		return 0;
	if (len % 40)
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: interrupt-map entries must be 10 cells (GICv3 parent)",
				   pt->path);
	for (int off = 0; off < len; off += 40) {
		irq_t id = (irq_t)fdt_read_cells(map + off + 32, 1) + 32;
		unsigned i;

		if (fdt_read_cells(map + off + 28, 1) != GIC_TYPE_SPI)
			return cfg_fail_vm(sys, vm, "passthrough",
					   "%s: interrupt-map names a non-SPI", pt->path);
		for (i = 0; i < pt->nr_irqs && pt->irqs[i] != id; i++)
			;
		if (i < pt->nr_irqs)
			continue;
		if (pt->nr_irqs == CFG_PT_MAX_IRQ)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: more than %u INTx SPIs",
					   pt->path, CFG_PT_MAX_IRQ);
		pt->irqs[pt->nr_irqs++] = id;
	}
	return 0;
}

/* Reads reg and interrupts of the device's host node into pt. */
static int resolve(struct cfg_system *sys, const struct cfg_vm *vm, struct cfg_passthrough *pt,
		   const struct fdt *host, const struct cfg_machine *m)
{
	const char *path = pt->path;
	const uint8_t *irqs;
	int node = fdt_path(host, path), len;

	if (node < 0)
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: no such node in the host device tree", path);
	if (strchr(path + 1, '/'))
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: only nodes directly under the root can be passed through "
				   "(no bus address translation)",
				   path);
	for (const char *const *pp = phandle_props; *pp; pp++) {
		if (fdt_has_prop(host, node, *pp))
			return cfg_fail_vm(
			    sys, vm, "passthrough",
			    "%s: its property '%s' refers to other host nodes, which "
			    "the guest does not get",
			    path, *pp);
	}
	if (fdt_first_child(host, node) >= 0)
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: nodes with subnodes are not supported", path);
	pt->host = host;
	pt->host_node = node;
	pt->pci_host = fdt_is_compatible(host, node, "pci-host-ecam-generic");
	pt->behind_smmu = m->has_smmu && (fdt_has_prop(host, node, "iommu-map") ||
					  fdt_has_prop(host, node, "iommus"));
	pt->nr_reg = 0;
	for (int i = 0;; i++) {
		uint64_t base, size;
		int r = fdt_read_reg(host, node, i, &base, &size);

		if (r == -ERR_NOENT)
			break;
		if (r)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: malformed reg", path);
		if (pt->nr_reg == CFG_PT_MAX_REG)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: more than %u reg entries",
					   path, CFG_PT_MAX_REG);
		if (size == 0 || base + size < base)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: reg 0x%llx+0x%llx is empty",
					   path, (ull)base, (ull)size);
		pt->reg_base[pt->nr_reg] = base;
		pt->reg_size[pt->nr_reg++] = size;
	}
	if (!pt->nr_reg)
		return cfg_fail_vm(sys, vm, "passthrough", "%s: has no reg (nothing to map)", path);
	pt->nr_node_reg = pt->nr_reg;
	if (pt->pci_host) {
		int ret = pci_ranges(sys, vm, pt, host, node);

		pt->nr_irqs = 0;
		return ret ? ret : pci_intx(sys, vm, pt, host, node);
	}

	pt->nr_irqs = 0;
	irqs = fdt_prop(host, node, "interrupts", &len);
	if (!irqs)
		return 0;
	if (len % (4 * IRQ_CELLS))
		return cfg_fail_vm(sys, vm, "passthrough",
				   "%s: interrupts must be GIC specifiers of 3 cells", path);
	for (int off = 0; off < len; off += 4 * IRQ_CELLS) {
		uint32_t type = (uint32_t)fdt_read_cells(irqs + off, 1);
		uint32_t num = (uint32_t)fdt_read_cells(irqs + off + 4, 1);

		if (type != GIC_TYPE_SPI)
			return cfg_fail_vm(sys, vm, "passthrough",
					   "%s: interrupt <%u %u> is not an SPI (per-CPU "
					   "interrupts stay with the hypervisor)",
					   path, type, num);
		if (pt->nr_irqs == CFG_PT_MAX_IRQ)
			return cfg_fail_vm(sys, vm, "passthrough", "%s: more than %u interrupts",
					   path, CFG_PT_MAX_IRQ);
		pt->irqs[pt->nr_irqs++] = num + 32;
	}
	return 0;
}

/* The device's own ranges against RAM, Tandem's devices and the VM's guest-physical map. */
static int check_ranges(struct cfg_system *sys, const struct cfg_vm *vm,
			const struct cfg_passthrough *pt, const struct cfg_machine *m)
{
	struct cfg_range win[CFG_EMULATED_WINDOWS];
	unsigned nw = cfg_emulated_windows(vm, win);

	for (unsigned r = 0; r < pt->nr_reg; r++) {
		uint64_t b = pt->reg_base[r], s = pt->reg_size[r];

		for (unsigned i = 0; i < m->nr_ram; i++) {
			if (overlaps(b, s, m->ram[i].base, m->ram[i].size))
				return cfg_fail_vm(sys, vm, "passthrough",
						   "%s: reg 0x%llx+0x%llx is RAM, not a device",
						   pt->path, (ull)b, (ull)s);
		}
		for (unsigned i = 0; i < m->nr_hyp_dev; i++) {
			if (overlaps(ALIGN_DOWN(b, PAGE_4K),
				     ALIGN_UP(b + s, PAGE_4K) - ALIGN_DOWN(b, PAGE_4K),
				     m->hyp_dev[i].base, m->hyp_dev[i].size))
				return cfg_fail_vm(
				    sys, vm, "passthrough",
				    "%s: reg 0x%llx+0x%llx overlaps %s, which Tandem "
				    "keeps",
				    pt->path, (ull)b, (ull)s, m->hyp_dev[i].what);
		}
		for (unsigned i = 0; i < nw; i++) {
			if (overlaps(b, s, win[i].base, win[i].size))
				return cfg_fail_vm(sys, vm, "passthrough",
						   "%s: reg 0x%llx+0x%llx overlaps the guest's "
						   "emulated %s",
						   pt->path, (ull)b, (ull)s, win[i].what);
		}
		if (overlaps(b, s, cfg_vm_ram_ipa(vm), vm->mem_size))
			return cfg_fail_vm(sys, vm, "passthrough",
					   "%s: reg 0x%llx+0x%llx overlaps the guest's RAM",
					   pt->path, (ull)b, (ull)s);
	}
	for (unsigned i = 0; i < pt->nr_irqs; i++) {
		irq_t id = pt->irqs[i];

		if (id >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
			return cfg_fail_vm(
			    sys, vm, "passthrough",
			    "%s: SPI %u (INTID %u) is beyond the virtual GIC's INTID "
			    "%u",
			    pt->path, id - 32, id, VGIC_NR_PRIVATE + VGIC_NR_SPIS - 1);
		if (id == VPL011_SPI)
			return cfg_fail_vm(sys, vm, "passthrough",
					   "%s: INTID %u is the guest's emulated UART interrupt",
					   pt->path, id);
		for (unsigned k = 0; k < ARRAY_SIZE(m->hyp_irqs); k++) {
			if (m->hyp_irqs[k] && m->hyp_irqs[k] == id)
				return cfg_fail_vm(sys, vm, "passthrough",
						   "%s: INTID %u is used by Tandem itself",
						   pt->path, id);
		}
	}
	return 0;
}

/* First 4 KiB page two devices share, or 0 (page 0 holds no device on any platform we run). */
static uint64_t shared_page(const struct cfg_passthrough *a, const struct cfg_passthrough *b)
{
	for (unsigned i = 0; i < a->nr_reg; i++) {
		uint64_t as = ALIGN_DOWN(a->reg_base[i], PAGE_4K);
		uint64_t ae = ALIGN_UP(a->reg_base[i] + a->reg_size[i], PAGE_4K);

		for (unsigned j = 0; j < b->nr_reg; j++) {
			uint64_t bs = ALIGN_DOWN(b->reg_base[j], PAGE_4K);
			uint64_t be = ALIGN_UP(b->reg_base[j] + b->reg_size[j], PAGE_4K);

			if (as < be && bs < ae)
				return MAX(as, bs);
		}
	}
	return 0;
}

/* One owner per device, per page and per interrupt, against every device checked before. */
static int check_owners(struct cfg_system *sys, unsigned vi, unsigned di)
{
	const struct cfg_vm *vm = &sys->vms[vi];
	const struct cfg_passthrough *pt = &vm->pt[di];

	for (unsigned oi = 0; oi <= vi; oi++) {
		const struct cfg_vm *o = &sys->vms[oi];
		unsigned n = oi == vi ? di : o->nr_pt;

		for (unsigned k = 0; k < n; k++) {
			const struct cfg_passthrough *q = &o->pt[k];
			uint64_t page;

			/* A failover group's devices are listed by both members; one has them
			 * mapped. */
			if (oi != vi && pt->moves && q->moves && vm->failover.in_group &&
			    o->failover.in_group && vm->failover.group == o->failover.group)
				continue;
			if (q->host_node == pt->host_node)
				return cfg_fail_vm(sys, vm, "passthrough",
						   "%s is already given to /vms/%s (one owner per "
						   "device)",
						   pt->path, o->name);
			/* Unmapping a moving device's page would take a device that stays too. */
			if (oi == vi && pt->moves != q->moves && (page = shared_page(pt, q)))
				return cfg_fail_vm(sys, vm, "passthrough",
						   "%s shares the 4 KiB page 0x%llx with %s, but "
						   "only one of them moves on failover (stage 2 "
						   "maps whole pages)",
						   pt->path, (ull)page, q->path);
			if (oi == vi)
				continue; /* one VM may hold several devices of one page */
			page = shared_page(pt, q);
			if (page)
				return cfg_fail_vm(
				    sys, vm, "passthrough",
				    "%s shares the 4 KiB page 0x%llx with %s of "
				    "/vms/%s (stage 2 maps whole pages: give both to "
				    "one VM)",
				    pt->path, (ull)page, q->path, o->name);
			for (unsigned a = 0; a < pt->nr_irqs; a++) {
				for (unsigned b = 0; b < q->nr_irqs; b++) {
					if (pt->irqs[a] == q->irqs[b])
						return cfg_fail_vm(
						    sys, vm, "passthrough",
						    "%s: INTID %u is also the interrupt of %s of "
						    "/vms/%s",
						    pt->path, pt->irqs[a], q->path, o->name);
				}
			}
		}
	}
	return 0;
}

int cfg_check_devices(struct cfg_system *sys, const struct fdt *host, const struct cfg_machine *m)
{
	int ret;

	if (!sys || !host || !m)
		return -ERR_INVAL;
	for (unsigned vi = 0; vi < sys->nr_vms; vi++) {
		struct cfg_vm *vm = &sys->vms[vi];

		for (unsigned di = 0; di < vm->nr_pt; di++) {
			struct cfg_passthrough *pt = &vm->pt[di];

			if ((ret = resolve(sys, vm, pt, host, m)) ||
			    (ret = check_ranges(sys, vm, pt, m)) ||
			    (ret = check_owners(sys, vi, di)))
				return ret;
			/*
			 * Without an IOMMU a device's DMA addresses are host-physical: only a
			 * direct-mapped VM programs the right ones (and can then reach all memory).
			 */
			if (pt->dma && !vm->direct_map && !pt->behind_smmu)
				return cfg_fail_vm(
				    sys, vm, "passthrough",
				    "%s can do DMA but the VM is neither direct-mapped nor behind "
				    "an "
				    "SMMU (add direct-map, or list it in passthrough-no-dma if it "
				    "never does DMA)",
				    pt->path);
		}
	}
	return 0;
}
