/* SPDX-License-Identifier: MIT */
/*
 * udp.c - UDP flows
 *
 * Theory of operation
 *
 * Each guest (address, port) gets one host socket, whatever the remote end:
 * endpoint-independent mapping and filtering (RFC 4787, REQ-1 and REQ-8), so
 * replies from any remote reach the guest and a STUN-discovered port keeps
 * working. The flow key therefore holds the guest end only, and the owner
 * worker is chosen from it alone (udp_flow_hash()).
 *
 * Guest datagrams are sent as they come (the gateway address maps to the
 * host's loopback, 127.0.0.1 or ::1); the guest's TTL or hop limit is
 * applied with IP_TTL / IPV6_UNICAST_HOPS so traceroute works. Host datagrams are read in batches with recvmmsg straight into
 * mbufs: the first ~2 KB land in place, anything longer in a per-worker
 * scratch area and is copied into a chain; datagrams above the guest's MTU
 * are fragmented (rte_ip_frag). Errors the host learns from ICMP come back
 * on the socket's error queue (IP(V6)_RECVERR) and are relayed to the guest as
 * the matching ICMP message, quoting the guest's datagram.
 *
 * A flow ends after --udp-timeout seconds without traffic either way.
 */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_timer.h>
#include <rte_udp.h>

#include "engine.h"
#include "inet.h"
#include "flow_hash.h"
#include "frame.h"
#include "mbuf_chain.h"
#include "sockerr.h"
#include "udp.h"

#define UDP_RECV_BATCH		32
#define UDP_SCRATCH		65536	/* largest datagram plus headers */

struct udp_flow {
	struct flow f;
	struct rte_ether_addr guest_mac;
	uint8_t ttl;			/* IP_TTL currently set on the socket */
	uint8_t pmtud;			/* IP_MTU_DISCOVER currently set */
	bool v6;
	bool gw_ll;			/* last sent to the link-local gateway */
	uint16_t payload_off;		/* UDP payload in frames to the guest */
	uint64_t last_tsc;		/* last datagram either way */
	struct rte_timer timer;		/* idle timeout */
};

static struct udp_flow *udp_at(struct worker *w, uint32_t idx)
{
	return (struct udp_flow *)flow_at(&w->udp, idx);
}

/**
 * udp_flow_hash() - hash of the guest end of a datagram, for the owner
 * @vnet:	vnet id
 * @p:		datagram from the guest
 *
 * Return: hash
 */
uint32_t udp_flow_hash(uint16_t vnet, const struct pkt *p)
{
	static const uint8_t none[INET_ALEN];

	return flow_hash(vnet, IPPROTO_UDP, p->saddr, none, p->sport, 0);
}

static void udp_close(struct worker *w, struct udp_flow *u)
{
	if (u->f.state == FLOW_DEAD)
		return;
	__atomic_sub_fetch(&w->e->ports[u->f.pidx].vn->n_udp, 1,
			   __ATOMIC_RELAXED);
	rte_timer_stop(&u->timer);
	flow_kill(&w->udp, &u->f);
}

static void udp_close_cb(struct flow *f, void *w)
{
	udp_close(w, (struct udp_flow *)f);
}

static void udp_timer_cb(struct rte_timer *t, void *arg)
{
	struct udp_flow *u = arg;
	struct worker *w = worker_self;
	uint64_t timeout = rte_get_tsc_hz() * w->e->conf.udp_timeout_s;
	uint64_t idle = rte_rdtsc() - u->last_tsc;

	if (idle >= timeout) {
		udp_close(w, u);
		return;
	}
	rte_timer_reset(t, timeout - idle, SINGLE, rte_lcore_id(), udp_timer_cb, u);
}

