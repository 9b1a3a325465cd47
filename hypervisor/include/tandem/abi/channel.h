/*
 * The channel ABI: a shared-memory region between two VMs plus a doorbell each way
 * (docs/config.md "/channels", docs/design.md "Channels"). Shared by the hypervisor, the RTOS
 * and the Linux driver: constants and fixed-width types only, no libc.
 *
 * Each endpoint VM finds its channels in its generated DTB, one node per channel:
 *   channel@<ipa> {
 *       compatible = "tandem,channel-v1";
 *       reg = <ipa_hi ipa_lo size_hi size_lo>;        (#address-cells = #size-cells = 2)
 *       interrupts = <0 spi 1>;                      (GIC_SPI, edge rising: its doorbell)
 *       tandem,channel-id = <id>;                    (x1 of TANDEM_HC_CHANNEL_NOTIFY)
 *       tandem,side = <0 or 1>;                      (its index in the channel's `vms`)
 *       tandem,peer = "other-vm";
 *       label = "<channel node name>";
 *       tandem,protocol = "<name>";                  (only if the description gives one)
 *   };
 * The window is normal write-back inner-shareable memory in both VMs: ordinary loads and
 * stores with barriers (dmb ish / smp_*()).
 */
#ifndef TANDEM_ABI_CHANNEL_H
#define TANDEM_ABI_CHANNEL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* The device tree node Tandem adds to each endpoint VM. */
#define TANDEM_CHANNEL_COMPATIBLE "tandem,channel-v1"
#define TANDEM_CHANNEL_PROP_ID	  "tandem,channel-id"
#define TANDEM_CHANNEL_PROP_SIDE  "tandem,side"
#define TANDEM_CHANNEL_PROP_PEER  "tandem,peer"
#define TANDEM_CHANNEL_PROP_LABEL "label"
/* Present when the channel's description gives one (`protocol = "records"`): what the two
 * guests speak over it. Without it the channel is the vserial ring's (tandem_vserial binds it);
 * with it, the driver of that protocol (tandem_failover's raw /dev/tandem-chanN for any name but
 * "vserial"). */
#define TANDEM_CHANNEL_PROP_PROTOCOL	"tandem,protocol"
#define TANDEM_CHANNEL_PROTOCOL_VSERIAL "vserial"

/* The region starts with this header, written only by Tandem. Guests treat it as read-only,
 * and re-read link[] (with acquire semantics) after every doorbell. */
#define TANDEM_CHANNEL_MAGIC	   0x4c484354U /* "TCHL" as little-endian bytes */
#define TANDEM_CHANNEL_VERSION	   1U
#define TANDEM_CHANNEL_HEADER_SIZE 64U /* = payload_offset: guests own [64, size) */

/* A side's link word: bit 0 = that side's VM is running, bits 31..1 = its generation
 * (+1 each time the VM starts or restarts, so a peer that missed the down/up still sees it). */
#define TANDEM_CHANNEL_LINK_UP		     0x1U
#define TANDEM_CHANNEL_LINK_GENERATION_SHIFT 1
#define TANDEM_CHANNEL_LINK_GENERATION(word)                                                       \
	((uint32_t)(word) >> TANDEM_CHANNEL_LINK_GENERATION_SHIFT)

struct tandem_channel_header {
	uint32_t magic;		 /* TANDEM_CHANNEL_MAGIC */
	uint32_t version;	 /* TANDEM_CHANNEL_VERSION */
	uint32_t size;		 /* the whole region in bytes, header included */
	uint32_t payload_offset; /* TANDEM_CHANNEL_HEADER_SIZE */
	uint32_t link[2];	 /* link[i] is side i's link word */
	uint32_t reserved[10];	 /* zero */
};
_Static_assert(sizeof(struct tandem_channel_header) == TANDEM_CHANNEL_HEADER_SIZE,
	       "the channel header is 64 bytes");

/* The doorbell is a hypercall, TANDEM_HC_CHANNEL_NOTIFY (abi/hypercall.h): x1 = channel id. */

#endif
