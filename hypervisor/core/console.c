/*
 * The hypervisor console: one physical UART shared by the hypervisor's log and every
 * VM's emulated PL011, written in whole lines, with input going to one VM at a time.
 *
 * Lock: console_lock is a leaf. It is taken with interrupts masked so that the UART
 * interrupt on the same pCPU cannot spin on it; console_rx_deliver() is called after
 * it is dropped. A guest's UART write never waits for it: the character goes into its
 * VM's output queue (struct guest_out, a per-VM lock among the VM's own vCPUs), and
 * whoever holds console_lock, or takes it free, moves queued characters to the terminal
 * (console_flush): the writer itself when the lock is free, else the holder before it lets
 * go. The move of queued characters steps aside for a pending interrupt (arch_irq_pending), so
 * that a guest's timer interrupt never waits behind a line of console output; what is left goes
 * at the next character, the next console output of any kind, or the flush timer, whichever is
 * first. A writer's own character with nothing queued is not a move: it goes out at once.
 *
 * Output model. The terminal has one cursor; "owner" is the source whose unfinished
 * line the cursor sits at the end of. Each VM accumulates its current line in a
 * buffer. The focused VM (the only VM, or the one receiving input) is "live": its
 * characters appear as they come, so a shell prompt with no newline shows at once.
 * Other VMs appear a whole line at a time. When anything else must print while the
 * live VM is mid-line, that line is ended, the other text printed, and the live
 * VM's partial line (its prompt and what the user typed) redrawn from its buffer.
 */
#include <stdarg.h>
#include <tandem/arch.h>
#include <tandem/console.h>
#include <tandem/freq.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/pool.h>
#include <tandem/spinlock.h>
#include <tandem/stats.h>
#include <tandem/string.h>
#include <tandem/timer.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "console-internal.h"

#define PRINTK_LEN     512  /* one printk message, formatted on the caller's stack */
#define IRQ_DRAIN_MAX  1024 /* characters per console_irq(); the level IRQ fires again */
#define CTRL_A	       0x01
#define CTRL_A_SWITCH  3    /* presses in a row that move the input focus */
#define OWNER_NONE     (-1) /* the cursor is at the start of a line */
#define OWNER_HV       (-2) /* the hypervisor printed a partial line */
#define OUT_LEN	       1024 /* characters of a VM's output queued for the terminal (power of 2) */
#define FLUSH_DELAY_US 200  /* a queue left non-empty is flushed at the latest this much later */

static const struct uart_ops *uart; /* NULL until console_init(): output is dropped */
static uint64_t uart_base;	    /* physical base of the UART behind uart, for diagnostics */
static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int lock_cpu = -1; /* pCPU holding console_lock, so panic() cannot self-deadlock */

static struct guest_line lines[CFG_MAX_VMS];

/*
 * A VM's output on its way to the terminal: its vCPUs append at tail (under lock, the VM's
 * own), the console_lock holder takes from head. Free-running indexes (tail - head queued).
 */
struct guest_out {
	spinlock_t lock;
	uint32_t head, tail;
	char buf[OUT_LEN];
};
_Static_assert((OUT_LEN & (OUT_LEN - 1)) == 0, "OUT_LEN indexes by mask");

static struct guest_out outs[CFG_MAX_VMS];
static uint32_t outs_queued;	 /* characters in all queues: 0, the writer may skip them */
static struct timer flush_timer; /* armed when a flush stepped aside with output queued */
static bool flush_timer_ready;
static int owner = OWNER_NONE;
static char hv_prev = '\n'; /* last character the hypervisor printed */
static unsigned focus;	    /* index in vms[] of the VM receiving input */
static unsigned ctrla;	    /* consecutive Ctrl-A presses */

static unsigned long console_lock_irqsave(void)
{
	unsigned long flags = arch_irq_save();

	spin_lock(&console_lock);
	lock_cpu = (int)arch_cpu_index();
	return flags;
}

static bool flush_queues(bool yield);
static bool queued_any(void);

static void flush_timer_arm(void)
{
	if (flush_timer_ready && !__atomic_load_n(&flush_timer.queue, __ATOMIC_RELAXED))
		timer_arm(&flush_timer,
			  arch_counter_read() + arch_counter_freq() * FLUSH_DELAY_US / 1000000);
}

