/* SPDX-License-Identifier: MIT */
/*
 * parse.c - validation and classification of frames from the guest
 *
 * Guest bytes are untrusted. Each header is checked against the bytes that
 * actually arrived before any field of it is used: the frame must hold the
 * header, lengths that the header claims must fit in the frame, checksums must
 * hold. A frame failing a check is dropped with one precise reason.
 * Ethernet padding after the IPv4 total length is ignored, never parsed.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "cksum.h"
#include "parse.h"

#define ARP_IPV4_LEN	28

static enum drop_reason parse_udp(struct pkt *p, const uint8_t *l4,
				  unsigned flags)
{
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)l4;
	uint16_t ulen;

	if (p->l4_len < sizeof(*uh))
		return DROP_UDP_TRUNC;
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < sizeof(*uh) || ulen > p->l4_len)
		return DROP_UDP_BAD_LEN;
	p->l4_len = ulen;
	if (uh->dgram_cksum && !(flags & PARSE_L4_CSUM_OK) &&
	    !cksum_l4_ok4(p->src4, p->dst4, IPPROTO_UDP, l4, ulen))
		return DROP_UDP_BAD_CSUM;
	p->sport = uh->src_port;
	p->dport = uh->dst_port;
	p->payload_off = p->l4_off + sizeof(*uh);
	p->payload_len = ulen - sizeof(*uh);
	return DROP_NONE;
}

static enum drop_reason parse_tcp(struct pkt *p, const uint8_t *l4,
				  unsigned flags)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)l4;
	uint32_t doff;

	if (p->l4_len < sizeof(*th))
		return DROP_TCP_TRUNC;
	doff = (th->data_off >> 4) * 4u;
	if (doff < sizeof(*th) || doff > p->l4_len)
		return DROP_TCP_TRUNC;
	if (!(flags & PARSE_L4_CSUM_OK) &&
	    !cksum_l4_ok4(p->src4, p->dst4, IPPROTO_TCP, l4, p->l4_len))
		return DROP_TCP_BAD_CSUM;
	p->sport = th->src_port;
	p->dport = th->dst_port;
	p->payload_off = p->l4_off + doff;
	p->payload_len = p->l4_len - doff;
	return DROP_NONE;
}

static enum drop_reason parse_icmp(struct pkt *p, const uint8_t *l4,
				   unsigned flags)
{
	const struct rte_icmp_hdr *ih = (const struct rte_icmp_hdr *)l4;

	if (p->l4_len < sizeof(*ih))
		return DROP_ICMP_TRUNC;
	if (!(flags & PARSE_L4_CSUM_OK) && !cksum_ok(l4, p->l4_len))
		return DROP_ICMP_BAD_CSUM;
	p->sport = ih->icmp_ident;
	p->payload_off = p->l4_off + sizeof(*ih);
	p->payload_len = p->l4_len - sizeof(*ih);
	return DROP_NONE;
}

static bool ip4_is_mcast_or_bcast(rte_be32_t a)
{
	uint32_t h = rte_be_to_cpu_32(a);

	return (h & 0xf0000000u) == 0xe0000000u || h == 0xffffffffu;
}

static enum drop_reason parse_ipv4(struct pkt *p, unsigned flags)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t rem = p->len - ETH_HLEN_, ihl, tot;
	const uint8_t *l4;

	if (rem < sizeof(*ip))
		return DROP_IPV4_TRUNC;
	ip = (const struct rte_ipv4_hdr *)(p->data + p->l3_off);
	if ((ip->version_ihl >> 4) != 4)
		return DROP_IPV4_BAD_VERSION;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < sizeof(*ip))
		return DROP_IPV4_BAD_IHL;
	if (ihl > rem)
		return DROP_IPV4_TRUNC;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > rem)
		return DROP_IPV4_BAD_LEN;
	if (!cksum_ok(ip, ihl))
		return DROP_IPV4_BAD_CSUM;
	if (ip->fragment_offset &
	    rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return DROP_IPV4_FRAGMENT;
	if (ip4_is_mcast_or_bcast(ip->src_addr))
		return DROP_IPV4_BAD_SRC;

	p->l3_len = tot;
	p->l4_off = p->l3_off + ihl;
	p->l4_len = tot - ihl;
	p->l4proto = ip->next_proto_id;
	p->ttl = ip->time_to_live;
	p->df = !!(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG));
	p->src4 = ip->src_addr;
	p->dst4 = ip->dst_addr;
	l4 = p->data + p->l4_off;

	switch (p->l4proto) {
	case IPPROTO_UDP:
		return parse_udp(p, l4, flags);
	case IPPROTO_TCP:
		return parse_tcp(p, l4, flags);
	case IPPROTO_ICMP:
		return parse_icmp(p, l4, flags);
	default:
		return DROP_IPV4_UNKNOWN_PROTO;
	}
}

/**
 * parse_frame() - validate a frame from the guest and locate its headers
 * @data:	first byte of the Ethernet header
 * @len:	bytes received
 * @flags:	PARSE_* hints from the port (offloads)
 * @p:		filled on success; partially filled on failure
 *
 * ARP frames are only checked for length here; arp_input() checks the rest.
 *
 * Return: DROP_NONE, or the reason to drop the frame
 */
enum drop_reason parse_frame(const uint8_t *data, uint32_t len, unsigned flags,
			     struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->data = data;
	p->len = len;
	if (len < ETH_HLEN_)
		return DROP_ETH_TRUNC;
	p->ethertype = (uint16_t)(data[12] << 8 | data[13]);
	p->l3_off = ETH_HLEN_;

	switch (p->ethertype) {
	case RTE_ETHER_TYPE_ARP:
		if (len - ETH_HLEN_ < ARP_IPV4_LEN)
			return DROP_ARP_TRUNC;
		p->l3_len = ARP_IPV4_LEN;
		return DROP_NONE;
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(p, flags);
	case RTE_ETHER_TYPE_IPV6:
		return DROP_IPV6_UNSUPPORTED;
	default:
		return DROP_ETH_UNKNOWN_TYPE;
	}
}
