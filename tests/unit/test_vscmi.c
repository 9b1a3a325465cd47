/* unit-sources: hypervisor/virt/vscmi.c hypervisor/core/freq.c hypervisor/platform/clock.c */
/*
 * The SCMI platform Tandem serves (issue 14): Linux's probe sequence over the shared memory
 * as Linux lays it out, the clock moving the modelled domain, and every malformed message
 * getting its SCMI status with the domain left as it was and the channel free again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <arch/fake.h>
#include <tandem/config.h>
#include <tandem/freq.h>
#include <tandem/vscmi.h>

#define NR_POINTS 10 /* more than one DESCRIBE_RATES reply holds */

static struct cfg_system sys;
static uint8_t shm[VSCMI_SHMEM_SIZE];
static struct freq_domain *dom;
static const char *why;

static uint32_t rd(size_t off)
{
	uint32_t v;

	memcpy(&v, shm + off, 4); /* the host is little-endian, as SCMI is */
	return v;
}

static void wr(size_t off, uint32_t v)
{
	memcpy(shm + off, &v, 4);
}

/* Lays a message out as Linux's shmem_tx_prepare() does and has it served. */
static int send_len(uint32_t proto, uint32_t msg, const uint32_t *args, unsigned nargs,
		    uint32_t length)
{
	memset(shm, 0xee, sizeof(shm));
	wr(SCMI_SHM_STATUS, 0); /* busy: the agent owns the channel */
	wr(SCMI_SHM_FLAGS, 0);
	wr(SCMI_SHM_LENGTH, length);
	wr(SCMI_SHM_HEADER, SCMI_HDR(proto, msg, 0x2a5));
	for (unsigned i = 0; i < nargs; i++)
		wr(SCMI_SHM_PAYLOAD + 4 * i, args[i]);
	why = NULL;
	int status = vscmi_process(dom, "linux", shm, sizeof(shm), &why);
	/* Always: the status in the reply, the header kept, the channel free again. */
	assert_int_equal((int32_t)rd(SCMI_SHM_PAYLOAD), status);
	assert_int_equal(rd(SCMI_SHM_HEADER), SCMI_HDR(proto, msg, 0x2a5));
	assert_int_equal(rd(SCMI_SHM_STATUS), SCMI_SHM_STATUS_FREE);
	if (status != SCMI_SUCCESS) {
		assert_non_null(why);
		assert_int_equal(rd(SCMI_SHM_LENGTH), 8);
	} else {
		assert_null(why);
	}
	return status;
}

static int send(uint32_t proto, uint32_t msg, const uint32_t *args, unsigned nargs)
{
	return send_len(proto, msg, args, nargs, 4 + 4 * nargs);
}

/* Return value i (after the status). */
static uint32_t ret(unsigned i)
{
	return rd(SCMI_SHM_PAYLOAD + 4 + 4 * i);
}

static int setup(void **state)
{
	struct cfg_freq_domain *d = &sys.freq_domains[0];

	fake_reset();
	fake_arch.printk_quiet = true;
	memset(&sys, 0, sizeof(sys));
	sys.nr_vms = 1;
	strcpy(sys.vms[0].name, "linux");
	sys.nr_freq_domains = 1;
	strcpy(d->name, "soc");
	d->cpus = 0xf;
	d->nr_opps = NR_POINTS;
	for (unsigned i = 0; i < NR_POINTS; i++) {
		d->opps[i].khz = 200000 * (i + 1);
		d->opps[i].uv = 700000 + 50000 * i;
	}
	d->floor = 2; /* 600 MHz */
	assert_int_equal(freq_init(&sys), 0);
	dom = &freq_domains[0];
	return 0;
}

