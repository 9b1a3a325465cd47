// SPDX-License-Identifier: GPL-2.0
/*
 * The tty driver: /dev/ttyTV<n>, one line per logical port of every bound
 * channel (channel k's ports from k * TANDEM_VSERIAL_MAX_PORTS), tty_port
 * based. Writes go into the port's TX ring with doorbell coalescing, termios
 * and modem control become requests to the RTOS.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/serial.h>
#include <linux/tty_driver.h>

#include "tandem_vserial.h"

static struct tty_driver *tvs_driver;
static DEFINE_MUTEX(tvs_lines_lock);
static struct tvs_port *tvs_lines[TVS_LINES];

static struct tvs_port *tvs_port_of(struct tty_struct *tty)
{
	return tty->driver_data;
}

/* termios -> a line-settings request (B0 keeps the last baud rate). */
static void tvs_line_from_termios(struct tty_struct *tty,
				  struct tandem_vserial_line *l)
{
	const struct ktermios *t = &tty->termios;
	speed_t baud = tty_get_baud_rate(tty);
	static const u8 bits[] = {
	    [CS5 >> 4] = 5, [CS6 >> 4] = 6, [CS7 >> 4] = 7, [CS8 >> 4] = 8};

	if (baud)
		l->baud = clamp_t(speed_t, baud, TANDEM_VSERIAL_BAUD_MIN,
				  TANDEM_VSERIAL_BAUD_MAX);
	l->data_bits = bits[(t->c_cflag & CSIZE) >> 4];
	if (!(t->c_cflag & PARENB))
		l->parity = TANDEM_VSERIAL_PARITY_NONE;
	else if (t->c_cflag & CMSPAR)
		l->parity = t->c_cflag & PARODD ? TANDEM_VSERIAL_PARITY_MARK
						: TANDEM_VSERIAL_PARITY_SPACE;
	else
		l->parity = t->c_cflag & PARODD ? TANDEM_VSERIAL_PARITY_ODD
						: TANDEM_VSERIAL_PARITY_EVEN;
	l->stop_bits = t->c_cflag & CSTOPB ? 2 : 1;
	l->status = 0;
}

static int tvs_install(struct tty_driver *driver, struct tty_struct *tty)
{
	struct tvs_port *p;
	int ret = -ENODEV;

	mutex_lock(&tvs_lines_lock);
	p = tvs_lines[tty->index];
	if (p && p->tty_dev) {
		tty->driver_data = p;
		ret = tty_port_install(&p->port, driver, tty);
	}
	mutex_unlock(&tvs_lines_lock);
	return ret;
}

static int tvs_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(tty->port, tty, filp);
}

static void tvs_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(tty->port, tty, filp);
}

static void tvs_hangup(struct tty_struct *tty)
{
	tty_port_hangup(tty->port);
}

static int tvs_write(struct tty_struct *tty, const u8 *buf, int count)
{
	struct tvs_port *p = tvs_port_of(tty);
	struct tvs_chan *c = p->chan;
	bool notify = false;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&c->lock, flags);
	if (c->live)
		n = tvs_port_write(p, buf, count, &notify);
	if (n && !notify) {
		/* Below the threshold: ring at the latest after max-delay. */
		if (p->tx_max_delay_us == 0)
			notify = true;
		else if (!hrtimer_active(&c->tx_timer))
			hrtimer_start(&c->tx_timer,
				      ns_to_ktime(p->tx_max_delay_us *
						  (u64)NSEC_PER_USEC),
				      HRTIMER_MODE_REL);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (notify) {
		hrtimer_try_to_cancel(&c->tx_timer);
		tvs_notify(c);
	}
	return n;
}

static unsigned int tvs_write_room(struct tty_struct *tty)
{
	struct tvs_port *p = tvs_port_of(tty);
	unsigned int room = 0;
	unsigned long flags;
	u32 fill;

	/* Detached, or nothing written since the ring was last seen empty. */
	if (!READ_ONCE(p->chan->live))
		return 0;
	if (READ_ONCE(p->tx_empty))
		return READ_ONCE(p->chan->layout.ring_size);
	spin_lock_irqsave(&p->chan->lock, flags);
	if (p->chan->live) {
		room = tvs_port_tx_room(p, &fill);
		if (room == 0)
			tvs_port_want_space(p, false);
	}
	spin_unlock_irqrestore(&p->chan->lock, flags);
	return room;
}

