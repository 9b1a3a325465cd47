/*
 * The SoC side of frequency scaling, modelled: per frequency domain of the system description
 * the operating point its clock runs at, the time spent at each point and an energy estimate.
 * QEMU has no DVFS hardware; a real board's clock is set through platform_set_domain_rate().
 */
#ifndef TANDEM_FREQ_H
#define TANDEM_FREQ_H

#include <tandem/config.h>
#include <tandem/spinlock.h>
#include <tandem/types.h>

struct pcpu;
struct vm;

/* Clock changes a domain remembers for freq_dump() (benchmarks rebuild the timeline from them). */
#define FREQ_LOG_LEN 64

/* One change of a domain's clock: when it took effect and the point it went to. */
struct freq_change {
	uint64_t at;
	uint32_t point;
};

struct freq_domain {
	const struct cfg_freq_domain *cfg;
	unsigned index;
	spinlock_t lock;	      /* everything below; a leaf lock */
	uint32_t requested;	      /* point the controller last set (what RATE_GET reports) */
	uint32_t cur;		      /* point the clock runs at: max(requested, floor) */
	uint64_t since;		      /* counter value when cur took effect */
	uint64_t start;		      /* counter value at freq_init() */
	uint64_t ticks[CFG_MAX_OPPS]; /* time at each point before `since` */
	uint64_t power[CFG_MAX_OPPS]; /* mW, or f*V^2 in relative units without power-mw */
	uint64_t rate_sets;	      /* requests accepted from the controller */
	uint64_t hook_calls;	      /* platform_set_domain_rate() calls (clock changes) */
	uint64_t hook_errors;	      /* of which refused by the platform */
	struct freq_change log[FREQ_LOG_LEN]; /* the last changes: change n in log[n % LEN] */
	uint64_t changes;	 /* changes since freq_init(), the initial point the first */
	uint64_t changes_dumped; /* freq_dump() has printed the log up to here */
	spinlock_t load_lock;	 /* TANDEM_HC_DOMAIN_LOAD samples, one at a time */
	uint64_t load_samples;	 /* samples taken by the controller */
	uint64_t last_load;	 /* the last one's busiest pCPU, per mille */
};

/* A sample of a domain's load over the window since the previous one (core/freq_load.c). */
struct freq_load {
	uint64_t max_permille;	/* the busiest pCPU's (elapsed - idle) / elapsed */
	uint64_t mean_permille; /* over the pCPUs whose load is visible */
	uint64_t window;	/* counter ticks since the previous sample */
	uint64_t hidden;	/* pCPUs left out: bind pools with wfi = "native" hide their idle */
};

extern struct freq_domain freq_domains[CFG_MAX_FREQ_DOMAINS];
extern unsigned nr_freq_domains;

/* Sets every domain of sys to its lowest point (or its floor) through the platform hook. */
int freq_init(const struct cfg_system *sys);
/* The domain vm controls, or NULL. */
struct freq_domain *freq_domain_of_vm(const struct vm *vm);
/* Index of the point running at exactly hz, or -1. */
int freq_find_point(const struct freq_domain *d, uint64_t hz);
/* The controller asks for point idx (valid): the clock moves to max(idx, floor). */
void freq_request(struct freq_domain *d, uint32_t idx);
/* The point last requested (the floor does not show: the guest sees its own choice). */
uint32_t freq_requested(struct freq_domain *d);
/* d's time at each point (ticks[nr_opps]) up to now, and its current point, consistently. */
uint32_t freq_time_at_points(struct freq_domain *d, uint64_t now, uint64_t *ticks);
/* Energy of that time: sum of ticks * power, in power units times counter ticks. */
uint64_t freq_energy(const struct freq_domain *d, const uint64_t *ticks);
/* The same time all spent at the fastest point, in the same units. */
uint64_t freq_energy_at_highest(const struct freq_domain *d, const uint64_t *ticks);
/* Busy ticks of pCPU p since its accounting started, up to *now (which it reads). */
uint64_t freq_pcpu_busy(const struct pcpu *p, uint64_t *now);
/* Samples d's load since the previous sample (the first: since boot) and starts a new window. */
void freq_domain_load(struct freq_domain *d, struct freq_load *out);
/*
 * Console Ctrl-A f (core/freq_dump.c): per domain its `tandem: freq NAME: ...` summary, the time
 * at each point, each pCPU's busy ticks and the clock changes since the previous dump.
 */
void freq_dump(void);

#endif
