/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dhcp.c - dhcp_input() on guest frames
 *
 * Checksums are fixed before parse_frame() (fuzz_parse covers them), so that
 * mutations reach the DHCP server; a UDP frame to port 67 then goes to
 * dhcp_input() with a fresh vnet and a fixed time, answering into an
 * exact-size buffer. A reply must parse as UDP from port 67 to port 68.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rte_byteorder.h>

#include "fuzz.h"
#include "parse.h"
#include "slowpath/dhcp.h"

static void check_reply(const uint8_t *out, size_t out_len)
{
	struct pkt rp;

	FUZZ_CHECK(out_len <= DHCP_REPLY_MAX);
	FUZZ_CHECK(parse_frame(out, (uint32_t)out_len, 0, &rp) == DROP_NONE);
	FUZZ_CHECK(rp.l4proto == IPPROTO_UDP &&
		   rp.sport == RTE_BE16(DHCP_SERVER_PORT) &&
		   rp.dport == RTE_BE16(DHCP_CLIENT_PORT));
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
	    p.l4proto == IPPROTO_UDP && p.dport == RTE_BE16(DHCP_SERVER_PORT)) {
		fuzz_vnet(&vn);
		out = malloc(DHCP_REPLY_MAX);
		FUZZ_CHECK(out);
		if (dhcp_input(&vn, &p, FUZZ_NOW_S, out, DHCP_REPLY_MAX,
			       &out_len) == DROP_NONE && out_len)
			check_reply(out, out_len);
		free(out);
	}
	free(f);
	return 0;
}