static void test_base_probe(void **state)
{
	uint32_t arg;

	assert_int_equal(send(SCMI_PROTO_BASE, 0, NULL, 0), SCMI_SUCCESS); /* PROTOCOL_VERSION */
	assert_int_equal(ret(0), 0x20000);
	assert_int_equal(rd(SCMI_SHM_LENGTH), 12);
	assert_int_equal(send(SCMI_PROTO_BASE, 1, NULL, 0), SCMI_SUCCESS); /* ATTRIBUTES */
	assert_int_equal(ret(0), 0x101); /* one agent, one protocol */
	assert_int_equal(send(SCMI_PROTO_BASE, 3, NULL, 0), SCMI_SUCCESS); /* DISCOVER_VENDOR */
	assert_string_equal((char *)shm + SCMI_SHM_PAYLOAD + 4, "Tandem");
	assert_int_equal(rd(SCMI_SHM_LENGTH), 8 + 16);
	assert_int_equal(send(SCMI_PROTO_BASE, 4, NULL, 0), SCMI_SUCCESS); /* SUB_VENDOR */
	assert_int_equal(send(SCMI_PROTO_BASE, 5, NULL, 0), SCMI_SUCCESS); /* IMPL_VERSION */
	arg = 0;
	assert_int_equal(send(SCMI_PROTO_BASE, 6, &arg, 1), SCMI_SUCCESS); /* LIST_PROTOCOLS */
	assert_int_equal(ret(0), 1);
	assert_int_equal(ret(1), SCMI_PROTO_CLOCK); /* 0x14, padded to a word */
	assert_int_equal(rd(SCMI_SHM_LENGTH), 16);
	arg = 1;
	assert_int_equal(send(SCMI_PROTO_BASE, 6, &arg, 1), SCMI_SUCCESS);
	assert_int_equal(ret(0), 0);
	arg = 2;
	assert_int_equal(send(SCMI_PROTO_BASE, 6, &arg, 1), SCMI_INVALID_PARAMETERS);
	arg = 0xffffffff;
	assert_int_equal(send(SCMI_PROTO_BASE, 7, &arg, 1), SCMI_SUCCESS); /* DISCOVER_AGENT */
	assert_int_equal(ret(0), 1);
	assert_string_equal((char *)shm + SCMI_SHM_PAYLOAD + 8, "linux");
	arg = 7;
	assert_int_equal(send(SCMI_PROTO_BASE, 7, &arg, 1), SCMI_NOT_FOUND);
	arg = 6;
	assert_int_equal(send(SCMI_PROTO_BASE, 2, &arg, 1), SCMI_SUCCESS); /* MESSAGE_ATTRS */
	arg = 0x20;
	assert_int_equal(send(SCMI_PROTO_BASE, 2, &arg, 1), SCMI_NOT_FOUND);
}

static void test_clock_probe_and_rates(void **state)
{
	uint32_t args[4];
	unsigned seen = 0;

	assert_int_equal(send(SCMI_PROTO_CLOCK, 0, NULL, 0), SCMI_SUCCESS);
	assert_int_equal(ret(0), 0x10000);
	assert_int_equal(send(SCMI_PROTO_CLOCK, 1, NULL, 0), SCMI_SUCCESS);
	assert_int_equal(ret(0), 1); /* one clock, max_async_req 0 */
	args[0] = 0;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 3, args, 1), SCMI_SUCCESS); /* ATTRIBUTES */
	assert_int_equal(ret(0), 1);
	assert_string_equal((char *)shm + SCMI_SHM_PAYLOAD + 8, "soc");
	/* DESCRIBE_RATES, iterated as Linux does: index = rates seen so far. */
	do {
		args[0] = 0;
		args[1] = seen;
		assert_int_equal(send(SCMI_PROTO_CLOCK, 4, args, 2), SCMI_SUCCESS);
		uint32_t flags = ret(0), n = flags & 0xfff;

		assert_false(flags & (1U << 12)); /* a discrete list */
		assert_true(n > 0 && n <= 8);
		assert_int_equal(flags >> 16, NR_POINTS - seen - n);
		assert_true(rd(SCMI_SHM_LENGTH) <= 8 + 128 - 4); /* fits Linux's 128-byte reply */
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(ret(1 + 2 * i), (uint32_t)(200000000ULL * (seen + i + 1)));
			assert_int_equal(ret(2 + 2 * i),
					 (uint32_t)((200000000ULL * (seen + i + 1)) >> 32));
		}
		seen += n;
	} while (seen < NR_POINTS);
	assert_int_equal(seen, NR_POINTS);
	args[1] = NR_POINTS + 1;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 4, args, 2), SCMI_OUT_OF_RANGE);
}

