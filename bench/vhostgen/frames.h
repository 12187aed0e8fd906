/* SPDX-License-Identifier: MIT */
/*
 * frames.h - the frames vhostgen sends as the guest, and what it makes of
 *	      broth's answers
 *
 * Every frame is built once, before the run, into a FRAME_LEN buffer; the
 * send loop only copies it into an mbuf. All are minimum-size Ethernet
 * frames (60 bytes + the FCS the wire would add = the classic 64-byte frame)
 * with correct IPv4 and L4 checksums, except where a mode wants them wrong.
 */
#ifndef VHOSTGEN_FRAMES_H
#define VHOSTGEN_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#define FRAME_LEN	60	/* bytes handed to the NIC: 64 on the wire */

/* who is who on the guest's link */
struct gen_addr {
	struct rte_ether_addr guest_mac, gw_mac;
	rte_be32_t guest_ip, gw_ip;
};

/* what broth sent us */
enum reply_kind {
	REPLY_ARP,	/* ARP reply */
	REPLY_ECHO,	/* ICMP echo reply */
	REPLY_SYNACK,	/* TCP SYN-ACK: a connection attempt succeeded */
	REPLY_RST,	/* TCP RST */
	REPLY_OTHER,
	REPLY__COUNT
};

void frame_arp_request(uint8_t *f, const struct gen_addr *a);
void frame_unknown(uint8_t *f, const struct gen_addr *a);
void frame_icmp_echo(uint8_t *f, const struct gen_addr *a, uint16_t id,
		     uint16_t seq);
void frame_udp(uint8_t *f, const struct gen_addr *a, rte_be32_t dst,
	       const struct rte_ether_addr *dst_mac, uint16_t sport,
	       uint16_t dport, bool bad_cksum);
void frame_tcp(uint8_t *f, const struct gen_addr *a, uint16_t sport,
	       uint16_t dport, uint32_t seq, uint8_t flags);
bool frame_rst_for_synack(uint8_t *f, size_t len);

enum reply_kind frame_classify(const uint8_t *f, size_t len);
bool frame_arp_reply_from(const uint8_t *f, size_t len, rte_be32_t ip,
			  struct rte_ether_addr *mac);

#endif
