/* unit-sources: guests/rtos/platform.c guests/rtos/fdt.c */
/*
 * The RTOS's DTB reader for what the power terminal needs: a pci-host-ecam-generic bridge (ECAM,
 * bus-range, the windows of "ranges", the INTx routes of "interrupt-map" through the GIC's
 * phandle) and Tandem's tandem,channel-v1 nodes, checked against blobs compiled by the real dtc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../guests/rtos/platform.h"
#include "dtc.h"

/* QEMU virt's shape (highmem=off), trimmed to two slots of the interrupt-map. */
#define BASE_DTS                                                                                   \
	"/dts-v1/;\n"                                                                              \
	"/ { #address-cells = <2>; #size-cells = <2>;\n"                                           \
	"  chosen { bootargs = \"ttu=echo\"; };\n"                                                 \
	"  memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x10000000>; };\n"    \
	"  cpus { #address-cells = <1>; #size-cells = <0>;\n"                                      \
	"    cpu@0 { device_type = \"cpu\"; reg = <0>; }; };\n"                                    \
	"  intc@8000000 { compatible = \"arm,gic-v3\"; #interrupt-cells = <3>;\n"                  \
	"    #address-cells = <2>; #size-cells = <2>; interrupt-controller; phandle = <0x8005>;\n" \
	"    reg = <0 0x8000000 0 0x10000>, <0 0x80a0000 0 0xf60000>; };\n"                        \
	"  pl011@9000000 { compatible = \"arm,pl011\"; reg = <0 0x9000000 0 0x1000>;\n"            \
	"    interrupts = <0 1 4>; };\n"                                                           \
	"  timer { compatible = \"arm,armv8-timer\";\n"                                            \
	"    interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>; };\n"

static void *blob_of(const char *extra_nodes)
{
	char src[4096];
	size_t size;

	snprintf(src, sizeof(src), "%s%s};\n", BASE_DTS, extra_nodes);
	return dtc(src, "", &size);
}

static void probe_ok(const void *blob, struct platform *p)
{
	const char *err = NULL;

	assert_int_equal(platform_probe(blob, 0x40200000, 0, p, &err), 0);
}

static void test_pci_bridge(void **state)
{
	struct platform p;
	void *blob = blob_of(
	    "  pcie@10000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
	    "    #address-cells = <3>; #size-cells = <2>; #interrupt-cells = <1>;\n"
	    "    reg = <0 0x3f000000 0 0x1000000>; bus-range = <0 15>;\n"
	    "    ranges = <0x1000000 0 0 0 0x3eff0000 0 0x10000>,\n"
	    "             <0x2000000 0 0x10000000 0 0x10000000 0 0x2eff0000>,\n"
	    "             <0x43000000 0x80 0 0x80 0 0x80 0>;\n"
	    "    interrupt-map-mask = <0x1800 0 0 7>;\n"
	    "    interrupt-map = <0 0 0 1 0x8005 0 0 0 3 4>, <0 0 0 2 0x8005 0 0 0 4 4>,\n"
	    "                    <0x800 0 0 1 0x8005 0 0 0 4 4>, <0x800 0 0 2 0x8005 0 0 0 5 4>; "
	    "};\n");

	probe_ok(blob, &p);
	assert_int_equal(p.pci.ecam, 0x3f000000);
	assert_int_equal(p.pci.ecam_size, 0x1000000);
	assert_int_equal(p.pci.bus_first, 0);
	assert_int_equal(p.pci.bus_last, 15);
	assert_int_equal(p.pci.nr_windows, 3);
	assert_int_equal(p.pci.win[0].space, 1); /* I/O: bus 0 at CPU 0x3eff0000 */
	assert_int_equal(p.pci.win[0].pci, 0);
	assert_int_equal(p.pci.win[0].cpu, 0x3eff0000);
	assert_int_equal(p.pci.win[0].size, 0x10000);
	assert_int_equal(p.pci.win[1].space, 2);
	assert_int_equal(p.pci.win[1].cpu, 0x10000000);
	assert_int_equal(p.pci.win[1].size, 0x2eff0000);
	assert_int_equal(p.pci.win[2].space, 3);
	assert_true(p.pci.win[2].prefetch);
	assert_int_equal(p.pci.win[2].pci, 0x8000000000ULL);
	assert_int_equal(p.pci.map_mask_hi, 0x1800);
	assert_int_equal(p.pci.map_mask_pin, 7);
	assert_int_equal(p.pci.nr_intx, 4);
	assert_int_equal(p.pci.intx[2].phys_hi, 0x800); /* slot 1 */
	assert_int_equal(p.pci.intx[2].pin, 1);
	assert_int_equal(p.pci.intx[2].intid, 36); /* SPI 4 */
	assert_int_equal(p.pci.intx[3].intid, 37);
	assert_int_equal(p.nr_channels, 0);
	free(blob);
}

