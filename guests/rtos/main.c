/*
 * Boot: platform from the DTB, MMU, console, exceptions, GIC, timer, scheduler; then an init
 * task brings up the other CPUs, prints the banner, runs the self-tests and starts the
 * benchmark and the shell. The boot context becomes CPU 0's idle task.
 */
#include "app.h"
#include "arch.h"
#include "bench.h"
#include "config.h"
#include "conform.h"
#include "console.h"
#include "fuzz.h"
#include "gic.h"
#include "percpu.h"
#include "platform.h"
#include "pci.h"
#include "sched.h"
#include "ttu.h"
#include "uart.h"

#define PRIO_INIT 31

static struct platform plat;
static struct rtos_config cfg;
static struct bench_config bench_cfg;
static struct task init_task;
static uint64_t init_stack[1024];
static unsigned entry_el;

static void init_main(void *arg)
{
	unsigned want = plat.nr_cpus < cfg.maxcpus ? plat.nr_cpus : cfg.maxcpus;
	unsigned online;

	(void)arg;
	online = smp_boot(&plat, want);
	kprintf("RTOS: booted on %u CPU(s), %s, timer=%s, EL1\n", online, gic->name,
		cfg.clock_phys ? "phys" : "virt");
	if (online > 1)
		selftest_sgi(online);
	if (!cfg.lat_off)
		latency_start(&cfg, online);
	if (plat.uart_irq) {
		irq_register(plat.uart_irq, uart_irq, NULL);
		gic->enable(plat.uart_irq, 0);
		uart_rx_irq_enable();
		chan_setup(&plat);
		shell_start();
	}
	if (cfg.test_fault)
		selftest_fault_start(&cfg, &plat);
	if (cfg.virtio_rng)
		virtio_rng_start(&cfg, &plat);
	/* The serial ports of the power terminal: asked for (ttu=), or a channel to serve. */
	if ((cfg.ttu_mode != TTU_MODE_DEFAULT || plat.nr_channels) &&
	    cfg.ttu_mode != TTU_MODE_OFF && pci_init(&plat) >= 0)
		ttu_start(&cfg, &plat);
	fuzz_init(&cfg, &plat, online);
	bench_parse(plat.bootargs, &bench_cfg);
	if (bench_cfg.modes)
		bench_start(&plat, &bench_cfg, online);
}

static void resched_irq(unsigned intid, uint64_t stamp, void *arg)
{
	(void)intid;
	(void)stamp;
	(void)arg;
	sched_resched_ipi();
}

void rtos_main(uintptr_t dtb, uint64_t el) __attribute__((noreturn));

void rtos_main(uintptr_t dtb, uint64_t el)
{
	const char *err = NULL;
	uint64_t mpidr = read_sysreg(mpidr_el1);
	int r = platform_probe((const void *)dtb, (uintptr_t)_head, mpidr, &plat, &err);
	unsigned ncpus;

	entry_el = (unsigned)el;
	if (r && !plat.uart)
		halt(); /* nowhere to say why */
	if (!r && mmu_init(&plat))
		err = "addresses beyond what the identity map covers", r = -1;
	if (!r)
		mmu_enable_boot_cpu();
	cpu_init_local(0, mpidr);
	uart_init(plat.uart, plat.uart_sbsa);
	kprintf("\nRTOS: Tandem RTOS at 0x%lx-0x%lx, DTB 0x%lx, entered at EL%u\n",
		(unsigned long)(uintptr_t)_head, (unsigned long)(uintptr_t)_end, (unsigned long)dtb,
		entry_el);
	if (r) {
		kprintf("RTOS: cannot run: %s\n", err);
		halt();
	}
	config_parse(plat.bootargs, &cfg);
	kprintf("RTOS: RAM 0x%lx+0x%lx, %u CPU(s) in DTB, %s at 0x%lx, UART %s (%s, irq %u), "
		"PSCI %s\n",
		(unsigned long)plat.ram_base, (unsigned long)plat.ram_size, plat.dt_cpus,
		plat.gic_version == 3 ? "GICv3" : "GICv2", (unsigned long)plat.gicd, plat.uart_name,
		plat.uart_sbsa ? "sbsa" : "pl011", plat.uart_irq,
		!plat.psci	? "none"
		: plat.psci_hvc ? "hvc"
				: "smc");
	if (plat.bootargs[0])
		kprintf("RTOS: bootargs: %s\n", plat.bootargs);

	gic = plat.gic_version == 3 ? &gicv3_ops : &gicv2_ops;
	psci_init(&plat);
	timer_init(cfg.clock_phys);
	if (gic->init(&plat) || gic->init_cpu(&pcpus[0])) {
		kprintf("RTOS: cannot run: %s initialisation failed\n", gic->name);
		halt();
	}
	if (cfg.conform)
		conform_run(); /* before the scheduler owns a timer */
	timer_init_cpu(timer_intid(&plat));
	irq_register(SGI_RESCHED, resched_irq, NULL);
	gic->enable(SGI_RESCHED, 0);

	ncpus = plat.nr_cpus < cfg.maxcpus ? plat.nr_cpus : cfg.maxcpus;
	if (!plat.psci)
		ncpus = 1;
	sched_init(ncpus, rtos_us_to_ticks(1000ULL * cfg.rr_ms));
	console_use_mutex();
	task_create(&init_task, "init", init_main, NULL, PRIO_INIT, 0, init_stack,
		    sizeof(init_stack));
	pcpus[0].online = true;
	pcpus[0].idle.name = "idle";
	sched_start_cpu(&pcpus[0].idle);
	cpu_idle_loop();
}
