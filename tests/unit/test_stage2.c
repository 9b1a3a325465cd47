/* unit-sources: hypervisor/arch/aarch64/stage2.c hypervisor/lib/mem.c */
/*
 * Stage-2 tables checked at the descriptor level (Arm ARM D8.3): 1 GiB and 2 MiB blocks
 * when aligned, 4 KiB pages otherwise, attributes, splitting on unmap, VTTBR, and that
 * s2_destroy gives every table page back.
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
#include <tandem/stage2.h>

/* Descriptor fields, written out independently of stage2.c. */
#define D_TYPE(d)    ((d)&3) /* 0b01 block, 0b11 table (levels 1-2) or page (level 3) */
#define D_ADDR(d)    ((d)&0x0000fffffffff000ULL)
#define D_MEMATTR(d) (((d) >> 2) & 0xf)
#define D_S2AP(d)    (((d) >> 6) & 3)
#define D_SH(d)	     (((d) >> 8) & 3)
#define D_AF(d)	     (((d) >> 10) & 1)
#define D_XN(d)	     (((d) >> 54) & 1)

#define TYPE_BLOCK 1
#define TYPE_TABLE 3 /* also "page" at level 3 */

static struct s2_table t;
static uint64_t free_before; /* allocator free bytes before s2_init */

static uint64_t *table(paddr_t pa)
{
	return arch_phys_to_virt(pa);
}

/* The descriptor for ipa at level (1..3), following table descriptors; 0 if the walk stops. */
static uint64_t desc_at(ipa_t ipa, int level)
{
	uint64_t *tbl = table(t.root);

	for (int l = 1;; l++) {
		uint64_t d = tbl[(ipa >> (12 + 9 * (3 - l))) & 511];

		if (l == level)
			return d;
		if (D_TYPE(d) != TYPE_TABLE)
			return 0;
		tbl = table(D_ADDR(d));
	}
}

static void check_normal_leaf(uint64_t d)
{
	assert_int_equal(D_MEMATTR(d), 0xf); /* Normal, Inner/Outer Write-Back */
	assert_int_equal(D_S2AP(d), 3);	     /* read/write */
	assert_int_equal(D_SH(d), 3);	     /* Inner Shareable */
	assert_int_equal(D_AF(d), 1);	     /* no access-flag faults */
	assert_int_equal(D_XN(d), 0);
}

static void expect_pa(ipa_t ipa, paddr_t want)
{
	paddr_t pa = 0;

	assert_int_equal(s2_translate(&t, ipa, &pa), 0);
	assert_int_equal(pa, want);
}

static void expect_unmapped(ipa_t ipa)
{
	paddr_t pa;

	assert_int_equal(s2_translate(&t, ipa, &pa), -ERR_NOENT);
}

static int setup(void **state)
{
	paddr_t base = FAKE_RAM_BASE;
	uint64_t size = MiB(32);

	fake_reset();
	fake_arch.printk_quiet = true;
	assert_int_equal(mem_init(&base, &size, 1, NULL, NULL, 0), 0);
	free_before = mem_free_bytes();
	assert_int_equal(s2_init(&t, 5), 0);
	assert_int_equal(t.nr_tables, 1);
	assert_true(IS_ALIGNED(t.root, PAGE_SIZE));
	return 0;
}

/* Every test ends by destroying its tables: all pages must come back. */
static int teardown(void **state)
{
	s2_destroy(&t);
	assert_int_equal(t.nr_tables, 0);
	assert_int_equal(t.root, 0);
	assert_int_equal(mem_free_bytes(), free_before);
	return 0;
}

static void test_1g_block(void **state)
{
	uint64_t d;

	assert_int_equal(s2_map(&t, GiB(1), GiB(2), GiB(1), S2_NORMAL_RWX), 0);
	d = desc_at(GiB(1), 1);
	assert_int_equal(D_TYPE(d), TYPE_BLOCK);
	assert_int_equal(D_ADDR(d), GiB(2));
	check_normal_leaf(d);
	assert_int_equal(t.nr_tables, 1); /* no lower tables needed */
	expect_pa(GiB(1), GiB(2));
	expect_pa(GiB(1) + 0x12345678, GiB(2) + 0x12345678);
	expect_pa(GiB(2) - 1, GiB(3) - 1);
	expect_unmapped(GiB(1) - 1);
	expect_unmapped(GiB(2));
}

