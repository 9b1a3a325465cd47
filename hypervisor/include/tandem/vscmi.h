/*
 * An SCMI platform (Arm DEN 0056) that Tandem serves to the VM controlling a frequency domain:
 * the base protocol and the clock protocol (one clock per domain it controls), over the SMC
 * transport with a shared-memory channel, so the stock Linux drivers (arm,scmi-smc, clk-scmi,
 * cpufreq-dt) run the domain. Only controllers get the channel; other VMs' calls are refused.
 */
#ifndef TANDEM_VSCMI_H
#define TANDEM_VSCMI_H

#include <tandem/types.h>

struct vdev_ops;
struct vm;
struct vcpu;
struct guest_regs;
struct freq_domain;
struct fdt_writer;

/* The SMC function ID (x0) of the channel: an SMC64 fast call in the SiP service range
 * (owning entity 2, DEN 0028), the guest DTB's arm,smc-id. */
#define VSCMI_SMC_ID 0xc2000010U
/* The channel's shared memory in the controller's guest-physical space: outside its RAM,
 * in a hole of QEMU virt's map (nothing is at 0x0b000000-0x0bffffff). */
#define VSCMI_SHMEM_IPA	 0x0b000000UL
#define VSCMI_SHMEM_SIZE 0x1000UL

/* SCMI status codes (DEN 0056 4.1.4). */
#define SCMI_SUCCESS		0
#define SCMI_NOT_SUPPORTED	(-1)
#define SCMI_INVALID_PARAMETERS (-2)
#define SCMI_DENIED		(-3)
#define SCMI_NOT_FOUND		(-4)
#define SCMI_OUT_OF_RANGE	(-5)
#define SCMI_PROTOCOL_ERROR	(-10)

/* Shared memory area layout (DEN 0056 5.1.2). */
#define SCMI_SHM_STATUS	     0x04
#define SCMI_SHM_FLAGS	     0x10
#define SCMI_SHM_LENGTH	     0x14 /* bytes of header + payload */
#define SCMI_SHM_HEADER	     0x18
#define SCMI_SHM_PAYLOAD     0x1c
#define SCMI_SHM_STATUS_FREE (1U << 0)

/* Message header fields (DEN 0056 4.1.2). */
#define SCMI_HDR(proto, msg, token) ((msg) | ((proto) << 10) | ((token) << 18))
#define SCMI_PROTO_BASE		    0x10
#define SCMI_PROTO_CLOCK	    0x14

/*
 * Handles the message in shm (size bytes, the channel's area as the agent left it) for the
 * agent controlling domain d: writes the reply (same header, status, return values) and marks
 * the channel free. Returns the SCMI status; why says what was wrong when it is not SUCCESS.
 * Nothing changes unless the message is well formed and valid.
 */
int vscmi_process(struct freq_domain *d, const char *agent, uint8_t *shm, size_t size,
		  const char **why);

/* The SCMI platform as a per-VM device (virt/vdev_table.c). */
extern const struct vdev_ops vscmi_vdev;

/* Gives vm its channel if it controls a frequency domain: shared page mapped at stage 2. */
int vscmi_vm_init(struct vm *vm);
/* A restarting VM finds its channel empty and free again. */
void vscmi_vm_reset(struct vm *vm);
/* True for the channel's SMC function ID. */
bool vscmi_handles(uint64_t fn);
/* The channel's SMC from vcpu: serves the message synchronously; x0 = 0, or NOT_SUPPORTED
 * (-1) for a VM without a channel. */
void vscmi_call(struct vcpu *vcpu, struct guest_regs *r);
/* Adds the SCMI nodes (firmware/scmi, its shared memory, the OPP table) to vm's DTB. */
void vscmi_dtb_nodes(struct fdt_writer *w, const struct vm *vm);
/* The properties each cpu node of vm's DTB gets (operating-points-v2, clocks). */
void vscmi_dtb_cpu_props(struct fdt_writer *w, const struct vm *vm);

#endif
