/* clang-format off */ /* unit-sources: hypervisor/virt/guest_dtb.c hypervisor/virt/vscmi_dtb.c hypervisor/core/freq.c hypervisor/platform/clock.c hypervisor/lib/fdt_write.c hypervisor/lib/fdt.c */
/* clang-format on */
/* The generated guest device tree, checked with host libfdt as the oracle and with dtc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * tandem/fdt.h (pulled in by vm.h) shares function names with libfdt, the oracle here.
 * This test needs nothing from it: skip it by its include guard.
 */
#define TANDEM_FDT_H
struct fdt;
#include <arch/fake.h>
#include <tandem/errno.h>
#include <tandem/guest_dtb.h>
#include <tandem/vm.h>

#include <libfdt.h>

static struct vm vm;
static struct cfg_vm cfg;
static uint8_t blob[64 * 1024];

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	memset(&vm, 0, sizeof(vm));
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "linux");
	strcpy(cfg.bootargs, "console=ttyAMA0 rdinit=/init");
	cfg.nr_vcpus = 2;
	vm.cfg = &cfg;
	vm.name = cfg.name;
	vm.nr_vcpus = 2;
	vm.ram_ipa = 0x40000000;
	vm.ram_size = 0x10000000;
	return 0;
}

static int node(const char *path)
{
	int off = fdt_path_offset(blob, path);

	if (off < 0)
		fail_msg("no node %s: %s", path, fdt_strerror(off));
	return off;
}

static const char *str(int off, const char *name)
{
	int len;
	const char *p = fdt_getprop(blob, off, name, &len);

	assert_non_null(p);
	assert_true(len > 0 && p[len - 1] == '\0');
	return p;
}

/* Checks that property name of node off is exactly the n big-endian cells given. */
static void cells(int off, const char *name, const uint32_t *want, int n)
{
	int len;
	const fdt32_t *p = fdt_getprop(blob, off, name, &len);

	if (!p) {
		fail_msg("no property %s", name);
		return;
	}
	assert_int_equal(len, 4 * n);
	for (int i = 0; i < n; i++)
		assert_int_equal(fdt32_to_cpu(p[i]), want[i]);
}

static uint32_t u32(int off, const char *name)
{
	uint32_t v;
	int len;
	const fdt32_t *p = fdt_getprop(blob, off, name, &len);

	assert_non_null(p);
	assert_int_equal(len, 4);
	memcpy(&v, p, 4);
	return fdt32_to_cpu(v);
}

static uint64_t u64(int off, const char *name)
{
	uint64_t v;
	int len;
	const void *p = fdt_getprop(blob, off, name, &len);

	assert_non_null(p);
	assert_int_equal(len, 8);
	memcpy(&v, p, 8);
	return fdt64_to_cpu(v);
}

static void stringlist(int off, const char *name, const char *want, int wantlen)
{
	int len;
	const void *p = fdt_getprop(blob, off, name, &len);

	assert_non_null(p);
	assert_int_equal(len, wantlen);
	assert_memory_equal(p, want, (size_t)wantlen);
}

static int build(ipa_t initrd, uint64_t size)
{
	int n = guest_dtb_build(&vm, blob, sizeof(blob), initrd, size);

	assert_true(n > 0);
	assert_int_equal(fdt_check_header(blob), 0);
	assert_int_equal(fdt_totalsize(blob), (uint32_t)n);
	return n;
}

static void test_root(void **state)
{
	int root, gic;

	build(0, 0);
	root = node("/");
	assert_int_equal(u32(root, "#address-cells"), 2);
	assert_int_equal(u32(root, "#size-cells"), 2);
	assert_string_equal(str(root, "compatible"), "tandem,vm");
	assert_string_equal(str(root, "model"), "Tandem VM linux");
	gic = node("/intc@8000000");
	assert_int_equal(u32(root, "interrupt-parent"), fdt_get_phandle(blob, gic));
	assert_int_equal(fdt_node_offset_by_phandle(blob, u32(root, "interrupt-parent")), gic);
}

static void test_chosen_with_initrd(void **state)
{
	int chosen;

	build(0x48000000, 0x123456);
	chosen = node("/chosen");
	assert_string_equal(str(chosen, "bootargs"), "console=ttyAMA0 rdinit=/init");
	assert_string_equal(str(chosen, "stdout-path"), "/pl011@9000000");
	/* stdout-path must name a real node: Linux picks its console from it. */
	assert_true(fdt_path_offset(blob, str(chosen, "stdout-path")) >= 0);
	assert_int_equal(u64(chosen, "linux,initrd-start"), 0x48000000);
	assert_int_equal(u64(chosen, "linux,initrd-end"), 0x48000000 + 0x123456);
}

