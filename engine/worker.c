/* SPDX-License-Identifier: MIT */
/*
 * worker.c - the per-worker data-path loop
 *
 * Theory of operation
 *
 * Worker k reads RX queue k of every port in bursts. Each frame is parsed
 * once and routed:
 *  - control traffic (ARP, DHCP) goes to the slow path's ring; the slow
 *    path's replies come back on this worker's TX ring and leave on TX
 *    queue k, so every queue has exactly one sender;
 *  - a ping to the gateway is answered in place and sent straight back;
 *  - everything else belongs to a flow, whose owner is flow_owner() of the
 *    symmetric flow hash; a frame that arrived on another worker's queue is
 *    passed to the owner's handoff ring (bounded: a full ring drops and
 *    counts, it never blocks).
 * Sends are buffered per port and flushed once per loop iteration.
 *
 * While frames flow the worker polls; after WORKER_IDLE_US without work it
 * sleeps in epoll_wait on the queues' RX interrupt fds and its wake eventfd,
 * so an idle broth uses no CPU. An empty poll yields the CPU: workers share
 * their cores with the guests' peers (and with the guests, for netns
 * guests), and a worker spinning on a trickle of frames took a core from
 * them (under a SYN flood with 2 workers on 2 vCPUs, a concurrent download
 * kept 38-49 % of its rate with a spin, 55-63 % with sched_yield()).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_timer.h>

#include "cksum.h"
#include "engine.h"
#include "flow_hash.h"
#include "frame.h"
#include "icmp.h"
#include "inet.h"
#include "log.h"
#include "parse.h"
#include "slowpath/arp.h"
#include "slowpath/dhcp.h"
#include "slowpath/dhcp6.h"
#include "slowpath/dns.h"
#include "tcp.h"
#include "tcp_out.h"
#include "ping.h"
#include "reasm.h"
#include "udp.h"

#define WORKER_IDLE_US	200
#define WORKER_IMPAIR_HOLD	4096	/* frames held by one impairment stage */

static inline bool ip4_is_bcast_mcast(const struct vnet *vn, rte_be32_t a)
{
	return a == vn->bcast4 || a == RTE_BE32(0xffffffff) ||
	       (a & RTE_BE32(0xf0000000)) == RTE_BE32(0xe0000000);
}

static void worker_drop(struct worker *w, struct rte_mbuf *m,
			enum drop_reason r)
{
	counters_drop(&w->ctr, r);
	rte_pktmbuf_free(m);
}

__thread struct worker *worker_self;

/* A frame above net_tap's own limit: keep order, then write it ourselves */
static void worker_tx_big(struct worker *w, unsigned pidx, struct rte_mbuf *m)
{
	counters_add(&w->ctr.tx,
		     rte_eth_tx_buffer_flush(w->e->ports[pidx].port_id, w->id,
					     w->txb[pidx]));
	if (port_tap_write(w->txfd[pidx], m))
		counters_drop(&w->ctr, DROP_TX_FULL);
	else
		counters_add(&w->ctr.tx, 1);
	rte_pktmbuf_free(m);
}

/* --- vhost-user: TX queues the guest did not enable (port_vhost.c) --- */

/*
 * The guest may use fewer queues than there are workers: a frame for an
 * unusable TX queue goes to the TX ring of the worker whose queue takes it,
 * which sends it in its next iteration (one sender per queue, no lock).
 * Return true if @m was consumed here.
 */
static bool worker_tx_elsewhere(struct worker *w, struct port *pt,
				struct rte_mbuf *m)
{
	int q = port_tx_queue(pt, w->id);
	struct worker *o;

	if (likely(q == (int)w->id))
		return false;
	if (q < 0) {
		worker_drop(w, m, DROP_TX_NO_GUEST);
		return true;
	}
	o = &w->e->workers[q];
	m->port = pt->port_id;
	if (rte_ring_mp_enqueue(o->tx_ring, m)) {
		worker_drop(w, m, DROP_TX_FULL);
		return true;
	}
	engine_wake(&o->sleeping, o->wake_fd);
	return true;
}

/* --- end vhost-user --- */

static void worker_tx_raw(struct worker *w, unsigned pidx, struct rte_mbuf *m)
{
	struct port *pt = &w->e->ports[pidx];
	uint16_t sent;

	if (unlikely(!w->port_on[pidx])) {	/* the guest was removed */
		worker_drop(w, m, DROP_PORT_GONE);
		return;
	}
	if (unlikely(pt->vh != NULL) && worker_tx_elsewhere(w, pt, m))
		return;
	/* net_tap refuses frames above its own limit; net_vhost takes any */
	if (unlikely(m->pkt_len > PORT_TAP_DRIVER_MAX && pt->kind == PORT_TAP)) {
		worker_tx_big(w, pidx, m);
		return;
	}
	sent = rte_eth_tx_buffer(pt->port_id, w->id, w->txb[pidx], m);
	counters_add(&w->ctr.tx, sent);
}

