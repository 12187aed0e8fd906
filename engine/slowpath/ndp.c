/* SPDX-License-Identifier: MIT */
/*
 * ndp.c - neighbor discovery for the gateway (RFC 4861) and SLAAC (RFC 4862)
 *
 * broth is the only router on the guest's link. A Router Solicitation gets a
 * Router Advertisement with the vnet's /64 (on-link, autonomous), the MTU,
 * the gateway as DNS server (RDNSS) and the search list (DNSSL, RFC 8106);
 * the "other configuration" flag points DHCPv6 clients at the stateless
 * server. Unsolicited advertisements go out periodically (slowpath.c).
 * A Neighbor Solicitation for one of the gateway's two addresses (fe80::1
 * and PREFIX::1) gets a Neighbor Advertisement. Every other target is left
 * unanswered, so Duplicate Address Detection of the guest's own addresses
 * always succeeds.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "cksum.h"
#include "dns.h"
#include "frame.h"
#include "icmp.h"
#include "inet.h"
#include "wire.h"
#include "ndp.h"

#define NDP_HOP_LIMIT		255	/* RFC 4861 §6.1: proves on-link origin */
#define NDP_OPT_SLLA		1
#define NDP_OPT_TLLA		2
#define NDP_OPT_PREFIX		3
#define NDP_OPT_MTU		5
#define NDP_OPT_RDNSS		25
#define NDP_OPT_DNSSL		31
#define NDP_RS_LEN		8
#define NDP_NS_LEN		24
#define NDP_RA_FLAG_OTHER	0x40
#define NDP_NA_ROUTER		0x80
#define NDP_NA_SOLICITED	0x40
#define NDP_NA_OVERRIDE		0x20
#define NDP_ROUTER_LIFETIME_S	1800	/* 3 x MaxRtrAdvInterval */
#define NDP_VALID_S		86400
#define NDP_PREFERRED_S		14400
#define NDP_DNS_LIFETIME_S	1800

static const uint8_t ndp_all_nodes[16] = { 0xff, 0x02, [15] = 1 };

/**
 * ndp_opts_valid() - check the options of an NDP message
 * @o:		first option
 * @len:	bytes of options
 * @slla:	set to the source link-layer address option, if any
 *
 * RFC 4861 §4.6: every option has a non-zero length in units of 8 bytes
 * and lies within the message.
 *
 * Return: true if well formed
 */
bool ndp_opts_valid(const uint8_t *o, size_t len, const uint8_t **slla)
{
	*slla = NULL;
	while (len) {
		size_t olen;

		if (len < 2 || !o[1] || (olen = o[1] * 8u) > len)
			return false;
		if (o[0] == NDP_OPT_SLLA && olen == 8)
			*slla = o + 2;
		o += olen;
		len -= olen;
	}
	return true;
}

/* ICMPv6 checksum of the message at @l4, l4_len bytes, and the IPv6 header */
static size_t ndp_finish(uint8_t *out, const struct vnet *vn,
			 const uint8_t src[16], const uint8_t dst[16],
			 const struct rte_ether_addr *dst_mac, size_t l4_len)
{
	uint8_t *l4 = out + FRAME_ETH_LEN + FRAME_IP6_LEN;
	uint16_t ck;

	frame_eth_ip(out, &vn->gw_mac, dst_mac, src, dst, IPPROTO_ICMPV6,
		     NDP_HOP_LIMIT, (uint16_t)l4_len);
	l4[2] = l4[3] = 0;
	ck = cksum_icmp6(src, dst, l4, (uint32_t)l4_len);
	memcpy(l4 + 2, &ck, 2);
	return frame_pad(out, FRAME_ETH_LEN + FRAME_IP6_LEN + l4_len);
}

