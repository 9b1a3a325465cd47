/* clang-format off */ /* unit-sources: hypervisor/core/config.c hypervisor/core/config_failover.c hypervisor/core/config_channel.c hypervisor/core/config_freq.c hypervisor/core/config_machine.c hypervisor/lib/fdt.c */
/* clang-format on */
/*
 * Failover groups in the system description (core/config_failover.c): the group's fields, the
 * shares (the backup starts with the standby share), the moving devices marked in both members
 * and exempt from "one owner per device", the promotion interrupt's SPI, and each rule broken
 * checked with its whole config: line, through every stage the boot runs (parse, static-mem,
 * devices, placement, resources).
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

#include <arch/fake.h>
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>

static const uint8_t kernel_bytes[4096];

static int lookup(void *ctx, const char *name, const void **data, size_t *size)
{
	*data = kernel_bytes;
	*size = sizeof(kernel_bytes);
	return 0;
}

/* QEMU virt as far as these rules care: RAM, GIC, UART, virtio-mmio slots in two pages. */
static const char host_dts[] =
    "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; interrupt-parent = <0x8002>;\n"
    "memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x80000000>; };\n"
    "intc@8000000 { compatible = \"arm,gic-v3\"; interrupt-controller; #interrupt-cells = <3>;\n"
    "  reg = <0 0x8000000 0 0x10000 0 0x80a0000 0 0xf60000>; phandle = <0x8002>; };\n"
    "pl011@9000000 { compatible = \"arm,pl011\"; reg = <0 0x9000000 0 0x1000>;\n"
    "  interrupts = <0 1 4>; };\n"
    "virtio_mmio@a003e00 { compatible = \"virtio,mmio\"; reg = <0 0xa003e00 0 0x200>;\n"
    "  interrupts = <0 47 1>; dma-coherent; };\n"
    "virtio_mmio@a003c00 { compatible = \"virtio,mmio\"; reg = <0 0xa003c00 0 0x200>;\n"
    "  interrupts = <0 46 1>; dma-coherent; };\n"
    "virtio_mmio@a002e00 { compatible = \"virtio,mmio\"; reg = <0 0xa002e00 0 0x200>;\n"
    "  interrupts = <0 39 1>; dma-coherent; };\n"
    "};\n";

static uint8_t *host_blob, *sys_blob;
static struct fdt host;
static struct cfg_system sys;
static struct cfg_machine m;

static int setup(void **state)
{
	size_t len;

	fake_reset();
	fake_arch.printk_quiet = true;
	host_blob = dtc(host_dts, "", &len);
	assert_int_equal(fdt_open(&host, host_blob, len), 0);
	memset(&m, 0, sizeof(m));
	m.ram[m.nr_ram++] = (struct cfg_range){0x40000000, 0x80000000, "RAM"};
	m.busy[m.nr_busy++] = (struct cfg_range){0x40080000, 0x200000, "the hypervisor image"};
	m.hyp_dev[m.nr_hyp_dev++] = (struct cfg_range){0x8000000, 0x10000, "the GIC distributor"};
	m.hyp_dev[m.nr_hyp_dev++] = (struct cfg_range){0x9000000, 0x1000, "the console UART"};
	m.hyp_irqs[0] = 33;
	return 0;
}

static int teardown(void **state)
{
	free(host_blob);
	free(sys_blob);
	host_blob = sys_blob = NULL;
	return 0;
}

/* Two direct-mapped Linux VMs a and b, both listing the slot at 0xa003e00, an rtos. */
#define POOLS                                                                                      \
	"pools { pool0 { cpus = <0 1>; scheduler = \"dynamic\"; };"                                \
	"        rt { cpus = <2>; scheduler = \"bind\"; };"                                        \
	"        spare { cpus = <3>; scheduler = \"dynamic\"; }; };"
#define VM_A                                                                                       \
	"a { cpus = <2>; kernel = \"k\"; static-mem = <0x0 0x80000000 0x0 0x10000000>; "           \
	"    direct-map; weight = <512>; passthrough = \"/virtio_mmio@a003e00\"; };"
#define VM_B                                                                                       \
	"b { cpus = <2>; kernel = \"k\"; static-mem = <0x0 0x90000000 0x0 0x10000000>; "           \
	"    direct-map; passthrough = \"/virtio_mmio@a003e00\"; };"
#define VM_RTOS "rtos { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; pool = \"rt\"; };"
#define CHANNEL                                                                                    \
	"channels { sync { vms = \"a\", \"b\"; size = <0x10000>; };"                               \
	"           other { vms = \"a\", \"rtos\"; size = <0x1000>; }; };"
#define GROUP(props) "failover-groups { bs { " props " }; };"
#define GOOD                                                                                       \
	"primary = \"a\"; backup = \"b\"; standby-weight = <64>; "                                 \
	"devices = \"/virtio_mmio@a003e00\"; channel = \"sync\";"