/**
 * worker_send() - queue a frame for the guest on this worker's TX queue
 * @w:		worker
 * @pidx:	port index
 * @m:		frame, consumed
 */
void worker_send(struct worker *w, unsigned pidx, struct rte_mbuf *m)
{
	struct rte_mbuf *out[2];
	unsigned n;

	if (likely(!w->im_tx[pidx])) {
		worker_tx_raw(w, pidx, m);
		return;
	}
	n = impair_burst(w->im_tx[pidx], &m, 1, out, 2, rte_rdtsc());
	for (unsigned i = 0; i < n; i++)
		worker_tx_raw(w, pidx, out[i]);
}

#define WORKER_FRAGS_MAX	64

/**
 * worker_send_mtu() - send an IP frame, fragmented at the guest's MTU
 * @w:		worker
 * @pidx:	port index
 * @m:		Ethernet + IPv4/IPv6 frame, possibly a chain; consumed
 *
 * Datagrams from the host (UDP, echo replies) may be up to 64 KB while the
 * guest's link is smaller: split them with rte_ip_frag, without copying.
 * broth is the source of these packets toward the guest, so it may fragment
 * IPv6 too (RFC 8200 §4.5).
 */
void worker_send_mtu(struct worker *w, unsigned pidx, struct rte_mbuf *m)
{
	const struct port *pt = &w->e->ports[pidx];
	struct rte_ether_hdr eh = *rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	bool v6 = eh.ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	struct rte_mbuf *frags[WORKER_FRAGS_MAX];
	int n;

	if (m->pkt_len <= FRAME_ETH_LEN + (uint32_t)pt->vn->mtu) {
		worker_send(w, pidx, m);
		return;
	}
	rte_pktmbuf_adj(m, FRAME_ETH_LEN);
	if (v6) {
		/* fragments of 8-byte multiples; the guest MTU is >= 1280 */
		n = rte_ipv6_fragment_packet(m, frags, WORKER_FRAGS_MAX,
					     RTE_MAX(pt->vn->mtu, 1280),
					     pt->pool, pt->pool);
	} else {
		/* frame_ip4() sets DF, which the fragmenter rightly refuses */
		rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->fragment_offset = 0;
		n = rte_ipv4_fragment_packet(m, frags, WORKER_FRAGS_MAX,
					     pt->vn->mtu, pt->pool, pt->pool);
	}
	rte_pktmbuf_free(m);
	if (n < 0) {
		counters_drop(&w->ctr, DROP_FRAGMENT_FAILED);
		return;
	}
	for (int i = 0; i < n; i++) {
		rte_memcpy(rte_pktmbuf_prepend(frags[i], FRAME_ETH_LEN), &eh,
			   sizeof(eh));
		if (!v6) {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				frags[i], struct rte_ipv4_hdr *, FRAME_ETH_LEN);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		worker_send(w, pidx, frags[i]);
	}
}

/**
 * worker_send_icmp_error() - build and send an ICMP(v6) error to the guest
 * @w:		worker
 * @pidx:	port of the guest
 * @src:	reporter: the gateway, or the router the host heard it from;
 *		its family picks ICMP or ICMPv6
 * @mac:	guest MAC
 * @type, @code, @info:	type, code and second word (MTU) of that family
 * @quote:	the guest's IP header and the first 8 bytes after it
 * @qlen:	length of @quote
 */
void worker_send_icmp_error(struct worker *w, unsigned pidx,
			    const uint8_t src[INET_ALEN],
			    const struct rte_ether_addr *mac, uint8_t type,
			    uint8_t code, uint32_t info, const uint8_t *quote,
			    size_t qlen)
{
	const struct port *pt = &w->e->ports[pidx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(pt->pool);
	size_t n;

	if (!m) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return;
	}
	n = icmp_error(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
		       pt->vn, src, mac, type, code, info, quote, qlen);
	if (!n) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = m->pkt_len = (uint32_t)n;
	counters_add(&w->ctr.icmp_errors_relayed, 1);
	worker_send(w, pidx, m);
}

/**
 * worker_send_unreach() - "destination unreachable" from the gateway
 * @w:		worker
 * @pidx:	port of the guest
 * @mac:	guest MAC
 * @guest:	the guest's address: its family picks ICMP or ICMPv6
 * @net:	no route to the network (else to the host / address)
 * @quote:	the guest's packet, from its IP header
 * @qlen:	bytes of @quote
 */
