/*
 * Emulated PL011 UART (Arm PrimeCell UART TRM, DDI 0183), one per VM. Output
 * goes straight to the hypervisor console; input arrives from the console focus.
 */
#include <tandem/arch.h>
#include <tandem/console.h>
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/mmio.h>
#include <tandem/string.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

/* Register offsets (DDI 0183 3.2). */
#define UARTDR	  0x000
#define UARTRSR	  0x004 /* read: RSR, write: ECR */
#define UARTFR	  0x018
#define UARTILPR  0x020
#define UARTIBRD  0x024
#define UARTFBRD  0x028
#define UARTLCR_H 0x02c
#define UARTCR	  0x030
#define UARTIFLS  0x034
#define UARTIMSC  0x038
#define UARTRIS	  0x03c
#define UARTMIS	  0x040
#define UARTICR	  0x044
#define UARTDMACR 0x048
#define UARTID	  0xfe0 /* PeriphID0-3, then PCellID0-3 at 0xff0 */

#define BIT32(n) (1u << (n))

#define FR_BUSY BIT32(3)
#define FR_RXFE BIT32(4)
#define FR_TXFF BIT32(5)
#define FR_RXFF BIT32(6)
#define FR_TXFE BIT32(7)

#define INT_RX	BIT32(4)
#define INT_TX	BIT32(5)
#define INT_RT	BIT32(6)
#define INT_OE	BIT32(10)
#define INT_ALL 0x7ffu

/*
 * PeriphID 0x00141011 (part 0x011, designer 0x41 'A', revision 1) and the
 * PrimeCell ID, as QEMU's pl011 reports them: Linux's AMBA bus reads these to
 * bind the stock amba-pl011 driver (it matches 0x00041011 under mask 0x000fffff).
 */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/*
 * The lock is taken with interrupts masked: vpl011_rx_char() runs from the console's
 * UART interrupt, which must not spin on a lock its own pCPU holds.
 */
static unsigned long uart_lock(struct vpl011 *u)
{
	unsigned long flags = arch_irq_save();

	spin_lock(&u->lock);
	return flags;
}

static void uart_unlock(struct vpl011 *u, unsigned long flags)
{
	spin_unlock(&u->lock);
	arch_irq_restore(flags);
}

/* TX is always "FIFO empty": guest output is written through as it arrives. */
static uint32_t ris(const struct vpl011 *u)
{
	uint32_t r = u->ris | INT_TX;

	/* RX and receive-timeout stay raised while data waits: the guest drains to clear them. */
	if (u->rx_count)
		r |= INT_RX | INT_RT;
	return r;
}

/* Drives the SPI to (RIS & IMSC) != 0. Called with u->lock held. */
static void update_level(struct vm *vm, struct vpl011 *u)
{
	vgic_set_level(vm, VPL011_SPI, (ris(u) & u->imsc) != 0);
}

/* FR for a receive FIFO holding rx_count characters. */
static uint32_t fr_of(unsigned rx_count)
{
	uint32_t f = FR_TXFE; /* never TXFF or BUSY: output completes within the trap */

	if (rx_count == 0)
		f |= FR_RXFE;
	if (rx_count == VPL011_RX_LEN)
		f |= FR_RXFF;
	return f;
}

static uint32_t fr(const struct vpl011 *u)
{
	return fr_of(u->rx_count);
}

static uint32_t rx_pop(struct vpl011 *u)
{
	uint32_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VPL011_RX_LEN;
	u->rx_count--;
	return c;
}

/* A read of the 32-bit register at reg; DR pops the RX FIFO (only when byte 0 is read). */
static uint32_t reg_read(struct vpl011 *u, uint64_t reg, bool pops)
{
	switch (reg) {
	case UARTDR:
		return pops ? rx_pop(u) : 0;
	case UARTFR:
		return fr(u);
	case UARTILPR:
		return u->ilpr;
	case UARTIBRD:
		return u->ibrd;
	case UARTFBRD:
		return u->fbrd;
	case UARTLCR_H:
		return u->lcr_h;
	case UARTCR:
		return u->cr;
	case UARTIFLS:
		return u->ifls;
	case UARTIMSC:
		return u->imsc;
	case UARTRIS:
		return ris(u);
	case UARTMIS:
		return ris(u) & u->imsc;
	case UARTDMACR:
		return u->dmacr;
	default:
		if (reg >= UARTID && reg < UARTID + 0x20)
			return pl011_id[(reg - UARTID) / 4];
		return 0; /* RSR (no errors ever), ICR (write-only) and holes: RAZ */
	}
}

