/*
 * What the device tree of a frequency domain's controller says about its SCMI channel
 * (tandem/vscmi.h): the arm,scmi-smc node with its clock protocol, the shared memory, and
 * one opp-shared table that puts every vCPU in one cpufreq policy on the domain's clock.
 */
#include <tandem/fdt.h>
#include <tandem/freq.h>
#include <tandem/guest_dtb.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vm.h>
#include <tandem/vscmi.h>

/* What the guest's cpufreq hears a change costs: one trapped SMC, well under this. */
#define CLOCK_LATENCY_NS 100000

void vscmi_dtb_cpu_props(struct fdt_writer *w, const struct vm *vm)
{
	const uint32_t clk[2] = {GUEST_DTB_PHANDLE_SCMI_CLK, 0};

	if (!freq_domain_of_vm(vm))
		return;
	/* Every vCPU in one policy (opp-shared) on clock 0, the domain it controls. */
	fdt_w_prop_u32(w, "operating-points-v2", GUEST_DTB_PHANDLE_OPP);
	fdt_w_prop_cells(w, "clocks", clk, 2);
}

static void node_opp_table(struct fdt_writer *w, const struct freq_domain *d)
{
	char name[32];

	fdt_w_begin_node(w, "opp-table");
	fdt_w_prop_string(w, "compatible", "operating-points-v2");
	fdt_w_prop_empty(w, "opp-shared");
	fdt_w_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_OPP);
	for (uint32_t i = 0; i < d->cfg->nr_opps; i++) {
		uint64_t hz = (uint64_t)d->cfg->opps[i].khz * 1000;

		snprintf_td(name, sizeof(name), "opp-%llu", (unsigned long long)hz);
		fdt_w_begin_node(w, name);
		fdt_w_prop_u64(w, "opp-hz", hz);
		fdt_w_prop_u32(w, "clock-latency-ns", CLOCK_LATENCY_NS);
		fdt_w_end_node(w);
	}
	fdt_w_end_node(w);
}

void vscmi_dtb_nodes(struct fdt_writer *w, const struct vm *vm)
{
	const struct freq_domain *d = freq_domain_of_vm(vm);
	const uint32_t shm_reg[4] = {0, (uint32_t)VSCMI_SHMEM_IPA, 0, (uint32_t)VSCMI_SHMEM_SIZE};
	char name[32];

	if (!d)
		return;
	fdt_w_begin_node(w, "firmware");
	fdt_w_begin_node(w, "scmi");
	fdt_w_prop_string(w, "compatible", "arm,scmi-smc");
	fdt_w_prop_u32(w, "arm,smc-id", VSCMI_SMC_ID);
	fdt_w_prop_u32(w, "shmem", GUEST_DTB_PHANDLE_SCMI_SHMEM);
	fdt_w_prop_u32(w, "#address-cells", 1);
	fdt_w_prop_u32(w, "#size-cells", 0);
	fdt_w_begin_node(w, "protocol@14");
	fdt_w_prop_u32(w, "reg", SCMI_PROTO_CLOCK);
	fdt_w_prop_u32(w, "#clock-cells", 1);
	fdt_w_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_SCMI_CLK);
	fdt_w_end_node(w);
	fdt_w_end_node(w);
	fdt_w_end_node(w);

	/* Outside /memory, so Linux maps it as the device memory the transport expects. */
	snprintf_td(name, sizeof(name), "scmi-shmem@%lx", VSCMI_SHMEM_IPA);
	fdt_w_begin_node(w, name);
	fdt_w_prop_string(w, "compatible", "arm,scmi-shmem");
	fdt_w_prop_cells(w, "reg", shm_reg, 4);
	fdt_w_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_SCMI_SHMEM);
	fdt_w_end_node(w);

	node_opp_table(w, d);
}
