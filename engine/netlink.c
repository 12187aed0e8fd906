/* SPDX-License-Identifier: MIT */
/*
 * netlink.c - put address, MTU and default route on the guest interface
 *
 * Runs in the guest's network namespace (the caller has entered it): the
 * netlink socket is created there and so talks to that namespace's stack.
 * Every request asks for an acknowledgement so a failure is reported with
 * the kernel's own error.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "netlink.h"

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

static int nl_talk(struct nl *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, n, nl->seq, nl->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static struct nlmsghdr *nl_msg(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

static int nl_link_up_mtu(struct nl *nl, unsigned ifindex, uint16_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh);
}

static int nl_addr_add(struct nl *nl, unsigned ifindex, rte_be32_t addr,
		       uint8_t prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWADDR,
				      NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	return nl_talk(nl, nlh);
}

static int nl_default_route(struct nl *nl, unsigned ifindex, rte_be32_t gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWROUTE,
				      NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nl_talk(nl, nlh);
}

static int nl_open(struct nl *nl)
{
	nl->seq = (unsigned)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;

		mnl_socket_close(nl->sock);
		return rc;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

static unsigned nl_ifindex(const char *ifname, char *err, size_t errlen)
{
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		snprintf(err, errlen, "guest interface %s: %s", ifname,
			 strerror(errno));
	return ifindex;
}

/**
 * netlink_set_mtu() - set the MTU of an interface and bring it up, in the
 *		       calling thread's network namespace
 * @ifname:	interface
 * @mtu:	MTU
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int netlink_set_mtu(const char *ifname, uint16_t mtu, char *err, size_t errlen)
{
	unsigned ifindex = nl_ifindex(ifname, err, errlen);
	struct nl nl;
	int rc;

	if (!ifindex)
		return -ENODEV;
	rc = nl_open(&nl);
	if (!rc) {
		rc = nl_link_up_mtu(&nl, ifindex, mtu);
		mnl_socket_close(nl.sock);
	}
	if (rc)
		snprintf(err, errlen, "MTU %u on %s: %s", mtu, ifname,
			 strerror(-rc));
	return rc;
}

/**
 * netlink_configure() - address, MTU, link up and default route, in the
 *			 calling thread's network namespace
 * @ifname:	guest interface
 * @addr:	guest address, network order
 * @prefix:	prefix length
 * @gw:		default gateway, network order
 * @mtu:	interface MTU
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int netlink_configure(const char *ifname, rte_be32_t addr, uint8_t prefix,
		      rte_be32_t gw, uint16_t mtu, char *err, size_t errlen)
{
	unsigned ifindex = nl_ifindex(ifname, err, errlen);
	const char *step = "open netlink";
	struct nl nl;
	int rc;

	if (!ifindex)
		return -ENODEV;
	rc = nl_open(&nl);
	if (rc)
		goto out;
	step = "set MTU/up";
	rc = nl_link_up_mtu(&nl, ifindex, mtu);
	if (!rc) {
		step = "add address";
		rc = nl_addr_add(&nl, ifindex, addr, prefix);
	}
	if (!rc) {
		step = "add default route";
		rc = nl_default_route(&nl, ifindex, gw);
	}
	mnl_socket_close(nl.sock);
out:
	if (rc)
		snprintf(err, errlen, "configure %s: %s: %s", ifname, step,
			 strerror(-rc));
	return rc;
}
