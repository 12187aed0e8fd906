/* SPDX-License-Identifier: MIT */
/*
 * ping.c - ICMP echo to any address through the host's ICMP sockets
 *
 * Theory of operation
 *
 * Each (guest, echo identifier, destination) gets one unprivileged ICMP
 * socket (SOCK_DGRAM/IPPROTO_ICMP, allowed by net.ipv4.ping_group_range),
 * or a raw ICMP socket when broth has CAP_NET_RAW and ping sockets are not
 * allowed. A ping socket picks its own identifier, so replies are rewritten
 * back to the guest's; a raw socket sees every ICMP message and filters on
 * identifier and source. The guest's TTL is applied with IP_TTL, the reply's
 * TTL (IP_RECVTTL) is passed on, and errors from IP_RECVERR (time exceeded,
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
static int ping_socket(bool *raw)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_ICMP);

	*raw = false;
	if (fd >= 0)
		return fd;
	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd >= 0) {
		*raw = true;
		return fd;
	}
	return -errno;
}

static struct ping_flow *ping_open(struct worker *w, unsigned pidx,
				   const struct flow_key *k,
				   const struct rte_ether_addr *mac)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ping_flow *pf = (struct ping_flow *)flow_alloc(&w->ping, k);
	static int warned;
	int one = 1, fd;

	if (!pf) {
		counters_drop(&w->ctr, DROP_PING_FLOW_LIMIT);
		return NULL;
	}
	rte_timer_init(&pf->timer);
	pf->f.pidx = (uint16_t)pidx;
	pf->guest_mac = *mac;
	pf->ttl = 64;
	fd = ping_socket(&pf->raw);
	pf->f.fd = fd < 0 ? -1 : fd;
	ev.data.u64 = worker_ev_tag(WORKER_EV_PING, pf->f.idx);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) ||
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
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr = { p->dst4 } };
	struct iovec iov[PORT_TAP_MAX_SEGS];
	struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa),
			      .msg_iov = iov };
	struct ping_flow *pf;
	struct flow_key k;
	int ttl = p->ttl;

	if (ih->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ih->icmp_code ||
	    vnet_in_subnet(vn, p->dst4)) {
		counters_drop(&w->ctr, DROP_ICMP_UNSUPPORTED);
		goto out;
	}
	flow_key_v4(&k, vn->id, IPPROTO_ICMP, p->src4, p->sport, p->dst4, 0);
	pf = (struct ping_flow *)flow_lookup(&w->ping, &k);
	if (!pf && !(pf = ping_open(w, pidx, &k,
				    &((const struct rte_ether_hdr *)p->data)->src_addr)))
		goto out;
	if (pf->ttl != p->ttl &&
	    !setsockopt(pf->f.fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)))
		pf->ttl = p->ttl;
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->l4_off - p->l4_len));
	msg.msg_iovlen = mbuf_iov(m, p->l4_off, iov, PORT_TAP_MAX_SEGS);
	if (!msg.msg_iovlen || sockerr_sendmsg(pf->f.fd, &msg) < 0)
		counters_drop(&w->ctr, DROP_PING_SEND_FAILED);
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
	const uint32_t hdr = FRAME_ETH_LEN + FRAME_IP4_LEN;
	struct rte_mbuf *m;
	uint32_t first;
	uint8_t *buf;

	if (len < sizeof(*ih) || ih->icmp_type != RTE_IP_ICMP_ECHO_REPLY)
		return;
	ih->icmp_ident = pf->f.key.gport;
	ih->icmp_cksum = 0;
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
	frame_eth(buf, &vn->gw_mac, &pf->guest_mac, RTE_ETHER_TYPE_IPV4);
	frame_ip4(buf + FRAME_ETH_LEN, flow_addr_v4(pf->f.key.raddr),
		  flow_addr_v4(pf->f.key.gaddr), IPPROTO_ICMP, ttl,
		  (uint16_t)len);
	worker_send_mtu(w, pf->f.pidx, m);
}

/* A raw socket's message starts with the IP header; a ping socket's does not */
static uint8_t *ping_strip(struct ping_flow *pf, uint8_t *buf, size_t *len,
			   const struct sockaddr_in *from)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)buf;
	const struct rte_icmp_hdr *ih;
	size_t ihl;

	if (!pf->raw)
		return buf;
	if (*len < sizeof(*ip) || (ihl = (ip->version_ihl & 0xf) * 4u) +
	    sizeof(*ih) > *len)
		return NULL;
	ih = (const struct rte_icmp_hdr *)(buf + ihl);
	if (ih->icmp_ident != pf->f.key.gport ||
	    from->sin_addr.s_addr != flow_addr_v4(pf->f.key.raddr))
		return NULL;	/* someone else's echo reply */
	*len -= ihl;
	return buf + ihl;
}

static uint8_t ping_cmsg_ttl(struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL)
			return (uint8_t)*(int *)CMSG_DATA(cm);
	return 64;
}

static void ping_sock_read(struct worker *w, struct ping_flow *pf)
{
	uint8_t *buf = w->udp_scratch;	/* 64 KB, this worker's */

	for (unsigned i = 0; i < PING_RECV_BATCH; i++) {
		char cbuf[64];
		struct sockaddr_in from;
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
			     const struct sockaddr_in *dst, const uint8_t *orig,
			     size_t len)
{
	struct ping_flow *pf = (struct ping_flow *)f;
	const struct sockaddr_in *off = (const struct sockaddr_in *)SO_EE_OFFENDER(ee);
	uint8_t quote[FRAME_IP4_LEN + 8];

	(void)dst;		/* the flow knows the destination */
	if (ee->ee_origin != SO_EE_ORIGIN_ICMP || len < 8)
		return;
	frame_ip4(quote, flow_addr_v4(pf->f.key.gaddr),
		  flow_addr_v4(pf->f.key.raddr), IPPROTO_ICMP, pf->ttl,
		  (uint16_t)len);
	memcpy(quote + FRAME_IP4_LEN, orig, 8);
	memcpy(quote + FRAME_IP4_LEN + 4, &pf->f.key.gport, 2);	/* identifier */
	worker_send_icmp_error(w, pf->f.pidx, off->sin_addr.s_addr,
			       &pf->guest_mac, ee->ee_type, ee->ee_code,
			       ee->ee_type == 3 && ee->ee_code == 4 ?
			       ee->ee_info : 0, quote, sizeof(quote));
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