/* Runs every stage of the boot's checks over a description; returns the first error. */
static int check(const char *vms, const char *rest)
{
	char src[8192];
	struct cfg_resources res = {.nr_pcpus = 4, .free_bytes = 0x40000000};
	struct fdt f;
	size_t len;
	int ret;

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\"; " POOLS " vms { %s }; %s };\n",
		 vms, rest);
	free(sys_blob);
	sys_blob = dtc(src, "", &len);
	assert_int_equal(fdt_open(&f, sys_blob, len), 0);
	ret = cfg_parse(&f, lookup, NULL, &sys);
	if (!ret)
		ret = cfg_check_static_mem(&sys, &m);
	if (!ret)
		ret = cfg_check_devices(&sys, &host, &m);
	if (!ret)
		ret = cfg_place_channels(&sys);
	if (!ret)
		ret = cfg_check_resources(&sys, &res);
	if (ret) {
		assert_int_equal(ret, -ERR_INVAL);
		assert_null(strchr(sys.err, '\n'));
	}
	return ret;
}

static void expect(int ret, const char *line)
{
	assert_int_equal(ret, -ERR_INVAL);
	assert_string_equal(sys.err, line);
}

static void test_group_parsed(void **state)
{
	const struct cfg_failover_group *g;

	assert_int_equal(check(VM_A VM_B VM_RTOS, CHANNEL GROUP(GOOD)), 0);
	assert_int_equal(sys.nr_groups, 1);
	g = &sys.groups[0];
	assert_string_equal(g->name, "bs");
	assert_int_equal(g->vm[0], 0);
	assert_int_equal(g->vm[1], 1);
	assert_int_equal(g->nr_devices, 1);
	assert_string_equal(g->devices[0], "/virtio_mmio@a003e00");
	assert_true(g->has_channel);
	assert_int_equal(g->channel, 0);
	assert_int_equal(g->on_failure, CFG_FAILOVER_SWAP);
	/* Shares: active = the primary's; the backup runs with the standby share from boot. */
	assert_int_equal(g->active_pool, 0);
	assert_int_equal(g->active_weight, 512);
	assert_int_equal(g->standby_pool, 0);
	assert_int_equal(g->standby_weight, 64);
	assert_int_equal(sys.vms[1].weight, 64);
	assert_int_equal(sys.vms[0].weight, 512);
	/* Membership, the device marked moving in both, the promotion SPIs. */
	assert_true(sys.vms[0].failover.in_group);
	assert_true(sys.vms[0].failover.starts_active);
	assert_true(sys.vms[1].failover.in_group);
	assert_false(sys.vms[1].failover.starts_active);
	assert_false(sys.vms[2].failover.in_group);
	assert_string_equal(sys.vms[1].failover.group_name, "bs");
	assert_true(sys.vms[0].pt[0].moves);
	assert_true(sys.vms[1].pt[0].moves);
	/* a: doorbells 127 (sync) and 126 (other), then its promotion SPI; b: 127, then 126. */
	assert_int_equal(sys.vms[0].failover.spi, 125);
	assert_int_equal(sys.vms[1].failover.spi, 126);
	assert_int_equal(sys.vms[2].failover.spi, 0);
	/* Both hold the device's SPI as resolved from the host. */
	assert_int_equal(sys.vms[1].pt[0].irqs[0], 32 + 47);
}

static void test_defaults_and_stay_down(void **state)
{
	int ret = check(VM_A VM_B,
			GROUP("primary = \"a\"; backup = \"b\"; "
			      "on-failure = \"stay-down\"; devices = \"/virtio_mmio@a003e00\";"));

	assert_string_equal(sys.err, "");
	assert_int_equal(ret, 0);
	assert_int_equal(sys.groups[0].on_failure, CFG_FAILOVER_STAY_DOWN);
	assert_false(sys.groups[0].has_channel);
	assert_int_equal(sys.groups[0].nr_devices, 1);
	assert_int_equal(sys.groups[0].standby_weight, 256); /* the backup's own weight */
	/* Not moving: two VMs listing one device is still two owners. */
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\";")),
	       "config: /vms/b: passthrough: /virtio_mmio@a003e00 is already given to /vms/a (one "
	       "owner per device)");
}

static void test_unknown_vm(void **state)
{
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"c\";")),
	       "config: /failover-groups/bs: backup: unknown VM \"c\" (VMs are the subnodes of "
	       "/vms)");
	expect(check(VM_A VM_B, GROUP("backup = \"b\";")),
	       "config: /failover-groups/bs: primary: required property missing (a VM under /vms)");
}

static void test_primary_is_backup(void **state)
{
	expect(
	    check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"a\";")),
	    "config: /failover-groups/bs: backup: VM \"a\" is the primary too (a group joins two "
	    "VMs)");
}

