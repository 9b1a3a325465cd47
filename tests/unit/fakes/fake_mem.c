/* Stands in for lib/mem.c's figures: the free memory a test chose (fake_knobs.mem_free). */
#include <tandem/mem.h>

#include "fake.h"

uint64_t mem_free_bytes(void)
{
	return fake_knobs.mem_free;
}
