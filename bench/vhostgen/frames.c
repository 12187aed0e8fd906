/* SPDX-License-Identifier: MIT */
/*
 * frames.c - build the guest's frames and read broth's replies
 *
 * Buffers are FRAME_LEN bytes; builders zero them first, so the bytes past
 * the IP packet are the Ethernet padding a real NIC would add (broth must
 * ignore them: the IP total length says where the packet ends).
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "frames.h"

#define PAYLOAD_LEN	18	/* fills UDP and ICMP frames to FRAME_LEN */

static struct rte_ipv4_hdr *ip4(uint8_t *f, const struct gen_addr *a,
				const struct rte_ether_addr *dst_mac,
				rte_be32_t dst, uint8_t proto, uint16_t l4_len)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

	memset(f, 0, FRAME_LEN);
	eh->dst_addr = *dst_mac;
	eh->src_addr = a->guest_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4_len);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = a->guest_ip;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return ip;
}

/* "who has the gateway?", broadcast: broth's slow path answers it */
void frame_arp_request(uint8_t *f, const struct gen_addr *a)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eh + 1);

	memset(f, 0, FRAME_LEN);
	memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eh->src_addr = a->guest_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = a->guest_mac;
	arp->arp_data.arp_sip = a->guest_ip;
	arp->arp_data.arp_tip = a->gw_ip;
}

/* A frame of an EtherType nobody speaks (IEEE 802 local experimental):
 * the cheapest frame to drop, so the cost of the vhost-user port itself */
void frame_unknown(uint8_t *f, const struct gen_addr *a)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;

	memset(f, 0, FRAME_LEN);
	eh->dst_addr = a->gw_mac;
	eh->src_addr = a->guest_mac;
	eh->ether_type = RTE_BE16(0x88b5);
}

/* ping the gateway: a worker answers it in place */
void frame_icmp_echo(uint8_t *f, const struct gen_addr *a, uint16_t id,
		     uint16_t seq)
{
	struct rte_ipv4_hdr *ip = ip4(f, a, &a->gw_mac, a->gw_ip, IPPROTO_ICMP,
				      sizeof(struct rte_icmp_hdr) + PAYLOAD_LEN);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + PAYLOAD_LEN);
}

/*
 * A datagram from the guest to @dst (the gateway: broth sends it from a
 * host socket to 127.0.0.1; or a multicast group: broth drops it). A bad
 * checksum is still non-zero, since zero means "none" in IPv4 UDP.
 */
void frame_udp(uint8_t *f, const struct gen_addr *a, rte_be32_t dst,
	       const struct rte_ether_addr *dst_mac, uint16_t sport,
	       uint16_t dport, bool bad_cksum)
{
	uint16_t l4_len = sizeof(struct rte_udp_hdr) + PAYLOAD_LEN;
	struct rte_ipv4_hdr *ip = ip4(f, a, dst_mac, dst, IPPROTO_UDP, l4_len);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *payload = (uint8_t *)(uh + 1);

	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(l4_len);
	memcpy(payload, "vhostgen payload.", PAYLOAD_LEN);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	if (bad_cksum)
		uh->dgram_cksum = uh->dgram_cksum == 1 ? 2 : 1;
}

/*
 * A TCP segment to the gateway's @dport with no payload: a SYN (with an MSS
 * option, like every real one) or a bare RST (which broth looks up and
 * drops when no connection has its ports)
 */
void frame_tcp(uint8_t *f, const struct gen_addr *a, uint16_t sport,
	       uint16_t dport, uint32_t seq, uint8_t flags)
{
	static const uint8_t mss[4] = { 2, 4, 1460 >> 8, 1460 & 0xff };
	size_t opt = flags & RTE_TCP_SYN_FLAG ? sizeof(mss) : 0;
	struct rte_ipv4_hdr *ip = ip4(f, a, &a->gw_mac, a->gw_ip, IPPROTO_TCP,
				      (uint16_t)(sizeof(struct rte_tcp_hdr) + opt));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = (uint8_t)((sizeof(*th) + opt) / 4 << 4);
	th->tcp_flags = flags;
	th->rx_win = flags & RTE_TCP_SYN_FLAG ? RTE_BE16(64240) : 0;
	memcpy(th + 1, mss, opt);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

/*
 * Turn a SYN-ACK from broth into the RST that ends the attempt, in place:
 * the guest does not want the connection, only to know it was made. The
 * RST's sequence number is the SYN-ACK's acknowledgment, which is the only
 * one broth accepts (RFC 5961). Return false if @f is not a SYN-ACK.
 */
bool frame_rst_for_synack(uint8_t *f, size_t len)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	struct rte_ether_addr mac;
	rte_be32_t addr;
	rte_be16_t port;

	if (frame_classify(f, len) != REPLY_SYNACK ||
	    rte_ipv4_hdr_len(ip) != sizeof(*ip))
		return false;
	mac = eh->src_addr;
	eh->src_addr = eh->dst_addr;
	eh->dst_addr = mac;
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*th));
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	port = th->src_port;
	th->src_port = th->dst_port;
	th->dst_port = port;
	th->sent_seq = th->recv_ack;
	th->recv_ack = 0;
	th->data_off = sizeof(*th) / 4 << 4;
	th->tcp_flags = RTE_TCP_RST_FLAG;
	th->rx_win = 0;
	th->tcp_urp = 0;
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return true;
}

/* What kind of frame broth sent; bounds-checked, broth is the peer here */
enum reply_kind frame_classify(const uint8_t *f, size_t len)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const uint8_t *l4;
	size_t ihl;

	if (len < sizeof(*eh) + sizeof(struct rte_arp_hdr))
		return REPLY_OTHER;
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return ((const struct rte_arp_hdr *)(eh + 1))->arp_opcode ==
		       RTE_BE16(RTE_ARP_OP_REPLY) ? REPLY_ARP : REPLY_OTHER;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return REPLY_OTHER;
	ihl = rte_ipv4_hdr_len(ip);
	l4 = (const uint8_t *)ip + ihl;
	if (ip->next_proto_id == IPPROTO_ICMP &&
	    len >= sizeof(*eh) + ihl + sizeof(struct rte_icmp_hdr))
		return l4[0] == RTE_IP_ICMP_ECHO_REPLY ? REPLY_ECHO : REPLY_OTHER;
	if (ip->next_proto_id == IPPROTO_TCP &&
	    len >= sizeof(*eh) + ihl + sizeof(struct rte_tcp_hdr)) {
		uint8_t fl = ((const struct rte_tcp_hdr *)l4)->tcp_flags;

		if (fl & RTE_TCP_RST_FLAG)
			return REPLY_RST;
		if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
			return REPLY_SYNACK;
	}
	return REPLY_OTHER;
}

/* Is @f an ARP reply for @ip? Then *@mac is its owner */
bool frame_arp_reply_from(const uint8_t *f, size_t len, rte_be32_t ip,
			  struct rte_ether_addr *mac)
{
	const struct rte_arp_hdr *arp =
		(const struct rte_arp_hdr *)(f + sizeof(struct rte_ether_hdr));

	if (frame_classify(f, len) != REPLY_ARP || arp->arp_data.arp_sip != ip)
		return false;
	*mac = arp->arp_data.arp_sha;
	return true;
}
