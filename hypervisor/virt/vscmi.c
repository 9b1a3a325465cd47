/*
 * The SCMI messages Tandem serves (Arm DEN 0056): the base protocol (0x10) and the clock
 * protocol (0x14), exactly what Linux's SCMI core, clk-scmi and cpufreq-dt ask of them. Each
 * message is checked whole (length, protocol, message, clock id, rate) before anything
 * changes; a bad one gets an SCMI error status and leaves the domain as it was.
 */
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/string.h>
#include <tandem/vscmi.h>

#define BASE_VERSION	0x20000 /* SCMI base protocol 2.0 */
#define CLOCK_VERSION	0x10000 /* clock protocol 1.0: no extended names, no notifications */
#define IMPL_VERSION	0x00010000
#define NAME_LEN	16 /* short names (DEN 0056: null-terminated ASCII, 16 bytes) */
#define RATES_PER_REPLY 8  /* DESCRIBE_RATES: Linux's SMC channel takes 128-byte replies */

/* Message IDs every protocol has (DEN 0056 4.2.2). */
#define MSG_PROTOCOL_VERSION		0x0
#define MSG_PROTOCOL_ATTRIBUTES		0x1
#define MSG_PROTOCOL_MESSAGE_ATTRIBUTES 0x2
/* Base protocol (4.2). */
#define BASE_DISCOVER_VENDOR		     0x3
#define BASE_DISCOVER_SUB_VENDOR	     0x4
#define BASE_DISCOVER_IMPLEMENTATION_VERSION 0x5
#define BASE_DISCOVER_LIST_PROTOCOLS	     0x6
#define BASE_DISCOVER_AGENT		     0x7
/* Clock protocol (4.6). */
#define CLOCK_ATTRIBUTES     0x3
#define CLOCK_DESCRIBE_RATES 0x4
#define CLOCK_RATE_SET	     0x5
#define CLOCK_RATE_GET	     0x6
#define CLOCK_CONFIG_SET     0x7

/* CLOCK_RATE_SET flags (4.6.2.7). */
#define RATE_SET_ASYNC	    (1U << 0)
#define RATE_SET_ROUND_UP   (1U << 2)
#define RATE_SET_ROUND_AUTO (1U << 3)

