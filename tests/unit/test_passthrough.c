/* clang-format off */ /* unit-sources: hypervisor/virt/passthrough.c hypervisor/virt/virtio_absent.c hypervisor/core/mmio.c hypervisor/lib/fdt.c hypervisor/core/irq.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_stage2.c tests/unit/fakes/fake_smmu.c */
/* clang-format on */
/*
 * Passed-through devices (virt/passthrough.c) over the real interrupt ownership (core/irq.c)
 * and the fake GIC: MMIO mapped IPA == PA in whole pages, each SPI claimed for its VM and routed
 * to the pCPU of the vCPU the guest targets (vCPU 0 when it names none), following that vCPU
 * when it moves and the guest when it retargets, reset deactivating and re-routing, and a fired
 * SPI forwarded hardware-linked (or silenced for a stopped VM). irq.c's claims live for the
 * whole binary: each test uses SPIs of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/config.h>
#include <tandem/irq.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "fakes/fake.h"

static struct vm vm;
static struct cfg_vm cfg;

#define MPIDR(n) (0x100u + (n)) /* distinct from the pCPU index, so a mix-up shows */

/* A VM with two vCPUs on pCPUs 1 and 2 and one device at 0x9050000 with the given SPIs. */
static void make_vm(irq_t spi_a, irq_t spi_b)
{
	memset(&vm, 0, sizeof(vm));
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_pt = 1;
	cfg.pt[0].path = "/dev@9050000";
	cfg.pt[0].nr_reg = 1;
	cfg.pt[0].reg_base[0] = 0x9050010; /* not page aligned: the whole page is mapped */
	cfg.pt[0].reg_size[0] = 0x100;
	cfg.pt[0].nr_irqs = 2;
	cfg.pt[0].irqs[0] = spi_a;
	cfg.pt[0].irqs[1] = spi_b;
	vm.cfg = &cfg;
	vm.name = "vm0";
	vm.state = VM_RUNNING;
	vm.nr_vcpus = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].pcpu = &pcpus[1 + i];
	}
}

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_gic_reset(4);
	fake_calls_reset();
	nr_pcpus = 4;
	for (unsigned i = 0; i < 4; i++) {
		pcpus[i].index = i;
		pcpus[i].mpidr = MPIDR(i);
	}
	return 0;
}

static uint64_t routed_to(irq_t intid)
{
	return fake_gic.spi_route[intid] ? fake_gic.spi_route[intid] - 1 : ~0ull;
}

static void test_create_maps_claims_and_routes_to_vcpu0(void **state)
{
	make_vm(40, 41);
	assert_int_equal(passthrough_vdev.create(&vm), 0);

	/* MMIO: the whole 4 KiB page, identity-mapped. */
	assert_int_equal(fake_count_obj("s2_map", &vm.s2), 1);
	assert_int_equal(fake_last("s2_map")->arg[0], 0x9050000);
	assert_int_equal(fake_last("s2_map")->arg[1], 0x9050000);
	assert_int_equal(fake_last("s2_map")->arg[2], 0x1000);
	assert_int_equal(fake_count("smmu_attach_vm"), 0);
	/* Owned by the VM; no guest routing yet: taken where vCPU 0 runs, and enabled. */
	assert_int_equal(routed_to(40), MPIDR(1));
	assert_int_equal(routed_to(41), MPIDR(1));
	assert_true(fake_gic.spi_enabled[40]);
	assert_non_null(vm.vgic.on_spi_change);
}

static void test_spis_follow_their_target_vcpu(void **state)
{
	make_vm(42, 43);
	fake_knobs.spi_target[43] = &vm.vcpus[1]; /* the guest sent SPI 43 to vCPU 1 */
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	assert_int_equal(routed_to(42), MPIDR(1));
	assert_int_equal(routed_to(43), MPIDR(2));

	/* vCPU 1 migrates to pCPU 3: only its SPI moves. */
	vm.vcpus[1].pcpu = &pcpus[3];
	passthrough_follow_vcpu(&vm.vcpus[1]);
	assert_int_equal(routed_to(43), MPIDR(3));
	assert_int_equal(routed_to(42), MPIDR(1));

	/* vCPU 0 migrates to pCPU 0: the SPI it owns by default follows it. */
	vm.vcpus[0].pcpu = &pcpus[0];
	passthrough_follow_vcpu(&vm.vcpus[0]);
	assert_int_equal(routed_to(42), MPIDR(0));
	assert_int_equal(routed_to(43), MPIDR(3));
}

/* A VM with no physical SPI (a device with MMIO only, or none) has no line to follow: the
 * vGIC's enable and priority writes call no hook. One that has any does. */
static void test_hook_only_with_spis(void **state)
{
	make_vm(70, 71);
	cfg.pt[0].nr_irqs = 0;
	vm.vgic.on_spi_change = passthrough_spi_changed; /* left over: cleared */
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	assert_null(vm.vgic.on_spi_change);
	make_vm(70, 71);
	cfg.nr_pt = 0;
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	assert_null(vm.vgic.on_spi_change);
	make_vm(70, 71);
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	assert_ptr_equal(vm.vgic.on_spi_change, passthrough_spi_changed);
}

static void test_guest_retarget_reroutes(void **state)
{
	make_vm(44, 45);
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	fake_knobs.spi_target[44] = &vm.vcpus[1];
	vm.vgic.on_spi_change(&vm, 44); /* the guest wrote GICD_IROUTER */
	assert_int_equal(routed_to(44), MPIDR(2));
	assert_int_equal(routed_to(45), MPIDR(1));

	/* Another VM's SPI (or an unowned one) is not this VM's to route. */
	fake_gic.spi_route[46] = 0;
	fake_knobs.spi_target[46] = &vm.vcpus[1];
	passthrough_spi_changed(&vm, 46);
	assert_int_equal(fake_gic.spi_route[46], 0);
}

