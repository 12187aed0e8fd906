/* SPDX-License-Identifier: MIT */
/*
 * icmp.c - ICMP and ICMPv6 echo answered by the gateway, and ICMP errors
 *
 * Pings to the gateway never leave broth: the request is turned into the
 * reply in place, in the worker that received it, and sent straight back.
 * Errors to the guest (unreachable, time exceeded, too big) quote the
 * guest's own packet, as a router would.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "cksum.h"
#include "frame.h"
#include "icmp.h"
#include "inet.h"

#define ICMP_REPLY_TTL	64

/**
 * icmp_gateway_echo() - turn an echo request to the gateway into its reply
 * @vn:		vnet of the guest
 * @frame:	the request, rewritten in place (same bytes as @p->data)
 * @p:		parsed request: IPv4/ICMP addressed to the gateway
 * @flat:	the whole message is in @frame (one mbuf segment)
 *
 * The reply is p->l3_off + p->l3_len bytes long; Ethernet padding is not part
 * of it.
 *
 * Return: DROP_NONE if @frame now holds the reply, else the drop reason
 */
enum drop_reason icmp_gateway_echo(const struct vnet *vn, uint8_t *frame,
				   const struct pkt *p, bool flat)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + p->l3_off);
	struct rte_icmp_hdr *ih = (struct rte_icmp_hdr *)(frame + p->l4_off);

	if (p->dst4 != vn->gw4)
		return DROP_NO_HANDLER;
	if (ih->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ih->icmp_code != 0)
		return DROP_ICMP_UNSUPPORTED;
	if (p->src4 == 0)
		return DROP_IPV4_BAD_SRC;

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&vn->gw_mac, &eh->src_addr);

	ip->dst_addr = p->src4;
	ip->src_addr = vn->gw4;
	ip->time_to_live = ICMP_REPLY_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = cksum_fold(ip, p->l4_off - p->l3_off);

	ih->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	if (flat) {
		/* recomputed: an incremental update cannot tell an all-zero
		 * message (sum 0xffff) from one summing to -0 (0x0000) */
		ih->icmp_cksum = 0;
		ih->icmp_cksum = cksum_fold(ih, p->l4_len);
	} else {	/* a chain: RFC 1624 update of the type byte only */
		ih->icmp_cksum = cksum_update16(ih->icmp_cksum,
						RTE_BE16(RTE_IP_ICMP_ECHO_REQUEST << 8),
						RTE_BE16(RTE_IP_ICMP_ECHO_REPLY << 8));
	}
	return DROP_NONE;
}

/**
 * icmp6_gateway_echo() - turn an ICMPv6 echo request to the gateway into its
 *			  reply, in place
 * @vn:		vnet of the guest
 * @frame:	the request (same bytes as @p->data)
 * @p:		parsed request: IPv6/ICMPv6 to one of the gateway's addresses
 * @flat:	the whole message is in @frame
 *
 * The reply comes from the address that was pinged. Requests carrying
 * extension headers are not answered: the reply would have to drop them.
 *
 * Return: DROP_NONE if @frame now holds the reply, else the drop reason
 */
enum drop_reason icmp6_gateway_echo(const struct vnet *vn, uint8_t *frame,
				    const struct pkt *p, bool flat)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + p->l3_off);
	uint8_t *ih = frame + p->l4_off;
	uint16_t ck;

	if (!vnet_is_gateway(vn, p->daddr))
		return DROP_NO_HANDLER;
	if (p->icmp_type != ICMPV6_ECHO_REQUEST || ih[1] != 0)
		return DROP_ICMP_UNSUPPORTED;
	if (p->l4_off != p->l3_off + FRAME_IP6_LEN)
		return DROP_IPV6_EXT_UNSUPPORTED;
	if (!memcmp(p->saddr, (const uint8_t[16]){ 0 }, 16))
		return DROP_IPV6_BAD_SRC;

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&vn->gw_mac, &eh->src_addr);
	memcpy(ip->dst_addr, p->saddr, 16);
	memcpy(ip->src_addr, p->daddr, 16);
	ip->hop_limits = ICMP_REPLY_TTL;

	ih[0] = ICMPV6_ECHO_REPLY;
	if (flat) {
		memset(ih + 2, 0, 2);
		ck = cksum_icmp6(ip->src_addr, ip->dst_addr, ih, p->l4_len);
	} else {	/* swapped addresses leave the pseudo-header sum alone */
		memcpy(&ck, ih + 2, 2);
		ck = cksum_update16(ck, RTE_BE16(ICMPV6_ECHO_REQUEST << 8),
				    RTE_BE16(ICMPV6_ECHO_REPLY << 8));
	}
	memcpy(ih + 2, &ck, 2);
	return DROP_NONE;
}

/* RFC 1812 §4.3.2.3: quote as much as fits in 576 bytes; we quote less */
#define ICMP_QUOTE_MAX	(576 - FRAME_IP4_LEN - 8)