/* Merges a write of val under mask into the register storage *r, keeping only its valid bits. */
static void merge(uint32_t *r, uint32_t val, uint32_t mask, uint32_t valid)
{
	*r = ((*r & ~mask) | (val & mask)) & valid;
}

/* A write of val (already shifted into place) under mask; returns true if it wrote DR byte 0. */
static bool reg_write(struct vpl011 *u, uint64_t reg, uint32_t val, uint32_t mask)
{
	switch (reg) {
	case UARTDR:
		return (mask & 0xff) != 0;
	case UARTILPR:
		merge(&u->ilpr, val, mask, 0xff);
		break;
	case UARTIBRD:
		merge(&u->ibrd, val, mask, 0xffff);
		break;
	case UARTFBRD:
		merge(&u->fbrd, val, mask, 0x3f);
		break;
	case UARTLCR_H:
		merge(&u->lcr_h, val, mask, 0xff);
		break;
	case UARTCR:
		merge(&u->cr, val, mask, 0xff87);
		break;
	case UARTIFLS:
		merge(&u->ifls, val, mask, 0x3f);
		break;
	case UARTIMSC:
		merge(&u->imsc, val, mask, INT_ALL);
		break;
	case UARTICR:
		/* Only latched bits clear; TX/RX/RT follow the FIFOs (see ris()). */
		u->ris &= ~(val & mask);
		break;
	case UARTDMACR:
		merge(&u->dmacr, val, mask, 0x7);
		break;
	default:
		break; /* ECR (errors are never latched), read-only registers and holes: WI */
	}
	return false;
}

/*
 * The two accesses a guest's console output is made of, one character after another: a write
 * of DR's byte 0 (the character goes to the console's queue for this VM, console_guest_putc)
 * and a read of FR. Neither changes the UART's state, so neither moves its interrupt line
 * (every change drives it, update_level) nor needs the lock: FR reads the receive count once,
 * as it stood just before or just after a concurrent push. The data-abort fast path takes them
 * (mmio_fast_fn); the handler below does the same for a trap that reaches it.
 */
static bool vpl011_fast(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vm *vm = opaque;
	unsigned shift = (acc->offset & 3) * 8;
	uint32_t mask;

	if (acc->size > 4 || (acc->offset & (acc->size - 1)))
		return false;
	mask = (acc->size == 4 ? 0xffffffffu : (1u << (acc->size * 8)) - 1) << shift;
	if ((acc->offset & ~3ULL) == UARTDR && acc->write && (mask & 0xff)) {
		console_guest_putc(vm, (char)(acc->value & 0xff));
		return true;
	}
	if ((acc->offset & ~3ULL) == UARTFR && !acc->write) {
		acc->value =
		    (fr_of(__atomic_load_n(&vm->uart.rx_count, __ATOMIC_RELAXED)) & mask) >> shift;
		return true;
	}
	return false;
}

static int vpl011_mmio(struct vcpu *vcpu, struct mmio_access *acc, void *opaque)
{
	struct vm *vm = opaque;
	struct vpl011 *u = &vm->uart;
	uint64_t reg = acc->offset & ~3ULL;
	unsigned shift = (acc->offset & 3) * 8;
	unsigned long flags;
	uint32_t mask;
	bool tx = false, resume = false;
	char c = 0;

	/* A 32-bit device: accesses of 1, 2 or 4 bytes, naturally aligned, within one register. */
	if (acc->size > 4 || (acc->offset & (acc->size - 1)))
		return -ERR_INVAL;
	mask = (acc->size == 4 ? 0xffffffffu : (1u << (acc->size * 8)) - 1) << shift;

	/* Console output (DR byte 0 written, FR read): vpl011_fast's, lock-free. */
	if (vpl011_fast(vcpu, acc, vm))
		return 0;

	flags = uart_lock(u);
	if (acc->write) {
		tx = reg_write(u, reg, (uint32_t)acc->value << shift, mask);
		c = (char)(acc->value & 0xff);
	} else {
		acc->value = (reg_read(u, reg, shift == 0) & mask) >> shift;
		/* Every read below half, not just the one reaching it: input the console
		 * queued as the read reaching it went by is moved by the next. */
		resume = reg == UARTDR && u->rx_count <= VPL011_RX_LEN / 2;
	}
	update_level(vm, u);
	uart_unlock(u, flags);

	/* The guest drained half its FIFO: the console refills it from what it queued
	 * (a look at a count when nothing waits). */
	if (resume)
		console_rx_resume(vm);

	/* Outside the UART lock: the console lock is a leaf and output may take a while. */
	if (tx)
		console_guest_putc(vm, c);
	return 0;
}

