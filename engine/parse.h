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
	uint16_t l4_off;	/* IPv4: after the header and options */
	uint8_t l4proto;	/* IPPROTO_* */
	uint8_t ttl;
	uint8_t df;		/* IPv4 Don't Fragment set */
	uint32_t l3_len;	/* IPv4 total length (frame padding excluded) */
	uint32_t l4_len;	/* L4 header + payload */
	uint32_t payload_off;	/* after the UDP/TCP/ICMP header */
	uint32_t payload_len;
	rte_be32_t src4, dst4;
	rte_be16_t sport, dport;	/* UDP/TCP; ICMP echo: identifier in sport */
};

enum drop_reason parse_frame(const uint8_t *data, uint32_t len, unsigned flags,
			     struct pkt *p);

#endif
