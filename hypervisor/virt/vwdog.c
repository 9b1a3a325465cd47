/*
 * The emulated SBSA generic watchdog (Arm SBSA, "Generic Watchdog"; docs/design.md, "Health
 * monitoring"). Control frame: WCS (EN, WS0, WS1), WOR, WCV, W_IIDR; refresh frame: WRR and
 * W_IIDR; everything else reads as zero and ignores writes, as the hardware does.
 *
 * An explicit refresh (a write to WRR, WOR or WCS) clears WS0 and WS1 and sets WCV = now + WOR.
 * While EN is set and the virtual counter (== the physical one: CNTVOFF is 0) reaches WCV, the
 * first timeout sets WS0 (raising the level SPI) and WCV += WOR; the second sets WS1: the VM has
 * failed, and vm_fail() applies its on-failure policy. A software timer on the pCPU that
 * armed it stands for the comparator.
 *
 * Locks: vwdog.lock is a leaf, taken with interrupts masked (the timer callback takes it in
 * IRQ context); vgic_set_level() and vm_fail() are called without it.
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/guest_log.h>
#include <tandem/log.h>
#include <tandem/mmio.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>
#include <tandem/timer.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vwdog.h>

struct vwdog {
	spinlock_t lock;
	struct vm *vm;
	bool enabled, ws0, ws1;
	bool failed; /* WS1 reached in this incarnation: the restart keeps WS1 (vwdog_vm_reset) */
	uint32_t wor;
	uint64_t wcv;
	struct timer timer;
};

static struct vwdog vwdogs[CFG_MAX_VMS];

/* Where WCV stands: the comparator runs only while enabled. Under the lock. */
static void arm_locked(struct vwdog *wd)
{
	if (wd->enabled && !wd->ws1)
		timer_arm(&wd->timer, wd->wcv);
	else
		timer_cancel(&wd->timer);
}

/* Under the lock; the caller lowers the WS0 line after dropping it. */
static void refresh_locked(struct vwdog *wd)
{
	wd->ws0 = false;
	wd->ws1 = false;
	wd->wcv = arch_counter_read() + wd->wor;
	arm_locked(wd);
}

static unsigned long lock(struct vwdog *wd)
{
	unsigned long flags = arch_irq_save();

	spin_lock(&wd->lock);
	return flags;
}

static void unlock(struct vwdog *wd, unsigned long flags)
{
	spin_unlock(&wd->lock);
	arch_irq_restore(flags);
}

static void timeout(struct timer *t)
{
	struct vwdog *wd = container_of(t, struct vwdog, timer);
	struct vm *vm = wd->vm;
	bool first, failed = false;
	unsigned long flags = lock(wd);

	/* Cancelled or refreshed meanwhile (the callback runs unlocked in timer_irq). */
	if (!wd->enabled || wd->ws1 || arch_counter_read() < wd->wcv || vm->state != VM_RUNNING) {
		unlock(wd, flags);
		return;
	}
	first = !wd->ws0;
	if (first) {
		wd->ws0 = true;
		wd->wcv += wd->wor;
		arm_locked(wd);
	} else {
		wd->ws1 = true;
		wd->failed = failed = true;
	}
	unlock(wd, flags);
	if (first) {
		log_info("vm %s: watchdog WS0 at %llu us (virtual), WS1 due in %u ticks", vm->name,
			 (unsigned long long)vm_time_us(), wd->wor);
		vgic_set_level(vm, vm->cfg->watchdog_spi, true);
	} else if (failed) {
		vm_fail(vm, FAILOVER_WATCHDOG, "watchdog WS1: not refreshed within two timeouts");
	}
}

static uint32_t wcs(const struct vwdog *wd)
{
	return (wd->enabled ? VWDOG_WCS_EN : 0) | (wd->ws0 ? VWDOG_WCS_WS0 : 0) |
	       (wd->ws1 ? VWDOG_WCS_WS1 : 0);
}

static bool size_ok(struct vm *vm, const struct mmio_access *acc, const char *frame)
{
	if (acc->size == 4 || (acc->size == 8 && acc->offset == VWDOG_WCV && frame[0] == 'c'))
		return true;
	guest_log(vm, GLOG_REFUSED, "vm %s: watchdog %s frame: %u-byte %s at 0x%llx ignored",
		  vm->name, frame, acc->size, acc->write ? "write" : "read",
		  (unsigned long long)acc->offset);
	return false;
}

