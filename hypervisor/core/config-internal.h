/* Shared by the system-description checks (config.c, config_machine.c). */
#ifndef TANDEM_CONFIG_INTERNAL_H
#define TANDEM_CONFIG_INTERNAL_H

#include <tandem/config.h>

/* Writes "config: /vms/<name>: <prop>: <rule>" into sys->err; returns -ERR_INVAL. */
int __attribute__((format(printf, 4, 5)))
cfg_fail_vm(struct cfg_system *sys, const struct cfg_vm *vm, const char *prop, const char *fmt,
	    ...);

#endif
