/* SPDX-License-Identifier: MIT */
/* ping.h - ICMP echo to any address through the host's ICMP sockets */
#ifndef BROTH_PING_H
#define BROTH_PING_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "parse.h"

struct worker;

int ping_worker_init(struct worker *w, uint32_t max_flows);
void ping_worker_fini(struct worker *w);
void ping_close_port(struct worker *w, unsigned pidx);
void ping_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		      const struct pkt *p);
void ping_sock_event(struct worker *w, uint32_t idx, uint32_t events);

#endif
