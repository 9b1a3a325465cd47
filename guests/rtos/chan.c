/*
 * `chan`: the RTOS's view of its Tandem channels (hypervisor/include/tandem/abi/channel.h), for
 * tests/integration/test_channel.py. Set up on first use (a channel another service owns is left
 * alone until then): each window mapped, each doorbell's handler counting what arrives and
 * noting every change of the peer's link word it sees.
 *   chan               CHAN <i> id= side= peer= label= base= size= irq= magic= link=own/peer rx=
 *   chan write I SEED  a pattern from SEED over the payload         CHAN write i= seed= bytes=
 *   chan read I        checks the payload against its pattern       CHAN read i= seed= ok= bad=
 *   chan ring I [N]    N doorbells to the peer                      CHAN ring i= n= ok= status=
 *   chan storm I MS    doorbells back to back for MS ms             CHAN storm i= n= ok= ms=
 *   chan events I      the peer's link words seen at doorbells      CHAN events i= peer=w,w,...
 *   chan watch I MS    polls the peer's link word until its generation changes and it is up
 *                      (or MS ms): every value it took               CHAN watch i= peer=w,w,... ms=
 *   chan bench I N     median counter ticks of N doorbells (spaced below the rate limit), N null
 *                      hypercalls and N emulated MMIO reads (GICD_TYPER), minus an empty pair
 *                      of counter reads              CHAN bench i= n= notify= hvc= mmio= empty=
 */
#include "../../hypervisor/include/tandem/abi/channel.h"
#include "../../hypervisor/include/tandem/abi/hypercall.h"
#include "app.h"
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "kstring.h"
#include "platform.h"
#include "sysreg.h"
#include <common/smccc_call.h>

#define MAX_EVENTS    16
#define BENCH_MAX     256
#define SMCCC_VERSION 0x80000000U /* the null hypercall of docs/benchmarks.md */
#define GICD_TYPER    0x4
#define USAGE                                                                                      \
	"CHAN usage: chan [write I SEED | read I | ring I [N] | storm I MS | events I | watch I "  \
	"MS | bench I N]"

struct chan_state {
	volatile uint64_t rx;	     /* doorbells taken */
	volatile uint32_t last_peer; /* the peer's link word at the last doorbell */
	volatile unsigned nr_events; /* changes of it seen, oldest first */
	volatile uint32_t events[MAX_EVENTS];
};

static const struct platform *plat;
static bool ready;
static struct chan_state state[PLAT_MAX_CHANNELS];

void chan_setup(const struct platform *p)
{
	plat = p;
}

static volatile struct tandem_channel_header *header(unsigned i)
{
	return (volatile struct tandem_channel_header *)(uintptr_t)plat->channel[i].base;
}

static void note_peer_link(unsigned i)
{
	struct chan_state *s = &state[i];
	uint32_t w = header(i)->link[1 - plat->channel[i].side];

	if (w != s->last_peer && s->nr_events < MAX_EVENTS)
		s->events[s->nr_events++] = w;
	s->last_peer = w;
}

static void doorbell(unsigned intid, uint64_t stamp, void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	(void)intid;
	(void)stamp;
	state[i].rx++;
	dmb(ishld); /* the header as the peer's side left it when it rang */
	note_peer_link(i);
}

static bool setup_once(void)
{
	if (ready)
		return true;
	if (!plat) {
		kprintf("CHAN not set up\n");
		return false;
	}
	for (unsigned i = 0; i < plat->nr_channels; i++) {
		const struct plat_channel *c = &plat->channel[i];

		if (mmu_map_shared(c->base, c->size)) {
			kprintf("CHAN %u: cannot map 0x%lx+0x%lx\n", i, (unsigned long)c->base,
				(unsigned long)c->size);
			return false;
		}
		state[i].last_peer = header(i)->link[1 - c->side];
		state[i].events[0] = state[i].last_peer;
		state[i].nr_events = 1;
		irq_register(c->irq, doorbell, (void *)(uintptr_t)i);
		gic->enable(c->irq, 0);
	}
	ready = true;
	return true;
}

