/* SPDX-License-Identifier: MIT */
/* test_dhcp6.c - DHCPv6 server (engine/slowpath/dhcp6.c) on crafted frames */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "parse.h"
#include "slowpath/dhcp6.h"
#include "vnet.h"

static const uint8_t all_dhcp[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };
static const struct rte_ether_addr mc_mac = { { 0x33, 0x33, 0, 1, 0, 2 } };
static const uint8_t client_duid[] = { 0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d,
				       0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static struct vnet vn;
static uint8_t f[TF_MAX];
static uint8_t out[2048];
static size_t out_len;

/* A client message being assembled */
static uint8_t msg[1024];
static size_t msg_len;

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1500,
				      .lease_s = 3600 };
	char err[128];

	cr_assert_eq(broth_parse_net6("fd42:1:2:3::", &vc.net6, err,
				      sizeof(err)), 0, "%s", err);
	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	snprintf(vn.search[0], sizeof(vn.search[0]), "example.test");
	vn.n_search = 1;
	out_len = 999;
}

TestSuite(dhcp6, .init = setup);

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void msg_start(uint8_t type)
{
	msg[0] = type;
	msg[1] = 0xab;
	msg[2] = 0xcd;
	msg[3] = 0xef;
	msg_len = 4;
}

static void opt(uint16_t code, const void *val, size_t len)
{
	put16(msg + msg_len, code);
	put16(msg + msg_len + 2, (uint16_t)len);
	memcpy(msg + msg_len + 4, val, len);
	msg_len += 4 + len;
}

static void server_id(void)
{
	uint8_t duid[10] = { 0, 3, 0, 1 };

	memcpy(duid + 4, &vn.gw_mac, 6);
	opt(2, duid, sizeof(duid));
}

static void ia_na(const uint8_t *addr)
{
	uint8_t ia[12 + 28] = { 0, 0, 0, 7 };

	if (!addr) {
		opt(3, ia, 12);
		return;
	}
	put16(ia + 12, 5);
	put16(ia + 14, 24);
	memcpy(ia + 16, addr, 16);
	opt(3, ia, sizeof(ia));
}

static enum drop_reason run(void)
{
	struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, all_dhcp);
	size_t len = tf_udp6(f, &l3, 546, 547, msg, msg_len);
	uint8_t *c = malloc(len);
	enum drop_reason rc;
	struct pkt p;

	memcpy(c, f, len);
	rc = parse_frame(c, (uint32_t)len, 0, &p);
	cr_assert_eq(rc, DROP_NONE, "parse_frame: %d", rc);
	rc = dhcp6_input(&vn, &p, out, sizeof(out), &out_len);
	free(c);
	if (rc != DROP_NONE)
		cr_assert_eq(out_len, 0, "no reply with a drop reason");
	return rc;
}

/* Option @code of the reply in out[], or NULL */
static const uint8_t *reply_opt(uint16_t code, uint16_t *len)
{
	const uint8_t *m = out + 14 + 40 + 8;
	size_t mlen = get16(out + 14 + 40 + 4) - 8;

	for (size_t off = 4; off + 4 <= mlen;) {
		uint16_t c = get16(m + off), l = get16(m + off + 2);

		cr_assert_leq(off + 4 + l, mlen, "reply option overruns");
		if (c == code) {
			*len = l;
			return m + off + 4;
		}
		off += 4u + l;
	}
	return NULL;
}

static uint8_t reply_type(void)
{
	return out[14 + 40 + 8];
}

static void assert_dns_in_reply(void)
{
	uint16_t l;
	const uint8_t *o = reply_opt(23, &l);

	cr_assert_not_null(o, "DNS servers option");
	cr_assert_eq(l, 16);
	cr_assert_arr_eq(o, vn.gw6, 16);
	o = reply_opt(24, &l);
	cr_assert_not_null(o, "domain list option");
	cr_assert_eq(l, 14);
	cr_assert_eq(memcmp(o, "\7example\4test\0", 14), 0);
}

Test(dhcp6, information_request_gets_dns)
{
	uint16_t l;
	const uint8_t *o;

	msg_start(11);
	opt(1, client_duid, sizeof(client_duid));
	opt(8, "\0\0", 2);			/* elapsed time */
	cr_assert_eq(run(), DROP_NONE);
	cr_assert(tf_l4_csum_ok6(out));
	cr_assert_eq(reply_type(), 7, "Reply");
	cr_assert_eq(memcmp(out + 14 + 40 + 8 + 1, "\xab\xcd\xef", 3), 0, "xid");
	cr_assert_eq(get16(out + 14 + 40), 547);
	cr_assert_eq(get16(out + 14 + 40 + 2), 546);
	cr_assert_arr_eq(out + 14 + 8, vn.gw6_ll, 16, "from fe80::1");
	o = reply_opt(1, &l);
	cr_assert_not_null(o);
	cr_assert_arr_eq(o, client_duid, sizeof(client_duid));
	o = reply_opt(2, &l);
	cr_assert_not_null(o, "server id");
	cr_assert_eq(l, 10);
	cr_assert_null(reply_opt(3, &l), "no address in a stateless reply");
	assert_dns_in_reply();
}

