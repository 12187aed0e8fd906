/* SPDX-License-Identifier: MIT */
/* udp.h - UDP flows: one host socket per guest address and port */
#ifndef BROTH_UDP_H
#define BROTH_UDP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "parse.h"

struct worker;

int udp_worker_init(struct worker *w, uint32_t max_flows);
void udp_worker_fini(struct worker *w);
void udp_close_port(struct worker *w, unsigned pidx);
/* Owner worker of a guest's UDP mapping: depends on the guest end only */
uint32_t udp_flow_hash(uint16_t vnet, const struct pkt *p);
void udp_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		     const struct pkt *p);
void udp_sock_event(struct worker *w, uint32_t idx, uint32_t events);

#endif
