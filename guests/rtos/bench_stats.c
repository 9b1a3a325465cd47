/* Summaries of a measurement's samples: min, lower median, mean, max (all 0 for none). */
#include "bench.h"

/* Shell sort: short, in place, no recursion; n is at most BENCH_N_MAX. */
static void sort_u32(uint32_t *v, unsigned n)
{
	static const unsigned gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};

	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned gap = gaps[g];

		for (unsigned i = gap; i < n; i++) {
			uint32_t t = v[i];
			unsigned j = i;

			for (; j >= gap && v[j - gap] > t; j -= gap)
				v[j] = v[j - gap];
			v[j] = t;
		}
	}
}

void bench_summarise(uint32_t *v, unsigned n, struct bench_stats *s)
{
	uint64_t sum = 0;

	if (!n) {
		*s = (struct bench_stats){0};
		return;
	}
	sort_u32(v, n);
	for (unsigned i = 0; i < n; i++)
		sum += v[i];
	s->min = v[0];
	s->med = v[(n - 1) / 2];
	s->max = v[n - 1];
	s->avg = sum / n;
}
