/* SPDX-License-Identifier: MIT */
/*
 * mbuf_pool.c - packet mbuf pools laid out well without hugepages
 *
 * rte_pktmbuf_pool_create() asks for IOVA-contiguous objects; without
 * hugepages that places one mbuf per 4 KiB page, so all mbuf headers land in
 * the same cache sets and a ring loop runs 4x slower (DPDK-NOTES.md). broth
 * only has virtual devices with IOVA as VA, so contiguity is not needed:
 * build the pool by hand with RTE_MEMPOOL_F_NO_IOVA_CONTIG.
 */
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include "mbuf_pool.h"

/**
 * mbuf_pool_create() - create a packet mbuf pool
 * @name:	pool name, unique in the process
 * @n:		number of mbufs
 * @cache:	per-lcore cache size
 * @data_room:	data bytes per mbuf, after the headroom
 *
 * Return: the pool, or NULL with rte_errno set
 */
struct rte_mempool *mbuf_pool_create(const char *name, unsigned n,
				     unsigned cache, uint16_t data_room)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_PKTMBUF_HEADROOM + data_room,
		.mbuf_priv_size = 0,
	};
	unsigned elt = sizeof(struct rte_mbuf) + priv.mbuf_data_room_size;
	struct rte_mempool *mp;
	int rc;

	mp = rte_mempool_create_empty(name, n, elt, cache, sizeof(priv),
				      SOCKET_ID_ANY,
				      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (!mp)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	rc = rte_mempool_populate_default(mp);
	if (rc < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	rte_errno = rc < 0 ? -rc : rc;
	return NULL;
}
