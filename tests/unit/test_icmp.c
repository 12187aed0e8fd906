/* SPDX-License-Identifier: MIT */
/* test_icmp.c - gateway echo replies (engine/icmp.c) on crafted frames */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "icmp.h"
#include "parse.h"
#include "vnet.h"

static const rte_be32_t gw = TF_IP(10, 0, 0, 1);
static const rte_be32_t guest = TF_IP(10, 0, 0, 2);

static struct vnet vn;
static uint8_t f[TF_MAX];
static uint8_t payload[1400];
static struct pkt p;

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1500,
				      .lease_s = 3600 };
	char err[128];

	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

TestSuite(icmp, .init = setup);

static size_t echo(rte_be32_t dst, uint8_t type, uint8_t code, size_t len)
{
	struct tf_l3 l3 = tf_l3_default(&vn.gw_mac, dst);

	return tf_icmp4(f, &l3, type, code, 0xbeef, 42, payload, len);
}

/* Parse @len bytes of f in an exact-size heap buffer, answer in place, and
 * copy the result back to f (ASan sees any access past the frame) */
static enum drop_reason run(size_t len)
{
	uint8_t *c = malloc(len);
	enum drop_reason rc;

	memcpy(c, f, len);
	cr_assert_eq(parse_frame(c, (uint32_t)len, 0, &p), DROP_NONE);
	rc = icmp_gateway_echo(&vn, c, &p, true);
	memcpy(f, c, len);
	free(c);
	p.data = f;
	return rc;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void assert_reply(size_t plen, size_t ip_opts)
{
	const uint8_t *ip = f + 14, *ic = ip + 20 + ip_opts;
	struct pkt rp;
	size_t rlen = p.l3_off + p.l3_len;

	cr_assert_eq(memcmp(f, &tf_guest_mac, 6), 0, "to the guest MAC");
	cr_assert_eq(memcmp(f + 6, &vn.gw_mac, 6), 0, "from the gateway MAC");
	cr_assert_eq(memcmp(ip + 12, &gw, 4), 0, "source address");
	cr_assert_eq(memcmp(ip + 16, &guest, 4), 0, "destination address");
	cr_assert_gt(ip[8], 1, "TTL");
	cr_assert(tf_ip4_csum_ok(f), "IPv4 checksum");
	cr_assert(tf_l4_csum_ok(f), "ICMP checksum");
	cr_assert_eq(ic[0], 0, "echo reply");
	cr_assert_eq(ic[1], 0);
	cr_assert_eq(get16(ic + 4), 0xbeef, "identifier");
	cr_assert_eq(get16(ic + 6), 42, "sequence");
	cr_assert_eq(memcmp(ic + 8, payload, plen), 0, "payload intact");
	cr_assert_eq(rlen, 14 + 20 + ip_opts + 8 + plen);
	/* A receiver on the guest side would accept it */
	cr_assert_eq(parse_frame(f, (uint32_t)rlen, 0, &rp), DROP_NONE);
}

Test(icmp, echo_to_gateway)
{
	cr_assert_eq(run(echo(gw, 8, 0, 56)), DROP_NONE);
	assert_reply(56, 0);
}

Test(icmp, echo_sizes)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 55, 57, 1000, 1400 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cr_assert_eq(run(echo(gw, 8, 0, sizes[i])), DROP_NONE,
			     "size %zu", sizes[i]);
		assert_reply(sizes[i], 0);
	}
}

Test(icmp, echo_with_ip_options)
{
	struct tf_l3 l3 = tf_l3_default(&vn.gw_mac, gw);

	l3.opts_len = 8;
	cr_assert_eq(run(tf_icmp4(f, &l3, 8, 0, 0xbeef, 42, payload, 33)),
		     DROP_NONE);
	assert_reply(33, 8);
}

/* Ethernet padding of a short request is not part of the reply */
Test(icmp, echo_padded)
{
	size_t len = echo(gw, 8, 0, 4);	/* 46 bytes */

	memset(f + len, 0xee, 60 - len);
	cr_assert_eq(run(60), DROP_NONE);
	assert_reply(4, 0);
}

Test(icmp, not_echo_request)
{
	static const uint8_t types[] = { 0, 3, 5, 11, 13, 17 };

	for (size_t i = 0; i < sizeof(types); i++)
		cr_assert_eq(run(echo(gw, types[i], 0, 8)),
			     DROP_ICMP_UNSUPPORTED, "type %u", types[i]);
	cr_assert_eq(run(echo(gw, 8, 1, 8)), DROP_ICMP_UNSUPPORTED, "code 1");
}

Test(icmp, echo_from_unspecified_source)
{
	struct tf_l3 l3 = tf_l3_default(&vn.gw_mac, gw);

	l3.src = 0;
	cr_assert_eq(run(tf_icmp4(f, &l3, 8, 0, 1, 1, payload, 8)),
		     DROP_IPV4_BAD_SRC);
}

