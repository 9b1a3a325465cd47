/* clang-format off */ /* unit-sources: hypervisor/core/smccc.c hypervisor/core/hypercall.c tests/unit/fakes/fake_failover.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_pool.c tests/unit/fakes/fake_pcpu.c tests/unit/fakes/fake_pcpu_time.c tests/unit/fakes/fake_vpsci.c tests/unit/fakes/fake_vscmi.c tests/unit/fakes/fake_freq.c tests/unit/fakes/fake_channel.c */
/* clang-format on */
/*
 * The SMCCC router (core/smccc.c) and the decoding of Tandem's control calls (core/hypercall.c):
 * which service each function ID reaches, malformed IDs (yielding calls, reserved bits, owners
 * nobody serves, x0[63:32] set, SMC32 and SMC64 variants), and how each control call's
 * registers become a request to the pools, or a refusal that requests nothing. PSCI (vpsci.c,
 * tested in test_vpsci), the pools (test_pool_moves), SCMI and channels are the shared
 * recording fakes (fakes/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/abi/debug_hvc.h>
#include <tandem/abi/hypercall.h>
#include <tandem/channel.h>
#include <tandem/errno.h>
#include <tandem/freq.h>
#include <tandem/hypercall.h>
#include <tandem/pool.h>
#include <tandem/psci.h>
#include <tandem/smccc.h>
#include <tandem/log.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/vscmi.h>

#include "fakes/fake.h"

/* What vpsci.c serves (test_vpsci checks what it answers): w0 without the SMC64 bit. */
static bool psci_implements(uint32_t w0)
{
	switch (w0 & ~PSCI_64BIT) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return true;
	}
	return false;
}

/* Requests that reached the pools (any pool_* call that could change something). */
static unsigned pool_requests(void)
{
	return fake_count("pool_set_params") + fake_count("pool_move_vm") +
	       fake_count("pool_move_pcpu");
}

/* ---- the system: vm 0 privileged (2 vCPUs), vm 1 not; pools 0, 1; pCPUs 0-2, 2 offline ---- */

static struct cfg_vm cfgs[2];

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_calls_reset();
	fake_knobs.nr_channels = 1;
	memset(vms, 0, sizeof(vms));
	memset(pools, 0, sizeof(pools));
	memset(pcpus, 0, sizeof(pcpus));
	memset(cfgs, 0, sizeof(cfgs));
	nr_vms = 2;
	nr_pools = 2;
	nr_pcpus = 3;
	cfgs[0].privileged = true;
	for (unsigned v = 0; v < nr_vms; v++) {
		vms[v].index = v;
		vms[v].name = v ? "rtos" : "linux";
		vms[v].cfg = &cfgs[v];
		vms[v].state = VM_RUNNING;
		vms[v].nr_vcpus = v ? 1 : 2;
		for (unsigned i = 0; i < vms[v].nr_vcpus; i++) {
			vms[v].vcpus[i].vm = &vms[v];
			vms[v].vcpus[i].id = i;
			vms[v].vcpus[i].sched.pool = &pools[v]; /* vm 1 in pool 1, moving to 0 */
		}
	}
	for (unsigned p = 0; p < nr_pools; p++)
		pools[p].index = p;
	for (unsigned c = 0; c < nr_pcpus; c++) {
		pcpus[c].index = c;
		pcpus[c].online = c < 2;
		pcpus[c].sched.pool = &pools[c == 1];
		pcpus[c].time = (struct pcpu_time){.start = 1000,
						   .last = 1000 + 100 * (c + 1),
						   .idle = 10,
						   .hyp = 20,
						   .guest = 30};
	}
	fake_knobs.moving_to[1] = &pools[0];
	return 0;
}

static struct guest_regs regs;

/* An HVC from vCPU 0 of vm with x0..x5; returns x0. */
static int64_t call_from(struct vm *vm, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
			 uint64_t x4, uint64_t x5)
{
	memset(&regs, 0, sizeof(regs));
	regs.x[0] = x0;
	regs.x[1] = x1;
	regs.x[2] = x2;
	regs.x[3] = x3;
	regs.x[4] = x4;
	regs.x[5] = x5;
	smccc_call(&vm->vcpus[0], &regs);
	return (int64_t)regs.x[0];
}

