/* unit-sources: hypervisor/arch/aarch64/id_regs.c */
/*
 * Guest trap decoding (arch/aarch64/trap_decode.h): ESR_EL2 syndromes built the way the Arm ARM
 * lays them out (D17.2.40: EC, IL, and the ISS of WFx, MSR/MRS and data aborts) decode into what
 * the guest did; and the guest-visible CPU feature policy (id_regs.c): which ID register fields
 * are hidden, capped or passed, checked against the masks traps.c applied before the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../hypervisor/arch/aarch64/id_regs.h"
#include "../../hypervisor/arch/aarch64/trap_decode.h"

static uint64_t esr_of(unsigned ec, bool il, uint32_t iss)
{
	return ((uint64_t)ec << ESR_EC_SHIFT) | (il ? ESR_IL : 0) | iss;
}

/* ---- exception class, instruction length, WFx, HVC/SMC ---- */

static void test_class_and_length(void **state)
{
	assert_int_equal(ESR_EC(esr_of(EC_DABT_LOW, true, 0x1ffffff)), EC_DABT_LOW);
	assert_int_equal(ESR_ISS(esr_of(EC_DABT_LOW, true, 0x1ffffff)), 0x1ffffff);
	assert_int_equal(ESR_EC(esr_of(EC_BRK64, false, 0)), EC_BRK64);
	assert_int_equal(trap_insn_len(esr_of(EC_WFX, true, 0)), 4);
	assert_int_equal(trap_insn_len(esr_of(EC_WFX, false, 0)), 2);
	/* Bits above EC (ISS2, RES0 here) do not leak into the class. */
	assert_int_equal(ESR_EC(esr_of(EC_SYSREG, true, 0) | (0xffULL << 32)), EC_SYSREG);
}

static void test_wfx(void **state)
{
	/* ISS.TI (bits 1:0): 0 WFI, 1 WFE, 2 WFIT, 3 WFET; RV and the register (bits 2, 9:5)
	 * of WFxT do not change which it is. */
	assert_true(trap_wfx_is_wfi(esr_of(EC_WFX, true, 0)));
	assert_false(trap_wfx_is_wfi(esr_of(EC_WFX, true, 1)));
	assert_true(trap_wfx_is_wfi(esr_of(EC_WFX, true, 2 | 1 << 2 | 7 << 5)));
	assert_false(trap_wfx_is_wfi(esr_of(EC_WFX, true, 3 | 1 << 2 | 7 << 5)));
}

static void test_hvc_smc(void **state)
{
	/* ELR_EL2 is already past an HVC but at a trapped SMC (Arm ARM D1.11.2). */
	assert_false(trap_call_needs_skip(esr_of(EC_HVC64, true, 0)));
	assert_false(trap_call_needs_skip(esr_of(EC_HVC64, true, 0xffff))); /* HVC #0xffff */
	assert_true(trap_call_needs_skip(esr_of(EC_SMC64, true, 0)));
}

/* ---- MSR / MRS ---- */

static uint32_t sysreg_iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
			   unsigned rt, bool read)
{
	return SYSREG(op0, op1, crn, crm, op2) | rt << 5 | (read ? 1 : 0);
}

/* Every encoding's fields come back out, and none bleeds into another. */
static void test_sysreg_fields(void **state)
{
	unsigned n = 0;

	for (unsigned op0 = 0; op0 < 4; op0++)
		for (unsigned op1 = 0; op1 < 8; op1++)
			for (unsigned crn = 0; crn < 16; crn++)
				for (unsigned crm = 0; crm < 16; crm++)
					for (unsigned op2 = 0; op2 < 8; op2++, n++) {
						unsigned rt = n % 32;
						bool read = n & 1;
						struct trap_sysreg s = trap_decode_sysreg(esr_of(
						    EC_SYSREG, true,
						    sysreg_iss(op0, op1, crn, crm, op2, rt, read)));

						assert_int_equal(s.op0, op0);
						assert_int_equal(s.op1, op1);
						assert_int_equal(s.crn, crn);
						assert_int_equal(s.crm, crm);
						assert_int_equal(s.op2, op2);
						assert_int_equal(s.rt, rt);
						assert_int_equal(s.read, read);
						assert_int_equal(s.enc,
								 SYSREG(op0, op1, crn, crm, op2));
					}
	assert_int_equal(n, 4 * 8 * 16 * 16 * 8);
}