static void test_rate_set_moves_the_domain(void **state)
{
	uint64_t hz = 2000000000ULL; /* 2 GHz: the top point, above 32 bits of Hz */
	uint32_t set[4] = {0, 0, (uint32_t)hz, (uint32_t)(hz >> 32)}, get = 0;
	uint64_t hooks = dom->hook_calls;

	assert_int_equal(dom->cur, 2); /* starts at its floor */
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, set, 4), SCMI_SUCCESS);
	assert_int_equal(dom->cur, NR_POINTS - 1);
	assert_int_equal(dom->hook_calls, hooks + 1); /* the platform hook ran once */
	assert_int_equal(send(SCMI_PROTO_CLOCK, 6, &get, 1), SCMI_SUCCESS);
	assert_int_equal(ret(0) | (uint64_t)ret(1) << 32, hz);
	/* Below the floor: the guest reads back its choice, the clock stays at the floor. */
	set[2] = 200000000;
	set[3] = 0;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, set, 4), SCMI_SUCCESS);
	assert_int_equal(dom->requested, 0);
	assert_int_equal(dom->cur, 2);
	assert_int_equal(send(SCMI_PROTO_CLOCK, 6, &get, 1), SCMI_SUCCESS);
	assert_int_equal(ret(0), 200000000);
	/* Rounding (flags bits 3:2): 500 MHz is between 400 and 600. */
	set[2] = 500000000;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, set, 4), SCMI_SUCCESS); /* down */
	assert_int_equal(dom->requested, 1);
	set[0] = 1U << 2;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, set, 4), SCMI_SUCCESS); /* up */
	assert_int_equal(dom->requested, 2);
	set[0] = 1U << 3;
	set[2] = 450000000;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, set, 4), SCMI_SUCCESS); /* nearest */
	assert_int_equal(dom->requested, 1);
	/* CONFIG_SET: enabling is fine, turning a CPU clock off is not. */
	set[0] = 0;
	set[1] = 1;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 7, set, 2), SCMI_SUCCESS);
	set[1] = 0;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 7, set, 2), SCMI_DENIED);
}

/* Every malformed message: its status, and the domain exactly as it was. */
static void test_malformed(void **state)
{
	const uint32_t in_table = 400000000, below = 100000000, above = 2100000000;
	uint32_t args[4];
	struct freq_domain before;

	args[0] = 0;
	args[1] = 0;
	args[2] = in_table;
	args[3] = 0;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_SUCCESS);
	before = *dom;

	/* Lengths: shorter than the header, beyond the area, payload wrong for the message. */
	assert_int_equal(send_len(SCMI_PROTO_CLOCK, 5, args, 4, 2), SCMI_PROTOCOL_ERROR);
	assert_int_equal(send_len(SCMI_PROTO_CLOCK, 5, args, 4, 0xffffffff), SCMI_PROTOCOL_ERROR);
	assert_int_equal(send_len(SCMI_PROTO_CLOCK, 5, args, 4, 4 + 12), SCMI_PROTOCOL_ERROR);
	assert_int_equal(send_len(SCMI_PROTO_BASE, 0, args, 1, 8), SCMI_PROTOCOL_ERROR);
	/* Unknown protocol (performance, 0x13, is not served), unknown messages. */
	assert_int_equal(send(0x13, 0, NULL, 0), SCMI_NOT_SUPPORTED);
	assert_int_equal(send(SCMI_PROTO_CLOCK, 0x8, args, 1), SCMI_NOT_SUPPORTED);
	assert_int_equal(send(SCMI_PROTO_BASE, 0x9, NULL, 0), SCMI_NOT_SUPPORTED);
	/* Not a command: message type 3 in header bits 9:8. */
	assert_int_equal(send(SCMI_PROTO_CLOCK, 0x300, NULL, 0), SCMI_PROTOCOL_ERROR);
	/* Clock 1 does not exist. */
	args[1] = 1;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_NOT_FOUND);
	args[0] = 1;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 3, args, 1), SCMI_NOT_FOUND);
	assert_int_equal(send(SCMI_PROTO_CLOCK, 6, args, 1), SCMI_NOT_FOUND);
	args[0] = 1;
	args[1] = 0;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 4, args, 2), SCMI_NOT_FOUND);
	/* Rates outside the table, whichever way they round; above 32 bits of Hz. */
	args[0] = 0;
	args[1] = 0;
	args[2] = below;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_OUT_OF_RANGE);
	args[0] = 1U << 2; /* round up */
	args[2] = above;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_OUT_OF_RANGE);
	args[0] = 0;
	args[2] = in_table;
	args[3] = 1; /* 4.69 GHz more */
	args[0] = 1U << 2;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_OUT_OF_RANGE);
	/* Asynchronous (never offered), reserved flag bits. */
	args[3] = 0;
	args[0] = 1;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_NOT_SUPPORTED);
	args[0] = 0x10;
	assert_int_equal(send(SCMI_PROTO_CLOCK, 5, args, 4), SCMI_INVALID_PARAMETERS);

	assert_int_equal(dom->requested, before.requested);
	assert_int_equal(dom->cur, before.cur);
	assert_int_equal(dom->rate_sets, before.rate_sets);
	assert_int_equal(dom->hook_calls, before.hook_calls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_base_probe, setup),
	    cmocka_unit_test_setup(test_clock_probe_and_rates, setup),
	    cmocka_unit_test_setup(test_rate_set_moves_the_domain, setup),
	    cmocka_unit_test_setup(test_malformed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
