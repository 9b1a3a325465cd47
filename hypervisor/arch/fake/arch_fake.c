/*
 * The host implementation of the arch interface (tandem/arch.h) for unit tests: fake RAM,
 * recorded cache/TLB maintenance, a settable clock, printk/panic on stdio. GIC parts: fake_gic.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <arch/fake.h>
#include <tandem/arch.h>
#include <tandem/log.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>

#define FAKE_MAX_HELD 32

struct fake_arch fake_arch = {.counter_freq = 62500000};

static uint8_t *ram;
static bool line_done = true; /* the next printk character starts a new last line */
/* Locks held right now, so a caught panic can release them and the test can go on. */
static spinlock_t *held[FAKE_MAX_HELD];

void fake_reset(void)
{
	memset(&fake_arch, 0, sizeof(fake_arch));
	fake_arch.counter_freq = 62500000;
	line_done = true;
}

void *fake_ram(void)
{
	if (!ram) {
		/* NORESERVE: tests touch a few pages of the 256 MiB; the host commits only those.
		 */
		void *p = mmap(NULL, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			perror("fake arch: mmap of the RAM arena");
			abort();
		}
		ram = p;
	}
	return ram;
}

void fake_ram_power_on(void)
{
	if (madvise(fake_ram(), FAKE_RAM_SIZE, MADV_DONTNEED)) {
		perror("fake arch: madvise of the RAM arena");
		abort();
	}
}

void *arch_phys_to_virt(paddr_t pa)
{
	/* A translation outside the arena is a bug in the code under test: stop right there. */
	if (pa < FAKE_RAM_BASE || pa - FAKE_RAM_BASE >= FAKE_RAM_SIZE) {
		fprintf(stderr, "fake arch: phys 0x%llx is outside fake RAM [0x%llx, 0x%llx)\n",
			(unsigned long long)pa, FAKE_RAM_BASE, FAKE_RAM_BASE + FAKE_RAM_SIZE);
		abort();
	}
	return (uint8_t *)fake_ram() + (pa - FAKE_RAM_BASE);
}

paddr_t arch_virt_to_phys(const void *va)
{
	const uint8_t *p = va, *base = fake_ram();

	if (p < base || (size_t)(p - base) >= FAKE_RAM_SIZE) {
		fprintf(stderr, "fake arch: host pointer %p is not in fake RAM\n", va);
		abort();
	}
	return FAKE_RAM_BASE + (paddr_t)(p - base);
}

void arch_dcache_clean_range(const void *va, size_t size)
{
	fake_arch.dcache_cleans++;
	fake_arch.dcache_last_va = va;
	fake_arch.dcache_last_size = size;
	fake_arch.dcache_bytes += size;
}

void arch_dcache_clean_inval_range(const void *va, size_t size)
{
	fake_arch.dcache_clean_invals++;
	fake_arch.dcache_last_va = va;
	fake_arch.dcache_last_size = size;
}

void arch_mmio_write32(paddr_t pa, uint32_t value)
{
	fake_arch.mmio_writes++;
	fake_arch.mmio_last_pa = pa;
	fake_arch.mmio_last_value = value;
}

void arch_zero_range(void *va, size_t size)
{
	memset(va, 0, size);
}

void arch_icache_invalidate_all(void)
{
	fake_arch.icache_invals++;
}

void arch_tlb_flush_vmid(vmid_t vmid)
{
	fake_arch.tlb_flushes++;
	fake_arch.tlb_last_vmid = vmid;
}

uint64_t arch_counter_read(void)
{
	uint64_t now = fake_arch.counter;

	fake_arch.counter += fake_arch.counter_step;
	return now;
}

bool arch_irq_pending(void)
{
	fake_arch.irq_pending_reads++;
	return fake_arch.irq_pending;
}

bool arch_trap_guest_irqs_unmasked(void)
{
	return !fake_arch.guest_irqs_masked;
}

uint64_t arch_counter_freq(void)
{
	return fake_arch.counter_freq;
}

void arch_relax(void)
{
	fake_arch.relaxes++;
	if (fake_arch.relax_hook)
		fake_arch.relax_hook();
}

void arch_hyp_timer_arm(uint64_t cval)
{
	fake_arch.hyp_timer_armed = true;
	fake_arch.hyp_timer_cval = cval;
}

