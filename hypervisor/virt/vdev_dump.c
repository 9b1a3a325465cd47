/*
 * The interrupt-state dump (console Ctrl-A g): for each VM, the dump lines of each of its
 * devices that has a dump hook, in table order (the vGIC's distributor, vCPUs and list
 * registers; the UART's interrupt lines; ...).
 *
 * Hooks format into one text buffer, each under its device's locks so each part is
 * consistent, and the text is printed after they are dropped: a VM's vCPUs take those locks
 * on their trap paths, and a real UART at 115200 baud would hold them for milliseconds.
 */
#include <stdarg.h>
#include <tandem/console.h>
#include <tandem/log.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

static struct vdev_dump_buf dump; /* under dump_lock */
static spinlock_t dump_lock = SPINLOCK_INIT;

void vdev_dump_add(struct vdev_dump_buf *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->len + 1 >= sizeof(out->text))
		return; /* full: the rest is cut (the last line ends without '\n') */
	va_start(ap, fmt);
	n = vsnprintf_td(out->text + out->len, sizeof(out->text) - out->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		out->len = MIN(out->len + (size_t)n, sizeof(out->text) - 1);
}

void vdev_dump(void)
{
	spin_lock(&dump_lock);
	dump.len = 0;
	for (unsigned i = 0; i < nr_vms; i++) {
		/* As few console writes as fit: each ends with the focused VM's prompt redrawn. */
		if (dump.len > sizeof(dump.text) / 2) {
			console_write(dump.text, dump.len);
			dump.len = 0;
		}
		for (unsigned d = 0; d < vdev_table_len; d++)
			if (vdev_table[d]->dump)
				vdev_table[d]->dump(&vms[i], &dump);
	}
	console_write(dump.text, dump.len);
	spin_unlock(&dump_lock);
}
