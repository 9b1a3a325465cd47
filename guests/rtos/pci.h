/*
 * PCI Express through ECAM: enumeration of the host bridge the DTB describes (bus-range buses,
 * every device and function on them; no bridges behind it), BAR sizing and assignment from the
 * bridge's windows, INTx routing through its interrupt-map. Devices get I/O and memory decoding
 * but never bus mastering: nothing the RTOS drives through it does DMA.
 */
#ifndef RTOS_PCI_H
#define RTOS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"

#define PCI_MAX_DEVS 32
#define PCI_BARS     6

struct pci_bar {
	uint64_t cpu;  /* CPU physical address (I/O BARs: inside the bridge's I/O window) */
	uint64_t bus;  /* what the BAR register holds */
	uint64_t size; /* 0: not implemented, or could not be assigned */
	bool io;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class_code; /* class, subclass, prog-if */
	uint8_t pin;	     /* 1-4 = INTA-INTD, 0 = none */
	unsigned intid;	     /* the GIC INTID its pin reaches (interrupt-map), 0 if unknown */
	struct pci_bar bar[PCI_BARS];
};

/*
 * Maps the ECAM, walks the buses, assigns BARs and enables decoding. Prints one line per
 * device ("PCI 00:01.0 1b36:0004 class 070002 INTA -> 36 BAR0 io 0x1000+0x20") and a
 * summary. Returns the number of devices found, or -1 if there is no usable bridge.
 */
int pci_init(const struct platform *p);
unsigned pci_nr_devs(void);
const struct pci_dev *pci_dev_at(unsigned i);

#endif
