/*
 * Failover groups in the system description (/failover-groups/<name>, docs/config.md "Failover
 * groups"): parsed after /vms and /channels; the promoted share is admission-checked once the
 * pools' pCPUs are known (cfg_check_failover_resources). The first broken rule becomes one line
 * "config: /failover-groups/NAME: prop: rule".
 */
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/log.h>
#include <tandem/string.h>

#include "config-internal.h"

#define PATH_LEN (24 + CFG_NAME_MAX)

struct group_parse {
	struct cfg_system *sys;
	struct cfg_failover_group *g;
	char path[PATH_LEN];
	bool has_vm[2];
	bool has_standby_pool, has_standby_weight;
};

#define MAX_PROMOTION_CPUS 64 /* bits of cfg_failover_group.promotion_cpus */

static int find_vm(const struct cfg_system *sys, const char *name)
{
	for (uint32_t i = 0; i < sys->nr_vms; i++) {
		if (strcmp(sys->vms[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Exactly one NUL-terminated string; NULL after recording the error otherwise. */
static const char *one_string(struct group_parse *gp, const char *prop, const char *v, int len)
{
	if (len <= 0 || v[len - 1] != '\0' || strnlen(v, (size_t)len) != (size_t)len - 1) {
		cfg_fail_path(gp->sys, gp->path, prop, "must be one string");
		return NULL;
	}
	return v;
}

/* primary = "a" (side 0) or backup = "b" (side 1). */
static int parse_member(struct group_parse *gp, unsigned side, const char *prop, const char *v,
			int len)
{
	const char *name = one_string(gp, prop, v, len);
	int idx;

	if (!name)
		return -ERR_INVAL;
	idx = find_vm(gp->sys, name);
	if (idx < 0)
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "unknown VM \"%s\" (VMs are the subnodes of /vms)", name);
	gp->g->vm[side] = (uint32_t)idx;
	gp->has_vm[side] = true;
	return 0;
}

static int parse_standby_pool(struct group_parse *gp, const char *prop, const char *v, int len)
{
	const char *name = one_string(gp, prop, v, len);

	if (!name)
		return -ERR_INVAL;
	for (uint32_t i = 0; i < gp->sys->nr_pools; i++) {
		if (strcmp(gp->sys->pools[i].name, name) == 0) {
			gp->g->standby_pool = i;
			gp->has_standby_pool = true;
			return 0;
		}
	}
	return cfg_fail_path(gp->sys, gp->path, prop,
			     "unknown pool \"%s\" (pools are the subnodes of /pools)", name);
}

static int parse_standby_weight(struct group_parse *gp, const char *prop, const void *v, int len)
{
	uint32_t w;

	if (len != 4)
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be one 32-bit cell like <64> (got %d bytes)", len);
	w = (uint32_t)fdt_read_cells(v, 1);
	if (w < 1 || w > 65535)
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be between 1 and 65535 (got %u)", w);
	gp->g->standby_weight = w;
	gp->has_standby_weight = true;
	return 0;
}

#define MAX_RESTART_DELAY_MS 60000

/* restart-delay-ms = <500>: how long the failed VM's restart waits after a promotion. */
static int parse_restart_delay(struct group_parse *gp, const char *prop, const void *v, int len)
{
	uint32_t ms;

	if (len != 4)
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be one 32-bit cell like <500> (got %d bytes)", len);
	ms = (uint32_t)fdt_read_cells(v, 1);
	if (ms > MAX_RESTART_DELAY_MS)
		return cfg_fail_path(gp->sys, gp->path, prop, "must be at most %u ms (got %u)",
				     MAX_RESTART_DELAY_MS, ms);
	gp->g->restart_delay_ms = ms;
	return 0;
}

static int parse_devices(struct group_parse *gp, const char *prop, const char *v, int len)
{
	if (len <= 0 || v[len - 1] != '\0')
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be one or more host DTB paths like "
				     "\"/virtio_mmio@a003e00\"");
	for (int off = 0; off < len; off += (int)strlen(v + off) + 1) {
		const char *path = v + off;

		if (path[0] != '/')
			return cfg_fail_path(gp->sys, gp->path, prop,
					     "\"%s\" must be an absolute host DTB path", path);
		for (unsigned i = 0; i < gp->g->nr_devices; i++) {
			if (strcmp(gp->g->devices[i], path) == 0)
				return cfg_fail_path(gp->sys, gp->path, prop, "%s listed twice",
						     path);
		}
		if (gp->g->nr_devices == CFG_MAX_PT)
			return cfg_fail_path(gp->sys, gp->path, prop, "more than %u devices",
					     CFG_MAX_PT);
		gp->g->devices[gp->g->nr_devices++] = path;
	}
	return 0;
}

static int parse_channel_ref(struct group_parse *gp, const char *prop, const char *v, int len)
{
	const char *name = one_string(gp, prop, v, len);

	if (!name)
		return -ERR_INVAL;
	for (uint32_t i = 0; i < gp->sys->nr_channels; i++) {
		if (strcmp(gp->sys->channels[i].name, name) == 0) {
			gp->g->channel = i;
			gp->g->has_channel = true;
			return 0;
		}
	}
	return cfg_fail_path(gp->sys, gp->path, prop,
			     "unknown channel \"%s\" (channels are the subnodes of /channels)",
			     name);
}

static int parse_on_failure(struct group_parse *gp, const char *prop, const char *v, int len)
{
	const char *s = one_string(gp, prop, v, len);

	if (!s)
		return -ERR_INVAL;
	if (strcmp(s, "swap") == 0)
		gp->g->on_failure = CFG_FAILOVER_SWAP;
	else if (strcmp(s, "stay-down") == 0)
		gp->g->on_failure = CFG_FAILOVER_STAY_DOWN;
	else
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be \"swap\" or \"stay-down\" (got \"%s\")", s);
	return 0;
}

/* promotion-cpus = <3> or <2 3>: pCPU indices (checked against the pools later). */
static int parse_promotion_cpus(struct group_parse *gp, const char *prop, const void *v, int len)
{
	if (len <= 0 || len % 4)
		return cfg_fail_path(gp->sys, gp->path, prop,
				     "must be one or more 32-bit cells like <3> (got %d bytes)",
				     len);
	for (int off = 0; off < len; off += 4) {
		uint32_t cpu = (uint32_t)fdt_read_cells((const uint8_t *)v + off, 1);

		if (cpu >= MAX_PROMOTION_CPUS)
			return cfg_fail_path(gp->sys, gp->path, prop, "pCPU %u does not exist",
					     cpu);
		if (gp->g->promotion_cpus & (1ULL << cpu))
			return cfg_fail_path(gp->sys, gp->path, prop, "pCPU %u listed twice", cpu);
		gp->g->promotion_cpus |= 1ULL << cpu;
	}
	return 0;
}

static int parse_prop(struct group_parse *gp, const char *pname, const void *v, int len)
{
	if (strcmp(pname, "primary") == 0)
		return parse_member(gp, 0, pname, v, len);
	if (strcmp(pname, "backup") == 0)
		return parse_member(gp, 1, pname, v, len);
	if (strcmp(pname, "standby-pool") == 0)
		return parse_standby_pool(gp, pname, v, len);
	if (strcmp(pname, "standby-weight") == 0)
		return parse_standby_weight(gp, pname, v, len);
	if (strcmp(pname, "devices") == 0)
		return parse_devices(gp, pname, v, len);
	if (strcmp(pname, "channel") == 0)
		return parse_channel_ref(gp, pname, v, len);
	if (strcmp(pname, "on-failure") == 0)
		return parse_on_failure(gp, pname, v, len);
	if (strcmp(pname, "promotion-cpus") == 0)
		return parse_promotion_cpus(gp, pname, v, len);
	if (strcmp(pname, "restart-delay-ms") == 0)
		return parse_restart_delay(gp, pname, v, len);
	if (strcmp(pname, "phandle") == 0 || strcmp(pname, "linux,phandle") == 0)
		return 0;
	return cfg_fail_path(gp->sys, gp->path, pname,
			     "unknown property (a failover group has primary, backup, "
			     "standby-pool, standby-weight, devices, channel, on-failure, "
			     "promotion-cpus, restart-delay-ms)");
}

/* Marks path as moving in vm's passthrough list; fails if vm does not list it. */
static int mark_moving(struct group_parse *gp, struct cfg_vm *vm, const char *path)
{
	for (unsigned i = 0; i < vm->nr_pt; i++) {
		if (strcmp(vm->pt[i].path, path) == 0) {
			vm->pt[i].moves = true;
			return 0;
		}
	}
	return cfg_fail_path(gp->sys, gp->path, "devices",
			     "%s is not in /vms/%s's passthrough (both members list a device "
			     "that moves)",
			     path, vm->name);
}

/* Rules between the properties and against the VMs, once the group node is read. */
static int check_group(struct group_parse *gp, unsigned index)
{
	struct cfg_system *sys = gp->sys;
	struct cfg_failover_group *g = gp->g;
	static const char *const role[2] = {"primary", "backup"};
	int ret;

	for (unsigned s = 0; s < 2; s++) {
		if (!gp->has_vm[s])
			return cfg_fail_path(sys, gp->path, role[s],
					     "required property missing (a VM under /vms)");
	}
	if (g->vm[0] == g->vm[1])
		return cfg_fail_path(sys, gp->path, "backup",
				     "VM \"%s\" is the primary too (a group joins two VMs)",
				     sys->vms[g->vm[0]].name);
	for (unsigned s = 0; s < 2; s++) {
		const struct cfg_vm *vm = &sys->vms[g->vm[s]];

		if (vm->failover.in_group)
			return cfg_fail_path(sys, gp->path, role[s],
					     "VM \"%s\" is already in group \"%s\" (a VM is in "
					     "one failover group)",
					     vm->name, vm->failover.group_name);
	}
	if (g->has_channel) {
		const struct cfg_channel *ch = &sys->channels[g->channel];

		if (!((ch->vm[0] == g->vm[0] && ch->vm[1] == g->vm[1]) ||
		      (ch->vm[0] == g->vm[1] && ch->vm[1] == g->vm[0])))
			return cfg_fail_path(sys, gp->path, "channel",
					     "channel \"%s\" joins %s and %s, not the group's %s "
					     "and %s",
					     ch->name, sys->vms[ch->vm[0]].name,
					     sys->vms[ch->vm[1]].name, sys->vms[g->vm[0]].name,
					     sys->vms[g->vm[1]].name);
	}
	for (unsigned d = 0; d < g->nr_devices; d++) {
		for (unsigned s = 0; s < 2; s++) {
			if ((ret = mark_moving(gp, &sys->vms[g->vm[s]], g->devices[d])))
				return ret;
		}
	}
	/* The shares: active = the primary's; standby = the backup's unless the group says. */
	g->active_pool = sys->vms[g->vm[0]].pool;
	g->active_weight = sys->vms[g->vm[0]].weight;
	if (!gp->has_standby_pool)
		g->standby_pool = sys->vms[g->vm[1]].pool;
	if (!gp->has_standby_weight)
		g->standby_weight = sys->vms[g->vm[1]].weight;
	if (sys->pools[g->standby_pool].scheduler == CFG_SCHED_BIND && gp->has_standby_weight)
		return cfg_fail_path(sys, gp->path, "standby-weight",
				     "standby pool \"%s\" uses the bind scheduler: there is no "
				     "weight to give",
				     sys->pools[g->standby_pool].name);
	if (g->promotion_cpus) {
		/* The share moves as pCPUs: each member keeps its own pool. */
		if (gp->has_standby_pool)
			return cfg_fail_path(sys, gp->path, "promotion-cpus",
					     "with pCPUs moving the members keep their own pools "
					     "(drop standby-pool)");
		if (g->active_pool == g->standby_pool)
			return cfg_fail_path(
			    sys, gp->path, "promotion-cpus",
			    "%s and %s are both in pool \"%s\": pCPUs move between "
			    "the members' pools, so each needs its own",
			    sys->vms[g->vm[0]].name, sys->vms[g->vm[1]].name,
			    sys->pools[g->active_pool].name);
	}
	/* The backup starts as the standby: it runs with the standby share from boot. */
	sys->vms[g->vm[1]].pool = g->standby_pool;
	sys->vms[g->vm[1]].weight = g->standby_weight;
	for (unsigned s = 0; s < 2; s++) {
		struct cfg_vm *vm = &sys->vms[g->vm[s]];

		vm->failover = (struct cfg_failover_member){.in_group = true,
							    .group = index,
							    .starts_active = s == 0,
							    .group_name = g->name};
	}
	return 0;
}

static int parse_group(const struct fdt *fdt, int node, struct group_parse *gp, unsigned index)
{
	int prop, ret;

	for (prop = fdt_first_prop(fdt, node); prop >= 0; prop = fdt_next_prop(fdt, prop)) {
		const void *val;
		int len;
		const char *pname = fdt_prop_at(fdt, prop, &val, &len);

		if (!pname)
			return cfg_fail_path(gp->sys, gp->path, NULL, "malformed device tree");
		if ((ret = parse_prop(gp, pname, val, len)))
			return ret;
	}
	if (prop != -ERR_NOENT)
		return cfg_fail_path(gp->sys, gp->path, NULL, "malformed device tree");
	if (fdt_first_child(fdt, node) >= 0)
		return cfg_fail_path(gp->sys, gp->path, NULL,
				     "unknown node (a failover group has properties only)");
	return check_group(gp, index);
}

int cfg_parse_failover_groups(const struct fdt *fdt, int groups, struct cfg_system *sys)
{
	int node, prop, ret;

	for (prop = fdt_first_prop(fdt, groups); prop >= 0; prop = fdt_next_prop(fdt, prop)) {
		const char *pname = fdt_prop_at(fdt, prop, NULL, NULL);

		if (!pname ||
		    (strcmp(pname, "phandle") != 0 && strcmp(pname, "linux,phandle") != 0))
			return cfg_fail_path(sys, "/failover-groups", pname,
					     "unknown property (groups are the subnodes of "
					     "/failover-groups)");
	}
	for (node = fdt_first_child(fdt, groups); node >= 0; node = fdt_next_sibling(fdt, node)) {
		const char *name = fdt_name(fdt, node);
		struct group_parse gp = {.sys = sys};

		if (!name)
			return cfg_fail_path(sys, "/failover-groups", NULL,
					     "malformed device tree");
		snprintf_td(gp.path, sizeof(gp.path), "/failover-groups/%s", name);
		if (!cfg_valid_name(name))
			return cfg_fail_path(sys, gp.path, "node name",
					     "must be 1 to %u letters, digits or ,._+-@",
					     CFG_NAME_MAX - 1);
		for (uint32_t i = 0; i < sys->nr_groups; i++) {
			if (strcmp(sys->groups[i].name, name) == 0)
				return cfg_fail_path(sys, gp.path, NULL,
						     "duplicate group name '%s'", name);
		}
		if (sys->nr_groups == CFG_MAX_GROUPS)
			return cfg_fail_path(sys, gp.path, NULL,
					     "too many failover groups (at most %u)",
					     CFG_MAX_GROUPS);
		gp.g = &sys->groups[sys->nr_groups];
		memset(gp.g, 0, sizeof(*gp.g));
		strlcpy(gp.g->name, name, sizeof(gp.g->name));
		if ((ret = parse_group(fdt, node, &gp, sys->nr_groups)))
			return ret;
		sys->nr_groups++;
	}
	return node == -ERR_NOENT
		   ? 0
		   : cfg_fail_path(sys, "/failover-groups", NULL, "malformed device tree");
}

/* vCPUs of the VMs in pool, and their reserved utilisation in parts per million. */
static void pool_load(const struct cfg_system *sys, uint32_t pool, uint32_t *vcpus, uint64_t *ppm)
{
	*vcpus = 0;
	*ppm = 0;
	for (uint32_t i = 0; i < sys->nr_vms; i++) {
		const struct cfg_vm *vm = &sys->vms[i];

		if (vm->pool != pool)
			continue;
		*vcpus += vm->nr_vcpus;
		if (vm->budget_us && vm->period_us)
			*ppm += (uint64_t)vm->nr_vcpus *
				((uint64_t)vm->budget_us * 1000000 + vm->period_us - 1) /
				vm->period_us;
	}
}

/*
 * Whether `joining` can come into `pool` beside what is there already: a VM move completes only
 * once its vCPUs have left their old pool, and the other member leaves later still, so the pool
 * must hold both at once: a bind pool a pCPU per vCPU, a dynamic pool every reservation
 * (total utilisation within its pCPUs: what partitioned EDF needs at least; the run-time
 * admission test has the last word and is logged if it refuses).
 */
static int check_join(struct cfg_system *sys, const struct cfg_failover_group *g,
		      const struct cfg_vm *joining, uint32_t pool, const char *prop,
		      const char *when)
{
	const struct cfg_pool *p = &sys->pools[pool];
	uint32_t ncpu = (uint32_t)__builtin_popcountll(p->cpus), vcpus;
	uint64_t ppm, join_ppm = 0;
	char path[PATH_LEN];

	if (joining->pool == pool)
		return 0;
	snprintf_td(path, sizeof(path), "/failover-groups/%s", g->name);
	pool_load(sys, pool, &vcpus, &ppm);
	if (joining->budget_us && joining->period_us)
		join_ppm = (uint64_t)joining->nr_vcpus *
			   ((uint64_t)joining->budget_us * 1000000 + joining->period_us - 1) /
			   joining->period_us;
	if (p->scheduler == CFG_SCHED_BIND && vcpus + joining->nr_vcpus > ncpu)
		return cfg_fail_path(sys, path, prop,
				     "%s VM %s's %u vCPU%s cannot join bind pool \"%s\": it has "
				     "%u pCPU%s for %u vCPUs (its VMs keep theirs until the move "
				     "completes)",
				     when, joining->name, joining->nr_vcpus,
				     joining->nr_vcpus == 1 ? "" : "s", p->name, ncpu,
				     ncpu == 1 ? "" : "s", vcpus + joining->nr_vcpus);
	if (p->scheduler == CFG_SCHED_DYNAMIC && ppm + join_ppm > (uint64_t)ncpu * 1000000)
		return cfg_fail_path(sys, path, prop,
				     "%s VM %s's reservations cannot join pool \"%s\": %llu%% of "
				     "%u pCPU%s would be reserved",
				     when, joining->name, p->name,
				     (unsigned long long)((ppm + join_ppm) / 10000), ncpu,
				     ncpu == 1 ? "" : "s");
	return 0;
}

/*
 * promotion-cpus: they start in the primary's pool and follow the active member. Each member's
 * pool must hold its VMs without them (the member is the standby then): at least one pCPU, a
 * pCPU per vCPU in a bind pool, the reservations in a dynamic one. Gaining them never fails.
 */
static int check_promotion_cpus(struct cfg_system *sys, const struct cfg_failover_group *g)
{
	char path[PATH_LEN];

	snprintf_td(path, sizeof(path), "/failover-groups/%s", g->name);
	for (unsigned s = 0; s < 2; s++) {
		const struct cfg_vm *vm = &sys->vms[g->vm[s]];
		const struct cfg_pool *p = &sys->pools[vm->pool];
		uint64_t left = p->cpus & ~g->promotion_cpus, ppm;
		uint32_t ncpu = (uint32_t)__builtin_popcountll(left), vcpus;

		if (s == 0 && (p->cpus & g->promotion_cpus) != g->promotion_cpus)
			return cfg_fail_path(
			    sys, path, "promotion-cpus",
			    "pCPU %u is not in pool \"%s\" (the primary's, where "
			    "they start)",
			    (unsigned)__builtin_ctzll(g->promotion_cpus & ~p->cpus), p->name);
		pool_load(sys, vm->pool, &vcpus, &ppm);
		if (ncpu == 0 || (p->scheduler == CFG_SCHED_BIND && vcpus > ncpu) ||
		    (p->scheduler == CFG_SCHED_DYNAMIC && ppm > (uint64_t)ncpu * 1000000))
			return cfg_fail_path(sys, path, "promotion-cpus",
					     "as the standby, VM %s's pool \"%s\" keeps %u pCPU%s "
					     "for %u vCPU%s, %llu%% reserved: the promoted share "
					     "fails admission",
					     vm->name, p->name, ncpu, ncpu == 1 ? "" : "s", vcpus,
					     vcpus == 1 ? "" : "s",
					     (unsigned long long)(ppm / 10000));
	}
	return 0;
}

int cfg_check_failover_resources(struct cfg_system *sys)
{
	int ret;

	for (uint32_t i = 0; i < sys->nr_groups; i++) {
		const struct cfg_failover_group *g = &sys->groups[i];
		const struct cfg_vm *primary = &sys->vms[g->vm[0]], *backup = &sys->vms[g->vm[1]];

		if (g->promotion_cpus) {
			if ((ret = check_promotion_cpus(sys, g)))
				return ret;
			continue; /* the members keep their pools: no VM joins another */
		}

		/* Promotion: the backup takes the primary's pool. */
		if ((ret = check_join(sys, g, backup, g->active_pool, "backup", "on promotion,")))
			return ret;
		/* Swap: the failed primary comes back as the standby, in the standby pool. */
		if (g->on_failure == CFG_FAILOVER_SWAP &&
		    (ret = check_join(sys, g, primary, g->standby_pool, "standby-pool",
				      "as the new standby,")))
			return ret;
	}
	return 0;
}
