/* SPDX-License-Identifier: MIT */
/* tcp_harness.c - a guest, a host peer and a cut-down broth; see tcp_harness.h */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_timer.h>

#include "inet.h"
#include "mbuf_chain.h"
#include "mbuf_pool.h"
#include "parse.h"
#include "tcp.h"
#include "tcp_harness.h"

#define POOL_SIZE	8191
#define RING_SIZE	1024
#define FIFO_SIZE	1024	/* segments from broth not yet looked at */
#define WAIT_MS		2000	/* for something that must happen */
#define DEVNAME		"net_ring_tcp"

struct guest g;
struct worker *w;
struct vnet *vn;
uint16_t listen_port;

static struct rte_mempool *pool;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port_id;
static struct broth_engine *e;
static int listen_fd = -1;
static struct seg fifo[FIFO_SIZE];
static unsigned fifo_head, fifo_n;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ms_tsc() - @ms milliseconds in TSC cycles, to move stored timestamps */
uint64_t ms_tsc(uint64_t ms)
{
	return rte_get_tsc_hz() / 1000 * ms;
}

/* ---- setup ---- */

/* A net_ring ethdev: what broth sends on its TX queue 0 lands on @tx_ring */
static void port_setup(void)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rx_ring = rte_ring_create("t_rx", RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("t_tx", RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert(rx_ring && tx_ring);
	rc = rte_eth_from_rings(DEVNAME, &rx_ring, 1, &tx_ring, 1,
				SOCKET_ID_ANY);
	cr_assert_geq(rc, 0, "net_ring: %s", rte_strerror(rte_errno));
	port_id = (uint16_t)rc;
	cr_assert_eq(rte_eth_dev_configure(port_id, 1, 1, &conf), 0);
	cr_assert_eq(rte_eth_rx_queue_setup(port_id, 0, RING_SIZE, SOCKET_ID_ANY,
					    NULL, pool), 0);
	cr_assert_eq(rte_eth_tx_queue_setup(port_id, 0, RING_SIZE, SOCKET_ID_ANY,
					    NULL), 0);
	cr_assert_eq(rte_eth_dev_start(port_id), 0);
}

/* One vnet, one port, one worker: what engine_setup() builds, minus tap */
static void engine_setup(void)
{
	struct broth_vnet_conf vc;
	char err[128];

	e = rte_zmalloc("engine", sizeof(*e), RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(e);
	broth_vnet_conf_defaults(&vc);
	e->conf.vnets[0] = vc;
	e->conf.n_vnets = 1;
	e->conf.max_flows = 64;
	vn = &e->vnets[0];
	cr_assert_eq(vnet_init(vn, 0, &vc, err, sizeof(err)), 0, "%s", err);
	vn->max_flows = e->conf.max_flows;
	e->n_workers = 1;
	e->n_ports = 1;
	e->ports[0] = (struct port){ .port_id = port_id, .n_queues = 1,
				     .vn = vn, .pool = pool, .netns_fd = -1,
				     .devname = DEVNAME };
	e->port_idx[port_id] = 0;
	w = &e->workers[0];
	cr_assert_eq(worker_init(w, e, 0), 0);
	cr_assert_eq(worker_add_port(w, 0), 0);	/* no RX interrupt: polls */
	worker_self = w;
}

/* The host peer listens on 127.0.0.1, which the guest reaches at 10.0.0.1 */
static void host_listen(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(listen_fd, 0);
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(listen_fd, 8), 0);
	cr_assert_eq(getsockname(listen_fd, (struct sockaddr *)&sa, &len), 0);
	listen_port = ntohs(sa.sin_port);
}

/* harness_setup() - Criterion .init: EAL, pool, port, worker, host listener */
void harness_setup(void)
{
	char *argv[] = {
		"test_tcp", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-l", "0", "-m", "128",
		"--log-level", "*:error",
		"--log-level", "lib.ethdev:critical",	/* net_ring: no RX intr */
		NULL,
	};

	cr_assert_geq(rte_eal_init((int)RTE_DIM(argv) - 1, argv), 0);
	cr_assert_eq(mbuf_link_register(), 0);
	cr_assert_eq(rte_timer_subsystem_init(), 0);
	pool = mbuf_pool_create("test_tcp", POOL_SIZE, 0,
				RTE_MBUF_DEFAULT_DATAROOM);
	cr_assert_not_null(pool);
	port_setup();
	engine_setup();
	host_listen();
	memset(&g, 0, sizeof(g));
	g.host_fd = -1;
	fifo_head = fifo_n = 0;
}

/* harness_teardown() - Criterion .fini: free everything, stop the EAL */
void harness_teardown(void)
{
	struct rte_mbuf *m;

	if (g.host_fd >= 0)
		close(g.host_fd);
	close(listen_fd);
	worker_fini(w);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	while (!rte_ring_dequeue(tx_ring, (void **)&m))
		rte_pktmbuf_free(m);
	rte_ring_free(rx_ring);
	rte_ring_free(tx_ring);
	rte_free(e);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

/* ---- broth to the guest ---- */

static void seg_options(struct seg *s, const uint8_t *o, unsigned len)
{
	for (unsigned i = 0; i < len;) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		cr_assert(i + 1 < len && (olen = o[i + 1]) >= 2 && i + olen <= len,
			  "malformed TCP option %u from broth", kind);
		if (kind == 2 && olen == 4)
			s->mss = get16(o + i + 2);
		else if (kind == 3 && olen == 3)
			s->ws = o[i + 2];
		else if (kind == 4 && olen == 2)
			s->sack_ok = true;
		else if (kind == 5)
			for (unsigned b = i + 2; b + 8 <= i + olen; b += 8) {
				cr_assert_lt(s->n_sack, 4u);
				s->sack[s->n_sack][0] = get32(o + b);
				s->sack[s->n_sack++][1] = get32(o + b + 4);
			}
		i += olen;
	}
}

/* Check addressing and checksums of a frame broth sent, and decode it */
static void seg_decode(const struct rte_mbuf *m, struct seg *s)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = f + TF_ETH_LEN, *t;
	rte_be32_t src, dst;
	unsigned ihl, doff;

	cr_assert_eq(m->nb_segs, 1, "single-segment frames only here");
	cr_assert_geq(m->data_len, TF_ETH_LEN + TF_IP4_LEN + 20u);
	cr_assert(!memcmp(f, &tf_guest_mac, 6), "to the guest's MAC");
	cr_assert(!memcmp(f + 6, &vn->gw_mac, 6), "from the gateway MAC");
	cr_assert_eq(get16(f + 12), 0x0800, "not IPv4");
	cr_assert_eq(ip[9], IPPROTO_TCP, "not TCP: protocol %u", ip[9]);
	ihl = (ip[0] & 0xfu) * 4;
	cr_assert_eq(TF_ETH_LEN + get16(ip + 2), m->data_len, "IP length");
	cr_assert(tf_ip4_csum_ok(f), "bad IPv4 checksum from broth");
	cr_assert(tf_l4_csum_ok(f), "bad TCP checksum from broth");
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	cr_assert_eq(src, vn->gw4);
	cr_assert_eq(dst, vn->guest4);
	t = ip + ihl;
	cr_assert_eq(get16(t), g.dport, "source port");
	cr_assert_eq(get16(t + 2), GPORT, "destination port");
	memset(s, 0, sizeof(*s));
	s->ws = -1;
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	doff = (t[12] >> 4) * 4u;
	s->flags = t[13];
	s->win = get16(t + 14);
	seg_options(s, t + 20, doff - 20);
	s->len = get16(ip + 2) - ihl - doff;
	memcpy(s->data, t + doff, s->len);
}

