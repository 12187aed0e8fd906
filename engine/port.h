/* SPDX-License-Identifier: MIT */
/*
 * port.h - a guest's ethdev: how frames get in and out
 *
 * Every port has one RX/TX queue pair per worker. The slow path owns no
 * queue: its replies go back through the TX ring of a worker (worker.h), so
 * guest frames are never steered to a queue nobody reads.
 *
 * Two kinds of port: net_tap inside a guest netns (port_tap.c) and net_vhost,
 * a vhost-user server socket for a VM (port_vhost.c). A VM comes and goes
 * while broth runs and may use fewer queues than broth offers, so a vhost
 * port publishes, per worker queue, whether its RX side is usable and which
 * TX queue the worker's frames go to (port_rx_on(), port_tx_queue()).
 */
#ifndef BROTH_PORT_H
#define BROTH_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "broth/broth.h"
#include "vnet.h"

enum port_kind {
	PORT_TAP = 0,
	PORT_VHOST,
};

struct port_vhost;

/* Frames above this go through port_tap_write(), not the driver */
#define PORT_TAP_DRIVER_MAX	1522
#define PORT_TAP_MAX_SEGS	64

/* A worker's reader of its tap queue (port_tap_rx.c) */
struct port_tap_rxq {
	int fd;
	uint16_t port_id;
	uint16_t room;			/* bytes one mbuf takes */
	uint16_t n_segs;		/* mbufs the largest frame needs */
	uint16_t n_spare;		/* spare[] filled, iov[1..] theirs */
	struct rte_mempool *mp;
	struct rte_mbuf *spare[PORT_TAP_MAX_SEGS];
	struct iovec iov[PORT_TAP_MAX_SEGS + 1];	/* [0]: tun_pi */
	uint8_t pi[4];			/* struct tun_pi of the last frame */
	/* written by the worker only, read by stats (counters_add) */
	uint64_t frames, bytes, errors, nombuf;
};

struct port {
	uint16_t port_id;
	uint16_t n_queues;
	enum port_kind kind;
	struct vnet *vn;
	struct rte_mempool *pool;
	int netns_fd;			/* guest namespace; -1 if none */
	char devname[32];		/* DPDK device name, e.g. net_tap0 */
	char ifname[IF_NAMESIZE];
	bool probed;
	bool started;
	bool active;			/* serving a guest (runtime.c) */
	/* vhost-user: NULL for tap. Per worker queue, written by the vhost
	 * thread, read by the workers with relaxed loads: */
	struct port_vhost *vh;
	/* tap: each worker's reader of its queue */
	struct port_tap_rxq *tap_rxq[BROTH_MAX_WORKERS];
	uint8_t rx_on[BROTH_MAX_WORKERS];	/* 1: RX vring usable */
	int8_t tx_map[BROTH_MAX_WORKERS];	/* TX queue to use; -1: no guest */
};

/* Create the port of vnet @vc (tap or vhost-user); devname is set here */
int port_create(struct port *pt, unsigned idx, const struct broth_vnet_conf *vc,
		uint16_t n_queues, char *err, size_t errlen);
/* Stop and remove the port; safe on a half-created or never-created port */
void port_destroy(struct port *pt);
/* An fd for the worker's epoll set that is readable when queue @queue may
 * have frames (or the port changed state): -errno if there is none */
int port_rx_intr_fd(struct port *pt, uint16_t queue);
/* The worker saw port_rx_intr_fd() readable: consume the event */
void port_rx_intr_ack(struct port *pt, uint16_t queue);
/* Before the worker sleeps: ask the guest to signal new frames on @queue.
 * false if frames are already waiting (do not sleep) */
bool port_rx_arm(struct port *pt, uint16_t queue);
/* After the worker woke: stop the guest's signals while polling */
void port_rx_disarm(struct port *pt, uint16_t queue);

/* ethdev statistics, with the frames the workers read from tap queues */
int port_stats(const struct port *pt, struct rte_eth_stats *st);

/* Is RX queue @q worth polling? (tap: always) */
static inline bool port_rx_on(const struct port *pt, unsigned q)
{
	return !pt->vh || __atomic_load_n(&pt->rx_on[q], __ATOMIC_RELAXED);
}

/* TX queue for worker @q's frames: q, another worker's queue, -1: none */
static inline int port_tx_queue(const struct port *pt, unsigned q)
{
	return pt->vh ? __atomic_load_n(&pt->tx_map[q], __ATOMIC_RELAXED) :
			(int)q;
}

/* net_tap */
int port_tap_create(struct port *pt, const struct broth_vnet_conf *vc,
		    uint16_t n_queues, char *err, size_t errlen);
void port_tap_destroy(struct port *pt);
int port_tap_rx_intr_fd(const struct port *pt, uint16_t queue);
struct port_tap_rxq *port_tap_rxq_create(const struct port *pt,
					 uint16_t queue, uint32_t max_frame);
struct port_tap_rxq *port_tap_rxq_open(int fd, uint16_t port_id,
				       struct rte_mempool *mp,
				       uint32_t max_frame);
void port_tap_rxq_free(struct port_tap_rxq *q);
uint16_t port_tap_rx(struct port_tap_rxq *q, struct rte_mbuf **pkts,
		     uint16_t n);
int port_tap_write(int fd, const struct rte_mbuf *m);

/* Read up to @n frames from worker @q's RX queue */
static inline uint16_t port_rx_burst(struct port *pt, uint16_t q,
				     struct rte_mbuf **pkts, uint16_t n)
{
	return pt->tap_rxq[q] ? port_tap_rx(pt->tap_rxq[q], pkts, n) :
				rte_eth_rx_burst(pt->port_id, q, pkts, n);
}

/* net_vhost (vhost-user server) */
int port_vhost_create(struct port *pt, const struct broth_vnet_conf *vc,
		      uint16_t n_queues, uint16_t n_workers, char *err,
		      size_t errlen);
void port_vhost_destroy(struct port *pt);
int port_vhost_rx_intr_fd(struct port *pt, uint16_t queue);
void port_vhost_rx_intr_ack(struct port *pt, uint16_t queue);
bool port_vhost_rx_arm(struct port *pt, uint16_t queue);
void port_vhost_rx_disarm(struct port *pt, uint16_t queue);

#endif
