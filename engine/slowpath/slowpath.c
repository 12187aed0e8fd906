/* SPDX-License-Identifier: MIT */
/*
 * slowpath.c - the thread for control protocols
 *
 * Theory of operation
 *
 * Workers pass ARP, DHCP, NDP, DHCPv6 and DNS frames to one
 * multi-producer/single-consumer ring. This thread answers them into fresh
 * mbufs and hands each reply to the TX ring of the worker that received the
 * request (recorded in mbuf hash.usr), so the slow path needs no TX queue of
 * its own and never competes with a worker for one. It sleeps on an eventfd
 * whenever its ring is empty: control traffic is rare and must never cost
 * the data path a busy core. It wakes on its own only for DNS timeouts and
 * the periodic unsolicited router advertisements.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "dhcp.h"
#include "dhcp6.h"
#include "dns.h"
#include "dns_fwd.h"
#include "engine.h"
#include "log.h"
#include "ndp.h"

static uint64_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/**
 * slowpath_enqueue_burst() - pass frames from a worker to the slow path
 * @sp:		slow path
 * @w:		calling worker; replies will be sent by it
 * @m:		frames
 * @n:		number of frames
 */
void slowpath_enqueue_burst(struct slowpath *sp, struct worker *w,
			    struct rte_mbuf **m, unsigned n)
{
	unsigned sent;

	for (unsigned i = 0; i < n; i++)
		m[i]->hash.usr = w->id;
	sent = rte_ring_mp_enqueue_burst(sp->ring, (void **)m, n, NULL);
	counters_add(&w->ctr.to_slowpath, sent);
	for (unsigned i = sent; i < n; i++) {
		counters_drop(&w->ctr, DROP_SLOWPATH_RING_FULL);
		rte_pktmbuf_free(m[i]);
	}
	if (sent)
		engine_wake(&sp->sleeping, sp->wake_fd);
}

static enum drop_reason slowpath_answer(struct slowpath *sp, struct vnet *vn,
					const struct pkt *p, unsigned worker,
					uint8_t *out, size_t cap,
					size_t *out_len)
{
	if (p->ethertype == RTE_ETHER_TYPE_ARP)
		return arp_input(vn, p, out, cap, out_len);
	if (p->l4proto == IPPROTO_ICMPV6)
		return ndp_input(vn, p, out, cap, out_len);
	if (p->l4proto == IPPROTO_UDP && p->v6 &&
	    p->dport == RTE_BE16(DHCP6_SERVER_PORT))
		return dhcp6_input(vn, p, out, cap, out_len);
	if (p->l4proto == IPPROTO_UDP &&
	    p->dport == RTE_BE16(DHCP_SERVER_PORT))
		return dhcp_input(vn, p, now_seconds(), out, cap, out_len);
	if (p->l4proto == IPPROTO_UDP && p->dport == RTE_BE16(DNS_PORT))
		return dns_fwd_query(sp, vn, p, worker, out, cap, out_len);
	return DROP_NO_HANDLER;
}

/**
 * slowpath_send() - hand a reply to a worker's TX ring
 * @sp:		slow path
 * @reply:	frame, m->port set; consumed
 * @worker:	worker that sends it (the one that received the request)
 */
void slowpath_send(struct slowpath *sp, struct rte_mbuf *reply,
		   unsigned worker)
{
	struct worker *w = &sp->e->workers[worker];

	if (rte_ring_mp_enqueue(w->tx_ring, reply)) {
		counters_drop(&sp->ctr, DROP_TX_FULL);
		rte_pktmbuf_free(reply);
		return;
	}
	counters_add(&sp->ctr.answered, 1);
	engine_wake(&w->sleeping, w->wake_fd);
}

static void slowpath_frame(struct slowpath *sp, struct rte_mbuf *m)
{
	struct port *pt = engine_port_of(sp->e, m->port);
	struct rte_mbuf *reply = rte_pktmbuf_alloc(pt->pool);
	enum drop_reason r = DROP_NO_MBUF;
	size_t len = 0;
	struct pkt p;

	counters_add(&sp->ctr.rx, 1);
	if (reply) {
		/* the worker has validated the frame: locate headers only */
		parse_frame(rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
			    PARSE_L4_CSUM_OK, &p);
		r = slowpath_answer(sp, pt->vn, &p, m->hash.usr,
				    rte_pktmbuf_mtod(reply, uint8_t *),
				    rte_pktmbuf_tailroom(reply), &len);
	}
	if (r)
		counters_drop(&sp->ctr, r);
	if (!r && len) {
		rte_pktmbuf_append(reply, (uint16_t)len);
		reply->port = m->port;
		slowpath_send(sp, reply, m->hash.usr);
	} else {
		rte_pktmbuf_free(reply);
	}
	rte_pktmbuf_free(m);
}

#define SLOWPATH_TICK_MS	250	/* DNS timeouts are checked this often */
#define SLOWPATH_RA_INITIAL	3	/* RFC 4861 §6.2.4 MAX_INITIAL_RTR_ADVERTISEMENTS */
#define SLOWPATH_RA_INITIAL_S	4	/* between them: a guest coming up soon
					 * after its port hears one */

/*
 * Unsolicited router advertisements (RFC 4861 §6.2.4): each port gets three
 * once it is served (also a guest added at runtime), then one every
 * NDP_RA_INTERVAL_S. A guest's Router Solicitation is answered at once
 * anyway; these are for guests that do not ask.
 */
