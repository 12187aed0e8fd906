/* SPDX-License-Identifier: MIT */
/*
 * test_impair.c - impairment stage (engine/impair.c) on real mbufs
 *
 * impair.c frees, copies and holds rte_mbufs and converts delays with the
 * TSC rate, so these tests run on a small EAL (no hugepages, no shared
 * files, one lcore) with a real mempool instead of a mock: what is tested
 * is what runs, rte_pktmbuf_copy() included. Criterion forks a process per
 * test and runs .init in it, so every test starts its own EAL (~0.2 s).
 * Each frame carries its sequence number in its first 4 bytes, and every
 * test ends by checking that all mbufs are back in the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "impair.h"
#include "mbuf_pool.h"

#define POOL_SIZE	8191
#define BURST		32
#define T0		1000000000ULL	/* arbitrary start TSC */

static struct rte_mempool *pool;

/* Frames seen leaving the stage, in order */
struct trace {
	uint32_t *seq;
	unsigned n, cap;
};

static void setup(void)
{
	char *argv[] = {
		"test_impair", "--no-huge", "--no-shconf", "--no-pci",
		"--no-telemetry", "-l", "0", "-m", "64",
		"--log-level", "*:error", NULL,
	};

	cr_assert_geq(rte_eal_init((int)RTE_DIM(argv) - 1, argv), 0);
	pool = mbuf_pool_create("test_impair", POOL_SIZE, 0, 64);
	cr_assert_not_null(pool);
}

static void teardown(void)
{
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

TestSuite(impair, .init = setup, .fini = teardown);

static struct rte_mbuf *frame(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	cr_assert_not_null(m, "pool empty: a test leaks mbufs");
	memcpy(rte_pktmbuf_append(m, 60), &seq, sizeof(seq));
	return m;
}

static uint32_t seq_of(const struct rte_mbuf *m)
{
	uint32_t seq;

	memcpy(&seq, rte_pktmbuf_mtod(m, const void *), sizeof(seq));
	return seq;
}

static void trace_init(struct trace *t, unsigned cap)
{
	t->seq = malloc(sizeof(*t->seq) * cap);
	cr_assert_not_null(t->seq);
	t->n = 0;
	t->cap = cap;
}

/* Record and free what the stage let out */
static void trace_take(struct trace *t, struct rte_mbuf **out, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		cr_assert_lt(t->n, t->cap);
		t->seq[t->n++] = seq_of(out[i]);
		rte_pktmbuf_free(out[i]);
	}
}

/* Frames @first .. @first + @n - 1 in bursts of BURST, all at @now */
static void feed(struct impair *im, struct trace *t, uint32_t first,
		 unsigned n, uint64_t now)
{
	struct rte_mbuf *in[BURST], *out[2 * BURST];

	for (unsigned done = 0; done < n;) {
		unsigned k = RTE_MIN(n - done, (unsigned)BURST);

		for (unsigned i = 0; i < k; i++)
			in[i] = frame(first + done + i);
		trace_take(t, out, impair_burst(im, in, k, out, RTE_DIM(out),
						now));
		done += k;
	}
}

/* Everything due by @now, through a small out[] to exercise leftovers */
static void drain(struct impair *im, struct trace *t, uint64_t now)
{
	struct rte_mbuf *out[7];
	unsigned n;

	while ((n = impair_due(im, out, RTE_DIM(out), now)))
		trace_take(t, out, n);
}

static struct impair *make(const char *spec, unsigned id, unsigned cap)
{
	struct impair_conf c;
	char err[128];
	struct impair *im;

	cr_assert_eq(impair_parse(spec, &c, err, sizeof(err)), 0, "%s", err);
	im = impair_create(&c, id, cap);
	cr_assert_not_null(im);
	return im;
}

/* Counters add up, and after impair_free() every mbuf is back */
static void finish(struct impair *im)
{
	struct impair_stats st;

	impair_stats_get(im, &st);
	cr_assert_eq(st.in + st.duplicated,
		     st.out + st.dropped + st.no_room + impair_held(im),
		     "in %lu dup %lu out %lu dropped %lu no_room %lu held %u",
		     st.in, st.duplicated, st.out, st.dropped, st.no_room,
		     impair_held(im));
	impair_free(im);
	cr_assert_eq(rte_mempool_in_use_count(pool), 0, "mbufs leaked");
}

static uint64_t ms_cycles(double ms)
{
	return (uint64_t)((double)rte_get_tsc_hz() * ms / 1e3);
}

