/* clang-format off */ /* unit-sources: hypervisor/lib/mem.c hypervisor/arch/aarch64/stage2.c hypervisor/lib/ratelimit.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_vgic.c tests/unit/fakes/fake_timer.c tests/unit/fakes/fake_vm.c */
/* clang-format on */
/*
 * Channels at run time (virt/channel.c) against the fake arch: one region for both ends,
 * mapped normal/RW/XN in exactly those two VMs, the header, link words across start, stop and
 * restart with the peer rung each time, the doorbell hypercall's refusals, a stopped peer, and
 * the rate limit (deferred, then delivered by the timer, never lost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/abi/channel.h>
#include <tandem/abi/hypercall.h>
#include <tandem/channel.h>
#include <tandem/mem.h>
#include <tandem/timer.h>
#include <tandem/vm.h>

/* Included, not linked: each test starts from fresh channel state (its statics). */
#include "../../hypervisor/virt/channel.c"

/* The VM array: the shared fake (fakes/fake_vm.c). */

/* What channel.c asks of the vGIC and the timers: the shared recording fakes. */
#include "fakes/fake.h"

/* The doorbells rung so far. */
static unsigned injected(void)
{
	return fake_count("vgic_inject");
}

/* The armed timer (channel.c has one per channel end), or NULL. */
static struct timer *armed(void)
{
	return fake_timer_next();
}

static void fire_timer(void)
{
	assert_non_null(fake_timer_fire());
}

/* ---- fixtures: VMs a (side 0) and b (side 1) of channel 0 "link"; c in none ---- */

#define WINDOW_A 0x800000000ULL
#define WINDOW_B 0x800200000ULL
#define SIZE	 0x10000
#define SPI_A	 127
#define SPI_B	 126

static struct cfg_vm cfg[3];

static void make_vm(unsigned i, const char *name)
{
	struct vm *vm = &vms[i];

	strcpy(cfg[i].name, name);
	cfg[i].nr_vcpus = 1;
	vm->cfg = &cfg[i];
	vm->name = cfg[i].name;
	vm->index = i;
	vm->vmid = (vmid_t)(i + 1);
	vm->nr_vcpus = 1;
	vm->vcpus[0].vm = vm;
	vm->state = VM_STOPPED;
	assert_int_equal(s2_init(&vm->s2, vm->vmid), 0);
}

static int setup(void **state)
{
	paddr_t base = FAKE_RAM_BASE;
	uint64_t size = MiB(64);

	fake_reset();
	fake_arch.printk_quiet = true;
	fake_arch.counter = 1000000;
	fake_arch.counter_step = 0; /* time stands still unless a test moves it */
	memset(vms, 0, sizeof(vms));
	memset(cfg, 0, sizeof(cfg));
	memset(channels, 0, sizeof(channels));
	memset(chan_vms, 0, sizeof(chan_vms));
	fake_calls_reset();
	if (mem_init(&base, &size, 1, NULL, NULL, 0))
		return -1;
	make_vm(0, "a");
	make_vm(1, "b");
	make_vm(2, "c");
	nr_vms = 3;
	cfg[0].nr_channels = 1;
	cfg[0].channels[0] = (struct cfg_channel_end){.id = 0,
						      .side = 0,
						      .peer_vm = 1,
						      .ipa = WINDOW_A,
						      .size = SIZE,
						      .doorbell = SPI_A,
						      .name = "link",
						      .peer = "b"};
	cfg[1].nr_channels = 1;
	cfg[1].channels[0] = (struct cfg_channel_end){.id = 0,
						      .side = 1,
						      .peer_vm = 0,
						      .ipa = WINDOW_B,
						      .size = SIZE,
						      .doorbell = SPI_B,
						      .name = "link",
						      .peer = "a"};
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(channel_vm_create(&vms[i]), 0);
	return 0;
}

static struct tandem_channel_header *header(void)
{
	paddr_t pa;

	assert_int_equal(s2_translate(&vms[0].s2, WINDOW_A, &pa), 0);
	return arch_phys_to_virt(pa);
}

/* Starts vm as vm_start() does: running, then its links up. */
static void start(unsigned i)
{
	vms[i].state = VM_RUNNING;
	channel_vm_up(&vms[i]);
}

/* n doorbells rung since the last fake_calls_reset(), the last an SPI intid of vms[vm]. */
static void expect_injected(unsigned n, unsigned vm, irq_t intid)
{
	const struct fake_call *last = fake_last("vgic_inject");

	assert_int_equal(injected(), n);
	assert_ptr_equal(last->obj, &vms[vm]);
	assert_int_equal(last->arg[0], intid);
	for (unsigned i = 0; i < fake_calls.n; i++) /* every one an SPI, for the VM: no vCPU */
		if (!strcmp(fake_calls.call[i].fn, "vgic_inject"))
			assert_int_equal(fake_calls.call[i].arg[1], 0);
}