static uint64_t number(const char *s, bool *ok)
{
	uint64_t v = 0;

	if (!*s)
		*ok = false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			*ok = false;
			return 0;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static void list(void)
{
	for (unsigned i = 0; i < plat->nr_channels; i++) {
		const struct plat_channel *c = &plat->channel[i];
		volatile struct tandem_channel_header *h = header(i);

		kprintf("CHAN %u id=%u side=%u peer=%s label=%s base=0x%lx size=0x%lx irq=%u "
			"magic=%s version=%u link=%x/%x rx=%lu\n",
			i, c->id, c->side, c->peer, c->label, (unsigned long)c->base,
			(unsigned long)c->size, c->irq,
			h->magic == TANDEM_CHANNEL_MAGIC && h->size == c->size &&
				h->payload_offset == TANDEM_CHANNEL_HEADER_SIZE
			    ? "ok"
			    : "bad",
			(unsigned)h->version, (unsigned)h->link[c->side],
			(unsigned)h->link[1 - c->side], (unsigned long)state[i].rx);
	}
	if (!plat->nr_channels)
		kprintf("CHAN none\n");
}

static uint8_t pattern(uint32_t seed, uint64_t k)
{
	return (uint8_t)(seed * 31 + k * 7 + (k >> 8));
}

/* payload: the seed (4 bytes), then pattern bytes up to the end of the region */
static void write_pattern(unsigned i, uint32_t seed)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)plat->channel[i].base;
	uint64_t n = plat->channel[i].size - TANDEM_CHANNEL_HEADER_SIZE - 4;

	for (uint64_t k = 0; k < n; k++)
		p[TANDEM_CHANNEL_HEADER_SIZE + 4 + k] = pattern(seed, k);
	dmb(ish); /* the pattern before the seed that announces it */
	*(volatile uint32_t *)(p + TANDEM_CHANNEL_HEADER_SIZE) = seed;
	kprintf("CHAN write i=%u seed=%u bytes=%lu\n", i, (unsigned)seed, (unsigned long)n);
}

static void read_pattern(unsigned i)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)plat->channel[i].base;
	uint64_t n = plat->channel[i].size - TANDEM_CHANNEL_HEADER_SIZE - 4, bad = 0;
	uint32_t seed = *(volatile uint32_t *)(p + TANDEM_CHANNEL_HEADER_SIZE);

	dmb(ishld);
	for (uint64_t k = 0; k < n; k++)
		bad += p[TANDEM_CHANNEL_HEADER_SIZE + 4 + k] != pattern(seed, k);
	kprintf("CHAN read i=%u seed=%u ok=%u bad=%lu\n", i, (unsigned)seed, bad == 0,
		(unsigned long)bad);
}

static int64_t ring(unsigned i)
{
	return smccc_call(true, TANDEM_HC_CHANNEL_NOTIFY, plat->channel[i].id, 0, 0);
}

static void ring_n(unsigned i, uint64_t n)
{
	uint64_t ok = 0;
	int64_t status = 0;

	for (uint64_t k = 0; k < n; k++) {
		status = ring(i);
		ok += status == TANDEM_OK;
	}
	kprintf("CHAN ring i=%u n=%lu ok=%lu status=%ld\n", i, (unsigned long)n, (unsigned long)ok,
		(long)status);
}

/* Doorbells as fast as the CPU can call: what a hostile or broken sender would do. */
static void storm(unsigned i, uint64_t ms)
{
	uint64_t freq = read_sysreg(cntfrq_el0), start = read_sysreg(cntvct_el0), now = start;
	uint64_t end = start + ms * freq / 1000, n = 0, ok = 0;

	while (now < end) {
		ok += ring(i) == TANDEM_OK;
		n++;
		now = read_sysreg(cntvct_el0);
	}
	kprintf("CHAN storm i=%u n=%lu ok=%lu ms=%lu\n", i, (unsigned long)n, (unsigned long)ok,
		(unsigned long)((now - start) * 1000 / freq));
}

static void format_words(char *buf, size_t cap, const volatile uint32_t *w, unsigned n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < n && len < cap; k++)
		len +=
		    (size_t)snprintf_td(buf + len, cap - len, "%s%x", k ? "," : "", (unsigned)w[k]);
}

static void events(unsigned i)
{
	char buf[16 * MAX_EVENTS];

	format_words(buf, sizeof(buf), state[i].events, state[i].nr_events);
	kprintf("CHAN events i=%u peer=%s\n", i, buf);
}

