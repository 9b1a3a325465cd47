/*
 * The one SMCCC router: every HVC #0 and trapped SMC #0 of a guest comes here (arch traps.c)
 * and goes to the service that owns its function-ID range, or is answered NOT_SUPPORTED.
 * The services validate their own arguments; this file decides only who answers.
 */
#include <tandem/abi/debug_hvc.h>
#include <tandem/hypercall.h>
#include <tandem/psci.h>
#include <tandem/smccc.h>
#include <tandem/vcpu.h>
#include <tandem/vscmi.h>

static void not_supported(struct vcpu *vcpu, struct guest_regs *r)
{
	r->x[0] = (uint64_t)(int64_t)SMCCC_NOT_SUPPORTED;
}

/*
 * Within the vendor-specific hypervisor range: the benchmarks' debug call sits apart (any VM,
 * and only w0 counts: it predates the rule below); Tandem's control calls want x0[63:32] zero.
 */
static inline enum smccc_service vendor_hyp_route(uint64_t x0)
{
	if ((uint32_t)x0 == TANDEM_HVC_EL2_ENTRIES)
		return SMCCC_SVC_EL2_ENTRIES;
	return (x0 >> 32) == 0 ? SMCCC_SVC_TANDEM : SMCCC_SVC_NONE;
}

static void vendor_hyp_call(struct vcpu *vcpu, struct guest_regs *r)
{
	switch (vendor_hyp_route(r->x[0])) {
	case SMCCC_SVC_TANDEM:
		hypercall(vcpu, r);
		break;
	case SMCCC_SVC_EL2_ENTRIES: /* benchmarks read it around a measured section */
		r->x[0] = vcpu->stats.traps;
		break;
	default:
		not_supported(vcpu, r);
		break;
	}
}

/* Within the SiP range: only the SCMI channel's function ID (the guest DTB's arm,smc-id). */
static void sip_call(struct vcpu *vcpu, struct guest_regs *r)
{
	if (vscmi_handles(r->x[0]))
		vscmi_call(vcpu, r);
	else
		not_supported(vcpu, r);
}

/*
 * Per owning entity (ID bits 29:24): who serves its fast calls, function numbers below `end`.
 * Owners 0-7 only (Arm, CPU, SiP, OEM, standard secure, standard hypervisor, vendor
 * hypervisor, vendor EL3): the trusted application and OS owners (48-63) are nobody's here. An
 * owner not listed has end 0. Indexed by owner, so routing the null call (SMCCC_VERSION) is a
 * load and a compare, not a search: the HVC path is what the benchmarks time.
 */
struct smccc_owner {
	void (*serve)(struct vcpu *vcpu, struct guest_regs *r);
	uint32_t end;	 /* function numbers 0..end-1 are served */
	uint8_t service; /* enum smccc_service, for smccc_route() */
};

#define SMCCC_OWNERS_SERVED 8
#define OWNER_HIGH_BITS                                                                            \
	(((SMCCC_OWNER_MASK + 1) / SMCCC_OWNERS_SERVED - 1) << (SMCCC_OWNER_SHIFT + 3))

static const struct smccc_owner owners[SMCCC_OWNERS_SERVED] = {
    /* SMCCC_VERSION, SMCCC_ARCH_FEATURES (NOT_SUPPORTED from vpsci.c for the rest). */
    [SMCCC_OWNER_ARCH] = {vpsci_call, 0x10000, SMCCC_SVC_PSCI},
    /* PSCI's share of the standard secure service range (DEN 0022 section 5.1). */
    [SMCCC_OWNER_STANDARD] = {vpsci_call, 0x20, SMCCC_SVC_PSCI},
    /* The SCMI channel, VSCMI_SMC_ID: SiP calls up to it, only that one served. */
    [SMCCC_OWNER_SIP] = {sip_call, (VSCMI_SMC_ID & SMCCC_NUMBER_MASK) + 1, SMCCC_SVC_SCMI},
    /* 0x8600FFxx general queries, 0xC60000xx pools and channels, the debug call. */
    [SMCCC_OWNER_VENDOR_HYP] = {vendor_hyp_call, 0x10000, SMCCC_SVC_TANDEM},
};

/* The owner entry serving the call with ID w0, or NULL. */
static inline const struct smccc_owner *owner_of(uint32_t id)
{
	const struct smccc_owner *o = &owners[(id >> SMCCC_OWNER_SHIFT) % SMCCC_OWNERS_SERVED];

	/* Yielding calls (none is offered), IDs with reserved bits set (malformed) and owners
	 * past the table are nobody's: one mask, one compare. */
	if ((id & (SMCCC_FAST | OWNER_HIGH_BITS | SMCCC_RESERVED_MASK)) != SMCCC_FAST ||
	    (id & SMCCC_NUMBER_MASK) >= o->end)
		return NULL;
	return o;
}

enum smccc_service smccc_route(uint64_t x0)
{
	const struct smccc_owner *o = owner_of((uint32_t)x0);

	if (!o)
		return SMCCC_SVC_NONE;
	if (o->serve == sip_call)
		return vscmi_handles(x0) ? SMCCC_SVC_SCMI : SMCCC_SVC_NONE;
	return o->serve == vendor_hyp_call ? vendor_hyp_route(x0) : (enum smccc_service)o->service;
}

void smccc_call(struct vcpu *vcpu, struct guest_regs *r)
{
	const struct smccc_owner *o = owner_of((uint32_t)r->x[0]);

	(o ? o->serve : not_supported)(vcpu, r);
}
