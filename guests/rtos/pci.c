/*
 * ECAM enumeration and BAR assignment (PCI Local Bus 3.0 section 6.2.5 for BAR sizing, PCIe
 * Base 4.0 section 7.2.2 for the ECAM layout: bus << 20 | device << 15 | function << 12).
 * Config space is read and written 32 bits at a time; the bridge's windows come from the DTB.
 */
#include "pci.h"

#include "arch.h"
#include "console.h"
#include "mmio.h"

#define CFG_ID		  0x00
#define CFG_COMMAND	  0x04
#define CFG_CLASS_REV	  0x08
#define CFG_HEADER	  0x0c /* byte 2: header type, bit 7 = multi-function */
#define CFG_BAR0	  0x10
#define CFG_INTR	  0x3c /* byte 0: line, byte 1: pin */
#define CMD_IO		  (1U << 0)
#define CMD_MEM		  (1U << 1)
#define CMD_MASTER	  (1U << 2)
#define CMD_INTX_DISABLE  (1U << 10)
#define BAR_IO		  1U
#define BAR_MEM_TYPE_MASK 6U
#define BAR_MEM_64	  4U
#define IO_FIRST	  0x1000 /* leave the legacy ISA range of the bus unused */

static struct pci_dev devs[PCI_MAX_DEVS];
static unsigned nr_devs;
static uintptr_t ecam;
static unsigned bus_base;

/* Next free bus address per window, and whether any BAR landed there (to map it). */
static uint64_t next_free[PLAT_PCI_WINDOWS];
static bool window_used[PLAT_PCI_WINDOWS];

static uintptr_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return ecam + ((uintptr_t)(bus - bus_base) << 20 | (uintptr_t)dev << 15 |
		       (uintptr_t)fn << 12 | reg);
}

static uint32_t cfg_read(const struct pci_dev *d, unsigned reg)
{
	return mmio_read32(cfg_addr(d->bus, d->dev, d->fn, reg));
}

static void cfg_write(const struct pci_dev *d, unsigned reg, uint32_t v)
{
	mmio_write32(cfg_addr(d->bus, d->dev, d->fn, reg), v);
}

/* The window a BAR of this kind is carved from: I/O, or 32-bit non-prefetchable memory. */
static int window_for(const struct plat_pci *pci, bool io)
{
	for (unsigned i = 0; i < pci->nr_windows; i++)
		if (pci->win[i].space == (io ? 1U : 2U))
			return (int)i;
	return -1;
}

static bool assign(const struct plat_pci *pci, struct pci_bar *b)
{
	int w = window_for(pci, b->io);
	uint64_t at;

	if (w < 0)
		return false;
	at = (next_free[w] + b->size - 1) & ~(b->size - 1);
	if (at + b->size > pci->win[w].pci + pci->win[w].size || at + b->size < at)
		return false;
	next_free[w] = at + b->size;
	window_used[w] = true;
	b->bus = at;
	b->cpu = pci->win[w].cpu + (at - pci->win[w].pci);
	return true;
}

/* Sizes BAR i (decoding is off), assigns it and writes its address; returns BARs consumed. */
static unsigned setup_bar(const struct plat_pci *pci, struct pci_dev *d, unsigned i)
{
	unsigned reg = CFG_BAR0 + 4 * i;
	uint32_t orig = cfg_read(d, reg), probe, mask;
	struct pci_bar *b = &d->bar[i];
	bool is64 =
	    !(orig & BAR_IO) && (orig & BAR_MEM_TYPE_MASK) == BAR_MEM_64 && i + 1 < PCI_BARS;

	cfg_write(d, reg, ~0U);
	probe = cfg_read(d, reg);
	b->io = orig & BAR_IO;
	if (is64) {
		cfg_write(d, reg + 4, ~0U);
		b->size = ~((uint64_t)cfg_read(d, reg + 4) << 32 | (probe & ~0xfU)) + 1;
	} else if (b->io) {
		/* A decoder of only 16 address bits reads back 0 in the upper half. */
		mask = probe & ~3U;
		b->size =
		    mask ? (uint32_t)(~(mask & 0xffff0000U ? mask : mask | 0xffff0000U) + 1) : 0;
	} else {
		mask = probe & ~0xfU;
		b->size = mask ? (uint32_t)(~mask + 1) : 0;
	}
	if (b->size && !assign(pci, b)) {
		kprintf("PCI %02x:%02x.%u: BAR%u (%s, 0x%lx bytes) does not fit the bridge's "
			"windows: left unassigned\n",
			d->bus, d->dev, d->fn, i, b->io ? "io" : "mem", (unsigned long)b->size);
		b->size = 0;
	}
	cfg_write(d, reg, b->size ? (uint32_t)b->bus | (orig & (b->io ? 3U : 0xfU)) : orig);
	if (is64)
		cfg_write(d, reg + 4, b->size ? (uint32_t)(b->bus >> 32) : 0);
	return is64 ? 2 : 1;
}