static void assert_in_order(const struct trace *t, unsigned n)
{
	cr_assert_eq(t->n, n);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(t->seq[i], i, "position %u has frame %u", i,
			     t->seq[i]);
}

Test(impair, all_zero_passes_in_order)
{
	struct impair *im = make("loss=0,reorder=0%,dup=0,delay=0", 0, 64);
	struct trace t;

	trace_init(&t, 1000);
	feed(im, &t, 0, 1000, T0);
	assert_in_order(&t, 1000);
	cr_assert_eq(impair_next_due(im, T0), UINT64_MAX);
	finish(im);
	free(t.seq);
}

/* out[] smaller than the burst: the rest waits, order is kept */
Test(impair, small_out_keeps_the_rest)
{
	struct impair *im = make("loss=0", 0, 64);
	struct rte_mbuf *in[BURST], *out[BURST];
	struct trace t;
	unsigned n;

	trace_init(&t, BURST + 8);
	for (unsigned i = 0; i < BURST; i++)
		in[i] = frame(i);
	n = impair_burst(im, in, BURST, out, 5, T0);
	cr_assert_eq(n, 5);
	cr_assert_eq(impair_held(im), BURST - 5);
	cr_assert_eq(impair_next_due(im, T0), 0, "held frames are due now");
	trace_take(&t, out, n);
	cr_assert_eq(impair_burst(im, NULL, 0, out, 0, T0), 0, "out_cap 0");
	feed(im, &t, BURST, 8, T0);	/* new frames queue behind the rest */
	drain(im, &t, T0);
	assert_in_order(&t, BURST + 8);
	finish(im);
	free(t.seq);
}

Test(impair, loss_100_drops_all)
{
	struct impair *im = make("loss=100%", 0, 64);
	struct impair_stats st;
	struct trace t;

	trace_init(&t, 1);
	feed(im, &t, 0, 1000, T0);
	cr_assert_eq(t.n, 0);
	impair_stats_get(im, &st);
	cr_assert_eq(st.dropped, 1000);
	finish(im);
	free(t.seq);
}

Test(impair, loss_10_drops_10_percent)
{
	struct impair *im = make("loss=10,seed=7", 3, 64);
	unsigned n = 100000;
	struct trace t;

	trace_init(&t, n);
	feed(im, &t, 0, n, T0);
	cr_assert(t.n >= n * 89 / 100 && t.n <= n * 91 / 100,
		  "%u of %u frames passed", t.n, n);
	for (unsigned i = 1; i < t.n; i++)
		cr_assert_gt(t.seq[i], t.seq[i - 1], "loss keeps order");
	finish(im);
	free(t.seq);
}

static void run_loss(const char *spec, unsigned id, struct trace *t)
{
	struct impair *im = make(spec, id, 64);

	trace_init(t, 4000);
	feed(im, t, 0, 2000, T0);
	finish(im);
}

static bool same_trace(const struct trace *a, const struct trace *b)
{
	return a->n == b->n && !memcmp(a->seq, b->seq, a->n * sizeof(*a->seq));
}

Test(impair, same_seed_same_pattern)
{
	struct trace a, b, c, d;

	run_loss("loss=30,seed=42", 5, &a);
	run_loss("loss=30,seed=42", 5, &b);
	run_loss("loss=30,seed=43", 5, &c);
	run_loss("loss=30,seed=42", 6, &d);
	cr_assert(same_trace(&a, &b), "same seed, same instance: same drops");
	cr_assert_not(same_trace(&a, &c), "another seed: other drops");
	cr_assert_not(same_trace(&a, &d), "another instance: other drops");
	free(a.seq);
	free(b.seq);
	free(c.seq);
	free(d.seq);
}

/* The loss stream does not depend on dup=: adding it keeps the drops */
Test(impair, dup_does_not_change_drops)
{
	struct trace a, b;
	unsigned j = 0;

	run_loss("loss=30,seed=9", 1, &a);
	run_loss("loss=30,dup=50,seed=9", 1, &b);
	for (unsigned i = 0; i < b.n; i++) {
		if (i && b.seq[i] == b.seq[i - 1])
			continue;
		cr_assert_lt(j, a.n);
		cr_assert_eq(b.seq[i], a.seq[j++]);
	}
	cr_assert_eq(j, a.n);
	free(a.seq);
	free(b.seq);
}