struct msg {
	struct freq_domain *dom;
	const char *agent;
	const uint8_t *in;
	uint32_t in_len;
	uint8_t *out; /* return values after the status */
	uint32_t out_len;
	const char *why;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put32(struct msg *m, uint32_t v)
{
	wr32(m->out + m->out_len, v);
	m->out_len += 4;
}

static void put_name(struct msg *m, const char *name)
{
	memset(m->out + m->out_len, 0, NAME_LEN);
	strlcpy((char *)m->out + m->out_len, name, NAME_LEN);
	m->out_len += NAME_LEN;
}

static int fail(struct msg *m, int status, const char *why)
{
	m->why = why;
	return status;
}

/* ---- base protocol ---------------------------------------------------------------------- */

static bool base_implements(uint32_t id)
{
	return id <= BASE_DISCOVER_AGENT;
}

static int base_msg(struct msg *m, uint32_t id)
{
	switch (id) {
	case MSG_PROTOCOL_VERSION:
		put32(m, BASE_VERSION);
		return SCMI_SUCCESS;
	case MSG_PROTOCOL_ATTRIBUTES:
		put32(m, 1U << 8 | 1U); /* one agent (the controller), one protocol besides base */
		return SCMI_SUCCESS;
	case MSG_PROTOCOL_MESSAGE_ATTRIBUTES:
		if (!base_implements(rd32(m->in)))
			return fail(m, SCMI_NOT_FOUND, "no such base message");
		put32(m, 0);
		return SCMI_SUCCESS;
	case BASE_DISCOVER_VENDOR:
		put_name(m, "Tandem");
		return SCMI_SUCCESS;
	case BASE_DISCOVER_SUB_VENDOR:
		put_name(m, "cpufreq");
		return SCMI_SUCCESS;
	case BASE_DISCOVER_IMPLEMENTATION_VERSION:
		put32(m, IMPL_VERSION);
		return SCMI_SUCCESS;
	case BASE_DISCOVER_LIST_PROTOCOLS: {
		uint32_t skip = rd32(m->in);

		if (skip > 1)
			return fail(m, SCMI_INVALID_PARAMETERS,
				    "protocol list skip beyond its end");
		put32(m, 1 - skip);
		if (skip == 0)
			put32(m, SCMI_PROTO_CLOCK); /* one byte per protocol, padded to 4 */
		return SCMI_SUCCESS;
	}
	default: { /* BASE_DISCOVER_AGENT */
		uint32_t agent = rd32(m->in);

		/* 0 is the platform, 1 the controller, 0xffffffff the caller (DEN 0056 4.2.2.9). */
		if (agent == 0) {
			put32(m, 0);
			put_name(m, "platform");
		} else if (agent == 1 || agent == 0xffffffffU) {
			put32(m, 1);
			put_name(m, m->agent);
		} else {
			return fail(m, SCMI_NOT_FOUND, "no such agent");
		}
		return SCMI_SUCCESS;
	}
	}
}

/* ---- clock protocol --------------------------------------------------------------------- */

static bool clock_implements(uint32_t id)
{
	return id <= CLOCK_CONFIG_SET;
}

/* The clock IDs a controller sees are the domains it controls: one, clock 0. */
static bool clock_ok(struct msg *m)
{
	if (rd32(m->in) != 0) {
		m->why = "no such clock";
		return false;
	}
	return true;
}

static uint64_t point_hz(const struct freq_domain *d, uint32_t idx)
{
	return (uint64_t)d->cfg->opps[idx].khz * 1000;
}

static void put_rate(struct msg *m, uint64_t hz)
{
	put32(m, (uint32_t)hz);
	put32(m, (uint32_t)(hz >> 32));
}

static int describe_rates(struct msg *m)
{
	const struct freq_domain *d = m->dom;
	uint32_t first = rd32(m->in + 4), n;

	if (first > d->cfg->nr_opps)
		return fail(m, SCMI_OUT_OF_RANGE, "rate index beyond the table");
	n = MIN(d->cfg->nr_opps - first, RATES_PER_REPLY);
	/* Bits 31:16 remaining, bit 12 clear: a list of discrete rates, 11:0 returned. */
	put32(m, (d->cfg->nr_opps - first - n) << 16 | n);
	for (uint32_t i = first; i < first + n; i++)
		put_rate(m, point_hz(d, i));
	return SCMI_SUCCESS;
}

/* The point a RATE_SET asks for, rounding as its flags say (4.6.2.7); -1 if out of range. */
static int rate_point(const struct freq_domain *d, uint64_t hz, uint32_t flags)
{
	int exact = freq_find_point(d, hz), below = -1, above = -1;

	if (exact >= 0)
		return exact;
	for (uint32_t i = 0; i < d->cfg->nr_opps; i++) {
		if (point_hz(d, i) < hz)
			below = (int)i;
		else if (above < 0)
			above = (int)i;
	}
	if (flags & RATE_SET_ROUND_AUTO) {
		if (below < 0 || above < 0)
			return below < 0 ? above : below;
		return hz - point_hz(d, (uint32_t)below) <= point_hz(d, (uint32_t)above) - hz
			   ? below
			   : above;
	}
	return (flags & RATE_SET_ROUND_UP) ? above : below;
}

static int rate_set(struct msg *m)
{
	uint32_t flags = rd32(m->in);
	uint64_t hz = rd32(m->in + 8) | (uint64_t)rd32(m->in + 12) << 32;
	int idx;

	if (rd32(m->in + 4) != 0)
		return fail(m, SCMI_NOT_FOUND, "no such clock");
	if (flags & RATE_SET_ASYNC) /* PROTOCOL_ATTRIBUTES said max_async_req = 0 */
		return fail(m, SCMI_NOT_SUPPORTED, "asynchronous rate change");
	if (flags & ~(RATE_SET_ASYNC | 2U | RATE_SET_ROUND_UP | RATE_SET_ROUND_AUTO))
		return fail(m, SCMI_INVALID_PARAMETERS, "reserved flag bits set");
	idx = rate_point(m->dom, hz, flags);
	if (idx < 0)
		return fail(m, SCMI_OUT_OF_RANGE, "rate outside the operating points");
	freq_request(m->dom, (uint32_t)idx);
	return SCMI_SUCCESS;
}

static int clock_msg(struct msg *m, uint32_t id)
{
	switch (id) {
	case MSG_PROTOCOL_VERSION:
		put32(m, CLOCK_VERSION);
		return SCMI_SUCCESS;
	case MSG_PROTOCOL_ATTRIBUTES:
		put32(m, 1); /* bits 15:0 clocks, 23:16 max_async_req 0: every change synchronous */
		return SCMI_SUCCESS;
	case MSG_PROTOCOL_MESSAGE_ATTRIBUTES:
		if (!clock_implements(rd32(m->in)))
			return fail(m, SCMI_NOT_FOUND, "no such clock message");
		put32(m, 0);
		return SCMI_SUCCESS;
	case CLOCK_ATTRIBUTES:
		if (!clock_ok(m))
			return SCMI_NOT_FOUND;
		put32(m, 1); /* enabled: a CPU clock always runs */
		put_name(m, m->dom->cfg->name);
		put32(m, 0); /* clock_enable_latency (clock protocol 2.0 and later) */
		return SCMI_SUCCESS;
	case CLOCK_DESCRIBE_RATES:
		return clock_ok(m) ? describe_rates(m) : SCMI_NOT_FOUND;
	case CLOCK_RATE_SET:
		return rate_set(m);
	case CLOCK_RATE_GET:
		if (!clock_ok(m))
			return SCMI_NOT_FOUND;
		/* What the agent chose: the floor is the platform's business, not its. */
		put_rate(m, point_hz(m->dom, freq_requested(m->dom)));
		return SCMI_SUCCESS;
	default: /* CLOCK_CONFIG_SET: a CPU clock cannot be gated, but enabling it is fine */
		if (!clock_ok(m))
			return SCMI_NOT_FOUND;
		if (rd32(m->in + 4) & ~1U)
			return fail(m, SCMI_INVALID_PARAMETERS, "reserved attribute bits set");
		if (!(rd32(m->in + 4) & 1U))
			return fail(m, SCMI_DENIED, "a CPU clock cannot be turned off");
		return SCMI_SUCCESS;
	}
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Payload bytes each message takes (DEN 0056): anything else is a protocol error. */
static int in_len(uint32_t proto, uint32_t id)
{
	if (proto == SCMI_PROTO_BASE) {
		if (!base_implements(id))
			return -1;
		return id == MSG_PROTOCOL_MESSAGE_ATTRIBUTES ||
			       id == BASE_DISCOVER_LIST_PROTOCOLS || id == BASE_DISCOVER_AGENT
			   ? 4
			   : 0;
	}
	if (!clock_implements(id))
		return -1;
	switch (id) {
	case MSG_PROTOCOL_VERSION:
	case MSG_PROTOCOL_ATTRIBUTES:
		return 0;
	case MSG_PROTOCOL_MESSAGE_ATTRIBUTES:
	case CLOCK_ATTRIBUTES:
	case CLOCK_RATE_GET:
		return 4;
	case CLOCK_DESCRIBE_RATES:
	case CLOCK_CONFIG_SET:
		return 8;
	default: /* CLOCK_RATE_SET: flags, clock_id, rate low, rate high */
		return 16;
	}
}

static int dispatch(struct msg *m, uint32_t header, uint32_t length)
{
	uint32_t id = header & 0xff, type = (header >> 8) & 3, proto = (header >> 10) & 0xff;
	int need;

	if (length < 4)
		return fail(m, SCMI_PROTOCOL_ERROR, "length shorter than the header");
	if (type != 0)
		return fail(m, SCMI_PROTOCOL_ERROR, "not a command (message type != 0)");
	if (proto != SCMI_PROTO_BASE && proto != SCMI_PROTO_CLOCK)
		return fail(m, SCMI_NOT_SUPPORTED, "unknown protocol");
	need = in_len(proto, id);
	if (need < 0)
		return fail(m, SCMI_NOT_SUPPORTED, "unknown message");
	if (m->in_len != (uint32_t)need)
		return fail(m, SCMI_PROTOCOL_ERROR, "payload length wrong for the message");
	return proto == SCMI_PROTO_BASE ? base_msg(m, id) : clock_msg(m, id);
}

int vscmi_process(struct freq_domain *d, const char *agent, uint8_t *shm, size_t size,
		  const char **why)
{
	uint32_t length = rd32(shm + SCMI_SHM_LENGTH), header = rd32(shm + SCMI_SHM_HEADER);
	/* Return values land where the arguments were: copy the arguments out first. */
	uint8_t args[16] = {0};
	uint32_t max_len = (uint32_t)(size - SCMI_SHM_HEADER);
	struct msg m = {.dom = d, .agent = agent, .in = args, .out = shm + SCMI_SHM_PAYLOAD + 4};
	int status;

	if (length > max_len) {
		m.why = "length beyond the shared memory";
		status = SCMI_PROTOCOL_ERROR;
	} else {
		m.in_len = length >= 4 ? length - 4 : 0;
		memcpy(args, shm + SCMI_SHM_PAYLOAD, MIN(m.in_len, sizeof(args)));
		status = dispatch(&m, header, length);
	}
	if (status != SCMI_SUCCESS)
		m.out_len = 0;
	wr32(shm + SCMI_SHM_PAYLOAD, (uint32_t)status);
	wr32(shm + SCMI_SHM_LENGTH, 4 + 4 + m.out_len); /* header, status, return values */
	/* The reply is in place: only now may the agent touch the channel again. */
	wr32(shm + SCMI_SHM_STATUS, SCMI_SHM_STATUS_FREE);
	*why = m.why;
	return status;
}
