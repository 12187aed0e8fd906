/* SPDX-License-Identifier: MIT */
/*
 * dns.c - DNS messages for the forwarder on the gateway address
 *
 * DOC: Theory of Operation
 *
 * The guest's resolver talks to the gateway; broth answers the names it knows
 * (--dns-host records and host.broth.internal) and relays everything else to
 * the host's resolver unchanged. This file only reads and writes messages:
 * sockets, IDs in flight and timeouts belong to the forwarder.
 *
 * A query is validated just enough to know what it asks (RFC 1035 §4.1): one
 * question, no answers, at most one additional record (the EDNS OPT, relayed
 * unread). Question names are read without following compression pointers:
 * the only bytes before the first question are the header, so any pointer
 * there either points into the header or back into the name being read, which
 * is a loop. Rejecting them all is both simpler and exact. Labels holding '.'
 * or NUL are refused too, as they cannot be told apart in the dotted form used
 * to match static names.
 *
 * Replies built here copy the question bytes as received (resolvers that
 * randomise letter case, "0x20", check them) and point the answer names back
 * at it. They carry no OPT record, which RFC 6891 §7 allows, so the caller
 * passes a buffer of DNS_UDP_MAX bytes unless it knows better. Upstream
 * responses are relayed as they are: only their header is checked, to find
 * the query they answer.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define DNS_LABEL_MAX		63
#define DNS_TEXT_MAX		(DNS_NAME_MAX - 2)	/* dotted, no final dot */
#define DNS_RR_FIXED		12	/* name pointer, type, class, TTL, len */
#define DNS_PTR_QNAME		(0xc000 | DNS_HDR_LEN)	/* the question's name */

/* Header fields after the ID and flags, RFC 1035 §4.1.1 */
#define DNS_OFF_QDCOUNT		4
#define DNS_OFF_ANCOUNT		6
#define DNS_OFF_NSCOUNT		8
#define DNS_OFF_ARCOUNT		10

static uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint8_t *dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* ASCII-only case folding: DNS names compare case-insensitively on A-Z only
 * (RFC 4343), whatever the C locale says */
static char dns_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/**
 * dns_qname_read() - read the question name into dotted form
 * @msg:	message
 * @len:	its length
 * @off:	offset of the name, updated to the byte after it
 * @name:	DNS_NAME_MAX + 1 bytes, lowercase, "" for the root
 *
 * The wire length (labels, their length bytes and the final zero) is at most
 * DNS_NAME_MAX, so the dotted form is at most DNS_TEXT_MAX characters.
 *
 * Return: DROP_NONE, DROP_DNS_TRUNC, or DROP_DNS_BAD_NAME
 */
static enum drop_reason dns_qname_read(const uint8_t *msg, size_t len,
				       size_t *off, char *name)
{
	size_t i = *off, wire = 1, t = 0;
	uint8_t l;

	for (;;) {
		if (i >= len)
			return DROP_DNS_TRUNC;
		l = msg[i++];
		if (!l)
			break;
		/* Pointers (see above) and the obsolete extended label types */
		if (l > DNS_LABEL_MAX)
			return DROP_DNS_BAD_NAME;
		wire += 1 + (size_t)l;
		if (wire > DNS_NAME_MAX)
			return DROP_DNS_BAD_NAME;
		if (len - i < l)
			return DROP_DNS_TRUNC;
		if (t)
			name[t++] = '.';
		for (; l; l--, i++) {
			if (msg[i] == '.' || !msg[i])
				return DROP_DNS_BAD_NAME;
			name[t++] = dns_lower((char)msg[i]);
		}
	}
	assert(t <= DNS_TEXT_MAX);
	name[t] = '\0';
	*off = i;
	return DROP_NONE;
}

/**
 * dns_parse_query() - validate a query from the guest
 * @msg:	UDP payload
 * @len:	its length
 * @q:		filled on success; on failure, @q->id and @q->flags are set
 *		once the header is present and @q->qlen stays 0
 *
 * Return: DROP_NONE, or a DROP_DNS_* reason
 */
