/* SPDX-License-Identifier: MIT */
/*
 * test_handoff.c - frames crossing threads: handoff rings, the slow path's
 *		    MPSC ring, the workers' TX rings, and the wake protocol
 *
 * Theory of operation
 *
 * Frames cross threads in three places (engine.h, worker.c, slowpath.c):
 *
 *   worker k ──rte_ring_mp_enqueue──► handoff ring of worker j (flow owner)
 *   worker k ──slowpath_enqueue_burst()──► the slow path's MPSC ring
 *   slow path ──slowpath_send()──► TX ring of worker k
 *
 * After each enqueue the producer calls engine_wake(), which writes the
 * consumer's eventfd only if the consumer's `sleeping` flag is set; the
 * consumer sets the flag, fences, and looks at its rings once more before
 * it sleeps in epoll_wait. A lost wake leaves a frame in a ring whose
 * consumer sleeps with no timeout.
 *
 * The tests run the real threads (broth_engine_start(): worker_main() for 3
 * workers, slowpath_main()) on one vnet whose port is a net_ring ethdev with
 * one queue pair per worker. The test is the NIC: it puts guest frames on RX
 * queue k, "raises the interrupt" by writing worker k's wake fd, and reads
 * what the workers transmit on their TX queues. Two kinds of frame make each
 * path visible, each with a unique ID that its answer carries back:
 *  - a TCP ACK to a remote host without a connection: the flow's owner
 *    (flow_owner() of the flow hash, the test picks the source port to pick
 *    the owner) answers it with one RST, whose sequence number is the ACK
 *    number (the ID), on the owner's own TX queue;
 *  - an ARP request for the gateway: the slow path answers it to the
 *    sender MAC (02:10:ID) through the TX ring of the worker that received it.
 * Every frame must be answered exactly once and on the right queue, or be
 * counted under exactly one drop reason by the thread that dropped it, and
 * every answer must come within a bounded time. At the end every mbuf must
 * be back in the pool.
 *
 * ThreadSanitizer (the "tsan" suite): DPDK is not instrumented, but rte_ring
 * is inline, so the rings of libbroth and of this file are. Two rings would
 * still be handled inside DPDK's own code, where TSan cannot see their
 * release and acquire, and mbufs recycled through them would look like
 * races; the test replaces both with the same ring operations compiled here:
 * the mempool's backing ring (mempool ops "test_ring", chosen with
 * --mbuf-pool-ops-name) and net_ring's RX/TX bursts (after
 * rte_eth_dev_start() the port's fast-path functions are pointed at ring
 * bursts of this file). Under TSan, Criterion cannot run at all, so the tsan
 * suite builds this file with crit_lite.h instead.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef BROTH_TEST_NO_CRITERION
#include "crit_lite.h"
#else
#include <criterion/criterion.h>
#endif

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_timer.h>

#include "engine.h"
#include "flow_hash.h"
#include "frames.h"
#include "inet.h"
#include "mbuf_chain.h"
#include "mbuf_pool.h"
#include "slowpath/dns_fwd.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN	1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN	0
#endif

#define N_WORKERS	3
#define POOL_SIZE	16383
#define POOL_CACHE	64
#define RXQ_SIZE	4096
#define TXQ_SIZE	16384
#define DEVNAME		"net_ring_handoff"
#define WAIT_MS		(UNDER_TSAN ? 5000 : 2000)	/* for an answer */
#define MAX_IDS		(1u << 16)
#define REMOTE		TF_IP(93, 184, 216, 34)
#define REMOTE_PORT	80
#define PORTS_PER_OWNER	64

/* Frames per thread: TSan runs the engine 5-15x slower */
#define MPSC_PRODUCERS	4
#define MPSC_FRAMES	(UNDER_TSAN ? 2500 : 12000)
#define BLAST_FRAMES	(UNDER_TSAN ? 2500 : 12000)
#define PINGPONG_ROUNDS	(UNDER_TSAN ? 240 : 900)

static struct broth_engine *e;
static struct vnet *vn;
static struct rte_mempool *pool;
static uint16_t port_id;
static struct rte_ring *rxq[N_WORKERS], *txq[N_WORKERS];
static void *rxq_data[RTE_MAX_QUEUES_PER_PORT], *txq_data[RTE_MAX_QUEUES_PER_PORT];
static uint16_t owner_ports[N_WORKERS][PORTS_PER_OWNER];

