/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ndp.c - ndp_input() on guest frames
 *
 * Checksums are fixed before parse_frame(); a Router or Neighbor
 * Solicitation then goes to ndp_input() with a fresh vnet, answering into an
 * exact-size buffer. A reply must parse as ICMPv6 from the gateway with hop
 * limit 255 and be an RA or an NA.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "icmp.h"
#include "parse.h"
#include "slowpath/ndp.h"

static void check_reply(const uint8_t *out, size_t out_len)
{
	struct pkt rp;

	FUZZ_CHECK(out_len <= NDP_RA_MAX);
	FUZZ_CHECK(parse_frame(out, (uint32_t)out_len, 0, &rp) == DROP_NONE);
	FUZZ_CHECK(rp.v6 && rp.l4proto == IPPROTO_ICMPV6 && rp.ttl == 255);
	FUZZ_CHECK(rp.icmp_type == ICMPV6_ROUTER_ADVERT ||
		   rp.icmp_type == ICMPV6_NEIGHBOR_ADVERT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len = 0;
	uint8_t *f, *out;
	struct vnet vn;
	struct pkt p;

	if (size > UINT16_MAX)
		return -1;
	f = fuzz_dup(data, size);
	fuzz_fix_csums(f, size);
	if (parse_frame(f, (uint32_t)size, 0, &p) == DROP_NONE &&
	    p.l4proto == IPPROTO_ICMPV6) {
		fuzz_vnet(&vn);
		out = malloc(NDP_RA_MAX);
		FUZZ_CHECK(out);
		if (ndp_input(&vn, &p, out, NDP_RA_MAX, &out_len) == DROP_NONE)
			check_reply(out, out_len);
		else
			FUZZ_CHECK(out_len == 0);
		free(out);
	}
	free(f);
	return 0;
}
