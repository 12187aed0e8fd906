/* SPDX-License-Identifier: MIT */
/*
 * vhostgen.c - a traffic generator that is broth's VM guest
 *
 *   vhostgen --sock PATH --mode MODE [--queues N]
 *            [--seconds S] [--warmup S] [--port P] [--flows N] [--burst N]
 *            [--no-steer] [--vdev-args K=V,...]
 *
 * It runs as its own process with its own EAL and connects to broth's
 * vhost-user socket as a virtio_user front end, where QEMU would be, so
 * broth runs its real vhost data path (guest memory shared, one virtqueue
 * pair per worker). One thread serves every queue pair: pre-built frames
 * are copied into mbufs and sent in bursts; whatever broth sends back is
 * counted by kind and freed (or, for a SYN-ACK, turned into a RST). Each
 * second it prints what went each way; at the end one "summary" line over
 * the measured window (after --warmup).
 *
 * Modes, all 64-byte frames from the guest 10.0.0.2:
 *   null    an unknown EtherType; a worker drops it at the first header
 *           ("eth_unknown_ethertype"): the vhost-user port's own cost
 *   arp     ARP requests for the gateway; broth's slow path answers each
 *   ping    ICMP echo to the gateway; a worker answers in place
 *   mcast   UDP to 224.0.0.251:5353 (mDNS); a worker drops it after parse
 *           and classify ("ipv4_broadcast_multicast")
 *   badsum  UDP to the gateway with a wrong checksum; dropped by the parser
 *   rst     TCP RSTs to the gateway's --port from source ports 1024-65535,
 *           for connections that do not exist: parse, classify, flow hash,
 *           flow lookup, then dropped ("tcp_no_connection")
 *   udp     UDP to the gateway's --port from --flows source ports; broth
 *           sends each from a host socket to 127.0.0.1:PORT
 *   syn     TCP SYNs to the gateway's --port from source ports 1024-65535;
 *           broth connects to 127.0.0.1:PORT and answers SYN-ACK, which
 *           we answer with RST: connection attempts per second
 *
 * Our queue q is broth's RX queue q, which only worker q reads. broth's
 * owner of a UDP or TCP flow is a hash of the flow's key (flow_hash.h), so
 * by default each flow is sent on its owner's queue, as a NIC's RSS would
 * spread flows, and no frame is handed from one worker to another (so
 * --queues must equal broth's worker count). --no-steer deals flows out
 * round-robin instead, like a guest's per-CPU queues; then most frames
 * cross to another worker.
 *
 * Back-pressure: a full TX ring means broth is the bottleneck; the frames
 * stay ours and are offered again ("ring_full_pct" tells how often). When
 * nothing has moved either way for IDLE_SPIN_US, broth is slow per frame
 * (socket calls): we sleep IDLE_SLEEP_US, far less than the ring's 1024
 * frames of such work last, so a sink or a broth worker sharing our core
 * gets it.
 */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "flow_hash.h"
#include "frames.h"
#include "inet.h"
#include "mbuf_pool.h"

#define BURST_MAX	64
#define RST_MAX		1024	/* SYN-ACKs answered, waiting for ring space */
#define RING_SIZE	1024	/* virtqueue size, both ways */
#define QUEUES_MAX	8
#define VNET_ID		0	/* broth's first (only) guest: part of the hash */
#define SYN_PORT_MIN	1024
#define FLOW_PORT_BASE	10000	/* udp, badsum, mcast source ports */
#define MCAST_GROUP	RTE_BE32(0xe00000fb)	/* 224.0.0.251 */
#define IDLE_SPIN_US	20
#define IDLE_SLEEP_US	50

enum mode {
	M_NULL, M_ARP, M_PING, M_MCAST, M_BADSUM, M_RST, M_UDP, M_SYN, M__COUNT
};
static const char *const mode_names[M__COUNT] = {
	"null", "arp", "ping", "mcast", "badsum", "rst", "udp", "syn" };

struct opts {
	const char *sock, *vdev_args;
	enum mode mode;
	unsigned queues, seconds, warmup, flows, burst;
	uint16_t port;
	bool steer;
};

struct counts {
	uint64_t tx, rx, rst_tx, tx_calls, tx_full;
	uint64_t kind[REPLY__COUNT];
};

struct queue {
	uint16_t id;
	uint8_t (*frames)[FRAME_LEN];	/* this queue's pre-built frames */
	unsigned n_frames, next;
	struct rte_mbuf *pend[BURST_MAX];	/* built, not yet taken */
	unsigned n_pend;
	struct rte_mbuf *rst[RST_MAX];	/* syn: answers, sent before SYNs */
	unsigned n_rst;
	struct counts c;
};