/* The GIC INTID the device's pin reaches, per the bridge's interrupt-map (0 if none). */
static unsigned route_intx(const struct plat_pci *pci, const struct pci_dev *d)
{
	uint32_t hi = (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8;

	for (unsigned i = 0; i < pci->nr_intx; i++) {
		const struct plat_pci_intx *e = &pci->intx[i];

		if ((hi & pci->map_mask_hi) == e->phys_hi && (d->pin & pci->map_mask_pin) == e->pin)
			return e->intid;
	}
	return 0;
}

static void setup_dev(const struct plat_pci *pci, struct pci_dev *d)
{
	uint32_t cmd = 0;
	char bars[96];
	size_t at = 0;

	d->class_code = cfg_read(d, CFG_CLASS_REV) >> 8;
	d->pin = (uint8_t)(cfg_read(d, CFG_INTR) >> 8);
	d->intid = d->pin ? route_intx(pci, d) : 0;
	cfg_write(d, CFG_COMMAND,
		  cfg_read(d, CFG_COMMAND) & 0xffffU &
		      ~(CMD_IO | CMD_MEM | CMD_MASTER | CMD_INTX_DISABLE));
	if (((cfg_read(d, CFG_HEADER) >> 16) & 0x7f) == 0) /* type 0: six BARs */
		for (unsigned i = 0; i < PCI_BARS;)
			i += setup_bar(pci, d, i);
	bars[0] = '\0';
	for (unsigned i = 0; i < PCI_BARS; i++) {
		if (!d->bar[i].size)
			continue;
		cmd |= d->bar[i].io ? CMD_IO : CMD_MEM;
		at += (size_t)snprintf_td(bars + at, sizeof(bars) - at, " BAR%u %s 0x%lx+0x%lx", i,
					  d->bar[i].io ? "io" : "mem", (unsigned long)d->bar[i].bus,
					  (unsigned long)d->bar[i].size);
		if (at >= sizeof(bars))
			at = sizeof(bars) - 1;
		if (!d->bar[i].io)
			mmu_map_device(d->bar[i].cpu, d->bar[i].size);
	}
	cfg_write(d, CFG_COMMAND, cmd); /* no bus mastering: no DMA */
	kprintf("PCI %02x:%02x.%u %04x:%04x class %06x INT%c -> %u%s\n", d->bus, d->dev, d->fn,
		d->vendor, d->device, d->class_code, d->pin ? 'A' + d->pin - 1 : '-', d->intid,
		bars);
}

static void probe_fn(const struct plat_pci *pci, unsigned bus, unsigned dev, unsigned fn)
{
	uint32_t id = mmio_read32(cfg_addr(bus, dev, fn, CFG_ID));
	struct pci_dev *d;

	if ((id & 0xffff) == 0xffff || nr_devs == PCI_MAX_DEVS)
		return;
	d = &devs[nr_devs++];
	*d = (struct pci_dev){.bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn};
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	setup_dev(pci, d);
}

int pci_init(const struct platform *p)
{
	const struct plat_pci *pci = &p->pci;

	if (!pci->ecam)
		return -1;
	if (mmu_map_device(pci->ecam, pci->ecam_size)) {
		kprintf("PCI: cannot map the ECAM at 0x%lx\n", (unsigned long)pci->ecam);
		return -1;
	}
	ecam = (uintptr_t)pci->ecam;
	bus_base = pci->bus_first;
	for (unsigned i = 0; i < pci->nr_windows; i++)
		next_free[i] = pci->win[i].pci + (pci->win[i].space == 1 ? IO_FIRST : 0);
	/* Buses behind PCI-PCI bridges would need bus numbers assigned first: only the root
	 * bus is walked (QEMU virt puts every -device there). */
	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t hdr;

		if ((mmio_read32(cfg_addr(bus_base, dev, 0, CFG_ID)) & 0xffff) == 0xffff)
			continue;
		hdr = mmio_read32(cfg_addr(bus_base, dev, 0, CFG_HEADER)) >> 16;
		for (unsigned fn = 0; fn < ((hdr & 0x80) ? 8U : 1U); fn++)
			probe_fn(pci, bus_base, dev, fn);
	}
	for (unsigned i = 0; i < pci->nr_windows; i++) {
		if (!window_used[i] || pci->win[i].space != 1)
			continue;
		if (mmu_map_device(pci->win[i].cpu, pci->win[i].size))
			kprintf("PCI: cannot map the I/O window at 0x%lx\n",
				(unsigned long)pci->win[i].cpu);
	}
	kprintf("PCI: ECAM 0x%lx buses %u-%u, %u device(s), %u window(s), %u INTx route(s)\n",
		(unsigned long)pci->ecam, pci->bus_first, pci->bus_last, nr_devs, pci->nr_windows,
		pci->nr_intx);
	return (int)nr_devs;
}

unsigned pci_nr_devs(void)
{
	return nr_devs;
}

const struct pci_dev *pci_dev_at(unsigned i)
{
	return i < nr_devs ? &devs[i] : NULL;
}
