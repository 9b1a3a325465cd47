/*
 * The TTU port service: PCI serial cards -> ports, shared level INTx lines -> ISRs that drain
 * every port on the line, a periodic poll of every port (what an interrupt missed, ports
 * throttled for lack of room, coalescing deadlines), and the echo/sink backends.
 */
#include "ttu.h"

#include "arch.h"
#include "console.h"
#include "gic.h"
#include "klock.h"
#include "kstring.h"
#include "pci.h"
#include "port.h"
#include "rtos.h"
#include "vserial_dev.h"

#define PRIO_POLL    24
#define MAX_LINES    8
#define ECHO_RING    4096 /* per port, power of two */
#define DEFAULT_BAUD 115200

struct ttu_port {
	uintptr_t base;
	unsigned intid;
	uint8_t bus, dev, fn, sub; /* PCI address of its card, UART index on the card */
	uint8_t ier;		   /* shadow of IER */
	bool throttled;		   /* RX interrupt masked: the backend had no room */
	uint8_t lcr;
	uint16_t divisor;
	uint64_t rx, tx, overruns, throttles;
};

struct ttu_line {
	unsigned intid;
	unsigned nr_ports;
	uint8_t port[TTU_MAX_PORTS];
	uint64_t irqs;
};

static struct ttu_port ports[TTU_MAX_PORTS];
static unsigned nr_ports;
static struct ttu_line lines[MAX_LINES];
static unsigned nr_lines;
static const struct ttu_backend *be;
static struct vs_dev *ring; /* be->ring: the channel's RX fast path, inline */
static struct ticket_lock lock;
static uint64_t polls, poll_rx, irq_rx, services, overruns_all;
static uint64_t poll_period;
static struct task poll_task;
static uint64_t poll_stack[1024];
/* The benchmark's window (`ttu clear`, `ttu window`): counter at the clear, idle ticks and bytes
 * received then, counter at the end of the first and the last pass that received bytes, and
 * the line interrupts, polls and port services that found bytes at those two points. */
static uint64_t win_start, win_idle0, win_rx0, win_first, win_last, win_idle_first, win_idle_last;
static uint64_t line_irqs, win_irqs[2], win_polls[2], win_services[2]; /* [0] first, [1] last */

/*
 * The window's two ends for tools/qemu-plugins/vcpu_insns.c: unallocated hints (NOPs) whose
 * execution the plugin notes with the vCPU's instruction count, so that the host gets the
 * RTOS's own instructions between them (without the other vCPUs' turns that fall inside its
 * busy ticks under -icount).
 */
static inline void window_mark_first(void)
{
	__asm__ volatile("hint #0x70" ::: "memory");
}

static inline void window_mark_last(void)
{
	__asm__ volatile("hint #0x71" ::: "memory");
}

/* The channel's ports are the TTU's (vs_rx_span() wants port < VS_MAX_PORTS). */
_Static_assert(TTU_MAX_PORTS <= VS_MAX_PORTS, "a TTU port without a channel port");

/* The backend's RX: the channel's fast path inline (r = be->ring), the others through
 * pointers. */
static inline uint8_t *rx_span(struct vs_dev *r, unsigned i, unsigned *room)
{
	return r ? vs_rx_span_max(r, i, TTU_SERVICE_MAX, room) : be->rx_span(i, room);
}

static inline void rx_commit(struct vs_dev *r, unsigned i, unsigned n)
{
	/* The channel's max-delay stamp is the pass's (rx_stamp()). */
	if (r)
		vs_rx_publish(r, i, n);
	else
		be->rx_commit(i, n);
}

/*
 * The backend's other hooks, each in an inline function of its own (like rx_span, rx_commit and
 * rx_stamp): tools/bench/ttu_profile.py attributes an instruction to the backend by the inline
 * functions it came from, so that the sink's cost and the channel's are counted exactly.
 */
static inline const uint8_t *tx_look(struct vs_dev *r, unsigned i, unsigned *len)
{
	/* The channel: one inline load of Linux's TX index says whether there is any (the poll's
	 * look at every port, a kick's); tx_span() validates it when there is. */
	if (r && !vs_tx_pending(r, i)) {
		*len = 0;
		return NULL;
	}
	return be->tx_span(i, len);
}

