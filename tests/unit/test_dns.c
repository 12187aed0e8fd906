/* SPDX-License-Identifier: MIT */
/* test_dns.c - DNS messages (engine/slowpath/dns.c) on crafted queries */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "slowpath/dns.h"

#define ID		0x1234
#define TYPE_TXT	16
#define CLASS_CH	3
#define OPT_LEN		11	/* root name, type 41, size, TTL, no data */

static uint8_t out[1024];

/* A message the code under test reads: exact-size heap copy for ASan */
struct msg {
	uint8_t *b;
	size_t len;
};

static struct msg msg_dup(const uint8_t *b, size_t len)
{
	struct msg m = { malloc(len ? len : 1), len };

	cr_assert(m.b);
	memcpy(m.b, b, len);
	return m;
}

static void msg_free(struct msg *m)
{
	free(m->b);
	m->b = NULL;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Header with ID, RD set and the given counts */
static size_t hdr(uint8_t *b, uint16_t flags, uint16_t qd, uint16_t an,
		  uint16_t ns, uint16_t ar)
{
	put16(b, ID);
	put16(b + 2, flags);
	put16(b + 4, qd);
	put16(b + 6, an);
	put16(b + 8, ns);
	put16(b + 10, ar);
	return DNS_HDR_LEN;
}

/* Encode dotted @name ("" for the root), no checks: tests make it valid */
static size_t name_put(uint8_t *b, const char *name)
{
	size_t n = 0, l;

	while (*name) {
		l = strcspn(name, ".");
		b[n++] = (uint8_t)l;
		memcpy(b + n, name, l);
		n += l;
		name += l + (name[l] == '.');
	}
	b[n++] = 0;
	return n;
}

/* One label of @len copies of 'a', length byte included */
static size_t label_put(uint8_t *b, size_t len)
{
	b[0] = (uint8_t)len;
	memset(b + 1, 'a', len);
	return 1 + len;
}

static size_t opt_put(uint8_t *b)
{
	static const uint8_t opt[OPT_LEN] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0,
					      0, 0 };

	memcpy(b, opt, sizeof(opt));
	return sizeof(opt);
}

/* A standard query for @name, with an EDNS OPT record if @edns */
static size_t query(uint8_t *b, const char *name, uint16_t qtype, bool edns)
{
	size_t n = hdr(b, DNS_FLAG_RD, 1, 0, 0, edns);

	n += name_put(b + n, name);
	put16(b + n, qtype);
	put16(b + n + 2, DNS_CLASS_IN);
	n += 4;
	if (edns)
		n += opt_put(b + n);
	return n;
}

/* Parse @len bytes of @b from an exact-size heap copy */
static enum drop_reason parse(const uint8_t *b, size_t len, struct dns_query *q)
{
	struct msg m = msg_dup(b, len);
	enum drop_reason rc = dns_parse_query(m.b, m.len, q);

	msg_free(&m);
	return rc;
}

static enum drop_reason parse_only(const uint8_t *b, size_t len)
{
	struct dns_query q;

	return parse(b, len, &q);
}

/* Valid queries */

static void check_valid(const char *name, const char *lower, uint16_t qtype,
			bool edns)
{
	size_t name_len = strlen(name) + (name[0] ? 2 : 1);
	struct dns_query q;
	uint8_t b[512];
	size_t len = query(b, name, qtype, edns);

	cr_assert_eq(parse(b, len, &q), DROP_NONE);
	cr_assert_eq(q.id, ID);
	cr_assert_eq(q.flags, DNS_FLAG_RD);
	cr_assert_str_eq(q.qname, lower);
	cr_assert_eq(q.qtype, qtype);
	cr_assert_eq(q.qclass, DNS_CLASS_IN);
	cr_assert_eq(q.qlen, DNS_HDR_LEN + name_len + 4);
	cr_assert_eq(len, q.qlen + (edns ? OPT_LEN : 0));
}