/* Move what broth sent from the TX ring into the FIFO */
static void collect(void)
{
	struct rte_mbuf *m;

	while (!rte_ring_dequeue(tx_ring, (void **)&m)) {
		cr_assert_lt(fifo_n, FIFO_SIZE, "segments from broth pile up");
		seg_decode(m, &fifo[(fifo_head + fifo_n++) % FIFO_SIZE]);
		rte_pktmbuf_free(m);
	}
}

/**
 * pump() - one worker iteration for TCP, minus rte_timer_manage()
 * @timeout_ms:	how long to wait for socket events (epoll_wait)
 *
 * Socket events, tcp_flush(), TX flush, then what was sent into the FIFO.
 */
void pump(int timeout_ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(w->epfd, ev, RTE_DIM(ev), timeout_ms);

	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 >> 32 == WORKER_EV_TCP)
			tcp_sock_event(w, (uint32_t)ev[i].data.u64, ev[i].events);
	tcp_flush(w);
	rte_eth_tx_buffer_flush(port_id, 0, w->txb[0]);
	collect();
}

/* seg_pending() - has broth sent something the test has not looked at? */
bool seg_pending(void)
{
	return fifo_n;
}

/* next_seg() - the next segment from broth; waits for it */
struct seg next_seg_at(int line)
{
	uint64_t end = mono_ms() + WAIT_MS;
	struct seg s;

