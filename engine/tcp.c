/* SPDX-License-Identifier: MIT */
/*
 * tcp.c - TCP split proxy: the guest side and the connection lifecycle
 *
 * Theory of operation
 *
 * broth terminates the guest's TCP connection and carries its bytes on an
 * ordinary host socket (DESIGN.md §4; data layout in tcp_conn.h).
 *
 *  guest SYN ──► socket()+connect() ──(EPOLLOUT)──► SYN-ACK ──► guest ACK
 *    CONNECTING                        SYNACK_SENT              ESTABLISHED
 *
 * A SYN-ACK is sent only once the host connect() has succeeded; a refusal
 * becomes a RST, an unreachable host an ICMP error, a timeout nothing (the
 * guest's own SYN timeout applies). In ESTABLISHED, guest segments are
 * validated (RFC 793 acceptability, RFC 5961 for RST/SYN/ACK), their
 * payloads queued for the socket and acknowledged; host bytes are peeked
 * into segments within the guest's window and retransmitted on RTO (RFC
 * 6298, backoff) or after three duplicate ACKs.
 *
 * Closing is tracked with flags, not states, because the two directions end
 * independently (half-close): a guest FIN becomes shutdown(SHUT_WR) once the
 * queue is written; a host EOF becomes our FIN once all data is sent. When
 * both are done and our FIN is acknowledged the flow ends. A guest RST
 * closes the socket with SO_LINGER {1, 0} so the host peer sees a reset; a
 * host reset becomes a RST to the guest.
 *
 * All work on a connection is done by its owner worker. Events (guest
 * segments, socket readiness, timers) mark the connection dirty; tcp_flush()
 * then does the syscalls once per connection per burst.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "engine.h"
#include "flow_hash.h"
#include "frame.h"
#include "inet.h"
#include "log.h"
#include "mbuf_chain.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "tcp_out.h"
#include "tcp_recover.h"
#include "tcp_sock.h"

#define TCP_OPT_EOL	0
#define TCP_OPT_NOP	1
#define TCP_OPT_MSS	2
#define TCP_OPT_WS	3
#define TCP_OPT_SACKP	4
#define TCP_DEFAULT_MSS	536
#define TCP_MAX_WS	14

static uint64_t ms_to_tsc(uint32_t ms)
{
	return rte_get_tsc_hz() / 1000 * ms;
}

static struct tcp_conn *tcp_conn_at(struct worker *w, uint32_t idx)
{
	return (struct tcp_conn *)flow_at(&w->tcp, idx);
}

static void tcp_dirty(struct worker *w, struct tcp_conn *c)
{
	if (c->flags & TCPF_DIRTY)
		return;
	c->flags |= TCPF_DIRTY;
	w->tcp_dirty[w->n_tcp_dirty++] = c->f.idx;
}

static void tcp_list_free(struct rte_mbuf *m)
{
	while (m) {
		struct rte_mbuf *next = *mbuf_link(m);

		rte_pktmbuf_free(m);
		m = next;
	}
}

/*
 * A new connection, within both the worker's table and the vnet's share of
 * flows (the vnet count is shared by all workers, hence atomic).
 */
