/*
 * /frequency-domains of the system description: which pCPUs share a clock, its operating
 * points, the privileged VM whose governor drives it, and an optional floor. Parsed after
 * /vms (a controller names a VM); same error contract as the rest of config.c.
 */
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/log.h>
#include <tandem/string.h>

#include "config-internal.h"

#define PATH_LEN 96

struct freq_parser {
	const struct fdt *fdt;
	struct cfg_system *sys;
	char path[PATH_LEN];
};

#define FAIL(fp, prop, ...) cfg_fail_path((fp)->sys, (fp)->path, prop, __VA_ARGS__)

static bool is_string(const char *v, int len)
{
	return len > 0 && v[len - 1] == '\0' && strnlen(v, (size_t)len) == (size_t)len - 1;
}

static int parse_cpus(struct freq_parser *fp, struct cfg_freq_domain *d, const uint8_t *v, int len)
{
	if (len <= 0 || len % 4)
		return FAIL(fp, "cpus", "must be one or more pCPU numbers like <0 1 2 3>");
	for (int i = 0; i < len / 4; i++) {
		uint32_t cpu = (uint32_t)fdt_read_cells(v + 4 * i, 1);

		if (cpu >= 64)
			return FAIL(fp, "cpus",
				    "pCPU %u does not exist (pCPUs are numbered from 0)", cpu);
		if (d->cpus & (1ULL << cpu))
			return FAIL(fp, "cpus", "pCPU %u is listed twice", cpu);
		for (uint32_t j = 0; j < fp->sys->nr_freq_domains; j++) {
			const struct cfg_freq_domain *o = &fp->sys->freq_domains[j];

			if (o != d && (o->cpus & (1ULL << cpu)))
				return FAIL(fp, "cpus",
					    "pCPU %u is already in frequency domain \"%s\" (a pCPU "
					    "has one clock)",
					    cpu, o->name);
		}
		d->cpus |= 1ULL << cpu;
	}
	return 0;
}

/* <kHz µV>...: Linux's operating-points format, fastest last. */
static int parse_opps(struct freq_parser *fp, struct cfg_freq_domain *d, const uint8_t *v, int len)
{
	if (len <= 0 || len % 8)
		return FAIL(fp, "operating-points",
			    "must be <kHz uV> pairs, slowest first (got %d bytes)", len);
	if (len / 8 > CFG_MAX_OPPS)
		return FAIL(fp, "operating-points", "more than %u points", CFG_MAX_OPPS);
	d->nr_opps = (uint32_t)len / 8;
	for (uint32_t i = 0; i < d->nr_opps; i++) {
		d->opps[i].khz = (uint32_t)fdt_read_cells(v + 8 * i, 1);
		d->opps[i].uv = (uint32_t)fdt_read_cells(v + 8 * i + 4, 1);
		if (d->opps[i].khz == 0)
			return FAIL(fp, "operating-points", "point %u: 0 kHz", i);
		if (i && d->opps[i].khz <= d->opps[i - 1].khz)
			return FAIL(fp, "operating-points",
				    "must be sorted by frequency, slowest first, no duplicates "
				    "(%u kHz after %u kHz)",
				    d->opps[i].khz, d->opps[i - 1].khz);
	}
	return 0;
}

static int parse_power(struct freq_parser *fp, struct cfg_freq_domain *d, const uint8_t *v, int len)
{
	if (!d->nr_opps)
		return FAIL(fp, "power-mw", "needs operating-points (one power per point)");
	if (len != (int)(4 * d->nr_opps))
		return FAIL(fp, "power-mw",
			    "must give one mW value per operating point (%u, got %d)", d->nr_opps,
			    len / 4);
	for (uint32_t i = 0; i < d->nr_opps; i++)
		d->opps[i].mw = (uint32_t)fdt_read_cells(v + 4 * i, 1);
	d->has_power = true;
	return 0;
}

