// SPDX-License-Identifier: GPL-2.0
/*
 * tandem_vport: a lean driver for one named port of a virtio-serial device (the
 * base station's moved device, issue 15), as /dev/tandem-vport. The stock
 * virtio_console binds a 31-port QEMU device in about 100 ms of guest time: it
 * sets up all 64 virtqueues and fills the control queue and the port's receive
 * queue with one 4 KiB buffer per entry, 1024 each (QEMU's virtio-mmio offers
 * 1024-entry queues), before the port's name arrives. A promoted backup waits
 * for all of that (docs/benchmarks.md, "Failover"); this driver sets up the
 * virtqueues of ports 0..max_port only (default 1: QEMU's first virtserialport
 * is port 1) and gives each receive queue a few buffers, so the port is ready
 * a few milliseconds after the bind.
 *
 * The control protocol is virtio 1.x section 5.3.6.2: DEVICE_READY; the
 * device's PORT_ADD is answered with PORT_READY once the port's receive queue
 * has buffers; PORT_NAME and PORT_OPEN follow. open() waits (up to 10 s, or not
 * at all with O_NONBLOCK) for the port named `name`, sends PORT_OPEN, and the
 * file then reads and writes its bytes; one opener at a time.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

static char *name = "records";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the port to serve, by the name the device gives it");
static unsigned int max_port = 1;
module_param(max_port, uint, 0444);
MODULE_PARM_DESC(max_port, "the highest port id to serve");

#define TVP_MAX_PORTS 8
#define TVP_CTRL_BUFS 8	  /* control messages arrive a few at a time */
#define TVP_CTRL_SIZE 256 /* a header and a port name */
#define TVP_RX_BUFS 16
#define TVP_RX_SIZE PAGE_SIZE
#define TVP_TX_MAX PAGE_SIZE /* bytes per write() */

struct tvp_buf {
	struct list_head list;
	size_t len, off;
	char data[];
};

struct tvp_port {
	struct virtqueue *rx, *tx;
	bool added;
};

struct tvp_dev {
	struct virtio_device *vdev;
	struct virtqueue *c_ivq, *c_ovq;
	struct tvp_port ports[TVP_MAX_PORTS];
	unsigned int nr_ports;
	int chosen; /* the port named `name`, or -1 */
	bool host_connected, gone;
	struct work_struct ctrl_work;
	struct mutex ctrl_lock; /* c_ovq and cpkt */
	struct virtio_console_control cpkt;
	spinlock_t rx_lock;	  /* rx_done and the chosen port's rx queue */
	struct list_head rx_done; /* filled buffers, in arrival order */
	spinlock_t tx_lock;
};

static DEFINE_MUTEX(tvp_lock); /* tvp, tvp_open */
static struct tvp_dev *tvp;    /* the bound device (one) */
static bool tvp_open;
static DECLARE_WAIT_QUEUE_HEAD(
    tvp_wait); /* port chosen, data, host connection, unbind */

static struct tvp_buf *tvp_buf_alloc(size_t size, gfp_t gfp)
{
	struct tvp_buf *b = kmalloc(sizeof(*b) + size, gfp);

	if (b)
		b->len = b->off = 0;
	return b;
}

/* Gives `vq` an empty buffer of `size` to fill; the caller kicks. */
static int tvp_add_inbuf(struct virtqueue *vq, size_t size, gfp_t gfp)
{
	struct tvp_buf *b = tvp_buf_alloc(size, gfp);
	struct scatterlist sg;
	int ret;

	if (!b)
		return -ENOMEM;
	sg_init_one(&sg, b->data, size);
	ret = virtqueue_add_inbuf(vq, &sg, 1, b, gfp);
	if (ret)
		kfree(b);
	return ret;
}

/* One control message to the device; it takes it at the kick (QEMU:
 * synchronously). */
