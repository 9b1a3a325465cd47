// SPDX-License-Identifier: GPL-2.0
/*
 * The channel: a platform driver bound to Tandem's "tandem,channel-v1" nodes.
 * It maps the shared window, takes the doorbell interrupt, rings the RTOS with
 * TANDEM_HC_CHANNEL_NOTIFY, and follows the vserial resynchronisation protocol
 * (tandem/abi/vserial.h): request a fresh start, attach when the RTOS has laid
 * out the ports for us, hang every tty up when the RTOS goes down or restarts.
 */
#include <linux/arm-smccc.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>

#include "tandem_vserial.h"

/*
 * While RX data flows the driver polls the RX rings every rx_poll_us instead
 * of taking the RTOS's max-delay doorbells (TANDEM_VSERIAL_SIDE_POLLING in
 * tandem/abi/vserial.h): each pass then moves bigger chunks per port into its
 * line discipline, one reader wake-up each, and the RTOS makes no doorbell
 * calls. The first bytes after a quiet spell still come by doorbell; under load
 * a byte waits up to rx_poll_us. 0: no polling, every doorbell is taken.
 */
static unsigned int rx_poll_us = 10000;
module_param(rx_poll_us, uint, 0644);
MODULE_PARM_DESC(rx_poll_us,
		 "RX poll period while data flows, us (0: doorbells only)");
/*
 * A pass must move at least this many RX bytes (all ports) to start or go on
 * polling: a stream does, a short message alone does not, so it keeps the
 * doorbell path's latency and a message after it is not held for a poll.
 */
static unsigned int rx_poll_min = 256;
module_param(rx_poll_min, uint, 0644);
MODULE_PARM_DESC(rx_poll_min,
		 "RX bytes a pass must move to poll on (else doorbells only)");

static DEFINE_MUTEX(tvs_slots_lock);
static struct tvs_chan *tvs_slots[TVS_MAX_CHANNELS];

void tvs_notify(struct tvs_chan *c)
{
	struct arm_smccc_res res;

	/* Everything we wrote is visible before the RTOS's doorbell fires. */
	mb();
	arm_smccc_1_1_hvc(TANDEM_HC_CHANNEL_NOTIFY, c->id, &res);
	if ((long)res.a0 != TANDEM_OK)
		dev_warn_ratelimited(c->dev,
				     "channel %u: notify returned %ld\n", c->id,
				     (long)res.a0);
}

/* Run tvs_chan_work() soon (doorbell, unthrottle, a space wake-up). */
void tvs_kick(struct tvs_chan *c)
{
	queue_work(system_highpri_wq, &c->work);
}

static u32 tvs_dev_link(struct tvs_chan *c)
{
	return smp_load_acquire(&tvs_chdr(c)->link[1 - c->side]);
}

static void tvs_read_dev(struct tvs_chan *c, struct tandem_vserial_side *dev)
{
	struct tandem_vserial_side *s = &tvs_hdr(c)->dev;

	dev->state = READ_ONCE(s->state);
	dev->epoch = READ_ONCE(s->epoch);
	dev->peer_epoch = READ_ONCE(s->peer_epoch);
	smp_rmb(); /* the side's words before anything they describe */
}

/*
 * Whether the RTOS is still where we attached (after a read barrier): a peer
 * index that fails validation then is corruption, not a reset in progress.
 */
bool tvs_dev_unchanged(struct tvs_chan *c)
{
	struct tandem_vserial_side dev;

	smp_rmb();
	tvs_read_dev(c, &dev);
	return c->live && tvs_dev_link(c) == c->dev_link &&
	       dev.state == TANDEM_VSERIAL_READY && dev.epoch == c->dev_epoch &&
	       dev.peer_epoch == c->epoch;
}

/* Ask the RTOS for a fresh start: our state cleared first, then a new epoch. */
static void tvs_request(struct tvs_chan *c)
{
	struct tandem_vserial_side *s = &tvs_hdr(c)->tty;

	WRITE_ONCE(s->state, 0);
	smp_wmb();
	c->epoch = tandem_vserial_next_epoch(c->epoch);
	WRITE_ONCE(s->epoch, c->epoch);
	WRITE_ONCE(s->peer_epoch, 0);
	WRITE_ONCE(s->corrupt, c->corrupt);
	WRITE_ONCE(s->resyncs, c->resyncs);
	WRITE_ONCE(s->flags, 0);
	c->polling = false;
	smp_wmb();
	WRITE_ONCE(s->state, TANDEM_VSERIAL_READY);
	c->requested = true;
	tvs_notify(c);
}