static void test_sysreg_known(void **state)
{
	/* MSR ICC_SGI1R_EL1, x5 (S3_0_C12_C11_5): what the SGI path switches on. */
	struct trap_sysreg s =
	    trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 0, 12, 11, 5, 5, false)));

	assert_int_equal(s.enc, SYSREG(3, 0, 12, 11, 5));
	assert_int_equal(s.rt, 5);
	assert_false(s.read);
	assert_false(trap_sysreg_is_id_read(&s));

	/* MRS xzr, ID_AA64PFR0_EL1 (S3_0_C0_C4_0): an ID register read, into XZR. */
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 0, 0, 4, 0, 31, true)));
	assert_true(trap_sysreg_is_id_read(&s));
	assert_int_equal(s.rt, 31);

	/* Not ID register reads: a write to one, MIDR's row (CRm 0), another op1 (CCSIDR). */
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 0, 0, 4, 0, 1, false)));
	assert_false(trap_sysreg_is_id_read(&s));
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 0, 0, 0, 0, 1, true)));
	assert_false(trap_sysreg_is_id_read(&s));
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 1, 0, 0, 0, 1, true)));
	assert_false(trap_sysreg_is_id_read(&s));
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(2, 0, 0, 7, 0, 1, true)));
	assert_false(trap_sysreg_is_id_read(&s));
	/* The last ID row, CRm 7 (ID_AA64MMFR*), is one. */
	s = trap_decode_sysreg(esr_of(EC_SYSREG, true, sysreg_iss(3, 0, 0, 7, 2, 0, true)));
	assert_true(trap_sysreg_is_id_read(&s));
}

/* ---- data aborts ---- */

static uint32_t dabt_iss(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr)
{
	return (uint32_t)(DABT_ISV | (uint64_t)sas << DABT_SAS_SHIFT | (sse ? DABT_SSE : 0) |
			  (uint64_t)srt << DABT_SRT_SHIFT | (sf ? DABT_SF : 0) |
			  (wnr ? DABT_WNR : 0));
}

static void test_dabt_fields(void **state)
{
	for (unsigned sas = 0; sas < 4; sas++) {
		for (unsigned srt = 0; srt < 32; srt++) {
			bool sse = srt & 1, sf = srt & 2, wnr = srt & 4;
			struct trap_dabt d = trap_decode_dabt(
			    esr_of(EC_DABT_LOW, true, dabt_iss(sas, sse, srt, sf, wnr)));

			assert_true(d.isv);
			assert_int_equal(d.size, 1U << sas);
			assert_int_equal(d.rt, srt);
			assert_int_equal(d.sse, sse);
			assert_int_equal(d.sf, sf);
			assert_int_equal(d.write, wnr);
			assert_false(d.cm);
			assert_false(d.s1ptw);
		}
	}
	/* No valid syndrome (say, a load pair), a cache maintenance op, a stage-1 walk. */
	assert_false(trap_decode_dabt(esr_of(EC_DABT_LOW, true, 0)).isv);
	assert_true(trap_decode_dabt(esr_of(EC_DABT_LOW, true, DABT_CM | DABT_WNR)).cm);
	assert_true(trap_decode_dabt(esr_of(EC_DABT_LOW, true, DABT_S1PTW)).s1ptw);
	assert_true(trap_decode_dabt(esr_of(EC_IABT_LOW, true, DABT_S1PTW)).s1ptw);
}

