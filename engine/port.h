/* SPDX-License-Identifier: MIT */
/*
 * port.h - a guest's ethdev: how frames get in and out
 *
 * Every port has one RX/TX queue pair per worker. The slow path owns no
 * queue: its replies go back through the TX ring of a worker (worker.h), so
 * guest frames are never steered to a queue nobody reads.
 */
#ifndef BROTH_PORT_H
#define BROTH_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "broth/broth.h"
#include "vnet.h"

struct port {
	uint16_t port_id;
	uint16_t n_queues;
	struct vnet *vn;
	struct rte_mempool *pool;
	int netns_fd;			/* guest namespace; -1 if none */
	char devname[32];		/* DPDK device name, e.g. net_tap0 */
	char ifname[IF_NAMESIZE];
	bool probed;
	bool started;
	bool active;			/* serving a guest (runtime.c) */
};

int port_tap_create(struct port *pt, const struct broth_vnet_conf *vc,
		    uint16_t n_queues, char *err, size_t errlen);
void port_tap_destroy(struct port *pt);
int port_rx_intr_fd(const struct port *pt, uint16_t queue);

/* Frames above this go through port_tap_write(), not the driver */
#define PORT_TAP_DRIVER_MAX	1522
#define PORT_TAP_MAX_SEGS	64
int port_tap_write(int fd, const struct rte_mbuf *m);

#endif
