/*
 * The system description (DTB) parsed and validated into struct cfg_system. Everything is
 * checked before the caller acts on it; the first broken rule becomes one line naming node,
 * property and rule. Image names point into the blob, which the boot bundle keeps alive.
 */
#include <stdarg.h>
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/log.h>
#include <tandem/string.h>

#include "config-internal.h"

#define PATH_MAX_LEN 96
#define MEM_GRANULE  MiB(2) /* VM RAM is mapped with 2 MiB stage-2 blocks */

struct parser {
	const struct fdt *fdt;
	cfg_image_lookup_fn lookup;
	void *lookup_ctx;
	struct cfg_system *out;
	char path[PATH_MAX_LEN]; /* the node being checked, for error lines */
	const char *no_dma;	 /* the VM's passthrough-no-dma list, matched at the end */
	int no_dma_len;
};

/*
 * Writes "config: <path>: <prop>: <rule>" (no prop: "config: <path>: <rule>") and returns
 * -ERR_INVAL. Names and values come from the blob, so anything unprintable becomes '?':
 * the message must stay one console line.
 */
static int fail_at(char *err, const char *path, const char *prop, const char *fmt, va_list ap)
{
	char rule[CFG_ERR_MAX];

	vsnprintf_td(rule, sizeof(rule), fmt, ap);
	if (prop)
		snprintf_td(err, CFG_ERR_MAX, "config: %s: %s: %s", path, prop, rule);
	else
		snprintf_td(err, CFG_ERR_MAX, "config: %s: %s", path, rule);
	for (char *c = err; *c; c++) {
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	}
	return -ERR_INVAL;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, const char *prop, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fail_at(p->out->err, p->path, prop, fmt, ap);
	va_end(ap);
	return ret;
}

static void set_path(struct parser *p, int node)
{
	fdt_node_path(p->fdt, node, p->path, sizeof(p->path));
}

/* A value that is plainly text ("two") where a number was expected, for a clearer message. */
static bool looks_like_string(const char *v, int len)
{
	if (len < 2 || v[len - 1] != '\0')
		return false;
	for (int i = 0; i < len - 1; i++) {
		if (v[i] < 0x20 || v[i] >= 0x7f)
			return false;
	}
	return true;
}

/* Exactly one NUL-terminated string filling the property; NULL (error recorded) otherwise. */
static const char *get_string(struct parser *p, const char *prop, const char *v, int len)
{
	if (len <= 0 || v[len - 1] != '\0') {
		fail(p, prop, "must be a NUL-terminated string");
		return NULL;
	}
	if (strnlen(v, (size_t)len) != (size_t)len - 1) {
		fail(p, prop, "must be a single string, not a list");
		return NULL;
	}
	return v;
}

static int parse_cpus(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v, int len)
{
	uint32_t n;

	if (looks_like_string(v, len))
		return fail(p, prop, "must be a number like <2>, not the string \"%s\"",
			    (const char *)v);
	if (len != 4)
		return fail(p, prop, "must be one 32-bit cell (got %d bytes)", len);
	n = (uint32_t)fdt_read_cells(v, 1); /* byte-wise: the blob may sit at any address */
	if (n < 1 || n > CFG_MAX_VCPUS)
		return fail(p, prop, "must be between 1 and %u (got %u)", CFG_MAX_VCPUS, n);
	vm->nr_vcpus = n;
	return 0;
}

static int parse_memory(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	uint64_t bytes;

	if (looks_like_string(v, len))
		return fail(p, prop, "must be a size in bytes like <0x0 0x20000000>, not a string");
	if (len != 4 && len != 8)
		return fail(p, prop, "must be 1 or 2 cells of bytes (got %d bytes)", len);
	bytes = fdt_read_cells(v, (uint32_t)len / 4);
	if (bytes == 0)
		return fail(p, prop, "must be greater than 0");
	if (!IS_ALIGNED(bytes, MEM_GRANULE))
		return fail(p, prop, "must be a multiple of 2 MiB (got 0x%llx)",
			    (unsigned long long)bytes);
	vm->mem_size = bytes;
	return 0;
}

static int parse_image(struct parser *p, struct cfg_image *img, const char *prop, const void *v,
		       int len)
{
	const char *name = get_string(p, prop, v, len);

	if (!name)
		return -ERR_INVAL;
	if (!*name)
		return fail(p, prop, "must name an image in the boot bundle (got \"\")");
	if (!p->lookup || p->lookup(p->lookup_ctx, name, &img->data, &img->size))
		return fail(p, prop, "image '%s' not found in the boot bundle", name);
	img->name = name;
	return 0;
}

static int parse_kernel(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	int ret = parse_image(p, &vm->kernel, prop, v, len);

	if (!ret && vm->kernel.size == 0)
		return fail(p, prop, "image '%s' is empty", vm->kernel.name);
	return ret;
}