static void tvp_send_ctrl(struct tvp_dev *d, u32 id, u16 event, u16 value)
{
	struct scatterlist sg;
	unsigned int len, spins = 0;

	mutex_lock(&d->ctrl_lock);
	d->cpkt.id = cpu_to_virtio32(d->vdev, id);
	d->cpkt.event = cpu_to_virtio16(d->vdev, event);
	d->cpkt.value = cpu_to_virtio16(d->vdev, value);
	sg_init_one(&sg, &d->cpkt, sizeof(d->cpkt));
	if (virtqueue_add_outbuf(d->c_ovq, &sg, 1, &d->cpkt, GFP_KERNEL) == 0) {
		virtqueue_kick(d->c_ovq);
		while (!virtqueue_get_buf(d->c_ovq, &len) &&
		       !virtqueue_is_broken(d->c_ovq) && ++spins < 10000000)
			cpu_relax();
	}
	mutex_unlock(&d->ctrl_lock);
}

static void tvp_port_add(struct tvp_dev *d, u32 id)
{
	struct tvp_port *p = id < d->nr_ports ? &d->ports[id] : NULL;
	int i, n = 0;

	if (!p) { /* no virtqueues set up for it: refused */
		dev_info(&d->vdev->dev, "port %u refused (max_port=%u)\n", id,
			 max_port);
		tvp_send_ctrl(d, id, VIRTIO_CONSOLE_PORT_READY, 0);
		return;
	}
	if (!p->added) {
		spin_lock_irq(&d->rx_lock);
		for (i = 0; i < TVP_RX_BUFS; i++)
			if (tvp_add_inbuf(p->rx, TVP_RX_SIZE, GFP_ATOMIC) == 0)
				n++;
		virtqueue_kick(p->rx);
		spin_unlock_irq(&d->rx_lock);
		p->added = n > 0;
	}
	tvp_send_ctrl(d, id, VIRTIO_CONSOLE_PORT_READY, p->added);
}

static void tvp_handle_ctrl(struct tvp_dev *d, struct tvp_buf *b)
{
	struct virtio_console_control *c = (void *)b->data;
	u32 id;
	u16 event, value;
	size_t n;

	if (b->len < sizeof(*c))
		return;
	id = virtio32_to_cpu(d->vdev, c->id);
	event = virtio16_to_cpu(d->vdev, c->event);
	value = virtio16_to_cpu(d->vdev, c->value);
	switch (event) {
	case VIRTIO_CONSOLE_PORT_ADD:
		tvp_port_add(d, id);
		break;
	case VIRTIO_CONSOLE_PORT_NAME:
		n = min_t(size_t, b->len, TVP_CTRL_SIZE - 1) - sizeof(*c);
		b->data[sizeof(*c) + n] = 0;
		if (id < d->nr_ports && d->ports[id].added && d->chosen < 0 &&
		    !strcmp(b->data + sizeof(*c), name)) {
			WRITE_ONCE(d->chosen, id);
			wake_up_interruptible(&tvp_wait);
		}
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if ((int)id == READ_ONCE(d->chosen)) {
			WRITE_ONCE(d->host_connected, value);
			wake_up_interruptible(&tvp_wait);
		}
		break;
	case VIRTIO_CONSOLE_PORT_REMOVE:
		if ((int)id == READ_ONCE(d->chosen)) {
			WRITE_ONCE(d->gone, true);
			wake_up_interruptible(&tvp_wait);
		}
		break;
	default: /* CONSOLE_PORT, RESIZE: not a console */
		break;
	}
}

static void tvp_ctrl_work(struct work_struct *work)
{
	struct tvp_dev *d = container_of(work, struct tvp_dev, ctrl_work);
	struct tvp_buf *b;
	struct scatterlist sg;
	unsigned int len;

	while ((b = virtqueue_get_buf(d->c_ivq, &len))) {
		b->len = len;
		tvp_handle_ctrl(d, b);
		sg_init_one(&sg, b->data, TVP_CTRL_SIZE);
		if (virtqueue_add_inbuf(d->c_ivq, &sg, 1, b, GFP_KERNEL))
			kfree(b);
		virtqueue_kick(d->c_ivq);
	}
}

static void tvp_ctrl_intr(struct virtqueue *vq)
{
	struct tvp_dev *d = vq->vdev->priv;

	schedule_work(&d->ctrl_work);
}

/* A receive queue's buffers came back: the chosen port's go to readers, others
 * are dropped. */
