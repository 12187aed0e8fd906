/* SPDX-License-Identifier: MIT */
/*
 * ping.c - ICMP echo to any address through the host's ICMP sockets
 *
 * Theory of operation
 *
 * Each (guest, echo identifier, destination) gets one unprivileged ICMP or
 * ICMPv6 socket (SOCK_DGRAM/IPPROTO_ICMP(V6), allowed by
 * net.ipv4.ping_group_range), or a raw socket when broth has CAP_NET_RAW and
 * ping sockets are not allowed. A ping socket picks its own identifier, so
 * replies are rewritten back to the guest's; a raw socket sees every echo
 * reply and filters on identifier and source. The guest's TTL (hop limit)
 * is applied to the socket, the reply's is passed on, and errors from
 * IP(V6)_RECVERR (time exceeded,
 * unreachable) are relayed quoting the guest's echo request, so `ping` and
 * `traceroute -I` behave as on a routed network. Flows end after
 * PING_TIMEOUT_S without traffic.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_timer.h>

#include "cksum.h"
#include "engine.h"
#include "frame.h"
#include "icmp.h"
#include "inet.h"
#include "log.h"
#include "mbuf_chain.h"
#include "ping.h"
#include "sockerr.h"

#define PING_TIMEOUT_S		60
#define PING_RECV_BATCH		16

struct ping_flow {
	struct flow f;
	struct rte_ether_addr guest_mac;
	bool raw;			/* raw socket: filter replies ourselves */
	bool v6;
	uint8_t ttl;
	uint64_t last_tsc;
	struct rte_timer timer;
};

static struct ping_flow *ping_at(struct worker *w, uint32_t idx)
{
	return (struct ping_flow *)flow_at(&w->ping, idx);
}

static void ping_close(struct worker *w, struct ping_flow *pf)
{
	rte_timer_stop(&pf->timer);
	flow_kill(&w->ping, &pf->f);
}

static void ping_close_cb(struct flow *f, void *w)
{
	ping_close(w, (struct ping_flow *)f);
}

static void ping_timer_cb(struct rte_timer *t, void *arg)
{
	struct ping_flow *pf = arg;
	uint64_t timeout = rte_get_tsc_hz() * PING_TIMEOUT_S;
	uint64_t idle = rte_rdtsc() - pf->last_tsc;

	if (idle >= timeout) {
		ping_close(worker_self, pf);
		return;
	}
	rte_timer_reset(t, timeout - idle, SINGLE, rte_lcore_id(), ping_timer_cb,
			pf);
}

/* An ICMP socket: unprivileged if allowed, raw otherwise; -errno if neither */
static int ping_socket(bool v6, bool *raw)
{
	int af = v6 ? AF_INET6 : AF_INET, proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	*raw = false;
	if (fd >= 0)
		return fd;
	fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		*raw = true;
		return fd;
	}
	return -errno;
}

/* Errors on the error queue, and the TTL / hop limit of each reply */
static int ping_sockopts(int fd, bool v6)
{
	int one = 1;

	if (v6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) ||
		       setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
				  sizeof(one));
	return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) ||
	       setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
}

static struct ping_flow *ping_open(struct worker *w, unsigned pidx,
				   const struct flow_key *k,
				   const struct rte_ether_addr *mac)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ping_flow *pf = (struct ping_flow *)flow_alloc(&w->ping, k);
	static int warned;
	int fd;

	if (!pf) {
		counters_drop(&w->ctr, DROP_PING_FLOW_LIMIT);
		return NULL;
	}
	rte_timer_init(&pf->timer);
	pf->f.pidx = (uint16_t)pidx;
	pf->guest_mac = *mac;
	pf->ttl = 64;
	pf->v6 = !inet_is_v4(k->gaddr);
	fd = ping_socket(pf->v6, &pf->raw);
	pf->f.fd = fd < 0 ? -1 : fd;
	ev.data.u64 = worker_ev_tag(WORKER_EV_PING, pf->f.idx);
	if (fd < 0 || ping_sockopts(fd, pf->v6) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		if (fd < 0 && !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
			BLOG(WARNING, "no ICMP socket (%s): allow ping sockets with "
			     "sysctl net.ipv4.ping_group_range, or give broth "
			     "CAP_NET_RAW; pings beyond the gateway are dropped",
			     strerror(-fd));
		counters_drop(&w->ctr, DROP_PING_NO_SOCKET);
		ping_close(w, pf);
		return NULL;
	}
	flow_set_state(&pf->f, FLOW_ACTIVE);
	rte_timer_reset(&pf->timer, rte_get_tsc_hz() * PING_TIMEOUT_S, SINGLE,
			rte_lcore_id(), ping_timer_cb, pf);
	return pf;
}

