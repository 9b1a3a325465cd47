/* clang-format off */ /* unit-sources: hypervisor/core/config.c hypervisor/core/config_failover.c hypervisor/core/config_channel.c hypervisor/core/config_freq.c hypervisor/core/config_machine.c hypervisor/lib/fdt.c */
/*
 * System-description validation: the minimal valid example, then one test per rule, each
 * checking the whole error line (node, property, rule). Unit tests link the real
 * common/format.c, so the messages are formatted exactly as on the target.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dtc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_libfdt.h" /* before tandem/fdt.h */

#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>

/* The boot bundle stand-in: images by name. */
static const uint8_t kernel_bytes[4096], initrd_bytes[100];
static const struct {
	const char *name;
	const void *data;
	size_t size;
} bundle[] = {
    {"Image", kernel_bytes, sizeof(kernel_bytes)},
    {"rtos.bin", kernel_bytes, 512},
    {"initrd.gz", initrd_bytes, sizeof(initrd_bytes)},
    {"empty", kernel_bytes, 0},
};
static unsigned lookups;

static int lookup(void *ctx, const char *name, const void **data, size_t *size)
{
	assert_ptr_equal(ctx, &lookups);
	lookups++;
	for (size_t i = 0; i < sizeof(bundle) / sizeof(bundle[0]); i++) {
		if (strcmp(bundle[i].name, name) == 0) {
			*data = bundle[i].data;
			*size = bundle[i].size;
			return 0;
		}
	}
	return -ERR_NOENT;
}

/* The blob of the last parse: cfg_image names point into it, so it lives until the next. */
static uint8_t *blob;
static size_t blob_size;
static struct cfg_system sys;

static int parse_blob(size_t size)
{
	struct fdt f;

	blob_size = size;
	assert_int_equal(fdt_open(&f, blob, size), 0);
	memset(&sys, 0xa5, sizeof(sys)); /* cfg_parse must not rely on a zeroed output */
	int ret = cfg_parse(&f, lookup, &lookups, &sys);
	/* The contract: 0 with no message, or -ERR_INVAL with one line starting "config: ". */
	if (ret == 0) {
		assert_string_equal(sys.err, "");
	} else {
		assert_int_equal(ret, -ERR_INVAL);
		assert_int_equal(strncmp(sys.err, "config: ", 8), 0);
		assert_null(strchr(sys.err, '\n'));
		assert_int_equal(sys.nr_vms, 0);
	}
	return ret;
}

/* Compiles a whole description with dtc and parses it. */
static int parse_dts(const char *src)
{
	size_t n;

	free(blob);
	blob = NULL; /* a failed compile must not leave it dangling */
	blob = dtc(src, "", &n);
	return parse_blob(n);
}

/* A description with one VM "linux" whose properties are props (dts syntax). */
static int parse_vm(const char *props)
{
	char src[2048];

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\";\n"
		 "	vms { linux { %s }; };\n};\n",
		 props);
	return parse_dts(src);
}

#define GOOD "cpus = <2>; memory = <0x0 0x20000000>; kernel = \"Image\";"

/* Hand-built descriptions (what dtc refuses to produce), with libfdt's sequential writer. */
#define HAND_SIZE 8192

static void w_begin(const char *name)
{
	assert_int_equal(fdt_begin_node(blob, name), 0);
}

static void w_end(void)
{
	assert_int_equal(fdt_end_node(blob), 0);
}

static void w_prop(const char *name, const void *val, int len)
{
	assert_int_equal(fdt_property(blob, name, val, len), 0);
}

static void w_u32(const char *name, uint32_t v)
{
	assert_int_equal(fdt_property_u32(blob, name, v), 0);
}

/* Opens the root (compatible "tandem,system") and /vms. */
static void begin_system(void)
{
	free(blob);
	blob = malloc(HAND_SIZE);
	assert_int_equal(fdt_create(blob, HAND_SIZE), 0);
	assert_int_equal(fdt_finish_reservemap(blob), 0);
	w_begin("");
	assert_int_equal(fdt_property_string(blob, "compatible", "tandem,system"), 0);
	w_begin("vms");
}

static void good_props(void)
{
	w_u32("cpus", 1);
	assert_int_equal(fdt_property_u64(blob, "memory", 0x200000), 0);
	assert_int_equal(fdt_property_string(blob, "kernel", "Image"), 0);
}

static int end_system(void)
{
	w_end();
	w_end();
	assert_int_equal(fdt_finish(blob), 0);
	return parse_blob(fdt_totalsize(blob));
}

static void test_minimal_valid(void **state)
{
	lookups = 0;
	assert_int_equal(parse_vm(GOOD), 0);
	assert_int_equal(sys.nr_vms, 1);
	assert_string_equal(sys.vms[0].name, "linux");
	assert_int_equal(sys.vms[0].nr_vcpus, 2);
	assert_int_equal(sys.vms[0].mem_size, 0x20000000);
	assert_string_equal(sys.vms[0].kernel.name, "Image");
	assert_ptr_equal(sys.vms[0].kernel.data, kernel_bytes);
	assert_int_equal(sys.vms[0].kernel.size, sizeof(kernel_bytes));
	assert_null(sys.vms[0].initrd.name);
	assert_null(sys.vms[0].initrd.data);
	assert_int_equal(sys.vms[0].initrd.size, 0);
	assert_string_equal(sys.vms[0].bootargs, "");
	assert_int_equal(sys.vms[0].on_reset, CFG_ON_RESET_RESTART);
	assert_int_equal(lookups, 1);
}

