/* clang-format off */ /* unit-sources: hypervisor/core/config.c hypervisor/core/config_failover.c hypervisor/core/config_channel.c hypervisor/core/config_freq.c hypervisor/core/config_machine.c hypervisor/lib/fdt.c hypervisor/virt/guest_dtb.c hypervisor/virt/vscmi_dtb.c hypervisor/core/freq.c hypervisor/platform/clock.c hypervisor/lib/fdt_write.c */
/* clang-format on */
/*
 * The description against the machine (core/config_machine.c): static-mem against host RAM,
 * Tandem's image, the host DTB, the boot bundle and other VMs; direct-map against the emulated
 * devices; passthrough against a QEMU-virt-like host DTB (one owner per device and per 4 KiB
 * page, SPIs only, no phandle references, DMA rules); then the guest DTB's copy of the node.
 * Each rule is checked with its whole error line.
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
#include <tandem/guest_dtb.h>
#include <tandem/vm.h>

static const uint8_t kernel_bytes[4096];

static int lookup(void *ctx, const char *name, const void **data, size_t *size)
{
	*data = kernel_bytes;
	*size = sizeof(kernel_bytes);
	return 0;
}

/* QEMU virt as far as these rules care: RAM, GIC, UART, three virtio-mmio slots, odd nodes. */
static const char host_dts[] =
    "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; interrupt-parent = <0x8002>;\n"
    "memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x80000000>; };\n"
    "intc@8000000 { compatible = \"arm,gic-v3\"; interrupt-controller; #interrupt-cells = <3>;\n"
    "  reg = <0 0x8000000 0 0x10000 0 0x80a0000 0 0xf60000>; phandle = <0x8002>; };\n"
    "pl011@9000000 { compatible = \"arm,pl011\"; reg = <0 0x9000000 0 0x1000>;\n"
    "  interrupts = <0 1 4>; };\n"
    "virtio_mmio@a003e00 { compatible = \"virtio,mmio\"; reg = <0 0xa003e00 0 0x200>;\n"
    "  interrupts = <0 47 1>; dma-coherent; phandle = <0x99>; };\n"
    "virtio_mmio@a003c00 { compatible = \"virtio,mmio\"; reg = <0 0xa003c00 0 0x200>;\n"
    "  interrupts = <0 46 1>; dma-coherent; };\n"
    "virtio_mmio@a002e00 { compatible = \"virtio,mmio\"; reg = <0 0xa002e00 0 0x200>;\n"
    "  interrupts = <0 39 1>; dma-coherent; };\n"
    "ppi@c000000 { reg = <0 0xc000000 0 0x1000>; interrupts = <1 5 4>; };\n"
    "clocked@c001000 { reg = <0 0xc001000 0 0x1000>; clocks = <0x8002>; };\n"
    "noreg { compatible = \"x\"; };\n"
    "bus { #address-cells = <2>; #size-cells = <2>; ranges; child@c003000 {\n"
    "  reg = <0 0xc003000 0 0x1000>; }; };\n"
    "bigspi@c004000 { reg = <0 0xc004000 0 0x1000>; interrupts = <0 200 4>; };\n"
    "ramdev@50000000 { reg = <0 0x50000000 0 0x1000>; };\n"
    "uartirq@c005000 { reg = <0 0xc005000 0 0x1000>; interrupts = <0 1 4>; };\n"
    "pcie@10000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
    "  #address-cells = <3>; #size-cells = <2>; #interrupt-cells = <1>;\n"
    "  reg = <0 0x3f000000 0 0x1000000>; iommu-map = <0 0x8005 0 0x10000>;\n"
    "  msi-map = <0 0x8004 0 0x10000>; interrupt-map-mask = <0x1800 0 0 7>;\n"
    "  ranges = <0x1000000 0 0 0 0x3eff0000 0 0x10000 0x2000000 0 0x10000000 0 0x10000000 0 "
    "0x2eff0000>;\n"
    "  interrupt-map = <0 0 0 1 0x8002 0 0 0 3 4 0 0 0 2 0x8002 0 0 0 4 4\n"
    "                   0x800 0 0 1 0x8002 0 0 0 4 4>; };\n"
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
	m.busy[m.nr_busy++] = (struct cfg_range){0x48000000, 0x100000, "the host DTB"};
	m.busy[m.nr_busy++] =
	    (struct cfg_range){0x48200000, 0x4000000, "the boot bundle (QEMU's -initrd)"};
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

