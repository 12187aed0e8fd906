/* SPDX-License-Identifier: MIT */
/*
 * fuzz_icmp.c - the gateway's ICMP echo and ICMP errors quoting guest bytes
 *
 * Checksums are fixed before parse_frame() (fuzz_parse covers them). An ICMP
 * frame to the gateway is answered by icmp_gateway_echo() on a copy of the
 * frame, which it rewrites in place; a reply must parse again, its ICMP
 * checksum included. Independently, icmp_error4() quotes the raw input, as
 * the worker quotes a guest's IP packet, into an exact-size buffer.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rte_ether.h>

#include "fuzz.h"
#include "icmp.h"
#include "parse.h"

/* ICMP_QUOTE_MAX in icmp.c is 576 - 20 - 8; the buffer holds the largest
 * error and a few of the cases where it must refuse */
#define ERR_CAP_MAX	(14 + 20 + 8 + 548)

static void run_echo(const struct vnet *vn, const uint8_t *f, size_t size)
{
	uint8_t *copy = fuzz_dup(f, size);
	struct pkt p, rp;

	if (parse_frame(copy, (uint32_t)size, 0, &p) == DROP_NONE &&
	    p.ethertype == RTE_ETHER_TYPE_IPV4 && p.l4proto == IPPROTO_ICMP &&
	    p.dst4 == vn->gw4 &&
	    icmp_gateway_echo(vn, copy, &p, true) == DROP_NONE) {
		/* the worker trims the reply to p.l3_off + p.l3_len */
		FUZZ_CHECK(parse_frame(copy, p.l3_off + p.l3_len, 0, &rp) ==
			   DROP_NONE);
		FUZZ_CHECK(rp.l4proto == IPPROTO_ICMP && rp.src4 == vn->gw4 &&
			   rp.dst4 == p.src4);
	}
	free(copy);
}

static void run_error(const struct vnet *vn, const uint8_t *quote, size_t qlen,
		      size_t cap)
{
	static const struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 0x02 } };
	uint8_t *buf = malloc(cap ? cap : 1);
	struct pkt rp;
	size_t n;

	FUZZ_CHECK(buf);
	n = icmp_error4(buf, cap, vn, vn->gw4, &mac, 3, 4, 1400, quote, qlen);
	FUZZ_CHECK(n <= cap);
	if (n)
		FUZZ_CHECK(parse_frame(buf, (uint32_t)n, 0, &rp) == DROP_NONE &&
			   rp.l4proto == IPPROTO_ICMP);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet vn;
	uint8_t *f;

	if (size > UINT16_MAX)
		return -1;
	fuzz_vnet(&vn);
	f = fuzz_dup(data, size);
	fuzz_fix_csums(f, size);
	run_echo(&vn, f, size);
	free(f);

	/* the raw input as the quoted IP packet, as a worker passes it */
	f = fuzz_dup(data, size);
	run_error(&vn, f, size, ERR_CAP_MAX);
	run_error(&vn, f, size, size % ERR_CAP_MAX);
	free(f);
	return 0;
}
