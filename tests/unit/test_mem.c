/* unit-sources: hypervisor/lib/mem.c */
/*
 * The page-frame allocator over the fake RAM arena: alignment, exhaustion, reserved ranges
 * (never handed out), multiple regions, and exact free_bytes accounting throughout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <arch/fake.h>
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/mem.h>

#define BASE FAKE_RAM_BASE

static int init1(uint64_t size, const paddr_t *rb, const uint64_t *rs, unsigned nr)
{
	paddr_t b = BASE;

	return mem_init(&b, &size, 1, rb, rs, nr);
}

static bool overlaps(paddr_t a, uint64_t as, paddr_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static void test_init_and_first_fit(void **state)
{
	/* 16 MiB = 4096 frames: a 512-byte bitmap, one page, placed at the start. */
	assert_int_equal(init1(MiB(16), NULL, NULL, 0), 0);
	assert_int_equal(mem_free_bytes(), MiB(16) - PAGE_SIZE);
	assert_int_equal(mem_alloc(1, PAGE_SIZE), BASE + PAGE_SIZE);
	assert_int_equal(mem_alloc(1, PAGE_SIZE), BASE + 2 * PAGE_SIZE);
	assert_int_equal(mem_free_bytes(), MiB(16) - 3 * PAGE_SIZE);
	mem_free(BASE + PAGE_SIZE, 1);
	assert_int_equal(mem_alloc(1, PAGE_SIZE), BASE + PAGE_SIZE); /* first fit reuses it */
	assert_int_equal(fake_arch.locks_held, 0);
}

static void test_bad_arguments(void **state)
{
	paddr_t bases[MEM_MAX_REGIONS + 1] = {0};
	uint64_t sizes[MEM_MAX_REGIONS + 1] = {0};

	assert_int_equal(mem_init(bases, sizes, 0, NULL, NULL, 0), -ERR_INVAL);
	assert_int_equal(mem_init(bases, sizes, MEM_MAX_REGIONS + 1, NULL, NULL, 0), -ERR_INVAL);
	assert_int_equal(init1(MiB(4), NULL, NULL, 0), 0);
	assert_int_equal(mem_alloc(0, PAGE_SIZE), 0);
	assert_int_equal(mem_alloc(1, 0), 0);
	assert_int_equal(mem_alloc(1, 2048), 0);
	assert_int_equal(mem_alloc(1, 3 * PAGE_SIZE), 0); /* not a power of two */
	assert_int_equal(mem_alloc(2048, PAGE_SIZE), 0);  /* more than the region */
	assert_int_equal(mem_free_bytes(), MiB(4) - PAGE_SIZE);
}

