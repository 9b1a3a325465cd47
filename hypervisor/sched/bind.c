/*
 * The bind scheduler: one vCPU per pCPU, for real-time guests.
 *
 * Each vCPU of the pool owns a pCPU (its home) for as long as it stays in the pool. There
 * is nothing to decide, so no decision is ever due (pick() always reports SCHED_NEVER and no
 * scheduler timer is armed), the guest's timer interrupt goes straight to the vCPU that owns
 * the pCPU, and with wfi = "native" the guest idles in hardware. The admission test is a
 * count: vCPUs <= pCPUs, and a pCPU can leave only if no vCPU owns it.
 */
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

static bool in_pool(const struct pool *pool, const struct pcpu *p)
{
	for (unsigned i = 0; i < pool->nr_pcpus; i++) {
		if (pool->pcpus[i] == p)
			return true;
	}
	return false;
}

static int bind_admit(const struct pool *pool, const struct sched_change *c, char *why,
		      size_t why_len)
{
	unsigned vcpus = pool->nr_vcpus + c->nr_join;
	unsigned cpus = pool->nr_pcpus + (c->add_pcpu ? 1 : 0) - (c->drop_pcpu ? 1 : 0);

	if (c->retune) {
		snprintf_td(why, why_len,
			    "pool \"%s\" uses the bind scheduler: a vCPU owns its pCPU, it has no "
			    "budget, period or weight",
			    pool->name);
		return -ERR_INVAL;
	}
	for (unsigned i = 0; i < c->nr_join; i++) {
		if (c->join[i]->sched.params.budget) {
			snprintf_td(why, why_len,
				    "pool \"%s\" uses the bind scheduler: there is nothing to "
				    "reserve",
				    pool->name);
			return -ERR_INVAL;
		}
	}
	if (c->drop_pcpu) {
		for (unsigned i = 0; i < pool->nr_vcpus; i++) {
			const struct vcpu *v = pool->vcpus[i];

			if (v->sched.home == c->drop_pcpu) {
				snprintf_td(why, why_len,
					    "pCPU %u is bound to vCPU %u of VM %s (move the VM out "
					    "first)",
					    c->drop_pcpu->index, v->id, v->vm->name);
				return -ERR_BUSY;
			}
		}
	}
	if (vcpus > cpus) {
		snprintf_td(why, why_len, "bind pool \"%s\" would have %u pCPU%s for %u vCPU%s",
			    pool->name, cpus, cpus == 1 ? "" : "s", vcpus, vcpus == 1 ? "" : "s");
		return -ERR_BUSY;
	}
	return 0;
}

/* Keeps every valid binding and gives each unbound vCPU the lowest free pCPU. */
static void bind_replan(struct pool *pool, uint64_t now)
{
	bool taken[MAX_PCPUS] = {false};

	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *v = pool->vcpus[i];
		struct pcpu *home = v->sched.home;

		if (home && in_pool(pool, home) && !taken[home->index])
			taken[home->index] = true;
		else
			v->sched.home = NULL;
	}
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		struct vcpu *v = pool->vcpus[i];

		for (unsigned c = 0; !v->sched.home && c < pool->nr_pcpus; c++) {
			if (!taken[pool->pcpus[c]->index]) {
				taken[pool->pcpus[c]->index] = true;
				v->sched.home = pool->pcpus[c];
			}
		}
		v->sched.queue = v->sched.home; /* it waits for its own pCPU only */
	}
}

static struct pcpu *bind_wake(struct pool *pool, struct vcpu *vcpu, uint64_t now)
{
	struct pcpu *home = vcpu->sched.home;

	vcpu->sched.queued = true;
	return home && home->sched.running != vcpu ? home : NULL;
}

static struct vcpu *bind_pick(struct pool *pool, struct pcpu *pcpu, uint64_t now,
			      uint64_t *next_decision, struct pcpu **kick)
{
	struct vcpu *prev = pcpu->sched.running, *owner = NULL;

	*next_decision = SCHED_NEVER;
	*kick = NULL; /* a vCPU set aside here has no other pCPU to go to */
	if (prev) {
		prev->sched.running_on = NULL;
		prev->sched.queued = vcpu_schedulable(prev);
	}
	for (unsigned i = 0; i < pool->nr_vcpus; i++) {
		if (pool->vcpus[i]->sched.home == pcpu)
			owner = pool->vcpus[i];
	}
	if (owner && !vcpu_schedulable(owner))
		owner = NULL;
	if (owner) {
		owner->sched.running_on = pcpu;
		owner->sched.since = now;
	}
	pcpu->sched.running = owner;
	return owner;
}

static void bind_yield(struct pool *pool, struct vcpu *vcpu, uint64_t now)
{
	/* Nobody to yield to: the pCPU is the vCPU's own. */
}

static struct pcpu *bind_release(struct pool *pool, struct pcpu *pcpu, uint64_t now)
{
	struct vcpu *v = pcpu->sched.running;

	if (v)
		v->sched.running_on = NULL;
	pcpu->sched.running = NULL;
	/* Moved: admission guaranteed no vCPU was bound here. Away: the one bound here waits for
	 * it (queued), as it would for any other EL2 work of its pCPU's. */
	return NULL;
}

/* A vCPU owns its pCPU: a trapped WFI waits right there, wfi = "native" may idle it in
 * hardware, WFE has nobody to yield to (not trapped), and the hypervisor's own interrupts stay
 * off its pCPU while any other pool can take them. */
const struct sched_ops sched_bind_ops = {
    .name = "bind",
    .flags = SCHED_WFI_WAITS_IN_PLACE | SCHED_WFI_NATIVE_OK,
    .admit = bind_admit,
    .replan = bind_replan,
    .wake = bind_wake,
    .pick = bind_pick,
    .yield = bind_yield,
    .release = bind_release,
};
