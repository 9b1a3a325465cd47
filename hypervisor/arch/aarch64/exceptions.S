/*
 * EL2 exception vectors. The running vCPU's general-purpose registers live in the frame at the
 * top of this pCPU's stack (struct guest_regs); SP_EL2 points at that frame while a guest runs.
 *
 * A guest's IRQ and HVC take a fast path first: only the registers a C call may clobber
 * (x0-x18, x30) are saved and a fast function runs (trap_guest_*_fast, traps.c). The guest's
 * x19-x29 stay in the CPU, preserved by C's calling convention, and ELR/SPSR_EL2 in their
 * registers (EL2 runs with interrupts masked and takes no exception of its own). If the fast
 * function returns 0 the trap is over: the caller-saved registers come back and the guest
 * resumes. Otherwise the rest (x19-x29, ELR, SPSR) goes into the frame and the slow function
 * runs with the whole frame (a switch, a reset, any handler that reads or writes the guest's
 * registers at large), as every other trap does from the start.
 */
#include <asm-offsets.h>

/* The frame but x0, x1 (a vector saved those first), at a stack pointer already at the frame. */
.macro save_frame_rest_at_sp
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

/* The whole frame, at a stack pointer already at the frame (a guest's trap). */
.macro save_frame_at_sp
	stp	x0, x1, [sp, #16 * 0]
	save_frame_rest_at_sp
.endm

/* An exception taken while EL2 itself ran: a new frame below its stack pointer. */
.macro save_frame
	sub	sp, sp, #GUEST_REGS_SIZE
	save_frame_at_sp
.endm

/* The whole frame back from the frame at sp (SPSR, ELR, x0-x30); sp stays. */
.macro restore_frame_at_sp
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
.endm

/* x2-x18 and x30 (x0, x1 are saved first by the vector). */
.macro save_caller_saved_rest
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	str	x18, [sp, #16 * 9]
	str	x30, [sp, #16 * 15]
.endm

.macro restore_caller_saved
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldr	x18, [sp, #16 * 9]
	ldr	x30, [sp, #16 * 15]
.endm

/*
 * A guest trap with a fast path: x0 = fast(frame); 0: back to the guest; else
 * slow(x0, frame) with the whole frame saved (guest_trap_slow).
 */
.macro guest_fast_vector fast, slow
	.align	7
9997:
	stp	x0, x1, [sp, #16 * 0]
	save_caller_saved_rest
	mov	x0, sp
	bl	\fast
	cbnz	x0, 1f
	restore_caller_saved
	eret
1:	adr	x2, \slow
	b	guest_trap_slow
	.org	9997b + 0x80	/* fails to assemble if the vector overflows its slot */
.endm

/*
 * The synchronous trap: a hypercall (HVC64) tries the fast path trap_guest_hvc_fast(frame), a
 * data abort inside the pages of the regions with a short path (mmio_fast_window: the vGIC's
 * frames, the vPL011's) another, trap_guest_dabt_fast(frame, ESR_EL2) (guest_dabt_gate); every
 * other exception class and every other data abort saves the whole frame at once (its handler
 * may read or write any register) and goes to trap_guest_sync.
 */
.macro guest_sync_vector
	.align	7
9997:
	stp	x0, x1, [sp, #16 * 0]
	mrs	x0, esr_el2
	lsr	x0, x0, #26		/* ESR_EL2.EC */
	cmp	x0, #0x16		/* HVC64 */
	b.ne	guest_dabt_gate
	save_caller_saved_rest
	mov	x0, sp
	bl	trap_guest_hvc_fast
	cbnz	x0, guest_sync_slow
	restore_caller_saved
	eret
	.org	9997b + 0x80	/* fails to assemble if the vector overflows its slot */
.endm

/* A guest trap without a fast path: the whole frame, then handler(frame). */
.macro guest_vector handler
	.align	7
9997:
	save_frame_at_sp
	mov	x0, sp
	bl	\handler
	b	restore_frame_and_eret
	.org	9997b + 0x80	/* fails to assemble if the vector overflows its slot */
.endm
/* An exception taken while EL2 itself ran. */
.macro hyp_vector handler
	.align	7
9997:
	save_frame
	mov	x0, sp
	bl	\handler
	b	restore_hyp_frame_and_eret
	.org	9997b + 0x80	/* fails to assemble if the vector overflows its slot */
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
	guest_sync_vector
	guest_fast_vector trap_guest_irq_fast, trap_guest_irq_slow
	guest_fast_vector trap_guest_fiq_fast, trap_guest_fiq_slow
	guest_vector trap_guest_serror
	/* Lower EL, AArch32: not supported (HCR_EL2.RW = 1). */
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected
	hyp_vector hyp_trap_unexpected

	.text
/*
 * Not a hypercall (x0: ESR_EL2.EC): a data abort from a lower EL (EC 0x24) whose page
 * (HPFAR_EL2.FIPA, IPA >> 12) lies in mmio_fast_window goes to the fast path, anything else to
 * the whole frame. The window is one word (nr_pages << 32 | first_page), so that x0 and x1
 * (saved) are all the test needs: page - first_page, unsigned, below nr_pages.
 */
guest_dabt_gate:
	cmp	x0, #0x24
	b.ne	guest_sync_full
	adrp	x0, mmio_fast_window
	ldr	x0, [x0, :lo12:mmio_fast_window]
	mrs	x1, hpfar_el2
	ubfx	x1, x1, #4, #40		/* FIPA: IPA[51:12] */
	sub	x1, x1, w0, uxtw
	cmp	x1, x0, lsr #32
	b.hs	guest_sync_full
	save_caller_saved_rest
	mov	x0, sp
	mrs	x1, esr_el2
	bl	trap_guest_dabt_fast
	cbnz	x0, guest_sync_slow
	restore_caller_saved
	eret

/* The synchronous fast path asked for the whole frame (x0: its code). */
guest_sync_slow:
	adr	x2, trap_guest_sync_slow
	b	guest_trap_slow

/* The rest of a synchronous trap's frame (x0, x1 are saved), then trap_guest_sync(frame). */
guest_sync_full:
	save_frame_rest_at_sp
	mov	x0, sp
	bl	trap_guest_sync
	b	restore_frame_and_eret

/*
 * A fast path asked for the whole frame (x0: its code, x2: the slow function): the guest's
 * x19-x29 are still in the CPU (C preserved them), ELR/SPSR_EL2 in theirs.
 */
guest_trap_slow:
	str	x19, [sp, #16 * 9 + 8]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x1, elr_el2
	str	x1, [sp, #GUEST_REGS_PC]
	mrs	x1, spsr_el2
	str	x1, [sp, #GUEST_REGS_PSTATE]
	mov	x1, sp
	blr	x2
	/* fall through */

/* The whole frame at sp (the running vCPU's: perhaps another one after a switch); sp stays. */
	.global restore_frame_and_eret
restore_frame_and_eret:
	restore_frame_at_sp
	eret
	dsb	nsh
	isb

/* Back from an exception EL2 took from itself: its frame below, popped. */
restore_hyp_frame_and_eret:
	restore_frame_at_sp
	add	sp, sp, #GUEST_REGS_SIZE
	eret
	dsb	nsh
	isb

/* void arch_enter_guest(struct guest_regs *frame): frame is the top-of-stack frame, where sp
 * stays while the guest runs. */
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
	sub	sp, x2, #GUEST_REGS_SIZE	/* below the frame, as while a guest runs */
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
