/* clang-format off */ /* unit-sources: hypervisor/core/freq.c hypervisor/core/freq_load.c hypervisor/core/freq_dump.c hypervisor/core/pcpu_time.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_platform_clock.c */
/* clang-format on */
/*
 * The modelled SoC side of frequency scaling (issue 14), over the real sources: core/freq.c
 * (the point each domain runs at, max(request, floor); the platform hook called once per
 * change, its refusal leaving the books alone; the time at each point; the energy model; the
 * change log), core/freq_load.c (the paper's load, (elapsed - idle) / elapsed per pCPU over
 * the controller's window, busiest and mean, pCPUs that hide their idle left out) and
 * core/freq_dump.c (what Ctrl-A f prints, which tools/bench/cpufreq.py parses). The clock
 * hook is the shared recording fake; time is the fake arch's counter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <arch/fake.h>
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

enum { SOC, LITTLE }; /* the two domains of every test */

static struct cfg_system sys;
static struct pool trapping = {.name = "pool0", .trap_wfi = true};
static struct pool native = {.name = "rt", .trap_wfi = false};

static void points(struct cfg_freq_domain *d, const uint32_t *khz, const uint32_t *mv,
		   const uint32_t *mw, unsigned n)
{
	d->nr_opps = n;
	for (unsigned i = 0; i < n; i++)
		d->opps[i] =
		    (struct cfg_opp){.khz = khz[i], .uv = mv[i] * 1000, .mw = mw ? mw[i] : 0};
	d->has_power = mw != NULL;
}

static int setup(void **state)
{
	static const uint32_t khz[] = {400000, 800000, 1200000, 1600000};
	static const uint32_t mv[] = {800, 900, 1000, 1100};
	static const uint32_t mw[] = {120, 300, 600, 1100};
	struct cfg_freq_domain *soc = &sys.freq_domains[SOC], *little = &sys.freq_domains[LITTLE];

	fake_reset();
	fake_calls_reset();
	fake_arch.printk_quiet = true;
	fake_arch.counter = 1000;
	fake_arch.counter_step = 0;
	memset(&sys, 0, sizeof(sys));
	sys.nr_vms = 2;
	strcpy(sys.vms[0].name, "linux");
	strcpy(sys.vms[1].name, "rtos");
	sys.nr_freq_domains = 2;
	strcpy(soc->name, "soc");
	soc->cpus = 0x7; /* pCPUs 0-2 */
	points(soc, khz, mv, mw, 4);
	strcpy(little->name, "little");
	little->cpus = 0x10; /* pCPU 4 */
	little->controller = 1;
	little->floor = 1;
	points(little, khz, mv, NULL, 3);

	memset(pcpus, 0, sizeof(pcpus));
	nr_pcpus = 5;
	for (unsigned c = 0; c < nr_pcpus; c++) {
		pcpus[c].index = c;
		pcpus[c].online = true;
		pcpus[c].sched.pool = &trapping;
	}
	assert_int_equal(freq_init(&sys), 0);
	return 0;
}

static struct freq_domain *const soc = &freq_domains[SOC];
static struct freq_domain *const little = &freq_domains[LITTLE];

static void at(uint64_t tick)
{
	fake_arch.counter = tick;
}

/* A boot: every domain at its floor (else its lowest point), through the hook, logged. */
static void test_init_starts_at_the_floor(void **state)
{
	assert_int_equal(nr_freq_domains, 2);
	assert_int_equal(soc->cur, 0);
	assert_int_equal(little->cur, 1);
	assert_int_equal(freq_requested(little), 0);
	assert_int_equal(fake_count("platform_set_domain_rate"), 2);
	assert_ptr_equal(fake_calls.call[0].obj, &sys.freq_domains[SOC]);
	assert_int_equal(fake_calls.call[0].arg[0], 400000);
	assert_ptr_equal(fake_calls.call[1].obj, &sys.freq_domains[LITTLE]);
	assert_int_equal(fake_calls.call[1].arg[0], 800000);
	assert_int_equal(soc->changes, 1);
	assert_int_equal(soc->log[0].at, 1000);
	assert_int_equal(soc->log[0].point, 0);
	assert_int_equal(little->log[0].point, 1);
	assert_true(fake_printk_contains("freq: domain little: 3 points 400000-1200000 kHz, "
					 "controlled by vm rtos, at 800000 kHz (its floor)"));
}

