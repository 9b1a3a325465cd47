/* Stands in for the vGIC's side of a vCPU switch (virt/vgic): records each call (obj: vCPU). */
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