/*
 * Per ID: the queue its answer must leave on, written by the thread that
 * sends the frame before it sends it (the rings order it before the
 * collector's read: TSan checks that too); whether it was accepted where it
 * could be refused; and how often its answer came back (collector only).
 */
static uint8_t expect_q[MAX_IDS];
static uint8_t refused[MAX_IDS];
static uint8_t seen[MAX_IDS];
static uint32_t next_id = 1;	/* atomic */
static uint64_t n_answers, n_bad;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* xorshift: each thread its own, seeded by the test */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* ---- mempool ops compiled here, so TSan sees mbufs change hands ---- */

static int tr_alloc(struct rte_mempool *mp)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "tr_%s", mp->name);
	r = rte_ring_create(name, rte_align32pow2(mp->size + 1), mp->socket_id,
			    0);
	if (!r)
		return -rte_errno;
	mp->pool_data = r;
	return 0;
}

static void tr_free(struct rte_mempool *mp)
{
	rte_ring_free(mp->pool_data);
}

static int tr_enqueue(struct rte_mempool *mp, void *const *obj, unsigned n)
{
	return rte_ring_mp_enqueue_bulk(mp->pool_data, obj, n, NULL) ? 0 :
	       -ENOBUFS;
}

static int tr_dequeue(struct rte_mempool *mp, void **obj, unsigned n)
{
	return rte_ring_mc_dequeue_bulk(mp->pool_data, obj, n, NULL) ? 0 :
	       -ENOBUFS;
}

static unsigned tr_count(const struct rte_mempool *mp)
{
	return rte_ring_count(mp->pool_data);
}

static struct rte_mempool_ops tr_ops = {
	.name = "test_ring",
	.alloc = tr_alloc,
	.free = tr_free,
	.enqueue = tr_enqueue,
	.dequeue = tr_dequeue,
	.get_count = tr_count,
};

RTE_MEMPOOL_REGISTER_OPS(tr_ops);

/* ---- the port: net_ring, with its bursts compiled here ---- */

static uint16_t t_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return (uint16_t)rte_ring_sc_dequeue_burst(q, (void **)pkts, n, NULL);
}

static uint16_t t_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return (uint16_t)rte_ring_sp_enqueue_burst(q, (void **)pkts, n, NULL);
}