static void test_alignment(void **state)
{
	static const uint64_t aligns[] = {KiB(4), KiB(8), KiB(64), MiB(1), MiB(2), MiB(16)};
	paddr_t got[ARRAY_SIZE(aligns)];
	uint64_t nr[ARRAY_SIZE(aligns)];

	assert_int_equal(init1(MiB(64), NULL, NULL, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
		nr[i] = i + 1;
		got[i] = mem_alloc(nr[i], aligns[i]);
		assert_int_not_equal(got[i], 0);
		assert_true(IS_ALIGNED(got[i], aligns[i]));
		assert_true(got[i] >= BASE && got[i] + nr[i] * PAGE_SIZE <= BASE + MiB(64));
		for (size_t j = 0; j < i; j++)
			assert_false(
			    overlaps(got[i], nr[i] * PAGE_SIZE, got[j], nr[j] * PAGE_SIZE));
	}
	/* 64 MiB at 0x40000000 holds no 1 GiB-aligned frame but its first (the bitmap's). */
	assert_int_equal(mem_alloc(1, GiB(1)), 0);
	/* A 2 MiB-aligned run of 512 frames for a guest's stage-2 block. */
	paddr_t big = mem_alloc(512, MiB(2));
	assert_true(IS_ALIGNED(big, MiB(2)));
	assert_int_equal(mem_largest_free(GiB(1)), 0);
}

/* Takes every frame one by one; returns how many. Each one is scribbled over, as a user would. */
static uint64_t drain(paddr_t *out, uint64_t max)
{
	uint64_t n = 0;
	paddr_t pa;

	while ((pa = mem_alloc(1, PAGE_SIZE)) != 0) {
		assert_true(n < max);
		memset(arch_phys_to_virt(pa), 0xa5, PAGE_SIZE); /* would corrupt a shared bitmap */
		out[n++] = pa;
	}
	return n;
}

static void test_exhaustion(void **state)
{
	static paddr_t pages[2048];
	uint64_t n, initial;

	assert_int_equal(init1(MiB(8), NULL, NULL, 0), 0);
	initial = mem_free_bytes();
	n = drain(pages, ARRAY_SIZE(pages));
	assert_int_equal(n * PAGE_SIZE, initial);
	assert_int_equal(mem_free_bytes(), 0);
	assert_int_equal(mem_largest_free(PAGE_SIZE), 0);
	assert_int_equal(mem_alloc(1, PAGE_SIZE), 0);
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = i + 1; j < n && j < i + 4; j++)
			assert_int_not_equal(pages[i], pages[j]);

	/* Free every other frame: no run longer than one frame exists. */
	for (uint64_t i = 0; i < n; i += 2)
		mem_free(pages[i], 1);
	assert_int_equal(mem_free_bytes(), ((n + 1) / 2) * PAGE_SIZE);
	assert_int_equal(mem_largest_free(PAGE_SIZE), PAGE_SIZE);
	assert_int_equal(mem_alloc(2, PAGE_SIZE), 0);
	for (uint64_t i = 1; i < n; i += 2)
		mem_free(pages[i], 1);
	assert_int_equal(mem_free_bytes(), initial);
	/* Everything coalesced again: the same drain works identically. */
	assert_int_equal(drain(pages, ARRAY_SIZE(pages)), n);
}

static void test_reserved_never_handed_out(void **state)
{
	static paddr_t pages[4096];
	/* One at the very start (the bitmap must go elsewhere), one unaligned, one straddling. */
	const paddr_t rb[] = {BASE, BASE + MiB(3) + 100, BASE + MiB(5) - PAGE_SIZE / 2};
	const uint64_t rs[] = {KiB(64), 10, PAGE_SIZE};
	/* Frames touched: 16 + 1 + 2, plus the one-page bitmap. */
	const uint64_t reserved_frames = 16 + 1 + 2 + 1;
	uint64_t n;

	assert_int_equal(init1(MiB(16), rb, rs, 3), 0);
	assert_int_equal(mem_free_bytes(), MiB(16) - reserved_frames * PAGE_SIZE);
	n = drain(pages, ARRAY_SIZE(pages));
	assert_int_equal(n, MiB(16) / PAGE_SIZE - reserved_frames);
	for (uint64_t i = 0; i < n; i++)
		for (unsigned k = 0; k < 3; k++)
			assert_false(overlaps(pages[i], PAGE_SIZE, rb[k], rs[k]));
	/* The bitmap survived the scribbling: frees are still tracked exactly. */
	for (uint64_t i = 0; i < n; i++)
		mem_free(pages[i], 1);
	assert_int_equal(mem_free_bytes(), MiB(16) - reserved_frames * PAGE_SIZE);
}

static void test_no_room_for_bitmap(void **state)
{
	const paddr_t rb[] = {BASE};
	const uint64_t rs[] = {MiB(1)};

	assert_int_equal(init1(MiB(1), rb, rs, 1), -ERR_NOMEM);
}