/**
 * icmp_error4() - build an ICMP error to the guest
 * @buf:	frame buffer
 * @cap:	size of @buf
 * @vn:		vnet of the guest
 * @src:	who reports the error: the gateway, or the router the host
 *		heard it from
 * @dst_mac:	guest MAC
 * @type:	ICMP type (3 unreachable, 11 time exceeded, ...)
 * @code:	ICMP code
 * @info:	second header word, host order (next-hop MTU for code 4)
 * @quote:	the guest's original IP header and at least 8 bytes after it
 * @quote_len:	bytes of @quote, cut to ICMP_QUOTE_MAX
 *
 * The destination is the source of the quoted header, i.e. the guest.
 *
 * Return: frame length, 0 if @cap is too small
 */
size_t icmp_error4(uint8_t *buf, size_t cap, const struct vnet *vn,
		   rte_be32_t src, const struct rte_ether_addr *dst_mac, uint8_t type,
		   uint8_t code, uint32_t info, const uint8_t *quote,
		   size_t quote_len)
{
	const struct rte_ipv4_hdr *q = (const struct rte_ipv4_hdr *)quote;
	uint8_t *ih = buf + FRAME_ETH_LEN + FRAME_IP4_LEN;
	rte_be32_t w2 = rte_cpu_to_be_32(info);
	uint16_t ck;

	if (quote_len > ICMP_QUOTE_MAX)
		quote_len = ICMP_QUOTE_MAX;
	if (quote_len < FRAME_IP4_LEN ||
	    cap < RTE_MAX(FRAME_ETH_LEN + FRAME_IP4_LEN + 8 + quote_len,
			  (size_t)FRAME_MIN_LEN))
		return 0;
	ih[0] = type;
	ih[1] = code;
	ih[2] = ih[3] = 0;
	memcpy(ih + 4, &w2, 4);
	memcpy(ih + 8, quote, quote_len);
	ck = cksum_fold(ih, (uint32_t)(8 + quote_len));
	memcpy(ih + 2, &ck, 2);
	frame_eth(buf, &vn->gw_mac, dst_mac, RTE_ETHER_TYPE_IPV4);
	frame_ip4(buf + FRAME_ETH_LEN, src, q->src_addr, IPPROTO_ICMP, 64,
		  (uint16_t)(8 + quote_len));
	return frame_pad(buf, FRAME_ETH_LEN + FRAME_IP4_LEN + 8 + quote_len);
}

/* RFC 4443 §2.4(c): the error must fit in the IPv6 minimum MTU */
#define ICMP6_QUOTE_MAX	(1280 - FRAME_IP6_LEN - 8)

/**
 * icmp_error6() - build an ICMPv6 error to the guest
 * @buf, @cap:	frame buffer and its size
 * @vn:		vnet of the guest
 * @src:	reporter (gateway or the router the host heard it from)
 * @dst_mac:	guest MAC
 * @type, @code, @info:	ICMPv6 type, code, second word (MTU for type 2)
 * @quote:	the guest's IPv6 packet, from its header
 * @quote_len:	bytes of @quote, cut to ICMP6_QUOTE_MAX
 *
 * Return: frame length, 0 if @cap is too small or the quote is no packet
 */
size_t icmp_error6(uint8_t *buf, size_t cap, const struct vnet *vn,
		   const uint8_t src[16], const struct rte_ether_addr *dst_mac,
		   uint8_t type, uint8_t code, uint32_t info,
		   const uint8_t *quote, size_t quote_len)
{
	uint8_t *ih = buf + FRAME_ETH_LEN + FRAME_IP6_LEN;
	rte_be32_t w2 = rte_cpu_to_be_32(info);
	uint32_t l4_len;
	uint16_t ck;

	if (quote_len > ICMP6_QUOTE_MAX)
		quote_len = ICMP6_QUOTE_MAX;
	l4_len = (uint32_t)(8 + quote_len);
	if (quote_len < FRAME_IP6_LEN ||
	    cap < RTE_MAX(FRAME_ETH_LEN + FRAME_IP6_LEN + l4_len,
			  (size_t)FRAME_MIN_LEN))
		return 0;
	ih[0] = type;
	ih[1] = code;
	ih[2] = ih[3] = 0;
	memcpy(ih + 4, &w2, 4);
	memcpy(ih + 8, quote, quote_len);
	/* the guest's source address (quote + 8) is where the error goes */
	frame_eth_ip(buf, &vn->gw_mac, dst_mac, src, quote + 8, IPPROTO_ICMPV6,
		     64, (uint16_t)l4_len);
	ck = cksum_icmp6(src, quote + 8, ih, l4_len);
	memcpy(ih + 2, &ck, 2);
	return frame_pad(buf, FRAME_ETH_LEN + FRAME_IP6_LEN + l4_len);
}

/**
 * icmp_error() - build an ICMP or ICMPv6 error, by the family of @src
 *
 * See icmp_error4() and icmp_error6(); @type and @code are the family's own.
 *
 * Return: frame length, or 0
 */
size_t icmp_error(uint8_t *buf, size_t cap, const struct vnet *vn,
		  const uint8_t src[16], const struct rte_ether_addr *dst_mac,
		  uint8_t type, uint8_t code, uint32_t info, const uint8_t *quote,
		  size_t quote_len)
{
	if (inet_is_v4(src))
		return icmp_error4(buf, cap, vn, inet_to_v4(src), dst_mac, type,
				   code, info, quote, quote_len);
	return icmp_error6(buf, cap, vn, src, dst_mac, type, code, info, quote,
			   quote_len);
}
