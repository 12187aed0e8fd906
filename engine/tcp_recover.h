/* SPDX-License-Identifier: MIT */
/* tcp_recover.h - loss recovery toward the guest (SACK or NewReno) */
#ifndef BROTH_TCP_RECOVER_H
#define BROTH_TCP_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

#define TCP_SACK_MAX	4

struct worker;
struct tcp_conn;

struct tcp_sack_blk {
	uint32_t l, r;		/* [l, r) held by the guest */
};

unsigned tcp_sack_parse(const struct tcp_conn *c, const struct pkt *p,
			struct tcp_sack_blk *blk);
void tcp_recover_on_ack(struct worker *w, struct tcp_conn *c, bool advanced,
			const struct tcp_sack_blk *blk, unsigned n);

#endif