Test(dns, query_a)
{
	check_valid("www.Example.COM", "www.example.com", DNS_TYPE_A, false);
	check_valid("www.Example.COM", "www.example.com", DNS_TYPE_A, true);
}

Test(dns, query_aaaa)
{
	check_valid("host.broth.internal", "host.broth.internal",
		    DNS_TYPE_AAAA, false);
	check_valid("HOST.broth.internal", "host.broth.internal",
		    DNS_TYPE_AAAA, true);
}

Test(dns, query_txt)
{
	check_valid("_dmarc.example.org", "_dmarc.example.org", TYPE_TXT,
		    false);
	check_valid("_dmarc.example.org", "_dmarc.example.org", TYPE_TXT,
		    true);
}

Test(dns, query_root)
{
	check_valid("", "", 2 /* NS */, false);
	check_valid("", "", 2, true);
}

/* Bytes after the question are not read, only the section counts */
Test(dns, query_trailing_bytes)
{
	struct dns_query q;
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);

	memset(b + len, 0xff, 7);
	cr_assert_eq(parse(b, len + 7, &q), DROP_NONE);
	cr_assert_eq(q.qlen, len);
}

/* 63 + 63 + 63 + 61: a 255-byte wire name, 253 characters dotted */
Test(dns, query_longest_name)
{
	struct dns_query q;
	uint8_t b[512];
	size_t n = hdr(b, 0, 1, 0, 0, 0);

	n += label_put(b + n, 63);
	n += label_put(b + n, 63);
	n += label_put(b + n, 63);
	n += label_put(b + n, 61);
	b[n++] = 0;
	put16(b + n, DNS_TYPE_A);
	put16(b + n + 2, DNS_CLASS_IN);
	n += 4;
	cr_assert_eq(n - DNS_HDR_LEN - 4, DNS_NAME_MAX);
	cr_assert_eq(parse(b, n, &q), DROP_NONE);
	cr_assert_eq(strlen(q.qname), 253);
	cr_assert_eq(q.qname[63], '.');
	cr_assert_eq(q.qlen, n);
}

/* Malformed queries */

Test(dns, truncated_every_length)
{
	uint8_t b[512];
	size_t len = query(b, "www.example.com", DNS_TYPE_A, false);

	for (size_t l = 0; l < len; l++)
		cr_assert_eq(parse_only(b, l), DROP_DNS_TRUNC, "length %zu", l);
	cr_assert_eq(parse_only(b, len), DROP_NONE);
}

/* The OPT record is not parsed: cut anywhere in it, the query still is */
Test(dns, truncated_edns)
{
	uint8_t b[512];
	size_t len = query(b, "www.example.com", DNS_TYPE_A, true);
	size_t qlen = len - OPT_LEN;

	for (size_t l = 0; l < qlen; l++)
		cr_assert_eq(parse_only(b, l), DROP_DNS_TRUNC, "length %zu", l);
	for (size_t l = qlen; l <= len; l++)
		cr_assert_eq(parse_only(b, l), DROP_NONE, "length %zu", l);
}

/* Header, then @name_len bytes of name, then type and class */
static size_t with_name(uint8_t *b, const uint8_t *name, size_t name_len)
{
	size_t n = hdr(b, 0, 1, 0, 0, 0);

	memcpy(b + n, name, name_len);
	n += name_len;
	put16(b + n, DNS_TYPE_A);
	put16(b + n + 2, DNS_CLASS_IN);
	return n + 4;
}

static enum drop_reason parse_name(const uint8_t *name, size_t name_len)
{
	uint8_t b[512];

	return parse_only(b, with_name(b, name, name_len));
}

Test(dns, label_too_long)
{
	uint8_t name[80];
	size_t n = label_put(name, 64);

	name[n++] = 0;
	cr_assert_eq(parse_name(name, n), DROP_DNS_BAD_NAME);
}

/* 63 + 63 + 63 + 62: one byte over */
Test(dns, name_too_long)
{
	uint8_t name[300];
	size_t n = 0;

	n += label_put(name + n, 63);
	n += label_put(name + n, 63);
	n += label_put(name + n, 63);
	n += label_put(name + n, 62);
	name[n++] = 0;
	cr_assert_eq(n, DNS_NAME_MAX + 1);
	cr_assert_eq(parse_name(name, n), DROP_DNS_BAD_NAME);
}

