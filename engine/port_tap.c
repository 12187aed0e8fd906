/* SPDX-License-Identifier: MIT */
/*
 * port_tap.c - a netns guest on a DPDK net_tap device
 *
 * The tap device must be born inside the guest's namespace, and every step
 * that touches it (probe, configure, queue setup, start, stop, close) must
 * run there too: leaving the namespace right after the probe leaves a second,
 * dead tap in broth's own namespace (DPDK-NOTES.md). The queue file
 * descriptors keep working from any namespace afterwards.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "log.h"
#include "netlink.h"
#include "netns.h"
#include "port.h"

#define PORT_RX_DESC	1024
#define PORT_TX_DESC	1024

static int tap_setup_queues(struct port *pt, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	struct rte_eth_dev_info info;
	int rc;

	/* frames larger than one mbuf arrive as chains */
	if (!rte_eth_dev_info_get(pt->port_id, &info))
		conf.rxmode.offloads = info.rx_offload_capa &
				       RTE_ETH_RX_OFFLOAD_SCATTER;

	rc = rte_eth_dev_configure(pt->port_id, pt->n_queues, pt->n_queues,
				   &conf);
	if (rc) {
		snprintf(err, errlen, "configure %s: %s", pt->devname,
			 strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < pt->n_queues && !rc; q++) {
		rc = rte_eth_rx_queue_setup(pt->port_id, q, PORT_RX_DESC,
					    SOCKET_ID_ANY, NULL, pt->pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(pt->port_id, q,
						    PORT_TX_DESC, SOCKET_ID_ANY,
						    NULL);
	}
	if (rc)
		snprintf(err, errlen, "queue setup on %s: %s", pt->devname,
			 strerror(-rc));
	return rc;
}

/*
 * net_tap reports a 1522-byte maximum frame, but the kernel side takes any
 * MTU and the PMD scatters large frames over mbuf chains: above 1500 the MTU
 * is set on the interface directly.
 */
static int tap_set_mtu(struct port *pt, uint16_t mtu, char *err, size_t errlen)
{
	int rc;

	if (mtu > RTE_ETHER_MTU)
		return netlink_set_mtu(pt->ifname, mtu, err, errlen);
	rc = rte_eth_dev_set_mtu(pt->port_id, mtu);
	if (rc)
		snprintf(err, errlen, "MTU %u on %s: %s", mtu, pt->ifname,
			 strerror(-rc));
	return rc;
}

static int tap_probe_and_start(struct port *pt, const struct broth_vnet_conf *vc,
			       char *err, size_t errlen)
{
	char args[128];
	int rc;

	if (if_nametoindex(vc->ifname)) {
		snprintf(err, errlen, "interface %s already exists in netns %s",
			 vc->ifname, vc->netns);
		return -EEXIST;
	}
	if (vc->has_mac)	/* the guest interface's MAC is the tap's */
		snprintf(args, sizeof(args),
			 "iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x",
			 vc->ifname, vc->mac[0], vc->mac[1], vc->mac[2],
			 vc->mac[3], vc->mac[4], vc->mac[5]);
	else
		snprintf(args, sizeof(args), "iface=%s", vc->ifname);
	rc = rte_vdev_init(pt->devname, args);
	if (rc) {
		snprintf(err, errlen, "cannot create tap %s in netns %s: %s",
			 vc->ifname, vc->netns, strerror(rc < 0 ? -rc : rc));
		return rc < 0 ? rc : -rc;
	}
	pt->probed = true;
	rc = rte_eth_dev_get_port_by_name(pt->devname, &pt->port_id);
	if (!rc)
		rc = tap_setup_queues(pt, err, errlen);
	if (!rc)
		rc = tap_set_mtu(pt, vc->mtu, err, errlen);
	if (!rc && (rc = rte_eth_dev_start(pt->port_id)))
		snprintf(err, errlen, "start %s: %s", pt->devname,
			 strerror(-rc));
	for (uint16_t q = 0; !rc && q < pt->n_queues; q++)
		if (!(pt->tap_rxq[q] = port_tap_rxq_create(pt, q,
				vc->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN))) {
			snprintf(err, errlen, "RX queue %u of %s: no memory or "
				 "no queue fd", q, pt->devname);
			rc = -ENOMEM;
		}
	if (!rc) {
		struct rte_ether_addr mac;

		pt->started = true;
		/* the guest's interface is the tap itself: its MAC is known, and
		 * frames from any other are spoofed */
		if (!rte_eth_macaddr_get(pt->port_id, &mac))
			vnet_guest_mac_fix(pt->vn, &mac);
		if (vc->configure)
			rc = netlink_configure(vc->ifname, pt->vn->guest4,
					       pt->vn->prefix4, pt->vn->gw4,
					       vc->mtu, err, errlen);
	}
	return rc;
}

/**
 * port_tap_create() - create the guest's tap interface inside its netns
 * @pt:		port; vn, pool and devname are set by the caller
 * @vc:		the vnet's configuration (netns, ifname, mtu, configure)
 * @n_queues:	queue pairs, one per worker
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * On failure everything created here is removed again.
 *
 * Return: 0, or -errno
 */
int port_tap_create(struct port *pt, const struct broth_vnet_conf *vc,
		    uint16_t n_queues, char *err, size_t errlen)
{
	int saved, rc;

	snprintf(pt->ifname, sizeof(pt->ifname), "%s", vc->ifname);
	pt->n_queues = n_queues;
	pt->netns_fd = netns_open(vc->netns, err, errlen);
	if (pt->netns_fd < 0)
		return pt->netns_fd;
	rc = netns_enter(pt->netns_fd, &saved, err, errlen);
	if (rc) {
		close(pt->netns_fd);
		pt->netns_fd = -1;
		return rc;
	}
	rc = tap_probe_and_start(pt, vc, err, errlen);
	netns_leave(saved);
	if (rc)
		port_tap_destroy(pt);
	return rc;
}

/**
 * port_tap_destroy() - stop the port and remove the guest interface
 * @pt:		port, possibly half-created
 */
void port_tap_destroy(struct port *pt)
{
	char err[256];
	int saved;

	if (pt->netns_fd < 0)
		return;
	if (netns_enter(pt->netns_fd, &saved, err, sizeof(err))) {
		BLOG(ERR, "%s", err);
	} else {
		if (pt->started)
			rte_eth_dev_stop(pt->port_id);
		if (pt->probed) {
			rte_eth_dev_close(pt->port_id);
			rte_vdev_uninit(pt->devname);
		}
		netns_leave(saved);
	}
	pt->started = pt->probed = false;
	for (uint16_t q = 0; q < BROTH_MAX_WORKERS; q++) {
		port_tap_rxq_free(pt->tap_rxq[q]);
		pt->tap_rxq[q] = NULL;
	}
	close(pt->netns_fd);
	pt->netns_fd = -1;
}

/**
 * port_tap_rx_intr_fd() - event fd that becomes readable when a queue has frames
 * @pt:		port
 * @queue:	RX queue
 *
 * For net_tap this is the queue's own fd: level-triggered and always armed,
 * so it is never read, only drained with rx_burst (DPDK-NOTES.md).
 *
 * Return: fd, or -errno
 */
int port_tap_rx_intr_fd(const struct port *pt, uint16_t queue)
{
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(pt->port_id, queue);

	/* -ENOTSUP from enable is expected for tap; the fd is what matters */
	rte_eth_dev_rx_intr_enable(pt->port_id, queue);
	return fd;
}

/**
 * port_tap_write() - send a frame net_tap would refuse as too long
 * @fd:		the queue's tap file descriptor (port_tap_rx_intr_fd())
 * @m:		frame, possibly a chain; not freed here
 *
 * net_tap checks frames against its own 1522-byte limit, not the interface
 * MTU set through netlink, so larger frames are written to the same queue
 * fd here, the way the driver itself would write them.
 *
 * Return: 0, or -errno
 */
int port_tap_write(int fd, const struct rte_mbuf *m)
{
	/* net_tap opens its queues without IFF_NO_PI: frames carry tun_pi */
	struct tun_pi pi = { 0 };
	struct iovec iov[PORT_TAP_MAX_SEGS + 1] = { { &pi, sizeof(pi) } };
	unsigned n = 1;

	for (; m && n <= PORT_TAP_MAX_SEGS; m = m->next, n++) {
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = m->data_len;
	}
	if (m)
		return -EMSGSIZE;
	return writev(fd, iov, (int)n) < 0 ? -errno : 0;
}
