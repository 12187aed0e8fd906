/* SPDX-License-Identifier: MIT */
/*
 * spec.c - one guest's configuration from a "KEY=VALUE,KEY=VALUE" spec
 *
 * The same syntax serves --guest, the lines of --config FILE and the control
 * socket, so a guest is described one way everywhere. Keys are those of
 * DESIGN.md §5/§6; values never contain commas (paths with commas are
 * refused rather than misread). Every error names the key and the value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broth/broth.h"

#define SPEC_MAX	1024

static int spec_err(char *err, size_t errlen, const char *key,
		    const char *val, const char *why)
{
	snprintf(err, errlen, "%s=%s: %s", key, val, why);
	return -1;
}

static int spec_uint(const char *key, const char *val, unsigned long lo,
		     unsigned long hi, unsigned long *out, char *err,
		     size_t errlen)
{
	char *end;

	errno = 0;
	*out = strtoul(val, &end, 10);
	if (!*val || *end || errno || *val == '-' || *out < lo || *out > hi) {
		char why[64];

		snprintf(why, sizeof(why), "not a number in %lu..%lu", lo, hi);
		return spec_err(err, errlen, key, val, why);
	}
	return 0;
}

static int spec_str(const char *key, const char *val, char *dst, size_t size,
		    char *err, size_t errlen)
{
	if (!*val || strlen(val) >= size)
		return spec_err(err, errlen, key, val, "empty or too long");
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

static int spec_bool(const char *key, const char *val, bool *out, char *err,
		     size_t errlen)
{
	if (!strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "1"))
		*out = true;
	else if (!strcmp(val, "off") || !strcmp(val, "no") || !strcmp(val, "0"))
		*out = false;
	else
		return spec_err(err, errlen, key, val, "expected on or off");
	return 0;
}

/* "aa:bb:cc:dd:ee:ff", unicast */
static int spec_mac(const char *val, uint8_t mac[6], char *err, size_t errlen)
{
	unsigned b[6];
	char tail;

	if (sscanf(val, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return spec_err(err, errlen, "mac", val, "expected xx:xx:xx:xx:xx:xx");
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return spec_err(err, errlen, "mac", val, "a multicast address");
	return 0;
}

/* "tcp:[ADDR:]HOSTPORT[:GUESTPORT]" */
static int spec_fwd(const char *val, struct broth_vnet_conf *vc, char *err,
		    size_t errlen)
{
	char why[200];

	if (strncmp(val, "tcp:", 4))
		return spec_err(err, errlen, "fwd", val,
				strncmp(val, "udp:", 4) ?
				"expected tcp:[ADDR:]HOSTPORT[:GUESTPORT]" :
				"UDP forwards are not supported yet");
	if (vc->n_fwd >= BROTH_MAX_FWDS)
		return spec_err(err, errlen, "fwd", val, "too many forwards");
	if (broth_parse_fwd(val + 4, IPPROTO_TCP, &vc->fwd[vc->n_fwd], why,
			    sizeof(why)))
		return spec_err(err, errlen, "fwd", val, why);
	vc->n_fwd++;
	return 0;
}

static int spec_key(const char *key, const char *val,
		    struct broth_vnet_conf *vc, char *err, size_t errlen)
{
	unsigned long n;
	char why[200];

	if (!strcmp(key, "name"))
		return spec_str(key, val, vc->name, sizeof(vc->name), err, errlen);
	if (!strcmp(key, "netns"))
		return spec_str(key, val, vc->netns, sizeof(vc->netns), err, errlen);
	if (!strcmp(key, "vhost-user"))
		return spec_str(key, val, vc->vhost_user, sizeof(vc->vhost_user),
				err, errlen);
	if (!strcmp(key, "queues")) {
		if (spec_uint(key, val, 1, BROTH_MAX_WORKERS, &n, err, errlen))
			return -1;
		vc->queues = (uint16_t)n;
		return 0;
	}
	if (!strcmp(key, "ifname"))
		return spec_str(key, val, vc->ifname, sizeof(vc->ifname), err,
				errlen);
	if (!strcmp(key, "net")) {
		if (broth_parse_net4(val, &vc->net4, &vc->prefix4, why, sizeof(why)))
			return spec_err(err, errlen, key, val, why);
		return 0;
	}
	if (!strcmp(key, "net6")) {
		if (broth_parse_net6(val, &vc->net6, why, sizeof(why)))
			return spec_err(err, errlen, key, val, why);
		return 0;
	}
	if (!strcmp(key, "mtu")) {
		if (spec_uint(key, val, BROTH_MTU_MIN, BROTH_MTU_MAX, &n, err, errlen))
			return -1;
		vc->mtu = (uint16_t)n;
		return 0;
	}
	if (!strcmp(key, "max-flows")) {
		if (spec_uint(key, val, 1, 1u << 24, &n, err, errlen))
			return -1;
		vc->max_flows = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "flow-rate")) {
		if (spec_uint(key, val, 1, 1u << 24, &n, err, errlen))
			return -1;
		vc->flow_rate = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "lease")) {
		if (spec_uint(key, val, 60, 1u << 30, &n, err, errlen))
			return -1;
		vc->lease_s = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "host-loopback")) {
		bool on;

		if (spec_bool(key, val, &on, err, errlen))
			return -1;
		vc->no_host_loopback = !on;
		return 0;
	}
	if (!strcmp(key, "configure"))
		return spec_bool(key, val, &vc->configure, err, errlen);
	if (!strcmp(key, "mac")) {
		vc->has_mac = true;
		return spec_mac(val, vc->mac, err, errlen);
	}
	if (!strcmp(key, "fwd"))
		return spec_fwd(val, vc, err, errlen);
	if (!strcmp(key, "impair")) {	/* its own commas are ':' here */
		if (spec_str(key, val, vc->impair, sizeof(vc->impair), err,
			     errlen))
			return -1;
		for (char *c = vc->impair; *c; c++)
			if (*c == ':')
				*c = ',';
		return 0;
	}
	return spec_err(err, errlen, key, val, "unknown key");
}