static void test_full_system(void **state)
{
	assert_int_equal(
	    parse_dts("/dts-v1/;\n/ { compatible = \"acme,board\", \"tandem,system\";\n"
		      "	model = \"board\"; #address-cells = <2>; #size-cells = <2>;\n"
		      "	chosen { x = <&l>; /* gives linux a phandle, ignored */ anything { }; };\n"
		      "	aliases { serial0 = \"/vms/linux\"; };\n"
		      "	vms {\n"
		      "		l: linux { cpus = <3>; memory = <0x1 0x0>; kernel = \"Image\";\n"
		      "			initrd = \"initrd.gz\"; on-reset = \"restart\";\n"
		      "			bootargs = \"console=ttyAMA0 earlycon\"; };\n"
		      "		rtos { cpus = <1>; memory = <0x200000>; kernel = \"rtos.bin\";\n"
		      "			on-reset = \"stop\"; };\n"
		      "	};\n"
		      "};\n"),
	    0);
	assert_int_equal(sys.nr_vms, 2);
	assert_string_equal(sys.vms[0].name, "linux");
	assert_int_equal(sys.vms[0].nr_vcpus, 3);
	assert_int_equal(sys.vms[0].mem_size, 0x100000000ULL);
	assert_string_equal(sys.vms[0].initrd.name, "initrd.gz");
	assert_ptr_equal(sys.vms[0].initrd.data, initrd_bytes);
	assert_int_equal(sys.vms[0].initrd.size, sizeof(initrd_bytes));
	assert_string_equal(sys.vms[0].bootargs, "console=ttyAMA0 earlycon");
	assert_int_equal(sys.vms[0].on_reset, CFG_ON_RESET_RESTART);
	assert_string_equal(sys.vms[1].name, "rtos");
	assert_int_equal(sys.vms[1].nr_vcpus, 1);
	assert_int_equal(sys.vms[1].mem_size, 0x200000);
	assert_int_equal(sys.vms[1].kernel.size, 512);
	assert_int_equal(sys.vms[1].on_reset, CFG_ON_RESET_STOP);
}

/* The failing parse gave exactly this one line. */
static void expect(int ret, const char *line)
{
	assert_int_equal(ret, -ERR_INVAL);
	assert_string_equal(sys.err, line);
}

/* An invalid input and the one error line it must give. */
struct bad_case {
	const char *src;
	const char *line;
};

/* parse(base, then each case's src) must fail with exactly that case's line. */
static void expect_each(int (*parse)(const char *), const char *base, const struct bad_case *cases,
			size_t n)
{
	char src[1024];

	for (size_t i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "%s%s%s", base, *base ? " " : "", cases[i].src);
		int ret = parse(src);

		if (ret != -ERR_INVAL || strcmp(sys.err, cases[i].line) != 0)
			fail_msg("%s\n  gave %d \"%s\"\n  want \"%s\"", src, ret, sys.err,
				 cases[i].line);
	}
}
#define EXPECT_EACH(parse, base, cases)                                                            \
	expect_each(parse, base, cases, sizeof(cases) / sizeof((cases)[0]))

static void test_root_compatible(void **state)
{
	static const struct bad_case cases[] = {
	    {"/ { compatible = \"linux,dummy-virt\"; vms { linux { " GOOD " }; }; };",
	     "config: /: compatible: must be \"tandem,system\" (got \"linux,dummy-virt\")"},
	    {"/ { vms { linux { " GOOD " }; }; };",
	     "config: /: compatible: required property missing (must be \"tandem,system\")"},
	    {"/ { compatible = <1>; vms { linux { " GOOD " }; }; };",
	     "config: /: compatible: must be \"tandem,system\""},
	};

	EXPECT_EACH(parse_dts, "/dts-v1/;", cases);
}

static void test_root_children(void **state)
{
	static const struct bad_case cases[] = {
	    {"cpus { }; vms { linux { " GOOD " }; }; };",
	     "config: /cpus: unknown node (the root may hold vms, pools, channels, "
	     "frequency-domains, failover-groups, chosen, aliases)"},
	    {"vms@0 { linux { " GOOD " }; }; };",
	     "config: /vms@0: unknown node (the root may hold vms, pools, channels, "
	     "frequency-domains, failover-groups, chosen, aliases)"},
	    {"chosen { }; };", "config: /vms: required node missing (it holds one node per VM)"},
	    {"vms { }; };", "config: /vms: no VMs (at least one VM node is required)"},
	    {"vms { #size-cells = <0>; linux { " GOOD " }; }; };",
	     "config: /vms: #size-cells: unknown property (VMs are the subnodes of /vms)"},
	    /* Root properties beyond the standard ones are typos too. */
	    {"modle = \"x\"; vms { linux { " GOOD " }; }; };",
	     "config: /: modle: unknown property (the root holds compatible, model, "
	     "scrub-boot-memory and console)"},
	    {"scrub-boot-memory = <1>; vms { linux { " GOOD " }; }; };",
	     "config: /: scrub-boot-memory: takes no value (write `scrub-boot-memory;`)"},
	    /* console: the name of a VM that takes the console UART. */
	    {"console = \"rtos\"; vms { linux { " GOOD " }; }; };",
	     "config: /: console: no VM named \"rtos\" under /vms (the VM that takes the console "
	     "UART)"},
	    {"console = <1>; vms { linux { " GOOD " }; }; };",
	     "config: /: console: must be the name of the VM that takes the console UART (a "
	     "string)"},
	    {"console = \"\"; vms { linux { " GOOD " }; }; };",
	     "config: /: console: must be the name of the VM that takes the console UART (a "
	     "string)"},
	};

	EXPECT_EACH(parse_dts, "/dts-v1/; / { compatible = \"tandem,system\";", cases);

	/* scrub-boot-memory: off unless given. */
	assert_int_equal(parse_dts("/dts-v1/; / { compatible = \"tandem,system\"; vms { linux { " GOOD
				   " }; }; };"),
			 0);
	assert_false(sys.scrub_boot_memory);
	assert_int_equal(parse_dts("/dts-v1/; / { compatible = \"tandem,system\"; "
				   "scrub-boot-memory; vms { linux { " GOOD " }; }; };"),
			 0);
	assert_true(sys.scrub_boot_memory);
	assert_false(sys.vms[0].console_uart);

	/* console = "linux": that VM gets the UART, no other. */
	assert_int_equal(parse_dts("/dts-v1/; / { compatible = \"tandem,system\"; console = "
				   "\"linux\"; vms { linux { " GOOD " }; rtos { " GOOD " }; }; };"),
			 0);
	assert_true(sys.vms[0].console_uart);
	assert_false(sys.vms[1].console_uart);

	/* Two /vms nodes: dtc merges them, so build the blob by hand. */
	begin_system();
	w_begin("a");
	good_props();
	w_end();
	w_end();
	w_begin("vms");
	expect(end_system(), "config: /vms: duplicate node");
}

