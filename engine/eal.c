/* SPDX-License-Identifier: MIT */
/*
 * eal.c - start DPDK's EAL in-process, without hugepages, PCI or shared
 *	   runtime files, so broth starts like any program and several broth
 *	   processes can run side by side (DPDK-NOTES.md).
 */
#include <errno.h>
#include <sched.h>
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
 * The main lcore may run on every CPU broth may use: threads created later
 * inherit its affinity, and a single-CPU main lcore would put all workers on
 * one CPU.
 *
 * Return: 0, or -errno
 */
/*
 * "0@(a,b,...)": the main lcore may run on every CPU broth was given (by
 * taskset or a cgroup), and no other: threads created later inherit it.
 */
static void eal_lcores_arg(char *buf, size_t size)
{
	cpu_set_t set;
	size_t n = (size_t)snprintf(buf, size, "0@(");

	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(buf, size, "0");
		return;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE && n + 8 < size; cpu++)
		if (CPU_ISSET(cpu, &set))
			n += (size_t)snprintf(buf + n, size - n, "%d,", cpu);
	snprintf(buf + n - 1, size - n + 1, ")");
}

/**
 * eal_cpus() - CPUs this process may run on (its affinity)
 *
 * Return: at least 1
 */
unsigned eal_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set) > 0 ? (unsigned)CPU_COUNT(&set) : 1;
}

int eal_start(unsigned mem_mb, int log_level, char *err, size_t errlen)
{
	char mem[16], lcores[1024], loglvl[32];
	char *argv[] = {
		"broth", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-m", mem, "--lcores", lcores,
		"--log-level", loglvl, NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	snprintf(mem, sizeof(mem), "%u",
		 EAL_MEM_BASE_MB + mem_mb);
	eal_lcores_arg(lcores, sizeof(lcores));
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