static unsigned int tvs_chars_in_buffer(struct tty_struct *tty)
{
	struct tvs_port *p = tvs_port_of(tty);
	unsigned long flags;
	u32 fill = 0;

	if (READ_ONCE(p->tx_empty) || !READ_ONCE(p->chan->live))
		return 0; /* as below, without the lock */
	spin_lock_irqsave(&p->chan->lock, flags);
	if (p->chan->live) {
		tvs_port_tx_room(p, &fill);
		/* Someone waits for the ring to drain (close, tcdrain). */
		if (fill)
			tvs_port_want_space(p, true);
	}
	spin_unlock_irqrestore(&p->chan->lock, flags);
	return fill;
}

/* Control bits and the line settings to the RTOS; rings it if attached. */
static void tvs_update(struct tvs_port *p, u32 ctrl,
		       const struct tandem_vserial_line *l)
{
	struct tvs_chan *c = p->chan;
	unsigned long flags;
	bool live;

	spin_lock_irqsave(&c->lock, flags);
	tvs_port_set_ctrl(p, ctrl);
	if (l)
		tvs_port_set_line(p, l);
	live = c->live;
	spin_unlock_irqrestore(&c->lock, flags);
	if (live)
		tvs_notify(c);
}

static u32 tvs_ctrl_for(struct tty_struct *tty, u32 ctrl)
{
	ctrl |= TANDEM_VSERIAL_CTRL_OPEN;
	if (C_BAUD(tty) == B0)
		ctrl &= ~(TANDEM_VSERIAL_CTRL_DTR | TANDEM_VSERIAL_CTRL_RTS);
	return ctrl;
}

static void tvs_set_termios(struct tty_struct *tty, const struct ktermios *old)
{
	struct tvs_port *p = tvs_port_of(tty);
	struct tandem_vserial_line l = p->req;
	u32 ctrl = p->ctrl;

	tvs_line_from_termios(tty, &l);
	/* Leaving B0 raises DTR and RTS again, as serial drivers do. */
	if (old && (old->c_cflag & CBAUD) == B0 && C_BAUD(tty) != B0)
		ctrl |= TANDEM_VSERIAL_CTRL_DTR | TANDEM_VSERIAL_CTRL_RTS;
	tty_termios_encode_baud_rate(&tty->termios, l.baud, l.baud);
	tvs_update(p, tvs_ctrl_for(tty, ctrl), &l);
}

static void tvs_throttle(struct tty_struct *tty)
{
	WRITE_ONCE(tvs_port_of(tty)->throttled, true);
}

static void tvs_unthrottle(struct tty_struct *tty)
{
	struct tvs_port *p = tvs_port_of(tty);

	WRITE_ONCE(p->throttled, false);
	tvs_kick(p->chan); /* what waits in the RX ring */
}

static int tvs_tiocmget(struct tty_struct *tty)
{
	struct tvs_port *p = tvs_port_of(tty);
	u32 modem = tvs_port_modem(p), ctrl = p->ctrl;

	return (modem & TANDEM_VSERIAL_MODEM_DCD ? TIOCM_CAR : 0) |
	       (modem & TANDEM_VSERIAL_MODEM_DSR ? TIOCM_DSR : 0) |
	       (modem & TANDEM_VSERIAL_MODEM_CTS ? TIOCM_CTS : 0) |
	       (modem & TANDEM_VSERIAL_MODEM_RI ? TIOCM_RI : 0) |
	       (ctrl & TANDEM_VSERIAL_CTRL_DTR ? TIOCM_DTR : 0) |
	       (ctrl & TANDEM_VSERIAL_CTRL_RTS ? TIOCM_RTS : 0);
}

static int tvs_tiocmset(struct tty_struct *tty, unsigned int set,
			unsigned int clear)
{
	struct tvs_port *p = tvs_port_of(tty);
	u32 ctrl = p->ctrl;

	if (clear & TIOCM_DTR)
		ctrl &= ~TANDEM_VSERIAL_CTRL_DTR;
	if (clear & TIOCM_RTS)
		ctrl &= ~TANDEM_VSERIAL_CTRL_RTS;
	if (set & TIOCM_DTR)
		ctrl |= TANDEM_VSERIAL_CTRL_DTR;
	if (set & TIOCM_RTS)
		ctrl |= TANDEM_VSERIAL_CTRL_RTS;
	tvs_update(p, ctrl, NULL);
	return 0;
}

static int tvs_break_ctl(struct tty_struct *tty, int state)
{
	struct tvs_port *p = tvs_port_of(tty);
	u32 ctrl = p->ctrl & ~TANDEM_VSERIAL_CTRL_BREAK;

	tvs_update(p, state ? ctrl | TANDEM_VSERIAL_CTRL_BREAK : ctrl, NULL);
	return 0;
}