/* One region, in both ends' windows, in nobody else's; normal RW, never executable. */
static void test_region_and_mapping(void **state)
{
	paddr_t pa_a, pa_b, pa;
	struct tandem_channel_header *h = header();
	uint64_t *root, d1, *l2, d2, *l3, d3;

	assert_int_equal(s2_translate(&vms[0].s2, WINDOW_A, &pa_a), 0);
	assert_int_equal(s2_translate(&vms[1].s2, WINDOW_B, &pa_b), 0);
	assert_int_equal(pa_a, pa_b);
	assert_int_equal(s2_translate(&vms[0].s2, WINDOW_A + SIZE - 1, &pa), 0);
	assert_int_equal(pa, pa_a + SIZE - 1);
	assert_int_equal(s2_translate(&vms[0].s2, WINDOW_A + SIZE, &pa), -ERR_NOENT);
	assert_int_equal(s2_translate(&vms[2].s2, WINDOW_A, &pa), -ERR_NOENT);
	assert_int_equal(s2_translate(&vms[2].s2, WINDOW_B, &pa), -ERR_NOENT);

	assert_int_equal(h->magic, TANDEM_CHANNEL_MAGIC);
	assert_memory_equal(&h->magic, "TCHL", 4);
	assert_int_equal(h->version, 1);
	assert_int_equal(h->size, SIZE);
	assert_int_equal(h->payload_offset, 64);
	assert_int_equal(h->link[0], 0);
	assert_int_equal(h->link[1], 0);
	for (size_t i = 0; i < ARRAY_SIZE(h->reserved); i++)
		assert_int_equal(h->reserved[i], 0);
	assert_true(fake_arch.dcache_bytes >= SIZE); /* cleaned for guests mapping it uncached */

	/* The leaf (a 4 KiB page: 64 KiB is no block): Normal WB, RW, inner shareable, XN. */
	root = arch_phys_to_virt(vms[0].s2.root);
	d1 = root[(WINDOW_A >> 30) & 511];
	l2 = arch_phys_to_virt(d1 & 0xfffffffff000ULL);
	d2 = l2[(WINDOW_A >> 21) & 511];
	l3 = arch_phys_to_virt(d2 & 0xfffffffff000ULL);
	d3 = l3[(WINDOW_A >> 12) & 511];
	assert_int_equal(d3 & 3, 3);		/* a page */
	assert_int_equal((d3 >> 2) & 0xf, 0xf); /* MemAttr: Normal, Write-Back */
	assert_int_equal((d3 >> 6) & 3, 3);	/* S2AP: read/write */
	assert_int_equal((d3 >> 8) & 3, 3);	/* Inner Shareable */
	assert_int_equal((d3 >> 53) & 3, 2);	/* XN: never executable */
	assert_int_equal(d3 & 0xfffffffff000ULL, pa_a);
	assert_true(fake_printk_contains("vm a: channel link (id 0) with b: 0x10000 bytes at IPA "
					 "0x800000000, doorbell INTID 127"));
}

static void test_link_words(void **state)
{
	struct tandem_channel_header *h = header();

	start(0); /* b is not running yet: a's link goes up, b's doorbell is dropped */
	assert_int_equal(h->link[0], 1 << 1 | TANDEM_CHANNEL_LINK_UP);
	assert_int_equal(h->link[1], 0);
	assert_int_equal(injected(), 0);
	start(1); /* now a is rung */
	assert_int_equal(h->link[1], 1 << 1 | TANDEM_CHANNEL_LINK_UP);
	expect_injected(1, 0, SPI_A);

	/* b resets: down, same generation, a rung; then up in generation 2, a rung again. */
	vms[1].state = VM_RESTARTING;
	channel_vm_down(&vms[1]);
	assert_int_equal(h->link[1], 1 << 1);
	expect_injected(2, 0, SPI_A);
	start(1);
	assert_int_equal(h->link[1], 2 << 1 | TANDEM_CHANNEL_LINK_UP);
	assert_int_equal(TANDEM_CHANNEL_LINK_GENERATION(h->link[1]), 2);
	expect_injected(3, 0, SPI_A);
	assert_int_equal(h->link[0], 1 << 1 | TANDEM_CHANNEL_LINK_UP); /* a's side untouched */

	/* a stops for good: b sees it down. */
	vms[0].state = VM_STOPPED;
	channel_vm_down(&vms[0]);
	assert_int_equal(h->link[0], 1 << 1);
	expect_injected(4, 1, SPI_B);
	/* The header is all Tandem rewrote: what a guest wrote in the payload stays. */
	assert_int_equal(h->magic, TANDEM_CHANNEL_MAGIC);
}

