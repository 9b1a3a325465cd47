/*
 * Console Ctrl-A f: the frequency domains' figures (tandem/freq.h). Per domain a summary line,
 * the time at each point, each pCPU's busy ticks at one counter value, and the clock changes
 * since the previous dump: from successive dumps tools/bench/cpufreq.py rebuilds the timeline
 * of the domain's frequency and its pCPUs' load.
 */
#include <tandem/arch.h>
#include <tandem/freq.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/string.h>

#define CHANGES_PER_LINE 8

/* "0-3" or "0,2": a pCPU bitmap as the description would write it. */
static void cpu_list(uint64_t cpus, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < 64 && n + 8 < len; c++) {
		unsigned e = c;

		if (!(cpus & (1ULL << c)))
			continue;
		while (e + 1 < 64 && (cpus & (1ULL << (e + 1))))
			e++;
		n += (size_t)snprintf_td(buf + n, len - n, e > c ? "%s%u-%u" : "%s%u", n ? "," : "",
					 c, e);
		c = e;
	}
}

static void dump_summary(struct freq_domain *d, uint64_t hz)
{
	const struct cfg_freq_domain *c = d->cfg;
	uint64_t ticks[CFG_MAX_OPPS], energy, full, total = 0, rel;
	uint32_t cur, req;
	char cpus[64], line[48 * CFG_MAX_OPPS];
	size_t n = 0;

	cur = freq_time_at_points(d, arch_counter_read(), ticks);
	req = freq_requested(d);
	for (uint32_t p = 0; p < c->nr_opps; p++) {
		total += ticks[p];
		n += (size_t)snprintf_td(line + n, sizeof(line) - n, " %u=%llu", c->opps[p].khz,
					 (unsigned long long)ticks[p]);
	}
	energy = freq_energy(d, ticks);
	/* Against running the whole time at the fastest point, in per mille. */
	full = freq_energy_at_highest(d, ticks) / 1000;
	rel = full ? energy / full : 0;
	cpu_list(c->cpus, cpus, sizeof(cpus));
	log_info("freq %s: cpus=%s cur_khz=%u req_khz=%u floor_khz=%u rate_sets=%llu "
		 "hook_calls=%llu hook_errors=%llu elapsed=%llu energy_rel=%llu.%llu%% "
		 "energy_mj=%lld",
		 c->name, cpus, c->opps[cur].khz, c->opps[req].khz, c->opps[c->floor].khz,
		 (unsigned long long)d->rate_sets, (unsigned long long)d->hook_calls,
		 (unsigned long long)d->hook_errors, (unsigned long long)total,
		 (unsigned long long)(rel / 10), (unsigned long long)(rel % 10),
		 c->has_power && hz ? (long long)(energy / hz) : -1LL);
	log_info("freq %s: ticks_at%s", c->name, line);
}

/* Each online pCPU's busy ticks, all read at about one counter value ("-": idle hidden). */
static void dump_busy(const struct freq_domain *d)
{
	char line[24 * MAX_PCPUS];
	uint64_t now = arch_counter_read();
	size_t n = 0;

	for (unsigned c = 0; c < nr_pcpus; c++) {
		const struct pcpu *p = &pcpus[c];
		const struct pool *pool = __atomic_load_n(&p->sched.pool, __ATOMIC_ACQUIRE);
		uint64_t at;

		if (!(d->cfg->cpus & (1ULL << c)) || !p->online)
			continue;
		if (pool && !pool->trap_wfi)
			n += (size_t)snprintf_td(line + n, sizeof(line) - n, " %u=-", c);
		else
			n += (size_t)snprintf_td(line + n, sizeof(line) - n, " %u=%llu", c,
						 (unsigned long long)freq_pcpu_busy(p, &at));
	}
	log_info("freq %s: busy now=%llu%s", d->cfg->name, (unsigned long long)now, line);
}

/* The clock changes since the previous dump, as at=point-kHz pairs; lost: overwritten ones. */
static void dump_changes(struct freq_domain *d)
{
	struct freq_change log[FREQ_LOG_LEN];
	uint64_t first, end, lost;
	char line[32 * CHANGES_PER_LINE];

	spin_lock(&d->lock);
	end = d->changes;
	first = d->changes_dumped;
	lost = end - first > FREQ_LOG_LEN ? end - first - FREQ_LOG_LEN : 0;
	first += lost;
	for (uint64_t i = first; i < end; i++)
		log[i % FREQ_LOG_LEN] = d->log[i % FREQ_LOG_LEN];
	d->changes_dumped = end;
	spin_unlock(&d->lock);

	if (lost)
		log_info("freq %s: changes lost=%llu", d->cfg->name, (unsigned long long)lost);
	for (uint64_t i = first; i < end;) {
		size_t n = 0;

		for (unsigned k = 0; k < CHANGES_PER_LINE && i < end; k++, i++) {
			const struct freq_change *ch = &log[i % FREQ_LOG_LEN];

			n += (size_t)snprintf_td(line + n, sizeof(line) - n, " %llu=%u",
						 (unsigned long long)ch->at,
						 d->cfg->opps[ch->point].khz);
		}
		log_info("freq %s: changes%s", d->cfg->name, line);
	}
}

void freq_dump(void)
{
	uint64_t hz = arch_counter_freq();

	if (!nr_freq_domains)
		log_info("freq: no frequency domains in the system description");
	for (unsigned i = 0; i < nr_freq_domains; i++) {
		struct freq_domain *d = &freq_domains[i];

		dump_summary(d, hz);
		dump_busy(d);
		dump_changes(d);
	}
}
