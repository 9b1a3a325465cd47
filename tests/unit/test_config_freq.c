/* clang-format off */ /* unit-sources: hypervisor/core/config.c hypervisor/core/config_failover.c hypervisor/core/config_freq.c hypervisor/core/config_channel.c hypervisor/core/config_machine.c hypervisor/lib/fdt.c */
/*
 * /frequency-domains of the system description (issue 14): a valid domain parses into its
 * struct, and each broken rule gives its one `config:` line naming node, property and rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dtc.h"

#include "host_libfdt.h" /* before tandem/fdt.h */

#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>

static const uint8_t image[4096];
static uint8_t *blob;
static struct cfg_system sys;

static int lookup(void *ctx, const char *name, const void **data, size_t *size)
{
	*data = image;
	*size = sizeof(image);
	return 0;
}

/* Two VMs, linux privileged, rtos on bind pCPU 2 (wfi unspecified), plus domains. */
static int parse(const char *domains, const char *rt_pool_extra)
{
	char src[4096];
	struct fdt f;
	size_t n;
	int ret;

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\";\n"
		 " pools { pool0 { cpus = <0 1>; scheduler = \"dynamic\"; };\n"
		 "         rt { cpus = <2>; scheduler = \"bind\"; %s }; };\n"
		 " vms { linux { cpus = <2>; memory = <0x0 0x20000000>; kernel = \"Image\";"
		 " privileged; };\n"
		 "       rtos { cpus = <1>; pool = \"rt\"; memory = <0x0 0x4000000>;"
		 " kernel = \"Image\"; }; };\n"
		 " %s\n};\n",
		 rt_pool_extra, domains);
	free(blob);
	blob = dtc(src, "", &n);
	assert_int_equal(fdt_open(&f, blob, n), 0);
	memset(&sys, 0xa5, sizeof(sys));
	ret = cfg_parse(&f, lookup, NULL, &sys);
	if (ret == 0)
		assert_string_equal(sys.err, "");
	else
		assert_int_equal(strncmp(sys.err, "config: ", 8), 0);
	return ret;
}

#define OPPS "operating-points = <400000 800000 800000 900000 1200000 1000000>;"

static void expect_error(const char *domain_props, const char *err)
{
	char domains[1024];

	snprintf(domains, sizeof(domains), "frequency-domains { soc { %s }; };", domain_props);
	assert_int_equal(parse(domains, ""), -ERR_INVAL);
	assert_string_equal(sys.err, err);
}

static void test_valid_domain(void **state)
{
	const struct cfg_freq_domain *d;

	assert_int_equal(parse("frequency-domains { soc { cpus = <0 1 2 3>; " OPPS
			       " power-mw = <100 300 700>; controller = \"linux\";"
			       " floor-khz = <800000>; }; };",
			       ""),
			 0);
	assert_int_equal(sys.nr_freq_domains, 1);
	d = &sys.freq_domains[0];
	assert_string_equal(d->name, "soc");
	assert_int_equal(d->cpus, 0xf);
	assert_int_equal(d->nr_opps, 3);
	assert_int_equal(d->opps[0].khz, 400000);
	assert_int_equal(d->opps[2].uv, 1000000);
	assert_int_equal(d->opps[1].mw, 300);
	assert_true(d->has_power);
	assert_int_equal(d->controller, 0);
	assert_int_equal(d->floor, 1);
	/* The bind pool in the domain traps WFI so its idle time shows (it did not say). */
	assert_int_equal(sys.pools[1].wfi, CFG_WFI_TRAP);
}

static void test_defaults_and_native(void **state)
{
	/* No floor, no power: floor is the lowest point, energy relative only. */
	assert_int_equal(parse("frequency-domains { soc { cpus = <2>; " OPPS
			       " controller = \"linux\"; }; };",
			       "wfi = \"native\";"),
			 0);
	assert_int_equal(sys.freq_domains[0].floor, 0);
	assert_false(sys.freq_domains[0].has_power);
	/* An explicit native stays native: the description insisted. */
	assert_int_equal(sys.pools[1].wfi, CFG_WFI_NATIVE);
	/* No domain at all: nothing changes. */
	assert_int_equal(parse("", ""), 0);
	assert_int_equal(sys.nr_freq_domains, 0);
	assert_int_equal(sys.pools[1].wfi, CFG_WFI_DEFAULT);
}

