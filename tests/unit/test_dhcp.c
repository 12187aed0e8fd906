/* SPDX-License-Identifier: MIT */
/* test_dhcp.c - DHCPv4 server (engine/slowpath/dhcp.c) on crafted frames */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "parse.h"
#include "slowpath/dhcp.h"
#include "vnet.h"

#define NOW	1000
#define LEASE	86400

enum { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };

static const rte_be32_t gw = TF_IP(10, 0, 0, 1);
static const rte_be32_t guest = TF_IP(10, 0, 0, 2);
static const rte_be32_t other = TF_IP(10, 0, 0, 77);

static struct vnet vn;
static uint8_t out[DHCP_REPLY_MAX];
static size_t out_len;
static struct pkt rp;		/* the reply, parsed */
static const uint8_t *rmsg;	/* its DHCP message */

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1500,
				      .lease_s = LEASE };
	char err[128];

	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	strcpy(vn.domain, "example.com");
	strcpy(vn.search[0], "example.com");
	strcpy(vn.search[1], "corp.example.org.");
	vn.n_search = 2;
	memset(out, 0xaa, sizeof(out));
	out_len = 12345;
}

TestSuite(dhcp, .init = setup);

/* Run dhcp_input() on @len bytes of @frame, copied to an exact-size heap
 * buffer so that ASan sees any read past the end */
static enum drop_reason run_frame(const uint8_t *frame, size_t len)
{
	uint8_t *f = malloc(len ? len : 1);
	enum drop_reason rc;
	struct pkt p;

	memcpy(f, frame, len);
	cr_assert_eq(parse_frame(f, (uint32_t)len, 0, &p), DROP_NONE);
	rc = dhcp_input(&vn, &p, NOW, out, sizeof(out), &out_len);
	free(f);
	if (rc == DROP_NONE && out_len) {
		cr_assert_eq(parse_frame(out, (uint32_t)out_len, 0, &rp),
			     DROP_NONE, "reply does not parse");
		rmsg = out + rp.payload_off;
	}
	return rc;
}

static enum drop_reason run(const struct tf_dhcp *d)
{
	uint8_t f[TF_MAX];

	return run_frame(f, tf_dhcp_frame(f, d));
}

/* Run a raw DHCP payload of @len bytes */
static enum drop_reason run_payload(const uint8_t *msg, size_t len)
{
	struct tf_l3 l3 = tf_l3_default(&tf_bcast_mac,
					TF_IP(255, 255, 255, 255));
	uint8_t f[TF_MAX];

	l3.src = 0;
	return run_frame(f, tf_udp4(f, &l3, 68, 67, msg, len));
}

static const uint8_t *opt(uint8_t code, uint8_t *len)
{
	return tf_dhcp_find(rmsg, rp.payload_len, code, len);
}

static uint32_t opt32(uint8_t code)
{
	const uint8_t *v;
	uint8_t len;
	uint32_t x;

	v = opt(code, &len);
	cr_assert_not_null(v, "option %u missing", code);
	cr_assert_eq(len, 4, "option %u length %u", code, len);
	memcpy(&x, v, 4);
	return x;
}

static uint8_t reply_type(void)
{
	const uint8_t *v;
	uint8_t len;

	cr_assert_neq(out_len, 0, "no reply");
	v = opt(53, &len);
	cr_assert(v && len == 1);
	return v[0];
}

static rte_be32_t r32(size_t off)
{
	rte_be32_t v;

	memcpy(&v, rmsg + off, 4);
	return v;
}

#define R_CIADDR	12
#define R_YIADDR	16
#define R_SIADDR	20
#define R_GIADDR	24

static void assert_dest(const struct rte_ether_addr *mac, rte_be32_t ip)
{
	cr_assert_eq(memcmp(out, mac, 6), 0, "destination MAC");
	cr_assert_eq(memcmp(out + 6, &vn.gw_mac, 6), 0, "source MAC");
	cr_assert_eq(rp.dst4, ip, "destination IP %08x",
		     rte_be_to_cpu_32(rp.dst4));
	cr_assert_eq(rp.src4, gw);
	cr_assert_eq(rp.sport, RTE_BE16(67));
	cr_assert_eq(rp.dport, RTE_BE16(68));
}

