/* SPDX-License-Identifier: MIT */
/* tcp.h - TCP split proxy: what the worker calls */
#ifndef BROTH_TCP_H
#define BROTH_TCP_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "parse.h"

struct worker;
struct broth_engine;

int tcp_worker_init(struct worker *w, uint32_t max_flows);
void tcp_worker_fini(struct worker *w);
void tcp_close_port(struct worker *w, unsigned pidx);
/* A TCP frame from the guest, on the flow's owner worker; consumes @m */
void tcp_guest_input(struct worker *w, unsigned pidx, struct rte_mbuf *m,
		     const struct pkt *p);
/* Host socket of flow @idx is ready (epoll events) */
void tcp_sock_event(struct worker *w, uint32_t idx, uint32_t events);
/* A host connection accepted for a port forward: open it toward the guest */
void tcp_open_inbound(struct worker *w, unsigned pidx, int fd,
		      uint16_t guest_port);
/* Listeners of every port forward on every worker; 0 or -errno with @err */
int tcp_fwd_listen_all(struct broth_engine *e, char *err, size_t errlen);
void tcp_fwd_close_all(struct worker *w);
/* A forward's listener on this worker is readable */
void tcp_fwd_accept(struct worker *w, uint32_t fwd_idx);
/* End of a burst: write what the guest sent, send ACKs, free dead flows */
void tcp_flush(struct worker *w);

#endif
