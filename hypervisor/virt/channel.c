/*
 * Channels (docs/design.md, "Channels"): a region of frames shared by two VMs, mapped at
 * stage 2 in exactly those two, with a Tandem-owned header (tandem/abi/channel.h) whose link
 * words say whether each side runs and how often it has started. The doorbell is a hypercall
 * that injects a purely virtual edge SPI into the peer; each VM's doorbells are rate-limited
 * so a storm costs the peer no more than RATE injections a second, and other VMs nothing.
 *
 * Locks: chan_vm.lock and the ratelimit's are leaves, never held while injecting.
 */
#include <tandem/abi/channel.h>
#include <tandem/abi/hypercall.h>
#include <tandem/arch.h>
#include <tandem/channel.h>
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/ratelimit.h>
#include <tandem/spinlock.h>
#include <tandem/stage2.h>
#include <tandem/string.h>
#include <tandem/timer.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

/*
 * A legitimate sender rings after a threshold of data or a max-delay (the vserial rings):
 * a few thousand doorbells a second at most. 20000 a second with a burst of 64 never delays
 * those, and bounds what a storm can make the peer take.
 */
#define DOORBELL_RATE	20000 /* per second, per sending VM */
#define DOORBELL_BURST	64
#define WARN_INTERVAL_S 1 /* "doorbells rate-limited" warnings: one a second per VM */

struct channel {
	paddr_t pa; /* the region; 0 until its first VM is created */
	struct tandem_channel_header *hdr;
	unsigned vm[2];		/* side i's VM index */
	irq_t doorbell[2];	/* the SPI side i receives */
	uint32_t generation[2]; /* side i's starts so far */
	uint64_t rung[2];	/* doorbells injected into side i */
	uint64_t dropped[2];	/* doorbells for side i while it was not running */
};

/* A sending VM's doorbell budget, and the doorbells it owes its peers once over it. */
struct chan_vm {
	struct ratelimit bucket; /* tokens = doorbells it may ring now */
	struct ratelimit warn;	 /* its "rate-limited" console lines */
	spinlock_t lock;	 /* owed, timer_armed */
	uint32_t owed;		 /* channel ids whose peer is owed one doorbell */
	bool timer_armed;
	struct timer timer; /* delivers owed doorbells when the next token is due */
	uint64_t deferred;  /* doorbells over the rate (folded into the owed ones) */
	struct vm *vm;
};

static struct channel channels[CFG_MAX_CHANNELS];
static struct chan_vm chan_vms[CFG_MAX_VMS];

static uint64_t token_interval(void)
{
	return arch_counter_freq() / DOORBELL_RATE;
}

/* Injects side's doorbell, or drops it if that VM is not running (it re-reads all at start). */
static void ring(struct channel *ch, unsigned side)
{
	struct vm *vm = &vms[ch->vm[side]];

	if (vm->state != VM_RUNNING) {
		__atomic_add_fetch(&ch->dropped[side], 1, __ATOMIC_RELAXED);
		return;
	}
	vgic_inject(vm, NULL, ch->doorbell[side]);
	__atomic_add_fetch(&ch->rung[side], 1, __ATOMIC_RELAXED);
}

static void set_link(struct channel *ch, unsigned side, bool up)
{
	uint32_t word = ch->generation[side] << TANDEM_CHANNEL_LINK_GENERATION_SHIFT |
			(up ? TANDEM_CHANNEL_LINK_UP : 0);

	__atomic_store_n(&ch->hdr->link[side], word, __ATOMIC_RELEASE);
	/* The word is visible before the peer can take the doorbell that follows (DMB ISH). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int create_region(struct channel *ch, const struct cfg_channel_end *end, const struct vm *vm)
{
	uint64_t align = end->size >= MiB(2) ? MiB(2) : PAGE_SIZE;

	ch->pa = mem_alloc(end->size / PAGE_SIZE, align);
	if (!ch->pa) {
		printk("config: /channels/%s: size: cannot allocate 0x%llx contiguous bytes (for "
		       "VM %s)\n",
		       end->name, (unsigned long long)end->size, vm->name);
		return -ERR_NOMEM;
	}
	ch->hdr = arch_phys_to_virt(ch->pa);
	arch_zero_range(ch->hdr, end->size);
	ch->hdr->magic = TANDEM_CHANNEL_MAGIC;
	ch->hdr->version = TANDEM_CHANNEL_VERSION;
	ch->hdr->size = (uint32_t)end->size;
	ch->hdr->payload_offset = TANDEM_CHANNEL_HEADER_SIZE;
	/* A guest may map it non-cacheable: the zeroes must be in memory, not only in EL2's cache.
	 */
	arch_dcache_clean_range(ch->hdr, end->size);
	return 0;
}

static void owed_timer_fired(struct timer *t);

int channel_vm_create(struct vm *vm)
{
	struct chan_vm *cv = &chan_vms[vm->index];

	memset(cv, 0, sizeof(*cv));
	cv->vm = vm;
	timer_init(&cv->timer, owed_timer_fired);
	for (unsigned i = 0; i < vm->cfg->nr_channels; i++) {
		const struct cfg_channel_end *end = &vm->cfg->channels[i];
		struct channel *ch = &channels[end->id];
		int err;

		if (!ch->pa && (err = create_region(ch, end, vm)))
			return err;
		ch->vm[end->side] = vm->index;
		ch->doorbell[end->side] = end->doorbell;
		err = s2_map(&vm->s2, end->ipa, ch->pa, end->size, S2_NORMAL_RW);
		if (err) {
			printk("config: /channels/%s: cannot map it into VM %s at 0x%llx (%s)\n",
			       end->name, vm->name, (unsigned long long)end->ipa, err_name(err));
			return err;
		}
		log_info("vm %s: channel %s (id %u) with %s: 0x%llx bytes at IPA 0x%llx, doorbell "
			 "INTID %u",
			 vm->name, end->name, end->id, end->peer, (unsigned long long)end->size,
			 (unsigned long long)end->ipa, end->doorbell);
	}
	return 0;
}