static void test_init_refused_by_the_platform(void **state)
{
	fake_knobs.clock_err = -ERR_BUSY;
	assert_int_equal(freq_init(&sys), -ERR_BUSY);
	assert_true(fake_printk_contains("freq: domain soc: the platform refused 400000 kHz"));
}

/* A native-WFI pool in a domain without a floor: its load is invisible, and boot says so. */
static void test_init_warns_of_a_hidden_pool(void **state)
{
	sys.nr_pools = 1;
	strcpy(sys.pools[0].name, "rt");
	sys.pools[0].cpus = 0x4;
	sys.pools[0].wfi = CFG_WFI_NATIVE;
	assert_int_equal(freq_init(&sys), 0);
	assert_true(fake_printk_contains("freq: domain soc: pool rt idles in hardware"));
	sys.freq_domains[SOC].floor = 1; /* a floor keeps its guest fast: no warning */
	fake_reset();
	fake_arch.printk_quiet = true;
	assert_int_equal(freq_init(&sys), 0);
	assert_false(fake_printk_contains("idles in hardware"));
}

static void test_lookups(void **state)
{
	struct vm linux_vm = {.index = 0}, rtos_vm = {.index = 1}, other = {.index = 2};

	assert_ptr_equal(freq_domain_of_vm(&linux_vm), soc);
	assert_ptr_equal(freq_domain_of_vm(&rtos_vm), little);
	assert_null(freq_domain_of_vm(&other));
	assert_int_equal(freq_find_point(soc, 1200000000ULL), 2);
	assert_int_equal(freq_find_point(soc, 400000000ULL), 0);
	assert_int_equal(freq_find_point(soc, 1200000001ULL), -1);
	assert_int_equal(freq_find_point(little, 1600000000ULL), -1); /* not one of its 3 */
}

/* The clock runs at max(request, floor); the guest reads back its own request. */
static void test_request_and_floor(void **state)
{
	fake_calls_reset();
	freq_request(little, 0); /* below the floor: the clock stays */
	assert_int_equal(freq_requested(little), 0);
	assert_int_equal(little->cur, 1);
	assert_int_equal(fake_count("platform_set_domain_rate"), 0);
	freq_request(little, 2);
	assert_int_equal(little->cur, 2);
	assert_int_equal(fake_count("platform_set_domain_rate"), 1);
	assert_int_equal(fake_last("platform_set_domain_rate")->arg[0], 1200000);
	freq_request(little, 2); /* already there: no hook call, still an accepted request */
	assert_int_equal(fake_count("platform_set_domain_rate"), 1);
	assert_int_equal(little->rate_sets, 3);
	assert_int_equal(little->hook_calls, 2); /* freq_init's and one change */
}

/* A refused change moves neither the clock nor its books; the request is remembered. */
static void test_refused_change_keeps_the_books(void **state)
{
	uint64_t ticks[CFG_MAX_OPPS];

	at(3000);
	fake_knobs.clock_err = -ERR_BUSY;
	freq_request(soc, 3);
	assert_int_equal(soc->cur, 0);
	assert_int_equal(soc->hook_errors, 1);
	assert_int_equal(freq_requested(soc), 3);
	assert_int_equal(soc->changes, 1);
	assert_int_equal(freq_time_at_points(soc, 5000, ticks), 0);
	assert_int_equal(ticks[0], 4000);
	assert_int_equal(ticks[3], 0);
}