static void assert_bootp(const struct tf_dhcp *d, rte_be32_t yiaddr)
{
	static const uint8_t zero[192];
	uint32_t xid;

	cr_assert_eq(rmsg[0], 2, "op");
	cr_assert_eq(rmsg[1], 1);
	cr_assert_eq(rmsg[2], 6);
	memcpy(&xid, rmsg + 4, 4);
	cr_assert_eq(rte_be_to_cpu_32(xid), d->xid);
	cr_assert_eq(rmsg[10] << 8 | rmsg[11], d->flags);
	cr_assert_eq(r32(R_YIADDR), yiaddr);
	cr_assert_eq(r32(R_SIADDR), 0);
	cr_assert_eq(r32(R_GIADDR), d->giaddr);
	cr_assert_eq(memcmp(rmsg + 28, &d->chaddr, 6), 0, "chaddr");
	cr_assert_eq(memcmp(rmsg + 44, zero, sizeof(zero)), 0, "sname/file");
	cr_assert_geq(rp.payload_len, 300, "BOOTP minimum size");
	cr_assert_leq(rp.payload_len, 576 - 28, "fits a 576-byte datagram");
}

static void assert_config_opts(void)
{
	static const uint8_t search[] = "\x07" "example" "\x03" "com" "\x00"
		"\x04" "corp" "\x07" "example" "\x03" "org" "\x00";
	const uint8_t *v;
	uint8_t len;

	cr_assert_eq(opt32(54), gw, "server id");
	cr_assert_eq(opt32(1), TF_IP(255, 255, 255, 0), "mask");
	cr_assert_eq(opt32(3), gw, "router");
	cr_assert_eq(opt32(6), gw, "DNS");
	cr_assert_eq(opt32(28), TF_IP(10, 0, 0, 255), "broadcast");
	v = opt(26, &len);
	cr_assert(v && len == 2 && (v[0] << 8 | v[1]) == 1500, "MTU");
	v = opt(15, &len);
	cr_assert(v && len == 11 && !memcmp(v, "example.com", 11), "domain");
	v = opt(119, &len);
	cr_assert(v && len == sizeof(search) - 1, "search length");
	cr_assert_eq(memcmp(v, search, len), 0, "search encoding");
	cr_assert_null(opt(61, &len), "client id echoed");
}

static void assert_lease_opts(void)
{
	cr_assert_eq(rte_be_to_cpu_32(opt32(51)), LEASE);
	cr_assert_eq(rte_be_to_cpu_32(opt32(58)), LEASE / 2);
	cr_assert_eq(rte_be_to_cpu_32(opt32(59)), LEASE * 7 / 8);
}

Test(dhcp, discover_offer)
{
	static const uint8_t cid[] = { 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct rte_ether_addr mac;
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	tf_dhcp_opt(&d, 61, cid, sizeof(cid));
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), OFFER);
	assert_bootp(&d, guest);
	cr_assert_eq(r32(R_CIADDR), 0);
	assert_config_opts();
	assert_lease_opts();
	/* No broadcast flag, no ciaddr: unicast to yiaddr and chaddr */
	assert_dest(&tf_guest_mac, guest);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_OFFERED);
	cr_assert(vnet_guest_mac_get(&vn, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &tf_guest_mac));
}

Test(dhcp, discover_broadcast_flag)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.flags = 0x8000;
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), OFFER);
	assert_bootp(&d, guest);
	assert_dest(&tf_bcast_mac, TF_IP(255, 255, 255, 255));
}

Test(dhcp, discover_no_domain_no_search)
{
	struct tf_dhcp d;
	uint8_t len;

	vn.domain[0] = 0;
	vn.n_search = 0;
	tf_dhcp_init(&d, DISCOVER);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_null(opt(15, &len));
	cr_assert_null(opt(119, &len));
	cr_assert_eq(rp.payload_len, 300, "padded to the BOOTP minimum");
}

/* A long search list is cut to one 255-byte option; a reply must still fit
 * 576 bytes unless the client allows more with option 57 */
Test(dhcp, long_search_list)
{
	static const uint8_t max_size[2] = { 1500 >> 8, 1500 & 0xff };
	struct tf_dhcp d;
	const uint8_t *v;
	uint8_t len;

	for (unsigned i = 0; i < VNET_MAX_SEARCH; i++) {
		/* 52 bytes on the wire */
		memset(vn.search[i], 'a' + (int)i, 50);
		vn.search[i][50] = 0;
	}
	vn.n_search = VNET_MAX_SEARCH;
	strcpy(vn.domain, vn.search[0]);

	tf_dhcp_init(&d, DISCOVER);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_leq(rp.payload_len, 548);
	cr_assert_null(opt(119, &len), "search list does not fit 576 bytes");
	cr_assert_not_null(opt(15, &len));

	tf_dhcp_opt(&d, 57, max_size, 2);
	cr_assert_eq(run(&d), DROP_NONE);
	v = opt(119, &len);
	cr_assert_not_null(v);
	cr_assert_eq(len, 4 * 52, "four names fit in 255 bytes");
	cr_assert_eq(v[0], 50);
	cr_assert_eq(v[51], 0);
	cr_assert_eq(v[52 * 3 + 1], 'd');
}