/*
 * The queues found empty: the flush timer is cancelled. A writer that stepped aside meanwhile
 * saw it armed and left its characters to it: either that writer's look at the timer comes
 * after the cancel (it arms it again itself) or its characters are seen here (the two fences:
 * its append before its look, the cancel before this look), and the timer is armed again.
 */
static void flush_timer_drop(void)
{
	timer_cancel(&flush_timer);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (queued_any())
		flush_timer_arm();
}

/*
 * Drops console_lock after moving what the VMs queued meanwhile to the terminal. A writer that
 * found the lock held left its characters for the holder: the check after the unlock (a full
 * barrier between, as between the writer's append and its try) makes sure one of the two
 * moves them.
 */
static void console_unlock_irqrestore(unsigned long flags)
{
	bool left;

	for (;;) {
		left = flush_queues(true);
		lock_cpu = -1;
		spin_unlock(&console_lock);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (left || !queued_any() || !spin_trylock(&console_lock))
			break;
		lock_cpu = (int)arch_cpu_index();
	}
	/*
	 * Stepped aside with output queued: the flush timer takes it up if nothing else does first.
	 * Armed once (not again while it waits) and after the unlock: console_lock stays a leaf.
	 * Everything out with the timer still waiting: it is dropped, so that it does not enter EL2
	 * (on a bind pCPU, the guest's) for nothing.
	 */
	if (left)
		flush_timer_arm();
	else if (__builtin_expect(__atomic_load_n(&flush_timer.queue, __ATOMIC_RELAXED) != NULL, 0))
		flush_timer_drop();
	arch_irq_restore(flags);
}

/* --- Raw terminal output (console_lock held) --- */

static void uart_write(const char *s, size_t n)
{
	if (!uart)
		return;
	for (size_t i = 0; i < n; i++)
		uart->putc(s[i]);
}

static void uart_puts(const char *s)
{
	uart_write(s, strlen(s));
}

/* With one VM the console looks like bare metal: no prefix at all. */
static void put_prefix(const struct vm *vm)
{
	if (nr_vms <= 1)
		return;
	uart_puts("[");
	uart_puts(vm->name ? vm->name : "?");
	uart_puts("] ");
}

/* Ends whatever partial line is on the terminal so the next output starts clean. */
static void break_line(void)
{
	if (owner == OWNER_NONE)
		return;
	uart_puts("\r\n");
	if (owner == OWNER_HV)
		hv_prev = '\n';
	owner = OWNER_NONE;
}

static bool is_live(unsigned idx)
{
	return nr_vms <= 1 || idx == focus;
}

/* Keeps the focused VM's partial line (e.g. a shell prompt) visible whenever the cursor is free. */
static void show_focus(void)
{
	if (owner != OWNER_NONE || focus >= nr_vms || focus >= CFG_MAX_VMS || !lines[focus].len)
		return;
	put_prefix(&vms[focus]);
	line_draw(&lines[focus], uart_write); /* text only: no terminal query is asked twice */
	owner = (int)focus;
}

/* Hypervisor text: '\n' becomes "\r\n" for the terminal. */
static void hv_output(const char *s, size_t n)
{
	if (!n)
		return;
	if (owner != OWNER_HV)
		break_line();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && hv_prev != '\r')
			uart_write("\r", 1);
		uart_write(&s[i], 1);
		hv_prev = s[i];
	}
	owner = hv_prev == '\n' ? OWNER_NONE : OWNER_HV;
	show_focus();
}

/* --- Guest output --- */

/* Prints a VM's buffered line that is not on the terminal yet, followed by end. */
static void emit_line(struct vm *vm, struct guest_line *l, const char *end)
{
	break_line();
	put_prefix(vm);
	line_draw(l, uart_write);
	uart_puts(end);
	line_clear(l);
	show_focus();
}

/*
 * Only the live VM's own characters, while the cursor is at the end of its line, go to the
 * terminal as they come, control sequences included; everything drawn from a buffer (another
 * VM's whole line, the live line redrawn) is the stored text alone (console_line.c).
 */
