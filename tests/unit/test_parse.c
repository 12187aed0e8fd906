/* SPDX-License-Identifier: MIT */
/* test_parse.c - frame validation (engine/parse.c) on crafted frames */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "parse.h"

static const struct rte_ether_addr gw_mac = {
	{ 0x52, 0x55, 0x00, 0x00, 0x00, 0x01 } };
static const uint8_t data[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static uint8_t f[TF_MAX];
static struct pkt p;

/* parse_frame() on an exact-size heap copy, so ASan catches overreads */
static enum drop_reason parse(const uint8_t *frame, size_t len, unsigned flags)
{
	uint8_t *c = malloc(len ? len : 1);
	enum drop_reason rc;

	memcpy(c, frame, len);
	rc = parse_frame(c, (uint32_t)len, flags, &p);
	free(c);
	p.data = NULL;	/* points into freed memory */
	return rc;
}

static struct tf_l3 l3_out(void)
{
	return tf_l3_default(&gw_mac, TF_IP(93, 184, 216, 34));
}

static size_t udp_frame(unsigned tf_flags)
{
	struct tf_l3 l3 = l3_out();

	l3.flags = tf_flags;
	return tf_udp4(f, &l3, 40000, 53, data, 20);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* IPv4 total length field of f, and the header checksum made valid again */
static void set_ip_len(uint16_t tot)
{
	put16(f + TF_ETH_LEN + 2, tot);
	tf_ip4_csum_fix(f);
}

Test(parse, udp_fields)
{
	size_t len = udp_frame(0);

	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.len, len);
	cr_assert_eq(p.ethertype, 0x0800);
	cr_assert_eq(p.l3_off, 14);
	cr_assert_eq(p.l4_off, 34);
	cr_assert_eq(p.l4proto, IPPROTO_UDP);
	cr_assert_eq(p.ttl, 64);
	cr_assert_eq(p.l3_len, 20 + 8 + 20);
	cr_assert_eq(p.l4_len, 8 + 20);
	cr_assert_eq(p.payload_off, 42);
	cr_assert_eq(p.payload_len, 20);
	cr_assert_eq(p.src4, TF_IP(10, 0, 0, 2));
	cr_assert_eq(p.dst4, TF_IP(93, 184, 216, 34));
	cr_assert_eq(p.sport, RTE_BE16(40000));
	cr_assert_eq(p.dport, RTE_BE16(53));
}

Test(parse, tcp_fields)
{
	struct tf_l3 l3 = l3_out();
	size_t len = tf_tcp4(f, &l3, 40001, 443, 0x18, data, 10);

	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.l4proto, IPPROTO_TCP);
	cr_assert_eq(p.l4_len, 30);
	cr_assert_eq(p.payload_off, 54);
	cr_assert_eq(p.payload_len, 10);
	cr_assert_eq(p.sport, RTE_BE16(40001));
	cr_assert_eq(p.dport, RTE_BE16(443));
}

Test(parse, icmp_fields)
{
	struct tf_l3 l3 = l3_out();
	size_t len = tf_icmp4(f, &l3, 8, 0, 0x4242, 1, data, 17);

	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.l4proto, IPPROTO_ICMP);
	cr_assert_eq(p.payload_off, 42);
	cr_assert_eq(p.payload_len, 17);
	cr_assert_eq(p.sport, RTE_BE16(0x4242), "echo identifier in sport");
}

Test(parse, arp_fields)
{
	size_t len = tf_arp(f, &tf_bcast_mac, 1, &tf_guest_mac,
			    TF_IP(10, 0, 0, 2), &tf_bcast_mac,
			    TF_IP(10, 0, 0, 1));

	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.ethertype, 0x0806);
	cr_assert_eq(p.l3_off, 14);
	cr_assert_eq(p.l3_len, 28);
}

Test(parse, ip_options)
{
	struct tf_l3 l3 = l3_out();
	size_t len;

	for (uint8_t o = 4; o <= 40; o += 4) {
		l3.opts_len = o;
		len = tf_udp4(f, &l3, 1, 2, data, 5);
		cr_assert_eq(parse(f, len, 0), DROP_NONE, "options %u", o);
		cr_assert_eq(p.l4_off, 34 + o);
		cr_assert_eq(p.payload_off, 42 + o);
		cr_assert_eq(p.payload_len, 5);
	}
}

/* Every prefix of a valid frame fails, with the reason for its layer */
static void truncate_all(size_t full, enum drop_reason l4_reason)
{
	enum drop_reason want;

	for (size_t n = 0; n < full; n++) {
		if (n < 14)
			want = DROP_ETH_TRUNC;
		else if (n < 34)
			want = DROP_IPV4_TRUNC;
		else
			want = l4_reason;
		cr_assert_eq(parse(f, n, 0), want, "length %zu of %zu", n, full);
	}
	cr_assert_eq(parse(f, full, 0), DROP_NONE);
}

Test(parse, truncated_udp)
{
	truncate_all(udp_frame(0), DROP_IPV4_BAD_LEN);
}