static int64_t call(uint64_t x0, uint64_t x1, uint64_t x2)
{
	return call_from(&vms[0], x0, x1, x2, 0, 0, 0);
}

/* ---- routing ---- */

static void test_route_table(void **state)
{
	static const struct {
		uint64_t x0;
		enum smccc_service to;
	} cases[] = {
	    {SMCCC_VERSION, SMCCC_SVC_PSCI},
	    {SMCCC_ARCH_FEATURES, SMCCC_SVC_PSCI},
	    {0x80008000, SMCCC_SVC_PSCI}, /* ARCH_WORKAROUND_1: vpsci answers NOT_SUPPORTED */
	    {0xc0000000, SMCCC_SVC_PSCI}, /* the SMC64 form: vpsci decides */
	    {PSCI_VERSION, SMCCC_SVC_PSCI},
	    {0x8400001f, SMCCC_SVC_PSCI},		     /* the last of PSCI's range */
	    {0x84000020, SMCCC_SVC_NONE},		     /* past it: another standard service */
	    {0xc4000003, SMCCC_SVC_PSCI},		     /* CPU_ON, SMC64 */
	    {0x100000000ULL | PSCI_VERSION, SMCCC_SVC_PSCI}, /* PSCI reads w0 only */
	    {TANDEM_HC_CALL_COUNT, SMCCC_SVC_TANDEM},
	    {TANDEM_HC_INFO, SMCCC_SVC_TANDEM},
	    {TANDEM_HC_POOL_OF, SMCCC_SVC_TANDEM},
	    {0xc600ffff, SMCCC_SVC_TANDEM}, /* unknown: hypercall() says NOT_SUPPORTED */
	    {0x100000000ULL | TANDEM_HC_INFO, SMCCC_SVC_NONE}, /* x0[63:32] set */
	    {0xffffffff00000000ULL | TANDEM_HC_CALL_COUNT, SMCCC_SVC_NONE},
	    {TANDEM_HVC_EL2_ENTRIES, SMCCC_SVC_EL2_ENTRIES},
	    {0xffffffff00000000ULL | TANDEM_HVC_EL2_ENTRIES, SMCCC_SVC_EL2_ENTRIES},
	    {TANDEM_HVC_EL2_ENTRIES & ~SMCCC_64, SMCCC_SVC_TANDEM}, /* SMC32 form: another call */
	    /* Yielding calls, reserved bits 23:16, owners nobody serves. */
	    {PSCI_VERSION & ~SMCCC_FAST, SMCCC_SVC_NONE},
	    {TANDEM_HC_INFO & ~SMCCC_FAST, SMCCC_SVC_NONE},
	    {0x00000000, SMCCC_SVC_NONE},
	    {PSCI_VERSION | 0x10000, SMCCC_SVC_NONE},
	    {SMCCC_VERSION | 0x800000, SMCCC_SVC_NONE},
	    {TANDEM_HC_INFO | 0x10000, SMCCC_SVC_NONE},
	    {TANDEM_HVC_EL2_ENTRIES | 0x10000, SMCCC_SVC_NONE},
	    {0x81000000, SMCCC_SVC_NONE},   /* CPU service */
	    {0x82000000, SMCCC_SVC_NONE},   /* SiP */
	    {VSCMI_SMC_ID, SMCCC_SVC_SCMI}, /* but for the SCMI channel */
	    {VSCMI_SMC_ID - 1, SMCCC_SVC_NONE},
	    {VSCMI_SMC_ID + 1, SMCCC_SVC_NONE},
	    {VSCMI_SMC_ID & ~SMCCC_64, SMCCC_SVC_NONE}, /* the DTB names the SMC64 form */
	    {0x83000000, SMCCC_SVC_NONE},		/* OEM */
	    {0x85000000, SMCCC_SVC_NONE},		/* standard hypervisor service */
	    {0x87000000, SMCCC_SVC_NONE},		/* vendor EL3 monitor */
	    {0xb0000000, SMCCC_SVC_NONE},		/* trusted applications */
	    {0xbf00ffff, SMCCC_SVC_NONE},		/* trusted OS */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (smccc_route(cases[i].x0) != cases[i].to)
			fail_msg("x0 0x%llx: routed to %d, not %d", (unsigned long long)cases[i].x0,
				 smccc_route(cases[i].x0), cases[i].to);
	}
}

