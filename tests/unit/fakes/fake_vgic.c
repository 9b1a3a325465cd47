/* Stands in for the vGIC (virt/vgic): records each call (obj: the vCPU or VM); SPI targets as
 * the test sets them in fake_knobs.spi_target. */
#include <arch/fake.h>
#include <tandem/mmio.h>
#include <tandem/vgic.h>

#include "fake.h"

void vgic_sync(struct vcpu *vcpu)
{
	fake_record("vgic_sync", vcpu, 0, 0, 0);
}

void vgic_vcpu_save(struct vcpu *vcpu)
{
	fake_record("vgic_vcpu_save", vcpu, 0, 0, 0);
}

void vgic_vcpu_restore(struct vcpu *vcpu)
{
	fake_record("vgic_vcpu_restore", vcpu, 0, 0, 0);
}

/* fake_knobs.vgic_parkable: a query, not recorded. */
bool vgic_vcpu_parkable(const struct vcpu *vcpu)
{
	return fake_knobs.vgic_parkable;
}

void vgic_flush(struct vcpu *vcpu)
{
	fake_record("vgic_flush", vcpu, 0, 0, 0);
}

void vgic_direct_init(struct vcpu *vcpu)
{
	fake_record("vgic_direct_init", vcpu, 0, 0, 0);
}

void vgic_direct_enter(struct vcpu *vcpu)
{
	fake_record("vgic_direct_enter", vcpu, 0, 0, 0);
}

void vgic_direct_exit(struct vcpu *vcpu)
{
	fake_record("vgic_direct_exit", vcpu, 0, 0, 0);
}

void vgic_direct_wait(struct vcpu *vcpu, bool waiting)
{
	fake_record("vgic_direct_wait", vcpu, waiting, 0, 0);
}

void vgic_direct_put(struct vcpu *vcpu)
{
	fake_record("vgic_direct_put", vcpu, 0, 0, 0);
}

void vgic_inject_hw(struct vcpu *vcpu, irq_t vintid, irq_t pintid)
{
	fake_record("vgic_inject_hw", vcpu, vintid, pintid, 0);
}

/* The timer's fast path (arg 0: the physical INTID) takes it when fake_knobs.vgic_timer_fast. */
bool vgic_timer_fast(struct vcpu *vcpu, irq_t pintid)
{
	fake_record("vgic_timer_fast", vcpu, pintid, 0, 0);
	return fake_knobs.vgic_timer_fast;
}

/* An access to the emulated GIC (args: address, write, value), answered as fake_knobs say. */
enum vgic_mmio_fast vgic_mmio_fast(struct vcpu *vcpu, struct mmio_access *acc)
{
	fake_record("vgic_mmio_fast", vcpu, acc->addr, acc->write, acc->value);
	if (fake_knobs.vgic_mmio_fast == VGIC_MMIO_DONE && !acc->write)
		acc->value = fake_knobs.vgic_mmio_value;
	return (enum vgic_mmio_fast)fake_knobs.vgic_mmio_fast;
}

void vgic_mmio_state(struct vcpu *vcpu, struct mmio_access *acc)
{
	fake_record("vgic_mmio_state", vcpu, acc->addr, acc->write, acc->value);
	if (!acc->write)
		acc->value = fake_knobs.vgic_mmio_value;
}

struct vcpu *vgic_spi_target(struct vm *vm, irq_t intid)
{
	return intid < FAKE_NR_INTIDS ? fake_knobs.spi_target[intid] : NULL;
}

bool vgic_spi_guest_config(struct vm *vm, irq_t intid, bool *enabled, uint8_t *priority)
{
	if (intid < 32 || intid >= FAKE_NR_INTIDS)
		return false;
	*enabled = fake_knobs.spi_guest_enabled[intid];
	*priority = fake_knobs.spi_guest_prio[intid];
	return true;
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
	fake_record("vgic_vcpu_init", vcpu, 0, 0, 0);
}

/* obj: the VM; arguments: the INTID and the target vCPU (0 for an SPI routed by the VM). */
void vgic_inject(struct vm *vm, struct vcpu *vcpu, irq_t intid)
{
	fake_record("vgic_inject", vm, intid, (uint64_t)(uintptr_t)vcpu, 0);
}

/* obj: the VM; arguments: the INTID, the level and the number of locks held (a device drives its
 * line after dropping its own lock). */
void vgic_set_level(struct vm *vm, irq_t intid, bool level)
{
	fake_record("vgic_set_level", vm, intid, level, fake_arch.locks_held);
}

/* A due virtual timer made pending (recorded); fake_knobs.vgic_timer_due: the guest can take it. */
bool vgic_timer_due(struct vcpu *vcpu)
{
	fake_record("vgic_timer_due", vcpu, 0, 0, 0);
	return fake_knobs.vgic_timer_due;
}

/* What the test put in fake_knobs.vgic_pending; a query, not recorded. */
bool vgic_vcpu_pending(struct vcpu *vcpu)
{
	return fake_knobs.vgic_pending;
}