static struct tcp_conn *tcp_conn_new(struct worker *w, unsigned pidx,
				     const struct flow_key *k)
{
	struct vnet *vn = w->e->ports[pidx].vn;
	struct tcp_conn *c;

	if (__atomic_add_fetch(&vn->n_flows, 1, __ATOMIC_RELAXED) > vn->max_flows ||
	    !(c = (struct tcp_conn *)flow_alloc(&w->tcp, k))) {
		__atomic_sub_fetch(&vn->n_flows, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	rte_timer_init(&c->timer);
	c->f.pidx = (uint16_t)pidx;
	c->l4_off = (uint8_t)(FRAME_ETH_LEN + frame_ip_len(k->gaddr));
	return c;
}

/* The MSS we advertise: the guest's MTU less our IP and TCP headers */
static uint16_t tcp_our_mss(struct worker *w, const struct tcp_conn *c)
{
	return (uint16_t)(w->e->ports[c->f.pidx].vn->mtu -
			  (tcp_hdr_len(c) - FRAME_ETH_LEN));
}

/* End a connection; @reset_host: the host peer sees a RST */
static void tcp_close(struct worker *w, struct tcp_conn *c, bool reset_host)
{
	if (c->f.state == FLOW_DEAD)
		return;
	__atomic_sub_fetch(&w->e->ports[c->f.pidx].vn->n_flows, 1,
			   __ATOMIC_RELAXED);
	counters_add(&w->ctr.tcp_closed, 1);
	rte_timer_stop(&c->timer);
	if (reset_host)
		tcp_sock_abort(c);
	tcp_list_free(c->pend_head);
	tcp_list_free(c->ooo);
	c->pend_head = c->pend_tail = c->ooo = NULL;
	flow_kill(&w->tcp, &c->f);
}

/* The host side failed or reset: tell the guest with a RST */
static void tcp_reset_guest(struct worker *w, struct tcp_conn *c)
{
	tcp_out_ctl(w, c, c->snd_nxt, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	tcp_close(w, c, false);
}

static void tcp_timer_cb(struct rte_timer *t, void *arg);

static void tcp_timer_arm(struct tcp_conn *c, uint32_t ms)
{
	rte_timer_reset(&c->timer, ms_to_tsc(ms), SINGLE, rte_lcore_id(),
			tcp_timer_cb, c);
}

static bool tcp_has_unacked(const struct tcp_conn *c)
{
	return c->snd_nxt != c->snd_una;
}

/*
 * Port forward: (re)send our SYN, or first an ARP request while the guest's
 * MAC is unknown (a guest that only serves may not have spoken yet).
 */
static void tcp_syn_send(struct worker *w, struct tcp_conn *c)
{
	struct vnet *vn = w->e->ports[c->f.pidx].vn;

	if (!vnet_guest_mac_get(vn, &c->guest_mac)) {
		worker_arp_guest(w, c->f.pidx);
		tcp_timer_arm(c, TCP_ARP_WAIT_MS);
		return;
	}
	tcp_out_syn(w, c, tcp_our_mss(w, c), false);
	tcp_timer_arm(c, c->rto);
}

/* RFC 6298 5.5: double the timeout, up to TCP_RTO_MAX_MS */
static void tcp_rto_backoff(struct tcp_conn *c)
{
	c->rto = c->rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : c->rto * 2;
}

/*
 * A handshake step went unanswered: our SYN (a port forward) or our SYN-ACK
 * (a guest that went silent after its SYN, or whose RST was lost). Send it
 * again with backoff; after TCP_SYN_RETRIES give up and reset the host side,
 * so the connection does not hold a socket and a flow slot for ever.
 */
static void tcp_handshake_retry(struct worker *w, struct tcp_conn *c)
{
	bool synack = c->state == TCPS_SYNACK_SENT;

	if (++c->retries > TCP_SYN_RETRIES) {
		counters_drop(&w->ctr, synack ? DROP_TCP_HANDSHAKE_TIMEOUT :
						DROP_TCP_CONNECT_TIMEOUT);
		tcp_close(w, c, true);
		return;
	}
	tcp_rto_backoff(c);
	if (!synack) {
		tcp_syn_send(w, c);
		return;
	}
	tcp_out_syn(w, c, tcp_our_mss(w, c), true);
	tcp_timer_arm(c, c->rto);
}

/* RTO expired: go back to snd_una and send again, with backoff */
static void tcp_timer_cb(struct rte_timer *t, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = worker_self;

	(void)t;
	if (c->f.state == FLOW_DEAD)
		return;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYNACK_SENT) {
		tcp_handshake_retry(w, c);
		return;
	}
	if (c->state != TCPS_ESTABLISHED)
		return;
	if (!tcp_has_unacked(c) && c->snd_wnd) {
		c->retries = 0;
		return;
	}
	if (++c->retries > TCP_MAX_RETRIES) {
		counters_drop(&w->ctr, DROP_TCP_TIMEOUT);
		tcp_reset_guest(w, c);
		return;
	}
	tcp_rto_backoff(c);
	if (tcp_has_unacked(c)) {
		counters_add(&w->ctr.tcp_rto, 1);
		if (tcp_sock_rewind(c))
			c->flags |= TCPF_HOST_EOF;
	} else {
		/* zero window: probe with an old sequence number for an ACK */
		tcp_out_ctl(w, c, c->snd_una - 1, RTE_TCP_ACK_FLAG);
	}
	tcp_timer_arm(c, c->rto);
	tcp_dirty(w, c);
}

static void tcp_parse_syn_opts(struct tcp_conn *c, const uint8_t *o,
			       uint32_t len)
{
	c->mss = TCP_DEFAULT_MSS;
	for (uint32_t i = 0; i < len;) {
		uint8_t kind = o[i], olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = o[i + 1]) < 2 || i + olen > len)
			break;	/* malformed: keep what was read so far */
		if (kind == TCP_OPT_MSS && olen == 4)
			c->mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
		else if (kind == TCP_OPT_WS && olen == 3) {
			c->snd_ws = o[i + 2] > TCP_MAX_WS ? TCP_MAX_WS : o[i + 2];
			c->flags |= TCPF_WS_OK;
		} else if (kind == TCP_OPT_SACKP && olen == 2)
			c->flags |= TCPF_SACK_OK;
		i += olen;
	}
}

