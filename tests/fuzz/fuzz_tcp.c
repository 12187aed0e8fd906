/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tcp.c - the TCP split proxy (tcp*.c) driven by a fuzzed guest and a
 *		fake host socket layer
 *
 * Theory of operation
 *
 * One input is a script: a byte choosing the guest link's MTU and a few
 * switches, then operations until the input runs out. Operations act on up
 * to FZ_CONNS connections, as the guest, as the host, or as time:
 *
 *   guest	SYN (options, destination kind), a segment with sequence and
 *		acknowledgment numbers relative to what each side has sent
 *		(flags, window, SACK blocks, payload length), or a raw segment
 *		(any header fields, options and payload from the input)
 *   host	connect() result, data, EOF, reset, room to write, any epoll
 *		event; a port forward's accepted connection (tcp_open_inbound())
 *   time	a connection's timer fires (RTO, persist, SYN retry, ARP wait)
 *   worker	tcp_flush() and TX: the end of a worker iteration
 *
 * Guest frames go through parse_frame() (checksums fixed first, fuzz_parse
 * covers them) into tcp_guest_input() on a real worker: its flow table,
 * timers (fired by hand, as test_tcp does) and a net_ring port whose TX ring
 * the harness reads. The host side is faked at link time (-Wl,--wrap) for
 * socket, connect, {set,get}sockopt, epoll_ctl, recv, recvmsg, sendmsg,
 * shutdown and close: fake descriptors (from FZ_FD_BASE) model a TCP
 * socket's receive queue with SO_PEEK_OFF, MSG_PEEK and MSG_TRUNC, a send
 * buffer with a fuzzed amount of room, SO_ERROR and shutdown, and never
 * touch the kernel; real descriptors pass through.
 *
 * Beyond the sanitizers, every input checks what broth must get right:
 *  - every frame broth sends parses (checksums included) and is addressed
 *    from the connection's remote end to the guest;
 *  - payload sent to the guest at sequence s is the host's byte stream at
 *    offset s - iss - 1 (the host stream is a function of the offset), so
 *    a retransmission from a wrong peek offset is caught;
 *  - while the guest behaves (no raw segment, no data beyond its FIN),
 *    what reaches the host socket is exactly the guest's stream, whatever
 *    the order, overlap and duplication of its segments;
 *  - connection invariants after every operation (snd_una <= snd_nxt <=
 *    snd_max, the peek offset where the sequence numbers say, byte counts
 *    and order of the in-order and out-of-order queues);
 *  - at the end, with every connection closed (tcp_worker_fini()): every
 *    mbuf back in the pool, every fake socket closed, the vnet's flow count
 *    back to zero.
 * rte_srand() is reset per input so ISNs and forward ports repeat;
 * FUZZ_TCP_TRACE=1 prints every operation and segment (to study a crash).
 *
 * Input format (numbers big-endian; make_seeds.py writes seeds in it):
 *   cfg		bits 0-1: MTU 1500/576/9000/65520, bit 2: --no-host-loopback
 *   then ops	low nibble: operation, bits 4-5: connection 0-3
 *    0 SYN	sel [iss:4 win:2 [mss:2] [ws:1] [connect:1]]; sel bits 0-1:
 *		to gateway:80 (host loopback), remote:80, a subnet address,
 *		gateway:53; 2 MSS, 3 SACK-permitted, 4 window scale, 5 connect()
 *		answers at once (0 ok, 1 refused, 2/3 unreachable), 6 socket()
 *		fails; on a live connection: the SYN again, bit 7: iss:4 new
 *    1-4 segment  sel seq:2 ack:2 len:2 [win:2] [n:1 (left:2 right:2)*n]
 *		[iss:4]; sel bits 0-2 flags ACK, ACK|PSH, ACK|FIN, ACK, RST,
 *		RST|ACK, SYN|ACK, SYN; 3 window, 4 SACK blocks, 5 keep the ISN
 *		(a forward's SYN-ACK), 6 FIN again; seq = guest snd_nxt + (int16),
 *		ack = what broth sent - (int16), SACK edges below what broth sent
 *    5 raw	flags olen seq:4 ack:4 win:2 len:1 options payload
 *    6-11 host	n:2; connect result (bit 8: fails, errno n & 3), data (n %
 *		20000 bytes), FIN, reset, room (odd: none, else n more), event n
 *   12 forward	sel; a host connection for guest port 8000 + conn; bit 0:
 *		the guest's MAC is known (else broth ARPs first)
 *   13 timer	the connection's timer fires
 *   14-15	tcp_flush() and TX
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_tcp.h>
#include <rte_timer.h>

#include "engine.h"
#include "frame.h"
#include "fuzz.h"
#include "inet.h"
#include "mbuf_chain.h"
#include "mbuf_pool.h"
#include "parse.h"
#include "tcp.h"
#include "tcp_conn.h"

#define FZ_CONNS	4
#define FZ_MAX_FLOWS	3		/* the vnet's share: a 4th SYN is refused */
#define FZ_TABLE	8		/* the worker's table */
#define FZ_FD_BASE	(1 << 20)	/* fake descriptors; never real ones */
#define FZ_TAP_FD	(FZ_FD_BASE - 1)	/* the TX queue's fd: big frames */
#define FZ_SOCKS	32
#define FZ_HOST_RX_MAX	(1u << 20)	/* host bytes queued toward broth */
#define FZ_POOL		8191
#define FZ_RING		4096
#define FZ_GPORT	40000		/* guest port of connection i: + i */
#define FZ_FWD_PORT	8000		/* forwarded guest port: + i */
#define FZ_REMOTE	RTE_BE32(0x5db8d822)	/* 93.184.216.34 */
#define FZ_SUBNET_HOST	RTE_BE32(0x0a000007)	/* 10.0.0.7: refused */

/*
 * The harness's own byte loops (streams generated and compared byte by byte)
 * would spend most of each run in coverage callbacks and add nothing to
 * what libFuzzer learns about broth: no coverage for them.
 */
#define FZ_NO_COV	__attribute__((no_sanitize("coverage"), noinline))

/* ---- the fake host socket layer ---- */

struct fsock {
	bool used;
	int conn;		/* harness connection, -1: none */
	bool connecting;	/* connect() in progress */
	int so_error;		/* pending error (sk_err): the next read,
				 * write or SO_ERROR returns it once */
	int peek_off;		/* SO_PEEK_OFF, -1: off */
	uint64_t rx_head;	/* host stream offset of the queue's first byte */
	uint64_t rx_tail;	/* ... and of the byte after its last */
	bool rx_eof;		/* the host peer sent FIN */
	bool reset;		/* the host peer reset the connection */
	uint32_t tx_room;	/* bytes the send buffer still takes */
	uint64_t tx_total;	/* bytes written: the guest stream offset */
	bool shut_wr, linger0, in_epoll;
	uint64_t ev_tag;
};

static struct fsock fs[FZ_SOCKS];
static int fz_cur_conn = -1;	/* connection a socket() is opened for */
static bool fz_socket_fail;	/* next socket() fails with EMFILE */
static int fz_connect_err;	/* connect() result: 0 in progress, <0 -errno, 1 done */
static int fz_last_fd = -1;	/* the last fake socket() */

int __real_socket(int domain, int type, int protocol);
int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __real_setsockopt(int fd, int level, int name, const void *v,
		      socklen_t len);
int __real_getsockopt(int fd, int level, int name, void *v, socklen_t *len);
int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_writev(int fd, const struct iovec *iov, int n);
int __real_shutdown(int fd, int how);
int __real_close(int fd);

static struct fsock *fsock_of(int fd)
{
	if (fd < FZ_FD_BASE || fd >= FZ_FD_BASE + FZ_SOCKS ||
	    !fs[fd - FZ_FD_BASE].used)
		return NULL;
	return &fs[fd - FZ_FD_BASE];
}

static bool fake_fd(int fd)
{
	return fd >= FZ_FD_BASE && fd < FZ_FD_BASE + FZ_SOCKS;
}

/* The host's byte stream toward the guest, and the guest's toward the host */
static inline uint8_t host_byte(int conn, uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 9) + (uint64_t)conn * 17 + 1);
}

