/* Shared by the system-description checks (config.c, config_machine.c). */
#ifndef TANDEM_CONFIG_INTERNAL_H
#define TANDEM_CONFIG_INTERNAL_H

#include <tandem/config.h>

/* Writes "config: /vms/<name>: <prop>: <rule>" into sys->err; returns -ERR_INVAL. */
int __attribute__((format(printf, 4, 5)))
cfg_fail_vm(struct cfg_system *sys, const struct cfg_vm *vm, const char *prop, const char *fmt,
	    ...);

/* Writes "config: <path>: <prop>: <rule>" (prop may be NULL) into sys->err; -ERR_INVAL. */
int __attribute__((format(printf, 4, 5)))
cfg_fail_path(struct cfg_system *sys, const char *path, const char *prop, const char *fmt, ...);

/* Fills w (up to CFG_EMULATED_WINDOWS entries) with the guest-physical windows of the devices
 * Tandem emulates for vm: GIC, UART, a frequency domain controller's SCMI channel, the two
 * watchdog frames; returns their count. */
#define CFG_EMULATED_WINDOWS 6
unsigned cfg_emulated_windows(const struct cfg_vm *vm, struct cfg_range *w);

/* Parses the /channels node (after /vms) into sys->channels. Same error contract. */
int cfg_parse_channels(const struct fdt *fdt, int node, struct cfg_system *sys);

/* A node name the description accepts (DT node-name characters, 1 to CFG_NAME_MAX-1). */
bool cfg_valid_name(const char *name);

/* Parses and validates /frequency-domains (after /vms: controllers name VMs). */
int cfg_parse_freq_domains(const struct fdt *fdt, int node, struct cfg_system *sys);
/* Checks the domains' pCPUs against the machine. */
int cfg_check_freq_resources(struct cfg_system *sys, uint32_t nr_pcpus);

/* Parses /failover-groups (after /vms, /pools and /channels): groups name VMs, a pool and a
 * channel; marks the moving devices in both members' passthrough and gives the backup the
 * standby share. Same error contract. */
int cfg_parse_failover_groups(const struct fdt *fdt, int node, struct cfg_system *sys);
/* Admission of the shares a failover moves (pools' pCPUs final). Same error contract. */
int cfg_check_failover_resources(struct cfg_system *sys);

#endif
