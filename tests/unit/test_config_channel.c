/* clang-format off */ /* unit-sources: hypervisor/core/config.c hypervisor/core/config_failover.c hypervisor/core/config_freq.c hypervisor/core/config_channel.c hypervisor/core/config_machine.c hypervisor/lib/fdt.c */
/* clang-format on */
/*
 * Channels in the system description (core/config_channel.c): parsing /channels, then placing
 * each end (window and doorbell SPI) against the VM's RAM, emulated and passed-through devices
 * and other channels. Each rule is checked with its whole error line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dtc.h"

#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>

static const uint8_t kernel_bytes[4096];
static uint8_t *blob;
static struct cfg_system sys;

static int lookup(void *ctx, const char *name, const void **data, size_t *size)
{
	*data = kernel_bytes;
	*size = sizeof(kernel_bytes);
	return 0;
}

/* VMs rtos (RAM 0x40000000+64 MiB) and linux (512 MiB), then the /channels body given. */
static int parse(const char *channels)
{
	char src[4096];
	struct fdt f;
	size_t n;
	int ret;

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\";\n"
		 "	vms {\n"
		 "		rtos { cpus = <1>; memory = <0x0 0x4000000>; kernel = \"r\"; };\n"
		 "		linux { cpus = <2>; memory = <0x0 0x20000000>; kernel = \"l\"; };\n"
		 "	};\n"
		 "	channels { %s };\n"
		 "};\n",
		 channels);
	free(blob);
	blob = NULL; /* a failed compile must not leave it dangling */
	blob = dtc(src, "", &n);
	assert_int_equal(fdt_open(&f, blob, n), 0);
	memset(&sys, 0xa5, sizeof(sys));
	ret = cfg_parse(&f, lookup, NULL, &sys);
	if (ret) {
		assert_int_equal(ret, -ERR_INVAL);
		assert_int_equal(sys.nr_channels, 0);
	} else {
		assert_string_equal(sys.err, "");
	}
	return ret;
}

/* Parses, then places; returns the first error. */
static int parse_place(const char *channels)
{
	int ret = parse(channels);

	return ret ? ret : cfg_place_channels(&sys);
}

static void expect_error(const char *channels, const char *line)
{
	assert_int_equal(parse_place(channels), -ERR_INVAL);
	assert_string_equal(sys.err, line);
}

static void test_one_channel(void **state)
{
	const struct cfg_channel_end *r, *l;

	assert_int_equal(parse("ttu { vms = \"rtos\", \"linux\"; size = <0x0 0x40000>; };"), 0);
	assert_int_equal(sys.nr_channels, 1);
	assert_string_equal(sys.channels[0].name, "ttu");
	assert_int_equal(sys.channels[0].vm[0], 0);
	assert_int_equal(sys.channels[0].vm[1], 1);
	assert_int_equal(sys.channels[0].size, 0x40000);
	assert_false(sys.channels[0].ipa_fixed[0]);
	assert_false(sys.channels[0].ipa_fixed[1]);

	assert_int_equal(cfg_place_channels(&sys), 0);
	/* Tandem's choice: 32 GiB, clear of any RAM; the highest SPI for the doorbell. */
	assert_int_equal(sys.vms[0].nr_channels, 1);
	assert_int_equal(sys.vms[1].nr_channels, 1);
	r = &sys.vms[0].channels[0];
	l = &sys.vms[1].channels[0];
	assert_int_equal(r->id, 0);
	assert_int_equal(r->side, 0);
	assert_int_equal(r->peer_vm, 1);
	assert_int_equal(r->ipa, 0x800000000ULL);
	assert_int_equal(r->size, 0x40000);
	assert_int_equal(r->doorbell, 127);
	assert_string_equal(r->name, "ttu");
	assert_string_equal(r->peer, "linux");
	assert_int_equal(l->side, 1);
	assert_int_equal(l->peer_vm, 0);
	assert_string_equal(l->peer, "rtos");
	assert_int_equal(l->ipa, 0x800000000ULL);
	assert_int_equal(l->doorbell, 127);
	assert_int_equal(sys.channels[0].doorbell[0], 127);
	assert_int_equal(sys.channels[0].ipa[1], 0x800000000ULL);
	/* No "protocol": the vserial ring's channel, nothing extra in the guests' nodes. */
	assert_string_equal(r->protocol, "");
	assert_string_equal(l->protocol, "");
}

