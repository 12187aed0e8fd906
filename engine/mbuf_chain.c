/* SPDX-License-Identifier: MIT */
/* mbuf_chain.c - packet queues and multi-segment packet helpers */
#include <errno.h>

#include <rte_errno.h>

#include "mbuf_chain.h"

int mbuf_link_offset = -1;

/**
 * mbuf_link_register() - register the packet-queue link field
 *
 * Return: 0, or -errno
 */
int mbuf_link_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "broth_pkt_link",
		.size = sizeof(struct rte_mbuf *),
		.align = __alignof__(struct rte_mbuf *),
	};

	if (mbuf_link_offset >= 0)
		return 0;
	mbuf_link_offset = rte_mbuf_dynfield_register(&desc);
	return mbuf_link_offset < 0 ? -rte_errno : 0;
}

/**
 * mbuf_chain_adj() - drop @len bytes from the front of a packet
 * @m:		packet, possibly multi-segment
 * @len:	bytes to drop, at most the packet length
 *
 * Unlike rte_pktmbuf_adj(), @len may span segments: emptied leading
 * segments are freed.
 *
 * Return: the new first segment, or NULL if the whole packet was consumed
 *	   (and freed)
 */
struct rte_mbuf *mbuf_chain_adj(struct rte_mbuf *m, uint32_t len)
{
	while (m && len >= m->data_len && len) {
		struct rte_mbuf *next = m->next;
		uint32_t rest = m->pkt_len - m->data_len;

		len -= m->data_len;
		if (next) {
			next->nb_segs = (uint16_t)(m->nb_segs - 1);
			next->pkt_len = rest;
		}
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	if (m && len)
		rte_pktmbuf_adj(m, (uint16_t)len);
	return m;
}