void worker_send_unreach(struct worker *w, unsigned pidx,
			 const struct rte_ether_addr *mac,
			 const uint8_t guest[INET_ALEN], bool net,
			 const uint8_t *quote, size_t qlen)
{
	bool v4 = inet_is_v4(guest);
	uint8_t gw[INET_ALEN];

	vnet_gateway_for(w->e->ports[pidx].vn, guest, gw);
	/* ICMP: 3, 0 net / 1 host; ICMPv6: 1, 0 no route / 3 address */
	worker_send_icmp_error(w, pidx, gw, mac, v4 ? 3 : 1,
			       v4 ? !net : (net ? 0 : 3), 0, quote, qlen);
}

/**
 * worker_send_unreach_err() - worker_send_unreach() for a guest packet the
 *			       host could not send
 * @w:		worker
 * @pidx:	port of the guest
 * @m:		the packet (its first segment is quoted)
 * @p:		its parse
 * @err:	errno of the host's send: ENETUNREACH, EHOSTUNREACH; others
 *		are ignored
 */
void worker_send_unreach_err(struct worker *w, unsigned pidx,
			     const struct rte_mbuf *m, const struct pkt *p,
			     int err)
{
	if (err != ENETUNREACH && err != EHOSTUNREACH)
		return;
	worker_send_unreach(w, pidx,
			    &((const struct rte_ether_hdr *)p->data)->src_addr,
			    p->saddr, err == ENETUNREACH, p->data + p->l3_off,
			    RTE_MIN(p->l3_len, (uint32_t)(m->data_len - p->l3_off)));
}

/**
 * worker_arp_guest() - ask for the guest's MAC on port @pidx
 * @w:		worker
 * @pidx:	port index
 */
void worker_arp_guest(struct worker *w, unsigned pidx)
{
	struct port *pt = &w->e->ports[pidx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(pt->pool);

	if (!m) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return;
	}
	m->data_len = m->pkt_len =
		(uint32_t)arp_build_request(pt->vn, rte_pktmbuf_mtod(m, uint8_t *));
	worker_send(w, pidx, m);
}

static void worker_tx_flush(struct worker *w)
{
	for (unsigned i = 0; i < w->e->n_ports; i++)
		if (w->port_on[i])
			counters_add(&w->ctr.tx,
				     rte_eth_tx_buffer_flush(w->e->ports[i].port_id,
							     w->id, w->txb[i]));
}

/* Frames of flows owned by this worker: the protocol handlers */
static void worker_flow_input(struct worker *w, struct rte_mbuf *m,
			      const struct pkt *p)
{
	if (p->l4proto == IPPROTO_TCP) {
		tcp_guest_input(w, w->e->port_idx[m->port], m, p);
		return;
	}
	if (p->l4proto == IPPROTO_UDP) {
		udp_guest_input(w, w->e->port_idx[m->port], m, p);
		return;
	}
	if (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) {
		ping_guest_input(w, w->e->port_idx[m->port], m, p);
		return;
	}
	worker_drop(w, m, DROP_NO_HANDLER);
}

static void worker_handoff(struct worker *w, struct rte_mbuf *m,
			   const struct pkt *p, uint16_t vnet_id,
			   uint32_t *wake_mask)
{
	uint32_t h = p->l4proto == IPPROTO_UDP ? udp_flow_hash(vnet_id, p) :
		     flow_hash(vnet_id, p->l4proto, p->saddr, p->daddr,
			       p->sport, p->dport);
	unsigned owner = flow_owner(h, w->e->n_workers);
	struct worker *o = &w->e->workers[owner];

	if (owner == w->id) {
		worker_flow_input(w, m, p);
		return;
	}
	if (rte_ring_mp_enqueue(o->handoff, m)) {
		worker_drop(w, m, DROP_HANDOFF_RING_FULL);
		return;
	}
	counters_add(&w->ctr.handoff_out, 1);
	*wake_mask |= 1u << owner;
}

#define WORKER_CHAIN_HDR_MIN	256	/* headers must be in the first segment */

/*
 * A frame larger than one mbuf (MTU above ~2000) arrives as a chain: the
 * headers are parsed in the first segment, the L4 checksum over the chain.
 */
static enum drop_reason worker_parse_chain(struct rte_mbuf *m, struct pkt *p)
{
	enum drop_reason r;
	uint32_t sum = 0;
	uint16_t raw;