/* Largest payload per segment to the guest: its MSS and our MTU */
static uint16_t tcp_mss_clamp(struct worker *w, struct tcp_conn *c)
{
	uint32_t mss = c->mss ? c->mss : TCP_DEFAULT_MSS;

	/* what the guest sends us is bounded by the MSS we advertise */
	c->rcv_mss = (uint16_t)RTE_MIN(tcp_our_mss(w, c), TCP_RCV_WIN / 2);
	if (mss > tcp_our_mss(w, c))
		mss = tcp_our_mss(w, c);
	return (uint16_t)(mss < 64 ? 64 : mss);
}

static void tcp_connected(struct worker *w, struct tcp_conn *c)
{
	c->state = TCPS_SYNACK_SENT;
	tcp_out_syn(w, c, tcp_our_mss(w, c), true);
	c->snd_nxt = c->snd_max = c->iss + 1;
	tcp_timer_arm(c, c->rto);	/* tcp_handshake_retry() */
}

static void tcp_connect_failed(struct worker *w, struct tcp_conn *c, int err)
{
	switch (err) {
	case -ETIMEDOUT:
		counters_drop(&w->ctr, DROP_TCP_CONNECT_TIMEOUT);
		tcp_close(w, c, false);
		return;
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		counters_drop(&w->ctr, DROP_TCP_UNREACHABLE);
		tcp_out_unreach(w, c, err == -ENETUNREACH);
		tcp_close(w, c, false);
		return;
	default:	/* refused, reset, no route we can name */
		counters_drop(&w->ctr, DROP_TCP_REFUSED);
		tcp_out_ctl(w, c, 0, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
		tcp_close(w, c, false);
	}
}

/* Where the host socket connects for a guest's destination; -1: refuse */
static int tcp_host_dst(struct worker *w, const struct vnet *vn,
			const struct pkt *p, uint8_t out[INET_ALEN])
{
	if (p->dport == RTE_BE16(DNS_PORT) && vnet_is_gateway(vn, p->daddr)) {
		if (!w->e->n_dns_up)		/* DNS over TCP: the upstream */
			return -1;
		inet_sa_get(&w->e->dns_up[0], out, NULL);
		return 0;
	}
	return vnet_host_dst(vn, vn->no_host_loopback, p->daddr, out);
}

static void tcp_open(struct worker *w, unsigned pidx, const struct pkt *p,
		     const struct flow_key *k)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	struct vnet *vn = w->e->ports[pidx].vn;
	uint8_t dst[INET_ALEN];
	bool ok = !tcp_host_dst(w, vn, p, dst);
	struct tcp_conn *c;
	int rc;

	if (ok && !worker_flow_admit(w, pidx)) {
		counters_drop(&w->ctr, DROP_TCP_FLOW_RATE);
		return;
	}
	if (!ok || !(c = tcp_conn_new(w, pidx, k))) {
		counters_drop(&w->ctr, ok ? DROP_TCP_FLOW_LIMIT : DROP_TCP_DST_REFUSED);
		tcp_out_rst_to(w, pidx, p);
		return;
	}
	c->guest_mac = ((const struct rte_ether_hdr *)p->data)->src_addr;
	c->state = TCPS_CONNECTING;
	c->rcv_nxt = rte_be_to_cpu_32(th->sent_seq) + 1;
	c->iss = (uint32_t)rte_rand();
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = rte_be_to_cpu_16(th->rx_win);	/* SYN: never scaled */
	c->rto = TCP_RTO_INIT_MS;
	tcp_parse_syn_opts(c, p->data + p->l4_off + sizeof(*th),
			   p->payload_off - p->l4_off - sizeof(*th));
	c->mss = tcp_mss_clamp(w, c);
	counters_add(&w->ctr.tcp_opened, 1);
	rc = tcp_sock_connect(w, c, dst, p->dport);
	if (rc == -EMFILE || rc == -ENFILE) {
		counters_drop(&w->ctr, DROP_TCP_NO_FD);
		tcp_out_ctl(w, c, 0, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
		tcp_close(w, c, false);
	} else if (rc) {
		tcp_connect_failed(w, c, rc);
	}
}

/* RFC 5961 §3: only an exact RST is accepted, an in-window one is challenged */
static void tcp_rst_in(struct worker *w, struct tcp_conn *c, uint32_t seq)
{
	if (seq == c->rcv_nxt) {
		tcp_close(w, c, true);
		return;
	}
	if (seq_lt(c->rcv_nxt, seq) && seq_lt(seq, c->rcv_nxt + TCP_RCV_WIN))
		c->flags |= TCPF_ACK_NOW;
	counters_drop(&w->ctr, DROP_TCP_BAD_RST);
}

static void tcp_rtt_sample(struct tcp_conn *c)
{
	uint32_t r = (uint32_t)((rte_rdtsc() - c->rtt_tsc) * 1000 /
				rte_get_tsc_hz());

	if (!c->srtt) {
		c->srtt = r ? r : 1;
		c->rttvar = r / 2;
	} else {
		uint32_t d = r > c->srtt ? r - c->srtt : c->srtt - r;

		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	c->rto = c->srtt + 4 * c->rttvar;
	if (c->rto < TCP_RTO_MIN_MS)
		c->rto = TCP_RTO_MIN_MS;
	c->rtt_seq = 0;
}

static void tcp_new_ack(struct worker *w, struct tcp_conn *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una;

	if ((c->flags & TCPF_FIN_EVER) && ack == c->fin_seq + 1) {
		c->flags |= TCPF_FIN_ACKED;
		acked--;
	}
	if (acked && tcp_sock_discard(c, acked)) {
		tcp_reset_guest(w, c);
		return;
	}
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, ack))	/* ACK of data sent before a rewind */
		c->snd_nxt = ack;
	c->retries = 0;
	c->dupacks = 0;
	if (c->rtt_seq && seq_le(c->rtt_seq, ack))
		tcp_rtt_sample(c);
	if (tcp_has_unacked(c))
		tcp_timer_arm(c, c->rto);
	else
		rte_timer_stop(&c->timer);
}

