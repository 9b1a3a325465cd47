/*
 * Console commands that exercise Tandem's control hypercalls (docs/hypercalls.md) and check
 * the counters, for the tests and for an operator at the RTOS console:
 *   hc info | hc uid | hc sched VM VCPU BUDGET_US PERIOD_US WEIGHT | hc vmpool VM POOL |
 *   hc cpupool PCPU POOL | hc time PCPU | hc poolof 0|1 N (0: VM N, 1: pCPU N) |
 *   hc raw FN [ARGS...] | hc storm vm|cpu N POOL_A POOL_B MS (hcstorm.c)
 *   cntcheck N  (N consecutive CNTVCT, CNTPCT, CNTVCT reads: virtual time == physical time)
 * Each prints one line starting with "HC " or "CNT " that a test can parse.
 */
#include "app.h"
#include "arch.h"
#include "console.h"
#include "kstring.h"
#include "sysreg.h"

#include "../../hypervisor/include/tandem/abi/hypercall.h"

struct hc_result {
	int64_t x[5];
};

static struct hc_result hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			    uint64_t a5)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;
	register uint64_t x5 __asm__("x5") = a5;
	struct hc_result r;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
			 :
			 : "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
			   "x17", "memory");
	r.x[0] = (int64_t)x0;
	r.x[1] = (int64_t)x1;
	r.x[2] = (int64_t)x2;
	r.x[3] = (int64_t)x3;
	r.x[4] = (int64_t)x4;
	return r;
}

/* Splits line into words (in place); returns how many. */
static unsigned split(char *line, char **word, unsigned max)
{
	unsigned n = 0;

	while (*line && n < max) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		word[n++] = line;
		while (*line && *line != ' ')
			line++;
	}
	return n;
}

/* Decimal or 0x-hex; *ok cleared on anything else. */
static uint64_t number(const char *s, bool *ok)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		*ok = false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else {
			*ok = false;
			return 0;
		}
		v = v * base + d;
	}
	return v;
}

static void print(const char *what, struct hc_result r)
{
	kprintf("HC %s status=%ld x1=%ld x2=%ld x3=%ld x4=%ld\n", what, (long)r.x[0], (long)r.x[1],
		(long)r.x[2], (long)r.x[3], (long)r.x[4]);
}

static void cmd_hc(char **w, unsigned n)
{
	uint64_t a[6] = {0};
	bool ok = true;

	if (n == 7 && !strcmp(w[1], "storm") && (!strcmp(w[2], "vm") || !strcmp(w[2], "cpu"))) {
		for (unsigned i = 3; i < 7; i++)
			a[i - 3] = number(w[i], &ok);
		if (ok) {
			hcstorm(!strcmp(w[2], "vm"), a[0], a[1], a[2], a[3]);
			return;
		}
	}
	for (unsigned i = 2; i < n && i < 8; i++)
		a[i - 2] = number(w[i], &ok);
	if (n < 2 || !ok) {
		kprintf("HC usage: hc info|uid|sched|vmpool|cpupool|time|poolof|raw|storm ...\n");
		return;
	}
	if (!strcmp(w[1], "info")) {
		print("info", hvc(TANDEM_HC_INFO, 0, 0, 0, 0, 0));
	} else if (!strcmp(w[1], "uid")) {
		struct hc_result u = hvc(TANDEM_HC_CALL_UID, 0, 0, 0, 0, 0);
		struct hc_result v = hvc(TANDEM_HC_REVISION, 0, 0, 0, 0, 0);

		kprintf("HC uid %08lx-%08lx-%08lx-%08lx tandem=%s revision=%ld.%ld\n",
			(unsigned long)(uint32_t)u.x[0], (unsigned long)(uint32_t)u.x[1],
			(unsigned long)(uint32_t)u.x[2], (unsigned long)(uint32_t)u.x[3],
			(uint32_t)u.x[0] == TANDEM_UID_0 && (uint32_t)u.x[1] == TANDEM_UID_1 &&
				(uint32_t)u.x[2] == TANDEM_UID_2 && (uint32_t)u.x[3] == TANDEM_UID_3
			    ? "yes"
			    : "no",
			(long)v.x[0], (long)v.x[1]);
	} else if (!strcmp(w[1], "sched") && n == 7) {
		print("sched", hvc(TANDEM_HC_VCPU_SET_SCHED, a[0], a[1], a[2], a[3], a[4]));
	} else if (!strcmp(w[1], "vmpool") && n == 4) {
		print("vmpool", hvc(TANDEM_HC_VM_SET_POOL, a[0], a[1], 0, 0, 0));
	} else if (!strcmp(w[1], "cpupool") && n == 4) {
		print("cpupool", hvc(TANDEM_HC_PCPU_SET_POOL, a[0], a[1], 0, 0, 0));
	} else if (!strcmp(w[1], "time") && n == 3) {
		print("time", hvc(TANDEM_HC_PCPU_TIME, a[0], 0, 0, 0, 0));
	} else if (!strcmp(w[1], "poolof") && n == 4) {
		print("poolof", hvc(TANDEM_HC_POOL_OF, a[0], a[1], 0, 0, 0));
	} else if (!strcmp(w[1], "raw") && n >= 3) {
		ok = true;
		print("raw", hvc(number(w[2], &ok), a[1], a[2], a[3], a[4], a[5]));
	} else {
		kprintf("HC usage: hc info|uid|sched|vmpool|cpupool|time|poolof|raw|storm ...\n");
	}
}

/* Virtual and physical counters agree (CNTVOFF = 0): each CNTPCT lies between two CNTVCTs. */
static void cmd_cntcheck(char **w, unsigned n)
{
	bool ok = true;
	uint64_t reads = n > 1 ? number(w[1], &ok) : 1000, bad = 0;

	for (uint64_t i = 0; ok && i < reads; i++) {
		uint64_t v1, p, v2;

		isb();
		v1 = read_sysreg(cntvct_el0);
		isb();
		p = read_sysreg(cntpct_el0);
		isb();
		v2 = read_sysreg(cntvct_el0);
		if (!(v1 <= p && p <= v2))
			bad++;
	}
	kprintf("CNT %s n=%lu bad=%lu cntvoff=%s\n", bad ? "FAIL" : "ok", (unsigned long)reads,
		(unsigned long)bad, bad ? "nonzero" : "0");
}

bool tandemctl_command(char *line)
{
	char *w[8];
	unsigned n = split(line, w, 8);

	if (n && !strcmp(w[0], "hc")) {
		cmd_hc(w, n);
		return true;
	}
	if (n && !strcmp(w[0], "cntcheck")) {
		cmd_cntcheck(w, n);
		return true;
	}
	return false;
}