Test(dhcp, search_invalid_names_skipped)
{
	static const uint8_t want[] = "\x03" "ok1" "\x00" "\x03" "ok2" "\x00";
	struct tf_dhcp d;
	const uint8_t *v;
	uint8_t len;

	strcpy(vn.search[0], "ok1");
	strcpy(vn.search[1], "a..b");
	memset(vn.search[2], 'x', 64);		/* label > 63 */
	vn.search[2][64] = 0;
	strcpy(vn.search[3], ".");
	strcpy(vn.search[4], "ok2");
	vn.n_search = 5;
	tf_dhcp_init(&d, DISCOVER);
	cr_assert_eq(run(&d), DROP_NONE);
	v = opt(119, &len);
	cr_assert(v && len == sizeof(want) - 1);
	cr_assert_eq(memcmp(v, want, len), 0);
}

Test(dhcp, request_selecting_ack)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, guest);
	tf_dhcp_opt32(&d, 54, gw);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
	assert_bootp(&d, guest);
	assert_config_opts();
	assert_lease_opts();
	assert_dest(&tf_guest_mac, guest);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_BOUND);
	cr_assert_eq(vn.lease.expires_s, NOW + LEASE);
	cr_assert(rte_is_same_ether_addr(&vn.lease.chaddr, &tf_guest_mac));
}

static void assert_nak(const struct tf_dhcp *d)
{
	uint8_t len;

	cr_assert_eq(reply_type(), NAK);
	assert_bootp(d, 0);
	cr_assert_eq(r32(R_CIADDR), 0);
	cr_assert_eq(opt32(54), gw);
	cr_assert_null(opt(51, &len));
	cr_assert_null(opt(1, &len));
	cr_assert_null(opt(3, &len));
	assert_dest(&tf_bcast_mac, TF_IP(255, 255, 255, 255));
}

Test(dhcp, request_foreign_address_nak)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, other);
	tf_dhcp_opt32(&d, 54, gw);
	cr_assert_eq(run(&d), DROP_NONE);
	assert_nak(&d);
	cr_assert_neq(vn.lease.state, DHCP_LEASE_BOUND);
}

Test(dhcp, request_other_server)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, guest);
	tf_dhcp_opt32(&d, 54, TF_IP(192, 168, 1, 1));
	cr_assert_eq(run(&d), DROP_DHCP_NOT_FOR_US);
	cr_assert_eq(out_len, 0);
	cr_assert_neq(vn.lease.state, DHCP_LEASE_BOUND);
}

Test(dhcp, request_no_address)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	cr_assert_eq(out_len, 0);
}

/* RENEWING: ciaddr set, no options 50/54, unicast from the client */
Test(dhcp, renew_keeps_address)
{
	static const struct rte_ether_addr src = {
		{ 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc } };
	uint8_t f[TF_MAX];
	struct tf_dhcp d;
	size_t len;

	tf_dhcp_init(&d, REQUEST);
	d.ciaddr = guest;
	len = tf_dhcp_frame(f, &d);
	memcpy(f + 6, &src, 6);	/* reply goes to the frame's source MAC */
	cr_assert_eq(run_frame(f, len), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
	assert_bootp(&d, guest);
	cr_assert_eq(r32(R_CIADDR), guest, "ciaddr echoed in ACK");
	assert_lease_opts();
	assert_dest(&src, guest);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_BOUND);
}

Test(dhcp, renew_broadcast_flag)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	d.ciaddr = guest;
	d.flags = 0x8000;
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
	assert_dest(&tf_bcast_mac, TF_IP(255, 255, 255, 255));
}

Test(dhcp, rebind_foreign_address_nak)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	d.ciaddr = other;
	cr_assert_eq(run(&d), DROP_NONE);
	assert_nak(&d);
}

Test(dhcp, init_reboot)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, guest);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
	assert_dest(&tf_guest_mac, guest);

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, TF_IP(192, 168, 0, 10));
	cr_assert_eq(run(&d), DROP_NONE);
	assert_nak(&d);
}

