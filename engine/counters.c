/* SPDX-License-Identifier: MIT */
/* counters.c - names, sums and dumps of the per-thread counters */
#include <inttypes.h>

#include "counters.h"

static const char *const drop_names[DROP__COUNT] = {
	[DROP_NONE] = "none",
#define BROTH_X_NAME(e, s) [DROP_##e] = s,
	BROTH_DROP_REASONS(BROTH_X_NAME)
#undef BROTH_X_NAME
};

/**
 * counters_drop_name() - printable name of a drop reason
 * @r:	reason
 *
 * Return: static string, "unknown" for an out-of-range value
 */
const char *counters_drop_name(enum drop_reason r)
{
	if ((unsigned)r >= DROP__COUNT)
		return "unknown";
	return drop_names[r];
}

static uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/**
 * counters_sum() - add a snapshot of @src into @dst
 * @dst:	accumulator, owned by the caller
 * @src:	counters possibly being written by another thread
 */
void counters_sum(struct counters *dst, const struct counters *src)
{
	dst->rx += rd(&src->rx);
	dst->tx += rd(&src->tx);
	dst->to_slowpath += rd(&src->to_slowpath);
	dst->handoff_out += rd(&src->handoff_out);
	dst->handoff_in += rd(&src->handoff_in);
	dst->answered += rd(&src->answered);
	dst->dns_forwarded += rd(&src->dns_forwarded);
	dst->udp_opened += rd(&src->udp_opened);
	dst->udp_to_guest += rd(&src->udp_to_guest);
	dst->icmp_errors_relayed += rd(&src->icmp_errors_relayed);
	dst->tcp_opened += rd(&src->tcp_opened);
	dst->tcp_closed += rd(&src->tcp_closed);
	dst->tcp_rto += rd(&src->tcp_rto);
	dst->tcp_fast_rexmit += rd(&src->tcp_fast_rexmit);
	dst->tcp_rexmit_segs += rd(&src->tcp_rexmit_segs);
	dst->tcp_rst_suppressed += rd(&src->tcp_rst_suppressed);
	for (int i = 0; i < DROP__COUNT; i++)
		dst->drop[i] += rd(&src->drop[i]);
}

/**
 * counters_print() - one line of totals, then one line per non-zero drop
 * @f:		output stream
 * @label:	who these counters belong to ("worker 0", "slowpath", ...)
 * @c:		counters to print (a snapshot or live)
 */
void counters_print(FILE *f, const char *label, const struct counters *c)
{
	fprintf(f, "%s: rx %" PRIu64 " tx %" PRIu64 " answered %" PRIu64
		" to_slowpath %" PRIu64 " handoff_out %" PRIu64
		" handoff_in %" PRIu64 "\n", label, rd(&c->rx), rd(&c->tx),
		rd(&c->answered), rd(&c->to_slowpath), rd(&c->handoff_out),
		rd(&c->handoff_in));
	if (rd(&c->dns_forwarded))
		fprintf(f, "%s:   dns forwarded %" PRIu64 "\n", label,
			rd(&c->dns_forwarded));
	if (rd(&c->udp_opened))
		fprintf(f, "%s:   udp opened %" PRIu64 " to_guest %" PRIu64
			" icmp_errors_relayed %" PRIu64 "\n", label,
			rd(&c->udp_opened), rd(&c->udp_to_guest),
			rd(&c->icmp_errors_relayed));
	if (rd(&c->tcp_opened))
		fprintf(f, "%s:   tcp opened %" PRIu64 " closed %" PRIu64
			" rto %" PRIu64 " fast_rexmit %" PRIu64 " rexmit_segs %"
			PRIu64 "\n", label, rd(&c->tcp_opened), rd(&c->tcp_closed),
			rd(&c->tcp_rto), rd(&c->tcp_fast_rexmit),
			rd(&c->tcp_rexmit_segs));
	if (rd(&c->tcp_rst_suppressed))
		fprintf(f, "%s:   tcp rst_suppressed %" PRIu64 "\n", label,
			rd(&c->tcp_rst_suppressed));
	for (int i = 1; i < DROP__COUNT; i++)
		if (rd(&c->drop[i]))
			fprintf(f, "%s:   drop %s %" PRIu64 "\n", label,
				drop_names[i], rd(&c->drop[i]));
}
