/* SPDX-License-Identifier: MIT */
/*
 * dhcp.c - DHCPv4 server for the single guest address of a vnet
 *
 * DOC: Theory of Operation
 *
 * A vnet has exactly one guest address, and like passt we hand it to any
 * client that asks: a link carries one guest, so there is nobody to share the
 * address with. The lease record only says who holds it and until when, for
 * visibility; a DECLINE is counted but the address is still offered afterwards,
 * since there is no other one to give.
 *
 * Requests are parsed into a struct dhcp_msg (every length checked against the
 * UDP payload), served (lease updated, reply type chosen), and answered with a
 * reply built in place behind the frame headers. Replies fit in the 576-byte
 * datagram every client must accept, or in the client's maximum message size
 * (option 57) if larger; optional options (domain, search list) that do not
 * fit are left out.
 *
 * Not supported, on purpose: option overload (52) -- the sname and file fields
 * are never parsed for options, clients on a virtual link have no reason to
 * overflow into them -- and relay agents (giaddr is echoed, never used to
 * route: there is no relay between a guest and its own vnet).
 */
#include <assert.h>
#include <string.h>

#include <rte_common.h>

#include "dhcp.h"
#include "dns.h"
#include "frame.h"

#define BOOTREQUEST		1
#define BOOTREPLY		2
#define BOOTP_HTYPE_ETHER	1
#define BOOTP_FIXED_LEN		236	/* up to and including file[] */
#define BOOTP_OPTS_OFF		(BOOTP_FIXED_LEN + 4)	/* after the cookie */
#define BOOTP_MIN_LEN		300	/* RFC 951 message size, old clients */
#define BOOTP_FLAG_BROADCAST	0x8000

#define DHCP_MIN_MSG		576	/* RFC 2131 §2: every client accepts */
#define DHCP_IP_UDP_HLEN	28
#define DHCP_PAYLOAD_MAX	(DHCP_REPLY_MAX - FRAME_UDP4_OFF)
#define DHCP_OPT_MAXLEN		255	/* one option's length byte */
#define DNS_LABEL_MAX		63

static const uint8_t dhcp_cookie[4] = { 99, 130, 83, 99 };

enum dhcp_opt {
	OPT_PAD		= 0,
	OPT_SUBNET_MASK	= 1,
	OPT_ROUTER	= 3,
	OPT_DNS		= 6,
	OPT_DOMAIN	= 15,
	OPT_MTU		= 26,
	OPT_BCAST	= 28,
	OPT_REQ_ADDR	= 50,
	OPT_LEASE	= 51,
	OPT_OVERLOAD	= 52,	/* ignored, see above */
	OPT_MSG_TYPE	= 53,
	OPT_SERVER_ID	= 54,
	OPT_MAX_SIZE	= 57,
	OPT_T1		= 58,
	OPT_T2		= 59,
	OPT_CLIENT_ID	= 61,	/* not echoed: one guest, bound by chaddr */
	OPT_SEARCH	= 119,
	OPT_END		= 255,
};

enum dhcp_type {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK,
	DHCPRELEASE, DHCPINFORM,
};

/* RFC 2131 §2 fixed part; unaligned in the frame, hence packed */
struct bootp {
	uint8_t op, htype, hlen, hops;
	rte_be32_t xid;
	rte_be16_t secs, flags;
	rte_be32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
} __rte_packed;

static_assert(sizeof(struct bootp) == BOOTP_FIXED_LEN, "BOOTP fixed part");

/* What a request says, once validated */
struct dhcp_msg {
	const struct bootp *bp;		/* fixed part, inside the frame */
	uint8_t type;			/* enum dhcp_type, 0 if absent */
	bool has_req_addr, has_server_id;
	rte_be32_t req_addr, server_id;
	size_t max_payload;		/* largest reply payload it accepts */
};

/* What we answer */
struct dhcp_reply {
	uint8_t type;			/* 0: no reply */
	rte_be32_t yiaddr;
	bool lease_opts;		/* options 51, 58, 59 */
};