/* Each service gets exactly its calls; nobody's are answered NOT_SUPPORTED, touching nothing. */
static void test_dispatch(void **state)
{
	assert_int_equal(call(SMCCC_VERSION, 0, 0), FAKE_PSCI_ANSWER);
	assert_int_equal(call(0xc4000003, 0x77, 0), FAKE_PSCI_ANSWER);
	assert_int_equal(fake_count_obj("vpsci_call", &vms[0].vcpus[0]), 2);
	assert_int_equal(fake_last("vpsci_call")->arg[0], 0xc4000003); /* x0 and x1 untouched */
	assert_int_equal(fake_last("vpsci_call")->arg[1], 0x77);

	vms[0].vcpus[0].stats.traps = 41;
	assert_int_equal(call(TANDEM_HVC_EL2_ENTRIES, 0, 0), 41);
	assert_int_equal(call(0xffffffff00000000ULL | TANDEM_HVC_EL2_ENTRIES, 0, 0), 41);
	/* Any VM may read its own count. */
	vms[1].vcpus[0].stats.traps = 7;
	assert_int_equal(call_from(&vms[1], TANDEM_HVC_EL2_ENTRIES, 0, 0, 0, 0, 0), 7);

	assert_int_equal(call(TANDEM_HC_CALL_COUNT, 0, 0), TANDEM_HC_NR_FUNCTIONS);

	static const uint64_t nobody[] = {
	    TANDEM_HVC_EL2_ENTRIES & ~SMCCC_64,
	    0x100000000ULL | TANDEM_HC_CALL_COUNT,
	    PSCI_VERSION & ~SMCCC_FAST,
	    PSCI_VERSION | 0x10000,
	    0x82000000,
	    0xbf000000,
	    0x84000020,
	    0xc600ffff,
	    0x8600ff02 /* between UID and REVISION */,
	};
	for (unsigned i = 0; i < sizeof(nobody) / sizeof(nobody[0]); i++) {
		regs.x[1] = 0x1111;
		if (call(nobody[i], 0x1111, 0x2222) != SMCCC_NOT_SUPPORTED)
			fail_msg("x0 0x%llx answered %lld", (unsigned long long)nobody[i],
				 (long long)regs.x[0]);
		assert_int_equal(regs.x[1], 0x1111); /* nothing else written */
		assert_int_equal(regs.x[2], 0x2222);
	}
	assert_int_equal(fake_count("vpsci_call"), 2);
	assert_int_equal(pool_requests(), 0);
	assert_int_equal(fake_count("vscmi_call"), 0);
	assert_int_equal(call(VSCMI_SMC_ID, 0, 0), 0);
	assert_int_equal(fake_count_obj("vscmi_call", &vms[0].vcpus[0]), 1);
}

/*
 * The router decides what the code before it did: hypercall_handles() took 0x86xxxxxx and
 * 0xC6xxxxxx with x0[63:32] zero, except the debug call; everything else went to vpsci_call(),
 * which served the debug call and otherwise looked only at w0 without bit 30. Over owners,
 * widths, numbers, reserved bits and x0[63:32], the answers are the same.
 */
static int64_t answer_before_router(uint64_t x0)
{
	uint32_t w0 = (uint32_t)x0;

	if (((w0 >> 24) == 0x86 || (w0 >> 24) == 0xc6) && w0 != TANDEM_HVC_EL2_ENTRIES &&
	    (x0 >> 32) == 0) {
		regs.x[0] = x0;
		hypercall(&vms[1].vcpus[0], &regs); /* unprivileged: no pool is asked */
		return (int64_t)regs.x[0];
	}
	if (w0 == TANDEM_HVC_EL2_ENTRIES)
		return vms[1].vcpus[0].stats.traps;
	return psci_implements(w0) ? FAKE_PSCI_ANSWER : SMCCC_NOT_SUPPORTED;
}

