/* clang-format off */ /* unit-sources: hypervisor/core/irq.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c */
/* clang-format on */
/*
 * Interrupt ownership and dispatch (core/irq.c) over the fake interrupt controller: claims,
 * a second claim refused, each interrupt handed to its owner with its context and the running
 * vCPU, deactivated unless forwarded to a guest, unclaimed ones logged and deactivated, SGI/PPI
 * enables per pCPU, and the hypervisor's device SPIs routed to the pCPU irq_hyp_pcpu() picks.
 * irq.c's tables live for the whole binary: each test uses INTIDs of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/vcpu.h>

/* The pCPU array and pcpu_this() (pCPU 0): the shared fakes (fakes/fake_pcpu.c). */

/* ---- owners that record what they were given ---- */

#define MAX_CALLS 16

static struct call {
	char who;
	irq_t intid;
	void *ctx;
	struct vcpu *running;
} calls[MAX_CALLS];
static unsigned nr_calls;

static void record(char who, irq_t intid, void *ctx, struct vcpu *running)
{
	if (nr_calls < MAX_CALLS)
		calls[nr_calls] = (struct call){who, intid, ctx, running};
	nr_calls++;
}

static enum irq_result handle_a(irq_t intid, void *ctx, struct vcpu *running)
{
	record('a', intid, ctx, running);
	return IRQ_DONE;
}

static enum irq_result handle_b(irq_t intid, void *ctx, struct vcpu *running)
{
	record('b', intid, ctx, running);
	return IRQ_DONE;
}

static enum irq_result forward(irq_t intid, void *ctx, struct vcpu *running)
{
	record('f', intid, ctx, running);
	return IRQ_FORWARDED;
}

static const struct irq_owner owner_a = {
    .name = "owner A", .kind = IRQ_KIND_VTIMER, .handler = handle_a};
static const struct irq_owner owner_b = {
    .name = "owner B", .kind = IRQ_KIND_UART, .handler = handle_b};
static const struct irq_owner forwarder = {
    .name = "forwarder", .kind = IRQ_KIND_OTHER, .handler = forward};
static const struct irq_owner hyp_edge_dev = {.name = "edge device",
					      .kind = IRQ_KIND_OTHER,
					      .flags = IRQ_HYP_DEVICE | IRQ_EDGE,
					      .handler = handle_b};
static const struct irq_owner hyp_level_dev = {
    .name = "level device", .kind = IRQ_KIND_UART, .flags = IRQ_HYP_DEVICE, .handler = handle_b};

static struct vcpu running_vcpu;
static int ctx_a, ctx_b;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_gic_reset(4);
	memset(pcpus, 0, sizeof(pcpus));
	memset(&running_vcpu, 0, sizeof(running_vcpu));
	nr_pcpus = 1;
	pcpus[0].online = true;
	pcpus[0].current = &running_vcpu;
	nr_calls = 0;
	return 0;
}

static void test_each_interrupt_goes_to_its_owner(void **state)
{
	assert_int_equal(irq_claim(20, &owner_a, &ctx_a), 0); /* a PPI */
	assert_int_equal(irq_claim(40, &owner_b, &ctx_b), 0); /* an SPI */
	fake_gic_raise(40);
	fake_gic_raise(20);
	irq_handle();

	assert_int_equal(nr_calls, 2);
	assert_int_equal(calls[0].who, 'b');
	assert_int_equal(calls[0].intid, 40);
	assert_ptr_equal(calls[0].ctx, &ctx_b);
	assert_ptr_equal(calls[0].running, &running_vcpu);
	assert_int_equal(calls[1].who, 'a');
	assert_int_equal(calls[1].intid, 20);
	assert_ptr_equal(calls[1].ctx, &ctx_a);
	/* Acknowledged (priority dropped), handled, then deactivated, each once, in order. */
	assert_int_equal(fake_gic.nr_eois, 2);
	assert_int_equal(fake_gic.nr_deactivated, 2);
	assert_int_equal(fake_gic.deactivated[0], 40);
	assert_int_equal(fake_gic.deactivated[1], 20);
	/* Counted by the kind their owners gave, on the pCPU and the vCPU running there. */
	assert_int_equal(pcpus[0].stats.irq_kind[IRQ_KIND_UART], 1);
	assert_int_equal(pcpus[0].stats.irq_kind[IRQ_KIND_VTIMER], 1);
	assert_int_equal(pcpus[0].stats.irqs, 2);
	assert_int_equal(running_vcpu.stats.irqs, 2);
}

