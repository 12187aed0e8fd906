/* SPDX-License-Identifier: MIT */
/*
 * parse.c - validation and classification of frames from the guest
 *
 * Guest bytes are untrusted. Each header is checked against the bytes that
 * actually arrived before any field of it is used: the frame must hold the
 * header, lengths that the header claims must fit in the frame, checksums must
 * hold. A frame failing a check is dropped with one precise reason.
 * Ethernet padding after the IP length is ignored, never parsed. IPv6
 * extension headers are walked and skipped; what broth cannot handle
 * (fragments, source routes, options that demand a discard) is dropped.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "cksum.h"
#include "inet.h"
#include "parse.h"

#define ARP_IPV4_LEN	28

/* L4 checksum with the pseudo-header of the packet's family */
static bool parse_l4_csum_ok(const struct pkt *p, uint8_t proto,
			     const uint8_t *l4, uint32_t len)
{
	if (p->v6)
		return cksum_l4_ok6(p->saddr, p->daddr, proto, l4, len);
	return cksum_l4_ok4(p->src4, p->dst4, proto, l4, (uint16_t)len);
}

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
	/* RFC 8200 §8.1: IPv6 makes the UDP checksum mandatory */
	if (!uh->dgram_cksum && p->v6)
		return DROP_UDP_BAD_CSUM;
	if (uh->dgram_cksum && !(flags & PARSE_L4_CSUM_OK) &&
	    !parse_l4_csum_ok(p, IPPROTO_UDP, l4, ulen))
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
	    !parse_l4_csum_ok(p, IPPROTO_TCP, l4, p->l4_len))
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
	p->icmp_type = ih->icmp_type;
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
	inet_from_v4(p->saddr, p->src4);
	inet_from_v4(p->daddr, p->dst4);
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

/* ICMPv6: every message broth handles has at least 8 bytes (RFC 4443 §2.1) */
static enum drop_reason parse_icmp6(struct pkt *p, const uint8_t *l4,
				    unsigned flags)
{
	if (p->l4_len < 8)
		return DROP_ICMP_TRUNC;
	if (!(flags & PARSE_L4_CSUM_OK) &&
	    !parse_l4_csum_ok(p, IPPROTO_ICMPV6, l4, p->l4_len))
		return DROP_ICMP_BAD_CSUM;
	p->icmp_type = l4[0];
	memcpy(&p->sport, l4 + 4, 2);		/* echo identifier */
	p->payload_off = p->l4_off + 8;
	p->payload_len = p->l4_len - 8;
	return DROP_NONE;
}

#define IPV6_HDR_LEN		40
#define IPV6_MAX_EXT		8	/* extension headers walked before giving up */
#define IPV6_NH_HOPOPTS		0
#define IPV6_NH_ROUTING		43
#define IPV6_NH_FRAGMENT	44
#define IPV6_NH_NONE		59
#define IPV6_NH_DSTOPTS		60

/*
 * Options of a hop-by-hop or destination options header (RFC 8200 §4.2):
 * every TLV must fit, and an option we do not know whose type says "discard"
 * (the two high bits not 00) makes us drop the packet, as a host would.
 */
static enum drop_reason parse_ipv6_opts(const uint8_t *h, uint32_t len)
{
	for (uint32_t i = 2; i < len;) {
		uint8_t type = h[i];

		if (type == 0) {		/* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + h[i + 1] > len)
			return DROP_IPV6_BAD_EXT;
		/* PadN and Router Alert (MLD) are harmless; others by type */
		if (type != 1 && type != 5 && (type & 0xc0))
			return DROP_IPV6_EXT_UNSUPPORTED;
		i += 2u + h[i + 1];
	}
	return DROP_NONE;
}

/*
 * Walk the extension headers between the fixed header and the upper layer:
 * each must fit in the payload; hop-by-hop only comes first; a routing header
 * with segments left would make us a router of source routes, so it is
 * dropped. A fragment header ends the walk: p->frag_off and p->frag_nh_off
 * locate it and the next-header byte naming it, for reassembly.
 */
static enum drop_reason parse_ipv6_ext(struct pkt *p, uint8_t *nh,
				       uint32_t *off, uint32_t end)
{
	uint32_t nh_off = p->l3_off + 6;	/* the fixed header's field */

	for (unsigned n = 0; n < IPV6_MAX_EXT; n++) {
		const uint8_t *h = p->data + *off;
		uint32_t len;
		enum drop_reason r;

		switch (*nh) {
		case IPV6_NH_HOPOPTS:
			if (n)
				return DROP_IPV6_BAD_EXT;
			/* fall through */
		case IPV6_NH_DSTOPTS:
		case IPV6_NH_ROUTING:
			break;
		case IPV6_NH_FRAGMENT:
			if (*off + 8 > end)
				return DROP_IPV6_BAD_EXT;
			p->frag_off = (uint16_t)*off;
			p->frag_nh_off = (uint16_t)nh_off;
			return DROP_IPV6_FRAGMENT;
		case IPV6_NH_NONE:
			return DROP_IPV6_UNKNOWN_PROTO;
		default:
			return DROP_NONE;	/* an upper layer */
		}
		if (*off + 8 > end)
			return DROP_IPV6_BAD_EXT;
		len = (h[1] + 1u) * 8u;
		if (*off + len > end)
			return DROP_IPV6_BAD_EXT;
		if (*nh == IPV6_NH_ROUTING) {
			if (h[3])		/* segments left */
				return DROP_IPV6_EXT_UNSUPPORTED;
		} else if ((r = parse_ipv6_opts(h, len))) {
			return r;
		}
		*nh = h[0];
		nh_off = *off;
		*off += len;
	}
	return DROP_IPV6_EXT_UNSUPPORTED;
}

static enum drop_reason parse_ipv6(struct pkt *p, unsigned flags)
{
	const struct rte_ipv6_hdr *ip;
	uint32_t rem = p->len - ETH_HLEN_, plen, off, end;
	uint8_t nh;
	enum drop_reason r;

	if (rem < IPV6_HDR_LEN)
		return DROP_IPV6_TRUNC;
	ip = (const struct rte_ipv6_hdr *)(p->data + p->l3_off);
	if ((p->data[p->l3_off] >> 4) != 6)
		return DROP_IPV6_BAD_VERSION;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (!plen || IPV6_HDR_LEN + plen > rem)	/* 0: a jumbogram */
		return DROP_IPV6_BAD_LEN;
	if (ip->src_addr[0] == 0xff)
		return DROP_IPV6_BAD_SRC;

	p->v6 = 1;
	p->ttl = ip->hop_limits;
	memcpy(p->saddr, ip->src_addr, 16);
	memcpy(p->daddr, ip->dst_addr, 16);
	p->l3_len = IPV6_HDR_LEN + plen;
	nh = ip->proto;
	off = p->l3_off + IPV6_HDR_LEN;
	end = p->l3_off + p->l3_len;
	r = parse_ipv6_ext(p, &nh, &off, end);
	if (r)
		return r;
	p->l4_off = (uint16_t)off;
	p->l4_len = end - off;
	p->l4proto = nh;

	switch (nh) {
	case IPPROTO_UDP:
		return parse_udp(p, p->data + off, flags);
	case IPPROTO_TCP:
		return parse_tcp(p, p->data + off, flags);
	case IPPROTO_ICMPV6:
		return parse_icmp6(p, p->data + off, flags);
	default:
		return DROP_IPV6_UNKNOWN_PROTO;
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
		return parse_ipv6(p, flags);
	default:
		return DROP_ETH_UNKNOWN_TYPE;
	}
}
