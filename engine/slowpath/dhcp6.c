/* SPDX-License-Identifier: MIT */
/*
 * dhcp6.c - DHCPv6 server on the gateway (RFC 8415)
 *
 * Addresses normally come from SLAAC (ndp.c); the RA's "other configuration"
 * flag sends clients here for the DNS server and search list (stateless,
 * Information-request). Clients that insist on a stateful address (Solicit,
 * Request, Renew, Rebind) get the vnet's one DHCPv6 address, PREFIX::2, as
 * every DHCPv4 client gets the one IPv4 guest address. Rapid Commit is
 * honoured. Confirm answers whether the client's addresses are on-link;
 * Release and Decline are acknowledged. The server's DUID is a DUID-LL of
 * the gateway MAC, stable for the vnet.
 *
 * Every option is bounds-checked before use; a message breaking the
 * validation rules of RFC 8415 §16 is dropped and counted, never answered.
 */
#include <string.h>

#include <rte_ether.h>

#include "dhcp6.h"
#include "dns.h"
#include "frame.h"
#include "inet.h"
#include "wire.h"

enum {
	DH6_SOLICIT = 1, DH6_ADVERTISE, DH6_REQUEST, DH6_CONFIRM, DH6_RENEW,
	DH6_REBIND, DH6_REPLY, DH6_RELEASE, DH6_DECLINE, DH6_RECONFIGURE,
	DH6_INFO_REQUEST,
};

enum {
	OPT6_CLIENTID = 1, OPT6_SERVERID = 2, OPT6_IA_NA = 3, OPT6_IAADDR = 5,
	OPT6_STATUS = 13, OPT6_RAPID_COMMIT = 14, OPT6_DNS = 23,
	OPT6_DOMAINS = 24,
};

#define DH6_STATUS_SUCCESS	0
#define DH6_STATUS_NOT_ON_LINK	4
#define DH6_DUID_MAX		130	/* RFC 8415 §11.1: 128 + type */
#define DH6_MAX_IA		4
#define DH6_IA_NA_FIXED		12	/* IAID, T1, T2 */
#define DH6_IAADDR_FIXED	24	/* address, preferred, valid */

/* What a client message says, pointers into the frame */
struct dh6_msg {
	uint8_t type;
	const uint8_t *xid;			/* 3 bytes */
	const uint8_t *clientid, *serverid;
	uint16_t clientid_len, serverid_len;
	unsigned n_ia;
	const uint8_t *ia[DH6_MAX_IA];		/* IA_NA bodies */
	uint16_t ia_len[DH6_MAX_IA];
	bool rapid_commit;
};

/* Record one top-level option; false if it breaks the format */
static bool dh6_take(struct dh6_msg *m, uint16_t code, const uint8_t *v,
		     uint16_t len)
{
	switch (code) {
	case OPT6_CLIENTID:
	case OPT6_SERVERID:
		if (len < 2 || len > DH6_DUID_MAX)
			return false;
		if (code == OPT6_CLIENTID) {
			m->clientid = v;
			m->clientid_len = len;
		} else {
			m->serverid = v;
			m->serverid_len = len;
		}
		return true;
	case OPT6_IA_NA:
		if (len < DH6_IA_NA_FIXED)
			return false;
		if (m->n_ia < DH6_MAX_IA) {
			m->ia[m->n_ia] = v;
			m->ia_len[m->n_ia++] = len;
		}
		return true;
	case OPT6_RAPID_COMMIT:
		m->rapid_commit = true;
		return true;
	default:
		return true;	/* options we do not serve are ignored */
	}
}

/**
 * dhcp6_parse() - validate a client message and locate its options
 * @msg:	the UDP payload
 * @len:	its length
 * @m:		filled on success
 *
 * Return: DROP_NONE, or DROP_DHCP6_BAD
 */
static enum drop_reason dhcp6_parse(const uint8_t *msg, size_t len, struct dh6_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 4)
		return DROP_DHCP6_BAD;
	m->type = msg[0];
	m->xid = msg + 1;
	for (size_t off = 4; off < len;) {
		uint16_t code, olen;

		if (len - off < 4)
			return DROP_DHCP6_BAD;
		code = wire_get16(msg + off);
		olen = wire_get16(msg + off + 2);
		if (olen > len - off - 4 ||
		    !dh6_take(m, code, msg + off + 4, olen))
			return DROP_DHCP6_BAD;
		off += 4u + olen;
	}
	return DROP_NONE;
}

