/* Stands in for virt/channel.c's doorbell: channels 0 .. fake_knobs.nr_channels - 1 exist and
 * take any caller's doorbell; each call recorded (obj: the vCPU; arg 0: the channel id). */
#include <tandem/abi/hypercall.h>
#include <tandem/channel.h>

#include "fake.h"

int64_t channel_notify(struct vcpu *vcpu, uint64_t id, const char **why)
{
	fake_record("channel_notify", vcpu, id, 0, 0);
	if (id >= fake_knobs.nr_channels) {
		*why = "no such channel";
		return TANDEM_E_INVAL;
	}
	return TANDEM_OK;
}
