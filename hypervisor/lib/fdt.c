/*
 * Flattened device tree reader (DTB v16/v17). Every access re-checks offsets against the
 * header's block bounds, so a hostile or truncated blob yields ERR_* codes, never stray reads.
 */
#include <common/fdt_tokens.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/string.h>

#define HDR_V16_SIZE  36U /* up to size_dt_strings */
#define HDR_V17_SIZE  40U /* adds size_dt_struct */
#define FDT_MAX_DEPTH 64  /* deeper trees are rejected rather than walked with unbounded state */

/* Header field offsets (DT spec 5.2). */
enum { H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSVMAP = 16 };
enum { H_VERSION = 20, H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36 };

/* The structure and strings blocks, derived from the header and checked against totalsize. */
struct blocks {
	const uint8_t *st;
	uint32_t st_size;
	const char *str;
	uint32_t str_size;
};

/*
 * Byte-wise loads when unaligned: the blob need not be aligned, and EL2 runs with strict
 * alignment. Tokens and property values are 4-aligned within an aligned blob: one load.
 */
static uint32_t be32(const uint8_t *p)
{
	if (((uintptr_t)p & 3) == 0)
		return __builtin_bswap32(*(const uint32_t *)__builtin_assume_aligned(p, 4));
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint32_t fdt32_to_cpu(uint32_t be)
{
	return be32((const uint8_t *)&be);
}

uint64_t fdt_read_cells(const void *p, uint32_t ncells)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	/* Cells beyond two shift the high ones out: callers check ncells <= 2 when it matters. */
	for (uint32_t i = 0; i < ncells; i++)
		v = (v << 32) | be32(b + 4 * i);
	return v;
}

