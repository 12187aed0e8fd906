/* SPDX-License-Identifier: MIT */
/*
 * frames.h - crafted guest frames for the unit tests
 *
 * Builders write a complete, valid frame (checksums included) into a caller
 * buffer of at least TF_MAX bytes and return its length; tests then corrupt
 * single fields and, if they want the rest to stay valid, call
 * tf_ip4_csum_fix() / tf_l4_csum_fix(). Checksums are computed here with a
 * plain RFC 1071 loop, independently of the DPDK helpers under test.
 * Addresses are in network order, ports and other numbers in host order.
 */
#ifndef BROTH_TEST_FRAMES_H
#define BROTH_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#define TF_MAX		2048
#define TF_ETH_LEN	14
#define TF_IP4_LEN	20

/* Build an IPv4 address in network order from its dotted parts */
#define TF_IP(a, b, c, d)						\
	RTE_BE32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 |		\
		 (uint32_t)(c) << 8 | (uint32_t)(d))

extern const struct rte_ether_addr tf_guest_mac;	/* 52:54:00:12:34:56 */
extern const struct rte_ether_addr tf_bcast_mac;	/* ff:ff:ff:ff:ff:ff */

/* tf_l3.flags */
#define TF_BAD_IP_CSUM	(1u << 0)	/* IPv4 header checksum off by one */
#define TF_BAD_L4_CSUM	(1u << 1)	/* UDP/TCP/ICMP checksum off by one */
#define TF_NO_UDP_CSUM	(1u << 2)	/* UDP checksum 0 (not computed) */

/* Ethernet + IPv4 part shared by every IPv4 builder */
struct tf_l3 {
	struct rte_ether_addr src_mac, dst_mac;
	rte_be32_t src, dst;
	uint8_t ttl;
	uint16_t frag;		/* fragment_offset field: flags and offset */
	uint8_t opts_len;	/* IPv4 options (NOPs + EOL), multiple of 4 */
	unsigned flags;		/* TF_* */
};

/* Guest (tf_guest_mac, 10.0.0.2) to @dst via the gateway MAC @gw_mac */
struct tf_l3 tf_l3_default(const struct rte_ether_addr *gw_mac, rte_be32_t dst);

size_t tf_udp4(uint8_t *buf, const struct tf_l3 *l3, uint16_t sport,
	       uint16_t dport, const void *payload, size_t len);
size_t tf_tcp4(uint8_t *buf, const struct tf_l3 *l3, uint16_t sport,
	       uint16_t dport, uint8_t tcp_flags, const void *payload,
	       size_t len);
size_t tf_icmp4(uint8_t *buf, const struct tf_l3 *l3, uint8_t type,
		uint8_t code, uint16_t id, uint16_t seq, const void *payload,
		size_t len);
size_t tf_arp(uint8_t *buf, const struct rte_ether_addr *eth_dst,
	      uint16_t op, const struct rte_ether_addr *sha, rte_be32_t spa,
	      const struct rte_ether_addr *tha, rte_be32_t tpa);

void tf_ip4_csum_fix(uint8_t *buf);
void tf_l4_csum_fix(uint8_t *buf);
uint16_t tf_cksum(const void *buf, size_t len, uint32_t sum);
bool tf_ip4_csum_ok(const uint8_t *buf);
bool tf_l4_csum_ok(const uint8_t *buf);

/* IPv6 frames: addressing, optional extension headers, corruption flags */
#define TF_IP6_LEN	40

struct tf_l3_6 {
	struct rte_ether_addr src_mac, dst_mac;
	uint8_t src[16], dst[16];
	uint8_t hops;
	uint8_t ext_nh;		/* next header of the IPv6 header if ext_len */
	size_t ext_len;		/* extension headers copied after the header; */
	const uint8_t *ext;	/* the last one's next header is the L4's */
	unsigned flags;		/* TF_BAD_L4_CSUM, TF_NO_UDP_CSUM */
};

/* Guest link-local fe80::5054:ff:fe12:3456 (tf_guest_mac) to @dst */
struct tf_l3_6 tf_l3_6_default(const struct rte_ether_addr *dst_mac,
			       const uint8_t dst[16]);
size_t tf_ip6(uint8_t *buf, const struct tf_l3_6 *l3, uint8_t proto,
	      const void *l4, size_t l4_len);
size_t tf_udp6(uint8_t *buf, const struct tf_l3_6 *l3, uint16_t sport,
	       uint16_t dport, const void *payload, size_t len);
size_t tf_icmp6(uint8_t *buf, const struct tf_l3_6 *l3, uint8_t type,
		uint8_t code, const void *body, size_t len);
bool tf_l4_csum_ok6(const uint8_t *buf);

/* DHCP client messages */
#define TF_DHCP_OPTS_MAX	1024

struct tf_dhcp {
	uint8_t op, htype, hlen;
	uint32_t xid;
	uint16_t flags;			/* 0x8000: broadcast */
	rte_be32_t ciaddr, yiaddr, giaddr;
	struct rte_ether_addr chaddr;
	bool no_cookie;
	bool no_end;			/* leave out the END option */
	size_t opts_len;
	uint8_t opts[TF_DHCP_OPTS_MAX];	/* raw options after the cookie */
};

void tf_dhcp_init(struct tf_dhcp *d, uint8_t type);
void tf_dhcp_opt(struct tf_dhcp *d, uint8_t code, const void *val,
		 size_t len);
void tf_dhcp_opt32(struct tf_dhcp *d, uint8_t code, rte_be32_t v);
void tf_dhcp_raw(struct tf_dhcp *d, const void *bytes, size_t len);
size_t tf_dhcp_msg(uint8_t *buf, const struct tf_dhcp *d);
size_t tf_dhcp_frame(uint8_t *buf, const struct tf_dhcp *d);

const uint8_t *tf_dhcp_find(const uint8_t *msg, size_t len, uint8_t code,
			    uint8_t *olen);

#endif
