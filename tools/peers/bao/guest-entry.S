/*
 * The first instructions of a Bao VM that runs Tandem's RTOS (or Linux). Bao starts a vCPU at the
 * VM's entry with every general register zero and passes no device tree, while an arm64 Image
 * wants its DTB's address in x0 (x1-x3 zero). tools/bench/bao.py lays out the VM image as
 *     VM_BASE + 0          this code
 *     VM_BASE + DTB_OFF    the DTB written from tools/peers/bao/guest.dts.in
 *     VM_BASE + IMAGE_OFF  the Image (2 MiB aligned, as the arm64 boot protocol asks)
 * and assembles this file with -DVM_BASE=... -DDTB_OFF=... -DIMAGE_OFF=...
 */
	.text
	.globl	guest_entry
guest_entry:
	ldr	x0, dtb_address
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	ldr	x16, image_address
	br	x16

	.balign	8
dtb_address:
	.quad	VM_BASE + DTB_OFF
image_address:
	.quad	VM_BASE + IMAGE_OFF