	if (m->data_len < WORKER_CHAIN_HDR_MIN)
		return DROP_ETH_MULTISEG;
	r = parse_frame(rte_pktmbuf_mtod(m, uint8_t *), m->pkt_len,
			PARSE_L4_CSUM_OK, p);
	if (r || !p->l4proto)
		return r ? r : DROP_ETH_MULTISEG;
	/* IPv4 UDP may go without a checksum; parse_frame() refused it on v6 */
	if (p->l4proto == IPPROTO_UDP &&
	    !rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, p->l4_off)->dgram_cksum)
		return DROP_NONE;
	if (p->v6)
		sum = cksum_pseudo6(p->saddr, p->daddr, p->l4proto, p->l4_len);
	else if (p->l4proto != IPPROTO_ICMP)
		sum = cksum_pseudo4(p->src4, p->dst4, p->l4proto,
				    (uint16_t)p->l4_len);
	if (rte_raw_cksum_mbuf(m, p->l4_off, p->l4_len, &raw) ||
	    __rte_raw_cksum_reduce(sum + raw) != 0xffff)
		return p->l4proto == IPPROTO_TCP ? DROP_TCP_BAD_CSUM :
		       p->l4proto == IPPROTO_UDP ? DROP_UDP_BAD_CSUM :
		       DROP_ICMP_BAD_CSUM;
	return DROP_NONE;
}

/* worker_classify() verdict: not a drop reason, the frame is control traffic */
#define WORKER_SLOWPATH		DROP__COUNT

/* ICMPv6 from the guest: neighbor discovery goes to the slow path, echo
 * requests are flows or answered, the rest (MLD, its own RAs) is not ours */
static enum drop_reason worker_classify_icmp6(const struct pkt *p)
{
	switch (p->icmp_type) {
	case ICMPV6_ROUTER_SOLICIT:
	case ICMPV6_NEIGHBOR_SOLICIT:
		return WORKER_SLOWPATH;
	case ICMPV6_ECHO_REQUEST:
		return inet6_is_mcast(p->daddr) ? DROP_IPV6_MCAST : DROP_NONE;
	default:
		return DROP_ICMP6_IGNORED;
	}
}

/*
 * Control traffic for the slow path (ARP, DHCP, DNS to the gateway, NDP,
 * DHCPv6), DROP_NONE for the data path, or why the frame is dropped.
 */
static enum drop_reason worker_classify(const struct vnet *vn,
					const struct pkt *p)
{
	if (p->ethertype == RTE_ETHER_TYPE_ARP)
		return WORKER_SLOWPATH;
	if (p->l4proto == IPPROTO_UDP &&
	    (p->dport == RTE_BE16(p->v6 ? DHCP6_SERVER_PORT : DHCP_SERVER_PORT) ||
	     (p->dport == RTE_BE16(DNS_PORT) && vnet_is_gateway(vn, p->daddr))))
		return WORKER_SLOWPATH;
	if (p->v6) {
		if (p->l4proto == IPPROTO_ICMPV6)
			return worker_classify_icmp6(p);
		return inet6_is_mcast(p->daddr) ? DROP_IPV6_MCAST : DROP_NONE;
	}
	return ip4_is_bcast_mcast(vn, p->dst4) ? DROP_IPV4_BCAST_MCAST : DROP_NONE;
}

/*
 * Anti-spoofing: a guest speaks only from its own MAC (once the port has
 * told us which it is) and its own addresses: the vnet's guest address
 * (0.0.0.0 while it asks DHCP for it), an address in its /64, link-local, or
 * :: (duplicate address detection). Anything else could hijack another
 * guest's flows or hide who sent it.
 */
static enum drop_reason worker_antispoof(const struct vnet *vn,
					 const struct pkt *p)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->data;
	static const uint8_t unspec6[16];
	rte_be32_t spa;

	if (vn->guest_mac_fixed &&
	    !rte_is_same_ether_addr(&eh->src_addr, &vn->fixed_mac))
		return DROP_SPOOFED_MAC;
	if (p->v6)
		return !memcmp(p->saddr, vn->net6, 8) ||
		       inet6_is_linklocal(p->saddr) ||
		       inet_eq(p->saddr, unspec6) ? DROP_NONE : DROP_SPOOFED_IP;
	if (p->ethertype == RTE_ETHER_TYPE_ARP) {
		memcpy(&spa, p->data + p->l3_off + 14, 4);	/* sender IP */
		return spa == vn->guest4 || !spa ? DROP_NONE : DROP_SPOOFED_IP;
	}
	if (p->src4 == vn->guest4)
		return DROP_NONE;
	return !p->src4 && p->l4proto == IPPROTO_UDP &&
	       p->dport == RTE_BE16(DHCP_SERVER_PORT) ? DROP_NONE : DROP_SPOOFED_IP;
}

