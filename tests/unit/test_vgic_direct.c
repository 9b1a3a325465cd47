/* clang-format off */ /* unit-sources: hypervisor/virt/vgic/vgic-direct.c hypervisor/virt/vgic/vgic.c hypervisor/virt/vgic/vgic-lr.c hypervisor/virt/vgic/vgic-mmio.c hypervisor/virt/vgic/vgic-dist.c hypervisor/virt/vgic/vgic-redist.c hypervisor/core/guest_log.c hypervisor/core/mmio.c hypervisor/lib/ratelimit.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vcpu.c tests/unit/fakes/fake_vtimer.c tests/unit/fakes/fake_timer.c tests/unit/fakes/fake_arch_vcpu.c */
/* clang-format on */
/*
 * Direct delivery (virt/vgic/vgic-direct.c) over the real vGIC and the fake GIC: when a vCPU
 * of an irq = "direct" pool runs with HCR_EL2.IMO clear, when an excursion through the list
 * registers starts and ends, that every excursion LR asks for maintenance at its EOI (so the
 * excursion cannot outlive the guest's handler), the physical PPI 27 following the guest's
 * GICR settings, the retry while the guest is inside a direct interrupt, and the hand-back.
 * Also the pure SGI target translation: a guest's SGI names its own vCPUs only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/arch_vcpu.h>
#include <tandem/mmio.h>
#include <tandem/timer.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

#include "../../hypervisor/virt/vgic/vgic-internal.h"
#include "fakes/fake.h"

#define GICR_ISENABLER0 0x10100
#define GICR_ICENABLER0 0x10180
#define GICR_IPRIORITYR 0x10400
#define SPI_A		33

/* --- The vGIC's neighbours: the shared recording fakes (fakes/), the real core/mmio.c --- */

static struct vm vm;

#define current_vcpu fake_knobs.current_vcpu

/* Whether vCPU i runs with HCR_EL2.IMO clear: arch_vcpu_set_irq_direct() as last called. */
static bool imo_clear(unsigned i)
{
	const struct fake_call *c = fake_last_obj("arch_vcpu_set_irq_direct", &vm.vcpus[i]);

	return c && c->arg[0];
}

/* --- Helpers --- */

static void gicr_write(unsigned cpu, uint32_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < vm.nr_mmio; i++) {
		struct mmio_region *r = &vm.mmio[i];
		ipa_t addr = VGIC_GICR_BASE + cpu * VGIC_GICR_STRIDE + off;

		if (addr >= r->base && addr < r->base + r->size) {
			struct mmio_access acc = {.addr = addr,
						  .offset = addr - r->base,
						  .size = size,
						  .write = true,
						  .value = val};

			assert_int_equal(r->handler(&vm.vcpus[cpu], &acc, r->opaque), 0);
			return;
		}
	}
	fail_msg("no GICR region");
}

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_gic_reset(4);
	memset(&vm, 0, sizeof(vm));
	fake_calls_reset();
	vm.name = "rtos";
	vm.nr_vcpus = 2;
	for (unsigned i = 0; i < vm.nr_vcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
	}
	if (vgic_vm_init(&vm))
		return -1;
	for (unsigned i = 0; i < vm.nr_vcpus; i++) {
		vgic_vcpu_init(&vm.vcpus[i]);
		vgic_direct_init(&vm.vcpus[i]);
	}
	vm.vgic.ctlr = 0x3;
	current_vcpu = &vm.vcpus[0];
	return 0;
}

/* vCPU 0 loaded on its pCPU as vcpu_enter() does it for a direct pool. */
static struct vcpu *load_direct(void)
{
	struct vcpu *v = &vm.vcpus[0];

	v->vgic.direct_capable = true;
	vgic_vcpu_restore(v);
	vgic_flush(v);
	vgic_direct_exit(v);
	return v;
}

/* One EL2 round trip of a direct vCPU: entry edge, exit edge. */
static void round_trip(struct vcpu *v)
{
	if (v->vgic.direct_on)
		vgic_direct_enter(v);
	vgic_sync(v);
	vgic_flush(v);
	vgic_direct_exit(v);
}

/* --- Tests --- */

static void test_decide(void **state)
{
	assert_int_equal(vgic_direct_decide(true, false, false), DIRECT_STAY);
	assert_int_equal(vgic_direct_decide(true, false, true), DIRECT_STAY);
	assert_int_equal(vgic_direct_decide(false, false, false), DIRECT_GO_ON);
	assert_int_equal(vgic_direct_decide(true, true, false), DIRECT_GO_OFF);
	assert_int_equal(vgic_direct_decide(true, true, true), DIRECT_RETRY);
	assert_int_equal(vgic_direct_decide(false, true, false), DIRECT_STAY_TRAPPED);
}

