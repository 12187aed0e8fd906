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
	vc->mtu = 1500;
	vc->lease_s = 24 * 3600;
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
