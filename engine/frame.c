/* SPDX-License-Identifier: MIT */
/* frame.c - Ethernet/IPv4/IPv6/UDP header builders for frames to the guest */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "frame.h"

/**
 * frame_eth() - write an Ethernet header
 * @buf:	start of the frame
 * @src:	source MAC (the gateway)
 * @dst:	destination MAC
 * @ethertype:	host order
 */
void frame_eth(uint8_t *buf, const struct rte_ether_addr *src,
	       const struct rte_ether_addr *dst, uint16_t ethertype)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;

	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(src, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ethertype);
}

/**
 * frame_ip4() - write a 20-byte IPv4 header with its checksum
 * @buf:	where the header goes
 * @src, @dst:	addresses, network order
 * @proto:	IPPROTO_*
 * @ttl:	time to live
 * @l4_len:	bytes following the header
 */
void frame_ip4(uint8_t *buf, rte_be32_t src, rte_be32_t dst, uint8_t proto,
	       uint8_t ttl, uint16_t l4_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(FRAME_IP4_LEN + l4_len);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ttl;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/**
 * frame_ip6() - write a 40-byte IPv6 header
 * @buf:	where the header goes
 * @src, @dst:	addresses
 * @proto:	next header, IPPROTO_*
 * @hops:	hop limit
 * @l4_len:	bytes following the header
 */
void frame_ip6(uint8_t *buf, const uint8_t src[INET_ALEN],
	       const uint8_t dst[INET_ALEN], uint8_t proto, uint8_t hops,
	       uint16_t l4_len)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)buf;

	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4_len);
	ip->proto = proto;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, src, INET_ALEN);
	memcpy(ip->dst_addr, dst, INET_ALEN);
}

/**
 * frame_ip() - IPv4 or IPv6 header, by the family of the addresses
 * @buf:	where the header goes
 * @src, @dst:	addresses (v4-mapped for IPv4)
 * @proto:	IPPROTO_*
 * @ttl:	TTL or hop limit
 * @l4_len:	bytes after the header
 *
 * Return: the header's length
 */
uint16_t frame_ip(uint8_t *buf, const uint8_t src[INET_ALEN],
		  const uint8_t dst[INET_ALEN], uint8_t proto, uint8_t ttl,
		  uint16_t l4_len)
{
	if (inet_is_v4(src)) {
		frame_ip4(buf, inet_to_v4(src), inet_to_v4(dst), proto, ttl,
			  l4_len);
		return FRAME_IP4_LEN;
	}
	frame_ip6(buf, src, dst, proto, ttl, l4_len);
	return FRAME_IP6_LEN;
}

/**
 * frame_eth_ip() - Ethernet and IP header of the addresses' family
 * @buf:		start of the frame
 * @src_mac, @dst_mac:	Ethernet addresses
 * @src, @dst:		IP addresses (v4-mapped for IPv4)
 * @proto:		IPPROTO_*
 * @ttl:		TTL or hop limit
 * @l4_len:		bytes after the IP header
 *
 * Return: offset of the L4 header
 */
uint16_t frame_eth_ip(uint8_t *buf, const struct rte_ether_addr *src_mac,
		      const struct rte_ether_addr *dst_mac,
		      const uint8_t src[INET_ALEN], const uint8_t dst[INET_ALEN],
		      uint8_t proto, uint8_t ttl, uint16_t l4_len)
{
	frame_eth(buf, src_mac, dst_mac, inet_is_v4(src) ? RTE_ETHER_TYPE_IPV4 :
						     RTE_ETHER_TYPE_IPV6);
	return FRAME_ETH_LEN + frame_ip(buf + FRAME_ETH_LEN, src, dst, proto,
					ttl, l4_len);
}

/**
 * frame_l4_cksum() - checksum of a frame's TCP, UDP or ICMPv6 part
 * @m:		frame written by frame_eth_ip(), possibly a chain, whose L4
 *		checksum field is zero
 * @l4_off:	offset of the L4 header
 *
 * Return: the checksum field value
 */
uint16_t frame_l4_cksum(const struct rte_mbuf *m, uint16_t l4_off)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *,
						    FRAME_ETH_LEN);

	if ((l3[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		return m->nb_segs == 1 ?
		       rte_ipv4_udptcp_cksum(ip, l3 + (l4_off - FRAME_ETH_LEN)) :
		       rte_ipv4_udptcp_cksum_mbuf(m, ip, l4_off);
	}
	return m->nb_segs == 1 ?
	       rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)l3,
				     l3 + (l4_off - FRAME_ETH_LEN)) :
	       rte_ipv6_udptcp_cksum_mbuf(m, (const struct rte_ipv6_hdr *)l3,
					  l4_off);
}