static void port_setup(void)
{
	struct rte_eth_fp_ops *fp;
	struct rte_eth_conf conf;
	char name[RTE_RING_NAMESIZE];
	int rc;

	memset(&conf, 0, sizeof(conf));
	for (unsigned q = 0; q < N_WORKERS; q++) {
		snprintf(name, sizeof(name), "h_rx%u", q);
		rxq[q] = rte_ring_create(name, RXQ_SIZE, SOCKET_ID_ANY,
					 RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "h_tx%u", q);
		txq[q] = rte_ring_create(name, TXQ_SIZE, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		cr_assert(rxq[q] && txq[q]);
		rxq_data[q] = rxq[q];
		txq_data[q] = txq[q];
	}
	rc = rte_eth_from_rings(DEVNAME, rxq, N_WORKERS, txq, N_WORKERS,
				SOCKET_ID_ANY);
	cr_assert(rc >= 0, "net_ring: %s", rte_strerror(rte_errno));
	port_id = (uint16_t)rc;
	cr_assert(!rte_eth_dev_configure(port_id, N_WORKERS, N_WORKERS, &conf));
	for (uint16_t q = 0; q < N_WORKERS; q++) {
		cr_assert(!rte_eth_rx_queue_setup(port_id, q, RXQ_SIZE,
						  SOCKET_ID_ANY, NULL, pool));
		cr_assert(!rte_eth_tx_queue_setup(port_id, q, TXQ_SIZE,
						  SOCKET_ID_ANY, NULL));
	}
	cr_assert(!rte_eth_dev_start(port_id));
	/* rte_eth_dev_start() set these from the driver; stop resets them */
	fp = &rte_eth_fp_ops[port_id];
	fp->rx_pkt_burst = t_rx_burst;
	fp->rxq.data = rxq_data;
	fp->tx_pkt_burst = t_tx_burst;
	fp->txq.data = txq_data;
}

/* ---- the engine: what engine_setup() builds, on net_ring ---- */

static void lcores_arg(char *buf, size_t size)
{
	cpu_set_t set;
	size_t n = (size_t)snprintf(buf, size, "0@(");

	cr_assert(!sched_getaffinity(0, sizeof(set), &set));
	for (int cpu = 0; cpu < CPU_SETSIZE && n + 8 < size; cpu++)
		if (CPU_ISSET(cpu, &set))
			n += (size_t)snprintf(buf + n, size - n, "%d,", cpu);
	snprintf(buf + n - 1, size - n + 1, ")");
}

/* Source ports whose flows worker j owns, for TCP to REMOTE:REMOTE_PORT */
static void owner_ports_setup(void)
{
	unsigned have[N_WORKERS] = { 0 }, done = 0;
	uint8_t guest[INET_ALEN], remote[INET_ALEN];

	inet_from_v4(guest, vn->guest4);	/* as parse_frame() has them */
	inet_from_v4(remote, REMOTE);
	for (uint32_t port = 20000; port < 65536 && done < N_WORKERS; port++) {
		uint32_t h = flow_hash(vn->id, IPPROTO_TCP, guest, remote,
				       rte_cpu_to_be_16((uint16_t)port),
				       rte_cpu_to_be_16(REMOTE_PORT));
		unsigned j = flow_owner(h, N_WORKERS);

		if (have[j] == PORTS_PER_OWNER)
			continue;
		owner_ports[j][have[j]++] = (uint16_t)port;
		done += have[j] == PORTS_PER_OWNER;
	}
	cr_assert(done == N_WORKERS, "no ports for every owner");
}

static void setup(void)
{
	char lcores[256], err[128];
	char *argv[] = {
		"test_handoff", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "--lcores", lcores, "-m", "192",
		"--mbuf-pool-ops-name", "test_ring",
		"--log-level", "*:error",
		"--log-level", "lib.ethdev:critical",	/* net_ring: no RX intr */
		NULL,
	};
	struct broth_vnet_conf vc;

	lcores_arg(lcores, sizeof(lcores));
	cr_assert(rte_eal_init((int)RTE_DIM(argv) - 1, argv) >= 0);
	cr_assert(!mbuf_link_register());
	cr_assert(!rte_timer_subsystem_init());
	pool = mbuf_pool_create("test_handoff", POOL_SIZE, POOL_CACHE,
				RTE_MBUF_DEFAULT_DATAROOM);
	cr_assert(pool, "pool: %s", rte_strerror(rte_errno));
	cr_assert(!strcmp(rte_mempool_get_ops(pool->ops_index)->name,
			  "test_ring"));
	port_setup();

	e = rte_zmalloc("engine", sizeof(*e), RTE_CACHE_LINE_SIZE);
	cr_assert(e);
	broth_vnet_conf_defaults(&vc);
	e->conf.vnets[0] = vc;
	e->conf.n_vnets = 1;
	e->conf.max_flows = 64;
	vn = &e->vnets[0];
	cr_assert(!vnet_init(vn, 0, &vc, err, sizeof(err)), "%s", err);
	vn->max_flows = e->conf.max_flows;
	e->n_workers = N_WORKERS;
	e->n_ports = 1;
	e->ports[0] = (struct port){ .port_id = port_id, .n_queues = N_WORKERS,
				     .vn = vn, .pool = pool, .netns_fd = -1,
				     .devname = DEVNAME };
	e->port_idx[port_id] = 0;
	e->sp.epfd = e->sp.wake_fd = -1;
	for (unsigned i = 0; i < BROTH_MAX_WORKERS; i++)
		e->workers[i].epfd = e->workers[i].wake_fd = -1;
	for (unsigned i = 0; i < N_WORKERS; i++) {
		cr_assert(!worker_init(&e->workers[i], e, i));
		/* every stray segment gets its RST here: the RST rate limit
		 * (tcp_out.h) would make answers depend on timing */
		ratelim_init(&e->workers[i].rst_lim, rte_get_tsc_hz(), 0, 0, 0);
	}
	cr_assert(!slowpath_init(&e->sp, e));
	cr_assert(!dns_fwd_init(&e->sp, err, sizeof(err)), "%s", err);
	for (unsigned i = 0; i < N_WORKERS; i++)
		cr_assert(!worker_add_port(&e->workers[i], 0));	/* polls */
	owner_ports_setup();
	cr_assert(!broth_engine_start(e));
}

/* After a failure the threads may still run: stop them first */
static void teardown(void)
{
	if (e)
		broth_engine_stop(e);
	rte_eal_cleanup();
}

/* ---- frames ---- */

static uint32_t id_new(unsigned queue)
{
	uint32_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);

	if (id >= MAX_IDS)
		return 0;
	expect_q[id] = (uint8_t)queue;
	return id;
}

