/* Stands in for the SMMU driver (drivers/smmu*.c): records each attach (obj: the VM). */
#include <tandem/smmu.h>

#include "fake.h"

int smmu_attach_vm(struct vm *vm, uint32_t sid_first, uint32_t nr)
{
	fake_record("smmu_attach_vm", vm, sid_first, nr, 0);
	return 0;
}
