/* Access to the boot bundle that carries the system description and guest images. */
#ifndef TANDEM_BUNDLE_H
#define TANDEM_BUNDLE_H

#include <tandem/types.h>

/* Validates the bundle at data (size bytes) and remembers it. */
int bundle_open(const void *data, uint64_t size);
/* cfg_image_lookup_fn: an entry by exact name. */
int bundle_find(void *ctx, const char *name, const void **data, size_t *size);

#endif