/* Many short labels: the limit is on the wire length, not the label count */
Test(dns, name_too_many_labels)
{
	uint8_t name[300];
	size_t n = 0;

	while (n < 256)
		n += label_put(name + n, 1);
	name[n++] = 0;
	cr_assert_eq(parse_name(name, n), DROP_DNS_BAD_NAME);
}

Test(dns, pointer_to_itself)
{
	static const uint8_t name[] = { 0xc0, 12 };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

Test(dns, pointers_to_each_other)
{
	static const uint8_t name[] = { 0xc0, 14, 0xc0, 12 };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

/* Back to the start of its own name: "a.a.a..." forever */
Test(dns, pointer_back_into_name)
{
	static const uint8_t name[] = { 1, 'a', 0xc0, 12 };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

Test(dns, pointer_forward)
{
	static const uint8_t name[] = { 1, 'a', 0xc0, 18, 0, 0, 3, 'c', 'o',
					'm', 0 };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

Test(dns, pointer_past_end)
{
	static const uint8_t name[] = { 1, 'a', 0xc3, 0xff };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

Test(dns, pointer_into_header)
{
	static const uint8_t name[] = { 0xc0, 0 };

	cr_assert_eq(parse_name(name, sizeof(name)), DROP_DNS_BAD_NAME);
}

/* A pointer's first byte as the last byte of the message */
Test(dns, pointer_cut)
{
	uint8_t b[64];
	size_t n = hdr(b, 0, 1, 0, 0, 0);

	b[n++] = 0xc0;
	cr_assert_neq(parse_only(b, n), DROP_NONE);
}

/* Label types 01 and 10 (RFC 6891 §5 deprecated them) */
Test(dns, extended_label_types)
{
	static const uint8_t ext[] = { 0x41, 0, 0 };
	static const uint8_t rsv[] = { 0x80, 0, 0 };

	cr_assert_eq(parse_name(ext, sizeof(ext)), DROP_DNS_BAD_NAME);
	cr_assert_eq(parse_name(rsv, sizeof(rsv)), DROP_DNS_BAD_NAME);
}

/* "a.b" as one label would match the static name a.b; NUL would cut it */
Test(dns, label_with_dot_or_nul)
{
	static const uint8_t dot[] = { 3, 'a', '.', 'b', 0 };
	static const uint8_t nul[] = { 3, 'a', 0, 'b', 0 };

	cr_assert_eq(parse_name(dot, sizeof(dot)), DROP_DNS_BAD_NAME);
	cr_assert_eq(parse_name(nul, sizeof(nul)), DROP_DNS_BAD_NAME);
}

static enum drop_reason parse_counts(uint16_t qd, uint16_t an, uint16_t ns,
				     uint16_t ar)
{
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);

	hdr(b, DNS_FLAG_RD, qd, an, ns, ar);
	return parse_only(b, len);
}

Test(dns, bad_counts)
{
	cr_assert_eq(parse_counts(0, 0, 0, 0), DROP_DNS_BAD_COUNT);
	cr_assert_eq(parse_counts(2, 0, 0, 0), DROP_DNS_BAD_COUNT);
	cr_assert_eq(parse_counts(0xffff, 0, 0, 0), DROP_DNS_BAD_COUNT);
	cr_assert_eq(parse_counts(1, 1, 0, 0), DROP_DNS_BAD_COUNT);
	cr_assert_eq(parse_counts(1, 0, 1, 0), DROP_DNS_BAD_COUNT);
	cr_assert_eq(parse_counts(1, 0, 0, 2), DROP_DNS_BAD_COUNT);
	/* ARCOUNT 1 without the record present: not parsed, accepted */
	cr_assert_eq(parse_counts(1, 0, 0, 1), DROP_NONE);
}

Test(dns, not_a_query)
{
	static const uint16_t opcodes[] = { 1, 2, 4, 5, 15 };
	struct dns_query q;
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);

	put16(b + 2, DNS_FLAG_QR | DNS_FLAG_RD);
	cr_assert_eq(parse(b, len, &q), DROP_DNS_NOT_QUERY);
	cr_assert_eq(q.id, ID);
	cr_assert_eq(q.qlen, 0);
	for (unsigned i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		put16(b + 2, (uint16_t)(opcodes[i] << 11));
		cr_assert_eq(parse_only(b, len), DROP_DNS_NOT_QUERY,
			     "opcode %u", opcodes[i]);
	}
}

/* Random and mutated input: no crash, no overread, sane output */
Test(dns, garbage)
{
	uint8_t valid[512], b[512];
	size_t vlen = query(valid, "a.b.example.com", DNS_TYPE_A, true);
	unsigned seed = 1;
	struct dns_query q;

	for (int i = 0; i < 20000; i++) {
		size_t len;

		if (i & 1) {
			len = (size_t)rand_r(&seed) % 300;
			for (size_t j = 0; j < len; j++)
				b[j] = (uint8_t)rand_r(&seed);
			hdr(b, 0, 1, 0, 0, (uint16_t)(i & 2 ? 1 : 0));
		} else {
			len = vlen;
			memcpy(b, valid, vlen);
			for (int k = 0; k < 3; k++)
				b[DNS_HDR_LEN + (size_t)rand_r(&seed) %
				  (vlen - DNS_HDR_LEN)] = (uint8_t)rand_r(&seed);
		}
		if (len < DNS_HDR_LEN)
			len = DNS_HDR_LEN;
		if (parse(b, len, &q) != DROP_NONE)
			continue;
		cr_assert_leq(q.qlen, len);
		cr_assert_leq(strlen(q.qname), DNS_NAME_MAX - 2);
	}
}

/* Static records */

static struct dns_static tab[8];
static unsigned n_tab;

static void add(const char *spec)
{
	char err[128];

	cr_assert_eq(dns_static_parse(spec, &tab[n_tab++], err, sizeof(err)),
		     0, "%s", err);
}

static void tab_setup(void)
{
	n_tab = 0;
	add("myhost.test=10.0.0.5");
	add("myhost.test=fd00::5");
	add("v6only.test=fd00::6");
	add("multi.test=192.0.2.1");
	add("multi.test=192.0.2.2");
	/* As the caller may fill it in: not through dns_static_parse() */
	strcpy(tab[n_tab].name, "Host.Broth.Internal.");
	tab[n_tab].family = AF_INET;
	memcpy(tab[n_tab++].addr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memset(out, 0xaa, sizeof(out));
}

/* Parse @name/@qtype, answer it from the table into out[] */
static int answer(const char *name, uint16_t qtype, bool edns, size_t cap,
		  struct dns_query *q, uint8_t *qmsg)
{
	size_t len = query(qmsg, name, qtype, edns);
	struct msg m = msg_dup(qmsg, len);
	int rc;

	cr_assert_eq(dns_parse_query(m.b, m.len, q), DROP_NONE);
	rc = dns_answer_static(q, m.b, tab, n_tab, out, cap);
	msg_free(&m);
	return rc;
}

/* Header and question of a reply to @q (from @qmsg) */
static void check_reply_head(const struct dns_query *q, const uint8_t *qmsg,
			     uint16_t flags, uint16_t an)
{
	cr_assert_eq(get16(out), ID);
	cr_assert_eq(get16(out + 2), flags);
	cr_assert_eq(get16(out + 4), 1);
	cr_assert_eq(get16(out + 6), an);
	cr_assert_eq(get16(out + 8), 0);
	cr_assert_eq(get16(out + 10), 0);
	cr_assert_arr_eq(out + DNS_HDR_LEN, qmsg + DNS_HDR_LEN,
			 q->qlen - DNS_HDR_LEN);
}

/* Answer record at @p: pointer to the question, IN, TTL 60 */
static const uint8_t *check_rr(const uint8_t *p, uint16_t type,
			       const void *addr, uint16_t alen)
{
	cr_assert_eq(get16(p), 0xc000 | DNS_HDR_LEN);
	cr_assert_eq(get16(p + 2), type);
	cr_assert_eq(get16(p + 4), DNS_CLASS_IN);
	cr_assert_eq(get16(p + 6), 0);
	cr_assert_eq(get16(p + 8), DNS_TTL_STATIC);
	cr_assert_eq(get16(p + 10), alen);
	cr_assert_arr_eq(p + 12, addr, alen);
	return p + 12 + alen;
}

#define FLAGS_ANSWER	(DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | DNS_FLAG_RA)

TestSuite(dns_static, .init = tab_setup);

/* The question is echoed with the case the guest sent */
Test(dns_static, a_hit)
{
	static const uint8_t a[4] = { 10, 0, 0, 5 };
	uint8_t qmsg[512];
	struct dns_query q;
	int len = answer("MyHost.TEST", DNS_TYPE_A, false, sizeof(out), &q,
			 qmsg);

	cr_assert_eq(len, q.qlen + 16);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 1);
	check_rr(out + q.qlen, DNS_TYPE_A, a, 4);
}

Test(dns_static, aaaa_hit)
{
	uint8_t a[16], qmsg[512];
	struct dns_query q;
	int len = answer("myhost.test", DNS_TYPE_AAAA, false, sizeof(out),
			 &q, qmsg);

	inet_pton(AF_INET6, "fd00::5", a);
	cr_assert_eq(len, q.qlen + 28);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 1);
	check_rr(out + q.qlen, DNS_TYPE_AAAA, a, 16);
}

/* The OPT record of the query is not echoed */
Test(dns_static, edns_hit)
{
	uint8_t qmsg[512];
	struct dns_query q;
	int len = answer("myhost.test", DNS_TYPE_A, true, sizeof(out), &q,
			 qmsg);

	cr_assert_eq(len, q.qlen + 16);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 1);
}

Test(dns_static, caller_entry_trailing_dot)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 };
	uint8_t qmsg[512];
	struct dns_query q;
	int len = answer("host.broth.internal", DNS_TYPE_A, false,
			 sizeof(out), &q, qmsg);

	cr_assert_eq(len, q.qlen + 16);
	check_rr(out + q.qlen, DNS_TYPE_A, a, 4);
}

