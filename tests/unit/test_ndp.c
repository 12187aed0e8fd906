/* SPDX-License-Identifier: MIT */
/* test_ndp.c - router and neighbor discovery (engine/slowpath/ndp.c) */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "icmp.h"
#include "parse.h"
#include "slowpath/ndp.h"
#include "vnet.h"

static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t gw_ll[16] = { 0xfe, 0x80, [15] = 1 };
static const uint8_t gw6[16] = { 0xfd, 0x42, 0, 1, 0, 2, 0, 3, [15] = 1 };
static const uint8_t unspec[16];
static const struct rte_ether_addr mc_mac = { { 0x33, 0x33, 0, 0, 0, 2 } };

static struct vnet vn;
static uint8_t f[TF_MAX];
static uint8_t out[NDP_RA_MAX + 64];
static size_t out_len;

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1400,
				      .lease_s = 3600 };
	char err[128];

	cr_assert_eq(broth_parse_net6("fd42:1:2:3::/64", &vc.net6, err,
				      sizeof(err)), 0, "%s", err);
	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	snprintf(vn.search[0], sizeof(vn.search[0]), "example.test");
	vn.n_search = 1;
	memset(out, 0xaa, sizeof(out));
	out_len = 999;
}

TestSuite(ndp, .init = setup);

/* parse_frame() + ndp_input() on an exact-size heap copy (ASan) */
static enum drop_reason run(size_t len)
{
	uint8_t *c = malloc(len);
	enum drop_reason rc;
	struct pkt p;

	memcpy(c, f, len);
	rc = parse_frame(c, (uint32_t)len, 0, &p);
	if (rc == DROP_NONE)
		rc = ndp_input(&vn, &p, out, sizeof(out), &out_len);
	free(c);
	if (rc != DROP_NONE)
		cr_assert_eq(out_len, 0, "no reply with a drop reason");
	return rc;
}

/* A Router Solicitation, optionally with a source link-layer option */
static size_t rs(const uint8_t src[16], bool slla)
{
	struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, all_routers);
	uint8_t body[12] = { 0 };

	if (src)
		memcpy(l3.src, src, 16);
	body[4] = 1;		/* SLLA option, 8 bytes */
	body[5] = 1;
	memcpy(body + 6, &tf_guest_mac, 6);
	return tf_icmp6(f, &l3, ICMPV6_ROUTER_SOLICIT, 0, body, slla ? 12 : 4);
}

/* A Neighbor Solicitation for @target */
static size_t ns(const uint8_t src[16], const uint8_t dst[16],
		 const uint8_t target[16], bool slla)
{
	struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, dst);
	uint8_t body[28] = { 0 };

	if (src)
		memcpy(l3.src, src, 16);
	memcpy(body + 4, target, 16);
	body[20] = 1;
	body[21] = 1;
	memcpy(body + 22, &tf_guest_mac, 6);
	return tf_icmp6(f, &l3, ICMPV6_NEIGHBOR_SOLICIT, 0, body, slla ? 28 : 20);
}

/* Find option @type in an RA in out[]; NULL if absent */
static const uint8_t *ra_opt(uint8_t type)
{
	const uint8_t *o = out + 14 + 40 + 16, *end = out + 14 + 40 +
		(out[18] << 8 | out[19]);

	while (o + 2 <= end && o[1]) {
		if (o[0] == type)
			return o;
		o += o[1] * 8;
	}
	return NULL;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
}

Test(ndp, rs_gets_ra_with_prefix_mtu_rdnss_dnssl)
{
	const uint8_t *o;

	cr_assert_eq(run(rs(NULL, true)), DROP_NONE);
	cr_assert_gt(out_len, 14 + 40 + 16);
	cr_assert(tf_l4_csum_ok6(out), "RA checksum");
	cr_assert_eq(out[14 + 7], 255, "hop limit 255");
	cr_assert_arr_eq(out + 14 + 8, gw_ll, 16, "from fe80::1");
	cr_assert_arr_eq(out + 14 + 24, tf_l3_6_default(&mc_mac, unspec).src, 16,
			 "to the soliciting guest");
	cr_assert_arr_eq(out, &tf_guest_mac, 6);
	cr_assert_eq(out[54], ICMPV6_ROUTER_ADVERT);
	cr_assert_eq(out[54 + 5] & 0xc0, 0x40, "M=0 O=1");
	cr_assert_gt(out[54 + 6] << 8 | out[54 + 7], 0, "router lifetime");
	o = ra_opt(5);
	cr_assert_not_null(o, "MTU option");
	cr_assert_eq(get32(o + 4), 1400);
	o = ra_opt(3);
	cr_assert_not_null(o, "prefix option");
	cr_assert_eq(o[2], 64);
	cr_assert_eq(o[3] & 0xc0, 0xc0, "on-link and autonomous");
	cr_assert_arr_eq(o + 16, vn.net6, 16);
	cr_assert_geq(get32(o + 4), get32(o + 8), "valid >= preferred");
	o = ra_opt(25);
	cr_assert_not_null(o, "RDNSS option");
	cr_assert_arr_eq(o + 8, gw6, 16);
	o = ra_opt(31);
	cr_assert_not_null(o, "DNSSL option");
	cr_assert_eq(memcmp(o + 8, "\7example\4test\0", 14), 0);
	cr_assert_eq((o[1] * 8) % 8, 0);
	o = ra_opt(1);
	cr_assert_not_null(o, "source link-layer option");
	cr_assert_arr_eq(o + 2, &vn.gw_mac, 6);
}