/* Our DUID-LL (RFC 8415 §11.4): type 3, hardware type 1, the gateway MAC */
static void dh6_server_duid(const struct vnet *vn, uint8_t duid[10])
{
	wire_put16(duid, 3);
	wire_put16(duid + 2, 1);
	memcpy(duid + 4, &vn->gw_mac, RTE_ETHER_ADDR_LEN);
}

static bool dh6_server_is_us(const struct vnet *vn, const struct dh6_msg *m)
{
	uint8_t duid[10];

	dh6_server_duid(vn, duid);
	return m->serverid_len == sizeof(duid) &&
	       !memcmp(m->serverid, duid, sizeof(duid));
}

/* RFC 8415 §16: which server identification each message must carry */
static enum drop_reason dh6_validate(const struct vnet *vn,
				     const struct dh6_msg *m)
{
	switch (m->type) {
	case DH6_SOLICIT:
	case DH6_CONFIRM:
	case DH6_REBIND:
		return m->clientid && !m->serverid ? DROP_NONE : DROP_DHCP6_BAD;
	case DH6_REQUEST:
	case DH6_RENEW:
	case DH6_RELEASE:
	case DH6_DECLINE:
		if (!m->clientid || !m->serverid)
			return DROP_DHCP6_BAD;
		return dh6_server_is_us(vn, m) ? DROP_NONE : DROP_DHCP6_NOT_FOR_US;
	case DH6_INFO_REQUEST:
		if (m->n_ia)
			return DROP_DHCP6_BAD;
		return !m->serverid || dh6_server_is_us(vn, m) ? DROP_NONE :
		       DROP_DHCP6_NOT_FOR_US;
	default:			/* server or relay messages */
		return DROP_DHCP6_NOT_FOR_US;
	}
}

/* An option area being written, bounded by its capacity */
struct dh6_out {
	uint8_t *p;
	size_t len, cap;
	bool full;
};

/* Start an option of @len bytes and return its body, or NULL if full */
static uint8_t *dh6_put(struct dh6_out *o, uint16_t code, size_t len)
{
	uint8_t *b;

	if (o->full || o->cap - o->len < 4 + len) {
		o->full = true;
		return NULL;
	}
	b = o->p + o->len;
	wire_put16(b, code);
	wire_put16(b + 2, (uint16_t)len);
	o->len += 4 + len;
	return b + 4;
}

static void dh6_put_status(struct dh6_out *o, uint16_t status)
{
	uint8_t *b = dh6_put(o, OPT6_STATUS, 2);

	if (b)
		wire_put16(b, status);
}

/* Is every address the client names in its IA_NA options on our link? */
static bool dh6_addrs_on_link(const struct vnet *vn, const struct dh6_msg *m)
{
	for (unsigned i = 0; i < m->n_ia; i++) {
		const uint8_t *v = m->ia[i];

		for (size_t off = DH6_IA_NA_FIXED; off + 4 <= m->ia_len[i];) {
			uint16_t code = wire_get16(v + off), len = wire_get16(v + off + 2);

			if (len > m->ia_len[i] - off - 4)
				return false;
			if (code == OPT6_IAADDR &&
			    (len < DH6_IAADDR_FIXED ||
			     memcmp(v + off + 4, vn->net6, 8)))
				return false;
			off += 4u + len;
		}
	}
	return true;
}

/* IA_NA answers: the vnet's address in each IA the client sent */
static void dh6_put_ias(const struct vnet *vn, const struct dh6_msg *m,
			struct dh6_out *o)
{
	for (unsigned i = 0; i < m->n_ia; i++) {
		uint8_t *b = dh6_put(o, OPT6_IA_NA,
				     DH6_IA_NA_FIXED + 4 + DH6_IAADDR_FIXED);

		if (!b)
			return;
		memcpy(b, m->ia[i], 4);				/* IAID */
		wire_put32(b + 4, vn->lease_s / 2);			/* T1 */
		wire_put32(b + 8, (uint32_t)(vn->lease_s * 4ull / 5));	/* T2 */
		wire_put16(b + 12, OPT6_IAADDR);
		wire_put16(b + 14, DH6_IAADDR_FIXED);
		memcpy(b + 16, vn->guest6, 16);
		wire_put32(b + 32, vn->lease_s);			/* preferred */
		wire_put32(b + 36, vn->lease_s);			/* valid */
	}
}