/* protocol = "name": kept for both ends' nodes; one valid name or one error line. */
static void test_protocol(void **state)
{
	assert_int_equal(
	    parse_place(
		"bs { vms = \"rtos\", \"linux\"; size = <0x1000>; protocol = \"records\"; };"),
	    0);
	assert_string_equal(sys.channels[0].protocol, "records");
	assert_string_equal(sys.vms[0].channels[0].protocol, "records");
	assert_string_equal(sys.vms[1].channels[0].protocol, "records");
	expect_error("bs { vms = \"rtos\", \"linux\"; size = <0x1000>; protocol = <1>; };",
		     "config: /channels/bs: protocol: must be one name of 1 to 31 characters "
		     "(letters, digits, \",._+-@\") like \"records\"");
	expect_error("bs { vms = \"rtos\", \"linux\"; size = <0x1000>; protocol = \"a\", \"b\"; };",
		     "config: /channels/bs: protocol: must be one name of 1 to 31 characters "
		     "(letters, digits, \",._+-@\") like \"records\"");
	expect_error("bs { vms = \"rtos\", \"linux\"; size = <0x1000>; protocol = \"re cords\"; };",
		     "config: /channels/bs: protocol: must be one name of 1 to 31 characters "
		     "(letters, digits, \",._+-@\") like \"records\"");
}

/* The watchdog's WS0 SPI: the highest free one after the doorbells, in that VM only. */
static void test_watchdog_spi(void **state)
{
	assert_int_equal(parse("ttu { vms = \"rtos\", \"linux\"; size = <0x0 0x40000>; };"), 0);
	sys.vms[1].watchdog = true;
	assert_int_equal(cfg_place_channels(&sys), 0);
	assert_int_equal(sys.vms[1].channels[0].doorbell, 127);
	assert_int_equal(sys.vms[1].watchdog_spi, 126);
	assert_int_equal(sys.vms[0].watchdog_spi, 0);
	/* Placed again (idempotent): the doorbell does not move onto the watchdog's SPI. */
	assert_int_equal(cfg_place_channels(&sys), 0);
	assert_int_equal(sys.vms[1].channels[0].doorbell, 127);
	assert_int_equal(sys.vms[1].watchdog_spi, 126);
}

static void test_placement(void **state)
{
	const struct cfg_channel_end *e;

	/* Three channels; the second fixed in rtos only (its side 1), at a 4 KiB-aligned IPA. */
	assert_int_equal(parse_place("a { vms = \"rtos\", \"linux\"; size = <0x1000>; };"
				     "b { vms = \"linux\", \"rtos\"; size = <0x0 0x300000>;"
				     "    ipa = <0x0 0x0 0x8 0x1000>; };"
				     "c { vms = \"rtos\", \"linux\"; size = <0x2000>; ipa = <0x0 "
				     "0x70000000>; };"),
			 0);
	/* rtos: fixed windows first (b's side 1, c), then a in the page below b. */
	e = sys.vms[0].channels;
	assert_int_equal(sys.vms[0].nr_channels, 3);
	assert_int_equal(e[1].side, 1);
	assert_int_equal(e[1].ipa, 0x800001000ULL);
	assert_int_equal(e[2].ipa, 0x70000000);
	assert_int_equal(e[0].ipa, 0x800000000ULL);
	assert_int_equal(e[0].doorbell, 127);
	assert_int_equal(e[1].doorbell, 126);
	assert_int_equal(e[2].doorbell, 125);
	/* linux: a at 32 GiB, b (Tandem's choice there) in the next 2 MiB. */
	e = sys.vms[1].channels;
	assert_int_equal(e[0].ipa, 0x800000000ULL);
	assert_int_equal(e[1].ipa, 0x800200000ULL);
	assert_int_equal(e[2].ipa, 0x70000000);
	/* Same IPA in both (2 cells). */
	assert_true(sys.channels[2].ipa_fixed[0] && sys.channels[2].ipa_fixed[1]);
	assert_true(!sys.channels[1].ipa_fixed[0] && sys.channels[1].ipa_fixed[1]);
}

