/*
 * Everything the RTOS learns about the machine, all from the DTB it is handed at boot: the same
 * binary runs bare on QEMU, under Tandem and under Xen because nothing here is compiled in.
 */
#ifndef RTOS_PLATFORM_H
#define RTOS_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "rtos.h"

#define PLAT_MAX_GICR	4
#define PLAT_ARGS_MAX	256
#define PLAT_MAX_VIRTIO 32 /* virtio,mmio nodes (QEMU virt has 32 slots) */

#define PLAT_PCI_WINDOWS  4  /* entries of a host bridge's "ranges" */
#define PLAT_PCI_INTX	  32 /* entries of its "interrupt-map" */
#define PLAT_MAX_CHANNELS 4

/* One window of a PCI host bridge: PCI bus addresses [pci, pci+size) at CPU [cpu, cpu+size). */
struct plat_pci_window {
	unsigned space; /* 1 = I/O, 2 = 32-bit memory, 3 = 64-bit memory (phys.hi bits 25:24) */
	bool prefetch;
	uint64_t pci, cpu, size;
};

/* One interrupt-map entry: (device bits of phys.hi, INTx pin) -> GIC INTID. */
struct plat_pci_intx {
	uint32_t phys_hi;
	uint32_t pin; /* 1-4 = INTA-INTD */
	unsigned intid;
};

/* A "pci-host-ecam-generic" host bridge (PCI Firmware spec / Linux's host-generic-pci binding). */
struct plat_pci {
	uint64_t ecam, ecam_size; /* 0 if none */
	unsigned bus_first, bus_last;
	unsigned nr_windows;
	struct plat_pci_window win[PLAT_PCI_WINDOWS];
	uint32_t map_mask_hi, map_mask_pin; /* interrupt-map-mask cells 0 and 3 */
	unsigned nr_intx;
	struct plat_pci_intx intx[PLAT_PCI_INTX];
};

/* A "tandem,channel-v1" node: shared memory with another VM and its doorbell (abi/channel.h). */
struct plat_channel {
	uint64_t base, size;
	unsigned irq; /* the doorbell this VM receives (INTID) */
	uint32_t id;  /* for TANDEM_HC_CHANNEL_NOTIFY */
	uint32_t side;
	char label[32], peer[32];
};

/* A virtio-mmio transport the DTB describes (device ID unknown until probed). */
struct plat_virtio {
	uint64_t base, size;
	unsigned irq; /* INTID */
};

struct platform {
	uint64_t ram_base, ram_size; /* the memory bank holding the image */
	unsigned nr_cpus;	     /* usable, at most RTOS_MAX_CPUS; [0] is the boot CPU */
	unsigned dt_cpus;	     /* CPU nodes in the DTB */
	uint64_t mpidr[RTOS_MAX_CPUS];
	unsigned gic_version; /* 2 or 3 */
	uint64_t gicd, gicd_size;
	uint64_t gicc, gicc_size; /* GICv2 CPU interface */
	unsigned nr_gicr;	  /* GICv3 redistributor regions */
	uint64_t gicr[PLAT_MAX_GICR], gicr_size[PLAT_MAX_GICR];
	uint64_t uart, uart_size;
	unsigned uart_irq; /* INTID, 0 if none */
	bool uart_sbsa;	   /* arm,sbsa-uart: the SBSA subset of the PL011 (no CR/LCR/baud) */
	unsigned timer_virt_irq, timer_phys_irq; /* INTIDs of the EL1 virtual and physical timers */
	bool psci;
	bool psci_hvc; /* conduit: hvc (under a hypervisor) or smc */
	uint32_t psci_cpu_on;
	char bootargs[PLAT_ARGS_MAX];
	char uart_name[48];
	unsigned nr_virtio;
	struct plat_virtio virtio[PLAT_MAX_VIRTIO];
	struct plat_pci pci; /* the first enabled ECAM host bridge */
	unsigned nr_channels;
	struct plat_channel channel[PLAT_MAX_CHANNELS];
};

/* Fills *p from the DTB at `dtb`; `image` is any address inside the running image (it picks the
 * memory bank). Returns 0, or -1 with *err saying what was missing. Runs with the MMU off. */
int platform_probe(const void *dtb, uintptr_t image, uint64_t boot_mpidr, struct platform *p,
		   const char **err);

#endif