Test(dns_static, several_records)
{
	static const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	uint8_t qmsg[512];
	struct dns_query q;
	int len = answer("multi.test", DNS_TYPE_A, false, sizeof(out), &q,
			 qmsg);

	cr_assert_eq(len, q.qlen + 32);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 2);
	check_rr(check_rr(out + q.qlen, DNS_TYPE_A, a1, 4), DNS_TYPE_A, a2, 4);
}

Test(dns_static, any)
{
	uint8_t qmsg[512];
	struct dns_query q;
	int len = answer("myhost.test", DNS_TYPE_ANY, false, sizeof(out), &q,
			 qmsg);

	cr_assert_eq(len, q.qlen + 16 + 28);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 2);
}

Test(dns_static, nodata)
{
	uint8_t qmsg[512];
	struct dns_query q;

	int len;

	len = answer("v6only.test", DNS_TYPE_A, false, sizeof(out), &q, qmsg);
	cr_assert_eq(len, q.qlen);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 0);
	len = answer("myhost.test", TYPE_TXT, false, sizeof(out), &q, qmsg);
	cr_assert_eq(len, q.qlen);
	check_reply_head(&q, qmsg, FLAGS_ANSWER, 0);
}

Test(dns_static, miss)
{
	static const char *const names[] = {
		"example.com", "host.test", "yhost.test", "myhost.test.evil",
		"myhost", "www.myhost.test", "",
	};
	uint8_t qmsg[512];
	struct dns_query q;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_eq(answer(names[i], DNS_TYPE_A, false, sizeof(out),
				    &q, qmsg), 0, "%s", names[i]);
	cr_assert_eq(dns_answer_static(&q, qmsg, tab, 0, out, sizeof(out)), 0);
}

