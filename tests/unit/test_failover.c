/* clang-format off */ /* unit-sources: hypervisor/core/failover.c hypervisor/virt/passthrough.c hypervisor/virt/virtio_absent.c hypervisor/core/mmio.c hypervisor/core/irq.c hypervisor/lib/mem.c hypervisor/arch/aarch64/stage2.c hypervisor/lib/fdt.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_this_pcpu.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_smmu.c tests/unit/fakes/fake_timer.c */
/* clang-format on */
/*
 * The failure -> promotion state machine (core/failover.c) over the real device hand-over
 * (virt/passthrough.c, virt/virtio_absent.c), the real stage-2 tables and frame allocator:
 * roles and generation, the failed VM stopped or restarted per the group's on-failure, the
 * device unmapped from it, reset, its SPI forwarded and routed to the new owner, mapped there;
 * the shares swapped, the promotion interrupt; the standby's view of the device ("no device");
 * a failed standby or a lone active VM promotes nobody; 20 failovers allocate no page frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dtc.h"
#include "fakes/fake.h"

#include <arch/fake.h>
#include <arch/fake_gic.h>
#include <tandem/config.h>
#include <tandem/failover.h>
#include <tandem/irq.h>
#include <tandem/mem.h>
#include <tandem/mmio.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/stage2.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#define DEV_BASE 0x0a003e00ULL
#define DEV_PAGE 0x0a003000ULL
#define DEV_SPI	 79
#define PROMO_A	 120
#define PROMO_B	 121
#define MPIDR(n) (0x100u + (n))

static const char host_dts[] =
    "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n"
    "virtio_mmio@a003e00 { compatible = \"virtio,mmio\"; reg = <0 0xa003e00 0 0x200>;\n"
    "  interrupts = <0 47 1>; };\n};\n";

static struct cfg_system sys;
static struct fdt host;
static uint8_t *host_blob;

/* Group bs: a (primary, vCPU on pCPU 0, pool 0) and b (backup, pCPU 1, pool 1), one device. */
static void make_system(enum cfg_failover_policy policy)
{
	struct cfg_failover_group *g = &sys.groups[0];

	memset(&sys, 0, sizeof(sys));
	sys.nr_vms = 2;
	sys.nr_groups = 1;
	strcpy(g->name, "bs");
	g->vm[0] = 0;
	g->vm[1] = 1;
	g->active_pool = 0;
	g->active_weight = 256;
	g->standby_pool = 1;
	g->standby_weight = 64;
	g->on_failure = policy;
	g->nr_devices = 1;
	g->devices[0] = "/virtio_mmio@a003e00";
	for (unsigned i = 0; i < 2; i++) {
		struct cfg_vm *c = &sys.vms[i];
		struct vm *vm = &vms[i];

		strcpy(c->name, i ? "b" : "a");
		c->nr_pt = 1;
		c->pt[0] =
		    (struct cfg_passthrough){.path = "/virtio_mmio@a003e00",
					     .dma = true,
					     .moves = true,
					     .host = &host,
					     .host_node = fdt_path(&host, "/virtio_mmio@a003e00"),
					     .nr_reg = 1,
					     .nr_node_reg = 1,
					     .reg_base = {DEV_BASE},
					     .reg_size = {0x200},
					     .nr_irqs = 1,
					     .irqs = {DEV_SPI}};
		c->failover = (struct cfg_failover_member){.in_group = true,
							   .group = 0,
							   .starts_active = i == 0,
							   .spi = i ? PROMO_B : PROMO_A,
							   .group_name = "bs"};
		memset(vm, 0, sizeof(*vm));
		vm->cfg = c;
		vm->name = c->name;
		vm->index = i;
		vm->vmid = (vmid_t)(i + 1);
		vm->state = VM_RUNNING;
		vm->nr_vcpus = 1;
		vm->vcpus[0].vm = vm;
		vm->vcpus[0].pcpu = &pcpus[i];
		vm->vcpus[0].sched.pool = &pools[i];
		vm->vcpus[0].sched.params.weight = i ? 64 : 256;
		assert_int_equal(s2_init(&vm->s2, vm->vmid), 0);
	}
	nr_vms = 2;
	failover_init(&sys);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(passthrough_vdev.create(&vms[i]), 0);
}

