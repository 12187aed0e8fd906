/* SPDX-License-Identifier: MIT */
/*
 * dns_fwd.c - the DNS forwarder on the gateway address
 *
 * Theory of operation
 *
 * Guests query the gateway on port 53, over IPv4 or IPv6 (either gateway
 * address; the answer comes from the address asked). Static names (--dns-host, and
 * host.broth.internal for the gateway) are answered here. Everything else
 * goes to the first upstream resolver from one socket (dual-stack where the
 * host has IPv6, so upstreams of both families share it), under a fresh random
 * query ID that indexes the pending table; the answer comes back on that
 * socket and returns to the guest's address, port and original ID. So
 * thousands of guest queries from random source ports cost one socket, and
 * no two pending queries can collide. A query unanswered after
 * DNS_FWD_TIMEOUT_MS gets SERVFAIL. Answers are relayed unchanged, TC bit
 * included, so a client retries over TCP, which the TCP proxy carries to
 * the same upstream. The pending table is bounded: when full, new queries
 * get SERVFAIL at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "dns.h"
#include "dns_fwd.h"
#include "engine.h"
#include "frame.h"
#include "inet.h"
#include "mbuf_chain.h"

#define DNS_FWD_PENDING		4096
#define DNS_FWD_TIMEOUT_MS	2000
#define DNS_FWD_QMAX		(DNS_HDR_LEN + DNS_NAME_MAX + 4)
#define DNS_FWD_NO_SLOT		UINT16_MAX
#define DNS_FWD_HOST_NAME	"host.broth.internal"

struct dns_pending {
	uint16_t used;
	uint16_t up_id;			/* ID toward the upstream */
	uint16_t orig_id;		/* the guest's ID */
	uint16_t pidx;
	uint8_t worker;			/* who sends the answer */
	uint8_t up;			/* upstream asked: dns_up[up] */
	uint8_t gaddr[INET_ALEN];	/* the guest */
	uint8_t srv[INET_ALEN];		/* the gateway address it asked */
	rte_be16_t gport;
	struct rte_ether_addr mac;
	uint64_t deadline;
	uint16_t qlen;			/* header + question, for SERVFAIL */
	uint8_t q[DNS_FWD_QMAX];
};

struct dns_fwd {
	int fd;
	int af;				/* of fd: AF_INET6 (dual-stack) or AF_INET */
	struct dns_pending *pend;	/* DNS_FWD_PENDING slots */
	uint16_t *slot_of_id;		/* 65536 entries */
	uint16_t *free;			/* stack of free slots */
	unsigned n_free;
	uint64_t next_scan;
	uint8_t buf[65536];
};

static struct dns_fwd *fwd_of(struct slowpath *sp)
{
	return sp->dns;
}

/* Write a reply frame for @pe around a DNS message already at
 * frame_udp_off(pe->gaddr) */
static size_t dns_fwd_frame(const struct vnet *vn, const struct dns_pending *pe,
			    uint8_t *out, size_t msg_len)
{
	return frame_udp(out, &vn->gw_mac, &pe->mac, pe->srv, pe->gaddr,
			 RTE_BE16(DNS_PORT), pe->gport, (uint16_t)msg_len);
}

/*
 * Hand a finished reply to the worker that will send it. An answer larger
 * than one mbuf becomes a chain, and the worker fragments it at the guest's
 * MTU, as it would any UDP datagram from the host: an EDNS client asked for
 * that size.
 */
static void dns_fwd_emit(struct slowpath *sp, const struct dns_pending *pe,
			 const uint8_t *msg, size_t len)
{
	struct port *pt = &sp->e->ports[pe->pidx];
	uint16_t off = frame_udp_off(pe->gaddr);
	struct rte_mbuf *m;
	uint32_t first;

	if (!__atomic_load_n(&pt->active, __ATOMIC_ACQUIRE))
		return;			/* the guest was removed meanwhile */
	if (off + len > UINT16_MAX) {
		counters_drop(&sp->ctr, DROP_DNS_TOO_BIG);
		return;
	}
	m = rte_pktmbuf_alloc(pt->pool);
	if (!m) {
		counters_drop(&sp->ctr, DROP_NO_MBUF);
		return;
	}
	first = RTE_MIN((uint32_t)len, (uint32_t)(rte_pktmbuf_tailroom(m) - off));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *) + off, msg, first);
	m->data_len = (uint16_t)(off + first);
	m->pkt_len = m->data_len;
	if (len > first && mbuf_append_copy(pt->pool, m, msg + first,
					    (uint32_t)(len - first))) {
		counters_drop(&sp->ctr, DROP_NO_MBUF);
		rte_pktmbuf_free(m);
		return;
	}
	frame_udp_mbuf(m, &pt->vn->gw_mac, &pe->mac, pe->srv, pe->gaddr,
		       RTE_BE16(DNS_PORT), pe->gport, (uint16_t)len);
	m->port = pt->port_id;
	slowpath_send(sp, m, pe->worker);
}

