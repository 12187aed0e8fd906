/* SPDX-License-Identifier: MIT */
/*
 * test_tap_rx.c - the workers' tap queue reader (engine/port_tap_rx.c) and
 * the token bucket that limits what a guest can provoke (engine/ratelim.h)
 *
 * A tap queue fd hands out one frame per read, prefixed by struct tun_pi; a
 * SOCK_SEQPACKET socketpair does the same, so the reader runs here on one
 * end while the test writes "guest frames" into the other. The reader takes
 * its mbufs from a real mempool (small EAL, as in test_impair.c), and every
 * test ends with all of them back in the pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mbuf_pool.h"
#include "port.h"
#include "ratelim.h"

#define POOL_SIZE	1023
#define PORT_ID		7

static struct rte_mempool *pool;
static int sv[2];	/* [0]: the reader's end, [1]: the "guest" */

static void setup(void)
{
	char *argv[] = {
		"test_tap_rx", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-l", "0", "-m", "64",
		"--log-level", "*:error", NULL,
	};

	cr_assert_geq(rte_eal_init((int)RTE_DIM(argv) - 1, argv), 0);
	pool = mbuf_pool_create("test_tap_rx", POOL_SIZE, 0,
				RTE_MBUF_DEFAULT_DATAROOM);
	cr_assert_not_null(pool);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	/* room for many jumbo frames in flight */
	int big = 4 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

TestSuite(tap_rx, .init = setup, .fini = teardown);

/* The guest writes frame @seq of @len bytes (byte i is (seq + i) & 0xff) */
static void guest_write(uint8_t seq, uint32_t len, uint16_t pi_flags)
{
	static uint8_t buf[70000];
	struct tun_pi pi = { .flags = pi_flags };
	struct iovec iov[2] = { { &pi, sizeof(pi) }, { buf, len } };

	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq + i);
	cr_assert_eq(writev(sv[1], iov, 2), (ssize_t)(sizeof(pi) + len),
		     "writev: %s", strerror(errno));
}

/* Frame @m is frame @seq of @len bytes, whatever its segments */
static void check_frame(const struct rte_mbuf *m, uint8_t seq, uint32_t len)
{
	uint32_t off = 0;
	uint16_t segs = 0;

	cr_assert_eq(m->pkt_len, len);
	cr_assert_eq(m->port, PORT_ID);
	for (const struct rte_mbuf *s = m; s; s = s->next, segs++) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

		cr_assert_gt(s->data_len, 0);
		for (uint16_t i = 0; i < s->data_len; i++, off++)
			cr_assert_eq(d[i], (uint8_t)(seq + off),
				     "frame %u byte %u", seq, off);
	}
	cr_assert_eq(off, len);
	cr_assert_eq(segs, m->nb_segs);
}

static void all_back(struct port_tap_rxq *q)
{
	port_tap_rxq_free(q);
	cr_assert_eq(rte_mempool_avail_count(pool), POOL_SIZE,
		     "mbufs leaked: %u of %u back", rte_mempool_avail_count(pool),
		     POOL_SIZE);
}

Test(tap_rx, frames_in_order_then_empty)
{
	struct port_tap_rxq *q = port_tap_rxq_open(sv[0], PORT_ID, pool, 1518);
	struct rte_mbuf *pkts[8];

	cr_assert_not_null(q);
	cr_assert_eq(fcntl(sv[0], F_GETFL) & O_ASYNC, 0);
	guest_write(1, 60, 0);
	guest_write(2, 1514, 0);
	guest_write(3, 42, 0);
	cr_assert_eq(port_tap_rx(q, pkts, 8), 3);
	check_frame(pkts[0], 1, 60);
	check_frame(pkts[1], 2, 1514);
	check_frame(pkts[2], 3, 42);
	cr_assert_eq(pkts[1]->nb_segs, 1);
	/* nothing waiting: no frame, and an empty queue is not an error */
	cr_assert_eq(port_tap_rx(q, pkts + 3, 5), 0);
	cr_assert_eq(q->frames, 3);
	cr_assert_eq(q->bytes, 60 + 1514 + 42);
	cr_assert_eq(q->errors, 0);
	rte_pktmbuf_free_bulk(pkts, 3);
	all_back(q);
}

Test(tap_rx, burst_limit_keeps_the_rest)
{
	struct port_tap_rxq *q = port_tap_rxq_open(sv[0], PORT_ID, pool, 1518);
	struct rte_mbuf *pkts[64];

	for (unsigned i = 0; i < 40; i++)
		guest_write((uint8_t)i, 64 + i, 0);
	cr_assert_eq(port_tap_rx(q, pkts, 32), 32);
	cr_assert_eq(port_tap_rx(q, pkts + 32, 32), 8);
	for (unsigned i = 0; i < 40; i++)
		check_frame(pkts[i], (uint8_t)i, 64 + i);
	rte_pktmbuf_free_bulk(pkts, 40);
	all_back(q);
}