/* CHAOS and other classes are the upstream's business */
Test(dns_static, other_class)
{
	uint8_t b[512];
	size_t len = query(b, "myhost.test", DNS_TYPE_A, false);
	struct dns_query q;

	put16(b + len - 2, CLASS_CH);
	cr_assert_eq(parse(b, len, &q), DROP_NONE);
	cr_assert_eq(dns_answer_static(&q, b, tab, n_tab, out, sizeof(out)),
		     0);
}

Test(dns_static, out_too_small)
{
	uint8_t qmsg[512];
	struct dns_query q;
	size_t ql;

	answer("multi.test", DNS_TYPE_A, false, sizeof(out), &q, qmsg);
	ql = q.qlen;
	cr_assert_eq(answer("multi.test", DNS_TYPE_A, false, ql + 32, &q,
			    qmsg), ql + 32);
	cr_assert_eq(answer("multi.test", DNS_TYPE_A, false, ql + 31, &q,
			    qmsg), -1);
	cr_assert_eq(answer("multi.test", DNS_TYPE_A, false, ql + 15, &q,
			    qmsg), -1);

	answer("v6only.test", DNS_TYPE_A, false, sizeof(out), &q, qmsg);
	ql = q.qlen;
	cr_assert_eq(answer("v6only.test", DNS_TYPE_A, false, ql, &q, qmsg),
		     ql);
	cr_assert_eq(answer("v6only.test", DNS_TYPE_A, false, ql - 1, &q,
			    qmsg), -1);
}