static struct rte_mbuf *mbuf_of(const uint8_t *buf, size_t n)
{
	struct rte_mbuf *m = NULL;

	/* the pool can run dry for a moment while rings are full */
	for (int i = 0; i < 1000 && !(m = rte_pktmbuf_alloc(pool)); i++)
		usleep(100);
	if (!m)
		return NULL;
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf, n);
	m->port = port_id;
	return m;
}

/* A TCP ACK without connection from the guest, owned by worker @owner */
static struct rte_mbuf *frame_tcp(uint32_t id, unsigned owner, uint32_t *seed)
{
	struct tf_l3 l3 = tf_l3_default(&vn->gw_mac, REMOTE);
	uint8_t buf[TF_MAX];
	size_t n = tf_tcp4(buf, &l3,
			   owner_ports[owner][rnd(seed) % PORTS_PER_OWNER],
			   REMOTE_PORT, RTE_TCP_ACK_FLAG, "", 0);

	put32(buf + TF_ETH_LEN + TF_IP4_LEN + 8, id);	/* the ACK number */
	tf_l4_csum_fix(buf);
	return mbuf_of(buf, n);
}

/* An ARP request for the gateway from 02:10:<id> */
static struct rte_mbuf *frame_arp(uint32_t id)
{
	struct rte_ether_addr sha = { { 0x02, 0x10 } }, zero = { { 0 } };
	uint8_t buf[TF_MAX];

	put32(sha.addr_bytes + 2, id);
	return mbuf_of(buf, tf_arp(buf, &tf_bcast_mac, RTE_ARP_OP_REQUEST, &sha,
				   vn->guest4, &zero, vn->gw4));
}