/* Option area being written */
struct dhcp_opts {
	uint8_t *buf;
	size_t len, room;		/* room includes the final END */
};

/* Exact value length of the options we read; others are skipped unread */
static const uint8_t dhcp_opt_len[256] = {
	[OPT_MSG_TYPE] = 1, [OPT_REQ_ADDR] = 4, [OPT_SERVER_ID] = 4,
	[OPT_MAX_SIZE] = 2,
};

/**
 * dhcp_opt_take() - record one option of a request
 * @m:		message being parsed
 * @code:	option code
 * @val:	option value
 * @len:	length of @val
 *
 * Return: false if an option we use has the wrong length
 */
static bool dhcp_opt_take(struct dhcp_msg *m, uint8_t code, const uint8_t *val,
			  uint8_t len)
{
	uint16_t max;

	if (dhcp_opt_len[code] && len != dhcp_opt_len[code])
		return false;
	switch (code) {
	case OPT_MSG_TYPE:
		m->type = val[0];
		break;
	case OPT_REQ_ADDR:
		m->has_req_addr = true;
		memcpy(&m->req_addr, val, sizeof(m->req_addr));
		break;
	case OPT_SERVER_ID:
		m->has_server_id = true;
		memcpy(&m->server_id, val, sizeof(m->server_id));
		break;
	case OPT_MAX_SIZE:
		max = (uint16_t)(val[0] << 8 | val[1]);
		if (max >= DHCP_MIN_MSG)	/* smaller values are invalid */
			m->max_payload = RTE_MIN((size_t)max - DHCP_IP_UDP_HLEN,
						 (size_t)DHCP_PAYLOAD_MAX);
		break;
	}
	return true;
}

/**
 * dhcp_opts_parse() - walk the options after the magic cookie
 * @o:		first option byte
 * @len:	bytes up to the end of the UDP payload
 * @m:		filled with the options we use
 *
 * A missing END is tolerated: the payload end bounds the walk anyway.
 *
 * Return: DROP_NONE, or DROP_DHCP_BAD_OPTION if an option runs past the end
 */
static enum drop_reason dhcp_opts_parse(const uint8_t *o, size_t len,
					struct dhcp_msg *m)
{
	size_t i = 0;

