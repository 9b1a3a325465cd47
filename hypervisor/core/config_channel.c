/*
 * Channels in the system description (/channels/<name>): parsed after /vms, then placed once
 * the passed-through devices are known (cfg_place_channels): each end's window in its VM's
 * guest-physical space and the SPI its doorbell arrives on. The first broken rule becomes one
 * line "config: /channels/NAME: prop: rule".
 */
#include <tandem/abi/channel.h>
#include <tandem/config.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vgic.h>
#include <tandem/vpl011.h>

#include "config-internal.h"

#define PAGE_4K	       KiB(4)
#define IPA_LIMIT      (1ULL << 39) /* stage 2 covers a 39-bit IPA space */
#define CHAN_SIZE_MAX  GiB(1)	    /* the header's size is 32 bits; 1 GiB is plenty */
#define CHAN_IPA_FIRST GiB(32)	    /* where chosen windows start: above any RAM we run with */
#define CHAN_IPA_ALIGN MiB(2)	    /* chosen windows: 2 MiB-aligned (stage-2 blocks) */
#define PATH_LEN       (16 + CFG_NAME_MAX)
/* Busy guest-physical ranges of one VM: RAM, emulated windows, passthrough, channels. */
#define MAX_BUSY (1 + CFG_EMULATED_WINDOWS + CFG_MAX_PT * CFG_PT_MAX_REG + CFG_MAX_VM_CHANNELS)

typedef unsigned long long ull;

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static void channel_path(char *buf, const char *name)
{
	snprintf_td(buf, PATH_LEN, "/channels/%s", name);
}

