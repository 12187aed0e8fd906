/* SPDX-License-Identifier: MIT */
/*
 * tcp_recover.c - loss recovery toward the guest
 *
 * A guest that negotiated SACK reports what it holds beyond a hole; the holes
 * are resent at once, each once per recovery episode (RFC 6675, simplified:
 * no pipe estimate, a per-ACK budget instead). A guest without SACK gets
 * NewReno (RFC 6582): the segment at snd_una after three duplicate ACKs and
 * after every partial ACK. The episode ends when everything that was in
 * flight when it began is acknowledged. RTO (tcp.c) remains the backstop.
 */
#include <rte_cycles.h>
#include <rte_tcp.h>

#include "engine.h"
#include "tcp_conn.h"
#include "tcp_recover.h"
#include "tcp_sock.h"

#define TCP_OPT_SACK		5
#define TCP_RECOVER_BUDGET	16	/* segments resent per ACK */
#define TCP_DUPTHRESH		3

/**
 * tcp_sack_parse() - SACK blocks of a guest ACK that lie in (snd_una, snd_max]
 * @c:		connection
 * @p:		the guest's segment
 * @blk:	up to TCP_SACK_MAX blocks, sorted by left edge
 *
 * Return: number of blocks
 */
unsigned tcp_sack_parse(const struct tcp_conn *c, const struct pkt *p,
			struct tcp_sack_blk *blk)
{
	const uint8_t *o = p->data + p->l4_off + sizeof(struct rte_tcp_hdr);
	uint32_t len = p->payload_off - p->l4_off - sizeof(struct rte_tcp_hdr);
	unsigned n = 0;

	for (uint32_t i = 0; i < len;) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = o[i + 1]) < 2 || i + olen > len)
			break;
		for (uint32_t b = i + 2; kind == TCP_OPT_SACK &&
		     b + 8 <= i + olen && n < TCP_SACK_MAX; b += 8) {
			uint32_t l = (uint32_t)o[b] << 24 | o[b + 1] << 16 |
				     o[b + 2] << 8 | o[b + 3];
			uint32_t r = (uint32_t)o[b + 4] << 24 | o[b + 5] << 16 |
				     o[b + 6] << 8 | o[b + 7];

			if (seq_lt(l, r) && seq_lt(c->snd_una, r) &&
			    seq_le(r, c->snd_max))
				blk[n++] = (struct tcp_sack_blk){ l, r };
		}
		i += olen;
	}
	for (unsigned a = 1; a < n; a++)	/* insertion sort: n <= 4 */
		for (unsigned b = a; b && seq_lt(blk[b].l, blk[b - 1].l); b--) {
			struct tcp_sack_blk t = blk[b];

			blk[b] = blk[b - 1];
			blk[b - 1] = t;
		}
	return n;
}

static uint32_t tcp_sacked_bytes(const struct tcp_sack_blk *blk, unsigned n)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += blk[i].r - blk[i].l;
	return sum;
}

/* Resend the holes below the SACK blocks, from rexmit_nxt on */
static void tcp_recover_holes(struct worker *w, struct tcp_conn *c,
			      const struct tcp_sack_blk *blk, unsigned n)
{
	uint32_t cur = seq_lt(c->rexmit_nxt, c->snd_una) ? c->snd_una :
		       c->rexmit_nxt;
	unsigned budget = TCP_RECOVER_BUDGET;

	for (unsigned i = 0; i < n && budget; i++) {
		if (seq_lt(cur, blk[i].l)) {
			uint32_t end = tcp_sock_retransmit(w, c, cur, blk[i].l,
							   budget);
			unsigned sent = (end - cur + c->mss - 1) / c->mss;

			budget = sent >= budget ? 0 : budget - sent;
			cur = end;
			if (seq_lt(cur, blk[i].l))
				break;		/* budget or pool exhausted */
		}
		if (seq_lt(cur, blk[i].r))
			cur = blk[i].r;
	}
	c->rexmit_nxt = cur;
}

/*
 * ACKs keep coming but snd_una does not move although it was resent more
 * than two round trips ago: that retransmission was lost too. Resend it now
 * rather than wait for the RTO, which on a near-zero-RTT link is 1000x the
 * round trip.
 */
static void tcp_recover_lost_rexmit(struct worker *w, struct tcp_conn *c,
				    bool advanced)
{
	uint64_t now = rte_rdtsc();
	uint64_t wait = rte_get_tsc_hz() / 1000 * (2 * c->srtt + 1);

	if (advanced || !c->una_rexmit_tsc) {
		c->una_rexmit_tsc = now;	/* snd_una is new: just resent */
		return;
	}
	if (now - c->una_rexmit_tsc < wait)
		return;
	tcp_sock_retransmit(w, c, c->snd_una, c->snd_una + c->mss, 1);
	c->una_rexmit_tsc = now;
}

/**
 * tcp_recover_on_ack() - enter, continue or leave fast recovery
 * @w:		worker
 * @c:		connection, after the ACK's new data (if any) was processed
 * @advanced:	the ACK acknowledged new data
 * @blk:	SACK blocks of the ACK
 * @n:		number of blocks
 */
void tcp_recover_on_ack(struct worker *w, struct tcp_conn *c, bool advanced,
			const struct tcp_sack_blk *blk, unsigned n)
{
	if ((c->flags & TCPF_RECOVERY) && !seq_lt(c->snd_una, c->recover))
		c->flags &= ~TCPF_RECOVERY;	/* all of the episode acked */
	if (!(c->flags & TCPF_RECOVERY)) {
		if (c->snd_nxt == c->snd_una ||
		    (c->dupacks < TCP_DUPTHRESH &&
		     tcp_sacked_bytes(blk, n) < TCP_DUPTHRESH * (uint32_t)c->mss))
			return;
		c->flags |= TCPF_RECOVERY;
		c->recover = c->snd_max;
		c->rexmit_nxt = c->snd_una;
		c->una_rexmit_tsc = 0;
		counters_add(&w->ctr.tcp_fast_rexmit, 1);
	} else if (!advanced && !n) {
		return;		/* NewReno: only partial ACKs resend */
	}
	if (n)
		tcp_recover_holes(w, c, blk, n);
	else if (seq_le(c->rexmit_nxt, c->snd_una))
		c->rexmit_nxt = tcp_sock_retransmit(w, c, c->snd_una,
						    c->snd_una + c->mss, 1);
	tcp_recover_lost_rexmit(w, c, advanced);
}
