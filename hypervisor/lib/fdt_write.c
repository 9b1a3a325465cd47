/*
 * Sequential DTB writer (v17): builds the blob a guest boots with, front to back.
 * Errors are sticky so callers can emit a whole tree and check once, at fdt_w_finish().
 */
#include <common/fdt_tokens.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/string.h>

/*
 * Blob layout: 40-byte v17 header, the memory reservation map (just its 16-byte
 * terminator, 8-aligned right after the header), structure block, strings block.
 */
#define W_RSVMAP_OFF 40U
#define W_STRUCT_OFF 56U
#define W_MAX_SIZE   0x7fffffffU /* readers index the blob with ints */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void fail(struct fdt_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Reserves n bytes at the end of the structure block; NULL (and a sticky error) if full. */
static uint8_t *st_reserve(struct fdt_writer *w, size_t n)
{
	size_t st_cap;
	uint8_t *p;

	if (w->err)
		return NULL;
	st_cap = (size_t)(w->strings - w->buf) - W_STRUCT_OFF;
	if (n > st_cap - w->struct_len) {
		fail(w, -ERR_NOMEM);
		return NULL;
	}
	p = w->buf + W_STRUCT_OFF + w->struct_len;
	w->struct_len += n;
	return p;
}

/* Appends a token word followed by len bytes of data, zero-padded to 4 bytes. */
static uint8_t *st_put(struct fdt_writer *w, uint32_t tag, const void *data, size_t len)
{
	size_t padded = ALIGN_UP(len, 4);
	uint8_t *p;

	if (len > W_MAX_SIZE || !(p = st_reserve(w, 4 + padded)))
		return NULL;
	put32(p, tag);
	if (len)
		memcpy(p + 4, data, len);
	memset(p + 4 + len, 0, padded - len);
	return p;
}

void fdt_w_init(struct fdt_writer *w, void *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	if (cap > W_MAX_SIZE)
		cap = W_MAX_SIZE;
	w->cap = cap;
	/* Room for at least the header, an empty root and its END in the structure half. */
	if (!buf || cap / 2 < W_STRUCT_OFF + 16) {
		w->err = buf ? -ERR_NOMEM : -ERR_INVAL;
		return;
	}
	w->strings = w->buf + cap / 2;
	w->strings_cap = cap - cap / 2;
}

void fdt_w_begin_node(struct fdt_writer *w, const char *name)
{
	size_t len;

	if (w->err)
		return;
	if (!name) {
		fail(w, -ERR_INVAL);
		return;
	}
	len = strlen(name);
	/* The root is the one node named "" and the first thing written; others need a name. */
	if (w->depth == 0 ? (len != 0 || w->struct_len != 0) : (len == 0 || strchr(name, '/'))) {
		fail(w, -ERR_INVAL);
		return;
	}
	if (st_put(w, FDT_BEGIN_NODE, name, len + 1)) {
		w->depth++;
		w->after_child = false;
	}
}

void fdt_w_end_node(struct fdt_writer *w)
{
	if (w->err)
		return;
	if (w->depth <= 0) {
		fail(w, -ERR_INVAL);
		return;
	}
	if (st_put(w, FDT_END_NODE, NULL, 0)) {
		w->depth--;
		w->after_child = true;
	}
}

/* Offset of name in the strings block, adding it unless an identical entry exists. */
static int string_offset(struct fdt_writer *w, const char *name)
{
	size_t len = strlen(name) + 1, off = 0;

	while (off < w->strings_len) {
		const char *s = (const char *)w->strings + off;
		size_t n = strlen(s) + 1; /* every entry we add is terminated */
		if (n == len && memcmp(s, name, len) == 0)
			return (int)off;
		off += n;
	}
	if (len > w->strings_cap - w->strings_len) {
		fail(w, -ERR_NOMEM);
		return -ERR_NOMEM;
	}
	memcpy(w->strings + w->strings_len, name, len);
	w->strings_len += len;
	return (int)off;
}

