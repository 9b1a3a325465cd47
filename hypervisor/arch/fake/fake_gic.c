/* Host fake of the interrupt controller: a recording irqchip backend (see fake_gic.h). */
#include <arch/fake_gic.h>
#include <string.h>
#include <tandem/irqchip.h>

#define HCR_LRENPIE  (1u << 2)
#define HCR_EOICOUNT (0x1fu << 27)

struct fake_gic fake_gic = {.nr_lrs = 4};

static void fake_init(void)
{
}

static int fake_cpu_init(unsigned cpu, uint64_t mpidr)
{
	return 0;
}

/* Acknowledge and priority drop (recorded in eois[]). */
static irq_t fake_ack(void)
{
	irq_t intid;

	if (fake_gic.nr_acked == fake_gic.nr_raised)
		return 1023; /* spurious: nothing pending */
	intid = fake_gic.raised[fake_gic.nr_acked++ % FAKE_GIC_LOG];
	if (fake_gic.nr_eois < FAKE_GIC_LOG)
		fake_gic.eois[fake_gic.nr_eois] = intid;
	fake_gic.nr_eois++;
	return intid;
}

static void fake_deactivate(irq_t intid)
{
	if (intid < 32)
		fake_gic.ppi_active &= ~(1U << intid);
	if (fake_gic.nr_deactivated < FAKE_GIC_LOG)
		fake_gic.deactivated[fake_gic.nr_deactivated] = intid;
	fake_gic.nr_deactivated++;
}

static void fake_send_sgi(unsigned pcpu_index, irq_t sgi)
{
	if (fake_gic.nr_sgis < FAKE_GIC_LOG) {
		fake_gic.sgis[fake_gic.nr_sgis].pcpu = pcpu_index;
		fake_gic.sgis[fake_gic.nr_sgis].sgi = sgi;
	}
	fake_gic.nr_sgis++;
}

static void fake_enable_private(irq_t intid)
{
	if (intid < 32)
		fake_gic.ppi_enabled |= 1U << intid;
}

static bool fake_private_active(irq_t intid)
{
	return intid < 32 && (fake_gic.ppi_active & (1U << intid));
}

static void fake_set_private_active(irq_t intid, bool active)
{
	if (intid >= 32)
		return;
	if (active)
		fake_gic.ppi_active |= 1U << intid;
	else
		fake_gic.ppi_active &= ~(1U << intid);
}

static void fake_route_spi(irq_t intid, uint64_t mpidr)
{
	if (intid < IRQCHIP_NR_INTIDS) {
		fake_gic.spi_route[intid] = mpidr + 1;
		fake_gic.spi_enabled[intid] = true;
	}
}

static void fake_disable_spi(irq_t intid)
{
	if (intid < IRQCHIP_NR_INTIDS)
		fake_gic.spi_enabled[intid] = false;
}

static void fake_set_spi_edge(irq_t intid)
{
	if (intid < IRQCHIP_NR_INTIDS)
		fake_gic.spi_edge[intid] = true;
}

static void fake_deactivate_spi(irq_t intid)
{
	fake_gic.nr_spi_deactivated++;
}

static unsigned fake_nr_lrs(void)
{
	return fake_gic.nr_lrs;
}

static struct irqchip_lr fake_read_lr(unsigned idx)
{
	return idx < fake_gic.nr_lrs ? fake_gic.lr[idx] : (struct irqchip_lr){0};
}

static void fake_write_lrs(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control)
{
	for (unsigned i = 0; i < 32; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (i < fake_gic.nr_lrs)
			fake_gic.lr[i] = lrs[i];
		fake_gic.lr_writes++;
	}
	fake_gic.hcr = control;
	fake_gic.hcr_writes++;
}

/* ELRSR: invalid, and not holding an outstanding EOI maintenance (HW, or EOI clear). */
static uint32_t fake_empty_lrs(void)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		unsigned f = irqchip_lr_flags(fake_gic.lr[i]);

		if (!(f & IRQCHIP_LR_STATE) && ((f & IRQCHIP_LR_HW) || !(f & IRQCHIP_LR_EOI_MAINT)))
			v |= 1u << i;
	}
	return v;
}

static bool fake_refill_lr0(struct irqchip_lr lr)
{
	if (!fake_gic.nr_lrs || !(fake_empty_lrs() & 1))
		return false;
	fake_gic.lr[0] = lr;
	fake_gic.lr_writes++;
	return true;
}

static void fake_vif_save(struct irqchip_vif_state *state)
{
	state->vmcr = fake_gic.vmcr;
	memcpy(state->apr, fake_gic.apr, sizeof(state->apr));
}

static void fake_vif_restore(const struct irqchip_vif_state *state)
{
	fake_gic.vmcr = state->vmcr;
	memcpy(fake_gic.apr, state->apr, sizeof(fake_gic.apr));
}

/* Group 0 interrupts are raised through the same list in these tests. */
static irq_t fake_ack_group0(void)
{
	return fake_ack();
}

static void fake_set_group(irq_t intid, bool group1, uint8_t priority)
{
	if (intid < IRQCHIP_NR_INTIDS) {
		fake_gic.group1[intid] = group1;
		fake_gic.priority[intid] = priority;
	}
}

static void fake_config_private(irq_t intid, bool enabled, uint8_t priority)
{
	if (intid >= 32)
		return;
	fake_gic.priority[intid] = priority;
	if (enabled)
		fake_gic.ppi_enabled |= 1U << intid;
	else
		fake_gic.ppi_enabled &= ~(1U << intid);
}