static inline uint8_t guest_byte(int conn, uint64_t off)
{
	return (uint8_t)(off * 151 + (off >> 11) + (uint64_t)conn * 29 + 7);
}

static int fsock_new(int conn)
{
	for (int i = 0; i < FZ_SOCKS; i++)
		if (!fs[i].used) {
			memset(&fs[i], 0, sizeof(fs[i]));
			fs[i].used = true;
			fs[i].conn = conn;
			fs[i].peek_off = -1;
			fs[i].tx_room = 1 << 16;
			return FZ_FD_BASE + i;
		}
	return -1;
}

int __wrap_socket(int domain, int type, int protocol)
{
	int fd;

	if (domain != AF_INET || (type & 0xf) != SOCK_STREAM)
		return __real_socket(domain, type, protocol);
	if (fz_socket_fail) {
		fz_socket_fail = false;
		errno = EMFILE;
		return -1;
	}
	fd = fsock_new(fz_cur_conn);
	if (fd < 0)
		errno = ENFILE;
	fz_last_fd = fd;
	return fd;
}

int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_connect(fd, sa, len);
	FUZZ_CHECK(s && !s->connecting);
	FUZZ_CHECK(len == sizeof(struct sockaddr_in) &&
		   ((const struct sockaddr_in *)sa)->sin_family == AF_INET);
	if (fz_connect_err < 0) {
		errno = -fz_connect_err;
		return -1;
	}
	/* connected at once, or in progress: epoll tells either way */
	s->connecting = true;
	if (fz_connect_err == 1)
		return 0;
	errno = EINPROGRESS;
	return -1;
}

int __wrap_setsockopt(int fd, int level, int name, const void *v,
		      socklen_t len)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_setsockopt(fd, level, name, v, len);
	FUZZ_CHECK(s);
	if (level == SOL_SOCKET && name == SO_PEEK_OFF) {
		FUZZ_CHECK(len == sizeof(int));
		memcpy(&s->peek_off, v, sizeof(int));
		/* the kernel takes any value; broth must never ask for more
		 * than it has sent */
		FUZZ_CHECK(s->peek_off >= 0 &&
			   (uint64_t)s->peek_off <= s->rx_tail - s->rx_head);
	} else if (level == SOL_SOCKET && name == SO_LINGER) {
		const struct linger *lg = v;

		s->linger0 = lg->l_onoff && !lg->l_linger;
	}
	return 0;
}

