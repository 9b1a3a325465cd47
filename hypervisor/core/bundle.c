/* The boot bundle (abi/bundle.h): the system description and guest images, found by name. */
#include <tandem/abi/bundle.h>
#include <tandem/arch.h>
#include <tandem/bundle.h>
#include <tandem/errno.h>
#include <tandem/string.h>

static const uint8_t *bundle;
static uint64_t bundle_size;
static const struct bundle_entry *entries;
static uint32_t nr_entries;

int bundle_open(const void *data, uint64_t size)
{
	const struct bundle_header *h = data;

	if (size < sizeof(*h) || memcmp(h->magic, BUNDLE_MAGIC, 8) != 0 ||
	    h->version != BUNDLE_VERSION)
		return -ERR_INVAL;
	if (h->total_size > size || h->nr_entries == 0 ||
	    h->nr_entries > (size - sizeof(*h)) / sizeof(struct bundle_entry))
		return -ERR_INVAL;
	entries = (const struct bundle_entry *)(h + 1);
	for (uint32_t i = 0; i < h->nr_entries; i++) {
		const struct bundle_entry *e = &entries[i];

		if (strnlen(e->name, BUNDLE_NAME_MAX) == BUNDLE_NAME_MAX || e->offset > size ||
		    e->size > size - e->offset)
			return -ERR_INVAL;
	}
	bundle = data;
	bundle_size = size;
	nr_entries = h->nr_entries;
	return 0;
}

int bundle_find(void *ctx, const char *name, const void **data, size_t *size)
{
	(void)ctx;
	for (uint32_t i = 0; i < nr_entries; i++) {
		if (!strcmp(entries[i].name, name)) {
			*data = bundle + entries[i].offset;
			*size = entries[i].size;
			return 0;
		}
	}
	return -ERR_NOENT;
}