	while (i < len) {
		if (o[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (o[i] == OPT_END)
			return DROP_NONE;
		/* Check before use: a zero value length still needs its byte */
		if (len - i < 2 || len - i - 2 < o[i + 1])
			return DROP_DHCP_BAD_OPTION;
		if (!dhcp_opt_take(m, o[i], o + i + 2, o[i + 1]))
			return DROP_DHCP_BAD_OPTION;
		i += 2 + o[i + 1];
	}
	return DROP_NONE;
}

/**
 * dhcp_parse() - validate a BOOTP/DHCP request
 * @p:		parsed frame, UDP payload is the message
 * @m:		filled on success
 *
 * Return: DROP_NONE or a DROP_DHCP_* reason
 */
static enum drop_reason dhcp_parse(const struct pkt *p, struct dhcp_msg *m)
{
	const uint8_t *msg = p->data + p->payload_off;
	enum drop_reason rc;

	memset(m, 0, sizeof(*m));
	m->max_payload = DHCP_MIN_MSG - DHCP_IP_UDP_HLEN;
	if (p->payload_len < BOOTP_FIXED_LEN)
		return DROP_DHCP_TRUNC;
	m->bp = (const struct bootp *)msg;
	if (m->bp->op != BOOTREQUEST || m->bp->htype != BOOTP_HTYPE_ETHER ||
	    m->bp->hlen != RTE_ETHER_ADDR_LEN)
		return DROP_DHCP_BAD_MESSAGE;
	/* Plain BOOTP (no cookie) is not served: clients all speak DHCP */
	if (p->payload_len < BOOTP_OPTS_OFF ||
	    memcmp(msg + BOOTP_FIXED_LEN, dhcp_cookie, sizeof(dhcp_cookie)))
		return DROP_DHCP_NO_COOKIE;
	rc = dhcp_opts_parse(msg + BOOTP_OPTS_OFF,
			     p->payload_len - BOOTP_OPTS_OFF, m);
	if (rc != DROP_NONE)
		return rc;
	switch (m->type) {
	case DHCPDISCOVER: case DHCPREQUEST: case DHCPDECLINE:
	case DHCPRELEASE: case DHCPINFORM:
		return DROP_NONE;
	default:	/* absent, unknown, or a server's message */
		return DROP_DHCP_BAD_MESSAGE;
	}
}

/* Record who holds the guest address, how, and until when (0: no lease) */
static void dhcp_lease_set(struct dhcp_lease *l, enum dhcp_lease_state state,
			   const struct dhcp_msg *m, uint64_t expires_s)
{
	l->state = state;
	memcpy(&l->chaddr, m->bp->chaddr, sizeof(l->chaddr));
	l->expires_s = expires_s;
}

/**
 * dhcp_request() - answer a REQUEST in any client state
 * @vn:		vnet
 * @m:		request; a foreign server id was already refused
 * @now_s:	monotonic seconds
 * @r:		reply to send
 *
 * SELECTING and INIT-REBOOT carry option 50, RENEWING and REBINDING put the
 * address in ciaddr instead (RFC 2131 §4.3.2).
 *
 * Return: DROP_NONE, or DROP_DHCP_BAD_MESSAGE if no address is named
 */
static enum drop_reason dhcp_request(struct vnet *vn, const struct dhcp_msg *m,
				     uint64_t now_s, struct dhcp_reply *r)
{
	rte_be32_t addr = m->has_req_addr ? m->req_addr : m->bp->ciaddr;

	if (!addr)
		return DROP_DHCP_BAD_MESSAGE;
	if (addr != vn->guest4) {
		r->type = DHCPNAK;
		return DROP_NONE;
	}
	dhcp_lease_set(&vn->lease, DHCP_LEASE_BOUND, m, now_s + vn->lease_s);
	*r = (struct dhcp_reply){ DHCPACK, vn->guest4, true };
	return DROP_NONE;
}

/**
 * dhcp_serve() - update the lease and decide the reply to a request
 * @vn:		vnet
 * @m:		validated request
 * @now_s:	monotonic seconds
 * @r:		reply; type 0 if none is due
 *
 * Return: DROP_NONE, or why the request is not ours to answer
 */
static enum drop_reason dhcp_serve(struct vnet *vn, const struct dhcp_msg *m,
				   uint64_t now_s, struct dhcp_reply *r)
{
	memset(r, 0, sizeof(*r));
	/* The client picked, or talks to, another server */
	if (m->has_server_id && m->server_id != vn->gw4)
		return DROP_DHCP_NOT_FOR_US;

	switch (m->type) {
	case DHCPDISCOVER:
		dhcp_lease_set(&vn->lease, DHCP_LEASE_OFFERED, m, 0);
		*r = (struct dhcp_reply){ DHCPOFFER, vn->guest4, true };
		return DROP_NONE;
	case DHCPREQUEST:
		return dhcp_request(vn, m, now_s, r);
	case DHCPDECLINE:
		if (m->has_req_addr && m->req_addr != vn->guest4)
			return DROP_DHCP_NOT_FOR_US;
		dhcp_lease_set(&vn->lease, DHCP_LEASE_DECLINED, m, 0);
		vn->lease.declines++;
		return DROP_NONE;
	case DHCPRELEASE:
		if (m->bp->ciaddr != vn->guest4)
			return DROP_DHCP_NOT_FOR_US;
		dhcp_lease_set(&vn->lease, DHCP_LEASE_FREE, m, 0);
		return DROP_NONE;
	default:	/* DHCPINFORM: configuration only, RFC 2131 §3.4 */
		r->type = DHCPACK;
		return DROP_NONE;
	}
}

/* Append one option if it fits, keeping room for END; false if not */
static bool dhcp_opt_put(struct dhcp_opts *o, uint8_t code, const void *val,
			 size_t len)
{
	if (len > DHCP_OPT_MAXLEN || o->len + 2 + len + 1 > o->room)
		return false;
	o->buf[o->len++] = code;
	o->buf[o->len++] = (uint8_t)len;
	memcpy(o->buf + o->len, val, len);
	o->len += len;
	return true;
}

static bool dhcp_opt_put32(struct dhcp_opts *o, uint8_t code, rte_be32_t v)
{
	return dhcp_opt_put(o, code, &v, sizeof(v));
}

/**
 * dhcp_opt_search() - option 119, the search list (RFC 3397, uncompressed)
 * @vn:		vnet with the search list
 * @o:		option area
 *
 * One option instance holds 255 bytes; names that are invalid or would not
 * fit are left out rather than split the option (RFC 3396), which some
 * clients do not reassemble.
 */
static void dhcp_opt_search(const struct vnet *vn, struct dhcp_opts *o)
{
	uint8_t wire[DHCP_OPT_MAXLEN];
	size_t len = 0;

	for (unsigned i = 0; i < vn->n_search; i++)
		len += dns_name_encode(vn->search[i], wire + len,
				       sizeof(wire) - len);
	if (len)
		dhcp_opt_put(o, OPT_SEARCH, wire, len);
}

/* Interface and resolver options; the resolver's last, as it may not fit */
static void dhcp_opts_config(const struct vnet *vn, struct dhcp_opts *o)
{
	rte_be16_t mtu = rte_cpu_to_be_16(vn->mtu);

	dhcp_opt_put32(o, OPT_SUBNET_MASK, vn->mask4);
	dhcp_opt_put32(o, OPT_ROUTER, vn->gw4);
	dhcp_opt_put32(o, OPT_DNS, vn->gw4);
	dhcp_opt_put32(o, OPT_BCAST, vn->bcast4);
	dhcp_opt_put(o, OPT_MTU, &mtu, sizeof(mtu));
	if (vn->domain[0])
		dhcp_opt_put(o, OPT_DOMAIN, vn->domain, strlen(vn->domain));
	dhcp_opt_search(vn, o);
}

/* Write the options of reply @r into the empty area @o, END included */
static void dhcp_opts_write(const struct vnet *vn, const struct dhcp_reply *r,
			    struct dhcp_opts *o)
{
	uint32_t lease = vn->lease_s;

	/* Fixed options: 56 bytes, o->room is at least 576 - 28 - 240 */
	dhcp_opt_put(o, OPT_MSG_TYPE, &r->type, 1);
	dhcp_opt_put32(o, OPT_SERVER_ID, vn->gw4);
	if (r->lease_opts) {
		dhcp_opt_put32(o, OPT_LEASE, rte_cpu_to_be_32(lease));
		dhcp_opt_put32(o, OPT_T1, rte_cpu_to_be_32(lease / 2));
		dhcp_opt_put32(o, OPT_T2,
			rte_cpu_to_be_32((uint32_t)((uint64_t)lease * 7 / 8)));
	}
	if (r->type != DHCPNAK)
		dhcp_opts_config(vn, o);
	o->buf[o->len++] = OPT_END;
}

/**
 * dhcp_reply_build() - write the reply message (UDP payload)
 * @vn:		vnet
 * @m:		request
 * @r:		reply decided by dhcp_serve()
 * @buf:	payload area of the output frame, DHCP_PAYLOAD_MAX bytes
 *
 * Return: payload length, at least BOOTP_MIN_LEN
 */
static size_t dhcp_reply_build(const struct vnet *vn, const struct dhcp_msg *m,
			       const struct dhcp_reply *r, uint8_t *buf)
{
	struct bootp *bp = (struct bootp *)buf;
	struct dhcp_opts o = { buf + BOOTP_OPTS_OFF, 0,
			       m->max_payload - BOOTP_OPTS_OFF };

	memset(buf, 0, BOOTP_MIN_LEN);
	bp->op = BOOTREPLY;
	bp->htype = m->bp->htype;
	bp->hlen = m->bp->hlen;
	bp->xid = m->bp->xid;
	bp->flags = m->bp->flags;
	/* RFC 2131 table 3: ciaddr is echoed in ACK only, 0 otherwise */
	bp->ciaddr = r->type == DHCPACK ? m->bp->ciaddr : 0;
	bp->yiaddr = r->yiaddr;
	bp->giaddr = m->bp->giaddr;
	memcpy(bp->chaddr, m->bp->chaddr, sizeof(bp->chaddr));
	memcpy(buf + BOOTP_FIXED_LEN, dhcp_cookie, sizeof(dhcp_cookie));
	dhcp_opts_write(vn, r, &o);
	return RTE_MAX((size_t)BOOTP_OPTS_OFF + o.len, (size_t)BOOTP_MIN_LEN);
}

/**
 * dhcp_reply_dest() - where a reply goes, RFC 2131 §4.1 (giaddr zero)
 * @p:		request frame
 * @m:		request
 * @r:		reply
 * @mac:	destination MAC
 * @ip:		destination address
 *
 * A client that set the broadcast flag cannot receive unicast before it is
 * configured; NAKs are always broadcast; a configured client (ciaddr) gets
 * unicast to where it sent from; otherwise unicast to the offered address.
 */
static void dhcp_reply_dest(const struct pkt *p, const struct dhcp_msg *m,
			    const struct dhcp_reply *r,
			    struct rte_ether_addr *mac, rte_be32_t *ip)
{
	if (r->type != DHCPNAK &&
	    !(m->bp->flags & rte_cpu_to_be_16(BOOTP_FLAG_BROADCAST))) {
		if (m->bp->ciaddr) {
			*ip = m->bp->ciaddr;
			memcpy(mac, p->data + RTE_ETHER_ADDR_LEN, sizeof(*mac));
			return;
		}
		if (r->yiaddr) {
			*ip = r->yiaddr;
			memcpy(mac, m->bp->chaddr, sizeof(*mac));
			return;
		}
	}
	*ip = RTE_BE32(0xffffffff);
	memset(mac, 0xff, sizeof(*mac));
}

/**
 * dhcp_input() - serve a DHCP request from the guest
 * @vn:		vnet the frame came from
 * @p:		frame parsed by parse_frame(), UDP to port 67
 * @now_s:	monotonic seconds, for the lease expiry
 * @out:	reply frame buffer
 * @cap:	size of @out, at least DHCP_REPLY_MAX
 * @out_len:	reply frame length, 0 if no reply is due
 *
 * Return: DROP_NONE, or the reason the request is dropped unanswered
 */
enum drop_reason dhcp_input(struct vnet *vn, const struct pkt *p,
			    uint64_t now_s, uint8_t *out, size_t cap,
			    size_t *out_len)
{
	struct rte_ether_addr mac;
	struct dhcp_reply r;
	struct dhcp_msg m;
	enum drop_reason rc;
	rte_be32_t dst;
	size_t len;

	assert(cap >= DHCP_REPLY_MAX);
	*out_len = 0;
	rc = dhcp_parse(p, &m);
	if (rc != DROP_NONE)
		return rc;
	if (m.type == DHCPDISCOVER || m.type == DHCPREQUEST ||
	    m.type == DHCPINFORM) {
		memcpy(&mac, m.bp->chaddr, sizeof(mac));	/* unaligned */
		vnet_guest_mac_learn(vn, &mac);
	}
	rc = dhcp_serve(vn, &m, now_s, &r);
	if (rc != DROP_NONE || !r.type)
		return rc;

	len = dhcp_reply_build(vn, &m, &r, out + FRAME_UDP4_OFF);
	dhcp_reply_dest(p, &m, &r, &mac, &dst);
	*out_len = frame_udp4(out, &vn->gw_mac, &mac, vn->gw4, dst,
			      RTE_BE16(DHCP_SERVER_PORT),
			      RTE_BE16(DHCP_CLIENT_PORT), (uint16_t)len);
	return DROP_NONE;
}
