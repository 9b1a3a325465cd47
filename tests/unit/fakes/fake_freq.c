/* Stands in for core/freq.c: the domain array, and no VM in any domain. Sampling is recorded
 * (obj: the domain) and reports no load. */
#include <string.h>

#include <tandem/freq.h>

#include "fake.h"

struct freq_domain freq_domains[CFG_MAX_FREQ_DOMAINS];
unsigned nr_freq_domains;

struct freq_domain *freq_domain_of_vm(const struct vm *vm)
{
	return NULL;
}

void freq_domain_load(struct freq_domain *d, struct freq_load *out)
{
	fake_record("freq_domain_load", d, 0, 0, 0);
	memset(out, 0, sizeof(*out));
}

void freq_dump(void)
{
	fake_record("freq_dump", NULL, 0, 0, 0);
}
