/* SPDX-License-Identifier: MIT */
/* sockerr.h - ICMP errors heard by a flow's socket (IP_RECVERR) */
#ifndef BROTH_SOCKERR_H
#define BROTH_SOCKERR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/errqueue.h>

struct worker;
struct flow;

/* One error: @dst is where the failed datagram went, @payload its L4 data */
typedef void sockerr_fn(struct worker *w, struct flow *f,
			const struct sock_extended_err *ee,
			const struct sockaddr_in *dst, const uint8_t *payload,
			size_t len);

ssize_t sockerr_sendmsg(int fd, const struct msghdr *msg);
void sockerr_drain(struct worker *w, struct flow *f, uint8_t *buf, size_t cap,
		   sockerr_fn *fn);

#endif