Test(dhcp6, solicit_advertises_the_one_address)
{
	uint16_t l;
	const uint8_t *o;

	msg_start(1);
	opt(1, client_duid, sizeof(client_duid));
	ia_na(NULL);
	cr_assert_eq(run(), DROP_NONE);
	cr_assert_eq(reply_type(), 2, "Advertise");
	o = reply_opt(3, &l);
	cr_assert_not_null(o, "IA_NA");
	cr_assert_eq(l, 12 + 28);
	cr_assert_eq(memcmp(o, "\0\0\0\7", 4), 0, "IAID echoed");
	cr_assert_eq(get16(o + 12), 5, "IAADDR");
	cr_assert_arr_eq(o + 16, vn.guest6, 16);
	assert_dns_in_reply();
}

Test(dhcp6, rapid_commit_replies_at_once)
{
	uint16_t l;

	msg_start(1);
	opt(1, client_duid, sizeof(client_duid));
	opt(14, NULL, 0);
	ia_na(NULL);
	cr_assert_eq(run(), DROP_NONE);
	cr_assert_eq(reply_type(), 7);
	cr_assert_not_null(reply_opt(14, &l), "rapid commit echoed");
}

Test(dhcp6, request_renew_need_our_server_id)
{
	uint16_t l;
	uint8_t other[10] = { 0, 3, 0, 1, 1, 2, 3, 4, 5, 6 };

	msg_start(3);
	opt(1, client_duid, sizeof(client_duid));
	server_id();
	ia_na(NULL);
	cr_assert_eq(run(), DROP_NONE);
	cr_assert_eq(reply_type(), 7);
	cr_assert_not_null(reply_opt(3, &l));

	msg_start(5);
	opt(1, client_duid, sizeof(client_duid));
	opt(2, other, sizeof(other));
	ia_na(vn.guest6);
	cr_assert_eq(run(), DROP_DHCP6_NOT_FOR_US);

	msg_start(3);
	opt(1, client_duid, sizeof(client_duid));
	ia_na(NULL);
	cr_assert_eq(run(), DROP_DHCP6_BAD, "Request without server id");
}

Test(dhcp6, confirm_release_decline)
{
	uint8_t off_link[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	uint16_t l;
	const uint8_t *o;

	msg_start(4);
	opt(1, client_duid, sizeof(client_duid));
	ia_na(vn.guest6);
	cr_assert_eq(run(), DROP_NONE);
	o = reply_opt(13, &l);
	cr_assert_not_null(o);
	cr_assert_eq(get16(o), 0, "Success");

	msg_start(4);
	opt(1, client_duid, sizeof(client_duid));
	ia_na(off_link);
	cr_assert_eq(run(), DROP_NONE);
	o = reply_opt(13, &l);
	cr_assert_eq(get16(o), 4, "NotOnLink");

	msg_start(8);
	opt(1, client_duid, sizeof(client_duid));
	server_id();
	ia_na(vn.guest6);
	cr_assert_eq(run(), DROP_NONE);
	cr_assert_eq(get16(reply_opt(13, &l)), 0);
}

Test(dhcp6, malformed_messages_are_dropped)
{
	uint8_t ia[12] = { 0 };

	msg_start(11);
	msg_len = 3;				/* shorter than the header */
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(11);
	opt(1, client_duid, sizeof(client_duid));
	put16(msg + msg_len - sizeof(client_duid) - 2, 200);	/* overlong */
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(11);
	opt(1, client_duid, 1);			/* DUID too short */
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(11);
	opt(1, client_duid, sizeof(client_duid));
	msg[msg_len++] = 0;			/* 3 trailing bytes */
	msg[msg_len++] = 1;
	msg[msg_len++] = 0;
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(11);
	opt(3, ia, 12);				/* IA in Information-request */
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(1);
	opt(3, ia, 4);				/* IA_NA shorter than fixed */
	opt(1, client_duid, sizeof(client_duid));
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(1);				/* Solicit without client id */
	ia_na(NULL);
	cr_assert_eq(run(), DROP_DHCP6_BAD);

	msg_start(2);				/* an Advertise from a "client" */
	opt(1, client_duid, sizeof(client_duid));
	cr_assert_eq(run(), DROP_DHCP6_NOT_FOR_US);
}

Test(dhcp6, every_truncation_is_safe)
{
	msg_start(1);
	opt(1, client_duid, sizeof(client_duid));
	ia_na(vn.guest6);
	opt(14, NULL, 0);
	for (size_t n = msg_len; n-- > 0;) {
		size_t keep = msg_len;

		msg_len = n;
		run();		/* any verdict, but no overrun (ASan) */
		msg_len = keep;
	}
}

Test(dhcp6, global_source_is_refused)
{
	struct tf_l3_6 l3 = tf_l3_6_default(&mc_mac, all_dhcp);
	struct pkt p;
	size_t len;

	msg_start(11);
	opt(1, client_duid, sizeof(client_duid));
	memcpy(l3.src, vn.guest6, 16);
	len = tf_udp6(f, &l3, 546, 547, msg, msg_len);
	cr_assert_eq(parse_frame(f, (uint32_t)len, 0, &p), DROP_NONE);
	cr_assert_eq(dhcp6_input(&vn, &p, out, sizeof(out), &out_len),
		     DROP_DHCP6_BAD);
}