Test(dhcp, release)
{
	struct tf_dhcp d;

	vn.lease.state = DHCP_LEASE_BOUND;
	tf_dhcp_init(&d, RELEASE);
	d.ciaddr = guest;
	tf_dhcp_opt32(&d, 54, gw);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(out_len, 0);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_FREE);
	cr_assert_eq(vn.guest_mac, 0, "RELEASE does not learn the MAC");

	vn.lease.state = DHCP_LEASE_BOUND;
	d.ciaddr = other;
	cr_assert_eq(run(&d), DROP_DHCP_NOT_FOR_US);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_BOUND);
}

Test(dhcp, decline)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DECLINE);
	tf_dhcp_opt32(&d, 50, guest);
	tf_dhcp_opt32(&d, 54, gw);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(out_len, 0);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_DECLINED);
	cr_assert_eq(vn.lease.declines, 1);

	/* The only address is still offered afterwards */
	tf_dhcp_init(&d, DISCOVER);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), OFFER);
	cr_assert_eq(r32(R_YIADDR), guest);

	tf_dhcp_init(&d, DECLINE);
	tf_dhcp_opt32(&d, 50, other);
	cr_assert_eq(run(&d), DROP_DHCP_NOT_FOR_US);
	cr_assert_eq(vn.lease.declines, 1);
}

Test(dhcp, inform)
{
	struct tf_dhcp d;
	uint8_t len;

	tf_dhcp_init(&d, INFORM);
	d.ciaddr = guest;
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
	assert_bootp(&d, 0);
	cr_assert_eq(r32(R_CIADDR), guest);
	assert_config_opts();
	cr_assert_null(opt(51, &len), "INFORM gets no lease time");
	cr_assert_null(opt(58, &len));
	cr_assert_null(opt(59, &len));
	assert_dest(&tf_guest_mac, guest);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_FREE, "no lease for INFORM");
}

Test(dhcp, giaddr_echoed)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.giaddr = TF_IP(10, 9, 9, 9);
	cr_assert_eq(run(&d), DROP_NONE);
	assert_bootp(&d, guest);
}

/* Malformed requests */

Test(dhcp, no_magic_cookie)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.no_cookie = true;
	cr_assert_eq(run(&d), DROP_DHCP_NO_COOKIE);

	tf_dhcp_init(&d, DISCOVER);
	d.opts_len = 0;
	d.no_end = true;
	d.xid = 1;
	{
		uint8_t msg[TF_MAX];
		size_t n = tf_dhcp_msg(msg, &d);

		msg[236 + 3] = 98;	/* wrong cookie */
		cr_assert_eq(run_payload(msg, n), DROP_DHCP_NO_COOKIE);
	}
}

Test(dhcp, truncated_fixed_part)
{
	uint8_t msg[TF_MAX];
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	tf_dhcp_msg(msg, &d);
	for (size_t n = 0; n < 236; n++) {
		cr_assert_eq(run_payload(msg, n), DROP_DHCP_TRUNC,
			     "length %zu", n);
		cr_assert_eq(out_len, 0);
	}
	for (size_t n = 236; n < 240; n++)
		cr_assert_eq(run_payload(msg, n), DROP_DHCP_NO_COOKIE,
			     "length %zu", n);
}

/* Every truncation of a full request is dropped or answered, never crashes */
Test(dhcp, truncated_everywhere)
{
	static const uint8_t host[] = "guest-hostname";
	static const uint8_t prl[] = { 1, 3, 6, 15, 26, 28, 51, 58, 59, 119 };
	uint8_t msg[TF_MAX];
	enum drop_reason rc;
	struct tf_dhcp d;
	size_t full;

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt(&d, 12, host, sizeof(host) - 1);
	tf_dhcp_opt32(&d, 50, guest);
	tf_dhcp_opt(&d, 55, prl, sizeof(prl));
	tf_dhcp_opt32(&d, 54, gw);
	full = tf_dhcp_msg(msg, &d);
	for (size_t n = 0; n <= full; n++) {
		rc = run_payload(msg, n);
		cr_assert(rc == DROP_NONE || rc == DROP_DHCP_TRUNC ||
			  rc == DROP_DHCP_NO_COOKIE ||
			  rc == DROP_DHCP_BAD_OPTION ||
			  rc == DROP_DHCP_BAD_MESSAGE, "length %zu: %d", n, rc);
		cr_assert(rc != DROP_NONE || out_len, "length %zu", n);
	}
	cr_assert_eq(run_payload(msg, full), DROP_NONE);
	cr_assert_eq(reply_type(), ACK);
}