static int setup(void **state)
{
	paddr_t base = FAKE_RAM_BASE;
	uint64_t size = MiB(64);
	size_t len;

	fake_reset();
	fake_arch.printk_quiet = true;
	fake_gic_reset(4);
	fake_calls_reset();
	nr_pcpus = 4;
	nr_pools = 2;
	for (unsigned i = 0; i < 4; i++) {
		pcpus[i].index = i;
		pcpus[i].mpidr = MPIDR(i);
	}
	for (unsigned i = 0; i < 2; i++) {
		pools[i].index = i;
		pools[i].name = i ? "standby" : "active";
	}
	if (mem_init(&base, &size, 1, NULL, NULL, 0))
		return -1;
	host_blob = dtc(host_dts, "", &len);
	assert_int_equal(fdt_open(&host, host_blob, len), 0);
	return 0;
}

static int teardown(void **state)
{
	free(host_blob);
	host_blob = NULL;
	return 0;
}

static bool mapped(struct vm *vm)
{
	paddr_t pa;

	return s2_translate(&vm->s2, DEV_PAGE, &pa) == 0 && pa == DEV_PAGE;
}

static uint64_t routed_to(irq_t intid)
{
	return fake_gic.spi_route[intid] ? fake_gic.spi_route[intid] - 1 : ~0ull;
}

/* A 4-byte guest read at addr through vm's emulated regions (what a stage-2 fault reaches). */
static uint64_t guest_read(struct vm *vm, ipa_t addr)
{
	struct mmio_access acc = {.addr = addr, .size = 4};

	assert_int_equal(mmio_dispatch(&vm->vcpus[0], &acc), 0);
	return acc.value;
}

static void role_is(struct vm *vm, uint64_t role, uint64_t generation)
{
	uint64_t r, g, c;

	assert_true(failover_state(vm, &r, &g, &c));
	assert_int_equal(r, role);
	assert_int_equal(g, generation);
	assert_int_equal(c, ~0ULL); /* the group has no channel */
}

static void test_boot_state(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	role_is(&vms[0], FAILOVER_ROLE_ACTIVE, 0);
	role_is(&vms[1], FAILOVER_ROLE_STANDBY, 0);
	assert_true(mapped(&vms[0]));
	assert_false(mapped(&vms[1]));
	assert_true(passthrough_owns(&vms[0], 0));
	assert_false(passthrough_owns(&vms[1], 0));
	assert_int_equal(routed_to(DEV_SPI), MPIDR(0));
	/* The standby reads "no device": MagicValue, Version 2, DeviceID 0; writes ignored. */
	assert_int_equal(guest_read(&vms[1], DEV_BASE), 0x74726976);
	assert_int_equal(guest_read(&vms[1], DEV_BASE + 4), 2);
	assert_int_equal(guest_read(&vms[1], DEV_BASE + 8), 0);
	assert_int_equal(guest_read(&vms[1], DEV_BASE + 0x70), 0);
	/* A VM in no group has no role. */
	{
		struct vm lone = {.cfg = &sys.vms[2]};
		uint64_t r, g, c;

		assert_false(failover_state(&lone, &r, &g, &c));
		assert_false(failover_vm_failed(&lone, FAILOVER_WATCHDOG, "x"));
	}
}

static void test_promotion(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[0], FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"));
	/* Roles swapped, generation 1. */
	role_is(&vms[0], FAILOVER_ROLE_STANDBY, 1);
	role_is(&vms[1], FAILOVER_ROLE_ACTIVE, 1);
	/* The failed VM is restarting (swap), its restart left to vm_restart_if_off. */
	assert_int_equal(vms[0].state, VM_RESTARTING);
	assert_int_equal(fake_count_obj("vm_begin_restart", &vms[0]), 1);
	assert_int_equal(fake_count_obj("vm_restart_if_off", &vms[0]), 1);
	assert_int_equal(fake_count("vm_stop"), 0);
	/* The device: out of a (TLB flushed), reset (Status = 0), SPI to b's vCPU 0, into b. */
	assert_false(mapped(&vms[0]));
	assert_true(mapped(&vms[1]));
	assert_true(fake_arch.tlb_flushes > 0);
	assert_int_equal(fake_arch.mmio_writes, 1);
	assert_int_equal(fake_arch.mmio_last_pa, DEV_BASE + 0x70);
	assert_int_equal(fake_arch.mmio_last_value, 0);
	assert_int_equal(routed_to(DEV_SPI), MPIDR(1));
	assert_true(fake_gic.spi_enabled[DEV_SPI]);
	assert_int_equal(guest_read(&vms[0], DEV_BASE + 8), 0); /* a now sees "no device" */
	/* Shares: b gets the active weight and pool, a the standby's. */
	assert_int_equal(vms[1].vcpus[0].sched.params.weight, 256);
	assert_int_equal(vms[0].vcpus[0].sched.params.weight, 64);
	assert_ptr_equal(vms[1].vcpus[0].sched.pool, &pools[0]);
	assert_ptr_equal(vms[0].vcpus[0].sched.pool, &pools[1]);
	/* The promotion interrupt, to b only, after the device went in. */
	assert_int_equal(fake_count("vgic_inject"), 1);
	assert_ptr_equal(fake_last("vgic_inject")->obj, &vms[1]);
	assert_int_equal(fake_last("vgic_inject")->arg[0], PROMO_B);
	assert_true(fake_printk_contains("failover bs: a failed (PSCI SYSTEM_OFF) at "));
	assert_true(fake_printk_contains("b promoted in "));
	assert_true(fake_printk_contains("generation 1, 1 device moved; restarting it as the "
					 "standby"));
}