/* The NIC: frames on RX queue @q, then its interrupt (edge: every time) */
static unsigned nic_rx(unsigned q, struct rte_mbuf **m, unsigned n)
{
	uint64_t one = 1;
	unsigned done = 0;

	for (int i = 0; i < 10000 && done < n; i++) {
		done += rte_ring_mp_enqueue_burst(rxq[q], (void **)m + done,
						  n - done, NULL);
		if (write(e->workers[q].wake_fd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			break;
		if (done < n)
			usleep(100);
	}
	return done;
}

/* ---- the collector: answers on the TX queues ---- */

static void answer(unsigned q, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t id = 0;

	if (m->data_len >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
	    f[0] == 0x02 && f[1] == 0x10 && f[21] == 2) {		/* ARP reply */
		id = get32(f + 2);
	} else if (m->data_len >= 54 && f[12] == 0x08 && f[13] == 0x00 &&
		   f[23] == IPPROTO_TCP) {
		const uint8_t *t = f + TF_ETH_LEN + (f[TF_ETH_LEN] & 0xf) * 4;

		if ((size_t)(t - f) + 20 <= m->data_len &&
		    t[13] & RTE_TCP_RST_FLAG)
			id = get32(t + 4);
	}
	rte_pktmbuf_free(m);
	if (!id || id >= MAX_IDS || expect_q[id] != q || seen[id]) {
		n_bad++;
		fprintf(stderr, "bad answer on queue %u: id %u, expected on %u,"
			" seen %u times before\n", q, id,
			id < MAX_IDS ? expect_q[id] : 0,
			id < MAX_IDS ? seen[id] : 0);
	}
	if (id && id < MAX_IDS && seen[id] < 255)
		seen[id]++;
	n_answers++;
}

static unsigned collect(void)
{
	struct rte_mbuf *m[64];
	unsigned total = 0;

	for (unsigned q = 0; q < N_WORKERS; q++) {
		unsigned n = rte_ring_sc_dequeue_burst(txq[q], (void **)m,
						       RTE_DIM(m), NULL);

		for (unsigned i = 0; i < n; i++)
			answer(q, m[i]);
		total += n;
	}
	return total;
}

/* Drops of every worker and the slow path, all reasons but @except */
static uint64_t drops_except(enum drop_reason except)
{
	uint64_t n = 0;

	for (int r = 1; r < DROP__COUNT; r++) {
		if (r == (int)except)
			continue;
		for (unsigned i = 0; i < N_WORKERS; i++)
			n += rd(&e->workers[i].ctr.drop[r]);
		n += rd(&e->sp.ctr.drop[r]);
	}
	return n;
}

static uint64_t worker_drops(enum drop_reason r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < N_WORKERS; i++)
		n += rd(&e->workers[i].ctr.drop[r]);
	return n;
}

static uint64_t drops_of(enum drop_reason r)
{
	return worker_drops(r) + rd(&e->sp.ctr.drop[r]);
}

/* Entries in @r, read atomically: other threads are running */
static unsigned ring_count(const struct rte_ring *r)
{
	return __atomic_load_n(&r->prod.tail, __ATOMIC_RELAXED) -
	       __atomic_load_n(&r->cons.tail, __ATOMIC_RELAXED);
}

/* What the threads are doing, for a failure message */
static const char *state(void)
{
	static char buf[512];
	size_t n = 0;

	for (unsigned i = 0; i < N_WORKERS; i++) {
		struct worker *w = &e->workers[i];

		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "worker %u: sleeping %d handoff %u tx_ring %u"
				      " rxq %u; ", i,
				      __atomic_load_n(&w->sleeping, __ATOMIC_RELAXED),
				      ring_count(w->handoff),
				      ring_count(w->tx_ring),
				      ring_count(rxq[i]));
	}
	snprintf(buf + n, sizeof(buf) - n, "slow path: sleeping %d ring %u",
		 __atomic_load_n(&e->sp.sleeping, __ATOMIC_RELAXED),
		 ring_count(e->sp.ring));
	return buf;
}

/* The drop counters that are not zero, summed over the threads */
static const char *drops(void)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (int r = 1; r < DROP__COUNT && n < sizeof(buf) - 64; r++)
		if (drops_of(r))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%lu",
					      counters_drop_name(r),
					      (unsigned long)drops_of(r));
	return buf;
}

/*
 * Collect until @expected answers plus the drops counted so far (other than
 * the ones a test counts itself, @except) account for every frame sent, or
 * the deadline passes
 */
static bool settle(uint64_t sent, enum drop_reason except)
{
	uint64_t end = mono_us() + WAIT_MS * 1000ull;

	while (mono_us() < end) {
		if (!collect()) {
			if (n_answers + drops_except(except) >= sent)
				return true;
			usleep(50);
		}
	}
	return false;
}

/* Stop the threads; every frame answered or dropped once; no mbuf lost */
static void finish(void)
{
	struct rte_mbuf *m;

	broth_engine_stop(e);
	while (collect())
		;
	cr_assert(!n_bad, "%lu bad answers", (unsigned long)n_bad);
	for (unsigned i = 0; i < N_WORKERS; i++)
		worker_fini(&e->workers[i]);
	slowpath_fini(&e->sp);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	for (unsigned q = 0; q < N_WORKERS; q++) {
		while (!rte_ring_dequeue(rxq[q], (void **)&m))
			rte_pktmbuf_free(m);
		while (!rte_ring_dequeue(txq[q], (void **)&m))
			rte_pktmbuf_free(m);
		rte_ring_free(rxq[q]);
		rte_ring_free(txq[q]);
	}
	cr_assert(rte_mempool_in_use_count(pool) == 0, "%u mbufs not freed",
		  rte_mempool_in_use_count(pool));
}

/* ---- many producers into the slow path's ring ---- */

struct producer {
	pthread_t thread;
	struct worker fake;	/* its id and counters: a worker as the slow path sees it */
	uint32_t seed;
	uint32_t sent, refused;
	uint32_t saw_asleep;	/* enqueued while the slow path slept */
	bool failed;
};

