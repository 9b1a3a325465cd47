/* Knobs and records of the fake architecture (arch_fake.c), for host unit tests only. */
#ifndef ARCH_FAKE_H
#define ARCH_FAKE_H

#include <setjmp.h>
#include <tandem/types.h>

/* The fake RAM arena: "physical" addresses [FAKE_RAM_BASE, +FAKE_RAM_SIZE) map onto host memory. */
#define FAKE_RAM_BASE 0x40000000ULL
#define FAKE_RAM_SIZE MiB(256)

struct fake_arch {
	/* Cache and TLB maintenance requested by the code under test. */
	unsigned long dcache_cleans;
	const void *dcache_last_va;
	size_t dcache_last_size;
	uint64_t dcache_bytes;		   /* sum of all cleaned sizes */
	unsigned long dcache_clean_invals; /* arch_dcache_clean_inval_range() calls */
	unsigned long icache_invals;
	unsigned long tlb_flushes;
	vmid_t tlb_last_vmid;

	/* Device stores (arch_mmio_write32). */
	unsigned long mmio_writes;
	paddr_t mmio_last_pa;
	uint32_t mmio_last_value;

	/* Generic counter: each read returns counter, then adds counter_step. */
	uint64_t counter;
	uint64_t counter_step;
	uint64_t counter_freq; /* Hz, default 62.5 MHz as on QEMU virt */

	bool hyp_timer_armed; /* arch_hyp_timer_arm()/disarm() */
	uint64_t hyp_timer_cval;

	unsigned long cpu_inits;	 /* arch_cpu_init_virt() calls */
	unsigned cpu_index;		 /* what arch_cpu_index() returns */
	bool irqs_masked;		 /* state tracked by arch_irq_save/restore */
	bool irq_pending;		 /* what arch_irq_pending() says */
	bool guest_irqs_masked;		 /* arch_trap_guest_irqs_unmasked() says the opposite */
	unsigned long irq_pending_reads; /* arch_irq_pending() calls */
	unsigned long wfis;		 /* arch_wait_for_interrupt() calls */
	void (*wfi_hook)(void);	   /* called from arch_wait_for_interrupt(), e.g. to advance time */
	unsigned long irq_windows; /* arch_irq_window() calls */
	void (*irq_window_hook)(void); /* called from arch_irq_window(): an interrupt taken there */
	unsigned locks_held;	       /* spinlocks currently held */
	unsigned long relaxes;	       /* arch_relax() calls (spin-wait iterations) */
	void (*relax_hook)(void);      /* called from arch_relax(): another CPU's progress */

	/* printk: output goes to stdout unless quiet; the last line and a log are kept. */
	bool printk_quiet;
	unsigned long printks;
	char printk_last[256];
	char printk_log[16384]; /* everything printed since fake_reset(), truncated when full */

	/* panic(): with panic_jmp set it longjmps there (after dropping held locks), else aborts.
	 */
	jmp_buf *panic_jmp;
	unsigned long panics;
	char panic_msg[256];
};

extern struct fake_arch fake_arch;

/* Restores every record and knob to its default (the RAM arena's contents are kept). */
void fake_reset(void);
/* Host pointer to the start of the fake RAM arena (allocated on first use). */
void *fake_ram(void);
/* Zeroes the whole arena, as RAM is at a (QEMU) power-on: cheaply, the host drops its pages. */
void fake_ram_power_on(void);
/* True if printk_log contains s. */
bool fake_printk_contains(const char *s);

#endif
