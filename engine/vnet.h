/* SPDX-License-Identifier: MIT */
/*
 * vnet.h - one guest network: its address plan and per-guest state
 *
 * The address fields are written once at creation and read by every thread.
 * guest_mac is learned by the slow path (ARP, DHCP) and published atomically.
 * The DHCP lease belongs to the slow path alone.
 */
#ifndef BROTH_VNET_H
#define BROTH_VNET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "broth/broth.h"
#include "inet.h"

#define VNET_MAX_SEARCH		6
#define VNET_DOMAIN_MAX		254

enum dhcp_lease_state {
	DHCP_LEASE_FREE = 0,
	DHCP_LEASE_OFFERED,
	DHCP_LEASE_BOUND,
	DHCP_LEASE_DECLINED,
};

/* The single guest address of a vnet and who holds it */
struct dhcp_lease {
	enum dhcp_lease_state state;
	struct rte_ether_addr chaddr;
	uint64_t expires_s;		/* monotonic seconds */
	uint64_t declines;
};

struct vnet {
	uint16_t id;
	char name[BROTH_NAME_MAX];

	/* IPv4 plan, all in network byte order */
	rte_be32_t net4;
	rte_be32_t mask4;
	rte_be32_t gw4;
	rte_be32_t guest4;
	rte_be32_t bcast4;
	uint8_t prefix4;

	/* IPv6 plan: a /64 for SLAAC; gateway ::1 in it and fe80::1 */
	uint8_t net6[16];
	uint8_t gw6[16];
	uint8_t gw6_ll[16];
	uint8_t guest6[16];		/* the one DHCPv6 (stateful) address: ::2 */

	uint16_t mtu;
	uint32_t lease_s;
	struct rte_ether_addr gw_mac;
	uint64_t guest_mac;		/* 0: not learned yet; see vnet_guest_mac_*() */

	/* DHCP option 15 / 119, from the host's resolver configuration */
	char domain[VNET_DOMAIN_MAX + 1];
	char search[VNET_MAX_SEARCH][VNET_DOMAIN_MAX + 1];
	unsigned n_search;

	struct dhcp_lease lease;	/* slow path only */
	uint64_t ra_next_tsc;		/* slow path: next unsolicited RA */
	unsigned ra_sent;

	bool no_host_loopback;		/* the gateway does not reach host lo */
	bool guest_mac_fixed;		/* fixed_mac is known from the port or
					 * configuration: other sources are spoofed */
	struct rte_ether_addr fixed_mac;
	uint32_t max_flows;		/* this guest's share of connections */
	uint32_t flow_rate;		/* its new flows per second, all workers */
	uint32_t n_flows;		/* open connections, all workers (atomic) */
	uint32_t n_udp;			/* UDP mappings, all workers (atomic) */
};

int vnet_init(struct vnet *vn, uint16_t id, const struct broth_vnet_conf *vc,
	      char *err, size_t errlen);
int vnet_load_resolv(struct vnet *vn, const char *path);
unsigned vnet_resolv_nameservers(const char *path, union inet_sa *out,
				 unsigned max);
bool vnet_in_subnet(const struct vnet *vn, rte_be32_t addr);
bool vnet_is_gateway(const struct vnet *vn, const uint8_t a[16]);
bool vnet_on_link(const struct vnet *vn, const uint8_t a[16]);
int vnet_host_dst(const struct vnet *vn, bool no_host_loopback,
		  const uint8_t dst[16], uint8_t out[16]);
void vnet_gateway_for(const struct vnet *vn, const uint8_t guest[16],
		      uint8_t out[16]);
void vnet_guest_src(const struct vnet *vn, const uint8_t from[16], bool ll,
		    uint8_t out[16]);
void vnet_guest_mac_learn(struct vnet *vn, const struct rte_ether_addr *mac);
void vnet_guest_mac_fix(struct vnet *vn, const struct rte_ether_addr *mac);
bool vnet_guest_mac_get(const struct vnet *vn, struct rte_ether_addr *mac);

#endif