enum drop_reason dns_parse_query(const uint8_t *msg, size_t len,
				 struct dns_query *q)
{
	size_t off = DNS_HDR_LEN;
	enum drop_reason rc;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HDR_LEN)
		return DROP_DNS_TRUNC;
	q->id = dns_get16(msg);
	q->flags = dns_get16(msg + 2);
	if (q->flags & (DNS_FLAG_QR | DNS_OPCODE_MASK))
		return DROP_DNS_NOT_QUERY;
	if (dns_get16(msg + DNS_OFF_QDCOUNT) != 1 ||
	    dns_get16(msg + DNS_OFF_ANCOUNT) ||
	    dns_get16(msg + DNS_OFF_NSCOUNT) ||
	    dns_get16(msg + DNS_OFF_ARCOUNT) > 1)
		return DROP_DNS_BAD_COUNT;

	rc = dns_qname_read(msg, len, &off, q->qname);
	if (rc != DROP_NONE)
		return rc;
	if (len - off < 4)
		return DROP_DNS_TRUNC;
	q->qtype = dns_get16(msg + off);
	q->qclass = dns_get16(msg + off + 2);
	q->qlen = (uint16_t)(off + 4);
	return DROP_NONE;
}

/**
 * dns_reply_start() - write the header and question of a reply
 * @q:		query, from dns_parse_query() on @msg
 * @msg:	the query message
 * @flags:	AA and RCODE of the reply
 * @out:	output, room for the header and question
 *
 * The opcode and RD are echoed (RFC 1035 §4.1.1), and CD (RFC 4035 §3.1.6);
 * ANCOUNT is left 0 for the caller to fill in.
 *
 * Return: bytes written
 */
static size_t dns_reply_start(const struct dns_query *q, const uint8_t *msg,
			      uint16_t flags, uint8_t *out)
{
	size_t qend = q->qlen ? q->qlen : DNS_HDR_LEN;

	flags |= DNS_FLAG_QR | DNS_FLAG_RA;
	flags |= q->flags & (DNS_OPCODE_MASK | DNS_FLAG_RD | DNS_FLAG_CD);
	memset(out, 0, DNS_HDR_LEN);
	dns_put16(out, q->id);
	dns_put16(out + 2, flags);
	dns_put16(out + DNS_OFF_QDCOUNT, q->qlen ? 1 : 0);
	memcpy(out + DNS_HDR_LEN, msg + DNS_HDR_LEN, qend - DNS_HDR_LEN);
	return qend;
}

