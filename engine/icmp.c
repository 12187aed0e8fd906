/* SPDX-License-Identifier: MIT */
/*
 * icmp.c - ICMP echo answered by the gateway
 *
 * Pings to the gateway never leave broth: the request is turned into the
 * reply in place, in the worker that received it, and sent straight back.
 */
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "cksum.h"
#include "icmp.h"

#define ICMP_REPLY_TTL	64

/**
 * icmp_gateway_echo() - turn an echo request to the gateway into its reply
 * @vn:		vnet of the guest
 * @frame:	the request, rewritten in place (same bytes as @p->data)
 * @p:		parsed request: IPv4/ICMP addressed to the gateway
 *
 * The reply is p->l3_off + p->l3_len bytes long; Ethernet padding is not part
 * of it.
 *
 * Return: DROP_NONE if @frame now holds the reply, else the drop reason
 */
enum drop_reason icmp_gateway_echo(const struct vnet *vn, uint8_t *frame,
				   const struct pkt *p)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + p->l3_off);
	struct rte_icmp_hdr *ih = (struct rte_icmp_hdr *)(frame + p->l4_off);

	if (p->dst4 != vn->gw4)
		return DROP_NO_HANDLER;
	if (ih->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ih->icmp_code != 0)
		return DROP_ICMP_UNSUPPORTED;
	if (p->src4 == 0)
		return DROP_IPV4_BAD_SRC;

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&vn->gw_mac, &eh->src_addr);

	ip->dst_addr = p->src4;
	ip->src_addr = vn->gw4;
	ip->time_to_live = ICMP_REPLY_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = cksum_fold(ip, p->l4_off - p->l3_off);

	ih->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ih->icmp_cksum = 0;
	ih->icmp_cksum = cksum_fold(ih, p->l4_len);
	return DROP_NONE;
}
