/*
 * Console input queues: what is typed for a VM waits here while the VM's receive FIFO is full,
 * so the physical UART is read at all times and Ctrl-A always reaches the console, whatever a
 * guest does with its UART (docs/design.md, "The console").
 *
 * Lock: rx_lock, taken with interrupts masked (the UART interrupt delivers under it). Order:
 * rx_lock, then a vpl011's lock (vpl011_rx_char), then the timer queue's lock (timer_arm).
 * Never taken with console_lock held, and the vpl011 never calls in here holding its lock.
 */
#include <tandem/arch.h>
#include <tandem/config.h>
#include <tandem/console.h>
#include <tandem/log.h>
#include <tandem/spinlock.h>
#include <tandem/timer.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

#include "console-internal.h"

/* Per VM: a pasted command or a few seconds of typing ahead of a guest that reads late. */
#define RX_QUEUE_LEN 4096
/*
 * A VM that takes nothing from a non-empty queue this long is taken as not reading its
 * console: its queue is dropped, and its input goes to its FIFO only, lost when that is full
 * (as on a real UART's overrun), until it reads again. Generous, because under emulation on a
 * loaded host a healthy guest may pause for a while.
 */
#define RX_STALL_MS 3000

struct rx_queue {
	char buf[RX_QUEUE_LEN];
	unsigned head, count;
	uint64_t
	    progress;	 /* counter: when the queue last filled from empty or the VM took from it */
	bool deaf;	 /* found not reading: nothing is queued until it reads again */
	bool overflowed; /* the queue was full and dropped input (warned once per episode) */
};

static struct rx_queue queues[CFG_MAX_VMS];
static spinlock_t rx_lock = SPINLOCK_INIT;
static struct timer rx_stall_timer;
static bool rx_stall_armed; /* under rx_lock: timer_arm is never called on it from two pCPUs */

static uint64_t stall_ticks(void)
{
	return arch_counter_freq() * RX_STALL_MS / 1000;
}

/* Moves queued input into the VM's FIFO while it has room; rx_lock held. */
static void refill(struct vm *vm, struct rx_queue *q)
{
	while (q->count && vpl011_rx_room(vm, 1)) {
		vpl011_rx_char(vm, q->buf[q->head]);
		q->head = (q->head + 1) % RX_QUEUE_LEN;
		__atomic_store_n(&q->count, q->count - 1, __ATOMIC_RELAXED);
	}
	if (!q->count)
		q->overflowed = false;
}

void console_rx_deliver(struct vm *vm, char c)
{
	struct rx_queue *q = &queues[vm->index];
	unsigned long flags = arch_irq_save();
	bool overflow = false;

	spin_lock(&rx_lock);
	if (q->deaf || vm->state == VM_STOPPED) {
		/* The FIFO alone, an overrun if it is full: no one will read (a stopped VM that
		 * has the focus because no other runs), or no one has for RX_STALL_MS. */
		vpl011_rx_char(vm, c);
	} else if (q->count == RX_QUEUE_LEN) {
		overflow = !q->overflowed;
		q->overflowed = true;
	} else {
		if (!q->count)
			q->progress = arch_counter_read();
		q->buf[(q->head + q->count) % RX_QUEUE_LEN] = c;
		__atomic_store_n(&q->count, q->count + 1, __ATOMIC_RELAXED);
		/*
		 * Publish the queued character, then look at the FIFO (refill): the guest reads
		 * on its own pCPU, lowers rx_count, then looks at count (console_rx_resume),
		 * with a full barrier on both sides, so one of the two moves it.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		refill(vm, q);
		if (q->count && !rx_stall_armed) {
			rx_stall_armed = true;
			timer_arm(&rx_stall_timer, q->progress + stall_ticks());
		}
	}
	spin_unlock(&rx_lock);
	arch_irq_restore(flags);
	if (overflow)
		log_warn("vm %s: console input queue full (%u characters): input dropped", vm->name,
			 RX_QUEUE_LEN);
}

void console_rx_resume(struct vm *vm)
{
	struct rx_queue *q;
	unsigned long flags;

	if (vm->index >= CFG_MAX_VMS)
		return;
	q = &queues[vm->index];
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with console_rx_deliver() */
	if (!__atomic_load_n(&q->count, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&q->deaf, __ATOMIC_RELAXED))
		return;
	flags = arch_irq_save();
	spin_lock(&rx_lock);
	q->deaf = false; /* it reads: queued again from now on */
	q->progress = arch_counter_read();
	refill(vm, q);
	spin_unlock(&rx_lock);
	arch_irq_restore(flags);
}

/* Some queue waited RX_STALL_MS: drop the queues of VMs that took nothing meanwhile (IRQ). */
static void rx_stall_fired(struct timer *timer)
{
	uint64_t now = arch_counter_read(), next = UINT64_MAX;
	bool stalled[CFG_MAX_VMS] = {false};
	unsigned long flags = arch_irq_save();

	spin_lock(&rx_lock);
	rx_stall_armed = false;
	for (unsigned i = 0; i < nr_vms && i < CFG_MAX_VMS; i++) {
		struct rx_queue *q = &queues[i];

		if (!q->count)
			continue;
		if (now - q->progress >= stall_ticks()) {
			stalled[i] = q->deaf = true;
			q->head = 0;
			__atomic_store_n(&q->count, 0, __ATOMIC_RELAXED);
			q->overflowed = false;
		} else {
			next = MIN(next, q->progress + stall_ticks());
		}
	}
	if (next != UINT64_MAX) {
		rx_stall_armed = true;
		timer_arm(timer, next);
	}
	spin_unlock(&rx_lock);
	arch_irq_restore(flags);
	for (unsigned i = 0; i < nr_vms && i < CFG_MAX_VMS; i++)
		if (stalled[i])
			log_warn("vm %s: reads no console input (its receive FIFO full for %u ms): "
				 "input to it is dropped until it reads again",
				 vms[i].name, RX_STALL_MS);
}

void console_rx_init(void)
{
	timer_init(&rx_stall_timer, rx_stall_fired);
}