/* True if [off, off+len) lies inside a region of size total, without overflow. */
static bool in_range(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static int check_header(const uint8_t *h, size_t max_size, struct blocks *b)
{
	uint32_t total, version, hdr_size, off_st, off_str, off_rsv, size_st, size_str;

	if (max_size < HDR_V16_SIZE || be32(h + H_MAGIC) != FDT_MAGIC)
		return -ERR_INVAL;
	version = be32(h + H_VERSION);
	/* Version 16 is the oldest layout we understand; last_comp_version says what we must. */
	if (version < 16 || be32(h + H_LAST_COMP) > 17)
		return -ERR_NOTSUP;
	hdr_size = version >= 17 ? HDR_V17_SIZE : HDR_V16_SIZE;
	total = be32(h + H_TOTALSIZE);
	/* Offsets and lengths are ints in the API: a blob past 2 GiB could not be addressed. */
	if (max_size < hdr_size || total < hdr_size || total > max_size || total > 0x7fffffffU)
		return -ERR_INVAL;
	off_st = be32(h + H_OFF_STRUCT);
	off_str = be32(h + H_OFF_STRINGS);
	off_rsv = be32(h + H_OFF_RSVMAP);
	size_str = be32(h + H_SIZE_STRINGS);
	/* v16 has no size_dt_struct: the block may run to the end of the blob. */
	size_st = version >= 17 ? be32(h + H_SIZE_STRUCT) : (off_st <= total ? total - off_st : 0);
	if (off_st < hdr_size || (off_st & 3) || !in_range(off_st, size_st, total))
		return -ERR_INVAL;
	if (off_str < hdr_size || !in_range(off_str, size_str, total))
		return -ERR_INVAL;
	if (off_rsv < hdr_size || (off_rsv & 7) || !in_range(off_rsv, 16, total))
		return -ERR_INVAL;
	b->st = h + off_st;
	b->st_size = size_st;
	b->str = (const char *)h + off_str;
	b->str_size = size_str;
	return (int)total;
}

static int get_blocks(const struct fdt *fdt, struct blocks *b)
{
	if (!fdt || !fdt->blob)
		return -ERR_INVAL;
	if (fdt->checked == fdt->blob && fdt->checked_size == fdt->size) {
		*b = (struct blocks){fdt->st, fdt->st_size, fdt->str, fdt->str_size};
		return 0;
	}
	int ret = check_header(fdt->blob, fdt->size, b);
	return ret < 0 ? ret : 0;
}

/* Length of the NUL-terminated string at p within max bytes, or -1 if unterminated. */
static int str_len(const char *p, uint32_t max)
{
	size_t n = strnlen(p, max);
	return n < max ? (int)n : -1;
}

/* token() for a BEGIN_NODE at off: its name must end inside the block. Out of line: the other
 * tags then need no stack frame. */
static __attribute__((noinline)) int begin_node(const struct blocks *b, uint32_t off, uint32_t *tag,
						int *next)
{
	int n = str_len((const char *)b->st + off + 4, b->st_size - off - 4);

	if (n < 0)
		return -ERR_INVAL;
	*tag = FDT_BEGIN_NODE;
	*next = (int)ALIGN_UP((uint64_t)off + 4 + (uint64_t)n + 1, 4); /* < st_size < 2^31 */
	return 0;
}

/*
 * Decodes the token at off: its tag and the offset of the token after it.
 * Every byte the token spans (name, property value) is checked to be inside the block.
 */
static int token(const struct blocks *b, int off, uint32_t *tag, int *next)
{
	uint32_t t, len, uoff = (uint32_t)off, room;

	if (off < 0 || (uoff & 3) || uoff > b->st_size || b->st_size - uoff < 4)
		return -ERR_INVAL;
	room = b->st_size - uoff; /* >= 4 */
	t = be32(b->st + uoff);
	switch (t) {
	case FDT_PROP:
		if (room < 12)
			return -ERR_INVAL;
		len = be32(b->st + uoff + 4);
		if (len > room - 12)
			return -ERR_INVAL;
		*next = (int)ALIGN_UP((uint64_t)uoff + 12 + len, 4); /* end <= st_size < 2^31 */
		break;
	case FDT_BEGIN_NODE:
		return begin_node(b, uoff, tag, next);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		*next = (int)uoff + 4;
		break;
	default:
		return -ERR_INVAL;
	}
	*tag = t;
	return 0;
}

/* Skips NOPs (and properties if props) from off; returns the next other token and its tag. */
static int skip(const struct blocks *b, int off, uint32_t *tag, bool props)
{
	int next;

	for (;;) {
		int ret = token(b, off, tag, &next);
		if (ret < 0)
			return ret;
		if (*tag != FDT_NOP && (!props || *tag != FDT_PROP))
			return off;
		off = next;
	}
}

/* Checks that node is a BEGIN_NODE token; returns the offset just past its name. */
static int node_body(const struct blocks *b, int node)
{
	uint32_t tag;
	int next;
	int ret = token(b, node, &tag, &next);

	if (ret < 0)
		return ret;
	return tag == FDT_BEGIN_NODE ? next : -ERR_INVAL;
}

/* Offset just past node's END_NODE (the whole subtree skipped). */
static int skip_subtree(const struct blocks *b, int node)
{
	int depth = 0, off = node, next;
	uint32_t tag;

	do {
		int ret = token(b, off, &tag, &next);
		if (ret < 0)
			return ret;
		if (tag == FDT_BEGIN_NODE)
			depth++;
		else if (tag == FDT_END_NODE)
			depth--;
		else if (tag == FDT_END)
			return -ERR_INVAL;
		off = next;
	} while (depth > 0);
	return off;
}

/* Walks the whole structure block once: balanced nodes, one root, props with valid names. */
static int check_structure(const struct blocks *b)
{
	int off = 0, next, depth = 0;
	bool root_seen = false;
	uint32_t tag;

	for (;;) {
		int ret = token(b, off, &tag, &next);
		if (ret < 0)
			return ret;
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0 && root_seen)
				return -ERR_INVAL;
			if (++depth > FDT_MAX_DEPTH)
				return -ERR_RANGE;
			root_seen = true;
			break;
		case FDT_END_NODE:
			if (--depth < 0)
				return -ERR_INVAL;
			break;
		case FDT_PROP: {
			uint32_t nameoff = be32(b->st + off + 8);
			if (depth == 0 || nameoff >= b->str_size ||
			    str_len(b->str + nameoff, b->str_size - nameoff) < 0)
				return -ERR_INVAL;
			break;
		}
		case FDT_END:
			return depth == 0 && root_seen ? 0 : -ERR_INVAL;
		}
		off = next;
	}
}