static void test_2m_blocks(void **state)
{
	uint64_t d;

	/* 1 GiB-aligned IPA but only 2 MiB-aligned PA: 512 level-2 blocks, not one 1 GiB block. */
	assert_int_equal(s2_map(&t, GiB(1), GiB(2) + MiB(2), GiB(1), S2_NORMAL_RWX), 0);
	assert_int_equal(D_TYPE(desc_at(GiB(1), 1)), TYPE_TABLE);
	assert_int_equal(t.nr_tables, 2);
	for (unsigned i = 0; i < 512; i++) {
		d = desc_at(GiB(1) + i * MiB(2), 2);
		assert_int_equal(D_TYPE(d), TYPE_BLOCK);
		assert_int_equal(D_ADDR(d), GiB(2) + MiB(2) + i * MiB(2));
		check_normal_leaf(d);
	}
	expect_pa(GiB(1) + MiB(3) + 5, GiB(2) + MiB(5) + 5);
}

static void test_4k_pages(void **state)
{
	uint64_t d;

	/* 2 MiB-aligned IPA, 4 KiB-aligned PA: pages only. */
	assert_int_equal(s2_map(&t, MiB(2), MiB(64) + PAGE_SIZE, MiB(2), S2_NORMAL_RWX), 0);
	assert_int_equal(t.nr_tables, 3);
	for (unsigned i = 0; i < 512; i++) {
		d = desc_at(MiB(2) + i * PAGE_SIZE, 3);
		assert_int_equal(D_TYPE(d), TYPE_TABLE); /* 0b11 = page at level 3 */
		assert_int_equal(D_ADDR(d), MiB(64) + PAGE_SIZE + i * PAGE_SIZE);
		check_normal_leaf(d);
	}
	expect_pa(MiB(2) + 0x1abc, MiB(64) + 0x2abc);
	expect_unmapped(MiB(4));
	expect_unmapped(MiB(2) - 1);
}

/* An unaligned span: pages up to 2 MiB alignment, 2 MiB blocks up to 1 GiB, then 1 GiB blocks. */
static void test_mixed_sizes(void **state)
{
	ipa_t ipa = GiB(1) - MiB(2) - KiB(8);
	uint64_t size = KiB(8) + MiB(2) + GiB(1) + MiB(2) + KiB(4);
	paddr_t pa = GiB(4) - MiB(2) - KiB(8); /* same offsets as ipa */

	assert_int_equal(s2_map(&t, ipa, pa, size, S2_NORMAL_RWX), 0);
	assert_int_equal(D_TYPE(desc_at(GiB(1) - MiB(2) - KiB(8), 3)), TYPE_TABLE);
	assert_int_equal(D_TYPE(desc_at(GiB(1) - MiB(2) - KiB(4), 3)), TYPE_TABLE);
	assert_int_equal(D_TYPE(desc_at(GiB(1) - MiB(2), 2)), TYPE_BLOCK);
	assert_int_equal(D_TYPE(desc_at(GiB(1), 1)), TYPE_BLOCK);
	assert_int_equal(D_TYPE(desc_at(GiB(2), 2)), TYPE_BLOCK);
	assert_int_equal(D_TYPE(desc_at(GiB(2) + MiB(2), 3)), TYPE_TABLE);
	assert_int_equal(desc_at(GiB(2) + MiB(2) + KiB(4), 3), 0);
	/* Tables: root, L2+L3 below 1 GiB, L2+L3 above 2 GiB. */
	assert_int_equal(t.nr_tables, 5);
	for (uint64_t off = 0; off < size; off += KiB(4) * 997)
		expect_pa(ipa + off, pa + off);
	expect_pa(ipa + size - 1, pa + size - 1);
	expect_unmapped(ipa - 1);
	expect_unmapped(ipa + size);
}

