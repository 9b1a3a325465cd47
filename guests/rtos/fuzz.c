/*
 * fuzz=N fuzz_seed=S [fuzz_rounds=R] [fuzz_reset=1] (or the shell's "fuzz N [S [R [reset]]]"): a
 * seeded trap fuzzer.
 * One task per CPU performs its share of N operations drawn from a xorshift64* stream (seed,
 * round, CPU): HVC and SMC calls, MMIO accesses of every size and form to the emulated devices
 * and to holes, system-register accesses, hidden-feature instructions. Injected aborts and
 * UNDEFs are counted (faults=), never fatal; results that break an architectural rule are
 * reported (mismatch=). A controller prints
 *   FUZZ start round=R seed=S ops=N cpus=C
 *   FUZZ progress cpu=C ops=I/N faults=F          (from each CPU, every eighth of its share)
 *   FUZZ done seed=S ops=N hvc=.. smc=.. mmio=.. sysreg=.. insn=.. faults=.. (..) mismatch=..
 * for each round (seed S, S+1, ...), then "FUZZ finished rounds=R". A watchdog task on every
 * CPU wakes each 2 ms while a round runs (so a CPU_SUSPEND or WFI always ends) and reports
 * another CPU whose fuzzer has not moved for 10 s, with the operation it is stuck in.
 * The fuzzer tasks run below the shell, so the console stays usable meanwhile.
 */
#include "arch.h"
#include "console.h"
#include "fuzz.h"
#include "kstring.h"
#include "percpu.h"
#include "rtos.h"

#define PRIO_WATCHDOG  30
#define PRIO_CONTROL   6
#define PRIO_FUZZ      3
#define STALL_SECONDS  10
#define MISMATCH_SHOWN 8

static struct fuzz_cpu cpus[RTOS_MAX_CPUS];
static const struct platform *plat;
static unsigned nr_online, nr_fuzz;
static uint64_t seed, ops_total;
static unsigned rounds, current_round;
static bool started, busy, reset_last;
static volatile bool running;
static struct semaphore go[RTOS_MAX_CPUS], dog_go[RTOS_MAX_CPUS], done, request;
static struct task fuzz_tasks[RTOS_MAX_CPUS], dog_tasks[RTOS_MAX_CPUS], control_task;
static uint64_t fuzz_stacks[RTOS_MAX_CPUS][1024], dog_stacks[RTOS_MAX_CPUS][512];
static uint64_t control_stack[512];
static unsigned mismatches_shown;

uint64_t fuzz_rand(struct fuzz_rng *r)
{
	uint64_t s = r->s;

	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	r->s = s;
	return s * 0x2545f4914f6cdd1dULL;
}

/* splitmix64: turns (seed, round, cpu) into a well-mixed, non-zero xorshift state. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

void fuzz_count_fault(struct fuzz_cpu *c)
{
	uint64_t esr = fuzz_last_esr();
	unsigned ec = (unsigned)ESR_EC(esr), fsc = (unsigned)(esr & 0x3f);

	c->st.faults++;
	if (ec == 0x25 && fsc == 0x21)
		c->st.align++; /* the RTOS's own MMU: Device memory, unaligned */
	else if (ec == 0x25)
		c->st.dabt++;
	else if (ec == 0x21)
		c->st.iabt++;
	else if (ec == 0x00)
		c->st.undef++;
	else
		c->st.other++;
	if (ec != 0x25 && ec != 0x21 && ec != 0x00 && c->st.other <= 2)
		kprintf("FUZZ cpu=%u: fault ESR=0x%lx (op %s)\n", c->id, (unsigned long)esr,
			c->last.kind ? c->last.kind : "-");
}

void fuzz_mismatch(struct fuzz_cpu *c, const char *what, uint64_t addr, uint64_t got)
{
	c->st.mismatch++;
	if (__atomic_fetch_add(&mismatches_shown, 1, __ATOMIC_RELAXED) < MISMATCH_SHOWN)
		kprintf("FUZZ mismatch cpu=%u op=%lu: %s (0x%lx: 0x%lx)\n", c->id,
			(unsigned long)c->progress, what, (unsigned long)addr, (unsigned long)got);
}

static void one_op(struct fuzz_cpu *c)
{
	unsigned k = fuzz_below(&c->rng, 100);

	if (k < 18)
		fuzz_call_op(c, false);
	else if (k < 30)
		fuzz_call_op(c, true);
	else if (k < 78)
		fuzz_mmio_op(c);
	else if (k < 95)
		fuzz_sysreg_op(c);
	else
		fuzz_insn_op(c);
	c->st.ops++;
}

