/* Stands in for the vGIC (virt/vgic): records each call (obj: the vCPU or VM); SPI targets as
 * the test sets them in fake_knobs.spi_target. */
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

void vgic_flush(struct vcpu *vcpu)
{
	fake_record("vgic_flush", vcpu, 0, 0, 0);
}

void vgic_inject_hw(struct vcpu *vcpu, irq_t vintid, irq_t pintid)
{
	fake_record("vgic_inject_hw", vcpu, vintid, pintid, 0);
}

struct vcpu *vgic_spi_target(struct vm *vm, irq_t intid)
{
	return intid < FAKE_NR_INTIDS ? fake_knobs.spi_target[intid] : NULL;
}

void vgic_inject(struct vm *vm, struct vcpu *vcpu, irq_t intid)
{
	fake_record("vgic_inject", vm, intid, 0, 0);
}