/* An HVC from vm 1 as the guest sees it, vpsci.c's answer being what it serves (w0). */
static int64_t answer_now(uint64_t x0)
{
	unsigned psci = fake_count("vpsci_call");
	int64_t got = call_from(&vms[1], x0, 0, 0, 0, 0, 0);

	if (fake_count("vpsci_call") == psci)
		return got; /* answered by the router or another service */
	assert_int_equal(fake_last("vpsci_call")->arg[0], x0); /* handed on as written */
	return psci_implements((uint32_t)x0) ? FAKE_PSCI_ANSWER : SMCCC_NOT_SUPPORTED;
}

static void test_same_answers_as_before(void **state)
{
	static const uint32_t numbers[] = {0,	   1,	   2,	   3,	   5,	   6,
					   8,	   0xe,	   0x1f,   0x20,   0x100,  0x101,
					   0x8000, 0xff00, 0xff01, 0xff02, 0xff03, 0xffff};
	static const uint32_t reserved[] = {0, 0x10000, 0x800000, 0xff0000};
	static const uint64_t high[] = {0, 1ULL << 32, 0xffffffffULL << 32};
	unsigned n = 0;

	vms[1].vcpus[0].stats.traps = 99;
	for (uint32_t top = 0; top < 0x100; top++) /* fast, SMC64, owner: every combination */
		for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
			for (unsigned r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++)
				for (unsigned h = 0; h < sizeof(high) / sizeof(high[0]); h++, n++) {
					uint64_t x0 =
					    high[h] | top << 24 | reserved[r] | numbers[i];
					int64_t want = answer_before_router(x0);
					int64_t got = answer_now(x0);

					if (got != want)
						fail_msg("x0 0x%llx: %lld, before the router %lld",
							 (unsigned long long)x0, (long long)got,
							 (long long)want);
				}
	assert_int_equal(n, 256 * 18 * 4 * 3);
	assert_int_equal(pool_requests(), 0);
}

/* ---- Tandem's control calls ---- */

static void test_queries(void **state)
{
	assert_int_equal(call(TANDEM_HC_CALL_UID, 0, 0), TANDEM_UID_0);
	assert_int_equal(regs.x[1], TANDEM_UID_1);
	assert_int_equal(regs.x[2], TANDEM_UID_2);
	assert_int_equal(regs.x[3], TANDEM_UID_3);
	assert_int_equal(call(TANDEM_HC_REVISION, 0, 0), TANDEM_REVISION_MAJOR);
	assert_int_equal(regs.x[1], TANDEM_REVISION_MINOR);
	/* INFO from any VM: the caller's own index in x4. */
	assert_int_equal(call_from(&vms[1], TANDEM_HC_INFO, 0, 0, 0, 0, 0), TANDEM_OK);
	assert_int_equal(regs.x[1], 2);
	assert_int_equal(regs.x[2], 2);
	assert_int_equal(regs.x[3], 3);
	assert_int_equal(regs.x[4], 1);
}

/* A VM without `privileged;` is refused every control call, with one line naming it. */
static void test_unprivileged(void **state)
{
	static const uint32_t control[] = {TANDEM_HC_VCPU_SET_SCHED, TANDEM_HC_VM_SET_POOL,
					   TANDEM_HC_PCPU_SET_POOL, TANDEM_HC_PCPU_TIME,
					   TANDEM_HC_POOL_OF};

	for (unsigned i = 0; i < sizeof(control) / sizeof(control[0]); i++)
		assert_int_equal(call_from(&vms[1], control[i], 0, 0, 0, 0, 0), TANDEM_E_PERM);
	assert_int_equal(fake_calls.n, 0); /* nothing asked of anyone */
	assert_non_null(strstr(fake_arch.printk_log, "vm rtos vcpu 0: hypercall VM_SET_POOL "
						     "refused (-4): the VM is not privileged"));
}