	for (int i = 0; !fifo_n && mono_ms() < end; i++)
		pump(i ? 1 : 0);
	cr_assert_gt(fifo_n, 0, "line %d: broth sent nothing", line);
	s = fifo[fifo_head];
	fifo_head = (fifo_head + 1) % FIFO_SIZE;
	fifo_n--;
	return s;
}

/**
 * expect_seg() - the next segment from broth must be this one
 * @flags:	RTE_TCP_*_FLAG; PSH is not compared, it depends on read sizes
 * @seq:	sequence number
 * @ack:	acknowledgment number (0 without ACK)
 * @len:	payload length
 *
 * Return: the segment, for its data, window and options
 */
struct seg expect_seg_at(int line, uint8_t flags, uint32_t seq, uint32_t ack,
			 uint32_t len)
{
	struct seg s = next_seg_at(line);

	cr_assert_eq(s.flags & ~PSH, flags, "line %d: flags %#x, want %#x",
		     line, s.flags, flags);
	cr_assert_eq(s.seq, seq, "line %d: seq %u, want %u", line, s.seq, seq);
	cr_assert_eq(s.ack, ack, "line %d: ack %u, want %u", line, s.ack, ack);
	cr_assert_eq(s.len, len, "line %d: length %u, want %u", line, s.len,
		     len);
	return s;
}

/* expect_synack() - broth's SYN-ACK, for the SYN alone; notes broth's ISS */
struct seg expect_synack_at(int line)
{
	struct seg s = next_seg_at(line);

	cr_assert_eq(s.flags, SYN | ACK, "line %d: flags %#x", line, s.flags);
	cr_assert_eq(s.ack, G_ISS + 1, "line %d: ack %u", line, s.ack);
	cr_assert_eq(s.len, 0);
	g.iss = s.seq;
	g.rcv_nxt = s.seq + 1;
	return s;
}

/* expect_quiet() - broth sends nothing now (three iterations, 1 ms each) */
void expect_quiet_at(int line)
{
	const struct seg *s = &fifo[fifo_head];

	for (int i = 0; i < 3; i++)
		pump(1);
	cr_assert_eq(fifo_n, 0,
		     "line %d: unexpected segment flags %#x seq %u ack %u len %u",
		     line, s->flags, s->seq, s->ack, s->len);
}

/* assert_sack() - @s carries exactly these @n SACK blocks, in any order */
void assert_sack(const struct seg *s, unsigned n, const uint32_t (*blk)[2])
{
	cr_assert_eq(s->n_sack, n, "%u SACK blocks, want %u", s->n_sack, n);
	for (unsigned i = 0; i < n; i++) {
		bool found = false;

		for (unsigned k = 0; k < s->n_sack; k++)
			found |= s->sack[k][0] == blk[i][0] &&
				 s->sack[k][1] == blk[i][1];
		cr_assert(found, "no SACK block %u-%u", blk[i][0], blk[i][1]);
	}
}

/* ---- the connection inside broth ---- */

/* conn_of() - broth's connection from the guest to host port @dport, or NULL */
struct tcp_conn *conn_of(uint16_t dport)
{
	uint8_t guest[16], gw[16];
	struct flow_key k;

	inet_from_v4(guest, vn->guest4);
	inet_from_v4(gw, vn->gw4);
	flow_key(&k, vn->id, IPPROTO_TCP, guest, rte_cpu_to_be_16(GPORT), gw,
		 rte_cpu_to_be_16(dport));
	return (struct tcp_conn *)flow_lookup(&w->tcp, &k);
}

/* drops() - the drop counters that are not zero, for failure messages */
const char *drops(void)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (unsigned r = 1; r < DROP__COUNT && n < sizeof(buf) - 64; r++)
		if (w->ctr.drop[r])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%lu",
					      counters_drop_name(r),
					      (unsigned long)w->ctr.drop[r]);
	return buf;
}

/* conn() - the connection under test, which must exist */
struct tcp_conn *conn(void)
{
	struct tcp_conn *c = conn_of(g.dport);