static void tvp_rx_intr(struct virtqueue *vq)
{
	struct tvp_dev *d = vq->vdev->priv;
	struct tvp_buf *b;
	unsigned long flags;
	unsigned int len;
	bool mine = d->chosen >= 0 && vq == d->ports[d->chosen].rx;

	spin_lock_irqsave(&d->rx_lock, flags);
	while ((b = virtqueue_get_buf(vq, &len))) {
		struct scatterlist sg;

		if (mine) {
			b->len = len;
			b->off = 0;
			list_add_tail(&b->list, &d->rx_done);
			continue;
		}
		sg_init_one(&sg, b->data, TVP_RX_SIZE);
		if (virtqueue_add_inbuf(vq, &sg, 1, b, GFP_ATOMIC))
			kfree(b);
	}
	if (!mine)
		virtqueue_kick(vq);
	spin_unlock_irqrestore(&d->rx_lock, flags);
	if (mine)
		wake_up_interruptible(&tvp_wait);
}

static bool tvp_ready(void)
{
	return tvp && (READ_ONCE(tvp->chosen) >= 0 || READ_ONCE(tvp->gone));
}

static int tvp_fop_open(struct inode *inode, struct file *f)
{
	struct tvp_dev *d;
	long left;

	if (!(f->f_flags & O_NONBLOCK)) {
		left = wait_event_interruptible_timeout(tvp_wait, tvp_ready(),
							10 * HZ);
		if (left < 0)
			return left;
	}
	mutex_lock(&tvp_lock);
	d = tvp;
	if (!d || d->chosen < 0 || d->gone) {
		mutex_unlock(&tvp_lock);
		return f->f_flags & O_NONBLOCK ? -EAGAIN : -ENODEV;
	}
	if (tvp_open) {
		mutex_unlock(&tvp_lock);
		return -EBUSY;
	}
	tvp_open = true;
	f->private_data = d;
	tvp_send_ctrl(d, d->chosen, VIRTIO_CONSOLE_PORT_OPEN, 1);
	mutex_unlock(&tvp_lock);
	return 0;
}

static int tvp_fop_release(struct inode *inode, struct file *f)
{
	struct tvp_dev *d = f->private_data;

	mutex_lock(&tvp_lock);
	if (d == tvp && !d->gone)
		tvp_send_ctrl(d, d->chosen, VIRTIO_CONSOLE_PORT_OPEN, 0);
	tvp_open = false;
	mutex_unlock(&tvp_lock);
	return 0;
}

/* The device of an open file, while it is still bound (an unbind ends the
 * file's use). */
static struct tvp_dev *tvp_live(struct file *f)
{
	struct tvp_dev *d = f->private_data;

	return d == READ_ONCE(tvp) && !READ_ONCE(d->gone) ? d : NULL;
}

static bool tvp_readable(struct file *f)
{
	struct tvp_dev *d = tvp_live(f);

	return !d || !list_empty_careful(&d->rx_done);
}

static ssize_t tvp_fop_read(struct file *f, char __user *ubuf, size_t count,
			    loff_t *pos)
{
	struct tvp_dev *d;
	struct tvp_buf *b;
	struct scatterlist sg;
	size_t n;
	int ret;

	for (;;) {
		mutex_lock(&tvp_lock);
		d = tvp_live(f);
		if (!d) {
			mutex_unlock(&tvp_lock);
			return 0; /* the port went away: end of file */
		}
		spin_lock_irq(&d->rx_lock);
		b = list_first_entry_or_null(&d->rx_done, struct tvp_buf, list);
		if (b)
			list_del(&b->list);
		spin_unlock_irq(&d->rx_lock);
		if (b)
			break;
		mutex_unlock(&tvp_lock);
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(tvp_wait, tvp_readable(f));
		if (ret)
			return ret;
	}
	/* tvp_lock held: the device stays bound while its buffer is copied out.
	 */
	n = min(count, b->len - b->off);
	if (copy_to_user(ubuf, b->data + b->off, n))
		n = 0, ret = -EFAULT;
	else
		ret = 0;
	b->off += n;
	spin_lock_irq(&d->rx_lock);
	if (b->off < b->len && !ret) {
		list_add(&b->list, &d->rx_done); /* the rest: next read */
	} else {
		sg_init_one(&sg, b->data, TVP_RX_SIZE);
		if (virtqueue_add_inbuf(d->ports[d->chosen].rx, &sg, 1, b,
					GFP_ATOMIC))
			kfree(b);
		virtqueue_kick(d->ports[d->chosen].rx);
	}
	spin_unlock_irq(&d->rx_lock);
	mutex_unlock(&tvp_lock);
	return ret ? ret : n;
}