static void test_chosen_without_initrd_or_bootargs(void **state)
{
	int chosen;

	cfg.bootargs[0] = '\0';
	build(0x48000000, 0);
	chosen = node("/chosen");
	assert_null(fdt_getprop(blob, chosen, "linux,initrd-start", NULL));
	assert_null(fdt_getprop(blob, chosen, "linux,initrd-end", NULL));
	assert_null(fdt_getprop(blob, chosen, "bootargs", NULL));
	assert_string_equal(str(chosen, "stdout-path"), "/pl011@9000000");
}

static void test_memory(void **state)
{
	const uint32_t reg[4] = {0, 0x40000000, 0, 0x10000000};
	int mem;

	build(0, 0);
	mem = node("/memory@40000000");
	assert_string_equal(str(mem, "device_type"), "memory");
	cells(mem, "reg", reg, 4);

	/* RAM above 4 GiB: both cells of address and size are used. */
	vm.ram_ipa = 0x880000000ULL;
	vm.ram_size = 0x100000000ULL;
	build(0, 0);
	const uint32_t high[4] = {0x8, 0x80000000, 0x1, 0};
	cells(node("/memory@880000000"), "reg", high, 4);
}

static void test_cpus(void **state)
{
	char path[32];
	int cpus;

	vm.nr_vcpus = 4;
	build(0, 0);
	cpus = node("/cpus");
	assert_int_equal(u32(cpus, "#address-cells"), 1);
	assert_int_equal(u32(cpus, "#size-cells"), 0);
	for (unsigned i = 0; i < 4; i++) {
		int cpu;

		snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
		cpu = node(path);
		assert_string_equal(str(cpu, "device_type"), "cpu");
		assert_string_equal(str(cpu, "compatible"), "arm,armv8");
		assert_string_equal(str(cpu, "enable-method"), "psci");
		assert_int_equal(u32(cpu, "reg"), i);
	}
	assert_true(fdt_path_offset(blob, "/cpus/cpu@4") < 0);
}

static void test_psci(void **state)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int psci;

	build(0, 0);
	psci = node("/psci");
	stringlist(psci, "compatible", compat, sizeof(compat));
	assert_string_equal(str(psci, "method"), "hvc");
}

static void test_gic(void **state)
{
	const uint32_t reg[8] = {0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 3 * 0x20000};
	const uint32_t maint[3] = {1, 9, 4};
	int gic;

	vm.nr_vcpus = 3;
	build(0, 0);
	gic = node("/intc@8000000");
	assert_string_equal(str(gic, "compatible"), "arm,gic-v3");
	assert_int_equal(u32(gic, "#interrupt-cells"), 3);
	assert_int_equal(u32(gic, "#address-cells"), 2);
	assert_int_equal(u32(gic, "#size-cells"), 2);
	assert_int_equal(u32(gic, "#redistributor-regions"), 1);
	assert_non_null(fdt_getprop(blob, gic, "interrupt-controller", NULL));
	assert_non_null(fdt_getprop(blob, gic, "ranges", NULL));
	cells(gic, "reg", reg, 8);
	cells(gic, "interrupts", maint, 3);
	assert_int_equal(fdt_get_phandle(blob, gic), GUEST_DTB_PHANDLE_GIC);
}

static void test_timer(void **state)
{
	const uint32_t irqs[12] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
	int timer;

	build(0, 0);
	timer = node("/timer");
	assert_int_equal(fdt_node_check_compatible(blob, timer, "arm,armv8-timer"), 0);
	cells(timer, "interrupts", irqs, 12);
	assert_non_null(fdt_getprop(blob, timer, "always-on", NULL));
}

static void test_uart_and_clock(void **state)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char names[] = "uartclk\0apb_pclk";
	const uint32_t reg[4] = {0, 0x09000000, 0, 0x1000};
	const uint32_t irq[3] = {0, 1, 4};
	const fdt32_t *clocks;
	int uart, clk, len;

	build(0, 0);
	clk = node("/apb-pclk");
	assert_int_equal(fdt_node_check_compatible(blob, clk, "fixed-clock"), 0);
	assert_int_equal(u32(clk, "#clock-cells"), 0);
	assert_int_equal(u32(clk, "clock-frequency"), 24000000);

	uart = node("/pl011@9000000");
	stringlist(uart, "compatible", compat, sizeof(compat));
	stringlist(uart, "clock-names", names, sizeof(names));
	cells(uart, "reg", reg, 4);
	cells(uart, "interrupts", irq, 3);
	clocks = fdt_getprop(blob, uart, "clocks", &len);
	assert_non_null(clocks);
	assert_int_equal(len, 8);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fdt_node_offset_by_phandle(blob, fdt32_to_cpu(clocks[i])), clk);
}

