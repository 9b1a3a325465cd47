/*
 * Entry from firmware/QEMU at EL2 with the MMU off and x0 = DTB (arm64 Image boot
 * protocol), and the entry of secondary CPUs started through PSCI CPU_ON.
 */
#include <asm-offsets.h>

	.section .text.head, "ax"
	.global _head
_head:
	/* arm64 Image header (Linux Documentation/arm64/booting.rst): QEMU then passes the DTB in x0. */
	b	primary_entry
	.long	0
	.quad	0			/* text_offset: load at the base of RAM */
	.quad	_end - _head		/* image_size, bss included */
	.quad	0x2			/* flags: little-endian, 4 KiB pages, fixed placement */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"
	.long	0

	.text
primary_entry:
	mov	x19, x0				/* DTB */
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2

	/*
	 * Zero .bss: page tables, stacks and per-CPU data live there. With the MMU off memory is
	 * Device, so no DC ZVA: 64 bytes a loop (0.7 MiB, 11 k loops), then 16 at a time (the
	 * linker script aligns both ends to 16).
	 */
	ldr	x1, =_bss_start
	ldr	x2, =_bss_end
	sub	x3, x2, #64
1:	cmp	x1, x3
	b.hi	2f
	stp	xzr, xzr, [x1]
	stp	xzr, xzr, [x1, #16]
	stp	xzr, xzr, [x1, #32]
	stp	xzr, xzr, [x1, #48]
	add	x1, x1, #64
	b	1b
2:	cmp	x1, x2
	b.hs	3f
	stp	xzr, xzr, [x1], #16
	b	2b
3:
	mov	x0, #0
	bl	setup_cpu
	mov	x0, x19
	bl	hyp_main_primary
	b	halt

/* Secondary CPUs: x0 = CPU index (the CPU_ON context argument). */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	bl	setup_cpu
	mov	x0, x19
	bl	hyp_main_secondary
	b	halt

/* x0 = CPU index: stack, per-CPU pointer, vectors. Clobbers x0-x3. */
setup_cpu:
	ldr	x1, =pcpu_stacks
	mov	x2, #PCPU_STACK_SIZE_ASM
	madd	x1, x0, x2, x1
	add	x1, x1, x2
	sub	x1, x1, #GUEST_REGS_SIZE	/* the top frame holds the guest's registers */
	mov	sp, x1
	ldr	x1, =pcpus
	mov	x2, #PCPU_SIZE
	madd	x1, x0, x2, x1
	msr	tpidr_el2, x1
	ldr	x1, =el2_vectors
	msr	vbar_el2, x1
	isb
	ret

not_el2:
halt:
	wfe
	b	halt
