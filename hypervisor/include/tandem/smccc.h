/*
 * The SMC Calling Convention (Arm DEN 0028) as guests use it through HVC #0 and trapped SMC #0:
 * the function ID's fields, and the one router that maps function-ID ranges to the services
 * that answer them (core/smccc.c, docs/hypercalls.md).
 */
#ifndef TANDEM_SMCCC_H
#define TANDEM_SMCCC_H

#include <tandem/types.h>

struct vcpu;
struct guest_regs;

/* Function ID (w0) fields, DEN 0028 section 2.5. */
#define SMCCC_FAST	    (1U << 31) /* fast call; clear: a yielding call (none is offered) */
#define SMCCC_64	    (1U << 30) /* SMC64/HVC64 convention; clear: SMC32/HVC32 */
#define SMCCC_OWNER_SHIFT   24
#define SMCCC_OWNER_MASK    0x3fU
#define SMCCC_RESERVED_MASK 0x00ff0000U /* must be zero in a fast call (SMCCC 1.1) */
#define SMCCC_NUMBER_MASK   0x0000ffffU

/* Owning entities (bits 29:24) that Tandem answers. */
#define SMCCC_OWNER_ARCH       0 /* Arm architecture calls: SMCCC_VERSION, ARCH_FEATURES */
#define SMCCC_OWNER_SIP	       2 /* silicon provider: the SCMI channel (virt/vscmi_vm.c) */
#define SMCCC_OWNER_STANDARD   4 /* standard secure services: PSCI is 0x00-0x1F */
#define SMCCC_OWNER_VENDOR_HYP 6 /* vendor-specific hypervisor service: Tandem's own calls */

#define SMCCC_NOT_SUPPORTED (-1) /* the answer to every function ID nobody serves */

/* A function ID taken apart. */
struct smccc_fn {
	uint32_t id; /* w0: SMCCC passes the ID in the low 32 bits */
	bool fast;
	bool smc64;
	unsigned owner;	 /* owning entity */
	unsigned number; /* function number within the owner's range */
	bool reserved;	 /* reserved bits 23:16 set: malformed */
	bool x0_high;	 /* x0[63:32] not zero (ignored by PSCI, refused by Tandem's calls) */
};

static inline struct smccc_fn smccc_decode(uint64_t x0)
{
	uint32_t id = (uint32_t)x0;

	return (struct smccc_fn){
	    .id = id,
	    .fast = id & SMCCC_FAST,
	    .smc64 = id & SMCCC_64,
	    .owner = (id >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK,
	    .number = id & SMCCC_NUMBER_MASK,
	    .reserved = id & SMCCC_RESERVED_MASK,
	    .x0_high = (x0 >> 32) != 0,
	};
}

/* Who answers a call. */
enum smccc_service {
	SMCCC_SVC_NONE,	       /* nobody: NOT_SUPPORTED */
	SMCCC_SVC_PSCI,	       /* PSCI and the architecture calls: virt/vpsci.c */
	SMCCC_SVC_TANDEM,      /* Tandem's control calls: core/hypercall.c */
	SMCCC_SVC_EL2_ENTRIES, /* the benchmarks' debug call (abi/debug_hvc.h) */
	SMCCC_SVC_SCMI,	       /* a frequency domain controller's SCMI channel (vscmi.h) */
};

/* Which service the call with x0 goes to (pure: the routing table in core/smccc.c). */
enum smccc_service smccc_route(uint64_t x0);
/* Serves the guest's call in r (function ID in x0, arguments x1..x5, results x0..x4). */
void smccc_call(struct vcpu *vcpu, struct guest_regs *r);

/* What SMCCC_VERSION and PSCI_VERSION answer (virt/vpsci.c): 1.1 both. */
#define SMCCC_VERSION_1_1 0x10001
#define PSCI_VERSION_1_1  0x10001

/*
 * The calls answered by a constant, without the router: SMCCC_VERSION (0x80000000) and
 * PSCI_VERSION (0x84000000), each also with the SMC64 bit, x0[63:32] ignored, as vpsci.c
 * answers them. True and *ret set for those; false for every other call. The null hypercall
 * the benchmarks time, and what a guest's SMCCC probe asks first.
 */
static inline bool smccc_fast_answer(uint64_t x0, uint64_t *ret)
{
	if (((uint32_t)x0 & ~(SMCCC_64 | (SMCCC_OWNER_STANDARD << SMCCC_OWNER_SHIFT))) !=
	    SMCCC_FAST)
		return false;
	*ret = SMCCC_VERSION_1_1; /* == PSCI_VERSION_1_1 */
	return true;
}

#endif