static void test_set_sched(void **state)
{
	/* x1 vm, x2 vcpu, x3 budget us, x4 period us, x5 weight. */
	assert_int_equal(call_from(&vms[0], TANDEM_HC_VCPU_SET_SCHED, 0, 1, 200, 1000, 300),
			 TANDEM_OK);
	assert_ptr_equal(fake_last("pool_set_params")->obj, &vms[0].vcpus[1]);
	assert_int_equal(fake_last("pool_set_params")->arg[1], 200 * 62500 / 1000);  /* budget */
	assert_int_equal(fake_last("pool_set_params")->arg[2], 1000 * 62500 / 1000); /* period */
	assert_int_equal(fake_last("pool_set_params")->arg[0], 300);		     /* weight */
	assert_int_equal(pool_requests(), 1);

	/* Malformed: refused before any pool is asked. */
	static const uint64_t bad[][5] = {
	    {2, 0, 0, 0, 256},		  /* no VM 2 */
	    {1, 1, 0, 0, 256},		  /* vm 1 has one vCPU */
	    {~0ULL, 0, 0, 0, 256},	  /* an index that wraps */
	    {0, 0, 200, 0, 256},	  /* a budget without a period */
	    {0, 0, 2000, 1000, 256},	  /* budget > period */
	    {0, 0, 0, 10000001, 256},	  /* period > 10 s */
	    {0, 0, 0, 0, 0},		  /* weight 0 */
	    {0, 0, 0, 0, 65536},	  /* weight > 65535 */
	    {0, 0, 0, 0, 1ULL << 32 | 1}, /* weight truncated to 1 would be accepted */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(call_from(&vms[0], TANDEM_HC_VCPU_SET_SCHED, bad[i][0], bad[i][1],
					   bad[i][2], bad[i][3], bad[i][4]),
				 TANDEM_E_INVAL);
	assert_int_equal(pool_requests(), 1);

	/* The admission test's refusals come back as BUSY or INVAL, its reason logged. */
	fake_knobs.pool_set_err = -ERR_BUSY;
	assert_int_equal(call_from(&vms[0], TANDEM_HC_VCPU_SET_SCHED, 1, 0, 100, 1000, 256),
			 TANDEM_E_BUSY);
	assert_non_null(strstr(fake_arch.printk_log, "refused by the test"));
	fake_knobs.pool_set_err = -ERR_INVAL;
	assert_int_equal(call_from(&vms[0], TANDEM_HC_VCPU_SET_SCHED, 1, 0, 100, 1000, 256),
			 TANDEM_E_INVAL);
}

static void test_moves(void **state)
{
	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 1, 0), TANDEM_OK);
	assert_ptr_equal(fake_last("pool_move_vm")->obj, &vms[1]);
	assert_int_equal(fake_last("pool_move_vm")->arg[0], 0);
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 1, 0), TANDEM_OK);
	assert_ptr_equal(fake_last("pool_move_pcpu")->obj, &pcpus[1]);
	assert_int_equal(fake_last("pool_move_pcpu")->arg[0], 0);
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 0, 1), TANDEM_OK);
	assert_ptr_equal(fake_last("pool_move_pcpu")->obj, &pcpus[0]);
	assert_int_equal(fake_last("pool_move_pcpu")->arg[0], 1);
	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 0, 1), TANDEM_OK);
	assert_ptr_equal(fake_last("pool_move_vm")->obj, &vms[0]);
	assert_int_equal(fake_last("pool_move_vm")->arg[0], 1);
	assert_int_equal(pool_requests(), 4);

	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 2, 0), TANDEM_E_INVAL);   /* no VM 2 */
	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 1, 2), TANDEM_E_INVAL);   /* no pool 2 */
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 2, 0), TANDEM_E_INVAL); /* offline */
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 3, 0), TANDEM_E_INVAL); /* no pCPU 3 */
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 0, ~0ULL), TANDEM_E_INVAL);
	vms[1].state = VM_STOPPED;
	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 1, 0), TANDEM_E_BUSY);
	assert_int_equal(pool_requests(), 4);

	fake_knobs.pool_move_err = -ERR_BUSY;
	vms[1].state = VM_RUNNING;
	assert_int_equal(call(TANDEM_HC_VM_SET_POOL, 1, 0), TANDEM_E_BUSY);
	assert_int_equal(call(TANDEM_HC_PCPU_SET_POOL, 0, 1), TANDEM_E_BUSY);
}

