/*
 * SMMUv3 driver (IHI 0070): a linear stream table, one command queue, one event queue. Every
 * stream aborts until smmu_attach_vm() gives it the VM's address space, so a device behind the
 * SMMU DMAs to guest-physical addresses like the guest's own CPUs do: with stage 2
 * (SMMU_IDR0.S2P) the STE points at the VM's own stage-2 tables and VMID; without it (QEMU 7.2)
 * at a stage-1 context whose tables mirror the VM's IPA -> PA map. Events (translation faults of
 * a device DMAing outside its VM) are printed with stream, address and VM.
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/smmu.h>
#include <tandem/smmu_pgtable.h>
#include <tandem/smmu_ste.h>
#include <tandem/string.h>
#include <tandem/vm.h>

/* Registers, page 0 (and the event queue's PROD/CONS in page 1). */
#define IDR0		0x00
#define IDR1		0x04
#define IDR5		0x14
#define CR0		0x20
#define CR0ACK		0x24
#define CR1		0x28
#define CR2		0x2c
#define GBPA		0x44
#define IRQ_CTRL	0x50
#define IRQ_CTRLACK	0x54
#define GERROR		0x60
#define STRTAB_BASE	0x80
#define STRTAB_BASE_CFG 0x88
#define CMDQ_BASE	0x90
#define CMDQ_PROD	0x98
#define CMDQ_CONS	0x9c
#define EVTQ_BASE	0xa0
#define EVTQ_PROD	0x100a8
#define EVTQ_CONS	0x100ac

#define CR0_SMMUEN  (1U << 0)
#define CR0_EVTQEN  (1U << 2)
#define CR0_CMDQEN  (1U << 3)
#define IRQ_EVTQ    (1U << 2)
#define IRQ_GERROR  (1U << 0)
#define GBPA_UPDATE (1U << 31)
#define GBPA_ABORT  (1U << 20)
#define Q_RA_WA	    (1ULL << 62)
/* CR1: table and queue accesses inner shareable, write-back cacheable. */
#define CR1_VALUE (3U << 10 | 1U << 8 | 1U << 6 | 3U << 4 | 1U << 2 | 1U << 0)

#define IDR0_S2P	 (1U << 0)
#define IDR0_S1P	 (1U << 1)
#define IDR0_TTF_AARCH64 (2U << 2)
#define IDR5_OAS(v)	 ((v)&7U)

/* Context descriptor (5.4): dword 0 (TCR-like fields, V, AA64, R, A, ASID), 1 = TTB0, 3 = MAIR. */
#define CD_T0SZ(x)   ((uint64_t)(x))
#define CD_TG0_4K    (0ULL << 6)
#define CD_IRGN0_WB  (1ULL << 8)
#define CD_ORGN0_WB  (1ULL << 10)
#define CD_SH0_IS    (3ULL << 12)
#define CD_EPD1	     (1ULL << 30)
#define CD_V	     (1ULL << 31)
#define CD_IPS_40BIT (2ULL << 32)
#define CD_AA64	     (1ULL << 41)
#define CD_R	     (1ULL << 45) /* record faults */
#define CD_A	     (1ULL << 46) /* abort (not stall) on a fault */
#define CD_ASID(a)   ((uint64_t)(a) << 48)

/* Commands (4.1): opcode in dword 0 [7:0]. */
#define CMD_CFGI_STE	  0x03
#define CMD_CFGI_ALL	  0x04
#define CMD_TLBI_NH_ALL	  0x10
#define CMD_TLBI_NSNH_ALL 0x30
#define CMD_SYNC	  0x46

#define STRTAB_LOG2 8 /* 256 streams: PCI bus 0 (StreamID = requester ID) */
#define CMDQ_LOG2   6
#define EVTQ_LOG2   6
#define STE_BYTES   64
#define CD_BYTES    64

static volatile uint8_t *regs;
static bool enabled;
static bool stage2;  /* SMMU_IDR0.S2P: streams use the VMs' own stage-2 tables */
static unsigned oas; /* SMMU_IDR5.OAS */
static irq_t event_irq;
static uint64_t *strtab;
static uint64_t *cmdq, *evtq;
static uint32_t cmd_prod;
static struct vm *stream_vm[1U << STRTAB_LOG2];

static uint32_t rd32(unsigned off)
{
	return *(volatile uint32_t *)(regs + off);
}

static void wr32(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(regs + off) = v;
}