static void test_idle_pcpu_passes_no_vcpu(void **state)
{
	assert_int_equal(irq_claim(21, &owner_a, NULL), 0);
	pcpus[0].current = NULL;
	fake_gic_raise(21);
	irq_handle();
	assert_int_equal(nr_calls, 1);
	assert_null(calls[0].running);
	assert_int_equal(pcpus[0].stats.irqs, 1);
}

static void test_forwarded_interrupt_stays_active(void **state)
{
	assert_int_equal(irq_claim(41, &forwarder, &ctx_a), 0);
	fake_gic_raise(41);
	irq_handle();
	assert_int_equal(nr_calls, 1);
	assert_int_equal(calls[0].who, 'f');
	assert_int_equal(fake_gic.nr_eois, 1);
	/* The guest's EOI deactivates it through the list register's HW link: not EL2. */
	assert_int_equal(fake_gic.nr_deactivated, 0);
}

static void test_owner_without_handler_is_just_deactivated(void **state)
{
	static const struct irq_owner kick = {.name = "kick", .kind = IRQ_KIND_KICK};

	assert_int_equal(irq_claim(2, &kick, NULL), 0);
	fake_gic_raise(2);
	irq_handle();
	assert_int_equal(nr_calls, 0);
	assert_int_equal(fake_gic.nr_deactivated, 1);
	assert_int_equal(fake_gic.deactivated[0], 2);
	assert_int_equal(pcpus[0].stats.ipis, 1);
	assert_false(fake_printk_contains("unexpected"));
}

static void test_second_claim_refused(void **state)
{
	assert_int_equal(irq_claim(42, &owner_a, &ctx_a), 0);
	assert_int_equal(irq_claim(42, &owner_b, &ctx_b), -ERR_BUSY);
	assert_true(fake_printk_contains(
	    "tandem: error: irq: INTID 42 is already claimed by owner A: owner B cannot have it"));
	assert_int_equal(irq_claim(22, &owner_a, NULL), 0);
	assert_int_equal(irq_claim(22, &owner_a, NULL), -ERR_BUSY); /* the same owner again too */

	/* The first owner keeps it. */
	fake_gic_raise(42);
	irq_handle();
	assert_int_equal(nr_calls, 1);
	assert_int_equal(calls[0].who, 'a');
	assert_ptr_equal(calls[0].ctx, &ctx_a);
}

static void test_claim_of_a_non_interrupt_refused(void **state)
{
	assert_int_equal(irq_claim(IRQCHIP_NR_INTIDS, &owner_a, NULL), -ERR_INVAL);
	assert_int_equal(irq_claim(1023, &owner_a, NULL), -ERR_INVAL);
	assert_true(fake_printk_contains("irq: owner A: INTID 1023 is not an SGI, PPI or SPI"));
}

static void test_unclaimed_interrupt_logged_and_deactivated(void **state)
{
	fake_gic_raise(50); /* an SPI nobody claimed */
	fake_gic_raise(23); /* a PPI nobody claimed */
	irq_handle();
	assert_int_equal(nr_calls, 0);
	assert_true(fake_printk_contains("tandem: warning: CPU 0: unexpected interrupt 50"));
	assert_true(fake_printk_contains("tandem: warning: CPU 0: unexpected interrupt 23"));
	assert_int_equal(fake_gic.nr_deactivated, 2);
	assert_int_equal(fake_gic.deactivated[0], 50);
	assert_int_equal(fake_gic.deactivated[1], 23);
	assert_int_equal(pcpus[0].stats.irq_kind[IRQ_KIND_OTHER], 2);
}

static void test_claimed_by_names_the_owner(void **state)
{
	assert_int_equal(irq_claim(43, &owner_b, &ctx_b), 0);
	assert_ptr_equal(irq_claimed_by(43, &owner_b), &ctx_b);
	assert_null(irq_claimed_by(43, &owner_a));
	assert_null(irq_claimed_by(44, &owner_b)); /* nobody's */
	assert_null(irq_claimed_by(5000, &owner_b));
}