/*
 * fuzz_reset: halfway through the last round, this CPU asks PSCI SYSTEM_RESET while the others
 * are still busy trapping; the hypervisor must restart the VM from its images all the same.
 */
static void system_reset(struct fuzz_cpu *c, unsigned round, unsigned long op)
{
	uint64_t x[8] = {0x84000009}; /* SYSTEM_RESET */

	kprintf("FUZZ reset: cpu%u calls PSCI SYSTEM_RESET at op %lu of round %u\n", c->id, op,
		round);
	fuzz_smccc(false, 0, x);
	kprintf("FUZZ reset: SYSTEM_RESET returned %ld\n", (long)x[0]);
}

/* One task per CPU, for every round of every run: the controller sets current_round, then go. */
static void fuzz_main(void *arg)
{
	struct fuzz_cpu *c = arg;

	for (;;) {
		unsigned long n, every;
		unsigned round;

		sem_take(&go[c->id], RTOS_FOREVER);
		round = current_round;
		n = ops_total / nr_fuzz + (c->id == 0 ? ops_total % nr_fuzz : 0);
		every = n / 8 ? n / 8 : 1;
		c->rng.s = mix(mix(seed + round) ^ (c->id + 1));
		c->st = (struct fuzz_stats){0};
		c->finished = false;
		for (unsigned long i = 0; i < n; i++) {
			c->progress = i;
			if (reset_last && round + 1 == rounds && c->id + 1 == nr_fuzz && i == n / 2)
				system_reset(c, round, i);
			one_op(c);
			if ((i + 1) % every == 0 && i + 1 < n)
				kprintf("FUZZ progress cpu=%u ops=%lu/%lu faults=%lu\n", c->id,
					i + 1, n, c->st.faults);
		}
		c->progress = n;
		c->finished = true;
		sem_give(&done);
	}
}

/* Wakes every 2 ms (so that a suspended or WFI-ing fuzzer always has a timer to wake it), and
 * reports the next CPU's fuzzer when it has not moved for STALL_SECONDS. */
static void watchdog_main(void *arg)
{
	struct fuzz_cpu *me = arg, *other = &cpus[(me->id + 1) % nr_fuzz];
	uint64_t tick = rtos_us_to_ticks(2000), last_move = rtos_now();
	unsigned long seen = other->progress;
	bool reported = false;

	for (;;) {
		if (!running) {
			sem_take(&dog_go[me->id], RTOS_FOREVER);
			seen = other->progress;
			last_move = rtos_now();
			reported = false;
		}
		task_sleep(tick);
		if (other == me)
			continue;
		if (other->progress != seen || other->finished) {
			seen = other->progress;
			last_move = rtos_now();
			reported = false;
		} else if (!reported && rtos_now() - last_move > STALL_SECONDS * rtos_freq()) {
			struct fuzz_last l = other->last;

			kprintf("FUZZ stall cpu=%u op=%lu kind=%s addr=0x%lx fn=0x%lx size=%u "
				"form=%u\n",
				other->id, seen, l.kind ? l.kind : "-", (unsigned long)l.addr,
				(unsigned long)l.fn, l.size, l.form);
			reported = true;
		}
	}
}

static void run_round(unsigned round)
{
	struct fuzz_stats t = {0};
	uint64_t t0 = rtos_now();

	kprintf("FUZZ start round=%u seed=%lu ops=%lu cpus=%u\n", round,
		(unsigned long)(seed + round), (unsigned long)ops_total, nr_fuzz);
	running = true;
	current_round = round;
	for (unsigned i = 0; i < nr_fuzz; i++) {
		sem_give(&dog_go[i]);
		sem_give(&go[i]);
	}
	for (unsigned i = 0; i < nr_fuzz; i++)
		sem_take(&done, RTOS_FOREVER);
	running = false;
	/* The vCPUs the fuzzer started turned themselves off: they must be off now. */
	fuzz_check_unused_off(&cpus[0], 2 * rtos_freq());
	for (unsigned i = 0; i < nr_fuzz; i++) {
		const struct fuzz_stats *s = &cpus[i].st;

		t.ops += s->ops, t.hvc += s->hvc, t.smc += s->smc, t.mmio += s->mmio;
		t.sysreg += s->sysreg, t.insn += s->insn, t.faults += s->faults;
		t.dabt += s->dabt, t.iabt += s->iabt, t.undef += s->undef;
		t.align += s->align, t.other += s->other, t.mismatch += s->mismatch;
		t.cpu_on += s->cpu_on, t.stale += s->stale;
	}
	kprintf(
	    "FUZZ done seed=%lu ops=%lu hvc=%lu smc=%lu mmio=%lu sysreg=%lu insn=%lu "
	    "faults=%lu dabt=%lu iabt=%lu undef=%lu align=%lu other=%lu mismatch=%lu cpu_on=%lu "
	    "stale=%lu ms=%lu\n",
	    (unsigned long)(seed + round), t.ops, t.hvc, t.smc, t.mmio, t.sysreg, t.insn, t.faults,
	    t.dabt, t.iabt, t.undef, t.align, t.other, t.mismatch, t.cpu_on, t.stale,
	    (unsigned long)(rtos_ticks_to_ns(rtos_now() - t0) / 1000000));
}

