/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dhcp6.c - dhcp6_input() on guest frames
 *
 * Checksums are fixed before parse_frame(); a UDP frame to port 547 then goes
 * to dhcp6_input() with a fresh vnet, answering into an exact-size buffer.
 * A reply must parse as IPv6/UDP from port 547 to the client's port, within
 * the IPv6 minimum MTU.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rte_byteorder.h>

#include "fuzz.h"
#include "parse.h"
#include "slowpath/dhcp6.h"

#define FUZZ_DHCP6_OUT	2048

static void check_reply(const uint8_t *out, size_t out_len, rte_be16_t cport)
{
	struct pkt rp;

	FUZZ_CHECK(out_len <= 14 + 1280);
	FUZZ_CHECK(parse_frame(out, (uint32_t)out_len, 0, &rp) == DROP_NONE);
	FUZZ_CHECK(rp.v6 && rp.l4proto == IPPROTO_UDP &&
		   rp.sport == RTE_BE16(DHCP6_SERVER_PORT) && rp.dport == cport);
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
	if (parse_frame(f, (uint32_t)size, 0, &p) == DROP_NONE && p.v6 &&
	    p.l4proto == IPPROTO_UDP && p.dport == RTE_BE16(DHCP6_SERVER_PORT)) {
		fuzz_vnet(&vn);
		out = malloc(FUZZ_DHCP6_OUT);
		FUZZ_CHECK(out);
		if (dhcp6_input(&vn, &p, out, FUZZ_DHCP6_OUT, &out_len) ==
		    DROP_NONE)
			check_reply(out, out_len, p.sport);
		else
			FUZZ_CHECK(out_len == 0);
		free(out);
	}
	free(f);
	return 0;
}