static void wr64(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(regs + off) = v;
}

static int wait_ack(unsigned reg, uint32_t want)
{
	for (uint64_t t0 = arch_counter_read(); arch_counter_read() - t0 < arch_counter_freq();) {
		if (rd32(reg) == want)
			return 0;
	}
	return -ERR_BUSY;
}

static void cmd(uint64_t d0, uint64_t d1)
{
	uint32_t n = 1U << CMDQ_LOG2, idx = cmd_prod & (n - 1);

	/* The queue is never more than one batch deep: each batch ends with a waited-for SYNC. */
	cmdq[2 * idx] = d0;
	cmdq[2 * idx + 1] = d1;
	cmd_prod = (cmd_prod + 1) & (2 * n - 1); /* index plus the wrap bit */
	__asm__ volatile("dsb ishst" ::: "memory");
	wr32(CMDQ_PROD, cmd_prod);
}

/* Issues CMD_SYNC and waits until the SMMU has consumed everything before it. */
static int cmd_sync(void)
{
	cmd(CMD_SYNC, 0);
	for (uint64_t t0 = arch_counter_read(); arch_counter_read() - t0 < arch_counter_freq();) {
		if ((rd32(CMDQ_CONS) & ((2U << CMDQ_LOG2) - 1)) == cmd_prod)
			return 0;
	}
	log_error("smmu: command queue stuck (CONS 0x%x, PROD 0x%x, GERROR 0x%x)", rd32(CMDQ_CONS),
		  cmd_prod, rd32(GERROR));
	return -ERR_BUSY;
}

bool smmu_find(const struct fdt *host, paddr_t *base, uint64_t *size, int *node)
{
	/* Asked twice at boot (the machine checks, then smmu_init): search the DTB once. */
	static const struct fdt *searched;
	static const void *searched_blob;
	static int n;

	if (!host)
		return false;
	if (host != searched || host->blob != searched_blob) {
		n = fdt_find_compatible(host, -1, "arm,smmu-v3");
		searched = host;
		searched_blob = host->blob;
	}
	if (n < 0 || fdt_read_reg(host, n, 0, base, size))
		return false;
	if (node)
		*node = n;
	return true;
}

/* The event-queue SPI: the "eventq" entry of interrupt-names, or the first interrupt. */
static irq_t find_event_irq(const struct fdt *host, int node)
{
	int len, nlen, idx = 0;
	const uint8_t *irqs = fdt_prop(host, node, "interrupts", &len);
	const char *names = fdt_prop(host, node, "interrupt-names", &nlen);

	for (int off = 0; names && off < nlen; off += (int)strlen(names + off) + 1, idx++) {
		if (strcmp(names + off, "eventq") == 0)
			break;
	}
	if (!names || idx * 12 + 12 > len)
		idx = 0;
	if (!irqs || len < 12 || fdt_read_cells(irqs + 12 * idx, 1) != 0)
		return 0;
	return (irq_t)fdt_read_cells(irqs + 12 * idx + 4, 1) + 32;
}

/* Installs an STE built in memory: dword 0 (V, Config) last, as the SMMU may fetch it any time. */
static void ste_install(uint32_t sid, const uint64_t ste[SMMU_STE_DWORDS])
{
	uint64_t *dst = &strtab[SMMU_STE_DWORDS * sid];

	for (unsigned i = 1; i < SMMU_STE_DWORDS; i++)
		dst[i] = ste[i];
	__asm__ volatile("dsb ish" ::: "memory");
	dst[0] = ste[0];
}

static void *alloc_zeroed(uint64_t bytes)
{
	uint64_t frames = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	paddr_t pa = mem_alloc(frames, MAX(PAGE_SIZE, bytes));

	if (!pa)
		return NULL;
	memset(arch_phys_to_virt(pa), 0, frames * PAGE_SIZE);
	return arch_phys_to_virt(pa);
}

static enum irq_result smmu_event_irq(irq_t intid, void *ctx, struct vcpu *running);

static const struct irq_owner smmu_event_owner = {.name = "SMMU events",
						  .kind = IRQ_KIND_OTHER,
						  .flags = IRQ_HYP_DEVICE | IRQ_EDGE,
						  .handler = smmu_event_irq};