/* Our tty.flags word (only POLLING is defined). */
static void tvs_set_polling(struct tvs_chan *c, bool on)
{
	c->polling = on;
	WRITE_ONCE(tvs_hdr(c)->tty.flags, on ? TANDEM_VSERIAL_SIDE_POLLING : 0);
}

/*
 * After a pass that moved `moved` RX bytes (under c->lock, live): poll again
 * in rx_poll_us while a stream flows (at least rx_poll_min bytes a pass);
 * otherwise leave polling: the flag cleared, a full barrier, every RX ring
 * looked at again (the RTOS, seeing the flag still set, may have skipped the
 * doorbell for bytes published just before: tandem/abi/vserial.h), and
 * another pass at once if any holds bytes.
 */
static void tvs_rx_poll(struct tvs_chan *c, u32 moved)
{
	unsigned int i, period = READ_ONCE(rx_poll_us);

	if (period && moved && moved >= READ_ONCE(rx_poll_min)) {
		if (!c->polling)
			tvs_set_polling(c, true);
		hrtimer_start(&c->rx_timer,
			      ns_to_ktime(period * (u64)NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
		return;
	}
	if (!c->polling)
		return;
	tvs_set_polling(c, false);
	smp_mb(); /* the flag cleared before the RX indices are read */
	for (i = 0; i < c->layout.nr_ports; i++)
		if (tvs_port_rx_waiting(&c->ports[i]))
			break;
	if (i == c->layout.nr_ports)
		return;
	/* Bytes no doorbell will announce: another pass now, or (this pass
	 * could not move them: line disciplines full) a poll a little later. */
	if (moved) {
		tvs_kick(c);
		return;
	}
	tvs_set_polling(c, true);
	hrtimer_start(&c->rx_timer,
		      ns_to_ktime(max(period, 1000U) * (u64)NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
}

static void tvs_detach(struct tvs_chan *c, const char *why)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&c->lock, flags);
	WRITE_ONCE(c->live, false);
	tvs_set_polling(c, false);
	spin_unlock_irqrestore(&c->lock, flags);
	hrtimer_cancel(&c->tx_timer);
	hrtimer_cancel(&c->rx_timer);
	c->requested = false;
	dev_info(c->dev, "channel %u: %s: ttys hung up\n", c->id, why);
	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++)
		if (c->ports[i].tty_dev)
			tty_port_tty_hangup(&c->ports[i].port, false);
}

/* Snapshot the RTOS's layout words; refuse anything tandem_vserial.h rejects.
 */
static bool tvs_check_layout(struct tvs_chan *c,
			     struct tandem_vserial_layout *l)
{
	struct tandem_vserial_header *h = tvs_hdr(c), snap = {};
	struct tandem_vserial_ring r;
	u32 i, dir;

	snap.magic = READ_ONCE(h->magic);
	snap.version = READ_ONCE(h->version);
	snap.nr_ports = READ_ONCE(h->nr_ports);
	snap.ring_size = READ_ONCE(h->ring_size);
	snap.region_size = READ_ONCE(h->region_size);
	snap.ports_offset = READ_ONCE(h->ports_offset);
	snap.data_offset = READ_ONCE(h->data_offset);
	if (!tandem_vserial_layout_check(&snap, c->size, c->payload_offset, l))
		goto bad;
	for (i = 0; i < l->nr_ports; i++) {
		struct tandem_vserial_port *d =
		    (void *)(c->base + tandem_vserial_port_offset(l, i));

		for (dir = TANDEM_VSERIAL_RX; dir <= TANDEM_VSERIAL_TX; dir++) {
			struct tandem_vserial_ring *s = dir ? &d->tx : &d->rx;

			r.size = READ_ONCE(s->size);
			r.data_offset = READ_ONCE(s->data_offset);
			r.threshold = READ_ONCE(s->threshold);
			r.max_delay_us = READ_ONCE(s->max_delay_us);
			if (!tandem_vserial_ring_desc_check(l, i, dir, &r))
				goto bad_ring;
			if (dir == TANDEM_VSERIAL_TX) {
				c->ports[i].tx_threshold = r.threshold;
				c->ports[i].tx_max_delay_us = r.max_delay_us;
			}
		}
	}
	return true;
bad_ring:
	dev_warn(c->dev,
		 "channel %u: port %u %s ring: size %u offset %#x threshold %u "
		 "max delay %u us do not match the layout\n",
		 c->id, i, dir ? "TX" : "RX", r.size, r.data_offset,
		 r.threshold, r.max_delay_us);
	return false;
bad:
	dev_warn(c->dev,
		 "channel %u: vserial header magic %#x version %u ports %u "
		 "ring %u region %#x offsets %#x/%#x: not a valid layout for "
		 "this %#x-byte region\n",
		 c->id, snap.magic, snap.version, snap.nr_ports, snap.ring_size,
		 snap.region_size, snap.ports_offset, snap.data_offset,
		 c->size);
	return false;
}

/* The RTOS laid out the ports for our epoch: check, reset our words, ack. */
static void tvs_attach(struct tvs_chan *c,
		       const struct tandem_vserial_side *dev, u32 link)
{
	struct tandem_vserial_layout l;
	struct tandem_vserial_side again;
	unsigned long flags;
	unsigned int i;

	if (!tvs_check_layout(c, &l)) {
		c->rejected_epoch = dev->epoch;
		c->corrupt++;
		WRITE_ONCE(tvs_hdr(c)->tty.corrupt, c->corrupt);
		return;
	}
	/* Read while the RTOS was still resetting? Then wait for its doorbell.
	 */
	tvs_read_dev(c, &again);
	if (again.state != dev->state || again.epoch != dev->epoch ||
	    tvs_dev_link(c) != link)
		return;

	spin_lock_irqsave(&c->lock, flags);
	c->layout = l;
	WRITE_ONCE(c->live, true); /* tvs_desc() is valid from here */
	for (i = 0; i < l.nr_ports; i++)
		tvs_port_reset_words(&c->ports[i]);
	c->dev_epoch = dev->epoch;
	c->dev_link = link;
	c->resyncs++;
	WRITE_ONCE(tvs_hdr(c)->tty.resyncs, c->resyncs);
	/* Our words reset before the acknowledgement that says they are. */
	smp_store_release(&tvs_hdr(c)->tty.peer_epoch, dev->epoch);
	spin_unlock_irqrestore(&c->lock, flags);

	tvs_tty_register(c, l.nr_ports);
	/* Writers that found the RTOS away may go on now. */
	for (i = 0; i < l.nr_ports; i++)
		tty_port_tty_wakeup(&c->ports[i].port);
	dev_info(c->dev,
		 "channel %u: %u ports (ttyTV%u..ttyTV%u), %u-byte rings, RTOS "
		 "epoch %u\n",
		 c->id, l.nr_ports, c->ports[0].line,
		 c->ports[l.nr_ports - 1].line, l.ring_size, dev->epoch);
	tvs_notify(c);
}

/* Where the two sides stand, and what to do about it (under sync_lock). */
static void tvs_sync(struct tvs_chan *c)
{
	struct tandem_vserial_header *h = tvs_hdr(c);
	struct tandem_vserial_side dev;
	u32 link = tvs_dev_link(c);

	tvs_read_dev(c, &dev);
	if (c->live) {
		if (!(link & TANDEM_CHANNEL_LINK_UP))
			tvs_detach(c, "the RTOS is down");
		else if (link != c->dev_link)
			tvs_detach(c, "the RTOS restarted");
		else if (dev.state != TANDEM_VSERIAL_READY ||
			 dev.epoch != c->dev_epoch ||
			 dev.peer_epoch != c->epoch)
			tvs_detach(c, "the RTOS is resynchronising");
		else
			return;
	}
	if (!(link & TANDEM_CHANNEL_LINK_UP) || c->removing)
		return;
	/* Write nothing into a region whose owner does not speak vserial. */
	if (READ_ONCE(h->magic) != TANDEM_VSERIAL_MAGIC ||
	    READ_ONCE(h->version) != TANDEM_VSERIAL_VERSION)
		return;
	if (!c->requested) {
		tvs_request(c);
		return;
	}
	if (dev.state == TANDEM_VSERIAL_READY && dev.epoch != 0 &&
	    dev.peer_epoch == c->epoch && dev.epoch != c->rejected_epoch)
		tvs_attach(c, &dev, link);
}

static void tvs_chan_work(struct work_struct *work)
{
	struct tvs_chan *c = container_of(work, struct tvs_chan, work);
	bool notify = false;
	unsigned long flags;
	unsigned int i;
	u32 moved = 0;

	mutex_lock(&c->sync_lock);
	tvs_sync(c);
	/* live and the layout change only under sync_lock, which we hold. */
	for (i = 0; c->live && i < c->layout.nr_ports; i++) {
		struct tvs_port *p = &c->ports[i];

		moved += tvs_port_rx(p, &notify);
		/*
		 * A writer waiting for room sets want_space under the lock and
		 * then looks at the ring itself (tvs_port_want_space), so a
		 * pass that misses the flag set just now loses no wake-up:
		 * ports nobody waits on cost no lock.
		 */
		if (!READ_ONCE(p->want_space))
			continue;
		spin_lock_irqsave(&c->lock, flags);
		tvs_port_tx_space(p);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	spin_lock_irqsave(&c->lock, flags);
	if (c->live) {
		c->rx_passes++;
		tvs_rx_poll(c, moved);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	mutex_unlock(&c->sync_lock);
	if (notify)
		tvs_notify(c); /* the RTOS waits for RX space */
}

static irqreturn_t tvs_doorbell(int irq, void *data)
{
	tvs_kick(data);
	return IRQ_HANDLED;
}

static enum hrtimer_restart tvs_tx_timer(struct hrtimer *t)
{
	struct tvs_chan *c = container_of(t, struct tvs_chan, tx_timer);

	if (READ_ONCE(c->live))
		tvs_notify(c);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart tvs_rx_timer(struct hrtimer *t)
{
	struct tvs_chan *c = container_of(t, struct tvs_chan, rx_timer);

	c->rx_polls++;
	tvs_kick(c);
	return HRTIMER_NORESTART;
}

static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct tvs_chan *c = dev_get_drvdata(dev);

	return sysfs_emit(buf,
			  "live %d ports %u ring %u epoch %u rtos_epoch %u "
			  "corrupt %u resyncs %u passes %llu polls %llu "
			  "polling %d\n",
			  READ_ONCE(c->live), c->layout.nr_ports,
			  c->layout.ring_size, c->epoch, c->dev_epoch,
			  READ_ONCE(c->corrupt), c->resyncs,
			  READ_ONCE(c->rx_passes), READ_ONCE(c->rx_polls),
			  READ_ONCE(c->polling));
}
static DEVICE_ATTR_RO(status);

static struct attribute *tvs_attrs[] = {&dev_attr_status.attr, NULL};
ATTRIBUTE_GROUPS(tvs);

/* The window and Tandem's header, checked before anything is written. */
static int tvs_map(struct platform_device *pdev, struct tvs_chan *c)
{
	struct device *dev = &pdev->dev;
	struct tandem_channel_header *ch;
	struct resource *res;
	u32 magic, version, size;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < PAGE_SIZE ||
	    resource_size(res) > U32_MAX)
		return dev_err_probe(dev, -EINVAL,
				     "reg: no usable window %pR\n", res);
	c->size = resource_size(res);
	/* Normal write-back memory in both VMs (tandem/abi/channel.h). */
	c->base = devm_memremap(dev, res->start, c->size, MEMREMAP_WB);
	if (IS_ERR(c->base))
		return dev_err_probe(dev, PTR_ERR(c->base), "cannot map %pR\n",
				     res);
	ch = tvs_chdr(c);
	magic = READ_ONCE(ch->magic);
	version = READ_ONCE(ch->version);
	size = READ_ONCE(ch->size);
	c->payload_offset = READ_ONCE(ch->payload_offset);
	if (magic != TANDEM_CHANNEL_MAGIC ||
	    version != TANDEM_CHANNEL_VERSION || size != c->size ||
	    c->payload_offset % TANDEM_VSERIAL_ALIGN ||
	    c->payload_offset < sizeof(*ch) ||
	    c->payload_offset > c->size - sizeof(struct tandem_vserial_header))
		return dev_err_probe(
		    dev, -EINVAL,
		    "channel header magic %#x version %u size %#x payload %#x: "
		    "not a Tandem channel v1 of %#x bytes\n",
		    magic, version, size, c->payload_offset, c->size);
	return 0;
}

static int tvs_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct device_node *np = dev->of_node;
	struct tvs_chan *c;
	const char *protocol;
	unsigned int i;
	int irq, ret;

	/* A channel whose description names another protocol is not ours
	 * (tandem_failover's raw /dev/tandem-chanN takes it). */
	if (!of_property_read_string(np, TANDEM_CHANNEL_PROP_PROTOCOL,
				     &protocol) &&
	    strcmp(protocol, TANDEM_CHANNEL_PROTOCOL_VSERIAL))
		return -ENODEV;

	c = devm_kzalloc(dev, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->dev = dev;
	if (of_property_read_u32(np, TANDEM_CHANNEL_PROP_ID, &c->id))
		return dev_err_probe(dev, -EINVAL, "%pOF: no %s\n", np,
				     TANDEM_CHANNEL_PROP_ID);
	if (of_property_read_u32(np, TANDEM_CHANNEL_PROP_SIDE, &c->side) ||
	    c->side > 1)
		return dev_err_probe(dev, -EINVAL,
				     "%pOF: %s missing or not 0/1\n", np,
				     TANDEM_CHANNEL_PROP_SIDE);
	ret = tvs_map(pdev, c);
	if (ret)
		return ret;
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;

	mutex_init(&c->sync_lock);
	spin_lock_init(&c->lock);
	INIT_WORK(&c->work, tvs_chan_work);
	hrtimer_init(&c->tx_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	c->tx_timer.function = tvs_tx_timer;
	hrtimer_init(&c->rx_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	c->rx_timer.function = tvs_rx_timer;
	/* The last epoch we used, if a previous instance did: pick another. */
	c->epoch = READ_ONCE(tvs_hdr(c)->tty.epoch);

	mutex_lock(&tvs_slots_lock);
	for (i = 0; i < TVS_MAX_CHANNELS && tvs_slots[i]; i++)
		;
	if (i < TVS_MAX_CHANNELS)
		tvs_slots[i] = c;
	mutex_unlock(&tvs_slots_lock);
	if (i == TVS_MAX_CHANNELS)
		return dev_err_probe(dev, -ENOSPC, "more than %d channels\n",
				     TVS_MAX_CHANNELS);
	c->slot = i;
	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++) {
		c->ports[i].chan = c;
		c->ports[i].index = i;
		c->ports[i].line = c->slot * TANDEM_VSERIAL_MAX_PORTS + i;
	}
	tvs_tty_init_ports(c);
	platform_set_drvdata(pdev, c);

	c->irq = irq;
	ret = devm_request_irq(dev, irq, tvs_doorbell, 0, dev_name(dev), c);
	if (ret) {
		dev_err_probe(dev, ret, "doorbell interrupt %d\n", irq);
		goto err_slot;
	}
	dev_info(dev, "channel %u (side %u, %#x bytes, doorbell irq %d)\n",
		 c->id, c->side, c->size, irq);
	tvs_kick(c);
	return 0;

err_slot:
	tvs_tty_release_ports(c);
	mutex_lock(&tvs_slots_lock);
	tvs_slots[c->slot] = NULL;
	mutex_unlock(&tvs_slots_lock);
	return ret;
}

static int tvs_remove(struct platform_device *pdev)
{
	struct tvs_chan *c = platform_get_drvdata(pdev);

	mutex_lock(&c->sync_lock);
	c->removing = true;
	if (c->live)
		tvs_detach(c, "driver removed");
	mutex_unlock(&c->sync_lock);
	devm_free_irq(&pdev->dev, c->irq, c);
	hrtimer_cancel(&c->rx_timer);
	cancel_work_sync(&c->work);
	hrtimer_cancel(&c->tx_timer);
	hrtimer_cancel(&c->rx_timer);
	/* Tell the RTOS we are gone: it stops using the rings. */
	WRITE_ONCE(tvs_hdr(c)->tty.state, 0);
	tvs_notify(c);
	tvs_tty_release_ports(c);
	mutex_lock(&tvs_slots_lock);
	tvs_slots[c->slot] = NULL;
	mutex_unlock(&tvs_slots_lock);
	return 0;
}

static const struct of_device_id tvs_of_match[] = {
    {.compatible = TANDEM_CHANNEL_COMPATIBLE}, {}};
MODULE_DEVICE_TABLE(of, tvs_of_match);

struct platform_driver tvs_platform_driver = {
    .probe = tvs_probe,
    .remove = tvs_remove,
    .driver =
	{
	    .name = "tandem_vserial",
	    .of_match_table = tvs_of_match,
	    .dev_groups = tvs_groups,
	    /* Open ttys pin the module; no unbinding under them. */
	    .suppress_bind_attrs = true,
	},
};
