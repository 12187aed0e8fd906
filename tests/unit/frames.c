/* SPDX-License-Identifier: MIT */
/* frames.c - crafted guest frames for the unit tests, see frames.h */
#include <assert.h>
#include <netinet/in.h>
#include <string.h>

#include "frames.h"

const struct rte_ether_addr tf_guest_mac = {
	{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
const struct rte_ether_addr tf_bcast_mac = {
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

#define TF_BOOTP_LEN	236

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * tf_cksum() - RFC 1071 Internet checksum
 * @buf:	data
 * @len:	bytes
 * @sum:	initial (unfolded) sum, e.g. of a pseudo-header
 *
 * Return: the checksum field value (complemented, host order)
 */
uint16_t tf_cksum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	for (; len > 1; p += 2, len -= 2)
		s += get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/**
 * tf_l3_default() - addressing of a frame from the guest
 * @gw_mac:	destination MAC (the gateway)
 * @dst:	destination address
 *
 * Return: 10.0.0.2 (tf_guest_mac) to @dst, TTL 64, no fragment, no options
 */
struct tf_l3 tf_l3_default(const struct rte_ether_addr *gw_mac, rte_be32_t dst)
{
	return (struct tf_l3){
		.src_mac = tf_guest_mac, .dst_mac = *gw_mac,
		.src = TF_IP(10, 0, 0, 2), .dst = dst, .ttl = 64,
	};
}

static size_t tf_ihl(const uint8_t *buf)
{
	return (buf[TF_ETH_LEN] & 0xf) * 4u;
}

static void tf_eth(uint8_t *buf, const struct rte_ether_addr *src,
		   const struct rte_ether_addr *dst, uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put16(buf + 12, type);
}

/* Ethernet + IPv4 headers for @l4_len bytes of L4; returns the L4 offset */
static size_t tf_ip4(uint8_t *buf, const struct tf_l3 *l3, uint8_t proto,
		     size_t l4_len)
{
	uint8_t *ip = buf + TF_ETH_LEN;
	size_t ihl = TF_IP4_LEN + l3->opts_len;

	assert(l3->opts_len % 4 == 0 && l3->opts_len <= 40);
	assert(TF_ETH_LEN + ihl + l4_len <= TF_MAX);
	tf_eth(buf, &l3->src_mac, &l3->dst_mac, 0x0800);
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	put16(ip + 2, (uint16_t)(ihl + l4_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, l3->frag);
	ip[8] = l3->ttl;
	ip[9] = proto;
	memcpy(ip + 12, &l3->src, 4);
	memcpy(ip + 16, &l3->dst, 4);
	if (l3->opts_len)	/* NOPs, then EOL */
		memset(ip + TF_IP4_LEN, 1, l3->opts_len - 1);
	tf_ip4_csum_fix(buf);
	if (l3->flags & TF_BAD_IP_CSUM)
		put16(ip + 10, get16(ip + 10) + 1);
	return TF_ETH_LEN + ihl;
}

/**
 * tf_ip4_csum_fix() - recompute the IPv4 header checksum
 * @buf:	Ethernet frame carrying IPv4
 */
void tf_ip4_csum_fix(uint8_t *buf)
{
	uint8_t *ip = buf + TF_ETH_LEN;

	put16(ip + 10, 0);
	put16(ip + 10, tf_cksum(ip, tf_ihl(buf), 0));
}

static uint32_t tf_pseudo(const uint8_t *ip, uint16_t l4_len)
{
	uint32_t s = 0;

	for (int i = 12; i < 20; i += 2)
		s += get16(ip + i);
	return s + ip[9] + l4_len;
}

/* L4 length claimed by the IPv4 header */
static size_t tf_l4_len(const uint8_t *buf)
{
	return get16(buf + TF_ETH_LEN + 2) - tf_ihl(buf);
}

static uint8_t *tf_l4_csum_field(uint8_t *l4, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return l4 + 6;
	case IPPROTO_TCP:
		return l4 + 16;
	default:
		return l4 + 2;
	}
}

/**
 * tf_l4_csum_fix() - recompute the UDP, TCP or ICMP checksum
 * @buf:	Ethernet + IPv4 frame; lengths are taken from the IPv4 header
 */
void tf_l4_csum_fix(uint8_t *buf)
{
	uint8_t *ip = buf + TF_ETH_LEN, *l4 = ip + tf_ihl(buf);
	uint8_t *f = tf_l4_csum_field(l4, ip[9]);
	size_t len = tf_l4_len(buf);
	uint16_t c;

	put16(f, 0);
	if (ip[9] == IPPROTO_ICMP) {
		put16(f, tf_cksum(l4, len, 0));
		return;
	}
	c = tf_cksum(l4, len, tf_pseudo(ip, (uint16_t)len));
	if (ip[9] == IPPROTO_UDP && c == 0)
		c = 0xffff;	/* 0 means "no checksum" in UDP */
	put16(f, c);
}

/* True if the IPv4 header checksum of @buf verifies */
bool tf_ip4_csum_ok(const uint8_t *buf)
{
	return tf_cksum(buf + TF_ETH_LEN, tf_ihl(buf), 0) == 0;
}

/* True if the L4 checksum of @buf verifies (UDP 0 counts as valid) */
bool tf_l4_csum_ok(const uint8_t *buf)
{
	const uint8_t *ip = buf + TF_ETH_LEN, *l4 = ip + tf_ihl(buf);
	size_t len = tf_l4_len(buf);

	if (ip[9] == IPPROTO_ICMP)
		return tf_cksum(l4, len, 0) == 0;
	if (ip[9] == IPPROTO_UDP && get16(l4 + 6) == 0)
		return true;
	return tf_cksum(l4, len, tf_pseudo(ip, (uint16_t)len)) == 0;
}

static void tf_l4_finish(uint8_t *buf, const struct tf_l3 *l3)
{
	uint8_t *ip = buf + TF_ETH_LEN;
	uint8_t *f = tf_l4_csum_field(ip + tf_ihl(buf), ip[9]);

	if (ip[9] == IPPROTO_UDP && (l3->flags & TF_NO_UDP_CSUM)) {
		put16(f, 0);
		return;
	}
	tf_l4_csum_fix(buf);
	if (l3->flags & TF_BAD_L4_CSUM)
		put16(f, get16(f) + 1);
}

/**
 * tf_udp4() - Ethernet + IPv4 + UDP frame
 * @buf:	output, TF_MAX bytes
 * @l3:		addressing and corruption flags
 * @sport:	source port
 * @dport:	destination port
 * @payload:	datagram payload
 * @len:	payload bytes
 *
 * Return: frame length
 */
size_t tf_udp4(uint8_t *buf, const struct tf_l3 *l3, uint16_t sport,
	       uint16_t dport, const void *payload, size_t len)
{
	size_t off = tf_ip4(buf, l3, IPPROTO_UDP, 8 + len);
	uint8_t *u = buf + off;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	memcpy(u + 8, payload, len);
	tf_l4_finish(buf, l3);
	return off + 8 + len;
}

/**
 * tf_tcp4() - Ethernet + IPv4 + TCP frame, 20-byte TCP header
 * @buf:	output, TF_MAX bytes
 * @l3:		addressing and corruption flags
 * @sport:	source port
 * @dport:	destination port
 * @tcp_flags:	TCP flags byte (0x02 SYN, ...)
 * @payload:	segment payload
 * @len:	payload bytes
 *
 * Return: frame length
 */
size_t tf_tcp4(uint8_t *buf, const struct tf_l3 *l3, uint16_t sport,
	       uint16_t dport, uint8_t tcp_flags, const void *payload,
	       size_t len)
{
	size_t off = tf_ip4(buf, l3, IPPROTO_TCP, 20 + len);
	uint8_t *t = buf + off;

	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put16(t + 4, 0x0102);	/* seq 0x01020304 */
	put16(t + 6, 0x0304);
	t[12] = 5 << 4;
	t[13] = tcp_flags;
	put16(t + 14, 65535);
	memcpy(t + 20, payload, len);
	tf_l4_finish(buf, l3);
	return off + 20 + len;
}

/**
 * tf_icmp4() - Ethernet + IPv4 + ICMP echo-style message
 * @buf:	output, TF_MAX bytes
 * @l3:		addressing and corruption flags
 * @type:	ICMP type (8 echo request)
 * @code:	ICMP code
 * @id:		identifier
 * @seq:	sequence number
 * @payload:	data after the 8-byte header
 * @len:	payload bytes
 *
 * Return: frame length
 */
size_t tf_icmp4(uint8_t *buf, const struct tf_l3 *l3, uint8_t type,
		uint8_t code, uint16_t id, uint16_t seq, const void *payload,
		size_t len)
{
	size_t off = tf_ip4(buf, l3, IPPROTO_ICMP, 8 + len);
	uint8_t *ic = buf + off;

	ic[0] = type;
	ic[1] = code;
	put16(ic + 4, id);
	put16(ic + 6, seq);
	memcpy(ic + 8, payload, len);
	tf_l4_finish(buf, l3);
	return off + 8 + len;
}

/**
 * tf_arp() - Ethernet + ARP (Ethernet/IPv4) frame from @sha
 * @buf:	output, TF_MAX bytes
 * @eth_dst:	Ethernet destination
 * @op:		1 request, 2 reply
 * @sha:	sender MAC, also the Ethernet source
 * @spa:	sender IP
 * @tha:	target MAC
 * @tpa:	target IP
 *
 * Return: frame length (42, not padded)
 */
size_t tf_arp(uint8_t *buf, const struct rte_ether_addr *eth_dst,
	      uint16_t op, const struct rte_ether_addr *sha, rte_be32_t spa,
	      const struct rte_ether_addr *tha, rte_be32_t tpa)
{
	uint8_t *a = buf + TF_ETH_LEN;

	tf_eth(buf, sha, eth_dst, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
	return TF_ETH_LEN + 28;
}

/**
 * tf_dhcp_init() - a client message from tf_guest_mac with option 53
 * @d:		message to initialise
 * @type:	DHCP message type, 0 for none
 */
void tf_dhcp_init(struct tf_dhcp *d, uint8_t type)
{
	memset(d, 0, sizeof(*d));
	d->op = 1;
	d->htype = 1;
	d->hlen = 6;
	d->xid = 0xdeadbeef;
	d->chaddr = tf_guest_mac;
	if (type)
		tf_dhcp_opt(d, 53, &type, 1);
}

/* Append raw bytes to the option area */
void tf_dhcp_raw(struct tf_dhcp *d, const void *bytes, size_t len)
{
	assert(d->opts_len + len <= sizeof(d->opts));
	if (!len)
		return;		/* @bytes may be NULL */
	memcpy(d->opts + d->opts_len, bytes, len);
	d->opts_len += len;
}

/* Append one option (code, length, value) */
void tf_dhcp_opt(struct tf_dhcp *d, uint8_t code, const void *val, size_t len)
{
	uint8_t h[2] = { code, (uint8_t)len };

	assert(len <= 255);
	tf_dhcp_raw(d, h, 2);
	tf_dhcp_raw(d, val, len);
}

/* Append a 4-byte option (address or seconds, network order) */
void tf_dhcp_opt32(struct tf_dhcp *d, uint8_t code, rte_be32_t v)
{
	tf_dhcp_opt(d, code, &v, 4);
}

/**
 * tf_dhcp_msg() - the BOOTP/DHCP message alone (UDP payload)
 * @buf:	output
 * @d:		message
 *
 * Return: message length: 236 + cookie + options (+ END)
 */
size_t tf_dhcp_msg(uint8_t *buf, const struct tf_dhcp *d)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	size_t n = TF_BOOTP_LEN;
	rte_be32_t xid = rte_cpu_to_be_32(d->xid);

	memset(buf, 0, TF_BOOTP_LEN);
	buf[0] = d->op;
	buf[1] = d->htype;
	buf[2] = d->hlen;
	memcpy(buf + 4, &xid, 4);
	put16(buf + 10, d->flags);
	memcpy(buf + 12, &d->ciaddr, 4);
	memcpy(buf + 16, &d->yiaddr, 4);
	memcpy(buf + 24, &d->giaddr, 4);
	memcpy(buf + 28, &d->chaddr, 6);
	if (d->no_cookie)
		return n;
	memcpy(buf + n, cookie, 4);
	n += 4;
	memcpy(buf + n, d->opts, d->opts_len);
	n += d->opts_len;
	if (!d->no_end)
		buf[n++] = 255;
	return n;
}

/**
 * tf_dhcp_frame() - a client message in its frame: from chaddr and
 *		     ciaddr (0.0.0.0 if unset) port 68 to broadcast port 67
 * @buf:	output, TF_MAX bytes
 * @d:		message
 *
 * Return: frame length
 */
size_t tf_dhcp_frame(uint8_t *buf, const struct tf_dhcp *d)
{
	uint8_t msg[TF_MAX];
	struct tf_l3 l3 = {
		.src_mac = d->chaddr, .dst_mac = tf_bcast_mac,
		.src = d->ciaddr, .dst = TF_IP(255, 255, 255, 255), .ttl = 64,
	};
	size_t len = tf_dhcp_msg(msg, d);

	return tf_udp4(buf, &l3, 68, 67, msg, len);
}

/**
 * tf_dhcp_find() - find an option in a DHCP message (e.g. a reply)
 * @msg:	message from the BOOTP op byte
 * @len:	message length
 * @code:	option wanted
 * @olen:	set to the option length
 *
 * Return: the option value, NULL if absent or the options are malformed
 */
const uint8_t *tf_dhcp_find(const uint8_t *msg, size_t len, uint8_t code,
			    uint8_t *olen)
{
	size_t i = TF_BOOTP_LEN + 4;

	while (i < len && msg[i] != 255) {
		if (msg[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + msg[i + 1] > len)
			return NULL;
		if (msg[i] == code) {
			*olen = msg[i + 1];
			return msg + i + 2;
		}
		i += 2 + msg[i + 1];
	}
	return NULL;
}

/**
 * tf_l3_6_default() - addressing of an IPv6 frame from the guest
 * @dst_mac:	destination MAC
 * @dst:	destination address
 *
 * Return: fe80::5054:ff:fe12:3456 (tf_guest_mac) to @dst, hop limit 255
 */
struct tf_l3_6 tf_l3_6_default(const struct rte_ether_addr *dst_mac,
			       const uint8_t dst[16])
{
	struct tf_l3_6 l3 = { .src_mac = tf_guest_mac, .dst_mac = *dst_mac,
			      .hops = 255,
			      .src = { 0xfe, 0x80, [8] = 0x50, [9] = 0x54,
				       [11] = 0xff, [12] = 0xfe, [13] = 0x12,
				       [14] = 0x34, [15] = 0x56 } };

	memcpy(l3.dst, dst, 16);
	return l3;
}

static uint32_t tf_pseudo6(const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, size_t len)
{
	uint32_t s = 0;

	for (int i = 0; i < 16; i += 2)
		s += get16(src + i) + get16(dst + i);
	return s + (uint32_t)(len >> 16) + (uint16_t)len + proto;
}

/**
 * tf_ip6() - Ethernet + IPv6 (+ extension headers) + an L4 message
 * @buf:	output, TF_MAX bytes
 * @l3:		addressing, extension headers, flags
 * @proto:	upper-layer protocol; its checksum (UDP, TCP, ICMPv6) is
 *		computed over the pseudo-header unless flags say otherwise
 * @l4:		the L4 message, its checksum field ignored
 * @l4_len:	its length
 *
 * Return: frame length
 */
size_t tf_ip6(uint8_t *buf, const struct tf_l3_6 *l3, uint8_t proto,
	      const void *l4, size_t l4_len)
{
	uint8_t *ip = buf + TF_ETH_LEN, *m = ip + TF_IP6_LEN + l3->ext_len;
	uint8_t *f = tf_l4_csum_field(m, proto);

	assert(TF_ETH_LEN + TF_IP6_LEN + l3->ext_len + l4_len <= TF_MAX);
	tf_eth(buf, &l3->src_mac, &l3->dst_mac, 0x86dd);
	memset(ip, 0, TF_IP6_LEN);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(l3->ext_len + l4_len));
	ip[6] = l3->ext_len ? l3->ext_nh : proto;
	ip[7] = l3->hops;
	memcpy(ip + 8, l3->src, 16);
	memcpy(ip + 24, l3->dst, 16);
	if (l3->ext_len)
		memcpy(ip + TF_IP6_LEN, l3->ext, l3->ext_len);
	memcpy(m, l4, l4_len);
	put16(f, 0);
	if (!(proto == IPPROTO_UDP && (l3->flags & TF_NO_UDP_CSUM))) {
		uint16_t c = tf_cksum(m, l4_len, tf_pseudo6(l3->src, l3->dst,
							      proto, l4_len));

		put16(f, proto == IPPROTO_UDP && !c ? 0xffff : c);
		if (l3->flags & TF_BAD_L4_CSUM)
			put16(f, get16(f) + 1);
	}
	return TF_ETH_LEN + TF_IP6_LEN + l3->ext_len + l4_len;
}

/* tf_udp6() - Ethernet + IPv6 + UDP frame */
size_t tf_udp6(uint8_t *buf, const struct tf_l3_6 *l3, uint16_t sport,
	       uint16_t dport, const void *payload, size_t len)
{
	uint8_t u[TF_MAX];

	assert(8 + len <= sizeof(u));
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	memcpy(u + 8, payload, len);
	return tf_ip6(buf, l3, IPPROTO_UDP, u, 8 + len);
}

/* tf_icmp6() - Ethernet + IPv6 + ICMPv6: type, code, checksum, @body */
size_t tf_icmp6(uint8_t *buf, const struct tf_l3_6 *l3, uint8_t type,
		uint8_t code, const void *body, size_t len)
{
	uint8_t m[TF_MAX];

	assert(4 + len <= sizeof(m));
	m[0] = type;
	m[1] = code;
	memcpy(m + 4, body, len);
	return tf_ip6(buf, l3, IPPROTO_ICMPV6, m, 4 + len);
}

/* True if the L4 checksum of an IPv6 frame without extension headers holds */
bool tf_l4_csum_ok6(const uint8_t *buf)
{
	const uint8_t *ip = buf + TF_ETH_LEN;
	size_t len = get16(ip + 4);

	return tf_cksum(ip + TF_IP6_LEN, len,
			tf_pseudo6(ip + 8, ip + 24, ip[6], len)) == 0;
}