/**
 * ping_guest_input() - an ICMP message from the guest to a remote address
 * @w:		worker owning the flow
 * @pidx:	port it came from
 * @m:		frame, consumed
 * @p:		parsed frame (validated IPv4/ICMP)
 */
void ping_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		      const struct pkt *p)
{
	const struct rte_icmp_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, p->l4_off);
	struct vnet *vn = w->e->ports[pidx].vn;
	union inet_sa sa;
	struct iovec iov[PORT_TAP_MAX_SEGS];
	struct msghdr msg = { .msg_name = &sa, .msg_iov = iov };
	struct ping_flow *pf;
	struct flow_key k;
	int ttl = p->ttl;

	if (ih->icmp_type != (p->v6 ? ICMPV6_ECHO_REQUEST : RTE_IP_ICMP_ECHO_REQUEST) ||
	    ih->icmp_code || vnet_on_link(vn, p->daddr)) {
		counters_drop(&w->ctr, DROP_ICMP_UNSUPPORTED);
		goto out;
	}
	msg.msg_namelen = inet_sa_set(&sa, p->daddr, 0);
	flow_key(&k, vn->id, p->l4proto, p->saddr, p->sport, p->daddr, 0);
	pf = (struct ping_flow *)flow_lookup(&w->ping, &k);
	if (!pf && !(pf = ping_open(w, pidx, &k,
				    &((const struct rte_ether_hdr *)p->data)->src_addr)))
		goto out;
	if (pf->ttl != p->ttl &&
	    !setsockopt(pf->f.fd, pf->v6 ? IPPROTO_IPV6 : IPPROTO_IP,
			pf->v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl, sizeof(ttl)))
		pf->ttl = p->ttl;
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->l4_off - p->l4_len));
	msg.msg_iovlen = mbuf_iov(m, p->l4_off, iov, PORT_TAP_MAX_SEGS);
	if (!msg.msg_iovlen || sockerr_sendmsg(pf->f.fd, &msg) < 0) {
		counters_drop(&w->ctr, DROP_PING_SEND_FAILED);
		if (msg.msg_iovlen)
			worker_send_unreach_err(w, pidx, m, p, errno);
	}
	pf->last_tsc = rte_rdtsc();
out:
	rte_pktmbuf_free(m);
}

/* The reply's ICMP message as the guest must see it: its own identifier */
static void ping_reply(struct worker *w, struct ping_flow *pf, uint8_t *icmp,
		       size_t len, uint8_t ttl)
{
	const struct vnet *vn = w->e->ports[pf->f.pidx].vn;
	struct rte_icmp_hdr *ih = (struct rte_icmp_hdr *)icmp;
	struct rte_mempool *mp = w->e->ports[pf->f.pidx].pool;
	const uint32_t hdr = FRAME_ETH_LEN + frame_ip_len(pf->f.key.gaddr);
	struct rte_mbuf *m;
	uint32_t first;
	uint8_t *buf;

	if (len < sizeof(*ih) ||
	    ih->icmp_type != (pf->v6 ? ICMPV6_ECHO_REPLY : RTE_IP_ICMP_ECHO_REPLY))
		return;
	ih->icmp_ident = pf->f.key.gport;
	ih->icmp_cksum = 0;
	if (pf->v6)	/* ICMPv6 covers a pseudo-header (RFC 4443 §2.3) */
		ih->icmp_cksum = cksum_icmp6(pf->f.key.raddr, pf->f.key.gaddr,
						     ih, (uint32_t)len);
	else
		ih->icmp_cksum = cksum_fold(ih, (uint32_t)len);
	m = rte_pktmbuf_alloc(mp);
	if (!m) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return;
	}
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	first = RTE_MIN((uint32_t)len, rte_pktmbuf_tailroom(m) - hdr);
	memcpy(buf + hdr, icmp, first);
	m->data_len = m->pkt_len = (uint32_t)frame_pad(buf, hdr + first);
	if (len > first && mbuf_append_copy(mp, m, icmp + first,
					    (uint32_t)(len - first))) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		rte_pktmbuf_free(m);
		return;
	}
	frame_eth_ip(buf, &vn->gw_mac, &pf->guest_mac, pf->f.key.raddr,
		     pf->f.key.gaddr, pf->f.key.proto, ttl, (uint16_t)len);
	worker_send_mtu(w, pf->f.pidx, m);
}

/*
 * A raw IPv4 socket's message starts with the IP header; raw IPv6 and ping
 * sockets give the ICMP message alone
 */