static void test_dabt_values(void **state)
{
	struct trap_dabt b =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(0, false, 1, true, false)));
	struct trap_dabt sb_x =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(0, true, 1, true, false)));
	struct trap_dabt sb_w =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(0, true, 1, false, false)));
	struct trap_dabt sh =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(1, true, 1, true, false)));
	struct trap_dabt w =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(2, false, 1, false, false)));
	struct trap_dabt x =
	    trap_decode_dabt(esr_of(EC_DABT_LOW, true, dabt_iss(3, false, 1, true, true)));

	/* LDRB, LDRSB Xt, LDRSB Wt, LDRSH Xt, LDR Wt, LDR Xt: only the access's bytes count. */
	assert_int_equal(trap_load_value(&b, 0xdead0080), 0x80);
	assert_int_equal(trap_load_value(&sb_x, 0xdead0080), 0xffffffffffffff80ULL);
	assert_int_equal(trap_load_value(&sb_w, 0xdead0080), 0xffffff80ULL);
	assert_int_equal(trap_load_value(&sb_x, 0x7f), 0x7f);
	assert_int_equal(trap_load_value(&sh, 0x18000), 0xffffffffffff8000ULL);
	assert_int_equal(trap_load_value(&w, 0x1234567887654321ULL), 0x87654321);
	assert_int_equal(trap_load_value(&x, 0x1234567887654321ULL), 0x1234567887654321ULL);
	/* A store hands the device the register's low bytes only. */
	assert_int_equal(trap_store_value(&b, 0x1234567887654321ULL), 0x21);
	assert_int_equal(trap_store_value(&sh, 0x1234567887654321ULL), 0x4321);
	assert_int_equal(trap_store_value(&w, 0x1234567887654321ULL), 0x87654321);
	assert_int_equal(trap_store_value(&x, 0x1234567887654321ULL), 0x1234567887654321ULL);
}

/* The fast path's load value from the syndrome alone (no SSE) is trap_load_value()'s, for every
 * size and register width an instruction can give (8 bytes only to an X register). */
static void test_dabt_load_value_zx(void **state)
{
	static const uint64_t values[] = {
	    0, 0x80, 0xdead0080, 0x18000, 0xffffffffffffffffULL, 0x1234567887654321ULL};

	for (unsigned sas = 0; sas < 4; sas++) {
		for (unsigned sf = sas == 3; sf < 2; sf++) {
			uint64_t esr =
			    esr_of(EC_DABT_LOW, true, dabt_iss(sas, false, 5, sf, false));
			struct trap_dabt d = trap_decode_dabt(esr);

			for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++)
				assert_int_equal(trap_load_value_zx(esr, values[i]),
						 trap_load_value(&d, values[i]));
		}
	}
}

static void test_fault_ipa(void **state)
{
	/* HPFAR_EL2.FIPA holds IPA[51:12] from bit 4; FAR_EL2 gives the offset in the page. */
	assert_int_equal(trap_fault_ipa(0x12345ULL << 4, 0xffffffff00000abcULL), 0x12345abcULL);
	assert_int_equal(trap_fault_ipa(0x8000000ULL << 4 | 0xf, 0x1fff), 0x8000000fffULL);
}

/* ---- the ID register policy ---- */

/* The table's shape: every register once, in the ID space, fields inside it and apart. */
static void test_id_table_shape(void **state)
{
	for (unsigned i = 0; i < nr_id_regs; i++) {
		const struct id_reg *reg = &id_regs[i];
		uint64_t seen = 0;

		assert_non_null(reg->name);
		assert_in_range(reg->crm, 1, 7);
		assert_in_range(reg->op2, 0, 7);
		assert_ptr_equal(id_reg_find(reg->crm, reg->op2), reg);
		for (unsigned f = 0; f < reg->nr_fields; f++) {
			const struct id_field *fld = &reg->fields[f];
			uint64_t mask;

			assert_non_null(fld->name);
			assert_in_range(fld->width, 1, 63);
			assert_true(fld->shift + fld->width <= 64);
			mask = ((1ULL << fld->width) - 1) << fld->shift;
			assert_int_equal(seen & mask, 0); /* no two fields overlap */
			seen |= mask;
			/* Listing a field with the register's default policy would say nothing. */
			assert_int_not_equal(fld->policy, reg->others);
		}
	}
}

/* What traps.c hid before the table, as masks per register (crm, op2, bits kept). */
static const struct {
	unsigned crm, op2;
	uint64_t keep;
} before_table[] = {
    {4, 0, ~((0xfULL << 28) | (0xfULL << 32) | (0xfULL << 36) | (0xfULL << 40) | (0xfULL << 44))},
    {4, 1, 0xffULL},
    {4, 4, 0},
    {4, 5, 0},
    {5, 0,
     ~((0xfULL << 4) | (0xfULL << 8) | (0xfULL << 32) | (0xfULL << 40) | (0xfULL << 44) |
       (0xfULL << 52) | (0xfULL << 56))},
    {6, 1, ~((0xfULL << 4) | (0xfULL << 8) | (0xfULL << 24) | (0xfULL << 28))},
    {6, 2, ~((0xfULL << 0) | (0xfULL << 8) | (0xfULL << 12))},
    {1, 2, ~((0xfULL << 24) | (0xfULL << 12) | (0xfULL << 28))},
};