Test(parse, truncated_tcp)
{
	struct tf_l3 l3 = l3_out();

	truncate_all(tf_tcp4(f, &l3, 1, 2, 0x02, data, 7), DROP_IPV4_BAD_LEN);
}

Test(parse, truncated_icmp)
{
	struct tf_l3 l3 = l3_out();

	truncate_all(tf_icmp4(f, &l3, 8, 0, 1, 1, data, 9), DROP_IPV4_BAD_LEN);
}

Test(parse, truncated_arp)
{
	size_t len = tf_arp(f, &tf_bcast_mac, 1, &tf_guest_mac,
			    TF_IP(10, 0, 0, 2), &tf_bcast_mac,
			    TF_IP(10, 0, 0, 1));

	for (size_t n = 0; n < len; n++)
		cr_assert_eq(parse(f, n, 0),
			     n < 14 ? DROP_ETH_TRUNC : DROP_ARP_TRUNC,
			     "length %zu", n);
}

Test(parse, bad_version)
{
	size_t len = udp_frame(0);

	f[14] = 0x65;
	tf_ip4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_VERSION);
	f[14] = 0x45;
	f[12] = 0x86;	/* IPv6 ethertype with an IPv4 header */
	f[13] = 0xdd;
	cr_assert_eq(parse(f, len, 0), DROP_IPV6_BAD_VERSION);
}

Test(parse, bad_ihl)
{
	size_t len = udp_frame(0);

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		f[14] = (uint8_t)(0x40 | ihl);
		cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_IHL, "ihl %u", ihl);
	}
}

Test(parse, ihl_beyond_frame)
{
	struct tf_l3 l3 = l3_out();
	size_t len = tf_udp4(f, &l3, 1, 2, data, 0);	/* 42 bytes */

	f[14] = 0x4f;	/* 60-byte header in a 28-byte packet */
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_TRUNC);
	/* Header fits the frame but not the total length */
	l3.opts_len = 0;
	len = tf_udp4(f, &l3, 1, 2, data, 36);
	f[14] = 0x4f;
	tf_ip4_csum_fix(f);
	set_ip_len(40);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_LEN);
}

Test(parse, total_length_lies)
{
	size_t len = udp_frame(0);

	set_ip_len((uint16_t)(len - 14 + 1));	/* one more than received */
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_LEN);
	set_ip_len(0xffff);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_LEN);
	set_ip_len(19);				/* smaller than the header */
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_LEN);
	set_ip_len(0);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_LEN);
}

Test(parse, bad_ip_checksum)
{
	size_t len = udp_frame(TF_BAD_IP_CSUM);

	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_CSUM);
	cr_assert_eq(parse(f, len, PARSE_L4_CSUM_OK), DROP_IPV4_BAD_CSUM,
		     "L4 offload does not cover the IP header");
}

Test(parse, bad_l4_checksums)
{
	struct tf_l3 l3 = l3_out();
	size_t len;

	l3.flags = TF_BAD_L4_CSUM;
	len = tf_udp4(f, &l3, 1, 2, data, 11);
	cr_assert_eq(parse(f, len, 0), DROP_UDP_BAD_CSUM);
	cr_assert_eq(parse(f, len, PARSE_L4_CSUM_OK), DROP_NONE);
	len = tf_tcp4(f, &l3, 1, 2, 0x10, data, 11);
	cr_assert_eq(parse(f, len, 0), DROP_TCP_BAD_CSUM);
	cr_assert_eq(parse(f, len, PARSE_L4_CSUM_OK), DROP_NONE);
	len = tf_icmp4(f, &l3, 8, 0, 1, 2, data, 11);
	cr_assert_eq(parse(f, len, 0), DROP_ICMP_BAD_CSUM);
	cr_assert_eq(parse(f, len, PARSE_L4_CSUM_OK), DROP_NONE,
		     "the caller checks ICMP of chained frames itself");
}

/* The checksum covers the pseudo-header: a changed address must fail */
Test(parse, l4_checksum_covers_addresses)
{
	size_t len = udp_frame(0);

	f[14 + 19] ^= 1;	/* destination address */
	tf_ip4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_UDP_BAD_CSUM);
}

Test(parse, udp_checksum_zero_accepted)
{
	size_t len = udp_frame(TF_NO_UDP_CSUM);

	cr_assert_eq(f[40], 0);
	cr_assert_eq(f[41], 0);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
}

/* A datagram whose checksum computes to 0 is sent as 0xffff */
Test(parse, udp_checksum_ffff_accepted)
{
	struct tf_l3 l3 = l3_out();
	uint8_t pl[2] = { 0, 0 };
	size_t len = tf_udp4(f, &l3, 1, 2, pl, 2);

	memcpy(pl, f + 40, 2);	/* payload word = ~sum: the new sum is 0 */
	len = tf_udp4(f, &l3, 1, 2, pl, 2);
	cr_assert_eq(f[40], 0xff);
	cr_assert_eq(f[41], 0xff);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
}

Test(parse, udp_length_lies)
{
	size_t len = udp_frame(0);

	put16(f + 38, 8 + 21);	/* one more than the IP payload */
	tf_l4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_UDP_BAD_LEN);
	put16(f + 38, 7);	/* shorter than its own header */
	cr_assert_eq(parse(f, len, 0), DROP_UDP_BAD_LEN);
	put16(f + 38, 0);
	cr_assert_eq(parse(f, len, 0), DROP_UDP_BAD_LEN);
}