static int parse_initrd(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	return parse_image(p, &vm->initrd, prop, v, len);
}

static int parse_bootargs(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			  int len)
{
	const char *s = get_string(p, prop, v, len);

	if (!s)
		return -ERR_INVAL;
	if (strlen(s) >= CFG_BOOTARGS_MAX)
		return fail(p, prop, "longer than %u characters (got %u)", CFG_BOOTARGS_MAX - 1,
			    (unsigned)strlen(s));
	strlcpy(vm->bootargs, s, sizeof(vm->bootargs));
	return 0;
}

static int parse_on_reset(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			  int len)
{
	const char *s = get_string(p, prop, v, len);

	if (!s)
		return -ERR_INVAL;
	if (strcmp(s, "restart") == 0)
		vm->on_reset = CFG_ON_RESET_RESTART;
	else if (strcmp(s, "stop") == 0)
		vm->on_reset = CFG_ON_RESET_STOP;
	else
		return fail(p, prop, "must be \"restart\" or \"stop\" (got \"%s\")", s);
	return 0;
}

static int parse_on_failure(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			    int len)
{
	const char *s = get_string(p, prop, v, len);

	if (!s)
		return -ERR_INVAL;
	if (strcmp(s, "restart") == 0)
		vm->on_failure = CFG_ON_FAILURE_RESTART;
	else if (strcmp(s, "stop") == 0)
		vm->on_failure = CFG_ON_FAILURE_STOP;
	else
		return fail(p, prop, "must be \"restart\" or \"stop\" (got \"%s\")", s);
	return 0;
}

static int parse_on_unmapped(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			     int len)
{
	const char *s = get_string(p, prop, v, len);

	if (!s)
		return -ERR_INVAL;
	if (strcmp(s, "abort") == 0)
		vm->on_unmapped = CFG_ON_UNMAPPED_ABORT;
	else if (strcmp(s, "fail") == 0)
		vm->on_unmapped = CFG_ON_UNMAPPED_FAIL;
	else
		return fail(p, prop, "must be \"abort\" or \"fail\" (got \"%s\")", s);
	return 0;
}

/* One 32-bit cell in [min, max]. */
static int get_u32(struct parser *p, const char *prop, const void *v, int len, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	uint32_t n;

	if (looks_like_string(v, len))
		return fail(p, prop, "must be a number like <%u>, not the string \"%s\"", min,
			    (const char *)v);
	if (len != 4)
		return fail(p, prop, "must be one 32-bit cell (got %d bytes)", len);
	n = (uint32_t)fdt_read_cells(v, 1);
	if (n < min || n > max)
		return fail(p, prop, "must be between %u and %u (got %u)", min, max, n);
	*out = n;
	return 0;
}