static void test_loaded_direct_with_nothing_to_deliver(void **state)
{
	struct vcpu *v = load_direct();

	assert_true(v->vgic.direct_on);
	assert_true(imo_clear(0));
	assert_true(fake_gic.direct);
	/* The physical PPI 27 as the guest has its virtual one: disabled after reset. */
	assert_false(fake_gic.ppi_enabled & (1u << PPI_VIRT_TIMER));
}

static void test_timer_config_follows_the_guest(void **state)
{
	struct vcpu *v = load_direct();

	gicr_write(0, GICR_IPRIORITYR + PPI_VIRT_TIMER, 1, 0x40);
	gicr_write(0, GICR_ISENABLER0, 4, 1u << PPI_VIRT_TIMER);
	round_trip(v);
	assert_true(fake_gic.ppi_enabled & (1u << PPI_VIRT_TIMER));
	assert_int_equal(fake_gic.priority[PPI_VIRT_TIMER], irqchip_guest_prio(0x40));
	/* Every guest priority stays below every one of the hypervisor's (Group 0). */
	assert_true(irqchip_guest_prio(0) > IRQCHIP_PRIO_HYP);
	assert_true(irqchip_guest_prio(0x08) > irqchip_guest_prio(0));
	gicr_write(0, GICR_ICENABLER0, 4, 1u << PPI_VIRT_TIMER);
	round_trip(v);
	assert_false(fake_gic.ppi_enabled & (1u << PPI_VIRT_TIMER));
}

static void test_excursion_for_an_emulated_interrupt(void **state)
{
	struct vcpu *v = load_direct();
	int lr;

	vgic_set_level(&vm, SPI_A, true); /* an emulated device's line (vPL011) */
	vm.vgic.spis[SPI_A - 32].enabled = true;
	round_trip(v);
	/* Delivered through the LRs: IMO set again, the interface EL2's. */
	assert_false(v->vgic.direct_on);
	assert_false(imo_clear(0));
	assert_false(fake_gic.direct);
	assert_int_equal(v->stats.excursions, 1);
	lr = fake_gic_find_lr(SPI_A);
	assert_true(lr >= 0);
	assert_true(irqchip_lr_has(fake_gic.lr[lr], IRQCHIP_LR_EOI_MAINT));

	/* The guest takes it, the device drops its line, the guest ends it: maintenance. */
	assert_int_equal(fake_gic_guest_ack(), SPI_A);
	vgic_set_level(&vm, SPI_A, false);
	fake_gic_guest_eoi(SPI_A);
	round_trip(v);
	assert_true(v->vgic.direct_on);
	assert_true(imo_clear(0));
	assert_true(fake_gic.direct);
}

static void test_excursion_lr_of_a_linked_interrupt_is_not_hw(void **state)
{
	struct vcpu *v = load_direct();
	int lr;

	vm.vcpus[0].vgic.private_irqs[PPI_VIRT_TIMER].enabled = true;
	vgic_inject_hw(v, PPI_VIRT_TIMER, PPI_VIRT_TIMER);
	round_trip(v);
	lr = fake_gic_find_lr(PPI_VIRT_TIMER);
	assert_true(lr >= 0);
	/* No HW bit: its EOI must come back to EL2, which deactivates the physical one. */
	assert_false(irqchip_lr_has(fake_gic.lr[lr], IRQCHIP_LR_HW));
	assert_true(irqchip_lr_has(fake_gic.lr[lr], IRQCHIP_LR_EOI_MAINT));
	assert_int_equal(fake_gic_guest_ack(), PPI_VIRT_TIMER);
	fake_gic_guest_eoi(PPI_VIRT_TIMER);
	fake_gic.nr_deactivated = 0;
	round_trip(v);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], PPI_VIRT_TIMER);
	assert_true(v->vgic.direct_on);
}

static void test_excursion_waits_for_the_guests_eoi(void **state)
{
	struct vcpu *v = load_direct();

	fake_gic.in_service = true; /* inside the handler of a direct interrupt */
	vgic_inject(&vm, v, 5);	    /* an SGI from its other vCPU */
	round_trip(v);
	assert_true(v->vgic.direct_on); /* its EOI must still reach the physical GIC */
	assert_int_equal(fake_count("timer_arm"), 1);
	fake_gic.in_service = false;
	round_trip(v); /* the retry */
	assert_false(v->vgic.direct_on);
	assert_true(fake_gic_find_lr(5) >= 0);
}

