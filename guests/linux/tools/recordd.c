/*
 * tandem-recordd: the base station's record service (issue 15; docs/design.md "Base station").
 * The active VM's copy reads sequence-numbered records from a client over a virtio console port,
 * logs each, replicates it to the standby VM over the group's channel and acknowledges it to the
 * client only once the standby holds it. The standby's copy holds every replicated record; when
 * Tandem promotes its VM it binds the moved device and carries on from its log. The protocols are
 * in recordd.h. A static arm64 binary without libc (tandem-sys.h).
 *
 *   tandem-recordd [role] [options]   serve; role: auto (default: /dev/tandem-failover, else the
 *                                     kernel command line's tandem.records=primary|standby),
 *                                     primary, standby
 *       chan=/dev/tandem-chan0 log=/run/records.log status=/run/recordd.status port=records
 *       device=a003e00.virtio_mmio degraded=ack|wait
 *   tandem-recordd verify [log=...] [upto=N]   checks the log: seqs 1..last contiguous, each
 *                                     entry's check; prints count, last and the digest up to N
 */
#include "recordd.h"
#include "tandem-sys.h"

#include "../../../hypervisor/include/tandem/abi/channel.h"
#include "../modules/tandem_failover/tandem_failover_uapi.h"

/* ---- freestanding helpers ---- */

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
static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* A small output buffer: lines are built with these, then written at once. */
struct out {
	char buf[512];
	size_t n;
};
static void o_str(struct out *o, const char *s)
{
	while (*s && o->n < sizeof(o->buf) - 1)
		o->buf[o->n++] = *s++;
}
static void o_u64(struct out *o, uint64_t v)
{
	char tmp[21];
	int i = 20;

	tmp[i] = 0;
	do
		tmp[--i] = (char)('0' + v % 10);
	while (v /= 10);
	o_str(o, tmp + i);
}
static void o_hex(struct out *o, uint64_t v)
{
	char tmp[17];
	int i = 16;

	tmp[i] = 0;
	do
		tmp[--i] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	o_str(o, tmp + i);
}
static void o_flush(struct out *o, int fd)
{
	size_t done = 0;

	while (done < o->n) {
		long r = sys_write(fd, o->buf + done, o->n - done);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	o->n = 0;
}

/* Parses a decimal u64 at *p, moving *p past it; 0 digits or overflow: -1. */
static int parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = x;
	return 0;
}

/* ---- configuration and state ---- */

static struct {
	const char *chan, *log, *status, *port, *device;
	int degraded_ack; /* no standby up: acknowledge once logged (else wait for one) */
} cfg = {"/dev/tandem-chan0", "/run/records.log",    "/run/recordd.status",
	 "records",	      "a003e00.virtio_mmio", 1};

static int console = 1; /* stdout: /init points it at the console */

static struct {
	/* role */
	uint32_t role; /* REC_ROLE_* */
	uint64_t generation;
	int role_fd; /* /dev/tandem-failover, or -1 */
	/* the channel */
	int chan_fd;
	uint8_t *win;
	uint32_t size, side;
	const volatile uint32_t *link; /* Tandem's link words */
	struct rec_area *mine, *peer;
	uint32_t nr_slots;
	/* the log */
	int log_fd;
	uint64_t last; /* every record 1..last is in the log */
	/* active */
	int port_fd;
	char in[4096];
	size_t in_len;
	int standby_up;	    /* the peer's area is a live standby's */
	uint32_t peer_link; /* its incarnation, when up */
	uint64_t peer_confirmed;
	uint64_t ring_next;	/* the next seq to publish to it */
	int in_sync;		/* reported state: standby holds everything */
	uint64_t pending[4096]; /* seqs to acknowledge, in arrival order */
	uint32_t pend_head, pend_tail;
	uint64_t acked, dups, dropped, refused;
	uint64_t promoted_at, first_ack_at; /* counter ticks, for the figures */
	uint64_t first_ack_seq;
	int first_ack_said;
} st = {.role_fd = -1, .chan_fd = -1, .log_fd = -1, .port_fd = -1};

