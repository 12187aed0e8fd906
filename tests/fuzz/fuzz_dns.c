/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns.c - DNS messages from the guest and from upstream resolvers
 *
 * The input is a UDP payload. dns_parse_query() validates it as a guest's
 * query; dns_answer_static() then answers it from a small table and
 * dns_build_error() builds a SERVFAIL, each into an exact-size buffer of the
 * DNS_UDP_MAX a reply may take and into one just short of the question. The
 * same bytes go to dns_parse_response() as an upstream's answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "slowpath/dns.h"

static const struct dns_static tab[] = {
	{ .name = "host.example", .family = AF_INET, .addr = { 192, 0, 2, 7 } },
	{ .name = "host.example", .family = AF_INET6,
	  .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } },
	{ .name = "broth.internal", .family = AF_INET, .addr = { 10, 0, 0, 1 } },
	{ .name = "Mixed.Case.Example", .family = AF_INET,
	  .addr = { 198, 51, 100, 1 } },
};

/* A reply must start with the query's ID and carry QR */
static void check_reply(const struct dns_query *q, const uint8_t *out, int n,
			size_t cap)
{
	uint16_t id = 0;

	FUZZ_CHECK(n <= (int)cap);
	if (n <= 0)
		return;
	FUZZ_CHECK(dns_parse_response(out, (size_t)n, &id) == DROP_NONE);
	FUZZ_CHECK(id == q->id);
}

static void answer(const struct dns_query *q, const uint8_t *msg, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	int n;

	FUZZ_CHECK(out);
	if (q->qlen) {
		n = dns_answer_static(q, msg, tab, sizeof(tab) / sizeof(tab[0]),
				      out, cap);
		check_reply(q, out, n, cap);
	}
	n = dns_build_error(q, msg, DNS_RCODE_SERVFAIL, out, cap);
	check_reply(q, out, n, cap);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = fuzz_dup(data, size);
	struct dns_query q;
	uint16_t id;

	if (dns_parse_query(msg, size, &q) == DROP_NONE) {
		FUZZ_CHECK(q.qlen >= DNS_HDR_LEN + 5 && q.qlen <= size);
		FUZZ_CHECK(strlen(q.qname) <= DNS_NAME_MAX);
		answer(&q, msg, DNS_UDP_MAX);
		answer(&q, msg, q.qlen - 1u);
	} else if (size >= DNS_HDR_LEN) {
		/* dns_build_error() documents the header-only case */
		FUZZ_CHECK(q.qlen == 0);
		answer(&q, msg, DNS_UDP_MAX);
	}
	dns_parse_response(msg, size, &id);
	free(msg);
	return 0;
}
