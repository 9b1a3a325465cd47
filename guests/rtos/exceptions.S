/*
 * EL1 exception vectors, register frames and the task switch. Tasks run at EL1 on their own
 * stacks (SP_EL1), so an exception frame goes on the interrupted task's stack and a switch
 * from inside a handler just leaves it there until the task is resumed.
 */
#define FRAME_SIZE 272 /* x0-x30, elr, spsr, pad: struct exc_frame in arch.h */

.macro	save_regs_from_x2
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x21, elr_el1
	mrs	x22, spsr_el1
	stp	x30, x21, [sp, #240]
	str	x22, [sp, #256]
.endm

.macro	save_all
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	save_regs_from_x2
.endm

.macro	restore_all_eret
	ldr	x22, [sp, #256]
	ldp	x30, x21, [sp, #240]
	msr	elr_el1, x21
	msr	spsr_el1, x22
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #FRAME_SIZE
	eret
.endm

.macro	ventry	target
	.balign	0x80
	b	\target
.endm

	.text
	.balign	2048
	.globl	vectors
vectors:
	ventry	bad_exception		/* current EL, SP_EL0: never used */
	ventry	bad_exception
	ventry	bad_exception
	ventry	bad_exception
	ventry	el1_sync		/* current EL, SP_EL1 */
	ventry	el1_irq
	ventry	bad_exception		/* FIQ: nothing is configured to raise one */
	ventry	el1_serror
	ventry	bad_exception		/* lower EL, AArch64: no EL0 */
	ventry	bad_exception
	ventry	bad_exception
	ventry	bad_exception
	ventry	bad_exception		/* lower EL, AArch32 */
	ventry	bad_exception
	ventry	bad_exception
	ventry	bad_exception

/*
 * IRQ: the counter is read before anything else is saved, so the latency benchmark's "IRQ
 * entry" is a handful of instructions after the vector (the virtual or physical counter,
 * whichever the scheduler's timer uses: rtos_timer_phys).
 */
el1_irq:
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	adrp	x0, rtos_timer_phys
	ldrb	w0, [x0, :lo12:rtos_timer_phys]
	cbnz	w0, 1f
	mrs	x0, cntvct_el0
	b	2f
1:	mrs	x0, cntpct_el0
2:	mrs	x1, tpidr_el1
	str	x0, [x1]		/* struct pcpu.irq_stamp, offset 0 */
	save_regs_from_x2
	mov	x0, sp
	bl	irq_handle
	restore_all_eret

el1_sync:
	save_all
	mov	x0, sp
	bl	sync_handle
	restore_all_eret

el1_serror:
	save_all
	mov	x0, sp
	bl	serror_handle
	restore_all_eret

bad_exception:
	save_all
	mov	x0, sp
	bl	bad_exception_handle
	restore_all_eret

/*
 * void port_switch(struct port_ctx *prev, struct port_ctx *next): saves the callee-saved
 * registers and sp (the rest are dead across a call), loads next's and returns into it.
 */
	.globl	port_switch
port_switch:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	ldp	x19, x20, [x1, #0]
	ldp	x21, x22, [x1, #16]
	ldp	x23, x24, [x1, #32]
	ldp	x25, x26, [x1, #48]
	ldp	x27, x28, [x1, #64]
	ldp	x29, x30, [x1, #80]
	ldr	x9, [x1, #96]
	mov	sp, x9
	ret

/* First "return" of a new task (port_task_init() points x30 here). */
	.globl	task_trampoline
task_trampoline:
	mov	x29, xzr
	bl	sched_task_start
	b	halt