static void test_vm_in_two_groups(void **state)
{
	expect(check(VM_A VM_B VM_RTOS,
		     "failover-groups { g1 { primary = \"a\"; backup = \"b\"; };"
		     "                  g2 { primary = \"rtos\"; backup = \"b\"; }; };"),
	       "config: /failover-groups/g2: backup: VM \"b\" is already in group \"g1\" (a VM is "
	       "in one failover group)");
}

static void test_device_in_both_members(void **state)
{
	expect(check(VM_A "b { cpus = <2>; kernel = \"k\"; static-mem = <0x0 0x90000000 0x0 "
			  "0x10000000>; direct-map; };",
		     GROUP("primary = \"a\"; backup = \"b\"; devices = \"/virtio_mmio@a003e00\";")),
	       "config: /failover-groups/bs: devices: /virtio_mmio@a003e00 is not in /vms/b's "
	       "passthrough (both members list a device that moves)");
}

static void test_dma_device_needs_direct_map(void **state)
{
	/* b has the device but plain memory: the device's DMA would land at the wrong place. */
	expect(check(VM_A "b { cpus = <2>; kernel = \"k\"; memory = <0x0 0x10000000>; "
			  "passthrough = \"/virtio_mmio@a003e00\"; };" VM_RTOS,
		     CHANNEL GROUP(GOOD)),
	       "config: /vms/b: passthrough: /virtio_mmio@a003e00 can do DMA but the VM is neither "
	       "direct-mapped nor behind an SMMU (add direct-map, or list it in "
	       "passthrough-no-dma if it never does DMA)");
}

static void test_channel_must_join_members(void **state)
{
	expect(check(VM_A VM_B VM_RTOS,
		     CHANNEL GROUP("primary = \"a\"; backup = \"b\"; channel = \"other\";")),
	       "config: /failover-groups/bs: channel: channel \"other\" joins a and rtos, not the "
	       "group's a and b");
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; channel = \"x\";")),
	       "config: /failover-groups/bs: channel: unknown channel \"x\" (channels are the "
	       "subnodes of /channels)");
}

static void test_promoted_share_admission(void **state)
{
	/* The primary alone in a bind pool of one pCPU: the backup's vCPU has nowhere to go. */
	expect(check("p { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; pool = \"rt\"; };"
		     "s { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };",
		     GROUP("primary = \"p\"; backup = \"s\";")),
	       "config: /failover-groups/bs: backup: on promotion, VM s's 1 vCPU cannot join bind "
	       "pool \"rt\": it has 1 pCPU for 2 vCPUs (its VMs keep theirs until the move "
	       "completes)");
	/* Reservations: the backup's 60% per vCPU next to the primary's would need 2.4 pCPUs. */
	expect(check("p { cpus = <2>; kernel = \"k\"; memory = <0x0 0x4000000>; budget-us = <600>; "
		     "    period-us = <1000>; };"
		     "s { cpus = <2>; kernel = \"k\"; memory = <0x0 0x4000000>; pool = \"spare\"; "
		     "    budget-us = <600>; period-us = <1000>; };",
		     GROUP("primary = \"p\"; backup = \"s\"; on-failure = \"stay-down\";")),
	       "config: /failover-groups/bs: backup: on promotion, VM s's reservations cannot join "
	       "pool \"pool0\": 240% of 2 pCPUs would be reserved");
	/* The swap brings the primary into the standby pool: same test the other way. */
	expect(
	    check("p { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };"
		  "s { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; pool = \"rt\"; };",
		  GROUP("primary = \"p\"; backup = \"s\"; on-failure = \"swap\";")),
	    "config: /failover-groups/bs: standby-pool: as the new standby, VM p's 1 vCPU cannot "
	    "join bind pool \"rt\": it has 1 pCPU for 2 vCPUs (its VMs keep theirs until the "
	    "move completes)");
	/* A standby pool of its own (spare): fine, and the backup starts there. */
	assert_int_equal(check("p { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };"
			       "s { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };",
			       GROUP("primary = \"p\"; backup = \"s\"; standby-pool = \"spare\";")),
			 0);
	assert_int_equal(sys.vms[1].pool, 2);
	assert_int_equal(sys.groups[0].active_pool, 0);
}