static void test_vm_names(void **state)
{
	char src[512];
	const char *name31 = "abcdefghijklmnopqrstuvwxyz01234";

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\"; vms { %s { " GOOD " }; }; };",
		 name31);
	assert_int_equal(parse_dts(src), 0);
	assert_string_equal(sys.vms[0].name, name31);
	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\"; vms { %s5 { " GOOD " }; }; };",
		 name31);
	expect(parse_dts(src), "config: /vms/abcdefghijklmnopqrstuvwxyz012345: node name: longer "
			       "than 31 characters");

	/* Duplicates and odd characters: dtc would merge or refuse them. */
	begin_system();
	for (int i = 0; i < 2; i++) {
		w_begin("twin");
		good_props();
		w_end();
	}
	expect(end_system(), "config: /vms/twin: duplicate VM name 'twin'");

	begin_system();
	w_begin("bad\nname");
	good_props();
	w_end();
	expect(end_system(), "config: /vms/bad?name: node name: invalid character (use letters, "
			     "digits, ,._+-@)");
}

static void test_too_many_vms(void **state)
{
	begin_system();
	for (int i = 0; i <= CFG_MAX_VMS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%d", i);
		w_begin(name);
		good_props();
		w_end();
	}
	expect(end_system(), "config: /vms/vm8: too many VMs (at most 8)");

	begin_system();
	for (int i = 0; i < CFG_MAX_VMS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%d", i);
		w_begin(name);
		good_props();
		w_end();
	}
	assert_int_equal(end_system(), 0);
	assert_int_equal(sys.nr_vms, CFG_MAX_VMS);
	assert_string_equal(sys.vms[7].name, "vm7");
}

static void test_cpus(void **state)
{
	const char *rest = "memory = <0x0 0x20000000>; kernel = \"Image\";";
	char props[256];

	for (unsigned n = 1; n <= CFG_MAX_VCPUS; n++) {
		snprintf(props, sizeof(props), "cpus = <%u>; %s", n, rest);
		assert_int_equal(parse_vm(props), 0);
		assert_int_equal(sys.vms[0].nr_vcpus, n);
	}
	static const struct bad_case cases[] = {
	    {"cpus = <0>;", "config: /vms/linux: cpus: must be between 1 and 8 (got 0)"},
	    {"cpus = <9>;", "config: /vms/linux: cpus: must be between 1 and 8 (got 9)"},
	    {"cpus = <0 2>;", "config: /vms/linux: cpus: must be one 32-bit cell (got 8 bytes)"},
	    {"cpus = \"two\";",
	     "config: /vms/linux: cpus: must be a number like <2>, not the string \"two\""},
	    {"cpus;", "config: /vms/linux: cpus: must be one 32-bit cell (got 0 bytes)"},
	    {"", "config: /vms/linux: cpus: required property missing"},
	};

	EXPECT_EACH(parse_vm, rest, cases);
}

static void test_memory(void **state)
{
	const char *rest = "cpus = <1>; kernel = \"Image\";";
	char props[256];

	snprintf(props, sizeof(props), "memory = <0x200000>; %s", rest);
	assert_int_equal(parse_vm(props), 0);
	assert_int_equal(sys.vms[0].mem_size, MiB(2));
	snprintf(props, sizeof(props), "memory = <0x80 0x600000>; %s", rest);
	assert_int_equal(parse_vm(props), 0);
	assert_int_equal(sys.vms[0].mem_size, 0x8000600000ULL);

	static const struct bad_case cases[] = {
	    {"memory = <0x1234>;",
	     "config: /vms/linux: memory: must be a multiple of 2 MiB (got 0x1234)"},
	    {"memory = <0x1 0x100000>;",
	     "config: /vms/linux: memory: must be a multiple of 2 MiB (got 0x100100000)"},
	    {"memory = <0x0 0x0>;", "config: /vms/linux: memory: must be greater than 0"},
	    {"memory = <0 0 0x200000>;",
	     "config: /vms/linux: memory: must be 1 or 2 cells of bytes (got 12 bytes)"},
	    {"memory = \"512M\";", "config: /vms/linux: memory: must be a size in bytes like <0x0 "
				   "0x20000000>, not a string"},
	    {"", "config: /vms/linux: memory: required property missing (or static-mem)"},
	};

	EXPECT_EACH(parse_vm, rest, cases);
}

