/* SPDX-License-Identifier: MIT */
/*
 * test_ipv6.c - IPv6 parsing with extension headers (engine/parse.c) and
 *		 ICMPv6 echo/errors from the gateway (engine/icmp.c)
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "icmp.h"
#include "parse.h"
#include "vnet.h"

static const uint8_t far6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 };
static const uint8_t gw_ll[16] = { 0xfe, 0x80, [15] = 1 };

static struct vnet vn;
static uint8_t f[TF_MAX];
static uint8_t payload[1200];
static struct tf_l3_6 l3;
static struct pkt p;

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1500,
				      .lease_s = 3600 };
	char err[128];

	broth_parse_net6("fd00:b0:7d::/64", &vc.net6, err, sizeof(err));
	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	l3 = tf_l3_6_default(&vn.gw_mac, far6);
	l3.hops = 64;
}

TestSuite(ipv6, .init = setup);

/* parse_frame() on an exact-size heap copy (ASan sees overreads) */
static enum drop_reason parse(size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	enum drop_reason r;

	memcpy(c, f, len);
	r = parse_frame(c, (uint32_t)len, 0, &p);
	free(c);
	return r;
}

Test(ipv6, udp_fields)
{
	size_t len = tf_udp6(f, &l3, 5353, 53, payload, 100);

	cr_assert_eq(parse(len), DROP_NONE);
	cr_assert(p.v6);
	cr_assert_eq(p.l4proto, IPPROTO_UDP);
	cr_assert_eq(p.ttl, 64);
	cr_assert_eq(p.l4_off, 14 + 40);
	cr_assert_eq(p.l3_len, 40 + 108);
	cr_assert_eq(p.payload_len, 100);
	cr_assert_eq(rte_be_to_cpu_16(p.sport), 5353);
	cr_assert_eq(rte_be_to_cpu_16(p.dport), 53);
	cr_assert_arr_eq(p.daddr, far6, 16);
	cr_assert_arr_eq(p.saddr, l3.src, 16);
}

Test(ipv6, padding_after_payload_is_ignored)
{
	size_t len = tf_udp6(f, &l3, 1, 2, payload, 1);

	memset(f + len, 0xee, 20);
	cr_assert_eq(parse(len + 20), DROP_NONE);
	cr_assert_eq(p.l3_len, 40 + 9);
}

Test(ipv6, every_truncation)
{
	size_t len = tf_udp6(f, &l3, 1, 2, payload, 64);

	for (size_t n = 0; n < len; n++)
		cr_assert_neq(parse(n), DROP_NONE, "truncated to %zu", n);
	cr_assert_eq(parse(13), DROP_ETH_TRUNC);
	cr_assert_eq(parse(14 + 39), DROP_IPV6_TRUNC);
	cr_assert_eq(parse(14 + 40), DROP_IPV6_BAD_LEN);
}

Test(ipv6, header_checks)
{
	size_t len = tf_udp6(f, &l3, 1, 2, payload, 8);

	f[14] = 0x40;
	cr_assert_eq(parse(len), DROP_IPV6_BAD_VERSION);
	f[14] = 0x60;
	f[18] = f[19] = 0;			/* jumbogram: payload length 0 */
	cr_assert_eq(parse(len), DROP_IPV6_BAD_LEN);
	l3.src[0] = 0xff;			/* multicast source */
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_BAD_SRC);
}

Test(ipv6, checksums)
{
	size_t len;

	l3.flags = TF_BAD_L4_CSUM;
	len = tf_udp6(f, &l3, 1, 2, payload, 30);
	cr_assert_eq(parse(len), DROP_UDP_BAD_CSUM);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, payload, 30);
	cr_assert_eq(parse(len), DROP_ICMP_BAD_CSUM);
	l3.flags = TF_NO_UDP_CSUM;		/* optional in IPv4 only */
	len = tf_udp6(f, &l3, 1, 2, payload, 30);
	cr_assert_eq(parse(len), DROP_UDP_BAD_CSUM);
	l3.flags = 0;
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, payload, 30);
	cr_assert_eq(parse(len), DROP_NONE);
	cr_assert_eq(p.icmp_type, ICMPV6_ECHO_REQUEST);
	/* an ICMPv6 message shorter than 8 bytes */
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, payload, 2);
	cr_assert_eq(parse(len), DROP_ICMP_TRUNC);
}

