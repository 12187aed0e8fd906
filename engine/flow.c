/* SPDX-License-Identifier: MIT */
/*
 * flow.c - per-worker flow table: rte_hash index over a fixed slot pool
 *
 * All memory is taken at start: the slot array, the free stack and the
 * hash. A full table makes flow_alloc() fail, which the caller turns into a
 * clean refusal (RST, ICMP) and a counted drop. The table has one user, its
 * worker, so it takes no locks.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "flow.h"

/**
 * flow_key() - build a flow key
 * @k:		key to fill
 * @vnet:	vnet id
 * @proto:	IPPROTO_*
 * @gaddr, @gport:	guest end (16-byte address), port in network order
 * @raddr, @rport:	remote end; NULL/0 for flows keyed by the guest end
 */
void flow_key(struct flow_key *k, uint16_t vnet, uint8_t proto,
	      const uint8_t *gaddr, rte_be16_t gport, const uint8_t *raddr,
	      rte_be16_t rport)
{
	memset(k, 0, sizeof(*k));
	k->vnet = vnet;
	k->proto = proto;
	k->gport = gport;
	k->rport = rport;
	memcpy(k->gaddr, gaddr, sizeof(k->gaddr));
	if (raddr)
		memcpy(k->raddr, raddr, sizeof(k->raddr));
}

/**
 * flow_table_init() - allocate a table of @cap flows
 * @t:		table
 * @name:	unique name for the hash
 * @cap:	maximum number of flows
 * @slot_size:	size of the protocol struct stored per flow
 *
 * Return: 0, or -ENOMEM
 */
int flow_table_init(struct flow_table *t, const char *name, uint32_t cap,
		    uint32_t slot_size)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = cap < 8 ? 8 : cap,
		.key_len = sizeof(struct flow_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->slot_size = RTE_ALIGN_CEIL(slot_size, RTE_CACHE_LINE_SIZE);
	t->hash = rte_hash_create(&hp);
	t->slots = rte_zmalloc(name, (size_t)t->slot_size * cap,
			       RTE_CACHE_LINE_SIZE);
	t->free = rte_malloc(name, sizeof(uint32_t) * cap, 0);
	t->dead = rte_malloc(name, sizeof(uint32_t) * cap, 0);
	if (!t->hash || !t->slots || !t->free || !t->dead) {
		flow_table_fini(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cap; i++) {
		t->free[i] = cap - 1 - i;
		flow_at(t, i)->idx = i;
		flow_at(t, i)->fd = -1;
	}
	t->n_free = cap;
	return 0;
}

/* flow_table_fini() - free the table; flows still open are closed */
void flow_table_fini(struct flow_table *t)
{
	if (t->slots)
		for (uint32_t i = 0; i < t->cap; i++)
			if (flow_at(t, i)->state != FLOW_FREE &&
			    flow_at(t, i)->fd >= 0)
				close(flow_at(t, i)->fd);
	rte_hash_free(t->hash);
	rte_free(t->slots);
	rte_free(t->free);
	rte_free(t->dead);
	memset(t, 0, sizeof(*t));
}

/* flow_at() - slot @idx of the table */
struct flow *flow_at(struct flow_table *t, uint32_t idx)
{
	return (struct flow *)((uint8_t *)t->slots + (size_t)idx * t->slot_size);
}

/**
 * flow_lookup() - find a live flow by key
 * @t:		table
 * @k:		key
 *
 * Return: the flow, or NULL
 */
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *k)
{
	void *data;

	if (rte_hash_lookup_data(t->hash, k, &data) < 0)
		return NULL;
	return data;
}

/**
 * flow_alloc() - take a free slot for a new flow and index it
 * @t:		table
 * @k:		key, not yet in the table
 *
 * The protocol part of the slot is zeroed; fd is -1, state NEW.
 *
 * Return: the flow, or NULL if the table is full
 */
struct flow *flow_alloc(struct flow_table *t, const struct flow_key *k)
{
	struct flow *f;
	uint32_t idx;

	if (!t->n_free)
		return NULL;
	idx = t->free[--t->n_free];
	f = flow_at(t, idx);
	memset(f, 0, t->slot_size);
	f->idx = idx;
	f->fd = -1;
	f->key = *k;
	if (rte_hash_add_key_data(t->hash, k, f) < 0) {
		t->free[t->n_free++] = idx;
		return NULL;
	}
	f->state = FLOW_NEW;
	t->n_used++;
	return f;
}

/* flow_set_state() - move a live flow to NEW, ACTIVE or CLOSING */
void flow_set_state(struct flow *f, enum flow_state s)
{
	if (f->state != FLOW_DEAD && s != FLOW_DEAD && s != FLOW_FREE)
		f->state = (uint8_t)s;
}

/**
 * flow_kill() - end a flow: unindex it and close its socket
 * @t:		table
 * @f:		flow; its slot stays readable until flow_reap()
 */
void flow_kill(struct flow_table *t, struct flow *f)
{
	if (f->state == FLOW_DEAD || f->state == FLOW_FREE)
		return;
	rte_hash_del_key(t->hash, &f->key);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->state = FLOW_DEAD;
	t->dead[t->n_dead++] = f->idx;
}

/**
 * flow_for_each_live() - call @fn on every flow that is not dead or free
 * @t:		table (may be uninitialised: then nothing happens)
 * @fn:		callback; it may kill the flow
 * @arg:	passed to @fn
 */
void flow_for_each_live(struct flow_table *t, void (*fn)(struct flow *, void *),
			void *arg)
{
	if (!t->slots)
		return;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct flow *f = flow_at(t, i);

		if (f->state != FLOW_FREE && f->state != FLOW_DEAD)
			fn(f, arg);
	}
}

/**
 * flow_for_each_of_port() - flow_for_each_live() for the flows of one port
 * @t:		table
 * @pidx:	port (guest)
 * @fn:		callback; it may kill the flow
 * @arg:	passed to @fn
 */
void flow_for_each_of_port(struct flow_table *t, uint16_t pidx,
			   void (*fn)(struct flow *, void *), void *arg)
{
	if (!t->slots)
		return;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct flow *f = flow_at(t, i);

		if (f->state != FLOW_FREE && f->state != FLOW_DEAD &&
		    f->pidx == pidx)
			fn(f, arg);
	}
}

/* flow_reap() - return dead slots to the free stack (end of a burst) */
void flow_reap(struct flow_table *t)
{
	for (uint32_t i = 0; i < t->n_dead; i++) {
		flow_at(t, t->dead[i])->state = FLOW_FREE;
		t->free[t->n_free++] = t->dead[i];
		t->n_used--;
	}
	t->n_dead = 0;
}
