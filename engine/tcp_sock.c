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
#include "inet.h"
#include "mbuf_chain.h"
#include "tcp_conn.h"
#include "tcp_out.h"
#include "tcp_sock.h"

#define TCP_READ_BURST	32	/* segments per read */
#define TCP_READ_IOV	256	/* mbufs per read */
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
 * @addr:	host-side destination (v4-mapped for IPv4)
 * @port:	destination port, network order
 *
 * Return: 0 if connected or in progress, -errno on immediate failure
 */
int tcp_sock_connect(struct worker *w, struct tcp_conn *c,
		     const uint8_t addr[INET_ALEN], rte_be16_t port)
{
	union inet_sa sa;
	socklen_t salen = inet_sa_set(&sa, addr, port);
	int fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -errno;
	c->f.fd = fd;	/* closing @c closes it, whatever happens next */
	/* A refused loopback connect fails inside the call: such a socket is
	 * closed without ever being set up or watched (a SYN flood to closed
	 * ports is mostly these). */
	if (connect(fd, &sa.sa, salen) && errno != EINPROGRESS)
		return -errno;
	return tcp_sock_adopt(w, c, fd);
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

/*
 * A batch of segments read with one recvmsg. A segment larger than one mbuf
 * (MTU above ~2000) is a chain: the first mbuf carries the headers and the
 * start of the payload, the next ones continue it.
 */
struct tcp_rd {
	unsigned n_seg;
	unsigned n_iov;
	uint16_t seg_first[TCP_READ_BURST];	/* index of a segment's first mbuf */
	uint16_t seg_mbufs[TCP_READ_BURST];
	uint32_t seg_len[TCP_READ_BURST];	/* payload capacity */
	struct rte_mbuf *mb[TCP_READ_IOV];
	struct iovec iov[TCP_READ_IOV];
};

static uint32_t tcp_rd_plan(struct tcp_rd *rd, const struct tcp_conn *c,
			    uint32_t room, unsigned max_seg, uint32_t cap)
{
	uint32_t want = 0, first = cap - tcp_hdr_len(c);

	rd->n_seg = rd->n_iov = 0;
	while (room && rd->n_seg < max_seg) {
		uint32_t len = RTE_MIN(room, (uint32_t)c->mss);
		unsigned k = 1 + (len > first ? (len - first + cap - 1) / cap : 0);

		if (rd->n_iov + k > TCP_READ_IOV)
			break;
		rd->seg_first[rd->n_seg] = (uint16_t)rd->n_iov;
		rd->seg_mbufs[rd->n_seg] = (uint16_t)k;
		rd->seg_len[rd->n_seg++] = len;
		rd->n_iov += k;
		room -= len;
		want += len;
	}
	return want;
}

/* Plan and allocate segments for up to @room bytes; return bytes planned */
static uint32_t tcp_rd_prepare(struct worker *w, struct tcp_conn *c,
			       struct tcp_rd *rd, uint32_t room, unsigned max_seg)
{
	struct rte_mempool *mp = w->e->ports[c->f.pidx].pool;
	uint32_t cap = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	uint32_t want = tcp_rd_plan(rd, c, room, max_seg, cap);

	if (!want)
		return 0;
	if (rte_pktmbuf_alloc_bulk(mp, rd->mb, rd->n_iov)) {
		counters_drop(&w->ctr, DROP_NO_MBUF);
		return 0;
	}
	for (unsigned s = 0; s < rd->n_seg; s++) {
		uint32_t left = rd->seg_len[s];

		for (unsigned k = 0; k < rd->seg_mbufs[s]; k++) {
			unsigned i = rd->seg_first[s] + k;
			uint32_t off = k ? 0 : tcp_hdr_len(c);
			uint32_t len = RTE_MIN(left, cap - off);

			rd->iov[i].iov_base = rte_pktmbuf_mtod(rd->mb[i], uint8_t *) + off;
			rd->iov[i].iov_len = len;
			left -= len;
		}
	}
	return want;
}

/* Turn segment @s, holding @len payload bytes, into one (chained) packet */
static struct rte_mbuf *tcp_rd_packet(struct tcp_rd *rd, unsigned s,
				      uint32_t len, uint32_t hdr)
{
	unsigned first = rd->seg_first[s];
	struct rte_mbuf *head = rd->mb[first], *prev = head;

	head->data_len = (uint16_t)(hdr + RTE_MIN(len, (uint32_t)rd->iov[first].iov_len));
	head->pkt_len = hdr + len;
	head->nb_segs = 1;
	len -= head->data_len - hdr;
	for (unsigned k = 1; k < rd->seg_mbufs[s]; k++) {
		struct rte_mbuf *m = rd->mb[first + k];

		if (!len) {
			rte_pktmbuf_free(m);
			continue;
		}
		m->data_len = (uint16_t)RTE_MIN(len, (uint32_t)rd->iov[first + k].iov_len);
		len -= m->data_len;
		prev->next = m;
		prev = m;
		head->nb_segs++;
	}
	return head;
}

/*
 * Send the first @got bytes of a read as segments from @seq on; free what
 * was not filled. Return the sequence number after the last byte sent.
 */
static uint32_t tcp_rd_emit(struct worker *w, struct tcp_conn *c,
			    struct tcp_rd *rd, size_t got, uint32_t seq)
{
	for (unsigned s = 0; s < rd->n_seg; s++) {
		uint32_t len = (uint32_t)RTE_MIN(got, (size_t)rd->seg_len[s]);
		uint8_t fl = RTE_TCP_ACK_FLAG;

		if (!len) {
			for (unsigned k = 0; k < rd->seg_mbufs[s]; k++)
				rte_pktmbuf_free(rd->mb[rd->seg_first[s] + k]);
			continue;
		}
		got -= len;
		if (!got)
			fl |= RTE_TCP_PSH_FLAG;
		tcp_out_send(w, c, tcp_rd_packet(rd, s, len, tcp_hdr_len(c)), seq, fl, NULL, 0,
			     (uint16_t)RTE_MIN(len, (uint32_t)UINT16_MAX));
		seq += len;
	}
	return seq;
}

static ssize_t tcp_rd_peek(struct tcp_conn *c, struct tcp_rd *rd)
{
	struct msghdr msg = { .msg_iov = rd->iov, .msg_iovlen = rd->n_iov };

	return recvmsg(c->f.fd, &msg, MSG_PEEK | MSG_DONTWAIT);
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
	uint32_t room = tcp_sock_window_left(c);
	struct tcp_rd rd;
	ssize_t got;

	if (!(c->flags & TCPF_READABLE) || (c->flags & TCPF_FIN_SENT) || !room)
		return;
	if (!tcp_rd_prepare(w, c, &rd, room, TCP_READ_BURST))
		return;
	got = tcp_rd_peek(c, &rd);
	/*
	 * Only EAGAIN or EOF end readability: after a short read the FIN may
	 * already be queued, and its epoll edge has fired. The next peek (on
	 * the guest's ACK) returns 0 or EAGAIN.
	 */
	if (got <= 0)
		c->flags &= ~TCPF_READABLE;
	if (got == 0)
		c->flags |= TCPF_HOST_EOF;
	if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		c->flags |= TCPF_HOST_ERR;	/* the error is consumed here */
	/* Karn: time only new data, never bytes resent after a rewind */
	if (got > 0 && !c->rtt_seq && c->snd_nxt == c->snd_max) {
		c->rtt_seq = c->snd_nxt + 1;
		c->rtt_tsc = rte_rdtsc();
	}
	tcp_snd_advance(c, tcp_rd_emit(w, c, &rd, got > 0 ? (size_t)got : 0,
				       c->snd_nxt) - c->snd_nxt);
}

/* One sendmsg of queued payload segments; false: the socket is full */
static bool tcp_sock_write_once(struct tcp_conn *c)
{
	struct iovec iov[TCP_WRITE_IOV];
	struct msghdr msg = { .msg_iov = iov };
	size_t want = 0, sent;
	ssize_t done;
	unsigned n = 0;

	for (struct rte_mbuf *p = c->pend_head; p && n < TCP_WRITE_IOV;
	     p = *mbuf_link(p))
		for (struct rte_mbuf *m = p; m && n < TCP_WRITE_IOV; m = m->next) {
			iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
			iov[n++].iov_len = m->data_len;
			want += m->data_len;
		}
	msg.msg_iovlen = n;
	done = sendmsg(c->f.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (done < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			c->flags |= TCPF_HOST_ERR;
		return false;
	}
	sent = (size_t)done;
	c->pend_bytes -= (uint32_t)sent;
	while (c->pend_head && sent) {
		struct rte_mbuf *p = c->pend_head, *next = *mbuf_link(p);
		uint32_t take = (uint32_t)RTE_MIN(sent, (size_t)p->pkt_len);

		sent -= take;
		p = mbuf_chain_adj(p, take);
		if (p) {	/* partly written: its head may be a new segment */
			*mbuf_link(p) = next;
			c->pend_head = p;
			if (!next)
				c->pend_tail = p;
			break;
		}
		c->pend_head = next;
	}
	if (!c->pend_head)
		c->pend_tail = NULL;
	return (size_t)done == want;
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
	struct tcp_rd rd;
	ssize_t got;

	end = seq_min(end, data_end);
	if (!seq_lt(seq, end) || seq_lt(seq, c->snd_una) ||
	    !tcp_rd_prepare(w, c, &rd, end - seq,
			    RTE_MIN(count, (unsigned)TCP_READ_BURST)))
		return seq;
	setsockopt(c->f.fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	got = tcp_rd_peek(c, &rd);
	off = tcp_sock_peek_pos(c);
	setsockopt(c->f.fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	c->rtt_seq = 0;		/* Karn: no RTT sample across a retransmission */
	counters_add(&w->ctr.tcp_rexmit_segs, rd.n_seg);
	return tcp_rd_emit(w, c, &rd, got > 0 ? (size_t)got : 0, seq);
}

/* tcp_sock_abort() - make close() send a RST to the host peer */
void tcp_sock_abort(struct tcp_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->f.fd >= 0)
		setsockopt(c->f.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}
