/* Picks the interrupt-controller backend that drives the host DTB's GIC (tandem/irqchip.h). */
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/irqchip.h>

extern const struct irqchip_driver gicv3_driver;

/* Every backend linked in; the first whose compatible the host DTB has is used. */
static const struct irqchip_driver *const drivers[] = {&gicv3_driver};

struct irqchip_ops irqchip;

static struct irqchip_region regions[IRQCHIP_MAX_REGIONS];
static unsigned nr_regions;

int irqchip_probe(const struct fdt *fdt)
{
	for (unsigned d = 0; d < ARRAY_SIZE(drivers); d++) {
		for (const char *const *c = drivers[d]->compatible; *c; c++) {
			int node = fdt_find_compatible(fdt, -1, *c);
			int n;

			if (node < 0)
				continue;
			n = drivers[d]->probe(fdt, node, regions);
			if (n < 0)
				return n;
			nr_regions = (unsigned)n;
			irqchip = *drivers[d]->ops;
			return 0;
		}
	}
	return -ERR_NOENT;
}

unsigned irqchip_regions(const struct irqchip_region **out)
{
	*out = regions;
	return nr_regions;
}
