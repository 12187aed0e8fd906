/* SPDX-License-Identifier: MIT */
/* tcp_out.h - segments from broth to the guest */
#ifndef BROTH_TCP_OUT_H
#define BROTH_TCP_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "parse.h"

struct worker;
struct tcp_conn;

/*
 * RSTs for segments that have no connection (SYNs refused at a full table or
 * for a refused destination, stray segments), per worker: a guest sending
 * SYNs at line rate would otherwise get one written back per SYN, doubling
 * the frames the worker moves for it. Over the rate they are not sent and
 * are counted (tcp_rst_suppressed); the guest's own timers retry or give up.
 */
#define TCP_RST_RATE	1000	/* per second */
#define TCP_RST_BURST	200

uint16_t tcp_out_window(struct tcp_conn *c, bool syn);
struct rte_mbuf *tcp_out_alloc(struct worker *w, const struct tcp_conn *c);
void tcp_out_send(struct worker *w, struct tcp_conn *c, struct rte_mbuf *m,
		  uint32_t seq, uint8_t flags, const uint8_t *opts,
		  uint8_t optlen, uint16_t payload_len);
void tcp_out_ctl(struct worker *w, struct tcp_conn *c, uint32_t seq,
		 uint8_t flags);
void tcp_out_ack(struct worker *w, struct tcp_conn *c);
void tcp_out_syn(struct worker *w, struct tcp_conn *c, uint16_t mss, bool ack);
void tcp_out_rst_to(struct worker *w, unsigned pidx, const struct pkt *p);

void tcp_out_unreach(struct worker *w, struct tcp_conn *c, bool net);

#endif
