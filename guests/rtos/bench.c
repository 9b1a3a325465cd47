/*
 * The benchmark modes (bench.h): a task on CPU 0 runs the selected measurements in turn and
 * prints one BENCH line each, values in counter ticks (under -icount shift=4 one tick is about
 * one instruction). Each sample is the difference of two reads of the virtual counter with an
 * ISB before each read; "BENCH empty" is that pair with nothing between, the floor of every
 * other figure.
 */
#include "bench.h"
#include "../../hypervisor/include/tandem/abi/debug_hvc.h"
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "mmio.h"
#include "percpu.h"
#include "platform.h"
#include "rtos.h"

#define PRIO_BENCH	 25
#define PRIO_BENCH_ECHO	 29
#define SMCCC_VERSION	 0x80000000U
#define GICD_TYPER	 0x4
#define GICD_ICENABLER	 0x180
#define SGI_BENCH_PING	 3
#define SGI_BENCH_PONG	 4
#define SGI_WAIT_TIMEOUT 100000000ULL /* counter ticks: 1.6 s at 62.5 MHz */

uint64_t rtos_boot_cntpct; /* written by boot.S before any C runs */

static struct bench_config cfg;
static const struct platform *plat;
static unsigned online;
static struct task bench_task, sgi_setup_task;
static uint64_t bench_stack[1024], sgi_setup_stack[512];
static struct semaphore sgi_ready;
static uint32_t samples[BENCH_N_MAX], samples2[BENCH_N_MAX];
static volatile uint64_t ping_stamp, pong_stamp;
static volatile unsigned pong_seen;