/* restart-delay-ms: the failed VM's restart is held by the group, then handed to a pCPU. */
static void test_promotion_with_restart_delay(void **state)
{
	const struct timer *armed;

	make_system(CFG_FAILOVER_SWAP);
	sys.groups[0].restart_delay_ms = 500;
	fake_arch.counter = 1000000;
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[0], FAILOVER_FAULT, "a fatal fault"));
	role_is(&vms[1], FAILOVER_ROLE_ACTIVE, 1);
	/* Restarting, but claimed by the group: no pCPU leaving its vCPU runs the restart. */
	assert_int_equal(vms[0].state, VM_RESTARTING);
	assert_true(vms[0].restart_claimed);
	assert_int_equal(fake_count_obj("vm_begin_restart_held", &vms[0]), 1);
	assert_int_equal(fake_count("vm_restart_if_off") + fake_count("pcpu_restart_later"), 0);
	assert_true(mapped(&vms[1])); /* the promotion itself is not delayed */
	assert_int_equal(fake_count("vgic_inject"), 1);
	/* The timer: 500 ms (62.5 MHz) after the failure was seen. */
	armed = fake_timer_next();
	assert_non_null(armed);
	assert_true(armed->expires >= 1000000 + 500 * 62500);
	assert_true(armed->expires <= fake_arch.counter + 500 * 62500);
	assert_true(fake_printk_contains("1 device moved; restarting it as the standby in 500 ms"));
	/* Fired: the restart goes to the pCPU the timer fired on, to run holding no vCPU. */
	assert_ptr_equal(fake_timer_fire(), armed);
	assert_int_equal(fake_count_obj("pcpu_restart_later", &vms[0]), 1);
	assert_null(fake_timer_next());
}

static void test_stay_down(void **state)
{
	make_system(CFG_FAILOVER_STAY_DOWN);
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[0], FAILOVER_WATCHDOG, "watchdog WS1"));
	assert_int_equal(fake_count_obj("vm_stop", &vms[0]), 1);
	assert_int_equal(fake_count("vm_begin_restart"), 0);
	assert_int_equal(fake_count("vm_restart_if_off"), 0);
	role_is(&vms[1], FAILOVER_ROLE_ACTIVE, 1);
	assert_true(mapped(&vms[1]));
}

/* A failed standby restarts and promotes nobody; the device stays where it is. */
static void test_standby_failure(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[1], FAILOVER_WATCHDOG, "watchdog WS1"));
	role_is(&vms[0], FAILOVER_ROLE_ACTIVE, 0);
	assert_int_equal(fake_count_obj("vm_begin_restart", &vms[1]), 1);
	assert_int_equal(fake_count("vgic_inject"), 0);
	assert_true(mapped(&vms[0]));
	assert_false(mapped(&vms[1]));
	assert_true(fake_printk_contains("failover bs: standby b failed (watchdog WS1)"));
	/* With on-failure = "stop" it stays down. */
	make_system(CFG_FAILOVER_SWAP);
	sys.vms[1].on_failure = CFG_ON_FAILURE_STOP;
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[1], FAILOVER_FAULT, "SError"));
	assert_int_equal(fake_count_obj("vm_stop", &vms[1]), 1);
}

