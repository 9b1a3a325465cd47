/* A tiny command shell on the console: help, tasks, reset, off, deaf, burn, phases, hc, fuzz... */
#include "app.h"
#include "arch.h"
#include "console.h"
#include "fuzz.h"
#include "kstring.h"
#include "rtos.h"
#include "sysreg.h"
#include "ttu.h"
#include "uart.h"

#define PRIO_SHELL 4
#define MAX_LIST   24

static struct task shell_task;
static uint64_t shell_stack[1024];

struct task_row {
	const char *name;
	unsigned cpu, prio, base, state;
	uint64_t switches;
};

struct task_list {
	struct task_row row[MAX_LIST];
	unsigned n;
};

/* Under the kernel lock: copy only, print afterwards. */
static void collect(const struct task *t, void *arg)
{
	struct task_list *l = arg;

	if (l->n < MAX_LIST)
		l->row[l->n++] = (struct task_row){t->name,	 t->cpu,   t->prio,
						   t->base_prio, t->state, t->switches};
}

static void cmd_tasks(void)
{
	static const char *const states[] = {"ready", "running", "blocked", "dead"};
	static struct task_list l;

	l.n = 0;
	task_for_each(collect, &l);
	kprintf("%-12s cpu prio base state    switches\n", "task");
	for (unsigned i = 0; i < l.n; i++)
		kprintf("%-12s %3u %4u %4u %-8s %lu\n", l.row[i].name, l.row[i].cpu, l.row[i].prio,
			l.row[i].base, states[l.row[i].state & 3],
			(unsigned long)l.row[i].switches);
}

/*
 * "deaf N": reads nothing from the console for N seconds (the UART's receive interrupt
 * masked), as a guest that hangs or ignores its console would; the hypervisor must not let
 * that hold the shared console. Returns false if line is not this command.
 */
static bool cmd_deaf(const char *line)
{
	unsigned seconds = 0;

	if (strncmp(line, "deaf ", 5) != 0)
		return false;
	for (const char *p = line + 5; *p >= '0' && *p <= '9' && seconds < 3600; p++)
		seconds = seconds * 10 + (unsigned)(*p - '0');
	kprintf("RTOS: not reading the console for %u s\n", seconds);
	uart_rx_irq_disable();
	task_sleep(rtos_us_to_ticks((uint64_t)seconds * 1000000));
	uart_rx_irq_enable();
	kprintf("RTOS: reading the console again\n");
	return true;
}

/* A compute loop that never idles, until the counter reaches end. */
static void busy_until(uint64_t end)
{
	volatile uint64_t sum = 0;

	while (rtos_now() < end)
		for (unsigned i = 0; i < 1000; i++)
			sum += i;
}

/*
 * "sgiraw HEX": writes HEX to ICC_SGI1R_EL1 as it is (any target list, affinity, IRM), the way a
 * hostile guest would aim SGIs at pCPUs that are not its own (tests/integration/test_direct.py).
 */
static bool cmd_sgiraw(const char *line)
{
	uint64_t v = 0;

	if (strncmp(line, "sgiraw ", 7) != 0)
		return false;
	for (const char *p = line + 7; *p; p++) {
		unsigned d = *p >= '0' && *p <= '9'   ? (unsigned)(*p - '0')
			     : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10)
						      : 16;

		if (d < 16)
			v = v << 4 | d;
		else if (*p != 'x')
			break;
	}
	dsb(ishst);
	write_sysreg_s(v, ICC_SGI1R_EL1);
	isb();
	kprintf("RTOS: sgiraw 0x%lx written\n", (unsigned long)v);
	return true;
}

/*
 * "burn N": keeps this CPU busy for N seconds (a compute loop, never idle), then says so: the
 * load a frequency domain's governor must see through Tandem (tests/integration/test_cpufreq.py).
 */
static bool cmd_burn(const char *line)
{
	unsigned seconds = 0;

	if (strncmp(line, "burn ", 5) != 0)
		return false;
	for (const char *p = line + 5; *p >= '0' && *p <= '9' && seconds < 3600; p++)
		seconds = seconds * 10 + (unsigned)(*p - '0');
	kprintf("RTOS: burning the CPU for %u s\n", seconds);
	busy_until(rtos_now() + (uint64_t)seconds * rtos_freq());
	kprintf("RTOS: burn done\n");
	return true;
}

/*
 * "phases b4 i3 b2 ...": a scripted load, each phase busy (b, the compute loop) or idle (i, the
 * task sleeps, the CPU waits in WFI) for N seconds, back to back. Each phase's start and the end
 * are printed with the virtual counter (== the physical one under Tandem), so a benchmark
 * lines its steps up with the hypervisor's figures (tools/bench/cpufreq.py).
 */
static bool cmd_phases(const char *line)
{
	const char *p = line + 6;

	if (strncmp(line, "phases", 6) != 0 || (*p != ' ' && *p != '\0'))
		return false;
	for (;;) {
		unsigned seconds = 0;
		uint64_t start, end;
		char kind;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		kind = *p++;
		while (*p >= '0' && *p <= '9' && seconds < 3600)
			seconds = seconds * 10 + (unsigned)(*p++ - '0');
		if ((kind != 'b' && kind != 'i') || (*p && *p != ' ')) {
			kprintf("phases: want b<seconds> or i<seconds>, got '%c'\n", kind);
			return true;
		}
		start = rtos_now();
		end = start + (uint64_t)seconds * rtos_freq();
		kprintf("RTOS: phase %s %u s at cntvct=%lu\n", kind == 'b' ? "busy" : "idle",
			seconds, (unsigned long)start);
		if (kind == 'b')
			busy_until(end);
		else
			task_sleep_until(end);
	}
	kprintf("RTOS: phases done at cntvct=%lu\n", (unsigned long)rtos_now());
	return true;
}

static void shell_main(void *arg)
{
	char line[64];

	(void)arg;
	kprintf("RTOS: shell on the console: help, tasks, reset, off\n");
	for (;;) {
		console_read_line(line, sizeof(line));
		if (!strcmp(line, "help"))
			kprintf(
			    "help | tasks | reset (PSCI SYSTEM_RESET) | off (PSCI SYSTEM_OFF) | "
			    "hc ... (Tandem hypercalls) | cntcheck [N] | fuzz OPS [SEED "
			    "[ROUNDS [reset]]] | deaf SECONDS (read no input) | ttu [stats|ports|"
			    "line ...] (serial ports) | vserial [scribble N] | chan ... (Tandem "
			    "channels) | burn SECONDS (busy loop) | phases b|iSECONDS ... "
			    "(busy/idle "
			    "script)\n");
		else if (!strcmp(line, "tasks"))
			cmd_tasks();
		else if (!strcmp(line, "reset"))
			psci_system_reset();
		else if (!strcmp(line, "off"))
			psci_system_off();
		else if (cmd_deaf(line))
			;
		else if (cmd_burn(line))
			;
		else if (cmd_phases(line))
			;
		else if (cmd_sgiraw(line))
			;
		else if (fuzz_command(line))
			;
		else if (ttu_command(line))
			;
		else if (vserial_command(line))
			;
		else if (chan_command(line)) /* splits line in place */
			;
		else if (tandemctl_command(line)) /* splits line in place: last */
			;
		else if (line[0])
			kprintf("%s: unknown command (help)\n", line);
	}
}

void shell_start(void)
{
	task_create(&shell_task, "shell", shell_main, NULL, PRIO_SHELL, 0, shell_stack,
		    sizeof(shell_stack));
}
