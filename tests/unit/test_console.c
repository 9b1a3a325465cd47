/* clang-format off */ /* unit-sources: tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_timer.c tests/unit/fakes/fake_vpl011.c tests/unit/fakes/fake_irq.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_freq.c tests/unit/fakes/fake_stats.c tests/unit/fakes/fake_vdev_dump.c */
/* clang-format on */
/*
 * The console's line discipline, stored lines, input focus and input queues. console.c and its
 * parts are compiled into this file (below) with printk/panic renamed: arch/fake supplies the
 * test-wide ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define printk console_printk
#define panic  console_panic
#include "../../hypervisor/core/console.c"
#include "../../hypervisor/core/console_line.c"
#include "../../hypervisor/core/console_rx.c"
#undef printk
#undef panic

#include <arch/fake.h>

#include "fakes/fake.h"

/* --- The physical UART (its ops, given to console_init); the rest are the shared fakes --- */

static char term[8192]; /* everything written to the UART */
static size_t term_len;
static int term_fd = -1; /* panic tests: also copy output here */
static const char *rx_queue;
static int rx_enabled;

static void t_putc(char c)
{
	if (term_len + 1 < sizeof(term))
		term[term_len++] = c;
	term[term_len] = '\0';
	if (term_fd >= 0)
		assert_int_equal(write(term_fd, &c, 1), 1);
}

static int t_getc(void)
{
	return rx_queue && *rx_queue ? (unsigned char)*rx_queue++ : -1;
}

static void t_enable_rx(void)
{
	rx_enabled++;
}

static const struct uart_ops t_uart = {t_putc, t_getc, t_enable_rx};

/* What reached the VMs' emulated UARTs (fake_vpl011.c), in order. */
#define uart_rx fake_knobs.uart_rx
#define nr_rx	uart_rx.n
#define rx	uart_rx.rx

/* Input reaches a FIFO under the input queues' lock only: the console lock, a leaf, is dropped. */
static void check_rx_locks(void)
{
	for (unsigned i = 0; i < nr_rx && i < FAKE_MAX_RX; i++)
		assert_int_equal(rx[i].locks_held, 1);
}

/* The guest reads n characters from its FIFO, as vpl011.c does: below half, the console hears. */
static void guest_reads(unsigned vm, unsigned n)
{
	fake_vpl011_read(&vms[vm], n);
	check_rx_locks();
}

/* The console's one software timer (the flow-control watchdog), armed or NULL. */
static struct timer *armed_timer(void)
{
	return fake_timer_next();
}

/* Runs the armed timer at its expiry time. */
static void fire_armed_timer(void)
{
	assert_true(fake_timer_expire(armed_timer()));
}

/* --- Helpers --- */

static void reset_console(unsigned n)
{
	static const char *const names[] = {"a", "b", "c"};

	fake_reset();
	fake_calls_reset();
	memset(vms, 0, sizeof(vms));
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		vms[i].name = names[i];
		vms[i].index = i;
		vms[i].state = VM_RUNNING;
	}
	nr_vms = n;
	memset(lines, 0, sizeof(lines));
	memset(outs, 0, sizeof(outs));
	outs_queued = 0;
	owner = OWNER_NONE;
	hv_prev = '\n';
	focus = 0;
	ctrla = 0;
	uart = NULL;
	term_len = 0;
	term[0] = '\0';
	rx_queue = NULL;
	rx_enabled = 0;
	memset(queues, 0, sizeof(queues));
	rx_stall_armed = false;
	console_init(&t_uart, 0x09000000);
}

static void guest(unsigned vm, const char *s)
{
	while (*s)
		console_guest_putc(&vms[vm], *s++);
}

static void expect(const char *want)
{
	if (strcmp(term, want) != 0)
		fail_msg("terminal shows\n  \"%s\"\nexpected\n  \"%s\"", term, want);
	term_len = 0;
	term[0] = '\0';
}

static void input(const char *s)
{
	while (*s)
		console_input(*s++);
	check_rx_locks();
}

/* --- Output --- */

static void test_before_init_output_is_dropped(void **state)
{
	reset_console(1);
	uart = NULL;
	console_printk("early %d\n", 1);
	guest(0, "x");
	assert_int_equal(term_len, 0);
	console_init(&t_uart, 0x09000000);
	assert_int_equal(rx_enabled, 2);
	console_printk("now\n");
	expect("\r\nnow\r\nx"); /* the unfinished line was kept, and is redrawn */
}