	cr_assert_not_null(c, "the connection is gone; drops:%s", drops());
	return c;
}

/* rto_fire() - the connection's timer expires, as rte_timer_manage() runs it */
void rto_fire(void)
{
	struct tcp_conn *c = conn();

	cr_assert(rte_timer_pending(&c->timer), "no timer armed");
	rte_timer_stop(&c->timer);
	c->timer.f(&c->timer, c->timer.arg);
}

/* ---- the guest ---- */

/**
 * guest_seg_opts() - a segment from the guest, through parse_frame()
 * @flags:	RTE_TCP_*_FLAG
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @opts:	TCP options, @optlen bytes (a multiple of 4), or NULL
 * @optlen:	length of @opts
 * @data:	payload, @len bytes
 * @len:	payload length
 * @bad:	TF_BAD_IP_CSUM, TF_BAD_L4_CSUM, or 0
 *
 * The window field is g.win. A frame parse_frame() refuses is counted and
 * freed, as worker_frame() does.
 */
void guest_seg_opts(uint8_t flags, uint32_t seq, uint32_t ack,
		    const uint8_t *opts, size_t optlen, const void *data,
		    size_t len, unsigned bad)
{
	struct tf_l3 l3 = tf_l3_default(&vn->gw_mac, vn->gw4);
	uint8_t buf[TF_MAX], body[TF_MAX], *t;
	struct rte_mbuf *m;
	enum drop_reason r;
	struct pkt p;
	size_t n;

	cr_assert(optlen % 4 == 0 && optlen + len <= sizeof(body));
	if (optlen)
		memcpy(body, opts, optlen);
	if (len)
		memcpy(body + optlen, data, len);
	l3.flags = bad & TF_BAD_IP_CSUM;
	n = tf_tcp4(buf, &l3, GPORT, g.dport, flags, body, optlen + len);
	t = buf + TF_ETH_LEN + TF_IP4_LEN;
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((20 + optlen) / 4 << 4);
	put16(t + 14, g.win);
	tf_l4_csum_fix(buf);
	if (bad & TF_BAD_L4_CSUM)
		put16(t + 16, get16(t + 16) + 1);

	m = rte_pktmbuf_alloc(pool);
	cr_assert_not_null(m, "pool empty: mbufs leak");
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf, n);
	m->port = port_id;
	r = parse_frame(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, 0, &p);
	if (r) {
		counters_drop(&w->ctr, r);
		rte_pktmbuf_free(m);
		return;
	}
	tcp_guest_input(w, 0, m, &p);
}

/* guest_seg() - a segment without options */
void guest_seg(uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	       size_t len)
{
	guest_seg_opts(flags, seq, ack, NULL, 0, data, len, 0);
}

/* guest_data() - in-order data, acknowledging all the guest received */
void guest_data(const void *data, size_t len)
{
	guest_seg(ACK | PSH, g.snd_nxt, g.rcv_nxt, data, len);
	g.snd_nxt += (uint32_t)len;
}

/* guest_ack() - a pure ACK of g.rcv_nxt */
void guest_ack(void)
{
	guest_seg(ACK, g.snd_nxt, g.rcv_nxt, NULL, 0);
}

/* guest_sack() - a pure ACK of @ack with @n SACK blocks */
void guest_sack(uint32_t ack, const uint32_t (*blk)[2], unsigned n)
{
	uint8_t o[4 + 8 * 4] = { 1, 1, 5, (uint8_t)(2 + 8 * n) };

	cr_assert_leq(n, 4u);
	for (unsigned i = 0; i < n; i++) {
		put32(o + 4 + 8 * i, blk[i][0]);
		put32(o + 8 + 8 * i, blk[i][1]);
	}
	guest_seg_opts(ACK, g.snd_nxt, ack, o, 4 + 8 * n, NULL, 0, 0);
}

/**
 * syn_opts() - SYN options into @o (12 bytes)
 * @mss:	MSS, 0 for none
 * @sack:	SACK-permitted
 * @ws:		window scale, -1 for none
 *
 * Return: length, a multiple of 4
 */
size_t syn_opts(uint8_t *o, uint16_t mss, bool sack, int ws)
{
	size_t n = 0;

	if (mss) {
		o[n++] = 2;
		o[n++] = 4;
		put16(o + n, mss);
		n += 2;
	}
	if (sack) {
		memcpy(o + n, (uint8_t[]){ 1, 1, 4, 2 }, 4);
		n += 4;
	}
	if (ws >= 0) {
		memcpy(o + n, (uint8_t[]){ 1, 3, 3, (uint8_t)ws }, 4);
		n += 4;
	}
	return n;
}