static void fake_config_spi(irq_t intid, bool enabled, uint8_t priority)
{
	if (intid < IRQCHIP_NR_INTIDS) {
		fake_gic.spi_enabled[intid] = enabled;
		fake_gic.priority[intid] = priority;
	}
}

static void fake_direct_on(void)
{
	fake_gic.direct = true;
}

static void fake_direct_off(void)
{
	fake_gic.direct = false;
}

static bool fake_direct_in_service(void)
{
	return fake_gic.in_service;
}

static void fake_direct_end_service(void)
{
	fake_gic.in_service = false;
}

/* Installed from the start: host tests do not probe a DTB for their interrupt controller. */
struct irqchip_ops irqchip = {
    .name = "fake GIC",
    .init = fake_init,
    .cpu_init = fake_cpu_init,
    .ack = fake_ack,
    .ack_group0 = fake_ack_group0,
    .set_group = fake_set_group,
    .config_private = fake_config_private,
    .config_spi = fake_config_spi,
    .direct_on = fake_direct_on,
    .direct_off = fake_direct_off,
    .direct_in_service = fake_direct_in_service,
    .direct_end_service = fake_direct_end_service,
    .deactivate = fake_deactivate,
    .send_sgi = fake_send_sgi,
    .enable_private = fake_enable_private,
    .private_active = fake_private_active,
    .set_private_active = fake_set_private_active,
    .route_spi = fake_route_spi,
    .disable_spi = fake_disable_spi,
    .set_spi_edge = fake_set_spi_edge,
    .deactivate_spi = fake_deactivate_spi,
    .nr_lrs = fake_nr_lrs,
    .read_lr = fake_read_lr,
    .empty_lrs = fake_empty_lrs,
    .write_lrs = fake_write_lrs,
    .refill_lr0 = fake_refill_lr0,
    .vif_save = fake_vif_save,
    .vif_restore = fake_vif_restore,
};

void fake_gic_reset(unsigned nr_lrs)
{
	memset(&fake_gic, 0, sizeof(fake_gic));
	fake_gic.nr_lrs = nr_lrs < 1 ? 1 : nr_lrs > FAKE_GIC_MAX_LRS ? FAKE_GIC_MAX_LRS : nr_lrs;
}

void fake_gic_raise(irq_t intid)
{
	if (fake_gic.nr_raised - fake_gic.nr_acked < FAKE_GIC_LOG)
		fake_gic.raised[fake_gic.nr_raised++ % FAKE_GIC_LOG] = intid;
}

/* EISR: invalid, software, EOI maintenance requested (IHI 0069 ICH_EISR_EL2). */
uint32_t fake_gic_eisr(void)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		unsigned f = irqchip_lr_flags(fake_gic.lr[i]);

		if (!(f & IRQCHIP_LR_STATE) && !(f & IRQCHIP_LR_HW) && (f & IRQCHIP_LR_EOI_MAINT))
			v |= 1u << i;
	}
	return v;
}

/* MISR bits 0-3 (EOI, U, LRENP, NP); the VGrp* conditions are not modelled. */
uint32_t fake_gic_misr(void)
{
	uint32_t hcr = fake_gic.hcr, v = 0;
	unsigned valid = 0, pending = 0;

	if (!(hcr & IRQCHIP_VIF_ENABLE))
		return 0;
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		if (irqchip_lr_has(fake_gic.lr[i], IRQCHIP_LR_STATE))
			valid++;
		if (irqchip_lr_has(fake_gic.lr[i], IRQCHIP_LR_PENDING))
			pending++;
	}
	if (fake_gic_eisr())
		v |= 1u << 0;
	if ((hcr & IRQCHIP_VIF_UNDERFLOW) && valid <= 1)
		v |= 1u << 1;
	if ((hcr & HCR_LRENPIE) && (hcr & HCR_EOICOUNT))
		v |= 1u << 2;
	if ((hcr & IRQCHIP_VIF_NO_PENDING) && !pending)
		v |= 1u << 3;
	return v;
}

int fake_gic_find_lr(uint32_t vintid)
{
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++)
		if (irqchip_lr_has(fake_gic.lr[i], IRQCHIP_LR_STATE) &&
		    irqchip_lr_vintid(fake_gic.lr[i]) == vintid)
			return (int)i;
	return -1;
}

uint32_t fake_gic_guest_ack(void)
{
	int best = -1;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		struct irqchip_lr lr = fake_gic.lr[i];

		if (irqchip_lr_has(lr, IRQCHIP_LR_PENDING) &&
		    (best < 0 || irqchip_lr_priority(lr) < irqchip_lr_priority(fake_gic.lr[best])))
			best = (int)i;
	}
	if (best < 0)
		return 1023;
	fake_gic.lr[best] = irqchip_lr_without(fake_gic.lr[best], IRQCHIP_LR_PENDING);
	fake_gic.lr[best].word |= (uint64_t)IRQCHIP_LR_ACTIVE << IRQCHIP_LR_FLAGS_SHIFT;
	return irqchip_lr_vintid(fake_gic.lr[best]);
}

void fake_gic_guest_eoi(uint32_t vintid)
{
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		struct irqchip_lr lr = fake_gic.lr[i];

		if (irqchip_lr_has(lr, IRQCHIP_LR_ACTIVE) && irqchip_lr_vintid(lr) == vintid) {
			fake_gic.lr[i] = irqchip_lr_without(lr, IRQCHIP_LR_ACTIVE);
			if (irqchip_lr_has(lr, IRQCHIP_LR_HW))
				fake_deactivate(irqchip_lr_pintid(lr));
			return;
		}
	}
	if ((fake_gic.hcr & HCR_EOICOUNT) != HCR_EOICOUNT)
		fake_gic.hcr += 1u << 27;
}
