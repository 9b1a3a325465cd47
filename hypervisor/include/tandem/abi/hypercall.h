/*
 * Tandem's control hypercalls: SMCCC (Arm DEN 0028) fast calls in the vendor-specific
 * hypervisor service range (owning entity 6), through HVC #0 (or a trapped SMC #0).
 * Arguments in x1..x5, status in x0 (0 or a negative TANDEM_E_*), results in x1..x4.
 * Shared by the hypervisor and the guests that call it; docs/hypercalls.md is the reference.
 */
#ifndef TANDEM_ABI_HYPERCALL_H
#define TANDEM_ABI_HYPERCALL_H

/* The standard queries of the service range (SMC32 function IDs). */
#define TANDEM_HC_CALL_COUNT 0x8600ff00U /* x0 = number of Tandem functions */
#define TANDEM_HC_CALL_UID   0x8600ff01U /* x0..x3 = the UID below, 32 bits each */
#define TANDEM_HC_REVISION   0x8600ff03U /* x0 = major, x1 = minor */

/* UID 5a6e7d0c-4e1b-4f7e-9a4c-7464616e6465 ("tandem"), as SMCCC returns a UUID. */
#define TANDEM_UID_0 0x0c7d6e5aU
#define TANDEM_UID_1 0x7e4f1b4eU
#define TANDEM_UID_2 0x64744c9aU
#define TANDEM_UID_3 0x65646e61U

#define TANDEM_REVISION_MAJOR 1
#define TANDEM_REVISION_MINOR 1 /* 1.1: VM_SET_POOL completes asynchronously; POOL_OF x2, x3 */

/* Functions (SMC64 fast calls). All but TANDEM_HC_INFO, TANDEM_HC_CHANNEL_NOTIFY and
 * TANDEM_HC_FAILOVER_STATE need a VM marked `privileged;`. */
#define TANDEM_HC_INFO 0xc6000000U /* -> x1 nr_vms, x2 nr_pools, x3 nr_pcpus, x4 caller vm */
#define TANDEM_HC_VCPU_SET_SCHED                                                                   \
	0xc6000001U /* x1 vm, x2 vcpu, x3 budget_us, x4 period_us, x5 weight */
#define TANDEM_HC_VM_SET_POOL	0xc6000002U /* x1 vm, x2 pool */
#define TANDEM_HC_PCPU_SET_POOL 0xc6000003U /* x1 pcpu, x2 pool */
#define TANDEM_HC_PCPU_TIME                                                                        \
	0xc6000004U /* x1 pcpu -> x1 elapsed, x2 idle, x3 hyp, x4 guest (ticks) */
#define TANDEM_HC_POOL_OF                                                                          \
	0xc6000005U /* x1 0 = vm / 1 = pcpu, x2 index -> x1 pool, x2 moving (0/1), x3 pool after   \
		     */
#define TANDEM_HC_CHANNEL_NOTIFY                                                                   \
	0xc6000006U /* x1 channel id: ring the peer's doorbell (abi/channel.h); any endpoint VM */
#define TANDEM_HC_DOMAIN_LOAD                                                                      \
	0xc6000007U /* x1 domain (or TANDEM_DOMAIN_OWN) -> x1 max load, x2 mean (per mille),       \
		     * x3 window (ticks), x4 domain; its controller only */
#define TANDEM_DOMAIN_OWN 0xffffffffU /* x1 of DOMAIN_LOAD: the domain the caller controls */
#define TANDEM_HC_FAILOVER_STATE                                                                   \
	0xc6000008U /* -> x1 role (1 active, 2 standby), x2 generation, x3 channel id; any member  \
		     */
#define TANDEM_FAILOVER_ROLE_ACTIVE  1
#define TANDEM_FAILOVER_ROLE_STANDBY 2
#define TANDEM_FAILOVER_NO_CHANNEL   0xffffffffffffffffULL /* x3 when the group has none */
#define TANDEM_HC_NR_FUNCTIONS	     9

/* Status in x0. -1 and -3 are SMCCC's own NOT_SUPPORTED and INVALID_PARAMETER. */
#define TANDEM_OK	0
#define TANDEM_E_NOTSUP (-1) /* unknown function */
#define TANDEM_E_INVAL	(-3) /* malformed argument: no such VM/vCPU/pool/pCPU, bad values */
#define TANDEM_E_PERM	(-4) /* the calling VM is not privileged */
#define TANDEM_E_BUSY	(-5) /* refused by an admission test or a rule; nothing changed */

#endif
