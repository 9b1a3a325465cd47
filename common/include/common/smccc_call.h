/*
 * An SMCCC call (Arm DEN 0028) from AArch64 C, through HVC (to the hypervisor above) or SMC (to
 * the firmware): function ID and arguments in x0-x3, result in x0. AArch64 only.
 */
#ifndef COMMON_SMCCC_CALL_H
#define COMMON_SMCCC_CALL_H

#include <stdbool.h>
#include <stdint.h>

static inline int64_t smccc_call(bool hvc, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* Below SMCCC 1.1 the callee may clobber x4-x17 as well. */
	if (hvc)
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

#endif
