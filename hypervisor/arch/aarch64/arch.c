/* AArch64 implementations of the small arch_* services: caches, TLBs, counter, IRQ masking, locks.
 */
#include <arch/sysregs.h>
#include <tandem/arch.h>
#include <tandem/pcpu.h>
#include <tandem/spinlock.h>
#include <tandem/stage2.h>
#include <tandem/string.h>

void *arch_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa; /* EL2 maps RAM one to one */
}

paddr_t arch_virt_to_phys(const void *va)
{
	return (paddr_t)(uintptr_t)va;
}

void arch_mmio_write32(paddr_t pa, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)pa = value; /* devices are mapped one to one too */
	__asm__ volatile("dsb sy" ::: "memory");
}

static uint64_t dcache_line(void)
{
	return 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf); /* CTR_EL0.DminLine, in words */
}

void arch_dcache_clean_range(const void *va, size_t size)
{
	uint64_t line = dcache_line();
	uintptr_t p = ALIGN_DOWN((uintptr_t)va, line), end = (uintptr_t)va + size;

	/* Four lines a loop: a guest kernel image is half a million lines. */
	for (; end - p > 4 * line; p += 4 * line)
		__asm__ volatile("dc cvac, %0; dc cvac, %1; dc cvac, %2; dc cvac, %3"
				 :
				 : "r"(p), "r"(p + line), "r"(p + 2 * line), "r"(p + 3 * line)
				 : "memory");
	for (; p < end; p += line)
		__asm__ volatile("dc cvac, %0" : : "r"(p) : "memory");
	dsb(sy);
}

void arch_dcache_clean_inval_range(const void *va, size_t size)
{
	uint64_t line = dcache_line();
	uintptr_t p = ALIGN_DOWN((uintptr_t)va, line), end = (uintptr_t)va + size;

	dsb(sy); /* the guest's stores (or ours) are complete before the lines go */
	for (; p < end; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(sy);
}

void arch_icache_invalidate_all(void)
{
	__asm__ volatile("ic ialluis; dsb ish; isb" ::: "memory");
}

void arch_tlb_flush_vmid(vmid_t vmid)
{
	unsigned long flags = arch_irq_save();
	uint64_t saved = read_sysreg(vttbr_el2);

	/* TLBI VMALLS12E1IS acts on the VMID in VTTBR_EL2, so borrow it for the moment. */
	write_sysreg(vttbr_el2, (uint64_t)vmid << 48);
	isb();
	__asm__ volatile("dsb ishst; tlbi vmalls12e1is; dsb ish; isb" ::: "memory");
	write_sysreg(vttbr_el2, saved);
	isb();
	arch_irq_restore(flags);
}

uint64_t arch_counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

unsigned long arch_irq_save(void)
{
	unsigned long flags = read_sysreg(daif);

	__asm__ volatile("msr daifset, #2" ::: "memory");
	return flags;
}

void arch_irq_restore(unsigned long flags)
{
	write_sysreg(daif, flags);
}

void arch_wait_for_interrupt(void)
{
	/*
	 * Called with IRQs and FIQs masked: WFI still wakes on a pending, masked interrupt, so
	 * a wake-up that raced with the caller's check is not lost. Unmask both briefly to take
	 * it (FIQ: the hypervisor's own Group 0 interrupts, irqchip.h).
	 */
	__asm__ volatile("dsb sy; wfi; msr daifclr, #3; isb; msr daifset, #3" ::: "memory");
}

void arch_irq_window(void)
{
	/* Unmasked for one instruction's width: pending IRQs and FIQs are taken right here. */
	__asm__ volatile("msr daifclr, #3; isb; msr daifset, #3" ::: "memory");
}

void arch_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

void arch_hyp_timer_arm(uint64_t cval)
{
	write_sysreg(cnthp_cval_el2, cval);
	write_sysreg(cnthp_ctl_el2, 1); /* ENABLE, not masked */
	isb();
}

void arch_hyp_timer_disarm(void)
{
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
}

void arch_halt(void)
{
	__asm__ volatile("msr daifset, #0xf");
	for (;;)
		__asm__ volatile("wfi");
}

void spin_lock(spinlock_t *lock)
{
	uint32_t ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
		__asm__ volatile("wfe");
}

bool spin_trylock(spinlock_t *lock)
{
	uint32_t owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
	uint32_t next = owner;

	/* Free means next == owner: take the ticket only if nobody holds or waits for it. */
	return __atomic_compare_exchange_n(&lock->next, &next, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, lock->owner + 1, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ishst; sev" ::: "memory");
}

void arch_cpu_init_virt(void)
{
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	/*
	 * VTCR_EL2: 39-bit IPA (T0SZ 25) walked from level 1 (SL0 = 1) with a 4 KiB
	 * granule, tables in inner-shareable write-back memory; output size up to 40 bits.
	 */
	uint64_t vtcr = S2_VTCR_WALK | (MIN(parange, S2_PS_MAX) << 16) | (1UL << 31);

	write_sysreg(vtcr_el2, vtcr);
	write_sysreg(hcr_el2, HCR_HOST);
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(vttbr_el2, 0);
	/*
	 * Physical IRQs/FIQs/SErrors are taken to EL2 only when HCR_EL2.IMO/FMO/AMO route
	 * them there (Arm ARM D1.3.6): set them now, not only when a vCPU is first loaded,
	 * so a pCPU that never runs a vCPU (the one taking the console's interrupt) takes them.
	 */
	write_sysreg(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO);
	isb();
}

void arch_zero_range(void *va, size_t size)
{
	uint64_t dczid = read_sysreg(dczid_el0);
	uintptr_t p = (uintptr_t)va, end = p + size;
	uint64_t block = 4UL << (dczid & 0xf); /* DCZID_EL0.BS: log2 of the block in words */

	/* DC ZVA zeroes a whole block per instruction: guest RAM is hundreds of MiB. */
	if ((dczid & (1UL << 4)) || !IS_ALIGNED(p | size, block)) {
		memset(va, 0, size);
		return;
	}
	for (; end - p > 4 * block; p += 4 * block)
		__asm__ volatile("dc zva, %0; dc zva, %1; dc zva, %2; dc zva, %3"
				 :
				 : "r"(p), "r"(p + block), "r"(p + 2 * block), "r"(p + 3 * block)
				 : "memory");
	for (; p < end; p += block)
		__asm__ volatile("dc zva, %0" : : "r"(p) : "memory");
	dsb(ish);
}
