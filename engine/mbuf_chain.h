/* SPDX-License-Identifier: MIT */
/*
 * mbuf_chain.h - lists of packets and helpers for multi-segment packets
 *
 * m->next links the segments of one packet, so packets queued by a protocol
 * handler (TCP's write and out-of-order queues) are linked through a dynamic
 * mbuf field instead, registered once at start.
 */
#ifndef BROTH_MBUF_CHAIN_H
#define BROTH_MBUF_CHAIN_H

#include <stdint.h>
#include <sys/uio.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

extern int mbuf_link_offset;

int mbuf_link_register(void);

/* The next packet of a queue (not the next segment) */
static inline struct rte_mbuf **mbuf_link(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, mbuf_link_offset, struct rte_mbuf **);
}

struct rte_mbuf *mbuf_chain_adj(struct rte_mbuf *m, uint32_t len);
int mbuf_append_copy(struct rte_mempool *mp, struct rte_mbuf *m,
		     const uint8_t *src, uint32_t len);
unsigned mbuf_iov(const struct rte_mbuf *m, uint32_t off, struct iovec *iov,
		  unsigned max);

#endif