/* Return true if @m must go to the slow path */
static bool worker_frame(struct worker *w, unsigned pidx, struct rte_mbuf *m,
			 uint32_t *wake_mask)
{
	struct vnet *vn = w->e->ports[pidx].vn;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	enum drop_reason r;
	struct pkt p;

	if (likely(m->nb_segs == 1))
		r = parse_frame(data, m->data_len, 0, &p);
	else
		r = worker_parse_chain(m, &p);
	if (unlikely(r == DROP_IPV4_FRAGMENT || r == DROP_IPV6_FRAGMENT)) {
		m = reasm_input(&w->reasm, m, &p);
		return m ? worker_frame(w, pidx, m, wake_mask) : false;
	}
	if (!r)
		r = worker_antispoof(vn, &p);
	if (r) {
		worker_drop(w, m, r);
		return false;
	}
	r = worker_classify(vn, &p);
	if (r == WORKER_SLOWPATH) {
		if (m->nb_segs == 1)
			return true;
		worker_drop(w, m, DROP_ETH_MULTISEG);	/* control frames are small */
		return false;
	}
	if (r) {
		worker_drop(w, m, r);
		return false;
	}
	if (vnet_is_gateway(vn, p.daddr) &&
	    (p.l4proto == IPPROTO_ICMP || p.l4proto == IPPROTO_ICMPV6)) {
		r = p.v6 ? icmp6_gateway_echo(vn, data, &p, m->nb_segs == 1) :
		    icmp_gateway_echo(vn, data, &p, m->nb_segs == 1);
		if (r) {
			worker_drop(w, m, r);
			return false;
		}
		rte_pktmbuf_trim(m, m->pkt_len - (p.l3_off + p.l3_len));
		counters_add(&w->ctr.answered, 1);
		worker_send_mtu(w, pidx, m);
		return false;
	}
	worker_handoff(w, m, &p, vn->id, wake_mask);
	return false;
}

static void worker_wake_mask(struct worker *w, uint32_t mask)
{
	for (unsigned i = 0; mask; i++, mask >>= 1)
		if (mask & 1)
			engine_wake(&w->e->workers[i].sleeping,
				    w->e->workers[i].wake_fd);
}

#define WORKER_RX_MAX	(4 * ENGINE_BURST)	/* a burst after impairment */

static void worker_rx_frames(struct worker *w, unsigned pidx,
			     struct rte_mbuf **pkts, unsigned n)
{
	struct rte_mbuf *slow[WORKER_RX_MAX];
	unsigned n_slow = 0;
	uint32_t wake = 0;

	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (worker_frame(w, pidx, pkts[i], &wake))
			slow[n_slow++] = pkts[i];
	}
	if (n_slow)
		slowpath_enqueue_burst(&w->e->sp, w, slow, n_slow);
	if (wake)
		worker_wake_mask(w, wake);
}

/* --impair: frames held back earlier whose time has come, both ways */
static unsigned worker_impair_due(struct worker *w, unsigned pidx)
{
	struct rte_mbuf *out[WORKER_RX_MAX];
	uint64_t now = rte_rdtsc();
	unsigned n = impair_due(w->im_rx[pidx], out, WORKER_RX_MAX, now);
	unsigned k = impair_due(w->im_tx[pidx], out + n, WORKER_RX_MAX - n, now);

	worker_rx_frames(w, pidx, out, n);
	for (unsigned i = n; i < n + k; i++)
		worker_tx_raw(w, pidx, out[i]);
	return n + k;
}

static unsigned worker_rx_port(struct worker *w, unsigned pidx)
{
	struct rte_mbuf *raw[ENGINE_BURST], *out[WORKER_RX_MAX];
	struct impair *im = w->im_rx[pidx];
	uint16_t n;
	unsigned work;

	if (unlikely(!port_rx_on(&w->e->ports[pidx], w->id)))
		return 0;	/* vhost-user: no guest, or queue not enabled */
	n = port_rx_burst(&w->e->ports[pidx], (uint16_t)w->id, raw,
			  ENGINE_BURST);
	work = n;

	counters_add(&w->ctr.rx, n);
	if (likely(!im)) {
		worker_rx_frames(w, pidx, raw, n);
		return n;
	}
	n = (uint16_t)impair_burst(im, raw, n, out, WORKER_RX_MAX, rte_rdtsc());
	worker_rx_frames(w, pidx, out, n);
	return work + worker_impair_due(w, pidx);
}

