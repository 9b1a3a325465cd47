/* Emulated MMIO regions of a VM and the dispatch of decoded accesses to them. */
#include <tandem/errno.h>
#include <tandem/mmio.h>
#include <tandem/string.h>
#include <tandem/vm.h>

int mmio_register(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler, void *opaque)
{
	return mmio_register_fast(vm, base, size, handler, NULL, opaque);
}

struct mmio_fast_window mmio_fast_window;

/* Widens the window of pages whose data aborts try the fast path to cover [base, base + size). */
static void widen_fast_window(ipa_t base, uint64_t size)
{
	uint64_t first = base >> PAGE_SHIFT, last = (base + size - 1) >> PAGE_SHIFT;
	struct mmio_fast_window *w = &mmio_fast_window;

	if (w->nr_pages) {
		uint64_t old_last = w->first_page + w->nr_pages - 1;

		first = first < w->first_page ? first : w->first_page;
		last = last > old_last ? last : old_last;
	}
	w->first_page = first;
	w->nr_pages = last - first + 1;
}

int mmio_register_fast(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler,
		       mmio_fast_fn fast, void *opaque)
{
	for (unsigned i = 0; i < vm->nr_mmio; i++) {
		const struct mmio_region *r = &vm->mmio[i];

		if (base < r->base + r->size && r->base < base + size)
			return -ERR_EXIST;
	}
	if (vm->nr_mmio == VM_MAX_MMIO_REGIONS)
		return -ERR_NOMEM;
	/* A region with a short path goes first: the fast path's walk finds it at once. */
	if (fast) {
		widen_fast_window(base, size);
		memmove(&vm->mmio[1], &vm->mmio[0], vm->nr_mmio * sizeof(vm->mmio[0]));
		vm->mmio[0] = (struct mmio_region){base, size, handler, opaque, fast};
		vm->nr_mmio++;
		return 0;
	}
	vm->mmio[vm->nr_mmio++] = (struct mmio_region){base, size, handler, opaque, fast};
	return 0;
}

const struct mmio_region *mmio_find(const struct vm *vm, ipa_t ipa)
{
	for (unsigned i = 0; i < vm->nr_mmio; i++) {
		const struct mmio_region *r = &vm->mmio[i];

		if (ipa >= r->base && ipa - r->base < r->size)
			return r;
	}
	return NULL;
}

int mmio_dispatch(struct vcpu *vcpu, struct mmio_access *acc)
{
	return mmio_dispatch_in(vcpu->vm->mmio, vcpu->vm->nr_mmio, vcpu, acc);
}
