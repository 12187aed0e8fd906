/* SPDX-License-Identifier: MIT */
/* frame.c - Ethernet/IPv4/UDP header builders for frames to the guest */
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
