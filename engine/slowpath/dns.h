/* SPDX-License-Identifier: MIT */
/* dns.h - DNS messages for the forwarder on the gateway address */
#ifndef BROTH_DNS_H
#define BROTH_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define DNS_PORT		53
#define DNS_HDR_LEN		12
#define DNS_NAME_MAX		255	/* wire length, RFC 1035 §2.3.4 */
#define DNS_UDP_MAX		512	/* reply size without EDNS */
#define DNS_TTL_STATIC		60

/* Header flags, host order */
#define DNS_FLAG_QR		0x8000
#define DNS_OPCODE_MASK		0x7800
#define DNS_FLAG_AA		0x0400
#define DNS_FLAG_TC		0x0200
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_CD		0x0010
#define DNS_RCODE_MASK		0x000f

enum dns_rcode {
	DNS_RCODE_NOERROR	= 0,
	DNS_RCODE_FORMERR	= 1,
	DNS_RCODE_SERVFAIL	= 2,
	DNS_RCODE_NXDOMAIN	= 3,
	DNS_RCODE_NOTIMP	= 4,
	DNS_RCODE_REFUSED	= 5,
};

#define DNS_TYPE_A		1
#define DNS_TYPE_AAAA		28
#define DNS_TYPE_ANY		255
#define DNS_CLASS_IN		1

/* What broth needs from a validated query */
struct dns_query {
	uint16_t id;
	uint16_t flags;			/* host order, as received */
	char qname[DNS_NAME_MAX + 1];	/* dotted, lowercase, no trailing dot,
					 * "" for the root */
	uint16_t qtype, qclass;
	uint16_t qlen;			/* header + question, 0 if not parsed */
};

/* One --dns-host record; @name as given, matched case-insensitively */
struct dns_static {
	char name[DNS_NAME_MAX + 1];
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network order, first 4 bytes for IPv4 */
};

enum drop_reason dns_parse_query(const uint8_t *msg, size_t len,
				 struct dns_query *q);
int dns_answer_static(const struct dns_query *q, const uint8_t *msg,
		      const struct dns_static *tab, unsigned n,
		      uint8_t *out, size_t cap);
int dns_build_error(const struct dns_query *q, const uint8_t *msg,
		    uint8_t rcode, uint8_t *out, size_t cap);
size_t dns_name_encode(const char *name, uint8_t *buf, size_t room);
int dns_static_parse(const char *spec, struct dns_static *s,
		     char *err, size_t errlen);
enum drop_reason dns_parse_response(const uint8_t *msg, size_t len,
				    uint16_t *id);

#endif
