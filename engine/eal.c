/* SPDX-License-Identifier: MIT */
/*
 * eal.c - start DPDK's EAL in-process, without hugepages, PCI or shared
 *	   runtime files, so broth starts like any program and several broth
 *	   processes can run side by side (DPDK-NOTES.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "eal.h"
#include "log.h"

/* Memory budget: a base for rings and EAL itself, plus what the caller needs */
#define EAL_MEM_BASE_MB		64

/**
 * eal_start() - initialise the EAL
 * @mem_mb:	memory the engine will take from DPDK (pools, tables)
 * @log_level:	RTE_LOG_* the user asked for
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * The main lcore may run on every CPU: threads created later inherit its
 * affinity, and a single-CPU main lcore would put all workers on one CPU.
 *
 * Return: 0, or -errno
 */
int eal_start(unsigned mem_mb, int log_level, char *err, size_t errlen)
{
	char mem[16], lcores[32], loglvl[32];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *argv[] = {
		"broth", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-m", mem, "--lcores", lcores,
		"--log-level", loglvl, NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	snprintf(mem, sizeof(mem), "%u",
		 EAL_MEM_BASE_MB + mem_mb);
	snprintf(lcores, sizeof(lcores), "0@(0-%ld)", cpus > 1 ? cpus - 1 : 0);
	snprintf(loglvl, sizeof(loglvl), "*:%d",
		 log_level > (int)RTE_LOG_NOTICE ? log_level : (int)RTE_LOG_ERR);

	rte_openlog_stream(stderr);
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, errlen, "DPDK EAL initialisation failed: %s",
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	log_setup(log_level);
	return 0;
}

/* eal_stop() - release EAL resources at exit */
void eal_stop(void)
{
	rte_eal_cleanup();
}