static void slowpath_ra_tick(struct slowpath *sp, uint64_t now)
{
	uint64_t hz = rte_get_tsc_hz();

	for (unsigned i = 0; i < sp->e->n_ports; i++) {
		struct port *pt = &sp->e->ports[i];
		struct vnet *vn = pt->vn;
		struct rte_mbuf *m;

		if (!__atomic_load_n(&pt->active, __ATOMIC_ACQUIRE) ||
		    now < vn->ra_next_tsc)
			continue;
		vn->ra_next_tsc = now + hz * (vn->ra_sent < SLOWPATH_RA_INITIAL - 1 ?
					      SLOWPATH_RA_INITIAL_S :
					      NDP_RA_INTERVAL_S);
		vn->ra_sent++;
		m = rte_pktmbuf_alloc(pt->pool);
		if (!m || rte_pktmbuf_tailroom(m) < NDP_RA_MAX) {
			counters_drop(&sp->ctr, DROP_NO_MBUF);
			rte_pktmbuf_free(m);
			continue;
		}
		m->data_len = m->pkt_len = (uint32_t)ndp_build_unsolicited_ra(
			pt->vn, rte_pktmbuf_mtod(m, uint8_t *), NDP_RA_MAX);
		m->port = pt->port_id;
		slowpath_send(sp, m, 0);
	}
}

/* Milliseconds the slow path may sleep: until the next RA or DNS tick */
static int slowpath_sleep_ms(struct slowpath *sp)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz(), next = UINT64_MAX, ms;

	for (unsigned i = 0; i < sp->e->n_ports; i++)
		if (__atomic_load_n(&sp->e->ports[i].active, __ATOMIC_ACQUIRE))
			next = RTE_MIN(next, sp->e->vnets[i].ra_next_tsc);
	if (next == UINT64_MAX)
		ms = INT32_MAX;
	else
		ms = next > now ? (next - now) * 1000 / hz + 1 : 0;

	if (dns_fwd_pending(sp) && ms > SLOWPATH_TICK_MS)
		ms = SLOWPATH_TICK_MS;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void slowpath_poll(struct slowpath *sp, int timeout_ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(sp->epfd, ev, 16, timeout_ms);
	uint64_t v;

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == SLOWPATH_EV_DNS)
			dns_fwd_upstream_read(sp);
		else if (read(sp->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			BLOG(DEBUG, "slow path wake fd: %s", strerror(errno));
	}
}

/* Sleep until a worker passes a frame, an answer arrives, or a tick */
static void slowpath_sleep(struct slowpath *sp)
{
	__atomic_store_n(&sp->sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!rte_ring_count(sp->ring))
		slowpath_poll(sp, slowpath_sleep_ms(sp));
	__atomic_store_n(&sp->sleeping, 0, __ATOMIC_RELAXED);
}

/**
 * slowpath_main() - body of the slow-path thread
 * @arg:	struct slowpath
 *
 * Return: NULL
 */
void *slowpath_main(void *arg)
{
	struct slowpath *sp = arg;
	struct rte_mbuf *pkts[ENGINE_BURST];

	pthread_setname_np(pthread_self(), "broth-slow");
	if (rte_thread_register())
		BLOG(WARNING, "slow path: no lcore id, mempool caches off");
	while (!engine_quitting(sp->e)) {
		unsigned n = rte_ring_sc_dequeue_burst(sp->ring, (void **)pkts,
						       ENGINE_BURST, NULL);

		for (unsigned i = 0; i < n; i++)
			slowpath_frame(sp, pkts[i]);
		if (n && dns_fwd_pending(sp))
			slowpath_poll(sp, 0);
		else if (!n)
			slowpath_sleep(sp);
		dns_fwd_expire(sp, rte_rdtsc());
		slowpath_ra_tick(sp, rte_rdtsc());
	}
	rte_thread_unregister();
	return NULL;
}

/**
 * slowpath_init() - ring, epoll set and wake fd of the slow path
 * @sp:		slow path
 * @e:		engine
 *
 * Return: 0, or -errno
 */
int slowpath_init(struct slowpath *sp, struct broth_engine *e)
{
	struct epoll_event ev = { .events = EPOLLIN };

	sp->e = e;
	sp->epfd = epoll_create1(EPOLL_CLOEXEC);
	sp->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sp->epfd < 0 || sp->wake_fd < 0)
		return -errno;
	ev.data.u64 = SLOWPATH_EV_WAKE;
	if (epoll_ctl(sp->epfd, EPOLL_CTL_ADD, sp->wake_fd, &ev))
		return -errno;
	sp->ring = rte_ring_create("slowpath", ENGINE_RING_SIZE, SOCKET_ID_ANY,
				   RING_F_SC_DEQ);
	return sp->ring ? 0 : -ENOMEM;
}

/**
 * slowpath_fini() - free the slow path's ring (and frames left in it) and fds
 * @sp:		slow path, stopped
 */
void slowpath_fini(struct slowpath *sp)
{
	struct rte_mbuf *m;

	dns_fwd_fini(sp);
	if (sp->ring) {
		while (!rte_ring_dequeue(sp->ring, (void **)&m))
			rte_pktmbuf_free(m);
		rte_ring_free(sp->ring);
		sp->ring = NULL;
	}
	if (sp->epfd >= 0)
		close(sp->epfd);
	if (sp->wake_fd >= 0)
		close(sp->wake_fd);
	sp->epfd = sp->wake_fd = -1;
}