/* Return false if the segment must be dropped (ACK beyond what we sent) */
static bool tcp_ack_in(struct worker *w, struct tcp_conn *c,
		       const struct pkt *p)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);
	uint32_t wnd = (uint32_t)rte_be_to_cpu_16(th->rx_win) << c->snd_ws;
	struct tcp_sack_blk blk[TCP_SACK_MAX];
	unsigned n = 0;
	bool advanced = seq_lt(c->snd_una, ack);

	if (seq_lt(c->snd_max, ack)) {
		c->flags |= TCPF_ACK_NOW;
		counters_drop(&w->ctr, DROP_TCP_BAD_ACK);
		return false;
	}
	if (p->payload_off - p->l4_off > sizeof(*th))
		n = tcp_sack_parse(c, p, blk);
	if (advanced) {
		tcp_new_ack(w, c, ack);
		if (c->f.state == FLOW_DEAD)
			return false;
	} else if (ack == c->snd_una && !p->payload_len &&
		   wnd == c->snd_wnd && tcp_has_unacked(c)) {
		c->dupacks++;
	}
	tcp_recover_on_ack(w, c, advanced, blk, n);
	/* a reopened window, or a probe answered with nothing outstanding,
	 * shows a live guest: persist probes never give up (RFC 1122 4.2.2.17) */
	if ((!c->snd_wnd && wnd) || !tcp_has_unacked(c))
		c->retries = 0;
	c->snd_wnd = wnd;
	if (!wnd && !tcp_has_unacked(c) && !rte_timer_pending(&c->timer))
		tcp_timer_arm(c, c->rto);	/* persist: probe the window */
	return true;
}

/* Strip headers and padding so the mbuf holds only the payload */
static void tcp_to_payload(struct rte_mbuf *m, const struct pkt *p)
{
	rte_pktmbuf_adj(m, (uint16_t)p->payload_off);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->payload_len));
}

