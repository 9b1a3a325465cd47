/* unit-sources: */
/*
 * The GICv3 backend's list-register encoding (drivers/gicv3.h): the neutral form the vGIC
 * writes, as ICH_LR<n>_EL2 holds it (IHI 0069 12.4.6), and back. The expected words are
 * written out from the register layout, independently of the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../hypervisor/drivers/gicv3.h"

#define STATE_PENDING (1ULL << 62)
#define STATE_ACTIVE  (2ULL << 62)
#define HW	      (1ULL << 61)
#define GROUP1	      (1ULL << 60)
#define EOI	      (1ULL << 41)
#define PRIO(p)	      ((uint64_t)(p) << 48)
#define PINTID(p)     ((uint64_t)(p) << 32)

static void test_software_interrupt(void **state)
{
	struct irqchip_lr lr = irqchip_lr_make(33, 0, 0xa0, IRQCHIP_LR_GROUP1 | IRQCHIP_LR_PENDING);

	assert_int_equal(gicv3_lr_encode(lr), STATE_PENDING | GROUP1 | PRIO(0xa0) | 33);
	assert_int_equal(gicv3_lr_decode(gicv3_lr_encode(lr)).word, lr.word);
}

static void test_level_interrupt_asks_for_eoi_maintenance(void **state)
{
	struct irqchip_lr lr = irqchip_lr_make(
	    40, 0, 0x80, IRQCHIP_LR_PENDING | IRQCHIP_LR_ACTIVE | IRQCHIP_LR_EOI_MAINT);

	assert_int_equal(gicv3_lr_encode(lr), STATE_PENDING | STATE_ACTIVE | EOI | PRIO(0x80) | 40);
	assert_int_equal(gicv3_lr_decode(gicv3_lr_encode(lr)).word, lr.word);
	assert_true(irqchip_lr_has(gicv3_lr_decode(EOI | 40), IRQCHIP_LR_EOI_MAINT));
}

static void test_hardware_linked_interrupt(void **state)
{
	/* pINTID 1019 sets bit 41 as part of pINTID, not EOI: HW decides which it is. */
	struct irqchip_lr lr = irqchip_lr_make(27, 1019, 0x10, IRQCHIP_LR_HW | IRQCHIP_LR_ACTIVE);
	uint64_t v = gicv3_lr_encode(lr);

	assert_int_equal(v, STATE_ACTIVE | HW | PRIO(0x10) | PINTID(1019) | 27);
	lr = gicv3_lr_decode(v);
	assert_int_equal(irqchip_lr_pintid(lr), 1019);
	assert_false(irqchip_lr_has(lr, IRQCHIP_LR_EOI_MAINT));
	assert_int_equal(irqchip_lr_vintid(lr), 27);
	assert_int_equal(irqchip_lr_priority(lr), 0x10);
}

static void test_empty_and_res0_bits(void **state)
{
	assert_int_equal(gicv3_lr_encode((struct irqchip_lr){0}), 0);
	assert_true(irqchip_lr_empty(gicv3_lr_decode(0)));
	/* RES0 bits [59:56] and, without HW, [44:32] but for EOI do not reach the neutral form. */
	assert_int_equal(gicv3_lr_decode(0xfULL << 56 | PINTID(0x5) | 7).word,
			 irqchip_lr_make(7, 0, 0, 0).word);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_software_interrupt),
	    cmocka_unit_test(test_level_interrupt_asks_for_eoi_maintenance),
	    cmocka_unit_test(test_hardware_linked_interrupt),
	    cmocka_unit_test(test_empty_and_res0_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