/* seqs acknowledged by this server (mod 2^20): a resend is acknowledged once, never again. */
static uint8_t acked_bits[1 << 17];
#define ACK_BIT(seq) (acked_bits[((seq) >> 3) & (sizeof(acked_bits) - 1)] & (1u << ((seq)&7)))
#define SET_ACK_BIT(seq)                                                                           \
	(acked_bits[((seq) >> 3) & (sizeof(acked_bits) - 1)] |= (uint8_t)(1u << ((seq)&7)))

/*
 * Lines said between a promotion and the first acknowledgement after it wait here: under
 * Tandem the console is an emulated UART, a trap per character, and the ~400 characters of
 * the takeover's log lines would cost the client several milliseconds. Written before the
 * first acknowledgement's line, or when the service is idle.
 */
static struct {
	char buf[2048];
	size_t n;
	int on;
} later;

static void say_later_flush(void)
{
	size_t done = 0;

	later.on = 0;
	while (done < later.n) {
		long r = sys_write(console, later.buf + done, later.n - done);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	later.n = 0;
}

static void say(const char *what, uint64_t a, const char *b, uint64_t c)
{
	struct out o = {.n = 0};

	o_str(&o, "recordd: ");
	o_str(&o, what);
	if (b) { /* "": `what` a; else `what` a `b` c */
		o_u64(&o, a);
		if (*b) {
			o_str(&o, b);
			o_u64(&o, c);
		}
	}
	o_str(&o, " (cntvct=");
	o_u64(&o, counter_now());
	o_str(&o, ")\n");
	if (later.on && later.n + o.n <= sizeof(later.buf)) {
		memcpy(later.buf + later.n, o.buf, o.n);
		later.n += o.n;
		return;
	}
	o_flush(&o, console);
}

static void die(const char *why, long err)
{
	struct out o = {.n = 0};

	o_str(&o, "recordd: error: ");
	o_str(&o, why);
	o_str(&o, " (");
	o_u64(&o, (uint64_t)-err);
	o_str(&o, ")\n");
	o_flush(&o, 2);
	sys_exit(1);
}

static void write_status(void)
{
	struct out o = {.n = 0}, tmp = {.n = 0};
	long fd;

	o_str(&o, st.role == REC_ROLE_ACTIVE ? "role=active" : "role=standby");
	o_str(&o, " generation=");
	o_u64(&o, st.generation);
	o_str(&o, " last=");
	o_u64(&o, st.last);
	if (st.role == REC_ROLE_ACTIVE) {
		o_str(&o, " acked=");
		o_u64(&o, st.acked);
		o_str(&o, " standby=");
		o_str(&o, !st.standby_up		 ? "down"
			  : st.peer_confirmed >= st.last ? "in-sync"
							 : "behind");
		o_str(&o, " confirmed=");
		o_u64(&o, st.peer_confirmed);
		o_str(&o, " dups=");
		o_u64(&o, st.dups);
		o_str(&o, " dropped=");
		o_u64(&o, st.dropped);
		o_str(&o, " refused=");
		o_u64(&o, st.refused);
		o_str(&o, " promoted_at=");
		o_u64(&o, st.promoted_at);
		o_str(&o, " first_ack_at=");
		o_u64(&o, st.first_ack_at);
		o_str(&o, " first_ack_seq=");
		o_u64(&o, st.first_ack_seq);
	}
	o_str(&o, "\n");
	/* Written aside and renamed over: a reader (the tests' cat) never sees it empty, as it
	 * would between an O_TRUNC and the write. */
	o_str(&tmp, cfg.status);
	o_str(&tmp, ".new");
	tmp.buf[tmp.n] = 0; /* o_str() leaves room for it */
	fd = sys_open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		o_flush(&o, (int)fd);
		sys_close((int)fd);
		sys_rename(tmp.buf, cfg.status);
	}
}

/* ---- the log ---- */

static int log_read(uint64_t seq, struct rec_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (seq == 0 || seq > st.last)
		return -1;
	return sys_pread(st.log_fd, e, sizeof(*e), (seq - 1) * sizeof(*e)) == sizeof(*e) &&
		       e->seq == seq
		   ? 0
		   : -1;
}