static void tcp_queue(struct tcp_conn *c, struct rte_mbuf *m, uint32_t skip)
{
	if (skip >= m->pkt_len) {
		c->rcv_nxt += m->pkt_len;	/* nothing new in it */
		rte_pktmbuf_free(m);
		return;
	}
	m = mbuf_chain_adj(m, skip);
	c->rcv_nxt += m->pkt_len;
	c->pend_bytes += m->pkt_len;
	*mbuf_link(m) = NULL;
	if (c->pend_tail)
		*mbuf_link(c->pend_tail) = m;
	else
		c->pend_head = m;
	c->pend_tail = m;
}

/*
 * Move out-of-order segments that are now in order to the write queue. Once
 * the guest's FIN is in, what is still held lies beyond the end of its
 * stream (a guest contradicting itself): dropped, never written to the host,
 * where it would land one byte off, after the FIN's sequence number.
 */
static void tcp_ooo_drain(struct worker *w, struct tcp_conn *c)
{
	struct rte_mbuf *m;

	while ((m = c->ooo) && !(c->flags & TCPF_GUEST_FIN) &&
	       seq_le((uint32_t)m->hash.usr, c->rcv_nxt)) {
		uint32_t seq = (uint32_t)m->hash.usr;
		uint32_t end = seq + m->pkt_len;
		bool fin = m->hash.fdir.hi;

		c->ooo = *mbuf_link(m);
		c->n_ooo--;
		if (seq_le(end, c->rcv_nxt))
			rte_pktmbuf_free(m);
		else
			tcp_queue(c, m, c->rcv_nxt - seq);
		if (fin && end == c->rcv_nxt && !(c->flags & TCPF_GUEST_FIN)) {
			c->rcv_nxt++;
			c->flags |= TCPF_GUEST_FIN;
		}
	}
	while ((c->flags & TCPF_GUEST_FIN) && (m = c->ooo)) {
		c->ooo = *mbuf_link(m);
		c->n_ooo--;
		counters_drop(&w->ctr, DROP_TCP_OUT_OF_WINDOW);
		rte_pktmbuf_free(m);
	}
}

/* Hold a segment that arrived early; its FIN, if any, rides in hash.fdir.hi */
static void tcp_ooo_insert(struct worker *w, struct tcp_conn *c,
			   struct rte_mbuf *m, uint32_t seq, bool fin)
{
	struct rte_mbuf **pp = &c->ooo;

	if (c->n_ooo >= TCP_OOO_MAX) {
		counters_drop(&w->ctr, DROP_TCP_OOO_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	while (*pp && seq_lt((uint32_t)(*pp)->hash.usr, seq))
		pp = mbuf_link(*pp);
	if (*pp && (uint32_t)(*pp)->hash.usr == seq) {
		rte_pktmbuf_free(m);	/* duplicate */
		return;
	}
	m->hash.usr = seq;
	m->hash.fdir.hi = fin;
	*mbuf_link(m) = *pp;
	*pp = m;
	c->n_ooo++;
}

static uint32_t tcp_rcv_space(const struct tcp_conn *c)
{
	return c->pend_bytes >= TCP_RCV_WIN ? 0 : TCP_RCV_WIN - c->pend_bytes;
}

/* Payload and FIN of an acceptable segment; consumes @m */
static void tcp_data_in(struct worker *w, struct tcp_conn *c,
			struct rte_mbuf *m, const struct pkt *p, uint32_t seq,
			bool fin)
{
	uint32_t len = p->payload_len;

	tcp_to_payload(m, p);
	if (!len && !fin) {	/* pure ACK; an old one (window probe) is answered */
		if (seq_lt(seq, c->rcv_nxt))
			c->flags |= TCPF_ACK_NOW;
		rte_pktmbuf_free(m);
		return;
	}
	if ((c->flags & TCPF_GUEST_FIN) ||
	    seq_lt(seq + len, c->rcv_nxt) ||
	    (seq + len == c->rcv_nxt && !fin)) {
		if (len || fin)
			c->flags |= TCPF_ACK_NOW;	/* duplicate: re-ACK */
		rte_pktmbuf_free(m);
		return;
	}
	c->flags |= TCPF_ACK_NOW;
	if (seq_lt(c->rcv_nxt, seq)) {
		if (seq - c->rcv_nxt >= tcp_rcv_space(c) || !len) {
			counters_drop(&w->ctr, DROP_TCP_OUT_OF_WINDOW);
			rte_pktmbuf_free(m);
		} else {
			tcp_ooo_insert(w, c, m, seq, fin);
		}
		return;
	}
	if (len - (c->rcv_nxt - seq) > tcp_rcv_space(c)) {
		counters_drop(&w->ctr, DROP_TCP_OUT_OF_WINDOW);
		rte_pktmbuf_free(m);	/* beyond our window: guest resends */
		return;
	}
	tcp_queue(c, m, c->rcv_nxt - seq);
	if (fin && seq + len == c->rcv_nxt) {
		c->rcv_nxt++;
		c->flags |= TCPF_GUEST_FIN;
	}
	tcp_ooo_drain(w, c);
}

static void tcp_established_in(struct worker *w, struct tcp_conn *c,
			       struct rte_mbuf *m, const struct pkt *p)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);

