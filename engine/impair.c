/* SPDX-License-Identifier: MIT */
/*
 * impair.c - network impairment stage: loss, duplication, reordering, delay
 *
 * Theory of operation
 *
 * broth's kernel has no netem, and TCP must still be tested against a bad
 * network, so the data path can pass frames through this stage. Each frame
 * entering impair_burst() is decided on in this order:
 *  - loss: freed with probability loss_pct;
 *  - dup: with probability dup_pct an independent copy (rte_pktmbuf_copy()
 *    from the frame's own pool) follows it;
 *  - the frame, and its copy on its own, is due at now + delay, plus, with
 *    probability reorder_pct, a random extra hold of up to
 *    max(delay, IMPAIR_REORDER_US) during which later frames overtake it.
 * A frame due now leaves at once unless held frames are due before it; all
 * others wait in the hold: a binary min-heap on (due time, arrival number)
 * allocated at create. The arrival number keeps frames with equal due times
 * in order, so the delay line is FIFO and only reordered frames move.
 *
 * Nothing blocks and nothing is dropped for lack of room: when the hold is
 * full its earliest frame leaves early (overflow). Only if out[] is full as
 * well, which out_cap >= 2 * n rules out, is a frame freed (no_room).
 *
 * Each decision has its own PRNG stream, seeded from the seed and the
 * instance id: instances (workers, ports, directions) differ but repeat run
 * after run, and the drop pattern of a seed stays the same when dup= or
 * reorder= are added.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "impair.h"

struct impair_held {
	uint64_t due;		/* TSC at which the frame may leave */
	uint64_t seq;		/* arrival number: FIFO among equal @due */
	struct rte_mbuf *m;
};

/* Random draws take 53 bits; a probability p becomes p * 2^53 */
#define IMPAIR_P_ONE	(1ULL << 53)

struct impair {
	uint64_t loss_rng, dup_rng, reorder_rng;	/* xorshift64* states */
	uint64_t loss_thr, dup_thr, reorder_thr;	/* probability * 2^53 */
	uint64_t delay_cyc;		/* hold of every frame */
	uint64_t window_cyc;		/* largest extra hold when reordered */
	uint64_t seq;			/* next arrival number */
	bool passthrough;		/* nothing configured: skip decisions */
	unsigned n_held;
	unsigned cap;
	struct impair_stats st;		/* written by the owner only */
	struct impair_held held[];	/* min-heap of @n_held, room for @cap */
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xorshift64*: state must never be zero, see impair_rng_seed() */
static uint64_t impair_rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t impair_rng_seed(uint64_t *mix)
{
	uint64_t s = splitmix64(mix);

	return s ? s : 1;
}

/* True with probability @thr / 2^53; no draw at all when @thr is 0 */
static bool impair_chance(uint64_t *s, uint64_t thr)
{
	return thr && (impair_rng(s) >> 11) < thr;
}

static uint64_t impair_threshold(double pct)
{
	return (uint64_t)(pct / 100.0 * (double)IMPAIR_P_ONE);
}

static uint64_t impair_us_to_cycles(uint64_t us)
{
	return (uint64_t)((double)rte_get_tsc_hz() * (double)us / 1e6);
}

static bool impair_held_before(const struct impair_held *a,
			       const struct impair_held *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* Add @m to the heap; the caller made sure there is room */
static void impair_hold_push(struct impair *im, struct rte_mbuf *m,
			     uint64_t due)
{
	struct impair_held e = { .due = due, .seq = im->seq++, .m = m };
	unsigned i = im->n_held++;

	while (i) {
		unsigned parent = (i - 1) / 2;

		if (!impair_held_before(&e, &im->held[parent]))
			break;
		im->held[i] = im->held[parent];
		i = parent;
	}
	im->held[i] = e;
}

/* Remove and return the earliest held frame; the heap must not be empty */
static struct rte_mbuf *impair_hold_pop(struct impair *im)
{
	struct rte_mbuf *m = im->held[0].m;
	struct impair_held last = im->held[--im->n_held];
	unsigned i = 0;

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= im->n_held)
			break;
		if (c + 1 < im->n_held &&
		    impair_held_before(&im->held[c + 1], &im->held[c]))
			c++;
		if (!impair_held_before(&im->held[c], &last))
			break;
		im->held[i] = im->held[c];
		i = c;
	}
	im->held[i] = last;
	return m;
}

static bool impair_hold_due(const struct impair *im, uint64_t now)
{
	return im->n_held && im->held[0].due <= now;
}