/* DNSSL: the search list in DNS wire format, zero-padded to 8 bytes */
static size_t ndp_opt_dnssl(const struct vnet *vn, uint8_t *o, size_t room)
{
	size_t n = 8;

	if (room < 16)
		return 0;
	for (unsigned i = 0; i < vn->n_search; i++)
		n += dns_name_encode(vn->search[i], o + n, room - n);
	if (n == 8 && vn->domain[0])
		n += dns_name_encode(vn->domain, o + n, room - n);
	if (n == 8)
		return 0;
	while (n % 8) {
		if (n >= room)
			return 0;
		o[n++] = 0;
	}
	o[0] = NDP_OPT_DNSSL;
	o[1] = (uint8_t)(n / 8);
	o[2] = o[3] = 0;
	wire_put32(o + 4, NDP_DNS_LIFETIME_S);
	return n;
}

/**
 * ndp_build_ra() - a Router Advertisement from fe80::1
 * @vn:		vnet
 * @dst:	the soliciting guest, or all-nodes (ff02::1)
 * @dst_mac:	its MAC (33:33:00:00:00:01 for all-nodes)
 * @out:	frame buffer
 * @cap:	size of @out, at least NDP_RA_MAX
 *
 * Return: frame length
 */
size_t ndp_build_ra(const struct vnet *vn, const uint8_t dst[16],
		    const struct rte_ether_addr *dst_mac, uint8_t *out,
		    size_t cap)
{
	uint8_t *ra = out + FRAME_ETH_LEN + FRAME_IP6_LEN, *o = ra + 16;
	/* within the IPv6 minimum MTU, whatever the search list holds */
	size_t room = RTE_MIN(cap - FRAME_ETH_LEN - FRAME_IP6_LEN,
			      (size_t)(1280 - FRAME_IP6_LEN));

	memset(ra, 0, 16 + 8 + 8 + 32 + 24);
	ra[0] = ICMPV6_ROUTER_ADVERT;
	ra[4] = 64;				/* cur hop limit */
	ra[5] = NDP_RA_FLAG_OTHER;		/* M=0: SLAAC; O=1: DHCPv6 info */
	wire_put16(ra + 6, NDP_ROUTER_LIFETIME_S);
	o[0] = NDP_OPT_SLLA;			/* the gateway's MAC */
	o[1] = 1;
	memcpy(o + 2, &vn->gw_mac, RTE_ETHER_ADDR_LEN);
	o += 8;
	o[0] = NDP_OPT_MTU;
	o[1] = 1;
	wire_put32(o + 4, RTE_MAX(vn->mtu, (uint16_t)1280));
	o += 8;
	o[0] = NDP_OPT_PREFIX;
	o[1] = 4;
	o[2] = 64;
	o[3] = 0xc0;				/* L (on-link) and A (SLAAC) */
	wire_put32(o + 4, NDP_VALID_S);
	wire_put32(o + 8, NDP_PREFERRED_S);
	memcpy(o + 16, vn->net6, 16);
	o += 32;
	o[0] = NDP_OPT_RDNSS;
	o[1] = 3;
	wire_put32(o + 4, NDP_DNS_LIFETIME_S);
	memcpy(o + 8, vn->gw6, 16);
	o += 24;
	o += ndp_opt_dnssl(vn, o, room - (size_t)(o - ra));
	return ndp_finish(out, vn, vn->gw6_ll, dst, dst_mac, (size_t)(o - ra));
}

/* Multicast MAC of an IPv6 multicast address (RFC 2464 §7) */
static void ndp_mcast_mac(const uint8_t a[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(mac->addr_bytes + 2, a + 12, 4);
}

static bool ndp_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return inet_eq(a, zero);
}

/* Router Solicitation (§6.1.1) -> Router Advertisement */
static enum drop_reason ndp_rs(struct vnet *vn, const struct pkt *p,
			       uint8_t *out, size_t cap, size_t *out_len)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->data;
	const uint8_t *slla;
	struct rte_ether_addr mac;

	if (p->l4_len < NDP_RS_LEN ||
	    !ndp_opts_valid(p->data + p->l4_off + NDP_RS_LEN,
			    p->l4_len - NDP_RS_LEN, &slla) ||
	    (slla && ndp_unspecified(p->saddr)))
		return DROP_NDP_BAD;
	if (ndp_unspecified(p->saddr)) {
		ndp_mcast_mac(ndp_all_nodes, &mac);
		*out_len = ndp_build_ra(vn, ndp_all_nodes, &mac, out, cap);
		return DROP_NONE;
	}
	vnet_guest_mac_learn(vn, &eh->src_addr);
	*out_len = ndp_build_ra(vn, p->saddr, &eh->src_addr, out, cap);
	return DROP_NONE;
}

