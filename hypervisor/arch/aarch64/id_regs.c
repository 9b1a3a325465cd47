/*
 * The guest-visible CPU feature policy: ID register fields Tandem hides or caps. What is hidden
 * is what Tandem does not context-switch or emulate (SVE, SME, MTE, PMU, trace, pointer
 * authentication, ...): a guest that saw it would use it and get UNDEF, or state leaking between
 * VMs. Field positions: Arm ARM D19.2 (ID_AA64*_EL1, ID_DFR0_EL1).
 */
#include "id_regs.h"

#define FIELD(nm, sh, pol)                                                                         \
	{                                                                                          \
		.name = (nm), .shift = (sh), .width = 4, .policy = (pol)                           \
	}
#define REG(nm, m, n, rest, f)                                                                     \
	{                                                                                          \
		.name = (nm), .crm = (m), .op2 = (n), .others = (rest), .fields = (f),             \
		.nr_fields = sizeof(f) / sizeof((f)[0])                                            \
	}

/* No RAS, SVE, Secure EL2, MPAM, AMU: none is switched per VM. */
static const struct id_field pfr0[] = {
    FIELD("RAS", 28, ID_HIDE),	FIELD("SVE", 32, ID_HIDE), FIELD("SEL2", 36, ID_HIDE),
    FIELD("MPAM", 40, ID_HIDE), FIELD("AMU", 44, ID_HIDE),
};

/* Only BTI and SSBS: everything later (MTE, SME, NMI, GCS, ...) reads as absent. */
static const struct id_field pfr1[] = {
    FIELD("BT", 0, ID_PASS),
    FIELD("SSBS", 4, ID_PASS),
};

/* No PMU, trace, SPE, trace filter, trace buffer, BRBE; the debug fields stay (MDSCR_EL1 is
 * kept per vCPU, breakpoints read as zero). */
static const struct id_field dfr0[] = {
    FIELD("TraceVer", 4, ID_HIDE),     FIELD("PMUVer", 8, ID_HIDE),
    FIELD("PMSVer", 32, ID_HIDE),      FIELD("TraceFilt", 40, ID_HIDE),
    FIELD("TraceBuffer", 44, ID_HIDE), FIELD("BRBE", 52, ID_HIDE),
    FIELD("ExtTrcBuff", 56, ID_HIDE),
};

/* No pointer authentication (HCR_EL2.API/APK trap it). */
static const struct id_field isar1[] = {
    FIELD("APA", 4, ID_HIDE),
    FIELD("API", 8, ID_HIDE),
    FIELD("GPA", 24, ID_HIDE),
    FIELD("GPI", 28, ID_HIDE),
};

/* No WFET/WFIT (their timeout is not emulated), no PAuth QARMA3. */
static const struct id_field isar2[] = {
    FIELD("WFxT", 0, ID_HIDE),
    FIELD("GPA3", 8, ID_HIDE),
    FIELD("APA3", 12, ID_HIDE),
};

/* The AArch32 view of the debug features: no trace, no PMU. */
static const struct id_field aa32_dfr0[] = {
    FIELD("CopTrc", 12, ID_HIDE),
    FIELD("PerfMon", 24, ID_HIDE),
    FIELD("TraceFilt", 28, ID_HIDE),
};

const struct id_reg id_regs[] = {
    REG("ID_DFR0_EL1", 1, 2, ID_PASS, aa32_dfr0),
    REG("ID_AA64PFR0_EL1", 4, 0, ID_PASS, pfr0),
    REG("ID_AA64PFR1_EL1", 4, 1, ID_HIDE, pfr1),
    /* SVE's and SME's own feature registers: all zero, SVE and SME being hidden. */
    {.name = "ID_AA64ZFR0_EL1", .crm = 4, .op2 = 4, .others = ID_HIDE},
    {.name = "ID_AA64SMFR0_EL1", .crm = 4, .op2 = 5, .others = ID_HIDE},
    REG("ID_AA64DFR0_EL1", 5, 0, ID_PASS, dfr0),
    REG("ID_AA64ISAR1_EL1", 6, 1, ID_PASS, isar1),
    REG("ID_AA64ISAR2_EL1", 6, 2, ID_PASS, isar2),
};
const unsigned nr_id_regs = sizeof(id_regs) / sizeof(id_regs[0]);

const struct id_reg *id_reg_find(unsigned crm, unsigned op2)
{
	for (unsigned i = 0; i < nr_id_regs; i++) {
		if (id_regs[i].crm == crm && id_regs[i].op2 == op2)
			return &id_regs[i];
	}
	return NULL;
}

uint64_t id_reg_apply(const struct id_reg *reg, uint64_t hw)
{
	uint64_t v = reg->others == ID_PASS ? hw : 0;

	for (unsigned i = 0; i < reg->nr_fields; i++) {
		const struct id_field *f = &reg->fields[i];
		uint64_t mask = ((1ULL << f->width) - 1) << f->shift; /* width < 64: an ID field */
		uint64_t field = (hw & mask) >> f->shift;

		if (f->policy == ID_HIDE)
			field = 0;
		else if (f->policy == ID_CAP && field > f->cap)
			field = f->cap;
		v = (v & ~mask) | field << f->shift;
	}
	return v;
}

uint64_t id_reg_sanitise(unsigned crm, unsigned op2, uint64_t hw)
{
	const struct id_reg *reg = id_reg_find(crm, op2);

	return reg ? id_reg_apply(reg, hw) : hw;
}