Test(tap_rx, jumbo_frames_are_chains)
{
	uint32_t max = 65520 + 18;
	struct port_tap_rxq *q = port_tap_rxq_open(sv[0], PORT_ID, pool, max);
	uint32_t lens[] = { 9014, 60, max, 2048, 2049, 4000 };
	struct rte_mbuf *pkts[RTE_DIM(lens)];

	cr_assert_not_null(q);
	for (unsigned i = 0; i < RTE_DIM(lens); i++)
		guest_write((uint8_t)(10 + i), lens[i], 0);
	cr_assert_eq(port_tap_rx(q, pkts, RTE_DIM(lens)), RTE_DIM(lens));
	for (unsigned i = 0; i < RTE_DIM(lens); i++)
		check_frame(pkts[i], (uint8_t)(10 + i), lens[i]);
	cr_assert_gt(pkts[0]->nb_segs, 4);
	cr_assert_eq(pkts[1]->nb_segs, 1);
	rte_pktmbuf_free_bulk(pkts, RTE_DIM(lens));
	all_back(q);
}

Test(tap_rx, cut_and_empty_frames_are_errors)
{
	struct port_tap_rxq *q = port_tap_rxq_open(sv[0], PORT_ID, pool, 1518);
	struct tun_pi pi = { 0 };
	struct rte_mbuf *pkts[4];

	guest_write(1, 100, TUN_PKT_STRIP);	/* the kernel cut it */
	cr_assert_eq(write(sv[1], &pi, sizeof(pi)), (ssize_t)sizeof(pi));
	cr_assert_eq(write(sv[1], &pi, 2), 2);
	guest_write(2, 100, 0);
	cr_assert_eq(port_tap_rx(q, pkts, 4), 1);
	check_frame(pkts[0], 2, 100);
	cr_assert_eq(q->errors, 3);
	rte_pktmbuf_free(pkts[0]);
	all_back(q);
}

Test(tap_rx, empty_pool_is_counted_not_lost)
{
	struct port_tap_rxq *q = port_tap_rxq_open(sv[0], PORT_ID, pool, 1518);
	struct rte_mbuf *hog[POOL_SIZE], *pkts[2];
	unsigned n = 0;

	while (n < POOL_SIZE && (hog[n] = rte_pktmbuf_alloc(pool)))
		n++;
	guest_write(5, 80, 0);
	cr_assert_eq(port_tap_rx(q, pkts, 2), 0);
	cr_assert_eq(q->nombuf, 1);
	rte_pktmbuf_free_bulk(hog, n);
	/* the frame waited in the queue */
	cr_assert_eq(port_tap_rx(q, pkts, 2), 1);
	check_frame(pkts[0], 5, 80);
	rte_pktmbuf_free(pkts[0]);
	all_back(q);
}

Test(tap_rx, refuses_what_it_cannot_hold)
{
	cr_assert_null(port_tap_rxq_open(-1, PORT_ID, pool, 1518));
	cr_assert_null(port_tap_rxq_open(sv[0], PORT_ID, pool, 1u << 20));
}

#define HZ	1000000000ULL	/* a 1 GHz TSC */
#define T0	5000000000ULL

Test(ratelim, burst_then_rate)
{
	struct ratelim rl;
	unsigned ok = 0;

	ratelim_init(&rl, HZ, 1000, 10, T0);
	for (unsigned i = 0; i < 100; i++)
		ok += ratelim_take(&rl, T0);
	cr_assert_eq(ok, 10, "burst: %u taken", ok);
	/* one event per millisecond after that */
	cr_assert_not(ratelim_take(&rl, T0 + HZ / 2000));
	cr_assert(ratelim_take(&rl, T0 + HZ / 1000));
	cr_assert_not(ratelim_take(&rl, T0 + HZ / 1000));
	/* a second at 1000/s while trying 5000/s: about 1000 pass */
	ok = 0;
	for (uint64_t t = 0; t < HZ; t += HZ / 5000)
		ok += ratelim_take(&rl, T0 + HZ / 1000 + t);
	cr_assert(ok >= 995 && ok <= 1001, "%u in one second", ok);
}

Test(ratelim, idle_credit_is_capped_at_the_burst)
{
	struct ratelim rl;
	unsigned ok = 0;

	ratelim_init(&rl, HZ, 1000, 10, T0);
	for (unsigned i = 0; i < 10; i++)
		cr_assert(ratelim_take(&rl, T0));
	for (unsigned i = 0; i < 100; i++)	/* an hour later */
		ok += ratelim_take(&rl, T0 + 3600 * HZ);
	cr_assert_eq(ok, 10);
}

Test(ratelim, zero_rate_is_no_limit)
{
	struct ratelim rl;

	ratelim_init(&rl, HZ, 0, 0, T0);
	for (unsigned i = 0; i < 100000; i++)
		cr_assert(ratelim_take(&rl, T0));
}