static void test_device_attrs(void **state)
{
	uint64_t d;

	assert_int_equal(s2_map(&t, 0x08000000, 0x08000000, MiB(2), S2_DEVICE_RW), 0);
	assert_int_equal(s2_map(&t, 0x09000000, 0x09000000, PAGE_SIZE, S2_DEVICE_RW), 0);
	d = desc_at(0x08000000, 2);
	assert_int_equal(D_TYPE(d), TYPE_BLOCK);
	assert_int_equal(D_MEMATTR(d), 0x1); /* Device-nGnRE */
	assert_int_equal(D_XN(d), 1);	     /* never executable */
	assert_int_equal(D_S2AP(d), 3);
	assert_int_equal(D_AF(d), 1);
	d = desc_at(0x09000000, 3);
	assert_int_equal(D_TYPE(d), TYPE_TABLE);
	assert_int_equal(D_MEMATTR(d), 0x1);
	assert_int_equal(D_XN(d), 1);
	expect_pa(0x09000ff8, 0x09000ff8);
}

static void test_unmap_splits_blocks(void **state)
{
	uint64_t d;
	unsigned long flushes = fake_arch.tlb_flushes;

	assert_int_equal(s2_map(&t, GiB(1), GiB(2), GiB(1), S2_DEVICE_RW), 0);
	/* A 4 KiB hole in the middle of the 1 GiB block. */
	assert_int_equal(s2_unmap(&t, GiB(1) + MiB(6) + KiB(12), KiB(4)), 0);
	assert_int_equal(fake_arch.tlb_flushes, flushes + 1);
	assert_int_equal(fake_arch.tlb_last_vmid, 5);
	assert_int_equal(D_TYPE(desc_at(GiB(1), 1)), TYPE_TABLE);
	assert_int_equal(t.nr_tables, 3);
	for (unsigned i = 0; i < 512; i++) {
		d = desc_at(GiB(1) + i * MiB(2), 2);
		assert_int_equal(D_TYPE(d), i == 3 ? TYPE_TABLE : TYPE_BLOCK);
		if (i != 3) {
			assert_int_equal(D_ADDR(d), GiB(2) + i * MiB(2));
			assert_int_equal(D_XN(d), 1); /* attributes survive the split */
			assert_int_equal(D_MEMATTR(d), 1);
		}
	}
	for (unsigned i = 0; i < 512; i++) {
		d = desc_at(GiB(1) + MiB(6) + i * PAGE_SIZE, 3);
		if (i == 3) {
			assert_int_equal(d, 0);
			continue;
		}
		assert_int_equal(D_TYPE(d), TYPE_TABLE);
		assert_int_equal(D_ADDR(d), GiB(2) + MiB(6) + i * PAGE_SIZE);
		assert_int_equal(D_XN(d), 1);
	}
	expect_unmapped(GiB(1) + MiB(6) + KiB(12));
	expect_unmapped(GiB(1) + MiB(6) + KiB(16) - 1);
	expect_pa(GiB(1) + MiB(6) + KiB(16), GiB(2) + MiB(6) + KiB(16));
	expect_pa(GiB(1) + MiB(6) + KiB(12) - 1, GiB(2) + MiB(6) + KiB(12) - 1);
	expect_pa(GiB(2) - 1, GiB(3) - 1);

	/* A whole 2 MiB block goes without splitting; an unmapped span is skipped. */
	assert_int_equal(s2_unmap(&t, GiB(1) + MiB(100), MiB(2)), 0);
	assert_int_equal(desc_at(GiB(1) + MiB(100), 2), 0);
	assert_int_equal(t.nr_tables, 3);
	assert_int_equal(s2_unmap(&t, GiB(5), GiB(2)), 0);
	expect_pa(GiB(1) + MiB(102), GiB(2) + MiB(102));
}

