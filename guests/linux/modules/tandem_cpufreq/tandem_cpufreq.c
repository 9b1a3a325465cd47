// SPDX-License-Identifier: GPL-2.0
/*
 * tandem_cpufreq: the ondemand governor of Tandem's privileged Linux decides
 * from the load that Tandem measures on the physical CPUs of the frequency
 * domain it controls (issue 14, the paper's section 4), not from the load of
 * this Linux's own vCPUs.
 *
 * ondemand's od_update() takes its load from dbs_update(). A kretprobe on
 * dbs_update() (the kernel's own API: no instruction patching) replaces the
 * value it returns, for the policies whose CPUs run on Tandem's SCMI clock,
 * with TANDEM_HC_DOMAIN_LOAD's answer: the busiest physical CPU of the domain
 * over the window since the previous sample, in per mille.
 *
 * The governor samples only when the scheduler's utilisation hook runs on a CPU
 * of the policy, so an idle Linux would never see a busy RTOS. A kthread
 * therefore wakes every kick_ms (an hrtimer sleep, default the governor's 10 ms
 * sampling period): its enqueue runs the hook, the hook finds a period elapsed
 * and the governor samples, through the kretprobe, Tandem's load.
 */
#include <linux/arm-smccc.h>
#include <linux/cpufreq.h>
#include <linux/hrtimer.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/sched.h>

#include <tandem/abi/hypercall.h>

static unsigned int kick_ms = 10;
module_param(kick_ms, uint, 0644);
MODULE_PARM_DESC(
    kick_ms,
    "wake a CPU of the domain this often so the governor samples (0: never)");

/* What the last sample saw, and how many there were: read-only, for tests and
 * people. */
static unsigned int tandem_load, linux_load;
static unsigned long samples, errors;
module_param(tandem_load, uint, 0444);
MODULE_PARM_DESC(tandem_load,
		 "the load (%) Tandem gave the governor at its last sample");
module_param(linux_load, uint, 0444);
MODULE_PARM_DESC(linux_load,
		 "the load (%) Linux computed itself at that sample");
module_param(samples, ulong, 0444);
module_param(errors, ulong, 0444);

static struct cpumask domain_cpus; /* CPUs whose clock is Tandem's SCMI clock */
static struct task_struct *kicker;

static int entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct cpufreq_policy *policy = (const void *)regs->regs[0];

	/* Not a policy on Tandem's clock: leave it alone (a non-zero return
	 * skips the handler). */
	return policy && cpumask_test_cpu(policy->cpu, &domain_cpus) ? 0 : 1;
}

static int ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct arm_smccc_res res;
	unsigned long load;

	arm_smccc_1_1_invoke(TANDEM_HC_DOMAIN_LOAD, TANDEM_DOMAIN_OWN, 0, 0, 0,
			     0, 0, 0, &res);
	if ((long)res.a0 != TANDEM_OK) {
		errors++; /* the governor keeps Linux's own figure */
		return 0;
	}
	load =
	    min(res.a1 / 10, 100UL); /* per mille, busiest pCPU -> per cent */
	linux_load = (unsigned int)regs->regs[0];
	tandem_load = (unsigned int)load;
	samples++;
	regs->regs[0] = load;
	return 0;
}

static struct kretprobe dbs_probe = {
    .kp.symbol_name = "dbs_update",
    .entry_handler = entry_handler,
    .handler = ret_handler,
    .maxactive = 2 * NR_CPUS,
};

static int kick_fn(void *unused)
{
	while (!kthread_should_stop()) {
		ktime_t period = ms_to_ktime(kick_ms ? kick_ms : 1000);

		/* Interruptible: a sleeping kicker must not count in the load
		 * average. */
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_hrtimeout(&period, HRTIMER_MODE_REL);
	}
	return 0;
}

/* The CPUs whose cpu node's first clock comes from an arm,scmi-smc node's
 * protocol. */
static void find_domain_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
	{
		struct device_node *np = of_get_cpu_node(cpu, NULL), *clk,
				   *scmi;

		if (!np)
			continue;
		clk = of_parse_phandle(np, "clocks", 0);
		scmi = clk ? of_get_parent(clk) : NULL;
		if (scmi && of_device_is_compatible(scmi, "arm,scmi-smc"))
			cpumask_set_cpu(cpu, &domain_cpus);
		of_node_put(scmi);
		of_node_put(clk);
		of_node_put(np);
	}
}

static bool on_tandem(void)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_invoke(TANDEM_HC_CALL_UID, &res);
	return (u32)res.a0 == TANDEM_UID_0 && (u32)res.a1 == TANDEM_UID_1 &&
	       (u32)res.a2 == TANDEM_UID_2 && (u32)res.a3 == TANDEM_UID_3;
}

static int __init tandem_cpufreq_init(void)
{
	struct arm_smccc_res res;
	int err;

	if (!on_tandem()) {
		pr_err("tandem_cpufreq: not running on Tandem\n");
		return -ENODEV;
	}
	find_domain_cpus();
	if (cpumask_empty(&domain_cpus)) {
		pr_err("tandem_cpufreq: no CPU runs on an SCMI clock (not a "
		       "domain's controller?)\n");
		return -ENODEV;
	}
	/* Refused unless this VM controls a domain; the first call also opens
	 * the window. */
	arm_smccc_1_1_invoke(TANDEM_HC_DOMAIN_LOAD, TANDEM_DOMAIN_OWN, 0, 0, 0,
			     0, 0, 0, &res);
	if ((long)res.a0 != TANDEM_OK) {
		pr_err("tandem_cpufreq: TANDEM_HC_DOMAIN_LOAD refused (%ld)\n",
		       (long)res.a0);
		return -EPERM;
	}
	err = register_kretprobe(&dbs_probe);
	if (err) {
		pr_err("tandem_cpufreq: kretprobe on dbs_update: %d\n", err);
		return err;
	}
	kicker = kthread_run(kick_fn, NULL, "tandem_cpufreq");
	if (IS_ERR(kicker)) {
		unregister_kretprobe(&dbs_probe);
		return PTR_ERR(kicker);
	}
	pr_info("tandem_cpufreq: ondemand on CPUs %*pbl decides from its "
		"frequency domain's load "
		"(Tandem), kick every %u ms\n",
		cpumask_pr_args(&domain_cpus), kick_ms);
	return 0;
}

static void __exit tandem_cpufreq_exit(void)
{
	kthread_stop(kicker);
	unregister_kretprobe(&dbs_probe);
	pr_info("tandem_cpufreq: %lu samples from Tandem, %lu refused; "
		"ondemand uses Linux's load "
		"again\n",
		samples, errors);
}

module_init(tandem_cpufreq_init);
module_exit(tandem_cpufreq_exit);
MODULE_DESCRIPTION("ondemand decides from the physical load Tandem measures");
MODULE_LICENSE("GPL");