static struct udp_flow *udp_open(struct worker *w, unsigned pidx,
				 const struct flow_key *k,
				 const struct rte_ether_addr *mac)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vnet *vn = w->e->ports[pidx].vn;
	struct udp_flow *u;
	int one = 1, fd;

	if (!worker_flow_admit(w, pidx)) {
		counters_drop(&w->ctr, DROP_UDP_FLOW_RATE);
		return NULL;
	}
	/* the guest's share, like its TCP connections (vnet.max_flows) */
	if (__atomic_add_fetch(&vn->n_udp, 1, __ATOMIC_RELAXED) > vn->max_flows ||
	    !(u = (struct udp_flow *)flow_alloc(&w->udp, k))) {
		__atomic_sub_fetch(&vn->n_udp, 1, __ATOMIC_RELAXED);
		counters_drop(&w->ctr, DROP_UDP_FLOW_LIMIT);
		return NULL;
	}
	rte_timer_init(&u->timer);
	u->f.pidx = (uint16_t)pidx;
	u->guest_mac = *mac;
	u->ttl = 64;
	u->pmtud = IP_PMTUDISC_WANT;	/* the kernel's default */
	u->v6 = !inet_is_v4(k->gaddr);
	u->payload_off = frame_udp_off(k->gaddr);
	fd = socket(u->v6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	u->f.fd = fd;
	ev.data.u64 = worker_ev_tag(WORKER_EV_UDP, u->f.idx);
	if (fd < 0 ||
	    setsockopt(fd, u->v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       u->v6 ? IPV6_RECVERR : IP_RECVERR, &one, sizeof(one)) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		counters_drop(&w->ctr, fd < 0 ? DROP_UDP_NO_FD : DROP_UDP_FLOW_LIMIT);
		udp_close(w, u);
		return NULL;
	}
	flow_set_state(&u->f, FLOW_ACTIVE);
	rte_timer_reset(&u->timer, rte_get_tsc_hz() * w->e->conf.udp_timeout_s,
			SINGLE, rte_lcore_id(), udp_timer_cb, u);
	counters_add(&w->ctr.udp_opened, 1);
	return u;
}

/*
 * The guest's TTL and DF bit become the socket's IP_TTL and path MTU
 * discovery mode, so traceroute and PMTU discovery see the real path: a DF
 * datagram too big for it fails with EMSGSIZE, which the error queue turns
 * into "fragmentation needed" for the guest.
 */
static void udp_sock_opts(struct udp_flow *u, const struct pkt *p)
{
	int ttl = p->ttl, pmtud = p->df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;

	if (u->v6) {	/* no DF in IPv6: the kernel's default discovery */
		if (u->ttl != p->ttl &&
		    !setsockopt(u->f.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
				sizeof(ttl)))
			u->ttl = p->ttl;
		return;
	}
	if (u->ttl != p->ttl &&
	    !setsockopt(u->f.fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)))
		u->ttl = p->ttl;
	if (u->pmtud != pmtud &&
	    !setsockopt(u->f.fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtud,
			sizeof(pmtud)))
		u->pmtud = (uint8_t)pmtud;
}

/**
 * udp_guest_input() - a datagram from the guest, on its owner worker
 * @w:		worker
 * @pidx:	port it came from
 * @m:		frame, consumed
 * @p:		parsed frame (validated IPv4/UDP)
 */
void udp_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		     const struct pkt *p)
{
	struct vnet *vn = w->e->ports[pidx].vn;
	struct iovec iov[PORT_TAP_MAX_SEGS];
	uint8_t dst[INET_ALEN];
	union inet_sa sa;
	struct msghdr msg = { .msg_name = &sa, .msg_iov = iov };
	struct flow_key k;
	struct udp_flow *u;

	flow_key(&k, vn->id, IPPROTO_UDP, p->saddr, p->sport, NULL, 0);
	u = (struct udp_flow *)flow_lookup(&w->udp, &k);
	if (vnet_host_dst(vn, vn->no_host_loopback, p->daddr, dst)) {
		counters_drop(&w->ctr, DROP_UDP_DST_REFUSED);
		goto out;
	}
	msg.msg_namelen = inet_sa_set(&sa, dst, p->dport);
	if (!u && !(u = udp_open(w, pidx, &k,
				 &((const struct rte_ether_hdr *)p->data)->src_addr)))
		goto out;
	udp_sock_opts(u, p);
	u->gw_ll = p->v6 && inet6_is_linklocal(p->daddr);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->payload_off -
				       p->payload_len));
	msg.msg_iovlen = mbuf_iov(m, p->payload_off, iov, PORT_TAP_MAX_SEGS);
	if (p->payload_len && !msg.msg_iovlen) {
		counters_drop(&w->ctr, DROP_ETH_MULTISEG);
	} else if (sockerr_sendmsg(u->f.fd, &msg) < 0 && errno != EMSGSIZE) {
		counters_drop(&w->ctr, DROP_UDP_SEND_FAILED);
		worker_send_unreach_err(w, pidx, m, p, errno);
	}
	u->last_tsc = rte_rdtsc();
