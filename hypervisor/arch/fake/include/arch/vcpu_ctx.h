/* Host (unit-test) stand-in for the per-vCPU architectural context. */
#ifndef ARCH_VCPU_CTX_H
#define ARCH_VCPU_CTX_H

#include <stdbool.h>
#include <stdint.h>

/* What arch_fake.c records so tests can check what the core asked of the architecture. */
struct arch_vcpu_ctx {
	uint64_t entry, arg; /* last arch_vcpu_reset() */
	unsigned resets;
	unsigned aborts_injected, undefs_injected;
	uint64_t last_abort_addr;
	bool last_abort_is_data;
	bool loaded;
};

#endif