/* Frees what the device has sent. Called with tx_lock held. */
static void tvp_tx_reclaim(struct virtqueue *vq)
{
	struct tvp_buf *b;
	unsigned int len;

	while ((b = virtqueue_get_buf(vq, &len)))
		kfree(b);
}

static ssize_t tvp_fop_write(struct file *f, const char __user *ubuf,
			     size_t count, loff_t *pos)
{
	size_t n = min_t(size_t, count, TVP_TX_MAX);
	struct tvp_buf *b = tvp_buf_alloc(n, GFP_KERNEL);
	struct scatterlist sg;
	struct virtqueue *vq;
	struct tvp_dev *d;
	int ret;

	if (!b)
		return -ENOMEM;
	if (copy_from_user(b->data, ubuf, n)) {
		kfree(b);
		return -EFAULT;
	}
	mutex_lock(&tvp_lock);
	d = tvp_live(f);
	if (!d) {
		mutex_unlock(&tvp_lock);
		kfree(b);
		return -ENODEV;
	}
	vq = d->ports[d->chosen].tx;
	sg_init_one(&sg, b->data, n);
	spin_lock_irq(&d->tx_lock);
	tvp_tx_reclaim(vq);
	ret = virtqueue_add_outbuf(vq, &sg, 1, b, GFP_ATOMIC);
	if (!ret)
		virtqueue_kick(vq);
	spin_unlock_irq(&d->tx_lock);
	mutex_unlock(&tvp_lock);
	if (ret) {
		kfree(b);
		return -EAGAIN; /* the device has not taken what was sent before
				 */
	}
	return n;
}

static __poll_t tvp_fop_poll(struct file *f, poll_table *wait)
{
	poll_wait(f, &tvp_wait, wait);
	if (!tvp_live(f))
		return EPOLLHUP | EPOLLIN;
	return EPOLLOUT | EPOLLWRNORM |
	       (tvp_readable(f) ? EPOLLIN | EPOLLRDNORM : 0);
}

static const struct file_operations tvp_fops = {
    .owner = THIS_MODULE,
    .open = tvp_fop_open,
    .release = tvp_fop_release,
    .read = tvp_fop_read,
    .write = tvp_fop_write,
    .poll = tvp_fop_poll,
    .llseek = no_llseek,
};

static struct miscdevice tvp_misc = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "tandem-vport",
    .fops = &tvp_fops,
};

static void tvp_free_bufs(struct tvp_dev *d)
{
	struct tvp_buf *b, *t;
	struct virtqueue *vq;
	unsigned int len;

	list_for_each_entry_safe(b, t, &d->rx_done, list) kfree(b);
	/* The device is reset (or never started): what it used and what it
	 * never took. */
	list_for_each_entry(vq, &d->vdev->vqs, list)
	{
		while ((b = virtqueue_get_buf(vq, &len)))
			if ((void *)b != &d->cpkt)
				kfree(b);
		while ((b = virtqueue_detach_unused_buf(vq)))
			if ((void *)b != &d->cpkt)
				kfree(b);
	}
}

