/* SPDX-License-Identifier: MIT */
/* eal.h - DPDK EAL started like an ordinary program */
#ifndef BROTH_EAL_H
#define BROTH_EAL_H

#include <stddef.h>

int eal_start(unsigned mem_mb, int log_level, char *err, size_t errlen);
void eal_stop(void);
unsigned eal_cpus(void);

#endif