/* Pop frames due at @now, in order, into @out; the rest stay held */
static unsigned impair_release(struct impair *im, struct rte_mbuf **out,
			       unsigned out_cap, uint64_t now)
{
	unsigned n = 0;

	while (n < out_cap && impair_hold_due(im, now))
		out[n++] = impair_hold_pop(im);
	return n;
}

/* When one frame (or copy) may leave: delay, plus a reorder hold */
static uint64_t impair_due_time(struct impair *im, uint64_t now)
{
	uint64_t due = now + im->delay_cyc;

	if (im->delay_cyc)
		counters_add(&im->st.delayed, 1);
	if (impair_chance(&im->reorder_rng, im->reorder_thr)) {
		due += 1 + (impair_rng(&im->reorder_rng) >> 11) % im->window_cyc;
		counters_add(&im->st.reordered, 1);
	}
	return due;
}

/*
 * Send @m now if it is due and nothing held is due before it, else hold it.
 * A full hold lets its earliest frame go to make room: later than asked
 * (out of room) is better than a frame lost that the user did not ask to
 * lose, and the earliest frame is the one closest to leaving anyway.
 */
static void impair_place(struct impair *im, struct rte_mbuf *m, uint64_t due,
			 uint64_t now, struct rte_mbuf **out, unsigned out_cap,
			 unsigned *n_out)
{
	if (due <= now && *n_out < out_cap && !impair_hold_due(im, now)) {
		out[(*n_out)++] = m;
		return;
	}
	if (im->n_held == im->cap) {
		if (unlikely(*n_out == out_cap)) {
			rte_pktmbuf_free(m);
			counters_add(&im->st.no_room, 1);
			return;
		}
		if (im->held[0].due > now)
			counters_add(&im->st.overflow, 1);
		out[(*n_out)++] = impair_hold_pop(im);
	}
	impair_hold_push(im, m, due);
}

/* Loss, then duplication, then a due time for the frame and its copy */
static void impair_frame(struct impair *im, struct rte_mbuf *m, uint64_t now,
			 struct rte_mbuf **out, unsigned out_cap,
			 unsigned *n_out)
{
	struct rte_mbuf *dup = NULL;

	if (impair_chance(&im->loss_rng, im->loss_thr)) {
		rte_pktmbuf_free(m);
		counters_add(&im->st.dropped, 1);
		return;
	}
	/* An empty pool just means no duplicate this time */
	if (impair_chance(&im->dup_rng, im->dup_thr)) {
		dup = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (dup)
			counters_add(&im->st.duplicated, 1);
	}
	impair_place(im, m, impair_due_time(im, now), now, out, out_cap, n_out);
	if (dup)
		impair_place(im, dup, impair_due_time(im, now), now, out,
			     out_cap, n_out);
}

/**
 * impair_burst() - pass a burst of frames through the impairment stage
 * @im:		stage instance, used by its owning thread only
 * @in:		frames; the stage owns them from now on
 * @n:		number of frames in @in, may be 0
 * @out:	frames that are due now, held ones first, in due order
 * @out_cap:	room in @out; with at least 2 * @n no frame is ever freed
 *		for lack of room, and due frames that do not fit stay held
 * @now_tsc:	current TSC
 *
 * Return: number of frames written to @out
 */
unsigned impair_burst(struct impair *im, struct rte_mbuf **in, unsigned n,
		      struct rte_mbuf **out, unsigned out_cap, uint64_t now_tsc)
{
	unsigned n_out = 0;

	counters_add(&im->st.in, n);
	if (im->passthrough && !im->n_held && n <= out_cap) {
		memcpy(out, in, n * sizeof(*in));
		counters_add(&im->st.out, n);
		return n;
	}
	for (unsigned i = 0; i < n; i++)
		impair_frame(im, in[i], now_tsc, out, out_cap, &n_out);
	n_out += impair_release(im, out + n_out, out_cap - n_out, now_tsc);
	counters_add(&im->st.out, n_out);
	return n_out;
}

/**
 * impair_due() - frames whose hold has expired, without new input
 * @im:		stage instance
 * @out:	frames due at @now_tsc, in due order
 * @out_cap:	room in @out; what does not fit stays for the next call
 * @now_tsc:	current TSC
 *
 * Return: number of frames written to @out
 */
