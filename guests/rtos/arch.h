/* The AArch64 port's internal interfaces: exception frames, MMU, timer, interrupts, PSCI, SMP. */
#ifndef RTOS_ARCH_H
#define RTOS_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct platform;

/* What exceptions.S saves on exception entry (FRAME_SIZE there). */
struct exc_frame {
	uint64_t x[31];
	uint64_t elr, spsr, pad;
};

/* Loaded by mmu_on() in boot.S, in this order. */
struct mmu_regs {
	uint64_t mair, tcr, ttbr0, sctlr;
};

extern struct mmu_regs mmu_boot_regs;
extern char _head[], _end[];

/* boot.S / exceptions.S */
void mmu_on(const struct mmu_regs *r);
void secondary_entry(void);
void task_trampoline(void);
void halt(void) __attribute__((noreturn));
extern char vectors[];

/* mmu.c: identity map of RAM (normal, cached) and the devices (Device-nGnRE), then MMU on. */
int mmu_init(const struct platform *p);
/* Maps one extra 2 MiB-aligned device block (the fault self-test's target). */
int mmu_map_device(uint64_t pa, uint64_t size);
/* Maps page-aligned [pa, pa+size) (identity) as Normal write-back inner-shareable memory with
 * 4 KiB pages, not executable: memory shared with another VM (a channel window). */
int mmu_map_shared(uint64_t pa, uint64_t size);
/* Maps 2 MiB-aligned [va, va+size) to pa as Normal non-cacheable (executable if exec): an alias
 * of a device or hole where unaligned and instruction accesses reach stage 2 (the fuzzer). */
int mmu_map_alias(uint64_t va, uint64_t pa, uint64_t size, bool exec);
/* Points the level-1 entry of the 1 GiB-aligned va at a "table" at table_pa (where nothing, or a
 * device, is): every access there makes the walker read table_pa (the fuzzer). */
int mmu_map_bogus_table(uint64_t va, uint64_t table_pa);
void mmu_enable_boot_cpu(void);

/* timer.c: the generic timer, virtual or physical counter, chosen once at boot. */
extern volatile uint8_t rtos_timer_phys;
void timer_init(bool phys);
void timer_init_cpu(unsigned intid);
unsigned timer_intid(const struct platform *p);

/* irq.c */
typedef void (*irq_handler_t)(unsigned intid, uint64_t stamp, void *arg);
void irq_register(unsigned intid, irq_handler_t fn, void *arg);
void irq_handle(struct exc_frame *f);

/* psci.c */
void psci_init(const struct platform *p);
int psci_cpu_on(uint64_t mpidr, uintptr_t entry, uint64_t ctx);
uint32_t psci_version(void);
void psci_system_reset(void);
void psci_system_off(void);

/* smp.c: starts the other CPUs of the platform; returns how many CPUs are online. */
unsigned smp_boot(const struct platform *p, unsigned want);
void secondary_main(unsigned cpu) __attribute__((noreturn));

/* cpu.c */
void cpu_init_local(unsigned cpu, uint64_t mpidr);
void cpu_idle_loop(void) __attribute__((noreturn));
/* From now on every CPU counts the counter ticks it spends idle in WFI (off by default: the
 * latency benchmarks' wake-up path stays as it was). */
void cpu_idle_accounting(void);
/* Counter ticks all CPUs have spent idle since cpu_idle_accounting() (0 before). */
uint64_t cpu_idle_ticks(void);

/* SGIs the RTOS uses. */
#define SGI_RESCHED 0
#define SGI_PING    1
#define SGI_PONG    2

#endif
