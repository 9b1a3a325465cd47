/*
 * DTB → struct platform: memory, CPUs, GIC, UART, timer interrupts, PSCI, bootargs, a PCIe host
 * bridge and Tandem's channels. One pass over the tree collects the nodes; bindings followed:
 * Linux's arm,gic-v3 / arm,gic (v2), arm,pl011 / arm,sbsa-uart, arm,armv8-timer, arm,psci*,
 * pci-host-ecam-generic (with its "ranges" and "interrupt-map"), tandem,channel-v1. Unit
 * addresses of root nodes are taken as CPU physical addresses: "ranges" translation is not done
 * above the host bridge (QEMU, Tandem and Xen use empty ranges).
 */
#include <common/psci.h>

#include "fdt.h"
#include "platform.h"

/* What the pass remembers to decode a host bridge's interrupt-map once the GIC node is known. */
struct intmap_src {
	const uint8_t *map;
	uint32_t len;
	uint32_t gic_phandle, gic_addr_cells, gic_intr_cells;
};

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void str_copy(char *dst, const char *src, uint32_t len, uint32_t cap)
{
	uint32_t i;

	for (i = 0; i + 1 < cap && i < len && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* The i-th (address, size) pair of a node's "reg". */
static bool reg_at(const struct fdt *f, const struct fdt_node *n, unsigned i, uint64_t *addr,
		   uint64_t *size)
{
	uint32_t len, stride = 4 * (n->addr_cells + n->size_cells);
	const uint8_t *r = fdt_prop(f, n, "reg", &len);

	if (!r || !stride || len < stride * (i + 1))
		return false;
	*addr = fdt_cells(r + stride * i, n->addr_cells);
	*size = n->size_cells ? fdt_cells(r + stride * i + 4 * n->addr_cells, n->size_cells) : 0;
	return true;
}

/* INTID of the i-th 3-cell GIC interrupt specifier (type: 0 SPI, 1 PPI). */
static unsigned irq_at(const struct fdt *f, const struct fdt_node *n, unsigned i)
{
	uint32_t len;
	const uint8_t *v = fdt_prop(f, n, "interrupts", &len);

	if (!v || len < 12 * (i + 1))
		return 0;
	return fdt_be32(v + 12 * i + 4) + (fdt_be32(v + 12 * i) == 1 ? 16 : 32);
}

/* The last component of stdout-path ("/pl011@9000000:115200n8" → "pl011@9000000"), resolving
 * an alias through /aliases. */
static void stdout_node(const struct fdt *f, const char *path, uint32_t len,
			const struct fdt_node *aliases, char *out, uint32_t cap)
{
	char buf[64];
	uint32_t i, start = 0;

	str_copy(buf, path, len, sizeof(buf));
	for (i = 0; buf[i] && buf[i] != ':'; i++)
		;
	buf[i] = '\0';
	if (buf[0] != '/' && aliases) {
		uint32_t alen;
		const char *a = fdt_prop(f, aliases, buf, &alen);

		if (a)
			str_copy(buf, a, alen, sizeof(buf));
	}
	for (i = 0; buf[i]; i++)
		if (buf[i] == '/')
			start = i + 1;
	str_copy(out, buf + start, cap, cap);
}

static void take_cpu(struct platform *p, uint64_t mpidr, uint64_t boot)
{
	p->dt_cpus++;
	if (mpidr == boot) {
		p->mpidr[0] = mpidr;
		return;
	}
	if (p->nr_cpus < RTOS_MAX_CPUS)
		p->mpidr[p->nr_cpus++] = mpidr;
}

static void take_gic(const struct fdt *f, const struct fdt_node *n, struct platform *p)
{
	uint64_t a, s;

	if (fdt_prop_has(f, n, "compatible", "arm,gic-v3")) {
		uint32_t len;
		const void *nr = fdt_prop(f, n, "#redistributor-regions", &len);
		unsigned regions = nr && len == 4 ? fdt_be32(nr) : 1;

		p->gic_version = 3;
		reg_at(f, n, 0, &p->gicd, &p->gicd_size);
		for (unsigned i = 0; i < regions && p->nr_gicr < PLAT_MAX_GICR; i++) {
			if (!reg_at(f, n, 1 + i, &a, &s))
				break;
			p->gicr[p->nr_gicr] = a;
			p->gicr_size[p->nr_gicr++] = s;
		}
	} else {
		p->gic_version = 2;
		reg_at(f, n, 0, &p->gicd, &p->gicd_size);
		reg_at(f, n, 1, &p->gicc, &p->gicc_size);
	}
}

static uint32_t prop_u32(const struct fdt *f, const struct fdt_node *n, const char *name,
			 uint32_t dflt)
{
	uint32_t len;
	const void *v = fdt_prop(f, n, name, &len);

	return v && len == 4 ? fdt_be32(v) : dflt;
}

/*
 * A pci-host-ecam-generic node: ECAM from "reg", windows from "ranges" (child address 3 cells:
 * phys.hi with the space code in bits 25:24 and prefetchable in bit 30, then the 64-bit bus
 * address; parent address and size in the root's cells), buses from "bus-range".
 */
static void take_pci(const struct fdt *f, const struct fdt_node *n, struct platform *p,
		     struct intmap_src *im)
{
	struct plat_pci *pci = &p->pci;
	uint32_t len, child_ac = prop_u32(f, n, "#address-cells", 3);
	uint32_t child_sc = prop_u32(f, n, "#size-cells", 2), stride;
	const uint8_t *r, *br, *mask;

	if (child_ac != 3 || !reg_at(f, n, 0, &pci->ecam, &pci->ecam_size))
		return;
	pci->bus_first = 0;
	pci->bus_last = (unsigned)(pci->ecam_size >> 20) - 1;
	br = fdt_prop(f, n, "bus-range", &len);
	if (br && len == 8) {
		pci->bus_first = fdt_be32(br) & 0xff;
		pci->bus_last = fdt_be32(br + 4) & 0xff;
	}
	r = fdt_prop(f, n, "ranges", &len);
	stride = 4 * (child_ac + n->addr_cells + child_sc);
	for (uint32_t off = 0; r && off + stride <= len && pci->nr_windows < PLAT_PCI_WINDOWS;
	     off += stride) {
		struct plat_pci_window *w = &pci->win[pci->nr_windows++];
		uint32_t hi = fdt_be32(r + off);

		w->space = hi >> 24 & 3;
		w->prefetch = hi >> 30 & 1;
		w->pci = fdt_cells(r + off + 4, 2);
		w->cpu = fdt_cells(r + off + 12, n->addr_cells);
		w->size = fdt_cells(r + off + 12 + 4 * n->addr_cells, child_sc);
	}
	mask = fdt_prop(f, n, "interrupt-map-mask", &len);
	pci->map_mask_hi = mask && len == 16 ? fdt_be32(mask) : ~0U;
	pci->map_mask_pin = mask && len == 16 ? fdt_be32(mask + 12) : ~0U;
	im->map = fdt_prop(f, n, "interrupt-map", &im->len);
}

/* Entries: child unit address (3) + pin (1) + parent phandle + parent unit address + parent
 * specifier (GIC: type, number, flags). Only entries naming the GIC's SPIs are kept. */
static void decode_intmap(struct plat_pci *pci, const struct intmap_src *im)
{
	uint32_t stride = 4 * (3 + 1 + 1 + im->gic_addr_cells + im->gic_intr_cells);

	if (!im->map || im->gic_intr_cells != 3)
		return;
	for (uint32_t off = 0; off + stride <= im->len && pci->nr_intx < PLAT_PCI_INTX;
	     off += stride) {
		const uint8_t *e = im->map + off, *spec = e + 20 + 4 * im->gic_addr_cells;

		if (fdt_be32(e + 16) != im->gic_phandle || fdt_be32(spec) != 0)
			continue;
		pci->intx[pci->nr_intx++] =
		    (struct plat_pci_intx){.phys_hi = fdt_be32(e),
					   .pin = fdt_be32(e + 12),
					   .intid = fdt_be32(spec + 4) + 32};
	}
}

/* A tandem,channel-v1 node (hypervisor/include/tandem/abi/channel.h). */
static void take_channel(const struct fdt *f, const struct fdt_node *n, struct platform *p)
{
	struct plat_channel *c = &p->channel[p->nr_channels];
	uint32_t len;
	const char *s;

	if (p->nr_channels == PLAT_MAX_CHANNELS || !reg_at(f, n, 0, &c->base, &c->size))
		return;
	c->irq = irq_at(f, n, 0);
	c->id = prop_u32(f, n, "tandem,channel-id", ~0U);
	c->side = prop_u32(f, n, "tandem,side", ~0U);
	s = fdt_prop(f, n, "label", &len);
	str_copy(c->label, s ? s : "", s ? len : 0, sizeof(c->label));
	s = fdt_prop(f, n, "tandem,peer", &len);
	str_copy(c->peer, s ? s : "", s ? len : 0, sizeof(c->peer));
	if (c->irq && c->id != ~0U && c->side <= 1)
		p->nr_channels++;
}

static bool is_gic(const struct fdt *f, const struct fdt_node *n)
{
	static const char *const v2[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
					 "arm,cortex-a7-gic"};

	if (fdt_prop_has(f, n, "compatible", "arm,gic-v3"))
		return true;
	for (unsigned i = 0; i < sizeof(v2) / sizeof(v2[0]); i++)
		if (fdt_prop_has(f, n, "compatible", v2[i]))
			return true;
	return false;
}

int platform_probe(const void *dtb, uintptr_t image, uint64_t boot_mpidr, struct platform *p,
		   const char **err)
{
	struct fdt f;
	struct fdt_iter it;
	struct fdt_node n, aliases, chosen, cpus_node;
	struct intmap_src im = {0};
	bool have_aliases = false, have_chosen = false, uart_from_stdout = false;
	char want_uart[48] = "";
	int r;

	*p = (struct platform){0};
	if (fdt_open(&f, dtb)) {
		*err = "no valid DTB in x0";
		return -1;
	}
	boot_mpidr &= 0xff00ffffffULL;
	p->nr_cpus = 1;
	p->mpidr[0] = boot_mpidr;
	cpus_node.depth = -1;

	/* First pass: /chosen and /aliases, which say which UART is the console. */
	fdt_iter_init(&it);
	while ((r = fdt_next_node(&f, &it, &n)) > 0) {
		if (n.depth == 2 && fdt_name_is(&n, "chosen")) {
			chosen = n;
			have_chosen = true;
		} else if (n.depth == 2 && fdt_name_is(&n, "aliases")) {
			aliases = n;
			have_aliases = true;
		}
	}
	if (r < 0) {
		*err = "malformed DTB structure";
		return -1;
	}
	if (have_chosen) {
		uint32_t len;
		const char *s = fdt_prop(&f, &chosen, "bootargs", &len);

		if (s)
			str_copy(p->bootargs, s, len, sizeof(p->bootargs));
		s = fdt_prop(&f, &chosen, "stdout-path", &len);
		if (s)
			stdout_node(&f, s, len, have_aliases ? &aliases : NULL, want_uart,
				    sizeof(want_uart));
	}

	fdt_iter_init(&it);
	while (fdt_next_node(&f, &it, &n) > 0) {
		uint64_t a, s;
		uint32_t len;
		const char *dt = fdt_prop(&f, &n, "device_type", &len);

		if (n.depth == 2 && fdt_name_is(&n, "cpus"))
			cpus_node = n;
		if (dt && str_eq(dt, "memory")) {
			for (unsigned i = 0; reg_at(&f, &n, i, &a, &s); i++)
				if (image >= a && image - a < s) {
					p->ram_base = a;
					p->ram_size = s;
				}
		} else if (dt && str_eq(dt, "cpu") && n.depth == cpus_node.depth + 1) {
			if (fdt_node_enabled(&f, &n) && reg_at(&f, &n, 0, &a, &s))
				take_cpu(p, a & 0xff00ffffffULL, boot_mpidr);
		} else if (!p->gic_version && is_gic(&f, &n)) {
			take_gic(&f, &n, p);
			im.gic_phandle = prop_u32(&f, &n, "phandle", ~0U);
			im.gic_addr_cells = prop_u32(&f, &n, "#address-cells", 0);
			im.gic_intr_cells = prop_u32(&f, &n, "#interrupt-cells", 3);
		} else if (fdt_prop_has(&f, &n, "compatible", "pci-host-ecam-generic") &&
			   fdt_node_enabled(&f, &n) && !p->pci.ecam) {
			take_pci(&f, &n, p, &im);
		} else if (fdt_prop_has(&f, &n, "compatible", "tandem,channel-v1") &&
			   fdt_node_enabled(&f, &n)) {
			take_channel(&f, &n, p);
		} else if ((fdt_prop_has(&f, &n, "compatible", "arm,pl011") ||
			    fdt_prop_has(&f, &n, "compatible", "arm,sbsa-uart")) &&
			   fdt_node_enabled(&f, &n) && !uart_from_stdout) {
			/* The first UART, unless a later one is the one stdout-path names. */
			bool named = want_uart[0] && str_eq(n.name, want_uart);

			if ((!p->uart || named) && reg_at(&f, &n, 0, &p->uart, &p->uart_size)) {
				p->uart_irq = irq_at(&f, &n, 0);
				p->uart_sbsa = !fdt_prop_has(&f, &n, "compatible", "arm,pl011");
				str_copy(p->uart_name, n.name, 64, sizeof(p->uart_name));
				uart_from_stdout = named;
			}
		} else if (fdt_prop_has(&f, &n, "compatible", "arm,armv8-timer") ||
			   fdt_prop_has(&f, &n, "compatible", "arm,armv7-timer")) {
			p->timer_phys_irq = irq_at(&f, &n, 1);
			p->timer_virt_irq = irq_at(&f, &n, 2);
		} else if (fdt_prop_has(&f, &n, "compatible", "virtio,mmio") &&
			   fdt_node_enabled(&f, &n) && p->nr_virtio < PLAT_MAX_VIRTIO) {
			struct plat_virtio *v = &p->virtio[p->nr_virtio];

			if (reg_at(&f, &n, 0, &v->base, &v->size)) {
				v->irq = irq_at(&f, &n, 0);
				p->nr_virtio++;
			}
		} else if (n.depth == 2 && fdt_name_is(&n, "psci")) {
			const char *m = fdt_prop(&f, &n, "method", &len);
			const void *on = fdt_prop(&f, &n, "cpu_on", &len);

			p->psci = m != NULL;
			p->psci_hvc = m && str_eq(m, "hvc");
			/* PSCI 0.2 and later have fixed function IDs; 0.1 names its own. */
			p->psci_cpu_on = PSCI_CPU_ON | PSCI_64BIT;
			if (!fdt_prop_has(&f, &n, "compatible", "arm,psci-0.2") &&
			    !fdt_prop_has(&f, &n, "compatible", "arm,psci-1.0") && on && len == 4)
				p->psci_cpu_on = fdt_be32(on);
		}
	}
	decode_intmap(&p->pci, &im);
	if (!p->ram_size)
		*err = "no /memory bank holds the image";
	else if (!p->uart)
		*err = "no arm,pl011 or arm,sbsa-uart node";
	else if (!p->gic_version || !p->gicd || (p->gic_version == 3 && !p->nr_gicr) ||
		 (p->gic_version == 2 && !p->gicc))
		*err = "no usable GIC node (arm,gic-v3 or arm,gic-400/cortex-a15-gic)";
	else if (!p->timer_virt_irq || !p->timer_phys_irq)
		*err = "no arm,armv8-timer interrupts";
	else
		return 0;
	return -1;
}
