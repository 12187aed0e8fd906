/* SPDX-License-Identifier: MIT */
/*
 * options.c - turn the command line into a struct broth_conf
 *
 * Every error is one line on stderr starting with "broth:", naming the
 * option and the value, so scripts and people see at once what to fix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_log.h>

#include "options.h"

enum {
	OPT_NETNS = 256, OPT_IFNAME, OPT_CONFIGURE, OPT_NET, OPT_MTU,
	OPT_WORKERS, OPT_LOG_LEVEL, OPT_PID_FILE, OPT_RESOLV_CONF,
	OPT_VERSION, OPT_HELP, OPT_NO_HOST_LOOPBACK, OPT_MAX_FLOWS, OPT_FLOW_RATE, OPT_IMPAIR, OPT_UDP_TIMEOUT,
	OPT_DNS, OPT_DNS_HOST, OPT_NET6, OPT_GUEST, OPT_CONFIG, OPT_CONTROL,
	OPT_VHOST_USER, OPT_QUEUES,
};

static const struct option long_opts[] = {
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "vhost-user", required_argument, NULL, OPT_VHOST_USER },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "ifname", required_argument, NULL, OPT_IFNAME },
	{ "configure", no_argument, NULL, OPT_CONFIGURE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "net6", required_argument, NULL, OPT_NET6 },
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "resolv-conf", required_argument, NULL, OPT_RESOLV_CONF },
	{ "tcp-forward", required_argument, NULL, 't' },
	{ "no-host-loopback", no_argument, NULL, OPT_NO_HOST_LOOPBACK },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "flow-rate", required_argument, NULL, OPT_FLOW_RATE },
	{ "impair", required_argument, NULL, OPT_IMPAIR },
	{ "udp-timeout", required_argument, NULL, OPT_UDP_TIMEOUT },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "dns-host", required_argument, NULL, OPT_DNS_HOST },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: broth --netns NS [OPTIONS]\n"
"       broth --vhost-user PATH [--queues N] [OPTIONS]\n"
"User-mode NAT for guest network namespaces and VMs: answers ARP, DHCP,\n"
"DNS and ping itself and carries the guests' TCP, UDP and ICMP flows on\n"
"ordinary host sockets, from a multi-core DPDK data plane.\n"
"\n"
"  --netns NS            guest network namespace: NAME, PATH or PID\n"
"                        (the options up to -t below describe this guest)\n"
"  --ifname NAME         guest interface to create (default eth0)\n"
"  --configure           also put address, route and MTU on it\n"
"  --vhost-user PATH     a VM guest instead: listen on vhost-user socket\n"
"                        PATH (QEMU: -netdev vhost-user, guest RAM a memfd\n"
"                        with share=on); --net, --mtu, -t... apply to it\n"
"  --queues N            vhost-user queue pairs offered (default: one per\n"
"                        worker, at most the worker count)\n"
"  --net CIDR            guest IPv4 network (default 10.0.0.0/24:\n"
"                        gateway .1, guest .2)\n"
"  --net6 PREFIX         guest IPv6 /64 for SLAAC (default fd00:b0:7d::/64:\n"
"                        gateway ::1 and fe80::1, DHCPv6 address ::2)\n"
"  --mtu N               guest MTU, %u..%u (default 1500)\n"
"  --workers N           worker threads (default: online CPUs)\n"
"  --no-host-loopback    the gateway address does not reach the host's lo\n"
"  --max-flows N         TCP connections at most (default 65536)\n"
"  --flow-rate N         new TCP connections and UDP mappings per second\n"
"                        per guest (default 10000, bursts up to N)\n"
"  --udp-timeout S       idle UDP mappings end after S seconds (default 300)\n"
"  -t [ADDR:]HPORT[:GPORT]  forward host TCP port HPORT (on ADDR, default\n"
"                        all) to guest port GPORT (default HPORT); repeatable\n"
"  --guest SPEC          one more guest, KEY=VALUE[,KEY=VALUE...] with keys\n"
"                        name netns ifname vhost-user queues net net6 mtu\n"
"                        mac configure\n"
"                        host-loopback=on|off fwd=tcp:[ADDR:]HPORT[:GPORT]\n"
"                        max-flows flow-rate lease impair; repeatable\n"
"  --config FILE         one guest SPEC per line, # comments\n"
"  --control PATH        unix socket for brothctl: list, add and remove\n"
"                        guests and port forwards, show flows, at runtime\n"
"  --resolv-conf FILE    DHCP domain/search and DNS upstreams from FILE\n"
"                        (default /etc/resolv.conf)\n"
"  --dns ADDR            DNS upstream (repeatable, up to 3); overrides the\n"
"                        nameservers of --resolv-conf\n"
"  --dns-host NAME=ADDR  answer NAME from the gateway's DNS (repeatable);\n"
"                        host.broth.internal is the gateway\n"
"  --impair SPEC         degrade the guest link both ways, for testing:\n"
"                        loss=PCT,reorder=PCT,dup=PCT,delay=MS[,seed=N]\n"
"  --log-level LEVEL     error|warning|notice|info|debug (default notice)\n"
"  --pid-file FILE       write the process id to FILE once ready\n"
"  --version, --help\n"
"\n"
"Signals: SIGINT/SIGTERM stop cleanly, SIGUSR1 prints counters.\n",
		BROTH_MTU_MIN, BROTH_MTU_MAX);
}

/* An IPv4 (stored v4-mapped) or IPv6 address: 0, or -1 */
static int parse_addr46(const char *s, struct in6_addr *a)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(a->s6_addr + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("broth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int parse_uint(const char *opt, const char *s, unsigned long lo,
		      unsigned long hi, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *v < lo || *v > hi)
		return fail("%s: '%s' is not a number in %lu..%lu", opt, s, lo, hi);
	return 0;
}

