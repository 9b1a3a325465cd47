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

enum cfg_sched {
	CFG_SCHED_DYNAMIC = 0, /* EDF reservations + weighted slack, overcommit allowed */
	CFG_SCHED_BIND,	       /* one vCPU per pCPU, no scheduler tick */
};

enum cfg_wfi {
	CFG_WFI_DEFAULT = 0, /* bind: native; dynamic: trap */
	CFG_WFI_NATIVE,	     /* the guest idles in hardware (bind pools only) */
	CFG_WFI_TRAP,	     /* WFI traps to EL2: the vCPU blocks and its idle time is visible */
};

/* A CPU pool under /pools. */
struct cfg_pool {
	char name[CFG_NAME_MAX];
	uint64_t cpus;		  /* bitmap of pCPU indices ("cpus"); unlisted pCPUs join pool0 */
	enum cfg_sched scheduler; /* "scheduler" */
	enum cfg_wfi wfi;	  /* "wfi" */
	uint32_t slice_us;	  /* "slice-us": slack time slice of a dynamic pool */
	bool declared;		  /* a node exists (pool0 may be implicit) */
};

struct cfg_vm {
	char name[CFG_NAME_MAX];	 /* node name under /vms */
	uint32_t nr_vcpus;		 /* "cpus" */
	uint64_t mem_size;		 /* "memory": bytes, multiple of 2 MiB */
	struct cfg_image kernel;	 /* "kernel": required */
	struct cfg_image initrd;	 /* "initrd": optional */
	char bootargs[CFG_BOOTARGS_MAX]; /* "bootargs": optional, "" if absent */
	enum cfg_on_reset on_reset;	 /* "on-reset": "restart" (default) or "stop" */
	uint32_t pool;			 /* index into cfg_system.pools ("pool"; default pool0) */
	bool privileged;		 /* "privileged": may use the control hypercalls */
	uint32_t budget_us, period_us;	 /* "budget-us"/"period-us": each vCPU's reservation */
	uint32_t weight;		 /* "weight": each vCPU's share of the slack */
};

struct cfg_system {
	uint32_t nr_pools; /* pools[0] is pool0, always present */
	struct cfg_pool pools[CFG_MAX_POOLS];
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
 * Checks a parsed system against the machine: pool pCPUs exist (unlisted ones join pool0),
 * a bind pool has a pCPU for each of its vCPUs, a pool with VMs has pCPUs, total memory fits.
 * Fills each pool's final cpus bitmap. Same error contract. (Reservations are admitted by the
 * pools' schedulers when the VMs are created.)
 */
int cfg_check_resources(struct cfg_system *sys, const struct cfg_resources *res);

#endif