static void test_printk_lines(void **state)
{
	reset_console(0);
	console_printk("tandem: %s %d\n", "hello", 42);
	expect("tandem: hello 42\r\n");
	console_printk("part ");
	console_printk("two\r\n"); /* already "\r\n": not doubled */
	expect("part two\r\n");
	console_putc('c');
	console_write("d\n", 2);
	expect("cd\r\n");
}

static void test_printk_truncates_long_messages(void **state)
{
	char big[PRINTK_LEN + 100];

	reset_console(0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	console_printk("%s\n", big);
	assert_int_equal(term_len, PRINTK_LEN); /* PRINTK_LEN - 1 characters, '\n' becomes "\r\n" */
	assert_memory_equal(term + term_len - 5, "...\r\n", 5);
}

static void test_single_vm_is_bare(void **state)
{
	reset_console(1);
	guest(0, "Booting Linux\r\n");
	expect("Booting Linux\r\n");
	/* A prompt with no newline shows at once. */
	guest(0, "~ # ");
	expect("~ # ");
	guest(0, "ls");
	expect("ls");
}

static void test_single_vm_prompt_survives_printk(void **state)
{
	reset_console(1);
	guest(0, "~ # ec");
	expect("~ # ec");
	console_printk("tandem: vm b stopped\n");
	expect("\r\ntandem: vm b stopped\r\n~ # ec");
	guest(0, "ho\r\n");
	expect("ho\r\n");
}

static void test_multi_vm_whole_lines_with_prefix(void **state)
{
	reset_console(2);
	/* b is not focused: its line appears only when complete. */
	guest(1, "hel");
	expect("");
	guest(0, "one\r\n");
	expect("[a] one\r\n");
	guest(1, "lo\r\n");
	expect("[b] hello\r\n");
}

static void test_multi_vm_focused_prompt_is_live_and_redrawn(void **state)
{
	reset_console(2);
	guest(0, "~ # ");
	expect("[a] ~ # ");
	guest(0, "l");
	expect("l");
	guest(1, "[    1.0] b boots\r\n");
	expect("\r\n[b] [    1.0] b boots\r\n[a] ~ # l");
	guest(0, "s\r\n");
	expect("s\r\n");
}

static void test_carriage_return_keeps_prefix(void **state)
{
	reset_console(2);
	guest(0, "~ # abc");
	expect("[a] ~ # abc");
	/* The shell redraws its line from column 0: the prefix is redrawn too. */
	guest(0, "\r~ # abd");
	expect("\r[a] ~ # abd");
	/* Unfocused progress output: only the final state of the line shows. */
	guest(1, "10%\r50%\r100%\r\n");
	expect("\r\n[b] 100%\r\n[a] ~ # abd");
}

static void test_long_unfocused_line_is_split(void **state)
{
	char s[LINE_LEN + 11];

	reset_console(2);
	memset(s, 'y', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	guest(1, s);
	assert_int_equal(term_len, 4 + LINE_LEN + 2);
	assert_memory_equal(term, "[b] yyy", 7);
	assert_memory_equal(term + term_len - 2, "\r\n", 2);
	term_len = 0;
	guest(1, "\r\n");
	expect("[b] yyyyyyyyyy\r\n");
}

static void test_long_focused_line_keeps_flowing(void **state)
{
	reset_console(1);
	for (unsigned i = 0; i < LINE_LEN + 5; i++)
		guest(0, "z");
	assert_int_equal(term_len, LINE_LEN + 5);
	for (unsigned i = 0; i < term_len; i++)
		assert_int_equal(term[i], 'z');
}

/* --- Redraws: text only (issue 12 item 5) --- */

static void test_redraw_does_not_repeat_a_cursor_query(void **state)
{
	reset_console(2);
	/* busybox ash asks the terminal where its cursor is after each prompt: once. */
	guest(0, "~ # \x1b[6n");
	expect("[a] ~ # \x1b[6n");
	guest(1, "b boots\r\n");
	expect("\r\n[b] b boots\r\n[a] ~ # ");
	console_printk("tandem: note\n");
	expect("\r\ntandem: note\r\n[a] ~ # ");
}

static void test_stored_line_follows_line_editing(void **state)
{
	reset_console(2);
	guest(0, "~ # abc\b \b"); /* a shell erasing the 'c' */
	expect("[a] ~ # abc\b \b");
	console_printk("x\n");
	expect("\r\nx\r\n[a] ~ # ab \b");	       /* the cursor back where the shell left it */
	guest(0, "\x1b[2D\x1b[K\x1b[1mbold\x1b[0m\a"); /* back 2, erase to the end, SGR, BEL */
	expect("\x1b[2D\x1b[K\x1b[1mbold\x1b[0m\a");
	console_printk("y\n");
	expect("\r\ny\r\n[a] ~ # bold");
	guest(0, "\x1b]0;title\a\x1b[3C!\x1b[?25l"); /* OSC string, forward 3, a private mode */
	expect("\x1b]0;title\a\x1b[3C!\x1b[?25l");
	console_printk("z\n");
	expect("\r\nz\r\n[a] ~ # bold   !");
	guest(0, "\r\n");
	expect("\r\n");
}

static void test_other_vms_lines_are_text_only(void **state)
{
	reset_console(2);
	/* Not live: its line is drawn from the buffer, where no sequence is kept. */
	guest(1, "\x1b[31mred\x1b[0m \x1b[6n\a\x1bPdcs\x1b\\ok\r\n");
	expect("[b] red ok\r\n");
}

static void test_sequence_begun_off_the_cursor_is_not_half_shown(void **state)
{
	reset_console(1);
	console_printk("tandem: partial");
	expect("tandem: partial");
	/* The cursor is the hypervisor's: the query is not sent, nor is its tail later. */
	guest(0, "\x1b[6");
	expect("");
	guest(0, "n$ ");
	expect("\r\n$ ");
	guest(0, "\x1b[6n");
	expect("\x1b[6n");
}

/* --- Input --- */

/* Output queued while another pCPU held the console (console_lock held here stands for it). */
static void queued_behind_holder(unsigned vm, const char *s)
{
	spin_lock(&console_lock);
	guest(vm, s);
	spin_unlock(&console_lock);
	expect("");
}

/*
 * A writer's own character with nothing queued goes out at once, an interrupt pending or not:
 * one character costs less than stepping aside (and its trap delivers the interrupt at its end).
 */
static void test_own_character_goes_out_with_an_interrupt_pending(void **state)
{
	reset_console(2);
	fake_arch.irq_pending = true;
	guest(0, "one\n");
	expect("[a] one\n");
	assert_null(armed_timer());
}

/*
 * The move of queued output steps aside for a pending interrupt: it stays queued, in order, and
 * goes out with the next character, before the hypervisor's next line, or when the flush timer
 * fires; the timer is dropped when something else moved it all first.
 */
static void test_queued_output_steps_aside_for_an_interrupt(void **state)
{
	reset_console(2);
	queued_behind_holder(0, "one\n");
	fake_arch.irq_pending = true;
	console_unlock_irqrestore(console_lock_irqsave()); /* a holder's unlock: the move */
	expect("");
	assert_ptr_equal(armed_timer(), &flush_timer);
	fake_arch.irq_pending = false;
	fire_armed_timer();
	expect("[a] one\n");
	assert_null(armed_timer());

	queued_behind_holder(1, "two\n");
	fake_arch.irq_pending = true;
	guest(0, "x"); /* queued behind b's line, which steps aside with it */
	expect("");
	assert_ptr_equal(armed_timer(), &flush_timer);
	fake_arch.irq_pending = false;
	guest(0, "y\n"); /* the next character takes what waits with it, every VM's */
	expect("[b] two\n[a] xy\n");
	assert_null(armed_timer()); /* nothing left for it: it would enter EL2 for nothing */

	queued_behind_holder(1, "before\n");
	fake_arch.irq_pending = true;
	console_printk("tandem: after\n"); /* the hypervisor's line comes after the VM's */
	expect("[b] before\ntandem: after\r\n");
	assert_null(armed_timer());
}

/* A full queue holds its writer back (a full FIFO's flow control): nothing is lost. */
static void test_full_output_queue_loses_nothing(void **state)
{
	static char text[OUT_LEN * 2 + 1], want[sizeof(text) + 2];

	reset_console(1);
	fake_arch.irq_pending = true;
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + i % 26);
	guest(0, text);
	assert_true(term_len >= OUT_LEN); /* the writer moved its queue out itself */
	fake_arch.irq_pending = false;
	guest(0, "\n");
	snprintf(want, sizeof(want), "%s\n", text);
	expect(want);
}

static void test_input_goes_to_focus(void **state)
{
	reset_console(2);
	input("ls\r");
	assert_int_equal(nr_rx, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_ptr_equal(rx[i].vm, &vms[0]);
	assert_int_equal(rx[2].c, '\r');
}

static void test_ctrl_a_three_times_switches_focus(void **state)
{
	reset_console(3);
	guest(1, "~ # ");
	expect("");
	input("\x01\x01\x01");
	assert_int_equal(nr_rx, 0);
	assert_int_equal(focus, 1);
	expect("tandem: console input -> vm b\r\n[b] ~ # ");
	input("x");
	assert_ptr_equal(rx[0].vm, &vms[1]);

	/* Stopped VMs are skipped; the focus wraps around. */
	vms[2].state = VM_STOPPED;
	input("\x01\x01\x01");
	assert_int_equal(focus, 0);
	expect("\r\ntandem: console input -> vm a\r\n");
}

static void test_focus_leaves_a_stopped_vm(void **state)
{
	reset_console(3);
	focus = 1;
	/* Another VM stopping changes nothing. */
	vms[2].state = VM_STOPPED;
	console_vm_stopped(&vms[2]);
	assert_int_equal(focus, 1);
	expect("");
	/* The focused VM stopping moves the focus to the next running one, and says so. */
	vms[1].state = VM_STOPPED;
	console_vm_stopped(&vms[1]);
	assert_int_equal(focus, 0);
	expect("tandem: console input -> vm a\r\n");
	/* The last running VM stopping keeps the focus where it is. */
	vms[0].state = VM_STOPPED;
	console_vm_stopped(&vms[0]);
	assert_int_equal(focus, 0);
	expect("");
}

static void test_single_ctrl_a_reaches_the_guest(void **state)
{
	reset_console(1);
	input("\x01x");
	assert_int_equal(nr_rx, 2);
	assert_int_equal(rx[0].c, 0x01);
	assert_int_equal(rx[1].c, 'x');
	nr_rx = 0;
	input("\x01\x01y");
	assert_int_equal(nr_rx, 3);
	assert_int_equal(rx[2].c, 'y');
}

static void test_ctrl_a_commands(void **state)
{
	reset_console(2);
	input("\x01?");
	assert_int_equal(nr_rx, 0);
	assert_non_null(strstr(term, "Ctrl-A d: dump statistics"));
	term_len = 0;
	input("\x01");
	input("d");
	assert_int_equal(nr_rx, 0);
	assert_int_equal(fake_count("stats_dump"), 1);
}

static void test_irq_drains_the_uart(void **state)
{
	reset_console(1);
	rx_queue = "abc";
	console_irq();
	assert_int_equal(nr_rx, 3);
	assert_int_equal(rx[2].c, 'c');
	console_irq(); /* nothing left */
	assert_int_equal(nr_rx, 3);
}

/* Input typed at the terminal; returns how many characters reached FIFOs. */
static unsigned typed(const char *s)
{
	unsigned before = nr_rx;

	rx_queue = s;
	while (*rx_queue)
		console_irq();
	check_rx_locks();
	return nr_rx - before;
}

static char paste_buf[1024];

/* The first n characters of paste_buf, typed. */
static unsigned typed_n(size_t n)
{
	static char s[sizeof(paste_buf) + 1];

	assert_true(n <= sizeof(paste_buf));
	memcpy(s, paste_buf, n);
	s[n] = '\0';
	return typed(s);
}

static void test_full_fifo_queues_input_until_the_guest_reads(void **state)
{
	char paste[VPL011_RX_LEN + 40];

	reset_console(1);
	memset(paste, 'p', sizeof(paste) - 1);
	paste[sizeof(paste) - 2] = 'q';
	paste[sizeof(paste) - 1] = '\0';
	/* A paste longer than the FIFO: the UART is read to the end, the rest waits in order. */
	assert_int_equal(typed(paste), VPL011_RX_LEN);
	assert_int_equal(queues[0].count, sizeof(paste) - 1 - VPL011_RX_LEN);
	assert_non_null(armed_timer());
	guest_reads(0, VPL011_RX_LEN / 2 - 1); /* above half: nothing moves yet */
	assert_int_equal(nr_rx, VPL011_RX_LEN);
	guest_reads(0, 1); /* at half: refilled to full */
	assert_int_equal(nr_rx, VPL011_RX_LEN + VPL011_RX_LEN / 2);
	guest_reads(0, VPL011_RX_LEN);
	assert_int_equal(nr_rx, sizeof(paste) - 1);
	assert_int_equal(rx[nr_rx - 1].c, 'q');
	assert_int_equal(uart_rx.overruns[0], 0);
	/* The watchdog finds the queue empty: no warning, nothing dropped. */
	fire_armed_timer();
	assert_null(strstr(term, "warning"));
	assert_null(armed_timer());
}

/*
 * What Linux's PL011 driver does at boot: it masks its receive interrupt and does not read
 * its FIFO until the tty opens, seconds later, while a user types. Ctrl-A must reach the
 * console at once all along; once the guest reads, its input must flow again.
 */
static void test_guest_not_reading_its_fifo_during_boot(void **state)
{
	reset_console(2);
	assert_int_equal(typed("echo typed-1\recho typed-2\recho typed-3\recho typed-4\recho "
			       "typed-5\recho typed-6\r"),
			 VPL011_RX_LEN);
	assert_int_equal(queues[0].count, 6 * 13 - VPL011_RX_LEN);
	typed("\x01"
	      "d"); /* Ctrl-A d */
	assert_int_equal(fake_count("stats_dump"), 1);
	/* Typed 1 s later: still queued, and the watchdog waits for the first queued input. */
	fake_arch.counter += fake_arch.counter_freq;
	assert_int_equal(typed("ls\r"), 0);
	fire_armed_timer(); /* RX_STALL_MS after the queue started */
	assert_non_null(strstr(term, "tandem: warning: vm a: reads no console input"));
	assert_int_equal(queues[0].count, 0);
	/* From now on a's input goes to its FIFO alone (lost as on overrun): nothing piles up. */
	assert_int_equal(typed("xyz"), 0);
	assert_int_equal(uart_rx.overruns[0], 3);
	assert_null(armed_timer());
	typed("\x01\x01\x01");
	assert_int_equal(focus, 1);
	typed("b");
	assert_ptr_equal(rx[nr_rx - 1].vm, &vms[1]);
	typed("\x01\x01\x01");
	assert_int_equal(focus, 0);
	/* The tty opens: the driver drains 2 x 16 characters (its FIFO size twice) by hand, then
	 * unmasks its interrupt and reads the rest. a reads again: a full FIFO queues again. */
	guest_reads(0, 32);
	assert_false(queues[0].deaf);
	guest_reads(0, VPL011_RX_LEN);
	assert_int_equal(typed("uname\r"), 6);
	assert_ptr_equal(rx[nr_rx - 1].vm, &vms[0]);
	memset(paste_buf, 'z', sizeof(paste_buf));
	typed_n(VPL011_RX_LEN);
	assert_int_equal(queues[0].count, 6);
	assert_int_equal(uart_rx.overruns[0], 3);
}

/* A guest that reads, slowly, is never taken as deaf: the watchdog waits on. */
static void test_slow_reader_keeps_its_queue(void **state)
{
	reset_console(1);
	memset(paste_buf, 'k', sizeof(paste_buf));
	typed_n(VPL011_RX_LEN + 100);
	assert_int_equal(queues[0].count, 100);
	fake_arch.counter += fake_arch.counter_freq * 2; /* 2 s later it reads half */
	guest_reads(0, VPL011_RX_LEN / 2);
	assert_int_equal(queues[0].count, 100 - VPL011_RX_LEN / 2);
	fire_armed_timer(); /* 3 s after the queue started: 1 s after the last read */
	assert_null(strstr(term, "warning"));
	assert_non_null(armed_timer()); /* again, 3 s after that read */
	fire_armed_timer();
	assert_non_null(strstr(term, "tandem: warning: vm a: reads no console input"));
	assert_int_equal(uart_rx.overruns[0], 0);
}

/* The last VM stopped and kept the focus: nothing queues for it, and nothing warns. */
static void test_stopped_vm_queues_nothing(void **state)
{
	reset_console(1);
	vms[0].state = VM_STOPPED;
	memset(paste_buf, 's', sizeof(paste_buf));
	assert_int_equal(typed_n(VPL011_RX_LEN + 10), VPL011_RX_LEN);
	assert_int_equal(queues[0].count, 0);
	assert_int_equal(uart_rx.overruns[0], 10);
	assert_null(armed_timer());
}

/*
 * The guest drains its FIFO on its own pCPU while the console queues: its reads below half looked
 * at an empty queue (before the console queued), so the console's look at the FIFO after queueing
 * must move the character itself.
 */
static void test_drain_racing_the_queue_leaves_input_flowing(void **state)
{
	reset_console(1);
	memset(paste_buf, 'r', sizeof(paste_buf));
	typed_n(VPL011_RX_LEN);
	uart_rx.fifo[0] =
	    0; /* read meanwhile; its console_rx_resume() calls found nothing queued */
	assert_int_equal(typed("s"), 1);
	assert_int_equal(queues[0].count, 0);
}

/* --- panic --- */

/* Runs fn in a child (arch_halt() aborts) and returns what it wrote to the UART. */
static void run_panicking(void (*fn)(void), char *buf, size_t len)
{
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		term_fd = fds[1];
		fn();
		_exit(0); /* not reached: panic halts */
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status)); /* arch_halt() */
}

