/* SPDX-License-Identifier: MIT */
/* test_spec.c - guest specs "KEY=VALUE,..." (engine/spec.c) */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>

#include "broth/broth.h"

static struct broth_vnet_conf vc;
static char err[512];

static int parse(const char *spec)
{
	err[0] = '\0';
	return broth_parse_guest(spec, &vc, err, sizeof(err));
}

Test(spec, every_key)
{
	char a[INET6_ADDRSTRLEN];

	cr_assert_eq(parse("name=web,netns=/run/netns/web,ifname=veth7,"
			   "net=192.168.50.0/24,net6=fd12:3456::/64,mtu=9000,"
			   "mac=02:aa:bb:cc:dd:ee,host-loopback=off,configure=on,"
			   "fwd=tcp:8080:80,fwd=tcp:127.0.0.1:2222:22,"
			   "max-flows=100,flow-rate=500,lease=600,"
			   "impair=loss=5:delay=2"), 0,
		     "%s", err);
	cr_assert_str_eq(vc.name, "web");
	cr_assert_str_eq(vc.netns, "/run/netns/web");
	cr_assert_str_eq(vc.ifname, "veth7");
	cr_assert_str_eq(inet_ntop(AF_INET, &vc.net4, a, sizeof(a)), "192.168.50.0");
	cr_assert_eq(vc.prefix4, 24);
	cr_assert_str_eq(inet_ntop(AF_INET6, &vc.net6, a, sizeof(a)), "fd12:3456::");
	cr_assert_eq(vc.mtu, 9000);
	cr_assert(vc.has_mac);
	cr_assert_eq(vc.mac[0], 0x02);
	cr_assert_eq(vc.mac[5], 0xee);
	cr_assert(vc.no_host_loopback);
	cr_assert(vc.configure);
	cr_assert_eq(vc.flow_rate, 500);
	cr_assert_eq(vc.n_fwd, 2);
	cr_assert_eq(vc.fwd[0].host_port, 8080);
	cr_assert_eq(vc.fwd[0].guest_port, 80);
	cr_assert_eq(vc.fwd[1].host_port, 2222);
	cr_assert_eq(vc.fwd[1].guest_port, 22);
	cr_assert_eq(vc.max_flows, 100);
	cr_assert_eq(vc.lease_s, 600);
	cr_assert_str_eq(vc.impair, "loss=5,delay=2");
}

Test(spec, defaults_fill_the_rest)
{
	char a[INET6_ADDRSTRLEN];

	cr_assert_eq(parse("netns=g1"), 0, "%s", err);
	cr_assert_str_eq(vc.ifname, "eth0");
	cr_assert_eq(vc.mtu, 1500);
	cr_assert_str_eq(inet_ntop(AF_INET, &vc.net4, a, sizeof(a)), "10.0.0.0");
	cr_assert_str_eq(inet_ntop(AF_INET6, &vc.net6, a, sizeof(a)), "fd00:b0:7d::");
	cr_assert(!vc.has_mac);
	cr_assert(!vc.no_host_loopback);
	cr_assert_eq(vc.n_fwd, 0);
	cr_assert_eq(parse(" netns=g1 , mtu=1400"), 0, "spaces after commas");
	cr_assert_eq(vc.mtu, 1400);
}

/* Each bad spec fails, and its message names what is wrong */
static void bad(const char *spec, const char *needle)
{
	cr_assert_neq(parse(spec), 0, "'%s' accepted", spec);
	cr_assert(strstr(err, needle), "'%s': message '%s' lacks '%s'", spec,
		  err, needle);
}

Test(spec, errors_are_clear)
{
	bad("mtu=1500", "no netns=");
	bad("netns=g,mtu=70000", "mtu=70000");
	bad("netns=g,mtu=", "mtu=");
	bad("netns=g,mtu=-1", "not a number");
	bad("netns=g,net=10.0.0.0/31", "no room");
	bad("netns=g,net=banana", "net=banana");
	bad("netns=g,net6=fd00::/48", "/64");
	bad("netns=g,net6=ff02::/64", "multicast");
	bad("netns=g,mac=01:00:5e:00:00:01", "multicast");
	bad("netns=g,mac=02:00:00:00:00", "xx:xx");
	bad("netns=g,host-loopback=maybe", "on or off");
	bad("netns=g,fwd=udp:53:53", "UDP forwards");
	bad("netns=g,fwd=sctp:1:1", "tcp:");
	bad("netns=g,fwd=tcp:99999", "fwd=tcp:99999");
	bad("netns=g,colour=blue", "unknown key");
	bad("netns=g,justaword", "KEY=VALUE");
	bad("netns=g,=x", "KEY=VALUE");
	bad("netns=g,max-flows=0", "max-flows=0");
	bad("netns=g,flow-rate=0", "flow-rate=0");
	bad("netns=g,flow-rate=x", "flow-rate=x");
}

Test(spec, overlong_spec_and_values)
{
	char big[2048];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "netns=", 6);
	bad(big, "longer than");
	bad("netns=g,name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long");
	bad("netns=g,ifname=abcdefghijklmnopq", "too long");
}

Test(spec, too_many_forwards)
{
	char spec[1024] = "netns=g";

	for (unsigned i = 0; i <= BROTH_MAX_FWDS; i++) {
		char one[32];

		snprintf(one, sizeof(one), ",fwd=tcp:%u", 1000 + i);
		strcat(spec, one);
	}
	bad(spec, "too many");
}

/* A VM guest: vhost-user= instead of netns=, queues= for it alone */
Test(spec, vhost_user_guest)
{
	cr_assert_eq(parse("name=vm1,vhost-user=/run/broth/vm1.sock,queues=2,"
			   "mtu=9000,mac=52:54:00:12:34:56"), 0, "%s", err);
	cr_assert_str_eq(vc.vhost_user, "/run/broth/vm1.sock");
	cr_assert_str_eq(vc.netns, "");
	cr_assert_eq(vc.queues, 2);
	cr_assert_eq(vc.mtu, 9000);
	cr_assert(vc.has_mac);
	cr_assert_eq(parse("vhost-user=/tmp/a.sock"), 0, "%s", err);
	cr_assert_eq(vc.queues, 0, "default: one queue pair per worker");
	bad("netns=g,vhost-user=/tmp/a.sock", "mutually exclusive");
	bad("vhost-user=/tmp/a.sock,configure=on", "netns guests");
	bad("vhost-user=/tmp/a.sock,ifname=eth1", "netns guests");
	bad("netns=g,queues=2", "queues=");
	bad("vhost-user=/tmp/a.sock,queues=0", "queues=0");
	bad("vhost-user=/tmp/a.sock,queues=17", "queues=17");
	bad("vhost-user=", "vhost-user=");
}
