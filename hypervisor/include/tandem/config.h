/*
 * The system description, parsed and validated into immutable structs.
 * Configuration flows one way: DTB -> cfg_parse() -> struct cfg_system -> vm_create().
 */
#ifndef TANDEM_CONFIG_H
#define TANDEM_CONFIG_H

#include <tandem/fdt.h>
#include <tandem/types.h>

#define CFG_MAX_VMS	     8
#define CFG_MAX_VCPUS	     8 /* per VM */
#define CFG_MAX_POOLS	     8
#define CFG_NAME_MAX	     32
#define CFG_BOOTARGS_MAX     512
#define CFG_ERR_MAX	     256
#define CFG_MAX_PT	     8 /* passed-through devices per VM */
#define CFG_PT_MAX_REG	     4 /* reg entries per passed-through device */
#define CFG_PT_MAX_IRQ	     4 /* interrupts per passed-through device */
#define CFG_MAX_RANGES	     16
#define CFG_MAX_CHANNELS     16 /* under /channels */
#define CFG_MAX_VM_CHANNELS  8	/* channels one VM is an endpoint of */
#define CFG_MAX_FREQ_DOMAINS 4
#define CFG_MAX_OPPS	     16 /* what Linux's SCMI clock driver takes (SCMI_MAX_NUM_RATES) */
#define CFG_MAX_GROUPS	     4	/* under /failover-groups */

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

enum cfg_on_failure {
	CFG_ON_FAILURE_RESTART = 0, /* a failed VM (watchdog WS1, fatal fault) restarts */
	CFG_ON_FAILURE_STOP,	    /* it stays stopped */
};

