/*
 * The latency benchmark. A periodic task at lat_hz records, per release, the delay from the
 * programmed deadline (the timer's compare value) to (a) the first instructions of the timer
 * interrupt (exceptions.S stamps the counter there) and (b) the task running again. Every lat_n
 * samples the batch goes, by message queue, to a low-priority reporter that sorts it and prints
 * one LAT line; two batches alternate so the measuring task never formats or prints. With
 * lat_hist=on a LATHIST line per kind (irq, task) precedes each LAT line: the batch's log-linear
 * histogram in ticks (bench_histogram), for the benchmark harness's plots. With lat_el2=on
 * (under Tandem only) each batch also counts the vCPU's EL2 entries over its window (Tandem's
 * debug call before and after), and only every second batch is printed, so that a printed
 * batch's window holds no console output (each character is an emulated UART write, an EL2
 * entry): its el2_entries is what the interrupts themselves cost.
 */
#include "app.h"
#include "arch.h"
#include "bench.h"
#include "console.h"
#include "rtos.h"

#define LAT_MAX_N    10000
#define PRIO_BENCH   30
#define PRIO_REPORT  2
#define LAT_HIST_MAX 96 /* buckets per LATHIST line: 12 octaves at 8 per octave */

struct lat_batch {
	unsigned n;
	unsigned missed; /* releases without a sample: the task was late for them */
	int64_t el2;	 /* lat_el2=on: EL2 entries over the batch's window */
	uint32_t irq[LAT_MAX_N];
	uint32_t task[LAT_MAX_N];
};

struct lat_stats {
	uint64_t min, max, p99, sum;
};

static struct lat_batch batches[2];
static struct lat_batch *full_buf[2], *free_buf[2];
static struct msgq full_q, free_q;
static struct task bench_task, report_task;
static uint64_t bench_stack[1024], report_stack[1024];
static const struct rtos_config *cfg;
static unsigned lat_n; /* cfg->lat_n, capped at LAT_MAX_N */

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void bench_main(void *arg)
{
	uint64_t period = rtos_freq() / cfg->lat_hz;
	struct lat_batch *b;

	(void)arg;
	msgq_receive(&free_q, &b, RTOS_FOREVER);
	task_set_period(period ? period : 1);
	if (cfg->lat_el2)
		b->el2 = bench_el2_entries();
	for (;;) {
		struct period_info pi;
		int r = task_wait_period(&pi);
		uint64_t now = rtos_now();

		b->missed += pi.overruns;
		if (r != RTOS_OK || !pi.irq_stamp) {
			b->missed++; /* released late: no interrupt to measure */
			continue;
		}
		b->irq[b->n] = clamp32(pi.irq_stamp > pi.release ? pi.irq_stamp - pi.release : 0);
		b->task[b->n] = clamp32(now - pi.release);
		if (++b->n < lat_n)
			continue;
		if (cfg->lat_el2) /* minus this call's own entry */
			b->el2 = bench_el2_entries() - b->el2 - 1;
		msgq_send(&full_q, &b, RTOS_NO_WAIT); /* never full: only two batches exist */
		msgq_receive(&free_q, &b, RTOS_FOREVER);
		if (cfg->lat_el2)
			b->el2 = bench_el2_entries();
	}
}

static void sift_down(uint32_t *a, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		uint32_t t;

		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
	}
}

