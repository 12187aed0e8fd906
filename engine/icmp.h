/* SPDX-License-Identifier: MIT */
/* icmp.h - ICMP echo answered by the gateway itself */
#ifndef BROTH_ICMP_H
#define BROTH_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

enum drop_reason icmp_gateway_echo(const struct vnet *vn, uint8_t *frame,
				   const struct pkt *p, bool flat);

/* ICMPv6 types (RFC 4443, RFC 4861) */
#define ICMPV6_DST_UNREACH	1
#define ICMPV6_PACKET_TOO_BIG	2
#define ICMPV6_TIME_EXCEEDED	3
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129
#define ICMPV6_ROUTER_SOLICIT	133
#define ICMPV6_ROUTER_ADVERT	134
#define ICMPV6_NEIGHBOR_SOLICIT	135
#define ICMPV6_NEIGHBOR_ADVERT	136

enum drop_reason icmp6_gateway_echo(const struct vnet *vn, uint8_t *frame,
				    const struct pkt *p, bool flat);
size_t icmp_error6(uint8_t *buf, size_t cap, const struct vnet *vn,
		   const uint8_t src[16], const struct rte_ether_addr *dst_mac,
		   uint8_t type, uint8_t code, uint32_t info,
		   const uint8_t *quote, size_t quote_len);
size_t icmp_error(uint8_t *buf, size_t cap, const struct vnet *vn,
		  const uint8_t src[16], const struct rte_ether_addr *dst_mac,
		  uint8_t type, uint8_t code, uint32_t info, const uint8_t *quote,
		  size_t quote_len);
size_t icmp_error4(uint8_t *buf, size_t cap, const struct vnet *vn,
		   rte_be32_t src, const struct rte_ether_addr *dst_mac, uint8_t type,
		   uint8_t code, uint32_t info, const uint8_t *quote,
		   size_t quote_len);

#endif
