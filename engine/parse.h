/* SPDX-License-Identifier: MIT */
/*
 * parse.h - validation and classification of frames from the guest
 *
 * parse_frame() is the single entry for guest bytes: it checks every length
 * and checksum it reads and fills a struct pkt with offsets into the frame.
 * Nothing after it re-checks what it has already proven.
 */
#ifndef BROTH_PARSE_H
#define BROTH_PARSE_H

#include <stdint.h>

#include <rte_byteorder.h>

#include "counters.h"

#define ETH_HLEN_	14

/* parse_frame() flags */
#define PARSE_L4_CSUM_OK	(1u << 0)	/* L4 checksum verified elsewhere: the
						 * port did, or the frame is a chain
						 * and the caller checks it */

struct pkt {
	const uint8_t *data;	/* frame, from the Ethernet header */
	uint32_t len;		/* frame length as received */
	uint16_t ethertype;	/* host order */
	uint16_t l3_off;
	uint16_t l4_off;	/* after the IPv4 options / IPv6 extension headers */
	uint8_t l4proto;	/* IPPROTO_* */
	uint8_t ttl;		/* IPv4 TTL, IPv6 hop limit */
	uint8_t df;		/* IPv4 Don't Fragment set */
	uint8_t v6;		/* IPv6 (ethertype 0x86dd) */
	uint32_t l3_len;	/* IP header(s) + L4 (frame padding excluded) */
	uint32_t l4_len;	/* L4 header + payload */
	uint32_t payload_off;	/* after the UDP/TCP/ICMP header */
	uint32_t payload_len;
	rte_be32_t src4, dst4;	/* IPv4 only */
	uint8_t saddr[16], daddr[16];	/* both families, IPv4 v4-mapped */
	rte_be16_t sport, dport;	/* UDP/TCP; ICMP echo: identifier in sport */
	uint8_t icmp_type;		/* ICMP/ICMPv6 */
	uint16_t frag_off;		/* IPv6 fragment header, 0 if none */
	uint16_t frag_nh_off;		/* the next-header byte naming it */
};

enum drop_reason parse_frame(const uint8_t *data, uint32_t len, unsigned flags,
			     struct pkt *p);

#endif