/* dtc must accept the blob, and say nothing: its checks catch what libfdt does not. */
/* Two channel ends: one node each, exactly as abi/channel.h describes; none without channels. */
static void test_channels(void **state)
{
	const uint32_t reg0[4] = {0x8, 0x0, 0x0, 0x10000}, irq0[3] = {0, 127 - 32, 1};
	const uint32_t reg1[4] = {0x8, 0x200000, 0x0, 0x200000}, irq1[3] = {0, 126 - 32, 1};
	int off;

	build(0, 0);
	assert_int_equal(fdt_node_offset_by_compatible(blob, -1, "tandem,channel-v1"),
			 -FDT_ERR_NOTFOUND);

	cfg.nr_channels = 2;
	cfg.channels[0] = (struct cfg_channel_end){.id = 0,
						   .side = 1,
						   .peer_vm = 1,
						   .ipa = 0x800000000ULL,
						   .size = 0x10000,
						   .doorbell = 127,
						   .name = "ttu",
						   .peer = "rtos"};
	cfg.channels[1] = (struct cfg_channel_end){.id = 3,
						   .side = 0,
						   .peer_vm = 2,
						   .ipa = 0x800200000ULL,
						   .size = 0x200000,
						   .doorbell = 126,
						   .name = "logs",
						   .peer = "other",
						   .protocol = "records"};
	build(0, 0);
	off = node("/channel@800000000");
	assert_string_equal(str(off, "compatible"), "tandem,channel-v1");
	cells(off, "reg", reg0, 4);
	cells(off, "interrupts", irq0, 3); /* GIC_SPI, SPI number, IRQ_TYPE_EDGE_RISING */
	assert_int_equal(u32(off, "tandem,channel-id"), 0);
	assert_int_equal(u32(off, "tandem,side"), 1);
	assert_string_equal(str(off, "tandem,peer"), "rtos");
	assert_string_equal(str(off, "label"), "ttu");
	/* No protocol given: no property (the vserial ring's channel). */
	assert_int_equal(fdt_getprop(blob, off, "tandem,protocol", NULL), NULL);
	off = node("/channel@800200000");
	cells(off, "reg", reg1, 4);
	cells(off, "interrupts", irq1, 3);
	assert_int_equal(u32(off, "tandem,channel-id"), 3);
	assert_int_equal(u32(off, "tandem,side"), 0);
	assert_string_equal(str(off, "tandem,peer"), "other");
	assert_string_equal(str(off, "label"), "logs");
	assert_string_equal(str(off, "tandem,protocol"), "records");
	/* Its interrupts go to the virtual GIC through the root's interrupt-parent. */
	assert_int_equal(fdt_getprop(blob, off, "interrupt-parent", NULL), NULL);
	assert_int_equal(u32(0, "interrupt-parent"), GUEST_DTB_PHANDLE_GIC);
}

static void test_dtc_accepts(void **state)
{
	char in[] = "/tmp/tandem-guest-dtb-XXXXXX";
	char cmd[256], out[4096];
	int fd, n, status;
	FILE *p;
	size_t got;

	cfg.nr_channels = 1; /* a channel node too */
	cfg.channels[0] = (struct cfg_channel_end){
	    .ipa = 0x800000000ULL, .size = 0x1000, .doorbell = 127, .name = "c", .peer = "p"};
	n = build(0x48000000, 0x1000);
	fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, (size_t)n), n);
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null %s 2>&1; echo rc=$?", in);
	p = popen(cmd, "r");
	assert_non_null(p);
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	status = pclose(p);
	unlink(in);
	assert_int_equal(status, 0);
	if (strcmp(out, "rc=0\n") != 0)
		fail_msg("dtc complained:\n%s", out);
}

static void test_errors(void **state)
{
	uint8_t small[256];

	/* Too small a buffer: the writer's overflow surfaces as an error, nothing is returned. */
	assert_true(guest_dtb_build(&vm, small, sizeof(small), 0, 0) < 0);
	assert_true(fake_printk_contains("guest dtb"));

	vm.nr_vcpus = 0;
	assert_int_equal(guest_dtb_build(&vm, blob, sizeof(blob), 0, 0), -ERR_INVAL);
	vm.nr_vcpus = CFG_MAX_VCPUS + 1;
	assert_int_equal(guest_dtb_build(&vm, blob, sizeof(blob), 0, 0), -ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_root, setup),
	    cmocka_unit_test_setup(test_chosen_with_initrd, setup),
	    cmocka_unit_test_setup(test_chosen_without_initrd_or_bootargs, setup),
	    cmocka_unit_test_setup(test_memory, setup),
	    cmocka_unit_test_setup(test_cpus, setup),
	    cmocka_unit_test_setup(test_psci, setup),
	    cmocka_unit_test_setup(test_gic, setup),
	    cmocka_unit_test_setup(test_timer, setup),
	    cmocka_unit_test_setup(test_uart_and_clock, setup),
	    cmocka_unit_test_setup(test_channels, setup),
	    cmocka_unit_test_setup(test_dtc_accepts, setup),
	    cmocka_unit_test_setup(test_errors, setup),
	};

	return cmocka_run_group_tests_name("guest_dtb", tests, NULL, NULL);
}
