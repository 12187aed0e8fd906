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

#define FRAME_ETH_LEN	14
#define FRAME_IP4_LEN	20
#define FRAME_UDP4_OFF	(FRAME_ETH_LEN + FRAME_IP4_LEN + 8)	/* UDP payload */
#define FRAME_MIN_LEN	60	/* without FCS; shorter frames are padded */

void frame_eth(uint8_t *buf, const struct rte_ether_addr *src,
	       const struct rte_ether_addr *dst, uint16_t ethertype);
void frame_ip4(uint8_t *buf, rte_be32_t src, rte_be32_t dst, uint8_t proto,
	       uint8_t ttl, uint16_t l4_len);
size_t frame_udp4(uint8_t *buf, const struct rte_ether_addr *src_mac,
		  const struct rte_ether_addr *dst_mac, rte_be32_t src,
		  rte_be32_t dst, rte_be16_t sport, rte_be16_t dport,
		  uint16_t payload_len);
size_t frame_pad(uint8_t *buf, size_t len);

#endif
