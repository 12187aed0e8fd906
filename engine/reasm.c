/* SPDX-License-Identifier: MIT */
/*
 * reasm.c - IPv4 reassembly of the guest's fragmented datagrams
 *
 * A guest at MTU 1500 sending a 64 KB UDP datagram sends 45 fragments.
 * DPDK's rte_ip_frag is built here for at most 8 fragments per datagram, so
 * broth keeps its own small table: fragments are held as they come and,
 * once the datagram is whole, chained behind the first fragment without
 * copying. The kernel's tap queue selection hashes fragments on addresses
 * only, so all fragments of a datagram reach the same worker.
 *
 * Bounds: REASM_SLOTS datagrams in progress (the oldest is evicted), at most
 * REASM_MAX_FRAGS fragments each, REASM_TIMEOUT_MS to complete. Overlapping
 * fragments drop the whole datagram (a benign sender never overlaps, and
 * overlap is the classic way to smuggle headers past filters).
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "reasm.h"

#define REASM_TIMEOUT_MS	2000

/**
 * reasm_init() - allocate a worker's reassembly table
 * @r:		state
 * @ctr:	the worker's counters, for drops
 *
 * Return: 0, or -ENOMEM
 */
int reasm_init(struct reasm *r, struct counters *ctr)
{
	r->slot = calloc(REASM_SLOTS, sizeof(*r->slot));
	r->ctr = ctr;
	r->last_scan_tsc = 0;
	return r->slot ? 0 : -ENOMEM;
}

static void reasm_drop(struct reasm *r, struct reasm_dgram *d,
		       enum drop_reason why)
{
	for (uint16_t i = 0; i < d->n; i++)
		rte_pktmbuf_free(d->frag[i]);
	counters_add(&r->ctr->drop[why], d->n);
	d->used = false;
	d->n = 0;
}

/* reasm_fini() - free the table and every fragment it holds */
void reasm_fini(struct reasm *r)
{
	if (!r->slot)
		return;
	for (unsigned i = 0; i < REASM_SLOTS; i++)
		if (r->slot[i].used)
			reasm_drop(r, &r->slot[i], DROP_IPV4_REASM_TIMEOUT);
	free(r->slot);
	r->slot = NULL;
}

static struct reasm_dgram *reasm_find(struct reasm *r,
				      const struct rte_ipv4_hdr *ip)
{
	struct reasm_dgram *free_slot = NULL, *oldest = NULL;

	for (unsigned i = 0; i < REASM_SLOTS; i++) {
		struct reasm_dgram *d = &r->slot[i];

		if (!d->used) {
			free_slot = free_slot ? free_slot : d;
			continue;
		}
		if (d->id == ip->packet_id && d->src == ip->src_addr &&
		    d->dst == ip->dst_addr && d->proto == ip->next_proto_id)
			return d;
		if (!oldest || d->first_tsc < oldest->first_tsc)
			oldest = d;
	}
	if (!free_slot) {
		reasm_drop(r, oldest, DROP_IPV4_REASM_FULL);
		free_slot = oldest;
	}
	*free_slot = (struct reasm_dgram){ .used = true, .id = ip->packet_id,
		.src = ip->src_addr, .dst = ip->dst_addr,
		.proto = ip->next_proto_id, .first_tsc = rte_rdtsc() };
	return free_slot;
}

/* Insert keeping offsets sorted; false on overlap or too many fragments */
static bool reasm_insert(struct reasm_dgram *d, struct rte_mbuf *m,
			 uint16_t off, uint16_t len)
{
	uint16_t i = d->n;

	if (d->n == REASM_MAX_FRAGS)
		return false;
	while (i && d->off[i - 1] > off) {
		d->frag[i] = d->frag[i - 1];
		d->off[i] = d->off[i - 1];
		i--;
	}
	d->frag[i] = m;
	d->off[i] = off;
	d->n++;
	d->have += len;
	return true;
}

static uint16_t frag_payload(const struct rte_mbuf *m)
{
	return (uint16_t)(m->pkt_len - m->l2_len - m->l3_len);
}

/* Every byte from 0 to total exactly once? Then chain it behind frag[0]. */
static struct rte_mbuf *reasm_complete(struct reasm *r, struct reasm_dgram *d)
{
	struct rte_mbuf *head = d->frag[0];
	struct rte_ipv4_hdr *ip;
	uint32_t end = 0;

	for (uint16_t i = 0; i < d->n; i++) {
		if (d->off[i] != end) {
			reasm_drop(r, d, DROP_IPV4_REASM_OVERLAP);
			return NULL;
		}
		end += frag_payload(d->frag[i]);
	}
	for (uint16_t i = 1; i < d->n; i++) {
		struct rte_mbuf *f = d->frag[i];

		rte_pktmbuf_adj(f, (uint16_t)(f->l2_len + f->l3_len));
		if (rte_pktmbuf_chain(head, f)) {	/* > 64K segments */
			for (uint16_t k = i; k < d->n; k++)
				rte_pktmbuf_free(d->frag[k]);
			rte_pktmbuf_free(head);	/* with fragments 1..i-1 */
			counters_add(&r->ctr->drop[DROP_IPV4_REASM_FULL], d->n);
			d->used = false;
			d->n = 0;
			return NULL;
		}
	}
	ip = rte_pktmbuf_mtod_offset(head, struct rte_ipv4_hdr *, head->l2_len);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(head->l3_len + d->total));
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	d->used = false;
	d->n = 0;
	return head;
}

/**
 * reasm_input() - add a fragment; return the datagram once complete
 * @r:		state
 * @m:		fragment, consumed (held or freed)
 * @p:		its parse (IPv4 header valid, L4 not parsed)
 *
 * Return: the whole frame (a chain behind the first fragment's Ethernet and
 *	   IP headers), or NULL while fragments are missing
 */
struct rte_mbuf *reasm_input(struct reasm *r, struct rte_mbuf *m,
			     const struct pkt *p)
{
	struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l3_off);
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint16_t off = (uint16_t)((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u);
	struct reasm_dgram *d;
	uint16_t len;

	m->l2_len = p->l3_off;
	m->l3_len = (ip->version_ihl & 0xf) * 4u;
	/* parse stops at the fragment check, before l3_len: use the header */
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (p->l3_off +
					rte_be_to_cpu_16(ip->total_length))));
	len = frag_payload(m);
	d = reasm_find(r, ip);
	if ((!(fo & RTE_IPV4_HDR_MF_FLAG) && d->total) ||
	    (off + (uint32_t)len > UINT16_MAX) || !reasm_insert(d, m, off, len)) {
		rte_pktmbuf_free(m);
		reasm_drop(r, d, DROP_IPV4_REASM_OVERLAP);
		return NULL;
	}
	if (!(fo & RTE_IPV4_HDR_MF_FLAG))
		d->total = off + (uint32_t)len;
	if (!d->total || d->have < d->total)
		return NULL;
	return reasm_complete(r, d);
}

/**
 * reasm_expire() - drop datagrams that did not complete in time
 * @r:		state
 * @now:	current TSC
 */
void reasm_expire(struct reasm *r, uint64_t now)
{
	uint64_t timeout = rte_get_tsc_hz() / 1000 * REASM_TIMEOUT_MS;

	if (now - r->last_scan_tsc < timeout / 4)
		return;
	r->last_scan_tsc = now;
	for (unsigned i = 0; i < REASM_SLOTS; i++)
		if (r->slot[i].used && now - r->slot[i].first_tsc > timeout)
			reasm_drop(r, &r->slot[i], DROP_IPV4_REASM_TIMEOUT);
}