/* guest_syn() - a SYN (seq G_ISS) to host port @dport, with options and data */
void guest_syn(uint16_t dport, const uint8_t *opts, size_t optlen,
	       const void *data, size_t len)
{
	g.dport = dport;
	g.snd_nxt = G_ISS;
	g.win = 65535;
	guest_seg_opts(SYN, g.snd_nxt++, 0, opts, optlen, data, len, 0);
}

/**
 * guest_connect() - a connection to the host listener, established, accepted
 * @mss:	MSS the guest offers, 0 for none
 * @sack:	SACK-permitted offered
 * @ws:		window scale offered, -1 for none
 *
 * Return: the connection inside broth
 */
struct tcp_conn *guest_connect(uint16_t mss, bool sack, int ws)
{
	uint8_t o[12];

	guest_syn(listen_port, o, syn_opts(o, mss, sack, ws), NULL, 0);
	expect_synack();
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	cr_assert_eq(conn()->state, TCPS_ESTABLISHED);
	return conn();
}

/* fill() - test data: byte @off + i of a stream is a function of it */
void fill(uint8_t *b, size_t n, uint32_t off)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((off + i) % 251);
}

/* finish() - end of a test: connections closed, every mbuf back in the pool */
void finish(void)
{
	tcp_worker_fini(w);
	rte_eth_tx_buffer_flush(port_id, 0, w->txb[0]);
	collect();
	cr_assert_eq(rte_mempool_in_use_count(pool), 0, "%u mbufs leaked",
		     rte_mempool_in_use_count(pool));
}

/* ---- the host peer ---- */

/* host_accept() - the host peer's end of the connection broth opened */
int host_accept(void)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	int fd;

	cr_assert_eq(poll(&pfd, 1, WAIT_MS), 1, "host: no connection");
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(fd, 0);
	return fd;
}

void host_write(const void *buf, size_t len)
{
	cr_assert_eq(send(g.host_fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* host_read() - exactly @len bytes, running broth while waiting */
void host_read(void *buf, size_t len)
{
	uint64_t end = mono_ms() + WAIT_MS;
	size_t got = 0;

	while (got < len) {
		ssize_t r = recv(g.host_fd, (uint8_t *)buf + got, len - got,
				 MSG_DONTWAIT);

		cr_assert_neq(r, 0, "host: EOF after %zu of %zu bytes", got, len);
		cr_assert(r > 0 || errno == EAGAIN, "host: %s", strerror(errno));
		if (r > 0)
			got += (size_t)r;
		else
			pump(1);
		cr_assert_lt(mono_ms(), end, "host: %zu of %zu bytes", got, len);
	}
}

/* host_expect() - the host reads exactly @text next */
void host_expect(const char *text)
{
	char buf[256];
	size_t len = strlen(text);

	cr_assert_lt(len, sizeof(buf));
	host_read(buf, len);
	cr_assert(!memcmp(buf, text, len), "host read '%.*s', want '%s'",
		  (int)len, buf, text);
}

/* host_expect_nothing() - the host has nothing to read */
void host_expect_nothing(void)
{
	char c;

	pump(1);
	errno = 0;
	cr_assert_eq(recv(g.host_fd, &c, 1, MSG_DONTWAIT), -1,
		     "host received something");
	cr_assert_eq(errno, EAGAIN, "host: %s", strerror(errno));
}

/* host_expect_end() - the host's next read is EOF (@err 0) or fails with @err */
void host_expect_end(int err)
{
	uint64_t end = mono_ms() + WAIT_MS;
	ssize_t r;
	char c;

	while ((r = recv(g.host_fd, &c, 1, MSG_DONTWAIT)) < 0 &&
	       errno == EAGAIN && mono_ms() < end)
		pump(1);
	if (!err) {
		cr_assert_eq(r, 0, "host: no EOF (%zd, %s)", r, strerror(errno));
		return;
	}
	cr_assert_eq(r, -1, "host: read %zd, wanted %s", r, strerror(err));
	cr_assert_eq(errno, err, "host: %s, wanted %s", strerror(errno),
		     strerror(err));
}
