/* unit-sources: hypervisor/drivers/smmu_pgtable.c hypervisor/lib/mem.c */
/*
 * The SMMU's stage-1 tables (drivers/smmu_pgtable.c): a VM's RAM mirrored IOVA == IPA -> PA
 * with 2 MiB blocks where aligned, 4 KiB pages otherwise, and nothing else translates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/mem.h>
#include <tandem/smmu_pgtable.h>

static int setup(void **state)
{
	paddr_t base = 0x40000000;
	uint64_t size = MiB(64);

	fake_reset();
	return mem_init(&base, &size, 1, NULL, NULL, 0);
}

static void test_blocks(void **state)
{
	struct smmu_pt pt;
	paddr_t pa;
	uint64_t *l1, *l2;

	assert_int_equal(smmu_pt_init(&pt), 0);
	/* 16 MiB of VM RAM at IPA 0x40000000, host-physical 0x42000000: 2 MiB blocks. */
	assert_int_equal(smmu_pt_map(&pt, 0x40000000, 0x42000000, MiB(16)), 0);
	assert_int_equal(pt.nr_tables, 2);
	assert_int_equal(smmu_pt_translate(&pt, 0x40000000 + MiB(3) + 0x123, &pa), 0);
	assert_int_equal(pa, 0x42000000 + MiB(3) + 0x123);
	assert_int_equal(smmu_pt_translate(&pt, 0x40000000 + MiB(16), &pa), -ERR_NOENT);
	assert_int_equal(smmu_pt_translate(&pt, 0x100000, &pa), -ERR_NOENT);
	/* The descriptor bits the SMMU reads: block, AttrIndx 0, AP RW at any EL, ISH, AF. */
	l1 = arch_phys_to_virt(pt.root);
	assert_int_equal(l1[1] & 3, 3); /* table */
	l2 = arch_phys_to_virt(l1[1] & 0x0000fffffffff000ULL);
	assert_int_equal(l2[0], 0x42000000ULL | 1 | (1 << 6) | (3 << 8) | (1 << 10));
}

static void test_pages_and_errors(void **state)
{
	struct smmu_pt pt;
	paddr_t pa;

	assert_int_equal(smmu_pt_init(&pt), 0);
	/* Not 2 MiB aligned on the PA side: 4 KiB pages. */
	assert_int_equal(smmu_pt_map(&pt, 0x40000000, 0x42001000, MiB(4)), 0);
	assert_int_equal(pt.nr_tables, 1 + 1 + 2);
	assert_int_equal(smmu_pt_translate(&pt, 0x40000000 + MiB(2) + 0x10, &pa), 0);
	assert_int_equal(pa, 0x42001000 + MiB(2) + 0x10);
	assert_int_equal(smmu_pt_map(&pt, 0x1001, 0x2000, 0x1000), -ERR_INVAL);
	assert_int_equal(smmu_pt_map(&pt, SMMU_PT_LIMIT - 0x1000, 0x2000, 0x2000), -ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_blocks, setup),
	    cmocka_unit_test_setup(test_pages_and_errors, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