int __wrap_getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_getsockopt(fd, level, name, v, len);
	FUZZ_CHECK(s && level == SOL_SOCKET && name == SO_ERROR &&
		   *len == sizeof(int));
	memcpy(v, &s->so_error, sizeof(int));
	s->so_error = 0;
	return 0;
}

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_epoll_ctl(epfd, op, fd, ev);
	FUZZ_CHECK(s && op == EPOLL_CTL_ADD && !s->in_epoll);
	s->in_epoll = true;
	s->ev_tag = ev->data.u64;
	return 0;
}

/* Bytes of the receive queue from @off on, into @iov: a peek */
FZ_NO_COV static size_t fsock_copy(const struct fsock *s, uint64_t off,
			 const struct iovec *iov, size_t n_iov)
{
	size_t done = 0;

	for (size_t i = 0; i < n_iov; i++) {
		uint8_t *b = iov[i].iov_base;

		for (size_t k = 0; k < iov[i].iov_len; k++) {
			if (off + done >= s->rx_tail)
				return done;
			b[k] = host_byte(s->conn, off + done);
			done++;
		}
	}
	return done;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct fsock *s = fsock_of(fd);
	uint64_t off;
	size_t got;

	if (!fake_fd(fd))
		return __real_recvmsg(fd, msg, flags);
	FUZZ_CHECK(s && (flags & MSG_PEEK) && (flags & MSG_DONTWAIT) &&
		   s->peek_off >= 0);
	if (s->so_error) {
		errno = s->so_error;
		s->so_error = 0;
		return -1;
	}
	off = s->rx_head + (uint64_t)s->peek_off;
	got = fsock_copy(s, off, msg->msg_iov, msg->msg_iovlen);
	if (!got) {
		if (s->rx_eof)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	s->peek_off += (int)got;
	return (ssize_t)got;
}

ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
	struct fsock *s = fsock_of(fd);
	uint64_t k;

	if (!fake_fd(fd))
		return __real_recv(fd, buf, n, flags);
	FUZZ_CHECK(s && !buf && (flags & MSG_TRUNC) && (flags & MSG_DONTWAIT));
	if (s->so_error) {
		errno = s->so_error;
		s->so_error = 0;
		return -1;
	}
	k = RTE_MIN((uint64_t)n, s->rx_tail - s->rx_head);
	if (!k) {
		if (s->rx_eof || !n)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	s->rx_head += k;
	/* the kernel moves the peek offset back with the queue's head */
	if (s->peek_off >= 0)
		s->peek_off = (int)RTE_MAX((int64_t)s->peek_off - (int64_t)k, 0);
	return (ssize_t)k;
}

static bool fz_strict;		/* the guest behaves: check its stream */
static bool fz_trace;		/* FUZZ_TCP_TRACE=1: print what happens */

#define TRACE(...) do {							\
	if (fz_trace)							\
		fprintf(stderr, __VA_ARGS__);				\
} while (0)

/* Bytes @b written at guest stream offset @off: the guest's stream? */
FZ_NO_COV static bool guest_stream_ok(int conn, uint64_t off, const uint8_t *b,
				      size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (b[k] != guest_byte(conn, off + k))
			return false;
	return true;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct fsock *s = fsock_of(fd);
	size_t want = 0, done = 0;

	if (!fake_fd(fd))
		return __real_sendmsg(fd, msg, flags);
	FUZZ_CHECK(s && (flags & MSG_DONTWAIT));
	FUZZ_CHECK(!s->shut_wr);	/* no write after shutdown(SHUT_WR) */
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		want += msg->msg_iov[i].iov_len;
	if (s->so_error || s->reset) {
		errno = s->so_error ? s->so_error : EPIPE;
		s->so_error = 0;
		return -1;
	}
	if (!s->tx_room) {
		errno = EAGAIN;
		return -1;
	}
	for (size_t i = 0; i < msg->msg_iovlen && done < s->tx_room; i++) {
		size_t k = RTE_MIN(msg->msg_iov[i].iov_len, s->tx_room - done);

		FUZZ_CHECK(!fz_strict ||
			   guest_stream_ok(s->conn, s->tx_total + done,
					   msg->msg_iov[i].iov_base, k));
		done += k;
	}
	s->tx_room -= (uint32_t)done;
	s->tx_total += done;
	(void)want;
	return (ssize_t)done;
}

int __wrap_shutdown(int fd, int how)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_shutdown(fd, how);
	FUZZ_CHECK(s && how == SHUT_WR && !s->shut_wr);
	s->shut_wr = true;
	return 0;
}

int __wrap_close(int fd)
{
	struct fsock *s = fsock_of(fd);

	if (!fake_fd(fd))
		return __real_close(fd);
	FUZZ_CHECK(s);		/* closed twice */
	s->used = false;
	return 0;
}

/* ---- the guest's connections ---- */

struct gconn {
	bool open;		/* SYN sent (or broth's SYN seen, inbound) */
	bool inbound;		/* a port forward: broth sent the SYN */
	uint16_t gport, rport;	/* guest's port, remote port (host order) */
	rte_be32_t raddr;	/* remote address as the guest sees it */
	uint32_t g_iss;		/* the guest's ISN */
	bool syn_sent;		/* the guest sent its SYN (or SYN-ACK) */
	uint32_t snd_nxt;	/* next sequence number the guest sends */
	uint32_t snd_max;	/* after the highest byte it ever sent */
	bool fin_set;
	uint32_t fin_seq;	/* where the guest's FIN is, once sent */
	bool b_iss_known;
	uint32_t b_iss;		/* broth's ISN */
	uint32_t rcv_nxt;	/* after the last byte broth sent */
	uint16_t win;
	int fd;			/* its fake socket (last one), -1 */
};