struct gen {
	struct opts o;
	uint16_t port_id;
	struct rte_mempool *pool;
	struct gen_addr addr;
	struct queue q[QUEUES_MAX];
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vhostgen --sock PATH --mode null|arp|ping|mcast|badsum|rst|udp|syn\n"
		"  [--queues N (1; = broth's workers)] [--seconds S (10)] [--warmup S (1)]\n"
		"  [--port P (9000; udp, syn, rst, badsum)] [--flows N (256; udp source ports)]\n"
		"  [--burst N (32)] [--no-steer] [--vdev-args K=V,... (virtio_user devargs)]\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "sock", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "queues", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "burst", required_argument, NULL, 'b' },
		{ "no-steer", no_argument, NULL, 'n' },
		{ "vdev-args", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .mode = M__COUNT, .queues = 1, .seconds = 10,
			    .warmup = 1, .flows = 256, .burst = 32,
			    .port = 9000, .steer = true, .vdev_args = "" };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->sock = optarg; break;
		case 'm':
			for (int i = 0; i < M__COUNT; i++)
				if (!strcmp(optarg, mode_names[i]))
					o->mode = (enum mode)i;
			break;
		case 'q': o->queues = (unsigned)atoi(optarg); break;
		case 't': o->seconds = (unsigned)atoi(optarg); break;
		case 'w': o->warmup = (unsigned)atoi(optarg); break;
		case 'p': o->port = (uint16_t)atoi(optarg); break;
		case 'f': o->flows = (unsigned)atoi(optarg); break;
		case 'b': o->burst = (unsigned)atoi(optarg); break;
		case 'n': o->steer = false; break;
		case 'v': o->vdev_args = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->sock || o->mode == M__COUNT || optind != argc ||
	    o->queues < 1 || o->queues > QUEUES_MAX || o->seconds < 1 ||
	    o->flows < 1 || o->flows > 50000 || o->burst < 1 ||
	    o->burst > BURST_MAX || !o->port)
		return -1;
	return 0;
}

/*
 * Our own EAL, like broth's (DPDK-NOTES.md): no hugepages (the memory is a
 * memfd, which is what vhost-user needs to share it), no PCI, no runtime
 * files; the main lcore may run on whatever CPUs taskset gave us.
 */
static int eal_start(const struct opts *o)
{
	char lcores[256] = "0@(", vdev[1024];
	size_t n = strlen(lcores);
	cpu_set_t set;
	char *argv[] = {
		"vhostgen", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-m", "128", "--lcores", lcores,
		"--log-level", "*:error", "--vdev", vdev, NULL,
	};

	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	for (int cpu = 0; cpu < CPU_SETSIZE && n + 8 < sizeof(lcores); cpu++)
		if (CPU_ISSET(cpu, &set))
			n += (size_t)snprintf(lcores + n, sizeof(lcores) - n,
					      "%d,", cpu);
	snprintf(lcores + n - 1, sizeof(lcores) - n + 1, ")");
	/* several queue pairs need the control queue (it sets how many) */
	snprintf(vdev, sizeof(vdev),
		 "net_virtio_user0,path=%s,queues=%u,queue_size=%u,"
		 "mac=02:00:00:00:00:02%s%s%s", o->sock, o->queues, RING_SIZE,
		 o->queues > 1 ? ",cq=1" : "", *o->vdev_args ? "," : "",
		 o->vdev_args);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

static int port_start(struct gen *g)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint64_t deadline;

	if (rte_eth_dev_get_port_by_name("net_virtio_user0", &g->port_id))
		return -ENODEV;
	if (rte_eth_dev_configure(g->port_id, (uint16_t)g->o.queues,
				  (uint16_t)g->o.queues, &conf))
		return -EIO;
	for (uint16_t q = 0; q < g->o.queues; q++)
		if (rte_eth_rx_queue_setup(g->port_id, q, RING_SIZE,
					   SOCKET_ID_ANY, NULL, g->pool) ||
		    rte_eth_tx_queue_setup(g->port_id, q, RING_SIZE,
					   SOCKET_ID_ANY, NULL))
			return -EIO;
	if (rte_eth_dev_start(g->port_id))
		return -EIO;
	deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();
	do {
		if (!rte_eth_link_get_nowait(g->port_id, &link) &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_ms(10);
	} while (rte_rdtsc() < deadline && !quit);
	return -ETIMEDOUT;
}

/* Send one pre-built frame on queue @q, outside the measured loop */
static void send_one(struct gen *g, uint16_t q, const uint8_t *frame)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);

	if (!m)
		return;
	memcpy(rte_pktmbuf_mtod(m, void *), frame, FRAME_LEN);
	m->data_len = m->pkt_len = FRAME_LEN;
	if (!rte_eth_tx_burst(g->port_id, q, &m, 1))
		rte_pktmbuf_free(m);
}

