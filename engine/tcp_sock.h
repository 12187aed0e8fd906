/* SPDX-License-Identifier: MIT */
/* tcp_sock.h - the host socket side of a spliced TCP connection */
#ifndef BROTH_TCP_SOCK_H
#define BROTH_TCP_SOCK_H

#include <stdint.h>

#include <rte_byteorder.h>

struct worker;
struct tcp_conn;

int tcp_sock_adopt(struct worker *w, struct tcp_conn *c, int fd);
int tcp_sock_connect(struct worker *w, struct tcp_conn *c, const uint8_t addr[16],
		     rte_be16_t port);
int tcp_sock_connect_result(struct tcp_conn *c);
void tcp_sock_to_guest(struct worker *w, struct tcp_conn *c);
void tcp_sock_write(struct worker *w, struct tcp_conn *c);
int tcp_sock_discard(struct tcp_conn *c, uint32_t n);
int tcp_sock_rewind(struct tcp_conn *c);
uint32_t tcp_sock_retransmit(struct worker *w, struct tcp_conn *c, uint32_t seq,
			     uint32_t end, unsigned count);
void tcp_sock_abort(struct tcp_conn *c);

#endif