int smmu_init(const struct fdt *host)
{
	paddr_t base;
	uint64_t size;
	int node;
	uint32_t idr0, idr1;
	uint64_t abort_ste[SMMU_STE_DWORDS];

	if (!smmu_find(host, &base, &size, &node))
		return 0;
	regs = arch_phys_to_virt(base);
	idr0 = rd32(IDR0);
	idr1 = rd32(IDR1);
	/* Stage 2 if there is one (the VMs' own tables), else stage 1; AArch64 tables either way.
	 */
	if (!(idr0 & (IDR0_S2P | IDR0_S1P)) || !(idr0 & IDR0_TTF_AARCH64)) {
		log_error(
		    "smmu at 0x%llx: no AArch64 stage-1 or stage-2 translation (IDR0 0x%x): not "
		    "used",
		    (unsigned long long)base, idr0);
		return -ERR_INVAL;
	}
	stage2 = idr0 & IDR0_S2P;
	oas = IDR5_OAS(rd32(IDR5));
	if ((idr1 & 0x3f) < STRTAB_LOG2) {
		log_error("smmu: only %u StreamID bits", idr1 & 0x3f);
		return -ERR_INVAL;
	}
	strtab = alloc_zeroed((1U << STRTAB_LOG2) * STE_BYTES);
	cmdq = alloc_zeroed((1U << CMDQ_LOG2) * 16);
	evtq = alloc_zeroed((1U << EVTQ_LOG2) * 32);
	if (!strtab || !cmdq || !evtq)
		return -ERR_NOMEM;
	/* Every STE valid and aborting: no stream reaches memory until a VM owns it. */
	smmu_ste_abort(abort_ste);
	for (unsigned i = 0; i < (1U << STRTAB_LOG2); i++)
		ste_install(i, abort_ste);
	__asm__ volatile("dsb ish" ::: "memory");

	wr32(CR0, 0);
	if (wait_ack(CR0ACK, 0))
		return -ERR_BUSY;
	wr32(GBPA, GBPA_UPDATE | GBPA_ABORT); /* while disabled: abort, never bypass */
	wr32(CR1, CR1_VALUE);
	wr32(CR2, 0);
	wr64(STRTAB_BASE, Q_RA_WA | arch_virt_to_phys(strtab));
	wr32(STRTAB_BASE_CFG, STRTAB_LOG2); /* FMT = linear */
	wr64(CMDQ_BASE, Q_RA_WA | arch_virt_to_phys(cmdq) | CMDQ_LOG2);
	wr32(CMDQ_PROD, 0);
	wr32(CMDQ_CONS, 0);
	wr64(EVTQ_BASE, Q_RA_WA | arch_virt_to_phys(evtq) | EVTQ_LOG2);
	wr32(EVTQ_PROD, 0);
	wr32(EVTQ_CONS, 0);
	cmd_prod = 0;
	wr32(CR0, CR0_CMDQEN | CR0_EVTQEN);
	if (wait_ack(CR0ACK, CR0_CMDQEN | CR0_EVTQEN))
		return -ERR_BUSY;
	cmd(CMD_CFGI_ALL, 31); /* Range 31: every StreamID */
	cmd(CMD_TLBI_NSNH_ALL, 0);
	if (cmd_sync())
		return -ERR_BUSY;
	event_irq = find_event_irq(host, node);
	wr32(IRQ_CTRL, event_irq ? IRQ_EVTQ | IRQ_GERROR : 0);
	wait_ack(IRQ_CTRLACK, event_irq ? IRQ_EVTQ | IRQ_GERROR : 0);
	wr32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	if (wait_ack(CR0ACK, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN))
		return -ERR_BUSY;
	enabled = true;
	/* The SMMU pulses the line (its DTB says edge): a hypervisor device interrupt. */
	if (event_irq && irq_claim(event_irq, &smmu_event_owner, NULL))
		event_irq = 0;
	log_info("smmu: SMMUv3 at 0x%llx enabled, %u streams (unassigned ones abort), stage %u, "
		 "events on INTID %u",
		 (unsigned long long)base, 1U << STRTAB_LOG2, stage2 ? 2 : 1, event_irq);
	return 0;
}

bool smmu_enabled(void)
{
	return enabled;
}

