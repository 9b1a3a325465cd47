/* Stands in for core/stats.c's dump (tested in test_stats.c): recorded. */
#include <tandem/stats.h>

#include "fake.h"

void stats_dump(void)
{
	fake_record("stats_dump", NULL, 0, 0, 0);
}
