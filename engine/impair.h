/* SPDX-License-Identifier: MIT */
/*
 * impair.h - network impairment stage: loss, duplication, reordering, delay
 *
 * One struct impair per (worker, port, direction), created at start; the
 * owning worker is its only user. Frames go in with impair_burst(), come out
 * (now or later) through impair_burst() and impair_due().
 */
#ifndef BROTH_IMPAIR_H
#define BROTH_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;

/* Extra hold of a reordered frame: up to max(delay, this) */
#define IMPAIR_REORDER_US	1000U
/* Upper bound for delay=, so that held frames stay within the TSC maths */
#define IMPAIR_DELAY_MAX_MS	60000

struct impair_conf {
	double loss_pct;	/* each frame dropped with this probability */
	double reorder_pct;	/* each frame held back so later ones overtake */
	double dup_pct;		/* each surviving frame sent twice */
	uint32_t delay_us;	/* every frame held this long */
	uint64_t seed;		/* same seed and spec: same decisions */
	bool enabled;		/* set by impair_parse() if anything is non-zero */
};

struct impair_stats {
	uint64_t in;		/* frames passed to impair_burst() */
	uint64_t out;		/* frames returned, duplicates included */
	uint64_t dropped;	/* frames lost on purpose (loss=) */
	uint64_t duplicated;	/* extra copies made (dup=) */
	uint64_t reordered;	/* frames held back to be overtaken */
	uint64_t delayed;	/* frames held for delay= */
	uint64_t overflow;	/* held frames released early: hold full */
	uint64_t no_room;	/* freed: hold and out[] both full (see below) */
};

struct impair;

int impair_parse(const char *spec, struct impair_conf *c, char *err,
		 size_t errlen);
struct impair *impair_create(const struct impair_conf *c, unsigned instance_id,
			     unsigned capacity);
void impair_free(struct impair *im);
unsigned impair_burst(struct impair *im, struct rte_mbuf **in, unsigned n,
		      struct rte_mbuf **out, unsigned out_cap, uint64_t now_tsc);
unsigned impair_due(struct impair *im, struct rte_mbuf **out, unsigned out_cap,
		    uint64_t now_tsc);
uint64_t impair_next_due(const struct impair *im, uint64_t now_tsc);
unsigned impair_held(const struct impair *im);
void impair_stats_get(const struct impair *im, struct impair_stats *st);

#endif
