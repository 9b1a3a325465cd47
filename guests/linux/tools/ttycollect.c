/*
 * tandem-ttycollect: one process collecting many serial ports, as a TTU's data collector would:
 * every port raw, all of them waited for with one poll(), each port's bytes appended to its own
 * file through a buffer of its own.
 *
 *   tandem-ttycollect [-e] [-n BYTES] [-m VMIN] [-w MS] [-b BUF] PREFIX DEV...
 *
 * The k-th DEV (0-based) goes to the file PREFIX<k> (created, truncated). A port is done after
 * BYTES bytes (-n; default: until end of file, i.e. a hangup) and the tool ends when every
 * port is. Each port is set raw (as `stty raw -echo`) with VMIN (-m, default 1) and VTIME 0:
 * n_tty's poll then reports a port readable only once VMIN bytes wait (but on Linux 6.1 a VMIN
 * above 64 makes every read return 64 bytes: tty_read takes n_tty's bytes in 64-byte chunks and
 * stops after the first; docs/benchmarks.md, "ttu", session 10). Bytes below VMIN are read
 * anyway at the latest every MS milliseconds
 * (-w, default 100; nonblocking reads of every port), or when poll has nothing for that long.
 * Each port's bytes are written when its buffer (-b, default 4096)
 * fills, when the port ends, and at those sweeps. At the end it prints one line:
 * "ttycollect ports=P bytes=B polls=N wakeups=W reads=R writes=X sweeps=S" (wakeups: polls that
 * returned ready ports; reads: read calls that returned bytes). Exit status 0 if every port
 * reached BYTES (or its end of file without -n), 1 otherwise. A static arm64 binary with no
 * libc (tandem-sys.h); tools/bench/ttu.py uses it as the chain's reader. -e waits with epoll
 * instead of poll(): the ports are registered once, and a wake-up looks only at the ready ones
 * (poll() adds and removes a wait queue entry on each of them at each call).
 */
#include "tandem-sys.h"

#define NOLOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))
NOLOOP void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}
NOLOOP void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}
NOLOOP int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
NOLOOP size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* The kernel's struct termios (TCGETS/TCSETS) and the flags `stty raw -echo` clears. */
#define TCGETS	 0x5401
#define TCSETS	 0x5402
#define NCCS_K	 19
#define VTIME_I	 5
#define VMIN_I	 6
#define IGNBRK	 0000001
#define BRKINT	 0000002
#define IGNPAR	 0000004
#define PARMRK	 0000010
#define INPCK	 0000020
#define ISTRIP	 0000040
#define INLCR	 0000100
#define IGNCR	 0000200
#define ICRNL	 0000400
#define IUCLC	 0001000
#define IXON	 0002000
#define IXANY	 0004000
#define IXOFF	 0010000
#define IMAXBEL	 0020000
#define OPOST	 0000001
#define ISIG	 0000001
#define ICANON	 0000002
#define ECHO	 0000010
#define ECHOE	 0000020
#define ECHOK	 0000040
#define ECHONL	 0000100
#define IEXTEN	 0100000
#define CSIZE	 0000060
#define CS8	 0000060
#define PARENB	 0000400
#define ENOTTY_E 25

/* epoll (arm64 system call numbers; struct epoll_event is not packed on arm64). */
#define SYS_epoll_create1 20
#define SYS_epoll_ctl	  21
#define SYS_epoll_pwait	  22
#define EPOLL_CTL_ADD	  1

struct epoll_event_k {
	uint32_t events;
	uint64_t data;
};

struct termios_k {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS_K];
};

#define MAX_PORTS 64
#define MAX_BUF	  65536

struct port {
	const char *dev;
	int fd, out;
	uint32_t fill;
	uint64_t got;
	int done;
	uint8_t *buf;
};

static struct port ports[MAX_PORTS];
static struct pollfd pfd[MAX_PORTS];
static uint8_t bufs[MAX_PORTS * 4096];
static uint64_t limit, polls, wakeups, reads, writes, sweeps, total;
static uint32_t vmin = 1, bufsize = 4096;
static long wait_ms = 100;
static int failed, use_epoll;