/* Not relying on doorbells: sees a down that lasted less than the handler's latency. */
static void watch(unsigned i, uint64_t ms)
{
	volatile uint32_t *peer = &header(i)->link[1 - plat->channel[i].side];
	uint64_t freq = read_sysreg(cntfrq_el0), start = read_sysreg(cntvct_el0), now = start;
	uint32_t seen[MAX_EVENTS], w = *peer, first = w;
	unsigned n = 0;
	char buf[16 * MAX_EVENTS];

	seen[n++] = w;
	while (now - start < ms * freq / 1000) {
		w = *peer;
		if (w != seen[n - 1] && n < MAX_EVENTS)
			seen[n++] = w;
		if ((w & TANDEM_CHANNEL_LINK_UP) &&
		    TANDEM_CHANNEL_LINK_GENERATION(w) != TANDEM_CHANNEL_LINK_GENERATION(first))
			break;
		now = read_sysreg(cntvct_el0);
	}
	format_words(buf, sizeof(buf), seen, n);
	kprintf("CHAN watch i=%u peer=%s ms=%lu\n", i, buf,
		(unsigned long)((now - start) * 1000 / freq));
}

static inline uint64_t stamp(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[n / 2];
}

/* op 0: a doorbell, 1: a null hypercall, 2: an emulated MMIO read, 3: nothing. */
static uint64_t bench_op(unsigned i, unsigned op, unsigned n)
{
	static uint64_t v[BENCH_MAX];
	volatile uint32_t *typer = (volatile uint32_t *)(uintptr_t)(plat->gicd + GICD_TYPER);
	/* 4 doorbells a rate-limit token apart at most (20000/s): every one is injected. */
	uint64_t gap = read_sysreg(cntfrq_el0) / 5000, next = 0;

	for (unsigned k = 0; k < n; k++) {
		uint64_t t0, t1;

		while (op == 0 && stamp() < next)
			;
		t0 = stamp();
		if (op == 0)
			ring(i);
		else if (op == 1)
			smccc_call(true, SMCCC_VERSION, 0, 0, 0);
		else if (op == 2)
			(void)*typer;
		t1 = stamp();
		v[k] = t1 - t0;
		next = t1 + gap;
	}
	return median(v, n);
}

static void bench(unsigned i, uint64_t n)
{
	uint64_t notify, hvc, mmio, empty;

	if (n < 1 || n > BENCH_MAX)
		n = BENCH_MAX;
	notify = bench_op(i, 0, (unsigned)n);
	hvc = bench_op(i, 1, (unsigned)n);
	mmio = bench_op(i, 2, (unsigned)n);
	empty = bench_op(i, 3, (unsigned)n);
	kprintf("CHAN bench i=%u n=%lu notify=%lu hvc=%lu mmio=%lu empty=%lu\n", i,
		(unsigned long)n, (unsigned long)notify, (unsigned long)hvc, (unsigned long)mmio,
		(unsigned long)empty);
}

bool chan_command(char *line)
{
	char *w[4];
	unsigned n = 0;
	bool ok = true;
	uint64_t i = 0, arg = 1;

	if (strncmp(line, "chan", 4) != 0 || (line[4] != '\0' && line[4] != ' '))
		return false;
	for (char *p = line; *p && n < 4;) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p)
			w[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (!setup_once())
		return true;
	if (n == 1) {
		list();
		return true;
	}
	if (n >= 3)
		i = number(w[2], &ok);
	if (n == 4)
		arg = number(w[3], &ok);
	if (!ok || n < 3 || i >= plat->nr_channels) {
		kprintf("%s (I < %u)\n", USAGE, plat->nr_channels);
		return true;
	}
	if (!strcmp(w[1], "write") && n == 4)
		write_pattern((unsigned)i, (uint32_t)arg);
	else if (!strcmp(w[1], "read"))
		read_pattern((unsigned)i);
	else if (!strcmp(w[1], "ring"))
		ring_n((unsigned)i, arg);
	else if (!strcmp(w[1], "storm") && n == 4)
		storm((unsigned)i, arg);
	else if (!strcmp(w[1], "events"))
		events((unsigned)i);
	else if (!strcmp(w[1], "watch") && n == 4)
		watch((unsigned)i, arg);
	else if (!strcmp(w[1], "bench"))
		bench((unsigned)i, arg);
	else
		kprintf("%s\n", USAGE);
	return true;
}