static void *mpsc_producer(void *arg)
{
	struct producer *pr = arg;
	struct rte_mbuf *m[ENGINE_BURST];
	uint32_t ids[ENGINE_BURST];

	while (pr->sent + pr->refused < MPSC_FRAMES) {
		unsigned n = 1 + rnd(&pr->seed) % ENGINE_BURST;
		uint64_t before = pr->fake.ctr.to_slowpath;
		unsigned ok;

		n = RTE_MIN(n, MPSC_FRAMES - pr->sent - pr->refused);
		for (unsigned i = 0; i < n; i++) {
			ids[i] = id_new(pr->fake.id);
			if (!ids[i] || !(m[i] = frame_arp(ids[i]))) {
				pr->failed = true;
				rte_pktmbuf_free_bulk(m, i);
				return NULL;
			}
		}
		pr->saw_asleep += (uint32_t)__atomic_load_n(&e->sp.sleeping,
							    __ATOMIC_RELAXED);
		slowpath_enqueue_burst(&e->sp, &pr->fake, m, n);
		/* the ring takes a prefix of the burst; the rest is dropped */
		ok = (unsigned)(pr->fake.ctr.to_slowpath - before);
		for (unsigned i = ok; i < n; i++)
			refused[ids[i]] = 1;
		pr->sent += ok;
		pr->refused += n - ok;
		/* a third of the bursts leave the slow path time to fall asleep */
		if (rnd(&pr->seed) % 3 == 0)
			usleep(rnd(&pr->seed) % 400);
	}
	return NULL;
}

Test(handoff, slowpath_many_producers, .init = setup, .fini = teardown,
     .timeout = 30)
{
	/* struct worker is cache-aligned */
	struct producer *pr = aligned_alloc(RTE_CACHE_LINE_SIZE,
					    MPSC_PRODUCERS * sizeof(*pr));
	uint64_t sent = 0, refused_n = 0, asleep = 0, tx = 0, lost = 0;

	cr_assert(pr);
	memset(pr, 0, MPSC_PRODUCERS * sizeof(*pr));
	for (unsigned p = 0; p < MPSC_PRODUCERS; p++) {
		pr[p].fake.id = p % N_WORKERS;	/* replies leave on its queue */
		pr[p].fake.e = e;
		pr[p].seed = 0x9e3779b9u * (p + 1);
		cr_assert(!pthread_create(&pr[p].thread, NULL, mpsc_producer,
					  &pr[p]));
	}
	for (unsigned p = 0; p < MPSC_PRODUCERS; p++) {
		/* the collector keeps the TX queues flowing meanwhile */
		while (pthread_tryjoin_np(pr[p].thread, NULL) == EBUSY)
			if (!collect())
				usleep(50);
		cr_assert(!pr[p].failed, "producer %u: no mbuf or ID", p);
		cr_assert(pr[p].sent + pr[p].refused == MPSC_FRAMES);
		/* its own counters say the same as the ring did */
		cr_assert(pr[p].fake.ctr.to_slowpath == pr[p].sent);
		cr_assert(pr[p].fake.ctr.drop[DROP_SLOWPATH_RING_FULL] ==
			  pr[p].refused);
		sent += pr[p].sent;
		refused_n += pr[p].refused;
		asleep += pr[p].saw_asleep;
	}
	cr_assert(settle(sent, DROP_NONE),
		  "%lu of %lu frames neither answered nor dropped after %d ms: %s",
		  (unsigned long)(sent - n_answers - drops_except(DROP_NONE)),
		  (unsigned long)sent, WAIT_MS, state());
	finish();

	/* exactly once: each accepted frame answered or counted as dropped */
	for (uint32_t id = 1; id < next_id && id < MAX_IDS; id++) {
		cr_assert(!(refused[id] && seen[id]),
			  "frame %u refused by the ring, but answered", id);
		lost += !refused[id] && !seen[id];
	}
	cr_assert(rd(&e->sp.ctr.rx) == sent, "slow path took %lu of %lu",
		  (unsigned long)rd(&e->sp.ctr.rx), (unsigned long)sent);
	cr_assert(n_answers + lost == sent);
	cr_assert(lost == drops_except(DROP_NONE),
		  "%lu frames unanswered, %lu drops counted",
		  (unsigned long)lost, (unsigned long)drops_except(DROP_NONE));
	for (unsigned i = 0; i < N_WORKERS; i++)
		tx += rd(&e->workers[i].ctr.tx);
	cr_assert(tx == n_answers, "workers sent %lu, %lu arrived",
		  (unsigned long)tx, (unsigned long)n_answers);
	/* replies the slow path handed over: sent, or dropped by a full queue */
	cr_assert(rd(&e->sp.ctr.answered) ==
		  n_answers + worker_drops(DROP_TX_FULL));
	/* the slow path was found asleep: the wake path was taken */
	cr_assert(asleep > 0, "the slow path never slept");
	fprintf(stderr, "slowpath_many_producers: %lu frames, %lu answered, "
		"%lu refused by the full ring, %lu enqueued to a sleeping "
		"slow path; drops:%s\n", (unsigned long)(sent + refused_n),
		(unsigned long)n_answers, (unsigned long)refused_n,
		(unsigned long)asleep, drops());
	free(pr);
}

