/* SPDX-License-Identifier: MIT */
/*
 * port_tap_rx.c - a worker reads its tap queue itself
 *
 * net_tap's rx_burst skips its readv() until the kernel has raised a signal
 * for a new frame (its "RX trigger": O_ASYNC with a real-time signal on every
 * queue fd). Every frame the guest writes then costs a signal delivery to
 * broth, and often a second wakeup: perf of a worker under a 100,000 SYN/s
 * flood showed signal handling (get_signal, sigframe setup and restore, the
 * fasync lock) as its largest cost, and the sender paid for sending them.
 * broth turns O_ASYNC off on the queue fds and reads them here: readv() until
 * the queue is empty or the burst full. Nothing waits on the trigger: a busy
 * worker polls, an idle one sleeps in epoll on the same fd. net_tap still
 * creates, configures and transmits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/uio.h>

#include <rte_malloc.h>

#include "counters.h"
#include "port.h"

/**
 * port_tap_rxq_open() - a reader of queue file descriptor @fd
 * @fd:		tap queue fd (or, in tests, a SOCK_SEQPACKET socket); its
 *		O_ASYNC is turned off
 * @port_id:	ethdev port the frames are marked with
 * @mp:		pool the frames come from
 * @max_frame:	largest frame the guest may send (MTU + Ethernet header)
 *
 * Return: the reader, or NULL (no memory, frame too large, fcntl failed)
 */
struct port_tap_rxq *port_tap_rxq_open(int fd, uint16_t port_id,
				       struct rte_mempool *mp,
				       uint32_t max_frame)
{
	uint32_t room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	uint32_t n_segs = room ? (max_frame + room - 1) / room : 0;
	struct port_tap_rxq *q;
	int fl;

	if (fd < 0 || !n_segs || n_segs > PORT_TAP_MAX_SEGS)
		return NULL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_ASYNC))
		return NULL;
	q = rte_zmalloc("tap_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE);
	if (!q)
		return NULL;
	q->fd = fd;
	q->port_id = port_id;
	q->mp = mp;
	q->room = (uint16_t)room;
	q->n_segs = (uint16_t)n_segs;
	q->iov[0].iov_base = q->pi;
	q->iov[0].iov_len = sizeof(struct tun_pi);
	return q;
}

/* port_tap_rxq_create() - the reader of queue @queue of started port @pt */
struct port_tap_rxq *port_tap_rxq_create(const struct port *pt,
					 uint16_t queue, uint32_t max_frame)
{
	return port_tap_rxq_open(port_tap_rx_intr_fd(pt, queue), pt->port_id,
				 pt->pool, max_frame);
}

/* port_tap_rxq_free() - free the reader and its spare mbufs; NULL is fine */
void port_tap_rxq_free(struct port_tap_rxq *q)
{
	if (!q)
		return;
	rte_pktmbuf_free_bulk(q->spare, q->n_spare);
	rte_free(q);
}

/* Spare mbufs for a whole frame, each one an iovec of the next readv() */
static bool tap_rxq_refill(struct port_tap_rxq *q)
{
	unsigned need = q->n_segs - q->n_spare;

	if (!need)
		return true;
	if (rte_pktmbuf_alloc_bulk(q->mp, q->spare + q->n_spare, need))
		return false;
	for (unsigned i = q->n_spare; i < q->n_segs; i++) {
		q->iov[i + 1].iov_base = rte_pktmbuf_mtod(q->spare[i], void *);
		q->iov[i + 1].iov_len = q->room;
	}
	q->n_spare = q->n_segs;
	return true;
}

/* The frame of @len bytes just read: the spares it filled, as a chain */
static struct rte_mbuf *tap_rxq_take(struct port_tap_rxq *q, uint32_t len)
{
	unsigned k = (len + q->room - 1) / q->room;
	struct rte_mbuf *m = q->spare[0];

	m->pkt_len = len;
	m->nb_segs = (uint16_t)k;
	m->port = q->port_id;
	for (unsigned i = 0; i < k; i++) {
		struct rte_mbuf *s = q->spare[i];

		s->data_len = (uint16_t)RTE_MIN(len, q->room);
		s->next = i + 1 < k ? q->spare[i + 1] : NULL;
		len -= s->data_len;
	}
	q->n_spare = (uint16_t)(q->n_spare - k);
	memmove(q->spare, q->spare + k, q->n_spare * sizeof(q->spare[0]));
	memmove(q->iov + 1, q->iov + 1 + k, q->n_spare * sizeof(q->iov[0]));
	return m;
}

/**
 * port_tap_rx() - read up to @n frames from the queue
 * @q:		the worker's reader
 * @pkts:	out: frames (chains when longer than one mbuf)
 * @n:		at most this many
 *
 * Frames longer than the reader's buffers (the kernel cuts them and says
 * so) and failed reads count as errors; an empty mbuf pool as nombuf.
 *
 * Return: frames read
 */
uint16_t port_tap_rx(struct port_tap_rxq *q, struct rte_mbuf **pkts, uint16_t n)
{
	const struct tun_pi *pi = (const struct tun_pi *)q->pi;
	uint64_t bytes = 0;
	uint16_t got = 0;

	while (got < n) {
		ssize_t len;

		if (!tap_rxq_refill(q)) {
			counters_add(&q->nombuf, 1);
			break;
		}
		len = readv(q->fd, q->iov, q->n_segs + 1);
		if (len < 0) {
			if (errno != EAGAIN && errno != EINTR)
				counters_add(&q->errors, 1);
			break;
		}
		if (len <= (ssize_t)sizeof(*pi) || (pi->flags & TUN_PKT_STRIP)) {
			counters_add(&q->errors, 1);
			continue;
		}
		len -= (ssize_t)sizeof(*pi);
		bytes += (uint64_t)len;
		pkts[got++] = tap_rxq_take(q, (uint32_t)len);
	}
	counters_add(&q->frames, got);
	counters_add(&q->bytes, bytes);
	return got;
}
