/*
 * The TTU's channel backend: the vserial ring's dev side (vserial_dev.c) on the DTB's
 * tandem,channel-v1 node. The window is mapped Normal write-back with 4 KiB pages; the doorbell
 * we receive (an edge SPI) runs a pass over every port; ours is TANDEM_HC_CHANNEL_NOTIFY.
 * Everything runs under the TTU lock; reports are printed by the poll task outside it.
 */
#include <common/smccc_call.h>

#include "../../hypervisor/include/tandem/abi/hypercall.h"
#include "app.h"
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "kstring.h"
#include "port.h"
#include "rtos.h"
#include "ttu.h"
#include "vserial_dev.h"

#define REPORT_LIMIT 16 /* corruption lines printed at most (then a count per report) */
#define LINE_POLLS   8	/* the poll reads Linux's line requests one pass in this many */

static struct vs_dev dev;
static const struct plat_channel *chan;
static uint64_t doorbells_in, notify_errors;
static uint32_t corrupt_reported;
static unsigned reports;
static uint32_t resyncs_seen;

static bool apply_line(unsigned port, const struct tandem_vserial_line *l)
{
	static const char parity[] = {'N', 'O', 'E', 'M', 'S'};
	struct u16550_line u = {.baud = l->baud,
				.data_bits = l->data_bits,
				.stop_bits = l->stop_bits,
				.parity = parity[l->parity % 5]};

	/* A 16550 on a 1.8432 MHz clock tops out at 115200 baud: faster requests are refused
	 * (the ack keeps the settings in force) rather than silently rounded. */
	return l->baud <= U16550_BAUDBASE && ttu_set_line_locked(port, &u);
}

static const uint8_t *tx_span(unsigned port, unsigned *len)
{
	return vs_tx_span(&dev, port, len);
}

static void tx_consume(unsigned port, unsigned n)
{
	vs_tx_consume(&dev, port, n);
}

static void ring_doorbell(void)
{
	if (smccc_call(true, TANDEM_HC_CHANNEL_NOTIFY, chan->id, 0, 0) != TANDEM_OK)
		notify_errors++;
}

static void pass_done(uint64_t now, bool poll)
{
	static uint64_t overruns_seen;

	/* The poll publishes the ports' overrun counts, looked at only when one moved (or the
	 * words were reset: vs_set_overruns() then writes what changed since). */
	if (poll && (ttu_overruns_total() != overruns_seen || dev.resyncs != resyncs_seen)) {
		overruns_seen = ttu_overruns_total();
		resyncs_seen = dev.resyncs;
		for (unsigned i = 0; i < dev.lay.nr_ports; i++)
			vs_set_overruns(&dev, i, (uint32_t)ttu_port_overruns(i));
	}
	if (vs_take_doorbell(&dev, now))
		ring_doorbell();
}

/* Linux rings the doorbell after writing a line request, and a kick's pass reads them: the poll
 * (the safety net) reads them one pass in LINE_POLLS. */
static void sync(uint64_t now, bool poll)
{
	static unsigned polls;

	(void)now;
	vs_dev_sync_lines(&dev, !poll || ++polls % LINE_POLLS == 0);
}

static void report(void)
{
	unsigned long flags;
	uint32_t corrupt, size;
	struct vs_corruption c;

	/* After every poll: nothing new is the rule, seen without the lock (one word, written
	 * under it; a count that moved is read again with it). */
	if (__atomic_load_n(&dev.corrupt, __ATOMIC_RELAXED) == corrupt_reported)
		return;
	flags = ttu_lock();
	corrupt = dev.corrupt;
	c = dev.last_corruption;
	size = dev.lay.ring_size;
	ttu_unlock(flags);
	if (corrupt == corrupt_reported)
		return;
	if (reports++ < REPORT_LIMIT)
		kprintf("VSERIAL: corrupt ring: port %u %s prod=0x%x cons=0x%x (fill > %u bytes): "
			"emptied, corrupt=%u\n",
			c.port, c.dir == TANDEM_VSERIAL_RX ? "rx" : "tx", c.prod, c.cons, size,
			corrupt);
	corrupt_reported = corrupt;
}

static void doorbell_irq(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)stamp;
	(void)arg;
	doorbells_in++;
	ttu_kick();
}

static const struct ttu_backend backend = {
    .name = "channel",
    .ring = &dev,
    .tx_span = tx_span,
    .tx_consume = tx_consume,
    .tx_kicked = true,
    .pass_done = pass_done,
    .sync = sync,
    .report = report,
};