out:
	rte_pktmbuf_free(m);
}

static void udp_to_guest(struct worker *w, struct udp_flow *u,
			 struct rte_mbuf *m, const uint8_t *tail, uint32_t len,
			 const union inet_sa *from)
{
	const struct vnet *vn = w->e->ports[u->f.pidx].vn;
	uint32_t first = rte_pktmbuf_tailroom(m) - u->payload_off;
	uint8_t src[INET_ALEN];
	rte_be16_t sport;

	m->data_len = (uint16_t)(u->payload_off + RTE_MIN(len, first));
	m->pkt_len = m->data_len;
	if (len > first &&
	    mbuf_append_copy(w->e->ports[u->f.pidx].pool, m, tail, len - first)) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		rte_pktmbuf_free(m);
		return;
	}
	inet_sa_get(from, src, &sport);
	vnet_guest_src(vn, src, u->gw_ll, src);
	frame_udp_mbuf(m, &vn->gw_mac, &u->guest_mac, src, u->f.key.gaddr, sport,
		       u->f.key.gport, (uint16_t)len);
	worker_send_mtu(w, u->f.pidx, m);
}

static void udp_sock_read(struct worker *w, struct udp_flow *u)
{
	struct rte_mempool *mp = w->e->ports[u->f.pidx].pool;
	struct rte_mbuf *mb[UDP_RECV_BATCH];
	struct mmsghdr msgs[UDP_RECV_BATCH];
	struct iovec iov[UDP_RECV_BATCH][2];
	union inet_sa from[UDP_RECV_BATCH];
	int n;

	if (rte_pktmbuf_alloc_bulk(mp, mb, UDP_RECV_BATCH)) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return;
	}
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < UDP_RECV_BATCH; i++) {
		uint32_t first = rte_pktmbuf_tailroom(mb[i]) - u->payload_off;

		iov[i][0] = (struct iovec){ rte_pktmbuf_mtod(mb[i], uint8_t *) +
					    u->payload_off, first };
		iov[i][1] = (struct iovec){ w->udp_scratch + (size_t)i * UDP_SCRATCH,
					    UDP_SCRATCH - first };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
			.msg_namelen = sizeof(from[i]), .msg_iov = iov[i],
			.msg_iovlen = 2 };
	}
	n = recvmmsg(u->f.fd, msgs, UDP_RECV_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++)
		udp_to_guest(w, u, mb[i], iov[i][1].iov_base, msgs[i].msg_len,
			     &from[i]);
	for (int i = n < 0 ? 0 : n; i < UDP_RECV_BATCH; i++)
		rte_pktmbuf_free(mb[i]);
	if (n > 0) {
		u->last_tsc = rte_rdtsc();
		counters_add(&w->ctr.udp_to_guest, (uint64_t)n);
	}
}

/*
 * The guest's datagram as the ICMP error must quote it: the IP header and
 * the UDP header, rebuilt from the flow and the error's original
 * destination (the kernel gives us the payload, not the headers).
 * Return: bytes of the quote
 */