static int parse_log_level(const char *s, int *level)
{
	static const char *const names[] = {
		[RTE_LOG_EMERG] = "emergency", [RTE_LOG_ALERT] = "alert",
		[RTE_LOG_CRIT] = "critical", [RTE_LOG_ERR] = "error",
		[RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
		[RTE_LOG_INFO] = "info", [RTE_LOG_DEBUG] = "debug",
	};
	unsigned long n;

	for (int i = RTE_LOG_EMERG; i <= (int)RTE_LOG_DEBUG; i++)
		if (!strcasecmp(s, names[i])) {
			*level = i;
			return 0;
		}
	if (parse_uint("--log-level", s, RTE_LOG_EMERG, RTE_LOG_DEBUG, &n))
		return -1;
	*level = (int)n;
	return 0;
}

static int copy_str(const char *opt, char *dst, size_t size, const char *s)
{
	if (!*s || strlen(s) >= size)
		return fail("%s: '%s' is empty or longer than %zu", opt, s,
			    size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* One guest spec from --guest or a --config line (@where names it) */
static int add_guest(struct options *o, const char *spec, const char *where)
{
	char err[512];

	if (o->n_guests >= BROTH_MAX_VNETS)
		return fail("%s: at most %u guests", where, BROTH_MAX_VNETS);
	if (broth_parse_guest(spec, &o->guests[o->n_guests], err, sizeof(err)))
		return fail("%s: %s", where, err);
	o->n_guests++;
	return 0;
}

/* --config FILE: a guest spec per line; blank lines and # comments skipped */
static int read_config(struct options *o, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, where[PATH_MAX + 32];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (!f)
		return fail("--config %s: %s", path, strerror(errno));
	while (!rc && getline(&line, &cap, f) > 0) {
		char *s = line, *end;

		lineno++;
		s[strcspn(s, "#\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		for (end = s + strlen(s); end > s && (end[-1] == ' ' ||
						      end[-1] == '\t'); end--)
			end[-1] = '\0';
		if (!*s)
			continue;
		snprintf(where, sizeof(where), "--config %s:%u", path, lineno);
		rc = add_guest(o, s, where);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Options of the shorthand guest (--netns ...) */
static int parse_single(int c, const char *arg, struct options *o)
{
	struct broth_vnet_conf *vc = &o->single;
	char err[256];
	unsigned long n;

	o->single_opts = true;
	switch (c) {
	case OPT_NETNS:
		return copy_str("--netns", vc->netns, sizeof(vc->netns), arg);
	case OPT_IFNAME:
		o->single_ifname = true;
		return copy_str("--ifname", vc->ifname, sizeof(vc->ifname), arg);
	case OPT_CONFIGURE:
		vc->configure = true;
		return 0;
	case OPT_VHOST_USER:
		return copy_str("--vhost-user", vc->vhost_user,
				sizeof(vc->vhost_user), arg);
	case OPT_QUEUES:
		if (parse_uint("--queues", arg, 1, BROTH_MAX_WORKERS, &n))
			return -1;
		vc->queues = (uint16_t)n;
		return 0;
	case OPT_NET:
		if (broth_parse_net4(arg, &vc->net4, &vc->prefix4, err,
				     sizeof(err)))
			return fail("--net: %s", err);
		return 0;
	case OPT_NET6:
		if (broth_parse_net6(arg, &vc->net6, err, sizeof(err)))
			return fail("--net6: %s", err);
		return 0;
	case OPT_MTU:
		if (parse_uint("--mtu", arg, BROTH_MTU_MIN, BROTH_MTU_MAX, &n))
			return -1;
		vc->mtu = (uint16_t)n;
		return 0;
	case 't':
		if (vc->n_fwd >= BROTH_MAX_FWDS)
			return fail("-t: at most %u port forwards", BROTH_MAX_FWDS);
		if (broth_parse_fwd(arg, IPPROTO_TCP, &vc->fwd[vc->n_fwd], err,
				    sizeof(err)))
			return fail("-t: %s", err);
		vc->n_fwd++;
		return 0;
	case OPT_IMPAIR:
		return copy_str("--impair", vc->impair, sizeof(vc->impair), arg);
	}
	return fail("unknown option (try --help)");
}

static int parse_one(int c, const char *arg, struct options *o)
{
	unsigned long n;

	switch (c) {
	case OPT_NETNS:
	case OPT_IFNAME:
	case OPT_CONFIGURE:
	case OPT_VHOST_USER:
	case OPT_QUEUES:
	case OPT_NET:
	case OPT_NET6:
	case OPT_MTU:
	case 't':
	case OPT_IMPAIR:
		return parse_single(c, arg, o);
	case OPT_GUEST:
		return add_guest(o, arg, "--guest");
	case OPT_CONFIG:
		return read_config(o, arg);
	case OPT_WORKERS:
		if (parse_uint("--workers", arg, 1, BROTH_MAX_WORKERS, &n))
			return -1;
		o->conf.workers = (unsigned)n;
		return 0;
	case OPT_LOG_LEVEL:
		return parse_log_level(arg, &o->conf.log_level);
	case OPT_NO_HOST_LOOPBACK:
		o->conf.no_host_loopback = true;
		return 0;
	case OPT_MAX_FLOWS:
		if (parse_uint("--max-flows", arg, 1, 1u << 24, &n))
			return -1;
		o->conf.max_flows = (uint32_t)n;
		return 0;
	case OPT_FLOW_RATE:
		if (parse_uint("--flow-rate", arg, 1, 1u << 24, &n))
			return -1;
		o->conf.flow_rate = (uint32_t)n;
		return 0;
	case OPT_DNS:
		if (o->conf.n_dns >= BROTH_MAX_DNS)
			return fail("--dns: at most %u upstreams", BROTH_MAX_DNS);
		if (parse_addr46(arg, &o->conf.dns[o->conf.n_dns]))
			return fail("--dns: '%s' is not an IP address", arg);
		o->conf.n_dns++;
		return 0;
	case OPT_DNS_HOST:
		if (o->conf.n_dns_hosts >= BROTH_MAX_DNS_HOSTS)
			return fail("--dns-host: at most %u records",
				    BROTH_MAX_DNS_HOSTS);
		if (!strchr(arg, '='))
			return fail("--dns-host: '%s' is not NAME=ADDR", arg);
		o->conf.dns_hosts[o->conf.n_dns_hosts++] = arg;
		return 0;
	case OPT_UDP_TIMEOUT:
		if (parse_uint("--udp-timeout", arg, 1, 86400, &n))
			return -1;
		o->conf.udp_timeout_s = (uint32_t)n;
		return 0;
	case OPT_PID_FILE:
		o->pid_file = arg;
		return 0;
	case OPT_CONTROL:
		o->control = arg;
		o->conf.runtime_guests = true;
		return 0;
	case OPT_RESOLV_CONF:
		o->conf.resolv_conf = arg;
		return 0;
	}
	return fail("unknown option (try --help)");
}

/* The shorthand guest: a netns or a VM, and only what applies to its kind */
static int check_single(const struct options *o)
{
	const struct broth_vnet_conf *vc = &o->single;

	if (vc->netns[0] && vc->vhost_user[0])
		return fail("--netns and --vhost-user are mutually exclusive: "
			    "one shorthand guest (more with --guest)");
	if (!vc->netns[0] && !vc->vhost_user[0])
		return fail("--ifname, --configure, --net, --net6, --mtu, -t, "
			    "--impair and --queues describe the --netns or "
			    "--vhost-user guest; give one, or use KEY=VALUE in "
			    "--guest");
	if (vc->vhost_user[0] && vc->configure)
		return fail("--configure applies to --netns guests: a VM "
			    "configures its own interface (DHCP)");
	if (vc->vhost_user[0] && o->single_ifname)
		return fail("--ifname applies to --netns guests: a VM names "
			    "its own interface");
	if (vc->queues && !vc->vhost_user[0])
		return fail("--queues applies to --vhost-user guests");
	return 0;
}

/* The engine's guest list: the shorthand guest, then --guest/--config ones */
static int options_guests(struct options *o)
{
	struct broth_conf *c = &o->conf;

	if (o->single_opts && check_single(o))
		return -1;
	c->n_vnets = 0;
	if (o->single.netns[0] || o->single.vhost_user[0])
		c->vnets[c->n_vnets++] = o->single;
	if (c->n_vnets + o->n_guests > BROTH_MAX_VNETS)
		return fail("at most %u guests", BROTH_MAX_VNETS);
	for (unsigned i = 0; i < o->n_guests; i++)
		c->vnets[c->n_vnets++] = o->guests[i];
	if (!c->n_vnets && !o->control)
		return fail("no guest: give --netns NS, --vhost-user PATH, --guest "
			    "SPEC or --config FILE, or --control PATH to add them "
			    "later (try --help)");
	for (unsigned i = 0; i < c->n_vnets; i++) {
		if (!c->vnets[i].name[0])
			snprintf(c->vnets[i].name, BROTH_NAME_MAX, "guest%u", i);
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(c->vnets[i].name, c->vnets[k].name))
				return fail("two guests named '%s'",
					    c->vnets[i].name);
	}
	return 0;
}

/**
 * options_parse() - parse argv into @o
 * @argc, @argv:	command line
 * @o:			filled with defaults, then the options
 *
 * Return: 0 to run, 1 after --help/--version, -1 after printing an error
 */
int options_parse(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->conf.log_level = RTE_LOG_NOTICE;
	broth_vnet_conf_defaults(&o->single);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("broth %s\n", BROTH_VERSION);
			return 1;
		}
		if (c == '?')
			return fail("unknown option or missing value: '%s' (try --help)",
				    argv[optind - 1]);
		if (parse_one(c, optarg, o))
			return -1;
	}
	if (optind < argc)
		return fail("unexpected argument '%s' (try --help)", argv[optind]);
	return options_guests(o);
}