	if (c->state == TCPS_SYNACK_SENT) {
		if (rte_be_to_cpu_32(th->recv_ack) != c->iss + 1) {
			tcp_out_rst_to(w, c->f.pidx, p);
			counters_drop(&w->ctr, DROP_TCP_BAD_ACK);
			rte_pktmbuf_free(m);
			return;
		}
		c->state = TCPS_ESTABLISHED;
		c->snd_una = c->iss + 1;
		c->retries = 0;
		c->flags |= TCPF_READABLE | TCPF_WRITABLE;
		flow_set_state(&c->f, FLOW_ACTIVE);
	}
	if (!tcp_ack_in(w, c, p)) {
		rte_pktmbuf_free(m);
		return;
	}
	tcp_data_in(w, c, m, p, seq, th->tcp_flags & RTE_TCP_FIN_FLAG);
}

static void tcp_no_conn(struct worker *w, unsigned pidx, struct rte_mbuf *m,
			const struct pkt *p, const struct flow_key *k)
{
	uint8_t fl = ((const struct rte_tcp_hdr *)(p->data + p->l4_off))->tcp_flags;

	/* SYN+FIN is a scan, not a connection: dropped as Linux does */
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) ==
	    (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) {
		counters_drop(&w->ctr, DROP_TCP_NO_CONN);
	} else if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
		   RTE_TCP_SYN_FLAG) {
		tcp_open(w, pidx, p, k);
	} else if (!(fl & RTE_TCP_RST_FLAG)) {
		counters_drop(&w->ctr, DROP_TCP_NO_CONN);
		tcp_out_rst_to(w, pidx, p);
	} else {
		counters_drop(&w->ctr, DROP_TCP_NO_CONN);
	}
	rte_pktmbuf_free(m);
}

/* A free gateway-side port whose flow lands on this worker, 0 if none */
static uint16_t tcp_fwd_port(struct worker *w, const struct vnet *vn,
			     uint16_t guest_port, struct flow_key *k)
{
	uint8_t guest[INET_ALEN], gw[INET_ALEN];

	for (unsigned i = 0; i < 256; i++) {
		uint16_t port = (uint16_t)(32768 + rte_rand_max(28000));
		uint32_t h;

		inet_from_v4(guest, vn->guest4);
		inet_from_v4(gw, vn->gw4);
		h = flow_hash(vn->id, IPPROTO_TCP, guest, gw,
			      rte_cpu_to_be_16(guest_port), rte_cpu_to_be_16(port));
		if (flow_owner(h, w->e->n_workers) != w->id)
			continue;
		flow_key(k, vn->id, IPPROTO_TCP, guest,
			 rte_cpu_to_be_16(guest_port), gw, rte_cpu_to_be_16(port));
		if (!flow_lookup(&w->tcp, k))
			return port;
	}
	return 0;
}

/**
 * tcp_open_inbound() - a host connection accepted for a port forward
 * @w:		worker that accepted it
 * @pidx:	port of the guest
 * @fd:		accepted socket, non-blocking; owned from here on
 * @guest_port:	destination port in the guest
 *
 * The guest sees a connection from the gateway address.
 */
void tcp_open_inbound(struct worker *w, unsigned pidx, int fd,
		      uint16_t guest_port)
{
	struct vnet *vn = w->e->ports[pidx].vn;
	struct tcp_conn *c = NULL;
	struct flow_key k;
	struct linger lg = { 1, 0 };

	if (tcp_fwd_port(w, vn, guest_port, &k))
		c = tcp_conn_new(w, pidx, &k);
	if (!c) {
		counters_drop(&w->ctr, DROP_TCP_FLOW_LIMIT);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		return;
	}
	c->state = TCPS_SYN_SENT;
	c->iss = (uint32_t)rte_rand();
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rto = TCP_RTO_INIT_MS;
	c->mss = tcp_mss_clamp(w, c);
	counters_add(&w->ctr.tcp_opened, 1);
	if (tcp_sock_adopt(w, c, fd)) {
		tcp_close(w, c, true);
		return;
	}
	tcp_syn_send(w, c);
}