void channel_vm_up(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->nr_channels; i++) {
		const struct cfg_channel_end *end = &vm->cfg->channels[i];
		struct channel *ch = &channels[end->id];

		/* 31 bits of generation; 0 means "never started", so it wraps to 1. */
		ch->generation[end->side] = (ch->generation[end->side] + 1) & 0x7fffffffU;
		if (!ch->generation[end->side])
			ch->generation[end->side] = 1;
		set_link(ch, end->side, true);
		ring(ch, 1 - end->side);
	}
}

void channel_vm_down(struct vm *vm)
{
	struct chan_vm *cv = &chan_vms[vm->index];
	unsigned long flags;

	for (unsigned i = 0; i < vm->cfg->nr_channels; i++) {
		const struct cfg_channel_end *end = &vm->cfg->channels[i];
		struct channel *ch = &channels[end->id];

		set_link(ch, end->side, false);
		ring(ch, 1 - end->side);
	}
	/* What it owed is moot: the peer has just been rung anyway. */
	timer_cancel(&cv->timer);
	flags = arch_irq_save();
	spin_lock(&cv->lock);
	cv->owed = 0;
	cv->timer_armed = false;
	spin_unlock(&cv->lock);
	arch_irq_restore(flags);
}

/* The sender's next token is due: each peer it owes gets one doorbell. */
static void owed_timer_fired(struct timer *t)
{
	struct chan_vm *cv = container_of(t, struct chan_vm, timer);
	uint32_t owed;

	spin_lock(&cv->lock);
	owed = cv->owed;
	cv->owed = 0;
	cv->timer_armed = false;
	spin_unlock(&cv->lock);
	for (unsigned i = 0; i < cv->vm->cfg->nr_channels; i++) {
		const struct cfg_channel_end *end = &cv->vm->cfg->channels[i];

		if (owed & (1U << end->id))
			ring(&channels[end->id], 1 - end->side);
	}
}

/* Over the rate: the doorbell is owed, delivered when the next token is due (not lost). */
static void defer(struct chan_vm *cv, const struct cfg_channel_end *end, uint64_t now)
{
	unsigned dropped;
	unsigned long flags;

	/* Masked: the timer's callback takes the same lock in IRQ context on this pCPU. */
	flags = arch_irq_save();
	spin_lock(&cv->lock);
	cv->owed |= 1U << end->id;
	cv->deferred++;
	if (!cv->timer_armed) {
		cv->timer_armed = true;
		timer_arm(&cv->timer, now + token_interval());
	}
	spin_unlock(&cv->lock);
	arch_irq_restore(flags);
	if (ratelimit_ok(&cv->warn, now, arch_counter_freq() * WARN_INTERVAL_S, 1, &dropped))
		log_warn("vm %s: channel %s: doorbells rate-limited (more than %u a second); "
			 "%llu deferred so far",
			 cv->vm->name, end->name, DOORBELL_RATE, (unsigned long long)cv->deferred);
}

int64_t channel_notify(struct vcpu *vcpu, uint64_t id, const char **why)
{
	struct vm *vm = vcpu->vm;
	struct chan_vm *cv = &chan_vms[vm->index];
	const struct cfg_channel_end *end = NULL;
	uint64_t now;
	unsigned dropped;

	for (unsigned i = 0; i < vm->cfg->nr_channels; i++) {
		if (vm->cfg->channels[i].id == id)
			end = &vm->cfg->channels[i];
	}
	if (!end) {
		*why = id < CFG_MAX_CHANNELS && channels[id].pa
			   ? "the VM is not one of its two ends"
			   : "no such channel";
		return TANDEM_E_INVAL;
	}
	/* The caller's stores to the region are visible before the peer takes the doorbell. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	now = arch_counter_read();
	if (!ratelimit_ok(&cv->bucket, now, token_interval(), DOORBELL_BURST, &dropped)) {
		defer(cv, end, now);
		return TANDEM_OK;
	}
	ring(&channels[end->id], 1 - end->side);
	return TANDEM_OK;
}

void channel_dump_vm(struct vm *vm, void (*add)(const char *fmt, ...))
{
	const struct chan_vm *cv = &chan_vms[vm->index];

	for (unsigned i = 0; i < vm->cfg->nr_channels; i++) {
		const struct cfg_channel_end *end = &vm->cfg->channels[i];
		const struct channel *ch = &channels[end->id];
		unsigned s = end->side;

		if (!ch->hdr)
			continue;
		add("  channel %s id %u side %u (peer %s): IPA 0x%llx+0x%llx INTID %u link "
		    "%x/%x, doorbells in %llu dropped %llu, out deferred %llu\n",
		    end->name, end->id, s, end->peer, (unsigned long long)end->ipa,
		    (unsigned long long)end->size, end->doorbell,
		    __atomic_load_n(&ch->hdr->link[s], __ATOMIC_RELAXED),
		    __atomic_load_n(&ch->hdr->link[1 - s], __ATOMIC_RELAXED),
		    (unsigned long long)ch->rung[s], (unsigned long long)ch->dropped[s],
		    (unsigned long long)cv->deferred);
	}
}

/* Channels as a per-VM device (virt/vdev_table.c): regions persist across restarts. */
const struct vdev_ops channel_vdev = {
    .name = "channel",
    .create = channel_vm_create,
    .start = channel_vm_up,
    .stop = channel_vm_down,
};