unsigned impair_due(struct impair *im, struct rte_mbuf **out, unsigned out_cap,
		    uint64_t now_tsc)
{
	unsigned n = impair_release(im, out, out_cap, now_tsc);

	counters_add(&im->st.out, n);
	return n;
}

/**
 * impair_next_due() - time until the next held frame is due
 * @im:		stage instance
 * @now_tsc:	current TSC
 *
 * Return: TSC cycles until then, 0 if a frame is due already, UINT64_MAX if
 *	   nothing is held
 */
uint64_t impair_next_due(const struct impair *im, uint64_t now_tsc)
{
	if (!im->n_held)
		return UINT64_MAX;
	return im->held[0].due <= now_tsc ? 0 : im->held[0].due - now_tsc;
}

/**
 * impair_held() - number of frames held back
 * @im:		stage instance
 *
 * Return: frames in the hold
 */
unsigned impair_held(const struct impair *im)
{
	return im->n_held;
}

/**
 * impair_stats_get() - read the counters, from any thread
 * @im:		stage instance
 * @st:		filled with a tear-free copy of each counter
 */
void impair_stats_get(const struct impair *im, struct impair_stats *st)
{
	const uint64_t *src = (const uint64_t *)&im->st;
	uint64_t *dst = (uint64_t *)st;

	static_assert(sizeof(*st) % sizeof(uint64_t) == 0,
		      "struct impair_stats holds 64-bit counters only");
	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static bool impair_pct_ok(double pct)
{
	return pct >= 0.0 && pct <= 100.0;	/* false for NaN too */
}

/**
 * impair_create() - allocate a stage instance
 * @c:		configuration, as impair_parse() leaves it
 * @instance_id: mixed into the seed, e.g. from worker, port and direction
 * @capacity:	most frames held at once (delay line and reordered frames)
 *
 * Return: the instance, or NULL with errno set: EINVAL for a bad @c or a
 *	   zero @capacity, ENOMEM
 */
struct impair *impair_create(const struct impair_conf *c, unsigned instance_id,
			     unsigned capacity)
{
	uint64_t mix = c->seed;
	struct impair *im;

	if (!capacity || !impair_pct_ok(c->loss_pct) ||
	    !impair_pct_ok(c->dup_pct) || !impair_pct_ok(c->reorder_pct) ||
	    c->delay_us > IMPAIR_DELAY_MAX_MS * 1000U) {
		errno = EINVAL;
		return NULL;
	}
	im = rte_zmalloc("impair", sizeof(*im) + sizeof(im->held[0]) * capacity,
			 RTE_CACHE_LINE_SIZE);
	if (!im) {
		errno = ENOMEM;
		return NULL;
	}
	im->cap = capacity;
	im->loss_thr = impair_threshold(c->loss_pct);
	im->dup_thr = impair_threshold(c->dup_pct);
	im->reorder_thr = impair_threshold(c->reorder_pct);
	im->delay_cyc = impair_us_to_cycles(c->delay_us);
	im->window_cyc = impair_us_to_cycles(RTE_MAX(c->delay_us,
						     IMPAIR_REORDER_US));
	if (!im->window_cyc)	/* a TSC below 1 MHz: still a valid modulus */
		im->window_cyc = 1;
	im->passthrough = !im->loss_thr && !im->dup_thr && !im->reorder_thr &&
			  !im->delay_cyc;

	mix = splitmix64(&mix) ^ instance_id;
	im->loss_rng = impair_rng_seed(&mix);
	im->dup_rng = impair_rng_seed(&mix);
	im->reorder_rng = impair_rng_seed(&mix);
	return im;
}

/**
 * impair_free() - free an instance and every frame it still holds
 * @im:		stage instance, or NULL
 */
void impair_free(struct impair *im)
{
	if (!im)
		return;
	while (im->n_held)
		rte_pktmbuf_free(im->held[--im->n_held].m);
	rte_free(im);
}

/* Percentage 0..100, optionally followed by '%', ending exactly at @end */
static bool impair_parse_pct(const char *v, const char *end, double *pct)
{
	char *e;

	errno = 0;
	*pct = strtod(v, &e);
	if (e == v || errno)
		return false;
	if (e < end && *e == '%')
		e++;
	return e == end && impair_pct_ok(*pct);
}

/* Milliseconds 0..IMPAIR_DELAY_MAX_MS, fractions allowed, optional "ms" */
static bool impair_parse_delay(const char *v, const char *end, uint32_t *us)
{
	double ms;
	char *e;

	errno = 0;
	ms = strtod(v, &e);
	if (e == v || errno)
		return false;
	if (end - e == 2 && !strncmp(e, "ms", 2))
		e += 2;
	if (e != end || !(ms >= 0.0 && ms <= IMPAIR_DELAY_MAX_MS))
		return false;
	*us = (uint32_t)(ms * 1000.0 + 0.5);
	return true;
}

static bool impair_parse_seed(const char *v, const char *end, uint64_t *seed)
{
	char *e;

	if (v == end || *v < '0' || *v > '9')	/* strtoull takes "-1" */
		return false;
	errno = 0;
	*seed = strtoull(v, &e, 0);
	return !errno && e == end;
}

enum impair_key { IMPAIR_LOSS, IMPAIR_REORDER, IMPAIR_DUP, IMPAIR_DELAY,
		  IMPAIR_SEED };

static const char *const impair_keys[] = {
	[IMPAIR_LOSS] = "loss", [IMPAIR_REORDER] = "reorder",
	[IMPAIR_DUP] = "dup", [IMPAIR_DELAY] = "delay", [IMPAIR_SEED] = "seed",
};

/* What a key's value must be, for error messages */
static const char *const impair_wants[] = {
	[IMPAIR_LOSS] = "percent 0..100", [IMPAIR_REORDER] = "percent 0..100",
	[IMPAIR_DUP] = "percent 0..100",
	[IMPAIR_DELAY] = "milliseconds 0.." RTE_STR(IMPAIR_DELAY_MAX_MS),
	[IMPAIR_SEED] = "unsigned integer",
};

/* Look up key @k of length @len; Return: index in impair_keys, or -1 */
static int impair_key_find(const char *k, size_t len)
{
	for (size_t i = 0; i < RTE_DIM(impair_keys); i++)
		if (strlen(impair_keys[i]) == len &&
		    !strncmp(k, impair_keys[i], len))
			return (int)i;
	return -1;
}

/* Parse one "key=value" item ending at @end; Return: key index, or -1 */
static int impair_parse_item(const char *item, const char *end,
			     struct impair_conf *c, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', (size_t)(end - item));
	int len = (int)(end - item), k;
	const char *v;
	bool ok;

	if (!eq) {
		snprintf(err, errlen, "impair: '%.*s' is not key=value", len,
			 item);
		return -1;
	}
	k = impair_key_find(item, (size_t)(eq - item));
	if (k < 0) {
		snprintf(err, errlen, "impair: unknown key in '%.*s' (loss, "
			 "reorder, dup, delay, seed)", len, item);
		return -1;
	}
	v = eq + 1;
	switch (k) {
	case IMPAIR_LOSS:
		ok = impair_parse_pct(v, end, &c->loss_pct);
		break;
	case IMPAIR_REORDER:
		ok = impair_parse_pct(v, end, &c->reorder_pct);
		break;
	case IMPAIR_DUP:
		ok = impair_parse_pct(v, end, &c->dup_pct);
		break;
	case IMPAIR_DELAY:
		ok = impair_parse_delay(v, end, &c->delay_us);
		break;
	default:
		ok = impair_parse_seed(v, end, &c->seed);
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "impair: bad value in '%.*s' (%s)", len,
			 item, impair_wants[k]);
		return -1;
	}
	return k;
}

/**
 * impair_parse() - parse "loss=PCT,reorder=PCT,dup=PCT,delay=MS,seed=N"
 * @spec:	comma-separated items, each key at most once, any order
 * @c:		filled on success; keys not given are 0; enabled is set if
 *		any impairment is non-zero
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @c untouched
 */
int impair_parse(const char *spec, struct impair_conf *c, char *err,
		 size_t errlen)
{
	struct impair_conf t = { 0 };
	unsigned seen = 0;
	const char *p = spec;

	if (!*spec) {
		snprintf(err, errlen, "impair: empty specification");
		return -1;
	}
	for (;;) {
		const char *end = strchrnul(p, ',');
		int k = impair_parse_item(p, end, &t, err, errlen);

		if (k < 0)
			return -1;
		if (seen & (1u << k)) {
			snprintf(err, errlen, "impair: %s given twice",
				 impair_keys[k]);
			return -1;
		}
		seen |= 1u << k;
		if (!*end)
			break;
		p = end + 1;
	}
	t.enabled = t.loss_pct > 0 || t.reorder_pct > 0 || t.dup_pct > 0 ||
		    t.delay_us > 0;
	*c = t;
	return 0;
}
