/* SPDX-License-Identifier: MIT */
/*
 * port.c - one entry point per port operation, whatever the port's kind
 *
 * The engine and the workers call these; the kinds live in port_tap.c
 * (netns guests) and port_vhost.c (VMs over vhost-user).
 */
#include <errno.h>
#include <stdio.h>

#include "port.h"

/**
 * port_create() - bring up the port of one vnet
 * @pt:		port; vn and pool are set by the caller
 * @idx:	index of the vnet, for the DPDK device name
 * @vc:		the vnet's configuration: vhost_user set means a VM
 * @n_queues:	worker count: one queue pair per worker
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno with nothing left behind
 */
int port_create(struct port *pt, unsigned idx, const struct broth_vnet_conf *vc,
		uint16_t n_queues, char *err, size_t errlen)
{
	if (vc->vhost_user[0]) {
		uint16_t q = vc->queues ? vc->queues : n_queues;

		pt->kind = PORT_VHOST;
		snprintf(pt->devname, sizeof(pt->devname), "net_vhost%u", idx);
		if (q > n_queues) {
			snprintf(err, errlen, "--queues %u: more queues than "
				 "workers (%u)", q, n_queues);
			return -EINVAL;
		}
		return port_vhost_create(pt, vc, q, n_queues, err, errlen);
	}
	pt->kind = PORT_TAP;
	snprintf(pt->devname, sizeof(pt->devname), "net_tap%u", idx);
	return port_tap_create(pt, vc, n_queues, err, errlen);
}

/* port_destroy() - stop and remove a port; nothing happens if it never was */
void port_destroy(struct port *pt)
{
	if (pt->kind == PORT_VHOST)
		port_vhost_destroy(pt);
	else
		port_tap_destroy(pt);
}

int port_rx_intr_fd(struct port *pt, uint16_t queue)
{
	return pt->kind == PORT_VHOST ? port_vhost_rx_intr_fd(pt, queue) :
					port_tap_rx_intr_fd(pt, queue);
}

/* tap: the queue fd is level-triggered and drained by rx_burst */
void port_rx_intr_ack(struct port *pt, uint16_t queue)
{
	if (pt->kind == PORT_VHOST)
		port_vhost_rx_intr_ack(pt, queue);
}

bool port_rx_arm(struct port *pt, uint16_t queue)
{
	return pt->kind == PORT_VHOST ? port_vhost_rx_arm(pt, queue) : true;
}

void port_rx_disarm(struct port *pt, uint16_t queue)
{
	if (pt->kind == PORT_VHOST)
		port_vhost_rx_disarm(pt, queue);
}

/**
 * port_stats() - the port's ethdev statistics
 * @pt:		port
 * @st:		out
 *
 * Tap queues are read by the workers, not the driver (port_tap_rx.c): their
 * frames, bytes, errors and mbuf shortages are added here.
 *
 * Return: 0, or -errno from the driver
 */
int port_stats(const struct port *pt, struct rte_eth_stats *st)
{
	int rc = rte_eth_stats_get(pt->port_id, st);

	for (unsigned q = 0; !rc && q < BROTH_MAX_WORKERS; q++) {
		const struct port_tap_rxq *r = pt->tap_rxq[q];

		if (!r)
			continue;
		st->ipackets += __atomic_load_n(&r->frames, __ATOMIC_RELAXED);
		st->ibytes += __atomic_load_n(&r->bytes, __ATOMIC_RELAXED);
		st->ierrors += __atomic_load_n(&r->errors, __ATOMIC_RELAXED);
		st->rx_nombuf += __atomic_load_n(&r->nombuf, __ATOMIC_RELAXED);
	}
	return rc;
}
