/*
 * EL2 entry and interrupt counters, and the statistics dump (console Ctrl-A d).
 *
 * Each pCPU updates its own entry counts (and those of the vCPU running there) at its
 * EL2 entries, inside its edge sequence count (stats.h, pcpu.h), so the dump can read a
 * pCPU's counters and its vCPU's as one consistent snapshot while that pCPU keeps
 * running: on a real-time VM's pCPU, "EL2 entries == that vCPU's traps + its waits" must
 * hold exactly, not approximately. Every other counter is a plain debug value, read
 * without locks.
 */
#include <stdarg.h>
#include <tandem/failover.h>
#include <tandem/console.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/pcpu.h>
#include <tandem/spinlock.h>
#include <tandem/stats.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#define SNAPSHOT_TRIES 1000
#define DUMP_BUF       4096

/*
 * The dump is written in as few console writes as possible: each write ends with the
 * focused VM's prompt redrawn, which between every line would bury the figures.
 */
static char dump_buf[DUMP_BUF];
static size_t dump_len;
static spinlock_t dump_lock = SPINLOCK_INIT;

static void dump_flush(void)
{
	console_write(dump_buf, dump_len);
	dump_len = 0;
}

static void __attribute__((format(printf, 1, 2))) out(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf_td(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = MIN(n, (int)sizeof(line) - 1);
	if (dump_len + (size_t)n > sizeof(dump_buf))
		dump_flush();
	memcpy(dump_buf + dump_len, line, (size_t)n);
	dump_len += (size_t)n;
}

static const char *const irq_kind_names[IRQ_KIND_MAX] = {
    [IRQ_KIND_VTIMER] = "vtimer", [IRQ_KIND_MAINT] = "maint",	  [IRQ_KIND_KICK] = "kick",
    [IRQ_KIND_UART] = "uart",	  [IRQ_KIND_HYP_TIMER] = "timer", [IRQ_KIND_OTHER] = "other",
};

struct pcpu_snapshot {
	struct pcpu_stats pcpu;
	struct vcpu_stats vcpu; /* of the vCPU placed on the pCPU, if any */
	bool consistent;
};

static void snapshot(const struct pcpu *p, struct pcpu_snapshot *out)
{
	const struct vcpu *v = p->current; /* the vCPU loaded there now, if any */

	for (unsigned i = 0; i < SNAPSHOT_TRIES; i++) {
		uint32_t seq = pcpu_edge_read_begin(p);

		if (seq & 1)
			continue;
		out->pcpu = p->stats;
		if (v)
			out->vcpu = v->stats;
		if (!pcpu_edge_read_retry(p, seq)) {
			out->consistent = true;
			return;
		}
	}
	out->consistent = false; /* the values are still printed, marked as torn */
}

static void dump_vms(void)
{
	static const char *const state[] = {"off", "runnable", "blocked", "stopped"};

	for (unsigned v = 0; v < nr_vms && v < CFG_MAX_VMS; v++) {
		const struct vm *vm = &vms[v];

		out("tandem: vm %s: %s, restarts %u\n", vm->name,
		    vm->state == VM_RUNNING ? "running" : "stopped", vm->restarts);
		for (unsigned i = 0; i < vm->nr_vcpus && i < CFG_MAX_VCPUS; i++) {
			const struct vcpu *vc = &vm->vcpus[i];
			const struct vcpu_stats *s = &vc->stats;
			unsigned st = (unsigned)vc->state;

			out("tandem:   vcpu %u %s: pcpu %d traps %llu waits %llu wfi %llu hvc %llu "
			    "mmio %llu irqs %llu injected %llu excursions %llu\n",
			    i, st < ARRAY_SIZE(state) ? state[st] : "?",
			    vc->pcpu ? (int)vc->pcpu->index : -1, (unsigned long long)s->traps,
			    (unsigned long long)s->wait_entries, (unsigned long long)s->wfi,
			    (unsigned long long)s->hvc, (unsigned long long)s->mmio,
			    (unsigned long long)s->irqs, (unsigned long long)s->injected,
			    (unsigned long long)s->excursions);
		}
	}
}

static void dump_pcpus(void)
{
	for (unsigned i = 0; i < nr_pcpus && i < MAX_PCPUS; i++) {
		const struct pcpu *p = &pcpus[i];
		const struct vcpu *v = p->current; /* the vCPU loaded there now, if any */
		struct pcpu_snapshot s = {0};
		char who[48 + CFG_NAME_MAX];
		const uint64_t *k = s.pcpu.irq_kind;

		if (!p->online)
			continue;
		snapshot(p, &s);
		if (v)
			snprintf_td(who, sizeof(who), "vm %s vcpu %u traps %llu waits %llu",
				    v->vm->name, v->id, (unsigned long long)s.vcpu.traps,
				    (unsigned long long)s.vcpu.wait_entries);
		else
			snprintf_td(who, sizeof(who), "no vcpu");
		out("tandem: pcpu %u: %s; el2 %llu = guest %llu + wait %llu + idle %llu%s; irqs "
		    "%s %llu %s %llu %s %llu %s %llu %s %llu %s %llu\n",
		    i, who, (unsigned long long)stats_el2_entries(&s.pcpu),
		    (unsigned long long)s.pcpu.guest_entries,
		    (unsigned long long)s.pcpu.wait_entries,
		    (unsigned long long)s.pcpu.idle_entries, s.consistent ? "" : " (torn)",
		    irq_kind_names[0], (unsigned long long)k[0], irq_kind_names[1],
		    (unsigned long long)k[1], irq_kind_names[2], (unsigned long long)k[2],
		    irq_kind_names[3], (unsigned long long)k[3], irq_kind_names[4],
		    (unsigned long long)k[4], irq_kind_names[5], (unsigned long long)k[5]);
	}
}

void stats_dump(void)
{
	spin_lock(&dump_lock);
	dump_vms();
	dump_pcpus();
	failover_dump(out);
	out("tandem: memory: %llu free page frames\n",
	    (unsigned long long)(mem_free_bytes() / PAGE_SIZE));
	dump_flush();
	spin_unlock(&dump_lock);
}
