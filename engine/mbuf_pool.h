/* SPDX-License-Identifier: MIT */
/* mbuf_pool.h - packet mbuf pools laid out well without hugepages */
#ifndef BROTH_MBUF_POOL_H
#define BROTH_MBUF_POOL_H

#include <rte_mempool.h>

struct rte_mempool *mbuf_pool_create(const char *name, unsigned n,
				     unsigned cache, uint16_t data_room);

#endif
