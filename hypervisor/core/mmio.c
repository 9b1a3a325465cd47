/* Emulated MMIO regions of a VM and the dispatch of decoded accesses to them. */
#include <tandem/errno.h>
#include <tandem/mmio.h>
#include <tandem/string.h>
#include <tandem/vm.h>

int mmio_register(struct vm *vm, ipa_t base, uint64_t size, mmio_handler_fn handler, void *opaque)
{
	return mmio_register_fast(vm, base, size, handler, NULL, opaque);
}

uint64_t mmio_fast_window;

void mmio_fast_window_add(ipa_t base, uint64_t size)
{
	uint64_t w = mmio_fast_window, first = base >> PAGE_SHIFT;
	uint64_t last = (base + size - 1) >> PAGE_SHIFT;

	if (!size || last >= UINT32_MAX)
		return;
	if (w) {
		uint64_t old_first = (uint32_t)w, old_last = old_first + (w >> 32) - 1;

		first = first < old_first ? first : old_first;
		last = last > old_last ? last : old_last;
	}
	/* One store: a vector on another pCPU reads the word whole (the fast path checks the
	 * address again, so a window a little too wide or too narrow is only slower). */
	__atomic_store_n(&mmio_fast_window, (last - first + 1) << 32 | first, __ATOMIC_RELAXED);
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
		mmio_fast_window_add(base, size);
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