static void test_images(void **state)
{
	const char *rest = "cpus = <1>; memory = <0x200000>;";
	char props[256];
	static const struct bad_case cases[] = {
	    {"", "config: /vms/linux: kernel: required property missing"},
	    {"kernel = \"nope/Image\";",
	     "config: /vms/linux: kernel: image 'nope/Image' not found in the boot bundle"},
	    {"kernel = \"Image\", \"initrd.gz\";",
	     "config: /vms/linux: kernel: must be a single string, not a list"},
	    {"kernel = \"\";",
	     "config: /vms/linux: kernel: must name an image in the boot bundle (got \"\")"},
	    {"kernel = \"empty\";", "config: /vms/linux: kernel: image 'empty' is empty"},
	    {"kernel = <1>;", "config: /vms/linux: kernel: must be a NUL-terminated string"},
	    {"kernel = \"Image\"; initrd = \"missing.gz\";",
	     "config: /vms/linux: initrd: image 'missing.gz' not found in the boot bundle"},
	};

	EXPECT_EACH(parse_vm, rest, cases);

	/* A string property cut short of its NUL (dtc always terminates: build it by hand). */
	begin_system();
	w_begin("linux");
	w_u32("cpus", 1);
	assert_int_equal(fdt_property_u64(blob, "memory", 0x200000), 0);
	w_prop("kernel", "Image", 5);
	w_end();
	expect(end_system(), "config: /vms/linux: kernel: must be a NUL-terminated string");

	/* Without a lookup function nothing can be found. */
	struct fdt f;
	snprintf(props, sizeof(props), "%s kernel = \"Image\";", rest);
	assert_int_equal(parse_vm(props), 0);
	assert_int_equal(fdt_open(&f, blob, blob_size), 0);
	assert_int_equal(cfg_parse(&f, NULL, NULL, &sys), -ERR_INVAL);
	assert_string_equal(
	    sys.err, "config: /vms/linux: kernel: image 'Image' not found in the boot bundle");
}

static void test_bootargs(void **state)
{
	char props[700], args[600];

	memset(args, 'a', sizeof(args));
	args[CFG_BOOTARGS_MAX - 1] = '\0';
	snprintf(props, sizeof(props), GOOD " bootargs = \"%s\";", args);
	assert_int_equal(parse_vm(props), 0);
	assert_string_equal(sys.vms[0].bootargs, args);
	args[CFG_BOOTARGS_MAX - 1] = 'a';
	args[CFG_BOOTARGS_MAX] = '\0';
	snprintf(props, sizeof(props), GOOD " bootargs = \"%s\";", args);
	expect(parse_vm(props),
	       "config: /vms/linux: bootargs: longer than 511 characters (got 512)");
	expect(parse_vm(GOOD " bootargs = <7>;"),
	       "config: /vms/linux: bootargs: must be a NUL-terminated string");
}

static void test_on_reset(void **state)
{
	assert_int_equal(parse_vm(GOOD " on-reset = \"stop\";"), 0);
	assert_int_equal(sys.vms[0].on_reset, CFG_ON_RESET_STOP);
	assert_int_equal(parse_vm(GOOD " on-reset = \"restart\";"), 0);
	assert_int_equal(sys.vms[0].on_reset, CFG_ON_RESET_RESTART);
	expect(parse_vm(GOOD " on-reset = \"reboot\";"),
	       "config: /vms/linux: on-reset: must be \"restart\" or \"stop\" (got \"reboot\")");
	expect(parse_vm(GOOD " on-reset;"),
	       "config: /vms/linux: on-reset: must be a NUL-terminated string");
}

static void test_watchdog_and_on_failure(void **state)
{
	assert_int_equal(parse_vm(GOOD), 0);
	assert_false(sys.vms[0].watchdog);
	assert_int_equal(sys.vms[0].on_failure, CFG_ON_FAILURE_RESTART);
	assert_int_equal(parse_vm(GOOD " watchdog; on-failure = \"stop\";"), 0);
	assert_true(sys.vms[0].watchdog);
	assert_int_equal(sys.vms[0].on_failure, CFG_ON_FAILURE_STOP);
	assert_int_equal(parse_vm(GOOD " on-failure = \"restart\";"), 0);
	assert_int_equal(sys.vms[0].on_failure, CFG_ON_FAILURE_RESTART);
	expect(parse_vm(GOOD " on-failure = \"failover\";"),
	       "config: /vms/linux: on-failure: must be \"restart\" or \"stop\" (got "
	       "\"failover\")");
	assert_int_equal(sys.vms[0].on_unmapped, CFG_ON_UNMAPPED_ABORT);
	assert_int_equal(parse_vm(GOOD " on-unmapped-access = \"fail\";"), 0);
	assert_int_equal(sys.vms[0].on_unmapped, CFG_ON_UNMAPPED_FAIL);
	assert_int_equal(parse_vm(GOOD " on-unmapped-access = \"abort\";"), 0);
	assert_int_equal(sys.vms[0].on_unmapped, CFG_ON_UNMAPPED_ABORT);
	expect(parse_vm(GOOD " on-unmapped-access = \"stop\";"),
	       "config: /vms/linux: on-unmapped-access: must be \"abort\" or \"fail\" (got "
	       "\"stop\")");
	expect(parse_vm(GOOD " watchdog = <10>;"),
	       "config: /vms/linux: watchdog: takes no value (write `watchdog;`; what a failure "
	       "does is `on-failure`)");
}

