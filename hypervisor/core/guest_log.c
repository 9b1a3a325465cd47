/* Rate-limited log lines caused by a guest (tandem/guest_log.h). */
#include <stdarg.h>
#include <tandem/arch.h>
#include <tandem/guest_log.h>
#include <tandem/log.h>
#include <tandem/vm.h>

void guest_log(struct vm *vm, enum guest_log_kind kind, const char *fmt, ...)
{
	char line[256];
	unsigned dropped;
	va_list ap;

	if (kind >= GUEST_LOG_KINDS)
		kind = GLOG_TRAP;
	if (!ratelimit_ok(&vm->log_limit[kind], arch_counter_read(),
			  arch_counter_freq() / GUEST_LOG_PER_SEC, GUEST_LOG_BURST, &dropped))
		return;
	if (dropped)
		printk("tandem: warning: vm %s: %u messages suppressed\n", vm->name, dropped);
	va_start(ap, fmt);
	vsnprintf_td(line, sizeof(line), fmt, ap);
	va_end(ap);
	printk("tandem: %s\n", line);
}