static inline void irq_pass_done(uint64_t stamp)
{
	/* The channel's doorbell decision: one compare inline, at the interrupt's entry time (a
	 * max-delay doorbell is decided at most a pass late: bytes stamped during this pass
	 * have not waited yet). */
	if (be->pass_done && (!ring || vs_doorbell_maybe(ring, stamp)))
		be->pass_done(stamp, false);
}

static inline void pass_sync(uint64_t now, bool poll)
{
	if (be->sync)
		be->sync(now, poll);
}

static inline void pass_done(uint64_t now, bool poll)
{
	if (be->pass_done)
		be->pass_done(now, poll);
}

static inline void backend_report(void)
{
	if (be->report)
		be->report();
}

/* A pass received rx bytes: for the channel, the max-delay clock of the first unsignalled ones
 * starts (at the pass's start time: the doorbell is due at most a pass early). */
static inline void rx_stamp(uint64_t rx, uint64_t now)
{
	if (rx && ring)
		vs_rx_stamp(ring, now);
}

/* Echo backend: a ring per port from its RX to its TX. */
static struct {
	uint8_t buf[ECHO_RING];
	uint32_t head, tail; /* free-running */
} echo[TTU_MAX_PORTS];

static uint8_t *echo_rx_span(unsigned i, unsigned *room)
{
	uint32_t at = echo[i].head % ECHO_RING, space = ECHO_RING - (echo[i].head - echo[i].tail);

	*room = space < ECHO_RING - at ? space : ECHO_RING - at;
	return &echo[i].buf[at];
}

static void echo_rx_commit(unsigned i, unsigned n)
{
	echo[i].head += n;
}

static const uint8_t *echo_tx_span(unsigned i, unsigned *len)
{
	uint32_t at = echo[i].tail % ECHO_RING, fill = echo[i].head - echo[i].tail;

	*len = fill < ECHO_RING - at ? fill : ECHO_RING - at;
	return &echo[i].buf[at];
}

static void echo_tx_consume(unsigned i, unsigned n)
{
	echo[i].tail += n;
}

/* Sink backend: every port's bytes into one scratch buffer (under the lock), nothing to send. */
static uint8_t sink_buf[256];

static uint8_t *sink_rx_span(unsigned i, unsigned *room)
{
	(void)i;
	*room = sizeof(sink_buf);
	return sink_buf;
}

static void sink_rx_commit(unsigned i, unsigned n)
{
	(void)i;
	(void)n;
}

static const uint8_t *sink_tx_span(unsigned i, unsigned *len)
{
	(void)i;
	*len = 0;
	return sink_buf;
}

static void sink_tx_consume(unsigned i, unsigned n)
{
	(void)i;
	(void)n;
}

static const struct ttu_backend echo_backend = {.name = "echo",
						.rx_span = echo_rx_span,
						.rx_commit = echo_rx_commit,
						.tx_span = echo_tx_span,
						.tx_consume = echo_tx_consume};
static const struct ttu_backend sink_backend = {.name = "sink",
						.rx_span = sink_rx_span,
						.rx_commit = sink_rx_commit,
						.tx_span = sink_tx_span,
						.tx_consume = sink_tx_consume,
						.tx_kicked = true};

static void set_ier(struct ttu_port *p, uint8_t ier)
{
	if (p->ier != ier) {
		p->ier = ier;
		u16550_write(p->base, U16550_IER, ier);
	}
}

/* A span of the backend for port p: an RX interrupt masked for want of room comes back on as
 * soon as there is room again. */
static inline __attribute__((always_inline)) uint8_t *
port_span(struct vs_dev *r, struct ttu_port *p, unsigned i, unsigned *room)
{
	uint8_t *dst = rx_span(r, i, room);

	if (p->throttled && *room) {
		p->throttled = false;
		set_ier(p, p->ier | IER_RDI);
	}
	return dst;
}

/*
 * One port: read what the UART holds, at most TTU_SERVICE_MAX bytes (one FIFO's worth: a
 * port's service takes a bounded time, so one port streaming as fast as the host feeds it
 * cannot hold the others on its line back; the rest waits for the next visit, and the line
 * stays asserted until then), while the backend has room, straight into the backend's span
 * (its ring); then refill the transmit FIFO if it is empty. Returns the bytes received. With
 * the lock held.
 */
static inline __attribute__((always_inline)) unsigned service(unsigned i, bool irq,
							      struct vs_dev *r)
{
	struct ttu_port *p = &ports[i];
	uint8_t lsr = 0, *dst = NULL;
	const uint8_t *src;
	unsigned total = 0, room = 0, n = 0, len;