/**
 * frame_udp() - headers for a UDP datagram of either family whose payload is
 *		 already at @buf + frame_udp_off(@src)
 * @buf:		start of the frame (one flat buffer)
 * @src_mac, @dst_mac:	Ethernet addresses
 * @src, @dst:		IP addresses (v4-mapped for IPv4)
 * @sport, @dport:	ports, network order
 * @payload_len:	bytes of payload
 *
 * Return: frame length, padded to the Ethernet minimum
 */
size_t frame_udp(uint8_t *buf, const struct rte_ether_addr *src_mac,
		 const struct rte_ether_addr *dst_mac, const uint8_t src[INET_ALEN],
		 const uint8_t dst[INET_ALEN], rte_be16_t sport, rte_be16_t dport,
		 uint16_t payload_len)
{
	struct rte_udp_hdr *uh;
	uint16_t l4_len = (uint16_t)(sizeof(*uh) + payload_len), off;

	if (inet_is_v4(src))
		return frame_udp4(buf, src_mac, dst_mac, inet_to_v4(src),
				  inet_to_v4(dst), sport, dport, payload_len);
	off = frame_eth_ip(buf, src_mac, dst_mac, src, dst, IPPROTO_UDP, 64,
			   l4_len);
	uh = (struct rte_udp_hdr *)(buf + off);
	uh->src_port = sport;
	uh->dst_port = dport;
	uh->dgram_len = rte_cpu_to_be_16(l4_len);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv6_udptcp_cksum(
		(const struct rte_ipv6_hdr *)(buf + FRAME_ETH_LEN), uh);
	return frame_pad(buf, off + l4_len);
}

/**
 * frame_udp_mbuf() - headers of a UDP datagram whose payload is in @m (one
 *		      mbuf or a chain) from frame_udp_off(@src) on
 * @m:			the frame, lengths set
 * @src_mac, @dst_mac:	Ethernet addresses
 * @src, @dst:		IP addresses (v4-mapped for IPv4)
 * @sport, @dport:	ports, network order
 * @payload_len:	bytes of payload
 */
void frame_udp_mbuf(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
		    const struct rte_ether_addr *dst_mac,
		    const uint8_t src[INET_ALEN], const uint8_t dst[INET_ALEN],
		    rte_be16_t sport, rte_be16_t dport, uint16_t payload_len)
{
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t l4_len = (uint16_t)(sizeof(struct rte_udp_hdr) + payload_len);
	uint16_t l4 = frame_eth_ip(buf, src_mac, dst_mac, src, dst, IPPROTO_UDP,
				   64, l4_len);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(buf + l4);

	uh->src_port = sport;
	uh->dst_port = dport;
	uh->dgram_len = rte_cpu_to_be_16(l4_len);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = frame_l4_cksum(m, l4);
}

/**
 * frame_udp4() - headers for a UDP datagram whose payload is already at
 *		  @buf + FRAME_UDP4_OFF
 * @buf:		start of the frame
 * @src_mac, @dst_mac:	Ethernet addresses
 * @src, @dst:		IPv4 addresses, network order
 * @sport, @dport:	ports, network order
 * @payload_len:	bytes of payload
 *
 * Return: frame length, padded to the Ethernet minimum
 */
size_t frame_udp4(uint8_t *buf, const struct rte_ether_addr *src_mac,
		  const struct rte_ether_addr *dst_mac, rte_be32_t src,
		  rte_be32_t dst, rte_be16_t sport, rte_be16_t dport,
		  uint16_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + FRAME_ETH_LEN);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint16_t l4_len = sizeof(*uh) + payload_len;

	frame_eth(buf, src_mac, dst_mac, RTE_ETHER_TYPE_IPV4);
	frame_ip4((uint8_t *)ip, src, dst, IPPROTO_UDP, 64, l4_len);
	uh->src_port = sport;
	uh->dst_port = dport;
	uh->dgram_len = rte_cpu_to_be_16(l4_len);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return frame_pad(buf, FRAME_UDP4_OFF + payload_len);
}

/**
 * frame_pad() - zero-pad a frame to the Ethernet minimum
 * @buf:	frame, with room for FRAME_MIN_LEN bytes
 * @len:	current length
 *
 * Return: the new length
 */
size_t frame_pad(uint8_t *buf, size_t len)
{
	if (len >= FRAME_MIN_LEN)
		return len;
	memset(buf + len, 0, FRAME_MIN_LEN - len);
	return FRAME_MIN_LEN;
}