static int find_vm(const struct cfg_system *sys, const char *name)
{
	for (uint32_t i = 0; i < sys->nr_vms; i++) {
		if (strcmp(sys->vms[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* vms = "a", "b": two different VMs of /vms. */
static int parse_vms_prop(struct cfg_system *sys, const char *path, struct cfg_channel *ch,
			  const char *v, int len)
{
	const char *names[2];
	int n = 0;

	if (len <= 0 || v[len - 1] != '\0')
		return cfg_fail_path(sys, path, "vms",
				     "must be two VM names like \"rtos\", \"linux\"");
	for (int off = 0; off < len; off += (int)strlen(v + off) + 1) {
		if (n == 2)
			return cfg_fail_path(sys, path, "vms",
					     "names more than two VMs (a channel joins two)");
		names[n++] = v + off;
	}
	if (n != 2)
		return cfg_fail_path(sys, path, "vms",
				     "names one VM (a channel joins two: vms = \"a\", \"b\")");
	for (int i = 0; i < 2; i++) {
		int idx = find_vm(sys, names[i]);

		if (idx < 0)
			return cfg_fail_path(sys, path, "vms",
					     "unknown VM \"%s\" (VMs are the subnodes of /vms)",
					     names[i]);
		ch->vm[i] = (uint32_t)idx;
	}
	if (ch->vm[0] == ch->vm[1])
		return cfg_fail_path(sys, path, "vms",
				     "names VM \"%s\" at both ends (a channel joins two different "
				     "VMs)",
				     names[0]);
	return 0;
}

static int parse_size_prop(struct cfg_system *sys, const char *path, struct cfg_channel *ch,
			   const void *v, int len)
{
	uint64_t bytes;

	if (len != 4 && len != 8)
		return cfg_fail_path(
		    sys, path, "size",
		    "must be 1 or 2 cells of bytes like <0x0 0x40000> (got %d bytes)", len);
	bytes = fdt_read_cells(v, (uint32_t)len / 4);
	if (bytes == 0)
		return cfg_fail_path(sys, path, "size", "must be greater than 0");
	if (!IS_ALIGNED(bytes, PAGE_4K))
		return cfg_fail_path(sys, path, "size",
				     "must be a multiple of 4 KiB, the page size (got 0x%llx)",
				     (ull)bytes);
	if (bytes > CHAN_SIZE_MAX)
		return cfg_fail_path(sys, path, "size", "must be at most 1 GiB (got 0x%llx)",
				     (ull)bytes);
	ch->size = bytes;
	return 0;
}

/* ipa = <hi lo> (both sides) or <hi lo hi lo> (side 0, side 1; <0 0> = Tandem's choice). */
static int parse_ipa_prop(struct cfg_system *sys, const char *path, struct cfg_channel *ch,
			  const uint8_t *v, int len)
{
	if (len != 8 && len != 16)
		return cfg_fail_path(sys, path, "ipa",
				     "must be <hi lo> for both ends or <hi lo hi lo> for each "
				     "(got %d bytes)",
				     len);
	for (int i = 0; i < 2; i++) {
		uint64_t ipa = fdt_read_cells(v + (len == 16 ? 8 * i : 0), 2);

		if (len == 16 && ipa == 0)
			continue; /* this end's window is Tandem's choice */
		if (!IS_ALIGNED(ipa, PAGE_4K))
			return cfg_fail_path(sys, path, "ipa",
					     "0x%llx must be a multiple of 4 KiB, the page size",
					     (ull)ipa);
		ch->ipa_fixed[i] = true;
		ch->ipa[i] = ipa;
	}
	return 0;
}

static bool valid_name(const char *name);

/* protocol = "records": one name, copied to both ends' nodes as "tandem,protocol". */
static int parse_protocol_prop(struct cfg_system *sys, const char *path, struct cfg_channel *ch,
			       const char *v, int len)
{
	if (len < 2 || v[len - 1] != '\0' || strlen(v) != (size_t)len - 1 || !valid_name(v))
		return cfg_fail_path(sys, path, "protocol",
				     "must be one name of 1 to %d characters (letters, digits, "
				     "\",._+-@\") like \"records\"",
				     CFG_NAME_MAX - 1);
	memcpy(ch->protocol, v, (size_t)len);
	return 0;
}

static int parse_channel(const struct fdt *fdt, int node, struct cfg_system *sys,
			 struct cfg_channel *ch, const char *path)
{
	bool has_vms = false, has_size = false, has_ipa = false, has_protocol = false;
	int prop, ret = 0;

	for (prop = fdt_first_prop(fdt, node); prop >= 0; prop = fdt_next_prop(fdt, prop)) {
		const void *val;
		int len;
		const char *pname = fdt_prop_at(fdt, prop, &val, &len);
		bool *seen;

		if (!pname)
			return cfg_fail_path(sys, path, NULL, "malformed device tree");
		if (strcmp(pname, "vms") == 0)
			seen = &has_vms;
		else if (strcmp(pname, "size") == 0)
			seen = &has_size;
		else if (strcmp(pname, "ipa") == 0)
			seen = &has_ipa;
		else if (strcmp(pname, "protocol") == 0)
			seen = &has_protocol;
		else if (strcmp(pname, "phandle") == 0 || strcmp(pname, "linux,phandle") == 0)
			continue;
		else
			return cfg_fail_path(
			    sys, path, pname,
			    "unknown property (a channel has vms, size, ipa, protocol)");
		if (*seen)
			return cfg_fail_path(sys, path, pname, "given more than once");
		*seen = true;
		if (seen == &has_vms)
			ret = parse_vms_prop(sys, path, ch, val, len);
		else if (seen == &has_size)
			ret = parse_size_prop(sys, path, ch, val, len);
		else if (seen == &has_protocol)
			ret = parse_protocol_prop(sys, path, ch, val, len);
		else
			ret = parse_ipa_prop(sys, path, ch, val, len);
		if (ret)
			return ret;
	}
	if (prop != -ERR_NOENT)
		return cfg_fail_path(sys, path, NULL, "malformed device tree");
	if (!has_vms)
		return cfg_fail_path(sys, path, "vms",
				     "required property missing (the two VMs it joins)");
	if (!has_size)
		return cfg_fail_path(sys, path, "size",
				     "required property missing (bytes, a multiple of 4 KiB)");
	if (fdt_first_child(fdt, node) >= 0)
		return cfg_fail_path(sys, path, NULL,
				     "unknown node (a channel node has properties only)");
	return 0;
}

static bool valid_name(const char *name)
{
	if (!*name || strlen(name) >= CFG_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr(",._+-@", *c)))
			return false;
	}
	return true;
}

int cfg_parse_channels(const struct fdt *fdt, int channels, struct cfg_system *sys)
{
	char path[PATH_LEN];
	int node, prop, ret;

	for (prop = fdt_first_prop(fdt, channels); prop >= 0; prop = fdt_next_prop(fdt, prop)) {
		const char *pname = fdt_prop_at(fdt, prop, NULL, NULL);

		if (!pname ||
		    (strcmp(pname, "phandle") != 0 && strcmp(pname, "linux,phandle") != 0))
			return cfg_fail_path(sys, "/channels", pname,
					     "unknown property (channels are the subnodes of "
					     "/channels)");
	}
	for (node = fdt_first_child(fdt, channels); node >= 0; node = fdt_next_sibling(fdt, node)) {
		const char *name = fdt_name(fdt, node);
		struct cfg_channel *ch;

		if (!name)
			return cfg_fail_path(sys, "/channels", NULL, "malformed device tree");
		channel_path(path, name);
		if (!valid_name(name))
			return cfg_fail_path(sys, path, "node name",
					     "must be 1 to %u letters, digits or ,._+-@",
					     CFG_NAME_MAX - 1);
		if (sys->nr_channels == CFG_MAX_CHANNELS)
			return cfg_fail_path(sys, path, NULL, "too many channels (at most %u)",
					     CFG_MAX_CHANNELS);
		ch = &sys->channels[sys->nr_channels];
		memset(ch, 0, sizeof(*ch));
		strlcpy(ch->name, name, sizeof(ch->name));
		if ((ret = parse_channel(fdt, node, sys, ch, path)))
			return ret;
		sys->nr_channels++;
	}
	return node == -ERR_NOENT ? 0
				  : cfg_fail_path(sys, "/channels", NULL, "malformed device tree");
}

/* A range of a VM's guest-physical space and what holds it ("its emulated " "UART"). */
struct busy {
	uint64_t base, size;
	const char *kind, *what;
};

/* What a VM's guest-physical space already holds, for placing and checking windows. */
struct ipa_map {
	unsigned n;
	struct busy r[MAX_BUSY];
};

static void busy_add(struct ipa_map *m, uint64_t base, uint64_t size, const char *kind,
		     const char *what)
{
	if (m->n < MAX_BUSY)
		m->r[m->n++] = (struct busy){base, size, kind, what};
}

/* RAM, emulated devices and passed-through devices (whole pages) of vm. */
static void map_of_vm(const struct cfg_vm *vm, struct ipa_map *m)
{
	struct cfg_range win[CFG_EMULATED_WINDOWS];
	unsigned nw = cfg_emulated_windows(vm, win);

	m->n = 0;
	busy_add(m, cfg_vm_ram_ipa(vm), vm->mem_size, "its ", "RAM");
	for (unsigned i = 0; i < nw; i++)
		busy_add(m, win[i].base, win[i].size, "its emulated ", win[i].what);
	for (unsigned d = 0; d < vm->nr_pt; d++) {
		const struct cfg_passthrough *pt = &vm->pt[d];

		for (unsigned r = 0; r < pt->nr_reg; r++) {
			uint64_t b = ALIGN_DOWN(pt->reg_base[r], PAGE_4K);

			busy_add(m, b, ALIGN_UP(pt->reg_base[r] + pt->reg_size[r], PAGE_4K) - b,
				 "its passed-through device ", pt->path);
		}
	}
}

static const struct busy *busy_hit(const struct ipa_map *m, uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < m->n; i++) {
		if (overlaps(base, size, m->r[i].base, m->r[i].size))
			return &m->r[i];
	}
	return NULL;
}

/* A fixed window of channel ch in VM v, checked against everything else in v. */
static int check_fixed(struct cfg_system *sys, const struct cfg_channel *ch, unsigned side,
		       const struct ipa_map *m)
{
	const struct cfg_vm *vm = &sys->vms[ch->vm[side]];
	uint64_t base = ch->ipa[side];
	const struct busy *hit;
	char path[PATH_LEN];

	channel_path(path, ch->name);
	if (base + ch->size > IPA_LIMIT || base + ch->size < base)
		return cfg_fail_path(sys, path, "ipa",
				     "0x%llx+0x%llx in VM %s ends beyond the 39-bit "
				     "guest-physical space",
				     (ull)base, (ull)ch->size, vm->name);
	hit = busy_hit(m, base, ch->size);
	if (hit)
		return cfg_fail_path(sys, path, "ipa",
				     "0x%llx+0x%llx in VM %s overlaps %s%s at 0x%llx+0x%llx",
				     (ull)base, (ull)ch->size, vm->name, hit->kind, hit->what,
				     (ull)hit->base, (ull)hit->size);
	return 0;
}

/* The first 2 MiB-aligned IPA from CHAN_IPA_FIRST where size bytes hit nothing in m. */
static uint64_t choose_ipa(const struct ipa_map *m, uint64_t size)
{
	uint64_t at = CHAN_IPA_FIRST;
	const struct busy *hit;

	while (at + size <= IPA_LIMIT && (hit = busy_hit(m, at, size)))
		at = ALIGN_UP(hit->base + hit->size, CHAN_IPA_ALIGN);
	return at + size <= IPA_LIMIT ? at : 0;
}

/*
 * The highest SPI INTID that neither the VM's devices, its watchdog nor its other doorbells
 * use, or 0.
 */
static irq_t choose_doorbell(const struct cfg_vm *vm)
{
	for (irq_t id = VGIC_MAX_INTID - 1; id >= VGIC_NR_PRIVATE; id--) {
		bool used = id == VPL011_SPI || id == vm->watchdog_spi || id == vm->failover.spi;

		for (unsigned d = 0; d < vm->nr_pt && !used; d++) {
			for (unsigned i = 0; i < vm->pt[d].nr_irqs; i++)
				used |= vm->pt[d].irqs[i] == id;
		}
		for (unsigned c = 0; c < vm->nr_channels && !used; c++)
			used = vm->channels[c].doorbell == id;
		if (!used)
			return id;
	}
	return 0;
}

/* Every end of every channel in VM v: fixed windows checked first, then the others placed. */
static int place_in_vm(struct cfg_system *sys, unsigned v)
{
	struct cfg_vm *vm = &sys->vms[v];
	struct ipa_map m;
	char path[PATH_LEN];
	int ret;

	map_of_vm(vm, &m);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned c = 0; c < sys->nr_channels; c++) {
			struct cfg_channel *ch = &sys->channels[c];

			for (unsigned side = 0; side < 2; side++) {
				if (ch->vm[side] != v || ch->ipa_fixed[side] != (pass == 0))
					continue;
				channel_path(path, ch->name);
				if (pass == 0 && (ret = check_fixed(sys, ch, side, &m)))
					return ret;
				if (pass == 1 && !(ch->ipa[side] = choose_ipa(&m, ch->size)))
					return cfg_fail_path(sys, path, "size",
							     "no room for 0x%llx bytes in VM %s's "
							     "guest-physical space",
							     (ull)ch->size, vm->name);
				busy_add(&m, ch->ipa[side], ch->size, "channel ", ch->name);
			}
		}
	}
	return 0;
}