static uint64_t kept_before(unsigned crm, unsigned op2)
{
	for (unsigned i = 0; i < sizeof(before_table) / sizeof(before_table[0]); i++)
		if (before_table[i].crm == crm && before_table[i].op2 == op2)
			return before_table[i].keep;
	return ~0ULL; /* passed through */
}

/* The table gives every ID register exactly what the guest saw before it existed. */
static void test_id_policy_unchanged(void **state)
{
	static const uint64_t hw[] = {0, ~0ULL, 0x1111111111111111ULL, 0x0123456789abcdefULL,
				      0xf0f0f0f0f0f0f0f0ULL};
	unsigned listed = 0;

	for (unsigned crm = 1; crm <= 7; crm++) {
		for (unsigned op2 = 0; op2 < 8; op2++) {
			listed += id_reg_find(crm, op2) != NULL;
			for (unsigned i = 0; i < sizeof(hw) / sizeof(hw[0]); i++)
				assert_int_equal(id_reg_sanitise(crm, op2, hw[i]),
						 hw[i] & kept_before(crm, op2));
		}
	}
	assert_int_equal(listed, nr_id_regs);
	/* Spot checks by name: SVE (PFR0[35:32]) reads 0, BTI (PFR1[3:0]) passes, MTE
	 * (PFR1[11:8]) reads 0, PMUVer (DFR0[11:8]) reads 0, DebugVer (DFR0[3:0]) passes. */
	assert_int_equal(id_reg_sanitise(4, 0, 1ULL << 32), 0);
	assert_int_equal(id_reg_sanitise(4, 1, 1), 1);
	assert_int_equal(id_reg_sanitise(4, 1, 2ULL << 8), 0);
	assert_int_equal(id_reg_sanitise(5, 0, 6ULL << 8), 0);
	assert_int_equal(id_reg_sanitise(5, 0, 9), 9);
}

/* A capped field offers at most its cap; hide and pass as listed; the rest by `others`. */
static void test_id_policy_cap(void **state)
{
	static const struct id_field fields[] = {
	    {.name = "A", .shift = 0, .width = 4, .policy = ID_CAP, .cap = 2},
	    {.name = "B", .shift = 4, .width = 4, .policy = ID_HIDE},
	    {.name = "C", .shift = 60, .width = 4, .policy = ID_PASS},
	};
	const struct id_reg pass_rest = {
	    .name = "T", .crm = 7, .op2 = 7, .others = ID_PASS, .nr_fields = 3, .fields = fields};
	const struct id_reg hide_rest = {
	    .name = "T", .crm = 7, .op2 = 7, .others = ID_HIDE, .nr_fields = 3, .fields = fields};

	assert_int_equal(id_reg_apply(&pass_rest, 0x50000000000000f1ULL), 0x5000000000000001ULL);
	assert_int_equal(id_reg_apply(&pass_rest, 0x0000000000000f3ULL), 0x0000000000000002ULL);
	assert_int_equal(id_reg_apply(&pass_rest, 0xf0000000000abcd5ULL), 0xf0000000000abc02ULL);
	assert_int_equal(id_reg_apply(&hide_rest, 0xf0000000000abcd5ULL), 0xf000000000000002ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_class_and_length),
	    cmocka_unit_test(test_wfx),
	    cmocka_unit_test(test_hvc_smc),
	    cmocka_unit_test(test_sysreg_fields),
	    cmocka_unit_test(test_sysreg_known),
	    cmocka_unit_test(test_dabt_fields),
	    cmocka_unit_test(test_dabt_values),
	    cmocka_unit_test(test_dabt_load_value_zx),
	    cmocka_unit_test(test_fault_ipa),
	    cmocka_unit_test(test_id_table_shape),
	    cmocka_unit_test(test_id_policy_unchanged),
	    cmocka_unit_test(test_id_policy_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