static unsigned worker_drain_rings(struct worker *w)
{
	struct rte_mbuf *pkts[ENGINE_BURST];
	struct pkt p;
	unsigned n, total;

	n = rte_ring_sc_dequeue_burst(w->tx_ring, (void **)pkts, ENGINE_BURST,
				      NULL);
	for (unsigned i = 0; i < n; i++)	/* DNS answers may be large */
		worker_send_mtu(w, w->e->port_idx[pkts[i]->port], pkts[i]);
	total = n;

	n = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, ENGINE_BURST,
				      NULL);
	counters_add(&w->ctr.handoff_in, n);
	for (unsigned i = 0; i < n; i++) {
		if (unlikely(!w->port_on[w->e->port_idx[pkts[i]->port]])) {
			worker_drop(w, pkts[i], DROP_PORT_GONE);
			continue;
		}
		/* Checked by the receiving worker: only locate headers again */
		parse_frame(rte_pktmbuf_mtod(pkts[i], uint8_t *),
			    pkts[i]->pkt_len, PARSE_L4_CSUM_OK, &p);
		worker_flow_input(w, pkts[i], &p);
	}
	return total + n;
}

#define WORKER_EVENTS	64

/* Dispatch epoll events; RX queue fds need nothing: rx_burst drains them */
static unsigned worker_poll_events(struct worker *w, int timeout_ms)
{
	struct epoll_event ev[WORKER_EVENTS];
	int n = epoll_wait(w->epfd, ev, WORKER_EVENTS, timeout_ms);
	uint64_t v;

	for (int i = 0; i < n; i++) {
		uint32_t type = (uint32_t)(ev[i].data.u64 >> 32);
		uint32_t idx = (uint32_t)ev[i].data.u64;

		if (type == WORKER_EV_TCP)
			tcp_sock_event(w, idx, ev[i].events);
		else if (type == WORKER_EV_LISTEN)
			tcp_fwd_accept(w, idx);
		else if (type == WORKER_EV_UDP)
			udp_sock_event(w, idx, ev[i].events);
		else if (type == WORKER_EV_PING)
			ping_sock_event(w, idx, ev[i].events);
		else if (type == WORKER_EV_RXQ && w->port_on[idx])
			port_rx_intr_ack(&w->e->ports[idx], (uint16_t)w->id);
		else if (type == WORKER_EV_WAKE &&
			 read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			BLOG(DEBUG, "worker %u wake fd: %s", w->id, strerror(errno));
	}
	return n > 0 ? (unsigned)n : 0;
}

static int tsc_to_ms_ceil(uint64_t tsc)
{
	uint64_t ms = (tsc * 1000 + rte_get_tsc_hz() - 1) / rte_get_tsc_hz();

	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Milliseconds until this worker has timed work (timers, held frames) */
static int worker_sleep_ms(struct worker *w)
{
	int64_t ticks = rte_timer_next_ticks();
	uint64_t next = ticks < 0 ? UINT64_MAX : (uint64_t)ticks, now = rte_rdtsc();

	for (unsigned i = 0; i < w->e->n_ports; i++) {
		if (!w->im_rx[i])
			continue;
		next = RTE_MIN(next, impair_next_due(w->im_rx[i], now));
		next = RTE_MIN(next, impair_next_due(w->im_tx[i], now));
	}
	return next == UINT64_MAX ? -1 : tsc_to_ms_ceil(next);
}

/* Ask every port to signal new frames (vhost-user); false if some wait */
static bool worker_ports_arm(struct worker *w)
{
	bool idle = true;

	for (unsigned i = 0; i < w->e->n_ports; i++)
		if (w->port_on[i])
			idle &= port_rx_arm(&w->e->ports[i], (uint16_t)w->id);
	return idle;
}

static void worker_ports_disarm(struct worker *w)
{
	for (unsigned i = 0; i < w->e->n_ports; i++)
		if (w->port_on[i])
			port_rx_disarm(&w->e->ports[i], (uint16_t)w->id);
}

static void worker_sleep(struct worker *w)
{
	bool idle = worker_ports_arm(w);

	__atomic_store_n(&w->sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (idle && engine_ring_empty(w->handoff) &&
	    engine_ring_empty(w->tx_ring) &&
	    !__atomic_load_n(&w->ctl_pending, __ATOMIC_ACQUIRE))
		worker_poll_events(w, worker_sleep_ms(w));
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
	worker_ports_disarm(w);
}

static unsigned worker_iteration(struct worker *w)
{
	unsigned work = 0;

	if (unlikely(__atomic_load_n(&w->ctl_pending, __ATOMIC_ACQUIRE)))
		worker_ctl_run(w);
	for (unsigned i = 0; i < w->e->n_ports; i++)
		if (w->port_on[i])
			work += worker_rx_port(w, i);
	work += worker_drain_rings(w);
	if (w->tcp.n_used || w->udp.n_used || w->ping.n_used || w->e->n_fwds)
		work += worker_poll_events(w, 0);
	rte_timer_manage();
	tcp_flush(w);
	flow_reap(&w->udp);
	flow_reap(&w->ping);
	reasm_expire(&w->reasm, rte_rdtsc());
	worker_tx_flush(w);
	return work;
}

/**
 * worker_main() - body of a worker thread
 * @arg:	struct worker
 *
 * Return: NULL
 */
void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t idle_cycles = rte_get_tsc_hz() / 1000000 * WORKER_IDLE_US;
	uint64_t last_work = rte_rdtsc();
	char name[16];

	snprintf(name, sizeof(name), "broth-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
	if (rte_thread_register())
		BLOG(WARNING, "worker %u: no lcore id, mempool caches off", w->id);
	worker_self = w;

	while (!engine_quitting(w->e)) {
		if (worker_iteration(w)) {
			last_work = rte_rdtsc();
			continue;
		}
		if (rte_rdtsc() - last_work < idle_cycles) {
			sched_yield();	/* at once if nothing else wants the core */
			continue;
		}
		worker_sleep(w);
		last_work = rte_rdtsc();
	}
	tcp_worker_fini(w);
	udp_worker_fini(w);
	ping_worker_fini(w);
	reasm_fini(&w->reasm);
	worker_tx_flush(w);
	rte_thread_unregister();
	return NULL;
}

static struct rte_ring *worker_ring(const char *what, unsigned id)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "w%u_%s", id, what);
	return rte_ring_create(name, ENGINE_RING_SIZE, SOCKET_ID_ANY,
			       RING_F_SC_DEQ);
}

/**
 * worker_init() - rings, epoll set and wake fd of a worker
 * @w:		worker
 * @e:		engine
 * @id:		worker index, also its queue index on every port
 *
 * Return: 0, or -errno
 */
int worker_init(struct worker *w, struct broth_engine *e, unsigned id)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint32_t max = e->conf.max_flows ? e->conf.max_flows :
		       BROTH_MAX_FLOWS_DEFAULT;
	int rc;

	w->id = id;
	w->e = e;
	for (unsigned i = 0; i < ENGINE_MAX_FWDS; i++)
		w->listen_fd[i] = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0)
		return -errno;
	ev.data.u64 = worker_ev_tag(WORKER_EV_WAKE, 0);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev))
		return -errno;
	ratelim_init(&w->rst_lim, rte_get_tsc_hz(), TCP_RST_RATE, TCP_RST_BURST,
		     rte_rdtsc());
	w->handoff = worker_ring("handoff", id);
	w->tx_ring = worker_ring("tx", id);
	if (!w->handoff || !w->tx_ring)
		return -ENOMEM;
	rc = tcp_worker_init(w, (max + e->n_workers - 1) / e->n_workers);
	if (!rc)
		rc = udp_worker_init(w, (max + e->n_workers - 1) / e->n_workers);
	if (!rc)
		rc = ping_worker_init(w, 1024);
	if (!rc)
		rc = reasm_init(&w->reasm, &w->ctr);
	return rc;
}