/* Time at each point adds up to the time since boot; energy is time * power per point. */
static void test_time_at_points_and_energy(void **state)
{
	uint64_t ticks[CFG_MAX_OPPS];

	at(1500);
	freq_request(soc, 3);
	at(2100);
	freq_request(soc, 1);
	assert_int_equal(freq_time_at_points(soc, 2600, ticks), 1);
	assert_int_equal(ticks[0], 500);
	assert_int_equal(ticks[1], 500);
	assert_int_equal(ticks[2], 0);
	assert_int_equal(ticks[3], 600);
	assert_int_equal(freq_energy(soc, ticks), 500 * 120 + 500 * 300 + 600 * 1100);
	assert_int_equal(freq_energy_at_highest(soc, ticks), 1600 * 1100);
	/* A reading from before the last change counts nothing past it. */
	assert_int_equal(freq_time_at_points(soc, 2100, ticks), 1);
	assert_int_equal(ticks[1], 0);
	/* Without power-mw: f * V^2 (MHz * mV^2 / 1000), 400 MHz at 800 mV and 800 at 900. */
	assert_int_equal(little->power[0], 400ULL * 800 * 800 / 1000);
	assert_int_equal(little->power[1], 800ULL * 900 * 900 / 1000);
	assert_int_equal(soc->power[2], 600);
}

/* Ctrl-A f: the summary, the time at each point, the busy figures and the new changes. */
static void test_dump(void **state)
{
	at(1500);
	freq_request(soc, 3);
	at(2000);
	freq_request(soc, 2);
	pcpus[0].time = (struct pcpu_time){.start = 0, .last = 2000, .idle = 500, .idling = true};
	pcpus[1].online = false;
	pcpus[2].time = (struct pcpu_time){.start = 0, .last = 1000, .idle = 0};
	fake_reset();
	fake_arch.printk_quiet = true;
	at(2500);
	freq_dump();
	assert_true(
	    fake_printk_contains("tandem: freq soc: cpus=0-2 cur_khz=1200000 "
				 "req_khz=1200000 floor_khz=400000 rate_sets=2 hook_calls=3 "
				 "hook_errors=0 elapsed=1500 energy_rel="));
	assert_true(fake_printk_contains(
	    "tandem: freq soc: ticks_at 400000=500 800000=0 1200000=500 1600000=500\n"));
	/* pCPU 2 has run its guest since its last edge: busy up to now. */
	assert_true(fake_printk_contains("tandem: freq soc: busy now=2500 0=1500 2=2500\n"));
	assert_true(fake_printk_contains("tandem: freq soc: changes 1000=400000 1500=1600000 "
					 "2000=1200000\n"));
	assert_true(fake_printk_contains("tandem: freq little: cpus=4 cur_khz=800000 "
					 "req_khz=400000 floor_khz=800000"));
	assert_true(fake_printk_contains("energy_mj=-1")); /* little: no power-mw */
	/* energy 500 * (120 + 1100 + 600) against 1500 * 1100: 55.1 % */
	assert_true(fake_printk_contains("energy_rel=55.1% energy_mj=0"));
	fake_reset();
	fake_arch.printk_quiet = true;
	pcpus[2].sched.pool = &native; /* its idle is hidden: no figure */
	at(2500);
	freq_dump();
	assert_false(fake_printk_contains("changes")); /* printed already */
	assert_true(fake_printk_contains("tandem: freq soc: busy now=2500 0=1500 2=-\n"));
}

/* More changes between two dumps than the log holds: the oldest are counted as lost. */
static void test_change_log_wraps(void **state)
{
	char want[64];

	for (unsigned i = 1; i <= FREQ_LOG_LEN + 6; i++) {
		at(1000 + 10 * i);
		freq_request(soc, i % 2 ? 3 : 0);
	}
	assert_int_equal(soc->changes, FREQ_LOG_LEN + 7);
	fake_reset();
	fake_arch.printk_quiet = true;
	freq_dump();
	assert_true(fake_printk_contains("tandem: freq soc: changes lost=7\n"));
	/* The oldest kept is change 7, made at 1070 to the highest point. */
	assert_true(fake_printk_contains("tandem: freq soc: changes 1070=1600000 1080=400000 "));
	snprintf(want, sizeof(want), " %u=400000\n", 1000 + 10 * (FREQ_LOG_LEN + 6));
	assert_true(fake_printk_contains(want));
	assert_int_equal(soc->changes_dumped, soc->changes);
}

