/*
 * The control hypercalls (tandem/abi/hypercall.h, docs/hypercalls.md). Every argument is
 * checked before anything changes, the pools re-check their guarantees (admission tests),
 * and a refused call returns an error and leaves no trace but a log line naming the VM.
 */
#include <tandem/abi/hypercall.h>
#include <tandem/arch.h>
#include <tandem/channel.h>
#include <tandem/errno.h>
#include <tandem/failover.h>
#include <tandem/freq.h>
#include <tandem/hypercall.h>
#include <tandem/log.h>
#include <tandem/pool.h>
#include <tandem/vm.h>

#define REFUSALS_LOGGED 32 /* per VM: a hostile guest must not flood the console */

static const char *fn_name(uint32_t fn)
{
	switch (fn) {
	case TANDEM_HC_VCPU_SET_SCHED:
		return "VCPU_SET_SCHED";
	case TANDEM_HC_VM_SET_POOL:
		return "VM_SET_POOL";
	case TANDEM_HC_PCPU_SET_POOL:
		return "PCPU_SET_POOL";
	case TANDEM_HC_PCPU_TIME:
		return "PCPU_TIME";
	case TANDEM_HC_POOL_OF:
		return "POOL_OF";
	case TANDEM_HC_DOMAIN_LOAD:
		return "DOMAIN_LOAD";
	case TANDEM_HC_CHANNEL_NOTIFY:
		return "CHANNEL_NOTIFY";
	case TANDEM_HC_FAILOVER_STATE:
		return "FAILOVER_STATE";
	default:
		return "?";
	}
}

static int64_t refuse(struct vcpu *vcpu, uint32_t fn, int64_t status, const char *why)
{
	static unsigned refusals[CFG_MAX_VMS];

	if (refusals[vcpu->vm->index]++ < REFUSALS_LOGGED)
		log_warn("vm %s vcpu %u: hypercall %s refused (%lld): %s", vcpu->vm->name, vcpu->id,
			 fn_name(fn), (long long)status, why);
	return status;
}

static int64_t status_of(int err)
{
	return err == -ERR_INVAL ? TANDEM_E_INVAL : TANDEM_E_BUSY;
}

static int64_t set_sched(struct vcpu *caller, const struct guest_regs *r)
{
	uint64_t vm_idx = r->x[1], vcpu_idx = r->x[2], budget = r->x[3], period = r->x[4];
	uint64_t weight = r->x[5];
	struct sched_params p;
	char why[128];
	int err;

	if (vm_idx >= nr_vms || vcpu_idx >= vms[vm_idx].nr_vcpus)
		return refuse(caller, TANDEM_HC_VCPU_SET_SCHED, TANDEM_E_INVAL,
			      "no such VM or vCPU");
	if (budget > 10000000 || period > 10000000 || (budget && !period) || budget > period)
		return refuse(caller, TANDEM_HC_VCPU_SET_SCHED, TANDEM_E_INVAL,
			      "budget/period out of range (0 <= budget <= period <= 10 s, in us)");
	if (weight < SCHED_WEIGHT_MIN || weight > SCHED_WEIGHT_MAX)
		return refuse(caller, TANDEM_HC_VCPU_SET_SCHED, TANDEM_E_INVAL,
			      "weight out of 1..65535");
	p.budget = pool_us_to_ticks(budget);
	p.period = pool_us_to_ticks(period);
	p.weight = (uint32_t)weight;
	err = pool_set_params(&vms[vm_idx].vcpus[vcpu_idx], &p, why, sizeof(why));
	if (err)
		return refuse(caller, TANDEM_HC_VCPU_SET_SCHED, status_of(err), why);
	log_info("vm %s vcpu %u: sched budget %llu us period %llu us weight %llu (asked by vm %s)",
		 vms[vm_idx].name, (unsigned)vcpu_idx, (unsigned long long)budget,
		 (unsigned long long)period, (unsigned long long)weight, caller->vm->name);
	return TANDEM_OK;
}

static int64_t vm_set_pool(struct vcpu *caller, const struct guest_regs *r)
{
	char why[128];
	int err;

	if (r->x[1] >= nr_vms || r->x[2] >= nr_pools)
		return refuse(caller, TANDEM_HC_VM_SET_POOL, TANDEM_E_INVAL, "no such VM or pool");
	if (vms[r->x[1]].state != VM_RUNNING)
		return refuse(caller, TANDEM_HC_VM_SET_POOL, TANDEM_E_BUSY,
			      "the VM is not running");
	/* Admitted moves complete once the VM's vCPUs have left their pCPUs (POOL_OF says). */
	err = pool_move_vm(&vms[r->x[1]], &pools[r->x[2]], why, sizeof(why));
	return err ? refuse(caller, TANDEM_HC_VM_SET_POOL, status_of(err), why) : TANDEM_OK;
}

static int64_t pcpu_set_pool(struct vcpu *caller, const struct guest_regs *r)
{
	char why[128];
	int err;

	if (r->x[1] >= nr_pcpus || !pcpus[r->x[1]].online || r->x[2] >= nr_pools)
		return refuse(caller, TANDEM_HC_PCPU_SET_POOL, TANDEM_E_INVAL,
			      "no such pCPU or pool");
	err = pool_move_pcpu(&pcpus[r->x[1]], &pools[r->x[2]], why, sizeof(why));
	return err ? refuse(caller, TANDEM_HC_PCPU_SET_POOL, status_of(err), why) : TANDEM_OK;
}