/**
 * broth_parse_guest() - a guest's configuration from its spec
 * @spec:	"KEY=VALUE[,KEY=VALUE...]"; keys: name, netns, ifname,
 *		vhost-user, queues, net, net6, mtu, mac, host-loopback,
 *		configure, fwd (repeatable), max-flows, flow-rate, lease, impair (its
 *		settings separated by ':')
 * @vc:		reset to the defaults, then filled
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * A guest needs a place: netns= or vhost-user= (a VM), not both; ifname=
 * and configure= apply to netns guests, queues= to VMs.
 *
 * Return: 0, or -1 with @err set
 */
int broth_parse_guest(const char *spec, struct broth_vnet_conf *vc, char *err,
		      size_t errlen)
{
	char buf[SPEC_MAX], *save = NULL, *kv;
	bool ifname = false;

	broth_vnet_conf_defaults(vc);
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "guest spec longer than %d bytes", SPEC_MAX - 1);
		return -1;
	}
	strcpy(buf, spec);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		while (*kv == ' ' || *kv == '\t')
			kv++;
		if (!eq || eq == kv) {
			snprintf(err, errlen, "'%s': expected KEY=VALUE", kv);
			return -1;
		}
		*eq = '\0';
		ifname |= !strcmp(kv, "ifname");
		if (spec_key(kv, eq + 1, vc, err, errlen))
			return -1;
	}
	if (!vc->netns[0] && !vc->vhost_user[0]) {
		snprintf(err, errlen, "guest '%s': no netns= or vhost-user= given",
			 spec);
		return -1;
	}
	if (vc->netns[0] && vc->vhost_user[0]) {
		snprintf(err, errlen, "guest '%s': netns= and vhost-user= are "
			 "mutually exclusive", spec);
		return -1;
	}
	if (vc->vhost_user[0] && (ifname || vc->configure)) {
		snprintf(err, errlen, "guest '%s': ifname= and configure= apply "
			 "to netns guests, not to a VM", spec);
		return -1;
	}
	if (vc->queues && !vc->vhost_user[0]) {
		snprintf(err, errlen, "guest '%s': queues= applies to "
			 "vhost-user guests", spec);
		return -1;
	}
	return 0;
}
