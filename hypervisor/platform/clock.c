/*
 * CPU clocks of the board. QEMU virt has no DVFS: the frequency domains of the system
 * description are modelled (core/freq.c) and this hook only accepts the rate. A board with
 * a clock controller writes its PLL/divider here (raise the voltage first, lower it last);
 * one with SCMI firmware sends that firmware its own CLOCK_RATE_SET.
 */
#include <tandem/platform_clock.h>

int platform_set_domain_rate(const struct cfg_freq_domain *d, uint32_t khz)
{
	(void)d;
	(void)khz;
	return 0;
}