static void test_payload_survives(void **state)
{
	uint8_t *payload = (uint8_t *)header() + TANDEM_CHANNEL_HEADER_SIZE;

	start(0);
	start(1);
	memset(payload, 0x5a, SIZE - TANDEM_CHANNEL_HEADER_SIZE);
	vms[1].state = VM_RESTARTING;
	channel_vm_down(&vms[1]);
	start(1);
	for (unsigned i = 0; i < SIZE - TANDEM_CHANNEL_HEADER_SIZE; i++)
		assert_int_equal(payload[i], 0x5a);
}

static void test_notify(void **state)
{
	const char *why = NULL;

	start(0);
	start(1);
	fake_calls_reset();
	assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	expect_injected(1, 1, SPI_B); /* a rings b's doorbell */
	assert_int_equal(channel_notify(&vms[1].vcpus[0], 0, &why), TANDEM_OK);
	expect_injected(2, 0, SPI_A);

	assert_int_equal(channel_notify(&vms[2].vcpus[0], 0, &why), TANDEM_E_INVAL);
	assert_string_equal(why, "the VM is not one of its two ends");
	assert_int_equal(channel_notify(&vms[0].vcpus[0], 1, &why), TANDEM_E_INVAL);
	assert_string_equal(why, "no such channel");
	assert_int_equal(channel_notify(&vms[0].vcpus[0], ~0ULL, &why), TANDEM_E_INVAL);
	assert_string_equal(why, "no such channel");
	assert_int_equal(injected(), 2);

	/* A stopped peer: accepted, dropped. */
	vms[1].state = VM_STOPPED;
	assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	assert_int_equal(injected(), 2);
}

static void test_rate_limit(void **state)
{
	const char *why;
	uint64_t interval = fake_arch.counter_freq / 20000;

	start(0);
	start(1);
	fake_calls_reset();
	/* Time stands still: the burst of 64 goes through, the rest is deferred. */
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	assert_int_equal(injected(), 64);
	assert_null(armed());
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	assert_int_equal(injected(), 64);
	assert_int_equal(fake_count("timer_arm"), 1); /* one timer for all the owed doorbells */
	assert_int_equal(fake_last("timer_arm")->arg[0], fake_arch.counter + interval);
	/* Armed with IRQs masked: the callback takes the same lock in IRQ context. */
	assert_int_equal(fake_last("timer_arm")->arg[1], 1);
	assert_false(fake_arch.irqs_masked);
	assert_true(fake_printk_contains("vm a: channel link: doorbells rate-limited (more than "
					 "20000 a second); 1 deferred so far"));
	/* b rings a meanwhile: its own budget, not a's. */
	assert_int_equal(channel_notify(&vms[1].vcpus[0], 0, &why), TANDEM_OK);
	expect_injected(65, 0, SPI_A);

	/* The next token is due: the owed doorbell is delivered, once. */
	fake_arch.counter += interval;
	fire_timer();
	expect_injected(66, 1, SPI_B);
	/* The bucket refills with time: one token per interval. */
	assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	expect_injected(67, 1, SPI_B);
	assert_int_equal(channel_notify(&vms[0].vcpus[0], 0, &why), TANDEM_OK);
	assert_int_equal(injected(), 67);
	assert_int_equal(fake_count("timer_arm"), 2);
	assert_int_equal(fake_last("timer_arm")->arg[1], 1);

	/* The sender stops: what it owed is moot (its peer is rung for the link change). */
	vms[0].state = VM_STOPPED;
	channel_vm_down(&vms[0]);
	expect_injected(68, 1, SPI_B);
	assert_null(armed());
	assert_true(fake_count("timer_cancel") >= 1);
}

static char dump[1024];

static void add(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(dump);

	va_start(ap, fmt);
	vsnprintf(dump + n, sizeof(dump) - n, fmt, ap);
	va_end(ap);
}

static void test_dump(void **state)
{
	const char *why;

	start(0);
	start(1);
	assert_int_equal(channel_notify(&vms[1].vcpus[0], 0, &why), TANDEM_OK);
	dump[0] = '\0';
	channel_dump_vm(&vms[0], add);
	assert_string_equal(dump, "  channel link id 0 side 0 (peer b): IPA 0x800000000+0x10000 "
				  "INTID 127 link 3/3, doorbells in 2 dropped 0, out deferred 0\n");
	dump[0] = '\0';
	channel_dump_vm(&vms[2], add);
	assert_string_equal(dump, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_region_and_mapping, setup),
	    cmocka_unit_test_setup(test_link_words, setup),
	    cmocka_unit_test_setup(test_payload_survives, setup),
	    cmocka_unit_test_setup(test_notify, setup),
	    cmocka_unit_test_setup(test_rate_limit, setup),
	    cmocka_unit_test_setup(test_dump, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