static int find_pool(const struct cfg_system *sys, const char *name)
{
	for (uint32_t i = 0; i < sys->nr_pools; i++) {
		if (strcmp(sys->pools[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

static int parse_pool_ref(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			  int len)
{
	const char *s = get_string(p, prop, v, len);
	int idx;

	if (!s)
		return -ERR_INVAL;
	idx = find_pool(p->out, s);
	if (idx < 0)
		return fail(p, prop, "unknown pool \"%s\" (pools are the subnodes of /pools)", s);
	vm->pool = (uint32_t)idx;
	return 0;
}

static int parse_privileged(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			    int len)
{
	if (len != 0)
		return fail(p, prop, "takes no value (write `privileged;`)");
	vm->privileged = true;
	return 0;
}

static int parse_watchdog(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			  int len)
{
	if (len != 0)
		return fail(p, prop,
			    "takes no value (write `watchdog;`; what a failure does is "
			    "`on-failure`)");
	vm->watchdog = true;
	return 0;
}

#define US_MAX 10000000U /* 10 s: longer periods make no sense for a reservation */

static int parse_budget(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	return get_u32(p, prop, v, len, 0, US_MAX, &vm->budget_us);
}

static int parse_period(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	return get_u32(p, prop, v, len, 1, US_MAX, &vm->period_us);
}

static int parse_weight(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	return get_u32(p, prop, v, len, 1, 65535, &vm->weight);
}

/* static-mem = <base-hi base-lo size-hi size-lo>: host-physical RAM for this VM. */
static int parse_static_mem(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			    int len)
{
	uint64_t base, size;

	if (looks_like_string(v, len))
		return fail(p, prop, "must be <base-hi base-lo size-hi size-lo>, not a string");
	if (len != 16)
		return fail(p, prop,
			    "must be 4 cells <base-hi base-lo size-hi size-lo> (got %d bytes)",
			    len);
	base = fdt_read_cells(v, 2);
	size = fdt_read_cells((const uint8_t *)v + 8, 2);
	if (size == 0)
		return fail(p, prop, "size must be greater than 0");
	if (!IS_ALIGNED(base, MEM_GRANULE) || !IS_ALIGNED(size, MEM_GRANULE))
		return fail(p, prop, "base and size must be multiples of 2 MiB (got 0x%llx+0x%llx)",
			    (unsigned long long)base, (unsigned long long)size);
	if (base + size < base)
		return fail(p, prop, "0x%llx+0x%llx wraps around", (unsigned long long)base,
			    (unsigned long long)size);
	vm->static_mem = true;
	vm->static_base = base;
	vm->mem_size = size;
	return 0;
}

static int parse_direct_map(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			    int len)
{
	if (len != 0)
		return fail(p, prop, "takes no value (write \"direct-map;\")");
	vm->direct_map = true;
	return 0;
}

/*
 * Walks a string list: calls each(p, vm, prop, string) per entry. Every entry must be a
 * non-empty, NUL-terminated string.
 */
static int
for_each_string(struct parser *p, struct cfg_vm *vm, const char *prop, const char *v, int len,
		int (*each)(struct parser *, struct cfg_vm *, const char *, const char *))
{
	int ret;

	if (len <= 0 || v[len - 1] != '\0')
		return fail(p, prop, "must be one or more NUL-terminated strings");
	for (int off = 0; off < len; off += (int)strlen(v + off) + 1) {
		if ((ret = each(p, vm, prop, v + off)))
			return ret;
	}
	return 0;
}

static int add_passthrough(struct parser *p, struct cfg_vm *vm, const char *prop, const char *path)
{
	if (path[0] != '/')
		return fail(
		    p, prop,
		    "\"%s\" must be an absolute host DTB path like \"/virtio_mmio@a003e00\"", path);
	for (unsigned i = 0; i < vm->nr_pt; i++) {
		if (strcmp(vm->pt[i].path, path) == 0)
			return fail(p, prop, "%s listed twice", path);
	}
	if (vm->nr_pt == CFG_MAX_PT)
		return fail(p, prop, "more than %u devices", CFG_MAX_PT);
	vm->pt[vm->nr_pt].path = path;
	vm->pt[vm->nr_pt].dma = true; /* until passthrough-no-dma says otherwise */
	vm->nr_pt++;
	return 0;
}

static int parse_passthrough(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			     int len)
{
	return for_each_string(p, vm, prop, v, len, add_passthrough);
}

static int parse_no_dma(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v,
			int len)
{
	/* Matched against "passthrough" once the whole node is read: it may come first. */
	p->no_dma = v;
	p->no_dma_len = len;
	return 0;
}

static int mark_no_dma(struct parser *p, struct cfg_vm *vm, const char *prop, const char *path)
{
	for (unsigned i = 0; i < vm->nr_pt; i++) {
		if (strcmp(vm->pt[i].path, path) == 0) {
			vm->pt[i].dma = false;
			return 0;
		}
	}
	return fail(p, prop, "%s is not in this VM's passthrough list", path);
}

/* Rules between properties, once the whole VM node is read. */
static int check_vm_props(struct parser *p, struct cfg_vm *vm, bool has_memory)
{
	if (has_memory && vm->static_mem)
		return fail(p, "static-mem", "give either memory or static-mem, not both");
	if (!has_memory && !vm->static_mem)
		return fail(p, "memory", "required property missing (or static-mem)");
	if (vm->direct_map && !vm->static_mem)
		return fail(p, "direct-map",
			    "needs static-mem (the host-physical base becomes the guest's)");
	if (p->no_dma)
		return for_each_string(p, vm, "passthrough-no-dma", p->no_dma, p->no_dma_len,
				       mark_no_dma);
	return 0;
}

/* phandle (and its old spelling) are added by dtc for references; nothing to configure. */
static int ignore(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v, int len)
{
	return 0;
}

static const struct {
	const char *name;
	int (*parse)(struct parser *p, struct cfg_vm *vm, const char *prop, const void *v, int len);
	bool required;
} vm_props[] = {
    {"cpus", parse_cpus, true},
    {"memory", parse_memory, false}, /* memory or static-mem: check_vm_props */
    {"kernel", parse_kernel, true},
    {"initrd", parse_initrd, false},
    {"bootargs", parse_bootargs, false},
    {"on-reset", parse_on_reset, false},
    {"on-failure", parse_on_failure, false},
    {"on-unmapped-access", parse_on_unmapped, false},
    {"watchdog", parse_watchdog, false},
    {"static-mem", parse_static_mem, false},
    {"direct-map", parse_direct_map, false},
    {"passthrough", parse_passthrough, false},
    {"passthrough-no-dma", parse_no_dma, false},
    {"pool", parse_pool_ref, false},
    {"privileged", parse_privileged, false},
    {"budget-us", parse_budget, false},
    {"period-us", parse_period, false},
    {"weight", parse_weight, false},
    {"phandle", ignore, false},
    {"linux,phandle", ignore, false},
};
#define VM_PROP_MEMORY 1 /* index of "memory" above */

static uint32_t prop_bit(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm_props); i++) {
		if (strcmp(vm_props[i].name, name) == 0)
			return 1U << i;
	}
	return 0;
}

/* budget-us and period-us come together, budget <= period, and only where a pool shares. */
static int check_reservation(struct parser *p, const struct cfg_vm *vm, uint32_t seen)
{
	bool has_budget = seen & prop_bit("budget-us"), has_period = seen & prop_bit("period-us");
	const struct cfg_pool *pool = &p->out->pools[vm->pool];

	if (has_budget != has_period)
		return fail(p, has_budget ? "period-us" : "budget-us",
			    "required with %s (a reservation is a budget per period)",
			    has_budget ? "budget-us" : "period-us");
	if (has_budget && vm->budget_us > vm->period_us)
		return fail(p, "budget-us", "must not exceed period-us (%u > %u)", vm->budget_us,
			    vm->period_us);
	if ((has_budget || (seen & prop_bit("weight"))) && pool->scheduler == CFG_SCHED_BIND)
		return fail(p, has_budget ? "budget-us" : "weight",
			    "pool \"%s\" uses the bind scheduler: a vCPU owns its pCPU, there is "
			    "nothing to reserve or share",
			    pool->name);
	return 0;
}

/* Node names become console prefixes: the DT spec's node-name characters only. */
static bool valid_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr(",._+-@", c) != NULL;
}

static int check_vm_name(struct parser *p, const char *name)
{
	struct cfg_system *out = p->out;

	if (!*name)
		return fail(p, "node name", "must not be empty");
	if (strlen(name) >= CFG_NAME_MAX)
		return fail(p, "node name", "longer than %u characters", CFG_NAME_MAX - 1);
	for (const char *c = name; *c; c++) {
		if (!valid_name_char(*c))
			return fail(p, "node name",
				    "invalid character (use letters, digits, ,._+-@)");
	}
	for (uint32_t i = 0; i < out->nr_vms; i++) {
		if (strcmp(out->vms[i].name, name) == 0)
			return fail(p, NULL, "duplicate VM name '%s'", name);
	}
	return 0;
}

static int parse_vm(struct parser *p, int node, struct cfg_vm *vm)
{
	const char *name = fdt_name(p->fdt, node);
	uint32_t seen = 0;
	int prop, child, ret;

	set_path(p, node);
	if (!name)
		return fail(p, NULL, "malformed device tree");
	if ((ret = check_vm_name(p, name)))
		return ret;
	strlcpy(vm->name, name, sizeof(vm->name));
	vm->weight = 256; /* SCHED_WEIGHT_DEF */
	p->no_dma = NULL;
	p->no_dma_len = 0;

	for (prop = fdt_first_prop(p->fdt, node); prop >= 0; prop = fdt_next_prop(p->fdt, prop)) {
		const void *val;
		int len;
		const char *pname = fdt_prop_at(p->fdt, prop, &val, &len);
		size_t i;

		if (!pname)
			return fail(p, NULL, "malformed device tree");
		for (i = 0; i < ARRAY_SIZE(vm_props); i++) {
			if (strcmp(pname, vm_props[i].name) == 0)
				break;
		}
		if (i == ARRAY_SIZE(vm_props))
			return fail(p, pname, "unknown property");
		if (seen & (1U << i))
			return fail(p, pname, "given more than once");
		seen |= 1U << i;
		if ((ret = vm_props[i].parse(p, vm, pname, val, len)))
			return ret;
	}
	if (prop != -ERR_NOENT)
		return fail(p, NULL, "malformed device tree");
	for (size_t i = 0; i < ARRAY_SIZE(vm_props); i++) {
		if (vm_props[i].required && !(seen & (1U << i)))
			return fail(p, vm_props[i].name, "required property missing");
	}
	if ((ret = check_reservation(p, vm, seen)))
		return ret;
	if ((ret = check_vm_props(p, vm, seen & (1U << VM_PROP_MEMORY))))
		return ret;
	child = fdt_first_child(p->fdt, node);
	if (child >= 0) {
		set_path(p, child);
		return fail(p, NULL, "unknown node (a VM node has properties only)");
	}
	return child == -ERR_NOENT ? 0 : fail(p, NULL, "malformed device tree");
}

/* /vms configures nothing; standard root properties mean nothing here but are harmless. */
static const char *const vms_props[] = {"phandle", "linux,phandle", NULL};
static const char *const root_props[] = {"compatible",	"model",   "#address-cells",
					 "#size-cells", "phandle", "scrub-boot-memory",
					 "console",	NULL};

/*
 * The root's "console": the VM that gets the machine's console UART itself (passed through at
 * the emulated UART's address and INTID) instead of an emulated one; Tandem then prints
 * nothing after the boot. After /vms: it names a VM.
 */
static int parse_console(struct parser *p, int root)
{
	const char *name;
	int len;

	if (!fdt_prop(p->fdt, root, "console", &len))
		return 0;
	strlcpy(p->path, "/", sizeof(p->path));
	if (fdt_read_string(p->fdt, root, "console", &name) || !*name)
		return fail(p, "console",
			    "must be the name of the VM that takes the console UART (a string)");
	for (unsigned i = 0; i < p->out->nr_vms; i++) {
		if (strcmp(p->out->vms[i].name, name) == 0) {
			p->out->vms[i].console_uart = true;
			return 0;
		}
	}
	return fail(p, "console",
		    "no VM named \"%s\" under /vms (the VM that takes the console UART)", name);
}

/* Fails on the first property of node not in allowed (a NULL-terminated list). */
static int only_props(struct parser *p, int node, const char *const *allowed, const char *hint)
{
	int prop;

	for (prop = fdt_first_prop(p->fdt, node); prop >= 0; prop = fdt_next_prop(p->fdt, prop)) {
		const char *pname = fdt_prop_at(p->fdt, prop, NULL, NULL);
		const char *const *a;

		if (!pname)
			return fail(p, NULL, "malformed device tree");
		for (a = allowed; *a && strcmp(*a, pname) != 0; a++)
			;
		if (!*a)
			return fail(p, pname, "unknown property (%s)", hint);
	}
	return prop == -ERR_NOENT ? 0 : fail(p, NULL, "malformed device tree");
}

static int parse_pool_cpus(struct parser *p, struct cfg_pool *pool, const char *prop, const void *v,
			   int len)
{
	if (looks_like_string(v, len))
		return fail(p, prop, "must be pCPU numbers like <2 3>, not a string");
	if (len < 0 || len % 4) /* <> is fine: an empty pool that pCPUs can move into later */
		return fail(p, prop, "must be 32-bit cells of pCPU numbers (got %d bytes)", len);
	for (int i = 0; i < len / 4; i++) {
		uint32_t cpu = (uint32_t)fdt_read_cells((const uint8_t *)v + 4 * i, 1);

		if (cpu >= 64)
			return fail(p, prop, "pCPU %u does not exist (pCPUs are numbered from 0)",
				    cpu);
		if (pool->cpus & (1ULL << cpu))
			return fail(p, prop, "pCPU %u is listed twice", cpu);
		for (uint32_t j = 0; j < p->out->nr_pools; j++) {
			const struct cfg_pool *other = &p->out->pools[j];

			if (other != pool && (other->cpus & (1ULL << cpu)))
				return fail(p, prop, "pCPU %u is already in pool \"%s\"", cpu,
					    other->name);
		}
		pool->cpus |= 1ULL << cpu;
	}
	return 0;
}

static int parse_pool_props(struct parser *p, int node, struct cfg_pool *pool)
{
	bool has_cpus = false, has_sched = false;
	int prop, ret;

	for (prop = fdt_first_prop(p->fdt, node); prop >= 0; prop = fdt_next_prop(p->fdt, prop)) {
		const void *val;
		int len;
		const char *pname = fdt_prop_at(p->fdt, prop, &val, &len);
		const char *s;

		if (!pname)
			return fail(p, NULL, "malformed device tree");
		if (strcmp(pname, "cpus") == 0) {
			if ((ret = parse_pool_cpus(p, pool, pname, val, len)))
				return ret;
			has_cpus = true;
		} else if (strcmp(pname, "scheduler") == 0) {
			if (!(s = get_string(p, pname, val, len)))
				return -ERR_INVAL;
			if (strcmp(s, "dynamic") == 0)
				pool->scheduler = CFG_SCHED_DYNAMIC;
			else if (strcmp(s, "bind") == 0)
				pool->scheduler = CFG_SCHED_BIND;
			else
				return fail(p, pname,
					    "unknown scheduler \"%s\" (\"bind\" or \"dynamic\")",
					    s);
			has_sched = true;
		} else if (strcmp(pname, "wfi") == 0) {
			if (!(s = get_string(p, pname, val, len)))
				return -ERR_INVAL;
			if (strcmp(s, "native") == 0)
				pool->wfi = CFG_WFI_NATIVE;
			else if (strcmp(s, "trap") == 0)
				pool->wfi = CFG_WFI_TRAP;
			else
				return fail(p, pname, "must be \"native\" or \"trap\" (got \"%s\")",
					    s);
		} else if (strcmp(pname, "slice-us") == 0) {
			if ((ret = get_u32(p, pname, val, len, 100, 1000000, &pool->slice_us)))
				return ret;
		} else if (strcmp(pname, "irq") == 0) {
			if (!(s = get_string(p, pname, val, len)))
				return -ERR_INVAL;
			if (strcmp(s, "direct") == 0)
				pool->irq = CFG_IRQ_DIRECT;
			else if (strcmp(s, "trapped") == 0)
				pool->irq = CFG_IRQ_TRAPPED;
			else
				return fail(p, pname,
					    "must be \"direct\" or \"trapped\" (got \"%s\")", s);
		} else if (strcmp(pname, "phandle") != 0 && strcmp(pname, "linux,phandle") != 0) {
			return fail(
			    p, pname,
			    "unknown property (a pool has cpus, scheduler, wfi, slice-us, irq)");
		}
	}
	if (prop != -ERR_NOENT)
		return fail(p, NULL, "malformed device tree");
	if (!has_sched)
		return fail(p, "scheduler", "required property missing (\"bind\" or \"dynamic\")");
	if (!has_cpus && pool != &p->out->pools[0])
		return fail(p, "cpus", "required property missing (e.g. cpus = <3>;)");
	if (pool->wfi == CFG_WFI_NATIVE && pool->scheduler == CFG_SCHED_DYNAMIC)
		return fail(p, "wfi",
			    "\"native\" needs the bind scheduler (a dynamic pool must see WFI to "
			    "block the vCPU)");
	if (pool->slice_us && pool->scheduler == CFG_SCHED_BIND)
		return fail(p, "slice-us", "the bind scheduler has no time slice");
	if (pool->irq == CFG_IRQ_DIRECT && pool->scheduler != CFG_SCHED_BIND)
		return fail(p, "irq",
			    "\"direct\" needs the bind scheduler (a vCPU must own its pCPU's "
			    "interrupt controller)");
	if (pool->irq == CFG_IRQ_DIRECT && pool->wfi == CFG_WFI_TRAP)
		return fail(p, "irq",
			    "\"direct\" needs wfi = \"native\" (a trapped WFI would take every "
			    "interrupt through EL2)");
	return 0;
}

static int parse_pools(struct parser *p, int pools)
{
	struct cfg_system *out = p->out;
	int node, ret;

	set_path(p, pools);
	if ((ret = only_props(p, pools, vms_props, "pools are the subnodes of /pools")))
		return ret;
	for (node = fdt_first_child(p->fdt, pools); node >= 0;
	     node = fdt_next_sibling(p->fdt, node)) {
		const char *name = fdt_name(p->fdt, node);
		struct cfg_pool *pool;

		set_path(p, node);
		if (!name)
			return fail(p, NULL, "malformed device tree");
		if (!*name || strlen(name) >= CFG_NAME_MAX)
			return fail(p, "node name", "must be 1 to %u characters", CFG_NAME_MAX - 1);
		for (const char *c = name; *c; c++) {
			if (!valid_name_char(*c))
				return fail(p, "node name",
					    "invalid character (use letters, digits, ,._+-@)");
		}
		if (find_pool(out, name) > 0 ||
		    (strcmp(name, "pool0") == 0 && out->pools[0].declared))
			return fail(p, NULL, "duplicate pool name '%s'", name);
		if (strcmp(name, "pool0") == 0) {
			pool = &out->pools[0];
		} else {
			if (out->nr_pools == CFG_MAX_POOLS)
				return fail(p, NULL, "too many pools (at most %u)", CFG_MAX_POOLS);
			pool = &out->pools[out->nr_pools++];
			strlcpy(pool->name, name, sizeof(pool->name));
		}
		pool->declared = true;
		if ((ret = parse_pool_props(p, node, pool)))
			return ret;
		if (fdt_first_child(p->fdt, node) >= 0)
			return fail(p, NULL, "unknown node (a pool node has properties only)");
	}
	set_path(p, pools);
	return node == -ERR_NOENT ? 0 : fail(p, NULL, "malformed device tree");
}

static int parse_vms(struct parser *p, int vms)
{
	struct cfg_system *out = p->out;
	int node, ret;

	set_path(p, vms);
	if ((ret = only_props(p, vms, vms_props, "VMs are the subnodes of /vms")))
		return ret;
	for (node = fdt_first_child(p->fdt, vms); node >= 0;
	     node = fdt_next_sibling(p->fdt, node)) {
		if (out->nr_vms == CFG_MAX_VMS) {
			set_path(p, node);
			return fail(p, NULL, "too many VMs (at most %u)", CFG_MAX_VMS);
		}
		if ((ret = parse_vm(p, node, &out->vms[out->nr_vms])))
			return ret;
		out->nr_vms++;
	}
	set_path(p, vms);
	if (node != -ERR_NOENT)
		return fail(p, NULL, "malformed device tree");
	if (out->nr_vms == 0)
		return fail(p, NULL, "no VMs (at least one VM node is required)");
	return 0;
}

static int parse_system(struct parser *p)
{
	int root = fdt_root(p->fdt), node, vms = -ERR_NOENT, pools = -ERR_NOENT;
	int channels = -ERR_NOENT, freq = -ERR_NOENT, groups = -ERR_NOENT, ret, len;
	const char *compat;

	strlcpy(p->path, "/", sizeof(p->path));
	if (root < 0)
		return fail(p, NULL, "not a valid device tree");
	if (!fdt_is_compatible(p->fdt, root, "tandem,system")) {
		if (!fdt_has_prop(p->fdt, root, "compatible"))
			return fail(p, "compatible",
				    "required property missing (must be "
				    "\"tandem,system\")");
		if (fdt_read_string(p->fdt, root, "compatible", &compat) == 0 && *compat)
			return fail(p, "compatible", "must be \"tandem,system\" (got \"%s\")",
				    compat);
		return fail(p, "compatible", "must be \"tandem,system\"");
	}
	if ((ret = only_props(p, root, root_props,
			      "the root holds compatible, model, scrub-boot-memory and console")))
		return ret;
	if (fdt_prop(p->fdt, root, "scrub-boot-memory", &len)) {
		if (len != 0)
			return fail(p, "scrub-boot-memory",
				    "takes no value (write `scrub-boot-memory;`)");
		p->out->scrub_boot_memory = true;
	}
	for (node = fdt_first_child(p->fdt, root); node >= 0;
	     node = fdt_next_sibling(p->fdt, node)) {
		const char *name = fdt_name(p->fdt, node);

		set_path(p, node);
		if (!name)
			return fail(p, NULL, "malformed device tree");
		if (strcmp(name, "vms") == 0) {
			if (vms >= 0)
				return fail(p, NULL, "duplicate node");
			vms = node;
		} else if (strcmp(name, "pools") == 0) {
			if (pools >= 0)
				return fail(p, NULL, "duplicate node");
			pools = node;
		} else if (strcmp(name, "channels") == 0) {
			if (channels >= 0)
				return fail(p, NULL, "duplicate node");
			channels = node;
		} else if (strcmp(name, "frequency-domains") == 0) {
			if (freq >= 0)
				return fail(p, NULL, "duplicate node");
			freq = node;
		} else if (strcmp(name, "failover-groups") == 0) {
			if (groups >= 0)
				return fail(p, NULL, "duplicate node");
			groups = node;
		} else if (strcmp(name, "chosen") != 0 && strcmp(name, "aliases") != 0) {
			return fail(p, NULL,
				    "unknown node (the root may hold vms, pools, channels, "
				    "frequency-domains, failover-groups, chosen, aliases)");
		}
	}
	strlcpy(p->path, "/", sizeof(p->path));
	if (node != -ERR_NOENT)
		return fail(p, NULL, "malformed device tree");
	if (vms < 0) {
		strlcpy(p->path, "/vms", sizeof(p->path));
		return fail(p, NULL, "required node missing (it holds one node per VM)");
	}
	/* pool0 always exists: dynamic, with every pCPU no other pool lists. */
	strlcpy(p->out->pools[0].name, "pool0", sizeof(p->out->pools[0].name));
	p->out->nr_pools = 1;
	if (pools >= 0 && (ret = parse_pools(p, pools)))
		return ret;
	if ((ret = parse_vms(p, vms)))
		return ret;
	if ((ret = parse_console(p, root)))
		return ret;
	/* After /vms: a channel names VMs, so does a frequency domain's controller. */
	if (channels >= 0 && (ret = cfg_parse_channels(p->fdt, channels, p->out)))
		return ret;
	if (freq >= 0 && (ret = cfg_parse_freq_domains(p->fdt, freq, p->out)))
		return ret;
	/* Last: a group names VMs, a pool and a channel. */
	return groups >= 0 ? cfg_parse_failover_groups(p->fdt, groups, p->out) : 0;
}

int cfg_parse(const struct fdt *fdt, cfg_image_lookup_fn lookup, void *lookup_ctx,
	      struct cfg_system *out)
{
	struct parser p = {fdt, lookup, lookup_ctx, out, {0}, NULL, 0};
	int ret;

	if (!fdt || !out)
		return -ERR_INVAL;
	memset(out, 0, sizeof(*out));
	ret = parse_system(&p);
	if (ret) {
		out->nr_vms = 0; /* nothing half-parsed may be used */
		out->nr_channels = 0;
		out->nr_groups = 0;
	}
	return ret;
}

static int __attribute__((format(printf, 4, 5)))
fail_at_v(char *err, const char *path, const char *prop, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fail_at(err, path, prop, fmt, ap);
	va_end(ap);
	return ret;
}

bool cfg_valid_name(const char *name)
{
	if (!*name || strlen(name) >= CFG_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++) {
		if (!valid_name_char(*c))
			return false;
	}
	return true;
}

int cfg_fail_vm(struct cfg_system *sys, const struct cfg_vm *vm, const char *prop, const char *fmt,
		...)
{
	char path[PATH_MAX_LEN];
	va_list ap;
	int ret;

	snprintf_td(path, sizeof(path), "/vms/%s", vm->name);
	va_start(ap, fmt);
	ret = fail_at(sys->err, path, prop, fmt, ap);
	va_end(ap);
	return ret;
}

int cfg_fail_path(struct cfg_system *sys, const char *path, const char *prop, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fail_at(sys->err, path, prop, fmt, ap);
	va_end(ap);
	return ret;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

int cfg_check_resources(struct cfg_system *sys, const struct cfg_resources *res)
{
	uint64_t mem_used = 0, online, listed = 0;
	uint32_t vcpus[CFG_MAX_POOLS] = {0};

	if (!sys || !res)
		return -ERR_INVAL;
	if (sys->nr_pools == 0) { /* built by hand rather than parsed: pool0 is implicit */
		strlcpy(sys->pools[0].name, "pool0", sizeof(sys->pools[0].name));
		sys->nr_pools = 1;
	}
	online = res->nr_pcpus >= 64 ? ~0ULL : (1ULL << res->nr_pcpus) - 1;
	for (uint32_t i = 0; i < sys->nr_pools; i++) {
		struct cfg_pool *pool = &sys->pools[i];
		uint64_t missing = pool->cpus & ~online;

		if (missing) {
			char path[PATH_MAX_LEN];

			snprintf_td(path, sizeof(path), "/pools/%s", pool->name);
			return fail_at_v(sys->err, path, "cpus",
					 "pCPU %u does not exist (this machine has %u pCPU%s)",
					 (unsigned)__builtin_ctzll(missing), res->nr_pcpus,
					 plural(res->nr_pcpus));
		}
		listed |= pool->cpus;
	}
	sys->pools[0].cpus |= online & ~listed; /* unlisted pCPUs join pool0 */
	if (cfg_check_freq_resources(sys, res->nr_pcpus))
		return -ERR_INVAL;
	for (uint32_t i = 0; i < sys->nr_vms; i++) {
		const struct cfg_vm *vm = &sys->vms[i];
		const struct cfg_pool *pool = &sys->pools[vm->pool];
		uint32_t pool_cpus = (uint32_t)__builtin_popcountll(pool->cpus);
		uint64_t mem_left = res->free_bytes - mem_used;
		/* static-mem is reserved before the allocator starts: it is not in free_bytes. */
		uint64_t dyn_mem = vm->static_mem ? 0 : vm->mem_size;

		vcpus[vm->pool] += vm->nr_vcpus;
		if (pool_cpus == 0)
			return cfg_fail_vm(sys, vm, "pool", "pool \"%s\" has no pCPUs", pool->name);
		/* bind: each vCPU owns a pCPU, so the pool must have one for every vCPU. */
		if (pool->scheduler == CFG_SCHED_BIND && vcpus[vm->pool] > pool_cpus)
			return cfg_fail_vm(sys, vm, "cpus",
					   "bind pool \"%s\" has %u pCPU%s for %u vCPU%s (one vCPU "
					   "per pCPU)",
					   pool->name, pool_cpus, plural(pool_cpus),
					   vcpus[vm->pool], plural(vcpus[vm->pool]));
		/* RAM is given to each VM whole at creation, so the sum must fit what is free. */
		if (dyn_mem > mem_left)
			return cfg_fail_vm(
			    sys, vm, "memory",
			    "%llu MiB requested but only %llu MiB left (%llu MiB free)",
			    (unsigned long long)(vm->mem_size >> 20),
			    (unsigned long long)(mem_left >> 20),
			    (unsigned long long)(res->free_bytes >> 20));
		mem_used += dyn_mem;
	}
	/* Each channel's region comes from the same frames, once, when its first VM is built. */
	for (uint32_t i = 0; i < sys->nr_channels; i++) {
		const struct cfg_channel *ch = &sys->channels[i];
		char path[PATH_MAX_LEN];

		if (ch->size > res->free_bytes - mem_used) {
			snprintf_td(path, sizeof(path), "/channels/%s", ch->name);
			return fail_at_v(sys->err, path, "size",
					 "0x%llx bytes requested but only %llu MiB left once the "
					 "VMs have their RAM",
					 (unsigned long long)ch->size,
					 (unsigned long long)((res->free_bytes - mem_used) >> 20));
		}
		mem_used += ch->size;
	}
	return cfg_check_failover_resources(sys);
}
