/* Stands in for failover groups (core/failover.c): no VM is in one. Records each failure. */
#include <tandem/failover.h>

#include "fake.h"

bool failover_vm_failed(struct vm *vm, enum failover_cause cause, const char *why)
{
	fake_record("failover_vm_failed", vm, (uint64_t)cause, 0, 0);
	return false;
}

bool failover_state(const struct vm *vm, uint64_t *role, uint64_t *generation, uint64_t *channel)
{
	fake_record("failover_state", vm, 0, 0, 0);
	return false;
}

void failover_dump(void (*out)(const char *fmt, ...))
{
}
