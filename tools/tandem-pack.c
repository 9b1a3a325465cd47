/*
 * tandem-pack: packs a compiled system description and every guest image it names into one
 * boot bundle (hypervisor/include/tandem/abi/bundle.h), which QEMU then loads as the initrd.
 *
 *   tandem-pack [--base-dir DIR] -o bundle.bin system.dtb
 *
 * Entry 0 is the description itself; then one entry per distinct string value of the image
 * properties (kernel, initrd, dtb) of the nodes under /vms, named exactly as written. Relative
 * names are read from DIR (default: the folder of system.dtb), absolute ones as they are. A file
 * that cannot be read is reported and left out: the hypervisor then refuses the description.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hypervisor/include/tandem/abi/bundle.h"

#define MAX_ENTRIES 64

static const char *const image_props[] = {"kernel", "initrd", "dtb"};

struct blob {
	char name[BUNDLE_NAME_MAX];
	unsigned char *data;
	size_t size;
};

static struct blob entries[MAX_ENTRIES];
static unsigned int nr_entries;

static void usage(void)
{
	fprintf(stderr, "usage: tandem-pack [--base-dir DIR] -o OUTPUT system.dtb\n");
	exit(2);
}

/* Reads a whole file; returns NULL (errno set) on failure. */
static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0;
	size_t cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : (size_t)1 << 20;
			unsigned char *nbuf = realloc(buf, ncap);

			if (!nbuf) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nbuf;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0) {
			if (ferror(f)) {
				int err = errno ? errno : EIO;

				free(buf);
				fclose(f);
				errno = err;
				return NULL;
			}
			break;
		}
	}
	fclose(f);
	*size = len;
	return buf;
}

static int have_entry(const char *name)
{
	for (unsigned int i = 0; i < nr_entries; i++)
		if (strcmp(entries[i].name, name) == 0)
			return 1;
	return 0;
}

static void add_entry(const char *name, unsigned char *data, size_t size)
{
	if (nr_entries == MAX_ENTRIES) {
		fprintf(stderr, "tandem-pack: more than %d images\n", MAX_ENTRIES);
		exit(1);
	}
	snprintf(entries[nr_entries].name, sizeof(entries[nr_entries].name), "%s", name);
	entries[nr_entries].data = data;
	entries[nr_entries].size = size;
	nr_entries++;
}

/* Packs the image named by one property of /vms/<node>, if it is a string we can read. */
static void pack_image(const void *fdt, int node, const char *node_name, const char *prop,
		       const char *base_dir)
{
	int len;
	const char *val = fdt_getprop(fdt, node, prop, &len);
	char path[4096];
	unsigned char *data;
	size_t size;
	int n;

	if (!val)
		return;
	/* Malformed values are the hypervisor's to reject, with its own config: line. */
	if (len < 2 || val[len - 1] != '\0' || strlen(val) != (size_t)len - 1) {
		fprintf(stderr, "tandem-pack: warning: /vms/%s: %s: not a string, not packed\n",
			node_name, prop);
		return;
	}
	if (have_entry(val))
		return;
	if (strlen(val) >= BUNDLE_NAME_MAX) {
		fprintf(stderr,
			"tandem-pack: warning: /vms/%s: %s: name \"%s\" longer than %d bytes, "
			"not packed\n",
			node_name, prop, val, BUNDLE_NAME_MAX - 1);
		return;
	}
	if (val[0] == '/')
		n = snprintf(path, sizeof(path), "%s", val);
	else
		n = snprintf(path, sizeof(path), "%s/%s", base_dir, val);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "tandem-pack: warning: /vms/%s: %s: path too long, not packed\n",
			node_name, prop);
		return;
	}
	data = read_file(path, &size);
	if (!data) {
		fprintf(stderr,
			"tandem-pack: warning: /vms/%s: %s: cannot read %s: %s, not packed\n",
			node_name, prop, path, strerror(errno));
		return;
	}
	add_entry(val, data, size);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t align_up(uint64_t v)
{
	return (v + BUNDLE_ALIGN - 1) & ~(uint64_t)(BUNDLE_ALIGN - 1);
}

