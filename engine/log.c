/* SPDX-License-Identifier: MIT */
/* log.c - broth's log type, quiet DPDK by default, everything on stderr */
#include <stdio.h>

#include "log.h"

RTE_LOG_REGISTER(broth_logtype, broth, NOTICE);

/**
 * log_setup() - apply the user's level after EAL init
 * @level:	RTE_LOG_* for broth's own messages
 *
 * DPDK libraries and drivers stay at "error" unless the user asked for more
 * than broth's default; net_tap's secondary-process message is noise when
 * there is no multi-process support, so the driver is held at "critical".
 */
void log_setup(int level)
{
	rte_openlog_stream(stderr);
	rte_log_set_level(broth_logtype, level);
	if (level <= (int)RTE_LOG_NOTICE)
		rte_log_set_level_pattern("pmd.net.tap*", RTE_LOG_CRIT);
}
