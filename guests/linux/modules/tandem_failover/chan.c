// SPDX-License-Identifier: GPL-2.0
/*
 * Raw channels: a misc device /dev/tandem-chanN for each Tandem channel whose
 * description names a protocol other than the vserial ring's, so that a user
 * space program (tandem-recordd) can speak that protocol itself: it maps the
 * window, rings the peer through TANDEM_HC_CHANNEL_NOTIFY and sleeps in poll()
 * or read() until the peer's doorbell interrupt. tandem_failover_uapi.h says
 * what each call does. The driver neither reads nor writes the window.
 */
#include <linux/arm-smccc.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "tandem_failover.h"

static_assert(TANDEM_CHAN_IOC_NOTIFY == _IO('T', 0xf0));
static_assert(TANDEM_CHAN_IOC_INFO == _IOR('T', 0xf1, struct tandem_chan_info));

struct tfo_chan {
	struct miscdevice misc;
	char name[24]; /* tandem-chanN */
	struct device *dev;
	phys_addr_t base;
	u32 size, id, side;
	const char *label, *protocol;
	atomic64_t doorbells; /* received */
	atomic64_t notified;  /* rung */
	wait_queue_head_t wait;
};

/* Per open file: the doorbell count its last read() returned. */
struct tfo_chan_file {
	struct tfo_chan *chan;
	u64 seen;
};

static void tfo_chan_notify(struct tfo_chan *c)
{
	struct arm_smccc_res res;

	/* The caller's stores to the window before the peer's interrupt. */
	mb();
	arm_smccc_1_1_hvc(TANDEM_HC_CHANNEL_NOTIFY, c->id, &res);
	atomic64_inc(&c->notified);
	if ((long)res.a0 != TANDEM_OK)
		dev_warn_ratelimited(c->dev,
				     "channel %u: notify returned %ld\n", c->id,
				     (long)res.a0);
}

static irqreturn_t tfo_chan_doorbell(int irq, void *data)
{
	struct tfo_chan *c = data;

	atomic64_inc(&c->doorbells);
	wake_up_interruptible_all(&c->wait);
	return IRQ_HANDLED;
}

static int tfo_chan_open(struct inode *inode, struct file *file)
{
	struct tfo_chan *c =
	    container_of(file->private_data, struct tfo_chan, misc);
	struct tfo_chan_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->chan = c;
	f->seen = atomic64_read(&c->doorbells);
	file->private_data = f;
	return 0;
}

static int tfo_chan_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tfo_chan_read(struct file *file, char __user *buf, size_t len,
			     loff_t *pos)
{
	struct tfo_chan_file *f = file->private_data;
	struct tfo_chan *c = f->chan;
	u64 now;
	int ret;

	if (len < sizeof(now))
		return -EINVAL;
	if (file->f_flags & O_NONBLOCK) {
		if (atomic64_read(&c->doorbells) == f->seen)
			return -EAGAIN;
	} else {
		ret = wait_event_interruptible(
		    c->wait, atomic64_read(&c->doorbells) != f->seen);
		if (ret)
			return ret;
	}
	now = atomic64_read(&c->doorbells);
	if (copy_to_user(buf, &now, sizeof(now)))
		return -EFAULT;
	f->seen = now;
	return sizeof(now);
}

static ssize_t tfo_chan_write(struct file *file, const char __user *buf,
			      size_t len, loff_t *pos)
{
	struct tfo_chan_file *f = file->private_data;

	tfo_chan_notify(f->chan);
	return len;
}

static __poll_t tfo_chan_poll(struct file *file, poll_table *wait)
{
	struct tfo_chan_file *f = file->private_data;

	poll_wait(file, &f->chan->wait, wait);
	return atomic64_read(&f->chan->doorbells) != f->seen
		   ? EPOLLIN | EPOLLRDNORM
		   : 0;
}

static long tfo_chan_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct tfo_chan_file *f = file->private_data;
	struct tfo_chan *c = f->chan;
	struct tandem_chan_info info = {};

	switch (cmd) {
	case TANDEM_CHAN_IOC_NOTIFY:
		tfo_chan_notify(c);
		return 0;
	case TANDEM_CHAN_IOC_INFO:
		info.id = c->id;
		info.side = c->side;
		info.size = c->size;
		info.doorbells = atomic64_read(&c->doorbells);
		info.notified = atomic64_read(&c->notified);
		strscpy(info.label, c->label, sizeof(info.label));
		strscpy(info.protocol, c->protocol, sizeof(info.protocol));
		return copy_to_user((void __user *)arg, &info, sizeof(info))
			   ? -EFAULT
			   : 0;
	}
	return -ENOTTY;
}

/* The whole window or a part of it, from offset 0 up, shared and cacheable. */
static int tfo_chan_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct tfo_chan_file *f = file->private_data;
	struct tfo_chan *c = f->chan;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL; /* a private copy would never see the peer */
	if (off >= c->size || len > c->size - off)
		return -EINVAL;
	/* Normal write-back memory, as the peer maps it (abi/channel.h). */
	vma->vm_flags |= VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	return remap_pfn_range(vma, vma->vm_start, PHYS_PFN(c->base + off), len,
			       vma->vm_page_prot);
}