static const struct tty_operations tvs_tty_ops = {
    .install = tvs_install,
    .open = tvs_open,
    .close = tvs_close,
    .hangup = tvs_hangup,
    .write = tvs_write,
    .write_room = tvs_write_room,
    .chars_in_buffer = tvs_chars_in_buffer,
    .set_termios = tvs_set_termios,
    .throttle = tvs_throttle,
    .unthrottle = tvs_unthrottle,
    .tiocmget = tvs_tiocmget,
    .tiocmset = tvs_tiocmset,
    .break_ctl = tvs_break_ctl,
};

/* First open: OPEN, DTR and RTS, and the line settings, to the RTOS. */
static int tvs_activate(struct tty_port *port, struct tty_struct *tty)
{
	struct tvs_port *p = container_of(port, struct tvs_port, port);
	struct tandem_vserial_line l = p->req;

	WRITE_ONCE(p->throttled, false);
	tvs_line_from_termios(tty, &l);
	tvs_update(p,
		   tvs_ctrl_for(tty, TANDEM_VSERIAL_CTRL_DTR |
					 TANDEM_VSERIAL_CTRL_RTS),
		   &l);
	return 0;
}

/* Last close or hangup: the port is closed for the RTOS too. */
static void tvs_shutdown(struct tty_port *port)
{
	tvs_update(container_of(port, struct tvs_port, port), 0, NULL);
}

static const struct tty_port_operations tvs_port_ops = {
    .activate = tvs_activate,
    .shutdown = tvs_shutdown,
};

void tvs_tty_init_ports(struct tvs_chan *c)
{
	static const struct tandem_vserial_line line_8n1 = {
	    .baud = 115200, .data_bits = 8, .stop_bits = 1};
	unsigned int i;

	mutex_lock(&tvs_lines_lock);
	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++) {
		struct tvs_port *p = &c->ports[i];

		tty_port_init(&p->port);
		p->port.ops = &tvs_port_ops;
		p->req = line_8n1;
		tvs_lines[p->line] = p;
	}
	mutex_unlock(&tvs_lines_lock);
}

/* /dev/ttyTV* for the first nr_ports ports of c, none for the others. */
void tvs_tty_register(struct tvs_chan *c, unsigned int nr_ports)
{
	struct device *dev;
	unsigned int i;

	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++) {
		struct tvs_port *p = &c->ports[i];

		if (i < nr_ports && !p->tty_dev) {
			dev = tty_port_register_device(&p->port, tvs_driver,
						       p->line, c->dev);
			if (IS_ERR(dev))
				dev_warn(c->dev, "ttyTV%u: error %ld\n",
					 p->line, PTR_ERR(dev));
			else
				WRITE_ONCE(p->tty_dev, dev);
		} else if (i >= nr_ports && p->tty_dev) {
			tty_port_tty_hangup(&p->port, false);
			WRITE_ONCE(p->tty_dev, NULL);
			tty_unregister_device(tvs_driver, p->line);
		}
	}
}

void tvs_tty_release_ports(struct tvs_chan *c)
{
	unsigned int i;

	tvs_tty_register(c, 0);
	mutex_lock(&tvs_lines_lock);
	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++)
		tvs_lines[c->ports[i].line] = NULL;
	mutex_unlock(&tvs_lines_lock);
	for (i = 0; i < TANDEM_VSERIAL_MAX_PORTS; i++)
		tty_port_destroy(&c->ports[i].port);
}

static int __init tvs_init(void)
{
	struct tty_driver *drv;
	int ret;

	drv = tty_alloc_driver(TVS_LINES,
			       TTY_DRIVER_REAL_RAW | TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(drv))
		return PTR_ERR(drv);
	drv->driver_name = "tandem_vserial";
	drv->name = "ttyTV";
	drv->type = TTY_DRIVER_TYPE_SERIAL;
	drv->subtype = SERIAL_TYPE_NORMAL;
	drv->init_termios = tty_std_termios;
	drv->init_termios.c_cflag = B115200 | CS8 | CREAD | HUPCL | CLOCAL;
	drv->init_termios.c_ispeed = 115200;
	drv->init_termios.c_ospeed = 115200;
	tty_set_operations(drv, &tvs_tty_ops);
	ret = tty_register_driver(drv);
	if (ret)
		goto err_put;
	tvs_driver = drv;
	ret = platform_driver_register(&tvs_platform_driver);
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	tty_unregister_driver(drv);
err_put:
	tty_driver_kref_put(drv);
	return ret;
}

static void __exit tvs_exit(void)
{
	platform_driver_unregister(&tvs_platform_driver);
	tty_unregister_driver(tvs_driver);
	tty_driver_kref_put(tvs_driver);
}

module_init(tvs_init);
module_exit(tvs_exit);
MODULE_DESCRIPTION("Tandem vserial: serial ports of a Tandem channel as ttys");
MODULE_LICENSE("GPL");