	/*
	 * The backend's room is asked only once the UART shows data (for the channel: one load of
	 * Linux's index, checked) and filled in place; asked again only when it runs out (full,
	 * or the ring's wrap). The bytes are handed over once per span.
	 *
	 * In an interrupt, IIR first: "received data available" (not the character timeout) means
	 * the FIFO holds at least the trigger level (PC16550D: the RDA interrupt stays asserted
	 * until the FIFO drops below it), so that many bytes are read without an LSR read each:
	 * 15 register accesses instead of 28 for a full trigger's worth.
	 */
	if (irq && (u16550_read(p->base, U16550_IIR) & IIR_ID_MASK) == IIR_RDA) {
		unsigned k;

		dst = port_span(r, p, i, &room);
		k = room < U16550_RX_TRIGGER ? room : U16550_RX_TRIGGER;
		for (; n < k; n++)
			dst[n] = u16550_read(p->base, U16550_RBR);
	}
	while (total + n < TTU_SERVICE_MAX) {
		lsr = u16550_read(p->base, U16550_LSR);
		if (!(lsr & LSR_DR)) { /* the UART is empty */
			if (p->throttled) {
				p->throttled = false;
				set_ier(p, p->ier | IER_RDI);
			}
			break;
		}
		if (n == room) {
			/* The span is full (or there is none yet): hand it over, ask for room. */
			if (n) {
				rx_commit(r, i, n);
				total += n;
				n = 0;
			}
			dst = port_span(r, p, i, &room);
			if (!room) {
				/* Leave the bytes in the UART: QEMU stops taking more from the
				 * host. */
				if (!p->throttled)
					p->throttles++;
				p->throttled = true;
				set_ier(p, p->ier & (uint8_t)~IER_RDI);
				break;
			}
		}
		if (lsr & LSR_OE) {
			p->overruns++;
			overruns_all++;
		}
		dst[n++] = u16550_read(p->base, U16550_RBR);
	}
	if (n) {
		rx_commit(r, i, n);
		total += n;
	}
	if (total) {
		p->rx += total;
		services++;
		ttu_stamp_rx(i, total); /* the latency benchmark's stamps (a no-op unless armed) */
	}
	/* New TX data of a kicked backend comes with a kick (a pass over every port): an
	 * interrupt's service looks at TX only while some is in flight. */
	if (irq && be->tx_kicked && !(p->ier & IER_THRI))
		return total;
	src = tx_look(r, i, &len);
	if (len) {
		/* The LSR of the RX loop, unless it stopped at the bound without one. */
		if (!(lsr & LSR_THRE))
			lsr = u16550_read(p->base, U16550_LSR);
		if (lsr & LSR_THRE) {
			n = len < U16550_FIFO ? len : U16550_FIFO;
			for (unsigned k = 0; k < n; k++)
				u16550_write(p->base, U16550_THR, src[k]);
			be->tx_consume(i, n);
			p->tx += n;
		}
	}
	/* Ask for the "transmitter empty" interrupt only while there is more to send (or may be:
	 * the next one finds out). */
	set_ier(p, len ? p->ier | IER_THRI : p->ier & (uint8_t)~IER_THRI);
	return total;
}

/* One port's service, compiled once per kind of backend: the channel's ring in a register
 * across the UART accesses (their memory clobbers), no test of it per span, the span's room in a
 * register; the others through their pointers. */
static unsigned service_port(unsigned i, bool irq)
{
	struct vs_dev *r = ring;

	return r ? service(i, irq, r) : service(i, irq, NULL);
}

/* A pass received rx bytes (with the lock held): the window's first and last. */
static void note_rx(uint64_t rx)
{
	uint64_t now;

	if (!rx)
		return;
	now = port_now();
	if (!win_first) {
		win_first = now;
		win_idle_first = cpu_idle_ticks();
		win_irqs[0] = line_irqs;
		win_polls[0] = polls;
		win_services[0] = services;
		window_mark_first();
	}
	win_last = now;
	win_idle_last = cpu_idle_ticks();
	win_irqs[1] = line_irqs;
	win_polls[1] = polls;
	win_services[1] = services;
	window_mark_last();
}

