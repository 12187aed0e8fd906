/* SPDX-License-Identifier: MIT */
/* test_vnet.c - address plan and resolver import (engine/vnet.c) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "vnet.h"

static struct vnet vn;
static char err[256];

static int init(uint16_t id, rte_be32_t net, uint8_t prefix, uint16_t mtu)
{
	struct broth_vnet_conf vc = { .name = "test", .net4 = { net },
				      .prefix4 = prefix, .mtu = mtu,
				      .lease_s = 3600 };

	err[0] = 0;
	return vnet_init(&vn, id, &vc, err, sizeof(err));
}

Test(vnet, default_net)
{
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 1500), 0, "%s", err);
	cr_assert_eq(vn.net4, TF_IP(10, 0, 0, 0));
	cr_assert_eq(vn.gw4, TF_IP(10, 0, 0, 1));
	cr_assert_eq(vn.guest4, TF_IP(10, 0, 0, 2));
	cr_assert_eq(vn.mask4, TF_IP(255, 255, 255, 0));
	cr_assert_eq(vn.bcast4, TF_IP(10, 0, 0, 255));
	cr_assert_eq(vn.prefix4, 24);
	cr_assert_eq(vn.mtu, 1500);
	cr_assert_eq(vn.lease_s, 3600);
	cr_assert_str_eq(vn.name, "test");
	cr_assert(rte_is_unicast_ether_addr(&vn.gw_mac));
	cr_assert(rte_is_local_admin_ether_addr(&vn.gw_mac));
	cr_assert_eq(vn.guest_mac, 0);
	cr_assert_eq(vn.lease.state, DHCP_LEASE_FREE);
}

Test(vnet, other_net)
{
	struct rte_ether_addr mac0;

	cr_assert_eq(init(0, TF_IP(192, 168, 77, 0), 24, 1500), 0);
	mac0 = vn.gw_mac;
	cr_assert_eq(init(3, TF_IP(192, 168, 77, 0), 24, 1500), 0);
	cr_assert_eq(vn.gw4, TF_IP(192, 168, 77, 1));
	cr_assert_eq(vn.guest4, TF_IP(192, 168, 77, 2));
	cr_assert_eq(vn.bcast4, TF_IP(192, 168, 77, 255));
	cr_assert_eq(vn.id, 3);
	cr_assert_not(rte_is_same_ether_addr(&mac0, &vn.gw_mac),
		      "gateway MAC differs between vnets");
}

Test(vnet, slash30_ok)
{
	cr_assert_eq(init(0, TF_IP(10, 1, 2, 4), 30, 1500), 0, "%s", err);
	cr_assert_eq(vn.gw4, TF_IP(10, 1, 2, 5));
	cr_assert_eq(vn.guest4, TF_IP(10, 1, 2, 6));
	cr_assert_eq(vn.bcast4, TF_IP(10, 1, 2, 7));
	cr_assert_eq(vn.mask4, TF_IP(255, 255, 255, 252));
}

Test(vnet, wide_net)
{
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 8, 1500), 0, "%s", err);
	cr_assert_eq(vn.bcast4, TF_IP(10, 255, 255, 255));
	cr_assert_eq(vn.mask4, TF_IP(255, 0, 0, 0));
	cr_assert_eq(init(0, TF_IP(128, 0, 0, 0), 1, 1500), 0, "%s", err);
	cr_assert_eq(vn.mask4, TF_IP(128, 0, 0, 0));
	cr_assert_eq(vn.bcast4, TF_IP(255, 255, 255, 255));
}

Test(vnet, too_small_or_zero_prefix_rejected)
{
	static const uint8_t bad[] = { 0, 31, 32, 33, 255 };

	for (size_t i = 0; i < sizeof(bad); i++) {
		cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), bad[i], 1500), -EINVAL,
			     "/%u", bad[i]);
		cr_assert_neq(err[0], 0, "message for /%u", bad[i]);
	}
}

Test(vnet, host_bits_masked)
{
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 77), 24, 1500), 0);
	cr_assert_eq(vn.net4, TF_IP(10, 0, 0, 0));
	cr_assert_eq(vn.gw4, TF_IP(10, 0, 0, 1));
	cr_assert_eq(vn.guest4, TF_IP(10, 0, 0, 2));
	cr_assert_eq(init(0, TF_IP(172, 16, 5, 9), 12, 1500), 0);
	cr_assert_eq(vn.net4, TF_IP(172, 16, 0, 0));
	cr_assert_eq(vn.gw4, TF_IP(172, 16, 0, 1));
	cr_assert_eq(vn.bcast4, TF_IP(172, 31, 255, 255));
}

Test(vnet, mtu_range)
{
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 67), -EINVAL);
	cr_assert_neq(err[0], 0);
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 68), 0);
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 65520), 0);
	cr_assert_eq(vn.mtu, 65520);
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 65521), -EINVAL);
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 0), -EINVAL);
}

Test(vnet, in_subnet)
{
	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 1500), 0);
	cr_assert(vnet_in_subnet(&vn, TF_IP(10, 0, 0, 200)));
	cr_assert(vnet_in_subnet(&vn, TF_IP(10, 0, 0, 255)));
	cr_assert_not(vnet_in_subnet(&vn, TF_IP(10, 0, 1, 1)));
	cr_assert_not(vnet_in_subnet(&vn, TF_IP(8, 8, 8, 8)));
}

/* resolv.conf import */

static char path[64];

