/*
 * EL2 exception vectors. A trap from a guest saves its general-purpose registers
 * in the frame at the top of this pCPU's stack (struct guest_regs) and calls C;
 * returning restores that frame (possibly another vCPU's, after a switch) and erets.
 */
#include <asm-offsets.h>

.macro save_frame
	sub	sp, sp, #GUEST_REGS_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x0, elr_el2
	stp	x30, x0, [sp, #16 * 15]
	mrs	x0, spsr_el2
	str	x0, [sp, #GUEST_REGS_PSTATE]
.endm

/* A guest trap of kind \kind: call trap_\kind(frame), then return to the guest. */
.macro guest_vector handler
	.align	7
	save_frame
	mov	x0, sp
	bl	\handler
	b	restore_frame_and_eret
.endm

/* An exception taken while EL2 itself ran. */
.macro hyp_vector handler
	.align	7
	save_frame
	mov	x0, sp
	bl	\handler
	b	restore_frame_and_eret
.endm

	.section .text.vectors, "ax"
	.align	11
	.global	el2_vectors
el2_vectors:
	/* Current EL with SP_EL0: never used. */
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	/* Current EL with SP_ELx: the hypervisor itself. */
	hyp_vector hyp_trap_sync
	hyp_vector hyp_trap_irq
	hyp_vector hyp_trap_fiq
	hyp_vector hyp_trap_serror
	/* Lower EL, AArch64: guests. */
	guest_vector trap_guest_sync
	guest_vector trap_guest_irq
	guest_vector trap_guest_fiq
	guest_vector trap_guest_serror
	/* Lower EL, AArch32: not supported (HCR_EL2.RW = 1). */
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected

	.text
	.global restore_frame_and_eret
restore_frame_and_eret:
	ldr	x0, [sp, #GUEST_REGS_PSTATE]
	msr	spsr_el2, x0
	ldp	x30, x0, [sp, #16 * 15]
	msr	elr_el2, x0
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	add	sp, sp, #GUEST_REGS_SIZE
	eret
	dsb	nsh
	isb

/* void arch_enter_guest(struct guest_regs *frame): frame is the top-of-stack frame. */
	.global	arch_enter_guest
arch_enter_guest:
	mov	sp, x0
	b	restore_frame_and_eret

/* void arch_reset_stack_and_call(void (*fn)(void)): abandon this stack, run fn on a fresh one. */
	.global	arch_reset_stack_and_call
arch_reset_stack_and_call:
	mrs	x1, tpidr_el2
	ldr	x2, =pcpus
	sub	x1, x1, x2
	mov	x2, #PCPU_SIZE
	udiv	x1, x1, x2
	ldr	x2, =pcpu_stacks
	mov	x3, #PCPU_STACK_SIZE_ASM
	madd	x2, x1, x3, x2
	add	x2, x2, x3
	sub	sp, x2, #GUEST_REGS_SIZE
	br	x0

/* FP/SIMD state of a vCPU (EL2 itself never uses these registers). */
	.arch_extension fp
	.arch_extension simd
	.global	arch_fp_save
arch_fp_save:
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #32 * 16
	stp	x1, x2, [x0]
	ret

	.global	arch_fp_restore
arch_fp_restore:
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	add	x0, x0, #32 * 16
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