/*
 * Ask for the gateway's MAC, as a guest would first: the frames need it,
 * and broth learns ours from the request. Retried for up to 5 s while broth
 * brings the queues up.
 */
static int learn_gateway(struct gen *g)
{
	uint64_t hz = rte_get_tsc_hz(), deadline = rte_rdtsc() + 5 * hz, next = 0;
	uint8_t req[FRAME_LEN];
	struct rte_mbuf *pkts[BURST_MAX];

	frame_arp_request(req, &g->addr);
	while (rte_rdtsc() < deadline && !quit) {
		if (rte_rdtsc() >= next) {
			send_one(g, 0, req);
			next = rte_rdtsc() + hz / 10;
		}
		for (uint16_t q = 0; q < g->o.queues; q++) {
			uint16_t n = rte_eth_rx_burst(g->port_id, q, pkts, BURST_MAX);
			bool got = false;

			for (uint16_t i = 0; i < n; i++) {
				got |= frame_arp_reply_from(
					rte_pktmbuf_mtod(pkts[i], uint8_t *),
					pkts[i]->data_len, g->addr.gw_ip,
					&g->addr.gw_mac);
				rte_pktmbuf_free(pkts[i]);
			}
			if (got)
				return 0;
		}
		rte_delay_us_sleep(1000);
	}
	return -ETIMEDOUT;
}

/* The queue broth's worker for this UDP/TCP flow reads (see the header) */
static unsigned owner_queue(const struct gen *g, uint16_t sport)
{
	static const uint8_t none[INET_ALEN];
	uint8_t guest[INET_ALEN], gw[INET_ALEN];
	uint32_t h;

	inet_from_v4(guest, g->addr.guest_ip);
	inet_from_v4(gw, g->addr.gw_ip);
	if (g->o.mode == M_UDP)	/* udp_flow_hash(): the guest end only */
		h = flow_hash(VNET_ID, IPPROTO_UDP, guest, none,
			      rte_cpu_to_be_16(sport), 0);
	else
		h = flow_hash(VNET_ID, IPPROTO_TCP, guest, gw,
			      rte_cpu_to_be_16(sport),
			      rte_cpu_to_be_16(g->o.port));
	return flow_owner(h, g->o.queues);
}

/* Frame number @i of the mode; returns the queue it belongs to */
static unsigned build_frame(const struct gen *g, unsigned i, uint8_t *f)
{
	static const struct rte_ether_addr mdns_mac = {
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb } };
	const struct gen_addr *a = &g->addr;
	unsigned rr = i % g->o.queues;
	uint16_t sport;

	switch (g->o.mode) {
	case M_NULL:
		frame_unknown(f, a);
		return rr;
	case M_ARP:
		frame_arp_request(f, a);
		return rr;
	case M_PING:
		frame_icmp_echo(f, a, (uint16_t)(0x4700 + rr), (uint16_t)i);
		return rr;
	case M_MCAST:
		frame_udp(f, a, MCAST_GROUP, &mdns_mac,
			  (uint16_t)(FLOW_PORT_BASE + i), 5353, false);
		return rr;
	case M_BADSUM:
		frame_udp(f, a, a->gw_ip, &a->gw_mac,
			  (uint16_t)(FLOW_PORT_BASE + i), g->o.port, true);
		return rr;
	case M_UDP:
		sport = (uint16_t)(FLOW_PORT_BASE + i);
		frame_udp(f, a, a->gw_ip, &a->gw_mac, sport, g->o.port, false);
		break;
	default:	/* M_SYN, M_RST; a fixed ISN per port is enough */
		sport = (uint16_t)(SYN_PORT_MIN + i);
		frame_tcp(f, a, sport, g->o.port, sport * 2654435761u,
			  g->o.mode == M_SYN ? RTE_TCP_SYN_FLAG : RTE_TCP_RST_FLAG);
		break;
	}
	return g->o.steer ? owner_queue(g, sport) : rr;
}

static unsigned frame_count(const struct opts *o)
{
	switch (o->mode) {
	case M_UDP:
		return o->flows;
	case M_SYN:
	case M_RST:
		return 65536 - SYN_PORT_MIN;
	default:	/* a few distinct frames per queue are plenty */
		return 64 * o->queues;
	}
}