Test(impair, dup_100_doubles_with_independent_copies)
{
	struct impair *im = make("dup=100", 0, 64);
	struct rte_mbuf *in[4], *out[8];
	unsigned n;

	for (unsigned i = 0; i < 4; i++)
		in[i] = frame(i);
	n = impair_burst(im, in, 4, out, RTE_DIM(out), T0);
	cr_assert_eq(n, 8);
	for (unsigned i = 0; i < 8; i++) {
		cr_assert_eq(seq_of(out[i]), i / 2);
		cr_assert_eq(rte_mbuf_refcnt_read(out[i]), 1);
	}
	cr_assert_neq(out[0], out[1]);
	cr_assert_neq(rte_pktmbuf_mtod(out[0], void *),
		      rte_pktmbuf_mtod(out[1], void *), "own data buffer");
	cr_assert_eq(out[1]->data_len, 60);
	rte_pktmbuf_free(out[0]);
	cr_assert_eq(seq_of(out[1]), 0, "copy survives the original");
	for (unsigned i = 1; i < 8; i++)
		rte_pktmbuf_free(out[i]);
	finish(im);
}

/* Every frame once; some after a later one */
static void assert_permutation(const struct trace *t, unsigned n)
{
	uint8_t *seen = calloc(n, 1);
	unsigned inversions = 0;

	cr_assert_eq(t->n, n);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_lt(t->seq[i], n);
		cr_assert_not(seen[t->seq[i]], "frame %u twice", t->seq[i]);
		seen[t->seq[i]] = 1;
		inversions += i && t->seq[i] < t->seq[i - 1];
	}
	cr_assert_gt(inversions, 0, "nothing was reordered");
	free(seen);
}

/* Frames arriving 10 us apart; a reordered one is overtaken */
Test(impair, reorder_spread_in_time)
{
	struct impair *im = make("reorder=25,seed=3", 0, 4096);
	unsigned n = 5000;
	struct trace t;

	trace_init(&t, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t now = T0 + (uint64_t)i * ms_cycles(0.01);

		drain(im, &t, now);
		feed(im, &t, i, 1, now);
	}
	drain(im, &t, UINT64_MAX);
	assert_permutation(&t, n);
	finish(im);
	free(t.seq);
}

/* One burst at one instant: the reordered frames come after the rest */
Test(impair, reorder_within_burst)
{
	struct impair *im = make("reorder=50", 0, 64);
	struct impair_stats st;
	struct trace t;

	trace_init(&t, BURST);
	feed(im, &t, 0, BURST, T0);
	impair_stats_get(im, &st);
	cr_assert_gt(st.reordered, 0);
	cr_assert_eq(t.n + st.reordered, BURST);
	cr_assert_eq(impair_held(im), st.reordered);
	cr_assert_leq(impair_next_due(im, T0), ms_cycles(1) + 1);
	drain(im, &t, T0 + ms_cycles(1) + 1);
	assert_permutation(&t, BURST);
	finish(im);
	free(t.seq);
}

Test(impair, delay_holds_until_due)
{
	struct impair *im = make("delay=0.5", 0, 64);
	uint64_t d = ms_cycles(0.5), later = T0 + ms_cycles(0.1);
	struct impair_stats st;
	struct trace t;

	trace_init(&t, 20);
	feed(im, &t, 0, 10, T0);
	feed(im, &t, 10, 10, later);
	cr_assert_eq(t.n, 0);
	cr_assert_eq(impair_next_due(im, T0), d);
	cr_assert_eq(impair_next_due(im, T0 + d - 1), 1);
	drain(im, &t, T0 + d - 1);
	cr_assert_eq(t.n, 0, "nothing before its time");
	drain(im, &t, T0 + d);
	cr_assert_eq(t.n, 10, "the first ten at T0 + delay");
	cr_assert_eq(impair_next_due(im, T0 + d), later - T0);
	cr_assert_eq(impair_next_due(im, later + d + 5), 0, "overdue");
	drain(im, &t, later + d);
	cr_assert_eq(impair_next_due(im, later + d), UINT64_MAX);
	assert_in_order(&t, 20);
	impair_stats_get(im, &st);
	cr_assert_eq(st.delayed, 20);
	finish(im);
	free(t.seq);
}

/* Frames given to impair_burst() release what is due, in order */
Test(impair, delay_released_by_next_burst)
{
	struct impair *im = make("delay=1", 0, 64);
	struct trace t;

	trace_init(&t, 8);
	feed(im, &t, 0, 4, T0);
	feed(im, &t, 4, 4, T0 + ms_cycles(1));
	cr_assert_eq(t.n, 4);
	drain(im, &t, T0 + 2 * ms_cycles(1));
	assert_in_order(&t, 8);
	finish(im);
	free(t.seq);
}