static void guest_char(struct vm *vm, struct guest_line *l, char c)
{
	int idx = (int)vm->index;
	bool starts = l->seq == SEQ_NONE;
	enum line_put put;

	if (c == '\n') {
		const char *end = l->cr ? "\r\n" : "\n";

		l->cr = false;
		l->seq = SEQ_NONE;
		if (owner == idx) {
			uart_puts(end);
			line_clear(l);
			owner = OWNER_NONE;
			show_focus();
		} else {
			emit_line(vm, l, end);
		}
		return;
	}
	if (l->cr) {
		/* A carriage return inside a line (shell redraw, progress): the line starts over.
		 */
		l->cr = false;
		if (owner == idx) {
			uart_puts("\r");
			put_prefix(vm);
		}
		line_clear(l);
	}
	if (c == '\r') {
		l->cr = true;
		l->seq = SEQ_NONE;
		return;
	}
	put = line_put(l, c);
	if (put == LINE_FULL) {
		/* Too long to hold: what is on screen stays there, anything else goes out now. */
		if (owner != idx)
			emit_line(vm, l, "\r\n");
		line_clear(l);
		put = line_put(l, c);
	}
	if (put == LINE_CONTROL) {
		if (starts) /* a sequence's tail follows its start to the terminal, or not at all */
			l->seq_hidden = owner != idx;
		if (owner == idx && !l->seq_hidden)
			uart_write(&c, 1);
		return;
	}
	if (owner == idx) {
		uart_write(&c, 1);
	} else if (is_live(vm->index)) {
		break_line();
		put_prefix(vm);
		line_draw(l, uart_write);
		owner = idx;
	}
}

/*
 * Moves one VM's queued output to the terminal (console_lock held); with yield, stops early
 * when an interrupt is pending on this pCPU. Returns true if it left characters queued.
 */
static bool flush_queue(unsigned idx, bool yield)
{
	struct guest_out *o = &outs[idx];
	uint32_t head = o->head;
	uint32_t tail = __atomic_load_n(&o->tail, __ATOMIC_ACQUIRE);

	while (head != tail) {
		if (yield && arch_irq_pending())
			break;
		guest_char(&vms[idx], &lines[idx], o->buf[head & (OUT_LEN - 1)]);
		head++;
		__atomic_store_n(&o->head, head, __ATOMIC_RELEASE);
		__atomic_fetch_sub(&outs_queued, 1, __ATOMIC_RELAXED);
		if (head == tail)
			tail = __atomic_load_n(&o->tail, __ATOMIC_ACQUIRE);
	}
	return head != tail;
}

static bool queued(unsigned idx)
{
	return __atomic_load_n(&outs[idx].tail, __ATOMIC_ACQUIRE) != outs[idx].head;
}