static int write_bundle(const char *out)
{
	uint64_t offsets[MAX_ENTRIES] = {0};
	uint64_t pos = sizeof(struct bundle_header) + nr_entries * sizeof(struct bundle_entry);
	unsigned char hdr[sizeof(struct bundle_header)] = {0};
	static const unsigned char zeros[BUNDLE_ALIGN];
	char tmp[4200];
	FILE *f;

	for (unsigned int i = 0; i < nr_entries; i++) {
		pos = align_up(pos);
		offsets[i] = pos;
		pos += entries[i].size;
	}
	pos = align_up(pos);

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "wb");
	if (!f) {
		fprintf(stderr, "tandem-pack: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	/* The magic fills its 8 bytes: no terminating NUL by design. */
	memcpy(hdr, BUNDLE_MAGIC, 8); // NOLINT(bugprone-not-null-terminated-result)
	put_le32(hdr + 8, BUNDLE_VERSION);
	put_le32(hdr + 12, nr_entries);
	put_le64(hdr + 16, pos);
	fwrite(hdr, 1, sizeof(hdr), f);
	for (unsigned int i = 0; i < nr_entries; i++) {
		unsigned char ent[sizeof(struct bundle_entry)] = {0};

		memcpy(ent, entries[i].name, strlen(entries[i].name));
		put_le64(ent + BUNDLE_NAME_MAX, offsets[i]);
		put_le64(ent + BUNDLE_NAME_MAX + 8, entries[i].size);
		fwrite(ent, 1, sizeof(ent), f);
	}
	uint64_t at = sizeof(struct bundle_header) + nr_entries * sizeof(struct bundle_entry);
	for (unsigned int i = 0; i <= nr_entries; i++) {
		uint64_t target = i < nr_entries ? offsets[i] : pos;

		while (at < target) {
			uint64_t n = target - at > BUNDLE_ALIGN ? BUNDLE_ALIGN : target - at;

			fwrite(zeros, 1, n, f);
			at += n;
		}
		if (i < nr_entries) {
			fwrite(entries[i].data, 1, entries[i].size, f);
			at += entries[i].size;
		}
	}
	if (ferror(f) || fclose(f) != 0 || rename(tmp, out) != 0) {
		fprintf(stderr, "tandem-pack: writing %s failed: %s\n", out, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *base_dir = NULL;
	const char *out = NULL;
	const char *dtb_path = NULL;
	char dir_buf[4096];
	unsigned char *dtb;
	size_t dtb_size;
	int vms;
	int node;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--base-dir") == 0 && i + 1 < argc)
			base_dir = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-')
			usage();
		else if (!dtb_path)
			dtb_path = argv[i];
		else
			usage();
	}
	if (!out || !dtb_path)
		usage();
	if (!base_dir) {
		const char *slash = strrchr(dtb_path, '/');

		if (slash)
			snprintf(dir_buf, sizeof(dir_buf), "%.*s", (int)(slash - dtb_path),
				 dtb_path);
		else
			snprintf(dir_buf, sizeof(dir_buf), ".");
		base_dir = dir_buf[0] ? dir_buf : "/";
	}

	dtb = read_file(dtb_path, &dtb_size);
	if (!dtb) {
		fprintf(stderr, "tandem-pack: %s: %s\n", dtb_path, strerror(errno));
		return 1;
	}
	err = dtb_size < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_header(dtb);
	if (err == 0 && fdt_totalsize(dtb) > dtb_size)
		err = -FDT_ERR_TRUNCATED;
	if (err) {
		fprintf(stderr, "tandem-pack: %s: not a valid DTB: %s\n", dtb_path,
			fdt_strerror(err));
		return 1;
	}
	add_entry(BUNDLE_SYSTEM_DTB, dtb, dtb_size);

	vms = fdt_path_offset(dtb, "/vms");
	if (vms >= 0) {
		fdt_for_each_subnode(node, dtb, vms)
		{
			const char *name = fdt_get_name(dtb, node, NULL);

			for (size_t p = 0; p < sizeof(image_props) / sizeof(image_props[0]); p++)
				pack_image(dtb, node, name ? name : "?", image_props[p], base_dir);
		}
		if (node < 0 && node != -FDT_ERR_NOTFOUND) {
			fprintf(stderr, "tandem-pack: %s: %s\n", dtb_path, fdt_strerror(node));
			return 1;
		}
	} else {
		fprintf(stderr, "tandem-pack: warning: %s has no /vms node\n", dtb_path);
	}

	if (write_bundle(out) != 0)
		return 1;
	for (unsigned int i = 0; i < nr_entries; i++)
		free(entries[i].data);
	return 0;
}
