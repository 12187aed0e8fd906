/* SPDX-License-Identifier: MIT */
/*
 * reasm.c - IPv4 and IPv6 reassembly of the guest's fragmented datagrams
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
 * overlap is the classic way to smuggle headers past filters; RFC 5722 makes
 * that the rule for IPv6).
 *
 * IPv6 (RFC 8200 §4.5): the unfragmentable part (header and extension
 * headers before the fragment header) of the first fragment is kept, the
 * fragment header itself is cut out, and the next-header byte that named it
 * takes the fragment header's next header. A fragment's mbuf has l2_len =
 * Ethernet, l3_len = everything up to its payload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* The datagram a fragment belongs to (@key: its identity), or a new slot */
static struct reasm_dgram *reasm_find(struct reasm *r,
				      const struct reasm_dgram *key)
{
	struct reasm_dgram *free_slot = NULL, *oldest = NULL;

	for (unsigned i = 0; i < REASM_SLOTS; i++) {
		struct reasm_dgram *d = &r->slot[i];

		if (!d->used) {
			free_slot = free_slot ? free_slot : d;
			continue;
		}
		if (d->id == key->id && d->v6 == key->v6 &&
		    d->proto == key->proto && !memcmp(d->src, key->src, 16) &&
		    !memcmp(d->dst, key->dst, 16))
			return d;
		if (!oldest || d->first_tsc < oldest->first_tsc)
			oldest = d;
	}
	if (!free_slot) {
		reasm_drop(r, oldest, DROP_IPV4_REASM_FULL);
		free_slot = oldest;
	}
	*free_slot = (struct reasm_dgram){ .used = true, .id = key->id,
		.v6 = key->v6, .proto = key->proto, .first_tsc = rte_rdtsc() };
	memcpy(free_slot->src, key->src, 16);
	memcpy(free_slot->dst, key->dst, 16);
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

/*
 * The whole IPv6 packet: move the unfragmentable part over the fragment
 * header (8 bytes), name the upper layer where the fragment header was
 * named, and set the payload length.
 */
static void reasm_fix_ipv6(struct rte_mbuf *head, struct reasm_dgram *d)
{
	uint8_t *b = rte_pktmbuf_mtod(head, uint8_t *);
	uint16_t keep = (uint16_t)(head->l2_len + head->l3_len - 8);
	struct rte_ipv6_hdr *ip;

	memmove(b + 8, b, keep);
	rte_pktmbuf_adj(head, 8);
	head->l3_len -= 8;
	b = rte_pktmbuf_mtod(head, uint8_t *);
	b[d->nh_off] = d->proto;
	ip = (struct rte_ipv6_hdr *)(b + head->l2_len);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(head->l3_len -
						      sizeof(*ip) + d->total));
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
	if (d->v6) {
		reasm_fix_ipv6(head, d);
	} else {
		ip = rte_pktmbuf_mtod_offset(head, struct rte_ipv4_hdr *,
					     head->l2_len);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(head->l3_len +
							       d->total));
		ip->fragment_offset = 0;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	d->used = false;
	d->n = 0;
	return head;
}

/*
 * Identity, offset and more-fragments flag of an IPv4 fragment; sets the
 * mbuf's l2/l3 lengths and trims Ethernet padding
 */
static void reasm_parse4(struct rte_mbuf *m, const struct pkt *p,
			 struct reasm_dgram *key, uint16_t *off, bool *more)
{
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, p->l3_off);
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);

	*off = (uint16_t)((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u);
	*more = fo & RTE_IPV4_HDR_MF_FLAG;
	key->id = ip->packet_id;
	key->proto = ip->next_proto_id;
	memcpy(key->src + 12, &ip->src_addr, 4);
	memcpy(key->dst + 12, &ip->dst_addr, 4);
	m->l2_len = p->l3_off;
	m->l3_len = (ip->version_ihl & 0xf) * 4u;
	/* parse stops at the fragment check, before l3_len: use the header */
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (p->l3_off +
					rte_be_to_cpu_16(ip->total_length))));
}

/* The same for IPv6, from the fragment header parse_frame() located */
static void reasm_parse6(struct rte_mbuf *m, const struct pkt *p,
			 struct reasm_dgram *key, uint16_t *off, bool *more)
{
	const uint8_t *fh = rte_pktmbuf_mtod_offset(m, const uint8_t *,
						    p->frag_off);
	uint16_t fo = (uint16_t)(fh[2] << 8 | fh[3]);
	rte_be32_t id;

	*off = fo & 0xfff8;
	*more = fo & 1;
	memcpy(&id, fh + 4, 4);
	key->v6 = true;
	key->id = id;
	key->proto = fh[0];
	key->nh_off = p->frag_nh_off;
	memcpy(key->src, p->saddr, 16);
	memcpy(key->dst, p->daddr, 16);
	m->l2_len = p->l3_off;
	m->l3_len = (uint16_t)(p->frag_off + 8 - p->l3_off);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (p->l3_off + p->l3_len)));
}

/**
 * reasm_input() - add a fragment; return the datagram once complete
 * @r:		state
 * @m:		fragment, consumed (held or freed)
 * @p:		its parse (IP header valid, L4 not parsed)
 *
 * Return: the whole frame (a chain behind the first fragment's Ethernet and
 *	   IP headers), or NULL while fragments are missing
 */
struct rte_mbuf *reasm_input(struct reasm *r, struct rte_mbuf *m,
			     const struct pkt *p)
{
	struct reasm_dgram key = { 0 }, *d;
	uint16_t off, len;
	bool more;

	if (p->v6)
		reasm_parse6(m, p, &key, &off, &more);
	else
		reasm_parse4(m, p, &key, &off, &more);
	len = frag_payload(m);
	d = reasm_find(r, &key);
	if (off == 0)	/* the first fragment's headers are the ones kept */
		d->nh_off = key.nh_off;
	if ((!more && d->total) || (more && len % 8) ||
	    (off + (uint32_t)len > UINT16_MAX) || !reasm_insert(d, m, off, len)) {
		rte_pktmbuf_free(m);
		reasm_drop(r, d, DROP_IPV4_REASM_OVERLAP);
		return NULL;
	}
	if (!more)
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