/* UDP length shorter than the IP payload: the datagram ends there */
Test(parse, udp_length_shorter_than_ip)
{
	size_t len = udp_frame(TF_NO_UDP_CSUM);

	put16(f + 38, 8 + 5);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.payload_len, 5);
	cr_assert_eq(p.l4_len, 13);
}

Test(parse, l4_header_truncated_by_ip_length)
{
	struct tf_l3 l3 = l3_out();
	size_t len;

	len = tf_udp4(f, &l3, 1, 2, data, 10);
	set_ip_len(20 + 7);
	cr_assert_eq(parse(f, len, 0), DROP_UDP_TRUNC);
	len = tf_tcp4(f, &l3, 1, 2, 0x10, data, 10);
	set_ip_len(20 + 19);
	cr_assert_eq(parse(f, len, 0), DROP_TCP_TRUNC);
	len = tf_icmp4(f, &l3, 8, 0, 1, 1, data, 10);
	set_ip_len(20 + 7);
	cr_assert_eq(parse(f, len, 0), DROP_ICMP_TRUNC);
}

Test(parse, tcp_bad_data_offset)
{
	struct tf_l3 l3 = l3_out();
	size_t len = tf_tcp4(f, &l3, 1, 2, 0x10, data, 10);

	f[34 + 12] = 4 << 4;	/* header shorter than 20 bytes */
	tf_l4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_TCP_TRUNC);
	f[34 + 12] = 15 << 4;	/* 60 bytes: more than the 30 present */
	tf_l4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_TCP_TRUNC);
	f[34 + 12] = 7 << 4;	/* 28 bytes of header, 2 of payload */
	tf_l4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
	cr_assert_eq(p.payload_len, 2);
}

Test(parse, fragments)
{
	struct tf_l3 l3 = l3_out();
	size_t len;

	l3.frag = 0x2000;	/* MF */
	len = tf_udp4(f, &l3, 1, 2, data, 8);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_FRAGMENT);
	l3.frag = 0x0001;	/* offset 8 */
	len = tf_udp4(f, &l3, 1, 2, data, 8);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_FRAGMENT);
	l3.frag = 0x4000;	/* DF only: not a fragment */
	len = tf_udp4(f, &l3, 1, 2, data, 8);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
}

Test(parse, unknown_ethertype_and_short_ipv6)
{
	size_t len = udp_frame(0);

	f[12] = 0x88;	/* LLDP */
	f[13] = 0xcc;
	cr_assert_eq(parse(f, len, 0), DROP_ETH_UNKNOWN_TYPE);
	f[12] = 0x81;	/* VLAN tag */
	f[13] = 0x00;
	cr_assert_eq(parse(f, len, 0), DROP_ETH_UNKNOWN_TYPE);
	f[12] = 0x86;
	f[13] = 0xdd;
	cr_assert_eq(parse(f, len, 0), DROP_IPV6_BAD_VERSION);
	cr_assert_eq(parse(f, 14, 0), DROP_IPV6_TRUNC);
	cr_assert_eq(parse(f, 14 + 39, 0), DROP_IPV6_TRUNC);
}

Test(parse, unknown_ip_protocol)
{
	size_t len = udp_frame(0);

	f[14 + 9] = 47;	/* GRE */
	tf_ip4_csum_fix(f);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_UNKNOWN_PROTO);
}

Test(parse, broadcast_or_multicast_source)
{
	struct tf_l3 l3 = l3_out();
	size_t len;

	l3.src = TF_IP(255, 255, 255, 255);
	len = tf_udp4(f, &l3, 1, 2, data, 4);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_SRC);
	l3.src = TF_IP(224, 0, 0, 251);
	len = tf_udp4(f, &l3, 1, 2, data, 4);
	cr_assert_eq(parse(f, len, 0), DROP_IPV4_BAD_SRC);
	l3.src = 0;	/* DHCP clients send from 0.0.0.0 */
	len = tf_udp4(f, &l3, 68, 67, data, 4);
	cr_assert_eq(parse(f, len, 0), DROP_NONE);
}

Test(parse, ethernet_padding_ignored)
{
	struct tf_l3 l3 = l3_out();
	size_t len = tf_udp4(f, &l3, 1, 2, data, 2);	/* 44 bytes */

	memset(f + len, 0xee, 60 - len);	/* garbage, not zeros */
	cr_assert_eq(parse(f, 60, 0), DROP_NONE);
	cr_assert_eq(p.len, 60);
	cr_assert_eq(p.l3_len, 30);
	cr_assert_eq(p.l4_len, 10);
	cr_assert_eq(p.payload_len, 2);

	len = tf_icmp4(f, &l3, 8, 0, 1, 1, data, 0);	/* 42 bytes */
	memset(f + len, 0xee, 60 - len);
	cr_assert_eq(parse(f, 60, 0), DROP_NONE, "padding not in checksum");
	cr_assert_eq(p.payload_len, 0);
}