/* Port forward: the guest answers our SYN */
static void tcp_synsent_in(struct worker *w, struct tcp_conn *c,
			   const struct pkt *p)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	uint8_t fl = th->tcp_flags;

	if (!(fl & RTE_TCP_ACK_FLAG) ||
	    rte_be_to_cpu_32(th->recv_ack) != c->iss + 1) {
		if (!(fl & RTE_TCP_RST_FLAG))
			tcp_out_rst_to(w, c->f.pidx, p);
		counters_drop(&w->ctr, DROP_TCP_BAD_ACK);
		return;
	}
	if (fl & RTE_TCP_RST_FLAG) {		/* nothing listens in the guest */
		counters_drop(&w->ctr, DROP_TCP_REFUSED);
		tcp_close(w, c, true);
		return;
	}
	if (!(fl & RTE_TCP_SYN_FLAG))
		return;
	tcp_parse_syn_opts(c, p->data + p->l4_off + sizeof(*th),
			   p->payload_off - p->l4_off - sizeof(*th));
	c->mss = tcp_mss_clamp(w, c);
	c->rcv_nxt = rte_be_to_cpu_32(th->sent_seq) + 1;
	c->snd_una = c->iss + 1;
	c->snd_wnd = rte_be_to_cpu_16(th->rx_win);	/* SYN: never scaled */
	c->retries = 0;
	c->rto = TCP_RTO_INIT_MS;
	rte_timer_stop(&c->timer);
	c->state = TCPS_ESTABLISHED;
	c->flags |= TCPF_READABLE | TCPF_WRITABLE | TCPF_ACK_NOW;
	flow_set_state(&c->f, FLOW_ACTIVE);
}

/**
 * tcp_guest_input() - a TCP segment from the guest, on its owner worker
 * @w:		worker
 * @pidx:	port it came from
 * @m:		frame, consumed
 * @p:		parsed frame (validated IPv4/TCP)
 */
void tcp_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		     const struct pkt *p)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	uint8_t fl = th->tcp_flags;
	struct flow_key k;
	struct tcp_conn *c;

	flow_key(&k, w->e->ports[pidx].vn->id, IPPROTO_TCP, p->saddr, p->sport,
		 p->daddr, p->dport);
	c = (struct tcp_conn *)flow_lookup(&w->tcp, &k);
	if (!c) {
		tcp_no_conn(w, pidx, m, p, &k);
		return;
	}
	tcp_dirty(w, c);
	if (c->state == TCPS_SYN_SENT) {
		tcp_synsent_in(w, c, p);
	} else if (fl & RTE_TCP_RST_FLAG) {
		tcp_rst_in(w, c, rte_be_to_cpu_32(th->sent_seq));
	} else if (fl & RTE_TCP_SYN_FLAG) {
		/* a retransmitted SYN gets our SYN-ACK again, others a challenge */
		if (c->state == TCPS_SYNACK_SENT &&
		    rte_be_to_cpu_32(th->sent_seq) + 1 == c->rcv_nxt)
			tcp_out_syn(w, c, tcp_our_mss(w, c), true);
		else if (c->state == TCPS_ESTABLISHED)
			c->flags |= TCPF_ACK_NOW;
	} else if ((fl & RTE_TCP_ACK_FLAG) && c->state != TCPS_CONNECTING) {
		tcp_established_in(w, c, m, p);
		return;
	}
	rte_pktmbuf_free(m);
}

/**
 * tcp_sock_event() - readiness of a connection's host socket
 * @w:		worker
 * @idx:	flow index
 * @events:	EPOLL* bits
 */
void tcp_sock_event(struct worker *w, uint32_t idx, uint32_t events)
{
	struct tcp_conn *c = tcp_conn_at(w, idx);
	int rc;

	if (c->f.state == FLOW_DEAD || c->f.state == FLOW_FREE)
		return;
	if (c->state == TCPS_CONNECTING) {
		rc = tcp_sock_connect_result(c);
		if (!rc)
			tcp_connected(w, c);
		else if (rc != -EINPROGRESS && rc != -EALREADY)
			tcp_connect_failed(w, c, rc);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP))
		c->flags |= TCPF_READABLE;
	if (events & EPOLLOUT)
		c->flags |= TCPF_WRITABLE;
	if ((events & EPOLLERR) && tcp_sock_connect_result(c)) {
		counters_drop(&w->ctr, DROP_TCP_HOST_RESET);
		tcp_reset_guest(w, c);
		return;
	}
	tcp_dirty(w, c);
}