/* Pre-build every frame of the run into its queue's list */
static int build_frames(struct gen *g)
{
	unsigned total = frame_count(&g->o);
	uint8_t f[FRAME_LEN];

	for (unsigned q = 0; q < g->o.queues; q++) {
		g->q[q].id = (uint16_t)q;
		g->q[q].frames = malloc((size_t)total * FRAME_LEN);
		if (!g->q[q].frames)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < total; i++) {
		struct queue *q = &g->q[build_frame(g, i, f)];

		memcpy(q->frames[q->n_frames++], f, FRAME_LEN);
	}
	for (unsigned q = 0; q < g->o.queues; q++)
		if (!g->q[q].n_frames) {
			fprintf(stderr, "vhostgen: no flow lands on queue %u; "
				"use more --flows\n", q);
			return -EINVAL;
		}
	return 0;
}

/* Count broth's frames; a SYN-ACK becomes our RST in the same mbuf */
static unsigned queue_rx(struct gen *g, struct queue *q)
{
	struct rte_mbuf *pkts[BURST_MAX], *done[BURST_MAX];
	uint16_t n = rte_eth_rx_burst(g->port_id, q->id, pkts,
				      (uint16_t)g->o.burst);
	unsigned n_done = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		enum reply_kind k = frame_classify(d, m->data_len);

		q->c.kind[k]++;
		if (k == REPLY_SYNACK && g->o.mode == M_SYN &&
		    q->n_rst < RST_MAX && frame_rst_for_synack(d, m->data_len)) {
			if (m->data_len < FRAME_LEN)	/* zero padding */
				memset(d + m->data_len, 0, FRAME_LEN - m->data_len);
			m->data_len = m->pkt_len = FRAME_LEN;
			m->ol_flags = 0;
			q->rst[q->n_rst++] = m;
			continue;
		}
		done[n_done++] = m;
	}
	rte_pktmbuf_free_bulk(done, n_done);
	q->c.rx += n;
	return n;
}

/* tx_burst() and keep what the ring did not take, in order */
static unsigned tx_keep(struct gen *g, struct queue *q, struct rte_mbuf **pkts,
			unsigned *n)
{
	unsigned sent = rte_eth_tx_burst(g->port_id, q->id, pkts, (uint16_t)*n);

	if (sent < *n)
		memmove(pkts, pkts + sent, (*n - sent) * sizeof(*pkts));
	*n -= sent;
	return sent;
}

/* Top the burst up with copies of the next pre-built frames and send it */
static unsigned queue_tx(struct gen *g, struct queue *q)
{
	unsigned want = g->o.burst - q->n_pend, sent;

	if (q->n_rst)
		q->c.rst_tx += tx_keep(g, q, q->rst, &q->n_rst);
	if (want && !rte_pktmbuf_alloc_bulk(g->pool, q->pend + q->n_pend, want)) {
		for (unsigned i = q->n_pend; i < g->o.burst; i++) {
			struct rte_mbuf *m = q->pend[i];

			memcpy(rte_pktmbuf_mtod(m, void *), q->frames[q->next],
			       FRAME_LEN);
			m->data_len = m->pkt_len = FRAME_LEN;
			if (++q->next == q->n_frames)
				q->next = 0;
		}
		q->n_pend = g->o.burst;
	}
	if (!q->n_pend)
		return 0;
	q->c.tx_calls++;
	sent = tx_keep(g, q, q->pend, &q->n_pend);
	q->c.tx += sent;
	q->c.tx_full += q->n_pend != 0;
	return sent;
}

static void sum_counts(const struct gen *g, struct counts *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < g->o.queues; i++) {
		const struct counts *c = &g->q[i].c;

		s->tx += c->tx;
		s->rx += c->rx;
		s->rst_tx += c->rst_tx;
		s->tx_calls += c->tx_calls;
		s->tx_full += c->tx_full;
		for (int k = 0; k < REPLY__COUNT; k++)
			s->kind[k] += c->kind[k];
	}
}

/* "KEY=RATE ..." of the counts between @a and @b over @sec seconds */
static void print_rates(const char *what, const struct counts *a,
			const struct counts *b, double sec)
{
	static const char *const kind[REPLY__COUNT] = {
		"arp", "echo", "synack", "rst", "other" };
	uint64_t calls = b->tx_calls - a->tx_calls;

	printf("%s seconds=%.3f tx_pps=%.0f rx_pps=%.0f", what, sec,
	       (double)(b->tx - a->tx) / sec, (double)(b->rx - a->rx) / sec);
	for (int k = 0; k < REPLY__COUNT; k++)
		printf(" %s_pps=%.0f", kind[k],
		       (double)(b->kind[k] - a->kind[k]) / sec);
	printf(" rst_tx_pps=%.0f ring_full_pct=%.1f\n",
	       (double)(b->rst_tx - a->rst_tx) / sec,
	       calls ? 100.0 * (double)(b->tx_full - a->tx_full) / (double)calls : 0.0);
}