static void test_pcpu_time_and_pool_of(void **state)
{
	assert_int_equal(call(TANDEM_HC_PCPU_TIME, 1, 0), TANDEM_OK);
	assert_int_equal(regs.x[1], 200);				   /* elapsed */
	assert_int_equal(regs.x[2], 10);				   /* idle */
	assert_int_equal(regs.x[3], 20);				   /* hyp */
	assert_int_equal(regs.x[4], 30);				   /* guest */
	assert_int_equal(call(TANDEM_HC_PCPU_TIME, 2, 0), TANDEM_E_INVAL); /* offline */

	/* x1 0: a VM (vm 1 is in pool 1, moving to pool 0); x1 1: a pCPU. */
	assert_int_equal(call(TANDEM_HC_POOL_OF, 0, 1), TANDEM_OK);
	assert_int_equal(regs.x[1], 1);
	assert_int_equal(regs.x[2], 1);
	assert_int_equal(regs.x[3], 0);
	assert_int_equal(call(TANDEM_HC_POOL_OF, 0, 0), TANDEM_OK);
	assert_int_equal(regs.x[1], 0);
	assert_int_equal(regs.x[2], 0);
	assert_int_equal(regs.x[3], 0);
	pcpus[1].leaving = &pools[0];
	assert_int_equal(call(TANDEM_HC_POOL_OF, 1, 1), TANDEM_OK);
	assert_int_equal(regs.x[1], 1);
	assert_int_equal(regs.x[2], 1);
	assert_int_equal(regs.x[3], 1);
	assert_int_equal(call(TANDEM_HC_POOL_OF, 0, 2), TANDEM_E_INVAL); /* no VM 2 */
	assert_int_equal(call(TANDEM_HC_POOL_OF, 1, 2), TANDEM_E_INVAL); /* offline pCPU */
	assert_int_equal(call(TANDEM_HC_POOL_OF, 2, 0), TANDEM_E_INVAL); /* neither kind */
}

/* A doorbell needs no privilege: the channel layer decides, with the id from x1. */
static void test_channel_notify(void **state)
{
	assert_int_equal(call_from(&vms[1], TANDEM_HC_CHANNEL_NOTIFY, 0, 0, 0, 0, 0), TANDEM_OK);
	assert_ptr_equal(fake_last("channel_notify")->obj, &vms[1].vcpus[0]);
	assert_int_equal(fake_last("channel_notify")->arg[0], 0);
	assert_int_equal(call_from(&vms[1], TANDEM_HC_CHANNEL_NOTIFY, 5, 0, 0, 0, 0),
			 TANDEM_E_INVAL);
	assert_int_equal(fake_last("channel_notify")->arg[0], 5);
	assert_non_null(
	    strstr(fake_arch.printk_log, "CHANNEL_NOTIFY refused (-3): no such channel"));
	/* x0[63:32] set: not Tandem's call at all. */
	assert_int_equal(
	    call_from(&vms[1], 0x100000000ULL | TANDEM_HC_CHANNEL_NOTIFY, 0, 0, 0, 0, 0),
	    SMCCC_NOT_SUPPORTED);
	assert_int_equal(fake_count("channel_notify"), 2);
	assert_int_equal(pool_requests(), 0);
}

/* A hostile guest refused over and over fills no console: 32 lines per VM, then silence. */
static void test_refusals_rate_limited(void **state)
{
	unsigned lines = 0;

	for (unsigned i = 0; i < 100; i++)
		call(TANDEM_HC_VM_SET_POOL, 9, 0);
	for (const char *s = fake_arch.printk_log; (s = strstr(s, "refused")); s++)
		lines++;
	assert_in_range(lines, 1, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_route_table, setup),
	    cmocka_unit_test_setup(test_dispatch, setup),
	    cmocka_unit_test_setup(test_queries, setup),
	    cmocka_unit_test_setup(test_unprivileged, setup), /* before vm 1's refusals run out */
	    cmocka_unit_test_setup(test_channel_notify, setup),
	    cmocka_unit_test_setup(test_same_answers_as_before, setup),
	    cmocka_unit_test_setup(test_set_sched, setup),
	    cmocka_unit_test_setup(test_moves, setup),
	    cmocka_unit_test_setup(test_pcpu_time_and_pool_of, setup),
	    cmocka_unit_test_setup(test_refusals_rate_limited, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
