/*
 * tandem-counter: prints the generic timer's virtual count (CNTVCT_EL0) and frequency, for boot
 * timing in virtual time (/init prints it at the shell marker). A static arm64 binary with no
 * libc: raw write/exit system calls.
 */
#include <stdint.h>

static long sys_call3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

void _start(void)
{
	uint64_t cnt;
	uint64_t freq;
	char buf[96];
	char *p = buf;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	p = put_str(p, "tandem-counter: cntvct=");
	p = put_u64(p, cnt);
	p = put_str(p, " cntfrq=");
	p = put_u64(p, freq);
	p = put_str(p, " ms=");
	p = put_u64(p, freq ? cnt / (freq / 1000 ? freq / 1000 : 1) : 0);
	*p++ = '\n';
	sys_call3(64 /* write */, 1, (long)buf, p - buf);
	sys_call3(93 /* exit */, 0, 0, 0);
	for (;;)
		;
}