static void log_append(const struct rec_entry *e)
{
	long r = sys_pwrite(st.log_fd, e, sizeof(*e), st.last * sizeof(*e));

	if (r != sizeof(*e))
		die("cannot append to the log", r < 0 ? r : -5);
	st.last = e->seq;
}

/* Checks the log; prints what it holds and the digest of records 1..upto (0: all). */
static int verify(uint64_t upto)
{
	struct rec_entry e = {0};
	uint64_t n = 0, bad = 0, digest = REC_DIGEST_INIT, digest_upto = 0;
	struct out o = {.n = 0};
	long fd = sys_open(cfg.log, O_RDONLY, 0);

	if (fd < 0)
		die("cannot open the log", fd);
	while (sys_pread((int)fd, &e, sizeof(e), n * sizeof(e)) == sizeof(e)) {
		n++;
		if (e.seq != n || e.len == 0 || e.len > REC_PAYLOAD_MAX ||
		    e.check != rec_check(e.seq, e.payload, e.len)) {
			bad++;
			continue;
		}
		if (!upto || n <= upto) {
			digest = rec_digest(digest, e.check);
			digest_upto = n;
		}
	}
	o_str(&o, "verify: records=");
	o_u64(&o, n);
	o_str(&o, " last=");
	o_u64(&o, n);
	o_str(&o, " bad=");
	o_u64(&o, bad);
	o_str(&o, " upto=");
	o_u64(&o, digest_upto);
	o_str(&o, " digest=");
	o_hex(&o, digest);
	o_str(&o, "\n");
	o_flush(&o, 1);
	return bad || (upto && digest_upto < upto) ? 1 : 0;
}

/* ---- the channel ---- */

static uint32_t link_of(uint32_t side)
{
	return __atomic_load_n(&st.link[side], __ATOMIC_ACQUIRE);
}

static void chan_open(void)
{
	struct tandem_chan_info info = {0};
	long r;
	uint32_t half;

	r = sys_open(cfg.chan, O_RDWR | O_NONBLOCK, 0);
	if (r < 0)
		die("cannot open the channel (is tandem_failover loaded?)", r);
	st.chan_fd = (int)r;
	r = sys_ioctl(st.chan_fd, TANDEM_CHAN_IOC_INFO, &info);
	if (r < 0)
		die("TANDEM_CHAN_IOC_INFO", r);
	st.size = info.size;
	st.side = info.side & 1;
	st.win = sys_mmap(st.size, PROT_READ | PROT_WRITE, MAP_SHARED, st.chan_fd);
	if ((long)st.win < 0 && (long)st.win > -4096)
		die("cannot map the channel", (long)st.win);
	st.link = (const volatile uint32_t *)(st.win + 16); /* tandem_channel_header.link[] */
	/* Two areas of equal size, 128-byte aligned, after Tandem's 64-byte header. */
	half = ((st.size - 64) / 2) & ~127U;
	st.nr_slots = rec_area_slots(half);
	if (st.nr_slots < 16)
		die("the channel is too small for the ring", -22);
	st.mine = (struct rec_area *)(st.win + 64 + (uint64_t)st.side * half);
	st.peer = (struct rec_area *)(st.win + 64 + (uint64_t)(1 - st.side) * half);
}

static void notify(void)
{
	sys_ioctl(st.chan_fd, TANDEM_CHAN_IOC_NOTIFY, 0);
}

static void drain_doorbells(void)
{
	uint64_t count;

	while (sys_read(st.chan_fd, &count, sizeof(count)) == sizeof(count))
		;
}

/* Our area says who we are now; `link` ties it to this incarnation of our VM. */
static void area_claim(uint32_t role)
{
	struct rec_area *a = st.mine;

	__atomic_store_n(&a->role, 0, __ATOMIC_RELEASE);
	a->magic = REC_AREA_MAGIC;
	a->version = REC_AREA_VERSION;
	a->nr_slots = st.nr_slots;
	a->link = link_of(st.side);
	a->published = 0;
	__atomic_store_n(&a->confirmed, st.last, __ATOMIC_RELEASE);
	__atomic_store_n(&a->role, role, __ATOMIC_RELEASE);
}

