/* SPDX-License-Identifier: MIT */
/* log.h - broth's log type on top of rte_log; never used per packet */
#ifndef BROTH_LOG_H
#define BROTH_LOG_H

#include <rte_log.h>

extern int broth_logtype;

#define BLOG(level, fmt, ...)						\
	rte_log(RTE_LOG_##level, broth_logtype, "broth: " fmt "\n",	\
		##__VA_ARGS__)

void log_setup(int level);

#endif