static void run(struct gen *g)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	uint64_t start = t0 + g->o.warmup * hz, end = start + g->o.seconds * hz;
	uint64_t tick = t0 + hz, now, t_start = start, idle_since = 0;
	uint64_t idle_spin = hz / 1000000 * IDLE_SPIN_US;
	const struct timespec nap = { 0, IDLE_SLEEP_US * 1000 };
	struct counts prev = { 0 }, at_start = { 0 }, cur;
	char label[32];
	bool measuring = !g->o.warmup;
	unsigned sec = 0;

	if (measuring)
		printf("measure start\n");
	while (!quit) {
		unsigned work = 0;

		for (unsigned i = 0; i < g->o.queues; i++) {
			work += queue_rx(g, &g->q[i]);
			work += queue_tx(g, &g->q[i]);
		}
		now = rte_rdtsc();
		if (work) {
			idle_since = 0;
		} else if (!idle_since) {
			idle_since = now;
		} else if (now - idle_since > idle_spin) {
			nanosleep(&nap, NULL);
			now = rte_rdtsc();
		}
		if (!measuring && now >= start) {
			sum_counts(g, &at_start);
			t_start = now;
			measuring = true;
			printf("measure start\n");
		}
		if (now >= tick) {
			sum_counts(g, &cur);
			snprintf(label, sizeof(label), "sec %u", ++sec);
			print_rates(label, &prev, &cur, 1.0);
			prev = cur;
			tick += hz;
		}
		if (now >= end)
			break;
	}
	now = rte_rdtsc();
	sum_counts(g, &cur);
	printf("summary mode=%s queues=%u steer=%d ", mode_names[g->o.mode],
	       g->o.queues, g->o.steer);
	print_rates("", &at_start, &cur, (double)(now - t_start) / (double)hz);
	for (unsigned i = 0; i < g->o.queues; i++)
		printf("queue %u tx=%" PRIu64 " rx=%" PRIu64 " frames=%u\n", i,
		       g->q[i].c.tx, g->q[i].c.rx, g->q[i].n_frames);
}

static void teardown(struct gen *g)
{
	for (unsigned i = 0; i < g->o.queues; i++) {
		rte_pktmbuf_free_bulk(g->q[i].pend, g->q[i].n_pend);
		rte_pktmbuf_free_bulk(g->q[i].rst, g->q[i].n_rst);
		free(g->q[i].frames);
	}
	rte_eth_dev_stop(g->port_id);
	rte_eth_dev_close(g->port_id);
	rte_mempool_free(g->pool);
	rte_eal_cleanup();
}

int main(int argc, char **argv)
{
	static struct gen g;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_opts(argc, argv, &g.o)) {
		usage(stderr);
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL);	/* IDLE_SLEEP_US means what it says */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (eal_start(&g.o) < 0) {
		fprintf(stderr, "vhostgen: EAL: %s (is broth listening on %s?)\n",
			rte_strerror(rte_errno), g.o.sock);
		return 1;
	}
	/* RX rings + TX rings in flight + our bursts and RSTs, per queue */
	g.pool = mbuf_pool_create("vhostgen", g.o.queues *
				  (2 * RING_SIZE + BURST_MAX + RST_MAX) + 1024,
				  256, RTE_MBUF_DEFAULT_DATAROOM);
	if (!g.pool) {
		fprintf(stderr, "vhostgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rte_ether_unformat_addr("02:00:00:00:00:02", &g.addr.guest_mac);
	g.addr.guest_ip = RTE_BE32(0x0a000002);	/* 10.0.0.2 */
	g.addr.gw_ip = RTE_BE32(0x0a000001);	/* 10.0.0.1 */
	rc = port_start(&g);
	if (rc) {
		fprintf(stderr, "vhostgen: port: %s\n", strerror(-rc));
		return 1;
	}
	if (learn_gateway(&g)) {
		fprintf(stderr, "vhostgen: no ARP reply from the gateway\n");
		teardown(&g);
		return 1;
	}
	rc = build_frames(&g);
	if (!rc)
		run(&g);
	teardown(&g);
	return rc ? 1 : 0;
}
