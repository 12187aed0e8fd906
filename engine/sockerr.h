/* SPDX-License-Identifier: MIT */
/* sockerr.h - ICMP errors heard by a flow's socket (IP(V6)_RECVERR) */
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
union inet_sa;

/* One error: @dst is where the failed datagram went, @payload its L4 data;
 * SO_EE_OFFENDER(@ee) is a sockaddr of the socket's family */
typedef void sockerr_fn(struct worker *w, struct flow *f,
			const struct sock_extended_err *ee,
			const union inet_sa *dst, const uint8_t *payload,
			size_t len);

/* The MTU an ICMP "fragmentation needed" / ICMPv6 "packet too big" carries;
 * 0 for other errors, whose second word is unused */
static inline uint32_t sockerr_mtu_info(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return ee->ee_type == 3 && ee->ee_code == 4 ? ee->ee_info : 0;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == 2 ? ee->ee_info : 0;
	return 0;
}

ssize_t sockerr_sendmsg(int fd, const struct msghdr *msg);
void sockerr_drain(struct worker *w, struct flow *f, uint8_t *buf, size_t cap,
		   sockerr_fn *fn);

#endif