int fdt_open(struct fdt *fdt, const void *blob, size_t max_size)
{
	struct blocks b;
	int total, ret;

	if (!fdt || !blob)
		return -ERR_INVAL;
	/* totalsize is 32-bit: nothing beyond it can be part of the blob. */
	if (max_size > UINT32_MAX)
		max_size = UINT32_MAX;
	total = check_header(blob, max_size, &b);
	if (total < 0)
		return total;
	ret = check_structure(&b);
	if (ret < 0)
		return ret;
	fdt->blob = blob;
	fdt->size = (uint32_t)total;
	fdt->checked = blob;
	fdt->checked_size = (uint32_t)total;
	fdt->st = b.st;
	fdt->st_size = b.st_size;
	fdt->str = b.str;
	fdt->str_size = b.str_size;
	return 0;
}

/* Blocks of fdt and the offset just past node's name (node must be a BEGIN_NODE token). */
static int open_node(const struct fdt *fdt, int node, struct blocks *b)
{
	int ret = get_blocks(fdt, b);

	return ret < 0 ? ret : node_body(b, node);
}

int fdt_root(const struct fdt *fdt)
{
	struct blocks b;
	uint32_t tag = 0;
	int off = get_blocks(fdt, &b);

	if (off >= 0)
		off = skip(&b, 0, &tag, false);
	if (off < 0)
		return off;
	return tag == FDT_BEGIN_NODE ? off : -ERR_INVAL;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	struct blocks b;
	uint32_t tag = 0;
	int off = open_node(fdt, node, &b);

	if (off >= 0)
		off = skip(&b, off, &tag, true);
	if (off < 0 || tag == FDT_BEGIN_NODE)
		return off;
	return tag == FDT_END_NODE ? -ERR_NOENT : -ERR_INVAL;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	struct blocks b;
	uint32_t tag = 0;
	int off = open_node(fdt, node, &b);

	if (off >= 0)
		off = skip_subtree(&b, node);
	if (off >= 0)
		off = skip(&b, off, &tag, false);
	if (off < 0 || tag == FDT_BEGIN_NODE)
		return off;
	/* END_NODE closes the parent; END follows the root, which has no siblings. */
	return tag == FDT_END_NODE || tag == FDT_END ? -ERR_NOENT : -ERR_INVAL;
}

/* Does a node name match name[0..len)? Exactly, or by base name when name has no '@'. */
static bool name_matches(const char *node_name, const char *name, size_t len)
{
	if (strncmp(node_name, name, len) != 0)
		return false;
	if (node_name[len] == '\0')
		return true;
	/* The prefix equals name, so name has no '@' iff the node name's first '@' is here. */
	return node_name[len] == '@' && strchr(node_name, '@') == node_name + len;
}

/* fdt_child() for a name that is not NUL-terminated (a path component). */
static int child_n(const struct fdt *fdt, int node, const char *name, size_t len)
{
	int child;

	for (child = fdt_first_child(fdt, node); child >= 0; child = fdt_next_sibling(fdt, child)) {
		const char *cn = fdt_name(fdt, child);
		if (!cn)
			return -ERR_INVAL;
		if (name_matches(cn, name, len))
			return child;
	}
	return child;
}

int fdt_child(const struct fdt *fdt, int node, const char *name)
{
	if (!name)
		return -ERR_INVAL;
	return child_n(fdt, node, name, strlen(name));
}

int fdt_path(const struct fdt *fdt, const char *path)
{
	int node = fdt_root(fdt);

	if (node < 0)
		return node;
	if (!path || path[0] != '/')
		return -ERR_INVAL; /* aliases are not supported */
	while (*path) {
		const char *end;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		end = strchr(path, '/');
		if (!end)
			end = path + strlen(path);
		node = child_n(fdt, node, path, (size_t)(end - path));
		if (node < 0)
			return node;
		path = end;
	}
	return node;
}

const char *fdt_name(const struct fdt *fdt, int node)
{
	struct blocks b;

	if (open_node(fdt, node, &b) < 0)
		return NULL;
	return (const char *)b.st + node + 4; /* termination checked by token() */
}

/*
 * Walks from the root to node, recording the offsets of its ancestors (root first).
 * Returns the number of ancestors, or an error if node is not a node of this tree.
 */
static int ancestors(const struct fdt *fdt, int node, int *stack, int max)
{
	struct blocks b;
	uint32_t tag;
	int depth = 0, off, next, ret = open_node(fdt, node, &b);

	if (ret < 0)
		return ret;
	if ((off = fdt_root(fdt)) < 0)
		return off;
	for (;;) {
		if ((ret = token(&b, off, &tag, &next)) < 0)
			return ret;
		if (tag == FDT_BEGIN_NODE) {
			if (off == node)
				return depth;
			if (depth >= max)
				return -ERR_RANGE;
			stack[depth++] = off;
		} else if (tag == FDT_END_NODE) {
			if (--depth < 0)
				return -ERR_NOENT;
		} else if (tag == FDT_END) {
			return -ERR_NOENT;
		}
		off = next;
	}
}

