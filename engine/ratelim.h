/* SPDX-License-Identifier: MIT */
/*
 * ratelim.h - token buckets for work a guest can provoke at will
 *
 * Credit is kept in TSC cycles: it grows with time up to @cap (the burst)
 * and each event spends @cost (one period of the rate). One bucket has one
 * writer (a worker), so there is nothing atomic here.
 */
#ifndef BROTH_RATELIM_H
#define BROTH_RATELIM_H

#include <stdbool.h>
#include <stdint.h>

struct ratelim {
	uint64_t last;		/* TSC of the last refill */
	uint64_t credit;	/* cycles available, <= cap */
	uint64_t cost;		/* cycles per event: hz / rate */
	uint64_t cap;		/* cost * burst */
};

/**
 * ratelim_init() - a full bucket
 * @rl:		bucket
 * @hz:		TSC frequency
 * @rate:	events per second; 0 means no limit
 * @burst:	events allowed at once after a quiet spell (at least 1)
 * @now:	current TSC
 */
static inline void ratelim_init(struct ratelim *rl, uint64_t hz, uint32_t rate,
				uint32_t burst, uint64_t now)
{
	rl->cost = rate ? hz / rate : 0;
	rl->cap = rl->cost * (burst ? burst : 1);
	rl->credit = rl->cap;
	rl->last = now;
}

/* True if one more event fits the rate, and spend its credit */
static inline bool ratelim_take(struct ratelim *rl, uint64_t now)
{
	uint64_t credit = rl->credit + (now - rl->last);

	rl->last = now;
	if (credit > rl->cap)
		credit = rl->cap;
	if (credit < rl->cost) {
		rl->credit = credit;
		return false;
	}
	rl->credit = credit - rl->cost;
	return true;
}

#endif