/* Heapsort: O(n log n) with no extra memory, on the reporter's time. */
static void sort(uint32_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

static void stats(uint32_t *v, unsigned n, struct lat_stats *s)
{
	sort(v, n);
	s->min = v[0];
	s->max = v[n - 1];
	s->p99 = v[(n * 99 + 99) / 100 - 1]; /* the ceil(0.99 n)-th smallest */
	s->sum = 0;
	for (unsigned i = 0; i < n; i++)
		s->sum += v[i];
}

static unsigned long ns(uint64_t ticks)
{
	return (unsigned long)rtos_ticks_to_ns(ticks);
}

/* "LATHIST irq unit=ticks n=1000 704+64:12 768+64:981 ... end": lo+width:count per non-empty
 * bucket, ascending; " end" lets a reader join a line that a console split. */
static void print_hist(const char *kind, const uint32_t *sorted, unsigned n)
{
	static struct bench_hist_bucket buckets[LAT_HIST_MAX];
	static char
	    line[64 + LAT_HIST_MAX * 36]; /* built whole: one console write, never interleaved */
	unsigned nr = bench_histogram(sorted, n, buckets, LAT_HIST_MAX);
	size_t len = (size_t)snprintf_td(line, sizeof(line), "LATHIST %s unit=ticks n=%u", kind, n);

	for (unsigned i = 0; i < nr && i < LAT_HIST_MAX; i++)
		len += (size_t)snprintf_td(line + len, sizeof(line) - len, " %u+%u:%u",
					   buckets[i].lo, buckets[i].width, buckets[i].count);
	if (nr > LAT_HIST_MAX)
		len += (size_t)snprintf_td(line + len, sizeof(line) - len, " dropped=%u",
					   nr - LAT_HIST_MAX);
	len += (size_t)snprintf_td(line + len, sizeof(line) - len, " end\n");
	console_write(line, len);
}

static void report_main(void *arg)
{
	unsigned lines = 0, seen = 0;

	(void)arg;
	for (;;) {
		struct lat_batch *b;
		struct lat_stats i, t;
		unsigned n;

		msgq_receive(&full_q, &b, RTOS_FOREVER);
		n = b->n;
		if (cfg->lat_el2 && (seen++ & 1) == 0) {
			b->n = 0; /* silent: the next batch's window has no output in it */
			b->missed = 0;
			msgq_send(&free_q, &b, RTOS_FOREVER);
			continue;
		}
		if (!n) { /* never sent empty; a guard for the divisions below */
			msgq_send(&free_q, &b, RTOS_FOREVER);
			continue;
		}
		stats(b->irq, n, &i);
		stats(b->task, n, &t);
		if (cfg->lat_hist) {
			print_hist("irq", b->irq, n);
			print_hist("task", b->task, n);
		}
		kprintf("LAT irq min=%lu avg=%lu max=%lu p99=%lu task min=%lu avg=%lu max=%lu "
			"p99=%lu n=%u unit=ns ticks irq_min=%lu irq_avg=%lu irq_max=%lu "
			"task_min=%lu task_max=%lu",
			ns(i.min), ns(i.sum) / n, ns(i.max), ns(i.p99), ns(t.min), ns(t.sum) / n,
			ns(t.max), ns(t.p99), n, (unsigned long)i.min, (unsigned long)(i.sum / n),
			(unsigned long)i.max, (unsigned long)t.min, (unsigned long)t.max);
		if (cfg->lat_el2)
			kprintf(" el2_entries=%ld", (long)b->el2);
		kprintf("\n");
		if (b->missed)
			kprintf("RTOS: lat: %u releases missed in that batch\n", b->missed);
		b->n = 0;
		b->missed = 0;
		msgq_send(&free_q, &b, RTOS_FOREVER);
		if (cfg->test_reset_after && ++lines >= cfg->test_reset_after) {
			kprintf("RTOS: test_reset_after=%u reached: PSCI SYSTEM_RESET\n", lines);
			psci_system_reset();
			kprintf("RTOS: SYSTEM_RESET returned\n");
		}
	}
}

void latency_start(const struct rtos_config *c, unsigned nr_cpus)
{
	unsigned cpu = c->lat_cpu < nr_cpus ? c->lat_cpu : 0;
	struct lat_batch *b;

	cfg = c;
	lat_n = c->lat_n;
	if (lat_n > LAT_MAX_N) {
		kprintf("RTOS: lat_n=%u capped at %u\n", lat_n, LAT_MAX_N);
		lat_n = LAT_MAX_N;
	}
	msgq_init(&full_q, full_buf, sizeof(struct lat_batch *), 2);
	msgq_init(&free_q, free_buf, sizeof(struct lat_batch *), 2);
	for (unsigned i = 0; i < 2; i++) {
		b = &batches[i];
		msgq_send(&free_q, &b, RTOS_NO_WAIT);
	}
	kprintf(
	    "RTOS: latency benchmark on cpu%u: %u Hz, %u samples per LAT line, counter %lu Hz\n",
	    cpu, c->lat_hz, lat_n, (unsigned long)rtos_freq());
	task_create(&report_task, "lat-report", report_main, NULL, PRIO_REPORT, cpu, report_stack,
		    sizeof(report_stack));
	task_create(&bench_task, "lat-bench", bench_main, NULL, PRIO_BENCH, cpu, bench_stack,
		    sizeof(bench_stack));
}