static const struct file_operations tfo_chan_fops = {
    .owner = THIS_MODULE,
    .open = tfo_chan_open,
    .release = tfo_chan_release,
    .read = tfo_chan_read,
    .write = tfo_chan_write,
    .poll = tfo_chan_poll,
    .unlocked_ioctl = tfo_chan_ioctl,
    .mmap = tfo_chan_mmap,
    .llseek = noop_llseek,
};

static ssize_t info_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct tfo_chan *c = dev_get_drvdata(dev);

	return sysfs_emit(buf,
			  "id %u side %u size %#x label %s protocol %s "
			  "doorbells %llu notified %llu\n",
			  c->id, c->side, c->size, c->label, c->protocol,
			  (u64)atomic64_read(&c->doorbells),
			  (u64)atomic64_read(&c->notified));
}
static DEVICE_ATTR_RO(info);

static struct attribute *tfo_chan_attrs[] = {&dev_attr_info.attr, NULL};
ATTRIBUTE_GROUPS(tfo_chan);

static int tfo_chan_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct device_node *np = dev->of_node;
	struct tandem_channel_header *h;
	struct resource *res;
	struct tfo_chan *c;
	u32 magic, version, size;
	int irq, ret;

	c = devm_kzalloc(dev, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	/* The vserial ring's channels (no protocol, or "vserial") are not ours.
	 */
	if (of_property_read_string(np, TANDEM_CHANNEL_PROP_PROTOCOL,
				    &c->protocol) ||
	    !strcmp(c->protocol, TANDEM_CHANNEL_PROTOCOL_VSERIAL))
		return -ENODEV;
	if (of_property_read_string(np, TANDEM_CHANNEL_PROP_LABEL, &c->label))
		c->label = "";
	if (of_property_read_u32(np, TANDEM_CHANNEL_PROP_ID, &c->id) ||
	    of_property_read_u32(np, TANDEM_CHANNEL_PROP_SIDE, &c->side) ||
	    c->side > 1)
		return dev_err_probe(dev, -EINVAL, "%pOF: no %s or bad %s\n",
				     np, TANDEM_CHANNEL_PROP_ID,
				     TANDEM_CHANNEL_PROP_SIDE);
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < PAGE_SIZE ||
	    resource_size(res) > U32_MAX || !PAGE_ALIGNED(res->start) ||
	    !PAGE_ALIGNED(resource_size(res)))
		return dev_err_probe(dev, -EINVAL,
				     "reg: no usable window %pR\n", res);
	c->base = res->start;
	c->size = resource_size(res);
	/* Check Tandem's header before handing the window out. */
	h = memremap(c->base, sizeof(*h), MEMREMAP_WB);
	if (!h)
		return dev_err_probe(dev, -ENOMEM, "cannot map %pR\n", res);
	magic = READ_ONCE(h->magic);
	version = READ_ONCE(h->version);
	size = READ_ONCE(h->size);
	memunmap(h);
	if (magic != TANDEM_CHANNEL_MAGIC ||
	    version != TANDEM_CHANNEL_VERSION || size != c->size)
		return dev_err_probe(
		    dev, -EINVAL,
		    "channel header magic %#x version %u size "
		    "%#x: not a Tandem channel v1 of %#x bytes\n",
		    magic, version, size, c->size);
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;
	c->dev = dev;
	init_waitqueue_head(&c->wait);
	platform_set_drvdata(pdev, c);
	ret =
	    devm_request_irq(dev, irq, tfo_chan_doorbell, 0, dev_name(dev), c);
	if (ret)
		return dev_err_probe(dev, ret, "doorbell interrupt %d\n", irq);
	snprintf(c->name, sizeof(c->name), "tandem-chan%u", c->id);
	c->misc.minor = MISC_DYNAMIC_MINOR;
	c->misc.name = c->name;
	c->misc.fops = &tfo_chan_fops;
	c->misc.parent = dev;
	ret = misc_register(&c->misc);
	if (ret)
		return dev_err_probe(dev, ret, "cannot register /dev/%s\n",
				     c->name);
	dev_info(dev,
		 "channel %u \"%s\" (protocol %s, side %u, %#x bytes, doorbell "
		 "irq %d): /dev/%s\n",
		 c->id, c->label, c->protocol, c->side, c->size, irq, c->name);
	return 0;
}

static int tfo_chan_remove(struct platform_device *pdev)
{
	struct tfo_chan *c = platform_get_drvdata(pdev);

	misc_deregister(&c->misc);
	return 0;
}

static const struct of_device_id tfo_chan_of_match[] = {
    {.compatible = TANDEM_CHANNEL_COMPATIBLE}, {}};
MODULE_DEVICE_TABLE(of, tfo_chan_of_match);

struct platform_driver tfo_chan_driver = {
    .probe = tfo_chan_probe,
    .remove = tfo_chan_remove,
    .driver =
	{
	    .name = "tandem_chan",
	    .of_match_table = tfo_chan_of_match,
	    .dev_groups = tfo_chan_groups,
	    /* Open files and mappings pin the module; no unbinding under them.
	     */
	    .suppress_bind_attrs = true,
	},
};