/* Parent of node, or -ERR_NOENT for the root. */
static int parent_of(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH];
	int n = ancestors(fdt, node, stack, FDT_MAX_DEPTH);

	if (n < 0)
		return n;
	return n == 0 ? -ERR_NOENT : stack[n - 1];
}

/* Appends s to buf at *pos, truncating but always terminating. */
static void append(char *buf, size_t len, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < len)
		buf[(*pos)++] = *s++;
	buf[*pos] = '\0';
}

const char *fdt_node_path(const struct fdt *fdt, int node, char *buf, size_t len)
{
	int stack[FDT_MAX_DEPTH];
	size_t pos = 0;
	int n;

	if (!buf || len == 0)
		return buf;
	buf[0] = '\0';
	n = ancestors(fdt, node, stack, FDT_MAX_DEPTH);
	if (n < 0) {
		append(buf, len, &pos, "?");
		return buf;
	}
	if (n == 0) {
		append(buf, len, &pos, "/");
		return buf;
	}
	/* stack[0] is the root, whose name is empty. */
	for (int i = 1; i <= n; i++) {
		append(buf, len, &pos, "/");
		append(buf, len, &pos, fdt_name(fdt, i < n ? stack[i] : node));
	}
	return buf;
}

const char *fdt_prop_at(const struct fdt *fdt, int prop, const void **val, int *len)
{
	struct blocks b;
	uint32_t tag, nameoff;
	int next;

	if (get_blocks(fdt, &b) < 0 || token(&b, prop, &tag, &next) < 0 || tag != FDT_PROP)
		return NULL;
	nameoff = be32(b.st + prop + 8);
	if (nameoff >= b.str_size || str_len(b.str + nameoff, b.str_size - nameoff) < 0)
		return NULL;
	if (val)
		*val = b.st + prop + 12;
	if (len)
		*len = (int)be32(b.st + prop + 4); /* bounded by st_size: token() checked it */
	return b.str + nameoff;
}

/* The property at or after off, skipping NOPs; -ERR_NOENT at the end of the node's properties. */
static int prop_from(const struct blocks *b, int off)
{
	uint32_t tag;

	off = skip(b, off, &tag, false);
	if (off < 0)
		return off;
	if (tag == FDT_PROP)
		return off;
	return tag == FDT_BEGIN_NODE || tag == FDT_END_NODE ? -ERR_NOENT : -ERR_INVAL;
}

int fdt_first_prop(const struct fdt *fdt, int node)
{
	struct blocks b;
	int off = open_node(fdt, node, &b);

	return off < 0 ? off : prop_from(&b, off);
}

int fdt_next_prop(const struct fdt *fdt, int prop)
{
	struct blocks b;
	uint32_t tag;
	int next, ret = get_blocks(fdt, &b);

	if (ret < 0)
		return ret;
	if ((ret = token(&b, prop, &tag, &next)) < 0)
		return ret;
	return tag == FDT_PROP ? prop_from(&b, next) : -ERR_INVAL;
}

/*
 * Is the string at s (at most max bytes, maybe unterminated) equal to name? 1 if so, 0 if not,
 * -1 if s runs out before its NUL while it still matched.
 */
static int name_is(const char *s, uint32_t max, const char *name)
{
	for (uint32_t i = 0; i < max; i++) {
		if (s[i] != name[i])
			return 0;
		if (!name[i])
			return 1;
	}
	return -1;
}

/*
 * One walk over the node's properties, each token decoded and bounds-checked once and each
 * name compared in place: this runs for every node of a compatible search.
 */
