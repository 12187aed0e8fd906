/* SPDX-License-Identifier: MIT */
/* conf.c - defaults and parsers for the public configuration */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broth/broth.h"

/**
 * broth_vnet_conf_defaults() - DESIGN.md §1 defaults for one guest
 * @vc:		configuration to reset
 */
void broth_vnet_conf_defaults(struct broth_vnet_conf *vc)
{
	memset(vc, 0, sizeof(*vc));
	snprintf(vc->ifname, sizeof(vc->ifname), "eth0");
	vc->net4.s_addr = htonl(0x0a000000);	/* 10.0.0.0 */
	vc->prefix4 = 24;
	inet_pton(AF_INET6, "fd00:b0:7d::", &vc->net6);	/* a ULA /64 */
	vc->mtu = 1500;
	vc->lease_s = 24 * 3600;
}

/**
 * broth_parse_net6() - parse the IPv6 prefix of a vnet
 * @s:		"PREFIX" or "PREFIX/64"
 * @net:	prefix, interface identifier bits cleared
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * SLAAC (RFC 4862 §5.5.3) forms addresses only in a /64, so that is the one
 * length accepted. Multicast and link-local prefixes are refused.
 *
 * Return: 0, or -1 with @err set
 */
int broth_parse_net6(const char *s, struct in6_addr *net, char *err,
		     size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "prefix '%.64s...': too long", s);
		return -1;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		if (strcmp(slash, "/64")) {
			snprintf(err, errlen, "prefix '%s': only a /64 works with "
				 "SLAAC", s);
			return -1;
		}
		*slash = '\0';
	}
	if (inet_pton(AF_INET6, buf, net) != 1) {
		snprintf(err, errlen, "prefix '%s': not an IPv6 PREFIX/64", s);
		return -1;
	}
	if (net->s6_addr[0] == 0xff ||
	    (net->s6_addr[0] == 0xfe && (net->s6_addr[1] & 0xc0) == 0x80) ||
	    IN6_IS_ADDR_UNSPECIFIED(net) || IN6_IS_ADDR_V4MAPPED(net)) {
		snprintf(err, errlen, "prefix '%s': multicast, link-local or "
			 "unspecified", s);
		return -1;
	}
	memset(net->s6_addr + 8, 0, 8);
	return 0;
}

/**
 * broth_parse_net4() - parse an IPv4 network for a vnet
 * @s:		"A.B.C.D/N"
 * @net:	network address, host bits cleared
 * @prefix:	prefix length
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * A vnet needs a gateway and a guest address besides the network and
 * broadcast addresses, so the prefix must be 30 or shorter.
 *
 * Return: 0, or -1 with @err set
 */
int broth_parse_net4(const char *s, struct in_addr *net, uint8_t *prefix,
		     char *err, size_t errlen)
{
	char buf[32], *slash, *end;
	unsigned long n;
	uint32_t mask;

	if (strlen(s) >= sizeof(buf) || !(slash = strchr(strcpy(buf, s), '/'))) {
		snprintf(err, errlen, "network '%s': expected ADDRESS/PREFIX", s);
		return -1;
	}
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, net) != 1 || !slash[1] || *end || n > 32) {
		snprintf(err, errlen, "network '%s': not an IPv4 ADDRESS/PREFIX", s);
		return -1;
	}
	if (n < 1 || n > 30) {
		snprintf(err, errlen,
			 "network '%s': a /%lu leaves no room for gateway and guest",
			 s, n);
		return -1;
	}
	mask = ~0u << (32 - n);
	net->s_addr = htonl(ntohl(net->s_addr) & mask);
	*prefix = (uint8_t)n;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (!*s || *end || n < 1 || n > 65535)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

/**
 * broth_parse_fwd() - parse a port forward like pasta's -t/-u
 * @s:		"HOSTPORT", "HOSTPORT:GUESTPORT" or "HOSTADDR:HOSTPORT[:GUESTPORT]"
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @f:		filled on success
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set
 */
int broth_parse_fwd(const char *s, uint8_t proto, struct broth_fwd *f,
		    char *err, size_t errlen)
{
	char buf[64], *part[3], *save = NULL;
	unsigned n = 0;
	int i = 0;

	memset(f, 0, sizeof(*f));
	f->proto = proto;
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save))
		if (n < 3)
			part[n++] = t;
		else
			goto bad;
	if (!n)
		goto bad;
	if (strchr(part[0], '.')) {
		if (inet_pton(AF_INET, part[0], &f->host_addr) != 1 || n < 2)
			goto bad;
		i = 1;
	} else if (n == 3) {
		goto bad;
	}
	if (parse_port(part[i], &f->host_port))
		goto bad;
	f->guest_port = f->host_port;
	if ((unsigned)i + 1 < n && parse_port(part[i + 1], &f->guest_port))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "port forward '%s': expected [HOSTADDR:]HOSTPORT[:GUESTPORT]",
		 s);
	return -1;
}
