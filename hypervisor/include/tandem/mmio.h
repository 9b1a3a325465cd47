/* Emulated MMIO: decoded guest accesses and the per-VM table of trapped regions. */
#ifndef TANDEM_MMIO_H
#define TANDEM_MMIO_H

#include <tandem/errno.h>
#include <tandem/types.h>

struct vcpu;
struct vm;

/* One decoded guest access (from a stage-2 data abort with a valid syndrome). */
struct mmio_access {
	ipa_t addr;	 /* guest-physical address of the access */
	uint64_t offset; /* addr - region base, filled in by the dispatcher */
	unsigned size;	 /* bytes: 1, 2, 4 or 8 */
	bool write;
	uint64_t value; /* written value, or where the handler puts the value read */
	uint32_t hint;	/* what a device's short path found, for its slow half (the vGIC's
			   vgic_mmio_fast -> vgic_mmio_state: 1 + the GICD register's index) */
};

/* Returns 0 on success; a negative ERR_* makes the access fault in the guest. */
typedef int (*mmio_handler_fn)(struct vcpu *vcpu, struct mmio_access *acc, void *opaque);

/*
 * A device's short path for the accesses it completes without a lock, without changing any
 * interrupt's state and without a scheduling decision (e.g. a UART's data write): true if it
 * did the access, false if it did nothing and the access goes to the handler instead. It runs
 * in the data-abort fast path, before the vGIC is synced (vcpu_trap_mmio_fast).
 */
typedef bool (*mmio_fast_fn)(struct vcpu *vcpu, struct mmio_access *acc, void *opaque);

struct mmio_region {
	ipa_t base;
	uint64_t size;
	mmio_handler_fn handler;
	void *opaque;
	mmio_fast_fn fast; /* NULL: every access takes the handler */
};

#define VM_MAX_MMIO_REGIONS 16

/* Registers an emulated region in vm; -ERR_EXIST if it overlaps one already there. */
int mmio_register(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler, void *opaque);
/*
 * The guest-physical pages (IPA >> 12) of every region with a short path (its own, or the
 * vGIC's frames), in any VM: the synchronous vector (exceptions.S) sends a data abort to the
 * fast path only inside it, so that an access of any other region pays a compare, not a
 * failed attempt. One word, read by the vector in one load: nr_pages << 32 | first_page
 * (0: no region has a short path). Written at VM creation only.
 */
extern uint64_t mmio_fast_window;
/*
 * Widens mmio_fast_window to cover [base, base + size): a region with a short path
 * (mmio_register_fast does it), or one the data-abort fast path finds by address before the
 * table (the vGIC's frames: vgic_mmio_fast). A range the word cannot hold (pages past 2^32)
 * is left out: its accesses take the generic trap, which is complete.
 */
void mmio_fast_window_add(ipa_t base, uint64_t size);

/* The same with a short path for some of its accesses (mmio_fast_fn). */
int mmio_register_fast(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler,
		       mmio_fast_fn fast, void *opaque);
/* The region of vm covering ipa, or NULL. */
const struct mmio_region *mmio_find(const struct vm *vm, ipa_t ipa);
/* Routes an access to its region. -ERR_NOENT if no region covers it. */
int mmio_dispatch(struct vcpu *vcpu, struct mmio_access *acc);

/*
 * mmio_dispatch() over a VM's table (vm->mmio, vm->nr_mmio), inline for the data-abort trap:
 * the region's handler is then its only call.
 */
static inline int mmio_dispatch_in(const struct mmio_region *regions, unsigned nr,
				   struct vcpu *vcpu, struct mmio_access *acc)
{
	for (const struct mmio_region *r = regions; r < regions + nr; r++) {
		uint64_t off = acc->addr - r->base;

		if (acc->addr >= r->base && off < r->size) {
			acc->offset = off;
			return r->handler(vcpu, acc, r->opaque);
		}
	}
	return -ERR_NOENT;
}

/* The region covering acc->addr if it has a short path (acc->offset filled in), else NULL. */
static inline const struct mmio_region *mmio_fast_region(const struct mmio_region *regions,
							 unsigned nr, struct mmio_access *acc)
{
	for (const struct mmio_region *r = regions; r < regions + nr; r++) {
		uint64_t off = acc->addr - r->base;

		if (acc->addr >= r->base && off < r->size) {
			acc->offset = off;
			return r->fast ? r : NULL;
		}
	}
	return NULL;
}

#endif