static struct gconn gc[FZ_CONNS];
static struct broth_engine *e;
static struct worker *w;
static struct vnet *vn;
static struct rte_mempool *pool;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port_id;
static uint8_t frame_buf[65536 + 64];	/* a guest frame */
static uint8_t out_buf[65536 + 64];	/* a frame from broth */

/* ---- reading the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Big-endian, like the seeds make_seeds.py writes */
static uint16_t u16(struct in *in)
{
	uint16_t hi = u8(in);

	return (uint16_t)(hi << 8 | u8(in));
}

static uint32_t u32(struct in *in)
{
	uint32_t hi = u16(in);

	return hi << 16 | u16(in);
}

/* ---- setup, once ---- */

static void setup(void)
{
	char *argv[] = {
		"fuzz_tcp", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-l", "0", "-m", "128",
		"--log-level", "*:critical", NULL,
	};
	struct rte_eth_conf conf;
	struct broth_vnet_conf vc;
	char err[128];
	int rc;

	FUZZ_CHECK(rte_eal_init((int)RTE_DIM(argv) - 1, argv) >= 0);
	FUZZ_CHECK(!mbuf_link_register());
	FUZZ_CHECK(!rte_timer_subsystem_init());
	pool = mbuf_pool_create("fuzz_tcp", FZ_POOL, 0,
				RTE_MBUF_DEFAULT_DATAROOM);
	FUZZ_CHECK(pool);

	memset(&conf, 0, sizeof(conf));
	rx_ring = rte_ring_create("fz_rx", FZ_RING, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("fz_tx", FZ_RING, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	FUZZ_CHECK(rx_ring && tx_ring);
	rc = rte_eth_from_rings("net_ring_fz", &rx_ring, 1, &tx_ring, 1,
				SOCKET_ID_ANY);
	FUZZ_CHECK(rc >= 0);
	port_id = (uint16_t)rc;
	FUZZ_CHECK(!rte_eth_dev_configure(port_id, 1, 1, &conf));
	FUZZ_CHECK(!rte_eth_rx_queue_setup(port_id, 0, FZ_RING, SOCKET_ID_ANY,
					   NULL, pool));
	FUZZ_CHECK(!rte_eth_tx_queue_setup(port_id, 0, FZ_RING, SOCKET_ID_ANY,
					   NULL));
	FUZZ_CHECK(!rte_eth_dev_start(port_id));

	/* on the heap, not DPDK's: LeakSanitizer looks for pointers there */
	e = aligned_alloc(RTE_CACHE_LINE_SIZE,
			  RTE_ALIGN_CEIL(sizeof(*e), RTE_CACHE_LINE_SIZE));
	FUZZ_CHECK(e);
	memset(e, 0, sizeof(*e));
	broth_vnet_conf_defaults(&vc);
	e->conf.vnets[0] = vc;
	e->conf.n_vnets = 1;
	e->conf.max_flows = FZ_TABLE;
	vn = &e->vnets[0];
	FUZZ_CHECK(!vnet_init(vn, 0, &vc, err, sizeof(err)));
	vn->max_flows = FZ_MAX_FLOWS;
	e->n_workers = 1;
	e->n_ports = 1;
	e->ports[0] = (struct port){ .port_id = port_id, .n_queues = 1,
				     .vn = vn, .pool = pool, .netns_fd = -1,
				     .devname = "net_ring_fz" };
	e->port_idx[port_id] = 0;
	w = &e->workers[0];
	w->epfd = w->wake_fd = -1;
	FUZZ_CHECK(!worker_init(w, e, 0));
	FUZZ_CHECK(!worker_add_port(w, 0));
	w->txfd[0] = FZ_TAP_FD;	/* net_ring has none; big frames come here */
	worker_self = w;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_trace = getenv("FUZZ_TCP_TRACE") != NULL;
	setup();
	return 0;
}

/* ---- what broth sends ---- */

static int conn_of_gport(uint16_t gport)
{
	for (int i = 0; i < FZ_CONNS; i++)
		if (gc[i].open && gc[i].gport == gport)
			return i;
	return -1;
}

/* Bytes @b sent at host stream offset @off: the host's stream? */
FZ_NO_COV static bool host_stream_ok(int conn, uint32_t off, const uint8_t *b,
				     uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (b[k] != host_byte(conn, (uint64_t)off + k))
			return false;
	return true;
}

static void check_tcp_out(const struct pkt *p)
{
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)(p->data + p->l4_off);
	uint16_t gport = rte_be_to_cpu_16(p->dport);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), end;
	int i = conn_of_gport(gport);
	struct gconn *g;
	struct fsock *s;

	TRACE("  out conn %d %u->%u flags %#x seq %u ack %u len %u win %u\n",
	      i, rte_be_to_cpu_16(p->sport), gport, th->tcp_flags, seq,
	      rte_be_to_cpu_32(th->recv_ack), p->payload_len,
	      rte_be_to_cpu_16(th->rx_win));
	FUZZ_CHECK(p->dst4 == vn->guest4);
	if (i < 0)
		return;		/* a RST for a segment without connection */
	g = &gc[i];
	if (g->inbound && (th->tcp_flags & RTE_TCP_SYN_FLAG) &&
	    !(th->tcp_flags & RTE_TCP_ACK_FLAG)) {
		g->rport = rte_be_to_cpu_16(p->sport);	/* broth's SYN */
		g->raddr = p->src4;
	}
	if (p->src4 != g->raddr || rte_be_to_cpu_16(p->sport) != g->rport)
		return;		/* RST to a stray segment of the guest */
	if (th->tcp_flags & RTE_TCP_RST_FLAG)
		return;
	if (th->tcp_flags & RTE_TCP_SYN_FLAG) {
		FUZZ_CHECK(!p->payload_len);
		if (!g->b_iss_known) {
			g->b_iss_known = true;
			g->b_iss = seq;
			g->rcv_nxt = seq + 1;
		}
		/* a raw SYN may have opened another connection on the ports */
		FUZZ_CHECK(seq == g->b_iss || !fz_strict);
		if (seq != g->b_iss) {
			g->b_iss = seq;
			g->rcv_nxt = seq + 1;
		}
		return;
	}
	if (!g->b_iss_known)
		return;
	/* payload: the host stream at its offset */
	s = g->fd >= 0 ? fsock_of(g->fd) : NULL;
	FUZZ_CHECK(!s || host_stream_ok(i, seq - g->b_iss - 1,
					p->data + p->payload_off,
					p->payload_len));
	end = seq + p->payload_len + !!(th->tcp_flags & RTE_TCP_FIN_FLAG);
	if (seq_lt(g->rcv_nxt, end))
		g->rcv_nxt = end;
}