static void test_cpu_init_enables_claimed_private_interrupts(void **state)
{
	assert_int_equal(irq_claim(24, &owner_b, NULL), 0);
	irq_cpu_init();
	/* Every SGI/PPI claimed so far in this binary (2, 20, 21, 22, 24), no other. */
	assert_int_equal(fake_gic.ppi_enabled, 1u << 2 | 1u << 20 | 1u << 21 | 1u << 22 | 1u << 24);
}

static void test_hyp_devices_routed_to_the_hypervisor_pcpu(void **state)
{
	static const struct sched_ops hosts_ops = {.name = "dynamic",
						   .flags = SCHED_HOSTS_HYP_IRQS};
	static struct pool busy = {.ops = &hosts_ops, .nr_vcpus = 1};
	static struct pool spare = {.ops = &hosts_ops, .nr_vcpus = 0};

	assert_int_equal(irq_claim(60, &hyp_edge_dev, NULL), 0);
	assert_int_equal(irq_claim(61, &hyp_level_dev, NULL), 0);
	assert_int_equal(irq_claim(62, &owner_b, NULL), 0); /* not a hypervisor device */
	nr_pcpus = 3;
	for (unsigned i = 0; i < 3; i++) {
		pcpus[i].online = true;
		pcpus[i].mpidr = 0x100 * i;
		pcpus[i].sched.pool = i == 2 ? &spare : &busy;
	}
	assert_int_equal(irq_hyp_pcpu(), 2); /* the spare pool's */
	irq_route_hyp();
	assert_int_equal(fake_gic.spi_route[60], 0x200 + 1);
	assert_true(fake_gic.spi_edge[60]);
	assert_int_equal(fake_gic.spi_route[61], 0x200 + 1);
	assert_false(fake_gic.spi_edge[61]);
	assert_int_equal(fake_gic.spi_route[62], 0);
	assert_int_equal(fake_gic.spi_route[40], 0);
	assert_true(
	    fake_printk_contains("hypervisor interrupts (edge device, INTID 60) -> pCPU 2"));
	assert_true(
	    fake_printk_contains("hypervisor interrupts (level device, INTID 61) -> pCPU 2"));

	/* The spare pool gets a vCPU: they move to the first pCPU of a pool that hosts them. */
	spare.nr_vcpus = 1;
	irq_route_hyp();
	assert_int_equal(fake_gic.spi_route[60], 0x000 + 1);
	assert_int_equal(fake_gic.spi_route[61], 0x000 + 1);
	/* Same target again: nothing to do, nothing said. */
	fake_reset();
	fake_arch.printk_quiet = true;
	irq_route_hyp();
	assert_int_equal(fake_arch.printks, 0);
}

static void test_spi_claims_run_out_cleanly(void **state)
{
	irq_t intid = 100;
	int err = 0;

	while (intid < IRQCHIP_NR_INTIDS && !(err = irq_claim(intid, &owner_b, NULL)))
		intid++;
	assert_int_equal(err, -ERR_NOMEM);
	assert_true(fake_printk_contains("irq: owner B: no room to claim INTID"));
	/* Those claimed before still work, the refused one stays unclaimed. */
	fake_gic_raise(100);
	fake_gic_raise(intid);
	irq_handle();
	assert_int_equal(nr_calls, 1);
	assert_int_equal(calls[0].intid, 100);
	assert_true(fake_printk_contains("unexpected interrupt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_each_interrupt_goes_to_its_owner, setup),
	    cmocka_unit_test_setup(test_idle_pcpu_passes_no_vcpu, setup),
	    cmocka_unit_test_setup(test_forwarded_interrupt_stays_active, setup),
	    cmocka_unit_test_setup(test_owner_without_handler_is_just_deactivated, setup),
	    cmocka_unit_test_setup(test_second_claim_refused, setup),
	    cmocka_unit_test_setup(test_claim_of_a_non_interrupt_refused, setup),
	    cmocka_unit_test_setup(test_unclaimed_interrupt_logged_and_deactivated, setup),
	    cmocka_unit_test_setup(test_claimed_by_names_the_owner, setup),
	    cmocka_unit_test_setup(test_cpu_init_enables_claimed_private_interrupts, setup),
	    cmocka_unit_test_setup(test_hyp_devices_routed_to_the_hypervisor_pcpu, setup),
	    cmocka_unit_test_setup(test_spi_claims_run_out_cleanly, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
