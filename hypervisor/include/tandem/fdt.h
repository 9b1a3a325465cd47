/* Flattened device tree: a small reader and a sequential writer (no libfdt in EL2). */
#ifndef TANDEM_FDT_H
#define TANDEM_FDT_H

#include <tandem/types.h>

/*
 * Reader. Nodes are named by their offset into the structure block (as in the
 * DTB spec); negative offsets are ERR_* codes. All functions validate bounds,
 * so a malformed blob yields errors, never out-of-bounds reads.
 */
struct fdt {
	const uint8_t *blob;
	uint32_t size; /* totalsize from the header, already bounds-checked */
	/*
	 * The blocks fdt_open found valid in this blob (a blob is never written once opened), so
	 * that accessors need not decode the header again; used only while blob and size are
	 * still the ones opened (checked), else every access re-checks the header.
	 */
	const uint8_t *checked;
	uint32_t checked_size;
	const uint8_t *st;
	const char *str;
	uint32_t st_size, str_size;
};

/* Validates the header (magic, version >= 16, block bounds) and fills *fdt. */
int fdt_open(struct fdt *fdt, const void *blob, size_t max_size);
/* Offset of the root node. */
int fdt_root(const struct fdt *fdt);
/* First child of node, or -ERR_NOENT. */
int fdt_first_child(const struct fdt *fdt, int node);
/* Next sibling of node, or -ERR_NOENT. */
int fdt_next_sibling(const struct fdt *fdt, int node);
/* Child of node with exactly this name ("cpu@0") or, if name has no '@', this base name. */
int fdt_child(const struct fdt *fdt, int node, const char *name);
/* Node at an absolute path such as "/vms/linux", or -ERR_NOENT. */
int fdt_path(const struct fdt *fdt, const char *path);
/* Node name including unit address ("" for the root), or NULL on error. */
const char *fdt_name(const struct fdt *fdt, int node);
/* Writes the absolute path of node into buf (truncated safely); returns buf. */
const char *fdt_node_path(const struct fdt *fdt, int node, char *buf, size_t len);
/* Property value and length, or NULL (len set to -ERR_NOENT). */
const void *fdt_prop(const struct fdt *fdt, int node, const char *name, int *len);
/* True if the property exists (boolean properties like "direct-map;"). */
bool fdt_has_prop(const struct fdt *fdt, int node, const char *name);
/* Iterate over properties: first/next return a property offset or -ERR_NOENT. */
int fdt_first_prop(const struct fdt *fdt, int node);
int fdt_next_prop(const struct fdt *fdt, int prop);
/* Name, value and length of the property at offset prop. */
const char *fdt_prop_at(const struct fdt *fdt, int prop, const void **val, int *len);
/* True if the node's "compatible" list contains compat. */
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* Next node after "from" (-1: start) in document order whose compatible matches. */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);
/* Reads a u32 property; -ERR_NOENT if absent, -ERR_INVAL if not 4 bytes. */
int fdt_read_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out);
/* Reads a NUL-terminated string property; -ERR_INVAL if not terminated. */
int fdt_read_string(const struct fdt *fdt, int node, const char *name, const char **out);
/* #address-cells / #size-cells that apply to the children of node (defaults 2 / 1). */
uint32_t fdt_address_cells(const struct fdt *fdt, int node);
uint32_t fdt_size_cells(const struct fdt *fdt, int node);
/* Reads entry idx of a "reg"-style property of node (cells from its parent). */
int fdt_read_reg(const struct fdt *fdt, int node, int idx, uint64_t *addr, uint64_t *size);
/* Big-endian cell helpers. */
uint32_t fdt32_to_cpu(uint32_t be);
uint64_t fdt_read_cells(const void *p, uint32_t ncells);

/*
 * Writer: builds a DTB front to back into a caller-provided buffer. Errors
 * (overflow, unbalanced nodes) are sticky and reported by fdt_w_finish.
 */
struct fdt_writer {
	uint8_t *buf;
	size_t cap;
	size_t struct_len; /* bytes of structure block written so far */
	size_t strings_len;
	int depth;
	int err;
	bool after_child; /* a subnode was closed: properties may no longer follow (DT spec 5.4) */
	/* Structure and strings are built in the two halves of buf, joined at finish. */
	uint8_t *strings;
	size_t strings_cap;
};

/* Starts a blob in buf: header + structure must fit cap/2, the strings the other half. */
void fdt_w_init(struct fdt_writer *w, void *buf, size_t cap);
void fdt_w_begin_node(struct fdt_writer *w, const char *name);
void fdt_w_end_node(struct fdt_writer *w);
void fdt_w_prop(struct fdt_writer *w, const char *name, const void *val, size_t len);
void fdt_w_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
void fdt_w_prop_u64(struct fdt_writer *w, const char *name, uint64_t v);
/* Property of n big-endian u32 cells. */
void fdt_w_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n);
void fdt_w_prop_string(struct fdt_writer *w, const char *name, const char *s);
/* A list of strings given as "a\0b\0" with total length len (including final NUL). */
void fdt_w_prop_strings(struct fdt_writer *w, const char *name, const char *s, size_t len);
void fdt_w_prop_empty(struct fdt_writer *w, const char *name);
/* Finishes the blob; returns its total size or a negative ERR_* code. The writer is then spent. */
int fdt_w_finish(struct fdt_writer *w);

#endif