static int parse_controller(struct freq_parser *fp, struct cfg_freq_domain *d, const char *v,
			    int len)
{
	const struct cfg_system *sys = fp->sys;

	if (!is_string(v, len))
		return FAIL(fp, "controller", "must be one string naming a VM under /vms");
	for (uint32_t i = 0; i < sys->nr_vms; i++) {
		if (strcmp(sys->vms[i].name, v) != 0)
			continue;
		if (!sys->vms[i].privileged)
			return FAIL(fp, "controller",
				    "VM \"%s\" is not privileged (a domain's clock is shared by "
				    "other VMs: add `privileged;` to /vms/%s)",
				    v, v);
		for (uint32_t j = 0; j < sys->nr_freq_domains; j++) {
			if (&sys->freq_domains[j] != d && sys->freq_domains[j].controller == i)
				return FAIL(
				    fp, "controller",
				    "VM \"%s\" already controls frequency domain \"%s\" (one "
				    "domain per VM: its vCPUs form one cpufreq policy)",
				    v, sys->freq_domains[j].name);
		}
		d->controller = i;
		fp->sys->vms[i].freq_controller = true;
		return 0;
	}
	return FAIL(fp, "controller", "unknown VM \"%s\" (VMs are the subnodes of /vms)", v);
}

static int parse_floor(struct freq_parser *fp, struct cfg_freq_domain *d, const uint8_t *v, int len)
{
	uint32_t khz;

	if (len != 4)
		return FAIL(fp, "floor-khz", "must be one 32-bit cell of kHz");
	khz = (uint32_t)fdt_read_cells(v, 1);
	for (uint32_t i = 0; i < d->nr_opps; i++) {
		if (d->opps[i].khz == khz) {
			d->floor = i;
			return 0;
		}
	}
	return FAIL(fp, "floor-khz", "%u kHz is not one of the operating points", khz);
}

/* Looks a property up; NULL if absent. */
static const void *prop(struct freq_parser *fp, int node, const char *name, int *len)
{
	return fdt_prop(fp->fdt, node, name, len);
}

static int check_props(struct freq_parser *fp, int node)
{
	static const char *const known[] = {
	    "cpus",	 "operating-points", "power-mw",      "controller",
	    "floor-khz", "phandle",	     "linux,phandle", NULL};
	int p;

	for (p = fdt_first_prop(fp->fdt, node); p >= 0; p = fdt_next_prop(fp->fdt, p)) {
		const char *name = fdt_prop_at(fp->fdt, p, NULL, NULL);
		const char *const *k;

		if (!name)
			return FAIL(fp, NULL, "malformed device tree");
		for (k = known; *k && strcmp(*k, name) != 0; k++)
			;
		if (!*k)
			return FAIL(fp, name,
				    "unknown property (a frequency domain has cpus, "
				    "operating-points, power-mw, controller, floor-khz)");
	}
	return p == -ERR_NOENT ? 0 : FAIL(fp, NULL, "malformed device tree");
}

static int parse_domain(struct freq_parser *fp, int node, struct cfg_freq_domain *d)
{
	const char *name = fdt_name(fp->fdt, node);
	const void *v;
	int len, ret;

	fdt_node_path(fp->fdt, node, fp->path, sizeof(fp->path));
	if (!name || !cfg_valid_name(name))
		return FAIL(fp, "node name", "must be 1 to %u letters, digits or ,._+-@",
			    CFG_NAME_MAX - 1);
	for (uint32_t i = 0; i < fp->sys->nr_freq_domains; i++) {
		if (&fp->sys->freq_domains[i] != d &&
		    strcmp(fp->sys->freq_domains[i].name, name) == 0)
			return FAIL(fp, NULL, "duplicate frequency domain name '%s'", name);
	}
	strlcpy(d->name, name, sizeof(d->name));
	d->controller = CFG_MAX_VMS; /* none yet */
	if ((ret = check_props(fp, node)))
		return ret;
	if (fdt_first_child(fp->fdt, node) >= 0)
		return FAIL(fp, NULL, "unknown node (a frequency domain has properties only)");
	if (!(v = prop(fp, node, "cpus", &len)))
		return FAIL(fp, "cpus", "required property missing (the pCPUs sharing the clock)");
	if ((ret = parse_cpus(fp, d, v, len)))
		return ret;
	if (!(v = prop(fp, node, "operating-points", &len)))
		return FAIL(fp, "operating-points",
			    "required property missing (<kHz uV> pairs, slowest first)");
	if ((ret = parse_opps(fp, d, v, len)))
		return ret;
	if ((v = prop(fp, node, "power-mw", &len)) && (ret = parse_power(fp, d, v, len)))
		return ret;
	if (!(v = prop(fp, node, "controller", &len)))
		return FAIL(fp, "controller",
			    "required property missing (the privileged VM whose cpufreq governor "
			    "drives this domain)");
	if ((ret = parse_controller(fp, d, v, len)))
		return ret;
	if ((v = prop(fp, node, "floor-khz", &len)) && (ret = parse_floor(fp, d, v, len)))
		return ret;
	return 0;
}