/* The channel to carry the ports: the one labelled "ttu", else the first. */
static const struct plat_channel *pick(const struct platform *p)
{
	for (unsigned i = 0; i < p->nr_channels; i++)
		if (!strcmp(p->channel[i].label, "ttu"))
			return &p->channel[i];
	return p->nr_channels ? &p->channel[0] : NULL;
}

const struct ttu_backend *vserial_backend(const struct rtos_config *cfg, const struct platform *p,
					  unsigned nr_ports)
{
	const char *err;

	chan = pick(p);
	if (!chan) {
		kprintf("VSERIAL: no tandem,channel-v1 node in the DTB\n");
		return NULL;
	}
	if ((chan->base | chan->size) & 0xfff || chan->size > UINT32_MAX ||
	    mmu_map_shared(chan->base, chan->size)) {
		kprintf("VSERIAL: channel '%s' at 0x%lx+0x%lx: cannot map it (page-aligned, below "
			"512 GiB, at most 8 MiB)\n",
			chan->label, (unsigned long)chan->base, (unsigned long)chan->size);
		return NULL;
	}
	err = vs_dev_init(&dev, (void *)(uintptr_t)chan->base, (uint32_t)chan->size, chan->side,
			  nr_ports, cfg->vserial_ring, cfg->vserial_threshold,
			  cfg->vserial_delay_us ? cfg->vserial_delay_us : 1000, rtos_freq(),
			  apply_line);
	if (err) {
		kprintf("VSERIAL: channel '%s' at 0x%lx+0x%lx: %s\n", chan->label,
			(unsigned long)chan->base, (unsigned long)chan->size, err);
		return NULL;
	}
	irq_register(chan->irq, doorbell_irq, NULL);
	gic->set_edge(chan->irq);
	gic->enable(chan->irq, 0);
	ring_doorbell(); /* our words are READY: tell the peer */
	kprintf("VSERIAL: channel '%s' id %u side %u (peer %s) at 0x%lx+0x%lx, doorbell INTID %u: "
		"%u ports, %u-byte rings, threshold %u, max delay %u us\n",
		chan->label, chan->id, chan->side, chan->peer, (unsigned long)chan->base,
		(unsigned long)chan->size, chan->irq, dev.lay.nr_ports, dev.lay.ring_size,
		dev.threshold, dev.max_delay_us);
	return &backend;
}

static void print_state(void)
{
	unsigned long flags = ttu_lock();
	struct vs_dev d = dev;

	ttu_unlock(flags);
	uint64_t rx = 0, tx = 0;

	for (unsigned i = 0; i < d.lay.nr_ports; i++) {
		rx += vs_rx_bytes(&d, i);
		tx += d.port[i].tx_bytes;
	}
	kprintf("VSERIAL live=%u epoch=%u peer_epoch=%u resyncs=%u corrupt=%u doorbells_out=%lu "
		"doorbells_in=%lu notify_errors=%lu rx=%lu tx=%lu line_reqs=%lu line_rejected=%lu "
		"suppressed=%lu\n",
		d.live, d.epoch, d.peer_epoch, d.resyncs, d.corrupt, (unsigned long)d.doorbells,
		(unsigned long)doorbells_in, (unsigned long)notify_errors, (unsigned long)rx,
		(unsigned long)tx, (unsigned long)d.line_reqs, (unsigned long)d.line_rejected,
		(unsigned long)d.suppressed);
}

bool vserial_command(char *line)
{
	if (strncmp(line, "vserial", 7) != 0 || (line[7] && line[7] != ' '))
		return false;
	if (!chan || !dev.region) {
		kprintf("VSERIAL: not running (no channel, or ttu is not in channel mode)\n");
	} else if (!line[7]) {
		print_state();
	} else if (!strncmp(line + 7, " scribble", 9)) {
		const char *s = line + 16;
		unsigned n = 0;
		unsigned long flags;

		while (*s == ' ')
			s++;
		while (*s >= '0' && *s <= '9' && n < 1000)
			n = n * 10 + (unsigned)(*s++ - '0');
		n = n ? n : 8;
		flags = ttu_lock();
		vs_scribble(&dev, n, port_now());
		ring_doorbell();
		ttu_unlock(flags);
		kprintf("VSERIAL scribbled over %u port descriptor(s): indices and ring lengths\n",
			n);
	} else {
		kprintf(
		    "vserial | vserial scribble [N] (hostile: garbage over N ports' indices and "
		    "ring lengths)\n");
	}
	return true;
}