static void put(int fd, const char *s)
{
	sys_write(fd, s, strlen(s));
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

static int parse_u64(const char *s, uint64_t *v)
{
	*v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	return 0;
}

static void __attribute__((noreturn)) usage(const char *why)
{
	put(2, "tandem-ttycollect: ");
	put(2, why);
	put(2, "\nusage: tandem-ttycollect [-e] [-n BYTES] [-m VMIN] [-w MS] [-b BUF] PREFIX "
	       "DEV...\n");
	sys_exit(2);
}

static void complain(const struct port *p, const char *what, long err)
{
	char line[256], *q = line;

	q = (char *)memcpy(q, "tandem-ttycollect: ", 19) + 19;
	q = (char *)memcpy(q, p->dev, strlen(p->dev)) + strlen(p->dev);
	*q++ = ':';
	*q++ = ' ';
	q = (char *)memcpy(q, what, strlen(what)) + strlen(what);
	q = (char *)memcpy(q, " error ", 7) + 7;
	q = put_u64(q, (uint64_t)-err);
	*q++ = '\n';
	sys_write(2, line, (size_t)(q - line));
}

static void flush(struct port *p)
{
	uint32_t off = 0;
	long n;

	while (off < p->fill) {
		n = sys_write(p->out, p->buf + off, p->fill - off);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			complain(p, "write", n);
			failed = 1;
			break;
		}
		off += (uint32_t)n;
		writes++;
	}
	p->fill = 0;
}

static void finish(struct port *p)
{
	flush(p);
	sys_close(p->fd);
	sys_close(p->out);
	p->done = 1;
	if (limit && p->got < limit)
		failed = 1;
}

/* Reads what the port has (nonblocking) into its buffer; ends it at BYTES or end of file. */
static void drain(struct port *p)
{
	for (;;) {
		uint64_t want = bufsize - p->fill;
		long n;

		if (limit && limit - p->got < want)
			want = limit - p->got;
		n = sys_read(p->fd, p->buf + p->fill, want);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			return;
		if (n <= 0) { /* end of file (a hangup) or an error */
			if (n < 0)
				complain(p, "read", n);
			finish(p);
			return;
		}
		reads++;
		total += (uint64_t)n;
		p->got += (uint64_t)n;
		p->fill += (uint32_t)n;
		if (limit && p->got == limit) {
			finish(p);
			return;
		}
		if (p->fill == bufsize)
			flush(p);
		if ((uint64_t)n < want)
			return; /* had no more */
	}
}

