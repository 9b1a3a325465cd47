/*
 * EL2 entry and interrupt counters, and the statistics dump (console Ctrl-A d).
 *
 * Each pCPU updates its own entry counts (and those of the vCPU running there) inside
 * a sequence count, so the dump can read a pCPU's counters and its vCPU's as one
 * consistent snapshot while that pCPU keeps running: on a real-time VM's pCPU, "EL2
 * entries == that vCPU's traps + its waits" must hold exactly, not approximately.
 * Every other counter is a plain debug value, read without locks.
 */
#include <stdarg.h>
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
    [IRQ_KIND_VTIMER] = "vtimer", [IRQ_KIND_MAINT] = "maint", [IRQ_KIND_KICK] = "kick",
    [IRQ_KIND_UART] = "uart",	  [IRQ_KIND_OTHER] = "other",
};

static void seq_begin(struct pcpu *p)
{
	__atomic_store_n(&p->stats.seq, p->stats.seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_end(struct pcpu *p)
{
	__atomic_store_n(&p->stats.seq, p->stats.seq + 1, __ATOMIC_RELEASE);
}

void stats_count_entry(struct vcpu *from_guest)
{
	struct pcpu *p = pcpu_this();
	struct vcpu *waiting = p->current;

	seq_begin(p);
	p->stats.el2_entries++;
	if (from_guest) {
		from_guest->stats.traps++;
		p->stats.guest_entries++;
	} else if (waiting) {
		waiting->stats.wait_entries++;
		p->stats.wait_entries++;
	} else {
		p->stats.idle_entries++;
	}
	seq_end(p);
}

void stats_count_irq(enum irq_kind kind)
{
	struct pcpu *p = pcpu_this();

	p->stats.irqs++;
	p->stats.irq_kind[kind < IRQ_KIND_MAX ? kind : IRQ_KIND_OTHER]++;
	if (kind == IRQ_KIND_KICK)
		p->stats.ipis++;
	if (p->current)
		p->current->stats.irqs++;
}

struct pcpu_snapshot {
	struct pcpu_stats pcpu;
	struct vcpu_stats vcpu; /* of the vCPU placed on the pCPU, if any */
	bool consistent;
};

static void snapshot(const struct pcpu *p, struct pcpu_snapshot *out)
{
	const struct vcpu *v = p->vcpu;

	for (unsigned i = 0; i < SNAPSHOT_TRIES; i++) {
		uint32_t s1 = __atomic_load_n(&p->stats.seq, __ATOMIC_ACQUIRE), s2;

		if (s1 & 1)
			continue;
		out->pcpu = p->stats;
		if (v)
			out->vcpu = v->stats;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&p->stats.seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
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
			    "mmio %llu irqs %llu injected %llu\n",
			    i, st < ARRAY_SIZE(state) ? state[st] : "?",
			    vc->pcpu ? (int)vc->pcpu->index : -1, (unsigned long long)s->traps,
			    (unsigned long long)s->wait_entries, (unsigned long long)s->wfi,
			    (unsigned long long)s->hvc, (unsigned long long)s->mmio,
			    (unsigned long long)s->irqs, (unsigned long long)s->injected);
		}
	}
}

static void dump_pcpus(void)
{
	for (unsigned i = 0; i < nr_pcpus && i < MAX_PCPUS; i++) {
		const struct pcpu *p = &pcpus[i];
		const struct vcpu *v = p->vcpu;
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
		    "%s %llu %s %llu %s %llu %s %llu %s %llu\n",
		    i, who, (unsigned long long)s.pcpu.el2_entries,
		    (unsigned long long)s.pcpu.guest_entries,
		    (unsigned long long)s.pcpu.wait_entries,
		    (unsigned long long)s.pcpu.idle_entries, s.consistent ? "" : " (torn)",
		    irq_kind_names[0], (unsigned long long)k[0], irq_kind_names[1],
		    (unsigned long long)k[1], irq_kind_names[2], (unsigned long long)k[2],
		    irq_kind_names[3], (unsigned long long)k[3], irq_kind_names[4],
		    (unsigned long long)k[4]);
	}
}

void stats_dump(void)
{
	spin_lock(&dump_lock);
	dump_vms();
	dump_pcpus();
	out("tandem: memory: %llu free page frames\n",
	    (unsigned long long)(mem_free_bytes() / PAGE_SIZE));
	dump_flush();
	spin_unlock(&dump_lock);
}