Test(ndp, rs_from_unspecified_goes_to_all_nodes)
{
	cr_assert_eq(run(rs(unspec, false)), DROP_NONE);
	cr_assert_arr_eq(out + 14 + 24, all_nodes, 16);
	cr_assert_eq(out[0], 0x33);
	cr_assert_eq(out[5], 0x01);
	/* RFC 4861 §6.1.1: no link-layer option from the unspecified address */
	cr_assert_eq(run(rs(unspec, true)), DROP_NDP_BAD);
}

Test(ndp, rs_checks_hop_limit_code_and_options)
{
	size_t len = rs(NULL, true);

	f[14 + 7] = 64;				/* crossed a router */
	cr_assert_eq(run(len), DROP_NDP_BAD);
	rs(NULL, true);
	f[55] = 1;				/* code 1 */
	f[56] = f[57] = 0;
	/* fix the checksum by rebuilding with the code set */
	{
		struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, all_routers);
		uint8_t body[4] = { 0 };

		len = tf_icmp6(f, &l3, ICMPV6_ROUTER_SOLICIT, 1, body, 4);
		cr_assert_eq(run(len), DROP_NDP_BAD);
	}
	/* option of length 0 */
	{
		struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, all_routers);
		uint8_t body[12] = { [4] = 1, [5] = 0 };

		len = tf_icmp6(f, &l3, ICMPV6_ROUTER_SOLICIT, 0, body, 12);
		cr_assert_eq(run(len), DROP_NDP_BAD);
		body[5] = 2;			/* 16 bytes claimed, 8 there */
		len = tf_icmp6(f, &l3, ICMPV6_ROUTER_SOLICIT, 0, body, 12);
		cr_assert_eq(run(len), DROP_NDP_BAD);
		len = tf_icmp6(f, &l3, ICMPV6_ROUTER_SOLICIT, 0, body, 6);
		cr_assert_eq(run(len), DROP_NDP_BAD, "option cut short");
	}
}

Test(ndp, ns_for_gateway_gets_na)
{
	const uint8_t *na = out + 54;

	cr_assert_eq(run(ns(NULL, gw_ll, gw_ll, true)), DROP_NONE);
	cr_assert(tf_l4_csum_ok6(out));
	cr_assert_eq(na[0], ICMPV6_NEIGHBOR_ADVERT);
	cr_assert_eq(na[4], 0x80 | 0x40 | 0x20, "router, solicited, override");
	cr_assert_arr_eq(na + 8, gw_ll, 16);
	cr_assert_eq(na[24], 2, "target link-layer option");
	cr_assert_arr_eq(na + 26, &vn.gw_mac, 6);
	cr_assert_arr_eq(out + 14 + 8, gw_ll, 16, "from the target");
	cr_assert_eq(out[14 + 7], 255);

	cr_assert_eq(run(ns(NULL, gw6, gw6, false)), DROP_NONE);
	cr_assert_arr_eq(na + 8, gw6, 16);
}

Test(ndp, dad_of_guest_address_is_never_answered)
{
	uint8_t mine[16] = { 0xfd, 0x42, 0, 1, 0, 2, 0, 3, 0x50, 0x54, 0, 0xff,
			     0xfe, 0x12, 0x34, 0x56 };
	uint8_t solicited[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff,
				  [13] = 0x12, [14] = 0x34, [15] = 0x56 };

	cr_assert_eq(run(ns(unspec, solicited, mine, false)), DROP_NDP_NOT_OURS);
	cr_assert_eq(run(ns(NULL, solicited, mine, true)), DROP_NDP_NOT_OURS);
	/* a DAD probe for the gateway's own address is a real conflict */
	cr_assert_eq(run(ns(unspec, solicited, gw_ll, false)), DROP_NONE);
	cr_assert_arr_eq(out + 14 + 24, all_nodes, 16);
	cr_assert_eq(out[54 + 4] & 0x40, 0, "not solicited");
}

Test(ndp, ns_malformed)
{
	size_t len;

	cr_assert_eq(run(ns(NULL, gw_ll, all_nodes, false)), DROP_NDP_BAD,
		     "multicast target");
	len = ns(NULL, gw_ll, gw_ll, false);
	/* shorter than target: rebuild a 12-byte body */
	{
		struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, gw_ll);
		uint8_t body[12] = { 0 };

		len = tf_icmp6(f, &l3, ICMPV6_NEIGHBOR_SOLICIT, 0, body, 12);
		cr_assert_eq(run(len), DROP_NDP_BAD);
	}
	/* DAD (unspecified source) to a unicast destination */
	cr_assert_eq(run(ns(unspec, gw_ll, gw_ll, false)), DROP_NDP_BAD);
	(void)len;
}

Test(ndp, every_truncation_is_dropped_cleanly)
{
	size_t len = rs(NULL, true);

	for (size_t n = 0; n < len; n++) {
		uint8_t *c = malloc(n ? n : 1);
		struct pkt p;

		memcpy(c, f, n);
		if (parse_frame(c, (uint32_t)n, 0, &p) == DROP_NONE)
			cr_assert_neq(ndp_input(&vn, &p, out, sizeof(out),
						&out_len), DROP_NONE,
				      "truncated to %zu answered", n);
		free(c);
	}
}

Test(ndp, unsolicited_ra_to_all_nodes)
{
	out_len = ndp_build_unsolicited_ra(&vn, out, sizeof(out));
	cr_assert_gt(out_len, 54 + 16);
	cr_assert(tf_l4_csum_ok6(out));
	cr_assert_arr_eq(out + 14 + 24, all_nodes, 16);
	cr_assert_eq(out[54], ICMPV6_ROUTER_ADVERT);
}
