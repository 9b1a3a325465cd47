/*
 * The load of a frequency domain as the paper defines it, from Tandem's own accounting of every
 * pCPU (struct pcpu_time): load = (elapsed - idle) / elapsed over the window since the
 * controller's previous sample, per pCPU; the domain's is its busiest pCPU's, as ondemand takes
 * the busiest CPU of a policy. TANDEM_HC_DOMAIN_LOAD (core/hypercall.c) serves it.
 */
#include <tandem/arch.h>
#include <tandem/freq.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>

/* Each pCPU's busy ticks and the counter when the controller last sampled the domain. */
struct load_mark {
	uint64_t at, busy;
};

static struct load_mark marks[CFG_MAX_FREQ_DOMAINS][MAX_PCPUS];

/*
 * Busy ticks of p up to about now: its accounted time but idle, plus the time since its last
 * edge unless it has been idling in WFI since (a pCPU that runs a guest takes no edge for as
 * long as the guest computes without an interrupt).
 */
uint64_t freq_pcpu_busy(const struct pcpu *p, uint64_t *now)
{
	struct pcpu_time t;
	uint64_t busy;

	pcpu_time_snapshot(p, &t);
	*now = arch_counter_read();
	busy = t.last - t.start - t.idle;
	if (!t.idling && *now > t.last)
		busy += *now - t.last;
	return busy;
}

/* A bind pool that lets its guest idle in hardware hides that idle time (docs/design.md). */
static bool load_visible(const struct pcpu *p)
{
	const struct pool *pool = __atomic_load_n(&p->sched.pool, __ATOMIC_ACQUIRE);

	return !pool || pool->trap_wfi;
}

void freq_domain_load(struct freq_domain *d, struct freq_load *out)
{
	uint64_t sum = 0;
	unsigned n = 0;

	*out = (struct freq_load){0};
	spin_lock(&d->load_lock); /* one sample at a time: each moves the window */
	for (unsigned c = 0; c < nr_pcpus; c++) {
		struct load_mark *m = &marks[d->index][c];
		const struct pcpu *p = &pcpus[c];
		uint64_t now, busy, permille;

		if (!(d->cfg->cpus & (1ULL << c)) || !p->online)
			continue;
		if (!load_visible(p)) {
			out->hidden |= 1ULL << c;
			continue;
		}
		busy = freq_pcpu_busy(p, &now);
		if (!m->at) /* first sample: the window starts with the accounting */
			m->at = __atomic_load_n(&p->time.start, __ATOMIC_RELAXED);
		permille = now > m->at ? (busy - m->busy) * 1000 / (now - m->at) : 0;
		permille = MIN(permille, 1000);
		out->max_permille = MAX(out->max_permille, permille);
		out->window = MAX(out->window, now - m->at);
		sum += permille;
		n++;
		m->at = now;
		m->busy = busy;
	}
	d->load_samples++;
	d->last_load = out->max_permille;
	spin_unlock(&d->load_lock);
	out->mean_permille = n ? sum / n : 0;
}