int cfg_parse_freq_domains(const struct fdt *fdt, int node, struct cfg_system *sys)
{
	struct freq_parser fp = {.fdt = fdt, .sys = sys};
	int child, ret;

	fdt_node_path(fdt, node, fp.path, sizeof(fp.path));
	if (fdt_first_prop(fdt, node) >= 0)
		return FAIL(&fp, NULL, "unknown property (domains are the subnodes)");
	for (child = fdt_first_child(fdt, node); child >= 0; child = fdt_next_sibling(fdt, child)) {
		if (sys->nr_freq_domains == CFG_MAX_FREQ_DOMAINS) {
			fdt_node_path(fdt, child, fp.path, sizeof(fp.path));
			return FAIL(&fp, NULL, "too many frequency domains (at most %u)",
				    CFG_MAX_FREQ_DOMAINS);
		}
		/* Counted before it is parsed, so its own checks can tell it from the others. */
		memset(&sys->freq_domains[sys->nr_freq_domains], 0, sizeof(sys->freq_domains[0]));
		sys->nr_freq_domains++;
		if ((ret = parse_domain(&fp, child, &sys->freq_domains[sys->nr_freq_domains - 1])))
			return ret;
	}
	if (child != -ERR_NOENT)
		return FAIL(&fp, NULL, "malformed device tree");
	/*
	 * A bind pool idling in hardware (wfi = "native") hides its idle time, so its pCPUs would
	 * read 100% busy to the governor: in a frequency domain, bind pools trap WFI unless the
	 * description insists (docs/design.md, "Frequency scaling"), or takes its interrupts
	 * directly (irq = "direct" needs a native WFI).
	 */
	for (uint32_t i = 0; i < sys->nr_pools; i++) {
		struct cfg_pool *pool = &sys->pools[i];

		for (uint32_t j = 0; j < sys->nr_freq_domains; j++) {
			if (pool->scheduler == CFG_SCHED_BIND && pool->wfi == CFG_WFI_DEFAULT &&
			    pool->irq != CFG_IRQ_DIRECT && (pool->cpus & sys->freq_domains[j].cpus))
				pool->wfi = CFG_WFI_TRAP;
		}
	}
	return 0;
}

int cfg_check_freq_resources(struct cfg_system *sys, uint32_t nr_pcpus)
{
	for (uint32_t i = 0; i < sys->nr_freq_domains; i++) {
		const struct cfg_freq_domain *d = &sys->freq_domains[i];
		uint64_t online = nr_pcpus >= 64 ? ~0ULL : (1ULL << nr_pcpus) - 1;
		uint64_t missing = d->cpus & ~online;
		char path[PATH_LEN];

		if (!missing)
			continue;
		snprintf_td(path, sizeof(path), "/frequency-domains/%s", d->name);
		return cfg_fail_path(sys, path, "cpus",
				     "pCPU %u does not exist (this machine has %u pCPUs)",
				     (unsigned)__builtin_ctzll(missing), nr_pcpus);
	}
	return 0;
}
