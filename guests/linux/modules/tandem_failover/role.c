// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's role in its failover group: bound to the "tandem,failover-v1" node
 * Tandem puts in each member's device tree, it asks TANDEM_HC_FAILOVER_STATE
 * for the role (active or standby), the generation (promotions so far) and the
 * group's channel, and asks again on the promotion interrupt.
 * /dev/tandem-failover shows that as one line and wakes poll() on every change
 * (tandem_failover_uapi.h), which is how tandem-recordd learns it was promoted.
 */
#include <linux/arm-smccc.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "tandem_failover.h"

struct tfo_state {
	u32 role; /* TANDEM_FAILOVER_ROLE_* */
	u64 generation;
	u32 channel;
};

struct tfo_role {
	struct miscdevice misc;
	struct device *dev;
	const char *group;
	struct mutex lock; /* state, changes */
	struct tfo_state state;
	u64 changes; /* +1 per change of state seen */
	u64 interrupts;
	wait_queue_head_t wait;
	struct work_struct work;
};

/* Per open file: the change count its last read saw. */
struct tfo_role_file {
	struct tfo_role *r;
	u64 seen;
};

static const char *const tfo_role_names[] = {"none", "active", "standby"};

static const char *tfo_role_name(u32 role)
{
	return role < ARRAY_SIZE(tfo_role_names) ? tfo_role_names[role]
						 : "unknown";
}

/* NOT_SUPPORTED (a Tandem without failover, or not a member): no group. */
static struct tfo_state tfo_query(void)
{
	struct tfo_state s = {.role = TANDEM_FAILOVER_ROLE_NONE};
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(TANDEM_HC_FAILOVER_STATE, &res);
	if ((long)res.a0 == TANDEM_OK) {
		s.role = (u32)res.a1;
		s.generation = res.a2;
		s.channel = (u32)res.a3;
	}
	return s;
}

static void tfo_refresh(struct tfo_role *r, const char *why)
{
	struct tfo_state s = tfo_query();

	mutex_lock(&r->lock);
	if (memcmp(&s, &r->state, sizeof(s))) {
		dev_info(r->dev,
			 "group %s: %s: role %s -> %s, generation %llu\n",
			 r->group, why, tfo_role_name(r->state.role),
			 tfo_role_name(s.role), s.generation);
		r->state = s;
		r->changes++;
	}
	mutex_unlock(&r->lock);
	wake_up_interruptible_all(&r->wait);
}

static void tfo_role_work(struct work_struct *work)
{
	tfo_refresh(container_of(work, struct tfo_role, work),
		    "promotion interrupt");
}

static irqreturn_t tfo_promotion_irq(int irq, void *data)
{
	struct tfo_role *r = data;

	r->interrupts++;
	/* The hypercall may sleep in a vCPU switch: not in the handler. */
	queue_work(system_highpri_wq, &r->work);
	return IRQ_HANDLED;
}

static int tfo_role_open(struct inode *inode, struct file *file)
{
	struct tfo_role *r =
	    container_of(file->private_data, struct tfo_role, misc);
	struct tfo_role_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->r = r;
	mutex_lock(&r->lock);
	f->seen = r->changes;
	mutex_unlock(&r->lock);
	file->private_data = f;
	return 0;
}

static int tfo_role_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tfo_role_read(struct file *file, char __user *buf, size_t len,
			     loff_t *pos)
{
	struct tfo_role_file *f = file->private_data;
	struct tfo_role *r = f->r;
	char line[128];
	int n;

	mutex_lock(&r->lock);
	n = scnprintf(line, sizeof(line),
		      "role=%s generation=%llu channel=%u group=%s\n",
		      tfo_role_name(r->state.role), r->state.generation,
		      r->state.channel, r->group);
	if (*pos == 0)
		f->seen = r->changes;
	mutex_unlock(&r->lock);
	return simple_read_from_buffer(buf, len, pos, line, n);
}

static __poll_t tfo_role_poll(struct file *file, poll_table *wait)
{
	struct tfo_role_file *f = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &f->r->wait, wait);
	mutex_lock(&f->r->lock);
	if (f->r->changes != f->seen)
		mask = EPOLLIN | EPOLLRDNORM | EPOLLPRI;
	mutex_unlock(&f->r->lock);
	return mask;
}

static const struct file_operations tfo_role_fops = {
    .owner = THIS_MODULE,
    .open = tfo_role_open,
    .release = tfo_role_release,
    .read = tfo_role_read,
    .poll = tfo_role_poll,
    .llseek = default_llseek,
};

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct tfo_role *r = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&r->lock);
	n = sysfs_emit(
	    buf,
	    "role=%s generation=%llu channel=%u group=%s changes=%llu "
	    "interrupts=%llu\n",
	    tfo_role_name(r->state.role), r->state.generation, r->state.channel,
	    r->group, r->changes, READ_ONCE(r->interrupts));
	mutex_unlock(&r->lock);
	return n;
}
static DEVICE_ATTR_RO(state);

static struct attribute *tfo_role_attrs[] = {&dev_attr_state.attr, NULL};
ATTRIBUTE_GROUPS(tfo_role);

static int tfo_role_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct tfo_role *r;
	int irq, ret;

	r = devm_kzalloc(dev, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->dev = dev;
	if (of_property_read_string(dev->of_node, "tandem,group", &r->group))
		r->group = "";
	mutex_init(&r->lock);
	init_waitqueue_head(&r->wait);
	INIT_WORK(&r->work, tfo_role_work);
	r->state = tfo_query();
	platform_set_drvdata(pdev, r);
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;
	ret =
	    devm_request_irq(dev, irq, tfo_promotion_irq, 0, dev_name(dev), r);
	if (ret)
		return dev_err_probe(dev, ret, "promotion interrupt %d\n", irq);
	r->misc.minor = MISC_DYNAMIC_MINOR;
	r->misc.name = "tandem-failover";
	r->misc.fops = &tfo_role_fops;
	r->misc.parent = dev;
	ret = misc_register(&r->misc);
	if (ret) {
		cancel_work_sync(&r->work);
		return dev_err_probe(dev, ret, "cannot register the device\n");
	}
	/* A promotion between the query above and the interrupt's request. */
	tfo_refresh(r, "probe");
	dev_info(
	    dev,
	    "group %s: role %s, generation %llu, channel %u (promotion irq "
	    "%d): /dev/tandem-failover\n",
	    r->group, tfo_role_name(r->state.role), r->state.generation,
	    r->state.channel, irq);
	return 0;
}

static int tfo_role_remove(struct platform_device *pdev)
{
	struct tfo_role *r = platform_get_drvdata(pdev);

	misc_deregister(&r->misc);
	devm_free_irq(&pdev->dev, platform_get_irq(pdev, 0), r);
	cancel_work_sync(&r->work);
	return 0;
}

static const struct of_device_id tfo_role_of_match[] = {
    {.compatible = TANDEM_FAILOVER_COMPATIBLE}, {}};
MODULE_DEVICE_TABLE(of, tfo_role_of_match);

struct platform_driver tfo_role_driver = {
    .probe = tfo_role_probe,
    .remove = tfo_role_remove,
    .driver =
	{
	    .name = "tandem_failover",
	    .of_match_table = tfo_role_of_match,
	    .dev_groups = tfo_role_groups,
	    .suppress_bind_attrs = true,
	},
};