static void panic_plain(void)
{
	fake_arch.cpu_index = 3;
	console_panic("bad %s", "thing");
}

static void panic_putc(char c)
{
	t_putc(c);
	if (c == '!')
		console_panic("inside the console");
}

static void panic_with_lock_held(void)
{
	static const struct uart_ops ops = {panic_putc, t_getc, NULL};

	uart = &ops;
	console_printk("boom!\n");
}

static void test_panic(void **state)
{
	char buf[512];

	reset_console(1);
	run_panicking(panic_plain, buf, sizeof(buf));
	assert_string_equal(buf, "tandem: PANIC on CPU 3: bad thing\r\n");

	/* A panic from inside the console (lock held on this CPU) must not deadlock. */
	run_panicking(panic_with_lock_held, buf, sizeof(buf));
	assert_non_null(strstr(buf, "boom!"));
	assert_non_null(strstr(buf, "tandem: PANIC on CPU 0: inside the console"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_before_init_output_is_dropped),
	    cmocka_unit_test(test_printk_lines),
	    cmocka_unit_test(test_printk_truncates_long_messages),
	    cmocka_unit_test(test_single_vm_is_bare),
	    cmocka_unit_test(test_single_vm_prompt_survives_printk),
	    cmocka_unit_test(test_multi_vm_whole_lines_with_prefix),
	    cmocka_unit_test(test_multi_vm_focused_prompt_is_live_and_redrawn),
	    cmocka_unit_test(test_carriage_return_keeps_prefix),
	    cmocka_unit_test(test_long_unfocused_line_is_split),
	    cmocka_unit_test(test_long_focused_line_keeps_flowing),
	    cmocka_unit_test(test_redraw_does_not_repeat_a_cursor_query),
	    cmocka_unit_test(test_stored_line_follows_line_editing),
	    cmocka_unit_test(test_other_vms_lines_are_text_only),
	    cmocka_unit_test(test_sequence_begun_off_the_cursor_is_not_half_shown),
	    cmocka_unit_test(test_full_fifo_queues_input_until_the_guest_reads),
	    cmocka_unit_test(test_guest_not_reading_its_fifo_during_boot),
	    cmocka_unit_test(test_slow_reader_keeps_its_queue),
	    cmocka_unit_test(test_stopped_vm_queues_nothing),
	    cmocka_unit_test(test_drain_racing_the_queue_leaves_input_flowing),
	    cmocka_unit_test(test_own_character_goes_out_with_an_interrupt_pending),
	    cmocka_unit_test(test_queued_output_steps_aside_for_an_interrupt),
	    cmocka_unit_test(test_full_output_queue_loses_nothing),
	    cmocka_unit_test(test_input_goes_to_focus),
	    cmocka_unit_test(test_ctrl_a_three_times_switches_focus),
	    cmocka_unit_test(test_focus_leaves_a_stopped_vm),
	    cmocka_unit_test(test_single_ctrl_a_reaches_the_guest),
	    cmocka_unit_test(test_ctrl_a_commands),
	    cmocka_unit_test(test_irq_drains_the_uart),
	    cmocka_unit_test(test_panic),
	};

	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