/*
 * EL2 waiting in place for a direct vCPU (PSCI CPU_SUSPEND) needs its IRQs routed to EL2, or
 * its timer would wake the WFI without ever being taken (the RTOS's fuzzer stalled so); after
 * the wait it is direct again, and the exit edge decides as always.
 */
static void test_wait_in_place_takes_irqs_at_el2(void **state)
{
	struct vcpu *v = load_direct();

	vgic_direct_enter(v);
	vgic_direct_wait(v, true);
	assert_false(imo_clear(0));
	vgic_inject_hw(v, PPI_VIRT_TIMER, PPI_VIRT_TIMER); /* what EL2's IRQ handler does */
	vgic_direct_wait(v, false);
	assert_true(imo_clear(0));
	vm.vcpus[0].vgic.private_irqs[PPI_VIRT_TIMER].enabled = true;
	vgic_sync(v);
	vgic_flush(v);
	vgic_direct_exit(v);
	assert_false(v->vgic.direct_on); /* delivered in an excursion */
	assert_false(imo_clear(0));
	assert_true(fake_gic_find_lr(PPI_VIRT_TIMER) >= 0);

	/* A wait during an excursion leaves IMO as it is (set). */
	vgic_direct_wait(v, true);
	vgic_direct_wait(v, false);
	assert_false(imo_clear(0));
}

static void test_put_hands_everything_back(void **state)
{
	struct vcpu *v = load_direct();

	gicr_write(0, GICR_ICENABLER0, 4, 1u << PPI_VIRT_TIMER);
	round_trip(v);
	fake_gic.in_service = true;
	fake_gic.ppi_active = 1u << PPI_VIRT_TIMER;
	vgic_direct_enter(v);
	vgic_direct_put(v);
	assert_false(fake_gic.in_service); /* its active priority ended here */
	assert_false(fake_gic.ppi_active & (1u << PPI_VIRT_TIMER));
	assert_true(fake_gic.ppi_enabled & (1u << PPI_VIRT_TIMER)); /* trapped: always enabled */
	assert_int_equal(fake_gic.priority[PPI_VIRT_TIMER], IRQCHIP_PRIO_GUEST);
	assert_false(v->vgic.direct_on);
	assert_false(imo_clear(0));
	assert_false(fake_gic.direct);
	assert_true(fake_count_obj("timer_cancel", &v->direct_retry) >= 1);
	assert_false(fake_timer_armed(&v->direct_retry));
}

static void test_sgi_targets_are_own_vcpus_only(void **state)
{
	/* TargetList {1, 2} of a 3-vCPU VM. */
	assert_int_equal(vgic_sgi_targets(5ULL << 24 | 0x6, 0, 3), 0x6);
	/* Aff0 past its vCPUs: dropped, the rest kept. */
	assert_int_equal(vgic_sgi_targets(0x81, 0, 3), 0x1);
	assert_int_equal(vgic_sgi_targets(0x8, 0, 3), 0);
	/* Another cluster (Aff1, Aff2, Aff3) or range selector: never anyone of its own. */
	assert_int_equal(vgic_sgi_targets(1ULL << 16 | 0x1, 0, 3), 0);
	assert_int_equal(vgic_sgi_targets(1ULL << 32 | 0x1, 0, 3), 0);
	assert_int_equal(vgic_sgi_targets(1ULL << 48 | 0x1, 0, 3), 0);
	assert_int_equal(vgic_sgi_targets(1ULL << 44 | 0x1, 0, 3), 0);
	/* IRM: all of its vCPUs but the sender, nobody else. */
	assert_int_equal(vgic_sgi_targets(1ULL << 40, 1, 3), 0x5);
	assert_int_equal(vgic_sgi_targets(1ULL << 40, 0, 1), 0);
	assert_int_equal(vgic_sgi_targets(1ULL << 40 | 0xffff, 2, 8), 0xfb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide),
	    cmocka_unit_test_setup(test_loaded_direct_with_nothing_to_deliver, setup),
	    cmocka_unit_test_setup(test_timer_config_follows_the_guest, setup),
	    cmocka_unit_test_setup(test_excursion_for_an_emulated_interrupt, setup),
	    cmocka_unit_test_setup(test_excursion_lr_of_a_linked_interrupt_is_not_hw, setup),
	    cmocka_unit_test_setup(test_excursion_waits_for_the_guests_eoi, setup),
	    cmocka_unit_test_setup(test_wait_in_place_takes_irqs_at_el2, setup),
	    cmocka_unit_test_setup(test_put_hands_everything_back, setup),
	    cmocka_unit_test(test_sgi_targets_are_own_vcpus_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
