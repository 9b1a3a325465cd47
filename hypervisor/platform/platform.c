/* Reads the machine description from the host DTB that firmware (QEMU) hands over in x0. */
#include <tandem/errno.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/platform.h>
#include <tandem/string.h>

struct platform_info platform;

static int probe_memory(const struct fdt *fdt)
{
	for (int n = fdt_first_child(fdt, fdt_root(fdt)); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type;

		if (fdt_read_string(fdt, n, "device_type", &type) || strcmp(type, "memory") != 0)
			continue;
		for (int i = 0; platform.nr_mem < MEM_MAX_REGIONS; i++) {
			uint64_t base, size;

			if (fdt_read_reg(fdt, n, i, &base, &size))
				break;
			platform.mem_base[platform.nr_mem] = base;
			platform.mem_size[platform.nr_mem++] = size;
		}
	}
	return platform.nr_mem ? 0 : -ERR_NOENT;
}

static int probe_cpus(const struct fdt *fdt)
{
	int cpus = fdt_path(fdt, "/cpus");

	if (cpus < 0)
		return cpus;
	for (int n = fdt_first_child(fdt, cpus); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type;
		uint64_t mpidr, unused;

		if (fdt_read_string(fdt, n, "device_type", &type) || strcmp(type, "cpu") != 0)
			continue;
		if (fdt_read_reg(fdt, n, 0, &mpidr, &unused))
			continue;
		if (platform.nr_cpus == MAX_PCPUS) {
			log_warn("more than %u CPUs in the host DTB: the rest stay off", MAX_PCPUS);
			break;
		}
		platform.cpu_mpidr[platform.nr_cpus++] = mpidr;
	}
	return platform.nr_cpus ? 0 : -ERR_NOENT;
}

static int probe_uart(const struct fdt *fdt)
{
	int n = fdt_find_compatible(fdt, -1, "arm,pl011");
	uint64_t size;
	int len;
	const uint32_t *irq;

	if (n < 0)
		return n;
	if (fdt_read_reg(fdt, n, 0, &platform.uart, &size))
		return -ERR_INVAL;
	irq = fdt_prop(fdt, n, "interrupts", &len);
	if (irq && len >= 12)
		platform.uart_irq = fdt32_to_cpu(irq[1]) + (fdt32_to_cpu(irq[0]) == 0 ? 32 : 16);
	return 0;
}

static void probe_chosen(const struct fdt *fdt)
{
	int chosen = fdt_path(fdt, "/chosen");
	int len_s, len_e;
	const void *s, *e;

	if (chosen < 0)
		return;
	s = fdt_prop(fdt, chosen, "linux,initrd-start", &len_s);
	e = fdt_prop(fdt, chosen, "linux,initrd-end", &len_e);
	if (!s || !e || (len_s != 4 && len_s != 8) || (len_e != 4 && len_e != 8))
		return;
	platform.bundle = fdt_read_cells(s, (uint32_t)len_s / 4);
	platform.bundle_size = fdt_read_cells(e, (uint32_t)len_e / 4) - platform.bundle;
}

static void probe_psci(const struct fdt *fdt)
{
	int n = fdt_find_compatible(fdt, -1, "arm,psci-0.2");
	const char *method;

	if (n < 0)
		n = fdt_find_compatible(fdt, -1, "arm,psci");
	if (n >= 0 && !fdt_read_string(fdt, n, "method", &method))
		platform.psci_hvc = !strcmp(method, "hvc");
}

int platform_probe(const struct fdt *fdt)
{
	memset(&platform, 0, sizeof(platform));
	if (probe_memory(fdt))
		return log_error("host DTB: no usable /memory node"), -ERR_INVAL;
	if (probe_cpus(fdt))
		return log_error("host DTB: no CPUs under /cpus"), -ERR_INVAL;
	if (irqchip_probe(fdt))
		return log_error("host DTB: no supported GIC (compatible \"arm,gic-v3\") found"),
		       -ERR_INVAL;
	if (probe_uart(fdt))
		return log_error("host DTB: no PL011 UART found"), -ERR_INVAL;
	probe_chosen(fdt);
	probe_psci(fdt);
	return 0;
}
