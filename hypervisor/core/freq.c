/*
 * The modelled SoC side of the frequency domains (tandem/freq.h): which point each domain's
 * clock runs at, since when, the time at each point and the energy that adds up to. Changes
 * come from the domain's controller (virt/vscmi.c) and reach the board through
 * platform_set_domain_rate().
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/log.h>
#include <tandem/platform_clock.h>
#include <tandem/string.h>
#include <tandem/vm.h>

struct freq_domain freq_domains[CFG_MAX_FREQ_DOMAINS];
unsigned nr_freq_domains;

/*
 * Power at each point: the description's mW if it gives them, else the dynamic power of CMOS
 * logic, proportional to f * V^2, in relative units (MHz * mV^2 / 1000: small enough that an
 * hour of counter ticks times it fits 64 bits).
 */
static void set_power(struct freq_domain *d)
{
	for (uint32_t i = 0; i < d->cfg->nr_opps; i++) {
		const struct cfg_opp *o = &d->cfg->opps[i];
		uint64_t mhz = o->khz / 1000, mv = o->uv / 1000;

		d->power[i] = d->cfg->has_power ? o->mw : mhz * mv * mv / 1000;
	}
}

/* The clock runs at point idx from `at` on (the lock held). */
static void log_change(struct freq_domain *d, uint32_t idx, uint64_t at)
{
	d->log[d->changes % FREQ_LOG_LEN] = (struct freq_change){.at = at, .point = idx};
	d->changes++;
}

/* Moves the clock to point idx (the lock held): the board first, then the books. */
static void set_point(struct freq_domain *d, uint32_t idx, uint64_t now)
{
	int err;

	if (idx == d->cur)
		return;
	d->hook_calls++;
	err = platform_set_domain_rate(d->cfg, d->cfg->opps[idx].khz);
	if (err) {
		d->hook_errors++;
		return;
	}
	d->ticks[d->cur] += now - d->since;
	d->since = now;
	d->cur = idx;
	log_change(d, idx, now);
}

int freq_init(const struct cfg_system *sys)
{
	uint64_t now = arch_counter_read();

	nr_freq_domains = sys->nr_freq_domains;
	for (unsigned i = 0; i < nr_freq_domains; i++) {
		struct freq_domain *d = &freq_domains[i];
		int err;

		memset(d, 0, sizeof(*d));
		d->cfg = &sys->freq_domains[i];
		d->index = i;
		set_power(d);
		/* Until its controller decides, a domain runs as slow as its floor allows: the
		 * safe choice for heat and power on a board whose firmware left it anywhere. */
		d->requested = 0;
		d->cur = d->cfg->floor;
		d->start = d->since = now;
		d->hook_calls++;
		err = platform_set_domain_rate(d->cfg, d->cfg->opps[d->cur].khz);
		if (err) {
			log_error("freq: domain %s: the platform refused %u kHz (%s)", d->cfg->name,
				  d->cfg->opps[d->cur].khz, err_name(err));
			return err;
		}
		log_change(d, d->cur, now);
		for (uint32_t p = 0; p < sys->nr_pools; p++) {
			const struct cfg_pool *pool = &sys->pools[p];

			if (pool->wfi == CFG_WFI_NATIVE && (pool->cpus & d->cfg->cpus) &&
			    !d->cfg->floor)
				log_warn("freq: domain %s: pool %s idles in hardware (wfi = "
					 "\"native\"): "
					 "its load is invisible and left out of the domain's; only "
					 "floor-khz would keep its guest fast",
					 d->cfg->name, pool->name);
		}
		log_info("freq: domain %s: %u points %u-%u kHz, controlled by vm %s, at %u kHz%s",
			 d->cfg->name, d->cfg->nr_opps, d->cfg->opps[0].khz,
			 d->cfg->opps[d->cfg->nr_opps - 1].khz, sys->vms[d->cfg->controller].name,
			 d->cfg->opps[d->cur].khz, d->cfg->floor ? " (its floor)" : "");
	}
	return 0;
}

struct freq_domain *freq_domain_of_vm(const struct vm *vm)
{
	for (unsigned i = 0; i < nr_freq_domains; i++) {
		if (freq_domains[i].cfg->controller == vm->index)
			return &freq_domains[i];
	}
	return NULL;
}

int freq_find_point(const struct freq_domain *d, uint64_t hz)
{
	for (uint32_t i = 0; i < d->cfg->nr_opps; i++) {
		if ((uint64_t)d->cfg->opps[i].khz * 1000 == hz)
			return (int)i;
	}
	return -1;
}

void freq_request(struct freq_domain *d, uint32_t idx)
{
	uint64_t now = arch_counter_read();

	spin_lock(&d->lock);
	d->requested = idx;
	d->rate_sets++;
	/* The floor keeps real-time pCPUs of the domain fast whatever the governor decides. */
	set_point(d, idx > d->cfg->floor ? idx : d->cfg->floor, now);
	spin_unlock(&d->lock);
}

uint32_t freq_requested(struct freq_domain *d)
{
	uint32_t idx;

	spin_lock(&d->lock);
	idx = d->requested;
	spin_unlock(&d->lock);
	return idx;
}

uint32_t freq_time_at_points(struct freq_domain *d, uint64_t now, uint64_t *ticks)
{
	uint32_t cur;

	spin_lock(&d->lock);
	for (uint32_t p = 0; p < d->cfg->nr_opps; p++)
		ticks[p] = d->ticks[p];
	cur = d->cur;
	if (now > d->since)
		ticks[cur] += now - d->since;
	spin_unlock(&d->lock);
	return cur;
}

uint64_t freq_energy(const struct freq_domain *d, const uint64_t *ticks)
{
	uint64_t energy = 0;

	for (uint32_t p = 0; p < d->cfg->nr_opps; p++)
		energy += ticks[p] * d->power[p];
	return energy;
}

uint64_t freq_energy_at_highest(const struct freq_domain *d, const uint64_t *ticks)
{
	uint64_t total = 0;

	for (uint32_t p = 0; p < d->cfg->nr_opps; p++)
		total += ticks[p];
	return total * d->power[d->cfg->nr_opps - 1];
}