static void dns_fwd_release(struct dns_fwd *d, struct dns_pending *pe)
{
	d->slot_of_id[pe->up_id] = DNS_FWD_NO_SLOT;
	pe->used = 0;
	d->free[d->n_free++] = (uint16_t)(pe - d->pend);
}

/* A random unused upstream ID and a slot for it, or NULL if full */
static struct dns_pending *dns_fwd_alloc(struct dns_fwd *d)
{
	struct dns_pending *pe;
	uint16_t id = 0;
	int tries;

	if (!d->n_free)
		return NULL;
	for (tries = 0; tries < 16; tries++) {
		id = (uint16_t)rte_rand();
		if (d->slot_of_id[id] == DNS_FWD_NO_SLOT)
			break;
	}
	if (tries == 16)
		return NULL;
	pe = &d->pend[d->free[--d->n_free]];
	pe->used = 1;
	pe->up_id = id;
	d->slot_of_id[id] = (uint16_t)(pe - d->pend);
	return pe;
}

static int dns_fwd_static(const struct slowpath *sp, const struct vnet *vn,
			  const struct dns_query *q, const uint8_t *msg,
			  uint8_t *out, size_t cap)
{
	struct dns_static gw[2] = {
		{ .name = DNS_FWD_HOST_NAME, .family = AF_INET },
		{ .name = DNS_FWD_HOST_NAME, .family = AF_INET6 },
	};

	if (!strcmp(q->qname, DNS_FWD_HOST_NAME)) {
		memcpy(gw[0].addr, &vn->gw4, 4);
		memcpy(gw[1].addr, vn->gw6, 16);
		return dns_answer_static(q, msg, gw, 2, out, cap);
	}
	return dns_answer_static(q, msg, sp->e->dns_hosts, sp->e->n_dns_hosts,
				 out, cap);
}

static bool dns_fwd_send(struct slowpath *sp, struct dns_pending *pe,
			 const uint8_t *msg, size_t len)
{
	struct dns_fwd *d = fwd_of(sp);
	rte_be16_t id = rte_cpu_to_be_16(pe->up_id), port;
	uint8_t addr[INET_ALEN];
	union inet_sa sa;
	socklen_t salen;

	if (len > sizeof(d->buf))
		return false;
	memcpy(d->buf, msg, len);
	memcpy(d->buf, &id, 2);
	pe->deadline = rte_rdtsc() + rte_get_tsc_hz() / 1000 * DNS_FWD_TIMEOUT_MS;
	inet_sa_get(&sp->e->dns_up[pe->up], addr, &port);
	if (d->af == AF_INET6) {	/* IPv4 upstreams as ::ffff:a.b.c.d */
		memset(&sa, 0, sizeof(sa));
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = port;
		memcpy(&sa.in6.sin6_addr, addr, INET_ALEN);
		salen = sizeof(sa.in6);
	} else if (inet_is_v4(addr)) {
		salen = inet_sa_set(&sa, addr, port);
	} else {
		return false;		/* an IPv6 upstream on an IPv4-only host */
	}
	return sendto(d->fd, d->buf, len, MSG_DONTWAIT, &sa.sa, salen) ==
	       (ssize_t)len;
}

/*
 * The upstream stayed silent or refused the send: ask the next ones, with
 * the question alone (an EDNS record, if any, was not kept), before giving
 * up. A send that fails (no route to that upstream) moves on at once.
 */
