/* Summaries of a measurement's samples: min, lower median, mean, max (all 0 for none), and
 * log-linear histograms of sorted samples. */
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

struct bench_hist_bucket bench_hist_bucket_of(uint32_t v)
{
	unsigned octave;
	uint32_t width;

	if (v < BENCH_HIST_EXACT)
		return (struct bench_hist_bucket){.lo = v, .width = 1};
	octave = 31U - (unsigned)__builtin_clz(v); /* v >= 16, so octave >= 4 */
	width = (1U << octave) / BENCH_HIST_SUB;
	return (struct bench_hist_bucket){.lo = v & ~(width - 1), .width = width};
}

unsigned bench_histogram(const uint32_t *sorted, unsigned n, struct bench_hist_bucket *out,
			 unsigned max)
{
	unsigned nr = 0;
	struct bench_hist_bucket cur = {0};

	for (unsigned i = 0; i < n; i++) {
		if (cur.count && sorted[i] - cur.lo < cur.width) {
			cur.count++;
			continue;
		}
		if (cur.count && nr++ < max)
			out[nr - 1] = cur;
		cur = bench_hist_bucket_of(sorted[i]);
		cur.count = 1;
	}
	if (cur.count && nr++ < max)
		out[nr - 1] = cur;
	return nr;
}
