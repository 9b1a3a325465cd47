/* The flattened-device-tree walker (devicetree specification v0.4, chapter 5). */
#include <common/fdt_tokens.h>

#include "fdt.h"

uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t fdt_cells(const void *p, uint32_t cells)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells && i < 2; i++)
		v = v << 32 | fdt_be32(b + 4 * i);
	return v;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int fdt_open(struct fdt *f, const void *blob)
{
	const uint8_t *b = blob;

	if (!b || ((uintptr_t)b & 3) || fdt_be32(b) != FDT_MAGIC)
		return -1;
	f->blob = b;
	f->size = fdt_be32(b + 4);
	f->struct_off = fdt_be32(b + 8);
	f->strings_off = fdt_be32(b + 12);
	f->strings_size = fdt_be32(b + 32);
	f->struct_size = fdt_be32(b + 36);
	if (fdt_be32(b + 20) < 17 || f->size < 40 || f->struct_off > f->size ||
	    f->struct_size > f->size - f->struct_off || f->strings_off > f->size ||
	    f->strings_size > f->size - f->strings_off || (f->struct_off & 3))
		return -1;
	return 0;
}

void fdt_iter_init(struct fdt_iter *it)
{
	it->pos = 0;
	it->depth = 0;
	it->ac[0] = 2;
	it->sc[0] = 1;
}

static bool tok_at(const struct fdt *f, uint32_t pos, uint32_t *tok)
{
	if (pos > f->struct_size || f->struct_size - pos < 4)
		return false;
	*tok = fdt_be32(f->blob + f->struct_off + pos);
	return true;
}

/* Length of the NUL-terminated string at structure offset pos, or -1 if it runs off the end. */
static int64_t name_len(const struct fdt *f, uint32_t pos)
{
	const uint8_t *s = f->blob + f->struct_off;

	for (uint32_t i = pos; i < f->struct_size; i++)
		if (!s[i])
			return i - pos;
	return -1;
}

static const char *prop_name(const struct fdt *f, uint32_t nameoff)
{
	const char *s = (const char *)f->blob + f->strings_off;

	if (nameoff >= f->strings_size)
		return NULL;
	for (uint32_t i = nameoff; i < f->strings_size; i++)
		if (!s[i])
			return s + nameoff;
	return NULL;
}

/* Validates the property at pos; returns the offset after it, or 0 if malformed. */
static uint32_t prop_at(const struct fdt *f, uint32_t pos, const char **name, const void **val,
			uint32_t *len)
{
	uint32_t l, nameoff;

	if (!tok_at(f, pos + 4, &l) || !tok_at(f, pos + 8, &nameoff))
		return 0;
	if (l > f->struct_size - pos - 12)
		return 0;
	*name = prop_name(f, nameoff);
	if (!*name)
		return 0;
	*val = f->blob + f->struct_off + pos + 12;
	*len = l;
	return pos + 12 + ((l + 3) & ~3U);
}

int fdt_next_node(const struct fdt *f, struct fdt_iter *it, struct fdt_node *n)
{
	uint32_t tok;

	while (tok_at(f, it->pos, &tok)) {
		if (tok == FDT_BEGIN_NODE) {
			int64_t l = name_len(f, it->pos + 4);

			if (l < 0 || it->depth >= FDT_MAX_DEPTH)
				return -1;
			it->depth++;
			it->ac[it->depth] = 2; /* defaults for its children (spec 2.3.5) */
			it->sc[it->depth] = 1;
			n->name = (const char *)f->blob + f->struct_off + it->pos + 4;
			n->depth = it->depth;
			n->addr_cells = it->ac[it->depth - 1];
			n->size_cells = it->sc[it->depth - 1];
			it->pos += 4 + (((uint32_t)l + 1 + 3) & ~3U);
			n->props = it->pos;
			return 1;
		} else if (tok == FDT_PROP) {
			const char *name;
			const void *val;
			uint32_t len, next = prop_at(f, it->pos, &name, &val, &len);

			if (!next || it->depth < 1)
				return -1;
			if (len == 4 && str_eq(name, "#address-cells"))
				it->ac[it->depth] = (uint8_t)fdt_be32(val);
			else if (len == 4 && str_eq(name, "#size-cells"))
				it->sc[it->depth] = (uint8_t)fdt_be32(val);
			it->pos = next;
		} else if (tok == FDT_END_NODE) {
			if (it->depth < 1)
				return -1;
			it->depth--;
			it->pos += 4;
		} else if (tok == FDT_NOP) {
			it->pos += 4;
		} else if (tok == FDT_END) {
			return 0;
		} else {
			return -1;
		}
	}
	return -1;
}

const void *fdt_prop(const struct fdt *f, const struct fdt_node *n, const char *name, uint32_t *len)
{
	uint32_t pos = n->props, tok;

	while (tok_at(f, pos, &tok)) {
		const char *pname;
		const void *val;
		uint32_t l, next;

		if (tok == FDT_NOP) {
			pos += 4;
			continue;
		}
		if (tok != FDT_PROP)
			break;
		next = prop_at(f, pos, &pname, &val, &l);
		if (!next)
			break;
		if (str_eq(pname, name)) {
			if (len)
				*len = l;
			return val;
		}
		pos = next;
	}
	return NULL;
}

bool fdt_prop_has(const struct fdt *f, const struct fdt_node *n, const char *name, const char *s)
{
	uint32_t len, i = 0;
	const char *v = fdt_prop(f, n, name, &len);

	while (v && i < len) {
		uint32_t j = i;

		while (j < len && v[j])
			j++;
		if (j == len)
			break; /* unterminated */
		if (str_eq(v + i, s))
			return true;
		i = j + 1;
	}
	return false;
}

bool fdt_node_enabled(const struct fdt *f, const struct fdt_node *n)
{
	uint32_t len;
	const char *s = fdt_prop(f, n, "status", &len);

	return !s || fdt_prop_has(f, n, "status", "okay") || fdt_prop_has(f, n, "status", "ok");
}

bool fdt_name_is(const struct fdt_node *n, const char *base)
{
	const char *a = n->name;

	while (*a && *a != '@' && *a == *base) {
		a++;
		base++;
	}
	return (*a == '\0' || *a == '@') && *base == '\0';
}
