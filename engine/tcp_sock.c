/* SPDX-License-Identifier: MIT */
/*
 * tcp_sock.c - the host socket side of a spliced TCP connection
 *
 * Reading: bytes the guest has not acknowledged stay in the socket's receive
 * queue. MSG_PEEK at SO_PEEK_OFF reads the next unsent bytes straight into
 * segment mbufs, one recvmsg per connection per burst; an ACK discards bytes
 * from the head with MSG_TRUNC, and a retransmission rewinds the peek offset.
 * Writing: payloads queued by tcp.c go out with one sendmsg per burst.
 * Sockets are edge-triggered in epoll; READABLE/WRITABLE flags remember an
 * edge until the guest's window or our queue lets us act on it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_tcp.h>

#include "engine.h"
#include "tcp_conn.h"
#include "tcp_out.h"
#include "tcp_sock.h"

#define TCP_READ_BURST	32
#define TCP_WRITE_IOV	64

/**
 * tcp_sock_adopt() - make @fd the host socket of @c and watch it
 * @w:		worker, whose epoll set watches the socket
 * @c:		connection
 * @fd:		non-blocking TCP socket, connected or connecting
 *
 * Return: 0, or -errno (c->f.fd is set either way, so closing @c closes it)
 */
int tcp_sock_adopt(struct worker *w, struct tcp_conn *c, int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = worker_ev_tag(WORKER_EV_TCP, c->f.idx),
	};
	int one = 1, zero = 0;

	c->f.fd = fd;
	/* peek offset on: MSG_PEEK continues where the last one stopped */
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

/**
 * tcp_sock_connect() - open the host socket and start connecting
 * @w:		worker, whose epoll set watches the socket
 * @c:		connection; c->f.fd is set on success
 * @addr:	host-side destination, network order
 * @port:	destination port, network order
 *
 * Return: 0 if connected or in progress, -errno on immediate failure
 */
int tcp_sock_connect(struct worker *w, struct tcp_conn *c, rte_be32_t addr,
		     rte_be16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = port,
				  .sin_addr = { addr } };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	rc = tcp_sock_adopt(w, c, fd);
	if (rc)
		return rc;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		return -errno;
	return 0;
}

/* tcp_sock_connect_result() - 0 once connected, else the pending error */
int tcp_sock_connect_result(struct tcp_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->f.fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

/* Sequence numbers of the bytes the guest's window still admits */
static uint32_t tcp_sock_window_left(const struct tcp_conn *c)
{
	uint32_t in_flight = c->snd_nxt - c->snd_una;

	return c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
}

static unsigned tcp_sock_prepare(struct worker *w, struct tcp_conn *c,
				 struct rte_mbuf **mb, struct iovec *iov,
				 uint32_t room)
{
	unsigned n = (room + c->mss - 1) / c->mss;

	if (n > TCP_READ_BURST)
		n = TCP_READ_BURST;
	if (rte_pktmbuf_alloc_bulk(w->e->ports[c->f.pidx].pool, mb, n)) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = room < c->mss ? room : c->mss;

		iov[i].iov_base = rte_pktmbuf_mtod(mb[i], uint8_t *) +
				  TCP_OUT_HDR_LEN;
		iov[i].iov_len = len;
		room -= len;
	}
	return n;
}

static void tcp_sock_emit(struct worker *w, struct tcp_conn *c,
			  struct rte_mbuf **mb, const struct iovec *iov,
			  unsigned n, size_t got)
{
	unsigned i;

	for (i = 0; i < n && got; i++) {
		uint16_t len = (uint16_t)(got < iov[i].iov_len ? got :
					  iov[i].iov_len);
		uint8_t fl = RTE_TCP_ACK_FLAG;

		got -= len;
		if (!got)
			fl |= RTE_TCP_PSH_FLAG;
		if (!c->rtt_seq) {
			c->rtt_seq = c->snd_nxt + len;
			c->rtt_tsc = rte_rdtsc();
		}
		tcp_out_send(w, c, mb[i], c->snd_nxt, fl, NULL, 0, len);
		tcp_snd_advance(c, len);
	}
	for (; i < n; i++)
		rte_pktmbuf_free(mb[i]);
}

/**
 * tcp_sock_to_guest() - send host data the guest's window admits
 * @w:		worker
 * @c:		established connection
 *
 * Sets TCPF_HOST_EOF when the host peer has closed and everything before
 * its FIN has been sent.
 */
void tcp_sock_to_guest(struct worker *w, struct tcp_conn *c)
{
	struct rte_mbuf *mb[TCP_READ_BURST];
	struct iovec iov[TCP_READ_BURST];
	struct msghdr msg = { .msg_iov = iov };
	uint32_t room = tcp_sock_window_left(c);
	size_t want = 0;
	ssize_t got;
	unsigned n;

	if (!(c->flags & TCPF_READABLE) || (c->flags & TCPF_FIN_SENT) || !room)
		return;
	n = tcp_sock_prepare(w, c, mb, iov, room);
	if (!n)
		return;
	for (unsigned i = 0; i < n; i++)
		want += iov[i].iov_len;
	msg.msg_iovlen = n;
	got = recvmsg(c->f.fd, &msg, MSG_PEEK | MSG_DONTWAIT);
	if (got <= 0 || (size_t)got < want)
		c->flags &= ~TCPF_READABLE;
	if (got == 0)
		c->flags |= TCPF_HOST_EOF;
	if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		c->flags |= TCPF_HOST_EOF;	/* reset: tcp.c sees SO_ERROR */
	tcp_sock_emit(w, c, mb, iov, n, got > 0 ? (size_t)got : 0);
}

