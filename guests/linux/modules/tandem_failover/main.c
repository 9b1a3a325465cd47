// SPDX-License-Identifier: GPL-2.0
/* tandem_failover: registers its two platform drivers (tandem_failover.h). */
#include <linux/module.h>

#include "tandem_failover.h"

static int __init tfo_init(void)
{
	int ret = platform_driver_register(&tfo_chan_driver);

	if (ret)
		return ret;
	ret = platform_driver_register(&tfo_role_driver);
	if (ret)
		platform_driver_unregister(&tfo_chan_driver);
	return ret;
}

static void __exit tfo_exit(void)
{
	platform_driver_unregister(&tfo_role_driver);
	platform_driver_unregister(&tfo_chan_driver);
}

module_init(tfo_init);
module_exit(tfo_exit);
MODULE_DESCRIPTION("Tandem failover groups: raw channels and the VM's role");
MODULE_LICENSE("GPL");