static void control_main(void *arg)
{
	(void)arg;
	for (;;) {
		sem_take(&request, RTOS_FOREVER);
		for (unsigned round = 0; round < rounds; round++)
			run_round(round);
		kprintf("FUZZ finished rounds=%u\n", rounds);
		__atomic_store_n(&busy, false, __ATOMIC_RELEASE);
	}
}

/*
 * Starts a run (rounds of ops operations from seed s, then a SYSTEM_RESET halfway through the
 * last round if reset); false if one is still going.
 */
static bool fuzz_request(uint64_t ops, uint64_t s, unsigned r, bool reset)
{
	if (__atomic_exchange_n(&busy, true, __ATOMIC_ACQUIRE))
		return false;
	ops_total = ops;
	seed = s;
	rounds = r ? r : 1;
	reset_last = reset;
	if (!started) {
		started = true;
		if (fuzz_mmio_setup(plat))
			kprintf("FUZZ: some of the fuzzer's mappings failed\n");
		fuzz_calls_setup(plat, plat->dt_cpus, nr_online);
		sem_init(&done, 0, RTOS_MAX_CPUS);
		sem_init(&request, 0, 1);
		for (unsigned i = 0; i < nr_fuzz; i++) {
			cpus[i].id = i;
			sem_init(&go[i], 0, 1);
			sem_init(&dog_go[i], 0, 1);
			task_create(&fuzz_tasks[i], "fuzz", fuzz_main, &cpus[i], PRIO_FUZZ, i,
				    fuzz_stacks[i], sizeof(fuzz_stacks[i]));
			task_create(&dog_tasks[i], "fuzzdog", watchdog_main, &cpus[i],
				    PRIO_WATCHDOG, i, dog_stacks[i], sizeof(dog_stacks[i]));
		}
		task_create(&control_task, "fuzzctl", control_main, NULL, PRIO_CONTROL, 0,
			    control_stack, sizeof(control_stack));
	}
	sem_give(&request);
	return true;
}

void fuzz_init(const struct rtos_config *cfg, const struct platform *p, unsigned nr_cpus)
{
	plat = p;
	nr_online = nr_cpus;
	nr_fuzz = cfg->fuzz_cpus && cfg->fuzz_cpus < nr_cpus ? cfg->fuzz_cpus : nr_cpus;
	if (cfg->fuzz && p->gic_version == 3 && p->nr_gicr)
		fuzz_request(cfg->fuzz, cfg->fuzz_seed, cfg->fuzz_rounds, cfg->fuzz_reset);
	else if (cfg->fuzz)
		kprintf("FUZZ: needs a GICv3\n");
}

static const char *number(const char *s, uint64_t *v)
{
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return NULL;
	for (*v = 0; *s >= '0' && *s <= '9'; s++)
		*v = *v * 10 + (uint64_t)(*s - '0');
	return s;
}

bool fuzz_command(const char *line)
{
	uint64_t n, s = 1, r = 1;
	bool reset = false;
	const char *p;

	if (strncmp(line, "fuzz", 4) != 0 || (line[4] && line[4] != ' '))
		return false;
	p = number(line + 4, &n);
	if (p && *p)
		p = number(p, &s);
	if (p && *p)
		p = number(p, &r);
	if (p && !strcmp(p, " reset"))
		p += 6, reset = true;
	if (!p || *p || !n) {
		kprintf("usage: fuzz OPS [SEED [ROUNDS [reset]]]\n");
	} else if (plat->gic_version != 3 || !plat->nr_gicr) {
		kprintf("FUZZ: needs a GICv3\n");
	} else if (!fuzz_request(n, s, (unsigned)r, reset)) {
		kprintf("FUZZ: busy\n");
	}
	return true;
}