enum cfg_on_unmapped {
	CFG_ON_UNMAPPED_ABORT = 0, /* an access where the VM has nothing: external abort injected */
	CFG_ON_UNMAPPED_FAIL,	   /* the VM has failed (a fatal fault: on-failure, failover) */
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
enum cfg_irq {
	CFG_IRQ_TRAPPED = 0, /* every physical interrupt is taken at EL2 and injected */
	CFG_IRQ_DIRECT,	     /* bind pools: the guest takes its own on the physical GIC */
};

struct cfg_pool {
	char name[CFG_NAME_MAX];
	uint64_t cpus;		  /* bitmap of pCPU indices ("cpus"); unlisted pCPUs join pool0 */
	enum cfg_sched scheduler; /* "scheduler" */
	enum cfg_wfi wfi;	  /* "wfi" */
	uint32_t slice_us;	  /* "slice-us": slack time slice of a dynamic pool */
	enum cfg_irq irq;	  /* "irq" */
	bool declared;		  /* a node exists (pool0 may be implicit) */
};

/*
 * A host device given to a VM ("passthrough"). cfg_parse fills path and dma; cfg_check_devices
 * resolves the node in the host DTB and fills the rest.
 */
struct cfg_passthrough {
	const char *path;	/* host DTB path, as written */
	bool dma;		/* may master DMA: true unless listed in "passthrough-no-dma" */
	bool behind_smmu;	/* its DMA goes through the SMMU Tandem owns (iommu-map) */
	bool pci_host;		/* a PCIe host bridge: reg is ECAM, ranges more MMIO, INTx SPIs */
	const struct fdt *host; /* the host DTB (kept alive by the boot code) */
	int host_node;		/* node offset in it */
	unsigned nr_reg;      /* MMIO ranges to map: the node's reg, then a host bridge's windows */
	unsigned nr_node_reg; /* of which from the node's own reg */
	paddr_t reg_base[CFG_PT_MAX_REG]; /* MMIO ranges (host-physical == guest-physical) */
	uint64_t reg_size[CFG_PT_MAX_REG];
	unsigned nr_irqs;
	irq_t irqs[CFG_PT_MAX_IRQ]; /* SPI INTIDs (the guest sees the same INTIDs) */
	bool moves; /* a failover group's device: mapped only while this VM is the active one */
};

/*
 * One VM's end of a channel, filled by cfg_place_channels(): everything its generated DTB and
 * its devices need. name and peer point into the cfg_system.
 */
struct cfg_channel_end {
	unsigned id;	      /* index in cfg_system.channels: TANDEM_HC_CHANNEL_NOTIFY's x1 */
	unsigned side;	      /* 0 or 1: this VM's place in the channel's "vms" */
	unsigned peer_vm;     /* index of the VM at the other end */
	ipa_t ipa;	      /* the window in this VM's guest-physical space */
	uint64_t size;	      /* bytes, whole pages */
	irq_t doorbell;	      /* the SPI (INTID) this VM receives when the peer rings */
	const char *name;     /* the channel's node name */
	const char *peer;     /* the peer VM's name */
	const char *protocol; /* the channel's "protocol", "" when not given */
};

/* A VM's membership of a failover group (cfg_parse_failover_groups, cfg_place_channels). */
struct cfg_failover_member {
	bool in_group;
	uint32_t group;		/* index into cfg_system.groups */
	bool starts_active;	/* the group's primary: active at boot */
	irq_t spi;		/* its promotion interrupt (an edge SPI, cfg_place_channels) */
	const char *group_name; /* points into cfg_system.groups */
	bool has_channel;	/* the group's channel, for its DTB node */
	uint32_t channel;
};

struct cfg_vm {
	char name[CFG_NAME_MAX]; /* node name under /vms */
	uint32_t nr_vcpus;	 /* "cpus" */
	uint64_t mem_size;	 /* "memory" or static-mem's size: bytes, multiple of 2 MiB */
	bool static_mem;	 /* "static-mem": RAM at a fixed host-physical base */
	paddr_t static_base;	 /* its base (2 MiB aligned) */
	bool direct_map;	 /* "direct-map": RAM IPA == PA (needs static-mem) */
	bool console_uart;	 /* named by the root's "console": the machine's UART is its own */
	unsigned nr_pt;		 /* "passthrough": devices from the host DTB */
	struct cfg_passthrough pt[CFG_MAX_PT];
	struct cfg_image kernel;	  /* "kernel": required */
	struct cfg_image initrd;	  /* "initrd": optional */
	char bootargs[CFG_BOOTARGS_MAX];  /* "bootargs": optional, "" if absent */
	enum cfg_on_reset on_reset;	  /* "on-reset": "restart" (default) or "stop" */
	enum cfg_on_failure on_failure;	  /* "on-failure": "restart" (default) or "stop" */
	enum cfg_on_unmapped on_unmapped; /* "on-unmapped-access": "abort" (default) or "fail" */
	bool watchdog;			  /* "watchdog": an emulated SBSA generic watchdog */
	irq_t watchdog_spi;		  /* its WS0 SPI (INTID; cfg_place_channels) */
	uint32_t pool;			  /* index into cfg_system.pools ("pool"; default pool0) */
	bool privileged;		  /* "privileged": may use the control hypercalls */
	uint32_t budget_us, period_us;	  /* "budget-us"/"period-us": each vCPU's reservation */
	uint32_t weight;		  /* "weight": each vCPU's share of the slack */
	bool freq_controller; /* a frequency domain's "controller": it gets an SCMI channel */
	unsigned nr_channels; /* channels naming this VM (cfg_place_channels) */
	struct cfg_channel_end channels[CFG_MAX_VM_CHANNELS];
	struct cfg_failover_member failover;
};

/* One operating point of a frequency domain. */
struct cfg_opp {
	uint32_t khz;
	uint32_t uv; /* supply voltage, µV */
	uint32_t mw; /* power at this point, mW ("power-mw"), or 0 if not given */
};

/* A frequency domain under /frequency-domains: pCPUs sharing one clock. */
struct cfg_freq_domain {
	char name[CFG_NAME_MAX];
	uint64_t cpus;	  /* bitmap of pCPU indices ("cpus") */
	uint32_t nr_opps; /* "operating-points": kHz strictly ascending */
	struct cfg_opp opps[CFG_MAX_OPPS];
	bool has_power;	     /* "power-mw" given: energy in mJ, not only relative */
	uint32_t controller; /* index into cfg_system.vms of the privileged VM ("controller") */
	uint32_t floor;	     /* index into opps the domain never runs below ("floor-khz") */
};

/* Guest-physical RAM base unless direct-mapped (QEMU virt's). */
#define CFG_VM_RAM_IPA 0x40000000UL

/* Where the VM's RAM starts in its guest-physical space. */
static inline ipa_t cfg_vm_ram_ipa(const struct cfg_vm *vm)
{
	return vm->direct_map ? vm->static_base : CFG_VM_RAM_IPA;
}

/* A channel under /channels: shared memory between two VMs, a doorbell each way. */
struct cfg_channel {
	char name[CFG_NAME_MAX];     /* node name under /channels */
	uint32_t vm[2];		     /* "vms": side i's VM (index into cfg_system.vms) */
	uint64_t size;		     /* "size": bytes, a multiple of 4 KiB */
	bool ipa_fixed[2];	     /* "ipa" gave side i's window; else cfg_place_channels picks */
	ipa_t ipa[2];		     /* side i's window in its VM's guest-physical space */
	irq_t doorbell[2];	     /* INTID of the SPI side i receives (cfg_place_channels) */
	char protocol[CFG_NAME_MAX]; /* "protocol": what the guests speak over it, or "" */
};

/* What a failover group does when its active VM fails, beyond promoting the standby. */
enum cfg_failover_policy {
	CFG_FAILOVER_SWAP = 0,	/* the failed VM restarts as the new standby (roles swap) */
	CFG_FAILOVER_STAY_DOWN, /* the failed VM stays stopped */
};

/*
 * A failover group under /failover-groups: a primary (active at boot) and a backup (standby),
 * the devices that move to whichever is active, and the channel that joins them.
 */
struct cfg_failover_group {
	char name[CFG_NAME_MAX];
	uint32_t vm[2];		 /* "primary", "backup" (indices into cfg_system.vms) */
	uint32_t active_pool;	 /* the active share: the primary's pool ... */
	uint32_t active_weight;	 /* ... and weight */
	uint32_t standby_pool;	 /* the standby share: "standby-pool" (default: the backup's) */
	uint32_t standby_weight; /* "standby-weight" (default: the backup's weight) */
	unsigned nr_devices;	 /* "devices": host DTB paths, in both members' passthrough */
	const char *devices[CFG_MAX_PT];
	bool has_channel;		     /* "channel" given */
	uint32_t channel;		     /* its index in cfg_system.channels */
	enum cfg_failover_policy on_failure; /* "on-failure": "swap" (default) or "stay-down" */
	uint64_t promotion_cpus;   /* "promotion-cpus": pCPUs that follow the active member from
				      its pool to the other's (members keep their pools); 0: none */
	uint32_t restart_delay_ms; /* "restart-delay-ms": the failed VM's restart (swap) waits
				      this long after the promotion; 0: at once */
};

struct cfg_system {
	uint32_t nr_pools; /* pools[0] is pool0, always present */
	struct cfg_pool pools[CFG_MAX_POOLS];
	uint32_t nr_vms;
	struct cfg_vm vms[CFG_MAX_VMS];
	uint32_t nr_channels;
	struct cfg_channel channels[CFG_MAX_CHANNELS];
	uint32_t nr_freq_domains;
	struct cfg_freq_domain freq_domains[CFG_MAX_FREQ_DOMAINS];
	uint32_t nr_groups;
	struct cfg_failover_group groups[CFG_MAX_GROUPS];
	/* "scrub-boot-memory": RAM may hold data from before boot, zero all of a VM's RAM */
	bool scrub_boot_memory;
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

/* A physical range and what it holds, for error lines ("the boot bundle"). */
struct cfg_range {
	paddr_t base;
	uint64_t size;
	const char *what;
};

/* What the machine offers, for cfg_check_resources(). */
struct cfg_resources {
	uint32_t nr_pcpus;
	uint64_t free_bytes; /* RAM the frame allocator can still hand out */
};

/* The machine's memory map, for cfg_check_static_mem() and cfg_check_devices(). */
struct cfg_machine {
	unsigned nr_ram;
	struct cfg_range ram[CFG_MAX_RANGES]; /* host /memory ranges */
	unsigned nr_busy;
	struct cfg_range busy[CFG_MAX_RANGES]; /* RAM no VM may take: Tandem, DTB, bundle, ... */
	unsigned nr_hyp_dev;
	struct cfg_range hyp_dev[CFG_MAX_RANGES]; /* devices Tandem keeps: GIC, its UART */
	irq_t hyp_irqs[4];			  /* physical interrupts Tandem keeps (0 = none) */
	bool
	    has_smmu; /* Tandem owns an SMMU: devices naming it (iommu-map, iommus) sit behind it */
};

/*
 * Checks every static-mem region against the machine (inside one RAM range, clear of
 * Tandem's image, the host DTB, the boot bundle and reserved memory, and of each other)
 * and every direct-mapped VM's RAM against the guest-physical addresses of the devices
 * Tandem emulates. Run before the frame allocator hands anything out. Same error contract.
 */
int cfg_check_static_mem(struct cfg_system *sys, const struct cfg_machine *m);
/*
 * Resolves every "passthrough" path in the host DTB and checks it: a node under the root
 * with reg and GIC SPIs only, one owner per device and per 4 KiB page, clear of RAM and of
 * Tandem's own devices, and DMA-capable devices only in VMs that are direct-mapped or behind
 * an SMMU. Fills each cfg_passthrough. Same error contract.
 */
int cfg_check_devices(struct cfg_system *sys, const struct fdt *host, const struct cfg_machine *m);

/*
 * Places every channel, once the passed-through devices are resolved (cfg_check_devices): a
 * fixed "ipa" must be page-aligned and clear of the VM's RAM, emulated devices, passed-through
 * devices and other channels; the other windows go at the first free 2 MiB-aligned IPA from
 * 32 GiB up. Each end gets a doorbell SPI no device of its VM uses (the highest free INTID).
 * Fills cfg_channel.ipa/doorbell and each VM's channels[]. Same error contract.
 */
int cfg_place_channels(struct cfg_system *sys);

/*
 * Checks a parsed system against the machine: pool pCPUs exist (unlisted ones join pool0),
 * a bind pool has a pCPU for each of its vCPUs, a pool with VMs has pCPUs, and the memory of
 * VMs without static-mem fits what is free. Fills each pool's final cpus bitmap. Same error
 * contract. (Reservations are admitted by the pools' schedulers when the VMs are created.)
 */
int cfg_check_resources(struct cfg_system *sys, const struct cfg_resources *res);

#endif