/* Does @name (as configured: any case, optional final dot) equal @qname? */
static bool dns_name_eq(const char *qname, const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	if (strlen(qname) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (dns_lower(qname[i]) != dns_lower(name[i]))
			return false;
	return true;
}

/* The record type of @s, 0 if its family is neither IPv4 nor IPv6 */
static uint16_t dns_rr_type(const struct dns_static *s)
{
	if (s->family == AF_INET)
		return DNS_TYPE_A;
	return s->family == AF_INET6 ? DNS_TYPE_AAAA : 0;
}

static size_t dns_rr_len(const struct dns_static *s)
{
	return DNS_RR_FIXED + (s->family == AF_INET ? 4 : 16);
}

/* Append record @s, its name a pointer to the question's */
static size_t dns_rr_put(uint8_t *p, const struct dns_static *s)
{
	size_t alen = dns_rr_len(s) - DNS_RR_FIXED;

	p = dns_put16(p, DNS_PTR_QNAME);
	p = dns_put16(p, dns_rr_type(s));
	p = dns_put16(p, DNS_CLASS_IN);
	p = dns_put16(p, 0);			/* TTL, high half */
	p = dns_put16(p, DNS_TTL_STATIC);
	p = dns_put16(p, (uint16_t)alen);
	memcpy(p, s->addr, alen);
	return DNS_RR_FIXED + alen;
}

/**
 * dns_answer_static() - answer a query from the static records
 * @q:		query, from dns_parse_query() on @msg
 * @msg:	the query message, at least @q->qlen bytes
 * @tab:	static records
 * @n:		number of records in @tab
 * @out:	reply
 * @cap:	size of @out
 *
 * A name in @tab is ours for every type: types it has no record of get an
 * empty NOERROR (NODATA), not a forward that could find other data upstream.
 *
 * Return: reply length, 0 if the name is not static (forward the query), or
 * -1 if the reply does not fit in @cap
 */
int dns_answer_static(const struct dns_query *q, const uint8_t *msg,
		      const struct dns_static *tab, unsigned n,
		      uint8_t *out, size_t cap)
{
	uint16_t an = 0;
	unsigned i;
	size_t off;

	if (q->qclass != DNS_CLASS_IN || !q->qlen)
		return 0;
	for (i = 0; i < n && !dns_name_eq(q->qname, tab[i].name); i++)
		;
	if (i == n)
		return 0;

	if (cap < q->qlen)
		return -1;
	off = dns_reply_start(q, msg, DNS_FLAG_AA | DNS_RCODE_NOERROR, out);
	for (; i < n; i++) {
		uint16_t type = dns_rr_type(&tab[i]);

		if (!type || !dns_name_eq(q->qname, tab[i].name) ||
		    (q->qtype != type && q->qtype != DNS_TYPE_ANY))
			continue;
		if (cap - off < dns_rr_len(&tab[i]))
			return -1;
		off += dns_rr_put(out + off, &tab[i]);
		an++;
	}
	dns_put16(out + DNS_OFF_ANCOUNT, an);
	return (int)off;
}

/**
 * dns_build_error() - an empty reply with an error code
 * @q:		query, from dns_parse_query() on @msg
 * @msg:	the query message
 * @rcode:	DNS_RCODE_SERVFAIL for upstream failures, or another code
 * @out:	reply
 * @cap:	size of @out
 *
 * If @q has no question (qlen 0: dns_parse_query() failed after the header),
 * the reply has none either, as servers do for FORMERR and NOTIMP.
 *
 * Return: reply length, or -1 if it does not fit in @cap
 */
int dns_build_error(const struct dns_query *q, const uint8_t *msg,
		    uint8_t rcode, uint8_t *out, size_t cap)
{
	size_t qend = q->qlen ? q->qlen : DNS_HDR_LEN;

	if (cap < qend)
		return -1;
	return (int)dns_reply_start(q, msg, rcode & DNS_RCODE_MASK, out);
}

/* A name for a static record: hostname letters plus '_', no final dot */
static bool dns_static_name_ok(const char *name, size_t len)
{
	size_t label = 0;

	if (!len || len > DNS_TEXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (++label > DNS_LABEL_MAX)
			return false;
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_')
			return false;
	}
	return label > 0;
}

/**
 * dns_static_parse() - parse a --dns-host record
 * @spec:	"NAME=ADDR", ADDR an IPv4 or IPv6 address; NAME may end in '.'
 * @s:		filled on success, with @s->name lowercase and without the dot
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set
 */
int dns_static_parse(const char *spec, struct dns_static *s,
		     char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t len;

	memset(s, 0, sizeof(*s));
	if (!eq) {
		snprintf(err, errlen, "dns host '%s': expected NAME=ADDR", spec);
		return -1;
	}
	len = (size_t)(eq - spec);
	if (len && spec[len - 1] == '.')
		len--;
	if (!dns_static_name_ok(spec, len)) {
		snprintf(err, errlen, "dns host '%s': not a valid host name", spec);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		s->name[i] = dns_lower(spec[i]);

	if (inet_pton(AF_INET, eq + 1, s->addr) == 1) {
		s->family = AF_INET;
	} else if (inet_pton(AF_INET6, eq + 1, s->addr) == 1) {
		s->family = AF_INET6;
	} else {
		snprintf(err, errlen, "dns host '%s': not an IPv4 or IPv6 address",
			 spec);
		return -1;
	}
	return 0;
}

/**
 * dns_parse_response() - check an upstream response before relaying it
 * @msg:	UDP payload from the upstream resolver
 * @len:	its length
 * @id:	its ID, set once the header is present
 *
 * Return: DROP_NONE, DROP_DNS_TRUNC or DROP_DNS_NOT_RESPONSE
 */
enum drop_reason dns_parse_response(const uint8_t *msg, size_t len,
				    uint16_t *id)
{
	if (len < DNS_HDR_LEN)
		return DROP_DNS_TRUNC;
	*id = dns_get16(msg);
	if (!(dns_get16(msg + 2) & DNS_FLAG_QR))
		return DROP_DNS_NOT_RESPONSE;
	return DROP_NONE;
}

/**
 * dns_name_encode() - write a domain name in DNS wire format (RFC 1035 §3.1)
 * @name:	dotted name, a trailing dot allowed
 * @buf:	output
 * @room:	bytes available in @buf
 *
 * Return: bytes written, 0 if the name is invalid or does not fit
 */
size_t dns_name_encode(const char *name, uint8_t *buf, size_t room)
{
	size_t n = 0, l;

	while (*name) {
		l = strcspn(name, ".");
		if (l == 0 || l > DNS_LABEL_MAX || n + 1 + l >= room)
			return 0;
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, name, l);
		n += l;
		name += l + (name[l] == '.');
	}
	if (n == 0)
		return 0;
	buf[n++] = 0;
	return n;
}
