/*
 * Boot self-tests. SGI: the boot CPU pings each other CPU with a raw SGI (answered by an SGI
 * back from the handler), then with a cross-CPU task wake-up (semaphore → reschedule SGI → task
 * on the other CPU → semaphore back). Fault: a task writes where nothing is mapped behind the
 * address, to exercise the fault path (and, under a hypervisor, its stage-2 abort handling).
 */
#include "app.h"
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "percpu.h"
#include "rtos.h"

#define PRIO_ECHO  20
#define PRIO_FAULT 10

static struct semaphore pong, echo_in[RTOS_MAX_CPUS], echo_out;
static volatile uint64_t ping_seen[RTOS_MAX_CPUS];
static struct task echo_task[RTOS_MAX_CPUS], fault_task;
static uint64_t echo_stack[RTOS_MAX_CPUS][512], fault_stack[512];
static uint64_t fault_addr;

static void on_ping(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)arg;
	ping_seen[this_pcpu()->id] = stamp;
	gic->send_sgi(SGI_PONG, 0);
}

static void on_pong(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)stamp;
	(void)arg;
	sem_give(&pong);
}

static void echo_main(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	if (sem_take(&echo_in[cpu], RTOS_FOREVER) == RTOS_OK)
		sem_give(&echo_out);
}

void selftest_sgi(unsigned nr_cpus)
{
	uint64_t timeout = rtos_us_to_ticks(100000);

	sem_init(&pong, 0, 1);
	sem_init(&echo_out, 0, 1);
	irq_register(SGI_PING, on_ping, NULL);
	irq_register(SGI_PONG, on_pong, NULL);
	gic->enable(SGI_PONG, 0);
	for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
		uint64_t t0, sent, sgi_rtt, wake_rtt;

		sem_init(&echo_in[cpu], 0, 1);
		task_create(&echo_task[cpu], "echo", echo_main, (void *)(uintptr_t)cpu, PRIO_ECHO,
			    cpu, echo_stack[cpu], sizeof(echo_stack[cpu]));
		ping_seen[cpu] = 0;
		sent = rtos_now();
		gic->send_sgi(SGI_PING, cpu);
		if (sem_take(&pong, timeout) != RTOS_OK) {
			kprintf("SGI FAIL cpu0->cpu%u: no answer to SGI %u\n", cpu, SGI_PING);
			continue;
		}
		sgi_rtt = rtos_now() - sent;
		t0 = rtos_now();
		sem_give(&echo_in[cpu]);
		if (sem_take(&echo_out, timeout) != RTOS_OK) {
			kprintf("SGI FAIL cpu0->cpu%u: cross-CPU wake-up not answered\n", cpu);
			continue;
		}
		wake_rtt = rtos_now() - t0;
		/* One counter for all CPUs (same CNTVOFF), so the delivery time is meaningful. */
		kprintf(
		    "SGI ok cpu0->cpu%u delivery=%lu ticks sgi_rtt=%lu ticks wake_rtt=%lu ticks\n",
		    cpu, (unsigned long)(ping_seen[cpu] - sent), (unsigned long)sgi_rtt,
		    (unsigned long)wake_rtt);
	}
}

static void fault_main(void *arg)
{
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)fault_addr;

	(void)arg;
	kprintf("RTOS: test_fault: task faulter writes to 0x%lx (outside RAM)\n",
		(unsigned long)fault_addr);
	*p = 0xdeadbeef;
	kprintf("RTOS: test_fault: the write did not fault\n");
}

void selftest_fault_start(const struct rtos_config *cfg, const struct platform *p)
{
	uint64_t block = 2ULL << 20;

	fault_addr = cfg->test_fault_addr;
	if (!fault_addr) /* the first 2 MiB block past the end of RAM */
		fault_addr = (p->ram_base + p->ram_size + block - 1) & ~(block - 1);
	/* Mapped (as a device) so the access leaves the RTOS's own MMU: the fault must come
	 * from what is, or is not, behind the address. */
	if (mmu_map_device(fault_addr & ~(block - 1), block)) {
		kprintf("RTOS: test_fault: cannot map 0x%lx\n", (unsigned long)fault_addr);
		return;
	}
	task_create(&fault_task, "faulter", fault_main, NULL, PRIO_FAULT, 0, fault_stack,
		    sizeof(fault_stack));
}