static void test_remap_and_unmap_everything(void **state)
{
	assert_int_equal(s2_map(&t, 0, GiB(1), GiB(2) + MiB(2) + KiB(4), S2_NORMAL_RWX), 0);
	assert_int_equal(s2_unmap(&t, 0, GiB(2) + MiB(2) + KiB(4)), 0);
	for (ipa_t ipa = 0; ipa < GiB(3); ipa += MiB(2) - KiB(4))
		expect_unmapped(ipa);
	/* Map again over the emptied tables. */
	assert_int_equal(s2_map(&t, MiB(2), MiB(2), MiB(4), S2_NORMAL_RWX), 0);
	expect_pa(MiB(5), MiB(5));
}

static void test_vttbr(void **state)
{
	assert_int_equal(s2_vttbr(&t), ((uint64_t)5 << 48) | t.root);
	s2_destroy(&t);
	assert_int_equal(s2_init(&t, 0xabcd), 0);
	assert_int_equal(s2_vttbr(&t) >> 48, 0xabcd);
	assert_int_equal(s2_vttbr(&t) & 0x0000ffffffffffffULL, t.root);
}

static void test_bad_arguments(void **state)
{
	paddr_t pa;

	assert_int_equal(s2_map(&t, 0x1000, 0x1001, PAGE_SIZE, S2_NORMAL_RWX), -ERR_INVAL);
	assert_int_equal(s2_map(&t, 0x1800, 0x1000, PAGE_SIZE, S2_NORMAL_RWX), -ERR_INVAL);
	assert_int_equal(s2_map(&t, 0x1000, 0x1000, 100, S2_NORMAL_RWX), -ERR_INVAL);
	assert_int_equal(s2_map(&t, 0x1000, 0x1000, 0, S2_NORMAL_RWX), -ERR_INVAL);
	/* The IPA space is 39 bits: nothing may be mapped at or beyond 512 GiB. */
	assert_int_equal(s2_map(&t, GiB(512) - PAGE_SIZE, 0, 2 * PAGE_SIZE, S2_NORMAL_RWX),
			 -ERR_INVAL);
	assert_int_equal(s2_map(&t, GiB(512), 0, PAGE_SIZE, S2_NORMAL_RWX), -ERR_INVAL);
	assert_int_equal(s2_map(&t, GiB(512) - PAGE_SIZE, 0, PAGE_SIZE, S2_NORMAL_RWX), 0);
	assert_int_equal(s2_translate(&t, GiB(512), &pa), -ERR_NOENT);
	assert_int_equal(s2_unmap(&t, 0x1000, 100), -ERR_INVAL);
	assert_int_equal(t.nr_tables, 3);
}

/* Beyond the IPA space an unmap must not wrap around onto low addresses. */
static void test_unmap_beyond_ipa_space(void **state)
{
	assert_int_equal(s2_map(&t, 0, GiB(1), MiB(2), S2_NORMAL_RWX), 0);
	assert_int_equal(s2_unmap(&t, GiB(512), MiB(2)), -ERR_INVAL);
	assert_int_equal(s2_unmap(&t, GiB(512) - MiB(2), MiB(4)), -ERR_INVAL);
	expect_pa(0, GiB(1));
	assert_int_equal(s2_unmap(&t, GiB(512) - MiB(2), MiB(2)), 0); /* the last 2 MiB is fine */
}

static void test_out_of_memory(void **state)
{
	/* Use up the allocator so no table page is left. */
	uint64_t n = mem_free_bytes() / PAGE_SIZE;
	paddr_t hog = mem_alloc(n, PAGE_SIZE);

	assert_int_not_equal(hog, 0);
	assert_int_equal(s2_map(&t, 0, 0, PAGE_SIZE, S2_NORMAL_RWX), -ERR_NOMEM);
	assert_int_equal(s2_map(&t, GiB(1), GiB(1), GiB(1), S2_NORMAL_RWX), 0); /* root only */
	assert_int_equal(s2_unmap(&t, GiB(1), PAGE_SIZE), -ERR_NOMEM); /* split needs a page */
	expect_pa(GiB(1), GiB(1));
	mem_free(hog, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_1g_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_2m_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_4k_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_attrs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_splits_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remap_and_unmap_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vttbr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_beyond_ipa_space, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
	};

	return cmocka_run_group_tests_name("stage2", tests, NULL, NULL);
}
