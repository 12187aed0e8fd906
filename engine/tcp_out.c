/* SPDX-License-Identifier: MIT */
/*
 * tcp_out.c - segments from broth to the guest
 *
 * Data segments are built around a payload already read into the mbuf at
 * tcp_hdr_len(), so the payload is written once, by the kernel. Control
 * segments (SYN-ACK, ACK, FIN, RST) carry no payload.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "engine.h"
#include "frame.h"
#include "mbuf_chain.h"
#include "tcp_conn.h"
#include "tcp_out.h"

static struct vnet *conn_vnet(struct worker *w, const struct tcp_conn *c)
{
	return w->e->ports[c->f.pidx].vn;
}

/**
 * tcp_out_window() - receive window to advertise, in segment units
 * @c:		connection
 * @syn:	true for a SYN-ACK, whose window is never scaled
 *
 * Return: the 16-bit window field
 */
uint16_t tcp_out_window(struct tcp_conn *c, bool syn)
{
	uint32_t free = c->pend_bytes >= TCP_RCV_WIN ? 0 :
			TCP_RCV_WIN - c->pend_bytes;
	unsigned shift = !syn && (c->flags & TCPF_WS_OK) ? TCP_RCV_WS : 0;
	uint32_t win;

	/* RFC 1122 4.2.3.3: no window smaller than a segment. The guest would
	 * wait for it to grow, and only a window reopening from zero is
	 * announced on its own */
	if (free < c->rcv_mss)
		free = 0;
	win = free >> shift;

	if (win > UINT16_MAX)
		win = UINT16_MAX;
	if (!win)
		c->flags |= TCPF_WND_CLOSED;
	else
		c->flags &= ~TCPF_WND_CLOSED;
	return (uint16_t)win;
}

/**
 * tcp_out_alloc() - an mbuf for a segment of @c
 * @w:		worker
 * @c:		connection
 *
 * Return: mbuf, or NULL (counted) when the pool is empty
 */
struct rte_mbuf *tcp_out_alloc(struct worker *w, const struct tcp_conn *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->e->ports[c->f.pidx].pool);

	if (!m)
		counters_drop(&w->ctr, DROP_NO_MBUF);
	return m;
}

/**
 * tcp_out_send() - fill headers in front of @payload_len bytes and send
 * @w:		worker
 * @c:		connection
 * @m:		mbuf; payload (if any) already at tcp_hdr_len() + @optlen;
 *		a multi-segment @m comes with its lengths set
 * @seq:	sequence number of the segment
 * @flags:	RTE_TCP_*_FLAG
 * @opts:	TCP options, @optlen bytes (multiple of 4), or NULL
 * @optlen:	length of @opts
 * @payload_len: payload bytes
 */
void tcp_out_send(struct worker *w, struct tcp_conn *c, struct rte_mbuf *m,
		  uint32_t seq, uint8_t flags, const uint8_t *opts,
		  uint8_t optlen, uint16_t payload_len)
{
	struct vnet *vn = conn_vnet(w, c);
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(buf + c->l4_off);
	uint16_t l4_len = sizeof(*th) + optlen + payload_len;

	frame_eth_ip(buf, &vn->gw_mac, &c->guest_mac, c->f.key.raddr,
		     c->f.key.gaddr, IPPROTO_TCP, 64, l4_len);
	th->src_port = c->f.key.rport;
	th->dst_port = c->f.key.gport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & RTE_TCP_ACK_FLAG) ?
		       rte_cpu_to_be_32(c->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(tcp_out_window(c, flags & RTE_TCP_SYN_FLAG));
	th->tcp_urp = 0;
	if (optlen)
		memcpy(th + 1, opts, optlen);
	th->cksum = 0;
	if (m->nb_segs == 1)	/* else segment lengths set by tcp_sock.c */
		m->data_len = m->pkt_len = tcp_hdr_len(c) + optlen + payload_len;
	th->cksum = frame_l4_cksum(m, c->l4_off);
	worker_send(w, c->f.pidx, m);
}

/**
 * tcp_out_ctl() - send a segment without payload
 * @w:		worker
 * @c:		connection
 * @seq:	sequence number
 * @flags:	RTE_TCP_*_FLAG
 */
void tcp_out_ctl(struct worker *w, struct tcp_conn *c, uint32_t seq,
		 uint8_t flags)
{
	struct rte_mbuf *m = tcp_out_alloc(w, c);

	if (m)
		tcp_out_send(w, c, m, seq, flags, NULL, 0, 0);
}

#define TCP_SACK_BLOCKS	3

/* SACK option (RFC 2018) describing the out-of-order queue; returns length */
static uint8_t tcp_out_sack_opt(const struct tcp_conn *c, uint8_t *o)
{
	const struct rte_mbuf *m = c->ooo;
	uint8_t n = 0;

	o[0] = o[1] = 1;	/* NOP NOP: keep the blocks 4-byte aligned */
	o[2] = 5;
	while (m && n < TCP_SACK_BLOCKS) {
		uint32_t left = (uint32_t)m->hash.usr, right = left + m->pkt_len;
		rte_be32_t l, r;

		for (m = *mbuf_link((struct rte_mbuf *)m);
		     m && seq_le((uint32_t)m->hash.usr, right);
		     m = *mbuf_link((struct rte_mbuf *)m))
			if (seq_lt(right, (uint32_t)m->hash.usr + m->pkt_len))
				right = (uint32_t)m->hash.usr + m->pkt_len;
		l = rte_cpu_to_be_32(left);
		r = rte_cpu_to_be_32(right);
		memcpy(o + 4 + 8 * n, &l, 4);
		memcpy(o + 8 + 8 * n, &r, 4);
		n++;
	}
	o[3] = (uint8_t)(2 + 8 * n);
	return n ? (uint8_t)(4 + 8 * n) : 0;
}