static void test_multiple_regions(void **state)
{
	/* Unaligned edges are trimmed to whole frames. */
	const paddr_t bases[] = {BASE + 100, BASE + MiB(64)};
	const uint64_t sizes[] = {MiB(1) - 100, MiB(2) + 5};
	static paddr_t pages[1024];
	uint64_t free0, n;

	assert_int_equal(mem_init(bases, sizes, 2, NULL, NULL, 0), 0);
	/* Region 0: 255 whole frames (the first one is cut); region 1: 512. One bitmap page. */
	free0 = mem_free_bytes();
	assert_int_equal(free0, (255 + 512 - 1) * PAGE_SIZE);
	/* A run of 300 cannot come from region 0 (and never spans regions). */
	paddr_t run = mem_alloc(300, PAGE_SIZE);
	assert_true(run >= BASE + MiB(64) && run + 300 * PAGE_SIZE <= BASE + MiB(66));
	n = drain(pages, ARRAY_SIZE(pages));
	assert_int_equal(n, 255 + 512 - 1 - 300);
	for (uint64_t i = 0; i < n; i++) {
		bool in0 = pages[i] >= BASE + PAGE_SIZE && pages[i] < BASE + MiB(1);
		bool in1 = pages[i] >= BASE + MiB(64) && pages[i] < BASE + MiB(66);

		assert_true(in0 || in1);
		assert_false(overlaps(pages[i], PAGE_SIZE, run, 300 * PAGE_SIZE));
	}
	mem_free(run, 300);
	assert_int_equal(mem_free_bytes(), 300 * PAGE_SIZE);
	assert_int_equal(mem_largest_free(PAGE_SIZE), 300 * PAGE_SIZE);
	for (uint64_t i = 0; i < n; i++)
		mem_free(pages[i], 1);
	assert_int_equal(mem_free_bytes(), free0);
	/* The largest run is region 1 (minus nothing), 2 MiB-aligned at its base. */
	assert_int_equal(mem_largest_free(MiB(2)), MiB(2));
}

static void test_zeroed_page(void **state)
{
	paddr_t pa;
	const uint8_t *p;

	assert_int_equal(init1(MiB(4), NULL, NULL, 0), 0);
	pa = mem_alloc(1, PAGE_SIZE);
	memset(arch_phys_to_virt(pa), 0x5a, PAGE_SIZE);
	mem_free(pa, 1);
	assert_int_equal(mem_alloc_zeroed_page(), pa);
	p = arch_phys_to_virt(pa);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
}

static void test_double_free_is_a_bug(void **state)
{
	jmp_buf jb;
	paddr_t pa;

	assert_int_equal(init1(MiB(4), NULL, NULL, 0), 0);
	pa = mem_alloc(2, PAGE_SIZE);
	mem_free(pa, 2);
	fake_arch.panics = 0;
	fake_arch.panic_jmp = &jb;
	if (setjmp(jb) == 0) {
		mem_free(pa, 1);
		fail_msg("double free went unnoticed");
	}
	fake_arch.panic_jmp = NULL;
	assert_int_equal(fake_arch.panics, 1);
	assert_non_null(strstr(fake_arch.panic_msg, "BUG"));
	/* The allocator lock was released with the panic; the allocator still works. */
	assert_int_equal(fake_arch.locks_held, 0);
	assert_int_equal(mem_alloc(2, PAGE_SIZE), pa);
}

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_init_and_first_fit, setup),
	    cmocka_unit_test_setup(test_bad_arguments, setup),
	    cmocka_unit_test_setup(test_alignment, setup),
	    cmocka_unit_test_setup(test_exhaustion, setup),
	    cmocka_unit_test_setup(test_reserved_never_handed_out, setup),
	    cmocka_unit_test_setup(test_no_room_for_bitmap, setup),
	    cmocka_unit_test_setup(test_multiple_regions, setup),
	    cmocka_unit_test_setup(test_zeroed_page, setup),
	    cmocka_unit_test_setup(test_double_free_is_a_bug, setup),
	};

	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