/* Fills the VM's list of its channel ends, with a doorbell SPI for each. */
static int list_ends(struct cfg_system *sys, unsigned v)
{
	struct cfg_vm *vm = &sys->vms[v];
	char path[PATH_LEN];

	vm->nr_channels = 0;
	for (unsigned c = 0; c < sys->nr_channels; c++) {
		struct cfg_channel *ch = &sys->channels[c];

		for (unsigned side = 0; side < 2; side++) {
			struct cfg_channel_end *end;

			if (ch->vm[side] != v)
				continue;
			channel_path(path, ch->name);
			if (vm->nr_channels == CFG_MAX_VM_CHANNELS)
				return cfg_fail_path(sys, path, "vms",
						     "VM %s is in more than %u channels", vm->name,
						     CFG_MAX_VM_CHANNELS);
			ch->doorbell[side] = choose_doorbell(vm);
			if (!ch->doorbell[side])
				return cfg_fail_path(sys, path, "vms",
						     "VM %s has no free SPI left for the doorbell",
						     vm->name);
			end = &vm->channels[vm->nr_channels++];
			*end = (struct cfg_channel_end){
			    .id = c,
			    .side = side,
			    .peer_vm = ch->vm[1 - side],
			    .ipa = ch->ipa[side],
			    .size = ch->size,
			    .doorbell = ch->doorbell[side],
			    .name = ch->name,
			    .peer = sys->vms[ch->vm[1 - side]].name,
			    .protocol = ch->protocol,
			};
		}
	}
	return 0;
}

int cfg_place_channels(struct cfg_system *sys)
{
	int ret;

	if (!sys)
		return -ERR_INVAL;
	for (unsigned v = 0; v < sys->nr_vms; v++) {
		struct cfg_vm *vm = &sys->vms[v];

		if ((ret = place_in_vm(sys, v)) || (ret = list_ends(sys, v)))
			return ret;
		/* The watchdog's WS0 SPI: the same choice, after the doorbells. */
		vm->watchdog_spi = 0;
		vm->failover.spi = 0;
		if (vm->watchdog && !(vm->watchdog_spi = choose_doorbell(vm)))
			return cfg_fail_vm(sys, vm, "watchdog", "VM %s has no free SPI left for it",
					   vm->name);
		/* A failover member's promotion interrupt: the same choice again. */
		if (vm->failover.in_group && !(vm->failover.spi = choose_doorbell(vm)))
			return cfg_fail_vm(sys, vm, NULL,
					   "no free SPI left for its failover interrupt");
	}
	return 0;
}
