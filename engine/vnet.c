/* SPDX-License-Identifier: MIT */
/*
 * vnet.c - address plan of a guest network (DESIGN.md §1)
 *
 * The gateway is the first host address of the network and the guest the
 * second, so a /30 is the smallest usable network. The gateway MAC is a
 * locally administered address derived from the vnet id, so that it is
 * stable across restarts and distinct between vnets.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"
#include "vnet.h"

/**
 * vnet_init() - derive a vnet's addresses from its configuration
 * @vn:		vnet to fill
 * @id:		index of the vnet in the engine
 * @vc:		configuration (validated here again: libbroth is an API)
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL with @err set
 */
int vnet_init(struct vnet *vn, uint16_t id, const struct broth_vnet_conf *vc,
	      char *err, size_t errlen)
{
	uint32_t net, mask;

	memset(vn, 0, sizeof(*vn));
	if (vc->prefix4 < 1 || vc->prefix4 > 30) {
		snprintf(err, errlen, "network /%u leaves no room for gateway and guest",
			 vc->prefix4);
		return -EINVAL;
	}
	if (vc->mtu < BROTH_MTU_MIN || vc->mtu > BROTH_MTU_MAX) {
		snprintf(err, errlen, "MTU %u out of range %u..%u", vc->mtu,
			 BROTH_MTU_MIN, BROTH_MTU_MAX);
		return -EINVAL;
	}
	mask = ~0u << (32 - vc->prefix4);
	net = rte_be_to_cpu_32(vc->net4.s_addr) & mask;

	vn->id = id;
	snprintf(vn->name, sizeof(vn->name), "%s", vc->name);
	vn->prefix4 = vc->prefix4;
	vn->net4 = rte_cpu_to_be_32(net);
	vn->mask4 = rte_cpu_to_be_32(mask);
	vn->gw4 = rte_cpu_to_be_32(net + 1);
	vn->guest4 = rte_cpu_to_be_32(net + 2);
	vn->bcast4 = rte_cpu_to_be_32(net | ~mask);
	memcpy(vn->net6, &vc->net6, 8);
	memcpy(vn->gw6, vn->net6, 16);
	vn->gw6[15] = 1;
	memcpy(vn->guest6, vn->net6, 16);
	vn->guest6[15] = 2;
	vn->gw6_ll[0] = 0xfe;
	vn->gw6_ll[1] = 0x80;
	vn->gw6_ll[15] = 1;
	vn->mtu = vc->mtu;
	vn->lease_s = vc->lease_s;
	/* 52:55:XX:XX:00:01 like slirp's gateway, with the vnet id in it */
	vn->gw_mac = (struct rte_ether_addr){
		{ 0x52, 0x55, (uint8_t)(id >> 8), (uint8_t)id, 0x00, 0x01 } };
	return 0;
}

/**
 * vnet_in_subnet() - is @addr inside the vnet's IPv4 network?
 * @vn:		vnet
 * @addr:	address, network order
 */
bool vnet_in_subnet(const struct vnet *vn, rte_be32_t addr)
{
	return (addr & vn->mask4) == vn->net4;
}

/* vnet_is_gateway() - one of the gateway's addresses (IPv4, global, link-local) */
bool vnet_is_gateway(const struct vnet *vn, const uint8_t a[16])
{
	if (inet_is_v4(a))
		return inet_to_v4(a) == vn->gw4;
	return inet_eq(a, vn->gw6) || inet_eq(a, vn->gw6_ll);
}

/*
 * vnet_on_link() - an address of the guest's own link: its subnet, its /64,
 * link-local or multicast. Such addresses are never reached through the
 * host: no other guest lives on the link.
 */
bool vnet_on_link(const struct vnet *vn, const uint8_t a[16])
{
	if (inet_is_v4(a))
		return vnet_in_subnet(vn, inet_to_v4(a));
	return !memcmp(a, vn->net6, 8) || inet6_is_linklocal(a) ||
	       inet6_is_mcast(a);
}

/**
 * vnet_host_dst() - where a host socket goes for a guest's destination
 * @vn:		vnet
 * @no_host_loopback:	the gateway does not lead to the host's loopback
 * @dst:	destination the guest used
 * @out:	host-side destination (the gateway becomes 127.0.0.1 or ::1)
 *
 * Return: 0, or -1 when the destination must not leave broth
 */
int vnet_host_dst(const struct vnet *vn, bool no_host_loopback,
		  const uint8_t dst[16], uint8_t out[16])
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (vnet_is_gateway(vn, dst)) {
		if (no_host_loopback)
			return -1;
		if (inet_is_v4(dst))
			inet_from_v4(out, RTE_BE32(0x7f000001));
		else
			memcpy(out, lo6, 16);
		return 0;
	}
	if (vnet_on_link(vn, dst))
		return -1;
	memcpy(out, dst, 16);
	return 0;
}

/**
 * vnet_gateway_for() - the gateway address that speaks to a guest address
 * @vn:		vnet
 * @guest:	the guest's address (its family and scope choose)
 * @out:	IPv4 gateway, IPv6 link-local gateway for a link-local guest
 *		address, else the global IPv6 gateway
 */
void vnet_gateway_for(const struct vnet *vn, const uint8_t guest[16],
		      uint8_t out[16])
{
	if (inet_is_v4(guest))
		inet_from_v4(out, vn->gw4);
	else
		memcpy(out, inet6_is_linklocal(guest) ? vn->gw6_ll : vn->gw6, 16);
}