static void test_vms_rules(void **state)
{
	expect_error("x { vms = \"rtos\", \"bsd\"; size = <0x1000>; };",
		     "config: /channels/x: vms: unknown VM \"bsd\" (VMs are the subnodes of /vms)");
	expect_error("x { vms = \"linux\", \"linux\"; size = <0x1000>; };",
		     "config: /channels/x: vms: names VM \"linux\" at both ends (a channel joins "
		     "two different VMs)");
	expect_error("x { vms = \"linux\"; size = <0x1000>; };",
		     "config: /channels/x: vms: names one VM (a channel joins two: vms = \"a\", "
		     "\"b\")");
	expect_error("x { vms = \"linux\", \"rtos\", \"linux\"; size = <0x1000>; };",
		     "config: /channels/x: vms: names more than two VMs (a channel joins two)");
	expect_error("x { vms = <1 2>; size = <0x1000>; };",
		     "config: /channels/x: vms: must be two VM names like \"rtos\", \"linux\"");
	expect_error("x { size = <0x1000>; };",
		     "config: /channels/x: vms: required property missing (the two VMs it joins)");
}

static void test_size_rules(void **state)
{
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x0 0x0>; };",
		     "config: /channels/x: size: must be greater than 0");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1800>; };",
		     "config: /channels/x: size: must be a multiple of 4 KiB, the page size (got "
		     "0x1800)");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1 0x0>; };",
		     "config: /channels/x: size: must be at most 1 GiB (got 0x100000000)");
	expect_error("x { vms = \"rtos\", \"linux\"; size = \"bigger\"; };",
		     "config: /channels/x: size: must be 1 or 2 cells of bytes like <0x0 0x40000> "
		     "(got 7 bytes)");
	expect_error("x { vms = \"rtos\", \"linux\"; };",
		     "config: /channels/x: size: required property missing (bytes, a multiple of "
		     "4 KiB)");
}

static void test_ipa_rules(void **state)
{
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; ipa = <0x0 0x70000800>; };",
		     "config: /channels/x: ipa: 0x70000800 must be a multiple of 4 KiB, the page "
		     "size");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; ipa = <0x0>; };",
		     "config: /channels/x: ipa: must be <hi lo> for both ends or <hi lo hi lo> for "
		     "each (got 4 bytes)");
	/* In linux's RAM (0x40000000+512 MiB), not in rtos's (64 MiB). */
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x2000>; ipa = <0x0 0x50000000>; };",
		     "config: /channels/x: ipa: 0x50000000+0x2000 in VM linux overlaps its RAM at "
		     "0x40000000+0x20000000");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; ipa = <0x0 0x8000000 0x0 "
		     "0x70000000>; };",
		     "config: /channels/x: ipa: 0x8000000+0x1000 in VM rtos overlaps its emulated "
		     "GIC distributor at 0x8000000+0x10000");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; ipa = <0x0 0x70000000 0x0 "
		     "0x9000000>; };",
		     "config: /channels/x: ipa: 0x9000000+0x1000 in VM linux overlaps its emulated "
		     "UART at 0x9000000+0x1000");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x2000>; ipa = <0x7f 0xfffff000>; };",
		     "config: /channels/x: ipa: 0x7ffffff000+0x2000 in VM rtos ends beyond the "
		     "39-bit guest-physical space");
	/* Two channels at overlapping fixed IPAs in the same VM. */
	expect_error("a { vms = \"rtos\", \"linux\"; size = <0x4000>; ipa = <0x0 0x70000000>; };"
		     "b { vms = \"linux\", \"rtos\"; size = <0x1000>; ipa = <0x0 0x70003000>; };",
		     "config: /channels/b: ipa: 0x70003000+0x1000 in VM rtos overlaps channel a at "
		     "0x70000000+0x4000");
	/* ... but the same IPA in two different VMs is fine. */
	assert_int_equal(parse_place("a { vms = \"rtos\", \"linux\"; size = <0x4000>; ipa = <0x0 "
				     "0x70000000 0x0 0x0>; };"
				     "b { vms = \"linux\", \"rtos\"; size = <0x1000>; ipa = <0x0 "
				     "0x70000000 0x0 0x0>; };"),
			 0);
}

