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
	OPT_VERSION, OPT_HELP, OPT_NO_HOST_LOOPBACK, OPT_MAX_FLOWS, OPT_IMPAIR, OPT_UDP_TIMEOUT,
	OPT_DNS, OPT_DNS_HOST, OPT_VHOST_USER, OPT_QUEUES,
};

static const struct option long_opts[] = {
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "vhost-user", required_argument, NULL, OPT_VHOST_USER },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "ifname", required_argument, NULL, OPT_IFNAME },
	{ "configure", no_argument, NULL, OPT_CONFIGURE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "resolv-conf", required_argument, NULL, OPT_RESOLV_CONF },
	{ "tcp-forward", required_argument, NULL, 't' },
	{ "no-host-loopback", no_argument, NULL, OPT_NO_HOST_LOOPBACK },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
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
"User-mode NAT for a guest network namespace or a VM: answers ARP, DHCP,\n"
"DNS and ping itself and carries the guest's TCP, UDP and ICMP flows on\n"
"ordinary host sockets, from a multi-core DPDK data plane.\n"
"\n"
"  --netns NS            guest network namespace: NAME, PATH or PID\n"
"  --ifname NAME         guest interface to create (default eth0)\n"
"  --configure           also put address, route and MTU on it\n"
"  --vhost-user PATH     VM guest: listen on vhost-user socket PATH (QEMU:\n"
"                        -netdev vhost-user, guest RAM memfd share=on)\n"
"  --queues N            vhost-user queue pairs offered (default: one per\n"
"                        worker, at most the worker count)\n"
"  --net CIDR            guest IPv4 network (default 10.0.0.0/24:\n"
"                        gateway .1, guest .2)\n"
"  --mtu N               guest MTU, %u..%u (default 1500)\n"
"  --workers N           worker threads (default: online CPUs)\n"
"  --no-host-loopback    the gateway address does not reach the host's lo\n"
"  --max-flows N         TCP connections at most (default 65536)\n"
"  --udp-timeout S       idle UDP mappings end after S seconds (default 300)\n"
"  -t [ADDR:]HPORT[:GPORT]  forward host TCP port HPORT (on ADDR, default\n"
"                        all) to guest port GPORT (default HPORT); repeatable\n"
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

static int parse_one(int c, const char *arg, struct options *o)
{
	struct broth_vnet_conf *vc = &o->conf.vnets[0];
	char err[256];
	unsigned long n;

	switch (c) {
	case OPT_NETNS:
		return copy_str("--netns", vc->netns, sizeof(vc->netns), arg);
	case OPT_IFNAME:
		o->ifname_set = true;
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
	case OPT_MTU:
		if (parse_uint("--mtu", arg, BROTH_MTU_MIN, BROTH_MTU_MAX, &n))
			return -1;
		vc->mtu = (uint16_t)n;
		return 0;
	case OPT_WORKERS:
		if (parse_uint("--workers", arg, 1, BROTH_MAX_WORKERS, &n))
			return -1;
		o->conf.workers = (unsigned)n;
		return 0;
	case OPT_LOG_LEVEL:
		return parse_log_level(arg, &o->conf.log_level);
	case 't':
		if (vc->n_fwd >= BROTH_MAX_FWDS)
			return fail("-t: at most %u port forwards", BROTH_MAX_FWDS);
		if (broth_parse_fwd(arg, IPPROTO_TCP, &vc->fwd[vc->n_fwd], err,
				    sizeof(err)))
			return fail("-t: %s", err);
		vc->n_fwd++;
		return 0;
	case OPT_NO_HOST_LOOPBACK:
		o->conf.no_host_loopback = true;
		return 0;
	case OPT_MAX_FLOWS:
		if (parse_uint("--max-flows", arg, 1, 1u << 24, &n))
			return -1;
		o->conf.max_flows = (uint32_t)n;
		return 0;
	case OPT_DNS:
		if (o->conf.n_dns >= BROTH_MAX_DNS)
			return fail("--dns: at most %u upstreams", BROTH_MAX_DNS);
		if (inet_pton(AF_INET, arg, &o->conf.dns[o->conf.n_dns]) != 1)
			return fail("--dns: '%s' is not an IPv4 address", arg);
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
	case OPT_IMPAIR:
		return copy_str("--impair", vc->impair, sizeof(vc->impair), arg);
	case OPT_PID_FILE:
		o->pid_file = arg;
		return 0;
	case OPT_RESOLV_CONF:
		o->conf.resolv_conf = arg;
		return 0;
	}
	return fail("unknown option (try --help)");
}

/* Exactly one guest kind, and only the options that make sense for it */
static int check_guest(const struct options *o)
{
	const struct broth_vnet_conf *vc = &o->conf.vnets[0];

	if (vc->netns[0] && vc->vhost_user[0])
		return fail("--netns and --vhost-user are mutually exclusive: "
			    "one guest per command line");
	if (!vc->netns[0] && !vc->vhost_user[0])
		return fail("no guest: --netns NS or --vhost-user PATH is "
			    "required (try --help)");
	if (vc->vhost_user[0] && vc->configure)
		return fail("--configure applies to --netns guests: a VM "
			    "configures its own interface (DHCP)");
	if (vc->vhost_user[0] && o->ifname_set)
		return fail("--ifname applies to --netns guests: a VM names "
			    "its own interface");
	if (vc->queues && !vc->vhost_user[0])
		return fail("--queues applies to --vhost-user guests");
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
	o->conf.n_vnets = 1;
	broth_vnet_conf_defaults(&o->conf.vnets[0]);
	snprintf(o->conf.vnets[0].name, BROTH_NAME_MAX, "guest0");
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
	return check_guest(o);
}