/**
 * vnet_guest_src() - the source the guest sees for a host-side address
 * @vn:		vnet
 * @from:	host-side source
 * @ll:		IPv6: the guest talked to the gateway's link-local address
 * @out:	the host's loopback becomes the gateway, others stay
 */
void vnet_guest_src(const struct vnet *vn, const uint8_t from[16], bool ll,
		    uint8_t out[16])
{
	if (!inet_is_loopback(from))
		memcpy(out, from, 16);
	else if (inet_is_v4(from))
		inet_from_v4(out, vn->gw4);
	else
		memcpy(out, ll ? vn->gw6_ll : vn->gw6, 16);
}

static bool domain_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VNET_DOMAIN_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' &&
		    *s != '_')
			return false;
	return true;
}

/**
 * vnet_load_resolv() - take "domain" and "search" from a resolv.conf file
 * @vn:		vnet whose DHCP options 15 and 119 are filled
 * @path:	file in resolv.conf(5) syntax
 *
 * Only the domain names are used; nameserver lines are the DNS proxy's
 * business. Invalid names are skipped, the last search line wins as in libc.
 *
 * Return: 0, or -errno if the file cannot be read
 */
int vnet_load_resolv(struct vnet *vn, const char *path)
{
	char *line = NULL, *save, *tok;
	FILE *f = fopen(path, "re");
	size_t cap = 0;

	if (!f)
		return -errno;
	/* getline: a long line must not be cut into a wrong domain name */
	while (getline(&line, &cap, f) > 0) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		if (!strcmp(tok, "domain")) {
			tok = strtok_r(NULL, " \t\r\n", &save);
			if (tok && domain_valid(tok))
				snprintf(vn->domain, sizeof(vn->domain), "%s", tok);
		} else if (!strcmp(tok, "search")) {
			vn->n_search = 0;
			while ((tok = strtok_r(NULL, " \t\r\n", &save)) &&
			       vn->n_search < VNET_MAX_SEARCH)
				if (domain_valid(tok))
					snprintf(vn->search[vn->n_search++],
						 sizeof(vn->search[0]), "%s", tok);
		}
	}
	free(line);
	fclose(f);
	if (!vn->domain[0] && vn->n_search)
		snprintf(vn->domain, sizeof(vn->domain), "%s", vn->search[0]);
	return 0;
}

/**
 * vnet_resolv_nameservers() - "nameserver" lines of a resolv.conf file
 * @path:	file in resolv.conf(5) syntax
 * @out:	upstreams found (IPv4 or IPv6), port 53
 * @max:	size of @out
 *
 * Return: number of upstreams (0 if the file cannot be read)
 */
unsigned vnet_resolv_nameservers(const char *path, union inet_sa *out,
				 unsigned max)
{
	char *line = NULL, *save, *tok;
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	unsigned n = 0;

	if (!f)
		return 0;
	while (n < max && getline(&line, &cap, f) > 0) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok || strcmp(tok, "nameserver"))
			continue;
		tok = strtok_r(NULL, " \t\r\n", &save);
		memset(&out[n], 0, sizeof(out[n]));
		out[n].in.sin_family = AF_INET;
		out[n].in.sin_port = htons(53);
		if (tok && inet_pton(AF_INET, tok, &out[n].in.sin_addr) == 1) {
			n++;
			continue;
		}
		out[n].in6.sin6_family = AF_INET6;
		out[n].in6.sin6_port = htons(53);
		/* a scoped address (fe80::1%eth0) names a link broth is not on */
		if (tok && inet_pton(AF_INET6, tok, &out[n].in6.sin6_addr) == 1)
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

static uint64_t mac_pack(const struct rte_ether_addr *m)
{
	uint64_t v = 0;

	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = v << 8 | m->addr_bytes[i];
	return v | 1ull << 48;	/* "known" bit: an all-zero MAC is still a MAC */
}

/**
 * vnet_guest_mac_learn() - remember the guest's MAC (slow path)
 * @vn:		vnet
 * @mac:	source MAC of a valid frame from the guest
 */
void vnet_guest_mac_learn(struct vnet *vn, const struct rte_ether_addr *mac)
{
	if (!rte_is_unicast_ether_addr(mac) || vn->guest_mac_fixed)
		return;
	__atomic_store_n(&vn->guest_mac, mac_pack(mac), __ATOMIC_RELAXED);
}

/**
 * vnet_guest_mac_fix() - the guest's MAC is known from its port: from now on
 *			  it is the only source MAC accepted (anti-spoofing)
 * @vn:		vnet, before its port is served
 * @mac:	the guest's MAC
 */
void vnet_guest_mac_fix(struct vnet *vn, const struct rte_ether_addr *mac)
{
	vn->guest_mac_fixed = false;
	vnet_guest_mac_learn(vn, mac);
	vn->fixed_mac = *mac;
	vn->guest_mac_fixed = rte_is_unicast_ether_addr(mac);
}

/**
 * vnet_guest_mac_get() - the guest's MAC, if learned
 * @vn:		vnet
 * @mac:	filled when known
 *
 * Return: true if known
 */
bool vnet_guest_mac_get(const struct vnet *vn, struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&vn->guest_mac, __ATOMIC_RELAXED);

	if (!v)
		return false;
	for (int i = RTE_ETHER_ADDR_LEN - 1; i >= 0; i--, v >>= 8)
		mac->addr_bytes[i] = (uint8_t)v;
	return true;
}