/*
 * Copies every record the peer's ring holds in sequence after our last into the log (at most
 * the slots it has). `any_link`: the peer may be gone (promotion), its ring is still read.
 * Each slot is read seqlock-style (seq, data, seq again) and checked before it counts.
 */
static uint64_t ring_drain(int any_link)
{
	const struct rec_area *p = st.peer;
	uint64_t published, n = 0;
	uint32_t nr;

	if (__atomic_load_n(&p->magic, __ATOMIC_ACQUIRE) != REC_AREA_MAGIC ||
	    __atomic_load_n(&p->role, __ATOMIC_ACQUIRE) != REC_ROLE_ACTIVE)
		return 0;
	if (!any_link && __atomic_load_n(&p->link, __ATOMIC_ACQUIRE) != link_of(1 - st.side))
		return 0;
	nr = __atomic_load_n(&p->nr_slots, __ATOMIC_ACQUIRE);
	if (nr != st.nr_slots) /* the same window cut the same way: anything else is bogus */
		return 0;
	published = __atomic_load_n(&p->published, __ATOMIC_ACQUIRE);
	while (st.last < published && n < nr) {
		uint64_t want = st.last + 1;
		const struct rec_entry *s = &p->slots[(want - 1) % nr];
		struct rec_entry e;

		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != want)
			break;
		memcpy(&e, (const void *)s, sizeof(e));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != want || e.seq != want ||
		    e.len == 0 || e.len > REC_PAYLOAD_MAX ||
		    e.check != rec_check(e.seq, e.payload, e.len))
			break; /* being rewritten, or garbage: not ours to log */
		log_append(&e);
		n++;
	}
	return n;
}

/* ---- standby ---- */

static void standby_step(void)
{
	uint64_t got = ring_drain(0);

	if (got) {
		__atomic_store_n(&st.mine->confirmed, st.last, __ATOMIC_RELEASE);
		notify();
		write_status();
	}
}

/* ---- role ---- */

static uint32_t cmdline_role(void)
{
	char buf[1024];
	long fd = sys_open("/proc/cmdline", O_RDONLY, 0), n;
	const char *p;

	if (fd < 0)
		return 0;
	n = sys_read((int)fd, buf, sizeof(buf) - 1);
	sys_close((int)fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; *p; p++) {
		if ((p == buf || p[-1] == ' ') && starts(p, "tandem.records=")) {
			p += 15;
			if (starts(p, "primary"))
				return REC_ROLE_ACTIVE;
			if (starts(p, "standby"))
				return REC_ROLE_STANDBY;
		}
	}
	return 0;
}