static int worker_port_setup(struct worker *w, unsigned pidx)
{
	struct port *pt = &w->e->ports[pidx];
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = port_rx_intr_fd(pt, w->id);
	/* the guest's flows spread over the workers by hash: so does its rate */
	uint32_t rate = RTE_MAX(pt->vn->flow_rate / w->e->n_workers, 1u);

	w->txfd[pidx] = fd;
	ratelim_init(&w->flow_lim[pidx], rte_get_tsc_hz(), rate, rate, rte_rdtsc());

	w->txb[pidx] = rte_zmalloc("txb", RTE_ETH_TX_BUFFER_SIZE(ENGINE_BURST),
				   0);
	if (!w->txb[pidx])
		return -ENOMEM;
	rte_eth_tx_buffer_init(w->txb[pidx], ENGINE_BURST);
	if (w->e->impair[pidx].enabled) {
		unsigned id = w->id << 8 | pidx << 1;

		w->im_rx[pidx] = impair_create(&w->e->impair[pidx], id,
					       WORKER_IMPAIR_HOLD);
		w->im_tx[pidx] = impair_create(&w->e->impair[pidx], id | 1,
					       WORKER_IMPAIR_HOLD);
		if (!w->im_rx[pidx] || !w->im_tx[pidx])
			return -ENOMEM;
	}
	rte_eth_tx_buffer_set_err_callback(w->txb[pidx],
					   rte_eth_tx_buffer_count_callback,
					   &w->ctr.drop[DROP_TX_FULL]);
	if (fd < 0) {
		BLOG(WARNING, "%s queue %u: no RX interrupt (%s), polling",
		     pt->devname, w->id, strerror(-fd));
		return 0;
	}
	ev.data.u64 = worker_ev_tag(WORKER_EV_RXQ, pidx);
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/**
 * worker_add_port() - start serving a port's queue @w->id
 * @w:		worker
 * @pidx:	index of the port in the engine
 *
 * Return: 0, or -errno (then the port is not served)
 */
int worker_add_port(struct worker *w, unsigned pidx)
{
	int rc = worker_port_setup(w, pidx);

	if (!rc)
		w->port_on[pidx] = true;
	return rc;
}

/* Stop serving port @pidx: its flows end, its queue leaves the epoll set */
static void worker_del_port(struct worker *w, unsigned pidx)
{
	tcp_close_port(w, pidx);
	udp_close_port(w, pidx);
	ping_close_port(w, pidx);
	w->port_on[pidx] = false;
	if (w->txfd[pidx] >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->txfd[pidx], NULL);
	w->txfd[pidx] = -1;
	impair_free(w->im_rx[pidx]);
	impair_free(w->im_tx[pidx]);
	w->im_rx[pidx] = w->im_tx[pidx] = NULL;
	if (w->txb[pidx]) {	/* frames for a guest that is gone */
		for (uint16_t k = 0; k < w->txb[pidx]->length; k++)
			rte_pktmbuf_free(w->txb[pidx]->pkts[k]);
		rte_free(w->txb[pidx]);
		w->txb[pidx] = NULL;
	}
}

/* Copy the live flows of a port into the request's buffer */
static void worker_flows_cb(struct flow *f, void *arg)
{
	struct worker *w = arg;
	struct worker_ctl *c = &w->ctl;
	struct broth_flow_info *fi;

	if (f->pidx != c->arg || c->n >= c->cap)
		return;
	fi = &c->flows[c->n++];
	fi->proto = f->key.proto;
	fi->state = f->state;
	fi->worker = (uint8_t)w->id;
	memcpy(fi->gaddr, f->key.gaddr, 16);
	memcpy(fi->raddr, f->key.raddr, 16);
	fi->gport = rte_be_to_cpu_16(f->key.gport);
	fi->rport = rte_be_to_cpu_16(f->key.rport);
}

/**
 * worker_ctl_run() - carry out the main thread's request (runtime.c)
 * @w:		worker, on its own thread
 *
 * The request is read after ctl_pending (acquire) and answered by clearing
 * it (release): the main thread waits for that.
 */
void worker_ctl_run(struct worker *w)
{
	struct worker_ctl *c = &w->ctl;
	char err[256];

	c->rc = 0;
	switch (c->op) {
	case WOP_ADD_PORT:
		c->rc = worker_add_port(w, c->arg);
		break;
	case WOP_DEL_PORT:
		worker_del_port(w, c->arg);
		break;
	case WOP_ADD_FWD:
		c->rc = tcp_fwd_listen(w, c->arg, err, sizeof(err));
		if (c->rc)
			BLOG(WARNING, "worker %u: %s", w->id, err);
		break;
	case WOP_DEL_FWD:
		if (w->listen_fd[c->arg] >= 0)
			close(w->listen_fd[c->arg]);
		w->listen_fd[c->arg] = -1;
		break;
	case WOP_FLOWS:
		c->n = 0;
		flow_for_each_live(&w->tcp, worker_flows_cb, w);
		flow_for_each_live(&w->udp, worker_flows_cb, w);
		flow_for_each_live(&w->ping, worker_flows_cb, w);
		break;
	default:
		c->rc = -EINVAL;
	}
	__atomic_store_n(&w->ctl_pending, 0, __ATOMIC_RELEASE);
}

static void ring_free_all(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (!r)
		return;
	while (!rte_ring_dequeue(r, (void **)&m))
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

/**
 * worker_fini() - free what worker_init() and worker_add_port() created
 * @w:		worker, stopped
 */
void worker_fini(struct worker *w)
{
	tcp_fwd_close_all(w);
	tcp_worker_fini(w);
	udp_worker_fini(w);
	ping_worker_fini(w);
	reasm_fini(&w->reasm);
	ring_free_all(w->handoff);
	ring_free_all(w->tx_ring);
	w->handoff = w->tx_ring = NULL;
	for (unsigned i = 0; i < BROTH_MAX_VNETS; i++) {
		impair_free(w->im_rx[i]);
		impair_free(w->im_tx[i]);
		w->im_rx[i] = w->im_tx[i] = NULL;
		if (w->txb[i]) {
			/* the loop flushes every iteration; this is a guard */
			for (uint16_t k = 0; k < w->txb[i]->length; k++)
				rte_pktmbuf_free(w->txb[i]->pkts[k]);
			rte_free(w->txb[i]);
			w->txb[i] = NULL;
		}
	}
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->epfd = w->wake_fd = -1;
}