/* Writes a property's token, length and name, zero-pads its value; returns where the value goes. */
static uint8_t *prop_begin(struct fdt_writer *w, const char *name, size_t len)
{
	size_t padded = ALIGN_UP(len, 4);
	uint8_t *p;
	int nameoff;

	if (w->err)
		return NULL;
	/* Properties belong to a node and precede its subnodes (DT spec 5.4.1). */
	if (!name || !*name || w->depth <= 0 || w->after_child || len > W_MAX_SIZE) {
		fail(w, -ERR_INVAL);
		return NULL;
	}
	nameoff = string_offset(w, name);
	if (nameoff < 0 || !(p = st_reserve(w, 12 + padded)))
		return NULL;
	put32(p, FDT_PROP);
	put32(p + 4, (uint32_t)len);
	put32(p + 8, (uint32_t)nameoff);
	memset(p + 12 + len, 0, padded - len);
	return p + 12;
}

void fdt_w_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
	uint8_t *p;

	if (len && !val) {
		fail(w, -ERR_INVAL);
		return;
	}
	p = prop_begin(w, name, len);
	if (p && len)
		memcpy(p, val, len);
}

void fdt_w_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	fdt_w_prop(w, name, b, sizeof(b));
}

void fdt_w_prop_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
	uint8_t b[8];

	put32(b, (uint32_t)(v >> 32));
	put32(b + 4, (uint32_t)v);
	fdt_w_prop(w, name, b, sizeof(b));
}

void fdt_w_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n)
{
	uint8_t *p;

	if (n > W_MAX_SIZE / 4 || (n && !cells)) {
		fail(w, -ERR_INVAL);
		return;
	}
	/* Convert straight into the blob: no bounce buffer for long cell lists. */
	p = prop_begin(w, name, 4 * n);
	for (size_t i = 0; p && i < n; i++)
		put32(p + 4 * i, cells[i]);
}

void fdt_w_prop_string(struct fdt_writer *w, const char *name, const char *s)
{
	if (!s) {
		fail(w, -ERR_INVAL);
		return;
	}
	fdt_w_prop(w, name, s, strlen(s) + 1);
}

void fdt_w_prop_strings(struct fdt_writer *w, const char *name, const char *s, size_t len)
{
	/* A string list must end with its NUL, or readers would run into the padding. */
	if (!s || len == 0 || s[len - 1] != '\0') {
		fail(w, -ERR_INVAL);
		return;
	}
	fdt_w_prop(w, name, s, len);
}

void fdt_w_prop_empty(struct fdt_writer *w, const char *name)
{
	fdt_w_prop(w, name, NULL, 0);
}

int fdt_w_finish(struct fdt_writer *w)
{
	uint32_t off_strings, total;
	uint8_t *h = w->buf;

	if (w->err)
		return w->err;
	if (w->depth != 0 || w->struct_len == 0) {
		fail(w, -ERR_INVAL); /* unbalanced, or no root node */
		return w->err;
	}
	if (!st_put(w, FDT_END, NULL, 0))
		return w->err;
	/* Join the halves: strings move down to sit right after the structure block. */
	off_strings = W_STRUCT_OFF + (uint32_t)w->struct_len;
	memmove(h + off_strings, w->strings, w->strings_len);
	total = off_strings + (uint32_t)w->strings_len;

	put32(h + 0, FDT_MAGIC);
	put32(h + 4, total);
	put32(h + 8, W_STRUCT_OFF);
	put32(h + 12, off_strings);
	put32(h + 16, W_RSVMAP_OFF);
	put32(h + 20, 17);			 /* version */
	put32(h + 24, 16);			 /* last compatible version */
	put32(h + 28, 0);			 /* boot_cpuid_phys */
	put32(h + 32, (uint32_t)w->strings_len); /* size_dt_strings */
	put32(h + 36, (uint32_t)w->struct_len);	 /* size_dt_struct */
	memset(h + W_RSVMAP_OFF, 0, 16);	 /* empty reservation map: one zero entry */

	/* The strings half no longer holds the strings: refuse further writes. */
	w->err = -ERR_BUSY;
	return (int)total;
}