/* ---- every worker receives, hands off, answers at once ---- */

struct nic {
	pthread_t thread;
	unsigned q;
	uint32_t seed;
	uint32_t tcp, arp;	/* frames put on the queue */
	bool failed;
};

static void *nic_blast(void *arg)
{
	struct nic *nc = arg;
	struct rte_mbuf *m[ENGINE_BURST];

	while (nc->tcp + nc->arp < BLAST_FRAMES) {
		unsigned n = 1 + rnd(&nc->seed) % ENGINE_BURST;

		n = RTE_MIN(n, BLAST_FRAMES - nc->tcp - nc->arp);
		for (unsigned i = 0; i < n; i++) {
			bool arp = rnd(&nc->seed) % 4 == 0;
			unsigned owner = rnd(&nc->seed) % N_WORKERS;
			uint32_t id = id_new(arp ? nc->q : owner);

			m[i] = !id ? NULL : arp ? frame_arp(id) :
			       frame_tcp(id, owner, &nc->seed);
			if (!m[i]) {
				nc->failed = true;
				rte_pktmbuf_free_bulk(m, i);
				return NULL;
			}
			nc->arp += arp;
			nc->tcp += !arp;
		}
		if (nic_rx(nc->q, m, n) != n) {
			nc->failed = true;
			return NULL;
		}
		if (rnd(&nc->seed) % 4 == 0)
			usleep(rnd(&nc->seed) % 300);
	}
	return NULL;
}

/* Counters of all workers and the slow path agree with what was sent */
static void check_accounts(uint64_t tcp, uint64_t arp)
{
	uint64_t rx = 0, out = 0, in = 0, to_sp = 0, lost = 0;

	for (unsigned i = 0; i < N_WORKERS; i++) {
		const struct counters *c = &e->workers[i].ctr;

		rx += c->rx;
		out += c->handoff_out;
		in += c->handoff_in;
		to_sp += c->to_slowpath;
	}
	for (uint32_t id = 1; id < next_id && id < MAX_IDS; id++)
		lost += !seen[id];
	cr_assert(rx == tcp + arp, "workers received %lu of %lu",
		  (unsigned long)rx, (unsigned long)(tcp + arp));
	cr_assert(out == in, "handed off %lu, taken over %lu",
		  (unsigned long)out, (unsigned long)in);
	/* every TCP frame reached its owner (or a full ring): one RST each */
	cr_assert(drops_of(DROP_TCP_NO_CONN) + drops_of(DROP_HANDOFF_RING_FULL) ==
		  tcp);
	cr_assert(to_sp + drops_of(DROP_SLOWPATH_RING_FULL) == arp);
	cr_assert(rd(&e->sp.ctr.rx) == to_sp);
	cr_assert(lost == drops_except(DROP_TCP_NO_CONN),
		  "%lu frames unanswered, %lu drops counted: %s",
		  (unsigned long)lost,
		  (unsigned long)drops_except(DROP_TCP_NO_CONN), state());
}

