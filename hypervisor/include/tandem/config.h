/*
 * The system description, parsed and validated into immutable structs.
 * Configuration flows one way: DTB -> cfg_parse() -> struct cfg_system -> vm_create().
 */
#ifndef TANDEM_CONFIG_H
#define TANDEM_CONFIG_H

#include <tandem/fdt.h>
#include <tandem/types.h>

#define CFG_MAX_VMS	 8
#define CFG_MAX_VCPUS	 8 /* per VM */
#define CFG_MAX_POOLS	 8
#define CFG_NAME_MAX	 32
#define CFG_BOOTARGS_MAX 512
#define CFG_ERR_MAX	 200

/* A guest image found in the boot bundle under the name the description uses. */
struct cfg_image {
	const char *name; /* as written in the description; NULL if the property is absent */
	const void *data;
	size_t size;
};

enum cfg_on_reset {
	CFG_ON_RESET_RESTART = 0, /* a PSCI SYSTEM_RESET restarts the VM from pristine images */
	CFG_ON_RESET_STOP,	  /* the VM stays stopped */
};

struct cfg_vm {
	char name[CFG_NAME_MAX];	 /* node name under /vms */
	uint32_t nr_vcpus;		 /* "cpus" */
	uint64_t mem_size;		 /* "memory": bytes, multiple of 2 MiB */
	struct cfg_image kernel;	 /* "kernel": required */
	struct cfg_image initrd;	 /* "initrd": optional */
	char bootargs[CFG_BOOTARGS_MAX]; /* "bootargs": optional, "" if absent */
	enum cfg_on_reset on_reset;	 /* "on-reset": "restart" (default) or "stop" */
};

struct cfg_system {
	uint32_t nr_vms;
	struct cfg_vm vms[CFG_MAX_VMS];
	/* First error as "config: /vms/linux: memory: must be a multiple of 2 MiB". */
	char err[CFG_ERR_MAX];
};

/* Finds a packed image by name; returns 0 and fills data/size, or -ERR_NOENT. */
typedef int (*cfg_image_lookup_fn)(void *ctx, const char *name, const void **data, size_t *size);

/*
 * Parses and validates a system description. On failure returns -ERR_INVAL and
 * leaves one line naming the node, the property and the rule broken in out->err.
 */
int cfg_parse(const struct fdt *fdt, cfg_image_lookup_fn lookup, void *lookup_ctx,
	      struct cfg_system *out);

/* What the machine offers, for cfg_check_resources(). */
struct cfg_resources {
	uint32_t nr_pcpus;
	uint64_t free_bytes; /* RAM the frame allocator can still hand out */
};

/*
 * Checks a parsed system against the machine: vCPUs vs pCPUs (one vCPU per pCPU
 * until scheduling lands) and total memory vs free memory. Same error contract.
 */
int cfg_check_resources(struct cfg_system *sys, const struct cfg_resources *res);

#endif