/* Error replies */

Test(dns, servfail)
{
	uint8_t b[512];
	size_t len = query(b, "Example.com", DNS_TYPE_AAAA, true);
	struct msg m = msg_dup(b, len);
	struct dns_query q;

	cr_assert_eq(dns_parse_query(m.b, m.len, &q), DROP_NONE);
	cr_assert_eq(dns_build_error(&q, m.b, DNS_RCODE_SERVFAIL, out,
				     sizeof(out)), q.qlen);
	msg_free(&m);
	cr_assert_eq(get16(out), ID);
	cr_assert_eq(get16(out + 2), DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA |
				     DNS_RCODE_SERVFAIL);
	cr_assert_eq(get16(out + 4), 1);
	cr_assert_eq(get16(out + 6), 0);
	cr_assert_eq(get16(out + 8), 0);
	cr_assert_eq(get16(out + 10), 0);
	cr_assert_arr_eq(out + DNS_HDR_LEN, b + DNS_HDR_LEN,
			 q.qlen - DNS_HDR_LEN);
}

/* RD is echoed, not set; CD is echoed */
Test(dns, refused_flags)
{
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);
	struct dns_query q;

	put16(b + 2, DNS_FLAG_CD);
	cr_assert_eq(parse(b, len, &q), DROP_NONE);
	cr_assert_eq(dns_build_error(&q, b, DNS_RCODE_REFUSED, out,
				     sizeof(out)), q.qlen);
	cr_assert_eq(get16(out + 2), DNS_FLAG_QR | DNS_FLAG_CD | DNS_FLAG_RA |
				     DNS_RCODE_REFUSED);
	cr_assert_eq(dns_build_error(&q, b, DNS_RCODE_REFUSED, out,
				     q.qlen - 1), -1);
}

/* A query refused after its header gets a reply without question */
Test(dns, notimp_without_question)
{
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);
	struct dns_query q;

	put16(b + 2, 5 << 11 | DNS_FLAG_RD);	/* UPDATE */
	cr_assert_eq(parse(b, len, &q), DROP_DNS_NOT_QUERY);
	cr_assert_eq(dns_build_error(&q, b, DNS_RCODE_NOTIMP, out,
				     DNS_HDR_LEN), DNS_HDR_LEN);
	cr_assert_eq(get16(out), ID);
	cr_assert_eq(get16(out + 2), DNS_FLAG_QR | 5 << 11 | DNS_FLAG_RD |
				     DNS_FLAG_RA | DNS_RCODE_NOTIMP);
	cr_assert_eq(get16(out + 4), 0);
	cr_assert_eq(dns_answer_static(&q, b, tab, 0, out, sizeof(out)), 0);
}