Test(handoff, workers_blast, .init = setup, .fini = teardown, .timeout = 30)
{
	struct nic nc[N_WORKERS];
	uint64_t tcp = 0, arp = 0;

	memset(nc, 0, sizeof(nc));
	for (unsigned q = 0; q < N_WORKERS; q++) {
		nc[q].q = q;
		nc[q].seed = 0x85ebca6bu * (q + 1);
		cr_assert(!pthread_create(&nc[q].thread, NULL, nic_blast, &nc[q]));
	}
	for (unsigned q = 0; q < N_WORKERS; q++) {
		while (pthread_tryjoin_np(nc[q].thread, NULL) == EBUSY)
			if (!collect())
				usleep(50);
		cr_assert(!nc[q].failed, "NIC %u: no mbuf, no ID or RX full", q);
		tcp += nc[q].tcp;
		arp += nc[q].arp;
	}
	cr_assert(settle(tcp + arp, DROP_TCP_NO_CONN),
		  "%lu of %lu frames neither answered nor dropped after %d ms: %s",
		  (unsigned long)(tcp + arp - n_answers -
				  drops_except(DROP_TCP_NO_CONN)),
		  (unsigned long)(tcp + arp), WAIT_MS, state());
	finish();
	check_accounts(tcp, arp);
	fprintf(stderr, "workers_blast: %lu TCP, %lu ARP frames, %lu answered, "
		"%lu handed off; drops:%s\n", (unsigned long)tcp,
		(unsigned long)arp, (unsigned long)n_answers,
		(unsigned long)(e->workers[0].ctr.handoff_in +
				e->workers[1].ctr.handoff_in +
				e->workers[2].ctr.handoff_in), drops());
}

/* ---- one frame at a time, around the moment its consumer falls asleep ---- */

static bool all_asleep(void)
{
	for (unsigned i = 0; i < N_WORKERS; i++)
		if (!__atomic_load_n(&e->workers[i].sleeping, __ATOMIC_RELAXED))
			return false;
	return __atomic_load_n(&e->sp.sleeping, __ATOMIC_RELAXED);
}

Test(handoff, wake_pingpong, .init = setup, .fini = teardown, .timeout = 30)
{
	uint32_t seed = 0xc2b2ae35u;
	uint64_t tcp = 0, arp = 0, woke_owner = 0, woke_sp = 0;

	for (unsigned r = 0; r < PINGPONG_ROUNDS; r++) {
		unsigned k = rnd(&seed) % N_WORKERS;
		bool is_arp = r % 2;
		unsigned owner = is_arp ? k : (k + 1 + rnd(&seed) % (N_WORKERS - 1)) %
						N_WORKERS;
		uint32_t id = id_new(owner);
		struct rte_mbuf *m;
		uint64_t end;

		cr_assert(id);
		/*
		 * A third of the rounds wait until every thread sleeps, so the
		 * frame must wake them one after the other; the others send
		 * 0-400 us after the last answer, when the consumers are
		 * deciding to sleep (WORKER_IDLE_US is 200)
		 */
		if (r % 3 == 0) {
			end = mono_us() + 200000;
			while (!all_asleep() && mono_us() < end)
				usleep(20);
			if (all_asleep()) {
				woke_owner += !is_arp;
				woke_sp += is_arp;
			}
		} else if (r % 3 == 1) {
			usleep(rnd(&seed) % 400);
		}
		m = is_arp ? frame_arp(id) : frame_tcp(id, owner, &seed);
		cr_assert(m);
		cr_assert(nic_rx(k, &m, 1) == 1);
		tcp += !is_arp;
		arp += is_arp;
		end = mono_us() + WAIT_MS * 1000ull;
		while (!seen[id] && mono_us() < end)
			if (!collect())
				usleep(10);
		cr_assert(seen[id], "round %u: no answer to %s frame %u (queue %u,"
			  " answer on %u) in %d ms: %s", r, is_arp ? "ARP" : "TCP",
			  id, k, owner, WAIT_MS, state());
	}
	finish();
	check_accounts(tcp, arp);
	cr_assert(n_answers == tcp + arp);
	/* the rounds did find their consumers asleep */
	cr_assert(woke_owner >= PINGPONG_ROUNDS / 12 &&
		  woke_sp >= PINGPONG_ROUNDS / 12,
		  "only %lu handoffs and %lu slow-path frames to sleeping threads",
		  (unsigned long)woke_owner, (unsigned long)woke_sp);
	fprintf(stderr, "wake_pingpong: %u rounds, %lu handoffs to a sleeping "
		"owner, %lu frames to a sleeping slow path\n", PINGPONG_ROUNDS,
		(unsigned long)woke_owner, (unsigned long)woke_sp);
}
