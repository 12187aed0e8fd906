/* SPDX-License-Identifier: MIT */
/*
 * sockerr.c - ICMP errors heard by a flow's socket
 *
 * With IP_RECVERR (IPV6_RECVERR), the kernel queues every ICMP error that concerns a
 * socket's datagrams (unreachable, time exceeded, fragmentation needed) on
 * the socket's error queue, with the offender's address. The UDP and ICMP
 * flows drain it the same way and relay each error to the guest.
 */
#include <errno.h>
#include <sys/socket.h>

#include "flow.h"
#include "inet.h"
#include "sockerr.h"

#define SOCKERR_BATCH	32

/**
 * sockerr_sendmsg() - non-blocking send that survives a pending ICMP error
 * @fd:		datagram socket with IP_RECVERR or IPV6_RECVERR
 * @msg:	what to send
 *
 * An ICMP error for an earlier datagram is also left as the socket's pending
 * error, and the next send returns it instead of sending. That error is
 * relayed from the error queue anyway, so the send is simply tried again.
 *
 * Return: bytes sent, or -1 with errno set
 */
ssize_t sockerr_sendmsg(int fd, const struct msghdr *msg)
{
	ssize_t r = sendmsg(fd, msg, MSG_DONTWAIT);

	if (r < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
		      errno == ENETUNREACH || errno == EHOSTDOWN ||
		      errno == ENETDOWN || errno == EPROTO))
		r = sendmsg(fd, msg, MSG_DONTWAIT);
	return r;
}

/**
 * sockerr_drain() - read a socket's error queue, one @fn call per error
 * @w:		worker owning the flow
 * @f:		flow whose socket has EPOLLERR
 * @buf:	scratch for the failed datagram's payload
 * @cap:	size of @buf
 * @fn:		relay for one error
 */
void sockerr_drain(struct worker *w, struct flow *f, uint8_t *buf, size_t cap,
		   sockerr_fn *fn)
{
	for (unsigned i = 0; i < SOCKERR_BATCH; i++) {
		char cbuf[512];
		union inet_sa dst = { 0 };
		struct iovec iov = { buf, cap };
		struct msghdr msg = { .msg_name = &dst, .msg_namelen = sizeof(dst),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(f->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (r < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
		     cm = CMSG_NXTHDR(&msg, cm))
			if ((cm->cmsg_level == IPPROTO_IP &&
			     cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == IPPROTO_IPV6 &&
			     cm->cmsg_type == IPV6_RECVERR))
				fn(w, f, (const struct sock_extended_err *)CMSG_DATA(cm),
				   &dst, buf, (size_t)r);
	}
}