static void test_pci_intmap_other_parent(void **state)
{
	struct platform p;
	/* Entries through a parent that is not the GIC are not routes the RTOS can use. */
	void *blob = blob_of(
	    "  pcie@10000000 { compatible = \"pci-host-ecam-generic\";\n"
	    "    #address-cells = <3>; #size-cells = <2>; #interrupt-cells = <1>;\n"
	    "    reg = <0 0x3f000000 0 0x1000000>;\n"
	    "    interrupt-map-mask = <0x1800 0 0 7>;\n"
	    "    interrupt-map = <0 0 0 1 0x1234 0 0 0 3 4>, <0 0 0 2 0x8005 0 0 0 4 4>; };\n");

	probe_ok(blob, &p);
	assert_int_equal(p.pci.bus_last, 15); /* no bus-range: from the ECAM's size */
	assert_int_equal(p.pci.nr_windows, 0);
	assert_int_equal(p.pci.nr_intx, 1);
	assert_int_equal(p.pci.intx[0].intid, 36);
	free(blob);
}

static void test_no_bridge(void **state)
{
	struct platform p;
	void *blob = blob_of("  pcie@10000000 { compatible = \"pci-host-ecam-generic\";\n"
			     "    status = \"disabled\"; #address-cells = <3>; #size-cells = <2>;\n"
			     "    reg = <0 0x3f000000 0 0x1000000>; };\n");

	probe_ok(blob, &p);
	assert_int_equal(p.pci.ecam, 0);
	free(blob);
}

static void test_channels(void **state)
{
	struct platform p;
	void *blob = blob_of(
	    "  channel@50000000 { compatible = \"tandem,channel-v1\";\n"
	    "    reg = <0 0x50000000 0 0x82000>; interrupts = <0 60 1>;\n"
	    "    tandem,channel-id = <3>; tandem,side = <0>; tandem,peer = \"linux\";\n"
	    "    label = \"ttu\"; };\n"
	    "  channel@51000000 { compatible = \"tandem,channel-v1\";\n" /* no id: ignored */
	    "    reg = <0 0x51000000 0 0x1000>; interrupts = <0 61 1>; tandem,side = <1>; };\n"
	    "  channel@52000000 { compatible = \"tandem,channel-v1\";\n" /* side 2: ignored */
	    "    reg = <0 0x52000000 0 0x1000>; interrupts = <0 62 1>;\n"
	    "    tandem,channel-id = <4>; tandem,side = <2>; };\n");

	probe_ok(blob, &p);
	assert_int_equal(p.nr_channels, 1);
	assert_int_equal(p.channel[0].base, 0x50000000);
	assert_int_equal(p.channel[0].size, 0x82000);
	assert_int_equal(p.channel[0].irq, 92);
	assert_int_equal(p.channel[0].id, 3);
	assert_int_equal(p.channel[0].side, 0);
	assert_string_equal(p.channel[0].peer, "linux");
	assert_string_equal(p.channel[0].label, "ttu");
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pci_bridge),
	    cmocka_unit_test(test_pci_intmap_other_parent),
	    cmocka_unit_test(test_no_bridge),
	    cmocka_unit_test(test_channels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