static uint8_t *ping_strip(struct ping_flow *pf, uint8_t *buf, size_t *len,
			   const union inet_sa *from)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)buf;
	const struct rte_icmp_hdr *ih;
	uint8_t src[INET_ALEN];
	size_t ihl = 0;

	if (!pf->raw)
		return buf;
	if (!pf->v6 && (*len < sizeof(*ip) ||
			(ihl = (ip->version_ihl & 0xf) * 4u) > *len))
		return NULL;
	if (ihl + sizeof(*ih) > *len)
		return NULL;
	ih = (const struct rte_icmp_hdr *)(buf + ihl);
	inet_sa_get(from, src, NULL);
	if (ih->icmp_ident != pf->f.key.gport || !inet_eq(src, pf->f.key.raddr))
		return NULL;	/* someone else's echo reply */
	*len -= ihl;
	return buf + ihl;
}

static uint8_t ping_cmsg_ttl(struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR(msg, cm))
		if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		     cm->cmsg_type == IPV6_HOPLIMIT))
			return (uint8_t)*(int *)CMSG_DATA(cm);
	return 64;
}

static void ping_sock_read(struct worker *w, struct ping_flow *pf)
{
	uint8_t *buf = w->udp_scratch;	/* 64 KB, this worker's */

	for (unsigned i = 0; i < PING_RECV_BATCH; i++) {
		char cbuf[64];
		union inet_sa from;
		struct iovec iov = { buf, UINT16_MAX };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(pf->f.fd, &msg, MSG_DONTWAIT);
		size_t len = r > 0 ? (size_t)r : 0;
		uint8_t *icmp;

		if (r < 0)
			return;
		icmp = ping_strip(pf, buf, &len, &from);
		if (icmp)
			ping_reply(w, pf, icmp, len, ping_cmsg_ttl(&msg));
		pf->last_tsc = rte_rdtsc();
	}
}

/* Relay one error: quote the guest's echo request, rebuilt from the flow */
static void ping_relay_error(struct worker *w, struct flow *f,
			     const struct sock_extended_err *ee,
			     const union inet_sa *dst, const uint8_t *orig,
			     size_t len)
{
	struct ping_flow *pf = (struct ping_flow *)f;
	uint8_t quote[FRAME_IP6_LEN + 8], src[INET_ALEN];
	uint16_t ql;

	(void)dst;		/* the flow knows the destination */
	if ((ee->ee_origin != SO_EE_ORIGIN_ICMP &&
	     ee->ee_origin != SO_EE_ORIGIN_ICMP6) || len < 8)
		return;
	ql = frame_ip(quote, pf->f.key.gaddr, pf->f.key.raddr, pf->f.key.proto,
		      pf->ttl, (uint16_t)len);
	memcpy(quote + ql, orig, 8);
	memcpy(quote + ql + 4, &pf->f.key.gport, 2);	/* identifier */
	inet_sa_get((const union inet_sa *)SO_EE_OFFENDER(ee), src, NULL);
	worker_send_icmp_error(w, pf->f.pidx, src, &pf->guest_mac, ee->ee_type,
			       ee->ee_code, sockerr_mtu_info(ee), quote,
			       (size_t)ql + 8);
}

/**
 * ping_sock_event() - a flow's ICMP socket is readable or has errors
 * @w:		worker
 * @idx:	flow index
 * @events:	EPOLL* bits
 */
void ping_sock_event(struct worker *w, uint32_t idx, uint32_t events)
{
	struct ping_flow *pf = ping_at(w, idx);
	uint8_t buf[2048];

	if (pf->f.state != FLOW_ACTIVE)
		return;
	if (events & EPOLLERR)
		sockerr_drain(w, &pf->f, buf, sizeof(buf), ping_relay_error);
	if (events & EPOLLIN)
		ping_sock_read(w, pf);
}

/* ping_close_port() - end every echo flow of a guest that is removed */
void ping_close_port(struct worker *w, unsigned pidx)
{
	flow_for_each_of_port(&w->ping, (uint16_t)pidx, ping_close_cb, w);
}

/**
 * ping_worker_init() - flow table of a worker
 * @w:		worker
 * @max_flows:	echo flows this worker may hold
 *
 * Return: 0, or -ENOMEM
 */
int ping_worker_init(struct worker *w, uint32_t max_flows)
{
	char name[RTE_HASH_NAMESIZE];

	snprintf(name, sizeof(name), "ping_w%u", w->id);
	return flow_table_init(&w->ping, name, max_flows,
			       sizeof(struct ping_flow));
}

/* ping_worker_fini() - close every flow and free the table */
void ping_worker_fini(struct worker *w)
{
	flow_for_each_live(&w->ping, ping_close_cb, w);
	flow_reap(&w->ping);
	flow_table_fini(&w->ping);
}
