/* SPDX-License-Identifier: MIT */
/* mbuf_chain.c - packet queues and multi-segment packet helpers */
#include <errno.h>
#include <string.h>

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

/**
 * mbuf_iov() - iovecs for a packet's bytes from @off to its end
 * @m:		packet, possibly multi-segment
 * @off:	first byte (within the first segment or beyond)
 * @iov:	filled, one entry per segment touched
 * @max:	size of @iov
 *
 * Return: entries used; 0 if the packet has more segments than @max
 */
unsigned mbuf_iov(const struct rte_mbuf *m, uint32_t off, struct iovec *iov,
		  unsigned max)
{
	unsigned n = 0;

	for (; m; m = m->next) {
		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		if (n == max)
			return 0;
		iov[n].iov_base = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
		iov[n++].iov_len = m->data_len - off;
		off = 0;
	}
	return n;
}

/**
 * mbuf_append_copy() - append bytes to a packet as new segments
 * @mp:		pool for the segments
 * @m:		packet (head), extended in place
 * @src:	bytes to copy
 * @len:	how many
 *
 * For the rare payload longer than one mbuf that a socket returned into a
 * flat buffer (a long datagram or echo reply).
 *
 * Return: 0, or -ENOMEM (the segments added so far stay chained)
 */
int mbuf_append_copy(struct rte_mempool *mp, struct rte_mbuf *m,
		     const uint8_t *src, uint32_t len)
{
	uint16_t room = (uint16_t)(rte_pktmbuf_data_room_size(mp) -
				   RTE_PKTMBUF_HEADROOM);

	while (len) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
		uint16_t n = (uint16_t)RTE_MIN(len, (uint32_t)room);

		if (!s || rte_pktmbuf_chain(m, s)) {
			rte_pktmbuf_free(s);
			return -ENOMEM;
		}
		memcpy(rte_pktmbuf_append(s, n), src, n);
		m->pkt_len += n;	/* append on s counted s only */
		src += n;
		len -= n;
	}
	return 0;
}