/* Reads /dev/tandem-failover's line; returns the role (0: none) and sets the generation. */
static uint32_t failover_role(uint64_t *gen)
{
	char buf[128];
	long n;
	const char *p;
	uint32_t role = 0;

	sys_lseek(st.role_fd, 0, 0);
	n = sys_read(st.role_fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (starts(buf, "role=active"))
		role = REC_ROLE_ACTIVE;
	else if (starts(buf, "role=standby"))
		role = REC_ROLE_STANDBY;
	for (p = buf; *p; p++)
		if (starts(p, "generation=")) {
			p += 11;
			parse_u64(&p, gen);
			break;
		}
	return role;
}

/* ---- active: the device, the port, the client ---- */

static void bind_device(void)
{
	long fd = sys_open("/sys/bus/platform/drivers/virtio-mmio/bind", O_WRONLY, 0), r;

	if (fd < 0) {
		say("cannot open virtio-mmio's bind (virtio_mmio not loaded?)", 0, 0, 0);
		return;
	}
	r = sys_write((int)fd, cfg.device, strlen(cfg.device));
	sys_close((int)fd);
	if (r < 0 && r != -16 /* EBUSY: bound already */ && r != -19 /* ENODEV: no such device */)
		say("binding the device failed", 0, 0, 0);
}

/* Whether sysfs file `path` holds `want` (one line). */
static int file_is(const char *path, const char *want)
{
	char got[64];
	long fd = sys_open(path, O_RDONLY, 0), n;

	if (fd < 0)
		return 0;
	n = sys_read((int)fd, got, sizeof(got) - 1);
	sys_close((int)fd);
	if (n <= 0)
		return 0;
	got[n] = 0;
	if (got[n - 1] == '\n')
		got[n - 1] = 0;
	return streq(got, want);
}

/*
 * /dev/vportXpY whose sysfs name is cfg.port; -ENOENT if none (yet). One directory read of
 * /sys/class/virtio-ports: after a promotion this runs every millisecond until the port appears.
 */
static uint64_t vport_seen_at; /* counter when a vport first showed (promotion figures) */

static long open_port(void)
{
	char dents[1024];
	long dir = sys_open("/sys/class/virtio-ports", O_RDONLY, 0), n;

	if (dir < 0)
		return -ENOENT;
	while ((n = sys_getdents64((int)dir, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			const char *name = dents + off + 19; /* after ino, off, reclen, type */
			uint16_t reclen;
			struct out o = {.n = 0};

			memcpy(&reclen, dents + off + 16, sizeof(reclen));
			off += reclen;
			if (!starts(name, "vport") || strlen(name) > 24)
				continue;
			if (!vport_seen_at)
				vport_seen_at = counter_now();
			o_str(&o, "/sys/class/virtio-ports/");
			o_str(&o, name);
			o_str(&o, "/name");
			o.buf[o.n] = 0;
			if (!file_is(o.buf, cfg.port))
				continue;
			sys_close((int)dir);
			o.n = 0;
			o_str(&o, "/dev/");
			o_str(&o, name);
			o.buf[o.n] = 0;
			return sys_open(o.buf, O_RDWR | O_NONBLOCK | O_NOCTTY, 0);
		}
	}
	sys_close((int)dir);
	return -ENOENT;
}

static void client_send(struct out *o)
{
	if (st.port_fd >= 0)
		o_flush(o, st.port_fd);
	o->n = 0;
}

static void send_hello(void)
{
	struct out o = {.n = 0};

	o_str(&o, "H ");
	o_u64(&o, st.last + 1);
	o_str(&o, " ");
	o_u64(&o, st.generation);
	o_str(&o, " active\n");
	client_send(&o);
}

static void pend(uint64_t seq)
{
	st.pending[st.pend_tail++ % 4096] = seq;
	SET_ACK_BIT(seq);
}

static int pending_full(void)
{
	return st.pend_tail - st.pend_head >= 4096 - 64;
}

static void handle_line(char *line)
{
	const char *p = line;
	struct rec_entry e;
	struct out o = {.n = 0};
	uint64_t seq;
	size_t len;

	if (streq(line, "Q")) {
		send_hello();
		return;
	}
	if (line[0] != 'R' || line[1] != ' ' || (p = line + 2, parse_u64(&p, &seq)) || seq == 0 ||
	    *p != ' ') {
		st.refused++;
		o_str(&o, "E 0 malformed\n");
		client_send(&o);
		return;
	}
	p++;
	len = strlen(p);
	if (len == 0 || len > REC_PAYLOAD_MAX) {
		st.refused++;
		o_str(&o, "E ");
		o_u64(&o, seq);
		o_str(&o, " payload must be 1 to 100 bytes\n");
		client_send(&o);
		return;
	}
	if (seq <= st.last) { /* a resend: logged already (here or by the old primary) */
		st.dups++;
		if (!ACK_BIT(seq))
			pend(seq);
		return;
	}
	if (seq != st.last + 1) { /* an earlier one was lost: the client resends after H */
		st.dropped++;
		return;
	}
	memset(&e, 0, sizeof(e));
	e.seq = seq;
	e.len = (uint32_t)len;
	memcpy(e.payload, p, len);
	e.check = rec_check(seq, e.payload, e.len);
	log_append(&e);
	pend(seq);
}

static void port_read(void)
{
	for (;;) {
		long n;
		size_t start = 0;

		if (pending_full())
			return; /* backpressure: acknowledge first */
		n = sys_read(st.port_fd, st.in + st.in_len, sizeof(st.in) - st.in_len);
		if (n <= 0)
			return;
		st.in_len += (size_t)n;
		for (size_t i = 0; i < st.in_len; i++) {
			if (st.in[i] != '\n')
				continue;
			st.in[i] = 0;
			if (i > start && st.in[i - 1] == '\r')
				st.in[i - 1] = 0;
			handle_line(st.in + start);
			start = i + 1;
		}
		if (start == 0 && st.in_len == sizeof(st.in))
			st.in_len = 0; /* a line longer than the buffer: dropped */
		memcpy(st.in, st.in + start, st.in_len - start);
		st.in_len -= start;
	}
}

/* Whether the peer's area is a live standby of its current incarnation; takes its progress. */
static void standby_check(void)
{
	const struct rec_area *p = st.peer;
	uint32_t peer_link = link_of(1 - st.side);
	int up = (peer_link & TANDEM_CHANNEL_LINK_UP) &&
		 __atomic_load_n(&p->magic, __ATOMIC_ACQUIRE) == REC_AREA_MAGIC &&
		 __atomic_load_n(&p->role, __ATOMIC_ACQUIRE) == REC_ROLE_STANDBY &&
		 __atomic_load_n(&p->link, __ATOMIC_ACQUIRE) == peer_link &&
		 __atomic_load_n(&p->nr_slots, __ATOMIC_ACQUIRE) == st.nr_slots;
	uint64_t confirmed = up ? __atomic_load_n(&p->confirmed, __ATOMIC_ACQUIRE) : 0;

	if (up && confirmed > st.last) {
		/* It claims records we never had: not a standby of ours. */
		up = 0;
	}
	/* A new standby: its VM restarted (link word), or its recordd did (`confirmed` never goes
	 * back within one instance): replay from what it holds. */
	if (up && (!st.standby_up || st.peer_link != peer_link || confirmed < st.peer_confirmed)) {
		say("standby up (link ", peer_link, "), holds records up to ", confirmed);
		st.peer_link = peer_link;
		st.ring_next = confirmed + 1;
		st.in_sync = 0;
	} else if (!up && st.standby_up) {
		say(cfg.degraded_ack ? "standby lost: acknowledging records once logged"
				     : "standby lost: acknowledging nothing until one is back",
		    0, 0, 0);
	}
	st.standby_up = up;
	if (up)
		st.peer_confirmed = confirmed;
}

/* Publishes the records the standby has not got yet, as far as its free slots go. */
static void ring_fill(void)
{
	struct rec_area *a = st.mine;
	int wrote = 0;

	if (!st.standby_up)
		return;
	if (st.ring_next <= st.peer_confirmed)
		st.ring_next = st.peer_confirmed + 1;
	while (st.ring_next <= st.last && st.ring_next <= st.peer_confirmed + st.nr_slots) {
		struct rec_entry e;
		struct rec_entry *s = &a->slots[(st.ring_next - 1) % st.nr_slots];

		if (log_read(st.ring_next, &e))
			die("cannot read the log back", -5);
		__atomic_store_n(&s->seq, 0, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		s->len = e.len;
		s->check = e.check;
		memcpy(s->payload, e.payload, sizeof(e.payload));
		__atomic_store_n(&s->seq, e.seq, __ATOMIC_RELEASE);
		st.ring_next++;
		wrote = 1;
	}
	if (wrote) {
		__atomic_store_n(&a->published, st.ring_next - 1, __ATOMIC_RELEASE);
		notify();
	}
}

/* Acknowledges, in arrival order, what the standby holds (or all, with none up and degraded). */
static void ack_ready(void)
{
	struct out o = {.n = 0};
	int any = 0;

	while (st.pend_head != st.pend_tail) {
		uint64_t seq = st.pending[st.pend_head % 4096];

		if (st.standby_up ? seq > st.peer_confirmed : !cfg.degraded_ack)
			break;
		if (o.n > sizeof(o.buf) - 32)
			client_send(&o);
		o_str(&o, "A ");
		o_u64(&o, seq);
		o_str(&o, "\n");
		st.pend_head++;
		st.acked++;
		if (!st.first_ack_at) {
			st.first_ack_at = counter_now();
			st.first_ack_seq = seq;
		}
		any = 1;
	}
	client_send(&o);
	if (any && st.promoted_at && !st.first_ack_said) {
		st.first_ack_said = 1;
		say_later_flush();
		say("first acknowledgement after promotion: record ", st.first_ack_seq,
		    ", ticks since promotion ", st.first_ack_at - st.promoted_at);
	}
}

static void active_step(void)
{
	int sync;

	standby_check();
	ring_fill();
	if (st.port_fd >= 0)
		port_read();
	ring_fill();
	ack_ready();
	sync = st.standby_up && st.peer_confirmed >= st.last;
	/* Said once per standby incarnation: when its catch-up is done. */
	if (sync && !st.in_sync)
		say("standby in sync at record ", st.last, ", link ", st.peer_link);
	if (sync)
		st.in_sync = 1;
}

/*
 * Tandem's lean driver for the port (guests/linux/modules/tandem_vport, loaded by /init for the
 * record service): the bind makes it set up the port's virtqueues only, and an open waits in the
 * kernel (up to 10 s) until the device has named the port; no polling. Returns the open file.
 */
#define TANDEM_VPORT "/dev/tandem-vport"

static long open_tandem_vport(uint64_t t0, uint64_t *bound)
{
	long fd;

	bind_device(); /* EBUSY when bound already (the primary at boot) */
	*bound = counter_now() - t0;
	fd = sys_open(TANDEM_VPORT, O_RDWR | O_NOCTTY, 0);
	if (fd >= 0)
		sys_setfl((int)fd, O_RDWR | O_NONBLOCK);
	return fd;
}

static void open_port_waiting(void)
{
	/* With tandem_vport the open waits for the port. With virtio_console the port's node
	 * appears asynchronously after the bind (it adds ports when the device says so): look
	 * every millisecond for 10 s, since after a promotion every millisecond here is a
	 * millisecond the client waits. */
	uint64_t t0 = counter_now(), bound = 0;
	int polls = 0;

	vport_seen_at = 0;
	if (sys_exists(TANDEM_VPORT)) {
		long fd = open_tandem_vport(t0, &bound);

		if (fd < 0) {
			say("cannot open " TANDEM_VPORT ": error ", (uint64_t)-fd, "", 0);
			return;
		}
		st.port_fd = (int)fd;
		if (st.promoted_at)
			say("port search: bind written after ", bound,
			    " ticks, " TANDEM_VPORT " open after ", counter_now() - t0);
		say("serving the client from record ", st.last + 1, ", generation ", st.generation);
		send_hello();
		return;
	}
	for (int i = 0; i < 10000 && st.port_fd < 0; i++, polls++) {
		long fd = open_port();

		if (fd >= 0) {
			st.port_fd = (int)fd;
			break;
		}
		if (i == 0) {
			bind_device();
			bound = counter_now() - t0;
		}
		sys_sleep_ms(1);
	}
	if (st.port_fd < 0) {
		say("no virtio port named records: waiting for the client's device", 0, 0, 0);
		return;
	}
	/* Where a promotion's time goes (the figures): the bind's write (virtio_mmio and
	 * virtio_console probe), the port's first sysfs entry, its name, polls of 1 ms. */
	if (st.promoted_at) {
		say("port search: bind written after ", bound, " ticks, a vport listed after ",
		    vport_seen_at ? vport_seen_at - t0 : 0);
		say("port search: opened after ", counter_now() - t0, " ticks, polls ",
		    (uint64_t)polls);
	}
	say("serving the client from record ", st.last + 1, ", generation ", st.generation);
	send_hello();
}

static void become_active(const char *why)
{
	/* What the old primary published before it failed is still in its area: take it. */
	uint64_t got = ring_drain(1);

	st.role = REC_ROLE_ACTIVE;
	area_claim(REC_ROLE_ACTIVE);
	st.standby_up = 0;
	st.peer_confirmed = 0;
	st.ring_next = 1;
	say(why, got, " records taken from the old primary's ring, log up to ", st.last);
	open_port_waiting();
	if (st.port_fd >= 0 && st.promoted_at)
		say("port open after promotion: ticks since promotion ",
		    counter_now() - st.promoted_at, ", generation ", st.generation);
	write_status();
}

static void serve(uint32_t role)
{
	long r;

	r = sys_open(cfg.log, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		die("cannot create the log", r);
	st.log_fd = (int)r;
	chan_open();
	if (role == REC_ROLE_STANDBY) {
		st.role = REC_ROLE_STANDBY;
		area_claim(REC_ROLE_STANDBY);
		say("standby: holding the primary's records, generation ", st.generation, "", 0);
		notify();
		write_status();
	} else {
		become_active("active: ");
	}
	for (;;) {
		struct pollfd fds[3];
		unsigned n = 0;

		fds[n++] = (struct pollfd){st.chan_fd, POLLIN, 0};
		if (st.role_fd >= 0)
			fds[n++] = (struct pollfd){st.role_fd, POLLPRI | POLLIN, 0};
		if (st.role == REC_ROLE_ACTIVE && st.port_fd >= 0 && !pending_full())
			fds[n++] = (struct pollfd){st.port_fd, POLLIN, 0};
		/* The timeout catches a doorbell missed while the peer restarted. */
		if (sys_poll(fds, n, 100) == 0 && later.on)
			say_later_flush(); /* idle: nothing to hurry for */
		drain_doorbells();
		if (st.role_fd >= 0 && (fds[1].revents & (POLLPRI | POLLIN))) {
			uint64_t gen = st.generation;
			uint32_t now = failover_role(&gen);

			if (now == REC_ROLE_ACTIVE && st.role != REC_ROLE_ACTIVE) {
				st.promoted_at = counter_now();
				later.on = 1;
				st.first_ack_at = 0;
				st.first_ack_seq = 0;
				st.first_ack_said = 0;
				st.acked = 0;
				st.generation = gen;
				say("promoted: generation ", gen, ", log up to ", st.last);
				become_active("active after promotion: ");
			} else if (now == REC_ROLE_STANDBY && st.role == REC_ROLE_ACTIVE) {
				/* Demoted while running (not in the contract): stop serving. */
				say("demoted: generation ", gen, ", exiting at ", st.last);
				sys_exit(3);
			}
			st.generation = gen;
		}
		if (st.role == REC_ROLE_STANDBY)
			standby_step();
		else {
			if (st.port_fd < 0)
				open_port_waiting();
			active_step();
			write_status();
		}
	}
}

static void start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	uint32_t role = 0;
	int do_verify = 0, explicit_role = 0;
	uint64_t upto = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *p;

		if (streq(a, "verify"))
			do_verify = 1;
		else if (streq(a, "primary"))
			role = REC_ROLE_ACTIVE, explicit_role = 1;
		else if (streq(a, "standby"))
			role = REC_ROLE_STANDBY, explicit_role = 1;
		else if (streq(a, "auto"))
			explicit_role = 0;
		else if (starts(a, "chan="))
			cfg.chan = a + 5;
		else if (starts(a, "log="))
			cfg.log = a + 4;
		else if (starts(a, "status="))
			cfg.status = a + 7;
		else if (starts(a, "port="))
			cfg.port = a + 5;
		else if (starts(a, "device="))
			cfg.device = a + 7;
		else if (streq(a, "degraded=ack"))
			cfg.degraded_ack = 1;
		else if (streq(a, "degraded=wait"))
			cfg.degraded_ack = 0;
		else if (starts(a, "upto=") && (p = a + 5, !parse_u64(&p, &upto)) && !*p)
			;
		else {
			struct out o = {.n = 0};

			o_str(&o,
			      "usage: tandem-recordd [auto|primary|standby] [chan=DEV] [log=FILE] "
			      "[status=FILE] [port=NAME] [device=NAME] [degraded=ack|wait]\n"
			      "       tandem-recordd verify [log=FILE] [upto=N]\n");
			o_flush(&o, 2);
			sys_exit(2);
		}
	}
	if (do_verify)
		sys_exit(verify(upto));
	if (!explicit_role) {
		long fd = sys_open("/dev/tandem-failover", O_RDONLY, 0);

		if (fd >= 0) {
			st.role_fd = (int)fd;
			role = failover_role(&st.generation);
		}
		if (!role)
			role = cmdline_role(); /* no group (NOT_SUPPORTED): the command line says */
		if (!role)
			die("no role: not in a failover group and no tandem.records= on the "
			    "command line",
			    -22);
	}
	serve(role);
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
	sys_exit(0);
}