/* promotion-cpus: pCPUs that follow the active member between the members' own pools. */
static void test_promotion_cpus(void **state)
{
#define P1 "p { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };"
#define S1 "s { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; pool = \"spare\"; };"
	assert_int_equal(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; "
					    "promotion-cpus = <1>;")),
			 0);
	assert_int_equal(sys.groups[0].promotion_cpus, 1ULL << 1);
	assert_int_equal(sys.vms[1].pool, 2); /* each keeps its own pool */
	assert_int_equal(sys.vms[0].pool, 0);
	/* All of the primary's pCPUs: nothing left for it as the standby. */
	expect(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <0 1>;")),
	       "config: /failover-groups/bs: promotion-cpus: as the standby, VM p's pool "
	       "\"pool0\" keeps 0 pCPUs for 1 vCPU, 0% reserved: the promoted share fails "
	       "admission");
	/* Reservations: 2 x 60% do not fit the one pCPU left. */
	expect(check("p { cpus = <2>; kernel = \"k\"; memory = <0x0 0x4000000>; budget-us = <600>; "
		     "    period-us = <1000>; };" S1,
		     GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <1>;")),
	       "config: /failover-groups/bs: promotion-cpus: as the standby, VM p's pool "
	       "\"pool0\" keeps 1 pCPU for 2 vCPUs, 120% reserved: the promoted share fails "
	       "admission");
	expect(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <3>;")),
	       "config: /failover-groups/bs: promotion-cpus: pCPU 3 is not in pool \"pool0\" (the "
	       "primary's, where they start)");
	expect(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <1 1>;")),
	       "config: /failover-groups/bs: promotion-cpus: pCPU 1 listed twice");
	expect(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = \"1\";")),
	       "config: /failover-groups/bs: promotion-cpus: must be one or more 32-bit cells like "
	       "<3> (got 2 bytes)");
	expect(check(P1 S1, GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <1>; "
				  "standby-pool = \"spare\";")),
	       "config: /failover-groups/bs: promotion-cpus: with pCPUs moving the members keep "
	       "their own pools (drop standby-pool)");
	expect(check(P1 "s { cpus = <1>; kernel = \"k\"; memory = <0x0 0x4000000>; };",
		     GROUP("primary = \"p\"; backup = \"s\"; promotion-cpus = <1>;")),
	       "config: /failover-groups/bs: promotion-cpus: p and s are both in pool \"pool0\": "
	       "pCPUs move between the members' pools, so each needs its own");
#undef P1
#undef S1
}

static void test_bad_properties(void **state)
{
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; colour = \"red\";")),
	       "config: /failover-groups/bs: colour: unknown property (a failover group has "
	       "primary, backup, standby-pool, standby-weight, devices, channel, on-failure, "
	       "promotion-cpus, restart-delay-ms)");
	expect(
	    check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; restart-delay-ms = <60001>;")),
	    "config: /failover-groups/bs: restart-delay-ms: must be at most 60000 ms (got "
	    "60001)");
	expect(
	    check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; restart-delay-ms = \"1\";")),
	    "config: /failover-groups/bs: restart-delay-ms: must be one 32-bit cell like <500> "
	    "(got 2 bytes)");
	assert_int_equal(check(VM_A VM_B VM_RTOS, CHANNEL GROUP(GOOD " restart-delay-ms = <750>;")),
			 0);
	assert_int_equal(sys.groups[0].restart_delay_ms, 750);
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; on-failure = \"boom\";")),
	       "config: /failover-groups/bs: on-failure: must be \"swap\" or \"stay-down\" (got "
	       "\"boom\")");
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; standby-pool = \"x\";")),
	       "config: /failover-groups/bs: standby-pool: unknown pool \"x\" (pools are the "
	       "subnodes of /pools)");
	expect(check(VM_A VM_B, GROUP("primary = \"a\"; backup = \"b\"; standby-weight = <0>;")),
	       "config: /failover-groups/bs: standby-weight: must be between 1 and 65535 (got 0)");
	expect(check(VM_A VM_B, GROUP("primary = \"a\", \"b\"; backup = \"b\";")),
	       "config: /failover-groups/bs: primary: must be one string");
	expect(check(VM_A VM_B, "failover-groups { bs { primary = \"a\"; backup = \"b\"; x { }; }; "
				"};"),
	       "config: /failover-groups/bs: unknown node (a failover group has properties only)");
}

/* A moving device's page is unmapped whole: a device of the same page that stays is refused. */
static void test_page_shared_with_staying_device(void **state)
{
	expect(check("a { cpus = <2>; kernel = \"k\"; static-mem = <0x0 0x80000000 0x0 0x10000000>;"
		     "    direct-map; passthrough = \"/virtio_mmio@a003e00\", "
		     "\"/virtio_mmio@a003c00\"; };" VM_B VM_RTOS,
		     CHANNEL GROUP(GOOD)),
	       "config: /vms/a: passthrough: /virtio_mmio@a003c00 shares the 4 KiB page 0xa003000 "
	       "with /virtio_mmio@a003e00, but only one of them moves on failover (stage 2 maps "
	       "whole pages)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_group_parsed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults_and_stay_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_vm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_primary_is_backup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vm_in_two_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_in_both_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dma_device_needs_direct_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_channel_must_join_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_promoted_share_admission, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_promotion_cpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_properties, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_shared_with_staying_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
