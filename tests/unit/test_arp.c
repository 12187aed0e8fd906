/* SPDX-License-Identifier: MIT */
/* test_arp.c - ARP responder (engine/slowpath/arp.c) on crafted frames */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "parse.h"
#include "slowpath/arp.h"
#include "vnet.h"

static const rte_be32_t gw = TF_IP(10, 0, 0, 1);
static const rte_be32_t guest = TF_IP(10, 0, 0, 2);
static const struct rte_ether_addr zero_mac = { { 0 } };

static struct vnet vn;
static uint8_t f[TF_MAX];
static uint8_t out[128];
static size_t out_len;

static void setup(void)
{
	struct broth_vnet_conf vc = { .net4 = { TF_IP(10, 0, 0, 0) },
				      .prefix4 = 24, .mtu = 1500,
				      .lease_s = 3600 };
	char err[128];

	cr_assert_eq(vnet_init(&vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	memset(out, 0xaa, sizeof(out));
	out_len = 999;
}

TestSuite(arp, .init = setup);

/* parse_frame() + arp_input() on an exact-size heap copy (ASan) */
static enum drop_reason run(size_t len)
{
	uint8_t *c = malloc(len);
	enum drop_reason rc;
	struct pkt p;

	memcpy(c, f, len);
	rc = parse_frame(c, (uint32_t)len, 0, &p);
	cr_assert_eq(rc, DROP_NONE, "parse_frame: %d", rc);
	rc = arp_input(&vn, &p, out, sizeof(out), &out_len);
	free(c);
	if (rc != DROP_NONE)
		cr_assert_eq(out_len, 0, "no reply with a drop reason");
	return rc;
}

static size_t request(const struct rte_ether_addr *sha, rte_be32_t spa,
		      rte_be32_t tpa)
{
	return tf_arp(f, &tf_bcast_mac, 1, sha, spa, &zero_mac, tpa);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void assert_reply(const struct rte_ether_addr *to, rte_be32_t tpa)
{
	static const uint8_t zeros[18];
	const uint8_t *a = out + 14;

	cr_assert_eq(out_len, ARP_REPLY_LEN);
	cr_assert_eq(memcmp(out, to, 6), 0, "Ethernet destination");
	cr_assert_eq(memcmp(out + 6, &vn.gw_mac, 6), 0, "Ethernet source");
	cr_assert_eq(get16(out + 12), 0x0806);
	cr_assert_eq(get16(a), 1, "htype");
	cr_assert_eq(get16(a + 2), 0x0800, "ptype");
	cr_assert_eq(a[4], 6);
	cr_assert_eq(a[5], 4);
	cr_assert_eq(get16(a + 6), 2, "op reply");
	cr_assert_eq(memcmp(a + 8, &vn.gw_mac, 6), 0, "sha");
	cr_assert_eq(memcmp(a + 14, &gw, 4), 0, "spa");
	cr_assert_eq(memcmp(a + 18, to, 6), 0, "tha");
	cr_assert_eq(memcmp(a + 24, &tpa, 4), 0, "tpa");
	cr_assert_eq(memcmp(out + 42, zeros, sizeof(zeros)), 0, "padding");
}

Test(arp, request_for_gateway)
{
	struct rte_ether_addr mac;

	cr_assert_eq(run(request(&tf_guest_mac, guest, gw)), DROP_NONE);
	assert_reply(&tf_guest_mac, guest);
	cr_assert(vnet_guest_mac_get(&vn, &mac), "guest MAC learned");
	cr_assert(rte_is_same_ether_addr(&mac, &tf_guest_mac));
}

/* Unicast request (ARP cache refresh) is answered the same way */
Test(arp, unicast_request_for_gateway)
{
	size_t len = tf_arp(f, &vn.gw_mac, 1, &tf_guest_mac, guest, &vn.gw_mac,
			    gw);

	cr_assert_eq(run(len), DROP_NONE);
	assert_reply(&tf_guest_mac, guest);
}

Test(arp, padded_request)
{
	size_t len = request(&tf_guest_mac, guest, gw);

	memset(f + len, 0xee, 60 - len);
	cr_assert_eq(run(60), DROP_NONE);
	assert_reply(&tf_guest_mac, guest);
}

Test(arp, request_for_other_address)
{
	cr_assert_eq(run(request(&tf_guest_mac, guest, TF_IP(10, 0, 0, 77))),
		     DROP_ARP_NOT_OURS);
	cr_assert_eq(run(request(&tf_guest_mac, guest, TF_IP(8, 8, 8, 8))),
		     DROP_ARP_NOT_OURS);
}

Test(arp, gratuitous_ignored)
{
	enum drop_reason rc;
	size_t len;

	/* Guest announcing its own address, as a request and as a reply */
	rc = run(request(&tf_guest_mac, guest, guest));
	cr_assert(rc == DROP_ARP_IGNORED || rc == DROP_ARP_NOT_OURS, "%d", rc);
	len = tf_arp(f, &tf_bcast_mac, 2, &tf_guest_mac, guest, &tf_bcast_mac,
		     guest);
	cr_assert_eq(run(len), DROP_ARP_IGNORED);
	/* Someone announcing the gateway's address: not answered either */
	cr_assert_eq(run(request(&tf_guest_mac, gw, gw)), DROP_ARP_IGNORED);
}

Test(arp, replies_ignored)
{
	size_t len = tf_arp(f, &vn.gw_mac, 2, &tf_guest_mac, guest, &vn.gw_mac,
			    gw);

	cr_assert_eq(run(len), DROP_ARP_IGNORED);
	f[14 + 7] = 3;	/* RARP request */
	cr_assert_eq(run(len), DROP_ARP_IGNORED);
}

/* RFC 5227: the owner answers a probe for its address */
Test(arp, probe_for_gateway_answered)
{
	cr_assert_eq(run(request(&tf_guest_mac, 0, gw)), DROP_NONE);
	assert_reply(&tf_guest_mac, 0);
}

/* The guest probing its own address must see no conflict */
Test(arp, probe_for_guest_not_answered)
{
	cr_assert_eq(run(request(&tf_guest_mac, 0, guest)), DROP_ARP_NOT_OURS);
}

Test(arp, bad_format)
{
	size_t len = request(&tf_guest_mac, guest, gw);
	uint8_t *a = f + 14;

	a[1] = 6;	/* htype IEEE 802 */
	cr_assert_eq(run(len), DROP_ARP_BAD_FORMAT);
	a[1] = 1;
	a[2] = 0x86;	/* ptype IPv6 */
	a[3] = 0xdd;
	cr_assert_eq(run(len), DROP_ARP_BAD_FORMAT);
	a[2] = 0x08;
	a[3] = 0x00;
	a[4] = 8;	/* hlen */
	cr_assert_eq(run(len), DROP_ARP_BAD_FORMAT);
	a[4] = 6;
	a[5] = 16;	/* plen */
	cr_assert_eq(run(len), DROP_ARP_BAD_FORMAT);
	a[5] = 4;
	cr_assert_eq(run(len), DROP_NONE);
	cr_assert_eq(vn.guest_mac != 0, true);
}

Test(arp, bad_format_learns_nothing)
{
	size_t len = request(&tf_guest_mac, guest, gw);

	f[14 + 4] = 8;
	cr_assert_eq(run(len), DROP_ARP_BAD_FORMAT);
	cr_assert_eq(vn.guest_mac, 0);
}

Test(arp, multicast_sender_not_answered)
{
	static const struct rte_ether_addr mc = {
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };

	cr_assert_eq(run(request(&mc, guest, gw)), DROP_ARP_BAD_FORMAT);
	cr_assert_eq(vn.guest_mac, 0, "multicast MAC not learned");
}

Test(arp, guest_mac_learning)
{
	static const struct rte_ether_addr other = {
		{ 0x52, 0x54, 0x00, 0x99, 0x99, 0x99 } };
	struct rte_ether_addr mac;

	/* A stranger's address is not the guest's MAC */
	run(request(&other, TF_IP(10, 0, 0, 77), gw));
	cr_assert_not(vnet_guest_mac_get(&vn, &mac));
	/* A reply from the guest address still teaches its MAC */
	run(tf_arp(f, &tf_bcast_mac, 2, &tf_guest_mac, guest, &tf_bcast_mac,
		   guest));
	cr_assert(vnet_guest_mac_get(&vn, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &tf_guest_mac));
}

Test(arp, small_buffer)
{
	struct pkt p;
	size_t len = request(&tf_guest_mac, guest, gw);

	cr_assert_eq(parse_frame(f, (uint32_t)len, 0, &p), DROP_NONE);
	cr_assert_neq(arp_input(&vn, &p, out, ARP_REPLY_LEN - 1, &out_len),
		      DROP_NONE);
	cr_assert_eq(out_len, 0);
}
