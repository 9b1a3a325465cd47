/* Stands in for stage-2 mapping (arch/aarch64/stage2.c): records each mapping (obj: the table;
 * ipa, pa, size), returns fake_knobs.s2_map_err. */
#include <tandem/stage2.h>

#include "fake.h"

int s2_map(struct s2_table *t, ipa_t ipa, paddr_t pa, uint64_t size, enum s2_attr attr)
{
	fake_record("s2_map", t, ipa, pa, size);
	return fake_knobs.s2_map_err;
}

int s2_unmap(struct s2_table *t, ipa_t ipa, uint64_t size)
{
	fake_record("s2_unmap", t, ipa, size, 0);
	return 0;
}