Test(dhcp, option_overflow)
{
	static const uint8_t host[] = { 12, 10, 'a', 'b', 'c' };
	static const uint8_t lone_code[] = { 12 };
	static const uint8_t type_cut[] = { 53, 1 };
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	tf_dhcp_raw(&d, host, sizeof(host));
	d.no_end = true;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);
	cr_assert_eq(out_len, 0);

	tf_dhcp_init(&d, DISCOVER);
	tf_dhcp_raw(&d, lone_code, sizeof(lone_code));	/* no length byte */
	d.no_end = true;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);

	tf_dhcp_init(&d, 0);
	tf_dhcp_raw(&d, type_cut, sizeof(type_cut));	/* no value byte */
	d.no_end = true;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);
}

Test(dhcp, option_bad_length)
{
	static const uint8_t type2[] = { DISCOVER, 0 };
	static const uint8_t addr3[] = { 10, 0, 0 };
	struct tf_dhcp d;

	tf_dhcp_init(&d, 0);
	tf_dhcp_opt(&d, 53, type2, 2);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);

	tf_dhcp_init(&d, 0);
	tf_dhcp_opt(&d, 53, NULL, 0);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt(&d, 50, addr3, 3);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);

	tf_dhcp_init(&d, REQUEST);
	tf_dhcp_opt32(&d, 50, guest);
	tf_dhcp_opt(&d, 54, addr3, 3);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_OPTION);
}

Test(dhcp, message_type_missing_or_unknown)
{
	static const uint8_t host[] = "h";
	uint8_t t;
	struct tf_dhcp d;

	tf_dhcp_init(&d, 0);
	tf_dhcp_opt(&d, 12, host, 1);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	cr_assert_eq(out_len, 0);

	/* Server-side types and unknown values from a client */
	for (t = 0; t < 20; t++) {
		if (t == DISCOVER || t == REQUEST || t == DECLINE ||
		    t == RELEASE || t == INFORM)
			continue;
		tf_dhcp_init(&d, 0);
		tf_dhcp_opt(&d, 53, &t, 1);
		cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE, "type %u", t);
	}

	/* Type hidden after END does not count */
	tf_dhcp_init(&d, 0);
	t = 255;
	tf_dhcp_raw(&d, &t, 1);
	t = DISCOVER;
	tf_dhcp_opt(&d, 53, &t, 1);
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
}

Test(dhcp, unknown_and_zero_length_options_skipped)
{
	static const uint8_t pads[] = { 0, 0, 0 };
	static const uint8_t blob[] = { 1, 2, 3, 4, 5 };
	struct tf_dhcp d;

	tf_dhcp_init(&d, 0);
	tf_dhcp_raw(&d, pads, sizeof(pads));
	tf_dhcp_opt(&d, 200, blob, sizeof(blob));
	tf_dhcp_opt(&d, 201, NULL, 0);
	tf_dhcp_opt(&d, 12, NULL, 0);
	tf_dhcp_opt(&d, 52, (const uint8_t[]){ 3 }, 1);	/* overload: ignored */
	tf_dhcp_raw(&d, pads, 1);
	tf_dhcp_opt(&d, 53, (const uint8_t[]){ DISCOVER }, 1);
	tf_dhcp_opt(&d, 254, blob, 0);
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), OFFER);
}

Test(dhcp, missing_end_tolerated)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.no_end = true;
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(reply_type(), OFFER);
}

Test(dhcp, bootreply_from_guest)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.op = 2;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	cr_assert_eq(out_len, 0);
	d.op = 0;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
}

Test(dhcp, bad_hardware_type_or_length)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.hlen = 16;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	d.hlen = 0;
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	d.hlen = 6;
	d.htype = 6;	/* IEEE 802 */
	cr_assert_eq(run(&d), DROP_DHCP_BAD_MESSAGE);
	cr_assert_eq(vn.guest_mac, 0, "nothing learned from a bad message");
}

Test(dhcp, multicast_chaddr_not_learned)
{
	struct tf_dhcp d;

	tf_dhcp_init(&d, DISCOVER);
	d.chaddr.addr_bytes[0] = 0x01;
	d.flags = 0x8000;
	cr_assert_eq(run(&d), DROP_NONE);
	cr_assert_eq(vn.guest_mac, 0);
}