/* Neighbor Solicitation (§7.1.1) for a gateway address -> Advertisement */
static enum drop_reason ndp_ns(struct vnet *vn, const struct pkt *p,
			       uint8_t *out, size_t cap, size_t *out_len)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->data;
	const uint8_t *ns = p->data + p->l4_off, *target = ns + 8, *slla;
	bool dad = ndp_unspecified(p->saddr);
	uint8_t *na = out + FRAME_ETH_LEN + FRAME_IP6_LEN;
	struct rte_ether_addr mac;

	if (p->l4_len < NDP_NS_LEN || inet6_is_mcast(target) ||
	    !ndp_opts_valid(ns + NDP_NS_LEN, p->l4_len - NDP_NS_LEN, &slla) ||
	    (dad && (slla || p->daddr[0] != 0xff)))
		return DROP_NDP_BAD;
	if (!inet_eq(target, vn->gw6_ll) && !inet_eq(target, vn->gw6))
		return DROP_NDP_NOT_OURS;	/* DAD of the guest: silence */
	if (cap < FRAME_ETH_LEN + FRAME_IP6_LEN + 32)
		return DROP_NO_MBUF;
	memset(na, 0, 32);
	na[0] = ICMPV6_NEIGHBOR_ADVERT;
	na[4] = NDP_NA_ROUTER | NDP_NA_OVERRIDE | (dad ? 0 : NDP_NA_SOLICITED);
	memcpy(na + 8, target, 16);
	na[24] = NDP_OPT_TLLA;
	na[25] = 1;
	memcpy(na + 26, &vn->gw_mac, RTE_ETHER_ADDR_LEN);
	if (dad) {	/* §7.2.4: a DAD probe for our address: tell all nodes */
		ndp_mcast_mac(ndp_all_nodes, &mac);
		*out_len = ndp_finish(out, vn, target, ndp_all_nodes, &mac, 32);
		return DROP_NONE;
	}
	vnet_guest_mac_learn(vn, &eh->src_addr);
	*out_len = ndp_finish(out, vn, target, p->saddr, &eh->src_addr, 32);
	return DROP_NONE;
}

/**
 * ndp_input() - a Router or Neighbor Solicitation from the guest
 * @vn:		vnet the frame came from
 * @p:		parsed ICMPv6 frame (checksum verified)
 * @out:	buffer for the reply frame
 * @cap:	size of @out, at least NDP_RA_MAX
 * @out_len:	set to the reply length
 *
 * Return: DROP_NONE if a reply was built, else why the frame ends here
 */
enum drop_reason ndp_input(struct vnet *vn, const struct pkt *p, uint8_t *out,
			   size_t cap, size_t *out_len)
{
	const uint8_t *icmp = p->data + p->l4_off;

	*out_len = 0;
	/* §6.1.1/§7.1.1: hop limit 255 and code 0, or it crossed a router */
	if (p->ttl != NDP_HOP_LIMIT || icmp[1] != 0 || cap < NDP_RA_MAX)
		return DROP_NDP_BAD;
	if (p->icmp_type == ICMPV6_ROUTER_SOLICIT)
		return ndp_rs(vn, p, out, cap, out_len);
	if (p->icmp_type == ICMPV6_NEIGHBOR_SOLICIT)
		return ndp_ns(vn, p, out, cap, out_len);
	return DROP_ICMP6_IGNORED;
}

/**
 * ndp_build_unsolicited_ra() - a periodic RA to all nodes
 * @vn:		vnet
 * @out:	frame buffer
 * @cap:	size of @out, at least NDP_RA_MAX
 *
 * Return: frame length
 */
size_t ndp_build_unsolicited_ra(const struct vnet *vn, uint8_t *out, size_t cap)
{
	struct rte_ether_addr mac;

	ndp_mcast_mac(ndp_all_nodes, &mac);
	return ndp_build_ra(vn, ndp_all_nodes, &mac, out, cap);
}
