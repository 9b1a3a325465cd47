/*
 * The CPU features a guest sees: which fields of which ID registers are hidden, capped or passed
 * (docs/design.md, "What a guest sees"). A pure table and the function that applies it to the
 * hardware's value; traps.c reads the hardware register (HCR_EL2.TID3 traps every guest read).
 */
#ifndef ARCH_AARCH64_ID_REGS_H
#define ARCH_AARCH64_ID_REGS_H

#include <tandem/types.h>

enum id_policy {
	ID_PASS, /* the hardware's value */
	ID_HIDE, /* reads as 0: not implemented (for the fields in the table, 0 means absent) */
	ID_CAP,	 /* at most `cap` (an unsigned field: a lower value offers less of the feature) */
};

/* One field of an ID register, as the Arm ARM names it (D19.2); width 1..63. */
struct id_field {
	const char *name;
	uint8_t shift, width;
	uint8_t policy; /* enum id_policy */
	uint8_t cap;	/* ID_CAP only */
};

/* An ID register (op0 3, op1 0, CRn 0) with a policy: its listed fields, and the rest. */
struct id_reg {
	const char *name;
	uint8_t crm, op2;
	uint8_t others; /* enum id_policy of the fields not listed: ID_PASS, or ID_HIDE */
	uint8_t nr_fields;
	const struct id_field *fields;
};

extern const struct id_reg id_regs[];
extern const unsigned nr_id_regs;

/* The register the table has for (crm, op2), or NULL: then the guest reads the hardware's. */
const struct id_reg *id_reg_find(unsigned crm, unsigned op2);
/* reg's policy applied to the hardware value hw. */
uint64_t id_reg_apply(const struct id_reg *reg, uint64_t hw);
/* What the guest reads from ID register (crm, op2) whose hardware value is hw. */
uint64_t id_reg_sanitise(unsigned crm, unsigned op2, uint64_t hw);

#endif
