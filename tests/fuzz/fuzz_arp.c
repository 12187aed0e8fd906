/* SPDX-License-Identifier: MIT */
/*
 * fuzz_arp.c - arp_input() on guest frames
 *
 * The frame goes through parse_frame() first, as in the worker; when it is
 * ARP, arp_input() answers into an exact-size buffer, and a reply must itself
 * parse as ARP.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rte_ether.h>

#include "fuzz.h"
#include "parse.h"
#include "slowpath/arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f, *out;
	size_t out_len = 0;
	struct vnet vn;
	struct pkt p, rp;

	if (size > UINT16_MAX)
		return -1;
	f = fuzz_dup(data, size);
	if (parse_frame(f, (uint32_t)size, 0, &p) == DROP_NONE &&
	    p.ethertype == RTE_ETHER_TYPE_ARP) {
		fuzz_vnet(&vn);
		out = malloc(ARP_REPLY_LEN);
		FUZZ_CHECK(out);
		if (arp_input(&vn, &p, out, ARP_REPLY_LEN, &out_len) ==
		    DROP_NONE) {
			FUZZ_CHECK(out_len > 0 && out_len <= ARP_REPLY_LEN);
			FUZZ_CHECK(parse_frame(out, (uint32_t)out_len, 0, &rp) ==
				   DROP_NONE);
			FUZZ_CHECK(rp.ethertype == RTE_ETHER_TYPE_ARP);
		} else {
			FUZZ_CHECK(out_len == 0);
		}
		free(out);
	}
	free(f);
	return 0;
}