void arch_hyp_timer_disarm(void)
{
	fake_arch.hyp_timer_armed = false;
}

unsigned long arch_irq_save(void)
{
	unsigned long was = fake_arch.irqs_masked;

	fake_arch.irqs_masked = true;
	return was;
}

void arch_irq_restore(unsigned long flags)
{
	fake_arch.irqs_masked = flags != 0;
}

void arch_wait_for_interrupt(void)
{
	fake_arch.wfis++;
	if (fake_arch.wfi_hook)
		fake_arch.wfi_hook();
}

void arch_irq_window(void)
{
	fake_arch.irq_windows++;
	if (fake_arch.irq_window_hook)
		fake_arch.irq_window_hook();
}

void arch_halt(void)
{
	fflush(stdout);
	abort();
}

void arch_cpu_init_virt(void)
{
	fake_arch.cpu_inits++;
}

unsigned arch_cpu_index(void)
{
	return fake_arch.cpu_index;
}

void arch_vcpu_reset(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	vcpu->ctx.entry = entry;
	vcpu->ctx.arg = arg;
	vcpu->ctx.resets++;
	/* Same architectural state as the real reset: EL1h, DAIF masked, x0 = arg. */
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs.pc = entry;
	vcpu->regs.x[0] = arg;
	vcpu->regs.pstate = 0x3c5;
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool is_data, uint64_t addr)
{
	vcpu->ctx.aborts_injected++;
	vcpu->ctx.last_abort_addr = addr;
	vcpu->ctx.last_abort_is_data = is_data;
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu->ctx.undefs_injected++;
}

/*
 * Ticket locks without atomics (tests are single-threaded). Taking a lock that is
 * already held would spin forever on hardware, so here it aborts with a message.
 */
void spin_lock(spinlock_t *lock)
{
	if (lock->next != lock->owner) {
		fprintf(stderr, "fake arch: spin_lock(%p) on a held lock: deadlock\n",
			(void *)lock);
		abort();
	}
	lock->next++;
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++) {
		if (!held[i]) {
			held[i] = lock;
			break;
		}
	}
	fake_arch.locks_held++;
}

bool spin_trylock(spinlock_t *lock)
{
	if (lock->next != lock->owner)
		return false;
	spin_lock(lock);
	return true;
}

void spin_unlock(spinlock_t *lock)
{
	if (lock->next == lock->owner) {
		fprintf(stderr, "fake arch: spin_unlock(%p) on a free lock\n", (void *)lock);
		abort();
	}
	lock->owner++;
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++) {
		if (held[i] == lock) {
			held[i] = NULL;
			break;
		}
	}
	fake_arch.locks_held--;
}

static void release_held_locks(void)
{
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++) {
		if (held[i]) {
			held[i]->owner = held[i]->next;
			held[i] = NULL;
		}
	}
	fake_arch.locks_held = 0;
}

/* Appends s to the log and tracks the last line (its newline stripped). */
static void record_output(const char *s)
{
	size_t loglen = strlen(fake_arch.printk_log), last = strlen(fake_arch.printk_last);

	strlcpy(fake_arch.printk_log + loglen, s, sizeof(fake_arch.printk_log) - loglen);
	for (; *s; s++) {
		if (*s == '\n') {
			line_done = true;
			continue;
		}
		if (line_done) {
			last = 0;
			line_done = false;
		}
		if (last + 1 < sizeof(fake_arch.printk_last))
			fake_arch.printk_last[last++] = *s;
		fake_arch.printk_last[last] = '\0';
	}
}

void printk(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_td(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fake_arch.printks++;
	record_output(buf);
	if (!fake_arch.printk_quiet)
		fputs(buf, stdout);
}

bool fake_printk_contains(const char *s)
{
	return strstr(fake_arch.printk_log, s) != NULL;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_td(fake_arch.panic_msg, sizeof(fake_arch.panic_msg), fmt, ap);
	va_end(ap);
	fake_arch.panics++;
	fprintf(stderr, "panic: %s\n", fake_arch.panic_msg);
	if (fake_arch.panic_jmp) {
		release_held_locks();
		longjmp(*fake_arch.panic_jmp, 1);
	}
	fflush(stdout);
	abort();
}
