/*
 * tandem-ttystamp: reads its standard input (a tty in raw mode, e.g. /dev/ttyTV0) and, each time
 * the bytes read so far complete another 16-byte message, prints the virtual count (CNTVCT_EL0)
 * at which the read returned: "S <count>". For the TTU's latency benchmark (tools/bench/ttu.py:
 * the RTOS stamps each message's first byte with the same counter). Ends at end of file or on an
 * error (a hangup). A static arm64 binary with no libc: raw read/write/exit system calls.
 */
#include <stdint.h>

#define MESSAGE 16

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

void _start(void)
{
	static char in[4096];
	uint64_t total = 0, cnt;
	char out[32];
	long n;

	while ((n = sys_call3(63 /* read */, 0, (long)in, sizeof(in))) > 0) {
		__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
		/* One line per message this read completed (normally one). */
		for (uint64_t done = total / MESSAGE; done < (total + (uint64_t)n) / MESSAGE;
		     done++) {
			char *p = out;

			*p++ = 'S';
			*p++ = ' ';
			p = put_u64(p, cnt);
			*p++ = '\n';
			sys_call3(64 /* write */, 1, (long)out, p - out);
		}
		total += (uint64_t)n;
	}
	sys_call3(93 /* exit */, 0, 0, 0);
	for (;;)
		;
}