static bool queued_any(void)
{
	return __atomic_load_n(&outs_queued, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Every VM's queued output (console_lock held), the VM of index `last` last: a writer's own
 * character comes after what other VMs had queued before it. Returns true if it stepped aside
 * (yield) with characters left.
 */
static bool flush_queues_last(bool yield, unsigned last)
{
	bool left = false;

	for (unsigned i = 0; i < nr_vms && i < CFG_MAX_VMS; i++)
		if (i != last && queued(i) && flush_queue(i, yield))
			left = true;
	if (last < nr_vms && last < CFG_MAX_VMS && queued(last) && flush_queue(last, yield))
		left = true;
	return left;
}

static bool flush_queues(bool yield)
{
	return flush_queues_last(yield, CFG_MAX_VMS);
}

static void flush_timer_fn(struct timer *t)
{
	unsigned long flags = console_lock_irqsave();

	console_unlock_irqrestore(flags); /* flushes, and re-arms if it steps aside again */
}

/* Appends c to the VM's queue; false if the queue is full. */
static bool out_push(struct guest_out *o, char c)
{
	bool ok;

	spin_lock(&o->lock);
	ok = o->tail - __atomic_load_n(&o->head, __ATOMIC_ACQUIRE) < OUT_LEN;
	if (ok) {
		o->buf[o->tail & (OUT_LEN - 1)] = c;
		__atomic_fetch_add(&outs_queued, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&o->tail, o->tail + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&o->lock);
	return ok;
}

/*
 * The guest's write: with the console free and nothing queued (the usual case), the character
 * goes to the terminal at once, even with an interrupt pending: one character costs less than
 * stepping aside (queueing it, the flush's look, the flush timer's arming and later its EL2
 * entry), and its trap delivers the interrupt at its end (trap_fast_finish). Otherwise it is
 * queued behind what waits and what is queued moves to the terminal only if the console is free;
 * if not, its holder moves it. A full queue is the UART's flow control: the writer waits for the
 * console and moves its queue out itself, as a full FIFO holds a CPU back.
 */
void console_guest_putc(struct vm *vm, char c)
{
	struct guest_out *o;
	unsigned long flags;

	if (vm->index >= CFG_MAX_VMS)
		return;
	flags = arch_irq_save();
	if (__builtin_expect(!queued_any() && spin_trylock(&console_lock), 1)) {
		lock_cpu = (int)arch_cpu_index();
		guest_char(vm, &lines[vm->index], c);
		lock_cpu = -1;
		spin_unlock(&console_lock);
		__atomic_thread_fence(
		    __ATOMIC_SEQ_CST); /* a writer that found it held: see the unlock */
		if (__builtin_expect(queued_any(), 0) && spin_trylock(&console_lock)) {
			lock_cpu = (int)arch_cpu_index();
			console_unlock_irqrestore(flags);
			return;
		}
		arch_irq_restore(flags);
		return;
	}
	o = &outs[vm->index];
	while (!out_push(o, c)) {
		spin_lock(&console_lock);
		lock_cpu = (int)arch_cpu_index();
		flush_queue(vm->index, false);
		lock_cpu = -1;
		spin_unlock(&console_lock);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the append before the try (see the unlock) */
	if (spin_trylock(&console_lock)) {
		lock_cpu = (int)arch_cpu_index();
		flush_queues_last(true, vm->index);
		console_unlock_irqrestore(flags);
		return;
	}
	arch_irq_restore(flags);
}

/* --- Hypervisor output --- */

void console_write(const char *s, size_t len)
{
	unsigned long flags = console_lock_irqsave();

	flush_queues(false); /* what the VMs wrote before this, before it */
	hv_output(s, len);
	console_unlock_irqrestore(flags);
}

void console_putc(char c)
{
	console_write(&c, 1);
}

/* Formats into buf; a message that does not fit ends in "..." (and keeps its newline). */
static size_t format(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf_td(buf, cap, fmt, ap);

	if (n < 0)
		return 0;
	if ((size_t)n < cap)
		return (size_t)n;
	n = (int)cap - 1;
	bool nl = fmt[0] && fmt[strlen(fmt) - 1] == '\n';
	/* buf[n] is already the terminator: only the last four characters change. */
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result)
	memcpy(buf + n - 4, nl ? "...\n" : "....", 4);
	return (size_t)n;
}

void printk(const char *fmt, ...)
{
	char buf[PRINTK_LEN];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n);
}

void panic(const char *fmt, ...)
{
	char msg[PRINTK_LEN], line[PRINTK_LEN + 48];
	unsigned cpu = arch_cpu_index();
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	format(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = (size_t)snprintf_td(line, sizeof(line), "tandem: PANIC on CPU %u: %s\n", cpu, msg);
	n = MIN(n, sizeof(line) - 1);
	if (lock_cpu == (int)cpu) {
		/* Panicking inside the console itself: the lock is ours already. */
		hv_output(line, n);
	} else {
		console_write(line, n);
	}
	arch_halt();
}

/* --- Input --- */

static void cmd_help(void);

/*
 * Ctrl-A <key> commands. Add an entry to extend; the key is then no longer
 * delivered to guests after a single Ctrl-A (Ctrl-A <other> still is).
 */
static const struct console_cmd {
	char key;
	const char *help;
	void (*fn)(void);
} console_cmds[] = {
    {'d', "dump statistics (VMs, vCPUs, pCPUs, free memory)", stats_dump},
    {'s', "dump scheduling: pools, pCPU time (guest/idle/hyp, load), vCPU run time", pool_dump},
    {'f', "dump frequency domains: operating point, time at each, energy", freq_dump},
    {'g', "dump interrupt state: per VM, its SPIs and UART lines; per vCPU, its LRs", vdev_dump},
    {'?', "list console commands", cmd_help},
};

static void cmd_help(void)
{
	printk("tandem: console on UART at 0x%llx\n", (unsigned long long)uart_base);
	printk("tandem: Ctrl-A x%d: move console input to the next running VM\n", CTRL_A_SWITCH);
	for (size_t i = 0; i < ARRAY_SIZE(console_cmds); i++)
		printk("tandem: Ctrl-A %c: %s\n", console_cmds[i].key, console_cmds[i].help);
}

/* Moves the focus to the next running VM (or keeps it) and says so; console_lock held. */
static void switch_focus(void)
{
	char msg[64 + CFG_NAME_MAX];
	int n;

	if (!nr_vms)
		return;
	for (unsigned i = 1; i <= nr_vms; i++) {
		unsigned next = (focus + i) % nr_vms;

		if (vms[next].state == VM_RUNNING) {
			focus = next;
			break;
		}
	}
	n = snprintf_td(msg, sizeof(msg), "tandem: console input -> vm %s\n", vms[focus].name);
	/* One critical section: the message, then the new focus's pending prompt. */
	hv_output(msg, MIN((size_t)n, sizeof(msg) - 1));
}

void console_input(char c)
{
	const struct console_cmd *cmd = NULL;
	struct vm *target = NULL;
	unsigned held = 0;
	unsigned long flags = console_lock_irqsave();

	if (c == CTRL_A) {
		if (++ctrla == CTRL_A_SWITCH) {
			ctrla = 0;
			switch_focus();
		}
		console_unlock_irqrestore(flags);
		return;
	}
	if (ctrla) {
		for (size_t i = 0; i < ARRAY_SIZE(console_cmds); i++)
			if (console_cmds[i].key == c)
				cmd = &console_cmds[i];
		/* Not a command: the guest gets the Ctrl-As it was owed (e.g. a shell's line
		 * start). */
		held = cmd ? 0 : ctrla;
		ctrla = 0;
	}
	if (focus < nr_vms)
		target = &vms[focus];
	console_unlock_irqrestore(flags);

	if (cmd) {
		cmd->fn();
		return;
	}
	if (!target)
		return;
	while (held--)
		console_rx_deliver(target, CTRL_A);
	console_rx_deliver(target, c);
}

/*
 * Everything received goes through console_input() at once, never held back in the UART: Ctrl-A
 * must reach the console whatever the focused VM does, so flow control is the input queues'
 * (console_rx.c), not the UART's.
 */
void console_irq(void)
{
	int c;

	if (!uart || !uart->getc)
		return;
	for (unsigned i = 0; i < IRQ_DRAIN_MAX && (c = uart->getc()) >= 0; i++)
		console_input((char)c);
}

static enum irq_result uart_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	console_irq();
	return IRQ_DONE;
}

static const struct irq_owner uart_owner = {
    .name = "console UART", .kind = IRQ_KIND_UART, .flags = IRQ_HYP_DEVICE, .handler = uart_irq};

int console_claim_irq(irq_t intid)
{
	return irq_claim(intid, &uart_owner, NULL);
}

void console_vm_stopped(const struct vm *vm)
{
	unsigned long flags = console_lock_irqsave();

	/* Typing into a VM that is gone helps no one: move on, if another VM still runs. */
	if (nr_vms > 1 && vm->index == focus)
		for (unsigned i = 0; i < nr_vms; i++)
			if (vms[i].state == VM_RUNNING) {
				switch_focus();
				break;
			}
	console_unlock_irqrestore(flags);
}

void console_handover(const char *vm_name)
{
	unsigned long flags;

	printk(
	    "tandem: console UART at 0x%llx passed through to vm %s: Tandem prints nothing more\n",
	    (unsigned long long)uart_base, vm_name);
	flags = console_lock_irqsave();
	uart = NULL;
	console_unlock_irqrestore(flags);
}

void console_init(const struct uart_ops *ops, uint64_t base)
{
	unsigned long flags = console_lock_irqsave();

	uart = ops;
	uart_base = base;
	console_rx_init();
	timer_init(&flush_timer, flush_timer_fn);
	flush_timer_ready = true;
	console_unlock_irqrestore(flags);
	if (ops && ops->enable_rx_irq)
		ops->enable_rx_irq();
}