/* Without stage 2: a stage-1 context whose tables mirror the VM's RAM (IOVA == IPA). */
static int build_s1_ste(struct vm *vm, uint64_t ste[SMMU_STE_DWORDS], unsigned *nr_tables)
{
	struct smmu_pt pt;
	uint64_t *cd;
	int err;

	err = smmu_pt_init(&pt);
	if (!err)
		err = smmu_pt_map(&pt, vm->ram_ipa, vm->ram_pa, vm->ram_size);
	cd = alloc_zeroed(CD_BYTES);
	if (err || !cd) {
		log_error("smmu: vm %s: cannot build its stage-1 tables (%s)", vm->name,
			  err_name(err ? err : -ERR_NOMEM));
		return err ? err : -ERR_NOMEM;
	}
	cd[1] = pt.root;
	cd[3] = SMMU_PT_MAIR;
	__asm__ volatile("dsb ish" ::: "memory");
	cd[0] = CD_T0SZ(SMMU_PT_T0SZ) | CD_TG0_4K | CD_IRGN0_WB | CD_ORGN0_WB | CD_SH0_IS |
		CD_EPD1 | CD_V | CD_IPS_40BIT | CD_AA64 | CD_R | CD_A | CD_ASID(vm->vmid);
	smmu_ste_s1(ste, arch_virt_to_phys(cd));
	*nr_tables = pt.nr_tables;
	return 0;
}

int smmu_attach_vm(struct vm *vm, uint32_t sid_first, uint32_t nr)
{
	uint64_t ste[SMMU_STE_DWORDS];
	unsigned nr_tables = 0;
	int err;

	if (!enabled)
		return -ERR_NOENT;
	if (sid_first + nr > (1U << STRTAB_LOG2))
		nr = (1U << STRTAB_LOG2) - MIN(sid_first, 1U << STRTAB_LOG2);
	if (stage2) {
		/* The VM's own tables: whatever the CPUs can reach, its devices can, nothing else.
		 */
		smmu_ste_s2(ste, &vm->s2, oas);
	} else {
		err = build_s1_ste(vm, ste, &nr_tables);
		if (err)
			return err;
	}
	for (uint32_t sid = sid_first; sid < sid_first + nr; sid++) {
		ste_install(sid, ste);
		stream_vm[sid] = vm;
	}
	__asm__ volatile("dsb ish" ::: "memory");
	cmd(CMD_CFGI_ALL, 31);
	cmd(CMD_TLBI_NSNH_ALL, 0);
	err = cmd_sync();
	if (!err && stage2)
		log_info("smmu: streams 0x%x-0x%x -> vm %s (stage 2, the VM's own tables, VMID %u)",
			 sid_first, sid_first + nr - 1, vm->name, vm->vmid);
	else if (!err)
		log_info("smmu: streams 0x%x-0x%x -> vm %s (stage 1, IOVA == IPA, %u tables)",
			 sid_first, sid_first + nr - 1, vm->name, nr_tables);
	return err;
}

static const char *event_name(unsigned id)
{
	switch (id) {
	case 0x02:
		return "C_BAD_STREAMID";
	case 0x04:
		return "C_BAD_STE";
	case 0x06:
		return "F_STREAM_DISABLED";
	case 0x07:
		return "F_TRANSL_FORBIDDEN";
	case 0x0a:
		return "C_BAD_CD";
	case 0x0b:
		return "F_WALK_EABT";
	case 0x10:
		return "F_TRANSLATION";
	case 0x11:
		return "F_ADDR_SIZE";
	case 0x12:
		return "F_ACCESS";
	case 0x13:
		return "F_PERMISSION";
	default:
		return "event";
	}
}

/* The event queue's interrupt: drains it, one console line per event (stream, address, VM). */
static enum irq_result smmu_event_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	uint32_t n = 1U << EVTQ_LOG2, mask = 2 * n - 1;
	uint32_t cons, prod;

	cons = rd32(EVTQ_CONS) & mask;
	prod = rd32(EVTQ_PROD) & mask;
	while (cons != prod) {
		const uint64_t *ev = &evtq[4 * (cons & (n - 1))];
		unsigned id = (unsigned)(ev[0] & 0xff);
		uint32_t sid = (uint32_t)(ev[0] >> 32);
		struct vm *vm = sid < ARRAY_SIZE(stream_vm) ? stream_vm[sid] : NULL;

		log_warn("smmu: %s (0x%02x) stream 0x%x (vm %s): %s at address 0x%llx",
			 event_name(id), id, sid, vm ? vm->name : "none",
			 (ev[1] >> 35) & 1 ? "read" : "write", (unsigned long long)ev[2]);
		cons = (cons + 1) & mask;
		wr32(EVTQ_CONS, cons);
	}
	return IRQ_DONE;
}
