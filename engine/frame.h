/* SPDX-License-Identifier: MIT */
/*
 * frame.h - builders for frames broth sends to the guest
 *
 * Builders write headers in front of a payload the caller has already placed
 * at the matching offset, so payloads are written once and never moved.
 */
#ifndef BROTH_FRAME_H
#define BROTH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "inet.h"

#define FRAME_ETH_LEN	14
#define FRAME_IP4_LEN	20
#define FRAME_IP6_LEN	40
#define FRAME_UDP4_OFF	(FRAME_ETH_LEN + FRAME_IP4_LEN + 8)	/* UDP payload */
#define FRAME_UDP6_OFF	(FRAME_ETH_LEN + FRAME_IP6_LEN + 8)
#define FRAME_MIN_LEN	60	/* without FCS; shorter frames are padded */

/* Length of the IP header broth writes for packets from/to @addr */
static inline uint16_t frame_ip_len(const uint8_t addr[INET_ALEN])
{
	return inet_is_v4(addr) ? FRAME_IP4_LEN : FRAME_IP6_LEN;
}

/* Where the UDP payload starts in a frame to/from @addr */
static inline uint16_t frame_udp_off(const uint8_t addr[INET_ALEN])
{
	return inet_is_v4(addr) ? FRAME_UDP4_OFF : FRAME_UDP6_OFF;
}

void frame_eth(uint8_t *buf, const struct rte_ether_addr *src,
	       const struct rte_ether_addr *dst, uint16_t ethertype);
void frame_ip4(uint8_t *buf, rte_be32_t src, rte_be32_t dst, uint8_t proto,
	       uint8_t ttl, uint16_t l4_len);
void frame_ip6(uint8_t *buf, const uint8_t src[INET_ALEN],
	       const uint8_t dst[INET_ALEN], uint8_t proto, uint8_t hops,
	       uint16_t l4_len);
uint16_t frame_ip(uint8_t *buf, const uint8_t src[INET_ALEN],
		  const uint8_t dst[INET_ALEN], uint8_t proto, uint8_t ttl,
		  uint16_t l4_len);
uint16_t frame_eth_ip(uint8_t *buf, const struct rte_ether_addr *src_mac,
		      const struct rte_ether_addr *dst_mac,
		      const uint8_t src[INET_ALEN], const uint8_t dst[INET_ALEN],
		      uint8_t proto, uint8_t ttl, uint16_t l4_len);
uint16_t frame_l4_cksum(const struct rte_mbuf *m, uint16_t l4_off);
size_t frame_udp(uint8_t *buf, const struct rte_ether_addr *src_mac,
		 const struct rte_ether_addr *dst_mac, const uint8_t src[INET_ALEN],
		 const uint8_t dst[INET_ALEN], rte_be16_t sport, rte_be16_t dport,
		 uint16_t payload_len);
void frame_udp_mbuf(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
		    const struct rte_ether_addr *dst_mac,
		    const uint8_t src[INET_ALEN], const uint8_t dst[INET_ALEN],
		    rte_be16_t sport, rte_be16_t dport, uint16_t payload_len);
size_t frame_udp4(uint8_t *buf, const struct rte_ether_addr *src_mac,
		  const struct rte_ether_addr *dst_mac, rte_be32_t src,
		  rte_be32_t dst, rte_be16_t sport, rte_be16_t dport,
		  uint16_t payload_len);
size_t frame_pad(uint8_t *buf, size_t len);

#endif