/* Build @n options headers, each 8 bytes of PadN, chained to @last */
static void ext_chain(uint8_t *ext, const uint8_t *types, unsigned n,
		      uint8_t last)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *h = ext + i * 8;

		h[0] = i + 1 < n ? types[i + 1] : last;
		h[1] = 0;
		h[2] = 1;			/* PadN covering the rest */
		h[3] = 4;
		memset(h + 4, 0, 4);
		if (types[i] == 43) {		/* routing: type, segments left */
			h[2] = 0;
			h[3] = 0;
		}
	}
	l3.ext = ext;
	l3.ext_len = n * 8u;
	l3.ext_nh = types[0];
}

Test(ipv6, extension_headers_are_skipped)
{
	static const uint8_t types[] = { 0, 60, 43, 60 };
	uint8_t ext[32];
	size_t len;

	ext_chain(ext, types, 4, IPPROTO_UDP);
	len = tf_udp6(f, &l3, 7, 9, payload, 20);
	cr_assert_eq(parse(len), DROP_NONE);
	cr_assert_eq(p.l4proto, IPPROTO_UDP);
	cr_assert_eq(p.l4_off, 14 + 40 + 32);
	cr_assert_eq(p.payload_len, 20);
	cr_assert_eq(rte_be_to_cpu_16(p.dport), 9);
}

Test(ipv6, extension_header_faults)
{
	static const uint8_t hbh_late[] = { 60, 0 };
	static const uint8_t many[] = { 60, 60, 60, 60, 60, 60, 60, 60, 60 };
	static const uint8_t frag[] = { 44 };
	static const uint8_t rt[] = { 43 };
	static const uint8_t dst[] = { 60 };
	uint8_t ext[80];
	size_t len;

	ext_chain(ext, hbh_late, 2, IPPROTO_UDP);
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_BAD_EXT, "hop-by-hop not first");

	ext_chain(ext, many, 9, IPPROTO_UDP);
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_EXT_UNSUPPORTED, "too many");

	ext_chain(ext, frag, 1, IPPROTO_UDP);
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_FRAGMENT);

	ext_chain(ext, rt, 1, IPPROTO_UDP);
	ext[3] = 1;				/* segments left */
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_EXT_UNSUPPORTED);

	ext_chain(ext, dst, 1, 59);		/* no next header */
	len = tf_ip6(f, &l3, 59, payload, 0);
	cr_assert_eq(parse(len), DROP_IPV6_UNKNOWN_PROTO);

	ext_chain(ext, dst, 1, IPPROTO_UDP);
	ext[1] = 3;				/* 32 bytes claimed, 8 + 16 there */
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_BAD_EXT);

	ext_chain(ext, dst, 1, IPPROTO_UDP);
	ext[3] = 9;				/* PadN longer than the header */
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_BAD_EXT);

	ext_chain(ext, dst, 1, IPPROTO_UDP);
	ext[2] = 0x80;				/* unknown, "discard + ICMP" */
	ext[3] = 4;
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_IPV6_EXT_UNSUPPORTED);

	ext_chain(ext, dst, 1, IPPROTO_UDP);
	ext[2] = 0x1e;				/* unknown, "skip" */
	len = tf_udp6(f, &l3, 1, 2, payload, 8);
	cr_assert_eq(parse(len), DROP_NONE);

	ext_chain(ext, dst, 1, 50);		/* ESP */
	len = tf_ip6(f, &l3, 50, payload, 16);
	cr_assert_eq(parse(len), DROP_IPV6_UNKNOWN_PROTO);
}

Test(ipv6, extension_header_truncated_in_every_byte)
{
	static const uint8_t types[] = { 0, 60 };
	uint8_t ext[16];
	size_t len;

	ext_chain(ext, types, 2, IPPROTO_TCP);
	len = tf_ip6(f, &l3, IPPROTO_TCP, payload, 0);
	/* payload length claims each shorter tail: never read past it */
	for (uint16_t pl = 0; pl < 16; pl++) {
		f[18] = 0;
		f[19] = (uint8_t)pl;
		cr_assert_neq(parse(14 + 40 + pl), DROP_NONE, "pl %u", pl);
	}
	(void)len;
}