static int control_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vwdog *wd = opaque;
	bool lower = false;
	unsigned long flags;
	uint64_t v = acc->value;

	if (!size_ok(wd->vm, acc, "control")) {
		acc->value = 0;
		return 0;
	}
	flags = lock(wd);
	if (!acc->write) {
		switch (acc->offset) {
		case VWDOG_WCS:
			acc->value = wcs(wd);
			break;
		case VWDOG_WOR:
			acc->value = wd->wor;
			break;
		case VWDOG_WCV:
			acc->value = acc->size == 8 ? wd->wcv : (uint32_t)wd->wcv;
			break;
		case VWDOG_WCV + 4:
			acc->value = wd->wcv >> 32;
			break;
		case VWDOG_W_IIDR:
			acc->value = VWDOG_IIDR_VALUE;
			break;
		default:
			acc->value = 0;
			break; /* reserved: RAZ */
		}
	} else {
		switch (acc->offset) {
		case VWDOG_WCS: /* WS0/WS1 are read-only; the write itself is a refresh */
			wd->enabled = v & VWDOG_WCS_EN;
			refresh_locked(wd);
			lower = true;
			break;
		case VWDOG_WOR:
			wd->wor = (uint32_t)v;
			refresh_locked(wd);
			lower = true;
			break;
		case VWDOG_WCV: /* not a refresh: the comparator moves, the status stays */
			wd->wcv = acc->size == 8 ? v : (wd->wcv & ~0xffffffffULL) | (uint32_t)v;
			arm_locked(wd);
			break;
		case VWDOG_WCV + 4:
			wd->wcv = (wd->wcv & 0xffffffffULL) | v << 32;
			arm_locked(wd);
			break;
		default:
			break; /* reserved and read-only: WI */
		}
	}
	unlock(wd, flags);
	if (lower)
		vgic_set_level(wd->vm, wd->vm->cfg->watchdog_spi, false);
	return 0;
}

static int refresh_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vwdog *wd = opaque;
	unsigned long flags;

	if (!size_ok(wd->vm, acc, "refresh")) {
		acc->value = 0;
		return 0;
	}
	if (!acc->write) {
		acc->value = acc->offset == VWDOG_W_IIDR ? VWDOG_IIDR_VALUE : 0;
		return 0;
	}
	if (acc->offset != VWDOG_WRR)
		return 0; /* reserved: WI */
	flags = lock(wd);
	refresh_locked(wd);
	unlock(wd, flags);
	vgic_set_level(wd->vm, wd->vm->cfg->watchdog_spi, false);
	return 0;
}

int vwdog_vm_create(struct vm *vm)
{
	struct vwdog *wd = &vwdogs[vm->index];
	int err;

	memset(wd, 0, sizeof(*wd));
	wd->vm = vm;
	timer_init(&wd->timer, timeout);
	if (!vm->cfg->watchdog)
		return 0;
	err = mmio_register(vm, VWDOG_CONTROL_BASE, VWDOG_FRAME_SIZE, control_mmio, wd);
	if (!err)
		err = mmio_register(vm, VWDOG_REFRESH_BASE, VWDOG_FRAME_SIZE, refresh_mmio, wd);
	if (err) {
		log_error("vm %s: watchdog: cannot register its frames: %s", vm->name,
			  err_name(err));
		return err;
	}
	log_info("vm %s: SBSA watchdog, control 0x%lx, refresh 0x%lx, WS0 INTID %u, "
		 "on-failure %s",
		 vm->name, VWDOG_CONTROL_BASE, VWDOG_REFRESH_BASE, vm->cfg->watchdog_spi,
		 vm->cfg->failover.in_group		      ? "failover"
		 : vm->cfg->on_failure == CFG_ON_FAILURE_STOP ? "stop"
							      : "restart");
	return 0;
}

void vwdog_vm_down(struct vm *vm)
{
	struct vwdog *wd = &vwdogs[vm->index];
	unsigned long flags = lock(wd);

	wd->enabled = false;
	timer_cancel(&wd->timer);
	unlock(wd, flags);
}

void vwdog_vm_reset(struct vm *vm)
{
	struct vwdog *wd = &vwdogs[vm->index];
	unsigned long flags = lock(wd);

	timer_cancel(&wd->timer);
	wd->enabled = false;
	wd->ws0 = false;
	wd->ws1 = wd->failed;
	wd->failed = false;
	wd->wor = 0;
	wd->wcv = 0;
	unlock(wd, flags);
}

const struct vdev_ops vwdog_vdev = {
    .name = "watchdog",
    .create = vwdog_vm_create,
    .reset = vwdog_vm_reset,
    .stop = vwdog_vm_down,
};