/* Reset values from DDI 0183 3.3: TXE and RXE set, FIFO trigger levels at half. */
static void regs_reset(struct vpl011 *u)
{
	u->cr = 0x300;
	u->ifls = 0x12;
	u->lcr_h = u->ibrd = u->fbrd = u->ilpr = u->imsc = u->dmacr = u->ris = 0;
	u->rx_head = u->rx_count = 0;
}

void vpl011_reset(struct vm *vm)
{
	struct vpl011 *u = &vm->uart;
	unsigned long flags = uart_lock(u);

	regs_reset(u);
	update_level(vm, u); /* IMSC is 0 now: lowers a line left high by the previous run */
	uart_unlock(u, flags);
}

int vpl011_init(struct vm *vm)
{
	int ret;

	/* No vgic_set_level here: the line starts low, and the vGIC may not be set up yet. */
	memset(&vm->uart, 0, sizeof(vm->uart));
	regs_reset(&vm->uart);
	/* The machine's UART is this VM's own, at the same address (passthrough_vm_init). */
	if (vm->cfg && vm->cfg->console_uart)
		return 0;
	ret = mmio_register_fast(vm, VPL011_BASE, VPL011_SIZE, vpl011_mmio, vpl011_fast, vm);
	if (ret < 0)
		log_error("vm %s: vpl011: cannot register MMIO at 0x%lx: %s", vm->name,
			  (unsigned long)VPL011_BASE, err_name(ret));
	return ret;
}

bool vpl011_rx_room(struct vm *vm, unsigned n)
{
	return VPL011_RX_LEN - __atomic_load_n(&vm->uart.rx_count, __ATOMIC_RELAXED) >= n;
}

void vpl011_rx_char(struct vm *vm, char c)
{
	struct vpl011 *u = &vm->uart;
	unsigned long flags = uart_lock(u);

	if (u->rx_count < VPL011_RX_LEN) {
		u->rx[(u->rx_head + u->rx_count) % VPL011_RX_LEN] = (uint8_t)c;
		u->rx_count++;
	} else {
		u->ris |= INT_OE; /* FIFO full: the character is lost, as on hardware */
	}
	update_level(vm, u);
	uart_unlock(u, flags);
}

/* VM restart: the receive FIFO is empty again, so the console may feed it again. */
static void vpl011_vdev_reset(struct vm *vm)
{
	vpl011_reset(vm);
	console_rx_resume(vm);
}

/* The VM stopped: it no longer drains its UART, so the console's input must not stay muted. */
static void vpl011_destroy(struct vm *vm)
{
	console_rx_resume(vm);
}

/* Ctrl-A g: the UART's interrupt lines (mask, latched status) and its receive FIFO fill. */
static void vpl011_dump(struct vm *vm, struct vdev_dump_buf *out)
{
	struct vpl011 *u = &vm->uart;
	unsigned long flags = uart_lock(u);

	vdev_dump_add(out, "tandem: vpl011 vm %s: imsc 0x%x ris 0x%x rx %u\n", vm->name, u->imsc,
		      u->ris, u->rx_count);
	uart_unlock(u, flags);
}

const struct vdev_ops vpl011_vdev = {
    .name = "vpl011",
    .create = vpl011_init,
    .reset = vpl011_vdev_reset,
    .destroy = vpl011_destroy,
    .dump = vpl011_dump,
};