static void test_unknown_and_duplicate(void **state)
{
	expect(parse_vm("cpus = <2>; memory = <0x0 0x20000000>; colour = \"blue\"; kernel = "
			"\"Image\";"),
	       "config: /vms/linux: colour: unknown property");
	expect(parse_vm(GOOD " console { };"),
	       "config: /vms/linux/console: unknown node (a VM node has properties only)");

	begin_system();
	w_begin("linux");
	good_props();
	w_u32("cpus", 2);
	w_end();
	expect(end_system(), "config: /vms/linux: cpus: given more than once");

	/* Names from the blob never break the one-line rule. */
	begin_system();
	w_begin("linux");
	good_props();
	w_u32("two\nlines\x7f", 2);
	w_end();
	expect(end_system(), "config: /vms/linux: two?lines?: unknown property");
}

/* A system with pools P and one VM with properties V. */
static int parse_pools(const char *pools, const char *vm)
{
	char src[1024];

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\"; pools { %s }; vms { linux { %s }; "
		 "}; };",
		 pools, vm);
	return parse_dts(src);
}

static void test_pools(void **state)
{
	/* The shape of the default system: pool0 first, then declared pools in order. */
	assert_int_equal(
	    parse_pools("pool0 { cpus = <0 1>; scheduler = \"dynamic\"; }; "
			"rt { cpus = <2>; scheduler = \"bind\"; wfi = \"native\"; }; "
			"spare { cpus = <>; scheduler = \"dynamic\"; slice-us = <500>; };",
			GOOD " pool = \"rt\";"),
	    0);
	assert_int_equal(sys.nr_pools, 3);
	assert_string_equal(sys.pools[0].name, "pool0");
	assert_int_equal(sys.pools[0].cpus, 0x3);
	assert_int_equal(sys.pools[1].scheduler, CFG_SCHED_BIND);
	assert_int_equal(sys.pools[1].wfi, CFG_WFI_NATIVE);
	assert_int_equal(sys.pools[2].cpus, 0);
	assert_int_equal(sys.pools[2].slice_us, 500);
	assert_int_equal(sys.vms[0].pool, 1);
	assert_false(sys.vms[0].privileged);

	/* Without /pools, one implicit dynamic pool0; a VM defaults to it with weight 256. */
	assert_int_equal(
	    parse_dts("/dts-v1/;\n/ { compatible = \"tandem,system\"; vms { linux { " GOOD
		      " privileged; budget-us = <200>; period-us = <1000>; }; }; };"),
	    0);
	assert_int_equal(sys.nr_pools, 1);
	assert_int_equal(sys.pools[0].scheduler, CFG_SCHED_DYNAMIC);
	assert_int_equal(sys.vms[0].pool, 0);
	assert_true(sys.vms[0].privileged);
	assert_int_equal(sys.vms[0].budget_us, 200);
	assert_int_equal(sys.vms[0].period_us, 1000);
	assert_int_equal(sys.vms[0].weight, 256);
}

/* The pools given, with a valid VM. */
static int parse_pools_good_vm(const char *pools)
{
	return parse_pools(pools, GOOD);
}

#define RT_POOL "rt { cpus = <3>; scheduler = \"bind\"; };"

/* A bind pool "rt", and the VM properties given. */
static int parse_vm_beside_rt(const char *vm)
{
	return parse_pools(RT_POOL, vm);
}

static void test_pool_rules(void **state)
{
	static const struct bad_case cases[] = {
	    {"pool0 { cpus = <0 1 2>; scheduler = \"dynamic\"; }; "
	     "rt { cpus = <2 3>; scheduler = \"bind\"; };",
	     "config: /pools/rt: cpus: pCPU 2 is already in pool \"pool0\""},
	    {"rt { cpus = <3 3>; scheduler = \"bind\"; };",
	     "config: /pools/rt: cpus: pCPU 3 is listed twice"},
	    {"rt { cpus = <64>; scheduler = \"bind\"; };",
	     "config: /pools/rt: cpus: pCPU 64 does not exist (pCPUs are numbered from 0)"},
	    {"rt { cpus = \"3\"; scheduler = \"bind\"; };",
	     "config: /pools/rt: cpus: must be pCPU numbers like <2 3>, not a string"},
	    {"rt { cpus = <3>; scheduler = \"fifo\"; };",
	     "config: /pools/rt: scheduler: unknown scheduler \"fifo\" (\"bind\" or \"dynamic\")"},
	    {"rt { cpus = <3>; };",
	     "config: /pools/rt: scheduler: required property missing (\"bind\" or \"dynamic\")"},
	    {"rt { scheduler = \"bind\"; };",
	     "config: /pools/rt: cpus: required property missing (e.g. cpus = <3>;)"},
	    {"rt { cpus = <3>; scheduler = \"dynamic\"; wfi = \"native\"; };",
	     "config: /pools/rt: wfi: \"native\" needs the bind scheduler (a dynamic pool must see "
	     "WFI to block the vCPU)"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; wfi = \"sleep\"; };",
	     "config: /pools/rt: wfi: must be \"native\" or \"trap\" (got \"sleep\")"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; slice-us = <500>; };",
	     "config: /pools/rt: slice-us: the bind scheduler has no time slice"},
	    {"rt { cpus = <3>; scheduler = \"dynamic\"; slice-us = <5>; };",
	     "config: /pools/rt: slice-us: must be between 100 and 1000000 (got 5)"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; colour = \"red\"; };",
	     "config: /pools/rt: colour: unknown property (a pool has cpus, scheduler, wfi, "
	     "slice-us, irq)"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; irq = \"fast\"; };",
	     "config: /pools/rt: irq: must be \"direct\" or \"trapped\" (got \"fast\")"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; irq = <1>; };",
	     "config: /pools/rt: irq: must be a NUL-terminated string"},
	    {"rt { cpus = <3>; scheduler = \"dynamic\"; irq = \"direct\"; };",
	     "config: /pools/rt: irq: \"direct\" needs the bind scheduler (a vCPU must own its "
	     "pCPU's interrupt controller)"},
	    {"rt { cpus = <3>; scheduler = \"bind\"; wfi = \"trap\"; irq = \"direct\"; };",
	     "config: /pools/rt: irq: \"direct\" needs wfi = \"native\" (a trapped WFI would "
	     "take every interrupt through EL2)"},
	};

	EXPECT_EACH(parse_pools_good_vm, "", cases);
	expect(parse_vm_beside_rt(GOOD " pool = \"realtime\";"),
	       "config: /vms/linux: pool: unknown pool \"realtime\" (pools are the subnodes of "
	       "/pools)");
}

