/* What the host device tree says about the machine (memory, CPUs, UART, PSCI, boot bundle; the
 * GIC: tandem/irqchip.h). */
#ifndef TANDEM_PLATFORM_H
#define TANDEM_PLATFORM_H

#include <tandem/fdt.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/types.h>

#define PLATFORM_MAX_RSV 8

struct platform_info {
	unsigned nr_mem;
	paddr_t mem_base[MEM_MAX_REGIONS];
	uint64_t mem_size[MEM_MAX_REGIONS];
	unsigned nr_rsv; /* /memreserve/ entries and reserved-memory nodes */
	paddr_t rsv_base[PLATFORM_MAX_RSV];
	uint64_t rsv_size[PLATFORM_MAX_RSV];
	unsigned nr_cpus;
	uint64_t cpu_mpidr[MAX_PCPUS];
	paddr_t uart;
	irq_t uart_irq;
	bool psci_hvc;	/* conduit: HVC rather than SMC */
	paddr_t bundle; /* /chosen linux,initrd-start */
	uint64_t bundle_size;
	const struct fdt *host_dtb; /* the host DTB, kept for passed-through device nodes */
};

extern struct platform_info platform;

/* Fills platform from the host DTB; returns 0 or a negative ERR_* after printing why. */
int platform_probe(const struct fdt *fdt);

#endif