static int tvp_probe(struct virtio_device *vdev)
{
	vq_callback_t *cbs[2 * TVP_MAX_PORTS + 2];
	struct virtqueue *vqs[2 * TVP_MAX_PORTS + 2];
	const char *names[2 * TVP_MAX_PORTS + 2];
	struct tvp_dev *d;
	u32 max_nr_ports = 1;
	unsigned int i, nvqs;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_CONSOLE_F_MULTIPORT)) {
		dev_err(
		    &vdev->dev,
		    "no multiport feature: the device has no named ports\n");
		return -ENODEV;
	}
	virtio_cread(vdev, struct virtio_console_config, max_nr_ports,
		     &max_nr_ports);
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->vdev = vdev;
	d->chosen = -1;
	d->nr_ports = min3(max_nr_ports, max_port + 1, (u32)TVP_MAX_PORTS);
	INIT_WORK(&d->ctrl_work, tvp_ctrl_work);
	mutex_init(&d->ctrl_lock);
	spin_lock_init(&d->rx_lock);
	spin_lock_init(&d->tx_lock);
	INIT_LIST_HEAD(&d->rx_done);
	vdev->priv = d;
	/*
	 * Queue layout (virtio 1.x 5.3.2): port 0 rx/tx, control rx/tx, then
	 * port 1.. rx/tx. Port 0's are set up although QEMU's virtserialport is
	 * port 1: a NULL name would skip a queue, but 6.1's virtio_mmio numbers
	 * the device's queues by the named ones only. Each queue costs its
	 * 1024-entry ring here, some 0.3 ms under icount.
	 */
	nvqs = 2 * d->nr_ports + 2;
	for (i = 0; i < nvqs; i++) {
		bool ctrl = i == 2 || i == 3;

		cbs[i] = i == 2			 ? tvp_ctrl_intr
			 : (!ctrl && i % 2 == 0) ? tvp_rx_intr
						 : NULL;
		names[i] = ctrl	   ? (i == 2 ? "control-i" : "control-o")
			   : i % 2 ? "output"
				   : "input";
	}
	ret = virtio_find_vqs(vdev, nvqs, vqs, cbs, names, NULL);
	if (ret)
		goto fail;
	for (i = 0; i < d->nr_ports; i++) {
		d->ports[i].rx = vqs[i ? 2 * i + 2 : 0];
		d->ports[i].tx = vqs[i ? 2 * i + 3 : 1];
	}
	d->c_ivq = vqs[2];
	d->c_ovq = vqs[3];
	for (i = 0; i < TVP_CTRL_BUFS; i++) {
		ret = tvp_add_inbuf(d->c_ivq, TVP_CTRL_SIZE, GFP_KERNEL);
		if (ret)
			goto fail_vqs;
	}
	mutex_lock(&tvp_lock);
	if (tvp) { /* one device at a time */
		mutex_unlock(&tvp_lock);
		ret = -EBUSY;
		goto fail_vqs;
	}
	tvp = d;
	mutex_unlock(&tvp_lock);
	virtio_device_ready(vdev);
	virtqueue_kick(d->c_ivq);
	tvp_send_ctrl(d, VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	return 0;

fail_vqs:
	virtio_reset_device(vdev);
	tvp_free_bufs(d);
	vdev->config->del_vqs(vdev);
fail:
	kfree(d);
	return ret;
}

static void tvp_remove(struct virtio_device *vdev)
{
	struct tvp_dev *d = vdev->priv;

	mutex_lock(&tvp_lock);
	WRITE_ONCE(d->gone, true);
	tvp = NULL;
	mutex_unlock(&tvp_lock);
	wake_up_interruptible(&tvp_wait);
	virtio_reset_device(vdev);
	cancel_work_sync(&d->ctrl_work);
	tvp_free_bufs(d);
	vdev->config->del_vqs(vdev);
	kfree(d);
}

static const struct virtio_device_id tvp_ids[] = {
    {VIRTIO_ID_CONSOLE, VIRTIO_DEV_ANY_ID},
    {0},
};

static unsigned int tvp_features[] = {VIRTIO_CONSOLE_F_MULTIPORT};

static struct virtio_driver tvp_driver = {
    .driver.name = KBUILD_MODNAME,
    .driver.owner = THIS_MODULE,
    .id_table = tvp_ids,
    .feature_table = tvp_features,
    .feature_table_size = ARRAY_SIZE(tvp_features),
    .probe = tvp_probe,
    .remove = tvp_remove,
};

static int __init tvp_init(void)
{
	int ret = misc_register(&tvp_misc);

	if (ret)
		return ret;
	ret = register_virtio_driver(&tvp_driver);
	if (ret)
		misc_deregister(&tvp_misc);
	return ret;
}

static void __exit tvp_exit(void)
{
	unregister_virtio_driver(&tvp_driver);
	misc_deregister(&tvp_misc);
}

module_init(tvp_init);
module_exit(tvp_exit);
MODULE_DESCRIPTION(
    "Tandem: one named port of a virtio-serial device, bound in milliseconds");
MODULE_LICENSE("GPL");