static inline uint64_t stamp(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static inline uint64_t hvc0(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x2 __asm__("x2") = 0;
	register uint64_t x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void report(const char *name, uint32_t *v, unsigned n)
{
	struct bench_stats s;

	bench_summarise(v, n, &s);
	kprintf("BENCH %s n=%u min=%u med=%u avg=%lu max=%u unit=ticks\n", name, n, s.min, s.med,
		(unsigned long)s.avg, s.max);
}

static void measure_empty(void)
{
	for (unsigned i = 0; i < cfg.n; i++) {
		uint64_t t0 = stamp();

		samples[i] = clamp32(stamp() - t0);
	}
	report("empty", samples, cfg.n);
}

static void measure_hvc(void)
{
	uint64_t version = hvc0(SMCCC_VERSION);

	for (unsigned i = 0; i < cfg.n; i++) {
		uint64_t t0 = stamp();

		hvc0(SMCCC_VERSION);
		samples[i] = clamp32(stamp() - t0);
	}
	kprintf("BENCH hvc: SMCCC_VERSION returns 0x%lx\n", (unsigned long)version);
	report("hvc", samples, cfg.n);
}

static void measure_mmio(void)
{
	uintptr_t typer = plat->gicd + GICD_TYPER;
	/* The write: masking the last SPI the distributor implements (ITLinesNumber), which
	 * nothing here uses: what a driver does to mask a line, changing nothing. */
	unsigned last = 32 * ((mmio_read32(typer) & 0x1f) + 1) - 1;
	uintptr_t icenabler = plat->gicd + GICD_ICENABLER + 4 * (last / 32);

	for (unsigned i = 0; i < cfg.n; i++) {
		uint64_t t0 = stamp();

		(void)mmio_read32(typer);
		samples[i] = clamp32(stamp() - t0);
	}
	report("mmio", samples, cfg.n);
	for (unsigned i = 0; i < cfg.n; i++) {
		uint64_t t0 = stamp();

		mmio_write32(icenabler, 1U << (last % 32));
		samples[i] = clamp32(stamp() - t0);
	}
	report("mmio-w", samples, cfg.n);
}

static void on_bench_ping(unsigned intid, uint64_t irq_stamp, void *arg)
{
	(void)intid;
	(void)arg;
	ping_stamp = irq_stamp;
	gic->send_sgi(SGI_BENCH_PONG, 0);
}

static void on_bench_pong(unsigned intid, uint64_t irq_stamp, void *arg)
{
	(void)intid;
	(void)arg;
	pong_stamp = irq_stamp;
	pong_seen = 1;
}

/* Runs on the target CPU: SGIs are enabled per CPU. */
static void sgi_setup_main(void *arg)
{
	(void)arg;
	gic->enable(SGI_BENCH_PING, 0);
	sem_give(&sgi_ready);
}

/* Tandem answers TANDEM_HVC_EL2_ENTRIES; elsewhere the call fails (negative) or is unknown. */
int64_t bench_el2_entries(void)
{
	return (int64_t)hvc0(TANDEM_HVC_EL2_ENTRIES);
}

static void measure_sgi(void)
{
	unsigned target = cfg.sgi_cpu, done = 0;
	int64_t e0, e1;

	if (target == 0 || target >= online) {
		kprintf("BENCH sgi skipped: cpu%u is not online (%u CPU(s))\n", target, online);
		return;
	}
	sem_init(&sgi_ready, 0, 1);
	irq_register(SGI_BENCH_PING, on_bench_ping, NULL);
	irq_register(SGI_BENCH_PONG, on_bench_pong, NULL);
	gic->enable(SGI_BENCH_PONG, 0);
	task_create(&sgi_setup_task, "bench-sgi", sgi_setup_main, NULL, PRIO_BENCH_ECHO, target,
		    sgi_setup_stack, sizeof(sgi_setup_stack));
	if (sem_take(&sgi_ready, rtos_us_to_ticks(1000000)) != RTOS_OK) {
		kprintf("BENCH sgi FAIL: cpu%u did not start its part\n", target);
		return;
	}
	e0 = bench_el2_entries();
	for (; done < cfg.n; done++) {
		uint64_t t0;

		pong_seen = 0;
		t0 = rtos_now();
		gic->send_sgi(SGI_BENCH_PING, target);
		/* YIELD, not an empty loop: under -icount QEMU runs its CPUs round robin and
		 * switches on YIELD or WFI, so a bare spin would starve the target CPU. */
		while (!pong_seen && rtos_now() - t0 < SGI_WAIT_TIMEOUT)
			cpu_relax();
		if (!pong_seen) {
			kprintf("BENCH sgi FAIL: no answer from cpu%u after %u round trips\n",
				target, done);
			return;
		}
		samples[done] = clamp32(ping_stamp - t0);
		samples2[done] = clamp32(pong_stamp - t0);
	}
	e1 = bench_el2_entries();
	if (e0 >= 0 && e1 > e0) /* the sender's own entries: its vCPU is the caller */
		kprintf("BENCH sgi el2_entries_cpu0=%ld round_trips=%u\n", (long)(e1 - e0 - 1),
			done);
	report("sgi-delivery", samples, done);
	report("sgi-rtt", samples2, done);
}

static void measure_compute(void)
{
	int64_t e0 = bench_el2_entries(), e1;
	uint64_t t0 = stamp(), t1;
	uint16_t crc = bench_compute(cfg.iters);

	t1 = stamp();
	e1 = bench_el2_entries();
	if (e0 >= 0 && e1 > e0)
		kprintf("BENCH compute iters=%u ticks=%lu el2_entries=%ld crc=0x%x\n", cfg.iters,
			(unsigned long)(t1 - t0), (long)(e1 - e0 - 1), crc);
	else
		kprintf("BENCH compute iters=%u ticks=%lu el2_entries=na crc=0x%x\n", cfg.iters,
			(unsigned long)(t1 - t0), crc);
}

static void bench_main(void *arg)
{
	(void)arg;
	if (cfg.modes & BENCH_BOOT)
		kprintf("BENCH boot first_insn_cntpct=%lu cntfrq=%lu\n",
			(unsigned long)rtos_boot_cntpct, (unsigned long)rtos_freq());
	if (cfg.modes & (BENCH_HVC | BENCH_MMIO))
		measure_empty();
	if (cfg.modes & BENCH_HVC)
		measure_hvc();
	if (cfg.modes & BENCH_MMIO)
		measure_mmio();
	if (cfg.modes & BENCH_SGI)
		measure_sgi();
	if (cfg.modes & BENCH_COMPUTE)
		measure_compute();
	kprintf("BENCH done\n");
}

void bench_start(const struct platform *p, const struct bench_config *c, unsigned nr_cpus)
{
	cfg = *c;
	plat = p;
	online = nr_cpus;
	task_create(&bench_task, "bench", bench_main, NULL, PRIO_BENCH, 0, bench_stack,
		    sizeof(bench_stack));
}