/* One sendmsg of up to TCP_WRITE_IOV queued payloads; false: socket full */
static bool tcp_sock_write_once(struct tcp_conn *c)
{
	struct iovec iov[TCP_WRITE_IOV];
	struct msghdr msg = { .msg_iov = iov };
	struct rte_mbuf *m = c->pend_head;
	size_t want = 0, sent;
	ssize_t done;
	unsigned n = 0;

	for (; m && n < TCP_WRITE_IOV; m = m->next, n++) {
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = m->data_len;
		want += m->data_len;
	}
	msg.msg_iovlen = n;
	done = sendmsg(c->f.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (done < 0)
		return false;	/* EAGAIN; a hard error comes back as EPOLLERR */
	sent = (size_t)done;
	c->pend_bytes -= (uint32_t)done;
	while ((m = c->pend_head) && (size_t)done >= m->data_len) {
		done -= m->data_len;
		c->pend_head = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
	}
	if (!c->pend_head)
		c->pend_tail = NULL;
	else if (done)
		rte_pktmbuf_adj(c->pend_head, (uint16_t)done);
	return sent == want;
}

/**
 * tcp_sock_write() - write queued guest payload to the host socket
 * @w:		worker
 * @c:		connection
 *
 * Writes until the queue is empty or the socket is full; only a full
 * socket clears TCPF_WRITABLE, since only then will EPOLLOUT come.
 */
void tcp_sock_write(struct worker *w, struct tcp_conn *c)
{
	(void)w;
	while (c->pend_head) {
		if (!tcp_sock_write_once(c)) {
			c->flags &= ~TCPF_WRITABLE;
			return;
		}
	}
}

/**
 * tcp_sock_discard() - drop @n acknowledged bytes from the receive queue
 * @c:		connection
 * @n:		bytes
 *
 * Return: 0, or -errno
 */
int tcp_sock_discard(struct tcp_conn *c, uint32_t n)
{
	while (n) {
		ssize_t r = recv(c->f.fd, NULL, n, MSG_TRUNC | MSG_DONTWAIT);

		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		n -= (uint32_t)r;
	}
	return 0;
}

/* tcp_sock_rewind() - next peek starts again at the first unacked byte */
int tcp_sock_rewind(struct tcp_conn *c)
{
	int zero = 0;

	c->snd_nxt = c->snd_una;
	c->rtt_seq = 0;
	c->flags |= TCPF_READABLE;
	c->flags &= ~(TCPF_FIN_SENT | TCPF_RECOVERY);
	return setsockopt(c->f.fd, SOL_SOCKET, SO_PEEK_OFF, &zero,
			  sizeof(zero)) ? -errno : 0;
}

/* Data bytes sent and not acknowledged: where the peek offset stands */
static int tcp_sock_peek_pos(const struct tcp_conn *c)
{
	return (int)(c->snd_nxt - c->snd_una - !!(c->flags & TCPF_FIN_SENT));
}

/**
 * tcp_sock_retransmit() - resend data in [@seq, @end), at most @count segments
 * @w:		worker
 * @c:		connection
 * @seq:	first sequence number to resend (>= snd_una)
 * @end:	end of the range; cut to the data sent so far
 * @count:	segment budget
 *
 * Moves the peek offset to @seq, peeks segment by segment, then puts the
 * offset back where new data continues.
 *
 * Return: sequence number after the last byte resent
 */
uint32_t tcp_sock_retransmit(struct worker *w, struct tcp_conn *c, uint32_t seq,
			     uint32_t end, unsigned count)
{
	uint32_t data_end = c->snd_nxt - !!(c->flags & TCPF_FIN_SENT);
	int off = (int)(seq - c->snd_una);

	end = seq_min(end, data_end);
	if (!seq_lt(seq, end) || seq_lt(seq, c->snd_una))
		return seq;
	setsockopt(c->f.fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	for (; count && seq_lt(seq, end); count--) {
		uint32_t len = RTE_MIN(end - seq, (uint32_t)c->mss);
		struct rte_mbuf *m = tcp_out_alloc(w, c);
		ssize_t got;

		if (!m)
			break;
		got = recv(c->f.fd, rte_pktmbuf_mtod(m, uint8_t *) +
			   TCP_OUT_HDR_LEN, len, MSG_PEEK | MSG_DONTWAIT);
		if (got <= 0) {
			rte_pktmbuf_free(m);
			break;
		}
		tcp_out_send(w, c, m, seq, RTE_TCP_ACK_FLAG, NULL, 0,
			     (uint16_t)got);
		seq += (uint32_t)got;
		counters_add(&w->ctr.tcp_rexmit_segs, 1);
	}
	off = tcp_sock_peek_pos(c);
	setsockopt(c->f.fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	c->rtt_seq = 0;		/* Karn: no RTT sample across a retransmission */
	return seq;
}

/* tcp_sock_abort() - make close() send a RST to the host peer */
void tcp_sock_abort(struct tcp_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->f.fd >= 0)
		setsockopt(c->f.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}
