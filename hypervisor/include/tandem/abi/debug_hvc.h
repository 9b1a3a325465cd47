/*
 * Tandem's debug hypercall, shared with guests (the RTOS's benchmarks). An SMCCC fast call in the
 * vendor-specific hypervisor service range (owner 6); the control calls of the CPU pools live in
 * the same range from 0xC6000000 up (docs/hypercalls.md), this one sits apart at 0x100.
 */
#ifndef TANDEM_ABI_DEBUG_HVC_H
#define TANDEM_ABI_DEBUG_HVC_H

/* HVC #0 with x0 = this: returns in x0 the calling vCPU's EL2 entries so far, this call
 * included (the same count as "traps" in the console's Ctrl-A d dump). Any VM may call it. */
#define TANDEM_HVC_EL2_ENTRIES 0xC6000100U

#endif