static bool dns_fwd_next_upstream(struct slowpath *sp, struct dns_pending *pe)
{
	if (pe->qlen < DNS_HDR_LEN)
		return false;
	pe->q[10] = pe->q[11] = 0;	/* ARCOUNT */
	while (pe->up + 1u < sp->e->n_dns_up) {
		pe->up++;
		if (dns_fwd_send(sp, pe, pe->q, pe->qlen))
			return true;
		counters_drop(&sp->ctr, DROP_DNS_UPSTREAM_SEND);
	}
	return false;
}

/**
 * dns_fwd_query() - a guest's query to the gateway, UDP port 53
 * @sp:		slow path
 * @vn:		vnet of the guest
 * @p:		the query frame (IPv4 or IPv6/UDP, validated)
 * @worker:	worker that received it and will send the answer
 * @out:	frame buffer for an immediate reply
 * @cap:	size of @out
 * @out_len:	set to the reply's length, 0 if the answer comes later
 *
 * Return: DROP_NONE, or why the query is dropped
 */
enum drop_reason dns_fwd_query(struct slowpath *sp, struct vnet *vn,
			       const struct pkt *p, unsigned worker,
			       uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *msg = p->data + p->payload_off;
	struct dns_fwd *d = fwd_of(sp);
	struct dns_pending tmp = { .gport = p->sport,
				   .mac = ((const struct rte_ether_hdr *)p->data)->src_addr };
	uint16_t off = frame_udp_off(p->saddr);
	struct dns_pending *pe = NULL;
	struct dns_query q;
	enum drop_reason r = dns_parse_query(msg, p->payload_len, &q);
	uint16_t up_id;
	int n;

	*out_len = 0;
	if (r)
		return r;
	memcpy(tmp.gaddr, p->saddr, INET_ALEN);
	memcpy(tmp.srv, p->daddr, INET_ALEN);
	n = dns_fwd_static(sp, vn, &q, msg, out + off, cap - off);
	if (n <= 0 && (!sp->e->n_dns_up || !(pe = dns_fwd_alloc(d))))
		n = dns_build_error(&q, msg, DNS_RCODE_SERVFAIL, out + off,
				    cap - off);
	if (n > 0) {
		*out_len = dns_fwd_frame(vn, &tmp, out, (size_t)n);
		return DROP_NONE;
	}
	up_id = pe->up_id;
	*pe = tmp;
	pe->used = 1;
	pe->up_id = up_id;
	pe->orig_id = q.id;
	pe->pidx = vn->id;
	pe->worker = (uint8_t)worker;
	pe->qlen = q.qlen;
	memcpy(pe->q, msg, RTE_MIN((size_t)q.qlen, sizeof(pe->q)));
	if (!dns_fwd_send(sp, pe, msg, p->payload_len)) {
		counters_drop(&sp->ctr, DROP_DNS_UPSTREAM_SEND);
		if (!dns_fwd_next_upstream(sp, pe)) {	/* none takes it */
			dns_fwd_release(d, pe);
			n = dns_build_error(&q, msg, DNS_RCODE_SERVFAIL, out + off,
					    cap - off);
			if (n > 0)
				*out_len = dns_fwd_frame(vn, &tmp, out, (size_t)n);
			return DROP_NONE;
		}
	}
	counters_add(&sp->ctr.dns_forwarded, 1);
	return DROP_NONE;
}

static bool dns_fwd_from_upstream(const struct slowpath *sp,
				  const union inet_sa *from)
{
	uint8_t a[INET_ALEN], b[INET_ALEN];
	rte_be16_t pa, pb;

	inet_sa_get(from, a, &pa);
	for (unsigned i = 0; i < sp->e->n_dns_up; i++) {
		inet_sa_get(&sp->e->dns_up[i], b, &pb);
		if (inet_eq(a, b) && pa == pb)
			return true;
	}
	return false;
}

/**
 * dns_fwd_upstream_read() - relay answers waiting on the upstream socket
 * @sp:		slow path
 */