/**
 * tcp_out_ack() - pure ACK, with SACK blocks when segments wait out of order
 * @w:		worker
 * @c:		connection
 *
 * Without SACK blocks a guest that negotiated SACK would not fast-retransmit
 * the hole, only time out.
 */
void tcp_out_ack(struct worker *w, struct tcp_conn *c)
{
	uint8_t opts[4 + 8 * TCP_SACK_BLOCKS];
	uint8_t len = 0;
	struct rte_mbuf *m;

	if (c->ooo && (c->flags & TCPF_SACK_OK))
		len = tcp_out_sack_opt(c, opts);
	m = tcp_out_alloc(w, c);
	if (m)
		tcp_out_send(w, c, m, c->snd_nxt, RTE_TCP_ACK_FLAG,
			     len ? opts : NULL, len, 0);
}

/**
 * tcp_out_syn() - SYN or SYN-ACK with MSS, window scale and SACK-permitted
 * @w:		worker
 * @c:		connection
 * @mss:	our MSS (from the MTU)
 * @ack:	true for a SYN-ACK, which only echoes what the guest offered
 */
void tcp_out_syn(struct worker *w, struct tcp_conn *c, uint16_t mss, bool ack)
{
	uint8_t opts[12] = { 2, 4, (uint8_t)(mss >> 8), (uint8_t)mss };
	uint8_t n = 4;
	struct rte_mbuf *m = tcp_out_alloc(w, c);

	if (!m)
		return;
	if (!ack || (c->flags & TCPF_SACK_OK)) {
		opts[n++] = 1;
		opts[n++] = 1;
		opts[n++] = 4;
		opts[n++] = 2;
	}
	if (!ack || (c->flags & TCPF_WS_OK)) {
		opts[n++] = 1;
		opts[n++] = 3;
		opts[n++] = 3;
		opts[n++] = TCP_RCV_WS;
	}
	tcp_out_send(w, c, m, c->iss,
		     RTE_TCP_SYN_FLAG | (ack ? RTE_TCP_ACK_FLAG : 0), opts, n, 0);
}

/**
 * tcp_out_rst_to() - RST answering a segment that has no connection
 * @w:		worker
 * @pidx:	port the segment came from
 * @p:		the segment (IPv4/TCP, parsed)
 *
 * RFC 793: if the segment has ACK, the RST takes its sequence from it;
 * otherwise it acknowledges everything the segment occupied. At most
 * TCP_RST_RATE per second per worker are sent.
 */
void tcp_out_rst_to(struct worker *w, unsigned pidx, const struct pkt *p)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->data;
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	struct tcp_conn c;
	uint32_t seq = 0;
	uint8_t flags = RTE_TCP_RST_FLAG;

	if (!ratelim_take(&w->rst_lim, rte_rdtsc())) {
		counters_add(&w->ctr.tcp_rst_suppressed, 1);
		return;
	}
	memset(&c, 0, sizeof(c));
	flow_key(&c.f.key, 0, IPPROTO_TCP, p->saddr, p->sport, p->daddr,
		 p->dport);
	c.f.pidx = (uint16_t)pidx;
	c.l4_off = (uint8_t)(FRAME_ETH_LEN + frame_ip_len(p->saddr));
	c.guest_mac = eh->src_addr;
	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		seq = rte_be_to_cpu_32(th->recv_ack);
	} else {
		flags |= RTE_TCP_ACK_FLAG;
		c.rcv_nxt = rte_be_to_cpu_32(th->sent_seq) + p->payload_len +
			    !!(th->tcp_flags & RTE_TCP_SYN_FLAG) +
			    !!(th->tcp_flags & RTE_TCP_FIN_FLAG);
	}
	tcp_out_ctl(w, &c, seq, flags);
}

/**
 * tcp_out_unreach() - ICMP destination unreachable for a guest's SYN
 * @w:		worker
 * @c:		connection whose host connect() failed
 * @net:	no route to the network (else to the host or address)
 *
 * The quoted header is rebuilt from the flow: the SYN itself is long gone.
 */
void tcp_out_unreach(struct worker *w, struct tcp_conn *c, bool net)
{
	uint8_t quote[FRAME_IP6_LEN + 8];
	rte_be32_t seq = rte_cpu_to_be_32(c->rcv_nxt - 1);
	uint16_t ql = frame_ip(quote, c->f.key.gaddr, c->f.key.raddr,
			       IPPROTO_TCP, 64, 20);

	memcpy(quote + ql, &c->f.key.gport, 2);
	memcpy(quote + ql + 2, &c->f.key.rport, 2);
	memcpy(quote + ql + 4, &seq, 4);
	worker_send_unreach(w, c->f.pidx, &c->guest_mac, c->f.key.gaddr, net,
			    quote, (size_t)(ql + 8));
}