static void test_rules(void **state)
{
	expect_error("cpus = <0>; operating-points = <800000 900000 400000 800000>; "
		     "controller = \"linux\";",
		     "config: /frequency-domains/soc: operating-points: must be sorted by "
		     "frequency, slowest first, no duplicates (400000 kHz after 800000 kHz)");
	expect_error("cpus = <0>; operating-points = <>; controller = \"linux\";",
		     "config: /frequency-domains/soc: operating-points: must be <kHz uV> pairs, "
		     "slowest first (got 0 bytes)");
	expect_error("cpus = <0>; operating-points = <400000>; controller = \"linux\";",
		     "config: /frequency-domains/soc: operating-points: must be <kHz uV> pairs, "
		     "slowest first (got 4 bytes)");
	expect_error("cpus = <0>; " OPPS,
		     "config: /frequency-domains/soc: controller: required property missing (the "
		     "privileged VM whose cpufreq governor drives this domain)");
	expect_error("cpus = <0>; " OPPS " controller = \"rtos\";",
		     "config: /frequency-domains/soc: controller: VM \"rtos\" is not privileged (a "
		     "domain's clock is shared by other VMs: add `privileged;` to /vms/rtos)");
	expect_error("cpus = <0>; " OPPS " controller = \"nosuch\";",
		     "config: /frequency-domains/soc: controller: unknown VM \"nosuch\" (VMs are "
		     "the subnodes of /vms)");
	expect_error("cpus = <0>; " OPPS " controller = \"linux\"; floor-khz = <600000>;",
		     "config: /frequency-domains/soc: floor-khz: 600000 kHz is not one of the "
		     "operating points");
	expect_error("cpus = <0>; " OPPS " controller = \"linux\"; power-mw = <1 2>;",
		     "config: /frequency-domains/soc: power-mw: must give one mW value per "
		     "operating point (3, got 2)");
	expect_error(OPPS " controller = \"linux\";",
		     "config: /frequency-domains/soc: cpus: required property missing (the pCPUs "
		     "sharing the clock)");
	expect_error("cpus = <0 0>; " OPPS " controller = \"linux\";",
		     "config: /frequency-domains/soc: cpus: pCPU 0 is listed twice");
	expect_error("cpus = <0>; " OPPS " controller = \"linux\"; colour = <1>;",
		     "config: /frequency-domains/soc: colour: unknown property (a frequency "
		     "domain has cpus, operating-points, power-mw, controller, floor-khz)");
}

static void test_two_domains(void **state)
{
	/* A pCPU in two domains. */
	assert_int_equal(parse("frequency-domains { a { cpus = <0 1>; " OPPS
			       " controller = \"linux\"; }; b { cpus = <1 2>; " OPPS
			       " controller = \"linux\"; }; };",
			       ""),
			 -ERR_INVAL);
	assert_string_equal(sys.err, "config: /frequency-domains/b: cpus: pCPU 1 is already in "
				     "frequency domain \"a\" (a pCPU has one clock)");
	/* One VM controlling two domains. */
	assert_int_equal(parse("frequency-domains { a { cpus = <0 1>; " OPPS
			       " controller = \"linux\"; }; b { cpus = <2 3>; " OPPS
			       " controller = \"linux\"; }; };",
			       ""),
			 -ERR_INVAL);
	assert_string_equal(
	    sys.err, "config: /frequency-domains/b: controller: VM \"linux\" already controls "
		     "frequency domain \"a\" (one domain per VM: its vCPUs form one cpufreq "
		     "policy)");
}

static void test_machine(void **state)
{
	struct cfg_resources res = {.nr_pcpus = 4, .free_bytes = GiB(2)};

	assert_int_equal(parse("frequency-domains { soc { cpus = <0 5>; " OPPS
			       " controller = \"linux\"; }; };",
			       ""),
			 0);
	assert_int_equal(cfg_check_resources(&sys, &res), -ERR_INVAL);
	assert_string_equal(sys.err, "config: /frequency-domains/soc: cpus: pCPU 5 does not exist "
				     "(this machine has 4 pCPUs)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_domain), cmocka_unit_test(test_defaults_and_native),
	    cmocka_unit_test(test_rules),	 cmocka_unit_test(test_two_domains),
	    cmocka_unit_test(test_machine),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	free(blob);
	return ret;
}