void dns_fwd_upstream_read(struct slowpath *sp)
{
	struct dns_fwd *d = fwd_of(sp);

	for (unsigned i = 0; i < ENGINE_BURST; i++) {
		union inet_sa from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(d->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT,
				       &from.sa, &fl);
		struct dns_pending *pe;
		rte_be16_t orig;
		uint16_t id;

		if (len < 0)
			return;
		if (!dns_fwd_from_upstream(sp, &from) ||
		    dns_parse_response(d->buf, (size_t)len, &id) ||
		    d->slot_of_id[id] == DNS_FWD_NO_SLOT) {
			counters_drop(&sp->ctr, DROP_DNS_NOT_RESPONSE);
			continue;
		}
		pe = &d->pend[d->slot_of_id[id]];
		orig = rte_cpu_to_be_16(pe->orig_id);
		memcpy(d->buf, &orig, 2);
		dns_fwd_emit(sp, pe, d->buf, (size_t)len);
		dns_fwd_release(d, pe);
	}
}

/**
 * dns_fwd_expire() - SERVFAIL for queries the upstream left unanswered
 * @sp:		slow path
 * @now:	current TSC
 */
void dns_fwd_expire(struct slowpath *sp, uint64_t now)
{
	struct dns_fwd *d = fwd_of(sp);
	uint8_t out[DNS_FWD_QMAX];

	if (now < d->next_scan || d->n_free == DNS_FWD_PENDING)
		return;
	d->next_scan = now + rte_get_tsc_hz() / 4;
	for (unsigned i = 0; i < DNS_FWD_PENDING; i++) {
		struct dns_pending *pe = &d->pend[i];
		struct dns_query q;
		int n;

		if (!pe->used || now < pe->deadline || dns_fwd_next_upstream(sp, pe))
			continue;
		if (!dns_parse_query(pe->q, pe->qlen, &q) &&
		    (n = dns_build_error(&q, pe->q, DNS_RCODE_SERVFAIL, out,
					 sizeof(out))) > 0) {
			out[0] = (uint8_t)(pe->orig_id >> 8);
			out[1] = (uint8_t)pe->orig_id;
			dns_fwd_emit(sp, pe, out, (size_t)n);
		}
		counters_drop(&sp->ctr, DROP_DNS_UPSTREAM_TIMEOUT);
		dns_fwd_release(d, pe);
	}
}

/* dns_fwd_pending() - queries waiting for the upstream */
unsigned dns_fwd_pending(const struct slowpath *sp)
{
	const struct dns_fwd *d = sp->dns;

	return d ? DNS_FWD_PENDING - d->n_free : 0;
}

/* A dual-stack UDP socket, or an IPv4 one where the host has no IPv6 */
static int dns_fwd_socket(int *af)
{
	int off = 0, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0);

	if (fd >= 0 &&
	    !setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
		*af = AF_INET6;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	*af = AF_INET;
	return socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/**
 * dns_fwd_init() - upstream socket and pending table
 * @sp:		slow path, its epoll set ready
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int dns_fwd_init(struct slowpath *sp, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = SLOWPATH_EV_DNS };
	struct dns_fwd *d = calloc(1, sizeof(*d));

	sp->dns = d;
	if (!d || !(d->pend = calloc(DNS_FWD_PENDING, sizeof(*d->pend))) ||
	    !(d->slot_of_id = malloc(65536 * sizeof(uint16_t))) ||
	    !(d->free = malloc(DNS_FWD_PENDING * sizeof(uint16_t)))) {
		snprintf(err, errlen, "DNS forwarder: out of memory");
		return -ENOMEM;
	}
	memset(d->slot_of_id, 0xff, 65536 * sizeof(uint16_t));
	for (unsigned i = 0; i < DNS_FWD_PENDING; i++)
		d->free[i] = (uint16_t)(DNS_FWD_PENDING - 1 - i);
	d->n_free = DNS_FWD_PENDING;
	d->fd = dns_fwd_socket(&d->af);
	if (d->fd < 0 || epoll_ctl(sp->epfd, EPOLL_CTL_ADD, d->fd, &ev)) {
		snprintf(err, errlen, "DNS forwarder socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* dns_fwd_fini() - close the upstream socket, free the tables */
void dns_fwd_fini(struct slowpath *sp)
{
	struct dns_fwd *d = sp->dns;

	if (!d)
		return;
	if (d->fd > 0)
		close(d->fd);
	free(d->pend);
	free(d->slot_of_id);
	free(d->free);
	free(d);
	sp->dns = NULL;
}