static void line_irq(unsigned intid, uint64_t stamp, void *arg)
{
	struct ttu_line *l = arg;
	unsigned rx = 0;

	(void)intid;
	ticket_lock(&lock);
	l->irqs++;
	line_irqs++;
	/* The line is the OR of every UART on every card sharing it: serve them all. A port
	 * with more than a service's bound left keeps the level line high, so the interrupt
	 * comes straight back after the EOI and the next round serves the rest. */
	for (unsigned k = 0; k < l->nr_ports; k++)
		rx += service_port(l->port[k], true);
	irq_rx += rx;
	rx_stamp(rx, stamp);
	irq_pass_done(stamp);
	note_rx(rx);
	ticket_unlock(&lock);
}

unsigned long ttu_lock(void)
{
	unsigned long flags = port_irq_save();

	ticket_lock(&lock);
	return flags;
}

void ttu_unlock(unsigned long flags)
{
	ticket_unlock(&lock);
	port_irq_restore(flags);
}

/* Every port, with the lock held: the poll, or a kick from the backend's doorbell. */
static void pass_all(bool poll)
{
	uint64_t now = port_now(), rx = 0;

	pass_sync(now, poll);
	for (unsigned i = 0; i < nr_ports; i++)
		rx += service_port(i, false);
	rx_stamp(rx, now);
	if (poll) {
		polls++;
		poll_rx += rx;
	} else {
		irq_rx += rx;
	}
	pass_done(now, poll);
	note_rx(rx);
}

void ttu_kick(void)
{
	unsigned long flags;

	if (!be)
		return; /* a doorbell before ttu_start() chose the backend: the poll will look */
	flags = ttu_lock();

	pass_all(false);
	ttu_unlock(flags);
}

static void poll_main(void *arg)
{
	struct period_info info;

	(void)arg;
	task_set_period(poll_period);
	for (;;) {
		unsigned long flags;

		task_wait_period(&info);
		flags = ttu_lock();
		pass_all(true);
		ttu_unlock(flags);
		backend_report();
	}
}

unsigned ttu_nr_ports(void)
{
	return nr_ports;
}

bool ttu_set_line_locked(unsigned i, const struct u16550_line *l)
{
	uint8_t lcr;
	uint16_t div;

	if (i >= nr_ports || !u16550_encode(l, &lcr, &div))
		return false;
	ports[i].lcr = lcr;
	ports[i].divisor = div;
	u16550_set_line(ports[i].base, lcr, div);
	return true;
}

bool ttu_set_line(unsigned i, const struct u16550_line *l)
{
	unsigned long flags = ttu_lock();
	bool ok = ttu_set_line_locked(i, l);

	ttu_unlock(flags);
	return ok;
}

uint64_t ttu_port_overruns(unsigned i)
{
	return i < nr_ports ? ports[i].overruns : 0;
}

uint64_t ttu_overruns_total(void)
{
	return overruns_all;
}

static unsigned card_ports(const struct pci_dev *d)
{
	if (d->vendor != 0x1b36)
		return 0;
	return d->device == 0x0002 ? 1 : d->device == 0x0003 ? 2 : d->device == 0x0004 ? 4 : 0;
}

static struct ttu_line *line_for(unsigned intid)
{
	for (unsigned i = 0; i < nr_lines; i++)
		if (lines[i].intid == intid)
			return &lines[i];
	if (nr_lines == MAX_LINES)
		return NULL;
	lines[nr_lines].intid = intid;
	return &lines[nr_lines++];
}

/* Every UART of every serial card, in PCI order, set up with its interrupts off. */
static void find_ports(void)
{
	struct u16550_line l = {
	    .baud = DEFAULT_BAUD, .data_bits = 8, .stop_bits = 1, .parity = 'N'};
	uint8_t lcr;
	uint16_t div;

	u16550_encode(&l, &lcr, &div);
	for (unsigned di = 0; di < pci_nr_devs(); di++) {
		const struct pci_dev *d = pci_dev_at(di);
		unsigned n = card_ports(d);

		if (!n || !d->bar[0].size || !d->bar[0].io) {
			if (n)
				kprintf("TTU: card %02x:%02x.%u has no I/O BAR: skipped\n", d->bus,
					d->dev, d->fn);
			continue;
		}
		for (unsigned k = 0; k < n && nr_ports < TTU_MAX_PORTS; k++) {
			struct ttu_port *p = &ports[nr_ports++];

			*p = (struct ttu_port){.base = (uintptr_t)d->bar[0].cpu + 8 * k,
					       .intid = d->intid,
					       .bus = d->bus,
					       .dev = d->dev,
					       .fn = d->fn,
					       .sub = (uint8_t)k,
					       .lcr = lcr,
					       .divisor = div};
			u16550_init(p->base, lcr, div);
		}
	}
}