static void set_raw(struct port *p)
{
	struct termios_k t = {0};
	long r = sys_ioctl(p->fd, TCGETS, &t);

	if (r == 0) {
		t.c_iflag &=
		    ~(uint32_t)(IGNBRK | BRKINT | IGNPAR | PARMRK | INPCK | ISTRIP | INLCR | IGNCR |
				ICRNL | IUCLC | IXON | IXANY | IXOFF | IMAXBEL);
		t.c_oflag &= ~(uint32_t)OPOST;
		t.c_lflag &= ~(uint32_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
		t.c_cflag = (t.c_cflag & ~(uint32_t)(CSIZE | PARENB)) | CS8;
		t.c_cc[VMIN_I] = (uint8_t)vmin;
		t.c_cc[VTIME_I] = 0;
		r = sys_ioctl(p->fd, TCSETS, &t);
	}
	if (r != 0 && r != -ENOTTY_E) { /* a plain file or pipe is read as it is */
		complain(p, "termios", r);
		sys_exit(1);
	}
}

/* One poll() over the open ports, then their reads; the ready count (0: timed out) or -errno. */
static long wait_poll(unsigned nports)
{
	unsigned k = 0, idx[MAX_PORTS];
	long r;

	for (unsigned j = 0; j < nports; j++)
		if (!ports[j].done) {
			pfd[k].fd = ports[j].fd;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
			idx[k++] = j;
		}
	r = sys_poll(pfd, k, wait_ms);
	if (r == -EINTR)
		return 1;
	if (r < 0) {
		complain(&ports[idx[0]], "poll", r);
		return r;
	}
	if (r > 0)
		wakeups++;
	for (unsigned j = 0; r > 0 && j < k; j++)
		if (pfd[j].revents)
			drain(&ports[idx[j]]);
	return r;
}

/* The same with epoll: the ports were registered once, only the ready ones come back. */
static long wait_epoll(int epfd)
{
	static struct epoll_event_k evs[MAX_PORTS];
	long r = sys6(SYS_epoll_pwait, epfd, (long)evs, MAX_PORTS, wait_ms, 0, 8);

	if (r == -EINTR)
		return 1;
	if (r < 0) {
		complain(&ports[0], "epoll_pwait", r);
		return r;
	}
	if (r > 0)
		wakeups++;
	for (long j = 0; j < r; j++)
		if (evs[j].data < MAX_PORTS && !ports[evs[j].data].done)
			drain(&ports[evs[j].data]);
	return r;
}

static void start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	const char *prefix = NULL;
	unsigned nports = 0;
	uint64_t v, last_sweep, tick_ms = counter_freq() / 1000;
	int epfd = -1;
	char line[256], *q;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		char opt = argv[i][1];

		if (opt == 'e' && !argv[i][2]) {
			use_epoll = 1;
			continue;
		}
		if (argv[i][2] || i + 1 >= argc || parse_u64(argv[i + 1], &v))
			usage("bad option");
		i++;
		if (opt == 'n')
			limit = v;
		else if (opt == 'm' && v >= 1 && v <= 255)
			vmin = (uint32_t)v;
		else if (opt == 'w' && v >= 1 && v <= 3600000)
			wait_ms = (long)v;
		else if (opt == 'b' && v >= 1 && v <= 4096)
			bufsize = (uint32_t)v;
		else
			usage("bad option value (-m 1..255, -w 1..3600000, -b 1..4096)");
	}
	if (i >= argc)
		usage("no PREFIX");
	prefix = argv[i++];
	if (i >= argc)
		usage("no DEV");
	if (strlen(prefix) > 200)
		usage("PREFIX too long");
	for (; i < argc; i++) {
		struct port *p = &ports[nports];
		long fd;

		if (nports == MAX_PORTS)
			usage("too many ports (64 at most)");
		p->dev = argv[i];
		p->buf = bufs + nports * 4096;
		fd = sys_open(p->dev, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
		if (fd < 0) {
			complain(p, "open", fd);
			sys_exit(1);
		}
		p->fd = (int)fd;
		set_raw(p);
		q = line;
		for (const char *c = prefix; *c;)
			*q++ = *c++;
		q = put_u64(q, nports);
		*q = 0;
		fd = sys_open(line, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			complain(p, "open output", fd);
			sys_exit(1);
		}
		p->out = (int)fd;
		nports++;
	}

	if (use_epoll) {
		long ep = sys6(SYS_epoll_create1, O_CLOEXEC, 0, 0, 0, 0, 0);

		for (unsigned j = 0; ep >= 0 && j < nports; j++) {
			struct epoll_event_k ev = {POLLIN, j};
			long r =
			    sys6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ports[j].fd, (long)&ev, 0, 0);

			if (r < 0) {
				complain(&ports[j], "epoll_ctl", r);
				sys_exit(1);
			}
		}
		if (ep < 0) {
			complain(&ports[0], "epoll_create1", ep);
			sys_exit(1);
		}
		epfd = (int)ep;
	}
	last_sweep = counter_now();
	for (;;) {
		unsigned open_ports = 0;
		long r;

		for (unsigned j = 0; j < nports; j++)
			open_ports += !ports[j].done;
		if (!open_ports)
			break;
		r = epfd >= 0 ? wait_epoll(epfd) : wait_poll(nports);
		polls++;
		if (r < 0) {
			failed = 1;
			break;
		}
		/* Bytes below VMIN, and the buffers, at the latest every wait_ms. */
		if (r == 0 || (vmin > 1 && counter_now() - last_sweep >= wait_ms * tick_ms)) {
			sweeps++;
			for (unsigned j = 0; j < nports; j++)
				if (!ports[j].done) {
					if (vmin > 1)
						drain(&ports[j]);
					if (!ports[j].done)
						flush(&ports[j]);
				}
			last_sweep = counter_now();
		}
	}

	q = line;
	q = (char *)memcpy(q, "ttycollect ports=", 17) + 17;
	q = put_u64(q, nports);
	q = (char *)memcpy(q, " bytes=", 7) + 7;
	q = put_u64(q, total);
	q = (char *)memcpy(q, " polls=", 7) + 7;
	q = put_u64(q, polls);
	q = (char *)memcpy(q, " wakeups=", 9) + 9;
	q = put_u64(q, wakeups);
	q = (char *)memcpy(q, " reads=", 7) + 7;
	q = put_u64(q, reads);
	q = (char *)memcpy(q, " writes=", 8) + 8;
	q = put_u64(q, writes);
	q = (char *)memcpy(q, " sweeps=", 8) + 8;
	q = put_u64(q, sweeps);
	*q++ = '\n';
	sys_write(1, line, (size_t)(q - line));
	sys_exit(failed);
}

/* The process entry: the stack holds argc, then argv[]. */
__asm__(".global _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n"
	"	b .\n");
void start_c(long *sp);
void start_c(long *sp)
{
	start(sp);
}
