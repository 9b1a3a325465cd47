/* Stands in for the board's clock hook (platform/clock.c): records each rate asked for. */
#include <tandem/platform_clock.h>

#include "fake.h"

/* obj: the domain's configuration; arg 0: the rate in kHz. Returns fake_knobs.clock_err. */
int platform_set_domain_rate(const struct cfg_freq_domain *d, uint32_t khz)
{
	fake_record("platform_set_domain_rate", d, khz, 0, 0);
	return fake_knobs.clock_err;
}
