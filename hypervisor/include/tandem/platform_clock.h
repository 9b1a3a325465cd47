/*
 * The one place where Tandem would touch a real SoC's CPU clocks. QEMU virt has none, so
 * the model in core/freq.c is all there is; a board port implements this with its clock
 * controller's registers or by forwarding to its SCMI firmware (a CLOCK_RATE_SET of its own).
 */
#ifndef TANDEM_PLATFORM_CLOCK_H
#define TANDEM_PLATFORM_CLOCK_H

#include <tandem/config.h>

/*
 * Runs the clock of frequency domain d at khz, one of its operating points (the voltage
 * change, if the board has one, goes first when raising and last when lowering). Called
 * with the domain's lock held, from any pCPU; must not block. 0, or a negative ERR_*: the
 * model then keeps the old point.
 */
int platform_set_domain_rate(const struct cfg_freq_domain *d, uint32_t khz);

#endif