void ttu_start(const struct rtos_config *cfg, const struct platform *plat)
{
	enum ttu_mode mode = cfg->ttu_mode;

	if (mode == TTU_MODE_OFF)
		return;
	find_ports();
	if (!nr_ports) {
		if (mode != TTU_MODE_DEFAULT)
			kprintf("TTU: no PCI serial ports found\n");
		return;
	}
	if (mode == TTU_MODE_DEFAULT)
		mode = plat->nr_channels ? TTU_MODE_CHANNEL : TTU_MODE_ECHO;
	be = mode == TTU_MODE_ECHO   ? &echo_backend
	     : mode == TTU_MODE_SINK ? &sink_backend
				     : vserial_backend(cfg, plat, nr_ports);
	if (!be) {
		kprintf("TTU: no usable channel for the ports: serving them in echo mode\n");
		be = &echo_backend;
	}
	ring = be->ring;
	for (unsigned i = 0; i < nr_ports; i++) {
		struct ttu_line *l = ports[i].intid ? line_for(ports[i].intid) : NULL;

		if (l)
			l->port[l->nr_ports++] = (uint8_t)i;
	}
	poll_period = rtos_us_to_ticks(cfg->ttu_poll_us ? cfg->ttu_poll_us : 1000);
	for (unsigned i = 0; i < nr_lines; i++) {
		irq_register(lines[i].intid, line_irq, &lines[i]);
		gic->enable(lines[i].intid, 0);
	}
	for (unsigned i = 0; i < nr_ports; i++) {
		unsigned long flags = port_irq_save();

		ticket_lock(&lock);
		set_ier(&ports[i], IER_RDI);
		ticket_unlock(&lock);
		port_irq_restore(flags);
	}
	cpu_idle_accounting(); /* for `ttu window` */
	task_create(&poll_task, "ttu-poll", poll_main, NULL, PRIO_POLL, 0, poll_stack,
		    sizeof(poll_stack));
	kprintf("TTU: %u port(s) on %u interrupt line(s), mode %s, poll every %lu us\n", nr_ports,
		nr_lines, be->name, (unsigned long)(cfg->ttu_poll_us ? cfg->ttu_poll_us : 1000));
}

static void print_stats(bool per_port)
{
	static struct ttu_port snap[TTU_MAX_PORTS];
	uint64_t irqs = 0, rx = 0, tx = 0, oe = 0, thr = 0, n_polls, n_poll_rx, n_irq_rx;
	unsigned long flags = port_irq_save();

	ticket_lock(&lock);
	memcpy(snap, ports, sizeof(snap));
	for (unsigned i = 0; i < nr_lines; i++)
		irqs += lines[i].irqs;
	n_polls = polls;
	n_poll_rx = poll_rx;
	n_irq_rx = irq_rx;
	ticket_unlock(&lock);
	port_irq_restore(flags);
	for (unsigned i = 0; i < nr_ports; i++) {
		const struct ttu_port *p = &snap[i];

		rx += p->rx;
		tx += p->tx;
		oe += p->overruns;
		thr += p->throttles;
		if (per_port)
			kprintf("TTU port %u %02x:%02x.%u/%u intid %u rx=%lu tx=%lu oe=%lu "
				"throttles=%lu lcr=0x%02x divisor=%u\n",
				i, p->bus, p->dev, p->fn, p->sub, p->intid, (unsigned long)p->rx,
				(unsigned long)p->tx, (unsigned long)p->overruns,
				(unsigned long)p->throttles, p->lcr, p->divisor);
	}
	kprintf("TTU stats ports=%u mode=%s rx=%lu tx=%lu irqs=%lu irq_rx=%lu polls=%lu "
		"poll_rx=%lu overruns=%lu throttles=%lu\n",
		nr_ports, be ? be->name : "off", (unsigned long)rx, (unsigned long)tx,
		(unsigned long)irqs, (unsigned long)n_irq_rx, (unsigned long)n_polls,
		(unsigned long)n_poll_rx, (unsigned long)oe, (unsigned long)thr);
}

