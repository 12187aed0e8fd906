/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parse.c - parse_frame() on guest bytes
 *
 * Runs the parser with and without PARSE_L4_CSUM_OK, then once more with the
 * checksums made right so that the checks behind them are reached, and checks
 * what parse.h promises its callers: every offset it reports lies inside the
 * frame.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rte_ether.h>

#include "fuzz.h"
#include "parse.h"

static void check_pkt(const struct pkt *p, const uint8_t *f, size_t size)
{
	FUZZ_CHECK(p->data == f && p->len == size);
	FUZZ_CHECK((size_t)p->l3_off + p->l3_len <= size);
	if (p->ethertype != RTE_ETHER_TYPE_IPV4)
		return;
	FUZZ_CHECK(p->l4_off >= p->l3_off + 20);
	FUZZ_CHECK((size_t)p->l4_off + p->l4_len <= (size_t)p->l3_off + p->l3_len);
	FUZZ_CHECK(p->payload_off >= p->l4_off);
	FUZZ_CHECK((size_t)p->payload_off + p->payload_len <=
		   (size_t)p->l4_off + p->l4_len);
}

static void run(const uint8_t *f, size_t size, unsigned flags)
{
	struct pkt p;

	if (parse_frame(f, (uint32_t)size, flags, &p) == DROP_NONE)
		check_pkt(&p, f, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f;

	if (size > UINT16_MAX)	/* an mbuf chain never reaches parse_frame() */
		return -1;
	f = fuzz_dup(data, size);
	run(f, size, 0);
	run(f, size, PARSE_L4_CSUM_OK);
	fuzz_fix_csums(f, size);
	run(f, size, 0);
	free(f);
	return 0;
}