/* ---- gateway echo ---- */

static enum drop_reason echo_run(size_t len, bool flat)
{
	cr_assert_eq(parse_frame(f, (uint32_t)len, 0, &p), DROP_NONE);
	return icmp6_gateway_echo(&vn, f, &p, flat);
}

Test(ipv6, echo_to_gateway_addresses)
{
	uint8_t body[4 + 200] = { 0xbe, 0xef, 0, 42 };
	size_t len;

	memcpy(body + 4, payload, 200);
	memcpy(l3.dst, gw_ll, 16);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, body, sizeof(body));
	cr_assert_eq(echo_run(len, true), DROP_NONE);
	cr_assert_eq(f[54], ICMPV6_ECHO_REPLY);
	cr_assert(tf_l4_csum_ok6(f), "reply checksum");
	cr_assert_arr_eq(f + 14 + 8, gw_ll, 16, "from the pinged address");
	cr_assert_arr_eq(f + 14 + 24, l3.src, 16);
	cr_assert_arr_eq(f, &tf_guest_mac, 6);
	cr_assert_eq(memcmp(f + 58, body, sizeof(body)), 0, "id, seq, data");

	memcpy(l3.dst, vn.gw6, 16);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, body, sizeof(body));
	cr_assert_eq(echo_run(len, false), DROP_NONE, "incremental path");
	cr_assert(tf_l4_csum_ok6(f));
	cr_assert_arr_eq(f + 14 + 8, vn.gw6, 16);
}

Test(ipv6, echo_refusals)
{
	uint8_t body[8] = { 0 }, ext[8];
	static const uint8_t dst[] = { 60 };
	size_t len;

	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, body, 8);
	cr_assert_eq(echo_run(len, true), DROP_NO_HANDLER, "not the gateway");
	memcpy(l3.dst, gw_ll, 16);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REPLY, 0, body, 8);
	cr_assert_eq(echo_run(len, true), DROP_ICMP_UNSUPPORTED);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 1, body, 8);
	cr_assert_eq(echo_run(len, true), DROP_ICMP_UNSUPPORTED);
	memset(l3.src, 0, 16);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, body, 8);
	cr_assert_eq(echo_run(len, true), DROP_IPV6_BAD_SRC);
	l3 = tf_l3_6_default(&vn.gw_mac, gw_ll);
	ext_chain(ext, dst, 1, IPPROTO_ICMPV6);
	len = tf_icmp6(f, &l3, ICMPV6_ECHO_REQUEST, 0, body, 8);
	cr_assert_eq(echo_run(len, true), DROP_IPV6_EXT_UNSUPPORTED);
}

/* ---- errors to the guest ---- */

Test(ipv6, error_quotes_the_guest_packet)
{
	uint8_t out[1600], quote[1400];
	size_t len = tf_udp6(f, &l3, 1234, 53, payload, 1200), n;

	memcpy(quote, f + 14, len - 14);
	n = icmp_error6(out, sizeof(out), &vn, vn.gw6, &tf_guest_mac,
			ICMPV6_PACKET_TOO_BIG, 0, 1280, quote, len - 14);
	cr_assert_eq(n, 14 + 1280, "cut to the minimum MTU");
	cr_assert(tf_l4_csum_ok6(out));
	cr_assert_eq(out[54], ICMPV6_PACKET_TOO_BIG);
	cr_assert_eq(out[58] << 24 | out[59] << 16 | out[60] << 8 | out[61], 1280);
	cr_assert_arr_eq(out + 14 + 24, l3.src, 16, "to the quoted source");
	cr_assert_eq(memcmp(out + 62, quote, 1280 - 48), 0);
	cr_assert_eq(icmp_error6(out, sizeof(out), &vn, vn.gw6, &tf_guest_mac,
				 1, 0, 0, quote, 39), 0, "quote without header");
	cr_assert_eq(icmp_error6(out, 100, &vn, vn.gw6, &tf_guest_mac, 1, 0, 0,
				 quote, 48), 0, "buffer too small");
}
