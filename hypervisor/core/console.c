/*
 * The hypervisor console: one physical UART shared by the hypervisor's log and every
 * VM's emulated PL011, written in whole lines, with input going to one VM at a time.
 *
 * Lock: console_lock is a leaf. It is taken with interrupts masked so that the UART
 * interrupt on the same pCPU cannot spin on it; console_rx_deliver() is called after
 * it is dropped.
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
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "console-internal.h"

#define PRINTK_LEN    512  /* one printk message, formatted on the caller's stack */
#define IRQ_DRAIN_MAX 1024 /* characters per console_irq(); the level IRQ fires again */
#define CTRL_A	      0x01
#define CTRL_A_SWITCH 3	   /* presses in a row that move the input focus */
#define OWNER_NONE    (-1) /* the cursor is at the start of a line */
#define OWNER_HV      (-2) /* the hypervisor printed a partial line */

static const struct uart_ops *uart; /* NULL until console_init(): output is dropped */
static uint64_t uart_base;	    /* physical base of the UART behind uart, for diagnostics */
static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int lock_cpu = -1; /* pCPU holding console_lock, so panic() cannot self-deadlock */

static struct guest_line lines[CFG_MAX_VMS];
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

static void console_unlock_irqrestore(unsigned long flags)
{
	lock_cpu = -1;
	spin_unlock(&console_lock);
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

void console_guest_putc(struct vm *vm, char c)
{
	unsigned long flags;

	if (vm->index >= CFG_MAX_VMS)
		return;
	flags = console_lock_irqsave();
	guest_char(vm, &lines[vm->index], c);
	console_unlock_irqrestore(flags);
}

/* --- Hypervisor output --- */

void console_write(const char *s, size_t len)
{
	unsigned long flags = console_lock_irqsave();

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

void console_init(const struct uart_ops *ops, uint64_t base)
{
	unsigned long flags = console_lock_irqsave();

	uart = ops;
	uart_base = base;
	console_rx_init();
	console_unlock_irqrestore(flags);
	if (ops && ops->enable_rx_irq)
		ops->enable_rx_irq();
}