const void *fdt_prop(const struct fdt *fdt, int node, const char *name, int *len)
{
	struct blocks b;
	uint32_t tag, nameoff;
	int dummy, off, next, ret;

	if (!len)
		len = &dummy;
	if (!name) {
		*len = -ERR_INVAL;
		return NULL;
	}
	for (off = open_node(fdt, node, &b); off >= 0; off = next) {
		if ((ret = token(&b, off, &tag, &next)) < 0) {
			off = ret;
			break;
		}
		if (tag == FDT_NOP)
			continue;
		if (tag != FDT_PROP) {
			off =
			    tag == FDT_BEGIN_NODE || tag == FDT_END_NODE ? -ERR_NOENT : -ERR_INVAL;
			break;
		}
		nameoff = be32(b.st + off + 8);
		ret = nameoff < b.str_size ? name_is(b.str + nameoff, b.str_size - nameoff, name)
					   : -1;
		if (ret < 0) {
			off = -ERR_INVAL;
			break;
		}
		if (ret) {
			*len =
			    (int)be32(b.st + off + 4); /* bounded by st_size: token() checked it */
			return b.st + off + 12;
		}
	}
	*len = off;
	return NULL;
}

bool fdt_has_prop(const struct fdt *fdt, int node, const char *name)
{
	int len;

	return fdt_prop(fdt, node, name, &len) != NULL;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	int len;
	const char *list = fdt_prop(fdt, node, "compatible", &len);
	size_t clen;

	if (!list || !compat)
		return false;
	clen = strlen(compat);
	/* A string list: each entry NUL-terminated; an unterminated tail matches nothing. */
	while (len > 0) {
		int n = str_len(list, (uint32_t)len);
		if (n < 0)
			return false;
		if ((size_t)n == clen && memcmp(list, compat, clen) == 0)
			return true;
		list += n + 1;
		len -= n + 1;
	}
	return false;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
	struct blocks b;
	uint32_t tag;
	int off, next, ret = get_blocks(fdt, &b);

	if (ret < 0)
		return ret;
	if (from < 0) {
		off = 0;
	} else {
		if ((ret = token(&b, from, &tag, &next)) < 0)
			return ret;
		if (tag != FDT_BEGIN_NODE)
			return -ERR_INVAL;
		off = next;
	}
	/* Document order is token order, so a linear scan of BEGIN_NODE tokens suffices. */
	for (;;) {
		if ((ret = token(&b, off, &tag, &next)) < 0)
			return ret;
		if (tag == FDT_END)
			return -ERR_NOENT;
		if (tag == FDT_BEGIN_NODE && fdt_is_compatible(fdt, off, compat))
			return off;
		off = next;
	}
}

int fdt_read_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out)
{
	int len;
	const void *val = fdt_prop(fdt, node, name, &len);

	if (!val)
		return len;
	if (len != 4)
		return -ERR_INVAL;
	*out = be32(val);
	return 0;
}

int fdt_read_string(const struct fdt *fdt, int node, const char *name, const char **out)
{
	int len;
	const char *val = fdt_prop(fdt, node, name, &len);

	if (!val)
		return len;
	if (len <= 0 || str_len(val, (uint32_t)len) < 0)
		return -ERR_INVAL;
	*out = val;
	return 0;
}

static uint32_t cells_or(const struct fdt *fdt, int node, const char *name, uint32_t dflt)
{
	uint32_t v = 0;

	return fdt_read_u32(fdt, node, name, &v) == 0 ? v : dflt;
}

uint32_t fdt_address_cells(const struct fdt *fdt, int node)
{
	return cells_or(fdt, node, "#address-cells", 2);
}

uint32_t fdt_size_cells(const struct fdt *fdt, int node)
{
	return cells_or(fdt, node, "#size-cells", 1);
}

int fdt_read_reg(const struct fdt *fdt, int node, int idx, uint64_t *addr, uint64_t *size)
{
	uint32_t ac = 2, sc = 1, entry;
	int len, parent = parent_of(fdt, node);
	const uint8_t *reg;

	if (parent >= 0) {
		ac = fdt_address_cells(fdt, parent);
		sc = fdt_size_cells(fdt, parent);
	} else if (parent != -ERR_NOENT) {
		return parent;
	}
	/* Wider cells would not fit the u64 results; zero address cells make reg meaningless. */
	if (ac < 1 || ac > 2 || sc > 2)
		return -ERR_INVAL;
	reg = fdt_prop(fdt, node, "reg", &len);
	if (!reg)
		return len;
	entry = 4 * (ac + sc);
	if ((uint32_t)len % entry)
		return -ERR_INVAL;
	if (idx < 0 || (uint64_t)idx >= (uint32_t)len / entry)
		return -ERR_NOENT;
	reg += (uint32_t)idx * entry;
	if (addr)
		*addr = fdt_read_cells(reg, ac);
	if (size)
		*size = fdt_read_cells(reg + 4 * ac, sc);
	return 0;
}