/*
 * The load over the controller's windows: per pCPU (elapsed - idle) / elapsed, the first
 * window from the accounting's start; the busiest and the mean; offline pCPUs and pCPUs
 * outside the domain left out. The windows live in freq_load.c: this test alone samples soc.
 */
static void test_domain_load(void **state)
{
	struct freq_load l;

	pcpus[0].time = (struct pcpu_time){.start = 0, .last = 1000, .idle = 250, .idling = true};
	pcpus[1].online = false;
	/* pCPU 2 entered its guest at 400 and computes on: no edge since. */
	pcpus[2].time = (struct pcpu_time){.start = 0, .last = 400, .idle = 0};
	pcpus[3].time = (struct pcpu_time){.start = 0, .last = 1000, .idle = 1000, .idling = true};
	at(1000);
	freq_domain_load(soc, &l);
	assert_int_equal(l.max_permille, 1000);
	assert_int_equal(l.mean_permille, (750 + 1000) / 2);
	assert_int_equal(l.window, 1000);
	assert_int_equal(l.hidden, 0);
	assert_int_equal(soc->load_samples, 1);
	assert_int_equal(soc->last_load, 1000);

	/* Next window, 1000-3000: pCPU 0 idled throughout, pCPU 2 ran to 1200 and then idled. */
	pcpus[0].time = (struct pcpu_time){.start = 0, .last = 3000, .idle = 2250, .idling = true};
	pcpus[2].time = (struct pcpu_time){.start = 0, .last = 1200, .idle = 0, .idling = true};
	at(3000);
	freq_domain_load(soc, &l);
	assert_int_equal(l.max_permille, 100);
	assert_int_equal(l.mean_permille, 50);
	assert_int_equal(l.window, 2000);

	/* pCPU 1 back online, its first window from its accounting's start; pCPU 2 hidden. */
	pcpus[1].online = true;
	pcpus[1].time = (struct pcpu_time){.start = 2000, .last = 4000, .idle = 1000};
	pcpus[2].sched.pool = &native;
	at(4000);
	freq_domain_load(soc, &l);
	assert_int_equal(l.hidden, 1ULL << 2);
	assert_int_equal(l.max_permille, 500); /* pCPU 1: 1000 busy of 2000 */
	assert_int_equal(l.mean_permille, 250);
	assert_int_equal(l.window, 2000);
}

/* A window with no time gone by reads as idle, not as a division by zero. */
static void test_domain_load_empty_window(void **state)
{
	struct freq_load l;

	pcpus[4].time = (struct pcpu_time){.start = 5000, .last = 5000};
	at(5000);
	freq_domain_load(little, &l);
	assert_int_equal(l.max_permille, 0);
	assert_int_equal(l.window, 0);
	pcpus[4].time = (struct pcpu_time){.start = 5000, .last = 6000, .idle = 100};
	at(6000);
	freq_domain_load(little, &l);
	assert_int_equal(l.max_permille, 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_init_starts_at_the_floor, setup),
	    cmocka_unit_test_setup(test_init_refused_by_the_platform, setup),
	    cmocka_unit_test_setup(test_init_warns_of_a_hidden_pool, setup),
	    cmocka_unit_test_setup(test_lookups, setup),
	    cmocka_unit_test_setup(test_request_and_floor, setup),
	    cmocka_unit_test_setup(test_refused_change_keeps_the_books, setup),
	    cmocka_unit_test_setup(test_time_at_points_and_energy, setup),
	    cmocka_unit_test_setup(test_dump, setup),
	    cmocka_unit_test_setup(test_change_log_wraps, setup),
	    cmocka_unit_test_setup(test_domain_load, setup),
	    cmocka_unit_test_setup(test_domain_load_empty_window, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