/* Only the gateway's own address is answered here; other destinations
 * belong to the ICMP flow path */
Test(icmp, echo_to_other_address)
{
	size_t len = echo(TF_IP(8, 8, 8, 8), 8, 0, 8);
	uint8_t before[TF_MAX];

	memcpy(before, f, len);
	cr_assert_neq(run(len), DROP_NONE,
		      "echo to 8.8.8.8 answered as if from the gateway");
	cr_assert_eq(memcmp(before, f, len), 0, "frame left untouched");
}

/* The guest's datagram as an error quotes it: IPv4 header + UDP header */
static void quote_udp(uint8_t *q, rte_be32_t dst, uint16_t dport)
{
	memset(q, 0, 28);
	q[0] = 0x45;
	q[8] = 1;		/* TTL 1: the probe that expired */
	q[9] = 17;
	memcpy(q + 12, &guest, 4);
	memcpy(q + 16, &dst, 4);
	q[20] = 0x9c;		/* source port 40000 */
	q[21] = 0x40;
	q[22] = (uint8_t)(dport >> 8);
	q[23] = (uint8_t)dport;
}

Test(icmp, error_time_exceeded_from_router)
{
	static const rte_be32_t router = TF_IP(192, 0, 2, 1);
	static const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 2 } };
	uint8_t q[28], out[256];
	size_t n;
	struct pkt r;

	quote_udp(q, TF_IP(198, 51, 100, 7), 33434);
	n = icmp_error4(out, sizeof(out), &vn, router, &mac, 11, 0, 0, q, sizeof(q));
	cr_assert_eq(n, 14 + 20 + 8 + 28);
	cr_assert_eq(parse_frame(out, (uint32_t)n, 0, &r), DROP_NONE,
		     "IPv4 and ICMP checksums must hold");
	cr_assert_eq(r.l4proto, 1);
	cr_assert_eq(r.src4, router, "the router reports, not the gateway");
	cr_assert_eq(r.dst4, guest);
	cr_assert_eq(out[r.l4_off], 11);
	cr_assert_eq(out[r.l4_off + 1], 0);
	cr_assert_arr_eq(out + r.l4_off + 8, q, sizeof(q), "quote copied");
	cr_assert_arr_eq(out, mac.addr_bytes, 6);
	cr_assert_arr_eq(out + 6, vn.gw_mac.addr_bytes, 6);
}

Test(icmp, error_frag_needed_carries_mtu)
{
	static const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 2 } };
	uint8_t q[28], out[256];
	size_t n;
	struct pkt r;

	quote_udp(q, TF_IP(198, 51, 100, 7), 53);
	n = icmp_error4(out, sizeof(out), &vn, gw, &mac, 3, 4, 1400, q, sizeof(q));
	cr_assert_gt(n, 0);
	cr_assert_eq(parse_frame(out, (uint32_t)n, 0, &r), DROP_NONE);
	cr_assert_eq(get16(out + r.l4_off + 6), 1400, "next-hop MTU in word 2");
}

Test(icmp, error_rejects_short_quote_and_small_buffer)
{
	static const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 2 } };
	uint8_t q[28], out[256], big[1200] = { 0x45 };
	size_t n;
	struct pkt r;

	quote_udp(q, TF_IP(198, 51, 100, 7), 53);
	cr_assert_eq(icmp_error4(out, sizeof(out), &vn, gw, &mac, 3, 3, 0, q, 19), 0,
		     "a quote must hold at least the IPv4 header");
	for (size_t cap = 0; cap < 14 + 20 + 8 + 28; cap++)
		cr_assert_eq(icmp_error4(out, cap, &vn, gw, &mac, 3, 3, 0, q,
					 sizeof(q)), 0, "cap %zu", cap);
	memcpy(big, q, sizeof(q));
	n = icmp_error4(f, sizeof(f), &vn, gw, &mac, 3, 3, 0, big, sizeof(big));
	cr_assert_eq(n, 14 + 576, "quoted to 576 bytes at most (RFC 1812)");
	cr_assert_eq(parse_frame(f, (uint32_t)n, 0, &r), DROP_NONE);
}

/* Found by fuzz_icmp: id 0, seq 0, no payload makes the reply all zero, whose
 * checksum is 0xffff; an incremental update gives the invalid 0x0000 */
Test(icmp, echo_all_zero_reply_checksum)
{
	size_t len = echo(gw, 8, 0, 0);
	uint8_t *ih;

	memset(f + 14 + 20 + 4, 0, 4);		/* identifier and sequence 0 */
	f[14 + 20 + 2] = 0xf7;			/* ~0x0800: the request's sum */
	f[14 + 20 + 3] = 0xff;
	cr_assert_eq(run(len), DROP_NONE);
	ih = f + 14 + 20;
	cr_assert_eq(get16(ih + 2), 0xffff, "checksum of an all-zero reply");
	cr_assert_eq(parse_frame(f, (uint32_t)len, 0, &p), DROP_NONE);
}
