/*
 * Where each pCPU's time goes, read from another pCPU: a consistent snapshot of its figures
 * (tandem/pcpu.h: each pCPU updates them inside its edge sequence count) and the load they
 * make. Apart from pcpu.c so the frequency and scheduling code's host tests compile it as is.
 */
#include <tandem/arch.h>
#include <tandem/pcpu.h>

void pcpu_time_snapshot(const struct pcpu *p, struct pcpu_time *out)
{
	uint32_t seq;

	do {
		while ((seq = pcpu_edge_read_begin(p)) & 1)
			arch_relax();
		*out = p->time;
	} while (pcpu_edge_read_retry(p, seq));
}

uint64_t pcpu_load_permille(const struct pcpu_time *t)
{
	uint64_t elapsed = t->last - t->start;

	return elapsed ? (elapsed - t->idle) * 1000 / elapsed : 0;
}