static size_t udp_quote(const struct udp_flow *u, const struct vnet *vn,
			const union inet_sa *dst, uint32_t len, uint8_t *q)
{
	uint16_t l4_len = (uint16_t)(sizeof(struct rte_udp_hdr) + len), ql;
	uint8_t daddr[INET_ALEN];
	struct rte_udp_hdr *uh;
	rte_be16_t dport;

	inet_sa_get(dst, daddr, &dport);
	vnet_guest_src(vn, daddr, u->gw_ll, daddr);
	ql = frame_ip(q, u->f.key.gaddr, daddr, IPPROTO_UDP, u->ttl, l4_len);
	uh = (struct rte_udp_hdr *)(q + ql);
	uh->src_port = u->f.key.gport;
	uh->dst_port = dport;
	uh->dgram_len = rte_cpu_to_be_16(l4_len);
	uh->dgram_cksum = 0;
	return ql + sizeof(*uh);
}

static void udp_relay_error(struct worker *w, struct flow *f,
			    const struct sock_extended_err *ee,
			    const union inet_sa *dst, const uint8_t *payload,
			    size_t len)
{
	struct udp_flow *u = (struct udp_flow *)f;
	const struct vnet *vn = w->e->ports[f->pidx].vn;
	uint8_t quote[FRAME_IP6_LEN + 8], src[INET_ALEN];
	size_t ql = udp_quote(u, vn, dst, (uint32_t)len, quote);

	(void)payload;		/* the quote needs only the UDP header */
	if (ee->ee_origin == SO_EE_ORIGIN_LOCAL && ee->ee_errno == EMSGSIZE) {
		/* above a known path MTU: the host refused it. IPv4: a DF
		 * datagram, "fragmentation needed"; IPv6: "packet too big" */
		vnet_gateway_for(vn, u->f.key.gaddr, src);
		worker_send_icmp_error(w, f->pidx, src, &u->guest_mac,
				       u->v6 ? 2 : 3, u->v6 ? 0 : 4, ee->ee_info,
				       quote, ql);
	} else if (ee->ee_origin == SO_EE_ORIGIN_ICMP ||
		   ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
		inet_sa_get((const union inet_sa *)SO_EE_OFFENDER(ee), src, NULL);
		vnet_guest_src(vn, src, u->gw_ll, src);
		worker_send_icmp_error(w, f->pidx, src, &u->guest_mac,
				       ee->ee_type, ee->ee_code,
				       sockerr_mtu_info(ee), quote, ql);
	}
}

/**
 * udp_sock_event() - a flow's host socket is readable or has errors
 * @w:		worker
 * @idx:	flow index
 * @events:	EPOLL* bits
 */
void udp_sock_event(struct worker *w, uint32_t idx, uint32_t events)
{
	struct udp_flow *u = udp_at(w, idx);

	if (u->f.state != FLOW_ACTIVE)
		return;
	if (events & EPOLLERR)
		sockerr_drain(w, &u->f, w->udp_scratch, UDP_SCRATCH, udp_relay_error);
	if (events & EPOLLIN)
		udp_sock_read(w, u);
}

/* udp_close_port() - end every mapping of a guest that is removed */
void udp_close_port(struct worker *w, unsigned pidx)
{
	flow_for_each_of_port(&w->udp, (uint16_t)pidx, udp_close_cb, w);
}

/**
 * udp_worker_init() - flow table and receive scratch area of a worker
 * @w:		worker
 * @max_flows:	UDP mappings this worker may hold
 *
 * Return: 0, or -ENOMEM
 */
int udp_worker_init(struct worker *w, uint32_t max_flows)
{
	char name[RTE_HASH_NAMESIZE];
	int rc;

	snprintf(name, sizeof(name), "udp_w%u", w->id);
	rc = flow_table_init(&w->udp, name, max_flows, sizeof(struct udp_flow));
	if (rc)
		return rc;
	w->udp_scratch = malloc((size_t)UDP_RECV_BATCH * UDP_SCRATCH);
	return w->udp_scratch ? 0 : -ENOMEM;
}

/* udp_worker_fini() - close every flow, free the table and scratch area */
void udp_worker_fini(struct worker *w)
{
	flow_for_each_live(&w->udp, udp_close_cb, w);
	flow_reap(&w->udp);
	flow_table_fini(&w->udp);
	free(w->udp_scratch);
	w->udp_scratch = NULL;
}