/* The active VM fails while the standby is not running: it restarts in place, still active. */
static void test_no_standby_running(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	vms[1].state = VM_STOPPED;
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[0], FAILOVER_SYSTEM_RESET, "PSCI SYSTEM_RESET"));
	role_is(&vms[0], FAILOVER_ROLE_ACTIVE, 0);
	assert_int_equal(fake_count_obj("vm_begin_restart", &vms[0]), 1);
	assert_true(mapped(&vms[0]));
	assert_int_equal(fake_count("vgic_inject"), 0);
}

/* A refused share change is logged; the promotion still completes. */
static void test_share_refused(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	fake_knobs.pool_set_err = -1;
	assert_true(failover_vm_failed(&vms[0], FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"));
	assert_true(fake_printk_contains("failover bs: vm b: weight 256 not given"));
	role_is(&vms[1], FAILOVER_ROLE_ACTIVE, 1);
	assert_true(mapped(&vms[1]));
}

/*
 * promotion-cpus: the listed pCPUs leave the failed VM's pool for the promoted VM's, after the
 * promotion interrupt; the VMs keep their pools. A refused move is logged, the promotion done.
 */
static void test_promotion_cpus(void **state)
{
	make_system(CFG_FAILOVER_SWAP);
	sys.groups[0].promotion_cpus = 1ULL << 2 | 1ULL << 3;
	pcpus[2].sched.pool = pcpus[3].sched.pool = &pools[0];
	fake_calls_reset();
	assert_true(failover_vm_failed(&vms[0], FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"));
	assert_int_equal(fake_count("pool_move_pcpu"), 2);
	assert_int_equal(fake_count("pool_move_vm"), 0);
	assert_ptr_equal(pcpus[2].sched.pool, &pools[1]);
	assert_ptr_equal(pcpus[3].sched.pool, &pools[1]);
	assert_ptr_equal(vms[0].vcpus[0].sched.pool, &pools[0]);
	assert_ptr_equal(vms[1].vcpus[0].sched.pool, &pools[1]);
	assert_int_equal(vms[1].vcpus[0].sched.params.weight, 256); /* the weights still swap */
	assert_true(fake_first("vgic_inject") < fake_first("pool_move_pcpu"));
	assert_true(fake_printk_contains("1 device moved, 2 pCPUs moved; restarting it"));
	/* And back with the next failover: they follow the active member. */
	vms[0].state = VM_RUNNING;
	assert_true(failover_vm_failed(&vms[1], FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"));
	assert_ptr_equal(pcpus[2].sched.pool, &pools[0]);
	assert_ptr_equal(pcpus[3].sched.pool, &pools[0]);
	/* Refused: logged, the promotion completes all the same. */
	vms[1].state = VM_RUNNING;
	fake_knobs.pool_move_err = -1;
	assert_true(failover_vm_failed(&vms[0], FAILOVER_SYSTEM_OFF, "PSCI SYSTEM_OFF"));
	assert_true(fake_printk_contains("failover bs: pCPU 2 not moved to pool standby: refused "
					 "by the test"));
	assert_true(fake_printk_contains("1 device moved, 0 pCPUs moved;"));
	role_is(&vms[1], FAILOVER_ROLE_ACTIVE, 3);
	assert_true(mapped(&vms[1]));
	sys.groups[0].promotion_cpus = 0;
}

/* Twenty failovers back and forth: roles alternate, no page frame is allocated. */
static void test_twenty_failovers_leak_nothing(void **state)
{
	uint64_t free_before;

	make_system(CFG_FAILOVER_SWAP);
	free_before = mem_free_bytes();
	for (unsigned n = 1; n <= 20; n++) {
		struct vm *failing = &vms[(n - 1) % 2], *next = &vms[n % 2];

		failing->state = VM_RUNNING;
		next->state = VM_RUNNING;
		assert_true(failover_vm_failed(failing, FAILOVER_SYSTEM_OFF, "off"));
		role_is(next, FAILOVER_ROLE_ACTIVE, n);
		role_is(failing, FAILOVER_ROLE_STANDBY, n);
		assert_true(mapped(next));
		assert_false(mapped(failing));
		assert_int_equal(routed_to(DEV_SPI), MPIDR(next->index));
		assert_int_equal(mem_free_bytes(), free_before);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_boot_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_promotion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_promotion_with_restart_delay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stay_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_standby_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_standby_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_promotion_cpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_twenty_failovers_leak_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
