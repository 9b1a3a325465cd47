/*
 * The boot bundle: one file QEMU loads as its "initrd" (so /chosen/linux,initrd-start
 * tells Tandem where it is). It holds the compiled system description and every
 * guest image it names. Shared by the hypervisor and tools/tandem-pack.
 *
 * Layout (little-endian): header, nr_entries entries, then the data of each entry
 * at its offset (from the start of the bundle, 4 KiB aligned).
 * Entry 0 is always "system.dtb". Other entries are named exactly as the
 * description's image properties spell them ("linux-Image", "/abs/path/x.bin").
 */
#ifndef TANDEM_ABI_BUNDLE_H
#define TANDEM_ABI_BUNDLE_H

#include <stdint.h>

#define BUNDLE_MAGIC	  "TANDEMBN"
#define BUNDLE_VERSION	  1
#define BUNDLE_NAME_MAX	  112
#define BUNDLE_ALIGN	  4096
#define BUNDLE_SYSTEM_DTB "system.dtb"

struct bundle_header {
	char magic[8];
	uint32_t version;
	uint32_t nr_entries;
	uint64_t total_size;
};

struct bundle_entry {
	char name[BUNDLE_NAME_MAX]; /* NUL-terminated */
	uint64_t offset;
	uint64_t size;
};

_Static_assert(sizeof(struct bundle_header) == 24, "bundle header layout");
_Static_assert(sizeof(struct bundle_entry) == 128, "bundle entry layout");

#endif