static void resolv_write(const char *text)
{
	int fd;

	strcpy(path, "/tmp/broth-test-resolv-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int resolv_load(const char *text)
{
	int rc;

	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 1500), 0);
	resolv_write(text);
	rc = vnet_load_resolv(&vn, path);
	unlink(path);
	return rc;
}

Test(vnet, resolv_domain_and_search)
{
	cr_assert_eq(resolv_load("# comment\nnameserver 192.0.2.1\n"
				 "domain corp.example\n"
				 "search a.example\tb.example  c-d.example.\n"
				 "options ndots:2\n"), 0);
	cr_assert_str_eq(vn.domain, "corp.example");
	cr_assert_eq(vn.n_search, 3);
	cr_assert_str_eq(vn.search[0], "a.example");
	cr_assert_str_eq(vn.search[1], "b.example");
	cr_assert_str_eq(vn.search[2], "c-d.example.");
}

Test(vnet, resolv_domain_from_search)
{
	cr_assert_eq(resolv_load("search first.example second.example\n"), 0);
	cr_assert_str_eq(vn.domain, "first.example");
	cr_assert_eq(vn.n_search, 2);
}

Test(vnet, resolv_invalid_names_skipped)
{
	char text[1024], big[300];

	memset(big, 'x', 255);	/* one over VNET_DOMAIN_MAX */
	big[255] = 0;
	snprintf(text, sizeof(text),
		 "domain bad!name\n"
		 "search ok.example sp@ce.example %s x/y ok2\n",
		 big);
	cr_assert_eq(resolv_load(text), 0);
	cr_assert_eq(vn.n_search, 2);
	cr_assert_str_eq(vn.search[0], "ok.example");
	cr_assert_str_eq(vn.search[1], "ok2");
	cr_assert_str_eq(vn.domain, "ok.example",
			 "invalid domain line skipped");
}

Test(vnet, resolv_longest_name_kept)
{
	char text[512], name[VNET_DOMAIN_MAX + 1];

	memset(name, 'a', VNET_DOMAIN_MAX);
	name[VNET_DOMAIN_MAX] = 0;
	snprintf(text, sizeof(text), "search %s\n", name);
	cr_assert_eq(resolv_load(text), 0);
	cr_assert_eq(vn.n_search, 1);
	cr_assert_str_eq(vn.search[0], name);
}

Test(vnet, resolv_search_capped)
{
	cr_assert_eq(resolv_load("search s1 s2 s3 s4 s5 s6 s7 s8\n"), 0);
	cr_assert_eq(vn.n_search, VNET_MAX_SEARCH);
	cr_assert_str_eq(vn.search[5], "s6");
}

Test(vnet, resolv_last_search_wins)
{
	cr_assert_eq(resolv_load("search one two three\nsearch four\n"), 0);
	cr_assert_eq(vn.n_search, 1);
	cr_assert_str_eq(vn.search[0], "four");
}

Test(vnet, resolv_empty_and_missing)
{
	cr_assert_eq(resolv_load(""), 0);
	cr_assert_eq(vn.n_search, 0);
	cr_assert_eq(vn.domain[0], 0);
	cr_assert_eq(vnet_load_resolv(&vn, "/nonexistent/broth/resolv.conf"),
		     -ENOENT);
}

/* Six long names make a line longer than a small line buffer */
Test(vnet, resolv_long_search_line)
{
	char text[2048], *p = text;

	p += sprintf(p, "search");
	for (int i = 0; i < VNET_MAX_SEARCH; i++) {
		*p++ = ' ';
		memset(p, 'a' + i, 200);
		p += 200;
	}
	strcpy(p, "\n");
	cr_assert_eq(resolv_load(text), 0);
	cr_assert_eq(vn.n_search, VNET_MAX_SEARCH);
	for (unsigned i = 0; i < vn.n_search; i++) {
		cr_assert_eq(strlen(vn.search[i]), 200, "search[%u] length %zu",
			     i, strlen(vn.search[i]));
		cr_assert_eq(vn.search[i][0], 'a' + i);
	}
}

/* Guest MAC learning */

Test(vnet, guest_mac_learn_get)
{
	static const struct rte_ether_addr mcast = {
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	static const struct rte_ether_addr zero = { { 0 } };
	struct rte_ether_addr mac;

	cr_assert_eq(init(0, TF_IP(10, 0, 0, 0), 24, 1500), 0);
	cr_assert_not(vnet_guest_mac_get(&vn, &mac), "unknown at start");
	vnet_guest_mac_learn(&vn, &mcast);
	cr_assert_not(vnet_guest_mac_get(&vn, &mac), "multicast ignored");
	vnet_guest_mac_learn(&vn, &tf_bcast_mac);
	cr_assert_not(vnet_guest_mac_get(&vn, &mac), "broadcast ignored");

	vnet_guest_mac_learn(&vn, &tf_guest_mac);
	cr_assert(vnet_guest_mac_get(&vn, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &tf_guest_mac));
	vnet_guest_mac_learn(&vn, &mcast);
	cr_assert(vnet_guest_mac_get(&vn, &mac));
	cr_assert(rte_is_same_ether_addr(&mac, &tf_guest_mac),
		  "multicast does not replace a learned MAC");

	vnet_guest_mac_learn(&vn, &zero);
	cr_assert(vnet_guest_mac_get(&vn, &mac), "all-zero MAC is still known");
	cr_assert(rte_is_zero_ether_addr(&mac));
}
