/*
 * Entry: the arm64 Linux Image header (Documentation/arm64/booting.rst), then the primary and
 * secondary CPU paths. The image is linked at address 0 as a static PIE and runs wherever it is
 * loaded: the primary applies its own R_AARCH64_RELATIVE relocations before any C runs, and all
 * code up to that point is PC-relative. MMU on for secondaries happens here, before they touch
 * memory, so they never write through a non-cacheable view what they later read cached.
 */
#define BOOT_STACK_SIZE	 16384
#define R_AARCH64_RELATIVE 1027
#define SCTLR_EL1_RES1	 0x30d00800 /* RES1 bits of SCTLR_EL1 in Armv8.0, MMU and caches off */
#define SPSR_EL1H_MASKED 0x3c5	    /* EL1h, D A I F masked */

	.section .head.text, "ax"
	.globl	_head
_head:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: any 2 MiB-aligned base + 0 */
	.long	_image_size_lo		/* image_size, .bss included (rtos.ld) */
	.long	_image_size_hi
	.quad	0xa			/* flags: little-endian, 4K pages, placement anywhere */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

	.text
primary_entry:
	mrs	x23, cntpct_el0		/* first instruction: the boot-time benchmark's stamp */
	mov	x21, x0			/* DTB */
	mrs	x22, CurrentEL
	lsr	x22, x22, #2
	bl	el2_to_el1

	/* Apply our own relocations: *(base + r_offset) = base + r_addend. */
	adr	x0, _head
	adrp	x1, __rela_start
	add	x1, x1, :lo12:__rela_start
	adrp	x2, __rela_end
	add	x2, x2, :lo12:__rela_end
1:	cmp	x1, x2
	b.hs	2f
	ldp	x3, x4, [x1], #16
	ldr	x5, [x1], #8
	cmp	x4, #R_AARCH64_RELATIVE
	b.ne	1b			/* the build refuses any other type (rtos.mk) */
	add	x5, x5, x0
	str	x5, [x0, x3]
	b	1b

2:	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b

4:	adrp	x0, rtos_boot_cntpct	/* bench.c; in .bss, so only now */
	str	x23, [x0, :lo12:rtos_boot_cntpct]
	adrp	x0, boot_stacks
	add	x0, x0, :lo12:boot_stacks
	add	x0, x0, #BOOT_STACK_SIZE
	mov	sp, x0
	mov	x29, xzr
	mov	x0, x21
	mov	x1, x22
	bl	rtos_main		/* does not return */
	b	halt

/* PSCI CPU_ON lands here, x0 = our CPU index (the context ID), MMU off. */
	.globl	secondary_entry
secondary_entry:
	mov	x19, x0
	bl	el2_to_el1
	adrp	x0, mmu_boot_regs
	add	x0, x0, :lo12:mmu_boot_regs
	bl	mmu_on
	adrp	x1, boot_stacks
	add	x1, x1, :lo12:boot_stacks
	mov	x2, #BOOT_STACK_SIZE
	madd	x1, x2, x19, x1
	add	x1, x1, x2
	mov	sp, x1
	mov	x29, xzr
	mov	x0, x19
	bl	secondary_main		/* does not return */
	b	halt

/*
 * void mmu_on(const struct mmu_regs *): MAIR, TCR, TTBR0, then SCTLR (offsets 0/8/16/24).
 * The tables map this code at its own address, so the next fetch continues seamlessly.
 */
	.globl	mmu_on
mmu_on:
	ldp	x2, x3, [x0]
	ldp	x4, x5, [x0, #16]
	msr	mair_el1, x2
	msr	tcr_el1, x3
	msr	ttbr0_el1, x4
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ic	iallu
	dsb	nsh
	msr	sctlr_el1, x5
	isb
	ret

/*
 * Entered at EL2 (bare QEMU with virtualization=on): become an ordinary EL1 guest of nobody.
 * AArch64 EL1, EL1 may use both counters and timers, no virtual offset, GICv3 system registers
 * usable from EL1, no traps. Returns at EL1 to the caller (x30). Clobbers x9.
 */
el2_to_el1:
	mrs	x9, CurrentEL
	cmp	x9, #(2 << 2)
	b.eq	1f
	ret
1:	mov	x9, #(1 << 31)		/* HCR_EL2.RW: EL1 is AArch64; nothing trapped or routed */
	msr	hcr_el2, x9
	mrs	x9, cnthctl_el2
	orr	x9, x9, #3		/* EL1PCTEN | EL1PCEN */
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr
	mrs	x9, id_aa64pfr0_el1
	ubfx	x9, x9, #24, #4		/* GIC system registers implemented? */
	cbz	x9, 2f
	mrs	x9, S3_4_C12_C9_5	/* ICC_SRE_EL2 */
	orr	x9, x9, #0x1		/* SRE */
	orr	x9, x9, #0x8		/* Enable: EL1 may set ICC_SRE_EL1.SRE */
	msr	S3_4_C12_C9_5, x9
	isb
2:	mrs	x9, midr_el1
	msr	vpidr_el2, x9
	mrs	x9, mpidr_el1
	msr	vmpidr_el2, x9
	mov	x9, #0x33ff		/* CPTR_EL2: RES1 bits, no FP/SIMD trap */
	msr	cptr_el2, x9
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mov	x9, #(SCTLR_EL1_RES1 & 0xffff)
	movk	x9, #(SCTLR_EL1_RES1 >> 16), lsl #16
	msr	sctlr_el1, x9
	mov	x9, #SPSR_EL1H_MASKED
	msr	spsr_el2, x9
	msr	elr_el2, x30
	eret

	.globl	halt
halt:
	msr	daifset, #0xf
1:	wfi
	b	1b

	.bss
	.balign	16
	.globl	boot_stacks
boot_stacks:
	.space	BOOT_STACK_SIZE * 4	/* one per CPU: boot path, then that CPU's idle task */
