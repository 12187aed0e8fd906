/* SPDX-License-Identifier: MIT */
/*
 * arp.c - ARP responder for the gateway address
 *
 * broth owns exactly one IPv4 address on the guest link, the gateway. Every
 * other address of the subnet is unanswered, so a guest probing for a free
 * address (RFC 5227, sender IP 0) or announcing its own (gratuitous ARP)
 * never sees a conflict that does not exist. A probe for the gateway itself
 * is a real conflict and is answered, as the owner of an address must.
 */
#include <string.h>

#include <rte_arp.h>

#include "arp.h"
#include "frame.h"

static bool arp_format_ok(const struct rte_arp_hdr *ah)
{
	return ah->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
	       ah->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	       ah->arp_hlen == RTE_ETHER_ADDR_LEN && ah->arp_plen == 4;
}

/* An ARP frame from the gateway: Ethernet to @dst, about @tha/@tip */
static size_t arp_build(const struct vnet *vn, uint16_t op,
			const struct rte_ether_addr *dst,
			const struct rte_ether_addr *tha, rte_be32_t tip,
			uint8_t *out)
{
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(out + FRAME_ETH_LEN);

	frame_eth(out, &vn->gw_mac, dst, RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = vn->gw_mac;
	ah->arp_data.arp_sip = vn->gw4;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	return frame_pad(out, FRAME_ETH_LEN + sizeof(*ah));
}

/**
 * arp_input() - handle one ARP frame from the guest
 * @vn:		vnet the frame came from
 * @p:		frame, length-checked by parse_frame()
 * @out:	buffer for a reply frame
 * @cap:	size of @out, at least ARP_REPLY_LEN
 * @out_len:	set to the reply length, 0 when there is none
 *
 * Return: DROP_NONE if a reply was built, else why the frame ends here
 */
enum drop_reason arp_input(struct vnet *vn, const struct pkt *p, uint8_t *out,
			   size_t cap, size_t *out_len)
{
	const struct rte_arp_hdr *ah =
		(const struct rte_arp_hdr *)(p->data + p->l3_off);
	const struct rte_arp_ipv4 *a = &ah->arp_data;
	struct rte_arp_ipv4 req;

	*out_len = 0;
	if (!arp_format_ok(ah))
		return DROP_ARP_BAD_FORMAT;
	memcpy(&req, a, sizeof(req));	/* the frame may be unaligned */
	if (req.arp_sip == vn->guest4 || req.arp_sip == 0)
		vnet_guest_mac_learn(vn, &req.arp_sha);
	if (ah->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return DROP_ARP_IGNORED;
	if (req.arp_tip != vn->gw4)
		return DROP_ARP_NOT_OURS;
	if (req.arp_sip == req.arp_tip)	/* someone announcing our address */
		return DROP_ARP_IGNORED;
	if (!rte_is_unicast_ether_addr(&req.arp_sha))
		return DROP_ARP_BAD_FORMAT;
	if (cap < ARP_REPLY_LEN)
		return DROP_NO_MBUF;
	*out_len = arp_build(vn, RTE_ARP_OP_REPLY, &req.arp_sha, &req.arp_sha,
			     req.arp_sip, out);
	return DROP_NONE;
}

/**
 * arp_build_request() - "who has the guest's address?" from the gateway
 * @vn:		vnet
 * @out:	buffer of at least ARP_REPLY_LEN bytes
 *
 * Used when broth must reach a guest that has not spoken yet (an inbound
 * port forward); the reply comes back through arp_input(), which learns
 * the guest's MAC.
 *
 * Return: frame length
 */
size_t arp_build_request(const struct vnet *vn, uint8_t *out)
{
	static const struct rte_ether_addr bcast = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;

	return arp_build(vn, RTE_ARP_OP_REQUEST, &bcast, &zero, vn->guest4, out);
}