/* A frame broth sent (in out_buf): parses, is for the guest, right data */
static void check_out(uint32_t len)
{
	struct pkt p;

	FUZZ_CHECK(len <= FRAME_ETH_LEN + (uint32_t)vn->mtu);
	FUZZ_CHECK(parse_frame(out_buf, len, 0, &p) == DROP_NONE);
	FUZZ_CHECK(!memcmp(out_buf + 6, &vn->gw_mac, 6));
	if (p.ethertype == RTE_ETHER_TYPE_IPV4 && p.l4proto == IPPROTO_TCP)
		check_tcp_out(&p);
}

static void collect(void)
{
	struct rte_mbuf *m;

	while (!rte_ring_dequeue(tx_ring, (void **)&m)) {
		uint32_t len = m->pkt_len;
		const void *d;

		FUZZ_CHECK(len <= sizeof(out_buf));
		d = rte_pktmbuf_read(m, 0, len, out_buf);
		FUZZ_CHECK(d);
		if (d != out_buf)
			memcpy(out_buf, d, len);
		rte_pktmbuf_free(m);
		check_out(len);
	}
}

/* Frames above net_tap's limit, written to the queue fd (port_tap_write()) */
ssize_t __wrap_writev(int fd, const struct iovec *iov, int n)
{
	size_t len = 0;

	if (fd != FZ_TAP_FD)
		return __real_writev(fd, iov, n);
	FUZZ_CHECK(n >= 1 && iov[0].iov_len == 4);	/* struct tun_pi */
	for (int i = 1; i < n; i++) {
		FUZZ_CHECK(len + iov[i].iov_len <= sizeof(out_buf));
		memcpy(out_buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	check_out((uint32_t)len);
	return (ssize_t)(len + 4);
}

static void flush(void)
{
	tcp_flush(w);
	rte_eth_tx_buffer_flush(port_id, 0, w->txb[0]);
	collect();
}

/* ---- invariants of broth's connections ---- */

static void check_conn(struct flow *f, void *arg)
{
	struct tcp_conn *c = (struct tcp_conn *)f;
	struct fsock *s = fsock_of(f->fd);
	uint32_t bytes = 0, prev = 0;
	uint16_t n = 0;

	(void)arg;
	FUZZ_CHECK(seq_le(c->snd_una, c->snd_nxt) &&
		   seq_le(c->snd_nxt, c->snd_max));
	for (struct rte_mbuf *m = c->pend_head; m; m = *mbuf_link(m)) {
		bytes += m->pkt_len;
		FUZZ_CHECK(m->pkt_len && (*mbuf_link(m) || m == c->pend_tail));
	}
	FUZZ_CHECK(bytes == c->pend_bytes);
	for (struct rte_mbuf *m = c->ooo; m; m = *mbuf_link(m), n++) {
		uint32_t seq = (uint32_t)m->hash.usr;

		FUZZ_CHECK(!n || seq_lt(prev, seq));
		FUZZ_CHECK(seq_lt(c->rcv_nxt, seq));
		prev = seq;
	}
	FUZZ_CHECK(n == c->n_ooo && n <= TCP_OOO_MAX);
	/* the peek offset: data sent and not acknowledged */
	if (s && c->state == TCPS_ESTABLISHED && s->peek_off >= 0) {
		uint32_t data_end = c->flags & TCPF_FIN_SENT ? c->fin_seq :
				    c->snd_nxt;

		FUZZ_CHECK((uint32_t)s->peek_off ==
			   (seq_lt(c->snd_una, data_end) ?
			    data_end - c->snd_una : 0));
	}
}

/* broth's live connection from the guest port of connection @i, or NULL */
static struct tcp_conn *broth_conn(int i)
{
	if (!gc[i].open)
		return NULL;
	for (uint32_t k = 0; k < w->tcp.cap; k++) {
		struct flow *f = flow_at(&w->tcp, k);

		if (f->state != FLOW_FREE && f->state != FLOW_DEAD &&
		    f->key.gport == rte_cpu_to_be_16(gc[i].gport))
			return (struct tcp_conn *)f;
	}
	return NULL;
}

/* broth's connection for exactly the ports of @g, or NULL */
static struct tcp_conn *broth_flow(const struct gconn *g)
{
	uint8_t gaddr[INET_ALEN], raddr[INET_ALEN];
	struct flow_key k;

	inet_from_v4(gaddr, vn->guest4);
	inet_from_v4(raddr, g->raddr);
	flow_key(&k, vn->id, IPPROTO_TCP, gaddr, rte_cpu_to_be_16(g->gport),
		 raddr, rte_cpu_to_be_16(g->rport));
	return (struct tcp_conn *)flow_lookup(&w->tcp, &k);
}

/* ---- the guest ---- */

/* An IPv4/TCP frame from the guest's port @gport to @raddr:@rport */
FZ_NO_COV static size_t guest_frame(uint16_t gport, rte_be32_t raddr, uint16_t rport,
			  uint8_t flags, uint32_t seq, uint32_t ack,
			  uint16_t win, const uint8_t *opts, size_t optlen,
			  int conn, const uint8_t *raw, size_t len)
{
	static const struct rte_ether_addr guest_mac = {
		{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
	uint8_t *f = frame_buf, *ip = f + 14, *t = ip + 20;
	size_t l4 = 20 + optlen + len;

	memcpy(f, &vn->gw_mac, 6);
	memcpy(f + 6, &guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4) >> 8);
	ip[3] = (uint8_t)(20 + l4);
	ip[6] = 0x40;		/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &vn->guest4, 4);
	memcpy(ip + 16, &raddr, 4);
	memset(t, 0, 20);
	t[0] = (uint8_t)(gport >> 8);
	t[1] = (uint8_t)gport;
	t[2] = (uint8_t)(rport >> 8);
	t[3] = (uint8_t)rport;
	for (int i = 0; i < 4; i++) {
		t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		t[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	t[12] = (uint8_t)((20 + optlen) / 4 << 4);
	t[13] = flags;
	t[14] = (uint8_t)(win >> 8);
	t[15] = (uint8_t)win;
	if (optlen)
		memcpy(t + 20, opts, optlen);
	for (size_t k = 0; k < len; k++)
		t[20 + optlen + k] = raw ? raw[k] :
			guest_byte(conn, (uint64_t)(uint32_t)(seq - gc[conn].g_iss - 1) + k);
	fuzz_fix_csums(f, 14 + 20 + l4);
	return 14 + 20 + l4;
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* The frame in frame_buf into broth, as a worker would pass it */
static void guest_send(int conn, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct pkt p;
	char *d;

	FUZZ_CHECK(m);		/* a full pool: mbufs leak */
	FUZZ_CHECK(len <= rte_pktmbuf_tailroom(m));
	d = rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(d, frame_buf, len);
	m->port = port_id;
	if (parse_frame((uint8_t *)d, (uint32_t)len, 0, &p) != DROP_NONE) {
		rte_pktmbuf_free(m);
		return;
	}
	TRACE("  in conn %d %u->%u flags %#x seq %u ack %u len %u\n", conn,
	      rte_be_to_cpu_16(p.sport), rte_be_to_cpu_16(p.dport),
	      d[p.l4_off + 13], be32_at((uint8_t *)d + p.l4_off + 4),
	      be32_at((uint8_t *)d + p.l4_off + 8), p.payload_len);
	fz_cur_conn = conn;
	tcp_guest_input(w, 0, m, &p);
	fz_cur_conn = -1;
}

/* Largest payload of one guest frame: it fits one mbuf */
#define FZ_SEG_MAX	(RTE_MBUF_DEFAULT_DATAROOM - 14 - 20 - 60)

static void op_syn(struct in *in, int i)
{
	struct gconn *g = &gc[i];
	uint8_t o[40], sel = u8(in), n = 0;
	static const rte_be32_t dst[4] = { 0, FZ_REMOTE, FZ_SUBNET_HOST, 0 };

	if (broth_conn(i) && !g->inbound) {
		/* broth still has it: the same SYN again, or another ISN */
		uint32_t seq = sel & 128 ? u32(in) : g->g_iss;

		fz_strict = fz_strict && seq == g->g_iss;
		guest_send(i, guest_frame(g->gport, g->raddr, g->rport,
					  RTE_TCP_SYN_FLAG, seq, 0, g->win,
					  NULL, 0, i, NULL, 0));
		return;
	}
	if (broth_conn(i))
		return;
	flush();	/* what the last one sent, checked against it */
	memset(g, 0, sizeof(*g));
	g->open = true;
	g->fd = -1;
	g->gport = (uint16_t)(FZ_GPORT + i);
	g->raddr = (sel & 3) == 0 || (sel & 3) == 3 ? vn->gw4 : dst[sel & 3];
	g->rport = (sel & 3) == 3 ? 53 : 80;
	g->g_iss = u32(in);
	g->snd_nxt = g->snd_max = g->g_iss + 1;
	g->syn_sent = true;
	g->win = u16(in);
	if (sel & 4) {		/* MSS */
		uint16_t mss = u16(in);

		o[n++] = 2;
		o[n++] = 4;
		o[n++] = (uint8_t)(mss >> 8);
		o[n++] = (uint8_t)mss;
	}
	if (sel & 8) {		/* SACK permitted */
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (sel & 16) {		/* window scale */
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = u8(in);
	}
	fz_connect_err = 0;
	if (sel & 32) {		/* connect() answers at once */
		static const int res[4] = { 1, -ECONNREFUSED, -ENETUNREACH,
					    -EHOSTUNREACH };

		fz_connect_err = res[u8(in) & 3];
	}
	fz_socket_fail = sel & 64;
	fz_last_fd = -1;
	guest_send(i, guest_frame(g->gport, g->raddr, g->rport,
				  RTE_TCP_SYN_FLAG, g->g_iss, 0, g->win, o, n,
				  i, NULL, 0));
	g->fd = fz_last_fd;	/* the socket broth opened for it, if any */
	fz_connect_err = 0;
	fz_socket_fail = false;
}

/* A segment as a TCP sender would send it: consistent data and FIN */
static void op_seg(struct in *in, int i)
{
	static const uint8_t fl_of[8] = {
		RTE_TCP_ACK_FLAG, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, RTE_TCP_ACK_FLAG,
		RTE_TCP_RST_FLAG, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG,
		RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, RTE_TCP_SYN_FLAG,
	};
	struct gconn *g = &gc[i];
	uint8_t sel = u8(in), fl = fl_of[sel & 7], o[40], n = 0;
	uint32_t seq = g->snd_nxt + (uint32_t)(int32_t)(int16_t)u16(in);
	uint32_t ack = g->rcv_nxt - (uint32_t)(int32_t)(int16_t)u16(in);
	uint32_t len = u16(in) % (FZ_SEG_MAX + 1);

	if (!g->open)
		return;
	g->win = sel & 8 ? u16(in) : g->win;
	if (sel & 16) {		/* SACK blocks, relative to what broth sent */
		unsigned nb = 1 + u8(in) % 4;

		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (unsigned b = 0; b < nb; b++) {
			uint32_t l = g->rcv_nxt - u16(in), r = l + u16(in);

			for (int k = 0; k < 4; k++) {
				o[n + k] = (uint8_t)(l >> (24 - 8 * k));
				o[n + 4 + k] = (uint8_t)(r >> (24 - 8 * k));
			}
			n += 8;
		}
	}
	/* a SYN without connection would open one: op_syn() does that */
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
	    RTE_TCP_SYN_FLAG && !broth_flow(g))
		return;
	if (fl & RTE_TCP_SYN_FLAG) {
		/* a port forward's first SYN-ACK picks the guest's ISN; a
		 * later one with another ISN is a guest that lies */
		if (g->inbound && !(sel & 32)) {
			uint32_t iss = u32(in);

			fz_strict = fz_strict &&
				    (!g->syn_sent || iss == g->g_iss);
			/* the same SYN-ACK again leaves what it sent since */
			if (!g->syn_sent || iss != g->g_iss)
				g->snd_nxt = g->snd_max = iss + 1;
			g->g_iss = iss;
		}
		g->syn_sent = true;
		seq = g->g_iss;
		len = 0;
	}
	if (fl & RTE_TCP_RST_FLAG)
		len = 0;
	if (g->fin_set) {	/* never beyond its FIN */
		if (seq_lt(g->fin_seq, seq))
			seq = g->fin_seq;
		if (seq_lt(g->fin_seq, seq + len))
			len = g->fin_seq - seq;
		fl &= (uint8_t)~RTE_TCP_FIN_FLAG;
		if (seq + len == g->fin_seq && (sel & 64))
			fl |= RTE_TCP_FIN_FLAG;		/* FIN again */
	} else if (fl & RTE_TCP_FIN_FLAG) {
		g->fin_set = true;
		g->fin_seq = seq + len;
		/* data it sent beyond its FIN: not a stream any more */
		fz_strict = fz_strict && seq_le(g->snd_max, g->fin_seq);
	}
	if (!(fl & RTE_TCP_SYN_FLAG) &&
	    seq_lt(g->snd_nxt, seq + len + !!(fl & RTE_TCP_FIN_FLAG)) &&
	    seq_le(seq, g->snd_nxt))
		g->snd_nxt = seq + len + !!(fl & RTE_TCP_FIN_FLAG);
	if (len && seq_lt(g->snd_max, seq + len))
		g->snd_max = seq + len;
	guest_send(i, guest_frame(g->gport, g->raddr, g->rport, fl, seq, ack,
				  g->win, o, n, i, NULL, len));
}

/* Any segment: header fields, options and payload from the input */
static void op_raw(struct in *in, int i)
{
	struct gconn *g = &gc[i];
	uint8_t fl = u8(in), olen = (uint8_t)(u8(in) % 11 * 4), o[40];
	uint32_t seq = g->snd_nxt + u32(in), ack = g->rcv_nxt + u32(in);
	uint16_t win = u16(in);
	size_t len = u8(in);

	for (unsigned k = 0; k < olen; k++)
		o[k] = u8(in);
	len = RTE_MIN(len, in->n);
	fz_strict = false;
	guest_send(i, guest_frame(g->open ? g->gport : (uint16_t)(FZ_GPORT + i),
				  g->open ? g->raddr : vn->gw4,
				  g->open ? g->rport : 80, fl, seq, ack, win, o,
				  olen, i, in->p, len));
	in->p += len;
	in->n -= len;
}

/* ---- the host ---- */

static struct fsock *host_sock(int i)
{
	return gc[i].open && gc[i].fd >= 0 ? fsock_of(gc[i].fd) : NULL;
}

static void host_event(struct fsock *s, uint32_t events)
{
	if (s && s->in_epoll && s->ev_tag >> 32 == WORKER_EV_TCP)
		tcp_sock_event(w, (uint32_t)s->ev_tag, events);
}

static void op_host(struct in *in, int i, uint8_t what)
{
	static const int errs[4] = { ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH,
				     ENETUNREACH };
	struct fsock *s = host_sock(i);
	uint16_t n = u16(in);

	if (!s)
		return;
	switch (what) {
	case 0:		/* connect() completes, or fails */
		if (!s->connecting)
			return;
		s->connecting = false;
		s->so_error = n & 0x100 ? errs[n & 3] : 0;
		host_event(s, EPOLLOUT | (s->so_error ? EPOLLERR | EPOLLHUP : 0));
		return;
	case 1:		/* data */
		if (s->connecting || s->rx_eof)
			return;
		s->rx_tail = RTE_MIN(s->rx_tail + n % 20000,
				     s->rx_head + FZ_HOST_RX_MAX);
		host_event(s, EPOLLIN);
		return;
	case 2:		/* FIN */
		if (s->connecting)
			return;
		s->rx_eof = true;
		host_event(s, EPOLLIN | EPOLLRDHUP);
		return;
	case 3:		/* reset */
		if (s->connecting)
			return;
		s->reset = s->rx_eof = true;	/* reads end after the error */
		s->so_error = ECONNRESET;
		host_event(s, EPOLLIN | EPOLLERR | EPOLLHUP);
		return;
	case 4:		/* room to write: none, or some more */
		s->tx_room = n & 1 ? 0 : s->tx_room + n;
		if (s->tx_room && !s->connecting)
			host_event(s, EPOLLOUT);
		return;
	default:	/* an event alone; a connecting socket has none */
		if (!s->connecting)
			host_event(s, n & (EPOLLIN | EPOLLOUT | EPOLLERR |
					   EPOLLHUP | EPOLLRDHUP));
	}
}

/* A port forward accepted a host connection for the guest's port */
static void op_inbound(struct in *in, int i)
{
	struct gconn *g = &gc[i];
	uint8_t sel = u8(in);
	int fd;

	if (broth_conn(i))
		return;
	flush();
	memset(g, 0, sizeof(*g));
	g->open = g->inbound = true;
	g->gport = (uint16_t)(FZ_FWD_PORT + i);
	g->raddr = vn->gw4;
	g->win = 65535;
	fd = fsock_new(i);
	FUZZ_CHECK(fd >= 0);
	g->fd = fd;
	if (sel & 1) {		/* the guest has spoken: its MAC is known */
		static const struct rte_ether_addr mac = {
			{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };

		vnet_guest_mac_learn(vn, &mac);
	}
	tcp_open_inbound(w, 0, fd, g->gport);
}

/* A connection's timer expires, as rte_timer_manage() would run it */
static void op_timer(int i)
{
	struct tcp_conn *c = broth_conn(i);

	if (!c || !rte_timer_pending(&c->timer))
		return;
	rte_timer_stop(&c->timer);
	c->timer.f(&c->timer, c->timer.arg);
}

/* ---- one input ---- */

static void reset(void)
{
	memset(gc, 0, sizeof(gc));
	for (int i = 0; i < FZ_CONNS; i++)
		gc[i].fd = -1;
	memset(fs, 0, sizeof(fs));
	fz_strict = true;
	__atomic_store_n(&vn->guest_mac, 0, __ATOMIC_RELAXED);
	rte_srand(1);
}

static void finish(void)
{
	flush();
	tcp_worker_fini(w);
	rte_eth_tx_buffer_flush(port_id, 0, w->txb[0]);
	collect();
	/* every mbuf back, every socket closed, every flow uncounted */
	FUZZ_CHECK(rte_mempool_in_use_count(pool) == 0);
	for (int k = 0; k < FZ_SOCKS; k++)
		FUZZ_CHECK(!fs[k].used);
	FUZZ_CHECK(__atomic_load_n(&vn->n_flows, __ATOMIC_RELAXED) == 0);
	FUZZ_CHECK(!tcp_worker_init(w, FZ_TABLE));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t mtus[4] = { 1500, 576, 9000, 65520 };
	struct in in = { data, size };
	uint8_t cfg = u8(&in);

	reset();
	vn->mtu = mtus[cfg & 3];
	vn->no_host_loopback = cfg & 4;
	while (in.n) {
		uint8_t op = u8(&in);
		int i = (op >> 4) % FZ_CONNS;

		TRACE("op %u conn %d\n", op & 15, i);
		switch (op & 15) {
		case 0:
			op_syn(&in, i);
			break;
		case 1: case 2: case 3: case 4:
			op_seg(&in, i);
			break;
		case 5:
			op_raw(&in, i);
			break;
		case 6: case 7: case 8: case 9: case 10: case 11:
			op_host(&in, i, (uint8_t)((op & 15) - 6));
			break;
		case 12:
			op_inbound(&in, i);
			break;
		case 13:
			op_timer(i);
			break;
		default:
			flush();
		}
		flow_for_each_live(&w->tcp, check_conn, NULL);
	}
	finish();
	return 0;
}
