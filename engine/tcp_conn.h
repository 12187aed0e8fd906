/* SPDX-License-Identifier: MIT */
/*
 * tcp_conn.h - one spliced TCP connection, shared by tcp.c (guest side),
 *		tcp_sock.c (host socket side) and tcp_out.c (segments to guest)
 *
 * Sequence space toward the guest: snd_una is byte 0 of the host socket's
 * receive queue. Bytes [snd_una, snd_nxt) have been sent to the guest and are
 * still in the kernel, read with MSG_PEEK at SO_PEEK_OFF = snd_nxt - snd_una:
 * the kernel buffer is the retransmission buffer, nothing is copied twice.
 * An ACK from the guest discards acknowledged bytes with MSG_TRUNC.
 *
 * From the guest: in-order payloads are queued (the mbufs themselves, headers
 * stripped, linked through m->next) and acknowledged at once; they are
 * written to the socket with one writev per burst. The window advertised to
 * the guest is what is left of TCP_RCV_WIN after that queue, so the queue is
 * bounded by the window. Out-of-order segments wait, bounded, in a second
 * list sorted by sequence.
 */
#ifndef BROTH_TCP_CONN_H
#define BROTH_TCP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_timer.h>

#include "flow.h"

#define TCP_RCV_WIN		(512u * 1024)	/* per connection, from the guest */
#define TCP_RCV_WS		7		/* our window scale */
#define TCP_OOO_MAX		512		/* out-of-order segments held */
#define TCP_RTO_INIT_MS		1000
#define TCP_RTO_MIN_MS		200
#define TCP_RTO_MAX_MS		60000
#define TCP_MAX_RETRIES		12
#define TCP_SYN_RETRIES		5
#define TCP_ARP_WAIT_MS		200

enum tcp_state {
	TCPS_CONNECTING = 1,	/* guest SYN seen, host connect() in progress */
	TCPS_SYNACK_SENT,	/* host connected, SYN-ACK sent to the guest */
	TCPS_ESTABLISHED,	/* data both ways (possibly half-closed) */
	TCPS_SYN_SENT,		/* port forward: host accepted, SYN to guest */
};

/* tcp_conn.flags */
#define TCPF_GUEST_FIN		(1u << 0)	/* FIN from guest received */
#define TCPF_HOST_SHUT		(1u << 1)	/* shutdown(SHUT_WR) done */
#define TCPF_HOST_EOF		(1u << 2)	/* host peer sent FIN */
#define TCPF_FIN_SENT		(1u << 3)	/* our FIN is in flight */
#define TCPF_FIN_ACKED		(1u << 4)
#define TCPF_ACK_NOW		(1u << 5)	/* send an ACK at tcp_flush() */
#define TCPF_DIRTY		(1u << 6)	/* on the worker's dirty list */
#define TCPF_READABLE		(1u << 7)	/* socket may have more data */
#define TCPF_WRITABLE		(1u << 8)	/* socket may take more data */
#define TCPF_WS_OK		(1u << 9)	/* guest offered window scaling */
#define TCPF_SACK_OK		(1u << 10)
#define TCPF_TIMER_ON		(1u << 11)
#define TCPF_WND_CLOSED		(1u << 12)	/* we advertised no window */
#define TCPF_FIN_EVER		(1u << 13)	/* fin_seq is valid */
#define TCPF_RECOVERY		(1u << 14)	/* fast recovery (RFC 6675/6582) */
#define TCPF_HOST_ERR		(1u << 15)	/* host socket failed (reset) */

struct tcp_conn {
	struct flow f;			/* first: the flow table's part */
	uint8_t state;
	uint8_t snd_ws;			/* guest's window scale */
	uint8_t retries;
	uint8_t dupacks;
	uint32_t flags;
	uint16_t mss;			/* max payload per segment to guest */
	uint16_t rcv_mss;		/* largest segment the guest sends us */
	uint8_t l4_off;			/* TCP header in our frames: 34 IPv4, 54 IPv6 */
	struct rte_ether_addr guest_mac;

	/* toward the guest */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;		/* highest snd_nxt: ACKs up to it are valid */
	uint32_t snd_wnd;		/* guest's window in bytes */
	uint32_t fin_seq;		/* sequence of our FIN, when sent */
	uint32_t recover;		/* recovery ends when this is acked */
	uint32_t rexmit_nxt;		/* next hole to resend in recovery */
	uint64_t una_rexmit_tsc;	/* when snd_una was last resent */
	/* from the guest */
	uint32_t rcv_nxt;
	uint32_t pend_bytes;		/* queued toward the host socket */
	uint16_t n_ooo;

	/* retransmission (RFC 6298), milliseconds */
	uint32_t srtt;
	uint32_t rttvar;
	uint32_t rto;
	uint32_t rtt_seq;		/* segment being timed, 0: none */
	uint64_t rtt_tsc;

	struct rte_mbuf *pend_head, *pend_tail;	/* in order, to write */
	struct rte_mbuf *ooo;			/* out of order, by seq */
	struct rte_timer timer;
};

/* Ethernet + IP + TCP without options: where a data payload starts */
static inline uint32_t tcp_hdr_len(const struct tcp_conn *c)
{
	return c->l4_off + 20u;
}

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

/* Advance snd_nxt by @n sequence numbers, keeping snd_max */
static inline void tcp_snd_advance(struct tcp_conn *c, uint32_t n)
{
	c->snd_nxt += n;
	if (seq_lt(c->snd_max, c->snd_nxt))
		c->snd_max = c->snd_nxt;
}

#endif