/* irq = "direct" in a bind pool; trapped by default and when said. */
static void test_pool_irq(void **state)
{
	assert_int_equal(
	    parse_pools("rt { cpus = <3>; scheduler = \"bind\"; irq = \"direct\"; };", GOOD), 0);
	assert_int_equal(sys.pools[1].irq, CFG_IRQ_DIRECT);
	assert_int_equal(sys.pools[0].irq, CFG_IRQ_TRAPPED);
	assert_int_equal(
	    parse_pools("rt { cpus = <3>; scheduler = \"bind\"; irq = \"trapped\"; };", GOOD), 0);
	assert_int_equal(sys.pools[1].irq, CFG_IRQ_TRAPPED);
	assert_int_equal(parse_pools(RT_POOL, GOOD), 0);
	assert_int_equal(sys.pools[1].irq, CFG_IRQ_TRAPPED);
}

static void test_reservation_rules(void **state)
{
	static const struct bad_case cases[] = {
	    {"budget-us = <200>;", "config: /vms/linux: period-us: required with budget-us (a "
				   "reservation is a budget per period)"},
	    {"period-us = <200>;", "config: /vms/linux: budget-us: required with period-us (a "
				   "reservation is a budget per period)"},
	    {"budget-us = <2000>; period-us = <1000>;",
	     "config: /vms/linux: budget-us: must not exceed period-us (2000 > 1000)"},
	    {"period-us = <0>; budget-us = <0>;",
	     "config: /vms/linux: period-us: must be between 1 and 10000000 (got 0)"},
	    {"weight = <0>;", "config: /vms/linux: weight: must be between 1 and 65535 (got 0)"},
	    {"pool = \"rt\"; weight = <100>;",
	     "config: /vms/linux: weight: pool \"rt\" uses the bind scheduler: a vCPU owns its "
	     "pCPU, there is nothing to reserve or share"},
	    {"privileged = <1>;",
	     "config: /vms/linux: privileged: takes no value (write `privileged;`)"},
	};

	EXPECT_EACH(parse_vm_beside_rt, GOOD, cases);
}

static void test_resources(void **state)
{
	struct cfg_resources res = {.nr_pcpus = 4, .free_bytes = GiB(1)};

	memset(&sys, 0, sizeof(sys));
	sys.nr_vms = 2;
	strcpy(sys.vms[0].name, "linux");
	sys.vms[0].nr_vcpus = 3;
	sys.vms[0].mem_size = MiB(768);
	strcpy(sys.vms[1].name, "rtos");
	sys.vms[1].nr_vcpus = 1;
	sys.vms[1].mem_size = MiB(256);
	assert_int_equal(cfg_check_resources(&sys, &res), 0); /* exactly full */

	sys.vms[1].nr_vcpus = 4; /* pool0 is dynamic: 7 vCPUs on 4 pCPUs is overcommit, fine */
	assert_int_equal(cfg_check_resources(&sys, &res), 0);
	assert_int_equal(sys.pools[0].cpus, 0xf); /* unlisted pCPUs joined pool0 */

	/* A bind pool owns its pCPUs: one per vCPU. */
	sys.nr_pools = 2;
	strcpy(sys.pools[1].name, "rt");
	sys.pools[1].scheduler = CFG_SCHED_BIND;
	sys.pools[1].cpus = 0x8;
	sys.pools[0].cpus = 0;
	sys.vms[1].pool = 1;
	expect(cfg_check_resources(&sys, &res), "config: /vms/rtos: cpus: bind pool \"rt\" has 1 "
						"pCPU for 4 vCPUs (one vCPU per pCPU)");
	sys.vms[1].nr_vcpus = 1;
	assert_int_equal(cfg_check_resources(&sys, &res), 0);
	assert_int_equal(sys.pools[0].cpus, 0x7);
	sys.pools[1].cpus = 0x10;
	expect(cfg_check_resources(&sys, &res), "config: /pools/rt: cpus: pCPU 4 does not exist "
						"(this machine has 4 pCPUs)");
	sys.pools[1].cpus = 0x8;
	sys.pools[0].cpus = 0x7;
	sys.vms[0].pool = 1;
	sys.vms[1].pool = 0;
	sys.pools[1].cpus = 0;
	expect(cfg_check_resources(&sys, &res),
	       "config: /vms/linux: pool: pool \"rt\" has no pCPUs");
	sys.vms[0].pool = 0;
	sys.nr_pools = 1;
	sys.vms[0].nr_vcpus = 3;

	res.nr_pcpus = 8;
	sys.vms[1].mem_size = MiB(258);
	expect(cfg_check_resources(&sys, &res), "config: /vms/rtos: memory: 258 MiB requested "
						"but only 256 MiB left (1024 MiB free)");
	sys.vms[0].mem_size = 0xfffffffffe000000ULL; /* sums must not wrap around */
	expect(cfg_check_resources(&sys, &res), "config: /vms/linux: memory: 17592186044384 MiB "
						"requested but only 1024 MiB left (1024 MiB free)");
	assert_int_equal(cfg_check_resources(NULL, &res), -ERR_INVAL);
	assert_int_equal(cfg_check_resources(&sys, NULL), -ERR_INVAL);
}