static void test_syntax_rules(void **state)
{
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; colour = \"red\"; };",
		     "config: /channels/x: colour: unknown property (a channel has vms, size, ipa, "
		     "protocol)");
	expect_error("x { vms = \"rtos\", \"linux\"; size = <0x1000>; y { }; };",
		     "config: /channels/x: unknown node (a channel node has properties only)");
	expect_error("n = <1>; x { vms = \"rtos\", \"linux\"; size = <0x1000>; };",
		     "config: /channels: n: unknown property (channels are the subnodes of "
		     "/channels)");
	expect_error("averyveryveryveryverylongchannelname { vms = \"rtos\", \"linux\"; size = "
		     "<0x1000>; };",
		     "config: /channels/averyveryveryveryverylongchannelname: node name: must be 1 "
		     "to 31 letters, digits or ,._+-@");
	assert_int_equal(parse(""), 0); /* an empty /channels is fine */
	assert_int_equal(sys.nr_channels, 0);
}

/* A passed-through device's pages and SPIs are the VM's own: windows and doorbells avoid them. */
static void test_passthrough_avoided(void **state)
{
	struct cfg_passthrough *pt, saved;

	assert_int_equal(parse("x { vms = \"rtos\", \"linux\"; size = <0x0 0x200000>; };"), 0);
	pt = &sys.vms[0].pt[0];
	sys.vms[0].nr_pt = 1;
	memset(pt, 0, sizeof(*pt));
	pt->path = "/pcie@10000000";
	pt->nr_reg = 1;
	pt->reg_base[0] = 0x800000000ULL; /* right where the first window would go */
	pt->reg_size[0] = 0x100800;
	pt->nr_irqs = 2;
	pt->irqs[0] = 127;
	pt->irqs[1] = 126;
	saved = *pt;
	assert_int_equal(cfg_place_channels(&sys), 0);
	assert_int_equal(sys.vms[0].channels[0].ipa, 0x800200000ULL);
	assert_int_equal(sys.vms[0].channels[0].doorbell, 125);
	assert_int_equal(sys.vms[1].channels[0].ipa, 0x800000000ULL);
	assert_int_equal(sys.vms[1].channels[0].doorbell, 127);

	/* A fixed window on the device is refused, naming it. */
	assert_int_equal(parse("x { vms = \"rtos\", \"linux\"; size = <0x1000>; ipa = <0x8 "
			       "0x100000>; };"),
			 0);
	sys.vms[0].nr_pt = 1;
	sys.vms[0].pt[0] = saved;
	assert_int_equal(cfg_place_channels(&sys), -ERR_INVAL);
	assert_string_equal(sys.err, "config: /channels/x: ipa: 0x800100000+0x1000 in VM rtos "
				     "overlaps its passed-through device /pcie@10000000 at "
				     "0x800000000+0x101000");
}

static void test_resources(void **state)
{
	struct cfg_resources res = {.nr_pcpus = 2, .free_bytes = 0x24000000 + 0x40000};

	assert_int_equal(parse("x { vms = \"rtos\", \"linux\"; size = <0x40000>; };"), 0);
	assert_int_equal(cfg_check_resources(&sys, &res), 0);
	res.free_bytes -= 0x1000;
	assert_int_equal(cfg_check_resources(&sys, &res), -ERR_INVAL);
	assert_string_equal(sys.err, "config: /channels/x: size: 0x40000 bytes requested but only "
				     "0 MiB left once the VMs have their RAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watchdog_spi),
	    cmocka_unit_test(test_one_channel),
	    cmocka_unit_test(test_protocol),
	    cmocka_unit_test(test_placement),
	    cmocka_unit_test(test_vms_rules),
	    cmocka_unit_test(test_size_rules),
	    cmocka_unit_test(test_ipa_rules),
	    cmocka_unit_test(test_syntax_rules),
	    cmocka_unit_test(test_passthrough_avoided),
	    cmocka_unit_test(test_resources),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	free(blob);
	return ret;
}