/* Writes, reads, FIN and ACK for one connection, once per burst */
static void tcp_flush_conn(struct worker *w, struct tcp_conn *c)
{
	bool was_closed = c->flags & TCPF_WND_CLOSED;

	if (c->pend_head && (c->flags & TCPF_WRITABLE))
		tcp_sock_write(w, c);
	if ((c->flags & TCPF_GUEST_FIN) && !c->pend_head &&
	    !(c->flags & TCPF_HOST_SHUT)) {
		shutdown(c->f.fd, SHUT_WR);
		c->flags |= TCPF_HOST_SHUT;
	}
	if (c->state != TCPS_ESTABLISHED)
		return;
	tcp_sock_to_guest(w, c);
	if (c->flags & TCPF_HOST_ERR) {
		counters_drop(&w->ctr, DROP_TCP_HOST_RESET);
		tcp_reset_guest(w, c);
		return;
	}
	if ((c->flags & TCPF_HOST_EOF) && !(c->flags & TCPF_FIN_SENT) &&
	    !(c->flags & TCPF_READABLE)) {
		c->fin_seq = c->snd_nxt;
		tcp_out_ctl(w, c, c->snd_nxt, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
		tcp_snd_advance(c, 1);
		c->flags |= TCPF_FIN_SENT | TCPF_FIN_EVER;
		c->flags &= ~TCPF_ACK_NOW;
	}
	if (tcp_has_unacked(c) && !rte_timer_pending(&c->timer))
		tcp_timer_arm(c, c->rto);
	/* a window that reopens must be announced: the guest is waiting */
	if (was_closed && tcp_rcv_space(c) >= c->rcv_mss)
		c->flags |= TCPF_ACK_NOW;
	if (c->flags & TCPF_ACK_NOW)
		tcp_out_ack(w, c);
	c->flags &= ~TCPF_ACK_NOW;
	if ((c->flags & TCPF_GUEST_FIN) && (c->flags & TCPF_FIN_ACKED) &&
	    (c->flags & TCPF_HOST_SHUT)) {
		tcp_close(w, c, false);
	}
}

/**
 * tcp_flush() - end of a burst: per-connection work, then free dead flows
 * @w:		worker
 */
void tcp_flush(struct worker *w)
{
	for (uint32_t i = 0; i < w->n_tcp_dirty; i++) {
		struct tcp_conn *c = tcp_conn_at(w, w->tcp_dirty[i]);

		c->flags &= ~TCPF_DIRTY;
		if (c->f.state != FLOW_DEAD && c->f.state != FLOW_FREE)
			tcp_flush_conn(w, c);
	}
	w->n_tcp_dirty = 0;
	flow_reap(&w->tcp);
}

/**
 * tcp_worker_init() - flow table and dirty list of a worker
 * @w:		worker
 * @max_flows:	connections this worker may hold
 *
 * Return: 0, or -ENOMEM
 */
int tcp_worker_init(struct worker *w, uint32_t max_flows)
{
	char name[RTE_HASH_NAMESIZE];
	int rc;

	snprintf(name, sizeof(name), "tcp_w%u", w->id);
	rc = flow_table_init(&w->tcp, name, max_flows, sizeof(struct tcp_conn));
	if (rc)
		return rc;
	w->tcp_dirty = rte_malloc("tcp_dirty", sizeof(uint32_t) * max_flows, 0);
	return w->tcp_dirty ? 0 : -ENOMEM;
}

static void tcp_abort_cb(struct flow *f, void *w)
{
	tcp_close(w, (struct tcp_conn *)f, true);
}

/* tcp_close_port() - reset every connection of a guest that is removed */
void tcp_close_port(struct worker *w, unsigned pidx)
{
	flow_for_each_of_port(&w->tcp, (uint16_t)pidx, tcp_abort_cb, w);
}

/* tcp_worker_fini() - close every connection and free the table */
void tcp_worker_fini(struct worker *w)
{
	if (!w->tcp.slots)
		return;
	flow_for_each_live(&w->tcp, tcp_abort_cb, w);
	flow_reap(&w->tcp);
	flow_table_fini(&w->tcp);
	rte_free(w->tcp_dirty);
	w->tcp_dirty = NULL;
}