/* Parses a description of VMs (dts text inside /vms) and runs both machine checks. */
static int check(const char *vms)
{
	char src[4096];
	struct fdt f;
	size_t len;
	int ret;

	snprintf(src, sizeof(src),
		 "/dts-v1/;\n/ { compatible = \"tandem,system\"; vms { %s }; };\n", vms);
	free(sys_blob);
	sys_blob = dtc(src, "", &len);
	assert_int_equal(fdt_open(&f, sys_blob, len), 0);
	assert_int_equal(cfg_parse(&f, lookup, NULL, &sys), 0);
	ret = cfg_check_static_mem(&sys, &m);
	if (!ret)
		ret = cfg_check_devices(&sys, &host, &m);
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

#define VM(name, props) name " { cpus = <1>; kernel = \"k\"; " props " };"
#define DIRECT(base)	"static-mem = <0x0 " base " 0x0 0x10000000>; direct-map; "

static void test_static_mem_ok(void **state)
{
	assert_int_equal(check(VM("a", DIRECT("0x60000000")) VM("b", DIRECT("0x70000000"))
				   VM("c", "memory = <0x0 0x200000>;")),
			 0);
}

static void test_static_mem_rules(void **state)
{
	expect(check(VM("a", DIRECT("0xb8000000"))),
	       "config: /vms/a: static-mem: 0xb8000000+0x10000000 is not inside host RAM "
	       "(0x40000000+0x80000000)");
	expect(check(VM("a", "static-mem = <0x0 0x40000000 0x0 0x200000>;")),
	       "config: /vms/a: static-mem: 0x40000000+0x200000 overlaps the hypervisor image at "
	       "0x40080000+0x200000");
	expect(check(VM("a", "static-mem = <0x0 0x48000000 0x0 0x200000>;")),
	       "config: /vms/a: static-mem: 0x48000000+0x200000 overlaps the host DTB at "
	       "0x48000000+0x100000");
	expect(check(VM("a", "static-mem = <0x0 0x4a000000 0x0 0x200000>;")),
	       "config: /vms/a: static-mem: 0x4a000000+0x200000 overlaps the boot bundle (QEMU's "
	       "-initrd) at 0x48200000+0x4000000");
	expect(check(VM("a", DIRECT("0x60000000")) VM("b", DIRECT("0x68000000"))),
	       "config: /vms/b: static-mem: 0x68000000+0x10000000 overlaps the static-mem of "
	       "/vms/a (0x60000000+0x10000000)");
	/* A machine with RAM under the emulated GIC: direct-map would hide it. */
	m.ram[m.nr_ram++] = (struct cfg_range){0x0, 0x10000000, "RAM"};
	expect(check(VM("a", "static-mem = <0x0 0x8000000 0x0 0x200000>; direct-map;")),
	       "config: /vms/a: direct-map: RAM at 0x8000000+0x200000 would cover the emulated GIC "
	       "distributor at 0x8000000");
	/* ... which is fine when not direct-mapped. */
	assert_int_equal(check(VM("a", "static-mem = <0x0 0x8000000 0x0 0x200000>;")), 0);
}

static void test_passthrough_ok(void **state)
{
	const struct cfg_passthrough *pt;

	assert_int_equal(check(VM("a", DIRECT("0x60000000") "passthrough = "
							    "\"/virtio_mmio@a003e00\", "
							    "\"/virtio_mmio@a003c00\";")
				   VM("b", "memory = <0x0 0x200000>; passthrough = "
					   "\"/virtio_mmio@a002e00\"; passthrough-no-dma = "
					   "\"/virtio_mmio@a002e00\";")),
			 0);
	pt = &sys.vms[0].pt[0];
	assert_int_equal(pt->nr_reg, 1);
	assert_int_equal(pt->reg_base[0], 0xa003e00);
	assert_int_equal(pt->reg_size[0], 0x200);
	assert_int_equal(pt->nr_irqs, 1);
	assert_int_equal(pt->irqs[0], 79); /* SPI 47 */
	assert_true(pt->dma);
	assert_int_equal(sys.vms[0].pt[1].irqs[0], 78);
	assert_false(sys.vms[1].pt[0].dma);
}

static void test_passthrough_rules(void **state)
{
	expect(check(VM("a", DIRECT("0x60000000") "passthrough = \"/virtio_mmio@a003e00\";")
			 VM("b", DIRECT("0x70000000") "passthrough = \"/virtio_mmio@a003c00\";")),
	       "config: /vms/b: passthrough: /virtio_mmio@a003c00 shares the 4 KiB page 0xa003000 "
	       "with /virtio_mmio@a003e00 of /vms/a (stage 2 maps whole pages: give both to one "
	       "VM)");
	expect(check(VM("a", DIRECT("0x60000000") "passthrough = \"/virtio_mmio@a003e00\";")
			 VM("b", DIRECT("0x70000000") "passthrough = \"/virtio_mmio@a003e00\";")),
	       "config: /vms/b: passthrough: /virtio_mmio@a003e00 is already given to /vms/a (one "
	       "owner per device)");
	expect(check(VM("a", "memory = <0x0 0x200000>; passthrough = \"/virtio_mmio@a003e00\";")),
	       "config: /vms/a: passthrough: /virtio_mmio@a003e00 can do DMA but the VM is neither "
	       "direct-mapped nor behind an SMMU (add direct-map, or list it in passthrough-no-dma "
	       "if it never does DMA)");
	/* static-mem alone is not enough: the guest's addresses are still not host-physical. */
	expect(check(VM("a", "static-mem = <0x0 0x60000000 0x0 0x200000>; passthrough = "
			     "\"/virtio_mmio@a003e00\";")),
	       "config: /vms/a: passthrough: /virtio_mmio@a003e00 can do DMA but the VM is neither "
	       "direct-mapped nor behind an SMMU (add direct-map, or list it in passthrough-no-dma "
	       "if it never does DMA)");
	/* An SMMU helps only the devices that name it (iommu-map): not the virtio-mmio slots. */
	m.has_smmu = true;
	expect(check(VM("a", "memory = <0x0 0x200000>; passthrough = \"/virtio_mmio@a003e00\";")),
	       "config: /vms/a: passthrough: /virtio_mmio@a003e00 can do DMA but the VM is neither "
	       "direct-mapped nor behind an SMMU (add direct-map, or list it in passthrough-no-dma "
	       "if it never does DMA)");
	m.has_smmu = false;

#define ONE(path) check(VM("a", DIRECT("0x60000000") "passthrough = \"" path "\";"))
	expect(ONE("/nothing@0"),
	       "config: /vms/a: passthrough: /nothing@0: no such node in the host device tree");
	expect(ONE("/ppi@c000000"), "config: /vms/a: passthrough: /ppi@c000000: interrupt <1 5> is "
				    "not an SPI (per-CPU interrupts stay with the hypervisor)");
	expect(ONE("/clocked@c001000"),
	       "config: /vms/a: passthrough: /clocked@c001000: its property 'clocks' refers to "
	       "other host nodes, which the guest does not get");
	expect(ONE("/noreg"), "config: /vms/a: passthrough: /noreg: has no reg (nothing to map)");
	expect(
	    ONE("/bus/child@c003000"),
	    "config: /vms/a: passthrough: /bus/child@c003000: only nodes directly under the root "
	    "can be passed through (no bus address translation)");
	expect(ONE("/bus"), "config: /vms/a: passthrough: /bus: nodes with subnodes are not "
			    "supported");
	expect(ONE("/bigspi@c004000"),
	       "config: /vms/a: passthrough: /bigspi@c004000: SPI 200 (INTID 232) is beyond the "
	       "virtual GIC's INTID 127");
	expect(ONE("/ramdev@50000000"),
	       "config: /vms/a: passthrough: /ramdev@50000000: reg 0x50000000+0x1000 is RAM, not a "
	       "device");
	expect(ONE("/pl011@9000000"),
	       "config: /vms/a: passthrough: /pl011@9000000: reg 0x9000000+0x1000 overlaps the "
	       "console UART, which Tandem keeps");
	expect(ONE("/uartirq@c005000"),
	       "config: /vms/a: passthrough: /uartirq@c005000: INTID 33 is the guest's emulated "
	       "UART interrupt");
#undef ONE
}

/* The PCIe host bridge: behind the SMMU, ECAM + windows mapped, the INTx SPIs owned. */
static void test_pci_host_bridge(void **state)
{
	const struct cfg_passthrough *pt;

	expect(check(VM("a", "memory = <0x0 0x200000>; passthrough = \"/pcie@10000000\";")),
	       "config: /vms/a: passthrough: /pcie@10000000 can do DMA but the VM is neither "
	       "direct-mapped nor behind an SMMU (add direct-map, or list it in passthrough-no-dma "
	       "if it never does DMA)");
	m.has_smmu = true;
	assert_int_equal(
	    check(VM("a", "memory = <0x0 0x200000>; passthrough = \"/pcie@10000000\";")), 0);
	pt = &sys.vms[0].pt[0];
	assert_true(pt->pci_host);
	assert_true(pt->behind_smmu);
	assert_int_equal(pt->nr_node_reg, 1);
	assert_int_equal(pt->nr_reg, 3);
	assert_int_equal(pt->reg_base[0], 0x3f000000);
	assert_int_equal(pt->reg_base[1], 0x3eff0000); /* I/O window */
	assert_int_equal(pt->reg_size[1], 0x10000);
	assert_int_equal(pt->reg_base[2], 0x10000000); /* 32-bit MMIO window */
	assert_int_equal(pt->reg_size[2], 0x2eff0000);
	assert_int_equal(pt->nr_irqs, 2); /* SPIs 3 and 4, each once */
	assert_int_equal(pt->irqs[0], 35);
	assert_int_equal(pt->irqs[1], 36);
	m.has_smmu = false;
}

static uint8_t dtb_buf[64 * 1024];

/* The guest gets the node: reg in its 2+2 cells, the same INTIDs on its virtual GIC. */
static void test_guest_dtb_copy(void **state)
{
	static struct vm vm;
	struct fdt g;
	const void *p;
	int node, len, size;
	uint32_t phandle;
	const char *compat;

	assert_int_equal(
	    check(VM("a", DIRECT("0x60000000") "passthrough = \"/virtio_mmio@a003e00\";")), 0);
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &sys.vms[0];
	vm.name = sys.vms[0].name;
	vm.nr_vcpus = 1;
	vm.ram_ipa = 0x60000000;
	vm.ram_size = sys.vms[0].mem_size;
	size = guest_dtb_build(&vm, dtb_buf, sizeof(dtb_buf), 0, 0);
	assert_true(size > 0);
	assert_int_equal(fdt_open(&g, dtb_buf, (size_t)size), 0);
	node = fdt_path(&g, "/virtio_mmio@a003e00");
	assert_true(node >= 0);
	assert_int_equal(fdt_read_string(&g, node, "compatible", &compat), 0);
	assert_string_equal(compat, "virtio,mmio");
	assert_true(fdt_has_prop(&g, node, "dma-coherent"));
	assert_false(fdt_has_prop(&g, node, "phandle"));
	p = fdt_prop(&g, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt_read_cells(p, 2), 0xa003e00);
	assert_int_equal(fdt_read_cells((const uint8_t *)p + 8, 2), 0x200);
	p = fdt_prop(&g, node, "interrupts", &len);
	assert_int_equal(len, 12);
	assert_int_equal(fdt_read_cells(p, 1), 0);
	assert_int_equal(fdt_read_cells((const uint8_t *)p + 4, 1), 47);
	assert_int_equal(fdt_read_cells((const uint8_t *)p + 8, 1), 1);
	assert_int_equal(fdt_read_u32(&g, node, "interrupt-parent", &phandle), 0);
	assert_int_equal(phandle, GUEST_DTB_PHANDLE_GIC);
	/* The memory node follows the direct-mapped RAM. */
	assert_true(fdt_path(&g, "/memory@60000000") >= 0);
}

/* The host bridge's copy: ECAM reg only, INTx map on the virtual GIC, no msi-map/iommu-map. */
static void test_guest_dtb_pci(void **state)
{
	static struct vm vm;
	struct fdt g;
	const uint8_t *p;
	int node, len, size;

	m.has_smmu = true;
	assert_int_equal(
	    check(VM("a", "memory = <0x0 0x200000>; passthrough = \"/pcie@10000000\";")), 0);
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &sys.vms[0];
	vm.name = sys.vms[0].name;
	vm.nr_vcpus = 1;
	vm.ram_ipa = CFG_VM_RAM_IPA;
	vm.ram_size = sys.vms[0].mem_size;
	size = guest_dtb_build(&vm, dtb_buf, sizeof(dtb_buf), 0, 0);
	assert_true(size > 0);
	assert_int_equal(fdt_open(&g, dtb_buf, (size_t)size), 0);
	node = fdt_path(&g, "/pcie@10000000");
	assert_true(node >= 0);
	assert_false(fdt_has_prop(&g, node, "msi-map"));
	assert_false(fdt_has_prop(&g, node, "iommu-map"));
	assert_true(fdt_has_prop(&g, node, "ranges"));
	p = fdt_prop(&g, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt_read_cells(p, 2), 0x3f000000);
	p = fdt_prop(&g, node, "interrupt-map", &len);
	assert_int_equal(len, 3 * 40);
	for (int e = 0; e < 3; e++)
		assert_int_equal(fdt_read_cells(p + 40 * e + 16, 1), GUEST_DTB_PHANDLE_GIC);
	assert_int_equal(fdt_read_cells(p + 32, 1), 3); /* the SPI numbers stay */
	m.has_smmu = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_static_mem_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_mem_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passthrough_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passthrough_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_dtb_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pci_host_bridge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_dtb_pci, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