/* DNS server (the gateway) and the search list */
static void dh6_put_dns(const struct vnet *vn, struct dh6_out *o)
{
	uint8_t wire[512], *b;
	size_t n = 0;

	b = dh6_put(o, OPT6_DNS, 16);
	if (b)
		memcpy(b, vn->gw6, 16);
	for (unsigned i = 0; i < vn->n_search; i++)
		n += dns_name_encode(vn->search[i], wire + n, sizeof(wire) - n);
	if (!n && vn->domain[0])
		n = dns_name_encode(vn->domain, wire, sizeof(wire));
	if (n && (b = dh6_put(o, OPT6_DOMAINS, n)))
		memcpy(b, wire, n);
}

/* The reply's options, by the client's message type */
static void dh6_reply_opts(const struct vnet *vn, const struct dh6_msg *m,
			   struct dh6_out *o)
{
	uint8_t *b = dh6_put(o, OPT6_SERVERID, 10);

	if (b)
		dh6_server_duid(vn, b);
	if (m->clientid && (b = dh6_put(o, OPT6_CLIENTID, m->clientid_len)))
		memcpy(b, m->clientid, m->clientid_len);
	switch (m->type) {
	case DH6_SOLICIT:
		if (m->rapid_commit)
			dh6_put(o, OPT6_RAPID_COMMIT, 0);
		/* fall through */
	case DH6_REQUEST:
	case DH6_RENEW:
	case DH6_REBIND:
		dh6_put_ias(vn, m, o);
		break;
	case DH6_CONFIRM:
		dh6_put_status(o, dh6_addrs_on_link(vn, m) ? DH6_STATUS_SUCCESS :
				  DH6_STATUS_NOT_ON_LINK);
		return;
	case DH6_RELEASE:
	case DH6_DECLINE:
		dh6_put_status(o, DH6_STATUS_SUCCESS);
		return;
	default:
		break;
	}
	dh6_put_dns(vn, o);
}

/**
 * dhcp6_input() - answer a DHCPv6 client message
 * @vn:		vnet the frame came from
 * @p:		parsed IPv6/UDP frame to port 547 (checksum verified)
 * @out:	buffer for the reply frame
 * @cap:	size of @out
 * @out_len:	set to the reply length, 0 when there is none
 *
 * Return: DROP_NONE if a reply was built, else why the frame ends here
 */
enum drop_reason dhcp6_input(struct vnet *vn, const struct pkt *p,
			     uint8_t *out, size_t cap, size_t *out_len)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->data;
	struct dh6_out o = { .p = out + FRAME_UDP6_OFF };
	struct dh6_msg m;
	enum drop_reason r;

	*out_len = 0;
	if (!p->v6 || cap < FRAME_UDP6_OFF + 4 || !inet6_is_linklocal(p->saddr))
		return DROP_DHCP6_BAD;	/* clients speak from link-local */
	r = dhcp6_parse(p->data + p->payload_off, p->payload_len, &m);
	if (!r)
		r = dh6_validate(vn, &m);
	if (r)
		return r;
	o.cap = RTE_MIN(cap, (size_t)(FRAME_ETH_LEN + 1280)) - FRAME_UDP6_OFF - 4;
	o.p += 4;
	dh6_reply_opts(vn, &m, &o);
	out[FRAME_UDP6_OFF] = m.type == DH6_SOLICIT && !m.rapid_commit ?
			      DH6_ADVERTISE : DH6_REPLY;
	memcpy(out + FRAME_UDP6_OFF + 1, m.xid, 3);
	vnet_guest_mac_learn(vn, &eh->src_addr);
	*out_len = frame_udp(out, &vn->gw_mac, &eh->src_addr, vn->gw6_ll, p->saddr,
			     RTE_BE16(DHCP6_SERVER_PORT), p->sport,
			     (uint16_t)(4 + o.len));
	return DROP_NONE;
}