/* static-mem and direct-map: syntax and the rules between them and memory. */
static void test_static_mem(void **state)
{
	const char *rest = "cpus = <1>; kernel = \"Image\";";
	char props[256];

#define SM(extra) (snprintf(props, sizeof(props), "%s %s", rest, extra), parse_vm(props))
	assert_int_equal(SM("static-mem = <0x0 0x60000000 0x0 0x10000000>; direct-map;"), 0);
	assert_true(sys.vms[0].static_mem);
	assert_true(sys.vms[0].direct_map);
	assert_int_equal(sys.vms[0].static_base, 0x60000000);
	assert_int_equal(sys.vms[0].mem_size, 0x10000000);
	assert_int_equal(cfg_vm_ram_ipa(&sys.vms[0]), 0x60000000);
	assert_int_equal(SM("static-mem = <0x1 0x00000000 0x0 0x200000>;"), 0);
	assert_false(sys.vms[0].direct_map);
	assert_int_equal(sys.vms[0].static_base, 0x100000000ULL);
	assert_int_equal(cfg_vm_ram_ipa(&sys.vms[0]), CFG_VM_RAM_IPA);

#undef SM

	static const struct bad_case cases[] = {
	    {"static-mem = <0x60000000 0x10000000>;",
	     "config: /vms/linux: static-mem: must be 4 cells <base-hi base-lo size-hi size-lo> "
	     "(got 8 bytes)"},
	    {"static-mem = \"0x60000000\";",
	     "config: /vms/linux: static-mem: must be <base-hi base-lo size-hi size-lo>, not a "
	     "string"},
	    {"static-mem = <0x0 0x60100000 0x0 0x10000000>;",
	     "config: /vms/linux: static-mem: base and size must be multiples of 2 MiB (got "
	     "0x60100000+0x10000000)"},
	    {"static-mem = <0x0 0x60000000 0x0 0x0>;",
	     "config: /vms/linux: static-mem: size must be greater than 0"},
	    {"static-mem = <0xffffffff 0xffe00000 0x0 0x400000>;",
	     "config: /vms/linux: static-mem: 0xffffffffffe00000+0x400000 wraps around"},
	    {"static-mem = <0x0 0x60000000 0x0 0x10000000>; memory = <0x0 0x200000>;",
	     "config: /vms/linux: static-mem: give either memory or static-mem, not both"},
	    {"memory = <0x0 0x200000>; direct-map;",
	     "config: /vms/linux: direct-map: needs static-mem (the host-physical base becomes "
	     "the guest's)"},
	    {"static-mem = <0x0 0x60000000 0x0 0x10000000>; direct-map = <1>;",
	     "config: /vms/linux: direct-map: takes no value (write \"direct-map;\")"},
	};

	EXPECT_EACH(parse_vm, rest, cases);
}

/* passthrough and passthrough-no-dma: string lists of host DTB paths. */
static void test_passthrough_syntax(void **state)
{
	assert_int_equal(parse_vm(GOOD " passthrough = \"/virtio_mmio@a003e00\", \"/b\";"), 0);
	assert_int_equal(sys.vms[0].nr_pt, 2);
	assert_string_equal(sys.vms[0].pt[0].path, "/virtio_mmio@a003e00");
	assert_string_equal(sys.vms[0].pt[1].path, "/b");
	assert_true(sys.vms[0].pt[0].dma);
	assert_true(sys.vms[0].pt[1].dma);
	/* passthrough-no-dma may come first: it is matched once the node is read. */
	assert_int_equal(
	    parse_vm("passthrough-no-dma = \"/b\"; " GOOD " passthrough = \"/a\", \"/b\";"), 0);
	assert_true(sys.vms[0].pt[0].dma);
	assert_false(sys.vms[0].pt[1].dma);

	static const struct bad_case cases[] = {
	    {"passthrough = \"virtio_mmio@a003e00\";",
	     "config: /vms/linux: passthrough: \"virtio_mmio@a003e00\" must be an absolute host "
	     "DTB path like \"/virtio_mmio@a003e00\""},
	    {"passthrough = \"/a\", \"/a\";", "config: /vms/linux: passthrough: /a listed twice"},
	    {"passthrough = <1>;",
	     "config: /vms/linux: passthrough: must be one or more NUL-terminated strings"},
	    {"passthrough = \"/a\"; passthrough-no-dma = \"/c\";",
	     "config: /vms/linux: passthrough-no-dma: /c is not in this VM's passthrough list"},
	    {"passthrough = \"/1\", \"/2\", \"/3\", \"/4\", \"/5\", \"/6\", \"/7\", \"/8\", "
	     "\"/9\";",
	     "config: /vms/linux: passthrough: more than 8 devices"},
	};

	EXPECT_EACH(parse_vm, GOOD, cases);
}