static void test_reset_deactivates_then_routes_again(void **state)
{
	make_vm(47, 48);
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	fake_gic.spi_route[47] = fake_gic.spi_route[48] = 0;
	fake_gic.spi_enabled[47] = fake_gic.spi_enabled[48] = false;
	fake_knobs.spi_target[48] = &vm.vcpus[1];

	passthrough_vdev.reset(&vm);
	assert_int_equal(fake_gic.nr_spi_deactivated, 2);
	assert_int_equal(routed_to(47), MPIDR(1));
	assert_int_equal(routed_to(48), MPIDR(2));
	assert_true(fake_gic.spi_enabled[47]);
	assert_true(fake_gic.spi_enabled[48]);
}

static void test_direct_spi_follows_the_guests_enable_and_priority(void **state)
{
	make_vm(54, 55);
	fake_knobs.spi_target[55] = &vm.vcpus[1];
	vm.vcpus[0].vgic.direct_capable = true; /* vCPU 0 runs in an irq = "direct" pool */
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	/* Direct: the guest has not enabled SPI 54 yet, so neither is the physical one. */
	assert_false(fake_gic.spi_enabled[54]);
	/* Trapped (vCPU 1): enabled at the guests' priority, the vGIC applies the guest's. */
	assert_true(fake_gic.spi_enabled[55]);
	assert_int_equal(fake_gic.priority[55], IRQCHIP_PRIO_GUEST);

	/* The guest enables SPI 54 at priority 0x40 (GICD_ISENABLER, GICD_IPRIORITYR). */
	fake_knobs.spi_guest_enabled[54] = true;
	fake_knobs.spi_guest_prio[54] = 0x40;
	vm.vgic.on_spi_change(&vm, 54);
	assert_true(fake_gic.spi_enabled[54]);
	assert_int_equal(fake_gic.priority[54], irqchip_guest_prio(0x40));
	assert_true(fake_gic.priority[54] > IRQCHIP_PRIO_HYP); /* below every Group 0 one */
	/* ... and disables it again (GICD_ICENABLER): the physical one stops with it. */
	fake_knobs.spi_guest_enabled[54] = false;
	vm.vgic.on_spi_change(&vm, 54);
	assert_false(fake_gic.spi_enabled[54]);
	/* A trapped vCPU's SPI ignores the guest's enable: EL2 takes it and the vGIC holds it. */
	vm.vgic.on_spi_change(&vm, 55);
	assert_true(fake_gic.spi_enabled[55]);

	/* vCPU 0 leaves the direct pool (its next load sees it): trapped configuration again. */
	vm.vcpus[0].vgic.direct_capable = false;
	passthrough_follow_vcpu(&vm.vcpus[0]);
	assert_true(fake_gic.spi_enabled[54]);
	assert_int_equal(fake_gic.priority[54], IRQCHIP_PRIO_GUEST);

	/* Retargeted to a direct vCPU: it takes that vCPU's (direct) configuration. */
	vm.vcpus[1].vgic.direct_capable = true;
	fake_knobs.spi_guest_enabled[55] = false;
	vm.vgic.on_spi_change(&vm, 55);
	assert_false(fake_gic.spi_enabled[55]);
}

static void test_fired_spi_is_forwarded_or_silenced(void **state)
{
	make_vm(49, 50);
	assert_int_equal(passthrough_vdev.create(&vm), 0);

	fake_gic_raise(49);
	irq_handle();
	assert_int_equal(fake_count("vgic_inject_hw"), 1);
	assert_int_equal(fake_last("vgic_inject_hw")->arg[0], 49);
	assert_int_equal(fake_last("vgic_inject_hw")->arg[1], 49);
	assert_int_equal(fake_gic.nr_deactivated, 0); /* the guest's EOI deactivates it */

	vm.state = VM_STOPPED;
	fake_gic_raise(50);
	irq_handle();
	assert_int_equal(fake_count("vgic_inject_hw"), 1);
	assert_false(fake_gic.spi_enabled[50]);
	assert_int_equal(fake_gic.nr_deactivated, 1);
}

static void test_spi_owned_elsewhere_fails_create(void **state)
{
	make_vm(51, 52);
	assert_int_equal(passthrough_vdev.create(&vm), 0);
	make_vm(53, 52); /* a second VM asking for SPI 52 too */
	assert_int_not_equal(passthrough_vdev.create(&vm), 0);
	assert_true(fake_printk_contains("vm vm0: passthrough /dev@9050000: cannot take INTID 52"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_create_maps_claims_and_routes_to_vcpu0, setup),
	    cmocka_unit_test_setup(test_spis_follow_their_target_vcpu, setup),
	    cmocka_unit_test_setup(test_guest_retarget_reroutes, setup),
	    cmocka_unit_test_setup(test_hook_only_with_spis, setup),
	    cmocka_unit_test_setup(test_reset_deactivates_then_routes_again, setup),
	    cmocka_unit_test_setup(test_direct_spi_follows_the_guests_enable_and_priority, setup),
	    cmocka_unit_test_setup(test_fired_spi_is_forwarded_or_silenced, setup),
	    cmocka_unit_test_setup(test_spi_owned_elsewhere_fails_create, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
