/* SPDX-License-Identifier: MIT */
/*
 * broth.h - public API of libbroth, the user-mode NAT data plane
 *
 * A program fills a struct broth_conf (one entry per guest network, "vnet"),
 * creates an engine from it, starts it, and stops it. Everything about frames
 * and flows stays inside the engine.
 */
#ifndef BROTH_BROTH_H
#define BROTH_BROTH_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BROTH_MAX_VNETS		16
#define BROTH_MAX_WORKERS	16
#define BROTH_NAME_MAX		32
#define BROTH_MTU_MIN		68
#define BROTH_MTU_MAX		65520
#define BROTH_MAX_FLOWS_DEFAULT	65536
/* New flows (TCP connections and UDP mappings) a guest may open per second:
 * each costs broth a socket and a connect(), 10-40 us of kernel time */
#define BROTH_FLOW_RATE_DEFAULT	10000
#define BROTH_UDP_TIMEOUT_DEFAULT	300
#define BROTH_RESOLV_CONF	"/etc/resolv.conf"

#define BROTH_MAX_FWDS		32
#define BROTH_MAX_DNS		3
#define BROTH_MAX_DNS_HOSTS	32

/* An inbound port forward: host address:port -> guest port */
struct broth_fwd {
	uint8_t proto;			/* IPPROTO_TCP (IPPROTO_UDP later) */
	struct in_addr host_addr;	/* INADDR_ANY: every host address */
	uint16_t host_port;
	uint16_t guest_port;
};

/* One guest network: where the guest is and which addresses it gets */
struct broth_vnet_conf {
	char name[BROTH_NAME_MAX];
	char netns[PATH_MAX];		/* NAME (/run/netns/NAME), PATH or PID */
	char vhost_user[PATH_MAX];	/* VM guest: vhost-user socket to listen
					 * on (instead of netns) */
	uint16_t queues;		/* vhost-user queue pairs; 0: one per
					 * worker */
	char ifname[IF_NAMESIZE];	/* guest interface, default "eth0" */
	bool configure;			/* put address/route/MTU on it */
	bool no_host_loopback;		/* this guest's gateway skips host lo */
	bool has_mac;			/* mac is set: the guest's MAC */
	uint8_t mac[6];
	uint32_t max_flows;		/* this guest's connections; 0: global */
	uint32_t flow_rate;		/* its new flows per second; 0: global */
	struct in_addr net4;		/* network address, host bits zero */
	uint8_t prefix4;		/* 1..30 */
	struct in6_addr net6;		/* SLAAC prefix, a /64 */
	uint16_t mtu;
	uint32_t lease_s;		/* DHCPv4 lease time */
	unsigned n_fwd;
	struct broth_fwd fwd[BROTH_MAX_FWDS];
	char impair[128];		/* "loss=PCT,reorder=PCT,..." or "" */
};

struct broth_conf {
	unsigned workers;		/* 0: one per online CPU */
	int log_level;			/* RTE_LOG_* (1 emergency .. 8 debug) */
	bool no_host_loopback;		/* gateway does not reach host's lo */
	uint32_t max_flows;		/* TCP connections, all workers; 0: default */
	uint32_t flow_rate;		/* new flows per second per guest; 0: default */
	uint32_t udp_timeout_s;		/* idle UDP mapping lifetime; 0: default */
	const char *resolv_conf;	/* DHCP domain/search and DNS upstreams;
					 * NULL: BROTH_RESOLV_CONF */
	unsigned n_dns;			/* --dns: upstreams, override resolv_conf */
	struct in6_addr dns[BROTH_MAX_DNS];	/* IPv4 as ::ffff:a.b.c.d */
	unsigned n_dns_hosts;		/* --dns-host NAME=ADDR, as given */
	const char *dns_hosts[BROTH_MAX_DNS_HOSTS];
	bool runtime_guests;		/* guests may be added while running:
					 * reserve memory for BROTH_MAX_VNETS */
	unsigned n_vnets;		/* 0 only with runtime_guests */
	struct broth_vnet_conf vnets[BROTH_MAX_VNETS];
};