/* static-mem RAM is reserved apart: only the other VMs' memory counts against free memory. */
static void test_resources_static_mem(void **state)
{
	struct cfg_resources res = {.nr_pcpus = 4, .free_bytes = MiB(64)};

	assert_int_equal(parse_vm("cpus = <1>; kernel = \"Image\"; "
				  "static-mem = <0x0 0x80000000 0x0 0x40000000>;"),
			 0);
	assert_int_equal(cfg_check_resources(&sys, &res), 0);
}

/* The shipped descriptions: images resolve unless their path says they do not exist. */
static int shipped_image(void *ctx, const char *name, const void **data, size_t *size)
{
	if (strstr(name, "no-such"))
		return -ERR_NOENT;
	*data = kernel_bytes;
	*size = sizeof(kernel_bytes);
	return 0;
}

static void test_shipped_configs(void **state)
{
	/* What tests/integration/test_bad_config.py expects on a 4-pCPU, 2 GiB machine. */
	static const struct {
		const char *file, *err;
	} cases[] = {
	    {"configs/default.dts", ""},
	    {"configs/tests/linux-4vcpu.dts", ""},
	    {"configs/tests/bad-memory.dts", "config: /vms/linux: memory: "},
	    {"configs/tests/bad-cpus.dts", "config: /vms/linux: cpus: "},
	    {"configs/tests/bad-missing-image.dts", "config: /vms/linux: kernel: "},
	    {"configs/tests/bad-unknown-property.dts", "config: /vms/linux: colour: "},
	    {"configs/tests/bad-malformed-property.dts", "config: /vms/linux: cpus: "},
	    {"configs/tests/bad-pool-cpu-twice.dts",
	     "config: /pools/rt: cpus: pCPU 2 is already in pool \"pool0\""},
	    {"configs/tests/bad-scheduler.dts", "config: /pools/rt: scheduler: unknown scheduler"},
	    {"configs/tests/bad-pool-name.dts", "config: /vms/linux: pool: unknown pool"},
	    {"configs/tests/channel-rtos.dts", ""},
	    {"configs/tests/bad-channel-unknown-vm.dts",
	     "config: /channels/link: vms: unknown VM \"linux\""},
	    {"configs/tests/bad-channel-same-vm.dts",
	     "config: /channels/link: vms: names VM \"rtos\" at both ends"},
	    {"configs/tests/bad-channel-size.dts",
	     "config: /channels/link: size: must be a multiple of 4 KiB"},
	    {"configs/tests/bad-channel-overlap.dts",
	     "config: /channels/b: ipa: 0x900002000+0x2000 in VM rtos overlaps channel a at "
	     "0x900000000+0x4000"},
	};
	struct cfg_resources res = {.nr_pcpus = 4, .free_bytes = GiB(2) - MiB(64)};

	if (access("configs/default.dts", R_OK) != 0)
		skip(); /* not run from the top of the tree */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[256];
		struct fdt f;
		size_t n;
		FILE *p;
		int ret;

		snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb %s", cases[i].file);
		p = popen(cmd, "r");
		assert_non_null(p);
		free(blob);
		blob = malloc(65536);
		n = fread(blob, 1, 65536, p);
		assert_int_equal(pclose(p), 0);
		assert_int_equal(fdt_open(&f, blob, n), 0);
		ret = cfg_parse(&f, shipped_image, NULL, &sys);
		if (ret == 0)
			ret = cfg_place_channels(&sys);
		if (ret == 0)
			ret = cfg_check_resources(&sys, &res);
		if (!*cases[i].err) {
			assert_int_equal(ret, 0);
			continue;
		}
		assert_int_equal(ret, -ERR_INVAL);
		assert_int_equal(strncmp(sys.err, cases[i].err, strlen(cases[i].err)), 0);
		printf("  %s: %s\n", cases[i].file, sys.err);
	}
}

static int teardown(void **state)
{
	free(blob);
	blob = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_valid),
	    cmocka_unit_test(test_full_system),
	    cmocka_unit_test(test_root_compatible),
	    cmocka_unit_test(test_root_children),
	    cmocka_unit_test(test_vm_names),
	    cmocka_unit_test(test_too_many_vms),
	    cmocka_unit_test(test_cpus),
	    cmocka_unit_test(test_memory),
	    cmocka_unit_test(test_static_mem),
	    cmocka_unit_test(test_passthrough_syntax),
	    cmocka_unit_test(test_resources_static_mem),
	    cmocka_unit_test(test_images),
	    cmocka_unit_test(test_bootargs),
	    cmocka_unit_test(test_on_reset),
	    cmocka_unit_test(test_watchdog_and_on_failure),
	    cmocka_unit_test(test_unknown_and_duplicate),
	    cmocka_unit_test(test_pools),
	    cmocka_unit_test(test_pool_rules),
	    cmocka_unit_test(test_pool_irq),
	    cmocka_unit_test(test_reservation_rules),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_shipped_configs),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, teardown);
}