/* --dns-host */

Test(dns, static_parse_ok)
{
	struct dns_static s;
	char err[128], spec[300];
	uint8_t a6[16];

	cr_assert_eq(dns_static_parse("foo=1.2.3.4", &s, err, sizeof(err)), 0);
	cr_assert_str_eq(s.name, "foo");
	cr_assert_eq(s.family, AF_INET);
	cr_assert_arr_eq(s.addr, ((uint8_t[]){ 1, 2, 3, 4 }), 4);

	cr_assert_eq(dns_static_parse("Db.Example.=fd00::1", &s, err,
				      sizeof(err)), 0);
	cr_assert_str_eq(s.name, "db.example");
	cr_assert_eq(s.family, AF_INET6);
	inet_pton(AF_INET6, "fd00::1", a6);
	cr_assert_arr_eq(s.addr, a6, 16);

	cr_assert_eq(dns_static_parse("_svc.a-b.x=::ffff:1.2.3.4", &s, err,
				      sizeof(err)), 0);

	/* 63 + 63 + 63 + 61 characters and dots: the longest name */
	memset(spec, 'a', 253);
	spec[63] = spec[127] = spec[191] = '.';
	strcpy(spec + 253, "=10.1.1.1");
	cr_assert_eq(dns_static_parse(spec, &s, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(strlen(s.name), 253);
}

Test(dns, static_parse_bad)
{
	static const char *const bad[] = {
		"foo", "=1.2.3.4", "foo=", "foo=1.2.3", "foo=bar",
		"foo=1.2.3.4=5", "foo..bar=1.2.3.4", ".foo=1.2.3.4",
		".=1.2.3.4", "foo bar=1.2.3.4", "f\xc3\xa9=1.2.3.4",
		"foo=[::1]", "foo=1.2.3.4 ", "",
	};
	struct dns_static s;
	char err[128], spec[300];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(dns_static_parse(bad[i], &s, err, sizeof(err)), -1,
			     "'%s' accepted", bad[i]);
		cr_assert_neq(err[0], '\0');
	}

	memset(spec, 'a', 64);		/* one label too long */
	strcpy(spec + 64, "=10.1.1.1");
	cr_assert_eq(dns_static_parse(spec, &s, err, sizeof(err)), -1);

	memset(spec, 'a', 254);		/* one character too long */
	spec[63] = spec[127] = spec[191] = '.';
	strcpy(spec + 254, "=10.1.1.1");
	cr_assert_eq(dns_static_parse(spec, &s, err, sizeof(err)), -1);
}

/* Upstream responses */

Test(dns, response)
{
	uint8_t b[512];
	size_t len = query(b, "example.com", DNS_TYPE_A, false);
	uint16_t id = 0;
	struct msg m;

	put16(b + 2, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA |
		     DNS_RCODE_NXDOMAIN);
	for (size_t l = 0; l < DNS_HDR_LEN; l++) {
		m = msg_dup(b, l);
		cr_assert_eq(dns_parse_response(m.b, m.len, &id),
			     DROP_DNS_TRUNC, "length %zu", l);
		msg_free(&m);
	}
	for (size_t l = DNS_HDR_LEN; l <= len; l++) {
		m = msg_dup(b, l);
		id = 0;
		cr_assert_eq(dns_parse_response(m.b, m.len, &id), DROP_NONE);
		cr_assert_eq(id, ID);
		msg_free(&m);
	}

	put16(b + 2, DNS_FLAG_RD);
	m = msg_dup(b, len);
	cr_assert_eq(dns_parse_response(m.b, m.len, &id),
		     DROP_DNS_NOT_RESPONSE);
	msg_free(&m);
}