static uint64_t total_rx_locked(void)
{
	uint64_t rx = 0;

	for (unsigned i = 0; i < nr_ports; i++)
		rx += ports[i].rx;
	return rx;
}

/*
 * `ttu clear` starts a window, `ttu window` reports it: the counter at the clear, ticks since,
 * bytes received, when the first and the last bytes came (ticks after the clear, 0: none), how
 * many ticks between those two the RTOS was not idle (every CPU's WFI time subtracted), its
 * idle ticks since the clear, and the line interrupts, polls and port services that received
 * bytes between those two: the benchmark's virtual-time rate and cost per KiB under -icount
 * (the RTOS's own instructions over the same stretch: window_mark_first/last).
 */
static void cmd_window(bool clear)
{
	unsigned long flags = ttu_lock();
	uint64_t now = port_now(), idle = cpu_idle_ticks(), rx = total_rx_locked();
	uint64_t start = win_start, first = win_first, last = win_last, idle0 = win_idle0;
	uint64_t rx0 = win_rx0, busy = (last - first) - (win_idle_last - win_idle_first);
	uint64_t irqs = win_irqs[1] - win_irqs[0], n_polls = win_polls[1] - win_polls[0];
	uint64_t svcs = win_services[1] - win_services[0];

	if (clear) {
		win_start = now;
		win_idle0 = idle;
		win_rx0 = rx;
		win_first = win_last = 0;
	}
	ttu_unlock(flags);
	if (clear) {
		kprintf("TTU window cleared\n");
		return;
	}
	kprintf("TTU window start=%lu ticks=%lu rx=%lu first=%lu last=%lu busy=%lu idle=%lu "
		"irqs=%lu polls=%lu services=%lu freq=%lu end\n",
		(unsigned long)start, (unsigned long)(now - start), (unsigned long)(rx - rx0),
		(unsigned long)(first ? first - start : 0),
		(unsigned long)(last ? last - start : 0), (unsigned long)busy,
		(unsigned long)(idle - idle0), (unsigned long)irqs, (unsigned long)n_polls,
		(unsigned long)svcs, (unsigned long)rtos_freq());
}

static unsigned parse_uint(const char **s)
{
	unsigned v = 0;

	while (**s == ' ')
		(*s)++;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (unsigned)(*(*s)++ - '0');
	return v;
}

/* "ttu line PORT BAUD DPS", e.g. "ttu line 3 9600 7E2". */
static void cmd_line(const char *s)
{
	unsigned port = parse_uint(&s), baud = parse_uint(&s);
	struct u16550_line l = {.baud = baud};

	while (*s == ' ')
		s++;
	if (s[0] >= '5' && s[0] <= '8' && s[1] && s[2] >= '1' && s[2] <= '2') {
		l.data_bits = (uint8_t)(s[0] - '0');
		l.parity = s[1];
		l.stop_bits = (uint8_t)(s[2] - '0');
	}
	if (!be || !ttu_set_line(port, &l)) {
		kprintf("TTU line: bad port or settings (ttu line PORT BAUD [5-8][NOEMS][12])\n");
		return;
	}
	kprintf("TTU port %u line %u %u%c%u lcr=0x%02x divisor=%u\n", port, baud, l.data_bits,
		l.parity, l.stop_bits, ports[port].lcr, ports[port].divisor);
}

bool ttu_command(char *line)
{
	if (strncmp(line, "ttu", 3) != 0 || (line[3] && line[3] != ' '))
		return false;
	if (!be)
		kprintf("TTU: not running (no ports, or ttu=off)\n");
	else if (!line[3] || !strcmp(line + 3, " stats"))
		print_stats(false);
	else if (!strcmp(line + 3, " ports"))
		print_stats(true);
	else if (!strncmp(line + 3, " line ", 6))
		cmd_line(line + 9);
	else if (!strncmp(line + 3, " stamp", 6))
		ttu_stamp_command(line + 9);
	else if (!strcmp(line + 3, " clear") || !strcmp(line + 3, " window"))
		cmd_window(line[4] == 'c');
	else
		kprintf("ttu [stats] | ttu ports | ttu line PORT BAUD [5-8][NOEMS][12] | "
			"ttu stamp PORT | ttu stamps | ttu clear | ttu window\n");
	return true;
}
