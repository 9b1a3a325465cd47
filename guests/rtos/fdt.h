/*
 * A small read-only flattened-device-tree walker: depth-first over nodes, properties by name,
 * each node's parent #address-cells/#size-cells tracked on the way. Every read is checked against
 * the blob's header, and only byte loads touch the blob, so it also runs with the MMU off.
 */
#ifndef RTOS_FDT_H
#define RTOS_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_DEPTH 16

struct fdt {
	const uint8_t *blob;
	uint32_t size;
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
};

struct fdt_node {
	const char *name; /* "" for the root, else "name@unit" */
	uint32_t props;	  /* offset of its first property token within the structure block */
	int depth;	  /* 1 for the root */
	uint32_t addr_cells, size_cells; /* the parent's: how to read this node's "reg" */
};

struct fdt_iter {
	uint32_t pos;
	int depth;
	uint8_t ac[FDT_MAX_DEPTH + 1], sc[FDT_MAX_DEPTH + 1];
};

/* Checks the header; returns 0 or -1. */
int fdt_open(struct fdt *f, const void *blob);
void fdt_iter_init(struct fdt_iter *it);
/* The next node in document order: 1 and *n filled, 0 at the end, -1 on a malformed blob. */
int fdt_next_node(const struct fdt *f, struct fdt_iter *it, struct fdt_node *n);
/* A property's value and length, or NULL. */
const void *fdt_prop(const struct fdt *f, const struct fdt_node *n, const char *name,
		     uint32_t *len);
/* True if the string-list property `name` contains `s` (e.g. "compatible"). */
bool fdt_prop_has(const struct fdt *f, const struct fdt_node *n, const char *name, const char *s);
/* Reads `cells` (1 or 2) big-endian cells at p. */
uint64_t fdt_cells(const void *p, uint32_t cells);
uint32_t fdt_be32(const void *p);
/* True unless status = "disabled" (or anything but "okay"/"ok"). */
bool fdt_node_enabled(const struct fdt *f, const struct fdt_node *n);
/* Node name without the unit address equals `base` ("memory" matches "memory@40000000"). */
bool fdt_name_is(const struct fdt_node *n, const char *base);

#endif