static int64_t pcpu_time(struct vcpu *caller, struct guest_regs *r)
{
	struct pcpu_time t;

	if (r->x[1] >= nr_pcpus || !pcpus[r->x[1]].online)
		return refuse(caller, TANDEM_HC_PCPU_TIME, TANDEM_E_INVAL, "no such pCPU");
	pcpu_time_snapshot(&pcpus[r->x[1]], &t);
	r->x[1] = t.last - t.start;
	r->x[2] = t.idle;
	r->x[3] = t.hyp;
	r->x[4] = t.guest;
	return TANDEM_OK;
}

/*
 * The physical load of a frequency domain over the caller's sampling window (core/freq_load.c):
 * only its controller samples it (each sample starts the next window).
 */
static int64_t domain_load(struct vcpu *caller, struct guest_regs *r)
{
	struct freq_domain *d = r->x[1] == TANDEM_DOMAIN_OWN ? freq_domain_of_vm(caller->vm)
				: r->x[1] < nr_freq_domains  ? &freq_domains[r->x[1]]
							     : NULL;
	struct freq_load load;

	if (!d)
		return refuse(caller, TANDEM_HC_DOMAIN_LOAD, TANDEM_E_INVAL,
			      r->x[1] == TANDEM_DOMAIN_OWN ? "the VM controls no frequency domain"
							   : "no such frequency domain");
	if (d->cfg->controller != caller->vm->index)
		return refuse(caller, TANDEM_HC_DOMAIN_LOAD, TANDEM_E_PERM,
			      "only the domain's controller samples its load");
	freq_domain_load(d, &load);
	r->x[1] = load.max_permille;
	r->x[2] = load.mean_permille;
	r->x[3] = load.window;
	r->x[4] = d->index;
	return TANDEM_OK;
}

/* x1 its pool; x2 1 while a move of it is in flight; x3 the pool it is in once that is done. */
static int64_t pool_of(struct vcpu *caller, struct guest_regs *r)
{
	if (r->x[1] == 0 && r->x[2] < nr_vms) {
		struct pool *moving_to, *pool = pool_of_vm(&vms[r->x[2]], &moving_to);

		r->x[1] = pool->index;
		r->x[2] = moving_to != NULL;
		r->x[3] = moving_to ? moving_to->index : pool->index;
		return TANDEM_OK;
	}
	if (r->x[1] == 1 && r->x[2] < nr_pcpus && pcpus[r->x[2]].online) {
		const struct pcpu *p = &pcpus[r->x[2]];

		r->x[1] = __atomic_load_n(&p->sched.pool, __ATOMIC_ACQUIRE)->index;
		/* It joined its pool at once; it still owes the old one a release (a pick). */
		r->x[2] = __atomic_load_n(&p->leaving, __ATOMIC_RELAXED) != NULL;
		r->x[3] = r->x[1];
		return TANDEM_OK;
	}
	return refuse(caller, TANDEM_HC_POOL_OF, TANDEM_E_INVAL, "no such VM or pCPU");
}

void hypercall(struct vcpu *vcpu, struct guest_regs *r)
{
	uint32_t fn = (uint32_t)r->x[0];
	const char *why = NULL;
	int64_t ret;

	switch (fn) {
	case TANDEM_HC_CALL_COUNT:
		r->x[0] = TANDEM_HC_NR_FUNCTIONS;
		return;
	case TANDEM_HC_CALL_UID:
		r->x[0] = TANDEM_UID_0;
		r->x[1] = TANDEM_UID_1;
		r->x[2] = TANDEM_UID_2;
		r->x[3] = TANDEM_UID_3;
		return;
	case TANDEM_HC_REVISION:
		r->x[0] = TANDEM_REVISION_MAJOR;
		r->x[1] = TANDEM_REVISION_MINOR;
		return;
	case TANDEM_HC_INFO:
		r->x[1] = nr_vms;
		r->x[2] = nr_pools;
		r->x[3] = nr_pcpus;
		r->x[4] = vcpu->vm->index;
		r->x[0] = TANDEM_OK;
		return;
	case TANDEM_HC_CHANNEL_NOTIFY: /* any endpoint VM: no privilege needed */
		ret = channel_notify(vcpu, r->x[1], &why);
		r->x[0] = (uint64_t)(ret == TANDEM_OK ? ret : refuse(vcpu, fn, ret, why));
		return;
	case TANDEM_HC_FAILOVER_STATE: /* any group member; others: NOT_SUPPORTED, silently */
		r->x[0] = failover_state(vcpu->vm, &r->x[1], &r->x[2], &r->x[3])
			      ? TANDEM_OK
			      : (uint64_t)TANDEM_E_NOTSUP;
		return;
	default:
		break;
	}
	if (fn < TANDEM_HC_VCPU_SET_SCHED || fn > TANDEM_HC_DOMAIN_LOAD) {
		r->x[0] = (uint64_t)TANDEM_E_NOTSUP;
		return;
	}
	if (!vcpu->vm->cfg->privileged) {
		r->x[0] =
		    (uint64_t)refuse(vcpu, fn, TANDEM_E_PERM,
				     "the VM is not privileged (add `privileged;` to its node)");
		return;
	}
	switch (fn) {
	case TANDEM_HC_VCPU_SET_SCHED:
		ret = set_sched(vcpu, r);
		break;
	case TANDEM_HC_VM_SET_POOL:
		ret = vm_set_pool(vcpu, r);
		break;
	case TANDEM_HC_PCPU_SET_POOL:
		ret = pcpu_set_pool(vcpu, r);
		break;
	case TANDEM_HC_PCPU_TIME:
		ret = pcpu_time(vcpu, r);
		break;
	case TANDEM_HC_DOMAIN_LOAD:
		ret = domain_load(vcpu, r);
		break;
	default:
		ret = pool_of(vcpu, r);
		break;
	}
	r->x[0] = (uint64_t)ret;
}