/* A full hold lets its earliest frames go early instead of dropping */
Test(impair, overflow_releases)
{
	struct impair *im = make("delay=1000", 0, 8);
	struct impair_stats st;
	struct trace t;

	trace_init(&t, 20);
	feed(im, &t, 0, 20, T0);
	cr_assert_eq(t.n, 12);
	cr_assert_eq(impair_held(im), 8);
	impair_stats_get(im, &st);
	cr_assert_eq(st.overflow, 12);
	cr_assert_eq(st.dropped + st.no_room, 0);
	drain(im, &t, T0 + ms_cycles(1000));
	assert_in_order(&t, 20);
	finish(im);
	free(t.seq);
}

/* Only with no room in the hold nor in out[] is a frame freed, counted */
Test(impair, no_room_is_counted)
{
	struct impair *im = make("delay=1000", 0, 2);
	struct rte_mbuf *in[4], *out[1];
	struct impair_stats st;
	unsigned n;

	for (unsigned i = 0; i < 4; i++)
		in[i] = frame(i);
	n = impair_burst(im, in, 4, out, 1, T0);
	cr_assert_eq(n, 1);
	cr_assert_eq(seq_of(out[0]), 0);
	rte_pktmbuf_free(out[0]);
	impair_stats_get(im, &st);
	cr_assert_eq(st.no_room, 1);
	cr_assert_eq(impair_held(im), 2);
	finish(im);
}

Test(impair, free_releases_held_frames)
{
	struct impair *im = make("delay=10,reorder=50,dup=50", 0, 4096);
	struct trace t;

	trace_init(&t, 1);
	feed(im, &t, 0, 500, T0);
	cr_assert_eq(t.n, 0);
	cr_assert_gt(impair_held(im), 500);
	finish(im);
	free(t.seq);
}

Test(impair, create_rejects)
{
	struct impair_conf c = { .loss_pct = 5 };

	errno = 0;
	cr_assert_null(impair_create(&c, 0, 0));
	cr_assert_eq(errno, EINVAL);
	c.loss_pct = 101;
	cr_assert_null(impair_create(&c, 0, 16));
}

/* impair_parse() needs no EAL */
static int parse(const char *spec, struct impair_conf *c)
{
	char err[128] = "";
	int rc = impair_parse(spec, c, err, sizeof(err));

	if (rc)
		cr_assert(err[0] && !strchr(err, '\n'), "one-line error");
	return rc;
}

Test(impair_parse, accepts)
{
	struct impair_conf c;

	cr_assert_eq(parse("loss=5,reorder=25,dup=1,delay=1,seed=42", &c), 0);
	cr_assert_float_eq(c.loss_pct, 5.0, 1e-9);
	cr_assert_float_eq(c.reorder_pct, 25.0, 1e-9);
	cr_assert_float_eq(c.dup_pct, 1.0, 1e-9);
	cr_assert_eq(c.delay_us, 1000);
	cr_assert_eq(c.seed, 42);
	cr_assert(c.enabled);

	cr_assert_eq(parse("delay=0.5,loss=2.5%", &c), 0);
	cr_assert_eq(c.delay_us, 500);
	cr_assert_float_eq(c.loss_pct, 2.5, 1e-9);
	cr_assert_eq(c.seed, 0, "keys not given are 0");
	cr_assert_eq(parse("delay=20ms", &c), 0);
	cr_assert_eq(c.delay_us, 20000);
	cr_assert_eq(parse("loss=100,dup=0%", &c), 0);
	cr_assert_eq(parse("seed=0xff", &c), 0);
	cr_assert_eq(c.seed, 255);
	cr_assert_not(c.enabled, "a seed alone impairs nothing");
	cr_assert_eq(parse("loss=0", &c), 0);
	cr_assert_not(c.enabled);
}

Test(impair_parse, rejects)
{
	static const char *const bad[] = {
		"", "loss", "loss=", "loss=abc", "loss=5x", "loss=-1",
		"loss=100.5", "loss=nan", "loss=inf", "loss=5%%", "lost=5",
		"loss=5,", ",loss=5", "loss=5,,dup=1", "loss=5,loss=6",
		"delay=-1", "delay=5%", "delay=60001", "delay=1s",
		"seed=-1", "seed=x", "seed=", "seed=99999999999999999999",
		"LOSS=5", "loss =5",
	};
	struct impair_conf c = { .loss_pct = 7 };

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		cr_assert_eq(parse(bad[i], &c), -1, "accepted '%s'", bad[i]);
		cr_assert_float_eq(c.loss_pct, 7.0, 1e-9, "untouched");
	}
}