struct broth_engine;

/* Defaults of DESIGN.md §1: 10.0.0.0/24, fd00:b0:7d::/64, MTU 1500,
 * lease 24 h, eth0 */
void broth_vnet_conf_defaults(struct broth_vnet_conf *vc);

/* Parse "A.B.C.D/N" for a vnet: 0, or -1 with a message in @err */
int broth_parse_net4(const char *s, struct in_addr *net, uint8_t *prefix,
		     char *err, size_t errlen);

/* Parse "PREFIX[/64]" for a vnet: 0, or -1 with a message in @err */
int broth_parse_net6(const char *s, struct in6_addr *net, char *err,
		     size_t errlen);

/* Parse a guest spec "KEY=VALUE[,KEY=VALUE...]" (--guest, --config lines,
 * the control socket) into @vc, defaults first: 0, or -1 with @err set */
int broth_parse_guest(const char *spec, struct broth_vnet_conf *vc, char *err,
		      size_t errlen);

/* Parse "[HOSTADDR:]HOSTPORT[:GUESTPORT]": 0, or -1 with a message in @err */
int broth_parse_fwd(const char *s, uint8_t proto, struct broth_fwd *f,
		    char *err, size_t errlen);

/* Create the engine (EAL, pools, ports). NULL with a one-line @err on failure;
 * nothing is left behind in that case. */
struct broth_engine *broth_engine_create(const struct broth_conf *conf,
					 char *err, size_t errlen);
/* Start workers and the slow path; 0 or -errno */
int broth_engine_start(struct broth_engine *e);
/* Stop and join all threads (idempotent); ports stay up for a stats dump */
void broth_engine_stop(struct broth_engine *e);
/* Stop threads and ports, remove guest interfaces, free everything */
void broth_engine_destroy(struct broth_engine *e);
/* Number of worker threads the engine runs */
unsigned broth_engine_workers(const struct broth_engine *e);
/* Print per-worker, slow-path and per-port counters */
void broth_engine_dump_stats(struct broth_engine *e, FILE *f);

/* ---- runtime management (the engine must be started) ---- */

/* One guest as it is now */
struct broth_guest_info {
	struct broth_vnet_conf conf;	/* as configured, forwards as they are */
	uint32_t tcp_flows;		/* open TCP connections */
	uint64_t rx, tx;		/* frames from / to the guest */
};

/* One flow, for listings */
struct broth_flow_info {
	uint8_t proto;			/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	uint8_t state;			/* 1 new, 2 active, 3 closing */
	uint8_t worker;
	uint8_t gaddr[16], raddr[16];	/* IPv4 as ::ffff:a.b.c.d; raddr of a
					 * UDP flow is :: (any remote) */
	uint16_t gport, rport;		/* host order; ICMP: echo identifier */
};

/* Guest slots: broth_engine_guest_info() for slot < BROTH_MAX_VNETS gives
 * 0 and the guest, or -ENOENT for an empty slot */
int broth_engine_guest_info(struct broth_engine *e, unsigned slot,
			    struct broth_guest_info *gi);
/* Add a guest while running; 0, or -errno with a one-line @err */
int broth_engine_add_guest(struct broth_engine *e,
			   const struct broth_vnet_conf *vc, char *err,
			   size_t errlen);
/* Remove guest @name: its flows are closed, its interface removed */
int broth_engine_remove_guest(struct broth_engine *e, const char *name,
			      char *err, size_t errlen);
/* Add / remove a port forward of guest @name (remove: by host address and
 * port, as given when added) */
int broth_engine_add_fwd(struct broth_engine *e, const char *name,
			 const struct broth_fwd *f, char *err, size_t errlen);
int broth_engine_remove_fwd(struct broth_engine *e, const char *name,
			    const struct broth_fwd *f, char *err, size_t errlen);
/* Up to @max flows of guest @name into @out; *@n gets how many */
int broth_engine_flows(struct broth_engine *e, const char *name,
		       struct broth_flow_info *out, unsigned max, unsigned *n,
		       char *err, size_t errlen);

#endif
