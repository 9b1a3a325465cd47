/* unit-sources: hypervisor/drivers/smmu_ste.c */
/*
 * SMMUv3 stream table entries (drivers/smmu_ste.c), bit by bit against IHI 0070 5.2: the stage-1
 * path QEMU 7.2 runs, and the stage-2 path for SMMUs with SMMU_IDR0.S2P, which no emulator here
 * has: its STE must name the VM's stage-2 root, VMID and the walk VTCR_EL2 uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tandem/smmu_ste.h>
#include <tandem/stage2.h>

static uint64_t field(const uint64_t *ste, unsigned hi, unsigned lo)
{
	/* A field by its STE bit numbers (bit 128 is dword 2 bit 0); fields never straddle dwords.
	 */
	uint64_t dw = ste[lo / 64];
	unsigned width = hi - lo + 1;

	return (dw >> (lo % 64)) & (width == 64 ? ~0ULL : (1ULL << width) - 1);
}

static void test_abort(void **state)
{
	uint64_t ste[SMMU_STE_DWORDS];

	memset(ste, 0xa5, sizeof(ste));
	smmu_ste_abort(ste);
	assert_int_equal(field(ste, 0, 0), 1); /* V */
	assert_int_equal(field(ste, 3, 1), 0); /* Config: abort */
	for (unsigned i = 1; i < SMMU_STE_DWORDS; i++)
		assert_int_equal(ste[i], 0);
}

static void test_stage1(void **state)
{
	uint64_t ste[SMMU_STE_DWORDS];

	smmu_ste_s1(ste, 0x4123f000 + 0x40);
	assert_int_equal(field(ste, 0, 0), 1);
	assert_int_equal(field(ste, 3, 1), 5);		      /* S1 translate, S2 bypass */
	assert_int_equal(field(ste, 5, 4), 0);		      /* S1Fmt: one CD */
	assert_int_equal(field(ste, 55, 6) << 6, 0x4123f040); /* S1ContextPtr */
	assert_int_equal(field(ste, 63, 59), 0);	      /* S1CDMax: no substreams */
	assert_int_equal(field(ste, 67, 66), 1);	      /* S1CIR: write-back */
	assert_int_equal(field(ste, 69, 68), 1);	      /* S1COR: write-back */
	assert_int_equal(field(ste, 71, 70), 3);	      /* S1CSH: inner shareable */
	assert_int_equal(field(ste, 109, 108), 1);	      /* SHCFG: incoming */
	assert_int_equal(ste[2], 0);			      /* no stage-2 fields */
	assert_int_equal(ste[3], 0);
}

static void test_stage2(void **state)
{
	uint64_t ste[SMMU_STE_DWORDS];
	struct s2_table s2 = {.root = 0x8badf000, .vmid = 7};

	smmu_ste_s2(ste, &s2, 5); /* an SMMU with 48-bit OAS: the VM's tables stay at 40 bits */
	assert_int_equal(field(ste, 0, 0), 1);
	assert_int_equal(field(ste, 3, 1), 6);	    /* S1 bypass, S2 translate */
	assert_int_equal(field(ste, 55, 6), 0);	    /* no context descriptor */
	assert_int_equal(field(ste, 143, 128), 7);  /* S2VMID = the VM's VMID */
	assert_int_equal(field(ste, 165, 160), 25); /* S2T0SZ: 39-bit IPA, as VTCR_EL2.T0SZ */
	assert_int_equal(field(ste, 167, 166), 1);  /* S2SL0: start at level 1 */
	assert_int_equal(field(ste, 169, 168), 1);  /* S2IR0: write-back */
	assert_int_equal(field(ste, 171, 170), 1);  /* S2OR0: write-back */
	assert_int_equal(field(ste, 173, 172), 3);  /* S2SH0: inner shareable */
	assert_int_equal(field(ste, 175, 174), 0);  /* S2TG: 4 KiB */
	assert_int_equal(field(ste, 178, 176), 2);  /* S2PS: 40 bits */
	assert_int_equal(field(ste, 179, 179), 1);  /* S2AA64 */
	assert_int_equal(field(ste, 180, 180), 0);  /* S2ENDI: little endian */
	assert_int_equal(field(ste, 181, 181), 0);  /* S2AFFD: the tables set AF */
	assert_int_equal(field(ste, 186, 186), 1);  /* S2R: faults are recorded */
	assert_int_equal(field(ste, 247, 196) << 4, 0x8badf000); /* S2TTB = the VM's root */
	/* The walk fields are VTCR_EL2's own bits [15:0], the ones every CPU uses for this VM. */
	assert_int_equal(field(ste, 175, 160), S2_VTCR_WALK);

	smmu_ste_s2(ste, &s2, 1); /* an SMMU with 36-bit OAS: S2PS never exceeds it */
	assert_int_equal(field(ste, 178, 176), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abort),
	    cmocka_unit_test(test_stage1),
	    cmocka_unit_test(test_stage2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
